/*
 * limits.h - every bound a peer can push against, named in one place.
 *
 * Crossing a limit is an error (-E2BIG, HTTP 413/400), never a silent
 * truncation.
 */
#ifndef THURKUBE_LIMITS_H
#define THURKUBE_LIMITS_H

/* Largest AdmissionReview body the webhook reads (controller-runtime uses 7 MiB). */
#define TK_MAX_ADMISSION_BODY (7u * 1024u * 1024u)
/* Largest request header block the webhook accepts. */
#define TK_MAX_HEADER_SIZE (16u * 1024u)
/* Deepest JSON nesting accepted from any peer. */
#define TK_MAX_JSON_DEPTH 64
/* Largest single watch event line (one object plus envelope). */
#define TK_MAX_WATCH_LINE (16u * 1024u * 1024u)
/* Largest API response body held in memory (a list page). */
#define TK_MAX_API_BODY (64u * 1024u * 1024u)
/* Items asked for per list page. */
#define TK_LIST_PAGE_SIZE 500
/* Concurrent admission requests served at once (CivetWeb worker threads). */
#define TK_MAX_CONCURRENT_REQUESTS 64
/* Largest YAML/JSON input file for the offline validator. */
#define TK_MAX_INPUT_FILE (16u * 1024u * 1024u)
/* Longest Kubernetes object name (DNS-1123 subdomain). */
#define TK_MAX_NAME 253
/* Longest DNS-1123 label (names that become labels, Job names). */
#define TK_MAX_LABEL 63
/* Longest AgentJob name that still leaves room for "<name>-<16 hex>" in 63. */
#define TK_MAX_AGENTJOB_NAME_JOB 46
/* Longest AgentJob name a CronJob accepts (52, CronJob adds 11 chars). */
#define TK_MAX_AGENTJOB_NAME_CRON 52
/* Longest cron expression accepted. */
#define TK_MAX_CRON_LEN 256
/* Most items in any list field of a spec (refs, env, tools, rules). */
#define TK_MAX_LIST_ITEMS 1024
/* Longest prompt or instructions text (bytes). */
#define TK_MAX_PROMPT (512u * 1024u)

#endif

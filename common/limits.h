/*
 * limits.h - every bound a peer can push against, named in one place.
 *
 * Crossing a limit is an error (-E2BIG, HTTP 413/400), never a silent
 * truncation.
 */
#ifndef THURKUBE_LIMITS_H
#define THURKUBE_LIMITS_H

/*
 * Largest AdmissionReview body the webhook reads: the largest review the
 * API server can send. An UPDATE carries the new object, at most the API
 * server's 3 MiB request body limit, and the stored old one, at most
 * etcd's 1.5 MiB request limit; the envelope (uid, kinds, resource,
 * userInfo with its groups and extra, options) stays far below 512 KiB.
 * controller-runtime reads up to 7 MiB; nothing legitimate needs it, and
 * every byte here is reserved from the memory budget (membudget.h).
 */
#define TK_MAX_ADMISSION_BODY (5u * 1024u * 1024u)
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
/* Most admission checks running at once (--threads). */
#define TK_MAX_CONCURRENT_REQUESTS 64
/*
 * HTTPS workers beyond --threads. CivetWeb gives each connection a worker
 * thread from its TLS handshake to its close, and a check its slot only
 * once the body is read (server.c): these workers carry the connections
 * still in their handshake, headers or body, or idle between requests, so
 * that slow and idle clients meet free workers, and the connection guard
 * (conn.h) when they hold them all. There are enough for the API servers'
 * keep-alive connections to have a worker each (128 connections, with
 * the default 16 --threads, measured by make bench): a connection beyond
 * the workers waits for one, and its client spins meanwhile. An idle worker
 * costs about 20 KiB of RSS, one holding a TLS connection about 110 KiB.
 */
#define TK_SPARE_WORKERS 128
/* Largest YAML/JSON input file for the offline validator. */
#define TK_MAX_INPUT_FILE (16u * 1024u * 1024u)
/* Longest field path a decoder names in an error ("spec.args[12]"); the
 * paths are ours, so crossing it is a bug that fails the call (-E2BIG). */
#define TK_MAX_FIELD_PATH 1024
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
/*
 * TK_LIMIT_SCALE divides every count limit below (items per list, access
 * questions). It is 1 in every build but the libFuzzer build of
 * fuzz_wh_biglists (tests/run-fuzz sets 64): there a list at and past each
 * limit costs microseconds instead of milliseconds, so a run of ten
 * million executions fits in an hour, and the code at each boundary is the
 * same. The corpus replay of make check runs that target at scale 1.
 */
#ifndef TK_LIMIT_SCALE
#define TK_LIMIT_SCALE 1
#endif
/* Most items of a list that names no tighter limit (every list of a spec
 * names its own below; the controller bounds what it reads by it). */
#define TK_MAX_LIST_ITEMS (1024 / TK_LIMIT_SCALE)
/* Longest prompt or instructions text (bytes). */
#define TK_MAX_PROMPT (512u * 1024u)

/*
 * Items per list of the thurkube kinds (schema.c gives every list one).
 * Past it the list is 422 "Too many: N: must have at most M items" at its
 * path, and its items are not checked at all: the work a hostile list
 * costs stops at its length. Kubernetes itself puts no count limit on the
 * core/v1 and rbac/v1 lists these mirror (a pod's env, envFrom,
 * tolerations, imagePullSecrets, command and args; a PolicyRule's lists):
 * only the object's size bounds them, through etcd's 1.5 MiB request
 * limit (some 100,000 one-letter env entries). So each value here is
 * chosen: ten times and more what a real agent uses, yet small enough that
 * the largest valid object is checked in milliseconds.
 */
/* env of an AgentJob or McpServer. Every entry reaches the agent's execve,
 * whose arguments and environment Linux bounds to a quarter of the stack
 * rlimit (2 MiB by default). */
#define TK_MAX_ENV_ITEMS (1024 / TK_LIMIT_SCALE)
/* envFrom: each entry imports a whole ConfigMap or Secret. */
#define TK_MAX_ENV_FROM_ITEMS (256 / TK_LIMIT_SCALE)
/* imagePullSecrets: one per registry the image could come from. */
#define TK_MAX_PULL_SECRETS (128 / TK_LIMIT_SCALE)
/* tolerations of the agent pod. */
#define TK_MAX_TOLERATIONS (256 / TK_LIMIT_SCALE)
/* resources.claims: each names an entry of the pod's resourceClaims. */
#define TK_MAX_RESOURCE_CLAIMS (128 / TK_LIMIT_SCALE)
/* mcpServerRefs and repositoryRefs: each is an MCP server in agent.json or
 * a clone with its own token variable, and costs the webhook one GET. */
#define TK_MAX_REFS (256 / TK_LIMIT_SCALE)
/* allowedTools of an AgentRole (Claude Code permission rules). */
#define TK_MAX_TOOLS (1024 / TK_LIMIT_SCALE)
/* command and args of an AgentRuntime, args of an McpServer. */
#define TK_MAX_ARGS (1024 / TK_LIMIT_SCALE)
/* rules of a ClusterAccess (the ClusterRole made for it). */
#define TK_MAX_RULES (256 / TK_LIMIT_SCALE)
/* Each list of one rule: verbs, apiGroups, resources, resourceNames,
 * nonResourceURLs. */
#define TK_MAX_RULE_ITEMS (256 / TK_LIMIT_SCALE)
/* network.allow of an AgentRuntime: each entry becomes one egress rule of
 * the NetworkPolicy made for every AgentJob that uses the runtime. */
#define TK_MAX_NETWORK_ALLOW (64 / TK_LIMIT_SCALE)
/* ports of one network.allow entry. */
#define TK_MAX_NETWORK_PORTS ((32 + TK_LIMIT_SCALE - 1) / TK_LIMIT_SCALE)
/* Terms of an affinity (nodeSelectorTerms, the required and preferred pod
 * affinity terms) and topologySpreadConstraints: the scheduler evaluates
 * each against every node for every pod, so real specs hold a handful. */
#define TK_MAX_AFFINITY_TERMS (64 / TK_LIMIT_SCALE)
/* matchExpressions and matchFields of one selector or term, and the key
 * lists of a term (namespaces, matchLabelKeys, mismatchLabelKeys). */
#define TK_MAX_SELECTOR_ITEMS (64 / TK_LIMIT_SCALE)
/* values of one selector requirement. */
#define TK_MAX_SELECTOR_VALUES (256 / TK_LIMIT_SCALE)
/* spec.backoffLimit of an AgentJob: each retry is a whole agent run
 * again, with its model tokens; Kubernetes itself bounds it only by int32. */
#define TK_MAX_BACKOFF_LIMIT 10
/* maxConcurrentRuns of an AgentAuth. */
#define TK_MAX_CONCURRENT_RUNS 10000
/* successfulJobsHistoryLimit and failedJobsHistoryLimit: each kept Job is
 * cached by the controller (and its pod by the kubelet's node). */
#define TK_MAX_JOBS_HISTORY 100
/* Entries of a map field (nodeSelector, requests, limits). */
#define TK_MAX_MAP_ITEMS (256 / TK_LIMIT_SCALE)
/*
 * SubjectAccessReviews one ClusterAccess may need (webhook/access.c): per
 * rule verbs x apiGroups x resources x max(1, resourceNames), plus verbs x
 * nonResourceURLs, summed over the rules. Past it the object is 422 "Too
 * many" at spec.rules before any question is asked. Each question is one
 * API round trip (about a millisecond on a near API server), so this
 * many still fit a cluster-check budget of a few seconds; an object that
 * needs more is refused for its size, not for a timeout halfway.
 */
#define TK_MAX_ACCESS_QUESTIONS (1024 / TK_LIMIT_SCALE)
/* Steps of validation or defaulting between two reads of the clock for
 * the per-request deadline (admission.h): a read costs tens of
 * nanoseconds, a step about a microsecond. */
#define TK_DEADLINE_CHECK_EVERY 256

/*
 * String fields of the thurkube kinds. Every string the schema describes
 * has one of these as its maximum length (schema.c); longer is 422
 * "Too long" with the field path, checked before any rule that would quote
 * the value. The CRDs do not carry them (see emit_node in schema.c).
 */
/* Free-form text without a tighter rule: env values, command, args,
 * descriptions of nothing in particular. Kubernetes has no per-field bound
 * (only the object size); 64 KiB holds a PEM bundle or a JSON config. */
#define TK_MAX_STRING (64u * 1024u)
/* A label or annotation key, a resource name key of requests/limits, a
 * toleration key: a qualified name, 253-byte DNS prefix, '/', 63-byte name. */
#define TK_MAX_QUALIFIED_NAME 317
/* An entry of a PolicyRule list (apiGroups, resources, verbs,
 * resourceNames, nonResourceURLs). RBAC accepts any string, but none
 * matches an object longer than a 253-byte name plus a subresource, and
 * five of them plus a namespace must fit the webhook's 8 KiB
 * SubjectAccessReview key (webhook/access.c). */
#define TK_MAX_RBAC_STRING 1024
/* A URL (McpServer url). RFC 9110 section 4.1 asks every recipient to
 * support at least 8000 octets. */
#define TK_MAX_URL 8000
/* A container image reference: a 253-byte registry host and port, a
 * 255-byte repository path (distribution's limit) and a tag or digest. */
#define TK_MAX_IMAGE 1024
/* An absolute directory in the container (configPath, persistPath): PATH_MAX. */
#define TK_MAX_PATH 4096
/*
 * An allowedTools entry: a Claude Code permission rule (toolrule.h), a
 * tool name or Tool(specifier). 256 held tool names, but a specifier is a
 * command line, a path glob or a domain: Claude Code saves an approved
 * command whole as a rule (a one-line script with its arguments runs to
 * hundreds of bytes) and a Read or Edit rule holds a path, up to
 * TK_MAX_PATH, which this matches. Far more could never reach the agent:
 * the image hands the list, joined by commas, to Claude Code as one
 * environment variable and one argument, each bounded by Linux to 128 KiB
 * (MAX_ARG_STRLEN).
 */
#define TK_MAX_TOOL_NAME 4096
/* The text of a CIDR block (network.allow): the longest IPv6 form, an
 * embedded IPv4 address and "/128", is 49 bytes; longer is no CIDR. */
#define TK_MAX_CIDR 64
/* podAnnotations of an AgentJob: keys and values together, the API
 * server's TotalAnnotationSizeLimitB for an object's annotations. */
#define TK_MAX_ANNOTATIONS_SIZE (256u * 1024u)
/* Any object key anywhere in an admitted object: map keys the user writes
 * (nodeSelector, requests/limits have the tighter TK_MAX_QUALIFIED_NAME),
 * unknown fields, metadata.managedFields ("f:" plus an annotation key). */
#define TK_MAX_JSON_KEY 1024

/*
 * Field errors (fielderr.h). A denial never fails for being too large:
 * past these bounds the text is cut and ends in "...". Together they keep
 * the worst denial (every error at every bound, escaped for JSON) far
 * below the webhook's response limit.
 */
/* Longest offending value quoted in one error (bytes before JSON quoting). */
#define TK_MAX_ERROR_VALUE 1024
/* Longest detail text of one error. */
#define TK_MAX_ERROR_DETAIL 4096
/* Longest field path of one error. */
#define TK_MAX_ERROR_PATH 2048
/* Errors listed in one denial; the rest are counted ("and N more errors"). */
#define TK_MAX_FIELD_ERRORS 128
/* Warnings sent with one admission response (unknown fields). */
#define TK_MAX_WARNINGS 64

#endif

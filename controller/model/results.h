/*
 * results.h - what a run reports about itself (issue 16): the agent
 * container's termination message, turned into status.lastRun. Pure.
 *
 * The contract for agent images (docs/api-guide.md, "Results"): write one JSON
 * object to /dev/termination-log (the kubelet keeps at most 4096 bytes of
 * it) with any of
 *   summary       string, what the run did (kept up to RESULTS_MAX_SUMMARY bytes)
 *   url           string, e.g. the pull request (up to RESULTS_MAX_URL bytes,
 *                 http or https)
 *   inputTokens   integer >= 0, model input tokens used
 *   outputTokens  integer >= 0, model output tokens used
 *   costUSD       number >= 0, the run's cost in US dollars
 * Anything else (not JSON, not an object: for instance the last log lines
 * that FallbackToLogsOnError puts there when the agent failed without a
 * message) becomes a summary, cut at RESULTS_MAX_SUMMARY bytes on a UTF-8
 * boundary. A field of the wrong type or out of range is left out and
 * named in `ignored`. Nothing from the message is ever a key of status
 * but these.
 */
#ifndef THURKUBE_RESULTS_H
#define THURKUBE_RESULTS_H

#include "compat.h"

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "util.h"

#define RESULTS_MAX_MESSAGE 4096 /* the kubelet's own bound */
#define RESULTS_MAX_SUMMARY 1024
#define RESULTS_MAX_URL     2048
/* Counts past these are refused as nonsense (2^53: exact in JSON). */
#define RESULTS_MAX_TOKENS 9007199254740992LL
#define RESULTS_MAX_COST   1000000.0

struct results {
	json_object *fields; /* new ref: {summary?, url?, inputTokens?, outputTokens?,
	                        costUSD?, ignored?} */
	int64_t input_tokens, output_tokens; /* -1 when not reported */
	double cost_usd;                     /* < 0 when not reported */
};

/*
 * Parse a termination message (msg, len: bytes, need not be NUL-terminated
 * or valid UTF-8; NULL or len 0: nothing reported). Only the first
 * RESULTS_MAX_MESSAGE bytes are read. 0 or -ENOMEM. Release with
 * results_free.
 */
int results_parse(const char *msg, size_t len, struct results *out) TK_MUST_CHECK;
void results_free(struct results *r);

#endif

/*
 * metrics.h - a small thread-safe Prometheus registry (text format 0.0.4).
 *
 * Series are keyed by (name, labels). labels is the rendered label set
 * without braces, e.g. `kind="AgentJob",result="success"`, or NULL/"";
 * build it with metrics_labels() so values are escaped. The first call
 * for a name fixes its help text and type.
 *
 * Updates never fail visibly: a NULL registry, a name outside
 * [a-zA-Z_:][a-zA-Z0-9_:]*, a malformed label set, a NaN value, a negative
 * counter increment, a type other than the family's first, or an
 * allocation failure drops the update. name, help and labels are
 * borrowed for the call (copied when a series is created). Every function
 * may be called from any thread.
 */
#ifndef THURKUBE_METRICS_H
#define THURKUBE_METRICS_H

#include "compat.h"

#include "util.h"

struct metrics;

/* New empty registry, or NULL on allocation failure. */
struct metrics *metrics_new(void);
/* Release the registry and every series; NULL is fine. */
void metrics_free(struct metrics *m);

/* Add v (>= 0) to a counter. */
void metrics_counter_add(struct metrics *m, const char *name, const char *help, const char *labels,
                         double v);
/* Set a counter to v (>= 0): for a total kept elsewhere (the kernel's CPU
 * time) and copied at scrape time; the source keeps it monotonic. */
void metrics_counter_set(struct metrics *m, const char *name, const char *help, const char *labels,
                         double v);
/* Set / add to a gauge (v may be negative for _add). */
void metrics_gauge_set(struct metrics *m, const char *name, const char *help, const char *labels,
                       double v);
void metrics_gauge_add(struct metrics *m, const char *name, const char *help, const char *labels,
                       double v);
/* Histogram with buckets 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5
 * 1 2.5 5 10 (seconds, cumulative, plus +Inf), with _sum and _count. */
void metrics_observe(struct metrics *m, const char *name, const char *help, const char *labels,
                     double seconds);
/*
 * Append the whole registry in exposition format to out: families sorted
 * by name, each with one "# HELP" and one "# TYPE" line, then its series
 * sorted by label set. 0, or -ENOMEM / -E2BIG (out's limit), in which case
 * out holds a partial rendering the caller must discard.
 */
int metrics_render(struct metrics *m, struct buf *out) TK_MUST_CHECK;
/* Read a counter/gauge value, or a histogram's observation count (tests);
 * 0 when absent. labels NULL means "". */
double metrics_value(struct metrics *m, const char *name, const char *labels);

/*
 * Render key/value pairs (const char *, NULL-terminated varargs) as a
 * label set into out (replacing its contents): `k1="v1",k2="v2"`, with
 * backslash, double quote and newline in values escaped as \\, \" and \n;
 * a NULL value renders as "". Keys must already be valid label names.
 * Returns out->data (borrowed from out), or "" when there are no pairs or
 * out cannot hold them.
 */
const char *metrics_labels(struct buf *out, ...);

/*
 * The API client's observer (kube_observe_cb in kube.h), one for every
 * binary: each call counts <prefix>_api_requests_total{verb,code} (code 0:
 * no answer) and observes <prefix>_api_request_duration_seconds{verb}.
 * ud is a struct metrics_api, borrowed for as long as the client may call
 * it; like every update, a failure drops it.
 */
struct metrics_api {
	struct metrics *m;  /* borrowed */
	const char *prefix; /* e.g. "thurkube_webhook"; borrowed */
};
void metrics_observe_api(void *ud, const char *verb, long code, double seconds);

#endif

/*
 * metrics.h - a small thread-safe Prometheus registry (text format 0.0.4).
 *
 * Series are keyed by (name, labels). labels is the rendered label set
 * without braces, e.g. `kind="AgentJob",result="success"`, or NULL/"";
 * build it with metrics_labels() so values are escaped. The first call
 * for a name fixes its help text and type.
 */
#ifndef THURKUBE_METRICS_H
#define THURKUBE_METRICS_H

#include "compat.h"

#include "util.h"

struct metrics;

/* New empty registry, or NULL on allocation failure. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

void metrics_counter_add(struct metrics *m, const char *name, const char *help, const char *labels,
                         double v);
void metrics_gauge_set(struct metrics *m, const char *name, const char *help, const char *labels,
                       double v);
void metrics_gauge_add(struct metrics *m, const char *name, const char *help, const char *labels,
                       double v);
/* Histogram with buckets 1ms..10s (seconds). */
void metrics_observe(struct metrics *m, const char *name, const char *help, const char *labels,
                     double seconds);
/* Render the whole registry in exposition format. 0 or -ENOMEM. */
int metrics_render(struct metrics *m, struct buf *out) TK_MUST_CHECK;
/* Read a counter/gauge value (tests); 0 when absent. */
double metrics_value(struct metrics *m, const char *name, const char *labels);

/*
 * Render key/value pairs (NULL-terminated varargs) as a label set into
 * out (replacing its contents): `k1="v1",k2="v2"`. Returns out->data or
 * "" on failure.
 */
const char *metrics_labels(struct buf *out, ...);

#endif

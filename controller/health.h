/*
 * health.h - plain-HTTP /healthz, /readyz and /metrics (CivetWeb).
 *
 * /healthz answers 200 while the process runs. /readyz answers 200 once
 * every informer has synced its cache (standbys too: a warm standby is
 * ready to lead), 503 before. /metrics renders c->metrics after refreshing
 * the gauges sampled from the runtime (queue depth, leader status, cached
 * objects) and folding the queue's add/retry counts into counters.
 */
#ifndef THURKUBE_HEALTH_H
#define THURKUBE_HEALTH_H

#include "compat.h"

#include <stddef.h>

#include "ctl.h"
#include "informer.h"

struct health;

/*
 * Listen on port (all addresses) with a few worker threads. c and
 * informers[0..n) are borrowed until health_stop. 0 and *out, or -ENOMEM,
 * -EADDRINUSE (cannot listen), -EINVAL.
 */
int health_start(struct ctl *c, struct informer *const *informers, size_t n, int port,
                 struct health **out) TK_MUST_CHECK;
/* Stop serving and free. NULL is fine. */
void health_stop(struct health *h);

/* Whether /readyz would answer 200 (every informer synced). */
bool health_ready(struct health *h);

/* Refresh the sampled gauges and queue counters in c->metrics (what
 * /metrics does before rendering); exposed for tests. */
void health_sample(struct health *h);

#endif

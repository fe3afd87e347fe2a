/*
 * workers.h - a pool of threads that take keys from a work queue
 * (queue.h), hand each to a callback and requeue it as the callback's
 * answer says (controller-runtime's mapping):
 *   < 0  failed: requeued with the queue's per-key backoff
 *   > 0  forget the failures, add again after that many seconds
 *   0    done: forget the failures
 * A key is marked done after its callback, so the queue never gives it to
 * two workers at once. The pool ends when the queue is shut down.
 */
#ifndef THURKUBE_WORKERS_H
#define THURKUBE_WORKERS_H

#include "compat.h"

#include <stdbool.h>
#include <stdint.h>

#include "runtime/queue.h"

struct workers_opts {
	struct queue *queue; /* borrowed until workers_free */
	int n;               /* threads, >= 1 */
	int (*process)(void *ud, const char *key);
	void *ud;
};

struct workers;

/* Start o->n threads. 0 and *out, -EINVAL, -ENOMEM or a pthread error
 * (the threads already started then stop once the queue shuts down). */
int workers_start(const struct workers_opts *o, struct workers **out) TK_MUST_CHECK;
/* Threads still running (they exit once the queue is shut down and the
 * key in hand is finished). */
int workers_running(struct workers *w);
/* Wait up to ms milliseconds (< 0: no bound) for every thread to exit,
 * after queue_shutdown. True when none runs any more. */
bool workers_wait(struct workers *w, int64_t ms);
/* Join the threads and free. Only after workers_wait answered true, or
 * with no thread started; NULL is fine. */
void workers_free(struct workers *w);

#endif

/*
 * stopflag.h - a request to stop that threads can sleep on.
 *
 * Raised once, read without a lock (an atomic, which kube_watch polls
 * between reads of the stream), and a sleep that ends as soon as it is
 * raised: a condition variable on the monotonic clock instead of a loop
 * of short sleeps.
 */
#ifndef THURKUBE_STOPFLAG_H
#define THURKUBE_STOPFLAG_H

#include "compat.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct stopflag {
	atomic_int raised; /* 1 once stopflag_raise ran */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* Initialise f, lowered. */
void stopflag_init(struct stopflag *f);
void stopflag_destroy(struct stopflag *f);

/* Raise f and wake every sleeper. */
void stopflag_raise(struct stopflag *f);

bool stopflag_raised(struct stopflag *f);

/* Sleep up to ms milliseconds; returns early, with true, once f is
 * raised (at once when it already is), false after the full sleep. */
bool stopflag_sleep(struct stopflag *f, int64_t ms);

#endif

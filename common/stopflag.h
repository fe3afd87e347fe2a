/*
 * stopflag.h - a request to stop that threads can sleep on, and
 * notifications that wake them without stopping anything.
 *
 * Raised once, read without a lock (an atomic, which kube_watch polls
 * between reads of the stream), and a sleep that ends as soon as it is
 * raised: a condition variable on the monotonic clock instead of a loop
 * of short sleeps. A supervisor that must act on several events (leader
 * status, caches synced, a deadline) sleeps with stopflag_wait and is
 * woken by stopflag_notify, so it never polls.
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
	uint64_t notes; /* stopflag_notify calls, under mu */
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

/* Wake every stopflag_wait (something changed) without raising f. */
void stopflag_notify(struct stopflag *f);
/* How many notifications came so far: read it before looking at the
 * state that a notification announces, then pass it to stopflag_wait so
 * that one arriving in between is not missed. */
uint64_t stopflag_notes(struct stopflag *f);
/* Sleep until f is raised, a notification after seen arrives, or ms
 * milliseconds pass (ms < 0: no bound; 0: do not sleep). True when raised. */
bool stopflag_wait(struct stopflag *f, uint64_t seen, int64_t ms);

#endif

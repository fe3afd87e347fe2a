/*
 * queue.h - a work queue of keys (client-go workqueue semantics).
 *
 * Keys are opaque strings (the controller queues "Kind/ns/name"). A key
 * is in at most one of {queued, processing}: adding a queued key is a
 * no-op, adding a key being processed marks it dirty and it is queued again when queue_done() is
 * called, so one key is never reconciled by two workers at once and a
 * burst of events collapses into one reconcile.
 *
 * Failures back off per key: the n-th consecutive queue_add_rate_limited()
 * of a key waits QUEUE_BACKOFF_BASE_MS * 2^n, capped at
 * QUEUE_BACKOFF_MAX_MS; queue_forget() resets it.
 *
 * Time comes from an injectable clock (milliseconds, monotonic) so the
 * delayed-add logic is testable without sleeping. Thread-safe.
 */
#ifndef THURKUBE_QUEUE_H
#define THURKUBE_QUEUE_H

#include "compat.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUEUE_BACKOFF_BASE_MS 5
#define QUEUE_BACKOFF_MAX_MS  (1000LL * 1000)

/* Returns "now" in milliseconds on a monotonic scale. */
typedef int64_t (*queue_clock_fn)(void *ud);

struct queue;

struct queue_stats {
	size_t depth;   /* keys ready to be taken */
	size_t delayed; /* keys waiting for their time */
	size_t processing;
	uint64_t adds;    /* keys that entered the queue (not merged duplicates) */
	uint64_t retries; /* queue_add_rate_limited calls */
};

/* New queue. clock may be NULL (then now_ms() of util.h); ud is passed to
 * it. NULL on allocation failure. */
struct queue *queue_new(queue_clock_fn clock, void *ud);
/* Free the queue and every key it holds. No thread may still use it. */
void queue_free(struct queue *q);

/* Add key now. 0, -ENOMEM, or -ESHUTDOWN after queue_shutdown (ignored). */
int queue_add(struct queue *q, const char *key) TK_MUST_CHECK;
/* Add key once delay_ms has passed (delay <= 0 adds now). When the key is
 * already waiting, the earlier time wins. Same returns as queue_add. */
int queue_add_after(struct queue *q, const char *key, int64_t delay_ms) TK_MUST_CHECK;
/* Add key after its backoff delay and count one more failure for it.
 * *delay_ms (may be NULL) receives the delay chosen. Same returns. */
int queue_add_rate_limited(struct queue *q, const char *key, int64_t *delay_ms) TK_MUST_CHECK;
/* Reset the failure count of key (after a success). */
void queue_forget(struct queue *q, const char *key);
/* Consecutive failures recorded for key. */
int queue_num_requeues(struct queue *q, const char *key);
/* Pure: the backoff for the n-th failure (n from 0): 5 ms * 2^n, capped. */
int64_t queue_backoff_ms(int failures);

/*
 * Take the next ready key: moves due delayed keys in first, then returns 0
 * and *key (owned by the caller, who passes it to queue_done() and frees
 * it). Returns -EAGAIN when none is ready (queue_try_get) or when wait_ms
 * passed (queue_get; wait_ms < 0 waits until a key or shutdown), and
 * -ESHUTDOWN once the queue is shut down: queued keys are then not handed
 * out any more (a stopping controller takes no new work).
 */
int queue_try_get(struct queue *q, char **key) TK_MUST_CHECK;
int queue_get(struct queue *q, int64_t wait_ms, char **key) TK_MUST_CHECK;
/* The worker finished key; requeues it if it was added meanwhile. */
void queue_done(struct queue *q, const char *key);

/* Stop handing out keys and wake every waiter. */
void queue_shutdown(struct queue *q);
bool queue_shutting_down(struct queue *q);
void queue_stats(struct queue *q, struct queue_stats *out);

#endif

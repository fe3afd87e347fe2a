/*
 * membudget.h - the bytes that admission requests in flight may hold,
 * reserved from one process-wide budget before they are allocated.
 *
 * A request reserves an estimate of what it will cost before reading its
 * body (membudget_body_cost of its Content-Length), and the real estimate
 * once the body is read and before it is parsed (membudget_json_cost), and
 * releases it when answered. So the heap held by requests stays below the
 * budget whatever the peers send, and the process below its memory limit:
 * worst-case RSS is the base (about 13 MiB) plus the budget plus about
 * 1.3 MiB per check slot (what its malloc arena keeps between requests,
 * one arena per slot: webhook/main.c) and 0.15 MiB per worker thread
 * (stack, TLS buffers, read chunk).
 *
 * Why an estimate of the parse and not a factor of the length: json-c
 * spends about 790 bytes on an empty object `{}` (the object, its hash
 * table of 16 slots), so one 1 MiB body of `[{},{},...]` holds 270 MiB
 * parsed while a 1 MiB string holds 2 MiB. membudget_json_cost walks the
 * bytes once, allocating nothing, and bounds the json-c tree from above by
 * token: numbers measured on json-c 0.16 / glibc x86-64 are in
 * membudget.c.
 */
#ifndef THURKUBE_MEMBUDGET_H
#define THURKUBE_MEMBUDGET_H

#include "compat.h"

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

struct membudget;

/*
 * A budget of capacity bytes. metrics (borrowed, may be NULL) gets the
 * gauges thurkube_webhook_memory_budget_bytes and
 * thurkube_webhook_memory_reserved_bytes. NULL on allocation failure.
 */
struct membudget *membudget_new(uint64_t capacity, struct metrics *metrics);

/* Release the budget. Every reservation must have been released. NULL is
 * fine. */
void membudget_free(struct membudget *b);

/*
 * Take bytes from the budget, waiting up to wait_ms for other requests to
 * release enough. Returns 0, -E2BIG when bytes exceed the whole capacity
 * (it could never fit: at once, no wait), or -EAGAIN when it did not fit
 * within wait_ms. Nothing is held on failure. Thread-safe.
 */
int membudget_reserve(struct membudget *b, uint64_t bytes, int wait_ms) TK_MUST_CHECK;

/*
 * Change a reservation of *held bytes to want bytes: growing waits like
 * membudget_reserve and fails the same way (then *held is unchanged and
 * still reserved), shrinking always succeeds. 0 or a negative errno.
 */
int membudget_resize(struct membudget *b, uint64_t *held, uint64_t want, int wait_ms) TK_MUST_CHECK;

/* Give bytes back and wake the waiters. */
void membudget_release(struct membudget *b, uint64_t bytes);

/*
 * Set the gauge thurkube_webhook_memory_reserved_bytes to the bytes
 * reserved now. Not done on each reservation, which would take the
 * metrics lock several times per request: /metrics calls it before
 * rendering (server.c, srv_sample). NULL is fine.
 */
void membudget_observe(struct membudget *b);

/* Bytes reserved now (for tests and metrics). */
uint64_t membudget_reserved(struct membudget *b);

/*
 * What a request costs before its body is read, from its Content-Length
 * (negative: unknown, then the largest body allowed): the body buffer
 * (which grows by doubling) and the cheapest parse of it (one string).
 */
uint64_t membudget_body_cost(long long content_length, uint64_t max_body);

/*
 * Upper bound of the heap a request with this body holds from parsing to
 * answering: the body buffer, the json-c tree and the tokener's buffer.
 * Pure, linear, allocates nothing; the bytes need not be valid JSON (the
 * bound then covers what json-c allocates before it gives up).
 */
uint64_t membudget_json_cost(const char *p, size_t len);

#endif

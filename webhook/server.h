/*
 * server.h - the webhook's two CivetWeb listeners.
 *
 * HTTPS on address:port serves POST /validate and POST /mutate (any query
 * string, e.g. the API server's ?timeout=5s). Requests are bounded before
 * any parsing: method POST (else 405), Content-Type application/json
 * (else 415), body at most TK_MAX_ADMISSION_BODY (else 413, read no
 * further), header block at most TK_MAX_HEADER_SIZE, JSON nesting at most
 * TK_MAX_JSON_DEPTH (else 400), and a fixed pool of threads + TK_SPARE_WORKERS
 * worker threads, each serving one connection at a time; a connection that
 * has held its worker for max_connection_age_ms is answered with
 * Connection: close. At most `threads` requests are checked (parsed,
 * validated, defaulted, asked about) at once: a request with its body read
 * waits up to 250 ms for a check slot, then gets 429 with Retry-After: 1.
 * The workers beyond them carry the connections still in their handshake,
 * headers or body, or idle between requests, so slow and idle clients do
 * not hold up the checks.
 *
 * Memory (budget set): each request reserves from the budget what it will
 * hold (membudget.h) before reading its body and again, exactly priced,
 * before parsing it, and gives it back once answered. A request that does
 * not fit within 250 ms is answered 429 with Retry-After: 1 and its body
 * is not kept (CivetWeb discards it through a small buffer, so the answer
 * reaches the client) or not parsed; one that could not fit even alone,
 * 413. Counted in thurkube_webhook_memory_refused_total{reason="busy" or
 * "too_large"}; thurkube_webhook_memory_reserved_bytes is the gauge.
 *
 * Callers: with a client CA in tls (tls.h), only clients presenting a
 * certificate it signed complete the handshake; the health port is plain
 * HTTP and answers anyone.
 *
 * Plain HTTP on address:health_port serves /healthz, /readyz (503 once
 * shutdown began) and /metrics (Prometheus text).
 */
#ifndef THURKUBE_SERVER_H
#define THURKUBE_SERVER_H

#include "compat.h"

#include <stdbool.h>
#include <stdint.h>

#include "access.h"
#include "cache.h"
#include "membudget.h"
#include "metrics.h"
#include "schema.h"
#include "tls.h"
#include "util.h"

struct server;

/* Everything is borrowed and must outlive the server. */
struct server_options {
	const char *address; /* "0.0.0.0", "127.0.0.1" */
	int port;            /* HTTPS */
	int health_port;     /* plain HTTP */
	int threads;         /* checks at once; HTTPS workers: TK_SPARE_WORKERS more */
	int request_timeout_ms;
	int keep_alive_timeout_ms;
	int64_t max_connection_age_ms; /* then Connection: close; 0: never */
	int64_t api_timeout_ms;        /* budget of the cluster checks per request */
	struct tls *tls;
	struct metrics *metrics;
	const struct schema_config *schema;
	struct access *access; /* NULL: no cluster checks */
	/* The checks' watch caches: /readyz answers 503 until they synced.
	 * NULL: none. */
	const struct cache *cache;
	/* Bytes of the requests in flight; NULL: unbounded. */
	struct membudget *budget;
};

/*
 * Start both listeners. Returns 0 and *out, or a negative errno with one
 * clear line in err (e.g. `cannot listen on 0.0.0.0:9443: ...`).
 */
int server_start(const struct server_options *o, struct server **out,
                 struct buf *err) TK_MUST_CHECK;

/*
 * Start draining: /readyz answers 503 from now on, so the Service stops
 * sending new connections, while every request is still served.
 */
void server_drain(struct server *s);

/*
 * Graceful stop: /readyz turns 503, the listeners close, requests in
 * flight finish and are answered, then everything is released. NULL is
 * fine.
 */
void server_stop(struct server *s);

#endif

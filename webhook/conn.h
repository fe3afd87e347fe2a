/*
 * conn.h - no stall from idle or slow HTTPS connections.
 *
 * CivetWeb gives each connection a worker thread of its own from accept to
 * close, TLS handshake and keep-alive waits included, and queues the other
 * accepted connections until a worker is free. So clients that connect and
 * send nothing, or trickle a byte a second, hold every worker for the
 * request timeout while a well-formed request waits in the queue.
 *
 * The guard tracks each worker's connection through the libssl.so shim
 * (sslshim.h): its phase (TLS handshake, waiting for the first request,
 * request headers, request body, inside our handler, idle keep-alive) and
 * when it last received a byte. While the workers are contended (fewer than
 * CONN_MIN_FREE_WORKERS free), a watchdog thread closes at once, with
 * shutdown(2), which wakes the worker's poll so CivetWeb drops the
 * connection, every connection outside our handler that has received
 * nothing for a grace that depends on what its client has to do (see the
 * defaults below), or whose handshake or headers still are not complete
 * after slow_ms. Without contention nothing changes: CivetWeb's own request
 * and keep-alive timeouts apply. A connection inside our handler (its
 * body read and its checks) is never closed, but its body may be: a body
 * that receives nothing for slow_ms under contention is closed too.
 *
 * The decision is the pure function conn_pick, unit-tested on its own.
 */
#ifndef THURKUBE_WEBHOOK_CONN_H
#define THURKUBE_WEBHOOK_CONN_H

#include "compat.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "sslshim.h"

/*
 * Defaults of --evict-idle-ms, --evict-grace-ms and --evict-slow-ms. Under
 * contention a connection is judged by what its client has to do. Where it
 * only has to send what it has (the rest of its ClientHello, its request
 * after the handshake, the rest of its headers, a next request), its bytes
 * follow each other within a round trip; 25 ms of silence (bytes waiting
 * unread in the socket do not count as silence) catches clients that wait
 * on purpose, and only a client descheduled that long, or a lost segment,
 * besides. Before its ClientHello and after our handshake flight the
 * client computes keys and verifies our certificate: 50 ms. And 250 ms is
 * ample for one step of a handshake or a header block, or a pause inside
 * a body. Shorter graces drain the queue faster but close well-formed
 * clients too when the CPUs are busy: with 10 and 20 ms, about one request
 * in a hundred under tests/webhook/run-stall-test's attack, with both
 * cores loaded by other work, was closed after its handshake before it
 * could send (curl: empty reply); with 25 and 50 ms none of 160.
 */
#define CONN_DEFAULT_IDLE_MS  25
#define CONN_DEFAULT_GRACE_MS 50
#define CONN_DEFAULT_SLOW_MS  250
/* Contended: fewer free workers than this. */
#define CONN_MIN_FREE_WORKERS 1
/*
 * Victims closed per look, the longest quiet first; with more past their
 * deadline the watchdog looks again CONN_EVICT_PAUSE_MS later, once the
 * freed workers have taken the next connections, and goes on only while
 * the workers are still all busy. Closing every connection past its
 * deadline at once also closed well-formed clients that were merely
 * descheduled on loaded CPUs (tests/webhook/run-stall-test with --threads
 * 64: 160 attackers on 96 workers, 2 cores: about one request in 40 got
 * no answer); closing only as many as the queue needs spares them, since
 * attackers that send nothing are always quiet longer.
 */
#define CONN_EVICT_BATCH    4
#define CONN_EVICT_PAUSE_MS 1

enum conn_phase {
	CONN_FREE,      /* no connection on this worker */
	CONN_HELLO,     /* TLS handshake, no byte yet: the client may still
	                   compute its key share */
	CONN_HELLO_RX,  /* TLS handshake, the ClientHello arriving */
	CONN_HANDSHAKE, /* TLS handshake, our flight sent: the client computes */
	CONN_WAIT,      /* handshake done, no byte of the first request yet */
	CONN_HEADERS,   /* request line and headers arriving */
	CONN_BODY,      /* our handler reads the body */
	CONN_HANDLER,   /* our handler checks and answers: never evicted */
	CONN_IDLE,      /* answered, waiting for the next keep-alive request */
};

enum conn_reason {
	CONN_KEEP,
	CONN_EVICT_IDLE,    /* waiting for a request (WAIT, IDLE) */
	CONN_EVICT_STALLED, /* nothing received inside a handshake, headers
	                       or a body */
	CONN_EVICT_SLOW,    /* handshake or headers not done after slow_ms */
};

struct conn_limits {
	int64_t idle_ms;  /* HELLO_RX, WAIT, HEADERS, IDLE: nothing received */
	int64_t grace_ms; /* HELLO, HANDSHAKE: nothing received; 0: never evict */
	int64_t slow_ms;  /* in one handshake step or HEADERS; BODY: nothing */
};

/* One worker's connection as the watchdog sees it. Times in ms of the
 * monotonic clock (now_ms). */
struct conn_view {
	enum conn_phase phase;
	int64_t since_ms;    /* phase entered */
	int64_t progress_ms; /* last byte received (or phase entered) */
	bool evicted;        /* already shut down, not yet freed */
	bool pending;        /* bytes wait unread in the socket: the client
	                        sent, our worker has not read yet */
};

struct conn_victim {
	size_t index; /* into the view table */
	enum conn_reason reason;
};

/*
 * The eviction decision. Takes the table of n worker views (free workers
 * included, as CONN_FREE), the number of workers, the time and the limits.
 * Writes at most max victims to out, oldest progress first, and returns
 * their number. A connection with pending bytes is never a victim: its
 * client is not the one waiting. *next_ms gets the time at which, if nothing changes, the
 * next connection would become a victim, or -1 when none would (not
 * contended, nothing evictable, or eviction off): the watchdog sleeps until
 * then or until a connection changes phase.
 */
size_t conn_pick(const struct conn_view *v, size_t n, size_t workers, int64_t now,
                 const struct conn_limits *l, struct conn_victim *out, size_t max,
                 int64_t *next_ms);

/*
 * The phase a connection moves to when the shim reports ev during phase p.
 * ok: the handshake finished (SSLSHIM_HANDSHAKE), bytes were sent
 * (SSLSHIM_WRITE); progressed: bytes arrived. Phases our handler set
 * (BODY, HANDLER) are left to it.
 */
enum conn_phase conn_next_phase(enum conn_phase p, enum sslshim_event ev, bool ok, bool progressed);

/* "idle", "stalled", "slow" (the reason label of the metric). */
const char *conn_reason_name(enum conn_reason r);

struct conn_guard;

struct conn_guard_options {
	size_t workers; /* --threads of the HTTPS listener */
	struct conn_limits limits;
	struct metrics *metrics; /* borrowed; thurkube_webhook_connections_evicted_total */
};

/*
 * Install the shim's hooks and start the watchdog. 0 and *out; -ENOTSUP
 * when the process has no shim (nothing is watched then: say so and go
 * on), -EBUSY when a guard already runs, -ENOMEM, or a negative errno of
 * pthread_create. With limits.grace_ms 0 the guard still tracks phases but
 * never evicts. Start it before the HTTPS listener and stop it after it.
 */
int conn_guard_start(const struct conn_guard_options *o, struct conn_guard **out) TK_MUST_CHECK;

/* The hooks g installed in the shim, borrowed from g: unit tests call
 * them as the shim would. */
const struct sslshim_hooks *conn_test_hooks(const struct conn_guard *g);

/* Remove the hooks, stop the watchdog, free. NULL is fine. */
void conn_guard_stop(struct conn_guard *g);

/*
 * Called by a request handler on its worker thread: the connection of this
 * thread enters phase p (CONN_BODY, CONN_HANDLER, CONN_IDLE when answered).
 * Does nothing on a thread that carries no tracked connection.
 */
void conn_set_phase(enum conn_phase p);

#endif

/* conn.c - the connection guard: phases from the libssl.so shim, eviction
 * of idle and slow connections while the workers are contended. */
#include "compat.h"

#include "conn.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "util.h"

struct conn_guard;

/*
 * One worker's connection. ssl and fd change only under the guard's mutex
 * (by the worker on attach and detach), so the watchdog's shutdown never
 * reaches a descriptor that was closed and reused: CivetWeb frees the SSL,
 * which detaches, before it closes the socket. The times are atomics the
 * worker writes on every read and the watchdog reads.
 */
struct conn_slot {
	struct conn_guard *g;
	void *ssl; /* NULL: free */
	int fd;
	_Atomic int phase;
	_Atomic int64_t since_ms;
	_Atomic int64_t progress_ms;
	atomic_bool evicted;
};

struct conn_guard {
	struct conn_guard_options o;
	struct sslshim_hooks hooks;
	sslshim_set_hooks_fn *set_hooks;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a phase changed, or stop */
	pthread_t watchdog;
	bool stop; /* under mu */
	/* Under mu: when the watchdog looks again by itself (ms of now_ms),
	 * INT64_MAX when it waits for a signal while the workers are
	 * contended, -1 when it waits because they are not (or eviction is
	 * off). A phase change signals only when it brings a deadline before
	 * this: without contention no phase change wakes the watchdog, which
	 * was five wake-ups of a thread per request. */
	int64_t wake_at;
	struct conn_view *views;
	struct conn_victim *victims;
	struct conn_slot *slots;
};

/*
 * The shim has one set of hooks per process, so there is one guard; and the
 * hooks and handlers find their worker's slot through a thread-local
 * pointer, set between attach and detach on that worker.
 */
static struct conn_guard *_Atomic conn_active;
static _Thread_local struct conn_slot *conn_tl;

const char *conn_reason_name(enum conn_reason r)
{
	switch (r) {
	case CONN_EVICT_IDLE:
		return "idle";
	case CONN_EVICT_STALLED:
		return "stalled";
	case CONN_EVICT_SLOW:
		return "slow";
	case CONN_KEEP:
		break;
	}
	return "keep";
}

enum conn_phase conn_next_phase(enum conn_phase p, enum sslshim_event ev, bool ok, bool progressed)
{
	switch (ev) {
	case SSLSHIM_FLIGHT:
		return p == CONN_HELLO || p == CONN_HELLO_RX ? CONN_HANDSHAKE : p;
	case SSLSHIM_HANDSHAKE:
		if (ok && (p == CONN_HELLO || p == CONN_HELLO_RX || p == CONN_HANDSHAKE))
			return CONN_WAIT;
		return p == CONN_HELLO && progressed ? CONN_HELLO_RX : p;
	case SSLSHIM_READ:
		return progressed && (p == CONN_WAIT || p == CONN_IDLE) ? CONN_HEADERS : p;
	case SSLSHIM_WRITE:
		/* CivetWeb answered by itself (404, 400): it reads the next
		 * request now. */
		return ok && (p == CONN_WAIT || p == CONN_HEADERS) ? CONN_IDLE : p;
	}
	return p;
}

/* When v becomes a victim, and why; CONN_KEEP for never. */
static enum conn_reason conn_deadline(const struct conn_view *v, const struct conn_limits *l,
                                      int64_t *at)
{
	int64_t quiet = v->progress_ms + l->idle_ms, slow = v->since_ms + l->slow_ms, stall;

	switch (v->phase) {
	case CONN_WAIT:
	case CONN_IDLE:
		*at = quiet;
		return CONN_EVICT_IDLE;
	case CONN_HELLO:
	case CONN_HELLO_RX:
	case CONN_HANDSHAKE:
	case CONN_HEADERS:
		stall = v->phase == CONN_HELLO || v->phase == CONN_HANDSHAKE
		            ? v->progress_ms + l->grace_ms
		            : quiet;
		*at = stall <= slow ? stall : slow;
		return stall <= slow ? CONN_EVICT_STALLED : CONN_EVICT_SLOW;
	case CONN_BODY:
		*at = v->progress_ms + l->slow_ms;
		return CONN_EVICT_STALLED;
	case CONN_FREE:
	case CONN_HANDLER:
		break;
	}
	return CONN_KEEP;
}

size_t conn_pick(const struct conn_view *v, size_t n, size_t workers, int64_t now,
                 const struct conn_limits *l, struct conn_victim *out, size_t max, int64_t *next_ms)
{
	size_t i, j, busy = 0, k = 0;

	*next_ms = -1;
	for (i = 0; i < n; i++)
		busy += v[i].phase != CONN_FREE;
	if (l->grace_ms <= 0 || (busy < workers && workers - busy >= CONN_MIN_FREE_WORKERS))
		return 0;
	for (i = 0; i < n; i++) {
		int64_t at;
		enum conn_reason r = v[i].evicted ? CONN_KEEP : conn_deadline(&v[i], l, &at);

		if (r == CONN_KEEP)
			continue;
		if (v[i].pending && at <= now)
			at = now + l->idle_ms;
		if (at > now) {
			if (*next_ms < 0 || at < *next_ms)
				*next_ms = at;
			continue;
		}
		/* Insert by progress, oldest first; past max, look again now. */
		for (j = k; j > 0 && v[out[j - 1].index].progress_ms > v[i].progress_ms; j--)
			;
		if (j >= max) {
			*next_ms = now;
			continue;
		}
		if (k == max) {
			*next_ms = now;
			k--;
		}
		memmove(out + j + 1, out + j, (k - j) * sizeof(*out));
		out[j] = (struct conn_victim){i, r};
		k++;
	}
	return k;
}

/* The worker's slot moves to phase p; the watchdog recomputes if the new
 * phase has a deadline before the time it would look anyway. */
static void conn_enter(struct conn_slot *s, enum conn_phase p, int64_t now)
{
	struct conn_guard *g = s->g;
	struct conn_view v = {p, now, now, false, false};
	int64_t at;

	pthread_mutex_lock(&g->mu);
	atomic_store(&s->since_ms, now);
	atomic_store(&s->progress_ms, now);
	atomic_store(&s->phase, (int)p);
	if (g->wake_at >= 0 && conn_deadline(&v, &g->o.limits, &at) != CONN_KEEP && at < g->wake_at)
		pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

static void conn_on_attach(void *ud, void *ssl, int fd)
{
	struct conn_guard *g = ud;
	struct conn_slot *s = NULL;
	int64_t now = now_ms();
	size_t i;

	pthread_mutex_lock(&g->mu);
	if (conn_tl) { /* freed without SSL_free: cannot happen, but be safe */
		conn_tl->ssl = NULL;
		atomic_store(&conn_tl->phase, (int)CONN_FREE);
	}
	for (i = 0; i < g->o.workers && !s; i++)
		if (!g->slots[i].ssl)
			s = &g->slots[i];
	/* More connections than workers cannot happen with CivetWeb; such
	 * a one would simply go unwatched. */
	if (s) {
		s->ssl = ssl;
		s->fd = fd;
		atomic_store(&s->evicted, false);
		atomic_store(&s->since_ms, now);
		atomic_store(&s->progress_ms, now);
		atomic_store(&s->phase, (int)CONN_HELLO);
		pthread_cond_signal(&g->cv);
	}
	conn_tl = s;
	pthread_mutex_unlock(&g->mu);
}

static void conn_on_event(void *ud, void *ssl, enum sslshim_event ev, int ok, int progressed)
{
	struct conn_slot *s = conn_tl;
	enum conn_phase p, next;
	int64_t now;

	(void)ud;
	if (!s || s->ssl != ssl)
		return;
	p = (enum conn_phase)atomic_load(&s->phase);
	next = conn_next_phase(p, ev, ok != 0, progressed != 0);
	if (next == p && !progressed)
		return;
	now = now_ms();
	if (next != p)
		conn_enter(s, next, now);
	else
		atomic_store(&s->progress_ms, now);
}

static void conn_on_detach(void *ud, void *ssl)
{
	struct conn_guard *g = ud;
	struct conn_slot *s = conn_tl;

	if (!s || s->ssl != ssl)
		return;
	pthread_mutex_lock(&g->mu);
	s->ssl = NULL;
	s->fd = -1;
	atomic_store(&s->phase, (int)CONN_FREE);
	pthread_mutex_unlock(&g->mu);
	conn_tl = NULL;
}

void conn_set_phase(enum conn_phase p)
{
	struct conn_slot *s = conn_tl;

	if (s && s->ssl && atomic_load(&s->phase) != (int)p)
		conn_enter(s, p, now_ms());
}

static void conn_evict(struct conn_guard *g, const struct conn_victim *v)
{
	struct conn_slot *s = &g->slots[v->index];
	struct buf l = BUF_INIT(128);

	char phase[8], quiet[24];

	snprintf(phase, sizeof(phase), "%d", atomic_load(&s->phase));
	snprintf(quiet, sizeof(quiet), "%lld",
	         (long long)(now_ms() - atomic_load(&s->progress_ms)));
	log_debug("connection evicted", "reason", conn_reason_name(v->reason), "phase", phase,
	          "quiet_ms", quiet);
	atomic_store(&s->evicted, true);
	/* Wakes the worker's poll; CivetWeb's read fails and it closes. */
	shutdown(s->fd, SHUT_RDWR);
	metrics_counter_add(
	    g->o.metrics, "thurkube_webhook_connections_evicted_total",
	    "HTTPS connections closed while the workers were contended, by reason "
	    "(idle: waiting for a request; stalled: receiving nothing; slow: "
	    "handshake or headers too slow)",
	    metrics_labels(&l, "reason", conn_reason_name(v->reason), (const char *)NULL), 1);
	buf_free(&l);
}

static void *conn_watch(void *arg)
{
	struct conn_guard *g = arg;
	size_t i, k, batch = g->o.workers < CONN_EVICT_BATCH ? g->o.workers : CONN_EVICT_BATCH;
	int64_t next;

	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		size_t busy = 0;

		for (i = 0; i < g->o.workers; i++)
			busy += g->slots[i].ssl != NULL;
		/* Not contended: nothing to look at until a connection comes
		 * (conn_on_attach signals). */
		if (g->o.limits.grace_ms <= 0 || g->o.workers - busy >= CONN_MIN_FREE_WORKERS) {
			g->wake_at = -1;
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		for (i = 0; i < g->o.workers; i++) {
			const struct conn_slot *s = &g->slots[i];
			int unread = 0;

			if (s->ssl && ioctl(s->fd, FIONREAD, &unread) < 0)
				unread = 0;
			g->views[i] = (struct conn_view){
			    s->ssl ? (enum conn_phase)atomic_load(&s->phase) : CONN_FREE,
			    atomic_load(&s->since_ms), atomic_load(&s->progress_ms),
			    atomic_load(&s->evicted), unread > 0};
		}
		k = conn_pick(g->views, g->o.workers, g->o.workers, now_ms(), &g->o.limits,
		              g->victims, batch, &next);
		for (i = 0; i < k; i++) {
			size_t v = g->victims[i].index;

			/* Bytes read since the view was taken: not quiet after all
			 * (phase changes wait for the mutex, reads do not). */
			if (atomic_load(&g->slots[v].progress_ms) == g->views[v].progress_ms)
				conn_evict(g, &g->victims[i]);
			else if (next < 0 || next > now_ms() + g->o.limits.idle_ms)
				next = now_ms() + g->o.limits.idle_ms;
		}
		if (k == batch && next >= 0 && next < now_ms() + CONN_EVICT_PAUSE_MS)
			next = now_ms() + CONN_EVICT_PAUSE_MS;
		g->wake_at = next < 0 ? INT64_MAX : next;
		if (next < 0) {
			pthread_cond_wait(&g->cv, &g->mu);
		} else {
			struct timespec ts = mono_after_ms(next - now_ms());

			pthread_cond_timedwait(&g->cv, &g->mu, &ts);
		}
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

static void conn_free(struct conn_guard *g)
{
	free(g->views);
	free(g->victims);
	free(g->slots);
	free(g);
}

/* The shim's setter, if this process has the shim. */
static sslshim_set_hooks_fn *conn_find_shim(void)
{
	void *self = dlopen(NULL, RTLD_NOW);
	sslshim_set_hooks_fn *fn = NULL;

	if (self) {
		*(void **)&fn = dlsym(self, SSLSHIM_SET_HOOKS);
		dlclose(self);
	}
	return fn;
}

int conn_guard_start(const struct conn_guard_options *o, struct conn_guard **out)
{
	struct conn_guard *g = calloc(1, sizeof(*g)), *none = NULL;
	size_t i;
	int r;

	if (!g)
		return -ENOMEM;
	g->o = *o;
	g->slots = calloc(o->workers ? o->workers : 1, sizeof(*g->slots));
	g->views = calloc(o->workers ? o->workers : 1, sizeof(*g->views));
	g->victims = calloc(o->workers ? o->workers : 1, sizeof(*g->victims));
	if (!g->slots || !g->views || !g->victims) {
		conn_free(g);
		return -ENOMEM;
	}
	for (i = 0; i < o->workers; i++)
		g->slots[i] = (struct conn_slot){.g = g, .fd = -1};
	/* Until the watchdog's first look, every phase change signals. */
	g->wake_at = INT64_MAX;
	g->set_hooks = conn_find_shim();
	if (!g->set_hooks) {
		conn_free(g);
		return -ENOTSUP;
	}
	if (!atomic_compare_exchange_strong(&conn_active, &none, g)) {
		conn_free(g);
		return -EBUSY;
	}
	pthread_mutex_init(&g->mu, NULL);
	cond_init_mono(&g->cv);
	r = -pthread_create(&g->watchdog, NULL, conn_watch, g);
	if (r < 0) {
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
		atomic_store(&conn_active, NULL);
		conn_free(g);
		return r;
	}
	g->hooks = (struct sslshim_hooks){g, conn_on_attach, conn_on_event, conn_on_detach};
	g->set_hooks(&g->hooks);
	*out = g;
	return 0;
}

const struct sslshim_hooks *conn_test_hooks(const struct conn_guard *g)
{
	return &g->hooks;
}

void conn_guard_stop(struct conn_guard *g)
{
	if (!g)
		return;
	/* The listener is stopped and its workers joined: no hook runs. */
	g->set_hooks(NULL);
	pthread_mutex_lock(&g->mu);
	g->stop = true;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->watchdog, NULL);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	atomic_store(&conn_active, NULL);
	conn_free(g);
}

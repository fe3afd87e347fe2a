/* queue.c - FIFO + dirty/processing sets + a min-heap of delayed keys. */
#include "compat.h"

#include "runtime/queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "runtime/kmap.h"
#include "util.h"

struct waiter {
	char *key;
	int64_t due;
	size_t idx; /* position in the heap */
};

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	queue_clock_fn clock;
	void *clock_ud;
	bool shutdown;

	char **fifo; /* ring buffer of owned keys */
	size_t head, len, cap;

	struct kmap *dirty;      /* queued or to be re-queued on done */
	struct kmap *processing; /* handed out, not done yet */
	struct kmap *failures;   /* key -> (intptr_t)count */
	struct kmap *waiting;    /* key -> struct waiter * */
	struct waiter **heap;    /* min-heap on due */
	size_t nheap, capheap;

	uint64_t adds, retries;
};

#define MARK ((void *)1)

static int64_t queue_now(struct queue *q)
{
	return q->clock ? q->clock(q->clock_ud) : now_ms();
}

struct queue *queue_new(queue_clock_fn clock, void *ud)
{
	struct queue *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->clock = clock;
	q->clock_ud = ud;
	q->dirty = kmap_new();
	q->processing = kmap_new();
	q->failures = kmap_new();
	q->waiting = kmap_new();
	if (!q->dirty || !q->processing || !q->failures || !q->waiting)
		goto fail;
	if (cond_init_mono(&q->cond) != 0)
		goto fail;
	pthread_mutex_init(&q->lock, NULL);
	return q;
fail:
	kmap_free(q->dirty, NULL);
	kmap_free(q->processing, NULL);
	kmap_free(q->failures, NULL);
	kmap_free(q->waiting, NULL);
	free(q);
	return NULL;
}

void queue_free(struct queue *q)
{
	size_t i;

	if (!q)
		return;
	for (i = 0; i < q->len; i++)
		free(q->fifo[(q->head + i) % q->cap]);
	free(q->fifo);
	for (i = 0; i < q->nheap; i++) {
		free(q->heap[i]->key);
		free(q->heap[i]);
	}
	free(q->heap);
	kmap_free(q->dirty, NULL);
	kmap_free(q->processing, NULL);
	kmap_free(q->failures, NULL);
	kmap_free(q->waiting, NULL);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static int fifo_push(struct queue *q, const char *key)
{
	char *dup;

	if (q->len == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64, i;
		char **v = malloc(cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		for (i = 0; i < q->len; i++)
			v[i] = q->fifo[(q->head + i) % q->cap];
		free(q->fifo);
		q->fifo = v;
		q->cap = cap;
		q->head = 0;
	}
	dup = xstrdup(key);
	if (!dup)
		return -ENOMEM;
	q->fifo[(q->head + q->len) % q->cap] = dup;
	q->len++;
	return 0;
}

static char *fifo_pop(struct queue *q)
{
	char *key;

	if (q->len == 0)
		return NULL;
	key = q->fifo[q->head];
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return key;
}

/* The add of client-go: merge with queued/dirty, defer while processing. */
static int queue_add_locked(struct queue *q, const char *key)
{
	int r;

	if (kmap_get(q->dirty, key))
		return 0;
	r = kmap_put(q->dirty, key, MARK, NULL);
	if (r < 0)
		return r;
	q->adds++;
	if (kmap_get(q->processing, key))
		return 0;
	r = fifo_push(q, key);
	if (r < 0) {
		kmap_del(q->dirty, key);
		q->adds--;
		return r;
	}
	pthread_cond_signal(&q->cond);
	return 0;
}

int queue_add(struct queue *q, const char *key)
{
	int r;

	pthread_mutex_lock(&q->lock);
	r = q->shutdown ? -ESHUTDOWN : queue_add_locked(q, key);
	pthread_mutex_unlock(&q->lock);
	return r;
}

static void heap_swap(struct queue *q, size_t a, size_t b)
{
	struct waiter *t = q->heap[a];

	q->heap[a] = q->heap[b];
	q->heap[b] = t;
	q->heap[a]->idx = a;
	q->heap[b]->idx = b;
}

static void heap_up(struct queue *q, size_t i)
{
	while (i > 0 && q->heap[(i - 1) / 2]->due > q->heap[i]->due) {
		heap_swap(q, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct queue *q, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < q->nheap && q->heap[l]->due < q->heap[m]->due)
			m = l;
		if (r < q->nheap && q->heap[r]->due < q->heap[m]->due)
			m = r;
		if (m == i)
			return;
		heap_swap(q, i, m);
		i = m;
	}
}

static int queue_wait_locked(struct queue *q, const char *key, int64_t due)
{
	struct waiter *w = kmap_get(q->waiting, key);
	int r;

	if (w) {
		if (due < w->due) {
			w->due = due;
			heap_up(q, w->idx);
		}
		return 0;
	}
	if (q->nheap == q->capheap) {
		size_t cap = q->capheap ? q->capheap * 2 : 64;
		struct waiter **h = realloc(q->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		q->heap = h;
		q->capheap = cap;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->key = xstrdup(key))) {
		free(w);
		return -ENOMEM;
	}
	r = kmap_put(q->waiting, key, w, NULL);
	if (r < 0) {
		free(w->key);
		free(w);
		return r;
	}
	w->due = due;
	w->idx = q->nheap;
	q->heap[q->nheap++] = w;
	heap_up(q, w->idx);
	/* A waiter sleeping until a later time must recompute its deadline. */
	pthread_cond_broadcast(&q->cond);
	return 0;
}

int queue_add_after(struct queue *q, const char *key, int64_t delay_ms)
{
	int r;

	pthread_mutex_lock(&q->lock);
	if (q->shutdown)
		r = -ESHUTDOWN;
	else if (delay_ms <= 0)
		r = queue_add_locked(q, key);
	else
		r = queue_wait_locked(q, key, queue_now(q) + delay_ms);
	pthread_mutex_unlock(&q->lock);
	return r;
}

int64_t queue_backoff_ms(int failures)
{
	int64_t d = QUEUE_BACKOFF_BASE_MS;
	int i;

	for (i = 0; i < failures && d < QUEUE_BACKOFF_MAX_MS; i++)
		d *= 2;
	return d < QUEUE_BACKOFF_MAX_MS ? d : QUEUE_BACKOFF_MAX_MS;
}

int queue_add_rate_limited(struct queue *q, const char *key, int64_t *delay_ms)
{
	intptr_t n;
	int64_t d;
	int r;

	pthread_mutex_lock(&q->lock);
	if (q->shutdown) {
		r = -ESHUTDOWN;
		goto out;
	}
	n = (intptr_t)kmap_get(q->failures, key); /* stored as count + 1 */
	n = n ? n - 1 : 0;
	d = queue_backoff_ms((int)(n < 64 ? n : 64));
	r = kmap_put(q->failures, key, (void *)(n + 2), NULL);
	if (r < 0)
		goto out;
	q->retries++;
	r = queue_wait_locked(q, key, queue_now(q) + d);
	if (r == 0 && delay_ms)
		*delay_ms = d;
out:
	pthread_mutex_unlock(&q->lock);
	return r;
}

void queue_forget(struct queue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	kmap_del(q->failures, key);
	pthread_mutex_unlock(&q->lock);
}

int queue_num_requeues(struct queue *q, const char *key)
{
	intptr_t n;

	pthread_mutex_lock(&q->lock);
	n = (intptr_t)kmap_get(q->failures, key);
	pthread_mutex_unlock(&q->lock);
	return n ? (int)(n - 1) : 0;
}

/* Move every waiter whose time has come into the FIFO. A key that cannot
 * be added for lack of memory stays waiting and is retried next time. */
static void queue_promote_locked(struct queue *q, int64_t now)
{
	while (q->nheap > 0 && q->heap[0]->due <= now) {
		struct waiter *w = q->heap[0];

		if (queue_add_locked(q, w->key) < 0)
			return;
		q->heap[0] = q->heap[--q->nheap];
		if (q->nheap > 0) {
			q->heap[0]->idx = 0;
			heap_down(q, 0);
		}
		kmap_del(q->waiting, w->key);
		free(w->key);
		free(w);
	}
}

static int queue_take_locked(struct queue *q, char **key)
{
	char *k;
	int r;

	if (q->shutdown)
		return -ESHUTDOWN;
	queue_promote_locked(q, queue_now(q));
	if (q->len == 0)
		return -EAGAIN;
	k = q->fifo[q->head];
	r = kmap_put(q->processing, k, MARK, NULL);
	if (r < 0)
		return r;
	fifo_pop(q);
	kmap_del(q->dirty, k);
	*key = k;
	return 0;
}

int queue_try_get(struct queue *q, char **key)
{
	int r;

	pthread_mutex_lock(&q->lock);
	r = queue_take_locked(q, key);
	pthread_mutex_unlock(&q->lock);
	return r;
}

int queue_get(struct queue *q, int64_t wait_ms, char **key)
{
	int64_t start = now_ms();
	int r;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct timespec ts;
		int64_t sleep_ms = -1, left;

		r = queue_take_locked(q, key);
		if (r != -EAGAIN)
			break;
		if (wait_ms >= 0) {
			left = wait_ms - (now_ms() - start);
			if (left <= 0)
				break;
			sleep_ms = left;
		}
		if (q->nheap > 0) {
			int64_t due = q->heap[0]->due - queue_now(q);

			if (due < 1)
				due = 1;
			if (sleep_ms < 0 || due < sleep_ms)
				sleep_ms = due;
		}
		if (sleep_ms < 0) {
			pthread_cond_wait(&q->cond, &q->lock);
			continue;
		}
		ts = mono_after_ms(sleep_ms);
		pthread_cond_timedwait(&q->cond, &q->lock, &ts);
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

void queue_done(struct queue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	kmap_del(q->processing, key);
	/* Re-added while it was processed: queue it again now. */
	if (kmap_get(q->dirty, key)) {
		if (fifo_push(q, key) == 0)
			pthread_cond_signal(&q->cond);
		else
			kmap_del(q->dirty,
			         key); /* lost for now; the next event or resync adds it */
	}
	pthread_mutex_unlock(&q->lock);
}

void queue_shutdown(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->shutdown = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

bool queue_shutting_down(struct queue *q)
{
	bool s;

	pthread_mutex_lock(&q->lock);
	s = q->shutdown;
	pthread_mutex_unlock(&q->lock);
	return s;
}

void queue_stats(struct queue *q, struct queue_stats *out)
{
	pthread_mutex_lock(&q->lock);
	out->depth = q->len;
	out->delayed = q->nheap;
	out->processing = kmap_len(q->processing);
	out->adds = q->adds;
	out->retries = q->retries;
	pthread_mutex_unlock(&q->lock);
}

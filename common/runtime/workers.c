/* workers.c - threads that drain a work queue through a callback. */
#include "compat.h"

#include "runtime/workers.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "log.h"
#include "util.h"

struct workers {
	struct workers_opts o;
	pthread_t *threads;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* signalled as each thread exits */
	int running;       /* under mu */
};

static void workers_requeue(struct workers *w, const char *key, int r)
{
	int qr = 0;

	if (r < 0) {
		qr = queue_add_rate_limited(w->o.queue, key, NULL);
	} else {
		queue_forget(w->o.queue, key);
		if (r > 0)
			qr = queue_add_after(w->o.queue, key, (int64_t)r * 1000);
	}
	if (qr < 0 && qr != -ESHUTDOWN)
		log_error("cannot requeue", "key", key, "error", strerror(-qr));
}

static void *workers_main(void *arg)
{
	struct workers *w = arg;
	char *key;

	while (queue_get(w->o.queue, -1, &key) == 0) {
		workers_requeue(w, key, w->o.process(w->o.ud, key));
		queue_done(w->o.queue, key);
		free(key);
	}
	pthread_mutex_lock(&w->mu);
	w->running--;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int workers_start(const struct workers_opts *o, struct workers **out)
{
	struct workers *w;
	int i, r = 0;

	if (!o->queue || o->n < 1 || !o->process)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->threads = calloc((size_t)o->n, sizeof(*w->threads));
	if (!w->threads) {
		free(w);
		return -ENOMEM;
	}
	w->o = *o;
	pthread_mutex_init(&w->mu, NULL);
	cond_init_mono(&w->cv);
	for (i = 0; i < o->n; i++) {
		pthread_mutex_lock(&w->mu);
		w->running++;
		pthread_mutex_unlock(&w->mu);
		r = -pthread_create(&w->threads[i], NULL, workers_main, w);
		if (r < 0) {
			pthread_mutex_lock(&w->mu);
			w->running--;
			pthread_mutex_unlock(&w->mu);
			break;
		}
		w->started++;
	}
	*out = w; /* also on failure: the started threads must be waited for */
	return r;
}

int workers_running(struct workers *w)
{
	int n;

	pthread_mutex_lock(&w->mu);
	n = w->running;
	pthread_mutex_unlock(&w->mu);
	return n;
}

bool workers_wait(struct workers *w, int64_t ms)
{
	struct timespec until = mono_after_ms(ms);
	bool done;
	int r = 0;

	pthread_mutex_lock(&w->mu);
	while (w->running > 0 && r == 0 && ms != 0)
		r = ms < 0 ? pthread_cond_wait(&w->cv, &w->mu)
		           : pthread_cond_timedwait(&w->cv, &w->mu, &until);
	done = w->running == 0;
	pthread_mutex_unlock(&w->mu);
	return done;
}

void workers_free(struct workers *w)
{
	int i;

	if (!w)
		return;
	for (i = 0; i < w->started; i++)
		pthread_join(w->threads[i], NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->threads);
	free(w);
}

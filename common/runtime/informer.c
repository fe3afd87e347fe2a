/* informer.c - the list/watch loop of one resource. */
#include "compat.h"

#include "runtime/informer.h"

#include <stdatomic.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "jsonutil.h"
#include "log.h"
#include "stopflag.h"
#include "util.h"

struct informer {
	struct informer_opts o; /* plural, selector and metrics_prefix owned */
	char *path;             /* collection path, all namespaces */
	pthread_t thread;
	bool started;
	struct stopflag stop;
	atomic_int synced;
	uint64_t rng;
	uint64_t events; /* in the current watch */
};

int64_t informer_next_backoff(int64_t cur_ms)
{
	if (cur_ms <= 0)
		return INFORMER_BACKOFF_INITIAL_MS;
	if (cur_ms >= INFORMER_BACKOFF_MAX_MS / 2)
		return INFORMER_BACKOFF_MAX_MS;
	return cur_ms * 2;
}

static void informer_release(struct informer *inf)
{
	free((char *)inf->o.plural);
	free((char *)inf->o.selector);
	free((char *)inf->o.metrics_prefix);
	free(inf->path);
	stopflag_destroy(&inf->stop);
	free(inf);
}

int informer_new(const struct informer_opts *o, struct informer **out)
{
	struct buf b = BUF_INIT(1024);
	struct informer *inf;
	int ret;

	if (!o->kube || !o->version || !o->plural || !o->store)
		return -EINVAL;
	inf = calloc(1, sizeof(*inf));
	if (!inf)
		return -ENOMEM;
	stopflag_init(&inf->stop);
	inf->o = *o;
	inf->o.plural = xstrdup(o->plural);
	inf->o.selector = xstrdup(o->selector);
	inf->o.metrics_prefix = xstrdup(o->metrics_prefix ? o->metrics_prefix : "thurkube");
	inf->rng = rng_seed((uint64_t)(uintptr_t)inf);
	ret = kube_path(&b, o->group ? o->group : "", o->version, NULL, o->plural, NULL, NULL);
	if (ret == 0 && !(inf->path = buf_steal(&b)))
		ret = -ENOMEM;
	if (ret == 0 &&
	    (!inf->o.plural || !inf->o.metrics_prefix || (o->selector && !inf->o.selector)))
		ret = -ENOMEM;
	buf_free(&b);
	if (ret < 0) {
		informer_release(inf);
		return ret;
	}
	*out = inf;
	return 0;
}

void informer_free(struct informer *inf)
{
	if (inf)
		informer_release(inf);
}

bool informer_synced(const struct informer *inf)
{
	return atomic_load(&inf->synced) != 0;
}

static bool informer_stopping(struct informer *inf)
{
	return stopflag_raised(&inf->stop);
}

static void informer_count_restart(struct informer *inf, const char *reason)
{
	struct buf name = BUF_INIT(256), l = BUF_INIT(256);

	if (inf->o.metrics &&
	    buf_printf(&name, "%s_watch_restarts_total", inf->o.metrics_prefix) == 0)
		metrics_counter_add(inf->o.metrics, name.data,
		                    "Watches ended and restarted, by resource and reason.",
		                    metrics_labels(&l, "resource", inf->o.plural, "reason", reason,
		                                   (const char *)NULL),
		                    1);
	buf_free(&name);
	buf_free(&l);
}

/* Hand a change to the caller; -ENOMEM when it could not be recorded for
 * want of memory (the event then counts as not handled). Other failures
 * are logged here, once. */
static int informer_route(struct informer *inf, json_object *obj, bool deleted,
                          enum informer_source src)
{
	int r = inf->o.on_event ? inf->o.on_event(inf->o.ud, obj, deleted, src) : 0;

	if (r < 0)
		log_warn("cannot handle event", "resource", inf->o.plural, "namespace",
		         jsonutil_namespace(obj), "name", jsonutil_name(obj), "error",
		         strerror(-r));
	return r == -ENOMEM ? r : 0;
}

static int informer_on_event(void *ud, const char *type, json_object *obj)
{
	struct informer *inf = ud;
	json_object *old = NULL;
	int r = 0;

	if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
		r = store_upsert(inf->o.store, obj, &old);
		/* Out of memory: the event is not acknowledged, so the watch
		 * ends without advancing its resourceVersion and the event comes
		 * again after the back-off. */
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return 0; /* no name: nothing to cache */
		if (r == STORE_REFUSED) {
			/* Not (or no longer) ours: what was cached goes as deleted. */
			r = old ? informer_route(inf, old, true, INFORMER_WATCHED) : 0;
		} else {
			r = informer_route(inf, obj, false, INFORMER_WATCHED);
		}
		json_object_put(old);
	} else if (strcmp(type, "DELETED") == 0) {
		json_object_put(
		    store_delete(inf->o.store, jsonutil_namespace(obj), jsonutil_name(obj)));
		r = informer_route(inf, obj, true, INFORMER_WATCHED);
	} else {
		return 0; /* BOOKMARK: the client already advanced the resourceVersion */
	}
	inf->events++;
	return r;
}

/* A list in progress: the store's next contents, and the keys to route. */
struct listing {
	struct informer *inf;
	struct store_batch *batch;
	struct strlist keys; /* "ns/name" or "name" of every kept item */
};

/* kube_list_pages: one page into the batch (compacted there, so the page's
 * trees go with the page), its kept keys noted for routing. */
static int list_page(json_object *items, void *ud)
{
	struct listing *l = ud;
	struct buf key = BUF_INIT(1024);
	size_t i, n = json_object_array_length(items);
	int r;

	r = store_batch_add(l->batch, items);
	for (i = 0; i < n && r == 0; i++) {
		json_object *obj = json_object_array_get_idx(items, i);
		const char *ns = jsonutil_namespace(obj);

		if (!store_keeps(l->inf->o.store, obj))
			continue;
		buf_reset(&key);
		r = *ns ? buf_printf(&key, "%s/%s", ns, jsonutil_name(obj))
		        : buf_puts(&key, jsonutil_name(obj));
		if (r == 0)
			r = strlist_add(&l->keys, key.data);
	}
	buf_free(&key);
	return r;
}

/* Route the listed object of key (read back from the store). */
static int route_key(struct informer *inf, const char *key)
{
	const char *slash = strchr(key, '/');
	char *ns = slash ? xstrndup(key, (size_t)(slash - key)) : NULL;
	json_object *obj;
	int r = 0;

	if (slash && !ns)
		return -ENOMEM;
	obj = store_get(inf->o.store, ns, slash ? slash + 1 : key);
	/* Missing: dropped by a failed copy (no memory); a watch event for
	 * it cannot have come in between, this thread applies them. */
	if (!obj)
		r = -ENOMEM;
	else if (informer_route(inf, obj, false, INFORMER_LISTED) < 0)
		r = -ENOMEM;
	json_object_put(obj);
	free(ns);
	return r;
}

/*
 * LIST into the store a page at a time; *rv receives the list's
 * resourceVersion. The store changes only once the whole list is in, and
 * then the listed objects are routed, read back from it: a compact store
 * never holds a whole list as trees, and a handler never sees a key the
 * store does not have yet.
 */
static int informer_list(struct informer *inf, char **rv)
{
	struct kube_status st = {0};
	struct listing l = {inf, store_batch_new(inf->o.store), {0}};
	json_object *removed = NULL;
	size_t i;
	int r;

	if (!l.batch)
		return -ENOMEM;
	r = kube_list_pages(inf->o.kube, inf->path, inf->o.selector, list_page, &l, rv, &st);
	if (r < 0) {
		log_warn("list failed", "resource", inf->o.plural, "error", strerror(-r), "message",
		         st.message);
		goto out;
	}
	r = store_batch_commit(l.batch, &removed);
	if (r < 0) {
		log_warn("cannot cache list", "resource", inf->o.plural, "error", strerror(-r));
		goto out;
	}
	store_batch_free(l.batch);
	l.batch = NULL;
	for (i = 0; i < l.keys.n; i++)
		if (route_key(inf, l.keys.v[i]) < 0)
			r = -ENOMEM;
	for (i = 0; i < json_object_array_length(removed); i++)
		if (informer_route(inf, json_object_array_get_idx(removed, i), true,
		                   INFORMER_LISTED) < 0)
			r = -ENOMEM;
	/* The pages' trees and the routed copies are gone; glibc would keep
	 * their memory in this thread's arena for good (a list is rare, a
	 * trim cheap). */
	malloc_trim(0);
	/* An event that could not be queued: the cache is right, but list
	 * again after the back-off so that every object is queued. */
	if (r < 0)
		goto out;
	if (inf->o.on_listed)
		inf->o.on_listed(inf->o.ud);
	if (!informer_synced(inf)) {
		log_info("cache synced", "resource", inf->o.plural);
		atomic_store(&inf->synced, 1);
		if (inf->o.on_synced)
			inf->o.on_synced(inf->o.ud);
	}
out:
	store_batch_free(l.batch);
	strlist_free(&l.keys);
	json_object_put(removed);
	return r;
}

/* One watch from *rv. 0: re-watch; -ESTALE: relist; else back off. */
static int informer_watch(struct informer *inf, char **rv)
{
	struct kube_status st = {0};
	int timeout =
	    INFORMER_WATCH_MIN_S +
	    (int)(rng_next(&inf->rng) % (INFORMER_WATCH_MAX_S - INFORMER_WATCH_MIN_S + 1));
	int64_t start = now_ms();
	int r;

	inf->events = 0;
	r = kube_watch(inf->o.kube, inf->path, inf->o.selector, rv, timeout, &inf->stop.raised,
	               informer_on_event, inf, &st);
	if (informer_stopping(inf))
		return 0;
	if (r == 0 && inf->events == 0 && now_ms() - start < 1000)
		r = -EPIPE; /* "very short watch": the server is likely unwell */
	if (r == -ESTALE) {
		informer_count_restart(inf, "expired");
		log_info("watch expired, relisting", "resource", inf->o.plural);
	} else if (r < 0) {
		informer_count_restart(inf, "error");
		log_warn("watch failed", "resource", inf->o.plural, "error", strerror(-r),
		         "message", st.message);
	} else {
		informer_count_restart(inf, "timeout");
	}
	return r;
}

static void *informer_main(void *arg)
{
	struct informer *inf = arg;
	int64_t backoff = 0, healthy_since = now_ms();
	char *rv = NULL;
	bool need_list = true;
	int r;

	while (!informer_stopping(inf)) {
		if (need_list) {
			free(rv);
			rv = NULL;
			r = informer_list(inf, &rv);
			need_list = r < 0;
		} else {
			r = informer_watch(inf, &rv);
			need_list = r == -ESTALE;
			if (need_list)
				r = 0;
		}
		if (r == 0) {
			if (backoff && now_ms() - healthy_since > INFORMER_BACKOFF_RESET_MS)
				backoff = 0;
			continue;
		}
		backoff = informer_next_backoff(backoff);
		healthy_since = now_ms();
		/* Full jitter (factor 1.0): wait in [backoff, 2 * backoff). */
		stopflag_sleep(&inf->stop,
		               backoff + (int64_t)(rng_next(&inf->rng) % (uint64_t)backoff));
	}
	free(rv);
	return NULL;
}

int informer_start(struct informer *inf)
{
	int r = pthread_create(&inf->thread, NULL, informer_main, inf);

	if (r != 0)
		return -r;
	inf->started = true;
	return 0;
}

void informer_stop(struct informer *inf)
{
	stopflag_raise(&inf->stop);
}

void informer_join(struct informer *inf)
{
	if (inf->started)
		pthread_join(inf->thread, NULL);
	inf->started = false;
}

/* informer.c - the list/watch loop of one resource. */
#include "compat.h"

#include "informer.h"

#include <stdatomic.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "stopflag.h"
#include "store.h"
#include "sweep.h"
#include "util.h"

struct informer {
	struct ctl *c;
	enum ctl_res res;
	const struct ctl_res_info *ri;
	struct store *store;
	char *path; /* collection path, all namespaces */
	const char *selector;
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

/* The store filter of namespaced children: only what thurkube controls. */
static bool informer_keeps(json_object *obj, void *ud)
{
	return ctl_child_owner((enum ctl_res)(intptr_t)ud, obj) != NULL;
}

int informer_new(struct ctl *c, enum ctl_res r, struct informer **out)
{
	struct buf b = BUF_INIT(1024);
	struct informer *inf;
	int ret;

	if (!ctl_res_info(r) || !c->stores[r])
		return -EINVAL;
	inf = calloc(1, sizeof(*inf));
	if (!inf)
		return -ENOMEM;
	stopflag_init(&inf->stop);
	inf->c = c;
	inf->res = r;
	inf->ri = ctl_res_info(r);
	inf->store = c->stores[r];
	inf->selector = inf->ri->child ? CTL_LABEL_MANAGED_BY "=" CTL_MANAGED_BY : NULL;
	inf->rng = (uint64_t)now_ms() * 2654435761u ^ ((uint64_t)r << 40) ^ (uint64_t)getpid();
	ret = kube_path(&b, inf->ri->group, inf->ri->version, NULL, inf->ri->plural, NULL, NULL);
	if (ret < 0 || !(inf->path = buf_steal(&b))) {
		buf_free(&b);
		stopflag_destroy(&inf->stop);
		free(inf);
		return ret < 0 ? ret : -ENOMEM;
	}
	if (inf->ri->child && inf->ri->namespaced)
		store_set_filter(inf->store, informer_keeps, (void *)(intptr_t)r);
	*out = inf;
	return 0;
}

void informer_free(struct informer *inf)
{
	if (!inf)
		return;
	free(inf->path);
	stopflag_destroy(&inf->stop);
	free(inf);
}

bool informer_synced(const struct informer *inf)
{
	return atomic_load(&inf->synced) != 0;
}

static bool informer_stopping(struct informer *inf)
{
	return stopflag_raised(&inf->stop);
}

static uint64_t informer_rand(struct informer *inf)
{
	inf->rng ^= inf->rng << 13;
	inf->rng ^= inf->rng >> 7;
	inf->rng ^= inf->rng << 17;
	return inf->rng;
}

static void informer_count(struct informer *inf, const char *name, const char *help,
                           const char *reason)
{
	struct buf l = BUF_INIT(256);

	if (inf->c->metrics)
		metrics_counter_add(inf->c->metrics, name, help,
		                    metrics_labels(&l, "resource", inf->ri->plural, "reason",
		                                   reason, (const char *)NULL),
		                    1);
	buf_free(&l);
}

/* Hand an event to the controller; -ENOMEM when it could not be queued
 * for want of memory (the watch event then counts as not handled). */
static int informer_route(struct informer *inf, json_object *obj, bool deleted)
{
	int r = ctl_handle_event(inf->c, inf->res, obj, deleted);

	if (r < 0)
		log_warn("cannot queue event", "resource", inf->ri->plural, "name",
		         json_object_get_string(json_object_object_get(
		             json_object_object_get(obj, "metadata"), "name")),
		         "error", strerror(-r));
	return r == -ENOMEM ? r : 0;
}

static int informer_on_event(void *ud, const char *type, json_object *obj)
{
	struct informer *inf = ud;
	json_object *old = NULL;
	int r = 0;

	if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
		r = store_upsert(inf->store, obj, &old);
		/* Out of memory: the event is not acknowledged, so the watch
		 * ends without advancing its resourceVersion and the event comes
		 * again after the back-off. */
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return 0; /* no name: nothing to cache */
		if (r == STORE_REFUSED) {
			/* Not (or no longer) ours: what was cached goes as deleted. */
			r = old ? informer_route(inf, old, true) : 0;
		} else {
			r = informer_route(inf, obj, false);
			sweep_notify(inf->c->sweep, inf->res, obj, false);
		}
		json_object_put(old);
	} else if (strcmp(type, "DELETED") == 0) {
		json_object_put(
		    store_delete(inf->store, store_obj_namespace(obj), store_obj_name(obj)));
		r = informer_route(inf, obj, true);
		sweep_notify(inf->c->sweep, inf->res, obj, true);
	} else {
		return 0; /* BOOKMARK: the client already advanced the resourceVersion */
	}
	inf->events++;
	return r;
}

/* LIST into the store; *rv receives the list's resourceVersion. */
static int informer_list(struct informer *inf, char **rv)
{
	struct kube_status st = {0};
	json_object *items = NULL, *removed = NULL;
	size_t i;
	int r;

	r = kube_list(inf->c->kube, inf->path, inf->selector, &items, rv, &st);
	if (r < 0) {
		log_warn("list failed", "resource", inf->ri->plural, "error", strerror(-r),
		         "message", st.message);
		return r;
	}
	r = store_replace(inf->store, items, &removed);
	if (r < 0) {
		log_warn("cannot cache list", "resource", inf->ri->plural, "error", strerror(-r));
		goto out;
	}
	for (i = 0; i < json_object_array_length(items); i++) {
		json_object *obj = json_object_array_get_idx(items, i);

		if ((!inf->ri->child || !inf->ri->namespaced || ctl_child_owner(inf->res, obj)) &&
		    informer_route(inf, obj, false) < 0)
			r = -ENOMEM;
	}
	for (i = 0; i < json_object_array_length(removed); i++)
		if (informer_route(inf, json_object_array_get_idx(removed, i), true) < 0)
			r = -ENOMEM;
	/* An event that could not be queued: the cache is right, but list
	 * again after the back-off so that every object is queued. */
	if (r < 0)
		goto out;
	/* A relist may have missed the deletes that made orphans. */
	if (inf->res == RES_AGENTJOB || inf->res == RES_CLUSTERACCESS ||
	    inf->res == RES_CLUSTERROLE || inf->res == RES_CLUSTERROLEBINDING)
		sweep_request(inf->c->sweep);
	if (!informer_synced(inf))
		log_info("cache synced", "resource", inf->ri->plural);
	atomic_store(&inf->synced, 1);
out:
	json_object_put(items);
	json_object_put(removed);
	return r;
}

/* One watch from *rv. 0: re-watch; -ESTALE: relist; else back off. */
static int informer_watch(struct informer *inf, char **rv)
{
	struct kube_status st = {0};
	int timeout = INFORMER_WATCH_MIN_S +
	              (int)(informer_rand(inf) % (INFORMER_WATCH_MAX_S - INFORMER_WATCH_MIN_S + 1));
	int64_t start = now_ms();
	int r;

	inf->events = 0;
	r = kube_watch(inf->c->kube, inf->path, inf->selector, rv, timeout, &inf->stop.raised,
	               informer_on_event, inf, &st);
	if (informer_stopping(inf))
		return 0;
	if (r == 0 && inf->events == 0 && now_ms() - start < 1000)
		r = -EPIPE; /* "very short watch": the server is likely unwell */
	if (r == -ESTALE) {
		informer_count(inf, "thurkube_controller_watch_restarts_total",
		               "Watches ended and restarted, by resource and reason.", "expired");
		log_info("watch expired, relisting", "resource", inf->ri->plural);
	} else if (r < 0) {
		informer_count(inf, "thurkube_controller_watch_restarts_total",
		               "Watches ended and restarted, by resource and reason.", "error");
		log_warn("watch failed", "resource", inf->ri->plural, "error", strerror(-r),
		         "message", st.message);
	} else {
		informer_count(inf, "thurkube_controller_watch_restarts_total",
		               "Watches ended and restarted, by resource and reason.", "timeout");
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
		               backoff + (int64_t)(informer_rand(inf) % (uint64_t)backoff));
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

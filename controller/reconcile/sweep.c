/* sweep.c - the orphaned cluster RBAC sweep: pure verdicts, one thread. */
#include "compat.h"

#include "jsonutil.h"
#include "reconcile/sweep.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "runtime/kmap.h"
#include "limits.h"
#include "log.h"
#include "names.h"
#include "runtime/store.h"
#include "util.h"

struct sweep {
	struct reconcile_ctx *c;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	bool requested;    /* under mu */
	atomic_bool stop;  /* written under mu, read by a pass between API calls */
	pthread_t thread;
	bool started; /* touched only by the starting/joining thread */
};

/* What each swept kind is named, owned by and labelled with. */
struct swept {
	const char *prefix;
	enum res owner;
	const char *name_label, *ns_label;
};

static const struct swept *swept_of(enum res r)
{
	static const struct swept cr = {NAMES_CLUSTERROLE_PREFIX, RES_CLUSTERACCESS,
	                                NAMES_LABEL_CLUSTERACCESS, NAMES_LABEL_CLUSTERACCESS_NS};
	static const struct swept crb = {NAMES_CRB_PREFIX, RES_AGENTJOB, NAMES_LABEL_AGENTJOB,
	                                 NAMES_LABEL_AGENTJOB_NS};

	if (r == RES_CLUSTERROLE)
		return &cr;
	if (r == RES_CLUSTERROLEBINDING)
		return &crb;
	return NULL;
}

static bool nonempty(const char *s)
{
	return s && *s;
}

enum sweep_verdict sweep_decide(enum res r, json_object *obj,
                                bool (*owner_exists)(const char *uid, void *ud), void *ud,
                                struct sweep_owner *owner)
{
	const struct swept *sw = swept_of(r);
	const char *name = jsonutil_name(obj), *managed, *uid, *on, *ons;

	if (!sw || !name || strncmp(name, sw->prefix, strlen(sw->prefix)) != 0)
		return SWEEP_KEEP;
	managed = jsonutil_label(obj, NAMES_LABEL_MANAGED_BY);
	uid = jsonutil_label(obj, NAMES_LABEL_OWNER_UID);
	if (!managed || strcmp(managed, NAMES_MANAGED_BY) != 0 || !nonempty(uid) ||
	    jsonutil_meta(obj, "deletionTimestamp") || owner_exists(uid, ud))
		return SWEEP_KEEP;
	on = jsonutil_label(obj, sw->name_label);
	ons = jsonutil_label(obj, sw->ns_label);
	if (owner) {
		owner->kind = sw->owner;
		owner->uid = uid;
		owner->ns = nonempty(on) && nonempty(ons) ? ons : NULL;
		owner->name = nonempty(on) && nonempty(ons) ? on : NULL;
	}
	return nonempty(on) && nonempty(ons) ? SWEEP_CONFIRM : SWEEP_DELETE;
}

bool sweep_confirmed(int get_result, json_object *live, const char *uid)
{
	const char *live_uid;

	if (get_result == -ENOENT)
		return true;
	if (get_result < 0 || !live || !uid)
		return false;
	live_uid = jsonutil_meta(live, "uid");
	return nonempty(live_uid) && strcmp(live_uid, uid) != 0;
}

/* --- owner look-ups in the stores ---------------------------------------- */

struct uid_match {
	const char *uid;
};

static bool has_uid(json_object *obj, void *ud)
{
	const struct uid_match *m = ud;
	const char *uid = jsonutil_meta(obj, "uid");

	return uid && strcmp(uid, m->uid) == 0;
}

/* One object: a walk of the owner store (no copies). */
static bool owner_in_store(const char *uid, void *ud)
{
	struct uid_match m = {uid};

	return store_count(ud, NULL, has_uid, &m) > 0;
}

static char uid_member;

struct uid_collect {
	struct kmap *set;
	int err;
};

static bool collect_uid(json_object *obj, void *ud)
{
	struct uid_collect *w = ud;
	const char *uid = jsonutil_meta(obj, "uid");

	if (uid && !w->err && kmap_put(w->set, uid, &uid_member, NULL) < 0)
		w->err = -ENOMEM;
	return false;
}

/* A whole pass: the owners' UIDs once, into a set. NULL on -ENOMEM. */
static struct kmap *uid_set(struct store *s)
{
	struct uid_collect w = {kmap_new(), 0};

	if (!w.set)
		return NULL;
	store_count(s, NULL, collect_uid, &w);
	if (w.err) {
		kmap_free(w.set, NULL);
		return NULL;
	}
	return w.set;
}

static bool owner_in_set(const char *uid, void *ud)
{
	return kmap_get(ud, uid) != NULL;
}

/* --- one pass --------------------------------------------------------------- */

struct candidates {
	enum res r;
	struct kmap *owners;
	struct strlist names;
	int err;
};

static bool collect_candidate(json_object *obj, void *ud)
{
	struct candidates *w = ud;

	if (w->err || sweep_decide(w->r, obj, owner_in_set, w->owners, NULL) == SWEEP_KEEP)
		return false;
	if (strlist_add(&w->names, jsonutil_name(obj)) < 0)
		w->err = -ENOMEM;
	return false;
}

static void count_deleted(struct reconcile_ctx *c, enum res r)
{
	struct buf l = BUF_INIT(256);

	if (c->metrics)
		metrics_counter_add(
		    c->metrics, "thurkube_controller_orphans_deleted_total",
		    "ClusterRoles and ClusterRoleBindings deleted because their owner no longer "
		    "exists.",
		    metrics_labels(&l, "kind", res_info(r)->kind, (const char *)NULL), 1);
	buf_free(&l);
}

/* GET the owner the labels name. 0 (orphan proven), 1 (keep) or an error. */
static int confirm(struct reconcile_ctx *c, const struct sweep_owner *o, struct buf *why)
{
	const struct res_info *ri = res_info(o->kind);
	struct kube_status st = {0};
	struct buf path = BUF_INIT(2048);
	json_object *live = NULL;
	int r;

	r = kube_path(&path, ri->group, ri->version, o->ns, ri->plural, o->name, NULL);
	if (r == 0)
		r = kube_get(c->kube, path.data, &live, &st);
	if (sweep_confirmed(r, live, o->uid)) {
		r = buf_printf(why, "%s \"%s/%s\" %s", ri->kind, o->ns, o->name,
		               r == -ENOENT ? "not found" : "is another object (uid differs)");
	} else if (r == 0) {
		r = 1;
	} else {
		log_warn("orphan sweep: cannot get owner, keeping", "kind", ri->kind, "namespace",
		         o->ns, "name", o->name, "error", strerror(-r), "message", st.message);
	}
	json_object_put(live);
	buf_free(&path);
	return r;
}

/* Judge one cached candidate again and delete it if orphaned. 0 done or
 * kept, else an error (the next pass comes sooner). */
static int sweep_one(struct reconcile_ctx *c, enum res r, const char *name, struct kmap *owners)
{
	const struct res_info *ri = res_info(r);
	struct buf path = BUF_INIT(2048), why = BUF_INIT(1024);
	struct kube_status st = {0};
	struct sweep_owner o = {0};
	json_object *obj = store_get(c->stores[r], NULL, name);
	enum sweep_verdict v;
	int ret = 0;

	if (!obj)
		goto out; /* gone meanwhile */
	v = sweep_decide(r, obj, owner_in_set, owners, &o);
	if (v == SWEEP_CONFIRM)
		ret = confirm(c, &o, &why);
	else if (v == SWEEP_DELETE)
		ret = buf_printf(&why, "no %s has uid %s", res_info(o.kind)->kind, o.uid);
	if (v == SWEEP_KEEP || ret != 0) {
		ret = ret > 0 ? 0 : ret;
		goto out;
	}
	if (!reconcile_may_write(c)) {
		ret = -ECANCELED;
		goto out;
	}
	ret = kube_path(&path, ri->group, ri->version, NULL, ri->plural, name, NULL);
	if (ret == 0)
		ret = kube_delete(c->kube, path.data, "Background", jsonutil_meta(obj, "uid"),
		                  jsonutil_meta(obj, "resourceVersion"), &st);
	if (ret == 0) {
		log_info("deleted orphaned cluster rbac", "kind", ri->kind, "name", name, "reason",
		         why.data);
		count_deleted(c, r);
	} else if (ret == -ENOENT || ret == -EBUSY) {
		ret = 0; /* gone, or changed since cached: the next pass judges again */
	} else {
		log_warn("orphan sweep: cannot delete", "kind", ri->kind, "name", name, "error",
		         strerror(-ret), "message", st.message);
	}
out:
	json_object_put(obj);
	buf_free(&path);
	buf_free(&why);
	return ret;
}

static int sweep_kind(struct sweep *sw, enum res r)
{
	struct reconcile_ctx *c = sw->c;
	struct candidates w = {r, uid_set(c->stores[swept_of(r)->owner]), {0}, 0};
	size_t i;
	int ret = 0, one;

	if (!w.owners)
		return -ENOMEM;
	store_count(c->stores[r], NULL, collect_candidate, &w);
	ret = w.err;
	for (i = 0; i < w.names.n && reconcile_may_write(c) && !atomic_load(&sw->stop); i++) {
		one = sweep_one(c, r, w.names.v[i], w.owners);
		if (one < 0 && ret == 0)
			ret = one;
	}
	strlist_free(&w.names);
	kmap_free(w.owners, NULL);
	return ret;
}

/* One pass over ClusterRoles and ClusterRoleBindings. 0 or the first error. */
static int sweep_pass(struct sweep *sw)
{
	int r1, r2;

	if (!reconcile_may_write(sw->c))
		return 0;
	r1 = sweep_kind(sw, RES_CLUSTERROLEBINDING);
	r2 = sweep_kind(sw, RES_CLUSTERROLE);
	return r1 < 0 ? r1 : r2;
}

/* --- the thread --------------------------------------------------------------- */

int sweep_new(struct reconcile_ctx *c, struct sweep **out)
{
	struct sweep *sw;
	pthread_condattr_t ca;
	int r;

	if (!c || !c->cfg || c->cfg->sweep_seconds <= 0)
		return -EINVAL;
	sw = calloc(1, sizeof(*sw));
	if (!sw)
		return -ENOMEM;
	sw->c = c;
	r = pthread_condattr_init(&ca);
	if (r == 0) {
		r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		if (r == 0)
			r = pthread_cond_init(&sw->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (r == 0 && (r = pthread_mutex_init(&sw->mu, NULL)) != 0)
		pthread_cond_destroy(&sw->cv);
	if (r != 0) {
		free(sw);
		return -r;
	}
	*out = sw;
	return 0;
}

static struct timespec mono_at(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	return ts;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *sweep_main(void *arg)
{
	struct sweep *sw = arg;
	int64_t period = (int64_t)sw->c->cfg->sweep_seconds * 1000, next = 0, earliest = 0;
	int r;

	pthread_mutex_lock(&sw->mu);
	while (!atomic_load(&sw->stop)) {
		int64_t now = mono_ms();

		if ((sw->requested && now >= earliest) || now >= next) {
			sw->requested = false;
			pthread_mutex_unlock(&sw->mu);
			r = sweep_pass(sw);
			if (r < 0)
				log_warn("orphan sweep incomplete", "error", strerror(-r));
			now = mono_ms();
			earliest = now + SWEEP_MIN_INTERVAL_MS;
			next = now + (r < 0 && period > SWEEP_RETRY_MS ? SWEEP_RETRY_MS : period);
			pthread_mutex_lock(&sw->mu);
			continue;
		}
		{
			struct timespec at = mono_at(sw->requested ? earliest : next);

			pthread_cond_timedwait(&sw->cv, &sw->mu, &at);
		}
	}
	pthread_mutex_unlock(&sw->mu);
	return NULL;
}

int sweep_start(struct sweep *sw)
{
	int r = pthread_create(&sw->thread, NULL, sweep_main, sw);

	if (r != 0)
		return -r;
	sw->started = true;
	return 0;
}

void sweep_request(struct sweep *sw)
{
	if (!sw)
		return;
	pthread_mutex_lock(&sw->mu);
	sw->requested = true;
	pthread_cond_signal(&sw->cv);
	pthread_mutex_unlock(&sw->mu);
}

void sweep_notify(struct sweep *sw, enum res r, json_object *obj, bool deleted)
{
	const struct swept *s = swept_of(r);

	if (!sw)
		return;
	if (r == RES_AGENTJOB || r == RES_CLUSTERACCESS) {
		if (deleted)
			sweep_request(sw);
		return;
	}
	if (!s || deleted)
		return;
	if (sweep_decide(r, obj, owner_in_store, sw->c->stores[s->owner], NULL) != SWEEP_KEEP)
		sweep_request(sw);
}

void sweep_stop(struct sweep *sw)
{
	if (!sw)
		return;
	pthread_mutex_lock(&sw->mu);
	atomic_store(&sw->stop, true);
	pthread_cond_signal(&sw->cv);
	pthread_mutex_unlock(&sw->mu);
}

void sweep_join(struct sweep *sw)
{
	if (sw && sw->started)
		pthread_join(sw->thread, NULL);
	if (sw)
		sw->started = false;
}

void sweep_free(struct sweep *sw)
{
	if (!sw)
		return;
	pthread_cond_destroy(&sw->cv);
	pthread_mutex_destroy(&sw->mu);
	free(sw);
}

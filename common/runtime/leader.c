/* leader.c - the elector: a thread doing the I/O around lease.h. */
#include "compat.h"

#include "runtime/leader.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "jsonutil.h"
#include "log.h"
#include "stopflag.h"
#include "util.h"

struct leader {
	struct leader_opts o;
	char *ns, *name, *identity;
	char *obj_path, *coll_path;
	pthread_t thread;
	bool started;
	struct stopflag stop;
	atomic_int lost;
	pthread_mutex_t lock;  /* guards the fields below */
	json_object *observed; /* last Lease read or written (owned) */
	char *observed_sig;    /* holder + renewTime of it, for observed_ms */
	int64_t observed_ms;
	int64_t last_renew_mono; /* now_ms() of the last success; -1 never */
	uint64_t rng;
};

int leader_new(const struct leader_opts *o, struct leader **out)
{
	struct buf b = BUF_INIT(4096);
	struct leader *le;
	int r = -ENOMEM;

	if (!o->kube || !o->ns || !o->name || !*o->name || !o->identity || !*o->identity ||
	    !o->leading || o->retry_period_s <= 0 || o->renew_deadline_s <= o->retry_period_s ||
	    o->lease_duration_s <= o->renew_deadline_s)
		return -EINVAL;
	le = calloc(1, sizeof(*le));
	if (!le)
		return -ENOMEM;
	le->o = *o;
	le->ns = xstrdup(o->ns);
	le->name = xstrdup(o->name);
	le->identity = xstrdup(o->identity);
	le->last_renew_mono = -1;
	le->rng = rng_seed((uint64_t)(uintptr_t)le);
	pthread_mutex_init(&le->lock, NULL);
	stopflag_init(&le->stop);
	if (!le->ns || !le->name || !le->identity)
		goto fail;
	if (kube_path(&b, "coordination.k8s.io", "v1", o->ns, "leases", le->name, NULL) < 0 ||
	    !(le->obj_path = buf_steal(&b)))
		goto fail;
	if (kube_path(&b, "coordination.k8s.io", "v1", o->ns, "leases", NULL, NULL) < 0 ||
	    !(le->coll_path = buf_steal(&b)))
		goto fail;
	le->o.ns = le->ns;
	le->o.name = le->name;
	le->o.identity = le->identity;
	*out = le;
	r = 0;
	goto out;
fail:
	leader_free(le);
out:
	buf_free(&b);
	return r;
}

void leader_free(struct leader *le)
{
	if (!le)
		return;
	json_object_put(le->observed);
	free(le->observed_sig);
	free(le->obj_path);
	free(le->coll_path);
	free(le->ns);
	free(le->name);
	free(le->identity);
	pthread_mutex_destroy(&le->lock);
	stopflag_destroy(&le->stop);
	free(le);
}

/* Remember lease as observed; restart the local observation clock when
 * its holder or renewTime changed. Takes the reference. */
static void leader_observe(struct leader *le, json_object *lease)
{
	struct lease_record rec = {0};
	struct buf sig = BUF_INIT(1024);

	if (lease_parse(lease, &rec) == 0 &&
	    buf_printf(&sig, "%s|%lld", rec.holder ? rec.holder : "", (long long)rec.renew_ms) ==
	        0 &&
	    (!le->observed_sig || strcmp(le->observed_sig, sig.data) != 0)) {
		free(le->observed_sig);
		le->observed_sig = buf_steal(&sig);
		le->observed_ms = lease_wall_ms();
	}
	buf_free(&sig);
	pthread_mutex_lock(&le->lock);
	json_object_put(le->observed);
	le->observed = lease;
	pthread_mutex_unlock(&le->lock);
}

static void leader_set_leading(struct leader *le, int on)
{
	atomic_store(le->o.leading, on);
	if (le->o.on_change)
		le->o.on_change(le->o.ud);
}

static bool leader_is_leading(struct leader *le)
{
	return atomic_load(le->o.leading) != 0;
}

/* Write body per action; on success the answer becomes the observed Lease. */
static int leader_write(struct leader *le, enum lease_action a, json_object *observed)
{
	struct kube_status st = {0};
	json_object *body, *ans = NULL;
	int r;

	body = lease_build(a, observed, le->ns, le->name, le->identity, lease_wall_ms(),
	                   le->o.lease_duration_s);
	if (!body)
		return -ENOMEM;
	if (a == LEASE_CREATE)
		r = kube_create(le->o.kube, le->coll_path, body, &ans, &st);
	else
		r = kube_update(le->o.kube, le->obj_path, body, &ans, &st);
	json_object_put(body);
	if (r < 0) {
		log_debug("lease write failed", "action", lease_action_name(a), "reason", st.reason,
		          "message", st.message);
		return r;
	}
	leader_observe(le, ans);
	pthread_mutex_lock(&le->lock);
	le->last_renew_mono = now_ms();
	pthread_mutex_unlock(&le->lock);
	return 0;
}

int64_t leader_ms_since_renew(struct leader *le)
{
	int64_t t;

	pthread_mutex_lock(&le->lock);
	t = le->last_renew_mono;
	pthread_mutex_unlock(&le->lock);
	return t < 0 ? -1 : now_ms() - t;
}

bool leader_lost(struct leader *le)
{
	return atomic_load(&le->lost) != 0;
}

static void leader_mark_lost(struct leader *le, const char *why)
{
	atomic_store(&le->lost, 1);
	leader_set_leading(le, 0);
	log_error("leadership lost", "reason", why, "identity", le->identity);
}

/* One tryAcquireOrRenew. Returns the action decided (after the write). */
static enum lease_action leader_try(struct leader *le, int *err)
{
	struct kube_status st = {0};
	struct lease_record rec = {.renew_ms = -1};
	struct lease_clock clk;
	json_object *lease = NULL;
	enum lease_action a;
	int64_t since;
	int r;

	*err = 0;
	since = leader_ms_since_renew(le);
	clk.leading = leader_is_leading(le);
	clk.since_renew_ms = since < 0 ? 0 : since;
	clk.renew_deadline_ms = (int64_t)le->o.renew_deadline_s * 1000;
	/* Fast path: we hold it, renew from what we wrote last without a GET. */
	if (clk.leading && clk.since_renew_ms <= clk.renew_deadline_ms) {
		pthread_mutex_lock(&le->lock);
		lease = json_object_get(le->observed);
		pthread_mutex_unlock(&le->lock);
		r = lease ? leader_write(le, LEASE_RENEW, lease) : -ENOENT;
		json_object_put(lease);
		lease = NULL;
		if (r == 0)
			return LEASE_RENEW;
	}
	r = kube_get(le->o.kube, le->obj_path, &lease, &st);
	if (r < 0 && r != -ENOENT) {
		*err = r;
		clk.now_ms = lease_wall_ms();
		/* Unreachable API server: only the deadline can change things. */
		return clk.leading && leader_ms_since_renew(le) > clk.renew_deadline_ms
		           ? LEASE_LOST
		           : LEASE_STANDBY;
	}
	if (r == 0) {
		leader_observe(le, lease);
		r = lease_parse(lease, &rec);
		if (r < 0) {
			*err = r;
			return LEASE_STANDBY;
		}
		rec.observed_ms = le->observed_ms;
	}
	clk.now_ms = lease_wall_ms();
	since = leader_ms_since_renew(le);
	clk.since_renew_ms = since < 0 ? 0 : since;
	a = lease_decide(&rec, le->identity, &clk);
	if (a == LEASE_CREATE || a == LEASE_ACQUIRE || a == LEASE_RENEW)
		*err = leader_write(le, a, lease);
	return a;
}

/* How long a standby waits: the retry period with up to 20% jitter, but
 * no longer than until the observed lease expires (to take over promptly). */
static int64_t leader_standby_wait(struct leader *le)
{
	int64_t wait = (int64_t)le->o.retry_period_s * 1000;
	struct lease_record rec = {.renew_ms = -1};
	int64_t expiry;

	wait += (int64_t)(rng_next(&le->rng) % (uint64_t)(wait / 5 + 1));
	pthread_mutex_lock(&le->lock);
	if (le->observed && lease_parse(le->observed, &rec) == 0 && rec.renew_ms >= 0) {
		expiry = rec.renew_ms + rec.duration_s * 1000 - lease_wall_ms() + 50;
		if (expiry < wait)
			wait = expiry < 100 ? 100 : expiry;
	}
	pthread_mutex_unlock(&le->lock);
	return wait;
}

static void *leader_main(void *arg)
{
	struct leader *le = arg;
	enum lease_action a;
	int err;

	while (!stopflag_raised(&le->stop)) {
		bool was = leader_is_leading(le);

		a = leader_try(le, &err);
		if (a == LEASE_LOST) {
			leader_mark_lost(le,
			                 err ? "renew deadline passed" : "lease taken by another");
			break;
		}
		if (err == 0 && a != LEASE_STANDBY) {
			if (!was) {
				log_info("became leader", "identity", le->identity, "action",
				         lease_action_name(a));
				leader_set_leading(le, 1);
			}
			stopflag_sleep(&le->stop, (int64_t)le->o.retry_period_s * 1000);
			continue;
		}
		if (was && leader_ms_since_renew(le) > (int64_t)le->o.renew_deadline_s * 1000) {
			leader_mark_lost(le, "renew deadline passed");
			break;
		}
		stopflag_sleep(&le->stop, was ? (int64_t)le->o.retry_period_s * 1000
		                              : leader_standby_wait(le));
	}
	return NULL;
}

int leader_start(struct leader *le)
{
	int r = pthread_create(&le->thread, NULL, leader_main, le);

	if (r != 0)
		return -r;
	le->started = true;
	return 0;
}

void leader_stop(struct leader *le)
{
	stopflag_raise(&le->stop);
	if (le->started)
		pthread_join(le->thread, NULL);
	le->started = false;
}

int leader_release(struct leader *le)
{
	struct kube_status st = {0};
	json_object *lease = NULL, *body;
	struct lease_record rec = {0};
	int r = 0, attempt;

	for (attempt = 0; attempt < 3; attempt++) {
		r = kube_get(le->o.kube, le->obj_path, &lease, &st);
		if (r < 0)
			return r == -ENOENT ? 0 : r;
		if (lease_parse(lease, &rec) < 0 || !rec.holder ||
		    strcmp(rec.holder, le->identity) != 0) {
			json_object_put(lease);
			return 0; /* not ours any more: nothing to give up */
		}
		body = lease_build_release(lease, lease_wall_ms());
		json_object_put(lease);
		if (!body)
			return -ENOMEM;
		r = kube_update(le->o.kube, le->obj_path, body, NULL, &st);
		json_object_put(body);
		if (r != -EBUSY)
			break;
	}
	if (r == 0)
		log_info("lease released", "identity", le->identity);
	return r;
}

/* leader.c - Lease-based leader election: pure decisions, thin I/O loop. */
#include "compat.h"

#include "jsonutil.h"

#include "leader.h"

#include <stdatomic.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "stopflag.h"
#include "util.h"

const char *leader_action_name(enum leader_action a)
{
	static const char *const names[] = {"standby", "create", "acquire", "renew", "lost"};

	return (unsigned)a < TK_ARRAY_LEN(names) ? names[a] : "?";
}

enum leader_action leader_decide(const struct leader_record *rec, const char *identity,
                                 const struct leader_clock *clk)
{
	int64_t base;

	if (clk->leading && clk->since_renew_ms > clk->renew_deadline_ms)
		return LEADER_LOST;
	if (!rec->exists)
		return LEADER_CREATE;
	if (rec->holder && *rec->holder && strcmp(rec->holder, identity) == 0)
		return LEADER_RENEW;
	if (!rec->holder || !*rec->holder)
		return LEADER_ACQUIRE;
	base = rec->renew_ms >= 0 ? rec->renew_ms : rec->observed_ms;
	if (base + rec->duration_s * 1000 < clk->now_ms)
		return LEADER_ACQUIRE;
	return clk->leading ? LEADER_LOST : LEADER_STANDBY;
}

int64_t leader_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void leader_format_microtime(int64_t wall_ms, char out[40])
{
	time_t t = (time_t)(wall_ms / 1000);
	unsigned micros = (unsigned)(wall_ms % 1000) * 1000u;
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%06uZ", micros % 1000000u);
}

int leader_parse_microtime(const char *s, int64_t *out)
{
	const char *dot;
	bool digits = true;
	time_t t;
	int64_t ms = 0;
	int i;

	if (!s || parse_rfc3339(s, &t) < 0)
		return -EINVAL;
	dot = strchr(s, '.');
	if (dot) {
		/* Milliseconds from the first three fraction digits; a shorter
		 * fraction is padded with zeros. */
		for (i = 1; i <= 3; i++) {
			digits = digits && dot[i] >= '0' && dot[i] <= '9';
			ms = ms * 10 + (digits ? dot[i] - '0' : 0);
		}
	}
	*out = (int64_t)t * 1000 + ms;
	return 0;
}

static const char *spec_str(json_object *spec, const char *field)
{
	json_object *v;

	if (!json_object_object_get_ex(spec, field, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t spec_int(json_object *spec, const char *field)
{
	json_object *v;

	if (!json_object_object_get_ex(spec, field, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

int leader_parse(json_object *lease, struct leader_record *rec)
{
	json_object *spec = NULL;
	int64_t renew;

	if (!json_object_is_type(lease, json_type_object))
		return -EINVAL;
	if (json_object_object_get_ex(lease, "spec", &spec) &&
	    !json_object_is_type(spec, json_type_object))
		return -EINVAL;
	rec->exists = true;
	rec->holder = spec ? spec_str(spec, "holderIdentity") : NULL;
	rec->duration_s = spec ? spec_int(spec, "leaseDurationSeconds") : 0;
	rec->transitions = spec ? spec_int(spec, "leaseTransitions") : 0;
	if (spec && leader_parse_microtime(spec_str(spec, "renewTime"), &renew) == 0)
		rec->renew_ms = renew;
	else
		rec->renew_ms = -1;
	return 0;
}

static json_object *lease_skeleton(const char *ns)
{
	json_object *o = json_object_new_object(), *meta = json_object_new_object();

	if (!o || !meta || json_object_object_add(o, "metadata", meta) < 0) {
		json_object_put(meta);
		goto fail;
	}
	if (jsonutil_add_str(o, "apiVersion", "coordination.k8s.io/v1") < 0 ||
	    jsonutil_add_str(o, "kind", "Lease") < 0 ||
	    jsonutil_add_str(meta, "name", LEADER_LEASE_NAME) < 0 ||
	    jsonutil_add_str(meta, "namespace", ns) < 0)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

/* A deep copy of observed with a fresh spec object whose old fields are kept. */
static json_object *lease_copy(json_object *observed, json_object **spec)
{
	json_object *o = NULL, *s;

	if (!json_object_is_type(observed, json_type_object) ||
	    json_object_deep_copy(observed, &o, NULL) != 0)
		return NULL;
	if (!json_object_object_get_ex(o, "spec", &s) ||
	    !json_object_is_type(s, json_type_object)) {
		s = json_object_new_object();
		if (!s || json_object_object_add(o, "spec", s) < 0) {
			json_object_put(s);
			json_object_put(o);
			return NULL;
		}
	}
	*spec = s;
	return o;
}

json_object *leader_build(enum leader_action action, json_object *observed, const char *ns,
                          const char *identity, int64_t now_ms, int duration_s)
{
	json_object *o = NULL, *spec = NULL;
	char now[40];
	int r = 0;

	leader_format_microtime(now_ms, now);
	if (action == LEADER_CREATE) {
		o = lease_skeleton(ns);
		spec = json_object_new_object();
		if (!o || !spec || json_object_object_add(o, "spec", spec) < 0) {
			json_object_put(spec);
			goto fail;
		}
		r = jsonutil_add_int(spec, "leaseTransitions", 0);
	} else if (action == LEADER_ACQUIRE || action == LEADER_RENEW) {
		o = lease_copy(observed, &spec);
		if (!o)
			goto fail;
		if (action == LEADER_ACQUIRE)
			r = jsonutil_add_int(spec, "leaseTransitions",
			                     spec_int(spec, "leaseTransitions") + 1);
	} else {
		return NULL;
	}
	if (r == 0 && action != LEADER_RENEW)
		r = jsonutil_add_str(spec, "acquireTime", now);
	if (r < 0 || jsonutil_add_str(spec, "holderIdentity", identity) < 0 ||
	    jsonutil_add_int(spec, "leaseDurationSeconds", duration_s) < 0 ||
	    jsonutil_add_str(spec, "renewTime", now) < 0)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

json_object *leader_build_release(json_object *observed, int64_t now_ms)
{
	json_object *spec, *o = lease_copy(observed, &spec);
	char now[40];

	if (!o)
		return NULL;
	leader_format_microtime(now_ms, now);
	if (jsonutil_add_str(spec, "holderIdentity", "") < 0 ||
	    jsonutil_add_int(spec, "leaseDurationSeconds", 1) < 0 ||
	    jsonutil_add_str(spec, "acquireTime", now) < 0 ||
	    jsonutil_add_str(spec, "renewTime", now) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- the elector: I/O around the pure core ---- */

struct leader {
	struct leader_opts o;
	char *ns, *identity;
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

	if (!o->kube || !o->ns || !o->identity || !*o->identity || !o->leading ||
	    o->retry_period_s <= 0 || o->renew_deadline_s <= o->retry_period_s ||
	    o->lease_duration_s <= o->renew_deadline_s)
		return -EINVAL;
	le = calloc(1, sizeof(*le));
	if (!le)
		return -ENOMEM;
	le->o = *o;
	le->ns = xstrdup(o->ns);
	le->identity = xstrdup(o->identity);
	le->last_renew_mono = -1;
	le->rng = (uint64_t)leader_wall_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
	pthread_mutex_init(&le->lock, NULL);
	stopflag_init(&le->stop);
	if (!le->ns || !le->identity)
		goto fail;
	if (kube_path(&b, "coordination.k8s.io", "v1", o->ns, "leases", LEADER_LEASE_NAME, NULL) <
	        0 ||
	    !(le->obj_path = buf_steal(&b)))
		goto fail;
	if (kube_path(&b, "coordination.k8s.io", "v1", o->ns, "leases", NULL, NULL) < 0 ||
	    !(le->coll_path = buf_steal(&b)))
		goto fail;
	le->o.ns = le->ns;
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
	free(le->identity);
	pthread_mutex_destroy(&le->lock);
	stopflag_destroy(&le->stop);
	free(le);
}

/* Remember lease as observed; restart the local observation clock when
 * its holder or renewTime changed. Takes the reference. */
static void leader_observe(struct leader *le, json_object *lease)
{
	struct leader_record rec = {0};
	struct buf sig = BUF_INIT(1024);

	if (leader_parse(lease, &rec) == 0 &&
	    buf_printf(&sig, "%s|%lld", rec.holder ? rec.holder : "", (long long)rec.renew_ms) ==
	        0 &&
	    (!le->observed_sig || strcmp(le->observed_sig, sig.data) != 0)) {
		free(le->observed_sig);
		le->observed_sig = buf_steal(&sig);
		le->observed_ms = leader_wall_ms();
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
}

static bool leader_is_leading(struct leader *le)
{
	return atomic_load(le->o.leading) != 0;
}

/* Write body per action; on success the answer becomes the observed Lease. */
static int leader_write(struct leader *le, enum leader_action a, json_object *observed)
{
	struct kube_status st = {0};
	json_object *body, *ans = NULL;
	int r;

	body = leader_build(a, observed, le->ns, le->identity, leader_wall_ms(),
	                    le->o.lease_duration_s);
	if (!body)
		return -ENOMEM;
	if (a == LEADER_CREATE)
		r = kube_create(le->o.kube, le->coll_path, body, &ans, &st);
	else
		r = kube_update(le->o.kube, le->obj_path, body, &ans, &st);
	json_object_put(body);
	if (r < 0) {
		log_debug("lease write failed", "action", leader_action_name(a), "reason",
		          st.reason, "message", st.message);
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
	leader_set_leading(le, 0);
	atomic_store(&le->lost, 1);
	log_error("leadership lost", "reason", why, "identity", le->identity);
}

/* One tryAcquireOrRenew. Returns the action decided (after the write). */
static enum leader_action leader_try(struct leader *le, int *err)
{
	struct kube_status st = {0};
	struct leader_record rec = {.renew_ms = -1};
	struct leader_clock clk;
	json_object *lease = NULL;
	enum leader_action a;
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
		r = lease ? leader_write(le, LEADER_RENEW, lease) : -ENOENT;
		json_object_put(lease);
		lease = NULL;
		if (r == 0)
			return LEADER_RENEW;
	}
	r = kube_get(le->o.kube, le->obj_path, &lease, &st);
	if (r < 0 && r != -ENOENT) {
		*err = r;
		clk.now_ms = leader_wall_ms();
		/* Unreachable API server: only the deadline can change things. */
		return clk.leading && leader_ms_since_renew(le) > clk.renew_deadline_ms
		           ? LEADER_LOST
		           : LEADER_STANDBY;
	}
	if (r == 0) {
		leader_observe(le, lease);
		r = leader_parse(lease, &rec);
		if (r < 0) {
			*err = r;
			return LEADER_STANDBY;
		}
		rec.observed_ms = le->observed_ms;
	}
	clk.now_ms = leader_wall_ms();
	since = leader_ms_since_renew(le);
	clk.since_renew_ms = since < 0 ? 0 : since;
	a = leader_decide(&rec, le->identity, &clk);
	if (a == LEADER_CREATE || a == LEADER_ACQUIRE || a == LEADER_RENEW)
		*err = leader_write(le, a, lease);
	return a;
}

static uint64_t leader_rand(struct leader *le)
{
	le->rng ^= le->rng << 13;
	le->rng ^= le->rng >> 7;
	le->rng ^= le->rng << 17;
	return le->rng;
}

/* How long a standby waits: the retry period with up to 20% jitter, but
 * no longer than until the observed lease expires (to take over promptly). */
static int64_t leader_standby_wait(struct leader *le)
{
	int64_t wait = (int64_t)le->o.retry_period_s * 1000;
	struct leader_record rec = {.renew_ms = -1};
	int64_t expiry;

	wait += (int64_t)(leader_rand(le) % (uint64_t)(wait / 5 + 1));
	pthread_mutex_lock(&le->lock);
	if (le->observed && leader_parse(le->observed, &rec) == 0 && rec.renew_ms >= 0) {
		expiry = rec.renew_ms + rec.duration_s * 1000 - leader_wall_ms() + 50;
		if (expiry < wait)
			wait = expiry < 100 ? 100 : expiry;
	}
	pthread_mutex_unlock(&le->lock);
	return wait;
}

static void *leader_main(void *arg)
{
	struct leader *le = arg;
	enum leader_action a;
	int err;

	while (!stopflag_raised(&le->stop)) {
		bool was = leader_is_leading(le);

		a = leader_try(le, &err);
		if (a == LEADER_LOST) {
			leader_mark_lost(le,
			                 err ? "renew deadline passed" : "lease taken by another");
			break;
		}
		if (err == 0 && a != LEADER_STANDBY) {
			if (!was) {
				log_info("became leader", "identity", le->identity, "action",
				         leader_action_name(a));
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
	struct leader_record rec = {0};
	int r = 0, attempt;

	for (attempt = 0; attempt < 3; attempt++) {
		r = kube_get(le->o.kube, le->obj_path, &lease, &st);
		if (r < 0)
			return r == -ENOENT ? 0 : r;
		if (leader_parse(lease, &rec) < 0 || !rec.holder ||
		    strcmp(rec.holder, le->identity) != 0) {
			json_object_put(lease);
			return 0; /* not ours any more: nothing to give up */
		}
		body = leader_build_release(lease, leader_wall_ms());
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

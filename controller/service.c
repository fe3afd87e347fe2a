/* service.c - the controller's runtime wiring, supervision and shutdown. */
#include "compat.h"

#include "service.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "names.h"
#include "metrics.h"
#include "procmetrics.h"
#include "model/shard.h"
#include "reconcile/reconcile.h"
#include "reconcile/sweep.h"
#include "runtime/healthsrv.h"
#include "runtime/informer.h"
#include "runtime/leader.h"
#include "runtime/workers.h"
#include "stopflag.h"
#include "util.h"

#define SERVICE_METRICS        "thurkube_controller"
#define SERVICE_METRICS_MAX    (16u * 1024u * 1024u)
#define SERVICE_HEALTH_THREADS 4

struct service;

/* What an informer's callbacks need: the service and the resource. */
struct source {
	struct service *svc;
	enum res res;
};

struct service {
	const struct service_config *cfg;
	struct reconcile_config rcfg;
	struct reconcile_ctx c;
	struct kube_client *lease_kube;
	struct metrics_api api_observer;
	struct source sources[RES_COUNT];
	struct informer *informers[RES_COUNT];
	struct healthsrv *health;
	struct leader *leader;
	struct workers *workers;
	/* Raised to stop (signal thread); notified when the leader status
	 * changes or an informer syncs: the supervisor sleeps on it. */
	struct stopflag wake;
	pthread_mutex_t sample_lock; /* guards the two counts below */
	uint64_t seen_adds, seen_retries;
	char lease_name[64]; /* shard_lease_name */
};

/* ---- informer callbacks ---- */

static int on_event(void *ud, json_object *obj, bool deleted, enum informer_source src)
{
	struct source *s = ud;
	int r = reconcile_event(&s->svc->c, s->res, obj, deleted);

	if (src == INFORMER_WATCHED)
		sweep_notify(s->svc->c.sweep, s->res, obj, deleted);
	return r;
}

/* A relist may have missed the deletes that made orphans. */
static void on_listed(void *ud)
{
	struct source *s = ud;

	if (s->res == RES_AGENTJOB || s->res == RES_CLUSTERACCESS || s->res == RES_CLUSTERROLE ||
	    s->res == RES_CLUSTERROLEBINDING)
		sweep_request(s->svc->c.sweep);
}

static void on_synced(void *ud)
{
	struct source *s = ud;

	stopflag_notify(&s->svc->wake);
}

static void on_leader_change(void *ud)
{
	struct service *svc = ud;

	stopflag_notify(&svc->wake);
}

/* The store filter: only this shard's objects and, of the namespaced
 * children, only what thurkube controls. */
static bool keeps(json_object *obj, void *ud)
{
	const struct source *s = ud;
	const struct res_info *ri = res_info(s->res);

	if (!shard_keeps(&s->svc->cfg->shard, s->res, obj))
		return false;
	return !(ri->child && ri->namespaced) || res_child_owner(s->res, obj) != NULL;
}

static bool all_synced(struct service *svc)
{
	int i;

	for (i = 0; i < RES_COUNT; i++)
		if (!svc->informers[i] || !informer_synced(svc->informers[i]))
			return false;
	return true;
}

/* ---- workers ---- */

static void record_reconcile(struct metrics *m, const char *kind, const char *result, double secs)
{
	struct buf l = BUF_INIT(256);

	metrics_labels(&l, "kind", kind, "result", result, (const char *)NULL);
	metrics_counter_add(m, SERVICE_METRICS "_reconcile_total",
	                    "Reconciles by kind and result (success, requeue, error).", l.data, 1);
	metrics_observe(m, SERVICE_METRICS "_reconcile_duration_seconds",
	                "Reconcile duration by kind and result.", l.data, secs);
	buf_free(&l);
}

/* Reconcile one key (workers.h maps the answer to a requeue). The
 * reconciler logs its outcome; this only counts it. */
static int process_key(void *ud, const char *key)
{
	struct service *svc = ud;
	int64_t deadline_ms = (int64_t)svc->cfg->renew_deadline_s * 1000;
	char *copy = NULL;
	const char *ns, *name;
	enum res kind;
	double start = now_mono();
	int r;

	/* Also check the renew age here: after a stall (SIGSTOP, a frozen
	 * VM) a worker may wake before the supervisor does. */
	if (!reconcile_may_write(&svc->c) || leader_ms_since_renew(svc->leader) > deadline_ms)
		return 0;
	copy = xstrdup(key);
	if (!copy) {
		log_warn("cannot reconcile: out of memory", "key", key);
		return -ENOMEM;
	}
	if (res_key_parse(copy, &kind, &ns, &name) < 0) {
		log_warn("dropping malformed queue key", "key", key);
		free(copy);
		return 0;
	}
	r = reconcile_of(kind)(&svc->c, ns, name);
	record_reconcile(svc->c.metrics, res_kind(kind),
	                 r < 0   ? "error"
	                 : r > 0 ? "requeue"
	                         : "success",
	                 now_mono() - start);
	free(copy);
	return r;
}

/* Queue every AgentJob, AgentRole, ClusterAccess and AgentAuth (periodic
 * resync). */
static void resync(struct service *svc)
{
	static const enum res kinds[] = {RES_AGENTJOB, RES_AGENTROLE, RES_CLUSTERACCESS,
	                                 RES_AGENTAUTH};
	size_t k, i;

	for (k = 0; k < TK_ARRAY_LEN(kinds); k++) {
		struct strlist keys = {0};

		if (store_keys(svc->c.stores[kinds[k]], &keys) < 0)
			log_warn("resync incomplete: out of memory");
		for (i = 0; i < keys.n; i++) {
			char *slash = strchr(keys.v[i], '/');

			if (!slash)
				continue;
			*slash = '\0';
			if (reconcile_enqueue(&svc->c, kinds[k], keys.v[i], slash + 1, 0) < 0)
				log_warn("resync: cannot queue", "name", slash + 1);
		}
		strlist_free(&keys);
	}
}

/* ---- health ---- */

static bool service_ready(void *ud)
{
	return all_synced(ud);
}

/* Refresh the gauges sampled from the runtime and fold the queue's add and
 * retry counts into counters, before /metrics renders. */
static void service_sample(void *ud)
{
	struct service *svc = ud;
	struct metrics *m = svc->c.metrics;
	struct buf l = BUF_INIT(256);
	struct queue_stats qs = {0};
	int r;

	metrics_gauge_set(m, SERVICE_METRICS "_leader",
	                  "1 while this replica holds the leader lease, else 0.", NULL,
	                  reconcile_may_write(&svc->c) ? 1 : 0);
	{
		char idx[16], cnt[16];

		snprintf(idx, sizeof(idx), "%u", svc->cfg->shard.index);
		snprintf(cnt, sizeof(cnt), "%u", svc->cfg->shard.count);
		metrics_gauge_set(m, SERVICE_METRICS "_shard_info",
		                  "This replica's shard (--shard index/count) and its Lease; 1.",
		                  metrics_labels(&l, "shard", idx, "shards", cnt, "lease",
		                                 svc->lease_name, (const char *)NULL),
		                  1);
	}
	for (r = 0; r < RES_COUNT; r++)
		metrics_gauge_set(
		    m, SERVICE_METRICS "_cache_objects", "Objects cached per resource.",
		    metrics_labels(&l, "resource", res_info(r)->plural, (const char *)NULL),
		    (double)store_len(svc->c.stores[r]));
	queue_stats(svc->c.queue, &qs);
	metrics_gauge_set(m, SERVICE_METRICS "_workqueue_depth", "Keys waiting to be reconciled.",
	                  NULL, (double)qs.depth);
	metrics_gauge_set(m, SERVICE_METRICS "_workqueue_delayed",
	                  "Keys waiting for a requeue time or backoff.", NULL, (double)qs.delayed);
	pthread_mutex_lock(&svc->sample_lock);
	metrics_counter_add(m, SERVICE_METRICS "_workqueue_adds_total",
	                    "Keys added to the work queue (duplicates merged).", NULL,
	                    (double)(qs.adds - svc->seen_adds));
	metrics_counter_add(m, SERVICE_METRICS "_workqueue_retries_total",
	                    "Keys requeued with backoff after a failed reconcile.", NULL,
	                    (double)(qs.retries - svc->seen_retries));
	svc->seen_adds = qs.adds;
	svc->seen_retries = qs.retries;
	pthread_mutex_unlock(&svc->sample_lock);
	buf_free(&l);
	procmetrics_sample(m);
}

/* ---- start ---- */

static int setup_kube(struct service *svc)
{
	const struct service_config *cfg = svc->cfg;
	char ua[192];
	const char *p;
	int n;
	long lease_timeout;
	int r;

	/* The identity tells the replicas apart in the audit log; only
	 * visible ASCII other than parentheses goes into the header. */
	n = snprintf(ua, sizeof(ua), "thurkube-controller/%s (", cfg->version);
	if (n < 0 || n > (int)sizeof(ua) - 2)
		n = (int)sizeof(ua) - 2;
	for (p = cfg->identity; *p && n < (int)sizeof(ua) - 2; p++)
		if (*p > ' ' && *p < 0x7f && *p != '(' && *p != ')')
			ua[n++] = *p;
	ua[n++] = ')';
	ua[n] = '\0';
	r = kube_client_new(cfg->kcfg, ua, cfg->api_timeout_ms, &svc->c.kube);
	/* client-go bounds election calls by max(renew deadline / 2, 1 s) so
	 * that one hung request cannot eat the whole deadline. */
	lease_timeout = (long)cfg->renew_deadline_s * 500;
	if (lease_timeout < 1000)
		lease_timeout = 1000;
	if (lease_timeout > cfg->api_timeout_ms)
		lease_timeout = cfg->api_timeout_ms;
	if (r == 0)
		r = kube_client_new(cfg->kcfg, ua, lease_timeout, &svc->lease_kube);
	if (r < 0) {
		log_error("cannot create kube client", "error", strerror(-r));
		return r;
	}
	svc->api_observer = (struct metrics_api){svc->c.metrics, SERVICE_METRICS};
	kube_client_set_observer(svc->c.kube, metrics_observe_api, &svc->api_observer);
	kube_client_set_observer(svc->lease_kube, metrics_observe_api, &svc->api_observer);
	return 0;
}

static int setup_informers(struct service *svc)
{
	int r, i;

	svc->c.queue = queue_new(NULL, NULL);
	svc->c.refs = refindex_new();
	if (!svc->c.queue || !svc->c.refs)
		return -ENOMEM;
	/* Before the informers, which wake it; it runs once started. */
	r = sweep_new(&svc->c, &svc->c.sweep);
	if (r < 0)
		return r;
	for (i = 0; i < RES_COUNT; i++) {
		const struct res_info *ri = res_info((enum res)i);
		struct informer_opts o = {
		    .kube = svc->c.kube,
		    .group = ri->group,
		    .version = ri->version,
		    .plural = ri->plural,
		    .selector = ri->child ? NAMES_LABEL_MANAGED_BY "=" NAMES_MANAGED_BY : NULL,
		    .metrics = svc->c.metrics,
		    .metrics_prefix = SERVICE_METRICS,
		    .on_event = on_event,
		    .on_listed = on_listed,
		    .on_synced = on_synced,
		    .ud = &svc->sources[i],
		};

		svc->sources[i] = (struct source){svc, (enum res)i};
		svc->c.stores[i] = reconcile_store_new((enum res)i);
		if (!svc->c.stores[i])
			return -ENOMEM;
		/* Namespaced children are cached only when thurkube controls
		 * them: a labelled object someone else made costs the parsing of
		 * its event, and a child that loses its controller reference
		 * leaves the store as a delete. Cluster-scoped children are all
		 * cached (only cluster admins can create them). A shard keeps
		 * only its namespaces (shard.h). */
		if ((ri->child && ri->namespaced) || svc->cfg->shard.count > 1)
			store_set_filter(svc->c.stores[i], keeps, &svc->sources[i]);
		o.store = svc->c.stores[i];
		r = informer_new(&o, &svc->informers[i]);
		if (r < 0)
			return r;
	}
	for (i = 0; i < RES_COUNT; i++) {
		r = informer_start(svc->informers[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int start_health(struct service *svc)
{
	struct healthsrv_opts o = {
	    .port = svc->cfg->health_port,
	    .threads = SERVICE_HEALTH_THREADS,
	    .ready = service_ready,
	    .not_ready_text = "caches not synced\n",
	    .sample = service_sample,
	    .metrics = svc->c.metrics,
	    .metrics_max = SERVICE_METRICS_MAX,
	    .ud = svc,
	};
	struct buf err = BUF_INIT(1024);
	int r = healthsrv_start(&o, &svc->health, &err);

	if (r < 0)
		log_error("cannot start the health server", "error",
		          err.data ? err.data : strerror(-r));
	buf_free(&err);
	return r;
}

static int start_election(struct service *svc)
{
	struct leader_opts lo = {
	    .kube = svc->lease_kube,
	    .ns = svc->cfg->namespace,
	    .name = svc->lease_name,
	    .identity = svc->cfg->identity,
	    .lease_duration_s = svc->cfg->lease_duration_s,
	    .renew_deadline_s = svc->cfg->renew_deadline_s,
	    .retry_period_s = svc->cfg->retry_period_s,
	    .leading = &svc->c.leading,
	    .on_change = on_leader_change,
	    .ud = svc,
	};
	int r = leader_new(&lo, &svc->leader);

	if (r == 0)
		r = leader_start(svc->leader);
	if (r < 0)
		log_error("cannot start leader election", "error", strerror(-r));
	return r;
}

static int start_work(struct service *svc)
{
	struct workers_opts o = {svc->c.queue, svc->cfg->workers, process_key, svc};
	char n[16];
	int r = workers_start(&o, &svc->workers);

	if (r == 0)
		r = sweep_start(svc->c.sweep);
	if (r < 0) {
		log_error("cannot start workers", "error", strerror(-r));
		return r;
	}
	snprintf(n, sizeof(n), "%d", svc->cfg->workers);
	log_info("workers started", "workers", n);
	return 0;
}

/* ---- run ---- */

/* Waits for SIGTERM or SIGINT (blocked in every thread) and raises the
 * stop flag: no handler runs in signal context. */
static void *signal_main(void *arg)
{
	struct service *svc = arg;
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigwait(&set, &sig) == 0)
		log_info("signal received", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
	stopflag_raise(&svc->wake);
	return NULL;
}

/* Losing the lease: stop every write now, then leave; the Deployment
 * restarts us as a standby. No cleanup: other threads may be mid-request. */
static void die_lost(struct service *svc, const char *why)
{
	atomic_store(&svc->c.leading, 0);
	queue_shutdown(svc->c.queue);
	log_error("leader election lost, exiting", "reason", why, "identity", svc->cfg->identity);
	fflush(stderr);
	_exit(1);
}

static int64_t min_wait(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* Supervise until the stop flag is raised: start the work when leading
 * and synced, resync, and enforce the renew deadline even while the
 * elector is stuck in a call. Sleeps until something changes or the next
 * deadline comes. */
static int supervise(struct service *svc)
{
	int64_t deadline_ms = (int64_t)svc->cfg->renew_deadline_s * 1000;
	int64_t resync_ms = (int64_t)svc->cfg->resync_seconds * 1000, next_resync = 0;
	bool working = false;
	int r;

	for (;;) {
		uint64_t seen = stopflag_notes(&svc->wake);
		int64_t since, wait = -1;
		bool leading;

		if (stopflag_raised(&svc->wake))
			return 0;
		if (leader_lost(svc->leader))
			die_lost(svc, "lease not renewed or taken over");
		leading = reconcile_may_write(&svc->c);
		since = leader_ms_since_renew(svc->leader);
		if (leading && since > deadline_ms)
			die_lost(svc, "renew deadline passed");
		if (!working && leading && all_synced(svc)) {
			r = start_work(svc);
			if (r < 0)
				return r;
			working = true;
			next_resync = now_ms() + resync_ms;
		}
		if (working && now_ms() >= next_resync) {
			resync(svc);
			next_resync = now_ms() + resync_ms;
		}
		if (leading)
			wait = deadline_ms - (since < 0 ? 0 : since) + 1;
		if (working)
			wait = min_wait(wait, next_resync - now_ms());
		stopflag_wait(&svc->wake, seen, wait < 0 ? -1 : wait);
	}
}

/* No new keys, let in-flight reconciles finish, give the lease up. */
static void shutdown_gracefully(struct service *svc)
{
	bool drained = true;
	int i, r;

	log_info("shutting down", "identity", svc->cfg->identity);
	queue_shutdown(svc->c.queue);
	sweep_stop(svc->c.sweep);
	if (svc->workers)
		drained = workers_wait(svc->workers, (int64_t)svc->cfg->shutdown_grace_s * 1000);
	/* A pass stops between two API calls; it must not write after the
	 * lease is released. */
	sweep_join(svc->c.sweep);
	leader_stop(svc->leader);
	atomic_store(&svc->c.leading, 0);
	if (!drained) {
		/* A reconcile is still running: releasing now could let a
		 * successor write concurrently; let the lease expire instead. */
		log_warn(
		    "reconciles still running after the grace period; not releasing the lease");
		fflush(stderr);
		_exit(0);
	}
	workers_free(svc->workers);
	svc->workers = NULL;
	if (leader_ms_since_renew(svc->leader) >= 0) {
		r = leader_release(svc->leader);
		if (r < 0)
			log_warn("cannot release the lease", "error", strerror(-r));
	}
	for (i = 0; i < RES_COUNT; i++)
		if (svc->informers[i])
			informer_stop(svc->informers[i]);
	for (i = 0; i < RES_COUNT; i++)
		if (svc->informers[i])
			informer_join(svc->informers[i]);
}

static void teardown(struct service *svc)
{
	int i;

	healthsrv_stop(svc->health);
	leader_free(svc->leader);
	for (i = 0; i < RES_COUNT; i++) {
		informer_free(svc->informers[i]);
		store_free(svc->c.stores[i]);
	}
	sweep_free(svc->c.sweep);
	queue_free(svc->c.queue);
	refindex_free(svc->c.refs);
	kube_client_free(svc->c.kube);
	kube_client_free(svc->lease_kube);
	metrics_free(svc->c.metrics);
	pthread_mutex_destroy(&svc->sample_lock);
	stopflag_destroy(&svc->wake);
}

int service_run(const struct service_config *cfg)
{
	static struct service svc; /* threads keep pointers into it until exit */
	pthread_t sig;
	int r;

	svc.cfg = cfg;
	if (shard_lease_name(&cfg->shard, svc.lease_name, sizeof(svc.lease_name)) < 0)
		return -EINVAL;
	svc.rcfg = (struct reconcile_config){NAMES_FIELD_MANAGER, cfg->namespace, cfg->identity,
	                                     cfg->sweep_seconds, &cfg->policy};
	svc.c.cfg = &svc.rcfg;
	stopflag_init(&svc.wake);
	pthread_mutex_init(&svc.sample_lock, NULL);
	svc.c.metrics = metrics_new();
	if (!svc.c.metrics)
		return -ENOMEM;
	r = -pthread_create(&sig, NULL, signal_main, &svc);
	if (r == 0)
		r = -pthread_detach(sig);
	if (r == 0)
		r = setup_kube(&svc);
	if (r < 0)
		return r;
	r = setup_informers(&svc);
	if (r < 0) {
		log_error("cannot start informers", "error", strerror(-r));
		return r;
	}
	r = start_health(&svc);
	if (r == 0)
		r = start_election(&svc);
	if (r == 0)
		r = supervise(&svc);
	if (r < 0)
		return r;
	shutdown_gracefully(&svc);
	teardown(&svc);
	return 0;
}

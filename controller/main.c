/*
 * main.c - thurkube-controller: configuration, start-up order, the worker
 * pool and the supervision of leadership and shutdown.
 *
 * Start-up: config -> kube client -> stores + informers (standbys keep
 * their caches warm) -> health server -> leader election -> once leading
 * and every cache synced: workers. Losing the lease stops every write at
 * once and exits 1; SIGTERM stops taking keys, lets in-flight reconciles
 * finish (bounded), releases the lease and exits 0.
 */
#include "compat.h"

#include <stdatomic.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "health.h"
#include "informer.h"
#include "kube.h"
#include "kubecfg.h"
#include "leader.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "refindex.h"
#include "schema.h"
#include "store.h"
#include "sweep.h"
#include "util.h"

#ifndef THURKUBE_VERSION
#define THURKUBE_VERSION "0.0.0-dev"
#endif

/* The one piece of global mutable state: set by the signal handler. */
static volatile sig_atomic_t stop_requested;

struct options {
	char *kubeconfig;
	char *namespace;
	char *identity;
	int64_t lease_duration;
	int64_t renew_deadline;
	int64_t retry_period;
	int64_t workers;
	int64_t resync_seconds;
	int64_t sweep_seconds;
	int64_t health_port;
	int64_t api_timeout_ms;
	int64_t shutdown_grace_seconds;
	enum log_level log_level;
	int crd;
	int version;
	int help;
};

#define OPT(n, t, e, d, lo, hi, f, h)                                                              \
	{                                                                                          \
		n, t, e, d, lo, hi, offsetof(struct options, f), h                                 \
	}
static const struct config_opt options_table[] = {
    OPT("kubeconfig", CFG_STRING, "THURKUBE_KUBECONFIG", NULL, 0, 0, kubeconfig,
        "kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)"),
    OPT("namespace", CFG_STRING, "THURKUBE_NAMESPACE", NULL, 0, 0, namespace,
        "namespace of the leader Lease (default: $POD_NAMESPACE, then the kubeconfig's)"),
    OPT("identity", CFG_STRING, "THURKUBE_IDENTITY", NULL, 0, 0, identity,
        "leader election identity (default: $POD_NAME, then the hostname)"),
    OPT("lease-duration", CFG_INT, "THURKUBE_LEASE_DURATION", "15", 2, 3600, lease_duration,
        "seconds a standby waits before taking over an unrenewed lease"),
    OPT("renew-deadline", CFG_INT, "THURKUBE_RENEW_DEADLINE", "10", 1, 3600, renew_deadline,
        "seconds the leader keeps trying to renew before giving up"),
    OPT("retry-period", CFG_INT, "THURKUBE_RETRY_PERIOD", "2", 1, 600, retry_period,
        "seconds between leader election attempts"),
    OPT("workers", CFG_INT, "THURKUBE_WORKERS", "2", 1, 64, workers, "concurrent reconciles"),
    OPT("resync-seconds", CFG_INT, "THURKUBE_RESYNC_SECONDS", "600", 1, 604800, resync_seconds,
        "re-enqueue every AgentJob, AgentRole and ClusterAccess this often"),
    OPT("sweep-seconds", CFG_INT, "THURKUBE_SWEEP_SECONDS", "60", 1, 86400, sweep_seconds,
        "delete thurkube's ClusterRoles and ClusterRoleBindings whose owner is gone this often "
        "(also at start-up, after relists and on events)"),
    OPT("health-port", CFG_INT, "THURKUBE_HEALTH_PORT", "8080", 1, 65535, health_port,
        "plain-HTTP port of /healthz, /readyz and /metrics"),
    OPT("log-level", CFG_LEVEL, "THURKUBE_LOG_LEVEL", "info", 0, 0, log_level,
        "debug, info, warn or error"),
    OPT("api-timeout-ms", CFG_INT, "THURKUBE_API_TIMEOUT_MS", "10000", 100, 300000, api_timeout_ms,
        "timeout of every non-watch API request"),
    OPT("shutdown-grace-seconds", CFG_INT, "THURKUBE_SHUTDOWN_GRACE_SECONDS", "20", 0, 3600,
        shutdown_grace_seconds, "on SIGTERM, how long in-flight reconciles may take to finish"),
    OPT("crd", CFG_BOOL, NULL, "false", 0, 0, crd, "print the CustomResourceDefinitions and exit"),
    OPT("version", CFG_BOOL, NULL, "false", 0, 0, version, "print the version and exit"),
    OPT("help", CFG_BOOL, NULL, "false", 0, 0, help, "print this help and exit"),
};

struct runtime {
	struct options opt;
	struct ctl_config cfg;
	struct ctl c;
	struct kube_config *kcfg;
	struct kube_client *lease_kube;
	struct informer *informers[RES_COUNT];
	struct health *health;
	struct leader *leader;
	pthread_t *workers;
	int nworkers;
	atomic_int workers_running;
	char host[256];
};

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return -errno;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -errno;
	return 0;
}

static void observe_api(void *ud, const char *verb, long code, double seconds)
{
	struct metrics *m = ud;
	struct buf l = BUF_INIT(256);
	char cbuf[16];

	snprintf(cbuf, sizeof(cbuf), "%ld", code);
	metrics_counter_add(m, "thurkube_controller_api_requests_total",
	                    "Kubernetes API requests by verb and HTTP code (0: no answer).",
	                    metrics_labels(&l, "verb", verb, "code", cbuf, (const char *)NULL), 1);
	metrics_observe(m, "thurkube_controller_api_request_duration_seconds",
	                "Kubernetes API request latency by verb.",
	                metrics_labels(&l, "verb", verb, (const char *)NULL), seconds);
	buf_free(&l);
}

/* Parse flags and environment; exits for --help, --version, --crd and errors. */
static int load_options(struct runtime *rt, int argc, char **argv, int *exit_code)
{
	struct buf err = BUF_INIT(1024), crds = BUF_INIT(4u * 1024u * 1024u);
	int rest, r;

	r = config_parse(options_table, TK_ARRAY_LEN(options_table), argc, argv, 1, &rt->opt, &rest,
	                 &err);
	if (r == 0 && rest < argc) {
		buf_reset(&err);
		r = buf_printf(&err, "unexpected argument \"%s\"", argv[rest]) < 0 ? -ENOMEM
		                                                                   : -EINVAL;
	}
	if (r == 0 && rt->opt.renew_deadline >= rt->opt.lease_duration) {
		r = buf_puts(&err, "--renew-deadline: must be less than --lease-duration") < 0
		        ? -ENOMEM
		        : -EINVAL;
	}
	if (r == 0 && rt->opt.renew_deadline * 10 <= rt->opt.retry_period * 12) {
		r = buf_puts(&err, "--renew-deadline: must be more than 1.2 x --retry-period") < 0
		        ? -ENOMEM
		        : -EINVAL;
	}
	if (r < 0) {
		fprintf(stderr, "thurkube-controller: %s\n",
		        err.data ? err.data : "bad configuration");
		*exit_code = 2;
		goto out;
	}
	*exit_code = -1;
	if (rt->opt.help) {
		config_usage(stdout, "thurkube-controller [flags]", options_table,
		             TK_ARRAY_LEN(options_table));
		*exit_code = 0;
	} else if (rt->opt.version) {
		printf("thurkube-controller %s\n", THURKUBE_VERSION);
		*exit_code = 0;
	} else if (rt->opt.crd) {
		r = schema_crds_yaml(&crds);
		if (r == 0 && fwrite(crds.data, 1, crds.len, stdout) != crds.len)
			r = -EIO;
		if (r < 0)
			fprintf(stderr, "thurkube-controller: cannot render CRDs: %s\n",
			        strerror(-r));
		*exit_code = r < 0 ? 1 : 0;
	}
out:
	buf_free(&err);
	buf_free(&crds);
	return r;
}

static const char *first_set(const char *a, const char *b)
{
	return a && *a ? a : b;
}

/* Kube clients, identity, namespace and the shared ctl_config. */
static int setup_kube(struct runtime *rt)
{
	struct buf err = BUF_INIT(1024);
	char ua[128];
	long lease_timeout;
	int r;

	r = kubecfg_load(rt->opt.kubeconfig, &rt->kcfg, &err);
	if (r < 0) {
		log_error("cannot load kube config", "error", err.data ? err.data : strerror(-r));
		goto out;
	}
	snprintf(ua, sizeof(ua), "thurkube-controller/%s", THURKUBE_VERSION);
	r = kube_client_new(rt->kcfg, ua, (long)rt->opt.api_timeout_ms, &rt->c.kube);
	/* client-go bounds election calls by max(renew deadline / 2, 1 s) so
	 * that one hung request cannot eat the whole deadline. */
	lease_timeout = (long)rt->opt.renew_deadline * 500;
	if (lease_timeout < 1000)
		lease_timeout = 1000;
	if (lease_timeout > rt->opt.api_timeout_ms)
		lease_timeout = (long)rt->opt.api_timeout_ms;
	if (r == 0)
		r = kube_client_new(rt->kcfg, ua, lease_timeout, &rt->lease_kube);
	if (r < 0) {
		log_error("cannot create kube client", "error", strerror(-r));
		goto out;
	}
	kube_client_set_observer(rt->c.kube, observe_api, rt->c.metrics);
	kube_client_set_observer(rt->lease_kube, observe_api, rt->c.metrics);
	if (gethostname(rt->host, sizeof(rt->host) - 1) < 0)
		rt->host[0] = '\0';
	rt->cfg.field_manager = "thurkube";
	rt->cfg.namespace = first_set(
	    rt->opt.namespace, first_set(getenv("POD_NAMESPACE"), kubecfg_namespace(rt->kcfg)));
	rt->cfg.identity = first_set(rt->opt.identity, first_set(getenv("POD_NAME"), rt->host));
	rt->cfg.workers = (int)rt->opt.workers;
	rt->cfg.resync_seconds = (int)rt->opt.resync_seconds;
	rt->cfg.sweep_seconds = (int)rt->opt.sweep_seconds;
	rt->cfg.lease_duration_s = (int)rt->opt.lease_duration;
	rt->cfg.renew_deadline_s = (int)rt->opt.renew_deadline;
	rt->cfg.retry_period_s = (int)rt->opt.retry_period;
	rt->cfg.health_port = (int)rt->opt.health_port;
	rt->cfg.shutdown_grace_s = (int)rt->opt.shutdown_grace_seconds;
	rt->cfg.api_timeout_ms = (long)rt->opt.api_timeout_ms;
	if (!*rt->cfg.identity) {
		log_error("no leader election identity: set --identity or POD_NAME");
		r = -EINVAL;
	}
out:
	buf_free(&err);
	return r;
}

static int setup_informers(struct runtime *rt)
{
	int r, i;

	rt->c.queue = queue_new(NULL, NULL);
	rt->c.refs = refindex_new();
	if (!rt->c.queue || !rt->c.refs)
		return -ENOMEM;
	/* Before the informers, which wake it; it runs once started. */
	r = sweep_new(&rt->c, &rt->c.sweep);
	if (r < 0)
		return r;
	for (i = 0; i < RES_COUNT; i++) {
		rt->c.stores[i] = ctl_store_new((enum ctl_res)i);
		if (!rt->c.stores[i])
			return -ENOMEM;
		r = informer_new(&rt->c, (enum ctl_res)i, &rt->informers[i]);
		if (r < 0)
			return r;
	}
	for (i = 0; i < RES_COUNT; i++) {
		r = informer_start(rt->informers[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool all_synced(struct runtime *rt)
{
	int i;

	for (i = 0; i < RES_COUNT; i++)
		if (!informer_synced(rt->informers[i]))
			return false;
	return true;
}

typedef int (*reconcile_fn)(struct ctl *c, const char *ns, const char *name);

static reconcile_fn reconciler_of(enum ctl_res kind)
{
	switch (kind) {
	case RES_AGENTJOB:
		return reconcile_agentjob;
	case RES_AGENTROLE:
		return reconcile_agentrole;
	case RES_CLUSTERACCESS:
		return reconcile_clusteraccess;
	default:
		return NULL;
	}
}

static void record_reconcile(struct ctl *c, const char *kind, const char *result, double secs)
{
	struct buf l = BUF_INIT(256);

	metrics_labels(&l, "kind", kind, "result", result, (const char *)NULL);
	metrics_counter_add(c->metrics, "thurkube_controller_reconcile_total",
	                    "Reconciles by kind and result (success, requeue, error).", l.data, 1);
	metrics_observe(c->metrics, "thurkube_controller_reconcile_duration_seconds",
	                "Reconcile duration by kind and result.", l.data, secs);
	buf_free(&l);
}

/* Reconcile one key and requeue it as its result says (controller-runtime
 * mapping: error -> backoff, positive -> forget + delayed add, 0 -> forget). */
static void process_key(struct ctl *c, const char *key)
{
	char *copy = xstrdup(key);
	const char *ns, *name, *result;
	enum ctl_res kind;
	double start = now_mono();
	int r, qr = 0;

	if (!copy || ctl_key_parse(copy, &kind, &ns, &name) < 0) {
		log_warn("dropping malformed queue key", "key", key);
		queue_forget(c->queue, key);
		goto out;
	}
	r = reconciler_of(kind)(c, ns, name);
	if (r < 0) {
		result = "error";
		qr = queue_add_rate_limited(c->queue, key, NULL);
		log_warn("reconcile failed", "kind", ctl_res_info(kind)->kind, "namespace", ns,
		         "name", name, "error", strerror(-r));
	} else if (r > 0) {
		result = "requeue";
		queue_forget(c->queue, key);
		qr = queue_add_after(c->queue, key, (int64_t)r * 1000);
	} else {
		result = "success";
		queue_forget(c->queue, key);
	}
	if (qr < 0 && qr != -ESHUTDOWN)
		log_error("cannot requeue", "key", key, "error", strerror(-qr));
	record_reconcile(c, ctl_res_info(kind)->kind, result, now_mono() - start);
out:
	free(copy);
}

static void *worker_main(void *arg)
{
	struct runtime *rt = arg;
	int64_t deadline_ms = (int64_t)rt->cfg.renew_deadline_s * 1000;
	char *key;

	while (queue_get(rt->c.queue, -1, &key) == 0) {
		/* Also check the renew age ourselves: after a stall (SIGSTOP,
		 * a frozen VM) a worker may wake before the supervisor does. */
		if (ctl_may_write(&rt->c) && leader_ms_since_renew(rt->leader) <= deadline_ms)
			process_key(&rt->c, key);
		queue_done(rt->c.queue, key);
		free(key);
	}
	atomic_fetch_sub(&rt->workers_running, 1);
	return NULL;
}

static int start_workers(struct runtime *rt)
{
	char n[16];
	int i, r;

	rt->workers = calloc((size_t)rt->cfg.workers, sizeof(*rt->workers));
	if (!rt->workers)
		return -ENOMEM;
	for (i = 0; i < rt->cfg.workers; i++) {
		atomic_fetch_add(&rt->workers_running, 1);
		r = pthread_create(&rt->workers[i], NULL, worker_main, rt);
		if (r != 0) {
			atomic_fetch_sub(&rt->workers_running, 1);
			return -r;
		}
		rt->nworkers++;
	}
	snprintf(n, sizeof(n), "%d", rt->nworkers);
	log_info("workers started", "workers", n);
	return 0;
}

/* Queue every AgentJob, AgentRole and ClusterAccess (periodic resync). */
static void resync(struct runtime *rt)
{
	static const enum ctl_res kinds[] = {RES_AGENTJOB, RES_AGENTROLE, RES_CLUSTERACCESS};
	size_t k, i;

	for (k = 0; k < TK_ARRAY_LEN(kinds); k++) {
		struct strlist keys = {0};

		if (store_keys(rt->c.stores[kinds[k]], &keys) < 0)
			log_warn("resync incomplete: out of memory");
		for (i = 0; i < keys.n; i++) {
			char *slash = strchr(keys.v[i], '/');

			if (!slash)
				continue;
			*slash = '\0';
			if (ctl_enqueue(&rt->c, kinds[k], keys.v[i], slash + 1, 0) < 0)
				log_warn("resync: cannot queue", "name", slash + 1);
		}
		strlist_free(&keys);
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Losing the lease: stop every write now, then leave; the Deployment
 * restarts us as a standby. No cleanup: other threads may be mid-request. */
static void die_lost(struct runtime *rt, const char *why)
{
	atomic_store(&rt->c.leading, 0);
	queue_shutdown(rt->c.queue);
	log_error("leader election lost, exiting", "reason", why, "identity", rt->cfg.identity);
	fflush(stderr);
	_exit(1);
}

/* Supervise until SIGTERM: start workers when leading and synced, resync,
 * and enforce the renew deadline even while the elector is stuck in a call. */
static int supervise(struct runtime *rt)
{
	int64_t deadline_ms = (int64_t)rt->cfg.renew_deadline_s * 1000, next_resync = 0;
	bool working = false;
	int r;

	while (!stop_requested) {
		if (leader_lost(rt->leader))
			die_lost(rt, "lease not renewed or taken over");
		if (ctl_may_write(&rt->c) && leader_ms_since_renew(rt->leader) > deadline_ms)
			die_lost(rt, "renew deadline passed");
		if (!working && ctl_may_write(&rt->c) && all_synced(rt)) {
			r = start_workers(rt);
			if (r == 0)
				r = sweep_start(rt->c.sweep);
			if (r < 0)
				return r;
			working = true;
			next_resync = now_ms() + (int64_t)rt->cfg.resync_seconds * 1000;
		}
		if (working && now_ms() >= next_resync) {
			resync(rt);
			next_resync = now_ms() + (int64_t)rt->cfg.resync_seconds * 1000;
		}
		sleep_ms(100);
	}
	return 0;
}

/* SIGTERM: no new keys, let in-flight reconciles finish, give the lease up. */
static int shutdown_gracefully(struct runtime *rt)
{
	int64_t until = now_ms() + (int64_t)rt->cfg.shutdown_grace_s * 1000;
	bool drained;
	int i, r = 0;

	log_info("shutting down", "identity", rt->cfg.identity);
	queue_shutdown(rt->c.queue);
	sweep_stop(rt->c.sweep);
	while (atomic_load(&rt->workers_running) > 0 && now_ms() < until)
		sleep_ms(50);
	/* A pass stops between two API calls; it must not write after the
	 * lease is released. */
	sweep_join(rt->c.sweep);
	drained = atomic_load(&rt->workers_running) == 0;
	leader_stop(rt->leader);
	atomic_store(&rt->c.leading, 0);
	if (!drained) {
		/* A reconcile is still running: releasing now could let a
		 * successor write concurrently; let the lease expire instead. */
		log_warn(
		    "reconciles still running after the grace period; not releasing the lease");
		fflush(stderr);
		_exit(0);
	}
	for (i = 0; i < rt->nworkers; i++)
		pthread_join(rt->workers[i], NULL);
	if (leader_ms_since_renew(rt->leader) >= 0) {
		r = leader_release(rt->leader);
		if (r < 0)
			log_warn("cannot release the lease", "error", strerror(-r));
	}
	for (i = 0; i < RES_COUNT; i++)
		if (rt->informers[i])
			informer_stop(rt->informers[i]);
	for (i = 0; i < RES_COUNT; i++)
		if (rt->informers[i])
			informer_join(rt->informers[i]);
	return 0;
}

static void teardown(struct runtime *rt)
{
	int i;

	health_stop(rt->health);
	leader_free(rt->leader);
	for (i = 0; i < RES_COUNT; i++) {
		informer_free(rt->informers[i]);
		store_free(rt->c.stores[i]);
	}
	free(rt->workers);
	sweep_free(rt->c.sweep);
	queue_free(rt->c.queue);
	refindex_free(rt->c.refs);
	kube_client_free(rt->c.kube);
	kube_client_free(rt->lease_kube);
	kubecfg_free(rt->kcfg);
	metrics_free(rt->c.metrics);
	config_free(options_table, TK_ARRAY_LEN(options_table), &rt->opt);
}

static int start_election(struct runtime *rt)
{
	struct leader_opts lo = {
	    .kube = rt->lease_kube,
	    .ns = rt->cfg.namespace,
	    .identity = rt->cfg.identity,
	    .lease_duration_s = rt->cfg.lease_duration_s,
	    .renew_deadline_s = rt->cfg.renew_deadline_s,
	    .retry_period_s = rt->cfg.retry_period_s,
	    .leading = &rt->c.leading,
	};
	int r = leader_new(&lo, &rt->leader);

	if (r == 0)
		r = leader_start(rt->leader);
	return r;
}

static int run(struct runtime *rt)
{
	int r;

	rt->c.cfg = &rt->cfg;
	rt->c.metrics = metrics_new();
	if (!rt->c.metrics)
		return -ENOMEM;
	r = setup_kube(rt);
	if (r < 0)
		return r;
	log_info("starting", "version", THURKUBE_VERSION, "identity", rt->cfg.identity, "namespace",
	         rt->cfg.namespace, "server", kubecfg_server(rt->kcfg));
	r = setup_informers(rt);
	if (r < 0) {
		log_error("cannot start informers", "error", strerror(-r));
		return r;
	}
	r = health_start(&rt->c, rt->informers, RES_COUNT, rt->cfg.health_port, &rt->health);
	if (r < 0) {
		log_error("cannot start the health server", "error", strerror(-r));
		return r;
	}
	r = start_election(rt);
	if (r < 0) {
		log_error("cannot start leader election", "error", strerror(-r));
		return r;
	}
	r = supervise(rt);
	if (r < 0) {
		log_error("cannot start workers", "error", strerror(-r));
		return r;
	}
	return shutdown_gracefully(rt);
}

int main(int argc, char **argv)
{
	static struct runtime rt;
	int code, r;

	log_set_component("thurkube-controller");
	if (load_options(&rt, argc, argv, &code) < 0 || code >= 0) {
		config_free(options_table, TK_ARRAY_LEN(options_table), &rt.opt);
		return code < 0 ? 1 : code;
	}
	log_set_level(rt.opt.log_level);
	r = install_signals();
	if (r == 0)
		r = run(&rt);
	if (r < 0) {
		/* Threads may be running; leave without tearing down under them. */
		fflush(stderr);
		_exit(1);
	}
	teardown(&rt);
	log_info("stopped");
	return 0;
}

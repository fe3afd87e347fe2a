/* main.c - thurkube-webhook: configuration, start-up and graceful stop. */
#include "compat.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "access.h"
#include "cache.h"
#include "cli.h"
#include "config.h"
#include "conn.h"
#include "kube.h"
#include "kubecfg.h"
#include "limits.h"
#include "log.h"
#include "membudget.h"
#include "metrics.h"
#include "quantity.h"
#include "schema.h"
#include "server.h"
#include "tls.h"

#ifndef THURKUBE_VERSION
#define THURKUBE_VERSION "0.1.0-dev"
#endif

struct wh_config {
	char *address;
	int64_t port;
	int64_t health_port;
	char *tls_cert_file;
	char *tls_key_file;
	int64_t tls_reload_seconds;
	char *client_ca_file;
	int64_t memory_budget_mb;
	char *kubeconfig;
	int64_t threads;
	int64_t request_timeout_ms;
	int64_t keep_alive_timeout_ms;
	int64_t max_connection_age_ms;
	int64_t evict_grace_ms;
	int64_t evict_idle_ms;
	int64_t evict_slow_ms;
	int64_t api_timeout_ms;
	int no_cluster_checks;
	int no_watch_cache;
	int64_t sar_cache_seconds;
	char *controller_user;
	enum log_level log_level;
	char *default_cpu_request;
	char *default_memory_request;
	char *default_cpu_limit;
	char *default_memory_limit;
	int64_t max_timeout_seconds;
	char *default_runtime_class;
	int require_runtime_class;
	char *default_egress;
	char *forbid_tolerations;
	int64_t shutdown_delay_seconds;
};

#define OFF(f) offsetof(struct wh_config, f)
/* A numeric default of a header as the table's default string. */
#define WH_XSTR(x) #x
#define WH_STR(x)  WH_XSTR(x)

static const struct config_opt wh_opts[] = {
    {"address", CFG_STRING, "THURKUBE_ADDRESS", "0.0.0.0", 0, 0, OFF(address),
     "IPv4 address both listeners bind to"},
    {"port", CFG_INT, "THURKUBE_PORT", "9443", 1, 65535, OFF(port),
     "HTTPS port of /validate and /mutate"},
    {"health-port", CFG_INT, "THURKUBE_HEALTH_PORT", "8081", 1, 65535, OFF(health_port),
     "plain-HTTP port of /healthz, /readyz and /metrics"},
    {"tls-cert-file", CFG_STRING, "THURKUBE_TLS_CERT_FILE", "/etc/thurkube/tls/tls.crt", 0, 0,
     OFF(tls_cert_file), "serving certificate chain (PEM), reloaded when it changes"},
    {"tls-private-key-file", CFG_STRING, "THURKUBE_TLS_PRIVATE_KEY_FILE",
     "/etc/thurkube/tls/tls.key", 0, 0, OFF(tls_key_file), "serving private key (PEM)"},
    {"tls-reload-seconds", CFG_INT, "THURKUBE_TLS_RELOAD_SECONDS", "10", 1, 3600,
     OFF(tls_reload_seconds), "periodic certificate check, besides the directory watch"},
    {"client-ca-file", CFG_STRING, "THURKUBE_CLIENT_CA_FILE", NULL, 0, 0, OFF(client_ca_file),
     "PEM CA bundle: when set, only HTTPS clients presenting a certificate it signed are "
     "served, others are refused at the TLS handshake (the API server presents one through "
     "its AdmissionConfiguration); reloaded like the serving certificate; the health port "
     "stays open (default: no client verification)"},
    {"memory-budget-mb", CFG_INT, "THURKUBE_MEMORY_BUDGET_MB", "160", 32, 65536,
     OFF(memory_budget_mb),
     "MiB that admission requests in flight may hold, reserved per request from its size and "
     "JSON shape before it is parsed (over: 429 with Retry-After; too large even alone: 413); "
     "worst-case RSS is about 13 MiB + this + 1.3 MiB per --threads (allocator arenas) + "
     "0.15 MiB per worker (--threads + 128, TLS connections): 215 MiB with the defaults, under "
     "a 256Mi limit; lower it when raising --threads"},
    {"kubeconfig", CFG_STRING, "THURKUBE_KUBECONFIG", NULL, 0, 0, OFF(kubeconfig),
     "kubeconfig for the cluster checks (default: $KUBECONFIG, in-cluster, ~/.kube/config)"},
    {"threads", CFG_INT, "THURKUBE_THREADS", "16", 1, TK_MAX_CONCURRENT_REQUESTS, OFF(threads),
     "admission requests checked at once (a request with its body read waits up to 250 ms for "
     "a slot, then gets 429); the HTTPS server runs 128 more worker threads than this "
     "(TK_SPARE_WORKERS) for connections still in their handshake, headers or body, or idle"},
    {"request-timeout-ms", CFG_INT, "THURKUBE_REQUEST_TIMEOUT_MS", "10000", 100, 600000,
     OFF(request_timeout_ms), "time allowed to receive a request and send the answer"},
    {"keep-alive-timeout-ms", CFG_INT, "THURKUBE_KEEP_ALIVE_TIMEOUT_MS", "5000", 0, 600000,
     OFF(keep_alive_timeout_ms), "idle time before a keep-alive connection is closed"},
    {"max-connection-age-ms", CFG_INT, "THURKUBE_MAX_CONNECTION_AGE_MS", "1000", 0, 600000,
     OFF(max_connection_age_ms),
     "answer with Connection: close once a connection has held a worker this long (0: never)"},
    {"evict-idle-ms", CFG_INT, "THURKUBE_EVICT_IDLE_MS", WH_STR(CONN_DEFAULT_IDLE_MS), 0, 60000,
     OFF(evict_idle_ms),
     "while every HTTPS worker holds a connection, close at once the connections that received "
     "nothing for this long while their client had only to send: the rest of a ClientHello, "
     "the request after the handshake, the rest of the request headers, a keep-alive request"},
    {"evict-grace-ms", CFG_INT, "THURKUBE_EVICT_GRACE_MS", WH_STR(CONN_DEFAULT_GRACE_MS), 0, 60000,
     OFF(evict_grace_ms),
     "the same for a TLS handshake before the ClientHello's first byte and after our flight, "
     "while the client computes its keys and verifies ours; 0 turns eviction off, so idle and "
     "slow clients can hold every worker"},
    {"evict-slow-ms", CFG_INT, "THURKUBE_EVICT_SLOW_MS", WH_STR(CONN_DEFAULT_SLOW_MS), 1, 600000,
     OFF(evict_slow_ms),
     "while every HTTPS worker holds a connection, also close a connection that stays this "
     "long in one step of its TLS handshake or in its request headers, or whose body "
     "receives nothing for this long"},
    {"api-timeout-ms", CFG_INT, "THURKUBE_API_TIMEOUT_MS", "2000", 100, 30000, OFF(api_timeout_ms),
     "budget of the cluster checks (SubjectAccessReviews, LIST, GET) per request"},
    {"no-cluster-checks", CFG_BOOL, "THURKUBE_NO_CLUSTER_CHECKS", "false", 0, 0,
     OFF(no_cluster_checks),
     "no API server checks; instead deny every ClusterAccess and clusterAccessRef (cluster "
     "access disabled on this webhook); metadata-only updates pass"},
    {"no-watch-cache", CFG_BOOL, "THURKUBE_NO_WATCH_CACHE", "false", 0, 0, OFF(no_watch_cache),
     "read references and AgentJobs with live GET and LIST calls instead of watch caches "
     "(then /readyz does not wait for them and the webhook needs only get on the kinds and "
     "list on agentjobs)"},
    {"sar-cache-seconds", CFG_INT, "THURKUBE_SAR_CACHE_SECONDS", "5", 0, 60, OFF(sar_cache_seconds),
     "keep an allowed SubjectAccessReview answer this long for the same user and question "
     "(0: ask every time); denials are never kept"},
    {"controller-user", CFG_STRING, "THURKUBE_CONTROLLER_USER", ACCESS_DEFAULT_CONTROLLER_USER, 0,
     0, OFF(controller_user),
     "the controller's username: the only user who may drop thurkube's finalizer while the "
     "object's ClusterRole or ClusterRoleBinding exists"},
    {"shutdown-delay-seconds", CFG_INT, "THURKUBE_SHUTDOWN_DELAY_SECONDS", "5", 0, 300,
     OFF(shutdown_delay_seconds),
     "after SIGTERM, keep serving with /readyz failing this long before closing"},
    {"log-level", CFG_LEVEL, "THURKUBE_LOG_LEVEL", "info", 0, 0, OFF(log_level),
     "debug, info, warn or error"},
    {"default-cpu-request", CFG_STRING, "THURKUBE_DEFAULT_CPU_REQUEST", NULL, 0, 0,
     OFF(default_cpu_request), "cpu request given to an AgentJob that sets no resources"},
    {"default-memory-request", CFG_STRING, "THURKUBE_DEFAULT_MEMORY_REQUEST", NULL, 0, 0,
     OFF(default_memory_request), "memory request given to an AgentJob that sets none"},
    {"default-cpu-limit", CFG_STRING, "THURKUBE_DEFAULT_CPU_LIMIT", NULL, 0, 0,
     OFF(default_cpu_limit), "cpu limit given to an AgentJob that sets none"},
    {"default-memory-limit", CFG_STRING, "THURKUBE_DEFAULT_MEMORY_LIMIT", NULL, 0, 0,
     OFF(default_memory_limit), "memory limit given to an AgentJob that sets none"},
    {"max-timeout-seconds", CFG_INT, "THURKUBE_MAX_TIMEOUT_SECONDS", "0", 0, 2147483647,
     OFF(max_timeout_seconds), "largest spec.timeoutSeconds accepted (0: no extra bound)"},
    {"default-runtime-class", CFG_STRING, "THURKUBE_DEFAULT_RUNTIME_CLASS", NULL, 0, 0,
     OFF(default_runtime_class),
     "spec.runtimeClassName given to an AgentRuntime that sets none (a DNS-1123 subdomain)"},
    {"require-runtime-class", CFG_BOOL, "THURKUBE_REQUIRE_RUNTIME_CLASS", "false", 0, 0,
     OFF(require_runtime_class),
     "deny an AgentRuntime without spec.runtimeClassName (after --default-runtime-class)"},
    {"default-egress", CFG_STRING, "THURKUBE_DEFAULT_EGRESS", NULL, 0, 0, OFF(default_egress),
     "spec.network.egress given to an AgentRuntime that sets none: Unrestricted or Restricted "
     "(default: left absent, which means Unrestricted)"},
    {"forbid-tolerations", CFG_STRING, "THURKUBE_FORBID_TOLERATIONS",
     SCHEMA_DEFAULT_FORBID_TOLERATIONS, 0, 0, OFF(forbid_tolerations),
     "comma-separated taint keys an AgentJob may not tolerate, by key or by an empty key with "
     "operator Exists; --forbid-tolerations= allows every toleration"},
};

static const char wh_synopsis[] =
    "thurkube-webhook [flags]\n"
    "       thurkube-webhook validate -f FILE... (offline validation, see validate --help)\n"
    "       thurkube-webhook --crd | --version | --help";

static int wh_print_crds(void)
{
	struct buf out = BUF_INIT(16u * 1024u * 1024u);
	int r = schema_crds_yaml(&out);

	if (r == 0)
		fwrite(out.data, 1, out.len, stdout);
	else
		fprintf(stderr, "thurkube-webhook: cannot render the CRDs: %s\n", strerror(-r));
	buf_free(&out);
	return r == 0 ? 0 : 1;
}

/* --help, --version and --crd answer at once, whatever else is given. */
static int wh_early_flags(int argc, char **argv, int *exit_code)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			config_usage(stdout, wh_synopsis, wh_opts, TK_ARRAY_LEN(wh_opts));
			*exit_code = 0;
			return 1;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("thurkube-webhook %s\n", THURKUBE_VERSION);
			*exit_code = 0;
			return 1;
		}
		if (strcmp(argv[i], "--crd") == 0) {
			*exit_code = wh_print_crds();
			return 1;
		}
	}
	return 0;
}

/* The policy flags into sc, checked; sc borrows c's strings and keys. */
static int wh_policy(const struct wh_config *c, struct schema_config *sc, struct strlist *keys,
                     struct buf *err)
{
	struct schema_policy_flags f = {c->default_runtime_class, c->require_runtime_class != 0,
	                                c->default_egress, c->forbid_tolerations};

	return schema_config_policy(sc, &f, keys, err);
}

/* Check the quantities now, so a typo fails start-up, not each request. */
static int wh_check_config(const struct wh_config *c, struct buf *err)
{
	const struct {
		const char *flag, *val;
	} q[] = {
	    {"default-cpu-request", c->default_cpu_request},
	    {"default-memory-request", c->default_memory_request},
	    {"default-cpu-limit", c->default_cpu_limit},
	    {"default-memory-limit", c->default_memory_limit},
	};
	size_t i;

	for (i = 0; i < TK_ARRAY_LEN(q); i++) {
		struct buf why = BUF_INIT(512);
		struct quantity qv;
		int r;

		if (!q[i].val)
			continue;
		r = quantity_parse(q[i].val, strlen(q[i].val), &qv, &why);
		if (r < 0)
			r = buf_printf(err, "--%s: %s, got \"%s\"", q[i].flag,
			               why.data ? why.data : "not a quantity", q[i].val) < 0
			        ? -ENOMEM
			        : -EINVAL;
		buf_free(&why);
		if (r < 0)
			return r;
	}
	{
		struct schema_config sc = {0};
		struct strlist keys = {0};
		int pr = wh_policy(c, &sc, &keys, err);

		strlist_free(&keys);
		if (pr < 0)
			return pr;
	}
	if (c->controller_user && !*c->controller_user)
		return buf_puts(err, "--controller-user: must not be empty") < 0 ? -ENOMEM
		                                                                 : -EINVAL;
	if (c->address && !*c->address)
		return buf_puts(err, "--address: must not be empty") < 0 ? -ENOMEM : -EINVAL;
	if (c->port == c->health_port)
		return buf_printf(err, "--health-port: must differ from --port, got \"%lld\"",
		                  (long long)c->health_port) < 0
		           ? -ENOMEM
		           : -EINVAL;
	return 0;
}

struct wh_cluster {
	struct kube_config *cfg;
	struct kube_client *kube;
	struct cache *cache; /* NULL with --no-watch-cache */
	struct access *access;
	struct metrics_api api; /* the API calls of the cluster checks, for /metrics */
};

static int wh_cluster_open(const struct wh_config *c, struct metrics *m, struct wh_cluster *cl,
                           struct buf *err)
{
	int r;

	r = kubecfg_load(c->kubeconfig, &cl->cfg, err);
	if (r < 0)
		return r;
	r = kube_client_new(cl->cfg, "thurkube-webhook/" THURKUBE_VERSION, (long)c->api_timeout_ms,
	                    &cl->kube);
	if (r < 0) {
		buf_sayf(err, "cannot create the API client: %s", strerror(-r));
		return r;
	}
	cl->api.m = m;
	cl->api.prefix = "thurkube_webhook";
	kube_client_set_observer(cl->kube, metrics_observe_api, &cl->api);
	cl->access = access_new(cl->kube, c->controller_user);
	if (!cl->access) {
		buf_sayf(err, "out of memory");
		return -ENOMEM;
	}
	if (!c->no_watch_cache) {
		r = cache_start(cl->kube, m, &cl->cache);
		if (r < 0) {
			buf_sayf(err, "cannot start the watch caches: %s", strerror(-r));
			return r;
		}
	}
	access_set_cache(cl->access, cl->cache, c->sar_cache_seconds * 1000);
	return 0;
}

static void wh_cluster_close(struct wh_cluster *cl)
{
	cache_free(cl->cache);
	access_free(cl->access);
	kube_client_free(cl->kube);
	kubecfg_free(cl->cfg);
}

/* Block the stop signals in every thread (CivetWeb's inherit the mask) so
 * the main thread alone receives them with sigwait. */
static void wh_block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * Keep serving for delay seconds with /readyz failing, so endpoints and
 * load balancers stop sending here before the listener closes; a second
 * signal cuts the wait short.
 */
static void wh_drain(struct server *srv, const sigset_t *set, int64_t delay)
{
	struct timespec ts = {(time_t)delay, 0};
	char secs[24];

	if (delay <= 0)
		return;
	server_drain(srv);
	snprintf(secs, sizeof(secs), "%lld", (long long)delay);
	log_info("draining before closing the listener", "seconds", secs);
	while (sigtimedwait(set, NULL, &ts) < 0 && errno == EINTR)
		;
}

/* The connection guard (conn.h) of the HTTPS workers. A binary without
 * the libssl.so shim serves unguarded, and says so. */
static int wh_guard_start(const struct wh_config *c, struct metrics *m, struct conn_guard **out,
                          struct buf *err)
{
	struct conn_guard_options go = {0};
	int r;

	go.workers = (size_t)c->threads + TK_SPARE_WORKERS;
	go.limits.grace_ms = c->evict_grace_ms;
	go.limits.idle_ms = c->evict_idle_ms;
	go.limits.slow_ms = c->evict_slow_ms;
	go.metrics = m;
	r = conn_guard_start(&go, out);
	if (r == -ENOTSUP) {
		log_warn("no libssl.so shim: idle and slow connections are not evicted");
		return 0;
	}
	if (r < 0)
		buf_sayf(err, "cannot start the connection guard: %s", strerror(-r));
	else if (c->evict_grace_ms == 0)
		log_warn("--evict-grace-ms 0: idle and slow connections may hold every worker");
	return r;
}

static int wh_serve(const struct wh_config *c)
{
	struct schema_config sc = {0};
	struct strlist taint_keys = {0};
	struct wh_cluster cl = {0};
	struct tls_options to = {0};
	struct server_options so = {0};
	struct metrics *m = metrics_new();
	struct tls *tls = NULL;
	struct server *srv = NULL;
	struct membudget *budget = NULL;
	struct conn_guard *guard = NULL;
	struct buf err = BUF_INIT(4096);
	sigset_t set;
	int sig = 0, r = -ENOMEM, code = 1;

	wh_block_signals(&set);
	/*
	 * One malloc arena per check that may run at once, set before any
	 * thread exists. glibc would give each of the --threads + 128 workers
	 * one (up to eight per CPU of the node, not of the pod's limit), each
	 * keeping what its last request freed: the worst-case RSS would grow
	 * with the workers and the node's size instead of with --threads.
	 */
	mallopt(M_ARENA_MAX, (int)c->threads);
	if (!m)
		goto out;
	to.cert_file = c->tls_cert_file;
	to.key_file = c->tls_key_file;
	to.reload_seconds = (int)c->tls_reload_seconds;
	to.metrics = m;
	to.client_ca_file = c->client_ca_file;
	r = tls_new(&to, &tls, &err);
	if (r < 0)
		goto out;
	if (!c->no_cluster_checks) {
		r = wh_cluster_open(c, m, &cl, &err);
		if (r < 0)
			goto out;
	} else {
		/* No API client: the checker fails closed on cluster access. */
		cl.access = access_new(NULL, c->controller_user);
		if (!cl.access) {
			r = -ENOMEM;
			goto out;
		}
		log_warn(
		    "cluster checks disabled: every ClusterAccess and clusterAccessRef is denied");
	}
	sc.default_cpu_request = c->default_cpu_request;
	sc.default_memory_request = c->default_memory_request;
	sc.default_cpu_limit = c->default_cpu_limit;
	sc.default_memory_limit = c->default_memory_limit;
	sc.max_timeout_seconds = c->max_timeout_seconds;
	r = wh_policy(c, &sc, &taint_keys, &err);
	if (r < 0)
		goto out;
	so.address = c->address;
	so.port = (int)c->port;
	so.health_port = (int)c->health_port;
	so.threads = (int)c->threads;
	so.request_timeout_ms = (int)c->request_timeout_ms;
	so.keep_alive_timeout_ms = (int)c->keep_alive_timeout_ms;
	so.max_connection_age_ms = c->max_connection_age_ms;
	so.api_timeout_ms = c->api_timeout_ms;
	so.tls = tls;
	so.metrics = m;
	so.schema = &sc;
	so.access = cl.access;
	so.cache = cl.cache;
	budget = membudget_new((uint64_t)c->memory_budget_mb * 1024u * 1024u, m);
	if (!budget) {
		r = -ENOMEM;
		goto out;
	}
	so.budget = budget;
	r = wh_guard_start(c, m, &guard, &err);
	if (r < 0)
		goto out;
	r = server_start(&so, &srv, &err);
	if (r < 0)
		goto out;
	r = tls_start(tls);
	if (r < 0) {
		buf_sayf(&err, "cannot start the certificate watcher: %s", strerror(-r));
		goto out;
	}
	{
		char port[16], hport[16];

		snprintf(port, sizeof(port), "%lld", (long long)c->port);
		snprintf(hport, sizeof(hport), "%lld", (long long)c->health_port);
		log_info("webhook serving", "version", THURKUBE_VERSION, "address", c->address,
		         "port", port, "health_port", hport, "cert", c->tls_cert_file, "client_ca",
		         c->client_ca_file ? c->client_ca_file : "none (any client)");
	}
	while (sigwait(&set, &sig) != 0)
		;
	log_info("shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	wh_drain(srv, &set, c->shutdown_delay_seconds);
	code = 0;
out:
	if (r < 0 && err.len)
		log_error("cannot start", "error", err.data);
	else if (r < 0)
		log_error("cannot start", "error", strerror(-r));
	server_stop(srv);
	membudget_free(budget);
	conn_guard_stop(guard);
	tls_free(tls);
	wh_cluster_close(&cl);
	metrics_free(m);
	strlist_free(&taint_keys);
	buf_free(&err);
	if (code == 0)
		log_info("stopped");
	return code;
}

int main(int argc, char **argv)
{
	struct wh_config c = {0};
	struct buf err = BUF_INIT(4096);
	int rest = argc, code = 0;

	log_set_component("thurkube-webhook");
	if (argc > 1 && strcmp(argv[1], "validate") == 0)
		return cli_validate_main(argc - 1, argv + 1);
	if (wh_early_flags(argc, argv, &code))
		return code;
	if (config_parse(wh_opts, TK_ARRAY_LEN(wh_opts), argc, argv, 1, &c, &rest, &err) < 0) {
		fprintf(stderr, "thurkube-webhook: %s\n", err.len ? err.data : "bad configuration");
		buf_free(&err);
		return 2;
	}
	if (rest < argc) {
		fprintf(stderr, "thurkube-webhook: unexpected argument \"%s\" (see --help)\n",
		        argv[rest]);
		code = 2;
	} else if (wh_check_config(&c, &err) < 0) {
		fprintf(stderr, "thurkube-webhook: %s\n",
		        err.data ? err.data : "bad configuration");
		code = 2;
	} else {
		log_set_level(c.log_level);
		code = wh_serve(&c);
	}
	config_free(wh_opts, TK_ARRAY_LEN(wh_opts), &c);
	buf_free(&err);
	return code;
}

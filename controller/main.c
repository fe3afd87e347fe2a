/*
 * main.c - thurkube-controller: flags and environment into one immutable
 * configuration, then the service (service.h) runs. Nothing else.
 */
#include "compat.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "config.h"
#include "kubecfg.h"
#include "log.h"
#include "model/build.h"
#include "model/shard.h"
#include "names.h"
#include "quantity.h"
#include "schema.h"
#include "schema_doc.h"
#include "service.h"
#include "util.h"

#ifndef THURKUBE_VERSION
#define THURKUBE_VERSION "0.0.0-dev"
#endif

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
	char *empty_dir_size_limit;
	char *dns_namespace;
	char *dns_pod_label;
	char *shard;
	enum log_level log_level;
	int crd;
	int api_doc;
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
    OPT("workers", CFG_INT, "THURKUBE_WORKERS", "8", 1, 64, workers, "concurrent reconciles"),
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
    OPT("empty-dir-size-limit", CFG_STRING, "THURKUBE_EMPTY_DIR_SIZE_LIMIT",
        BUILD_DEFAULT_EMPTYDIR_LIMIT, 0, 0, empty_dir_size_limit,
        "sizeLimit of each emptyDir of an agent pod (/tmp and the home directory); the kubelet "
        "evicts a pod that writes more (\"\": no limit). Not part of configHash: a change "
        "reaches CronJobs at once and the next one-shot run, and starts no run"),
    OPT("dns-namespace", CFG_STRING, "THURKUBE_DNS_NAMESPACE", BUILD_DEFAULT_DNS_NAMESPACE, 0, 0,
        dns_namespace,
        "namespace of the cluster DNS pods that agents with Restricted egress may reach on port "
        "53"),
    OPT("dns-pod-label", CFG_STRING, "THURKUBE_DNS_POD_LABEL", BUILD_DEFAULT_DNS_LABEL, 0, 0,
        dns_pod_label, "key=value label of those DNS pods"),
    OPT("shard", CFG_STRING, "THURKUBE_SHARD", "0/1", 0, 0, shard,
        "INDEX/COUNT: reconcile only the namespaces whose FNV-1a hash modulo COUNT is INDEX, "
        "cache only their objects, and lead the Lease thurkube-controller-shard-INDEX-of-COUNT "
        "(0/1: one controller for every namespace, Lease thurkube-controller)"),
    OPT("crd", CFG_BOOL, NULL, "false", 0, 0, crd, "print the CustomResourceDefinitions and exit"),
    OPT("api-doc", CFG_BOOL, NULL, "false", 0, 0, api_doc,
        "print the API reference (docs/api.md) and exit"),
    OPT("version", CFG_BOOL, NULL, "false", 0, 0, version, "print the version and exit"),
    OPT("help", CFG_BOOL, NULL, "false", 0, 0, help, "print this help and exit"),
};

struct runtime {
	struct options opt;
	struct shard shard;
	struct kube_config *kcfg;
	char host[256];
};

/* SIGTERM and SIGINT are taken by the service's signal thread (sigwait):
 * block them in every thread, before the first one starts. */
static int block_signals(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	return -pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* The pod and network policy flags, checked at start-up so a typo fails
 * here and not at each reconcile. */
static int check_policy(const struct options *o, struct buf *err)
{
	const char *lim = o->empty_dir_size_limit, *label = o->dns_pod_label;
	const char *eq = label ? strchr(label, '=') : NULL;
	struct buf why = BUF_INIT(512);
	struct quantity q;
	int r = 0;

	if (lim && *lim && quantity_parse(lim, strlen(lim), &q, &why) < 0)
		r = buf_printf(err, "--empty-dir-size-limit: %s, got \"%s\"",
		               why.data ? why.data : "not a quantity", lim);
	else if (lim && *lim && (q.neg || !q.digits[0]))
		r = buf_printf(err,
		               "--empty-dir-size-limit: must be greater than zero (\"\" for no "
		               "limit), got \"%s\"",
		               lim);
	else if (!o->dns_namespace || !names_dns1123_label(o->dns_namespace, NULL))
		r = buf_printf(err, "--dns-namespace: must be a namespace name, got \"%s\"",
		               o->dns_namespace ? o->dns_namespace : "");
	else if (!eq || eq == label)
		r = buf_printf(err, "--dns-pod-label: must be key=value, got \"%s\"",
		               label ? label : "");
	buf_free(&why);
	if (r < 0)
		return -ENOMEM;
	return err->len ? -EINVAL : 0;
}

/* Parse flags and environment; exits for --help, --version, --crd, --api-doc and errors. */
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
	if (r == 0)
		r = check_policy(&rt->opt, &err);
	if (r == 0 && shard_parse(rt->opt.shard, &rt->shard, &err) < 0) {
		struct buf msg = BUF_INIT(1024);

		r = buf_printf(&msg, "--shard: %s", err.data ? err.data : "invalid") < 0 ? -ENOMEM
		                                                                         : -EINVAL;
		buf_reset(&err);
		if (msg.data && buf_puts(&err, msg.data) < 0)
			r = -ENOMEM;
		buf_free(&msg);
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
	} else if (rt->opt.crd || rt->opt.api_doc) {
		r = rt->opt.crd ? schema_crds_yaml(&crds) : schema_doc_markdown(&crds);
		if (r == 0 && fwrite(crds.data, 1, crds.len, stdout) != crds.len)
			r = -EIO;
		if (r < 0)
			fprintf(stderr, "thurkube-controller: cannot render %s: %s\n",
			        rt->opt.crd ? "CRDs" : "the API reference", strerror(-r));
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

/* The kube config, identity and namespace, into cfg. */
static int configure(struct runtime *rt, struct service_config *cfg)
{
	struct buf err = BUF_INIT(1024);
	int r;

	r = kubecfg_load(rt->opt.kubeconfig, &rt->kcfg, &err);
	if (r < 0) {
		log_error("cannot load kube config", "error", err.data ? err.data : strerror(-r));
		goto out;
	}
	if (gethostname(rt->host, sizeof(rt->host) - 1) < 0)
		rt->host[0] = '\0';
	*cfg = (struct service_config){
	    .kcfg = rt->kcfg,
	    .version = THURKUBE_VERSION,
	    .namespace = first_set(rt->opt.namespace,
	                           first_set(getenv("POD_NAMESPACE"), kubecfg_namespace(rt->kcfg))),
	    .identity = first_set(rt->opt.identity, first_set(getenv("POD_NAME"), rt->host)),
	    .workers = (int)rt->opt.workers,
	    .resync_seconds = (int)rt->opt.resync_seconds,
	    .sweep_seconds = (int)rt->opt.sweep_seconds,
	    .lease_duration_s = (int)rt->opt.lease_duration,
	    .renew_deadline_s = (int)rt->opt.renew_deadline,
	    .retry_period_s = (int)rt->opt.retry_period,
	    .health_port = (int)rt->opt.health_port,
	    .shutdown_grace_s = (int)rt->opt.shutdown_grace_seconds,
	    .api_timeout_ms = (long)rt->opt.api_timeout_ms,
	    .policy =
	        {
	            .empty_dir_size_limit = rt->opt.empty_dir_size_limit,
	            .dns_namespace = rt->opt.dns_namespace,
	            .dns_pod_label = rt->opt.dns_pod_label,
	        },
	    .shard = rt->shard,
	};
	if (!*cfg->identity) {
		log_error("no leader election identity: set --identity or POD_NAME");
		r = -EINVAL;
		goto out;
	}
	log_info("starting", "version", THURKUBE_VERSION, "identity", cfg->identity, "namespace",
	         cfg->namespace, "shard", rt->opt.shard, "server", kubecfg_server(rt->kcfg));
out:
	buf_free(&err);
	return r;
}

int main(int argc, char **argv)
{
	static struct runtime rt;
	struct service_config cfg;
	int code, r;

	log_set_component("thurkube-controller");
	if (load_options(&rt, argc, argv, &code) < 0 || code >= 0) {
		config_free(options_table, TK_ARRAY_LEN(options_table), &rt.opt);
		return code < 0 ? 1 : code;
	}
	log_set_level(rt.opt.log_level);
	r = block_signals();
	if (r == 0)
		r = configure(&rt, &cfg);
	if (r == 0)
		r = service_run(&cfg);
	if (r < 0) {
		/* Threads may be running; leave without tearing down under them. */
		fflush(stderr);
		_exit(1);
	}
	kubecfg_free(rt.kcfg);
	config_free(options_table, TK_ARRAY_LEN(options_table), &rt.opt);
	log_info("stopped");
	return 0;
}

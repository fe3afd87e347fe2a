/*
 * service.h - the controller as a running service: wires the runtime of
 * common/runtime/ (stores, informers, work queue, workers, elector, health
 * server) to the reconcilers (reconcile/reconcile.h) and runs it.
 *
 * Start order: kube clients, stores and informers (every replica keeps
 * warm caches), the health server, the elector. Once this replica leads
 * and every informer has synced, the workers and the orphan sweep start,
 * and every resync period each AgentJob, AgentRole and ClusterAccess is
 * queued again. The supervising thread sleeps on a condition variable
 * that the elector, the informers and the signal thread notify, and wakes
 * on its own only for the renew deadline and the next resync.
 *
 * Leadership lost (taken over, or not renewed within the renew deadline,
 * even while the elector is stuck in a call): every write stops at once
 * and the process exits 1; the Deployment restarts it as a standby.
 * SIGTERM or SIGINT: no new keys, in-flight reconciles get
 * shutdown_grace_s to finish, then the lease is released (or, when a
 * reconcile is still running, left to expire so that no successor writes
 * beside it).
 */
#ifndef THURKUBE_SERVICE_H
#define THURKUBE_SERVICE_H

#include "compat.h"

#include "kubecfg.h"
#include "model/build.h"
#include "model/shard.h"

struct service_config {
	struct kube_config *kcfg; /* borrowed */
	const char *version;
	const char *namespace; /* of the leader Lease */
	const char *identity;  /* lease holder identity */
	int workers;
	int resync_seconds;
	int sweep_seconds;
	int lease_duration_s, renew_deadline_s, retry_period_s;
	int health_port;
	int shutdown_grace_s;
	long api_timeout_ms;
	struct build_policy policy; /* strings borrowed */
	/* This replica's shard; SHARD_NONE when not sharded. Its Lease is
	 * shard_lease_name's ("thurkube-controller" when not sharded). */
	struct shard shard;
};

/*
 * Run until SIGTERM or SIGINT, which the caller must have blocked in
 * every thread (pthread_sigmask before any thread starts): a thread of the
 * service waits for them. 0 after a graceful stop; a negative errno when
 * the service cannot start (logged here, once; threads may then still
 * run, so the caller should _exit). Leaves the process itself, with 1,
 * when leadership is lost.
 */
int service_run(const struct service_config *cfg) TK_MUST_CHECK;

#endif

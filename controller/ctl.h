/*
 * ctl.h - the contract between the controller runtime (informers, stores,
 * work queue, leader election: owned by runtime code) and the reconcilers
 * (reconcile_*.c, build.c: owned by reconcile code).
 *
 * Reconcilers read only from the stores (filled by list+watch) and write
 * only through the kube client with server-side apply, and only while
 * ctl_may_write() is true (the process leads).
 */
#ifndef THURKUBE_CTL_H
#define THURKUBE_CTL_H

#include "compat.h"

#include <stdbool.h>

#include <json-c/json.h>

#include "kube.h"
#include "metrics.h"

/* Every resource the controller lists and watches. */
enum ctl_res {
	RES_AGENTJOB = 0,
	RES_AGENTRUNTIME,
	RES_AGENTAUTH,
	RES_AGENTROLE,
	RES_AGENTSKILL,
	RES_MCPSERVER,
	RES_REPOSITORY,
	RES_CLUSTERACCESS,
	/* children, watched with app.kubernetes.io/managed-by=thurkube */
	RES_JOB,
	RES_CRONJOB,
	RES_CONFIGMAP,
	RES_SERVICEACCOUNT,
	RES_PVC,
	RES_CLUSTERROLE,
	RES_CLUSTERROLEBINDING,
	RES_COUNT
};

struct ctl_res_info {
	const char *group; /* "" for core */
	const char *version;
	const char *plural;
	const char *kind;
	bool namespaced;
	bool child; /* watched with the managed-by selector */
};

const struct ctl_res_info *ctl_res_info(enum ctl_res r);

/* A thread-safe cache of one resource, keyed by namespace/name. */
struct store;

/* New reference to the cached object, or NULL when absent. ns is NULL or
 * "" for cluster-scoped objects. */
json_object *store_get(struct store *s, const char *ns, const char *name);
/* New reference to a JSON array of every cached object (in namespace ns,
 * or all when ns is NULL). NULL only on allocation failure. */
json_object *store_list(struct store *s, const char *ns);

struct ctl_config {
	const char *field_manager; /* "thurkube" */
	const char *namespace;     /* controller's own namespace */
	int workers;
	int resync_seconds;
	/* ... the runtime adds its own fields */
};

struct ctl {
	struct kube_client *kube;
	struct metrics *metrics;
	struct store *stores[RES_COUNT];
	const struct ctl_config *cfg;
	/* Non-zero while this process holds the lease; read with ctl_may_write. */
	volatile int leading;
};

static inline bool ctl_may_write(const struct ctl *c)
{
	return __atomic_load_n(&c->leading, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Reconcilers. Each takes the key of one object, reads the stores, applies
 * what differs, writes status when it changed. Returns 0 (done), a
 * positive number of seconds to requeue after (e.g. a Job still running
 * needs no requeue: its watch event will come), or a negative errno
 * (requeued with per-key exponential backoff). Called with one key in
 * flight at a time.
 */
int reconcile_agentjob(struct ctl *c, const char *ns, const char *name);
int reconcile_clusteraccess(struct ctl *c, const char *ns, const char *name);
int reconcile_agentrole(struct ctl *c, const char *ns, const char *name);

/*
 * The keys a change to a referenced object must re-reconcile: every
 * AgentJob in ns whose spec names (kind r, name). Appends "ns/name" keys
 * to out. Implemented by the runtime's reference index.
 */
int ctl_agentjobs_referencing(struct ctl *c, enum ctl_res r, const char *ns, const char *name,
                              struct strlist *out) TK_MUST_CHECK;

#endif

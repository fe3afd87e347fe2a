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

#include <stdatomic.h>
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
	/* children, watched with app.kubernetes.io/managed-by=thurkube; the
	 * namespaced ones are cached only when ctl_child_owner names an owner */
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

/* A private deep copy of the cached object (a new reference the caller
 * owns and may modify), or NULL when absent or out of memory. ns is NULL
 * or "" for cluster-scoped objects. Copies, because json-c reference
 * counts are not thread-safe. */
json_object *store_get(struct store *s, const char *ns, const char *name);
/* A new JSON array of deep copies of every cached object (in namespace
 * ns, or all when ns is NULL). NULL only on allocation failure. The
 * writing side of stores is store.h. */
json_object *store_list(struct store *s, const char *ns);
/* Like store_list, but only objects whose metadata.labels[label] equals
 * value (the filter runs before copying, so listing the children of one
 * AgentJob costs no copies of the others). NULL only on allocation failure. */
json_object *store_list_label(struct store *s, const char *ns, const char *label,
                              const char *value);

/* How many cached objects (in namespace ns, or all when ns is NULL) match
 * says true for. match sees the shared cached object under the store's
 * read lock: it may only read it (no json-c call that takes a reference)
 * and must not keep it. Counting this way copies nothing. */
size_t store_count(struct store *s, const char *ns, bool (*match)(json_object *obj, void *ud),
                   void *ud);

/* The empty store for resource r: children are indexed by the AgentJob
 * label, so a reconcile lists its own children without a walk over all
 * of them. NULL on allocation failure. */
struct store *ctl_store_new(enum ctl_res r);

struct ctl_config {
	const char *field_manager; /* "thurkube" */
	const char *namespace;     /* controller's own namespace */
	int workers;
	int resync_seconds;
	int sweep_seconds; /* period of the orphaned cluster RBAC sweep (sweep.h) */
	/* Filled by the runtime (main.c); read-only for everyone. */
	const char *identity; /* lease holder identity: POD_NAME or hostname */
	int lease_duration_s; /* 15 */
	int renew_deadline_s; /* 10 */
	int retry_period_s;   /* 2 */
	int health_port;      /* 8080 */
	int shutdown_grace_s; /* bound on finishing in-flight reconciles */
	long api_timeout_ms;  /* every non-watch API request */
};

struct queue;    /* queue.h */
struct refindex; /* refindex.h */
struct sweep;    /* sweep.h */

struct ctl {
	struct kube_client *kube;
	struct metrics *metrics;
	struct store *stores[RES_COUNT];
	const struct ctl_config *cfg;
	/* Non-zero while this process holds the lease; read with ctl_may_write. */
	atomic_int leading;
	/* Owned by the runtime; NULL in reconciler unit tests that need none. */
	struct queue *queue;   /* keys "Kind/ns/name" */
	struct refindex *refs; /* AgentJob references (ctl_agentjobs_referencing) */
	/* The orphan sweep the informers wake (relists, RBAC events); set
	 * before they start and never changed; NULL in unit tests. */
	struct sweep *sweep;
};

static inline bool ctl_may_write(const struct ctl *c)
{
	return atomic_load(&c->leading) != 0;
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
 * to out. Implemented by the runtime's reference index (c->refs; with no
 * index nothing is appended). 0 or -ENOMEM.
 */
int ctl_agentjobs_referencing(struct ctl *c, enum ctl_res r, const char *ns, const char *name,
                              struct strlist *out) TK_MUST_CHECK;

/*
 * How many cached AgentJobs in ns name name in spec.<field> ("roleRef",
 * "clusterAccessRef"), as status_count_users counts them, without copying
 * any (an AgentRole shared by thousands of AgentJobs is recounted on every
 * change to one of them).
 */
int ctl_count_users(struct ctl *c, const char *ns, const char *field, const char *name);

/* Labels tying children to their owners (set by the reconcilers, read by
 * the informers to route child events back). */
#define CTL_LABEL_MANAGED_BY       "app.kubernetes.io/managed-by"
#define CTL_MANAGED_BY             "thurkube"
#define CTL_LABEL_AGENTJOB         "thurkube.thurbeen.eu/agentjob"
#define CTL_LABEL_AGENTJOB_NS      "thurkube.thurbeen.eu/agentjob-namespace"
#define CTL_LABEL_CLUSTERACCESS    "thurkube.thurbeen.eu/clusteraccess"
#define CTL_LABEL_CLUSTERACCESS_NS "thurkube.thurbeen.eu/clusteraccess-namespace"

/*
 * Work-queue keys are "Kind/namespace/name" with Kind one of the
 * reconciled kinds ("AgentJob", "AgentRole", "ClusterAccess").
 * ctl_key_parse splits key in place into the three parts (pointers into
 * key). 0 or -EINVAL (not three non-empty parts, or an unknown kind).
 */
int ctl_key_parse(char *key, enum ctl_res *kind, const char **ns, const char **name) TK_MUST_CHECK;

/*
 * Queue ns/name of kind (AgentJob, AgentRole or ClusterAccess) for
 * reconciliation after delay_s seconds (0: now). A no-op returning 0
 * when c->queue is NULL or shutting down. 0, -EINVAL or -ENOMEM.
 */
int ctl_enqueue(struct ctl *c, enum ctl_res kind, const char *ns, const char *name,
                int delay_s) TK_MUST_CHECK;

/*
 * Route one observed change of a resource r (obj borrowed: the new state,
 * or the last state when deleted): update the reference index for an
 * AgentJob and append to keys every work-queue key the change must
 * trigger (duplicates possible; the queue merges them):
 *   AgentJob            -> itself, and the AgentRole/ClusterAccess it
 *                          names now or named before (their usedBy count)
 *   other thurkube kinds -> the AgentJobs naming it; AgentRole and
 *                          ClusterAccess also -> themselves
 *   namespaced children  -> the AgentJob ctl_child_owner names, in the
 *                          child's namespace (nothing when it names none,
 *                          whatever the labels say)
 *   ClusterRole(Binding) -> the ClusterAccess of CTL_LABEL_CLUSTERACCESS(_NS),
 *                          and the AgentJob of its labels if any
 * 0 or -ENOMEM.
 */
int ctl_route(struct ctl *c, enum ctl_res r, json_object *obj, bool deleted,
              struct strlist *keys) TK_MUST_CHECK;

/*
 * The AgentJob (in obj's own namespace) that the namespaced child obj of
 * kind r (Job, CronJob, ConfigMap, ServiceAccount, PVC) belongs to:
 *  - the name in its controller ownerReference (controller: true) of kind
 *    AgentJob in group TK_GROUP, or
 *  - for a Job whose controller ownerReference is a batch CronJob, its
 *    CTL_LABEL_AGENTJOB label when it also carries managed-by=thurkube
 *    (a run the CronJob started; the reconciler checks that CronJob's UID).
 * NULL otherwise, and for every other kind: labels alone are no claim,
 * since anyone who may create a ConfigMap may label it. Such an object is
 * neither cached nor routed (the informer's store filter). The name is
 * borrowed from obj. Pure.
 */
const char *ctl_child_owner(enum ctl_res r, json_object *obj);

/* ctl_route, then queue every key. 0 or a negative errno. */
int ctl_handle_event(struct ctl *c, enum ctl_res r, json_object *obj, bool deleted) TK_MUST_CHECK;

#endif

/*
 * reconcile.h - the I/O edge of the controller: the three reconcilers and
 * the small context they share.
 *
 * Reconcilers read only from the stores (filled by the runtime's informers)
 * and write only through the kube client with server-side apply, and only
 * while reconcile_may_write() is true (the process leads). What to write is
 * decided by the pure model (controller/model/); this layer fetches what
 * the model needs, executes its plan, and reports.
 */
#ifndef THURKUBE_RECONCILE_H
#define THURKUBE_RECONCILE_H

#include "compat.h"

#include <stdatomic.h>
#include <stdbool.h>

#include <json-c/json.h>

#include "kube.h"
#include "metrics.h"
#include "model/build.h"
#include "model/res.h"
#include "runtime/queue.h"
#include "runtime/refindex.h"
#include "runtime/store.h"

struct reconcile_config {
	const char *field_manager;         /* NAMES_FIELD_MANAGER */
	const char *namespace;             /* controller's own namespace */
	const char *identity;              /* this replica (Events' reportingInstance) */
	int sweep_seconds;                 /* period of the orphaned cluster RBAC sweep (sweep.h) */
	const struct build_policy *policy; /* pod and network policy; NULL: defaults */
};

struct sweep; /* sweep.h */

/* What a reconcile may reach. Set up by the service before the informers
 * start; only `leading` changes afterwards. */
struct reconcile_ctx {
	struct kube_client *kube;
	struct metrics *metrics;
	struct store *stores[RES_COUNT];
	const struct reconcile_config *cfg;
	/* Non-zero while this process holds the lease; read with reconcile_may_write. */
	atomic_int leading;
	/* NULL in unit tests that need none. */
	struct queue *queue;   /* keys "Kind/ns/name" */
	struct refindex *refs; /* which AgentJobs name which objects (route.h) */
	struct sweep *sweep;   /* the orphan sweep events wake */
};

static inline bool reconcile_may_write(const struct reconcile_ctx *c)
{
	return atomic_load(&c->leading) != 0;
}

/*
 * Reconcilers. Each takes the key of one object, reads the stores, applies
 * what differs, writes status when it changed. Returns 0 (done), a
 * positive number of seconds to requeue after (e.g. a Job still running
 * needs no requeue: its watch event will come), or a negative errno
 * (requeued with per-key exponential backoff). Each reconciler logs its
 * own outcome, once; the caller only counts it.
 * Called with one key in flight at a time.
 */
int reconcile_agentjob(struct reconcile_ctx *c, const char *ns, const char *name);
int reconcile_clusteraccess(struct reconcile_ctx *c, const char *ns, const char *name);
int reconcile_agentrole(struct reconcile_ctx *c, const char *ns, const char *name);
/* The run queue of an AgentAuth with maxConcurrentRuns (agentauth.c). */
int reconcile_agentauth(struct reconcile_ctx *c, const char *ns, const char *name);

/* The reconciler of kind (AgentJob, AgentRole, ClusterAccess, AgentAuth), else NULL. */
typedef int (*reconcile_fn)(struct reconcile_ctx *c, const char *ns, const char *name);
reconcile_fn reconcile_of(enum res kind);

/*
 * The "ns/name" keys of every AgentJob in ns whose spec names (kind r,
 * name), from the reference index (nothing without one). 0 or -ENOMEM.
 */
int reconcile_users_of(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                       struct strlist *out) TK_MUST_CHECK;

/*
 * How many cached AgentJobs in ns name name in spec.<field> ("roleRef",
 * "clusterAccessRef"), as status_count_users counts them, without copying
 * any (an AgentRole shared by thousands of AgentJobs is recounted on every
 * change to one of them).
 */
int reconcile_count_users(struct reconcile_ctx *c, const char *ns, const char *field,
                          const char *name);

/*
 * Queue ns/name of kind (AgentJob, AgentRole or ClusterAccess) for
 * reconciliation after delay_s seconds (0: now). A no-op returning 0
 * when c->queue is NULL or shutting down. 0, -EINVAL or -ENOMEM.
 */
int reconcile_enqueue(struct reconcile_ctx *c, enum res kind, const char *ns, const char *name,
                      int delay_s) TK_MUST_CHECK;

/* route_event (model/route.h) over c's reference index (none when
 * c->refs is NULL): appends the keys to keys. 0 or -ENOMEM. */
int reconcile_route(struct reconcile_ctx *c, enum res r, json_object *obj, bool deleted,
                    struct strlist *keys) TK_MUST_CHECK;

/* reconcile_route, then queue every key. 0 or a negative errno. */
int reconcile_event(struct reconcile_ctx *c, enum res r, json_object *obj,
                    bool deleted) TK_MUST_CHECK;

/* The empty store for resource r: children are indexed by the AgentJob
 * label, so a reconcile lists its own children without a walk over all
 * of them. NULL on allocation failure. (The service adds the filter that
 * caches a namespaced child only when res_child_owner names its owner.) */
struct store *reconcile_store_new(enum res r);

#endif

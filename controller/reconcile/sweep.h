/*
 * sweep.h - deletes the cluster-scoped RBAC thurkube made whose owner no
 * longer exists (issue 11, "no orphaned cluster RBAC").
 *
 * A ClusterRole named thurkube-ca-* belongs to a ClusterAccess, a
 * ClusterRoleBinding named thurkube-aj-* to an AgentJob; both carry
 * app.kubernetes.io/managed-by=thurkube and the owner's UID in
 * NAMES_LABEL_OWNER_UID. Finalizers normally delete them with their
 * owner; the sweep catches what a removed finalizer, a crash or a hand
 * left behind. The owner is judged by UID against the synced stores, and
 * when the object's labels also name the owner (namespace/name) a live
 * GET of it must answer 404 or another UID before anything is deleted
 * (an error keeps the object until a later pass). Deletes carry the
 * object's UID and resourceVersion as preconditions, so a binding
 * re-applied meanwhile is left alone. Nothing outside those two name
 * prefixes is ever touched (the ValidatingAdmissionPolicy allows the
 * controller no other RBAC deletes anyway).
 *
 * A pass runs on its own thread, one at a time: once when started (the
 * runtime starts it when it leads and every informer has synced), when
 * requested (after a relist of AgentJobs, ClusterAccesses, ClusterRoles or
 * ClusterRoleBindings, on the delete of an AgentJob or ClusterAccess, and
 * on a ClusterRole(Binding) event whose owner is unknown), and every
 * reconcile_config.sweep_seconds. Each deletion is logged (info) and counted in
 * thurkube_controller_orphans_deleted_total{kind}.
 */
#ifndef THURKUBE_SWEEP_H
#define THURKUBE_SWEEP_H

#include "compat.h"

#include <stdbool.h>

#include <json-c/json.h>

#include "reconcile/reconcile.h"

/* Passes are at least this far apart, however many requests come. */
#define SWEEP_MIN_INTERVAL_MS 1000
/* After a pass that could not decide everything, the next comes this soon. */
#define SWEEP_RETRY_MS 5000

enum sweep_verdict {
	SWEEP_KEEP = 0, /* not thurkube's cluster RBAC, or its owner exists */
	SWEEP_DELETE,   /* orphan: owner UID unknown and no label names the owner */
	SWEEP_CONFIRM,  /* owner UID unknown; delete only if a GET of the named owner says gone */
};

/* The owner an object's labels name; strings borrowed from the object. */
struct sweep_owner {
	enum res kind;         /* RES_AGENTJOB or RES_CLUSTERACCESS */
	const char *uid;       /* NAMES_LABEL_OWNER_UID */
	const char *ns, *name; /* NULL when the labels do not name it */
};

/*
 * Pure: the verdict on obj (borrowed) of resource r. SWEEP_KEEP unless r
 * is RES_CLUSTERROLE with a thurkube-ca-* name or RES_CLUSTERROLEBINDING
 * with a thurkube-aj-* name, it carries managed-by=thurkube and a non-empty
 * owner-uid label, it is not being deleted, and owner_exists(uid, ud) is
 * false (ud passed back; the caller answers from its synced store of
 * ClusterAccesses, resp. AgentJobs). *owner (may be NULL) is filled for
 * every verdict but SWEEP_KEEP.
 */
enum sweep_verdict sweep_decide(enum res r, json_object *obj,
                                bool (*owner_exists)(const char *uid, void *ud), void *ud,
                                struct sweep_owner *owner);

/*
 * Pure: after a SWEEP_CONFIRM, whether the live GET of the named owner
 * proves the object orphaned: get_result -ENOENT, or 0 with live (the
 * object got, borrowed) having a metadata.uid other than uid. Any other
 * error proves nothing (false: keep, retry later).
 */
bool sweep_confirmed(int get_result, json_object *live, const char *uid);

struct sweep;

/* A sweeper of c's stores (borrowed for its life; c->kube, c->metrics and
 * c->cfg->sweep_seconds are used by passes). 0, -EINVAL or -ENOMEM. */
int sweep_new(struct reconcile_ctx *c, struct sweep **out) TK_MUST_CHECK;
/* Start the thread; it runs a first pass at once. 0 or a negative errno. */
int sweep_start(struct sweep *sw) TK_MUST_CHECK;
/* Ask for a pass soon (before sweep_start: the first pass covers it).
 * Never blocks on a pass; safe from any thread. */
void sweep_request(struct sweep *sw);
/*
 * An informer saw obj (borrowed) of resource r change (deleted: its last
 * state): request a pass when it can make an orphan, i.e. an AgentJob or
 * ClusterAccess was deleted, or a ClusterRole(Binding) is not SWEEP_KEEP
 * against the stores. sw may be NULL (nothing happens).
 */
void sweep_notify(struct sweep *sw, enum res r, json_object *obj, bool deleted);
/* Ask the thread to stop (returns at once; a pass in flight finishes its
 * current API call first), then wait for it. */
void sweep_stop(struct sweep *sw);
void sweep_join(struct sweep *sw);
void sweep_free(struct sweep *sw);

#endif

/*
 * route.h - which reconciles one observed change must trigger. Pure: the
 * reference index (which AgentJobs name which objects) is reached through
 * the callbacks of struct route_index, which the I/O layer backs with the
 * runtime's refindex (common/runtime/refindex.h).
 */
#ifndef THURKUBE_ROUTE_H
#define THURKUBE_ROUTE_H

#include "compat.h"

#include <stdbool.h>

#include <json-c/json.h>

#include "model/res.h"
#include "util.h"

/*
 * Pure: append the reference keys "Kind/namespace/name" named by the
 * AgentJob aj (borrowed) to out, each once, in spec order (runtimeRef,
 * authRef, roleRef, skillRef, clusterAccessRef, mcpServerRefs,
 * repositoryRefs). Missing or mistyped fields are skipped (the reconciler
 * reports them). 0 or -ENOMEM.
 */
int route_refs_of(json_object *aj, struct strlist *out) TK_MUST_CHECK;

/* The reference index; users are AgentJob keys "ns/name". */
struct route_index {
	/* Record the references of user (refs NULL: forget it), appending
	 * those it had before to prev. 0 or -ENOMEM. */
	int (*update)(void *ud, const char *user, const struct strlist *refs, struct strlist *prev);
	/* Append the users naming ref to out. 0 or -ENOMEM. */
	int (*lookup)(void *ud, const char *ref, struct strlist *out);
	void *ud;
};

/*
 * Route one observed change of a resource r (obj borrowed: the new state,
 * or the last state when deleted): update the index (ix may be NULL: no
 * index) for an AgentJob and append to keys every work-queue key the
 * change must trigger (duplicates possible; the queue merges them):
 *   AgentJob            -> itself, and the AgentRole/ClusterAccess it
 *                          names now or named before (their usedBy count)
 *   other thurkube kinds -> the AgentJobs naming it; AgentRole and
 *                          ClusterAccess also -> themselves
 *   namespaced children  -> the AgentJob res_child_owner names, in the
 *                          child's namespace (nothing when it names none,
 *                          whatever the labels say)
 *   ClusterRole(Binding) -> the ClusterAccess of NAMES_LABEL_CLUSTERACCESS(_NS),
 *                          and the AgentJob of its labels if any
 * 0 or -ENOMEM.
 */
int route_event(const struct route_index *ix, enum res r, json_object *obj, bool deleted,
                struct strlist *keys) TK_MUST_CHECK;

/*
 * The "ns/name" of every AgentJob naming (kind r, ns, name), through ix
 * (nothing without one), appended to out. 0 or -ENOMEM.
 */
int route_users_of(const struct route_index *ix, enum res r, const char *ns, const char *name,
                   struct strlist *out) TK_MUST_CHECK;

#endif

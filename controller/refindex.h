/*
 * refindex.h - which AgentJobs name which objects.
 *
 * Maintained from AgentJob specs (runtimeRef, authRef, roleRef, skillRef,
 * clusterAccessRef, mcpServerRefs, repositoryRefs) as AgentJob events
 * arrive, and read to turn an event on a referenced object into the keys
 * of exactly the AgentJobs that use it. References are keys
 * "Kind/namespace/name" (Kind as in ctl_res_info); AgentJobs are keys
 * "namespace/name". Thread-safe.
 */
#ifndef THURKUBE_REFINDEX_H
#define THURKUBE_REFINDEX_H

#include "compat.h"

#include <json-c/json.h>

#include <stdbool.h>

#include "util.h"

struct refindex;

/* New empty index, or NULL on allocation failure. */
struct refindex *refindex_new(void);
void refindex_free(struct refindex *ix);

/*
 * Pure: append the reference keys named by the AgentJob aj (borrowed) to
 * out, each once, in spec order. Missing or mistyped fields are skipped
 * (the reconciler reports them). 0 or -ENOMEM.
 */
int refindex_refs_of(json_object *aj, struct strlist *out) TK_MUST_CHECK;

/*
 * Record the references of AgentJob ns/name from aj (borrowed), or forget
 * them when aj is NULL (deleted). The references it had before are
 * appended to prev (may be NULL), so a caller can tell which objects lost
 * a user. 0 or -ENOMEM (the index then keeps the old entry).
 */
int refindex_update(struct refindex *ix, const char *ns, const char *name, json_object *aj,
                    struct strlist *prev) TK_MUST_CHECK;

/* Append the "ns/name" keys of the AgentJobs naming ref_key to out. 0 or -ENOMEM. */
int refindex_lookup(struct refindex *ix, const char *ref_key, struct strlist *out) TK_MUST_CHECK;

#endif

/*
 * apply.h - the thin write layer shared by the reconcilers: server-side
 * apply of children and status, deletes, and finalizer edits. Every
 * function checks reconcile_may_write() first and returns -ECANCELED when this
 * process does not lead; otherwise it returns 0 or the kube client's
 * negative errno with st (may be NULL) filled.
 */
#ifndef THURKUBE_APPLY_H
#define THURKUBE_APPLY_H

#include "compat.h"

#include <stdbool.h>

#include <json-c/json.h>

#include "reconcile/reconcile.h"
#include "types.h"

/* Server-side apply of obj (borrowed) as ns/name of resource r, field
 * manager c->cfg->field_manager (default "thurkube"), force=true. */
int apply_object(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                 json_object *obj, struct kube_status *st) TK_MUST_CHECK;

/*
 * apply_object for a name nobody was seen holding: the same apply with
 * metadata.resourceVersion set to a value no object ever has, which the
 * API server ignores when it creates the object and checks as a
 * precondition when one exists. So an absent name is created in one
 * request, and a name held by anyone (a foreign object, or our own not
 * yet in the store) is never written: -EEXIST, for the caller to look it
 * up. obj is borrowed and left as it was.
 */
int apply_create(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                 json_object *obj, struct kube_status *st) TK_MUST_CHECK;

/* Delete ns/name of r with propagation ("Background", "Orphan", NULL).
 * A missing object counts as deleted (0). */
int apply_delete(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                 const char *propagation, struct kube_status *st) TK_MUST_CHECK;

/* apply_delete with preconditions.uid = uid (NULL: none): an object of
 * that name with another uid is left alone, and the API server answers 409
 * (-EBUSY). */
int apply_delete_uid(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                     const char *propagation, const char *uid,
                     struct kube_status *st) TK_MUST_CHECK;

/* JSON merge patch (application/merge-patch+json) of ns/name of r with
 * patch (borrowed): only the fields it names change, unlike a
 * server-side apply of a partial object, which drops the manager's other
 * fields. A missing object is -ENOENT. */
int apply_patch(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                json_object *patch, struct kube_status *st) TK_MUST_CHECK;

/* Server-side apply of status (borrowed) to the status subresource of the
 * thurkube object ns/name of r. */
int apply_status(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                 json_object *status, struct kube_status *st) TK_MUST_CHECK;

/*
 * Add (present=true) or remove the finalizer NAMES_FINALIZER on the
 * object described by meta, with a JSON merge patch that writes the
 * object's whole finalizer list as cached plus or minus ours, and
 * metadata.resourceVersion as a precondition: a concurrent change to the
 * list makes the API server answer 409 (-EBUSY) instead of dropping
 * another controller's finalizer. A no-op (0) when nothing changes.
 */
int apply_finalizer(struct reconcile_ctx *c, enum res r, const struct tk_meta *meta, bool present,
                    struct kube_status *st) TK_MUST_CHECK;

#endif

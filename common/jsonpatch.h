/*
 * jsonpatch.h - build and apply RFC 6902 JSON Patch documents (add,
 * remove, replace; test for reading back). Paths use RFC 6901 pointers.
 */
#ifndef THURKUBE_JSONPATCH_H
#define THURKUBE_JSONPATCH_H

#include "compat.h"

#include <json-c/json.h>

#include "util.h"

/* Escape one reference token (~ -> ~0, / -> ~1) onto out. */
int jsonpatch_escape(const char *token, struct buf *out) TK_MUST_CHECK;
/* Append {"op":op,"path":path[,"value":value]} to the patch array.
 * value is taken (its reference moves into the patch), may be NULL for
 * remove. 0 or -ENOMEM. */
int jsonpatch_add_op(json_object *patch, const char *op, const char *path,
                     json_object *value) TK_MUST_CHECK;
/*
 * Apply patch to *doc in place (json-c objects); *doc may be replaced when
 * the root is replaced. 0, -EINVAL (bad patch), -ENOENT (path missing).
 */
int jsonpatch_apply(json_object **doc, json_object *patch) TK_MUST_CHECK;

#endif

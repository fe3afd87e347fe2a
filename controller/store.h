/*
 * store.h - the writing side of the per-resource caches (the reading side,
 * store_get/store_list, is in ctl.h for the reconcilers).
 *
 * A store maps "namespace/name" (just "name" for cluster-scoped objects) to
 * a json_object. Stored objects are shared, read-only snapshots: writers
 * replace an entry with another object, they never modify one in place, so
 * a reader's reference stays valid and consistent after the lock is gone.
 * metadata.managedFields is dropped on the way in (30-50% of each object,
 * and nothing in the controller reads it).
 *
 * Every function is safe to call from several threads at once.
 */
#ifndef THURKUBE_STORE_H
#define THURKUBE_STORE_H

#include "compat.h"

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "util.h"

struct store;

/* New empty store, or NULL on allocation failure. */
struct store *store_new(void);
/*
 * The same, with an index on the value of metadata.labels[label]:
 * store_list_label on that label then visits only the objects carrying
 * the value instead of the whole store. Every other call behaves alike.
 */
struct store *store_new_indexed(const char *label);
void store_free(struct store *s);

/*
 * Replace the whole contents with the objects of the JSON array items
 * (borrowed; the store takes its own reference to each element, and strips
 * managedFields from them). Objects that were cached but are absent from
 * items are appended to the JSON array *removed (a new reference, possibly
 * empty) so the caller can treat them as deleted; removed may be NULL.
 * 0, -EINVAL (items is not an array of objects with metadata.name) or
 * -ENOMEM; the store is unchanged on failure.
 */
int store_replace(struct store *s, json_object *items, json_object **removed) TK_MUST_CHECK;

/*
 * Insert or replace one object (the store takes a reference). *old, when
 * non-NULL, receives the previous object (a new reference) or NULL.
 * 0, -EINVAL (no metadata.name) or -ENOMEM.
 */
int store_upsert(struct store *s, json_object *obj, json_object **old) TK_MUST_CHECK;

/* Remove ns/name; returns the removed object (a new reference) or NULL. */
json_object *store_delete(struct store *s, const char *ns, const char *name);

size_t store_len(struct store *s);

/* Append the key "ns/name" (or "name") of every object to out. 0 or -ENOMEM. */
int store_keys(struct store *s, struct strlist *out) TK_MUST_CHECK;

/* metadata.namespace / metadata.name of obj (borrowed), "" / NULL when absent. */
const char *store_obj_namespace(json_object *obj);
const char *store_obj_name(json_object *obj);
/* metadata.labels[label] of obj (borrowed) when it is a string, else NULL. */
const char *store_obj_label(json_object *obj, const char *label);

#endif

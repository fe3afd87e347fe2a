/*
 * store.h - a thread-safe cache of the objects of one resource, filled by
 * an informer (informer.h) and read by everyone else.
 *
 * A store maps "namespace/name" (just "name" for cluster-scoped objects) to
 * a json_object. Stored objects are shared, read-only snapshots: writers
 * replace an entry with another object, they never modify one in place, so
 * a reader's reference stays valid and consistent after the lock is gone.
 * metadata.managedFields is dropped on the way in (30-50% of each object,
 * and nothing in the controller reads it). A store may have a filter
 * (store_set_filter): what it refuses is never cached, so objects that
 * only look like ours cost the parsing of one event, not memory.
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

/* Whether obj (borrowed, read only, not kept) may be cached. Pure. */
typedef bool (*store_keep_fn)(json_object *obj, void *ud);
/*
 * From now on cache only the objects keep accepts (ud is passed back).
 * Call before the store is shared (not synchronised) and on an empty store.
 */
void store_set_filter(struct store *s, store_keep_fn keep, void *ud);

/*
 * Trim each object before it is cached (after the filter accepted it):
 * trim removes, in place, what no reader of this store needs, and must
 * keep metadata.name, metadata.namespace and the indexed label. The
 * object is the caller's (store_upsert, store_replace items), so the
 * caller sees it trimmed too. Call before the store is shared.
 */
typedef void (*store_trim_fn)(json_object *obj);
void store_set_trim(struct store *s, store_trim_fn trim);

/*
 * Hold each object as its compact JSON text rather than a json-c tree:
 * several times less memory (a json-c object is a hash table of at least
 * 16 slots), for a parse instead of a deep copy on every read, and a parse
 * per object for store_count (its match then sees a private copy). For
 * stores that are read seldom and hold many objects, e.g. an operator's
 * children. Call before the store is shared, on an empty store.
 */
void store_set_compact(struct store *s);

/* store_upsert's answer when the filter refused the object. */
#define STORE_REFUSED 1

/*
 * Replace the whole contents with the objects of the JSON array items
 * that the filter accepts (borrowed; the store takes its own reference to
 * each kept element, and strips managedFields from them). Objects that
 * were cached but are absent from the new contents (gone, or now refused)
 * are appended to the JSON array *removed (a new reference, possibly
 * empty) so the caller can treat them as deleted; removed may be NULL.
 * 0, -EINVAL (items is not an array of objects with metadata.name) or
 * -ENOMEM; the store is unchanged on failure.
 */
int store_replace(struct store *s, json_object *items, json_object **removed) TK_MUST_CHECK;

/*
 * store_replace a part at a time, for a list read page by page
 * (kube_list_pages): store_batch_add caches each page's kept items as
 * store_replace would (stripped, compacted), outside the lock and without
 * touching the store; the caller may free the page afterwards, so a
 * compact store never holds more than one page as trees.
 * store_batch_commit then swaps the whole new set in at once and reports
 * what left, as store_replace; the batch is empty after it. A batch is
 * used by one thread; free it with store_batch_free (commit or not).
 */
struct store_batch;
struct store_batch *store_batch_new(struct store *s);
int store_batch_add(struct store_batch *b, json_object *items) TK_MUST_CHECK;
int store_batch_commit(struct store_batch *b, json_object **removed) TK_MUST_CHECK;
void store_batch_free(struct store_batch *b);

/*
 * Insert or replace one object (the store takes a reference). *old, when
 * non-NULL, receives the previous object (a new reference) or NULL.
 * 0, -EINVAL (no metadata.name) or -ENOMEM. When the filter refuses obj,
 * obj is not taken, the object cached under its key (if any) is removed
 * as by store_delete and handed over in *old (released when old is NULL),
 * and the answer is STORE_REFUSED.
 */
int store_upsert(struct store *s, json_object *obj, json_object **old) TK_MUST_CHECK;

/* Remove ns/name; returns the removed object (a new reference) or NULL. */
json_object *store_delete(struct store *s, const char *ns, const char *name);

/*
 * Reading. A private deep copy (json-c reference counts are not
 * thread-safe, so no shared object leaves the store):
 * store_get: of ns/name (ns NULL or "" for cluster scope); a new reference
 *   the caller owns and may modify, or NULL when absent or out of memory.
 * store_list: a new array of every object (in namespace ns, or all when
 *   ns is NULL); NULL only on allocation failure.
 * store_list_label: the same for objects whose metadata.labels[label]
 *   equals value (the filter runs before copying, and the index of
 *   store_new_indexed makes it a lookup on that label).
 */
json_object *store_get(struct store *s, const char *ns, const char *name);
/* Whether ns/name is cached; copies nothing. */
bool store_has(struct store *s, const char *ns, const char *name);
json_object *store_list(struct store *s, const char *ns);
json_object *store_list_label(struct store *s, const char *ns, const char *label,
                              const char *value);
/*
 * Read ns/name in place: fn runs on the cached object under the store's
 * read lock, and its value is store_read's. It may only read the
 * object (no json_object_get or _put, no serializing: json-c caches the
 * text in the object) and keeps nothing of it; a compact store hands it a
 * private parse. -ENOENT when absent, -ENOMEM. For a reader that needs a
 * few fields of an object, not a deep copy of all of it.
 */
typedef int (*store_read_fn)(json_object *obj, void *ud);
int store_read(struct store *s, const char *ns, const char *name, store_read_fn fn, void *ud);

/* How many cached objects (in namespace ns, or all when ns is NULL) match
 * says true for. match sees the shared cached object under the store's
 * read lock: it may only read it (no json-c call that takes a reference)
 * and must not keep it. Counting this way copies nothing. */
size_t store_count(struct store *s, const char *ns, bool (*match)(json_object *obj, void *ud),
                   void *ud);

/* Whether the filter (store_set_filter) accepts obj: true with none. */
bool store_keeps(const struct store *s, json_object *obj);

size_t store_len(struct store *s);

/* Append the key "ns/name" (or "name") of every object to out. 0 or -ENOMEM. */
int store_keys(struct store *s, struct strlist *out) TK_MUST_CHECK;

#endif

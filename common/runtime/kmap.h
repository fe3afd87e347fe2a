/*
 * kmap.h - a small string-keyed hash map for the runtime
 * (stores, reference index, work queue).
 *
 * Not thread-safe: every user holds its own lock. Keys are copied and
 * owned by the map; values are opaque pointers whose lifetime the caller
 * manages (kmap_free takes a destructor for them).
 */
#ifndef THURKUBE_KMAP_H
#define THURKUBE_KMAP_H

#include "compat.h"

#include <stddef.h>

struct kmap;

/* New empty map, or NULL on allocation failure. */
struct kmap *kmap_new(void);
/* Free the map; free_val (may be NULL) is called on every value. */
void kmap_free(struct kmap *m, void (*free_val)(void *));

/* The value stored under key, or NULL when absent. */
void *kmap_get(const struct kmap *m, const char *key);
/*
 * Store val under key. When the key was present, its old value is
 * returned in *old (may be NULL to ignore it) and replaced; otherwise *old
 * is set to NULL. 0 or -ENOMEM (the map is then unchanged).
 */
int kmap_put(struct kmap *m, const char *key, void *val, void **old)
    __attribute__((warn_unused_result));
/* Remove key; returns its value (the caller releases it) or NULL. */
void *kmap_del(struct kmap *m, const char *key);
size_t kmap_len(const struct kmap *m);

/*
 * Visit every entry in no particular order. The callback must not modify
 * the map; a non-zero return stops the walk and is returned.
 */
int kmap_each(const struct kmap *m, int (*fn)(void *ud, const char *key, void *val), void *ud);

#endif

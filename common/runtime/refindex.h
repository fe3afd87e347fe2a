/*
 * refindex.h - which users name which objects: a forward map (user ->
 * reference keys) and its reverse (reference key -> users), kept in step
 * under one lock. Keys are opaque strings; the controller uses "ns/name"
 * of an AgentJob for users and "Kind/namespace/name" for references, and
 * reads the index to turn an event on a referenced object into the keys
 * of exactly the users that name it. Thread-safe.
 */
#ifndef THURKUBE_REFINDEX_H
#define THURKUBE_REFINDEX_H

#include "compat.h"

#include "util.h"

struct refindex;

/* New empty index, or NULL on allocation failure. */
struct refindex *refindex_new(void);
void refindex_free(struct refindex *ix);

/*
 * Record that user names refs (borrowed, copied), or forget the user when
 * refs is NULL. The references it had before are appended to prev (may be
 * NULL), so a caller can tell which objects lost a user. 0 or -ENOMEM
 * (the index then keeps the old entry).
 */
int refindex_update(struct refindex *ix, const char *user, const struct strlist *refs,
                    struct strlist *prev) TK_MUST_CHECK;

/* Append the users naming ref to out. 0 or -ENOMEM. */
int refindex_lookup(struct refindex *ix, const char *ref, struct strlist *out) TK_MUST_CHECK;

#endif

/* refindex.c - forward (user -> refs) and reverse (ref -> users) maps. */
#include "compat.h"

#include "runtime/refindex.h"

#include <errno.h>
#include <pthread.h>

#include "runtime/kmap.h"

struct refindex {
	pthread_mutex_t lock;
	struct kmap *fwd; /* user key -> struct strlist * of ref keys */
	struct kmap *rev; /* ref key -> struct kmap * set of user keys */
};

static void free_strlist(void *v)
{
	strlist_free(v);
	free(v);
}

static void free_set(void *v)
{
	kmap_free(v, NULL);
}

struct refindex *refindex_new(void)
{
	struct refindex *ix = calloc(1, sizeof(*ix));

	if (!ix)
		return NULL;
	ix->fwd = kmap_new();
	ix->rev = kmap_new();
	if (!ix->fwd || !ix->rev || pthread_mutex_init(&ix->lock, NULL) != 0) {
		kmap_free(ix->fwd, NULL);
		kmap_free(ix->rev, NULL);
		free(ix);
		return NULL;
	}
	return ix;
}

void refindex_free(struct refindex *ix)
{
	if (!ix)
		return;
	kmap_free(ix->fwd, free_strlist);
	kmap_free(ix->rev, free_set);
	pthread_mutex_destroy(&ix->lock);
	free(ix);
}

static void rev_remove(struct refindex *ix, const char *ref, const char *user)
{
	struct kmap *set = kmap_get(ix->rev, ref);

	if (!set)
		return;
	kmap_del(set, user);
	if (kmap_len(set) == 0)
		kmap_free(kmap_del(ix->rev, ref), NULL);
}

static int rev_add(struct refindex *ix, const char *ref, const char *user)
{
	struct kmap *set = kmap_get(ix->rev, ref);
	int r;

	if (!set) {
		set = kmap_new();
		if (!set)
			return -ENOMEM;
		r = kmap_put(ix->rev, ref, set, NULL);
		if (r < 0) {
			kmap_free(set, NULL);
			return r;
		}
	}
	r = kmap_put(set, user, (void *)1, NULL);
	if (r < 0 && kmap_len(set) == 0)
		kmap_free(kmap_del(ix->rev, ref), NULL);
	return r;
}

/* Point user at refs (taken; NULL to forget); returns the old list. */
static int refindex_swap(struct refindex *ix, const char *user, struct strlist *refs,
                         struct strlist **old_out)
{
	struct strlist *old = kmap_get(ix->fwd, user);
	size_t i;
	int r;

	for (i = 0; refs && i < refs->n; i++) {
		r = rev_add(ix, refs->v[i], user);
		if (r < 0)
			goto undo;
	}
	if (refs) {
		r = kmap_put(ix->fwd, user, refs, NULL);
		if (r < 0)
			goto undo;
	} else {
		kmap_del(ix->fwd, user);
	}
	for (i = 0; old && i < old->n; i++)
		if (!refs || !strlist_contains(refs, old->v[i]))
			rev_remove(ix, old->v[i], user);
	*old_out = old;
	return 0;
undo:
	while (i-- > 0)
		if (!old || !strlist_contains(old, refs->v[i]))
			rev_remove(ix, refs->v[i], user);
	return r;
}

static int strlist_copy(struct strlist *dst, const struct strlist *src)
{
	size_t i;
	int r;

	for (i = 0; i < src->n; i++) {
		r = strlist_add(dst, src->v[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int refindex_update(struct refindex *ix, const char *user, const struct strlist *refs,
                    struct strlist *prev)
{
	struct strlist *mine = NULL, *old = NULL;
	int r = 0;

	if (refs) {
		mine = calloc(1, sizeof(*mine));
		if (!mine)
			return -ENOMEM;
		r = strlist_copy(mine, refs);
		if (r < 0)
			goto out;
	}
	pthread_mutex_lock(&ix->lock);
	r = refindex_swap(ix, user, mine, &old);
	pthread_mutex_unlock(&ix->lock);
	if (r < 0)
		goto out;
	mine = NULL;
	if (prev && old)
		r = strlist_copy(prev, old);
out:
	if (old)
		free_strlist(old);
	if (mine)
		free_strlist(mine);
	return r;
}

static int lookup_one(void *ud, const char *key, void *val)
{
	(void)val;
	return strlist_add(ud, key) < 0 ? -ENOMEM : 0;
}

int refindex_lookup(struct refindex *ix, const char *ref, struct strlist *out)
{
	struct kmap *set;
	int r = 0;

	pthread_mutex_lock(&ix->lock);
	set = kmap_get(ix->rev, ref);
	if (set)
		r = kmap_each(set, lookup_one, out);
	pthread_mutex_unlock(&ix->lock);
	return r;
}

/* refindex.c - forward (AgentJob -> refs) and reverse (ref -> AgentJobs) maps. */
#include "compat.h"

#include "refindex.h"

#include <errno.h>
#include <pthread.h>

#include "kmap.h"
#include "limits.h"

struct refindex {
	pthread_mutex_t lock;
	struct kmap *fwd; /* "ns/name" -> struct strlist * of ref keys */
	struct kmap *rev; /* ref key -> struct kmap * set of "ns/name" */
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

/* Which spec field names which kind; Kind strings match ctl_res_info. */
static const struct {
	const char *field;
	const char *kind;
	bool list;
} ref_fields[] = {
    {"runtimeRef", "AgentRuntime", false},
    {"authRef", "AgentAuth", false},
    {"roleRef", "AgentRole", false},
    {"skillRef", "AgentSkill", false},
    {"clusterAccessRef", "ClusterAccess", false},
    {"mcpServerRefs", "McpServer", true},
    {"repositoryRefs", "Repository", true},
};

static int add_ref(struct strlist *out, const char *kind, const char *ns, json_object *v)
{
	struct buf key = BUF_INIT(3 * TK_MAX_NAME);
	int r = 0;

	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
		return 0;
	if (buf_printf(&key, "%s/%s/%s", kind, ns, json_object_get_string(v)) < 0)
		goto out; /* a name over the limit cannot exist; nothing to index */
	if (!strlist_contains(out, key.data))
		r = strlist_add(out, key.data);
out:
	buf_free(&key);
	return r;
}

int refindex_refs_of(json_object *aj, struct strlist *out)
{
	json_object *meta, *nsv, *spec, *v;
	const char *ns = "";
	size_t i, j;
	int r;

	if (json_object_object_get_ex(aj, "metadata", &meta) &&
	    json_object_object_get_ex(meta, "namespace", &nsv) &&
	    json_object_is_type(nsv, json_type_string))
		ns = json_object_get_string(nsv);
	if (!json_object_object_get_ex(aj, "spec", &spec) ||
	    !json_object_is_type(spec, json_type_object))
		return 0;
	for (i = 0; i < TK_ARRAY_LEN(ref_fields); i++) {
		if (!json_object_object_get_ex(spec, ref_fields[i].field, &v))
			continue;
		if (!ref_fields[i].list) {
			r = add_ref(out, ref_fields[i].kind, ns, v);
			if (r < 0)
				return r;
			continue;
		}
		if (!json_object_is_type(v, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(v) && j < TK_MAX_LIST_ITEMS; j++) {
			r = add_ref(out, ref_fields[i].kind, ns, json_object_array_get_idx(v, j));
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static void rev_remove(struct refindex *ix, const char *ref, const char *aj_key)
{
	struct kmap *set = kmap_get(ix->rev, ref);

	if (!set)
		return;
	kmap_del(set, aj_key);
	if (kmap_len(set) == 0)
		kmap_free(kmap_del(ix->rev, ref), NULL);
}

static int rev_add(struct refindex *ix, const char *ref, const char *aj_key)
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
	r = kmap_put(set, aj_key, (void *)1, NULL);
	if (r < 0 && kmap_len(set) == 0)
		kmap_free(kmap_del(ix->rev, ref), NULL);
	return r;
}

/* Point aj_key at refs (taken; NULL to forget); returns the old list. */
static int refindex_swap(struct refindex *ix, const char *aj_key, struct strlist *refs,
                         struct strlist **old_out)
{
	struct strlist *old = kmap_get(ix->fwd, aj_key);
	size_t i;
	int r;

	for (i = 0; refs && i < refs->n; i++) {
		r = rev_add(ix, refs->v[i], aj_key);
		if (r < 0)
			goto undo;
	}
	if (refs) {
		r = kmap_put(ix->fwd, aj_key, refs, NULL);
		if (r < 0)
			goto undo;
	} else {
		kmap_del(ix->fwd, aj_key);
	}
	for (i = 0; old && i < old->n; i++)
		if (!refs || !strlist_contains(refs, old->v[i]))
			rev_remove(ix, old->v[i], aj_key);
	*old_out = old;
	return 0;
undo:
	while (i-- > 0)
		if (!old || !strlist_contains(old, refs->v[i]))
			rev_remove(ix, refs->v[i], aj_key);
	return r;
}

int refindex_update(struct refindex *ix, const char *ns, const char *name, json_object *aj,
                    struct strlist *prev)
{
	struct buf key = BUF_INIT(2 * TK_MAX_NAME + 2);
	struct strlist *refs = NULL, *old = NULL;
	size_t i;
	int r;

	r = buf_printf(&key, "%s/%s", ns ? ns : "", name);
	if (r < 0)
		goto out;
	if (aj) {
		refs = calloc(1, sizeof(*refs));
		if (!refs) {
			r = -ENOMEM;
			goto out;
		}
		r = refindex_refs_of(aj, refs);
		if (r < 0)
			goto out;
	}
	pthread_mutex_lock(&ix->lock);
	r = refindex_swap(ix, key.data, refs, &old);
	pthread_mutex_unlock(&ix->lock);
	if (r < 0)
		goto out;
	refs = NULL;
	for (i = 0; prev && old && i < old->n; i++) {
		r = strlist_add(prev, old->v[i]);
		if (r < 0)
			break;
	}
out:
	if (old)
		free_strlist(old);
	if (refs)
		free_strlist(refs);
	buf_free(&key);
	return r;
}

static int lookup_one(void *ud, const char *key, void *val)
{
	(void)val;
	return strlist_add(ud, key) < 0 ? -ENOMEM : 0;
}

int refindex_lookup(struct refindex *ix, const char *ref_key, struct strlist *out)
{
	struct kmap *set;
	int r = 0;

	pthread_mutex_lock(&ix->lock);
	set = kmap_get(ix->rev, ref_key);
	if (set)
		r = kmap_each(set, lookup_one, out);
	pthread_mutex_unlock(&ix->lock);
	return r;
}

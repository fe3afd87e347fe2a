/* store.c - per-resource object caches behind a reader/writer lock. */
#include "compat.h"

#include "runtime/store.h"

#include <errno.h>
#include <pthread.h>

#include "jsonutil.h"
#include "limits.h"
#include "runtime/kmap.h"

struct store {
	pthread_rwlock_t lock;
	struct kmap *objs; /* key -> json_object (one reference held) */
	/*
	 * Optional label index: value of metadata.labels[index_label] ->
	 * set (a kmap whose values are &index_member) of the keys carrying
	 * it. Kept in step with objs under the same lock, so listing the
	 * objects of one owner does not walk every child of the cluster.
	 */
	char *index_label;
	struct kmap *index;
	/* Optional filter (store_set_filter): set before sharing, then read only. */
	store_keep_fn keep;
	void *keep_ud;
	/* Optional trim (store_set_trim): the same. */
	store_trim_fn trim;
};

static char index_member;

static void store_put_obj(void *v)
{
	json_object_put(v);
}

static void index_free_set(void *v)
{
	kmap_free(v, NULL);
}

struct store *store_new_indexed(const char *label)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->objs = kmap_new();
	if (label) {
		s->index_label = xstrdup(label);
		s->index = kmap_new();
	}
	if (!s->objs || (label && (!s->index_label || !s->index)) ||
	    pthread_rwlock_init(&s->lock, NULL) != 0) {
		kmap_free(s->objs, NULL);
		kmap_free(s->index, NULL);
		free(s->index_label);
		free(s);
		return NULL;
	}
	return s;
}

struct store *store_new(void)
{
	return store_new_indexed(NULL);
}

void store_free(struct store *s)
{
	if (!s)
		return;
	kmap_free(s->objs, store_put_obj);
	kmap_free(s->index, index_free_set);
	free(s->index_label);
	pthread_rwlock_destroy(&s->lock);
	free(s);
}

void store_set_filter(struct store *s, store_keep_fn keep, void *ud)
{
	s->keep = keep;
	s->keep_ud = ud;
}

bool store_keeps(const struct store *s, json_object *obj)
{
	return !s->keep || s->keep(obj, s->keep_ud);
}

/* Key into buf: "ns/name", or "name" when ns is NULL or "". */
static int store_key(struct buf *b, const char *ns, const char *name)
{
	buf_reset(b);
	if (ns && *ns)
		return buf_printf(b, "%s/%s", ns, name);
	return buf_puts(b, name);
}

static int store_obj_key(struct buf *b, json_object *obj)
{
	const char *name = jsonutil_name(obj);

	if (!json_object_is_type(obj, json_type_object) || !name || !*name)
		return -EINVAL;
	return store_key(b, jsonutil_namespace(obj), name);
}

void store_set_trim(struct store *s, store_trim_fn trim)
{
	s->trim = trim;
}

/* What is cached of obj: never managedFields, and what the trim keeps. */
static void store_trim_in(const struct store *s, json_object *obj)
{
	json_object *meta;

	if (json_object_object_get_ex(obj, "metadata", &meta) &&
	    json_object_is_type(meta, json_type_object))
		json_object_object_del(meta, "managedFields");
	if (s->trim)
		s->trim(obj);
}

/*
 * json-c reference counts are not atomic (Debian builds it without
 * ENABLE_THREADING), so a cached object is never shared with another
 * thread: readers get a deep copy, made under the read lock (copying only
 * reads the source). The cached object itself is touched only by the
 * informer thread that owns the store's entries.
 */
static json_object *store_copy(json_object *src)
{
	json_object *dst = NULL;

	if (!src || json_object_deep_copy(src, &dst, NULL) != 0)
		return NULL;
	return dst;
}

json_object *store_get(struct store *s, const char *ns, const char *name)
{
	struct buf key = BUF_INIT(2 * TK_MAX_NAME + 2);
	json_object *obj = NULL;

	if (!name || store_key(&key, ns, name) < 0)
		goto out;
	pthread_rwlock_rdlock(&s->lock);
	obj = store_copy(kmap_get(s->objs, key.data));
	pthread_rwlock_unlock(&s->lock);
out:
	buf_free(&key);
	return obj;
}

struct list_walk {
	const char *ns;
	const char *label, *value; /* both NULL: no label filter */
	json_object *arr;
	int err;
	const struct kmap *objs; /* walking an index set: where its keys point */
};

static bool has_label(json_object *obj, const char *label, const char *value)
{
	const char *v = jsonutil_label(obj, label);

	return v && strcmp(v, value) == 0;
}

/* Put key in the set of value. 0 or -ENOMEM (the index is then unchanged). */
static int index_add(struct kmap *ix, const char *value, const char *key)
{
	struct kmap *set = kmap_get(ix, value);
	bool fresh = false;

	if (!set) {
		set = kmap_new();
		if (!set || kmap_put(ix, value, set, NULL) < 0) {
			kmap_free(set, NULL);
			return -ENOMEM;
		}
		fresh = true;
	}
	if (kmap_put(set, key, &index_member, NULL) < 0) {
		if (fresh)
			kmap_free(kmap_del(ix, value), NULL);
		return -ENOMEM;
	}
	return 0;
}

/* Take key out of the set of value (a set left empty goes). Never fails. */
static void index_remove(struct kmap *ix, const char *value, const char *key)
{
	struct kmap *set = kmap_get(ix, value);

	if (!set)
		return;
	kmap_del(set, key);
	if (kmap_len(set) == 0)
		kmap_free(kmap_del(ix, value), NULL);
}

static bool index_has(struct kmap *ix, const char *value, const char *key)
{
	struct kmap *set = kmap_get(ix, value);

	return set && kmap_get(set, key);
}

static int store_list_one(void *ud, const char *key, void *val)
{
	struct list_walk *w = ud;
	json_object *copy;

	(void)key;
	if (w->ns && strcmp(jsonutil_namespace(val), w->ns) != 0)
		return 0;
	if (w->label && !has_label(val, w->label, w->value))
		return 0;
	copy = store_copy(val);
	if (!copy || json_object_array_add(w->arr, copy) < 0) {
		json_object_put(copy);
		w->err = -ENOMEM;
		return 1;
	}
	return 0;
}

static int store_list_indexed(void *ud, const char *key, void *member)
{
	struct list_walk *w = ud;
	json_object *obj = kmap_get(w->objs, key);

	(void)member;
	return obj ? store_list_one(ud, key, obj) : 0;
}

static json_object *store_list_filtered(struct store *s, const char *ns, const char *label,
                                        const char *value)
{
	struct list_walk w = {ns, label, value, json_object_new_array(), 0, NULL};

	if (!w.arr)
		return NULL;
	pthread_rwlock_rdlock(&s->lock);
	if (label && s->index && strcmp(label, s->index_label) == 0) {
		struct kmap *set = kmap_get(s->index, value);

		w.objs = s->objs;
		if (set)
			kmap_each(set, store_list_indexed, &w);
	} else {
		kmap_each(s->objs, store_list_one, &w);
	}
	pthread_rwlock_unlock(&s->lock);
	if (w.err) {
		json_object_put(w.arr);
		return NULL;
	}
	return w.arr;
}

json_object *store_list(struct store *s, const char *ns)
{
	return store_list_filtered(s, ns, NULL, NULL);
}

struct count_walk {
	const char *ns;
	bool (*match)(json_object *obj, void *ud);
	void *ud;
	size_t n;
};

static int store_count_one(void *ud, const char *key, void *val)
{
	struct count_walk *w = ud;

	(void)key;
	if (w->ns && strcmp(jsonutil_namespace(val), w->ns) != 0)
		return 0;
	w->n += w->match(val, w->ud);
	return 0;
}

size_t store_count(struct store *s, const char *ns, bool (*match)(json_object *obj, void *ud),
                   void *ud)
{
	struct count_walk w = {ns, match, ud, 0};

	pthread_rwlock_rdlock(&s->lock);
	kmap_each(s->objs, store_count_one, &w);
	pthread_rwlock_unlock(&s->lock);
	return w.n;
}

json_object *store_list_label(struct store *s, const char *ns, const char *label, const char *value)
{
	if (!label || !value)
		return json_object_new_array();
	return store_list_filtered(s, ns, label, value);
}

int store_upsert(struct store *s, json_object *obj, json_object **old)
{
	struct buf key = BUF_INIT(2 * TK_MAX_NAME + 2);
	void *prev = NULL;
	const char *nv = NULL, *pv;
	bool had = false;
	int r;

	r = store_obj_key(&key, obj);
	if (r < 0)
		goto out;
	if (!store_keeps(s, obj)) {
		prev = store_delete(s, jsonutil_namespace(obj), jsonutil_name(obj));
		r = STORE_REFUSED;
		goto refused;
	}
	store_trim_in(s, obj);
	pthread_rwlock_wrlock(&s->lock);
	if (s->index && (nv = jsonutil_label(obj, s->index_label))) {
		had = index_has(s->index, nv, key.data);
		r = index_add(s->index, nv, key.data);
	}
	if (r == 0) {
		r = kmap_put(s->objs, key.data, json_object_get(obj), &prev);
		if (r < 0) {
			json_object_put(obj);
			if (nv && !had)
				index_remove(s->index, nv, key.data);
		}
	}
	if (r == 0 && prev && s->index && (pv = jsonutil_label(prev, s->index_label)) &&
	    (!nv || strcmp(pv, nv) != 0))
		index_remove(s->index, pv, key.data);
	pthread_rwlock_unlock(&s->lock);
	if (r < 0)
		goto out;
refused:
	if (old)
		*old = prev;
	else
		json_object_put(prev);
out:
	buf_free(&key);
	return r;
}

json_object *store_delete(struct store *s, const char *ns, const char *name)
{
	struct buf key = BUF_INIT(2 * TK_MAX_NAME + 2);
	json_object *obj = NULL;

	if (!name || store_key(&key, ns, name) < 0)
		goto out;
	pthread_rwlock_wrlock(&s->lock);
	obj = kmap_del(s->objs, key.data);
	if (obj && s->index) {
		const char *v = jsonutil_label(obj, s->index_label);

		if (v)
			index_remove(s->index, v, key.data);
	}
	pthread_rwlock_unlock(&s->lock);
out:
	buf_free(&key);
	return obj;
}

struct removed_walk {
	struct kmap *next;
	json_object *removed;
	int err;
};

struct index_walk {
	const char *label;
	struct kmap *index;
};

static int store_index_one(void *ud, const char *key, void *val)
{
	struct index_walk *w = ud;
	const char *v = jsonutil_label(val, w->label);

	return v ? index_add(w->index, v, key) : 0;
}

static int store_collect_removed(void *ud, const char *key, void *val)
{
	struct removed_walk *w = ud;

	if (kmap_get(w->next, key))
		return 0;
	if (json_object_array_add(w->removed, json_object_get(val)) < 0) {
		json_object_put(val);
		w->err = -ENOMEM;
		return 1;
	}
	return 0;
}

/* Build the new map of the kept items outside the lock, then swap it in. */
static int store_build(const struct store *s, json_object *items, struct kmap *next)
{
	struct buf key = BUF_INIT(2 * TK_MAX_NAME + 2);
	size_t i, n = json_object_array_length(items);
	int r = 0;

	for (i = 0; i < n; i++) {
		json_object *obj = json_object_array_get_idx(items, i);
		void *prev = NULL;

		r = store_obj_key(&key, obj);
		if (r < 0)
			break;
		if (!store_keeps(s, obj))
			continue;
		store_trim_in(s, obj);
		r = kmap_put(next, key.data, json_object_get(obj), &prev);
		if (r < 0) {
			json_object_put(obj);
			break;
		}
		json_object_put(prev);
	}
	buf_free(&key);
	return r;
}

int store_replace(struct store *s, json_object *items, json_object **removed)
{
	struct removed_walk w = {NULL, NULL, 0};
	struct index_walk iw = {s->index_label, NULL};
	struct kmap *prev, *prev_index;
	int r;

	if (!json_object_is_type(items, json_type_array))
		return -EINVAL;
	w.next = kmap_new();
	if (!w.next)
		return -ENOMEM;
	r = store_build(s, items, w.next);
	if (r < 0)
		goto out;
	if (s->index) {
		iw.index = kmap_new();
		r = iw.index ? kmap_each(w.next, store_index_one, &iw) : -ENOMEM;
		if (r < 0)
			goto out;
	}
	if (removed) {
		w.removed = json_object_new_array();
		if (!w.removed) {
			r = -ENOMEM;
			goto out;
		}
	}
	pthread_rwlock_wrlock(&s->lock);
	if (removed)
		kmap_each(s->objs, store_collect_removed, &w);
	if (w.err) {
		pthread_rwlock_unlock(&s->lock);
		r = w.err;
		goto out;
	}
	prev = s->objs;
	s->objs = w.next;
	w.next = NULL;
	prev_index = s->index;
	if (s->index) {
		s->index = iw.index;
		iw.index = NULL;
	}
	pthread_rwlock_unlock(&s->lock);
	kmap_free(prev, store_put_obj);
	kmap_free(prev_index, index_free_set);
	if (removed) {
		*removed = w.removed;
		w.removed = NULL;
	}
out:
	json_object_put(w.removed);
	kmap_free(w.next, store_put_obj);
	kmap_free(iw.index, index_free_set);
	return r;
}

size_t store_len(struct store *s)
{
	size_t n;

	pthread_rwlock_rdlock(&s->lock);
	n = kmap_len(s->objs);
	pthread_rwlock_unlock(&s->lock);
	return n;
}

static int store_key_one(void *ud, const char *key, void *val)
{
	(void)val;
	return strlist_add(ud, key) < 0 ? -ENOMEM : 0;
}

int store_keys(struct store *s, struct strlist *out)
{
	int r;

	pthread_rwlock_rdlock(&s->lock);
	r = kmap_each(s->objs, store_key_one, out);
	pthread_rwlock_unlock(&s->lock);
	return r;
}

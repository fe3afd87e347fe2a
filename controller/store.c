/* store.c - per-resource object caches behind a reader/writer lock. */
#include "compat.h"

#include "store.h"

#include <errno.h>
#include <pthread.h>

#include "ctl.h"
#include "limits.h"
#include "kmap.h"

struct store {
	pthread_rwlock_t lock;
	struct kmap *objs; /* key -> json_object (one reference held) */
};

static void store_put_obj(void *v)
{
	json_object_put(v);
}

struct store *store_new(void)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->objs = kmap_new();
	if (!s->objs || pthread_rwlock_init(&s->lock, NULL) != 0) {
		kmap_free(s->objs, NULL);
		free(s);
		return NULL;
	}
	return s;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	kmap_free(s->objs, store_put_obj);
	pthread_rwlock_destroy(&s->lock);
	free(s);
}

static const char *meta_str(json_object *obj, const char *field)
{
	json_object *meta, *v;

	if (!json_object_object_get_ex(obj, "metadata", &meta) ||
	    !json_object_object_get_ex(meta, field, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

const char *store_obj_namespace(json_object *obj)
{
	const char *ns = meta_str(obj, "namespace");

	return ns ? ns : "";
}

const char *store_obj_name(json_object *obj)
{
	return meta_str(obj, "name");
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
	const char *name = store_obj_name(obj);

	if (!json_object_is_type(obj, json_type_object) || !name || !*name)
		return -EINVAL;
	return store_key(b, store_obj_namespace(obj), name);
}

static void strip_managed_fields(json_object *obj)
{
	json_object *meta;

	if (json_object_object_get_ex(obj, "metadata", &meta) &&
	    json_object_is_type(meta, json_type_object))
		json_object_object_del(meta, "managedFields");
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
};

static bool has_label(json_object *obj, const char *label, const char *value)
{
	json_object *meta, *labels, *v;

	return json_object_object_get_ex(obj, "metadata", &meta) &&
	       json_object_object_get_ex(meta, "labels", &labels) &&
	       json_object_object_get_ex(labels, label, &v) &&
	       json_object_is_type(v, json_type_string) &&
	       strcmp(json_object_get_string(v), value) == 0;
}

static int store_list_one(void *ud, const char *key, void *val)
{
	struct list_walk *w = ud;
	json_object *copy;

	(void)key;
	if (w->ns && strcmp(store_obj_namespace(val), w->ns) != 0)
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

static json_object *store_list_filtered(struct store *s, const char *ns, const char *label,
                                        const char *value)
{
	struct list_walk w = {ns, label, value, json_object_new_array(), 0};

	if (!w.arr)
		return NULL;
	pthread_rwlock_rdlock(&s->lock);
	kmap_each(s->objs, store_list_one, &w);
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
	int r;

	r = store_obj_key(&key, obj);
	if (r < 0)
		goto out;
	strip_managed_fields(obj);
	pthread_rwlock_wrlock(&s->lock);
	r = kmap_put(s->objs, key.data, json_object_get(obj), &prev);
	pthread_rwlock_unlock(&s->lock);
	if (r < 0) {
		json_object_put(obj);
		goto out;
	}
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

/* Build the new map outside the lock, then swap it in. */
static int store_build(json_object *items, struct kmap *next)
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
		strip_managed_fields(obj);
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
	struct kmap *prev;
	int r;

	if (!json_object_is_type(items, json_type_array))
		return -EINVAL;
	w.next = kmap_new();
	if (!w.next)
		return -ENOMEM;
	r = store_build(items, w.next);
	if (r < 0)
		goto out;
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
	pthread_rwlock_unlock(&s->lock);
	kmap_free(prev, store_put_obj);
	if (removed) {
		*removed = w.removed;
		w.removed = NULL;
	}
out:
	json_object_put(w.removed);
	kmap_free(w.next, store_put_obj);
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

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
	/*
	 * key -> the cached object: a json_object (one reference held), or
	 * in a compact store (store_set_compact) a struct centry.
	 */
	struct kmap *objs;
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
	/* Objects held as JSON text (store_set_compact): the same. */
	bool compact;
};

/*
 * A cached object of a compact store: its compact JSON text, and the value
 * of the index label so the index is kept without parsing. A json-c tree
 * costs several times its text (every JSON object is a hash table of at
 * least 16 slots), and every reader gets a private copy anyway: parsing
 * the text replaces the deep copy.
 */
struct centry {
	char *label; /* NULL when the object lacks the index label */
	size_t len;
	char text[];
};

static char index_member;

static void store_put_obj(void *v)
{
	json_object_put(v);
}

static void centry_free(void *v)
{
	struct centry *e = v;

	if (e)
		free(e->label);
	free(e);
}

/* The destructor of s's cached values. */
static void (*entry_free_fn(const struct store *s))(void *)
{
	return s->compact ? centry_free : store_put_obj;
}

static void entry_free(const struct store *s, void *v)
{
	entry_free_fn(s)(v);
}

/* What s caches of obj: a new reference, or a new centry. NULL: no memory. */
static void *entry_make(const struct store *s, json_object *obj)
{
	const char *text, *label;
	struct centry *e;
	size_t len;

	if (!s->compact)
		return json_object_get(obj);
	text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);
	if (!text)
		return NULL;
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	label = s->index_label ? jsonutil_label(obj, s->index_label) : NULL;
	e->label = label ? xstrdup(label) : NULL;
	if (label && !e->label) {
		free(e);
		return NULL;
	}
	e->len = len;
	memcpy(e->text, text, len + 1);
	return e;
}

/* A private object of the cached value v (a new reference), NULL: no memory. */
static json_object *entry_obj(const struct store *s, void *v)
{
	const struct centry *e = v;
	json_tokener *tok;
	json_object *obj;

	if (!v)
		return NULL;
	if (!s->compact) {
		obj = NULL;
		if (json_object_deep_copy(v, &obj, NULL) != 0)
			return NULL;
		return obj;
	}
	tok = json_tokener_new_ex(TK_MAX_JSON_DEPTH);
	if (!tok)
		return NULL;
	obj = json_tokener_parse_ex(tok, e->text, (int)e->len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/* The index label's value of the cached value v, or NULL. */
static const char *entry_label(const struct store *s, void *v)
{
	if (s->compact)
		return ((const struct centry *)v)->label;
	return jsonutil_label(v, s->index_label);
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
	kmap_free(s->objs, entry_free_fn(s));
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

void store_set_compact(struct store *s)
{
	s->compact = true;
}

bool store_keeps(const struct store *s, json_object *obj)
{
	return !s->keep || s->keep(obj, s->keep_ud);
}

/* Key into buf: "ns/name", or "name" when ns is NULL or "". */
static int store_key(struct buf *b, const char *ns, const char *name)
{
	int r = 0;

	buf_reset(b);
	/* Not buf_printf: two lookups per reference of each review. */
	if (ns && *ns) {
		r = buf_puts(b, ns);
		if (r == 0)
			r = buf_append(b, "/", 1);
	}
	return r ? r : buf_puts(b, name);
}

/* Whether the cached value v under key is in namespace ns ("" for none):
 * a compact store answers from the key, "ns/name" or "name". */
static bool entry_in_ns(const struct store *s, const char *key, void *v, const char *ns)
{
	size_t n;

	if (!s->compact)
		return strcmp(jsonutil_namespace(v), ns) == 0;
	n = strlen(ns);
	if (!n)
		return !strchr(key, '/');
	return strncmp(key, ns, n) == 0 && key[n] == '/';
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
 * thread: readers get a private copy (entry_obj: a deep copy, or a parse
 * of a compact entry), made under the read lock (copying only reads the
 * source). The cached object itself is touched only by the informer
 * thread that owns the store's entries.
 */
json_object *store_get(struct store *s, const char *ns, const char *name)
{
	struct buf key = BUF_INIT(2 * TK_MAX_NAME + 2);
	json_object *obj = NULL;

	if (!name || store_key(&key, ns, name) < 0)
		goto out;
	pthread_rwlock_rdlock(&s->lock);
	obj = entry_obj(s, kmap_get(s->objs, key.data));
	pthread_rwlock_unlock(&s->lock);
out:
	buf_free(&key);
	return obj;
}

bool store_has(struct store *s, const char *ns, const char *name)
{
	struct buf key = BUF_INIT(2 * TK_MAX_NAME + 2);
	bool has = false;

	if (name && store_key(&key, ns, name) == 0) {
		pthread_rwlock_rdlock(&s->lock);
		has = kmap_get(s->objs, key.data) != NULL;
		pthread_rwlock_unlock(&s->lock);
	}
	buf_free(&key);
	return has;
}

int store_read(struct store *s, const char *ns, const char *name, store_read_fn fn, void *ud)
{
	struct buf key = BUF_INIT(2 * TK_MAX_NAME + 2);
	json_object *obj;
	void *v;
	int r = -ENOENT;

	if (!name)
		return -ENOENT;
	if (store_key(&key, ns, name) < 0)
		return -ENOMEM;
	pthread_rwlock_rdlock(&s->lock);
	v = kmap_get(s->objs, key.data);
	if (v && !s->compact) {
		r = fn(v, ud);
	} else if (v) {
		obj = entry_obj(s, v);
		r = obj ? fn(obj, ud) : -ENOMEM;
		json_object_put(obj);
	}
	pthread_rwlock_unlock(&s->lock);
	buf_free(&key);
	return r;
}

struct list_walk {
	const struct store *s;
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

	if (w->ns && !entry_in_ns(w->s, key, val, w->ns))
		return 0;
	/* An index set's members carry the label: no check (and no parse). */
	if (w->label && !w->objs && !w->s->compact && !has_label(val, w->label, w->value))
		return 0;
	copy = entry_obj(w->s, val);
	if (!copy) {
		w->err = -ENOMEM;
		return 1;
	}
	if (w->label && !w->objs && w->s->compact && !has_label(copy, w->label, w->value)) {
		json_object_put(copy);
		return 0;
	}
	if (json_object_array_add(w->arr, copy) < 0) {
		json_object_put(copy);
		w->err = -ENOMEM;
		return 1;
	}
	return 0;
}

static int store_list_indexed(void *ud, const char *key, void *member)
{
	struct list_walk *w = ud;
	void *val = kmap_get(w->objs, key);

	(void)member;
	return val ? store_list_one(ud, key, val) : 0;
}

static json_object *store_list_filtered(struct store *s, const char *ns, const char *label,
                                        const char *value)
{
	struct list_walk w = {s, ns, label, value, json_object_new_array(), 0, NULL};

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
	const struct store *s;
	const char *ns;
	bool (*match)(json_object *obj, void *ud);
	void *ud;
	size_t n;
};

static int store_count_one(void *ud, const char *key, void *val)
{
	struct count_walk *w = ud;
	json_object *obj;

	if (w->ns && !entry_in_ns(w->s, key, val, w->ns))
		return 0;
	if (!w->s->compact) {
		w->n += w->match(val, w->ud);
		return 0;
	}
	/* A compact entry is parsed for match (an object it cannot parse,
	 * for lack of memory, is not counted). */
	obj = entry_obj(w->s, val);
	if (obj)
		w->n += w->match(obj, w->ud);
	json_object_put(obj);
	return 0;
}

size_t store_count(struct store *s, const char *ns, bool (*match)(json_object *obj, void *ud),
                   void *ud)
{
	struct count_walk w = {s, ns, match, ud, 0};

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

/* The object of a value taken out of s (the value is consumed): for a
 * compact store a parse, NULL when out of memory. */
static json_object *entry_take(const struct store *s, void *v)
{
	json_object *obj;

	if (!v || !s->compact)
		return v;
	obj = entry_obj(s, v);
	centry_free(v);
	return obj;
}

int store_upsert(struct store *s, json_object *obj, json_object **old)
{
	struct buf key = BUF_INIT(2 * TK_MAX_NAME + 2);
	void *prev = NULL, *e = NULL;
	json_object *prev_obj = NULL;
	const char *nv = NULL, *pv;
	bool had = false;
	int r;

	r = store_obj_key(&key, obj);
	if (r < 0)
		goto out;
	if (!store_keeps(s, obj)) {
		prev_obj = store_delete(s, jsonutil_namespace(obj), jsonutil_name(obj));
		r = STORE_REFUSED;
		goto refused;
	}
	store_trim_in(s, obj);
	e = entry_make(s, obj);
	if (!e) {
		r = -ENOMEM;
		goto out;
	}
	pthread_rwlock_wrlock(&s->lock);
	if (s->index && (nv = jsonutil_label(obj, s->index_label))) {
		had = index_has(s->index, nv, key.data);
		r = index_add(s->index, nv, key.data);
	}
	if (r == 0) {
		r = kmap_put(s->objs, key.data, e, &prev);
		if (r < 0) {
			entry_free(s, e);
			if (nv && !had)
				index_remove(s->index, nv, key.data);
		}
	} else {
		entry_free(s, e);
	}
	if (r == 0 && prev && s->index && (pv = entry_label(s, prev)) &&
	    (!nv || strcmp(pv, nv) != 0))
		index_remove(s->index, pv, key.data);
	pthread_rwlock_unlock(&s->lock);
	if (r < 0)
		goto out;
	if (old)
		prev_obj = entry_take(s, prev);
	else
		entry_free(s, prev);
refused:
	if (old)
		*old = prev_obj;
	else
		json_object_put(prev_obj);
out:
	buf_free(&key);
	return r;
}

json_object *store_delete(struct store *s, const char *ns, const char *name)
{
	struct buf key = BUF_INIT(2 * TK_MAX_NAME + 2);
	void *v = NULL;

	if (!name || store_key(&key, ns, name) < 0)
		goto out;
	pthread_rwlock_wrlock(&s->lock);
	v = kmap_del(s->objs, key.data);
	if (v && s->index) {
		const char *l = entry_label(s, v);

		if (l)
			index_remove(s->index, l, key.data);
	}
	pthread_rwlock_unlock(&s->lock);
out:
	buf_free(&key);
	return entry_take(s, v);
}

struct removed_walk {
	const struct store *s;
	struct kmap *next;
	json_object *removed;
	int err;
};

struct index_walk {
	const struct store *s;
	struct kmap *index;
};

static int store_index_one(void *ud, const char *key, void *val)
{
	struct index_walk *w = ud;
	const char *v = entry_label(w->s, val);

	return v ? index_add(w->index, v, key) : 0;
}

static int store_collect_removed(void *ud, const char *key, void *val)
{
	struct removed_walk *w = ud;
	json_object *obj;

	if (kmap_get(w->next, key))
		return 0;
	obj = w->s->compact ? entry_obj(w->s, val) : json_object_get(val);
	if (!obj || json_object_array_add(w->removed, obj) < 0) {
		json_object_put(obj);
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
		void *prev = NULL, *e;

		r = store_obj_key(&key, obj);
		if (r < 0)
			break;
		if (!store_keeps(s, obj))
			continue;
		store_trim_in(s, obj);
		e = entry_make(s, obj);
		r = e ? kmap_put(next, key.data, e, &prev) : -ENOMEM;
		if (r < 0) {
			entry_free(s, e);
			break;
		}
		entry_free(s, prev);
	}
	buf_free(&key);
	return r;
}

struct store_batch {
	struct store *s;
	struct kmap *next; /* the new set, built outside the lock */
};

struct store_batch *store_batch_new(struct store *s)
{
	struct store_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->s = s;
	b->next = kmap_new();
	if (!b->next) {
		free(b);
		return NULL;
	}
	return b;
}

int store_batch_add(struct store_batch *b, json_object *items)
{
	if (!json_object_is_type(items, json_type_array))
		return -EINVAL;
	if (!b->next) /* a commit could not allocate the next set */
		return -ENOMEM;
	return store_build(b->s, items, b->next);
}

void store_batch_free(struct store_batch *b)
{
	if (!b)
		return;
	kmap_free(b->next, entry_free_fn(b->s));
	free(b);
}

int store_batch_commit(struct store_batch *b, json_object **removed)
{
	struct store *s = b->s;
	struct removed_walk w = {s, b->next, NULL, 0};
	struct index_walk iw = {s, NULL};
	struct kmap *prev, *prev_index;
	int r = 0;

	if (s->index) {
		iw.index = kmap_new();
		r = iw.index ? kmap_each(b->next, store_index_one, &iw) : -ENOMEM;
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
	s->objs = b->next;
	b->next = kmap_new(); /* empty again; NULL makes a later add -ENOMEM */
	prev_index = s->index;
	if (s->index) {
		s->index = iw.index;
		iw.index = NULL;
	}
	pthread_rwlock_unlock(&s->lock);
	kmap_free(prev, entry_free_fn(s));
	kmap_free(prev_index, index_free_set);
	if (removed) {
		*removed = w.removed;
		w.removed = NULL;
	}
out:
	json_object_put(w.removed);
	kmap_free(iw.index, index_free_set);
	return r;
}

int store_replace(struct store *s, json_object *items, json_object **removed)
{
	struct store_batch *b;
	int r;

	if (!json_object_is_type(items, json_type_array))
		return -EINVAL;
	b = store_batch_new(s);
	if (!b)
		return -ENOMEM;
	r = store_batch_add(b, items);
	if (r == 0)
		r = store_batch_commit(b, removed);
	store_batch_free(b);
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

/* test_store.c - the runtime's object cache and reference index. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "jsonutil.h"
#include "runtime/refindex.h"
#include "runtime/store.h"
#include "util.h"

static json_object *parse(const char *s)
{
	json_object *o = json_tokener_parse(s);

	ck_assert_msg(o != NULL, "bad JSON in test: %s", s);
	return o;
}

static const char *name_of(json_object *o)
{
	return jsonutil_name(o);
}

/* Every store test runs twice: _i 0 with json-c trees, 1 compact. */
static struct store *mk_ix(const char *label, int compact)
{
	struct store *s = label ? store_new_indexed(label) : store_new();

	ck_assert_ptr_nonnull(s);
	if (compact)
		store_set_compact(s);
	return s;
}

/* store_read: spec.x of the object into *(int *)ud; 7 when it has none. */
static int read_x(json_object *obj, void *ud)
{
	json_object *x = json_object_object_get(json_object_object_get(obj, "spec"), "x");

	if (!x)
		return 7;
	*(int *)ud = json_object_get_int(x);
	return 0;
}

static struct store *mk(int compact)
{
	return mk_ix(NULL, compact);
}

START_TEST(test_store_basic)
{
	struct store *s = mk(_i);
	json_object *a =
	    parse("{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"a\","
	          "\"managedFields\":[{\"manager\":\"kubectl\"}]},\"spec\":{\"x\":1}}");
	json_object *got, *meta, *old = NULL;
	int x;

	ck_assert_int_eq(store_upsert(s, a, &old), 0);
	ck_assert_ptr_null(old);
	ck_assert_uint_eq(store_len(s), 1);
	got = store_get(s, "ns1", "a");
	ck_assert_ptr_nonnull(got);
	/* A private copy, without managedFields. */
	ck_assert_ptr_ne(got, a);
	ck_assert(json_object_object_get_ex(got, "metadata", &meta));
	ck_assert(!json_object_object_get_ex(meta, "managedFields", NULL));
	json_object_object_add(got, "spec", json_object_new_string("changed"));
	json_object_put(got);
	got = store_get(s, "ns1", "a");
	ck_assert(json_object_is_type(json_object_object_get(got, "spec"), json_type_object));
	json_object_put(got);
	ck_assert_ptr_null(store_get(s, "ns2", "a"));
	ck_assert_ptr_null(store_get(s, "ns1", "b"));
	ck_assert_ptr_null(store_get(s, "ns1", NULL));
	ck_assert(store_has(s, "ns1", "a"));
	ck_assert(!store_has(s, "ns2", "a"));
	ck_assert(!store_has(s, "ns1", "b"));
	ck_assert(!store_has(s, "ns1", NULL));
	/* Read in place: fn's value, -ENOENT when absent. */
	x = 0;
	ck_assert_int_eq(store_read(s, "ns1", "a", read_x, &x), 0);
	ck_assert_int_eq(x, 1);
	ck_assert_int_eq(store_read(s, "ns2", "a", read_x, &x), -ENOENT);
	ck_assert_int_eq(store_read(s, "ns1", "b", read_x, &x), -ENOENT);
	ck_assert_int_eq(store_read(s, "ns1", NULL, read_x, &x), -ENOENT);

	/* Update returns the previous object. */
	got = parse(
	    "{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"a\",\"resourceVersion\":\"2\"}}");
	ck_assert_int_eq(store_upsert(s, got, &old), 0);
	json_object_put(got);
	ck_assert_ptr_nonnull(old);
	ck_assert_int_eq(
	    json_object_get_int(json_object_object_get(json_object_object_get(old, "spec"), "x")),
	    1);
	json_object_put(old);
	ck_assert_int_eq(store_read(s, "ns1", "a", read_x, &x), 7);
	ck_assert_uint_eq(store_len(s), 1);

	/* Delete returns the object. */
	old = store_delete(s, "ns1", "a");
	ck_assert_ptr_nonnull(old);
	json_object_put(old);
	ck_assert_ptr_null(store_delete(s, "ns1", "a"));
	ck_assert_uint_eq(store_len(s), 0);

	/* Objects without a name are refused. */
	got = parse("{\"metadata\":{}}");
	ck_assert_int_eq(store_upsert(s, got, NULL), -EINVAL);
	json_object_put(got);
	json_object_put(a);
	store_free(s);
}
END_TEST

START_TEST(test_store_upsert_takes_ref)
{
	struct store *s = mk(_i);
	json_object *a = parse("{\"metadata\":{\"name\":\"cluster-scoped\"}}");
	json_object *got;

	ck_assert_int_eq(store_upsert(s, a, NULL), 0);
	json_object_put(a); /* the store keeps its own reference */
	got = store_get(s, NULL, "cluster-scoped");
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(name_of(got), "cluster-scoped");
	json_object_put(got);
	got = store_get(s, "", "cluster-scoped");
	ck_assert_ptr_nonnull(got);
	json_object_put(got);
	ck_assert(store_has(s, NULL, "cluster-scoped"));
	ck_assert(store_has(s, "", "cluster-scoped"));
	store_free(s);
}
END_TEST

/* A store_count predicate: metadata.labels.o == "x". */
static bool label_o_is_x(json_object *obj, void *ud)
{
	json_object *meta, *labels, *v;

	(void)ud;
	return json_object_object_get_ex(obj, "metadata", &meta) &&
	       json_object_object_get_ex(meta, "labels", &labels) &&
	       json_object_object_get_ex(labels, "o", &v) &&
	       strcmp(json_object_get_string(v), "x") == 0;
}

START_TEST(test_store_replace)
{
	struct store *s = mk(_i);
	json_object *items, *removed = NULL, *list;
	struct strlist keys = {0};

	items = parse("[{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"a\"}},"
	              "{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"b\"}},"
	              "{\"metadata\":{\"namespace\":\"ns2\",\"name\":\"c\"}}]");
	ck_assert_int_eq(store_replace(s, items, &removed), 0);
	ck_assert_uint_eq(json_object_array_length(removed), 0);
	json_object_put(removed);
	json_object_put(items);
	ck_assert_uint_eq(store_len(s), 3);

	list = store_list(s, "ns1");
	ck_assert_uint_eq(json_object_array_length(list), 2);
	json_object_put(list);
	list = store_list(s, NULL);
	ck_assert_uint_eq(json_object_array_length(list), 3);
	json_object_put(list);
	ck_assert_int_eq(store_keys(s, &keys), 0);
	ck_assert_uint_eq(keys.n, 3);
	ck_assert(strlist_contains(&keys, "ns2/c"));
	strlist_free(&keys);

	/* Label filter. */
	items = parse(
	    "[{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"a\",\"labels\":{\"o\":\"x\"}}},"
	    "{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"b\",\"labels\":{\"o\":\"y\"}}},"
	    "{\"metadata\":{\"namespace\":\"ns2\",\"name\":\"c\",\"labels\":{\"o\":\"x\"}}}]");
	ck_assert_int_eq(store_replace(s, items, NULL), 0);
	json_object_put(items);
	list = store_list_label(s, "ns1", "o", "x");
	ck_assert_uint_eq(json_object_array_length(list), 1);
	ck_assert_str_eq(name_of(json_object_array_get_idx(list, 0)), "a");
	json_object_put(list);
	list = store_list_label(s, NULL, "o", "x");
	ck_assert_uint_eq(json_object_array_length(list), 2);
	json_object_put(list);
	list = store_list_label(s, NULL, "other", "x");
	ck_assert_uint_eq(json_object_array_length(list), 0);
	json_object_put(list);
	ck_assert_uint_eq(store_count(s, "ns1", label_o_is_x, NULL), 1);
	ck_assert_uint_eq(store_count(s, NULL, label_o_is_x, NULL), 2);
	ck_assert_uint_eq(store_count(s, "ns3", label_o_is_x, NULL), 0);

	/* Relist: b vanished, d appeared. */
	items = parse("[{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"a\"}},"
	              "{\"metadata\":{\"namespace\":\"ns2\",\"name\":\"c\"}},"
	              "{\"metadata\":{\"namespace\":\"ns2\",\"name\":\"d\"}}]");
	ck_assert_int_eq(store_replace(s, items, &removed), 0);
	json_object_put(items);
	ck_assert_uint_eq(json_object_array_length(removed), 1);
	ck_assert_str_eq(name_of(json_object_array_get_idx(removed, 0)), "b");
	json_object_put(removed);
	ck_assert_uint_eq(store_len(s), 3);
	ck_assert_ptr_null(store_get(s, "ns1", "b"));
	ck_assert(!store_has(s, "ns1", "b"));

	/* A bad list leaves the store as it was. */
	items = parse("[{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"z\"}},{\"kind\":\"x\"}]");
	ck_assert_int_eq(store_replace(s, items, &removed), -EINVAL);
	json_object_put(items);
	ck_assert_uint_eq(store_len(s), 3);
	ck_assert_ptr_null(store_get(s, "ns1", "z"));
	items = parse("{}");
	ck_assert_int_eq(store_replace(s, items, NULL), -EINVAL);
	json_object_put(items);
	store_free(s);
}
END_TEST

START_TEST(test_store_many)
{
	struct store *s = mk(_i);
	char buf[128];
	int i;

	for (i = 0; i < 5000; i++) {
		json_object *o;

		snprintf(buf, sizeof(buf),
		         "{\"metadata\":{\"namespace\":\"ns%d\",\"name\":\"n%d\"}}", i % 7, i);
		o = parse(buf);
		ck_assert_int_eq(store_upsert(s, o, NULL), 0);
		json_object_put(o);
	}
	ck_assert_uint_eq(store_len(s), 5000);
	for (i = 0; i < 5000; i += 3) {
		char ns[16], name[16];

		snprintf(ns, sizeof(ns), "ns%d", i % 7);
		snprintf(name, sizeof(name), "n%d", i);
		json_object_put(store_delete(s, ns, name));
	}
	ck_assert_uint_eq(store_len(s), 5000 - 1667);
	store_free(s);
}
END_TEST

static json_object *labelled(const char *ns, const char *name, const char *o, const char *p)
{
	json_object *obj = json_object_new_object(), *meta = json_object_new_object();
	json_object *labels = json_object_new_object();

	json_object_object_add(meta, "namespace", json_object_new_string(ns));
	json_object_object_add(meta, "name", json_object_new_string(name));
	if (o)
		json_object_object_add(labels, "o", json_object_new_string(o));
	if (p)
		json_object_object_add(labels, "p", json_object_new_string(p));
	json_object_object_add(meta, "labels", labels);
	json_object_object_add(obj, "metadata", meta);
	return obj;
}

static size_t count_label(struct store *s, const char *ns, const char *label, const char *v)
{
	json_object *list = store_list_label(s, ns, label, v);
	size_t n;

	ck_assert_ptr_nonnull(list);
	n = json_object_array_length(list);
	json_object_put(list);
	return n;
}

static void upsert_put(struct store *s, json_object *obj)
{
	ck_assert_int_eq(store_upsert(s, obj, NULL), 0);
	json_object_put(obj);
}

/* The label index follows relabels, deletes and relists. */
START_TEST(test_store_index)
{
	struct store *s = mk_ix("o", _i);
	json_object *items, *list;

	ck_assert_ptr_nonnull(s);
	upsert_put(s, labelled("ns1", "a", "x", NULL));
	upsert_put(s, labelled("ns1", "b", "y", NULL));
	upsert_put(s, labelled("ns2", "c", "x", NULL));
	upsert_put(s, labelled("ns1", "d", NULL, "x"));
	ck_assert_uint_eq(count_label(s, "ns1", "o", "x"), 1);
	ck_assert_uint_eq(count_label(s, NULL, "o", "x"), 2);
	ck_assert_uint_eq(count_label(s, NULL, "o", "y"), 1);
	ck_assert_uint_eq(count_label(s, NULL, "o", "z"), 0);
	/* Another label: the walk, same answers. */
	ck_assert_uint_eq(count_label(s, NULL, "p", "x"), 1);
	list = store_list_label(s, "ns1", "o", "x");
	ck_assert_str_eq(name_of(json_object_array_get_idx(list, 0)), "a");
	json_object_put(list);

	/* Relabel a: x -> y, then no label; same value again is idempotent. */
	upsert_put(s, labelled("ns1", "a", "y", NULL));
	ck_assert_uint_eq(count_label(s, NULL, "o", "x"), 1);
	ck_assert_uint_eq(count_label(s, NULL, "o", "y"), 2);
	upsert_put(s, labelled("ns1", "a", "y", NULL));
	ck_assert_uint_eq(count_label(s, NULL, "o", "y"), 2);
	upsert_put(s, labelled("ns1", "a", NULL, NULL));
	ck_assert_uint_eq(count_label(s, NULL, "o", "y"), 1);

	/* Delete. */
	json_object_put(store_delete(s, "ns1", "b"));
	ck_assert_uint_eq(count_label(s, NULL, "o", "y"), 0);
	json_object_put(store_delete(s, "ns1", "b"));

	/* Relist: the index is rebuilt from the new contents. */
	items = json_object_new_array();
	json_object_array_add(items, labelled("ns3", "e", "x", NULL));
	json_object_array_add(items, labelled("ns2", "c", "y", NULL));
	ck_assert_int_eq(store_replace(s, items, NULL), 0);
	json_object_put(items);
	ck_assert_uint_eq(count_label(s, NULL, "o", "x"), 1);
	ck_assert_uint_eq(count_label(s, "ns3", "o", "x"), 1);
	ck_assert_uint_eq(count_label(s, NULL, "o", "y"), 1);
	ck_assert_uint_eq(count_label(s, "ns1", "o", "y"), 0);
	store_free(s);
}
END_TEST

/* A relist a page at a time: nothing shows before the commit, pages may
 * be freed once added, and the commit reports what left. */
START_TEST(test_store_batch)
{
	struct store *s = mk_ix("o", _i);
	struct store_batch *b;
	json_object *page, *removed = NULL, *obj;

	upsert_put(s, labelled("ns1", "old", "x", NULL));
	upsert_put(s, labelled("ns1", "kept", "x", NULL));
	b = store_batch_new(s);
	ck_assert_ptr_nonnull(b);
	page = json_object_new_array();
	json_object_array_add(page, labelled("ns1", "kept", "y", NULL));
	json_object_array_add(page, labelled("ns2", "p1", "x", NULL));
	ck_assert_int_eq(store_batch_add(b, page), 0);
	json_object_put(page);
	page = json_object_new_array();
	json_object_array_add(page, labelled("ns2", "p2", "y", NULL));
	ck_assert_int_eq(store_batch_add(b, page), 0);
	json_object_put(page);
	/* Not yet visible. */
	ck_assert_uint_eq(store_len(s), 2);
	ck_assert_ptr_null(store_get(s, "ns2", "p1"));
	ck_assert_uint_eq(count_label(s, NULL, "o", "x"), 2);
	/* A page that is not an array is refused, the batch stays usable. */
	page = parse("{}");
	ck_assert_int_eq(store_batch_add(b, page), -EINVAL);
	json_object_put(page);

	ck_assert_int_eq(store_batch_commit(b, &removed), 0);
	ck_assert_uint_eq(json_object_array_length(removed), 1);
	ck_assert_str_eq(name_of(json_object_array_get_idx(removed, 0)), "old");
	json_object_put(removed);
	ck_assert_uint_eq(store_len(s), 3);
	obj = store_get(s, "ns1", "kept");
	ck_assert_str_eq(jsonutil_label(obj, "o"), "y");
	json_object_put(obj);
	ck_assert_uint_eq(count_label(s, NULL, "o", "x"), 1);
	ck_assert_uint_eq(count_label(s, NULL, "o", "y"), 2);
	ck_assert_uint_eq(count_label(s, "ns2", "o", "y"), 1);
	/* Committing the emptied batch empties the store. */
	ck_assert_int_eq(store_batch_commit(b, &removed), 0);
	ck_assert_uint_eq(json_object_array_length(removed), 3);
	json_object_put(removed);
	ck_assert_uint_eq(store_len(s), 0);
	ck_assert_uint_eq(count_label(s, NULL, "o", "y"), 0);
	store_batch_free(b);
	store_free(s);
}
END_TEST

/* A long pseudo-random run of upserts, deletes and relists: the indexed
 * store answers every label query exactly as a plain store's walk does. */
START_TEST(test_store_index_matches_walk)
{
	static const char *const values[] = {"x", "y", "z", NULL};
	static const char *const nss[] = {"ns1", "ns2"};
	struct store *ix = mk_ix("o", _i), *plain = mk(_i);
	uint32_t rnd = 12345;
	char name[16];
	int step, v, n;

	ck_assert_ptr_nonnull(ix);
	ck_assert_ptr_nonnull(plain);
	for (step = 0; step < 3000; step++) {
		rnd = rnd * 1103515245u + 12345u;
		const char *ns = nss[(rnd >> 8) & 1];
		const char *val = values[(rnd >> 10) % 4];
		int op = (int)((rnd >> 16) % 20);

		snprintf(name, sizeof(name), "k%u", (unsigned)((rnd >> 20) % 24));
		if (op < 14) {
			upsert_put(ix, labelled(ns, name, val, NULL));
			upsert_put(plain, labelled(ns, name, val, NULL));
		} else if (op < 19) {
			json_object_put(store_delete(ix, ns, name));
			json_object_put(store_delete(plain, ns, name));
		} else {
			json_object *items = json_object_new_array();

			for (n = 0; n < (int)((rnd >> 4) % 6); n++) {
				snprintf(name, sizeof(name), "r%d", n);
				json_object_array_add(
				    items, labelled(nss[n & 1], name, values[n % 4], NULL));
			}
			ck_assert_int_eq(store_replace(ix, items, NULL), 0);
			ck_assert_int_eq(store_replace(plain, items, NULL), 0);
			json_object_put(items);
		}
		for (v = 0; v < 3; v++) {
			ck_assert_uint_eq(count_label(ix, NULL, "o", values[v]),
			                  count_label(plain, NULL, "o", values[v]));
			ck_assert_uint_eq(count_label(ix, ns, "o", values[v]),
			                  count_label(plain, ns, "o", values[v]));
		}
		ck_assert_uint_eq(store_len(ix), store_len(plain));
	}
	store_free(ix);
	store_free(plain);
}
END_TEST

/* Users are counted in the AgentJob store, per namespace, by spec field. */
static void expect_users(struct refindex *ix, const char *ref, size_t n, const char *one)
{
	struct strlist out = {0};

	ck_assert_int_eq(refindex_lookup(ix, ref, &out), 0);
	ck_assert_msg(out.n == n, "%s: %zu users, want %zu", ref, out.n, n);
	if (one)
		ck_assert(strlist_contains(&out, one));
	strlist_free(&out);
}

static void list_of(struct strlist *l, const char *const *v)
{
	strlist_free(l);
	for (; *v; v++)
		ck_assert_int_eq(strlist_add(l, *v), 0);
}

START_TEST(test_refindex)
{
	static const char *const a[] = {"R/t/claude", "Role/t/dev", "M/t/gh", "M/t/fs", NULL};
	static const char *const b[] = {"R/t/claude", "Role/t/ops", NULL};
	static const char *const a2[] = {"R/t/claude", "Role/t/ops", NULL};
	struct refindex *ix = refindex_new();
	struct strlist refs = {0}, prev = {0};

	list_of(&refs, a);
	ck_assert_int_eq(refindex_update(ix, "t/nightly", &refs, &prev), 0);
	ck_assert_uint_eq(prev.n, 0);
	list_of(&refs, b);
	ck_assert_int_eq(refindex_update(ix, "t/other", &refs, NULL), 0);
	/* The index copied the lists: changing the caller's changes nothing. */
	strlist_free(&refs);
	expect_users(ix, "R/t/claude", 2, "t/nightly");
	expect_users(ix, "Role/t/dev", 1, "t/nightly");
	expect_users(ix, "Role/t/ops", 1, "t/other");
	expect_users(ix, "M/t/gh", 1, "t/nightly");
	expect_users(ix, "R/elsewhere/claude", 0, NULL);

	/* nightly switches role dev -> ops and drops the rest. */
	list_of(&refs, a2);
	ck_assert_int_eq(refindex_update(ix, "t/nightly", &refs, &prev), 0);
	ck_assert_uint_eq(prev.n, 4);
	ck_assert(strlist_contains(&prev, "Role/t/dev"));
	strlist_free(&prev);
	expect_users(ix, "Role/t/dev", 0, NULL);
	expect_users(ix, "Role/t/ops", 2, "t/nightly");
	expect_users(ix, "M/t/gh", 0, NULL);

	/* Forgetting a user drops every reference of it. */
	ck_assert_int_eq(refindex_update(ix, "t/nightly", NULL, &prev), 0);
	ck_assert_uint_eq(prev.n, 2);
	strlist_free(&prev);
	expect_users(ix, "R/t/claude", 1, "t/other");
	ck_assert_int_eq(refindex_update(ix, "t/other", NULL, NULL), 0);
	expect_users(ix, "R/t/claude", 0, NULL);
	/* Forgetting an unknown user is fine. */
	ck_assert_int_eq(refindex_update(ix, "t/ghost", NULL, NULL), 0);
	strlist_free(&refs);
	refindex_free(ix);
}
END_TEST

/*
 * A compact store gives back what it was given: nested objects, numbers
 * of both kinds, escapes, non-ASCII text; and its namespace filter, taken
 * from the key, keeps "ns" apart from "ns2" and from cluster scope.
 */
START_TEST(test_store_compact_roundtrip)
{
	struct store *s = mk_ix("o", 1);
	const char *text =
	    "{\"metadata\":{\"namespace\":\"ns\",\"name\":\"a\",\"labels\":{\"o\":\"x\"}},"
	    "\"spec\":{\"n\":-9007199254740993,\"f\":0.25,\"t\":true,\"z\":null,"
	    "\"s\":\"a/b \\\"q\\\" \\u00e9\\n\",\"deep\":[[[{\"k\":[1,2,{}]}]]]}}";
	json_object *a = parse(text), *b, *c, *got, *all;

	b = parse("{\"metadata\":{\"namespace\":\"ns2\",\"name\":\"a\",\"labels\":{\"o\":\"x\"}}}");
	c = parse("{\"metadata\":{\"name\":\"ns\",\"labels\":{\"o\":\"x\"}}}");
	ck_assert_int_eq(store_upsert(s, a, NULL), 0);
	ck_assert_int_eq(store_upsert(s, b, NULL), 0);
	ck_assert_int_eq(store_upsert(s, c, NULL), 0);
	got = store_get(s, "ns", "a");
	ck_assert(json_object_equal(got, a));
	json_object_put(got);
	all = store_list(s, "ns");
	ck_assert_uint_eq(json_object_array_length(all), 1);
	ck_assert(json_object_equal(json_object_array_get_idx(all, 0), a));
	json_object_put(all);
	all = store_list(s, "");
	ck_assert_uint_eq(json_object_array_length(all), 1);
	ck_assert_str_eq(name_of(json_object_array_get_idx(all, 0)), "ns");
	json_object_put(all);
	all = store_list_label(s, "ns2", "o", "x");
	ck_assert_uint_eq(json_object_array_length(all), 1);
	json_object_put(all);
	ck_assert_uint_eq(store_count(s, "ns", label_o_is_x, NULL), 1);
	ck_assert_uint_eq(store_count(s, NULL, label_o_is_x, NULL), 3);
	got = store_delete(s, "ns", "a");
	ck_assert(json_object_equal(got, a));
	json_object_put(got);
	json_object_put(a);
	json_object_put(b);
	json_object_put(c);
	store_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_store_basic, 0, 2);
	tcase_add_loop_test(tc, test_store_upsert_takes_ref, 0, 2);
	tcase_add_loop_test(tc, test_store_replace, 0, 2);
	tcase_add_loop_test(tc, test_store_batch, 0, 2);
	tcase_add_loop_test(tc, test_store_many, 0, 2);
	tcase_add_loop_test(tc, test_store_index, 0, 2);
	tcase_add_loop_test(tc, test_store_index_matches_walk, 0, 2);
	tcase_add_test(tc, test_store_compact_roundtrip);
	tcase_add_test(tc, test_refindex);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

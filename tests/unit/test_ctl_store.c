/* test_ctl_store.c - stores, the reference index and event routing. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "../../controller/ctl.h"
#include "../../controller/queue.h"
#include "../../controller/refindex.h"
#include "../../controller/store.h"
#include "../../controller/status.h"

static json_object *parse(const char *s)
{
	json_object *o = json_tokener_parse(s);

	ck_assert_msg(o != NULL, "bad JSON in test: %s", s);
	return o;
}

static const char *name_of(json_object *o)
{
	return store_obj_name(o);
}

START_TEST(test_store_basic)
{
	struct store *s = store_new();
	json_object *a =
	    parse("{\"metadata\":{\"namespace\":\"ns1\",\"name\":\"a\","
	          "\"managedFields\":[{\"manager\":\"kubectl\"}]},\"spec\":{\"x\":1}}");
	json_object *got, *meta, *old = NULL;

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
	struct store *s = store_new();
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
	struct store *s = store_new();
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
	struct store *s = store_new();
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

static const char *aj_full =
    "{\"metadata\":{\"namespace\":\"team\",\"name\":\"nightly\"},"
    "\"spec\":{\"runtimeRef\":\"claude\",\"authRef\":\"key\",\"roleRef\":\"dev\","
    "\"skillRef\":\"review\",\"clusterAccessRef\":\"reader\","
    "\"mcpServerRefs\":[\"gh\",\"fs\",\"gh\"],\"repositoryRefs\":[\"app\"],\"prompt\":\"p\"}}";

START_TEST(test_refs_of)
{
	static const char *const want[] = {
	    "AgentRuntime/team/claude", "AgentAuth/team/key",        "AgentRole/team/dev",
	    "AgentSkill/team/review",   "ClusterAccess/team/reader", "McpServer/team/gh",
	    "McpServer/team/fs",        "Repository/team/app",
	};
	json_object *aj = parse(aj_full);
	struct strlist refs = {0};
	size_t i;

	ck_assert_int_eq(refindex_refs_of(aj, &refs), 0);
	ck_assert_uint_eq(refs.n, TK_ARRAY_LEN(want));
	for (i = 0; i < refs.n; i++)
		ck_assert_str_eq(refs.v[i], want[i]);
	strlist_free(&refs);
	json_object_put(aj);

	/* Wrong types and empty names are skipped, not fatal. */
	aj = parse("{\"metadata\":{\"namespace\":\"t\",\"name\":\"x\"},\"spec\":{\"runtimeRef\":7,"
	           "\"authRef\":\"\",\"mcpServerRefs\":\"gh\",\"repositoryRefs\":[1,\"r\"]}}");
	ck_assert_int_eq(refindex_refs_of(aj, &refs), 0);
	ck_assert_uint_eq(refs.n, 1);
	ck_assert_str_eq(refs.v[0], "Repository/t/r");
	strlist_free(&refs);
	json_object_put(aj);
}
END_TEST

static void expect_users(struct refindex *ix, const char *ref, size_t n, const char *one)
{
	struct strlist out = {0};

	ck_assert_int_eq(refindex_lookup(ix, ref, &out), 0);
	ck_assert_msg(out.n == n, "%s: %zu users, want %zu", ref, out.n, n);
	if (one)
		ck_assert(strlist_contains(&out, one));
	strlist_free(&out);
}

START_TEST(test_refindex)
{
	struct refindex *ix = refindex_new();
	json_object *a = parse(aj_full);
	json_object *b = parse("{\"metadata\":{\"namespace\":\"team\",\"name\":\"other\"},"
	                       "\"spec\":{\"runtimeRef\":\"claude\",\"roleRef\":\"ops\"}}");
	json_object *a2 = parse("{\"metadata\":{\"namespace\":\"team\",\"name\":\"nightly\"},"
	                        "\"spec\":{\"runtimeRef\":\"claude\",\"roleRef\":\"ops\"}}");
	struct strlist prev = {0};

	ck_assert_int_eq(refindex_update(ix, "team", "nightly", a, &prev), 0);
	ck_assert_uint_eq(prev.n, 0);
	ck_assert_int_eq(refindex_update(ix, "team", "other", b, NULL), 0);
	expect_users(ix, "AgentRuntime/team/claude", 2, "team/nightly");
	expect_users(ix, "AgentRole/team/dev", 1, "team/nightly");
	expect_users(ix, "AgentRole/team/ops", 1, "team/other");
	expect_users(ix, "McpServer/team/gh", 1, "team/nightly");
	expect_users(ix, "AgentRuntime/elsewhere/claude", 0, NULL);

	/* nightly switches role dev -> ops and drops everything else. */
	ck_assert_int_eq(refindex_update(ix, "team", "nightly", a2, &prev), 0);
	ck_assert_uint_eq(prev.n, 8);
	ck_assert(strlist_contains(&prev, "AgentRole/team/dev"));
	strlist_free(&prev);
	expect_users(ix, "AgentRole/team/dev", 0, NULL);
	expect_users(ix, "AgentRole/team/ops", 2, "team/nightly");
	expect_users(ix, "McpServer/team/gh", 0, NULL);

	/* Deleting forgets every reference. */
	ck_assert_int_eq(refindex_update(ix, "team", "nightly", NULL, &prev), 0);
	ck_assert_uint_eq(prev.n, 2);
	strlist_free(&prev);
	expect_users(ix, "AgentRuntime/team/claude", 1, "team/other");
	ck_assert_int_eq(refindex_update(ix, "team", "other", NULL, NULL), 0);
	expect_users(ix, "AgentRuntime/team/claude", 0, NULL);
	/* Deleting an unknown AgentJob is fine. */
	ck_assert_int_eq(refindex_update(ix, "team", "ghost", NULL, NULL), 0);

	json_object_put(a);
	json_object_put(b);
	json_object_put(a2);
	refindex_free(ix);
}
END_TEST

static const struct {
	const char *key;
	int ret;
	enum ctl_res kind;
	const char *ns, *name;
} key_table[] = {
    {"AgentJob/team/nightly", 0, RES_AGENTJOB, "team", "nightly"},
    {"AgentRole/a/b", 0, RES_AGENTROLE, "a", "b"},
    {"ClusterAccess/a/b", 0, RES_CLUSTERACCESS, "a", "b"},
    {"AgentRuntime/a/b", -EINVAL, 0, NULL, NULL},
    {"Job/a/b", -EINVAL, 0, NULL, NULL},
    {"AgentJob/a", -EINVAL, 0, NULL, NULL},
    {"AgentJob//b", -EINVAL, 0, NULL, NULL},
    {"AgentJob/a/", -EINVAL, 0, NULL, NULL},
    {"/a/b", -EINVAL, 0, NULL, NULL},
    {"AgentJob/a/b/c", -EINVAL, 0, NULL, NULL},
    {"", -EINVAL, 0, NULL, NULL},
};

START_TEST(test_key_parse)
{
	char *k = strdup(key_table[_i].key);
	const char *ns = NULL, *name = NULL;
	enum ctl_res kind = RES_COUNT;

	ck_assert_int_eq(ctl_key_parse(k, &kind, &ns, &name), key_table[_i].ret);
	if (key_table[_i].ret == 0) {
		ck_assert_int_eq(kind, key_table[_i].kind);
		ck_assert_str_eq(ns, key_table[_i].ns);
		ck_assert_str_eq(name, key_table[_i].name);
	}
	free(k);
}
END_TEST

START_TEST(test_res_info)
{
	int r;

	for (r = 0; r < RES_COUNT; r++) {
		const struct ctl_res_info *ri = ctl_res_info(r);

		ck_assert_ptr_nonnull(ri);
		ck_assert_ptr_nonnull(ri->kind);
		ck_assert_ptr_nonnull(ri->plural);
		ck_assert_ptr_nonnull(ri->version);
		ck_assert_ptr_nonnull(ri->group);
		ck_assert_int_eq(ri->child, r >= RES_JOB);
	}
	ck_assert_str_eq(ctl_res_info(RES_PVC)->plural, "persistentvolumeclaims");
	ck_assert(!ctl_res_info(RES_CLUSTERROLE)->namespaced);
	ck_assert_str_eq(ctl_res_info(RES_CRONJOB)->group, "batch");
	ck_assert_ptr_null(ctl_res_info(RES_COUNT));
}
END_TEST

/* A ctl with an index, fed with two AgentJobs. */
static void setup_ctl(struct ctl *c)
{
	json_object *a = parse(aj_full);
	json_object *b = parse("{\"metadata\":{\"namespace\":\"team\",\"name\":\"other\"},"
	                       "\"spec\":{\"runtimeRef\":\"claude\",\"roleRef\":\"ops\"}}");
	struct strlist keys = {0};

	memset(c, 0, sizeof(*c));
	c->refs = refindex_new();
	ck_assert_ptr_nonnull(c->refs);
	ck_assert_int_eq(ctl_route(c, RES_AGENTJOB, a, false, &keys), 0);
	ck_assert_int_eq(ctl_route(c, RES_AGENTJOB, b, false, &keys), 0);
	strlist_free(&keys);
	json_object_put(a);
	json_object_put(b);
}

static const struct {
	const char *what;
	enum ctl_res res;
	const char *obj;
	bool deleted;
	const char *want[4];
} route_table[] = {
    {"runtime used by two",
     RES_AGENTRUNTIME,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"claude\"}}",
     false,
     {"AgentJob/team/nightly", "AgentJob/team/other"}},
    {"runtime in another namespace",
     RES_AGENTRUNTIME,
     "{\"metadata\":{\"namespace\":\"prod\",\"name\":\"claude\"}}",
     false,
     {NULL}},
    {"mcp server",
     RES_MCPSERVER,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"fs\"}}",
     true,
     {"AgentJob/team/nightly"}},
    {"repository",
     RES_REPOSITORY,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"app\"}}",
     false,
     {"AgentJob/team/nightly"}},
    {"auth",
     RES_AGENTAUTH,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"key\"}}",
     false,
     {"AgentJob/team/nightly"}},
    {"skill unused",
     RES_AGENTSKILL,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"x\"}}",
     false,
     {NULL}},
    {"role: itself and users",
     RES_AGENTROLE,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"ops\"}}",
     false,
     {"AgentRole/team/ops", "AgentJob/team/other"}},
    {"unused role: itself",
     RES_AGENTROLE,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"none\"}}",
     false,
     {"AgentRole/team/none"}},
    {"cluster access: itself and users",
     RES_CLUSTERACCESS,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"reader\"}}",
     true,
     {"ClusterAccess/team/reader", "AgentJob/team/nightly"}},
    {"job with owner labels only: labels are no claim",
     RES_JOB,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"nightly-abc\",\"labels\":{"
     "\"app.kubernetes.io/managed-by\":\"thurkube\","
     "\"thurkube.thurbeen.eu/agentjob\":\"nightly\","
     "\"thurkube.thurbeen.eu/agentjob-namespace\":\"team\"}}}",
     false,
     {NULL}},
    {"configmap routed by its controller reference, not its labels",
     RES_CONFIGMAP,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"n-config\",\"labels\":{"
     "\"thurkube.thurbeen.eu/agentjob\":\"bait\","
     "\"thurkube.thurbeen.eu/agentjob-namespace\":\"decoy\"},"
     "\"ownerReferences\":[{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\","
     "\"kind\":\"AgentJob\",\"name\":\"n\",\"uid\":\"u1\",\"controller\":true}]}}",
     true,
     {"AgentJob/team/n"}},
    {"job of a thurkube CronJob, by its labels in its own namespace",
     RES_JOB,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"nightly-29\",\"labels\":{"
     "\"app.kubernetes.io/managed-by\":\"thurkube\","
     "\"thurkube.thurbeen.eu/agentjob\":\"nightly\","
     "\"thurkube.thurbeen.eu/agentjob-namespace\":\"other\"},"
     "\"ownerReferences\":[{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\","
     "\"name\":\"nightly\",\"uid\":\"u2\",\"controller\":true}]}}",
     false,
     {"AgentJob/team/nightly"}},
    {"child without labels",
     RES_PVC,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"x\"}}",
     false,
     {NULL}},
    {"cluster role",
     RES_CLUSTERROLE,
     "{\"metadata\":{\"name\":\"thurkube-1234\",\"labels\":{"
     "\"thurkube.thurbeen.eu/clusteraccess\":\"reader\","
     "\"thurkube.thurbeen.eu/clusteraccess-namespace\":\"team\"}}}",
     true,
     {"ClusterAccess/team/reader"}},
    {"cluster role binding",
     RES_CLUSTERROLEBINDING,
     "{\"metadata\":{\"name\":\"thurkube-b\",\"labels\":{"
     "\"thurkube.thurbeen.eu/agentjob\":\"nightly\","
     "\"thurkube.thurbeen.eu/agentjob-namespace\":\"team\","
     "\"thurkube.thurbeen.eu/clusteraccess\":\"reader\","
     "\"thurkube.thurbeen.eu/clusteraccess-namespace\":\"team\"}}}",
     false,
     {"AgentJob/team/nightly", "ClusterAccess/team/reader"}},
    {"cluster role without namespace label",
     RES_CLUSTERROLE,
     "{\"metadata\":{\"name\":\"thurkube-1234\",\"labels\":{"
     "\"thurkube.thurbeen.eu/clusteraccess\":\"reader\"}}}",
     false,
     {NULL}},
};

START_TEST(test_route)
{
	struct ctl c;
	json_object *obj = parse(route_table[_i].obj);
	struct strlist keys = {0};
	size_t n = 0, i;

	setup_ctl(&c);
	ck_assert_int_eq(ctl_route(&c, route_table[_i].res, obj, route_table[_i].deleted, &keys),
	                 0);
	for (i = 0; i < 4 && route_table[_i].want[i]; i++, n++)
		ck_assert_msg(strlist_contains(&keys, route_table[_i].want[i]), "%s: missing %s",
		              route_table[_i].what, route_table[_i].want[i]);
	ck_assert_msg(keys.n == n, "%s: %zu keys, want %zu", route_table[_i].what, keys.n, n);
	strlist_free(&keys);
	json_object_put(obj);
	refindex_free(c.refs);
}
END_TEST

START_TEST(test_route_agentjob_change)
{
	struct ctl c;
	json_object *obj = parse("{\"metadata\":{\"namespace\":\"team\",\"name\":\"nightly\"},"
	                         "\"spec\":{\"runtimeRef\":\"claude\",\"roleRef\":\"ops\"}}");
	struct strlist keys = {0}, users = {0};

	setup_ctl(&c);
	/* nightly moves from role dev + access reader to role ops: the old and
	 * new role and the old access recount their users. */
	ck_assert_int_eq(ctl_route(&c, RES_AGENTJOB, obj, false, &keys), 0);
	ck_assert(strlist_contains(&keys, "AgentJob/team/nightly"));
	ck_assert(strlist_contains(&keys, "AgentRole/team/dev"));
	ck_assert(strlist_contains(&keys, "AgentRole/team/ops"));
	ck_assert(strlist_contains(&keys, "ClusterAccess/team/reader"));
	ck_assert(!strlist_contains(&keys, "AgentRuntime/team/claude"));
	strlist_free(&keys);
	ck_assert_int_eq(ctl_agentjobs_referencing(&c, RES_AGENTROLE, "team", "ops", &users), 0);
	ck_assert_uint_eq(users.n, 2);
	strlist_free(&users);
	ck_assert_int_eq(ctl_agentjobs_referencing(&c, RES_CLUSTERACCESS, "team", "reader", &users),
	                 0);
	ck_assert_uint_eq(users.n, 0);

	/* Deleted: itself and its role. */
	ck_assert_int_eq(ctl_route(&c, RES_AGENTJOB, obj, true, &keys), 0);
	ck_assert_uint_eq(keys.n, 2);
	ck_assert(strlist_contains(&keys, "AgentRole/team/ops"));
	strlist_free(&keys);
	ck_assert_int_eq(ctl_agentjobs_referencing(&c, RES_AGENTROLE, "team", "ops", &users), 0);
	ck_assert_uint_eq(users.n, 1);
	strlist_free(&users);
	json_object_put(obj);
	refindex_free(c.refs);
}
END_TEST

/* An object ns/name with labels o=<o> (none when NULL) and p=<p>. */
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
	struct store *s = store_new_indexed("o");
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

/* A long pseudo-random run of upserts, deletes and relists: the indexed
 * store answers every label query exactly as a plain store's walk does. */
START_TEST(test_store_index_matches_walk)
{
	static const char *const values[] = {"x", "y", "z", NULL};
	static const char *const nss[] = {"ns1", "ns2"};
	struct store *ix = store_new_indexed("o"), *plain = store_new();
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
START_TEST(test_count_users)
{
	struct ctl c;
	json_object *items = parse(
	    "[{\"metadata\":{\"namespace\":\"team\",\"name\":\"a\"},"
	    "\"spec\":{\"roleRef\":\"ops\",\"clusterAccessRef\":\"reader\"}},"
	    "{\"metadata\":{\"namespace\":\"team\",\"name\":\"b\"},\"spec\":{\"roleRef\":\"ops\"}},"
	    "{\"metadata\":{\"namespace\":\"team\",\"name\":\"c\"},\"spec\":{\"roleRef\":7}},"
	    "{\"metadata\":{\"namespace\":\"team\",\"name\":\"d\"}},"
	    "{\"metadata\":{\"namespace\":\"else\",\"name\":\"a\"},\"spec\":{\"roleRef\":\"ops\"}}"
	    "]");

	memset(&c, 0, sizeof(c));
	c.stores[RES_AGENTJOB] = store_new();
	ck_assert_ptr_nonnull(c.stores[RES_AGENTJOB]);
	ck_assert_int_eq(store_replace(c.stores[RES_AGENTJOB], items, NULL), 0);
	ck_assert_int_eq(ctl_count_users(&c, "team", "roleRef", "ops"), 2);
	ck_assert_int_eq(ctl_count_users(&c, "else", "roleRef", "ops"), 1);
	ck_assert_int_eq(ctl_count_users(&c, "team", "clusterAccessRef", "reader"), 1);
	ck_assert_int_eq(ctl_count_users(&c, "team", "clusterAccessRef", "ops"), 0);
	ck_assert_int_eq(ctl_count_users(&c, "none", "roleRef", "ops"), 0);
	/* The same figure the pure counter gives on a copy of the list. */
	json_object *list = store_list(c.stores[RES_AGENTJOB], "team");
	ck_assert_int_eq(status_count_users(list, "roleRef", "ops"), 2);
	json_object_put(list);
	json_object_put(items);
	store_free(c.stores[RES_AGENTJOB]);
}
END_TEST

START_TEST(test_handle_event_queues)
{
	struct ctl c;
	json_object *obj = parse("{\"metadata\":{\"namespace\":\"team\",\"name\":\"claude\"}}");
	struct queue_stats st;
	char *k = NULL;

	setup_ctl(&c);
	c.queue = queue_new(NULL, NULL);
	ck_assert_int_eq(ctl_handle_event(&c, RES_AGENTRUNTIME, obj, false), 0);
	ck_assert_int_eq(ctl_handle_event(&c, RES_AGENTRUNTIME, obj, false), 0);
	queue_stats(c.queue, &st);
	ck_assert_uint_eq(st.depth, 2); /* merged */
	ck_assert_int_eq(ctl_enqueue(&c, RES_AGENTJOB, "team", "nightly", 0), 0);
	ck_assert_int_eq(ctl_enqueue(&c, RES_AGENTRUNTIME, "team", "claude", 0), -EINVAL);
	queue_stats(c.queue, &st);
	ck_assert_uint_eq(st.depth, 2);
	ck_assert_int_eq(queue_try_get(c.queue, &k), 0);
	ck_assert(strncmp(k, "AgentJob/team/", 14) == 0);
	queue_done(c.queue, k);
	free(k);
	queue_free(c.queue);
	json_object_put(obj);
	refindex_free(c.refs);
}
END_TEST

#define AJ_REF(ctl)                                                                                \
	"{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\",\"kind\":\"AgentJob\",\"name\":\"aj\"," \
	"\"uid\":\"u1\",\"controller\":" ctl "}"
#define CRON_REF                                                                                   \
	"{\"apiVersion\":\"batch/"                                                                 \
	"v1\",\"kind\":\"CronJob\",\"name\":\"aj\",\"uid\":\"u2\",\"controller\":true}"
#define TK_LABELS                                                                                  \
	"\"labels\":{\"app.kubernetes.io/managed-by\":\"thurkube\","                               \
	"\"thurkube.thurbeen.eu/agentjob\":\"bait\",\"thurkube.thurbeen.eu/"                       \
	"agentjob-namespace\":\"ns\"}"

/* Who owns a namespaced child: the controller reference decides. */
static const struct {
	const char *what;
	enum ctl_res res;
	const char *meta; /* inside "metadata":{"namespace":"ns","name":"x", ...} */
	const char *want; /* NULL: not ours */
} owner_table[] = {
    {"labels alone", RES_CONFIGMAP, TK_LABELS, NULL},
    {"no metadata extras", RES_PVC, "\"x\":1", NULL},
    {"AgentJob controller", RES_CONFIGMAP, "\"ownerReferences\":[" AJ_REF("true") "]", "aj"},
    {"AgentJob controller, foreign labels", RES_SERVICEACCOUNT,
     TK_LABELS ",\"ownerReferences\":[" AJ_REF("true") "]", "aj"},
    {"AgentJob controller of a PVC", RES_PVC, "\"ownerReferences\":[" AJ_REF("true") "]", "aj"},
    {"AgentJob controller of a CronJob", RES_CRONJOB, "\"ownerReferences\":[" AJ_REF("true") "]",
     "aj"},
    {"AgentJob reference, not controller", RES_CONFIGMAP,
     TK_LABELS ",\"ownerReferences\":[" AJ_REF("false") "]", NULL},
    {"controller as a string", RES_CONFIGMAP, "\"ownerReferences\":[" AJ_REF("\"true\"") "]", NULL},
    {"second reference is the controller", RES_JOB,
     "\"ownerReferences\":[" AJ_REF("false") "," AJ_REF("true") "]", "aj"},
    {"AgentJob of another group", RES_CONFIGMAP,
     "\"ownerReferences\":[{\"apiVersion\":\"thurkube.thurbeen.eu.evil/v1\","
     "\"kind\":\"AgentJob\",\"name\":\"aj\",\"controller\":true}]",
     NULL},
    {"AgentJob without a group", RES_CONFIGMAP,
     "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"AgentJob\",\"name\":\"aj\","
     "\"controller\":true}]",
     NULL},
    {"AgentJob reference without a name", RES_CONFIGMAP,
     "\"ownerReferences\":[{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\","
     "\"kind\":\"AgentJob\",\"controller\":true}]",
     NULL},
    {"Job of a CronJob with thurkube's labels", RES_JOB,
     TK_LABELS ",\"ownerReferences\":[" CRON_REF "]", "bait"},
    {"Job of a CronJob without labels", RES_JOB, "\"ownerReferences\":[" CRON_REF "]", NULL},
    {"Job of a CronJob, managed by someone else", RES_JOB,
     "\"labels\":{\"app.kubernetes.io/managed-by\":\"helm\","
     "\"thurkube.thurbeen.eu/agentjob\":\"bait\"},\"ownerReferences\":[" CRON_REF "]",
     NULL},
    {"ConfigMap 'of a CronJob'", RES_CONFIGMAP, TK_LABELS ",\"ownerReferences\":[" CRON_REF "]",
     NULL},
    {"Job of a Deployment", RES_JOB,
     TK_LABELS ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"CronJob\","
               "\"name\":\"aj\",\"controller\":true}]",
     NULL},
    {"not a namespaced child", RES_AGENTRUNTIME, "\"ownerReferences\":[" AJ_REF("true") "]", NULL},
    {"cluster-scoped child", RES_CLUSTERROLEBINDING, "\"ownerReferences\":[" AJ_REF("true") "]",
     NULL},
};

START_TEST(test_child_owner)
{
	char text[2048];
	json_object *obj;
	const char *got;

	snprintf(text, sizeof(text), "{\"metadata\":{\"namespace\":\"ns\",\"name\":\"x\",%s}}",
	         owner_table[_i].meta);
	obj = parse(text);
	got = ctl_child_owner(owner_table[_i].res, obj);
	if (owner_table[_i].want)
		ck_assert_msg(got && strcmp(got, owner_table[_i].want) == 0, "%s: got %s",
		              owner_table[_i].what, got ? got : "NULL");
	else
		ck_assert_msg(!got, "%s: got %s", owner_table[_i].what, got);
	json_object_put(obj);
}
END_TEST

/* The informer's filter of namespaced children (informer.c). */
static bool keeps_configmap(json_object *obj, void *ud)
{
	(void)ud;
	return ctl_child_owner(RES_CONFIGMAP, obj) != NULL;
}

static const char *owned_cm = "{\"metadata\":{\"namespace\":\"ns\",\"name\":\"cm\"," TK_LABELS
                              ",\"ownerReferences\":[" AJ_REF("true") "]}}";
static const char *foreign_cm =
    "{\"metadata\":{\"namespace\":\"ns\",\"name\":\"cm\"," TK_LABELS "}}";

START_TEST(test_store_filter_upsert)
{
	struct store *s = ctl_store_new(RES_CONFIGMAP);
	json_object *owned = parse(owned_cm), *foreign = parse(foreign_cm), *old = NULL, *l;

	store_set_filter(s, keeps_configmap, NULL);
	/* A labelled object someone else made is not cached. */
	ck_assert_int_eq(store_upsert(s, foreign, &old), STORE_REFUSED);
	ck_assert_ptr_null(old);
	ck_assert_uint_eq(store_len(s), 0);
	/* Ours is. */
	ck_assert_int_eq(store_upsert(s, owned, &old), 0);
	ck_assert_ptr_null(old);
	ck_assert_uint_eq(store_len(s), 1);
	/* It loses its controller reference: it leaves the store, and the
	 * caller gets the last cached state to route as a delete. */
	ck_assert_int_eq(store_upsert(s, foreign, &old), STORE_REFUSED);
	ck_assert_ptr_nonnull(old);
	ck_assert_ptr_nonnull(ctl_child_owner(RES_CONFIGMAP, old));
	json_object_put(old);
	ck_assert_uint_eq(store_len(s), 0);
	ck_assert_ptr_null(store_get(s, "ns", "cm"));
	/* and from the label index too. */
	l = store_list_label(s, "ns", CTL_LABEL_AGENTJOB, "bait");
	ck_assert_uint_eq(json_object_array_length(l), 0);
	json_object_put(l);
	/* Without old, the removed object is released. */
	ck_assert_int_eq(store_upsert(s, owned, NULL), 0);
	ck_assert_int_eq(store_upsert(s, foreign, NULL), STORE_REFUSED);
	ck_assert_uint_eq(store_len(s), 0);
	/* The store holds no reference to either any more (1: freed). */
	ck_assert_int_eq(json_object_put(owned), 1);
	ck_assert_int_eq(json_object_put(foreign), 1);
	store_free(s);
}
END_TEST

START_TEST(test_store_filter_replace)
{
	struct store *s = ctl_store_new(RES_CONFIGMAP);
	json_object *items, *removed = NULL, *l;
	char text[4096];

	store_set_filter(s, keeps_configmap, NULL);
	snprintf(text, sizeof(text),
	         "[%s,{\"metadata\":{\"namespace\":\"ns\",\"name\":\"f\"," TK_LABELS "}}]",
	         owned_cm);
	items = parse(text);
	ck_assert_int_eq(store_replace(s, items, &removed), 0);
	json_object_put(items);
	ck_assert_uint_eq(json_object_array_length(removed), 0);
	json_object_put(removed);
	ck_assert_uint_eq(store_len(s), 1);
	ck_assert_ptr_null(store_get(s, "ns", "f"));
	/* Relist: cm lost its controller reference, so it counts as removed. */
	snprintf(text, sizeof(text), "[%s]", foreign_cm);
	items = parse(text);
	ck_assert_int_eq(store_replace(s, items, &removed), 0);
	json_object_put(items);
	ck_assert_uint_eq(json_object_array_length(removed), 1);
	ck_assert_str_eq(name_of(json_object_array_get_idx(removed, 0)), "cm");
	json_object_put(removed);
	ck_assert_uint_eq(store_len(s), 0);
	l = store_list_label(s, NULL, CTL_LABEL_AGENTJOB, "bait");
	ck_assert_uint_eq(json_object_array_length(l), 0);
	json_object_put(l);
	store_free(s);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("ctl_store");
	TCase *tc = tcase_create("store");
	TCase *ti = tcase_create("index");

	tcase_add_test(tc, test_store_basic);
	tcase_add_test(tc, test_store_upsert_takes_ref);
	tcase_add_test(tc, test_store_replace);
	tcase_add_test(tc, test_store_many);
	tcase_add_test(tc, test_store_index);
	tcase_add_test(tc, test_store_index_matches_walk);
	tcase_add_test(tc, test_store_filter_upsert);
	tcase_add_test(tc, test_store_filter_replace);
	suite_add_tcase(s, tc);
	tcase_add_test(ti, test_refs_of);
	tcase_add_test(ti, test_refindex);
	tcase_add_loop_test(ti, test_key_parse, 0, (int)TK_ARRAY_LEN(key_table));
	tcase_add_test(ti, test_res_info);
	tcase_add_loop_test(ti, test_route, 0, (int)TK_ARRAY_LEN(route_table));
	tcase_add_test(ti, test_route_agentjob_change);
	tcase_add_loop_test(ti, test_child_owner, 0, (int)TK_ARRAY_LEN(owner_table));
	tcase_add_test(ti, test_handle_event_queues);
	tcase_add_test(ti, test_count_users);
	suite_add_tcase(s, ti);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_ctl_route.c - the resource table, queue keys, child ownership, the
 * store filter of children, and event routing through the reference index. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "jsonutil.h"
#include "reconcile/reconcile.h"
#include "runtime/queue.h"
#include "model/route.h"
#include "model/status.h"
#include "runtime/refindex.h"
#include "runtime/store.h"
#include "model/plan.h"

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

	ck_assert_int_eq(route_refs_of(aj, &refs), 0);
	ck_assert_uint_eq(refs.n, TK_ARRAY_LEN(want));
	for (i = 0; i < refs.n; i++)
		ck_assert_str_eq(refs.v[i], want[i]);
	strlist_free(&refs);
	json_object_put(aj);

	/* Wrong types and empty names are skipped, not fatal. */
	aj = parse("{\"metadata\":{\"namespace\":\"t\",\"name\":\"x\"},\"spec\":{\"runtimeRef\":7,"
	           "\"authRef\":\"\",\"mcpServerRefs\":\"gh\",\"repositoryRefs\":[1,\"r\"]}}");
	ck_assert_int_eq(route_refs_of(aj, &refs), 0);
	ck_assert_uint_eq(refs.n, 1);
	ck_assert_str_eq(refs.v[0], "Repository/t/r");
	strlist_free(&refs);
	json_object_put(aj);
}
END_TEST

static const struct {
	const char *key;
	int ret;
	enum res kind;
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
	enum res kind = RES_COUNT;

	ck_assert_int_eq(res_key_parse(k, &kind, &ns, &name), key_table[_i].ret);
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
		const struct res_info *ri = res_info(r);

		ck_assert_ptr_nonnull(ri);
		ck_assert_ptr_nonnull(ri->kind);
		ck_assert_ptr_nonnull(ri->plural);
		ck_assert_ptr_nonnull(ri->version);
		ck_assert_ptr_nonnull(ri->group);
		ck_assert_int_eq(ri->child, r >= RES_JOB);
	}
	ck_assert_str_eq(res_info(RES_PVC)->plural, "persistentvolumeclaims");
	ck_assert(!res_info(RES_CLUSTERROLE)->namespaced);
	ck_assert_str_eq(res_info(RES_CRONJOB)->group, "batch");
	ck_assert_ptr_null(res_info(RES_COUNT));
}
END_TEST

/* A ctl with an index, fed with two AgentJobs. */
static void setup_ctl(struct reconcile_ctx *c)
{
	json_object *a = parse(aj_full);
	json_object *b = parse("{\"metadata\":{\"namespace\":\"team\",\"name\":\"other\"},"
	                       "\"spec\":{\"runtimeRef\":\"claude\",\"roleRef\":\"ops\"}}");
	struct strlist keys = {0};

	memset(c, 0, sizeof(*c));
	c->refs = refindex_new();
	ck_assert_ptr_nonnull(c->refs);
	ck_assert_int_eq(reconcile_route(c, RES_AGENTJOB, a, false, &keys), 0);
	ck_assert_int_eq(reconcile_route(c, RES_AGENTJOB, b, false, &keys), 0);
	strlist_free(&keys);
	json_object_put(a);
	json_object_put(b);
}

static const struct {
	const char *what;
	enum res res;
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
    {"auth (and its run queue)",
     RES_AGENTAUTH,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"key\"}}",
     false,
     {"AgentJob/team/nightly", "AgentAuth/team/key"}},
    {"queued run Job: its AgentJob and its AgentAuth's queue",
     RES_JOB,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"nightly-1\",\"labels\":{"
     "\"thurkube.thurbeen.eu/agentauth\":\"key\"},\"ownerReferences\":[{\"apiVersion\":"
     "\"thurkube.thurbeen.eu/v1alpha1\",\"kind\":\"AgentJob\",\"name\":\"nightly\","
     "\"uid\":\"u\",\"controller\":true}]}}",
     false,
     {"AgentJob/team/nightly", "AgentAuth/team/key"}},
    {"a labelled Job nobody controls wakes nothing",
     RES_JOB,
     "{\"metadata\":{\"namespace\":\"team\",\"name\":\"x\",\"labels\":{"
     "\"thurkube.thurbeen.eu/agentauth\":\"key\"}}}",
     false,
     {NULL}},
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
	struct reconcile_ctx c;
	json_object *obj = parse(route_table[_i].obj);
	struct strlist keys = {0};
	size_t n = 0, i;

	setup_ctl(&c);
	ck_assert_int_eq(
	    reconcile_route(&c, route_table[_i].res, obj, route_table[_i].deleted, &keys), 0);
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
	struct reconcile_ctx c;
	json_object *obj = parse("{\"metadata\":{\"namespace\":\"team\",\"name\":\"nightly\"},"
	                         "\"spec\":{\"runtimeRef\":\"claude\",\"roleRef\":\"ops\"}}");
	struct strlist keys = {0}, users = {0};

	setup_ctl(&c);
	/* nightly moves from role dev + access reader to role ops: the old and
	 * new role and the old access recount their users. */
	ck_assert_int_eq(reconcile_route(&c, RES_AGENTJOB, obj, false, &keys), 0);
	ck_assert(strlist_contains(&keys, "AgentJob/team/nightly"));
	ck_assert(strlist_contains(&keys, "AgentRole/team/dev"));
	ck_assert(strlist_contains(&keys, "AgentRole/team/ops"));
	ck_assert(strlist_contains(&keys, "ClusterAccess/team/reader"));
	/* It left AgentAuth key: that run queue may now start a waiting run. */
	ck_assert(strlist_contains(&keys, "AgentAuth/team/key"));
	ck_assert(!strlist_contains(&keys, "AgentRuntime/team/claude"));
	strlist_free(&keys);
	ck_assert_int_eq(reconcile_users_of(&c, RES_AGENTROLE, "team", "ops", &users), 0);
	ck_assert_uint_eq(users.n, 2);
	strlist_free(&users);
	ck_assert_int_eq(reconcile_users_of(&c, RES_CLUSTERACCESS, "team", "reader", &users), 0);
	ck_assert_uint_eq(users.n, 0);

	/* Deleted: itself and its role. */
	ck_assert_int_eq(reconcile_route(&c, RES_AGENTJOB, obj, true, &keys), 0);
	ck_assert_uint_eq(keys.n, 2);
	ck_assert(strlist_contains(&keys, "AgentRole/team/ops"));
	strlist_free(&keys);
	ck_assert_int_eq(reconcile_users_of(&c, RES_AGENTROLE, "team", "ops", &users), 0);
	ck_assert_uint_eq(users.n, 1);
	strlist_free(&users);
	json_object_put(obj);
	refindex_free(c.refs);
}
END_TEST

/* An object ns/name with labels o=<o> (none when NULL) and p=<p>. */
START_TEST(test_count_users)
{
	struct reconcile_ctx c;
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
	ck_assert_int_eq(reconcile_count_users(&c, "team", "roleRef", "ops"), 2);
	ck_assert_int_eq(reconcile_count_users(&c, "else", "roleRef", "ops"), 1);
	ck_assert_int_eq(reconcile_count_users(&c, "team", "clusterAccessRef", "reader"), 1);
	ck_assert_int_eq(reconcile_count_users(&c, "team", "clusterAccessRef", "ops"), 0);
	ck_assert_int_eq(reconcile_count_users(&c, "none", "roleRef", "ops"), 0);
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
	struct reconcile_ctx c;
	json_object *obj = parse("{\"metadata\":{\"namespace\":\"team\",\"name\":\"claude\"}}");
	struct queue_stats st;
	char *k = NULL;

	setup_ctl(&c);
	c.queue = queue_new(NULL, NULL);
	ck_assert_int_eq(reconcile_event(&c, RES_AGENTRUNTIME, obj, false), 0);
	ck_assert_int_eq(reconcile_event(&c, RES_AGENTRUNTIME, obj, false), 0);
	queue_stats(c.queue, &st);
	ck_assert_uint_eq(st.depth, 2); /* merged */
	ck_assert_int_eq(reconcile_enqueue(&c, RES_AGENTJOB, "team", "nightly", 0), 0);
	ck_assert_int_eq(reconcile_enqueue(&c, RES_AGENTRUNTIME, "team", "claude", 0), -EINVAL);
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
	enum res res;
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
	got = res_child_owner(owner_table[_i].res, obj);
	if (owner_table[_i].want)
		ck_assert_msg(got && strcmp(got, owner_table[_i].want) == 0, "%s: got %s",
		              owner_table[_i].what, got ? got : "NULL");
	else
		ck_assert_msg(!got, "%s: got %s", owner_table[_i].what, got);
	json_object_put(obj);
}
END_TEST

/* The informer's filter of namespaced children (service.c). */
static bool keeps_configmap(json_object *obj, void *ud)
{
	(void)ud;
	return res_child_owner(RES_CONFIGMAP, obj) != NULL;
}

static const char *owned_cm = "{\"metadata\":{\"namespace\":\"ns\",\"name\":\"cm\"," TK_LABELS
                              ",\"ownerReferences\":[" AJ_REF("true") "]}}";
static const char *foreign_cm =
    "{\"metadata\":{\"namespace\":\"ns\",\"name\":\"cm\"," TK_LABELS "}}";

START_TEST(test_store_filter_upsert)
{
	struct store *s = reconcile_store_new(RES_CONFIGMAP);
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
	ck_assert_ptr_nonnull(res_child_owner(RES_CONFIGMAP, old));
	json_object_put(old);
	ck_assert_uint_eq(store_len(s), 0);
	ck_assert_ptr_null(store_get(s, "ns", "cm"));
	/* and from the label index too. */
	l = store_list_label(s, "ns", NAMES_LABEL_AGENTJOB, "bait");
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
	struct store *s = reconcile_store_new(RES_CONFIGMAP);
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
	l = store_list_label(s, NULL, NAMES_LABEL_AGENTJOB, "bait");
	ck_assert_uint_eq(json_object_array_length(l), 0);
	json_object_put(l);
	store_free(s);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("ctl_route");
	TCase *tc = tcase_create("store");
	TCase *ti = tcase_create("index");

	tcase_add_test(tc, test_store_filter_upsert);
	tcase_add_test(tc, test_store_filter_replace);
	suite_add_tcase(s, tc);
	tcase_add_test(ti, test_refs_of);
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

/* test_ctl_sweep.c - the orphaned cluster RBAC sweep's verdicts. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "reconcile/reconcile.h"
#include "runtime/store.h"
#include "reconcile/sweep.h"

static json_object *parse(const char *s)
{
	json_object *o = json_tokener_parse(s);

	ck_assert_msg(o != NULL, "bad JSON in test: %s", s);
	return o;
}

/* The synced stores know exactly one owner UID. */
static bool known(const char *uid, void *ud)
{
	(void)ud;
	return strcmp(uid, "u-live") == 0;
}

#define MANAGED "\"app.kubernetes.io/managed-by\":\"thurkube\""
#define UID(u)  "\"thurkube.thurbeen.eu/owner-uid\":\"" u "\""
#define AJ_NAMED                                                                                   \
	"\"thurkube.thurbeen.eu/agentjob\":\"aj\",\"thurkube.thurbeen.eu/"                         \
	"agentjob-namespace\":\"ns\""
#define CA_NAMED                                                                                   \
	"\"thurkube.thurbeen.eu/clusteraccess\":\"ca\","                                           \
	"\"thurkube.thurbeen.eu/clusteraccess-namespace\":\"ns\""
#define CRB "thurkube-aj-00000000deadbeef"
#define CR  "thurkube-ca-00000000deadbeef"

static const struct {
	const char *what;
	enum res res;
	const char *name;
	const char *labels;
	const char *extra_meta; /* NULL or more metadata members */
	enum sweep_verdict want;
	enum res owner_kind;
	const char *owner_ns, *owner_name;
} decide_table[] = {
    {"binding whose AgentJob exists", RES_CLUSTERROLEBINDING, CRB,
     MANAGED "," UID("u-live") "," AJ_NAMED, NULL, SWEEP_KEEP, 0, NULL, NULL},
    {"binding of an unknown UID, no name labels (the e2e orphan)", RES_CLUSTERROLEBINDING, CRB,
     MANAGED "," UID("6e0c2b4e-0000-4000-8000-000000000000"), NULL, SWEEP_DELETE, RES_AGENTJOB,
     NULL, NULL},
    {"binding of an unknown UID that names its AgentJob: confirm live", RES_CLUSTERROLEBINDING, CRB,
     MANAGED "," UID("u-gone") "," AJ_NAMED, NULL, SWEEP_CONFIRM, RES_AGENTJOB, "ns", "aj"},
    {"binding naming only the AgentJob's name", RES_CLUSTERROLEBINDING, CRB,
     MANAGED "," UID("u-gone") ",\"thurkube.thurbeen.eu/agentjob\":\"aj\"", NULL, SWEEP_DELETE,
     RES_AGENTJOB, NULL, NULL},
    {"binding whose ClusterAccess labels do not name its AgentJob", RES_CLUSTERROLEBINDING, CRB,
     MANAGED "," UID("u-gone") "," CA_NAMED, NULL, SWEEP_DELETE, RES_AGENTJOB, NULL, NULL},
    {"binding not named thurkube-aj-*", RES_CLUSTERROLEBINDING, "system:basic-user",
     MANAGED "," UID("u-gone"), NULL, SWEEP_KEEP, 0, NULL, NULL},
    {"binding named like a role", RES_CLUSTERROLEBINDING, CR, MANAGED "," UID("u-gone"), NULL,
     SWEEP_KEEP, 0, NULL, NULL},
    {"binding without managed-by", RES_CLUSTERROLEBINDING, CRB, UID("u-gone"), NULL, SWEEP_KEEP, 0,
     NULL, NULL},
    {"binding managed by someone else", RES_CLUSTERROLEBINDING, CRB,
     "\"app.kubernetes.io/managed-by\":\"helm\"," UID("u-gone"), NULL, SWEEP_KEEP, 0, NULL, NULL},
    {"binding without owner-uid", RES_CLUSTERROLEBINDING, CRB, MANAGED "," AJ_NAMED, NULL,
     SWEEP_KEEP, 0, NULL, NULL},
    {"binding with an empty owner-uid", RES_CLUSTERROLEBINDING, CRB, MANAGED "," UID(""), NULL,
     SWEEP_KEEP, 0, NULL, NULL},
    {"binding already being deleted", RES_CLUSTERROLEBINDING, CRB, MANAGED "," UID("u-gone"),
     "\"deletionTimestamp\":\"2024-01-01T00:00:00Z\"", SWEEP_KEEP, 0, NULL, NULL},
    {"role whose ClusterAccess exists", RES_CLUSTERROLE, CR, MANAGED "," UID("u-live") "," CA_NAMED,
     NULL, SWEEP_KEEP, 0, NULL, NULL},
    {"role of an unknown UID that names its ClusterAccess", RES_CLUSTERROLE, CR,
     MANAGED "," UID("u-gone") "," CA_NAMED, NULL, SWEEP_CONFIRM, RES_CLUSTERACCESS, "ns", "ca"},
    {"role of an unknown UID, no name labels", RES_CLUSTERROLE, CR, MANAGED "," UID("u-gone"), NULL,
     SWEEP_DELETE, RES_CLUSTERACCESS, NULL, NULL},
    {"role named like a binding", RES_CLUSTERROLE, CRB, MANAGED "," UID("u-gone"), NULL, SWEEP_KEEP,
     0, NULL, NULL},
    {"role not named thurkube-ca-*", RES_CLUSTERROLE, "cluster-admin", MANAGED "," UID("u-gone"),
     NULL, SWEEP_KEEP, 0, NULL, NULL},
    {"not cluster RBAC", RES_CONFIGMAP, CRB, MANAGED "," UID("u-gone"), NULL, SWEEP_KEEP, 0, NULL,
     NULL},
};

START_TEST(test_decide)
{
	char text[2048];
	struct sweep_owner o = {0};
	json_object *obj;
	enum sweep_verdict v;

	snprintf(text, sizeof(text),
	         "{\"metadata\":{\"name\":\"%s\",\"uid\":\"self\",%s%s\"labels\":{%s}}}",
	         decide_table[_i].name,
	         decide_table[_i].extra_meta ? decide_table[_i].extra_meta : "",
	         decide_table[_i].extra_meta ? "," : "", decide_table[_i].labels);
	obj = parse(text);
	v = sweep_decide(decide_table[_i].res, obj, known, NULL, &o);
	ck_assert_msg(v == decide_table[_i].want, "%s: verdict %d, want %d", decide_table[_i].what,
	              (int)v, (int)decide_table[_i].want);
	ck_assert_int_eq(sweep_decide(decide_table[_i].res, obj, known, NULL, NULL), v);
	if (v != SWEEP_KEEP) {
		ck_assert_int_eq(o.kind, decide_table[_i].owner_kind);
		ck_assert_ptr_nonnull(o.uid);
		ck_assert_str_ne(o.uid, "u-live");
		if (decide_table[_i].owner_ns) {
			ck_assert_str_eq(o.ns, decide_table[_i].owner_ns);
			ck_assert_str_eq(o.name, decide_table[_i].owner_name);
		} else {
			ck_assert_ptr_null(o.ns);
			ck_assert_ptr_null(o.name);
		}
	}
	json_object_put(obj);
}
END_TEST

static const struct {
	const char *what;
	int get_result;
	const char *live; /* NULL: nothing got */
	bool orphan;
} confirm_table[] = {
    {"owner not found", -ENOENT, NULL, true},
    {"owner exists with the same UID", 0, "{\"metadata\":{\"uid\":\"u1\"}}", false},
    {"owner recreated under the same name", 0, "{\"metadata\":{\"uid\":\"u2\"}}", true},
    {"owner got without a UID", 0, "{\"metadata\":{}}", false},
    {"API server unavailable", -EIO, NULL, false},
    {"timeout", -ETIMEDOUT, NULL, false},
    {"forbidden", -EACCES, NULL, false},
    {"no answer", -ECONNREFUSED, NULL, false},
};

START_TEST(test_confirmed)
{
	json_object *live = confirm_table[_i].live ? parse(confirm_table[_i].live) : NULL;

	ck_assert_msg(sweep_confirmed(confirm_table[_i].get_result, live, "u1") ==
	                  confirm_table[_i].orphan,
	              "%s", confirm_table[_i].what);
	json_object_put(live);
}
END_TEST

/* The thread starts, takes requests and notifications, and stops at once;
 * while not leading a pass writes nothing (there is no API server here). */
START_TEST(test_lifecycle)
{
	struct reconcile_config cfg = {.sweep_seconds = 3600};
	struct reconcile_ctx c;
	struct sweep *sw = NULL;
	json_object *crb = parse("{\"metadata\":{\"name\":\"" CRB "\",\"labels\":{" MANAGED
	                         "," UID("u-gone") "}}}");
	int i;

	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	for (i = 0; i < RES_COUNT; i++) {
		c.stores[i] = reconcile_store_new((enum res)i);
		ck_assert_ptr_nonnull(c.stores[i]);
	}
	cfg.sweep_seconds = 0;
	ck_assert_int_eq(sweep_new(&c, &sw), -EINVAL);
	cfg.sweep_seconds = 3600;
	ck_assert_int_eq(sweep_new(&c, &sw), 0);
	sweep_request(sw); /* before start: covered by the first pass */
	sweep_notify(NULL, RES_CLUSTERROLEBINDING, crb, false);
	ck_assert_int_eq(sweep_start(sw), 0);
	for (i = 0; i < 50; i++) {
		sweep_notify(sw, RES_CLUSTERROLEBINDING, crb, false);
		sweep_notify(sw, RES_AGENTJOB, crb, true);
		sweep_request(sw);
	}
	sweep_stop(sw);
	sweep_join(sw);
	sweep_join(sw); /* a second join is harmless */
	sweep_free(sw);
	json_object_put(crb);
	for (i = 0; i < RES_COUNT; i++)
		store_free(c.stores[i]);
}
END_TEST

static Suite *sweep_suite(void)
{
	Suite *s = suite_create("ctl_sweep");
	TCase *tc = tcase_create("sweep");

	tcase_add_loop_test(tc, test_decide, 0, (int)TK_ARRAY_LEN(decide_table));
	tcase_add_loop_test(tc, test_confirmed, 0, (int)TK_ARRAY_LEN(confirm_table));
	tcase_add_test(tc, test_lifecycle);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sweep_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * test_ctl_reconcile.c - the reconcilers' I/O edge with real stores and no
 * API server: a process that does not lead must not write (every write
 * path returns -ECANCELED before any request), so a reconcile that
 * returns 0 while not leading has proven it needed no write at all. That
 * is the zero-writes-per-resync property for a steady cluster.
 */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "model/build.h"
#include "reconcile/reconcile.h"
#include "model/plan.h"
#include "runtime/store.h"
#include "ctl_fixture.h"

struct env {
	struct reconcile_ctx c;
	struct reconcile_config cfg;
};

static void env_init(struct env *e)
{
	int i;

	memset(e, 0, sizeof(*e));
	e->cfg.field_manager = "thurkube";
	e->cfg.identity = "test";
	e->c.cfg = &e->cfg;
	for (i = 0; i < RES_COUNT; i++) {
		e->c.stores[i] = reconcile_store_new((enum res)i);
		ck_assert_ptr_nonnull(e->c.stores[i]);
	}
}

static void env_free(struct env *e)
{
	int i;

	for (i = 0; i < RES_COUNT; i++)
		store_free(e->c.stores[i]);
}

/* Put obj (taken) into the store of r. */
static void put(struct env *e, enum res r, json_object *obj)
{
	ck_assert_int_eq(store_upsert(e->c.stores[r], obj, NULL), 0);
	json_object_put(obj);
}

static void put_refs(struct env *e)
{
	put(e, RES_AGENTRUNTIME, fx_json(FX_RUNTIME));
	put(e, RES_AGENTAUTH, fx_json(FX_AUTH));
	put(e, RES_AGENTROLE, fx_json(FX_ROLE));
	put(e, RES_REPOSITORY, fx_json(FX_REPO));
}

static json_object *copy_of(json_object *o)
{
	json_object *c = NULL;

	ck_assert_int_eq(json_object_deep_copy(o, &c, NULL), 0);
	return c;
}

START_TEST(absent_object_is_done)
{
	struct env e;

	env_init(&e);
	ck_assert_int_eq(reconcile_agentjob(&e.c, "agents", "nope"), 0);
	ck_assert_int_eq(reconcile_clusteraccess(&e.c, "agents", "nope"), 0);
	ck_assert_int_eq(reconcile_agentrole(&e.c, "agents", "nope"), 0);
	env_free(&e);
}
END_TEST

/* A new AgentJob needs writes: refused while not leading. */
START_TEST(new_agentjob_needs_writes)
{
	struct env e;

	env_init(&e);
	put_refs(&e);
	put(&e, RES_AGENTJOB, fx_json(FX_AGENTJOB));
	ck_assert_int_eq(reconcile_agentjob(&e.c, "agents", "pr-fixer"), -ECANCELED);
	env_free(&e);
}
END_TEST

/* Missing references: a Pending status must be written (refused here). */
START_TEST(missing_refs_need_status_write)
{
	struct env e;

	env_init(&e);
	put(&e, RES_AGENTJOB, fx_json(FX_AGENTJOB));
	ck_assert_int_eq(reconcile_agentjob(&e.c, "agents", "pr-fixer"), -ECANCELED);
	env_free(&e);
}
END_TEST

/* Everything in place and the status current: zero writes. */
START_TEST(steady_agentjob_zero_writes)
{
	struct plan_input in = {0};
	struct plan p = {0};
	struct build_out d;
	struct env e;
	struct fx f;
	json_object *aj = fx_json(FX_AGENTJOB);

	env_init(&e);
	put_refs(&e);
	fx_load(&f, NULL);
	ck_assert_int_eq(build_children(&f.aj, &f.refs, &d), 0);
	in.aj = &f.aj;
	in.desired = &d;
	in.now = time(NULL);
	ck_assert_int_eq(plan_make(&in, &p), 0);
	put(&e, RES_CONFIGMAP, copy_of(d.configmap));
	put(&e, RES_PVC, copy_of(d.pvc));
	put(&e, RES_CRONJOB, copy_of(d.cronjob));
	fx_set(aj, "status", copy_of(p.status));
	put(&e, RES_AGENTJOB, aj);
	ck_assert_int_eq(reconcile_agentjob(&e.c, "agents", "pr-fixer"), 0);

	/* drift in a child is noticed (and needs a write) */
	put(&e, RES_CRONJOB, copy_of(d.cronjob));
	{
		json_object *cj = copy_of(d.cronjob);

		fx_set(cj, "spec.schedule", json_object_new_string("* * * * *"));
		put(&e, RES_CRONJOB, cj);
	}
	ck_assert_int_eq(reconcile_agentjob(&e.c, "agents", "pr-fixer"), -ECANCELED);
	plan_free(&p);
	build_out_free(&d);
	fx_free(&f);
	env_free(&e);
}
END_TEST

START_TEST(agentrole_status)
{
	struct env e;
	json_object *role = fx_json(FX_ROLE), *st;

	env_init(&e);
	put(&e, RES_AGENTROLE, copy_of(role));
	put(&e, RES_AGENTJOB, fx_json(FX_AGENTJOB));
	ck_assert_int_eq(reconcile_agentrole(&e.c, "agents", "default"), -ECANCELED);
	st = status_simple(NULL, 0, true, "Valid", "6 allowed tools", 1, time(NULL));
	fx_set(role, "status", st);
	put(&e, RES_AGENTROLE, role);
	ck_assert_int_eq(reconcile_agentrole(&e.c, "agents", "default"), 0);
	env_free(&e);
}
END_TEST

START_TEST(clusteraccess_steady)
{
	struct tk_clusteraccess ca = {0};
	struct fielderrs errs = {0};
	struct env e;
	json_object *src = fx_json(FX_CA), *cr;
	char *cr_name;

	env_init(&e);
	put(&e, RES_CLUSTERACCESS, copy_of(src));
	/* no finalizer yet: adding it is a write */
	ck_assert_int_eq(reconcile_clusteraccess(&e.c, "agents", "reader"), -ECANCELED);
	fx_set(src, "metadata.finalizers", fx_json("[\"thurkube.thurbeen.eu/finalizer\"]"));
	fx_set(src, "metadata.resourceVersion", json_object_new_string("3"));
	ck_assert_int_eq(tk_clusteraccess_decode(src, &ca, &errs), 0);
	cr = build_clusterrole(&ca);
	cr_name = build_clusterrole_name("agents", "reader");
	{
		struct buf m = BUF_INIT(256);

		ck_assert_int_eq(buf_printf(&m, "clusterrole %s", cr_name), 0);
		fx_set(src, "status",
		       status_simple(NULL, 0, true, "Reconciled", m.data, 0, time(NULL)));
		buf_free(&m);
	}
	put(&e, RES_CLUSTERACCESS, copy_of(src));
	/* finalizer present, ClusterRole missing: a write */
	ck_assert_int_eq(reconcile_clusteraccess(&e.c, "agents", "reader"), -ECANCELED);
	put(&e, RES_CLUSTERROLE, cr);
	ck_assert_int_eq(reconcile_clusteraccess(&e.c, "agents", "reader"), 0);
	free(cr_name);
	tk_clusteraccess_free(&ca);
	fielderrs_free(&errs);
	json_object_put(src);
	env_free(&e);
}
END_TEST

/* The status plan_make computes for f with what the stores hold (obs);
 * new reference. */
static json_object *planned_status(struct fx *f, const struct build_out *d,
                                   const struct strlist *missing, const struct plan_child *obs,
                                   size_t n)
{
	struct plan_input in = {0};
	struct plan p = {0};
	json_object *st;

	in.aj = &f->aj;
	in.desired = d;
	in.missing = missing;
	in.observed = obs;
	in.n_observed = n;
	in.now = time(NULL);
	ck_assert_int_eq(plan_make(&in, &p), 0);
	st = json_object_get(p.status);
	plan_free(&p);
	return st;
}

/* A foreign ConfigMap holds the name: once NameConflict is reported, a
 * pass writes nothing at all (no apply over the foreign object). */
START_TEST(conflict_steady_zero_writes)
{
	struct plan_child obs[1];
	struct build_out d;
	struct env e;
	struct fx f;
	json_object *aj = fx_json(FX_AGENTJOB), *cm;

	env_init(&e);
	put_refs(&e);
	fx_load(&f, NULL);
	ck_assert_int_eq(build_children(&f.aj, &f.refs, &d), 0);
	cm = fx_json("{\"metadata\":{\"name\":\"pr-fixer-config\",\"namespace\":\"agents\","
	             "\"uid\":\"foreign\",\"resourceVersion\":\"7\"},\"data\":{\"a\":\"b\"}}");
	obs[0] = (struct plan_child){RES_CONFIGMAP, cm};
	fx_set(aj, "status", planned_status(&f, &d, NULL, obs, 1));
	ck_assert_str_eq(fx_str(aj, "status.phase"), "Pending");
	put(&e, RES_CONFIGMAP, cm);
	put(&e, RES_AGENTJOB, aj);
	ck_assert_int_eq(reconcile_agentjob(&e.c, "agents", "pr-fixer"), 0);
	build_out_free(&d);
	fx_free(&f);
	env_free(&e);
}
END_TEST

/* References missing and clusterAccessRef removed: the status is current,
 * yet the pass needs a write, the binding's delete. */
START_TEST(missing_refs_revoke_needs_write)
{
	struct strlist missing = {0};
	struct build_out d;
	struct env e;
	struct fx f, fca;
	struct fx_src src = {0};
	json_object *aj = fx_json(FX_AGENTJOB), *ca = fx_json(FX_CA), *ajca = fx_json(FX_AGENTJOB);
	json_object *crb = NULL, *repo = fx_json(FX_REPO);

	env_init(&e);
	fx_set(ajca, "spec.clusterAccessRef", json_object_new_string("reader"));
	src.aj = ajca;
	src.ca = ca;
	src.repos[0] = repo;
	src.n_repos = 1;
	fx_load(&fca, &src);
	ck_assert_int_eq(build_children(&fca.aj, &fca.refs, &d), 0);
	ck_assert_int_eq(json_object_deep_copy(d.crb, &crb, NULL), 0);
	fx_set(crb, "metadata.uid", json_object_new_string("crb-uid"));
	fx_set(aj, "metadata.finalizers", fx_json("[\"thurkube.thurbeen.eu/finalizer\"]"));
	fx_load(&f, NULL);
	ck_assert_int_eq(strlist_add(&missing, "AgentRuntime/claude-code"), 0);
	fx_set(aj, "status", planned_status(&f, NULL, &missing, NULL, 0));
	put(&e, RES_AGENTAUTH, fx_json(FX_AUTH));
	put(&e, RES_AGENTROLE, fx_json(FX_ROLE));
	put(&e, RES_REPOSITORY, fx_json(FX_REPO));
	put(&e, RES_AGENTJOB, copy_of(aj));
	/* the runtime missing, the binding of an earlier spec present */
	put(&e, RES_CLUSTERROLEBINDING, crb);
	ck_assert_int_eq(reconcile_agentjob(&e.c, "agents", "pr-fixer"), -ECANCELED);
	/* with the binding and the finalizer gone: nothing to do */
	store_free(e.c.stores[RES_CLUSTERROLEBINDING]);
	e.c.stores[RES_CLUSTERROLEBINDING] = reconcile_store_new(RES_CLUSTERROLEBINDING);
	ck_assert_ptr_nonnull(e.c.stores[RES_CLUSTERROLEBINDING]);
	fx_set(aj, "metadata.finalizers", NULL);
	put(&e, RES_AGENTJOB, copy_of(aj));
	ck_assert_int_eq(reconcile_agentjob(&e.c, "agents", "pr-fixer"), 0);
	strlist_free(&missing);
	json_object_put(aj);
	json_object_put(ca);
	json_object_put(ajca);
	json_object_put(repo);
	build_out_free(&d);
	fx_free(&f);
	fx_free(&fca);
	env_free(&e);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ctl_reconcile");
	TCase *t = tcase_create("reconcile");

	tcase_add_test(t, absent_object_is_done);
	tcase_add_test(t, new_agentjob_needs_writes);
	tcase_add_test(t, missing_refs_need_status_write);
	tcase_add_test(t, steady_agentjob_zero_writes);
	tcase_add_test(t, agentrole_status);
	tcase_add_test(t, clusteraccess_steady);
	tcase_add_test(t, conflict_steady_zero_writes);
	tcase_add_test(t, missing_refs_revoke_needs_write);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

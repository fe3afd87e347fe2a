/* test_ctl_plan.c - the planner: phases, one-shot once per hash, pruning, Forbid and
 * Replace, suspend, missing references, zero-write resyncs, conditions and events, adoption of
 * a run thurkube made. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "model/build.h"
#include "reconcile/events.h"
#include "model/plan.h"
#include "ctl_fixture.h"

#define NOW      1767225600 /* 2026-01-01T00:00:00Z */
#define OLD_HASH "0000000000000000"
#define OTHER_OWNER                                                                                \
	"[{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\",\"kind\":\"AgentJob\","                \
	"\"name\":\"pr-fixer\",\"uid\":\"99999999-0000-0000-0000-000000000000\","                  \
	"\"controller\":true}]"

/* One reconcile round: the AgentJob (JSON, borrowed) and what the stores hold. */
struct round {
	struct fx f;
	struct build_out d;
	struct plan p;
	struct plan_input in;
	bool built;
};

static void load(struct round *rd, json_object *aj, json_object *ca)
{
	struct fx_src s = {0};
	json_object *repo = fx_json(FX_REPO);

	memset(rd, 0, sizeof(*rd));
	s.aj = aj;
	s.repos[0] = repo;
	s.n_repos = 1;
	s.ca = ca;
	fx_load(&rd->f, &s);
	json_object_put(repo);
}

static void run(struct round *rd, const struct plan_child *obs, size_t n, bool gone)
{
	if (!rd->built) {
		ck_assert_int_eq(build_children(&rd->f.aj, &rd->f.refs, &rd->d), 0);
		rd->built = true;
	}
	rd->in.aj = &rd->f.aj;
	rd->in.desired = &rd->d;
	rd->in.observed = obs;
	rd->in.n_observed = n;
	rd->in.job_gone = gone;
	rd->in.now = NOW;
	ck_assert_int_eq(plan_make(&rd->in, &rd->p), 0);
}

/* load, with the desired children built at once (for the checks that come
 * before run). */
static void load_built(struct round *rd, json_object *aj)
{
	load(rd, aj, NULL);
	ck_assert_int_eq(build_children(&rd->f.aj, &rd->f.refs, &rd->d), 0);
	rd->built = true;
	rd->in.aj = &rd->f.aj;
	rd->in.desired = &rd->d;
}

static void done(struct round *rd)
{
	plan_free(&rd->p);
	if (rd->built)
		build_out_free(&rd->d);
	fx_free(&rd->f);
}

static json_object *oneshot_aj(void)
{
	json_object *aj = fx_json(FX_AGENTJOB);

	fx_set(aj, "spec.schedule", NULL);
	return aj;
}

/* The next AgentJob: aj with status replaced by a copy of status. */
static void set_status(json_object *aj, json_object *status)
{
	json_object *c = NULL;

	ck_assert_int_eq(json_object_deep_copy(status, &c, NULL), 0);
	fx_set(aj, "status", c);
}

static void set_status_text(json_object *aj, const char *text)
{
	fx_set(aj, "status", fx_json(text));
}

/* A child as a store holds it: a list item (no apiVersion/kind) with
 * server-side additions. New reference. */
static json_object *as_seen(json_object *desired, const char *status)
{
	json_object *c = NULL;

	ck_assert_int_eq(json_object_deep_copy(desired, &c, NULL), 0);
	fx_set(c, "apiVersion", NULL);
	fx_set(c, "kind", NULL);
	fx_set(c, "metadata.uid", json_object_new_string("child-uid"));
	fx_set(c, "metadata.resourceVersion", json_object_new_string("5"));
	if (status)
		fx_set(c, "status", fx_json(status));
	return c;
}

static const struct plan_action *find_action(const struct plan_action *a, size_t n,
                                             const char *kind, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(res_kind(a[i].kind), kind) && (!name || !strcmp(a[i].name, name)))
			return &a[i];
	return NULL;
}

static const char *cond(json_object *status, const char *type, const char *key)
{
	json_object *conds = fx_get(status, "conditions");
	size_t i;

	for (i = 0; conds && i < json_object_array_length(conds); i++) {
		json_object *c = json_object_array_get_idx(conds, i);

		if (!strcmp(fx_str(c, "type"), type))
			return fx_str(c, key);
	}
	return NULL;
}

START_TEST(pending_names_every_missing)
{
	struct strlist missing = {0}, invalid = {0};
	struct round rd;
	struct plan_child obs[1];
	json_object *aj = fx_json(FX_AGENTJOB), *cj;
	const char *msg;

	set_status_text(aj, ("{\"phase\":\"Scheduled\",\"configHash\":\"abcdabcdabcdabcd\","
	                     "\"lastRunTime\":\"2025-12-31T00:00:00Z\","
	                     "\"ownedResources\":[{\"kind\":\"CronJob\",\"name\":\"pr-fixer\"}]}"));
	load_built(&rd, aj);
	cj = as_seen(rd.d.cronjob, NULL);
	obs[0] = (struct plan_child){RES_CRONJOB, cj};
	ck_assert_int_eq(strlist_add(&missing, "AgentRuntime/claude-code"), 0);
	ck_assert_int_eq(strlist_add(&missing, "Repository/thurkube"), 0);
	ck_assert_int_eq(strlist_add(&invalid, "AgentRole/default"), 0);
	rd.in = (struct plan_input){.aj = &rd.f.aj,
	                            .desired = NULL,
	                            .missing = &missing,
	                            .invalid = &invalid,
	                            .observed = obs,
	                            .n_observed = 1,
	                            .now = NOW};
	ck_assert_int_eq(plan_make(&rd.in, &rd.p), 0);
	ck_assert_int_eq(rd.p.n_applies, 0);
	ck_assert_int_eq(rd.p.n_deletes, 0);
	ck_assert_str_eq(fx_str(rd.p.status, "phase"), "Pending");
	msg = fx_str(rd.p.status, "message");
	ck_assert_ptr_nonnull(strstr(msg, "AgentRuntime/claude-code"));
	ck_assert_ptr_nonnull(strstr(msg, "Repository/thurkube"));
	ck_assert_ptr_nonnull(strstr(msg, "AgentRole/default"));
	ck_assert_str_eq(cond(rd.p.status, "Ready", "status"), "False");
	ck_assert_str_eq(cond(rd.p.status, "Ready", "reason"), "NotFound");
	ck_assert_str_eq(cond(rd.p.status, "ReferencesResolved", "status"), "False");
	ck_assert_str_eq(cond(rd.p.status, "ReferencesResolved", "reason"), "NotFound");
	ck_assert_str_eq(cond(rd.p.status, "ReferencesResolved", "message"), msg);
	ck_assert_int_eq(json_object_get_int(fx_get(rd.p.status, "observedGeneration")), 3);
	/* carried over, children untouched */
	ck_assert_str_eq(fx_str(rd.p.status, "configHash"), "abcdabcdabcdabcd");
	ck_assert_str_eq(fx_str(rd.p.status, "lastRunTime"), "2025-12-31T00:00:00Z");
	ck_assert_str_eq(fx_str(rd.p.status, "ownedResources.0.kind"), "CronJob");
	strlist_free(&missing);
	strlist_free(&invalid);
	json_object_put(cj);
	json_object_put(aj);
	done(&rd);
}
END_TEST

START_TEST(oneshot_first_run)
{
	struct round rd;
	json_object *aj = oneshot_aj();

	load(&rd, aj, NULL);
	run(&rd, NULL, 0, false);
	ck_assert_int_eq(rd.p.n_deletes, 0);
	ck_assert_int_eq(rd.p.n_applies, 3);
	ck_assert_str_eq(res_kind(rd.p.applies[0].kind), "ConfigMap");
	ck_assert_str_eq(res_kind(rd.p.applies[1].kind), "PersistentVolumeClaim");
	ck_assert_str_eq(res_kind(rd.p.applies[2].kind), "Job");
	ck_assert_str_eq(rd.p.applies[2].name, rd.d.job_name);
	ck_assert(rd.p.launch);
	ck_assert(!rd.p.needs_binding);
	ck_assert_str_eq(fx_str(rd.p.status, "phase"), "Running");
	ck_assert_str_eq(fx_str(rd.p.status, "configHash"), rd.d.config_hash);
	ck_assert_str_eq(cond(rd.p.status, "Complete", "status"), "False");
	ck_assert_str_eq(cond(rd.p.status, "ReferencesResolved", "status"), "True");
	ck_assert_str_eq(fx_str(rd.p.status, "ownedResources.2.kind"), "Job");
	ck_assert_str_eq(fx_str(rd.p.status, "ownedResources.2.name"), rd.d.job_name);
	ck_assert_ptr_null(fx_get(rd.p.status, "lastRunTime"));
	json_object_put(aj);
	done(&rd);
}
END_TEST

/* A steady cluster: the second pass applies nothing and the status is equal. */
START_TEST(steady_zero_writes)
{
	struct round a, b;
	struct plan_child obs[3];
	json_object *aj = fx_json(FX_AGENTJOB), *seen[3];
	size_t i;

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	ck_assert_int_eq(a.p.n_applies, 3);
	ck_assert_str_eq(fx_str(a.p.status, "phase"), "Scheduled");
	seen[0] = as_seen(a.d.configmap, NULL);
	seen[1] = as_seen(a.d.pvc, "{\"phase\":\"Bound\"}");
	seen[2] = as_seen(a.d.cronjob, "{}");
	fx_set(seen[1], "spec.storageClassName", json_object_new_string("standard"));
	fx_set(seen[1], "spec.volumeMode", json_object_new_string("Filesystem"));
	obs[0] = (struct plan_child){RES_CONFIGMAP, seen[0]};
	obs[1] = (struct plan_child){RES_PVC, seen[1]};
	obs[2] = (struct plan_child){RES_CRONJOB, seen[2]};
	set_status(aj, a.p.status);
	load(&b, aj, NULL);
	run(&b, obs, 3, false);
	ck_assert_int_eq(b.p.n_applies, 0);
	ck_assert_int_eq(b.p.n_deletes, 0);
	ck_assert(status_equal(a.p.status, b.p.status));
	ck_assert(status_equal(b.f.aj.status.raw, b.p.status));
	for (i = 0; i < 3; i++)
		json_object_put(seen[i]);
	json_object_put(aj);
	done(&a);
	done(&b);
}
END_TEST

/* Job status -> phase, Complete reason, times. */
static const struct {
	const char *job_status;
	const char *phase;
	const char *complete;
	const char *last_run;
	const char *last_done;
	const char *message_part;
} job_cases[] = {
    {"{}", "Running", "Running", NULL, NULL, "is running"},
    {"{\"startTime\":\"2026-01-01T00:00:05Z\",\"active\":1}", "Running", "Running",
     "2026-01-01T00:00:05Z", NULL, "is running"},
    {"{\"startTime\":\"2026-01-01T00:00:05Z\",\"completionTime\":\"2026-01-01T00:10:00Z\","
     "\"succeeded\":1,\"conditions\":[{\"type\":\"SuccessCriteriaMet\",\"status\":\"True\"},"
     "{\"type\":\"Complete\",\"status\":\"True\"}]}",
     "Succeeded", "Succeeded", "2026-01-01T00:00:05Z", "2026-01-01T00:10:00Z", "succeeded"},
    {"{\"startTime\":\"2026-01-01T00:00:05Z\",\"failed\":1,\"conditions\":[{\"type\":"
     "\"Failed\",\"status\":\"True\",\"reason\":\"DeadlineExceeded\","
     "\"lastTransitionTime\":\"2026-01-01T01:00:05Z\"}]}",
     "Failed", "Failed", "2026-01-01T00:00:05Z", "2026-01-01T01:00:05Z", "DeadlineExceeded"},
};

START_TEST(job_phases)
{
	struct round a, b;
	struct plan_child obs[1];
	json_object *aj = oneshot_aj(), *job;

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	set_status(aj, a.p.status);
	load(&b, aj, NULL);
	job = as_seen(a.d.job, job_cases[_i].job_status);
	obs[0] = (struct plan_child){RES_JOB, job};
	run(&b, obs, 1, false);
	ck_assert(!b.p.launch);
	ck_assert_ptr_null(find_action(b.p.applies, b.p.n_applies, "Job", NULL));
	ck_assert_str_eq(fx_str(b.p.status, "phase"), job_cases[_i].phase);
	ck_assert_str_eq(cond(b.p.status, "Complete", "reason"), job_cases[_i].complete);
	ck_assert_ptr_nonnull(strstr(fx_str(b.p.status, "message"), job_cases[_i].message_part));
	if (job_cases[_i].last_run)
		ck_assert_str_eq(fx_str(b.p.status, "lastRunTime"), job_cases[_i].last_run);
	else
		ck_assert_ptr_null(fx_get(b.p.status, "lastRunTime"));
	if (job_cases[_i].last_done)
		ck_assert_str_eq(fx_str(b.p.status, "lastCompletionTime"), job_cases[_i].last_done);
	else
		ck_assert_ptr_null(fx_get(b.p.status, "lastCompletionTime"));
	json_object_put(job);
	json_object_put(aj);
	done(&a);
	done(&b);
}
END_TEST

/* A finished one-shot whose Job the TTL deleted is not run again. */
START_TEST(oneshot_not_rerun_after_ttl)
{
	struct round a, b, c;
	struct plan_child obs[1];
	json_object *aj = oneshot_aj(), *job;

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	set_status(aj, a.p.status);
	load(&b, aj, NULL);
	job = as_seen(a.d.job, job_cases[2].job_status);
	obs[0] = (struct plan_child){RES_JOB, job};
	run(&b, obs, 1, false);
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Succeeded");
	set_status(aj, b.p.status);
	/* TTL: the Job is gone from the store */
	load_built(&c, aj);
	ck_assert(!plan_job_needs_confirm(&c.in));
	run(&c, NULL, 0, false);
	ck_assert(!c.p.launch);
	ck_assert_ptr_null(find_action(c.p.applies, c.p.n_applies, "Job", NULL));
	ck_assert_str_eq(fx_str(c.p.status, "phase"), "Succeeded");
	ck_assert_str_eq(fx_str(c.p.status, "lastCompletionTime"), "2026-01-01T00:10:00Z");
	ck_assert(status_equal(b.p.status, c.p.status));
	json_object_put(job);
	json_object_put(aj);
	done(&a);
	done(&b);
	done(&c);
}
END_TEST

/* Launched, outcome unknown, Job absent: confirm, then JobLost, never a re-run. */
START_TEST(lost_job_not_rerun)
{
	struct round a, b, c;
	json_object *aj = oneshot_aj();

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	set_status(aj, a.p.status);
	load_built(&b, aj);
	ck_assert(plan_job_needs_confirm(&b.in));
	run(&b, NULL, 0, false); /* not confirmed: the store may lag */
	ck_assert(!b.p.launch);
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Running");
	plan_free(&b.p);
	run(&b, NULL, 0, true);
	ck_assert(!b.p.launch);
	ck_assert_ptr_null(find_action(b.p.applies, b.p.n_applies, "Job", NULL));
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Failed");
	ck_assert_str_eq(cond(b.p.status, "Ready", "reason"), "JobLost");
	ck_assert_str_eq(cond(b.p.status, "Complete", "status"), "True");
	set_status(aj, b.p.status);
	load_built(&c, aj);
	ck_assert(!plan_job_needs_confirm(&c.in));
	run(&c, NULL, 0, false);
	ck_assert(!c.p.launch);
	ck_assert_str_eq(fx_str(c.p.status, "phase"), "Failed");
	ck_assert(status_equal(c.f.aj.status.raw, c.p.status));
	json_object_put(aj);
	done(&a);
	done(&b);
	done(&c);
}
END_TEST

/* An old run still active when the configuration changes. */
static json_object *old_active_job(struct round *rd, const char *status)
{
	json_object *job = as_seen(rd->d.job, status);

	fx_set(job, "metadata.name", json_object_new_string("pr-fixer-" OLD_HASH));
	return job;
}

START_TEST(forbid_waits_then_runs)
{
	struct round a, b;
	struct plan_child obs[1];
	json_object *aj = oneshot_aj(), *old;

	set_status_text(aj, ("{\"phase\":\"Running\",\"configHash\":\"" OLD_HASH "\"}"));
	load_built(&a, aj);
	old = old_active_job(&a, "{\"startTime\":\"2026-01-01T00:00:01Z\",\"active\":1}");
	obs[0] = (struct plan_child){RES_JOB, old};
	run(&a, obs, 1, false);
	ck_assert(a.p.waiting);
	ck_assert(!a.p.launch);
	ck_assert_ptr_null(find_action(a.p.applies, a.p.n_applies, "Job", NULL));
	ck_assert_int_eq(a.p.n_deletes, 0);
	ck_assert_str_eq(fx_str(a.p.status, "phase"), "Running");
	ck_assert_str_eq(fx_str(a.p.status, "configHash"), OLD_HASH);
	ck_assert_str_eq(cond(a.p.status, "Ready", "reason"), "WaitingForActiveRun");
	ck_assert_str_eq(fx_str(a.p.status, "lastRunTime"), "2026-01-01T00:00:01Z");
	json_object_put(old);

	/* the old run finished: now the new one starts */
	load_built(&b, aj);
	old = old_active_job(&b, job_cases[3].job_status);
	obs[0] = (struct plan_child){RES_JOB, old};
	run(&b, obs, 1, false);
	ck_assert(b.p.launch);
	ck_assert(!b.p.waiting);
	ck_assert_int_eq(b.p.n_deletes, 0);
	ck_assert_ptr_nonnull(find_action(b.p.applies, b.p.n_applies, "Job", b.d.job_name));
	ck_assert_str_eq(fx_str(b.p.status, "configHash"), b.d.config_hash);
	json_object_put(old);
	json_object_put(aj);
	done(&a);
	done(&b);
}
END_TEST

START_TEST(replace_deletes_active_run)
{
	struct round a;
	struct plan_child obs[1];
	json_object *aj = oneshot_aj(), *old;
	const struct plan_action *del;

	fx_set(aj, "spec.concurrencyPolicy", json_object_new_string("Replace"));
	set_status_text(aj, ("{\"phase\":\"Running\",\"configHash\":\"" OLD_HASH "\"}"));
	load_built(&a, aj);
	old = old_active_job(&a, "{\"startTime\":\"2026-01-01T00:00:01Z\",\"active\":1}");
	obs[0] = (struct plan_child){RES_JOB, old};
	run(&a, obs, 1, false);
	ck_assert(a.p.launch);
	ck_assert(!a.p.waiting);
	ck_assert_int_eq(a.p.n_deletes, 1);
	del = find_action(a.p.deletes, a.p.n_deletes, "Job", "pr-fixer-" OLD_HASH);
	ck_assert_ptr_nonnull(del);
	ck_assert_str_eq(del->propagation, "Background");
	ck_assert_str_eq(del->why, "replace");
	ck_assert_ptr_nonnull(find_action(a.p.applies, a.p.n_applies, "Job", a.d.job_name));
	ck_assert_str_eq(fx_str(a.p.status, "configHash"), a.d.config_hash);
	json_object_put(old);
	json_object_put(aj);
	done(&a);
}
END_TEST

/* What is no longer desired goes; PVCs, finished Jobs and foreign objects stay. */
START_TEST(prune_sets)
{
	struct round a, ref;
	struct plan_child obs[7];
	json_object *aj = oneshot_aj(), *ajca = fx_json(FX_AGENTJOB), *ca = fx_json(FX_CA);
	json_object *seen[7];
	size_t i;

	fx_set(aj, "spec.persist", json_object_new_boolean(0));
	fx_set(ajca, "spec.clusterAccessRef", json_object_new_string("reader"));
	load(&ref, ajca, ca); /* a cron, persist, ClusterAccess version to take children from */
	run(&ref, NULL, 0, false);
	load(&a, aj, NULL);
	seen[0] = as_seen(ref.d.cronjob, "{}");
	seen[1] = as_seen(ref.d.service_account, NULL);
	seen[2] = as_seen(ref.d.crb, NULL);
	seen[3] = as_seen(ref.d.pvc, NULL);
	seen[4] = as_seen(ref.d.configmap, NULL);
	seen[5] = as_seen(ref.d.cronjob, NULL); /* labelled for us, controlled by another */
	fx_set(seen[5], "metadata.name", json_object_new_string("other"));
	fx_set(seen[5], "metadata.ownerReferences", fx_json(OTHER_OWNER));
	seen[6] = as_seen(ref.d.cronjob, job_cases[2].job_status); /* a finished old Job */
	fx_set(seen[6], "metadata.name", json_object_new_string("pr-fixer-" OLD_HASH));
	obs[0] = (struct plan_child){RES_CRONJOB, seen[0]};
	obs[1] = (struct plan_child){RES_SERVICEACCOUNT, seen[1]};
	obs[2] = (struct plan_child){RES_CLUSTERROLEBINDING, seen[2]};
	obs[3] = (struct plan_child){RES_PVC, seen[3]};
	obs[4] = (struct plan_child){RES_CONFIGMAP, seen[4]};
	obs[5] = (struct plan_child){RES_CRONJOB, seen[5]};
	obs[6] = (struct plan_child){RES_JOB, seen[6]};
	run(&a, obs, 7, false);
	ck_assert_int_eq(a.p.n_deletes, 3);
	ck_assert_ptr_nonnull(find_action(a.p.deletes, a.p.n_deletes, "CronJob", "pr-fixer"));
	ck_assert_str_eq(find_action(a.p.deletes, a.p.n_deletes, "CronJob", NULL)->propagation,
	                 "Background");
	ck_assert_ptr_nonnull(
	    find_action(a.p.deletes, a.p.n_deletes, "ServiceAccount", "pr-fixer-runner"));
	ck_assert_ptr_nonnull(
	    find_action(a.p.deletes, a.p.n_deletes, "ClusterRoleBinding", ref.d.crb_name));
	ck_assert(!find_action(a.p.deletes, a.p.n_deletes, "ClusterRoleBinding", NULL)->namespaced);
	ck_assert_ptr_null(find_action(a.p.deletes, a.p.n_deletes, "PersistentVolumeClaim", NULL));
	ck_assert_ptr_null(find_action(a.p.deletes, a.p.n_deletes, "Job", NULL));
	ck_assert_ptr_null(find_action(a.p.deletes, a.p.n_deletes, "CronJob", "other"));
	/* the binding is still there: the finalizer stays until it is gone */
	ck_assert(a.p.needs_binding);
	ck_assert(a.p.launch);
	for (i = 0; i < 7; i++)
		json_object_put(seen[i]);
	json_object_put(aj);
	json_object_put(ajca);
	json_object_put(ca);
	done(&a);
	done(&ref);
}
END_TEST

/* Switching to one-shot under Forbid while the CronJob runs: the CronJob is
 * suspended, not deleted (an Orphan delete would strip the run's
 * ownerReference, and with it our claim on the run), and the one-shot waits. */
START_TEST(cron_pruned_orphans_active_run)
{
	struct round ref, a;
	struct plan_child obs[2];
	json_object *cronaj = fx_json(FX_AGENTJOB), *aj = oneshot_aj(), *cj, *run_job;

	load(&ref, cronaj, NULL);
	run(&ref, NULL, 0, false);
	load(&a, aj, NULL);
	cj = as_seen(ref.d.cronjob, "{\"active\":[{\"name\":\"pr-fixer-29000000\"}]}");
	ck_assert_int_eq(build_children(&a.f.aj, &a.f.refs, &a.d), 0);
	a.built = true;
	run_job = old_active_job(&a, "{\"startTime\":\"2026-01-01T00:00:01Z\",\"active\":1}");
	fx_set(run_job, "metadata.name", json_object_new_string("pr-fixer-29000000"));
	fx_set(run_job, "metadata.ownerReferences",
	       fx_json("[{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"name\":\"pr-fixer\","
	               "\"uid\":\"child-uid\",\"controller\":true}]"));
	obs[0] = (struct plan_child){RES_CRONJOB, cj};
	obs[1] = (struct plan_child){RES_JOB, run_job};
	run(&a, obs, 2, false);
	ck_assert_ptr_null(find_action(a.p.deletes, a.p.n_deletes, "CronJob", NULL));
	ck_assert_int_eq(a.p.n_patches, 1);
	ck_assert_str_eq(a.p.patches[0].name, "pr-fixer");
	ck_assert_str_eq(json_object_to_json_string(a.p.patches[0].obj),
	                 "{ \"spec\": { \"suspend\": true } }");
	ck_assert(a.p.waiting);
	ck_assert(!a.p.launch);
	json_object_put(cj);
	json_object_put(run_job);
	json_object_put(cronaj);
	json_object_put(aj);
	done(&ref);
	done(&a);
}
END_TEST

START_TEST(suspend_cron_keeps_children)
{
	struct round a, b;
	struct plan_child obs[3];
	json_object *aj = fx_json(FX_AGENTJOB), *seen[3];
	const struct plan_action *app;
	size_t i;

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	seen[0] = as_seen(a.d.configmap, NULL);
	seen[1] = as_seen(a.d.pvc, NULL);
	seen[2] = as_seen(a.d.cronjob, "{\"active\":[{\"name\":\"pr-fixer-1\"}]}");
	obs[0] = (struct plan_child){RES_CONFIGMAP, seen[0]};
	obs[1] = (struct plan_child){RES_PVC, seen[1]};
	obs[2] = (struct plan_child){RES_CRONJOB, seen[2]};
	fx_set(aj, "spec.suspend", json_object_new_boolean(1));
	load(&b, aj, NULL);
	run(&b, obs, 3, false);
	ck_assert_int_eq(b.p.n_deletes, 0);
	ck_assert_int_eq(b.p.n_applies, 1);
	app = find_action(b.p.applies, b.p.n_applies, "CronJob", "pr-fixer");
	ck_assert_ptr_nonnull(app);
	ck_assert(json_object_get_boolean(fx_get(app->obj, "spec.suspend")));
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Suspended");
	ck_assert_str_eq(cond(b.p.status, "Ready", "reason"), "Suspended");
	ck_assert_int_eq(json_object_array_length(fx_get(b.p.status, "ownedResources")), 3);
	for (i = 0; i < 3; i++)
		json_object_put(seen[i]);
	json_object_put(aj);
	done(&a);
	done(&b);
}
END_TEST

START_TEST(suspend_oneshot_holds_run)
{
	struct round a;
	json_object *aj = oneshot_aj();

	fx_set(aj, "spec.suspend", json_object_new_boolean(1));
	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	ck_assert(!a.p.launch);
	ck_assert_ptr_null(find_action(a.p.applies, a.p.n_applies, "Job", NULL));
	ck_assert_ptr_nonnull(find_action(a.p.applies, a.p.n_applies, "ConfigMap", NULL));
	ck_assert_str_eq(fx_str(a.p.status, "phase"), "Suspended");
	ck_assert_ptr_null(fx_get(a.p.status, "configHash"));
	json_object_put(aj);
	done(&a);
}
END_TEST

static const struct {
	const char *cron_status;
	const char *phase;
	const char *last_run;
} cron_cases[] = {
    {"{}", "Scheduled", NULL},
    {"{\"lastScheduleTime\":\"2026-01-01T06:00:00Z\"}", "Scheduled", "2026-01-01T06:00:00Z"},
    {"{\"lastScheduleTime\":\"2026-01-01T06:00:00Z\",\"active\":[{\"name\":\"x\"}]}", "Running",
     "2026-01-01T06:00:00Z"},
};

START_TEST(cron_phases)
{
	struct round a, b;
	struct plan_child obs[1];
	json_object *aj = fx_json(FX_AGENTJOB), *cj;

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	load(&b, aj, NULL);
	cj = as_seen(a.d.cronjob, cron_cases[_i].cron_status);
	obs[0] = (struct plan_child){RES_CRONJOB, cj};
	run(&b, obs, 1, false);
	ck_assert_ptr_null(find_action(b.p.applies, b.p.n_applies, "CronJob", NULL));
	ck_assert_str_eq(fx_str(b.p.status, "phase"), cron_cases[_i].phase);
	ck_assert_str_eq(fx_str(b.p.status, "configHash"), b.d.config_hash);
	ck_assert_ptr_null(cond(b.p.status, "Complete", "status"));
	if (cron_cases[_i].last_run)
		ck_assert_str_eq(fx_str(b.p.status, "lastRunTime"), cron_cases[_i].last_run);
	else
		ck_assert_ptr_null(fx_get(b.p.status, "lastRunTime"));
	json_object_put(cj);
	json_object_put(aj);
	done(&a);
	done(&b);
}
END_TEST

static void ca_round(struct round *rd, json_object **aj, json_object **ca)
{
	*aj = fx_json(FX_AGENTJOB);
	*ca = fx_json(FX_CA);
	fx_set(*aj, "spec.clusterAccessRef", json_object_new_string("reader"));
	load(rd, *aj, *ca);
	ck_assert_int_eq(build_children(&rd->f.aj, &rd->f.refs, &rd->d), 0);
	rd->built = true;
}

START_TEST(crb_name_conflict_not_taken)
{
	struct round a;
	struct plan_child obs[1];
	json_object *aj, *ca, *crb;

	ca_round(&a, &aj, &ca);
	crb = as_seen(a.d.crb, NULL);
	fx_set(crb, "metadata.labels",
	       fx_json("{\"thurkube.thurbeen.eu/agentjob\":\"other\","
	               "\"thurkube.thurbeen.eu/agentjob-namespace\":\"x\"}"));
	obs[0] = (struct plan_child){RES_CLUSTERROLEBINDING, crb};
	run(&a, obs, 1, false);
	ck_assert(a.p.conflict);
	ck_assert_ptr_null(find_action(a.p.applies, a.p.n_applies, "ClusterRoleBinding", NULL));
	ck_assert_ptr_null(find_action(a.p.deletes, a.p.n_deletes, "ClusterRoleBinding", NULL));
	ck_assert_str_eq(cond(a.p.status, "Ready", "reason"), "NameConflict");
	ck_assert_int_eq(a.p.n_applies, 0);
	/* nothing of ours to guard: no finalizer for a binding never made */
	ck_assert(!a.p.needs_binding);
	json_object_put(crb);
	json_object_put(aj);
	json_object_put(ca);
	done(&a);
}
END_TEST

START_TEST(crb_roleref_change_recreates)
{
	struct round a;
	struct plan_child obs[1];
	json_object *aj, *ca, *crb;
	const struct plan_action *del;

	ca_round(&a, &aj, &ca);
	crb = as_seen(a.d.crb, NULL);
	fx_set(crb, "roleRef.name", json_object_new_string("thurkube-ca-ffffffffffffffff"));
	obs[0] = (struct plan_child){RES_CLUSTERROLEBINDING, crb};
	run(&a, obs, 1, false);
	del = find_action(a.p.deletes, a.p.n_deletes, "ClusterRoleBinding", a.d.crb_name);
	ck_assert_ptr_nonnull(del);
	ck_assert_str_eq(del->why, "roleRef changed");
	ck_assert_ptr_nonnull(
	    find_action(a.p.applies, a.p.n_applies, "ClusterRoleBinding", a.d.crb_name));
	ck_assert_ptr_nonnull(
	    find_action(a.p.applies, a.p.n_applies, "ServiceAccount", "pr-fixer-runner"));
	ck_assert(a.p.needs_binding);
	json_object_put(crb);
	json_object_put(aj);
	json_object_put(ca);
	done(&a);
}
END_TEST

START_TEST(condition_transition_time)
{
	json_object *prev = fx_json("[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"A\","
	                            "\"lastTransitionTime\":\"2025-01-01T00:00:00Z\"}]");
	json_object *conds = json_object_new_array();

	ck_assert_int_eq(status_set_condition(conds, prev, "Ready", true, "B", "m", 4, NOW), 0);
	ck_assert_str_eq(fx_str(conds, "0.lastTransitionTime"), "2025-01-01T00:00:00Z");
	ck_assert_str_eq(fx_str(conds, "0.reason"), "B");
	ck_assert_int_eq(json_object_get_int(fx_get(conds, "0.observedGeneration")), 4);
	ck_assert_int_eq(status_set_condition(conds, prev, "Ready", false, "C", "m", 4, NOW), 0);
	ck_assert_int_eq(json_object_array_length(conds), 1);
	ck_assert_str_eq(fx_str(conds, "0.status"), "False");
	ck_assert_str_eq(fx_str(conds, "0.lastTransitionTime"), "2026-01-01T00:00:00Z");
	json_object_put(prev);
	json_object_put(conds);
}
END_TEST

START_TEST(simple_status_and_users)
{
	json_object *ajs =
	    fx_json("[{\"spec\":{\"roleRef\":\"r\",\"clusterAccessRef\":\"c\"}},"
	            "{\"spec\":{\"roleRef\":\"r\"}},{\"spec\":{\"roleRef\":\"q\"}}]");
	json_object *a, *b;

	ck_assert_int_eq(status_count_users(ajs, "roleRef", "r"), 2);
	ck_assert_int_eq(status_count_users(ajs, "clusterAccessRef", "c"), 1);
	ck_assert_int_eq(status_count_users(ajs, "clusterAccessRef", "r"), 0);
	a = status_simple(NULL, 2, true, "Valid", "6 allowed tools", 2, NOW);
	ck_assert_int_eq(json_object_get_int(fx_get(a, "usedBy")), 2);
	ck_assert_str_eq(cond(a, "Ready", "status"), "True");
	b = status_simple(a, 2, true, "Valid", "6 allowed tools", 2, NOW + 100);
	ck_assert(status_equal(a, b)); /* same status, transition time kept */
	json_object_put(b);
	b = status_simple(a, 2, true, "Valid", "6 allowed tools", 3, NOW + 100);
	ck_assert(!status_equal(a, b));
	ck_assert(status_equal(NULL, NULL));
	ck_assert(!status_equal(a, NULL));
	json_object_put(a);
	json_object_put(b);
	json_object_put(ajs);
}
END_TEST

START_TEST(apply_failure_in_status)
{
	struct round a;
	json_object *aj = oneshot_aj();

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	ck_assert_int_eq(status_mark_failed(a.p.status, NULL, OLD_HASH, 3, "apply Job pr-fixer-x",
	                                    "field is immutable", NOW),
	                 0);
	ck_assert_str_eq(cond(a.p.status, "Ready", "status"), "False");
	ck_assert_str_eq(cond(a.p.status, "Ready", "reason"), "ApplyFailed");
	ck_assert_str_eq(fx_str(a.p.status, "message"), "apply Job pr-fixer-x: field is immutable");
	ck_assert_str_eq(fx_str(a.p.status, "configHash"), OLD_HASH);
	json_object_put(aj);
	done(&a);
}
END_TEST

/* The launch's Job apply failed (say the API server went away mid-request):
 * the status must not name the new hash, or the next pass would find no
 * Job and call it lost. It launches again instead, the same Job by name. */
START_TEST(failed_launch_retried_not_lost)
{
	struct round a, b;
	json_object *aj = oneshot_aj();
	const struct plan_action *job;
	char *name;

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	ck_assert(a.p.launch);
	ck_assert_ptr_nonnull(fx_get(a.p.status, "configHash"));
	job = find_action(a.p.applies, a.p.n_applies, "Job", NULL);
	ck_assert_ptr_nonnull(job);
	name = strdup(job->name);
	ck_assert_ptr_nonnull(name);
	ck_assert_int_eq(
	    status_mark_failed(a.p.status, NULL, NULL, 1, "apply Job x", "connection refused", NOW),
	    0);
	ck_assert_ptr_null(fx_get(a.p.status, "configHash"));
	set_status(aj, a.p.status);
	load_built(&b, aj);
	ck_assert(!plan_job_needs_confirm(&b.in));
	run(&b, NULL, 0, false);
	ck_assert(b.p.launch);
	job = find_action(b.p.applies, b.p.n_applies, "Job", NULL);
	ck_assert_ptr_nonnull(job);
	ck_assert_str_eq(job->name, name);
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Running");
	ck_assert_str_eq(cond(b.p.status, "Ready", "reason"), "JobCreated");
	free(name);
	json_object_put(aj);
	done(&a);
	done(&b);
}
END_TEST

START_TEST(event_shape)
{
	struct tk_meta meta = {0};
	struct events_regarding reg = {"thurkube.thurbeen.eu/v1alpha1", "AgentJob", &meta};
	struct timespec ts = {NOW, 123456789};
	char note[2000];
	json_object *ev;

	meta.name = "pr-fixer";
	meta.namespace = "agents";
	meta.uid = FX_UID;
	meta.resource_version = "9";
	memset(note, 'x', sizeof(note) - 1);
	note[sizeof(note) - 1] = '\0';
	ev = events_build(&reg, "Warning", "ResolveFailed", "Resolve", note, "pod-a", &ts);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(fx_str(ev, "apiVersion"), "events.k8s.io/v1");
	ck_assert_str_eq(fx_str(ev, "kind"), "Event");
	ck_assert_str_eq(fx_str(ev, "metadata.namespace"), "agents");
	ck_assert_int_eq(strncmp(fx_str(ev, "metadata.name"), "pr-fixer.", 9), 0);
	ck_assert_str_eq(fx_str(ev, "eventTime"), "2026-01-01T00:00:00.123456Z");
	ck_assert_str_eq(fx_str(ev, "reportingController"), "thurkube.thurbeen.eu/controller");
	ck_assert_str_eq(fx_str(ev, "reportingInstance"), "pod-a");
	ck_assert_str_eq(fx_str(ev, "type"), "Warning");
	ck_assert_str_eq(fx_str(ev, "reason"), "ResolveFailed");
	ck_assert_str_eq(fx_str(ev, "action"), "Resolve");
	ck_assert_int_eq(strlen(fx_str(ev, "note")), EVENTS_MAX_NOTE);
	ck_assert_str_eq(fx_str(ev, "regarding.kind"), "AgentJob");
	ck_assert_str_eq(fx_str(ev, "regarding.uid"), FX_UID);
	ck_assert_str_eq(fx_str(ev, "regarding.namespace"), "agents");
	json_object_put(ev);
	ck_assert_ptr_null(events_build(&reg, "Normal", NULL, "A", "n", "pod-a", &ts));
}
END_TEST

/* ---- issue 11: ownership by UID, name conflicts, revocations that never wait ---- */

#define OTHER_UID "99999999-0000-0000-0000-000000000000"

/* The desired child of kind in d (borrowed). */
static json_object *desired_of(const struct build_out *d, const char *kind)
{
	json_object *objs[] = {d->configmap, d->pvc,     d->service_account,
	                       d->crb,       d->cronjob, d->job};
	size_t i;

	for (i = 0; i < TK_ARRAY_LEN(objs); i++)
		if (objs[i] && !strcmp(fx_str(objs[i], "kind"), kind))
			return objs[i];
	ck_abort_msg("no desired %s", kind);
	return NULL;
}

/* How a foreign object holding a desired name looks. */
enum foreign_shape {
	OTHER_CONTROLLER, /* controlled by another AgentJob (a binding: another owner-uid) */
	LABELS_ONLY,      /* carries our name labels, no ownerReference (no owner-uid) */
	BARE,             /* as a live GET reports one no store holds: no labels, no owner */
	N_SHAPES
};

/* A foreign copy of desired (new reference). */
static json_object *foreign(json_object *desired, enum foreign_shape shape)
{
	json_object *o = as_seen(desired, NULL);
	bool crb = !strcmp(fx_str(desired, "kind"), "ClusterRoleBinding");

	fx_set(o, "metadata.ownerReferences", NULL);
	if (shape == OTHER_CONTROLLER && crb)
		fx_set(o, "metadata.labels",
		       fx_json("{\"app.kubernetes.io/managed-by\":\"thurkube\","
		               "\"thurkube.thurbeen.eu/agentjob\":\"pr-fixer\","
		               "\"thurkube.thurbeen.eu/agentjob-namespace\":\"agents\","
		               "\"thurkube.thurbeen.eu/owner-uid\":\"" OTHER_UID "\"}"));
	else if (shape == OTHER_CONTROLLER)
		fx_set(o, "metadata.ownerReferences", fx_json(OTHER_OWNER));
	if (shape == LABELS_ONLY)
		fx_set(o, "metadata.labels",
		       fx_json("{\"app.kubernetes.io/managed-by\":\"thurkube\","
		               "\"thurkube.thurbeen.eu/agentjob\":\"pr-fixer\","
		               "\"thurkube.thurbeen.eu/agentjob-namespace\":\"agents\"}"));
	if (shape == BARE)
		fx_set(o, "metadata.labels", NULL);
	fx_set(o, "metadata.uid", json_object_new_string("foreign-uid"));
	return o;
}

/* A cron (or one-shot) AgentJob with persist and clusterAccessRef, so every
 * kind of child is desired. */
static void all_kinds_round(struct round *rd, json_object **aj, json_object **ca, bool oneshot)
{
	*aj = oneshot ? oneshot_aj() : fx_json(FX_AGENTJOB);
	*ca = fx_json(FX_CA);
	fx_set(*aj, "spec.clusterAccessRef", json_object_new_string("reader"));
	load(rd, *aj, *ca);
	ck_assert_int_eq(build_children(&rd->f.aj, &rd->f.refs, &rd->d), 0);
	rd->built = true;
}

static const struct {
	const char *kind;
	bool oneshot;
} conflict_kinds[] = {
    {"ConfigMap", false},      {"PersistentVolumeClaim", false},
    {"ServiceAccount", false}, {"ClusterRoleBinding", false},
    {"CronJob", false},        {"Job", true},
};

START_TEST(conflict_per_kind)
{
	const char *kind = conflict_kinds[_i / N_SHAPES].kind;
	enum foreign_shape shape = (enum foreign_shape)(_i % N_SHAPES);
	struct round a;
	struct plan_child obs[1];
	json_object *aj, *ca, *victim;
	struct buf want = BUF_INIT(1024);
	const char *name;

	all_kinds_round(&a, &aj, &ca, conflict_kinds[_i / N_SHAPES].oneshot);
	victim = foreign(desired_of(&a.d, kind), shape);
	name = fx_str(victim, "metadata.name");
	obs[0] = (struct plan_child){res_of_kind(kind), victim};
	run(&a, obs, 1, false);
	ck_assert_msg(a.p.conflict, "%s shape %d not a conflict", kind, shape);
	ck_assert_int_eq(a.p.n_applies, 0);
	ck_assert_int_eq(a.p.n_deletes, 0);
	ck_assert_int_eq(a.p.n_patches, 0);
	ck_assert(!a.p.launch);
	ck_assert(!a.p.needs_binding);
	ck_assert_str_eq(fx_str(a.p.status, "phase"), "Pending");
	ck_assert_str_eq(cond(a.p.status, "Ready", "status"), "False");
	ck_assert_str_eq(cond(a.p.status, "Ready", "reason"), "NameConflict");
	ck_assert_str_eq(cond(a.p.status, "ReferencesResolved", "status"), "True");
	ck_assert_int_eq(buf_printf(&want,
	                            "%s \"%s\" exists and is not controlled by this AgentJob", kind,
	                            name),
	                 0);
	ck_assert_ptr_nonnull(strstr(cond(a.p.status, "Ready", "message"), want.data));
	ck_assert_ptr_nonnull(strstr(fx_str(a.p.status, "message"), want.data));
	ck_assert_ptr_null(fx_get(a.p.status, "configHash"));
	buf_free(&want);
	json_object_put(victim);
	json_object_put(aj);
	json_object_put(ca);
	done(&a);
}
END_TEST

/* Our own child, found by a live GET before the store saw it: no conflict. */
START_TEST(own_child_found_by_get_is_no_conflict)
{
	struct round a;
	size_t i;
	struct plan_child obs[1];
	json_object *aj, *ca, *cm;

	all_kinds_round(&a, &aj, &ca, false);
	cm = as_seen(a.d.configmap, NULL);
	fx_set(cm, "metadata.labels", NULL); /* labels play no part */
	obs[0] = (struct plan_child){RES_CONFIGMAP, cm};
	run(&a, obs, 1, false);
	ck_assert(!a.p.conflict);
	ck_assert_str_eq(cond(a.p.status, "Ready", "reason"), "Scheduled");
	/* the ConfigMap gets its labels back; the others were never seen */
	ck_assert_int_eq(a.p.n_applies, 5);
	for (i = 0; i < a.p.n_applies; i++)
		ck_assert_int_eq(a.p.applies[i].unseen,
		                 strcmp(res_kind(a.p.applies[i].kind), "ConfigMap") != 0);
	json_object_put(cm);
	json_object_put(aj);
	json_object_put(ca);
	done(&a);
}
END_TEST

/* A conflict holds every apply, not the revocations. */
static const struct {
	bool with_ref;        /* spec.clusterAccessRef still set */
	const char *conflict; /* kind held by a foreign object */
	bool suspend;         /* spec.suspend */
	bool unverified;      /* a lookup failed instead of a conflict */
	bool want_crb_delete;
	bool want_patch;
} held_cases[] = {
    {false, "ConfigMap", false, false, true, false},     /* ref removed: revoke */
    {true, "ServiceAccount", false, false, true, false}, /* would bind a foreign SA */
    {true, "ConfigMap", false, false, false, false},     /* access stays */
    {true, "ConfigMap", true, false, false, true},       /* suspend */
    {false, NULL, true, true, true, true},               /* lookup failed */
};

START_TEST(held_applies_still_revoke)
{
	struct round ref, a;
	struct plan_child obs[3];
	json_object *aj, *ca, *refaj, *seen[3];
	const struct plan_action *del;
	size_t i, n = 2;

	all_kinds_round(&ref, &refaj, &ca, false);
	seen[0] = as_seen(ref.d.crb, NULL);
	seen[1] = as_seen(ref.d.cronjob, "{}");
	obs[0] = (struct plan_child){RES_CLUSTERROLEBINDING, seen[0]};
	obs[1] = (struct plan_child){RES_CRONJOB, seen[1]};
	aj = fx_json(FX_AGENTJOB);
	if (held_cases[_i].with_ref)
		fx_set(aj, "spec.clusterAccessRef", json_object_new_string("reader"));
	if (held_cases[_i].suspend)
		fx_set(aj, "spec.suspend", json_object_new_boolean(1));
	load(&a, aj, held_cases[_i].with_ref ? ca : NULL);
	if (held_cases[_i].conflict) {
		seen[2] = foreign(desired_of(&ref.d, held_cases[_i].conflict), BARE);
		obs[n++] = (struct plan_child){res_of_kind(held_cases[_i].conflict), seen[2]};
	}
	a.in.unverified = held_cases[_i].unverified;
	run(&a, obs, n, false);
	ck_assert_int_eq(a.p.n_applies, 0);
	ck_assert_str_eq(fx_str(a.p.status, "phase"), "Pending");
	ck_assert_str_eq(cond(a.p.status, "Ready", "reason"),
	                 held_cases[_i].unverified ? "ApplyFailed" : "NameConflict");
	del = find_action(a.p.deletes, a.p.n_deletes, "ClusterRoleBinding", ref.d.crb_name);
	ck_assert_int_eq(del != NULL, held_cases[_i].want_crb_delete);
	ck_assert_int_eq(a.p.n_deletes, held_cases[_i].want_crb_delete);
	if (del) {
		ck_assert_str_eq(del->why, "revoke");
		ck_assert_str_eq(del->uid, "child-uid");
		ck_assert(!del->namespaced);
	}
	ck_assert_int_eq(a.p.n_patches, held_cases[_i].want_patch);
	if (held_cases[_i].want_patch) {
		ck_assert_str_eq(res_kind(a.p.patches[0].kind), "CronJob");
		ck_assert_str_eq(a.p.patches[0].name, "pr-fixer");
		ck_assert(json_object_get_boolean(fx_get(a.p.patches[0].obj, "spec.suspend")));
		ck_assert_int_eq(json_object_object_length(a.p.patches[0].obj), 1);
		ck_assert_int_eq(json_object_object_length(fx_get(a.p.patches[0].obj, "spec")), 1);
	}
	for (i = 0; i < n; i++)
		json_object_put(seen[i]);
	json_object_put(aj);
	json_object_put(refaj);
	json_object_put(ca);
	done(&a);
	done(&ref);
}
END_TEST

/* References missing (no desired children): revocation and suspend still go. */
static const struct {
	const char *ca_ref;  /* spec.clusterAccessRef, NULL: removed */
	const char *missing; /* the missing reference */
	bool invalid;        /* ... listed as invalid instead */
	bool suspend;
	bool cron_suspended; /* our CronJob already has spec.suspend true */
	bool want_crb_delete;
	bool want_patch;
} missing_cases[] = {
    {NULL, "AgentSkill/skill-rev", false, false, false, true, false},
    {"reader", "ClusterAccess/reader", false, false, false, true, false},
    {"reader", "ClusterAccess/reader", true, false, false, true, false},
    {"reader", "AgentSkill/skill-rev", false, false, false, false, false},
    {"reader", "AgentSkill/skill-rev", false, true, false, false, true},
    {"reader", "AgentSkill/skill-rev", false, true, true, false, false},
    {NULL, "AgentSkill/skill-rev", false, true, false, true, true},
};

START_TEST(missing_refs_still_revoke)
{
	struct strlist missing = {0}, invalid = {0};
	struct round ref, a;
	struct plan_child obs[4];
	json_object *refaj, *ca, *aj, *seen[4];
	size_t i;

	all_kinds_round(&ref, &refaj, &ca, false);
	seen[0] = as_seen(ref.d.crb, NULL);
	seen[1] = as_seen(ref.d.cronjob, "{}");
	if (missing_cases[_i].cron_suspended)
		fx_set(seen[1], "spec.suspend", json_object_new_boolean(1));
	/* only labelled for us: neither revoked nor suspended */
	seen[2] = foreign(ref.d.crb, LABELS_ONLY);
	fx_set(seen[2], "metadata.name", json_object_new_string("thurkube-aj-0000000000000000"));
	seen[3] = foreign(ref.d.cronjob, LABELS_ONLY);
	fx_set(seen[3], "metadata.name", json_object_new_string("pr-fixer-x"));
	obs[0] = (struct plan_child){RES_CLUSTERROLEBINDING, seen[0]};
	obs[1] = (struct plan_child){RES_CRONJOB, seen[1]};
	obs[2] = (struct plan_child){RES_CLUSTERROLEBINDING, seen[2]};
	obs[3] = (struct plan_child){RES_CRONJOB, seen[3]};
	aj = fx_json(FX_AGENTJOB);
	if (missing_cases[_i].ca_ref)
		fx_set(aj, "spec.clusterAccessRef",
		       json_object_new_string(missing_cases[_i].ca_ref));
	if (missing_cases[_i].suspend)
		fx_set(aj, "spec.suspend", json_object_new_boolean(1));
	load(&a, aj, NULL);
	ck_assert_int_eq(
	    strlist_add(missing_cases[_i].invalid ? &invalid : &missing, missing_cases[_i].missing),
	    0);
	a.in = (struct plan_input){.aj = &a.f.aj,
	                           .missing = &missing,
	                           .invalid = &invalid,
	                           .observed = obs,
	                           .n_observed = 4,
	                           .now = NOW};
	ck_assert_int_eq(plan_make(&a.in, &a.p), 0);
	ck_assert_int_eq(a.p.n_applies, 0);
	ck_assert_str_eq(fx_str(a.p.status, "phase"), "Pending");
	ck_assert_int_eq(a.p.n_deletes, missing_cases[_i].want_crb_delete);
	if (missing_cases[_i].want_crb_delete) {
		ck_assert_str_eq(res_kind(a.p.deletes[0].kind), "ClusterRoleBinding");
		ck_assert_str_eq(a.p.deletes[0].name, ref.d.crb_name);
		ck_assert_str_eq(a.p.deletes[0].why, "revoke");
	}
	ck_assert_int_eq(a.p.n_patches, missing_cases[_i].want_patch);
	if (missing_cases[_i].want_patch) {
		ck_assert_str_eq(a.p.patches[0].name, "pr-fixer");
		ck_assert_str_eq(json_object_to_json_string(a.p.patches[0].obj),
		                 "{ \"spec\": { \"suspend\": true } }");
	}
	/* the binding is there until the delete is seen: the finalizer stays */
	ck_assert(a.p.needs_binding);
	strlist_free(&missing);
	strlist_free(&invalid);
	for (i = 0; i < 4; i++)
		json_object_put(seen[i]);
	json_object_put(aj);
	json_object_put(refaj);
	json_object_put(ca);
	done(&a);
	done(&ref);
}
END_TEST

/* A Job that only carries our labels is not our run: under Forbid nothing
 * waits for it, under Replace nothing deletes it, and it is not the
 * desired Job either. Labelled children without our UID are not pruned. */
START_TEST(labelled_job_not_our_run)
{
	struct round a;
	struct plan_child obs[4];
	json_object *aj = oneshot_aj(), *seen[4];
	size_t i;

	if (_i)
		fx_set(aj, "spec.concurrencyPolicy", json_object_new_string("Replace"));
	fx_set(aj, "spec.persist", json_object_new_boolean(0));
	set_status_text(aj, ("{\"phase\":\"Running\",\"configHash\":\"" OLD_HASH "\"}"));
	load_built(&a, aj);
	seen[0] = old_active_job(&a, "{\"startTime\":\"2026-01-01T00:00:01Z\",\"active\":1}");
	fx_set(seen[0], "metadata.ownerReferences", NULL);
	seen[1] = foreign(a.d.configmap, LABELS_ONLY);
	fx_set(seen[1], "metadata.name", json_object_new_string("pr-fixer-old-config"));
	seen[2] = foreign(a.d.configmap, LABELS_ONLY);
	fx_set(seen[2], "metadata.name", json_object_new_string("pr-fixer-runner"));
	seen[3] = as_seen(a.d.configmap, NULL); /* ours */
	obs[0] = (struct plan_child){RES_JOB, seen[0]};
	obs[1] = (struct plan_child){RES_CONFIGMAP, seen[1]};
	obs[2] = (struct plan_child){RES_SERVICEACCOUNT, seen[2]};
	obs[3] = (struct plan_child){RES_CONFIGMAP, seen[3]};
	run(&a, obs, 4, false);
	ck_assert(!a.p.conflict);
	ck_assert(!a.p.waiting);
	ck_assert(a.p.launch);
	ck_assert_int_eq(a.p.n_deletes, 0);
	ck_assert_int_eq(a.p.n_patches, 0);
	ck_assert_ptr_nonnull(find_action(a.p.applies, a.p.n_applies, "Job", a.d.job_name));
	ck_assert_str_eq(fx_str(a.p.status, "configHash"), a.d.config_hash);
	ck_assert_str_eq(cond(a.p.status, "Ready", "reason"), "JobCreated");
	for (i = 0; i < 4; i++)
		json_object_put(seen[i]);
	json_object_put(aj);
	done(&a);
}
END_TEST

/* A labelled Job holding the desired Job's name is no outcome of ours. */
START_TEST(labelled_job_not_the_launched_one)
{
	struct round a, b;
	struct plan_child obs[1];
	json_object *aj = oneshot_aj(), *job;

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	set_status(aj, a.p.status);
	load_built(&b, aj);
	job = foreign(a.d.job, LABELS_ONLY);
	fx_set(job, "status", fx_json(job_cases[2].job_status));
	obs[0] = (struct plan_child){RES_JOB, job};
	b.in.observed = obs;
	b.in.n_observed = 1;
	ck_assert(plan_job_needs_confirm(&b.in));
	run(&b, obs, 1, false);
	ck_assert(b.p.conflict);
	ck_assert_str_ne(fx_str(b.p.status, "phase"), "Succeeded");
	ck_assert_str_eq(cond(b.p.status, "Ready", "reason"), "NameConflict");
	json_object_put(job);
	json_object_put(aj);
	done(&a);
	done(&b);
}
END_TEST

/* A Job run by a CronJob is ours only through our own CronJob's UID. */
static const struct {
	const char *job_owner_uid; /* the Job's controller CronJob uid */
	bool cron_ours;            /* the CronJob pr-fixer is controlled by us */
	bool want_wait;            /* Forbid waits for the Job */
	size_t want_deletes;       /* the CronJob, pruned */
} cronrun_cases[] = {
    {"child-uid", true, true, 1},
    {"other-cronjob-uid", true, false, 1},
    {"child-uid", false, false, 0},
};

START_TEST(cron_run_ours_by_cronjob_uid)
{
	struct round ref, a;
	struct plan_child obs[2];
	json_object *cronaj = fx_json(FX_AGENTJOB), *aj = oneshot_aj(), *cj, *job;

	load(&ref, cronaj, NULL);
	run(&ref, NULL, 0, false);
	cj = as_seen(ref.d.cronjob, "{}");
	if (!cronrun_cases[_i].cron_ours)
		fx_set(cj, "metadata.ownerReferences", fx_json(OTHER_OWNER));
	load_built(&a, aj);
	job = old_active_job(&a, "{\"startTime\":\"2026-01-01T00:00:01Z\",\"active\":1}");
	fx_set(job, "metadata.name", json_object_new_string("pr-fixer-29000000"));
	fx_set(job, "metadata.ownerReferences",
	       fx_json("[{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"name\":\"pr-fixer\","
	               "\"controller\":true}]"));
	fx_set(fx_get(job, "metadata.ownerReferences.0"), "uid",
	       json_object_new_string(cronrun_cases[_i].job_owner_uid));
	obs[0] = (struct plan_child){RES_CRONJOB, cj};
	obs[1] = (struct plan_child){RES_JOB, job};
	run(&a, obs, 2, false);
	ck_assert_int_eq(a.p.waiting, cronrun_cases[_i].want_wait);
	ck_assert_int_eq(a.p.launch, !cronrun_cases[_i].want_wait);
	ck_assert_int_eq(a.p.n_deletes, cronrun_cases[_i].want_deletes);
	ck_assert_ptr_null(find_action(a.p.deletes, a.p.n_deletes, "Job", NULL));
	json_object_put(cj);
	json_object_put(job);
	json_object_put(cronaj);
	json_object_put(aj);
	done(&ref);
	done(&a);
}
END_TEST

/* A binding is ours by its owner-uid label, not by the name labels. */
START_TEST(crb_pruned_only_with_our_uid)
{
	struct round ref, a;
	struct plan_child obs[2];
	json_object *refaj, *ca, *aj = fx_json(FX_AGENTJOB), *seen[2];

	all_kinds_round(&ref, &refaj, &ca, false);
	seen[0] = foreign(ref.d.crb, LABELS_ONLY);
	seen[1] = foreign(ref.d.crb, OTHER_CONTROLLER);
	fx_set(seen[1], "metadata.name", json_object_new_string("thurkube-aj-1111111111111111"));
	obs[0] = (struct plan_child){RES_CLUSTERROLEBINDING, seen[0]};
	obs[1] = (struct plan_child){RES_CLUSTERROLEBINDING, seen[1]};
	load(&a, aj, NULL);
	run(&a, obs, 2, false);
	ck_assert_int_eq(a.p.n_deletes, 0);
	ck_assert(!a.p.needs_binding);
	ck_assert(!a.p.conflict);
	json_object_put(seen[0]);
	json_object_put(seen[1]);
	json_object_put(aj);
	json_object_put(refaj);
	json_object_put(ca);
	done(&a);
	done(&ref);
}
END_TEST

/* ---- adopting a run thurkube made (issue 13, scope 5) ------------------- */

/* The quickstart's agent.json hashed as thurkube hashes it (SHA-256 of the
 * bytes alone, computed outside this code base). */
#define TK_HASH "50956f81d12b614f"
#define TK_JOB  "pr-fixer-" TK_HASH

/* aj's status as thurkube writes it for a one-shot run with hash. */
static void thurkube_status(json_object *aj, const char *hash)
{
	char text[1024];

	snprintf(text, sizeof(text),
	         "{\"phase\":\"Running\",\"message\":\"reconciled Job/pr-fixer-%s\","
	         "\"observedGeneration\":3,\"configHash\":\"%s\","
	         "\"lastRunTime\":\"2025-12-01T08:00:00+00:00\","
	         "\"ownedResources\":[{\"kind\":\"ConfigMap\",\"name\":\"pr-fixer-config\"},"
	         "{\"kind\":\"PersistentVolumeClaim\",\"name\":\"pr-fixer-data\"},"
	         "{\"kind\":\"Job\",\"name\":\"pr-fixer-%s\"}],"
	         "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
	         "\"lastTransitionTime\":\"2025-12-01T08:00:00+00:00\",\"reason\":\"Reconciled\","
	         "\"message\":\"Job/pr-fixer-%s\"}]}",
	         hash, hash, hash, hash);
	set_status_text(aj, text);
}

/* How the observed Job of thurkube's name looks. */
enum tk_job_shape {
	TK_NONE,         /* no such Job */
	TK_GENUINE,      /* as thurkube made it: its four labels, our ownerReference */
	TK_NO_LABELS,    /* someone else's: the name only, our ownerReference */
	TK_OTHER_UID,    /* labelled for another AgentJob uid */
	TK_OTHER_OWNER,  /* labelled, controlled by another AgentJob */
	TK_WRONG_MANAGER /* labelled, but managed-by is not thurkube */
};

/* A Job named TK_JOB of shape, with Job status st (JSON). New reference,
 * NULL for TK_NONE. Built from our desired Job: thurkube's carries the
 * same four labels and ownerReference. */
static json_object *tk_job(const struct round *rd, enum tk_job_shape shape, const char *st)
{
	json_object *j;

	if (shape == TK_NONE)
		return NULL;
	j = as_seen(rd->d.job, st);
	fx_set(j, "metadata.name", json_object_new_string(TK_JOB));
	fx_set(j, "metadata.annotations", NULL);
	if (shape == TK_NO_LABELS)
		fx_set(j, "metadata.labels", NULL);
	if (shape == TK_OTHER_UID)
		json_object_object_add(
		    fx_get(j, "metadata.labels"), NAMES_LABEL_OWNER_UID,
		    json_object_new_string("99999999-0000-0000-0000-000000000000"));
	if (shape == TK_OTHER_OWNER)
		fx_set(j, "metadata.ownerReferences", fx_json(OTHER_OWNER));
	if (shape == TK_WRONG_MANAGER)
		json_object_object_add(fx_get(j, "metadata.labels"), "app.kubernetes.io/managed-by",
		                       json_object_new_string("helm"));
	return j;
}

#define JOB_RUNNING job_cases[1].job_status
#define JOB_DONE    job_cases[2].job_status
#define JOB_FAILED  job_cases[3].job_status

/* One pass over a thurkube-era AgentJob: status hash (NULL: no status),
 * the observed Job, whether a live GET found no Job; what the plan does. */
static const struct {
	const char *hash;
	enum tk_job_shape shape;
	const char *job_status;
	bool gone;
	bool adopt;
	const char *phase;
	const char *ready_reason;
} adopt_cases[] = {
    /* (a) status.configHash is thurkube's hash of the current agent.json */
    {TK_HASH, TK_NONE, NULL, true, true, "Failed", "JobLost"},
    {TK_HASH, TK_GENUINE, JOB_RUNNING, false, true, "Running", "Running"},
    {TK_HASH, TK_NO_LABELS, JOB_DONE, false, true, "Failed", "JobLost"},
    /* (b) thurkube's Job of that name, its labels, our ownerReference */
    {NULL, TK_GENUINE, JOB_DONE, false, true, "Succeeded", "Succeeded"},
    {OLD_HASH, TK_GENUINE, JOB_FAILED, false, true, "Failed", "JobFailed"},
    {OLD_HASH, TK_GENUINE, JOB_RUNNING, false, true, "Running", "Running"},
    /* neither: the run starts */
    {NULL, TK_NONE, NULL, false, false, "Running", "JobCreated"},
    {OLD_HASH, TK_NONE, NULL, false, false, "Running", "JobCreated"},
    {NULL, TK_NO_LABELS, JOB_DONE, false, false, "Running", "JobCreated"},
    {NULL, TK_OTHER_UID, JOB_DONE, false, false, "Running", "JobCreated"},
    {NULL, TK_OTHER_OWNER, JOB_DONE, false, false, "Running", "JobCreated"},
    {NULL, TK_WRONG_MANAGER, JOB_DONE, false, false, "Running", "JobCreated"},
};

START_TEST(thurkube_run_adopted)
{
	struct round a;
	struct plan_child obs[1];
	json_object *aj = oneshot_aj(), *job;
	const char *confirm;

	if (adopt_cases[_i].hash)
		thurkube_status(aj, adopt_cases[_i].hash);
	load_built(&a, aj);
	ck_assert_str_eq(a.d.thurkube_hash, TK_HASH);
	ck_assert_str_eq(a.d.thurkube_job_name, TK_JOB);
	job = tk_job(&a, adopt_cases[_i].shape, adopt_cases[_i].job_status);
	obs[0] = (struct plan_child){RES_JOB, job};
	a.in.observed = obs;
	a.in.n_observed = job ? 1 : 0;
	/* Adopted by the hash alone: thurkube's Job is looked up first. */
	confirm = plan_job_to_confirm(&a.in);
	if (adopt_cases[_i].hash && !strcmp(adopt_cases[_i].hash, TK_HASH) &&
	    adopt_cases[_i].shape != TK_GENUINE)
		ck_assert_str_eq(confirm, TK_JOB);
	else
		ck_assert_ptr_null(confirm);
	run(&a, obs, job ? 1 : 0, adopt_cases[_i].gone);
	ck_assert_int_eq(a.p.launch, !adopt_cases[_i].adopt);
	ck_assert_int_eq(a.p.adopted, adopt_cases[_i].adopt);
	ck_assert_str_eq(fx_str(a.p.status, "phase"), adopt_cases[_i].phase);
	ck_assert_str_eq(cond(a.p.status, "Ready", "reason"), adopt_cases[_i].ready_reason);
	ck_assert_str_eq(fx_str(a.p.status, "configHash"), a.d.config_hash);
	ck_assert_str_ne(a.d.config_hash, TK_HASH);
	/* thurkube's Job is never written, whoever holds the name */
	ck_assert_ptr_null(find_action(a.p.applies, a.p.n_applies, "Job", TK_JOB));
	ck_assert_ptr_null(find_action(a.p.deletes, a.p.n_deletes, "Job", TK_JOB));
	if (adopt_cases[_i].adopt) {
		ck_assert_ptr_null(find_action(a.p.applies, a.p.n_applies, "Job", NULL));
		ck_assert_str_eq(fx_str(a.p.status, "ownedResources.2.name"), TK_JOB);
		ck_assert_ptr_nonnull(strstr(fx_str(a.p.status, "message"), TK_JOB));
		ck_assert_ptr_nonnull(strstr(fx_str(a.p.status, "message"), "adopted"));
		ck_assert_ptr_nonnull(cond(a.p.status, "Complete", "status"));
	} else {
		ck_assert_ptr_nonnull(find_action(a.p.applies, a.p.n_applies, "Job", a.d.job_name));
	}
	json_object_put(job);
	json_object_put(aj);
	done(&a);
}
END_TEST

/* After the adoption: later passes follow thurkube's Job, launch nothing,
 * write nothing when steady, and keep the outcome after its TTL. */
START_TEST(adopted_run_followed)
{
	struct round a, b, c, d, e;
	struct plan_child obs[1];
	json_object *aj = oneshot_aj(), *running, *finished;

	thurkube_status(aj, TK_HASH);
	load_built(&a, aj);
	running = tk_job(&a, TK_GENUINE, JOB_RUNNING);
	finished = tk_job(&a, TK_GENUINE, JOB_DONE);
	obs[0] = (struct plan_child){RES_JOB, running};
	run(&a, obs, 1, false);
	ck_assert(a.p.adopted);
	set_status(aj, a.p.status);
	/* the same Job, still running: a steady pass */
	load_built(&b, aj);
	b.in.observed = obs;
	b.in.n_observed = 1;
	ck_assert_ptr_null(plan_job_to_confirm(&b.in));
	run(&b, obs, 1, false);
	ck_assert(!b.p.launch);
	ck_assert(!b.p.adopted);
	ck_assert(status_equal(b.f.aj.status.raw, b.p.status));
	/* it finishes */
	obs[0].obj = finished;
	plan_free(&b.p);
	run(&b, obs, 1, false);
	ck_assert(!b.p.launch);
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Succeeded");
	ck_assert_str_eq(fx_str(b.p.status, "lastCompletionTime"), "2026-01-01T00:10:00Z");
	set_status(aj, b.p.status);
	/* TTL deleted it: nothing to confirm, nothing to run */
	load_built(&c, aj);
	ck_assert_ptr_null(plan_job_to_confirm(&c.in));
	run(&c, NULL, 0, false);
	ck_assert(!c.p.launch);
	ck_assert(status_equal(b.p.status, c.p.status));
	/* A running adopted Job that vanishes: confirmed by name, then lost. */
	set_status(aj, a.p.status);
	load_built(&d, aj);
	ck_assert_str_eq(plan_job_to_confirm(&d.in), TK_JOB);
	run(&d, NULL, 0, true);
	ck_assert(!d.p.launch);
	ck_assert_str_eq(cond(d.p.status, "Ready", "reason"), "JobLost");
	ck_assert_ptr_nonnull(strstr(fx_str(d.p.status, "message"), TK_JOB));
	/* and stays so: the next pass writes nothing */
	set_status(aj, d.p.status);
	load_built(&e, aj);
	ck_assert_ptr_null(plan_job_to_confirm(&e.in));
	run(&e, NULL, 0, false);
	ck_assert(!e.p.launch);
	ck_assert(status_equal(e.f.aj.status.raw, e.p.status));
	json_object_put(running);
	json_object_put(finished);
	json_object_put(aj);
	done(&a);
	done(&b);
	done(&c);
	done(&d);
	done(&e);
}
END_TEST

/* A write of the adoption pass failed (say the ConfigMap apply): the I/O
 * layer keeps the adopted configHash (reconcile_agentjob.c, execute), and
 * the next pass follows thurkube's Job, launching nothing. */
START_TEST(adoption_survives_failed_write)
{
	struct round a, b;
	struct plan_child obs[1];
	json_object *aj = oneshot_aj(), *job;
	char *hash;

	thurkube_status(aj, TK_HASH);
	load_built(&a, aj);
	job = tk_job(&a, TK_GENUINE, JOB_RUNNING);
	obs[0] = (struct plan_child){RES_JOB, job};
	run(&a, obs, 1, false);
	ck_assert(a.p.adopted);
	hash = strdup(fx_str(a.p.status, "configHash"));
	ck_assert_ptr_nonnull(hash);
	ck_assert_int_eq(status_mark_failed(a.p.status, NULL, hash, 3,
	                                    "apply ConfigMap pr-fixer-config", "connection refused",
	                                    NOW),
	                 0);
	ck_assert_str_eq(fx_str(a.p.status, "configHash"), a.d.config_hash);
	set_status(aj, a.p.status);
	load_built(&b, aj);
	b.in.observed = obs;
	b.in.n_observed = 1;
	ck_assert_ptr_null(plan_job_to_confirm(&b.in));
	run(&b, obs, 1, false);
	ck_assert(!b.p.launch);
	ck_assert_ptr_null(find_action(b.p.applies, b.p.n_applies, "Job", NULL));
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Running");
	ck_assert_str_eq(fx_str(b.p.status, "ownedResources.2.name"), TK_JOB);
	free(hash);
	json_object_put(job);
	json_object_put(aj);
	done(&a);
	done(&b);
}
END_TEST

/* A spec change after the adoption runs, including one that leaves
 * agent.json (and so thurkube's hash and Job name) as it was. */
static const struct {
	const char *key;
	const char *value;
	bool same_agent_json;
} change_cases[] = {
    {"spec.prompt", "\"Fix every failing PR.\"", false},
    {"spec.env", "[{\"name\":\"LOG_LEVEL\",\"value\":\"debug\"}]", true},
    {"spec.timeoutSeconds", "600", true},
};

START_TEST(change_after_adoption_runs)
{
	struct round a, b;
	struct plan_child obs[1];
	json_object *aj = oneshot_aj(), *job;

	load_built(&a, aj);
	job = tk_job(&a, TK_GENUINE, JOB_DONE);
	obs[0] = (struct plan_child){RES_JOB, job};
	run(&a, obs, 1, false);
	ck_assert(a.p.adopted);
	ck_assert_str_eq(fx_str(a.p.status, "phase"), "Succeeded");
	set_status(aj, a.p.status);
	fx_set(aj, change_cases[_i].key, fx_json(change_cases[_i].value));
	load_built(&b, aj);
	ck_assert_int_eq(!strcmp(b.d.thurkube_hash, TK_HASH), change_cases[_i].same_agent_json);
	ck_assert_str_ne(b.d.config_hash, a.d.config_hash);
	run(&b, obs, 1, false);
	ck_assert(b.p.launch);
	ck_assert(!b.p.adopted);
	ck_assert_ptr_nonnull(find_action(b.p.applies, b.p.n_applies, "Job", b.d.job_name));
	ck_assert_str_eq(fx_str(b.p.status, "configHash"), b.d.config_hash);
	ck_assert_str_eq(cond(b.p.status, "Ready", "reason"), "JobCreated");
	json_object_put(job);
	json_object_put(aj);
	done(&a);
	done(&b);
}
END_TEST

/* ---- run controls: stop and run now -------------------------------------- */

static void annotate(json_object *aj, const char *key, const char *value)
{
	json_object *m = fx_get(aj, "metadata");
	json_object *a = fx_get(m, "annotations");

	if (!a) {
		a = json_object_new_object();
		json_object_object_add(m, "annotations", a);
	}
	if (value)
		json_object_object_add(a, key, json_object_new_string(value));
	else
		json_object_object_del(a, key);
}

static size_t count_why(const struct plan *p, const char *why)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_deletes; i++)
		n += p->deletes[i].why && !strcmp(p->deletes[i].why, why);
	return n;
}

/* The stop patch: a merge patch of the AgentJob dropping the annotation. */
static bool stop_patch(const struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n_patches; i++) {
		json_object *a = fx_get(p->patches[i].obj, "metadata.annotations");
		json_object *v = NULL;

		if (p->patches[i].kind == RES_AGENTJOB && a &&
		    json_object_object_get_ex(a, NAMES_ANN_STOP, &v) && v == NULL)
			return true;
	}
	return false;
}

/*
 * Stop an active one-shot: its Job is deleted (Background), the phase is
 * Stopped with Complete True/Stopped; once no run is active the
 * annotation is removed; and nothing runs again for that configuration.
 */
START_TEST(stop_oneshot)
{
	struct round a, b, c, d;
	struct plan_child obs[3];
	json_object *aj = oneshot_aj(), *seen[3];
	size_t i;

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	ck_assert(a.p.launch);
	seen[0] = as_seen(a.d.configmap, NULL);
	seen[1] = as_seen(a.d.pvc, "{\"phase\":\"Bound\"}");
	seen[2] = as_seen(a.d.job, "{\"active\":1,\"startTime\":\"2025-12-31T23:00:00Z\"}");
	for (i = 0; i < 3; i++)
		obs[i] = (struct plan_child){i == 0   ? RES_CONFIGMAP
		                             : i == 1 ? RES_PVC
		                                      : RES_JOB,
		                             seen[i]};
	set_status(aj, a.p.status);
	annotate(aj, NAMES_ANN_STOP, "true");
	load(&b, aj, NULL);
	run(&b, obs, 3, false);
	ck_assert_uint_eq(count_why(&b.p, "stop"), 1);
	ck_assert_str_eq(find_action(b.p.deletes, b.p.n_deletes, "Job", a.d.job_name)->propagation,
	                 "Background");
	ck_assert(!stop_patch(&b.p));
	ck_assert(!b.p.launch);
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Stopped");
	ck_assert_str_eq(cond(b.p.status, "Ready", "status"), "False");
	ck_assert_str_eq(cond(b.p.status, "Ready", "reason"), "Stopped");
	ck_assert_str_eq(cond(b.p.status, "Complete", "status"), "True");
	ck_assert_str_eq(cond(b.p.status, "Complete", "reason"), "Stopped");
	ck_assert_ptr_nonnull(strstr(fx_str(b.p.status, "message"), a.d.job_name));
	/* The Job is gone: the annotation goes, nothing is launched. */
	set_status(aj, b.p.status);
	load(&c, aj, NULL);
	run(&c, obs, 2, false);
	ck_assert(stop_patch(&c.p));
	ck_assert_uint_eq(count_why(&c.p, "stop"), 0);
	ck_assert(!c.p.launch);
	ck_assert_ptr_null(find_action(c.p.applies, c.p.n_applies, "Job", NULL));
	ck_assert_str_eq(fx_str(c.p.status, "phase"), "Stopped");
	ck_assert(!plan_job_needs_confirm(&c.in));
	/* Annotation removed: still Stopped, no new run, a steady status. */
	set_status(aj, c.p.status);
	annotate(aj, NAMES_ANN_STOP, NULL);
	load(&d, aj, NULL);
	run(&d, obs, 2, false);
	ck_assert(!d.p.launch);
	ck_assert_int_eq(d.p.n_applies, 0);
	ck_assert_int_eq(d.p.n_patches, 0);
	ck_assert_str_eq(fx_str(d.p.status, "phase"), "Stopped");
	ck_assert(status_equal(d.f.aj.status.raw, d.p.status));
	for (i = 0; i < 3; i++)
		json_object_put(seen[i]);
	json_object_put(aj);
	done(&a);
	done(&b);
	done(&c);
	done(&d);
}
END_TEST

/*
 * The store lags our own status write: the pass after the stop sees the
 * Job gone but the status from before the stop (Running). With the
 * annotation still there that is a stop, never JobLost, and nothing is
 * looked up; the same for a scheduled AgentJob whose CronJob still lists
 * the deleted run as active.
 */
START_TEST(stop_stale_status)
{
	struct round a, b, c, d;
	struct plan_child obs[3];
	json_object *aj = oneshot_aj(), *cron = fx_json(FX_AGENTJOB), *seen[3];
	size_t i;

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	seen[0] = as_seen(a.d.configmap, NULL);
	seen[1] = as_seen(a.d.pvc, "{\"phase\":\"Bound\"}");
	for (i = 0; i < 2; i++)
		obs[i] = (struct plan_child){i == 0 ? RES_CONFIGMAP : RES_PVC, seen[i]};
	set_status(aj, a.p.status); /* Running, as before the stop */
	annotate(aj, NAMES_ANN_STOP, "true");
	load_built(&b, aj);
	b.in.observed = obs;
	b.in.n_observed = 2;
	b.in.now = NOW;
	ck_assert(!plan_job_needs_confirm(&b.in));
	run(&b, obs, 2, true);
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Stopped");
	ck_assert_str_eq(cond(b.p.status, "Complete", "reason"), "Stopped");
	ck_assert(stop_patch(&b.p));
	ck_assert(!b.p.launch);
	json_object_put(seen[0]);
	json_object_put(seen[1]);
	/* Scheduled. */
	load(&c, cron, NULL);
	run(&c, NULL, 0, false);
	seen[0] = as_seen(c.d.configmap, NULL);
	seen[1] = as_seen(c.d.pvc, "{\"phase\":\"Bound\"}");
	seen[2] = as_seen(c.d.cronjob, "{\"active\":[{\"name\":\"pr-fixer-29000000\"}]}");
	for (i = 0; i < 3; i++)
		obs[i] = (struct plan_child){i == 0   ? RES_CONFIGMAP
		                             : i == 1 ? RES_PVC
		                                      : RES_CRONJOB,
		                             seen[i]};
	set_status(cron, c.p.status);
	annotate(cron, NAMES_ANN_STOP, "true");
	load(&d, cron, NULL);
	run(&d, obs, 3, false);
	ck_assert_str_eq(fx_str(d.p.status, "phase"), "Stopped");
	ck_assert(stop_patch(&d.p));
	for (i = 0; i < 3; i++)
		json_object_put(seen[i]);
	json_object_put(aj);
	json_object_put(cron);
	done(&a);
	done(&b);
	done(&c);
	done(&d);
}
END_TEST

/* Stop with no active run: only the annotation goes; a finished run is
 * left as it is; a value other than "true" does nothing. */
START_TEST(stop_nothing_active)
{
	struct round a, b, c;
	struct plan_child obs[3];
	json_object *aj = oneshot_aj(), *seen[3];
	size_t i;

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	seen[0] = as_seen(a.d.configmap, NULL);
	seen[1] = as_seen(a.d.pvc, "{\"phase\":\"Bound\"}");
	seen[2] = as_seen(a.d.job, "{\"succeeded\":1,\"completionTime\":\"2026-01-01T00:00:00Z\","
	                           "\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\"}]}");
	for (i = 0; i < 3; i++)
		obs[i] = (struct plan_child){i == 0   ? RES_CONFIGMAP
		                             : i == 1 ? RES_PVC
		                                      : RES_JOB,
		                             seen[i]};
	set_status(aj, a.p.status);
	annotate(aj, NAMES_ANN_STOP, "true");
	load(&b, aj, NULL);
	run(&b, obs, 3, false);
	ck_assert_uint_eq(count_why(&b.p, "stop"), 0);
	ck_assert(stop_patch(&b.p));
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Succeeded");
	annotate(aj, NAMES_ANN_STOP, "yes");
	seen[2] = (json_object_put(seen[2]), as_seen(a.d.job, "{\"active\":1}"));
	obs[2].obj = seen[2];
	load(&c, aj, NULL);
	run(&c, obs, 3, false);
	ck_assert_uint_eq(count_why(&c.p, "stop"), 0);
	ck_assert(!stop_patch(&c.p));
	ck_assert_str_eq(fx_str(c.p.status, "phase"), "Running");
	for (i = 0; i < 3; i++)
		json_object_put(seen[i]);
	json_object_put(aj);
	done(&a);
	done(&b);
	done(&c);
}
END_TEST

/* Stop a scheduled AgentJob's active runs (the CronJob's and a run-now
 * one): both deleted, the CronJob kept (its schedule stands), phase
 * Stopped until a new run starts. */
START_TEST(stop_cron)
{
	struct round a, b, c, d;
	struct plan_child obs[5];
	json_object *aj = fx_json(FX_AGENTJOB), *seen[5], *rn;
	size_t i;

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	seen[0] = as_seen(a.d.configmap, NULL);
	seen[1] = as_seen(a.d.pvc, "{\"phase\":\"Bound\"}");
	seen[2] = as_seen(a.d.cronjob, "{\"active\":[{\"name\":\"pr-fixer-29000000\"}]}");
	fx_set(seen[2], "metadata.uid", json_object_new_string("cron-uid"));
	seen[3] =
	    as_seen(a.d.job ? a.d.job : fx_get(a.d.cronjob, "spec.jobTemplate"), "{\"active\":1}");
	fx_set(seen[3], "metadata.name", json_object_new_string("pr-fixer-29000000"));
	fx_set(seen[3], "metadata.ownerReferences",
	       fx_json("[{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"name\":\"pr-fixer\","
	               "\"uid\":\"cron-uid\",\"controller\":true}]"));
	rn = build_run_now(&a.f.aj, &a.d, "t1");
	ck_assert_ptr_nonnull(rn);
	seen[4] = as_seen(rn, "{\"active\":1}");
	json_object_put(rn);
	for (i = 0; i < 5; i++)
		obs[i] = (struct plan_child){i == 0   ? RES_CONFIGMAP
		                             : i == 1 ? RES_PVC
		                             : i == 2 ? RES_CRONJOB
		                                      : RES_JOB,
		                             seen[i]};
	set_status(aj, a.p.status);
	annotate(aj, NAMES_ANN_STOP, "true");
	load(&b, aj, NULL);
	run(&b, obs, 5, false);
	ck_assert_uint_eq(count_why(&b.p, "stop"), 2);
	ck_assert_ptr_nonnull(find_action(b.p.deletes, b.p.n_deletes, "Job", "pr-fixer-29000000"));
	ck_assert_ptr_null(find_action(b.p.deletes, b.p.n_deletes, "CronJob", NULL));
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Stopped");
	ck_assert_str_eq(cond(b.p.status, "Ready", "reason"), "Stopped");
	/* Runs gone (the CronJob's status may still list its run). */
	set_status(aj, b.p.status);
	load(&c, aj, NULL);
	fx_set(seen[2], "status", fx_json("{}"));
	run(&c, obs, 3, false);
	ck_assert(stop_patch(&c.p));
	ck_assert_str_eq(fx_str(c.p.status, "phase"), "Stopped");
	/* Still Stopped once the annotation is gone, even while the
	 * CronJob's list of active runs still names the deleted one. */
	set_status(aj, c.p.status);
	annotate(aj, NAMES_ANN_STOP, NULL);
	fx_set(seen[2], "status", fx_json("{\"active\":[{\"name\":\"pr-fixer-29000000\"}]}"));
	load(&d, aj, NULL);
	run(&d, obs, 3, false);
	ck_assert_str_eq(fx_str(d.p.status, "phase"), "Stopped");
	ck_assert_int_eq(d.p.n_patches, 0);
	/* The next scheduled run, once its Job is seen: Running again. */
	set_status(aj, d.p.status);
	done(&d);
	fx_set(seen[2], "status", fx_json("{\"active\":[{\"name\":\"pr-fixer-29000060\"}]}"));
	fx_set(seen[3], "metadata.name", json_object_new_string("pr-fixer-29000060"));
	obs[3] = (struct plan_child){RES_JOB, seen[3]};
	load(&d, aj, NULL);
	run(&d, obs, 4, false);
	ck_assert_str_eq(fx_str(d.p.status, "phase"), "Running");
	for (i = 0; i < 5; i++)
		json_object_put(seen[i]);
	json_object_put(aj);
	done(&a);
	done(&b);
	done(&c);
	done(&d);
}
END_TEST

/*
 * Run now, one-shot: each new annotation value applies one Job named from
 * the value, which becomes the run of the configuration; the value goes
 * into status.runToken and a pass with the same value applies nothing.
 */
START_TEST(run_now_oneshot)
{
	struct round a, b, c, e;
	struct plan_child obs[4];
	json_object *aj = oneshot_aj(), *seen[4];
	const struct plan_action *j;
	char *n1 = build_run_now_name("pr-fixer", "t1"), *n2 = build_run_now_name("pr-fixer", "t2");
	size_t i;

	ck_assert_str_eq(n1, "pr-fixer-r628b49d9"); /* 8 hex of sha256("t1") */
	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	seen[0] = as_seen(a.d.configmap, NULL);
	seen[1] = as_seen(a.d.pvc, "{\"phase\":\"Bound\"}");
	seen[2] = as_seen(a.d.job, "{\"succeeded\":1,\"completionTime\":\"2026-01-01T00:00:00Z\","
	                           "\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\"}]}");
	for (i = 0; i < 3; i++)
		obs[i] = (struct plan_child){i == 0   ? RES_CONFIGMAP
		                             : i == 1 ? RES_PVC
		                                      : RES_JOB,
		                             seen[i]};
	set_status(aj, a.p.status);
	annotate(aj, NAMES_ANN_RUN, "t1");
	load(&b, aj, NULL);
	run(&b, obs, 3, false);
	j = find_action(b.p.applies, b.p.n_applies, "Job", n1);
	ck_assert_ptr_nonnull(j);
	ck_assert(b.p.launch);
	ck_assert_str_eq(fx_str(j->obj, "metadata.ownerReferences.0.uid"), FX_UID);
	ck_assert_ptr_nonnull(
	    json_object_object_get(fx_get(j->obj, "metadata.labels"), NAMES_LABEL_RUN_NOW));
	ck_assert(json_object_equal(fx_get(j->obj, "spec"), fx_get(a.d.job, "spec")));
	ck_assert_str_eq(fx_str(b.p.status, "runToken"), "t1");
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Running");
	ck_assert_str_eq(cond(b.p.status, "Complete", "status"), "False");
	/* Same value again (after a failover, say): nothing more. */
	set_status(aj, b.p.status);
	seen[3] = as_seen(j->obj, "{\"active\":1}");
	obs[3] = (struct plan_child){RES_JOB, seen[3]};
	load(&c, aj, NULL);
	run(&c, obs, 4, false);
	ck_assert(!c.p.launch);
	ck_assert_ptr_null(find_action(c.p.applies, c.p.n_applies, "Job", NULL));
	ck_assert_uint_eq(c.p.n_deletes, 0);
	ck_assert_str_eq(fx_str(c.p.status, "phase"), "Running");
	ck_assert_ptr_nonnull(strstr(fx_str(c.p.status, "message"), n1));
	/* A second value: a second run. */
	set_status(aj, c.p.status);
	annotate(aj, NAMES_ANN_RUN, "t2");
	fx_set(
	    seen[3], "status",
	    fx_json(
	        "{\"succeeded\":1,\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\"}]}"));
	load(&e, aj, NULL);
	run(&e, obs, 4, false);
	ck_assert_ptr_nonnull(find_action(e.p.applies, e.p.n_applies, "Job", n2));
	ck_assert_str_eq(fx_str(e.p.status, "runToken"), "t2");
	for (i = 0; i < 4; i++)
		json_object_put(seen[i]);
	free(n1);
	free(n2);
	json_object_put(aj);
	done(&a);
	done(&b);
	done(&c);
	done(&e);
}
END_TEST

/* Run now, scheduled: a Job from the CronJob's template, owned by the
 * AgentJob, never taken for a stale run (even under Replace); held while
 * suspended, stopping, or for a value over NAMES_MAX_RUN_TOKEN bytes. */
START_TEST(run_now_cron)
{
	struct round a, b, c, d;
	struct plan_child obs[4];
	json_object *aj = fx_json(FX_AGENTJOB), *seen[4];
	const struct plan_action *j;
	char big[NAMES_MAX_RUN_TOKEN + 2];
	size_t i;

	fx_set(aj, "spec.concurrencyPolicy", json_object_new_string("Replace"));
	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	seen[0] = as_seen(a.d.configmap, NULL);
	seen[1] = as_seen(a.d.pvc, "{\"phase\":\"Bound\"}");
	seen[2] = as_seen(a.d.cronjob, "{}");
	for (i = 0; i < 3; i++)
		obs[i] = (struct plan_child){i == 0   ? RES_CONFIGMAP
		                             : i == 1 ? RES_PVC
		                                      : RES_CRONJOB,
		                             seen[i]};
	set_status(aj, a.p.status);
	annotate(aj, NAMES_ANN_RUN, "nightly-now");
	load(&b, aj, NULL);
	run(&b, obs, 3, false);
	j = find_action(b.p.applies, b.p.n_applies, "Job", NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert(json_object_equal(fx_get(j->obj, "spec"),
	                            fx_get(a.d.cronjob, "spec.jobTemplate.spec")));
	ck_assert_str_eq(fx_str(j->obj, "metadata.ownerReferences.0.kind"), "AgentJob");
	ck_assert_str_eq(fx_str(b.p.status, "runToken"), "nightly-now");
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Running");
	/* Observed and active: Running, not deleted as stale. */
	set_status(aj, b.p.status);
	seen[3] = as_seen(j->obj, "{\"active\":1}");
	obs[3] = (struct plan_child){RES_JOB, seen[3]};
	load(&c, aj, NULL);
	run(&c, obs, 4, false);
	ck_assert_uint_eq(c.p.n_deletes, 0);
	ck_assert_int_eq(c.p.n_applies, 0);
	ck_assert_str_eq(fx_str(c.p.status, "phase"), "Running");
	/* Held: suspended; too long. */
	set_status(aj, c.p.status);
	annotate(aj, NAMES_ANN_RUN, "again");
	fx_set(aj, "spec.suspend", json_object_new_boolean(1));
	load(&d, aj, NULL);
	run(&d, obs, 3, false);
	ck_assert_ptr_null(find_action(d.p.applies, d.p.n_applies, "Job", NULL));
	ck_assert_str_eq(fx_str(d.p.status, "runToken"), "nightly-now");
	done(&d);
	fx_set(aj, "spec.suspend", json_object_new_boolean(0));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	annotate(aj, NAMES_ANN_RUN, big);
	load(&d, aj, NULL);
	run(&d, obs, 3, false);
	ck_assert_ptr_null(find_action(d.p.applies, d.p.n_applies, "Job", NULL));
	for (i = 0; i < 4; i++)
		json_object_put(seen[i]);
	json_object_put(aj);
	done(&a);
	done(&b);
	done(&c);
	done(&d);
}
END_TEST

/* A one-shot whose run waits in its AgentAuth's queue: phase Queued with
 * its position; released (suspend false): Running. */
START_TEST(queued_phase)
{
	struct round a, b, c;
	struct plan_child obs[3];
	json_object *aj = oneshot_aj(), *seen[3], *other;
	json_object *members[2];
	struct runq q;
	size_t i;

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	seen[0] = as_seen(a.d.configmap, NULL);
	seen[1] = as_seen(a.d.pvc, "{\"phase\":\"Bound\"}");
	seen[2] =
	    as_seen(a.d.job, "{\"conditions\":[{\"type\":\"Suspended\",\"status\":\"True\"}]}");
	fx_set(seen[2], "spec.suspend", json_object_new_boolean(1));
	fx_set(seen[2], "metadata.creationTimestamp",
	       json_object_new_string("2026-01-01T00:00:05Z"));
	other = as_seen(a.d.job, NULL);
	fx_set(other, "metadata.name", json_object_new_string("someone-else-0123"));
	fx_set(other, "spec.suspend", json_object_new_boolean(1));
	fx_set(other, "metadata.creationTimestamp", json_object_new_string("2026-01-01T00:00:01Z"));
	members[0] = seen[2];
	members[1] = other;
	ck_assert_int_eq(runq_make(members, 2, 2, &q), 0);
	for (i = 0; i < 3; i++)
		obs[i] = (struct plan_child){i == 0   ? RES_CONFIGMAP
		                             : i == 1 ? RES_PVC
		                                      : RES_JOB,
		                             seen[i]};
	set_status(aj, a.p.status);
	load(&b, aj, NULL);
	b.in.queue = &q;
	b.in.queue_auth = "claude-oauth";
	b.in.queue_limit = 2;
	run(&b, obs, 3, false);
	ck_assert_str_eq(fx_str(b.p.status, "phase"), "Queued");
	ck_assert_str_eq(cond(b.p.status, "Ready", "reason"), "Queued");
	ck_assert_ptr_nonnull(strstr(fx_str(b.p.status, "message"), "position 2 of 2"));
	ck_assert_ptr_nonnull(strstr(fx_str(b.p.status, "message"), "claude-oauth"));
	ck_assert_int_eq(b.p.n_applies, 0);
	/* Released. */
	fx_set(seen[2], "spec.suspend", json_object_new_boolean(0));
	fx_set(seen[2], "status", fx_json("{\"active\":1}"));
	set_status(aj, b.p.status);
	load(&c, aj, NULL);
	run(&c, obs, 3, false);
	ck_assert_str_eq(fx_str(c.p.status, "phase"), "Running");
	runq_free(&q);
	for (i = 0; i < 3; i++)
		json_object_put(seen[i]);
	json_object_put(other);
	json_object_put(aj);
	done(&a);
	done(&b);
	done(&c);
}
END_TEST

/* Which finished run's result status.lastRun still lacks; the plan
 * carries lastRun over. */
START_TEST(result_job)
{
	struct round a, b;
	struct plan_child obs[5];
	json_object *aj = oneshot_aj(), *cron = fx_json(FX_AGENTJOB), *seen[5];
	size_t i;

	load(&a, aj, NULL);
	run(&a, NULL, 0, false);
	seen[0] = as_seen(a.d.job, "{\"active\":1}");
	obs[0] = (struct plan_child){RES_JOB, seen[0]};
	set_status(aj, a.p.status);
	load(&b, aj, NULL);
	run(&b, obs, 1, false);
	ck_assert_ptr_null(plan_result_job(&b.in));
	done(&b);
	fx_set(seen[0], "status",
	       fx_json("{\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\"}]}"));
	load(&b, aj, NULL);
	run(&b, obs, 1, false);
	ck_assert_ptr_eq(plan_result_job(&b.in), seen[0]);
	done(&b);
	fx_set(fx_get(aj, "status"), "lastRun", fx_json("{\"name\":\"x\",\"summary\":\"kept\"}"));
	fx_set(fx_get(aj, "status.lastRun"), "name", json_object_new_string(a.d.job_name));
	load(&b, aj, NULL);
	run(&b, obs, 1, false);
	ck_assert_ptr_null(plan_result_job(&b.in));
	ck_assert_str_eq(fx_str(b.p.status, "lastRun.summary"), "kept");
	done(&b);
	done(&a);
	/* Scheduled: the Job of ours that finished last. */
	load(&a, cron, NULL);
	run(&a, NULL, 0, false);
	seen[1] = as_seen(a.d.cronjob, "{}");
	fx_set(seen[1], "metadata.uid", json_object_new_string("cron-uid"));
	for (i = 2; i < 5; i++) {
		char name[32], st[256];

		seen[i] = as_seen(fx_get(a.d.cronjob, "spec.jobTemplate"), NULL);
		snprintf(name, sizeof(name), "pr-fixer-2900000%zu", i);
		fx_set(seen[i], "metadata.name", json_object_new_string(name));
		fx_set(seen[i], "metadata.ownerReferences",
		       fx_json("[{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"name\":"
		               "\"pr-fixer\",\"uid\":\"cron-uid\",\"controller\":true}]"));
		snprintf(st, sizeof(st),
		         "{\"completionTime\":\"2026-01-01T00:0%zu:00Z\",\"conditions\":[{\"type\":"
		         "\"Complete\",\"status\":\"True\"}]}",
		         i == 3 ? (size_t)9 : i);
		fx_set(seen[i], "status", fx_json(st));
	}
	for (i = 1; i < 5; i++)
		obs[i - 1] = (struct plan_child){i == 1 ? RES_CRONJOB : RES_JOB, seen[i]};
	set_status(cron, a.p.status);
	load(&b, cron, NULL);
	run(&b, obs, 4, false);
	ck_assert_ptr_eq(plan_result_job(&b.in), seen[3]);
	for (i = 0; i < 5; i++)
		json_object_put(seen[i]);
	json_object_put(aj);
	json_object_put(cron);
	done(&a);
	done(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ctl_plan");
	TCase *t = tcase_create("status");

	tcase_add_test(t, pending_names_every_missing);
	tcase_add_test(t, oneshot_first_run);
	tcase_add_test(t, stop_oneshot);
	tcase_add_test(t, stop_nothing_active);
	tcase_add_test(t, stop_stale_status);
	tcase_add_test(t, stop_cron);
	tcase_add_test(t, run_now_oneshot);
	tcase_add_test(t, run_now_cron);
	tcase_add_test(t, queued_phase);
	tcase_add_test(t, result_job);
	tcase_add_test(t, steady_zero_writes);
	tcase_add_loop_test(t, job_phases, 0, (int)TK_ARRAY_LEN(job_cases));
	tcase_add_test(t, oneshot_not_rerun_after_ttl);
	tcase_add_test(t, lost_job_not_rerun);
	tcase_add_test(t, forbid_waits_then_runs);
	tcase_add_test(t, replace_deletes_active_run);
	tcase_add_test(t, prune_sets);
	tcase_add_test(t, cron_pruned_orphans_active_run);
	tcase_add_test(t, suspend_cron_keeps_children);
	tcase_add_test(t, suspend_oneshot_holds_run);
	tcase_add_loop_test(t, cron_phases, 0, (int)TK_ARRAY_LEN(cron_cases));
	tcase_add_test(t, crb_name_conflict_not_taken);
	tcase_add_test(t, crb_roleref_change_recreates);
	tcase_add_test(t, condition_transition_time);
	tcase_add_test(t, simple_status_and_users);
	tcase_add_test(t, apply_failure_in_status);
	tcase_add_test(t, failed_launch_retried_not_lost);
	tcase_add_test(t, event_shape);
	tcase_add_loop_test(t, conflict_per_kind, 0,
	                    (int)(TK_ARRAY_LEN(conflict_kinds) * N_SHAPES));
	tcase_add_test(t, own_child_found_by_get_is_no_conflict);
	tcase_add_loop_test(t, held_applies_still_revoke, 0, (int)TK_ARRAY_LEN(held_cases));
	tcase_add_loop_test(t, missing_refs_still_revoke, 0, (int)TK_ARRAY_LEN(missing_cases));
	tcase_add_loop_test(t, labelled_job_not_our_run, 0, 2);
	tcase_add_test(t, labelled_job_not_the_launched_one);
	tcase_add_loop_test(t, cron_run_ours_by_cronjob_uid, 0, (int)TK_ARRAY_LEN(cronrun_cases));
	tcase_add_test(t, crb_pruned_only_with_our_uid);
	tcase_add_loop_test(t, thurkube_run_adopted, 0, (int)TK_ARRAY_LEN(adopt_cases));
	tcase_add_test(t, adopted_run_followed);
	tcase_add_test(t, adoption_survives_failed_write);
	tcase_add_loop_test(t, change_after_adoption_runs, 0, (int)TK_ARRAY_LEN(change_cases));
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

/* test_ctl_build.c - the desired children: agent.json bytes, names, labels, the hardened pod,
 * configHash stability and sensitivity, and the subset comparison behind zero-write resyncs. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "model/build.h"
#include "ctl_fixture.h"
#include "util.h"

static const char quickstart_agent_json[] =
    "{\n"
    "  \"prompt\": \"Fix any failing PRs on this repository.\",\n"
    "  \"allowedTools\": [\n"
    "    \"Bash\",\n"
    "    \"Read\",\n"
    "    \"Edit\",\n"
    "    \"Write\",\n"
    "    \"Glob\",\n"
    "    \"Grep\"\n"
    "  ],\n"
    "  \"mcpServers\": [],\n"
    "  \"repositories\": [\n"
    "    {\n"
    "      \"name\": \"thurkube\",\n"
    "      \"owner\": \"Thurbeen\",\n"
    "      \"repo\": \"thurkube\"\n"
    "    }\n"
    "  ]\n"
    "}";

static void build_ok(struct fx *f, struct build_out *o)
{
	int r = build_children(&f->aj, &f->refs, o);

	ck_assert_int_eq(r, 0);
}

START_TEST(agent_json_quickstart_exact)
{
	struct fx f;
	struct build_out o;

	fx_load(&f, NULL);
	build_ok(&f, &o);
	ck_assert_str_eq(o.agent_json, quickstart_agent_json);
	ck_assert_str_eq(json_object_get_string(
	                     json_object_object_get(fx_get(o.configmap, "data"), "agent.json")),
	                 quickstart_agent_json);
	build_out_free(&o);
	fx_free(&f);
}
END_TEST

/* The quickstart as a one-shot, with spec.<key> set to value (JSON). */
static void load_oneshot(struct fx *f, const char *key, const char *value)
{
	struct fx_src s = {0};

	s.aj = fx_json(FX_AGENTJOB);
	s.repos[0] = fx_json(FX_REPO);
	s.n_repos = 1;
	fx_set(s.aj, "spec.schedule", NULL);
	if (key)
		fx_set(s.aj, key, fx_json(value));
	fx_load(f, &s);
	json_object_put(s.aj);
	json_object_put(s.repos[0]);
}

/*
 * thurkube's configHash: SHA-256 of the agent.json bytes alone, 16 hex.
 * The expected value was computed outside this code base over the bytes
 * thurkube's serde_json renders for the quickstart (reference 2.3); the
 * one-shot Job thurkube made is <name>-<it>. Pod-template inputs change
 * our hash, never thurkube's; agent.json inputs change both.
 */
START_TEST(thurkube_hash_of_agent_json)
{
	struct fx f[4];
	struct build_out o[4];
	char h[BUILD_HASH_LEN + 1];
	size_t i;

	load_oneshot(&f[0], NULL, NULL);
	load_oneshot(&f[1], "spec.timeoutSeconds", "600");
	load_oneshot(&f[2], "spec.prompt", "\"Fix every failing PR.\"");
	fx_load(&f[3], NULL); /* scheduled */
	for (i = 0; i < 4; i++)
		build_ok(&f[i], &o[i]);
	ck_assert_str_eq(o[0].agent_json, quickstart_agent_json);
	build_thurkube_hash(quickstart_agent_json, h);
	ck_assert_str_eq(h, "50956f81d12b614f");
	ck_assert_str_eq(o[0].thurkube_hash, "50956f81d12b614f");
	ck_assert_str_eq(o[0].thurkube_job_name, "pr-fixer-50956f81d12b614f");
	ck_assert_str_ne(o[0].config_hash, o[0].thurkube_hash);
	ck_assert_str_eq(o[1].thurkube_hash, o[0].thurkube_hash);
	ck_assert_str_ne(o[1].config_hash, o[0].config_hash);
	ck_assert_str_ne(o[2].thurkube_hash, o[0].thurkube_hash);
	ck_assert_str_ne(o[2].config_hash, o[0].config_hash);
	ck_assert_str_eq(o[3].thurkube_hash, o[0].thurkube_hash);
	ck_assert_ptr_null(o[3].thurkube_job_name);
	for (i = 0; i < 4; i++) {
		build_out_free(&o[i]);
		fx_free(&f[i]);
	}
}
END_TEST

/* Every optional key in its place, serde's escaping, MCP shapes, skill. */
START_TEST(agent_json_full_shape)
{
	static const char want[] =
	    "{\n"
	    "  \"prompt\": \"say \\\"hi\\\"\\n\\ttab\\u0001 / caf\xc3\xa9 \\\\\",\n"
	    "  \"instructions\": \"line1\\r\\nline2\",\n"
	    "  \"model\": \"sonnet\",\n"
	    "  \"allowedTools\": [],\n"
	    "  \"skill\": {\n"
	    "    \"repo\": \"Thurbeen/skills\",\n"
	    "    \"name\": \"fixer\",\n"
	    "    \"ref\": \"main\"\n"
	    "  },\n"
	    "  \"mcpServers\": [\n"
	    "    {\n"
	    "      \"name\": \"gmail\",\n"
	    "      \"command\": \"npx\",\n"
	    "      \"args\": [\n"
	    "        \"-y\",\n"
	    "        \"gmail-mcp\"\n"
	    "      ]\n"
	    "    },\n"
	    "    {\n"
	    "      \"name\": \"remote\",\n"
	    "      \"url\": \"https://mcp.example/x\"\n"
	    "    }\n"
	    "  ],\n"
	    "  \"repositories\": []\n"
	    "}";
	struct tk_agentskill skill = {0};
	struct fielderrs e = {0};
	struct fx_src s = {0};
	struct fx f;
	json_object *sk;
	char *text = NULL;

	s.aj = fx_json(FX_AGENTJOB);
	fx_set(s.aj, "spec.prompt",
	       json_object_new_string("say \"hi\"\n\ttab\x01 / caf\xc3\xa9 \\"));
	fx_set(s.aj, "spec.instructions", json_object_new_string("line1\r\nline2"));
	fx_set(s.aj, "spec.model", json_object_new_string("sonnet"));
	fx_set(s.aj, "spec.skillRef", json_object_new_string("fixer"));
	fx_set(s.aj, "spec.repositoryRefs", NULL);
	fx_set(s.aj, "spec.mcpServerRefs", fx_json("[\"gmail\",\"remote\"]"));
	s.role = fx_json("{\"metadata\":{\"name\":\"default\",\"namespace\":\"agents\"},"
	                 "\"spec\":{\"allowedTools\":[]}}");
	s.mcp[0] = fx_json("{\"metadata\":{\"name\":\"gmail\",\"namespace\":\"agents\"},"
	                   "\"spec\":{\"command\":\"npx\",\"args\":[\"-y\",\"gmail-mcp\"]}}");
	s.mcp[1] = fx_json("{\"metadata\":{\"name\":\"remote\",\"namespace\":\"agents\"},"
	                   "\"spec\":{\"url\":\"https://mcp.example/x\"}}");
	s.n_mcp = 2;
	fx_load(&f, &s);
	sk = fx_json("{\"metadata\":{\"name\":\"fixer\",\"namespace\":\"agents\"},"
	             "\"spec\":{\"repo\":\"Thurbeen/skills\",\"name\":\"fixer\"}}");
	ck_assert_int_eq(tk_agentskill_decode(sk, &skill, &e), 0);
	f.refs.skill = &skill;
	ck_assert_int_eq(build_agent_json(&f.aj, &f.refs, &text), 0);
	ck_assert_str_eq(text, want);
	free(text);
	tk_agentskill_free(&skill);
	fielderrs_free(&e);
	json_object_put(sk);
	json_object_put(s.aj);
	json_object_put(s.role);
	json_object_put(s.mcp[0]);
	json_object_put(s.mcp[1]);
	fx_free(&f);
}
END_TEST

START_TEST(agent_json_needs_role)
{
	struct fx f;
	char *text = NULL;

	fx_load(&f, NULL);
	f.refs.role = NULL;
	ck_assert_int_eq(build_agent_json(&f.aj, &f.refs, &text), -EINVAL);
	ck_assert_ptr_null(text);
	fx_free(&f);
}
END_TEST

static const char *label(json_object *o, const char *path, const char *key)
{
	json_object *l = fx_get(o, path);
	json_object *v = l ? json_object_object_get(l, key) : NULL;

	return v ? json_object_get_string(v) : NULL;
}

static void check_labels(json_object *o, const char *path)
{
	ck_assert_str_eq(label(o, path, NAMES_LABEL_MANAGED_BY), "thurkube");
	ck_assert_str_eq(label(o, path, NAMES_LABEL_AGENTJOB), "pr-fixer");
	ck_assert_str_eq(label(o, path, NAMES_LABEL_AGENTJOB_NS), "agents");
	ck_assert_str_eq(label(o, path, NAMES_LABEL_OWNER_UID), FX_UID);
}

static void check_owner(json_object *o)
{
	json_object *refs = fx_get(o, "metadata.ownerReferences");

	ck_assert_ptr_nonnull(refs);
	ck_assert_int_eq(json_object_array_length(refs), 1);
	ck_assert_str_eq(fx_str(refs, "0.kind"), "AgentJob");
	ck_assert_str_eq(fx_str(refs, "0.apiVersion"), "thurkube.thurbeen.eu/v1alpha1");
	ck_assert_str_eq(fx_str(refs, "0.name"), "pr-fixer");
	ck_assert_str_eq(fx_str(refs, "0.uid"), FX_UID);
	ck_assert(json_object_get_boolean(fx_get(refs, "0.controller")));
	ck_assert(json_object_get_boolean(fx_get(refs, "0.blockOwnerDeletion")));
	ck_assert_str_eq(fx_str(o, "metadata.namespace"), "agents");
}

START_TEST(names_labels_owners)
{
	struct fx_src s = {0};
	struct build_out o;
	struct fx f;
	char hex[65];
	char want[64];

	s.aj = fx_json(FX_AGENTJOB);
	fx_set(s.aj, "spec.clusterAccessRef", json_object_new_string("reader"));
	s.repos[0] = fx_json(FX_REPO);
	s.n_repos = 1;
	s.ca = fx_json(FX_CA);
	fx_load(&f, &s);
	build_ok(&f, &o);
	ck_assert_str_eq(fx_str(o.configmap, "metadata.name"), "pr-fixer-config");
	ck_assert_str_eq(fx_str(o.pvc, "metadata.name"), "pr-fixer-data");
	ck_assert_str_eq(fx_str(o.service_account, "metadata.name"), "pr-fixer-runner");
	ck_assert_str_eq(fx_str(o.cronjob, "metadata.name"), "pr-fixer");
	ck_assert_ptr_null(o.job);
	ck_assert_ptr_null(o.job_name);
	sha256_hex("agents/pr-fixer", strlen("agents/pr-fixer"), hex);
	snprintf(want, sizeof(want), "thurkube-aj-%.16s", hex);
	ck_assert_str_eq(fx_str(o.crb, "metadata.name"), want);
	ck_assert_str_eq(o.crb_name, want);
	sha256_hex("agents/reader", strlen("agents/reader"), hex);
	snprintf(want, sizeof(want), "thurkube-ca-%.16s", hex);
	ck_assert_str_eq(fx_str(o.crb, "roleRef.name"), want);
	ck_assert_str_eq(fx_str(o.crb, "roleRef.kind"), "ClusterRole");
	ck_assert_str_eq(fx_str(o.crb, "subjects.0.name"), "pr-fixer-runner");
	ck_assert_str_eq(fx_str(o.crb, "subjects.0.namespace"), "agents");
	ck_assert_str_eq(label(o.crb, "metadata.labels", NAMES_LABEL_CLUSTERROLE), want);
	ck_assert_str_eq(label(o.crb, "metadata.labels", NAMES_LABEL_CLUSTERACCESS), "reader");
	/* Every child is labelled; namespaced ones are owned; the cluster-scoped one is not. */
	check_labels(o.configmap, "metadata.labels");
	check_labels(o.pvc, "metadata.labels");
	check_labels(o.service_account, "metadata.labels");
	check_labels(o.crb, "metadata.labels");
	check_labels(o.cronjob, "metadata.labels");
	check_labels(o.cronjob, "spec.jobTemplate.metadata.labels");
	check_labels(o.cronjob, "spec.jobTemplate.spec.template.metadata.labels");
	check_owner(o.configmap);
	check_owner(o.pvc);
	check_owner(o.service_account);
	check_owner(o.cronjob);
	ck_assert_ptr_null(fx_get(o.crb, "metadata.ownerReferences"));
	ck_assert_ptr_null(fx_get(o.crb, "metadata.namespace"));
	ck_assert_int_eq(strlen(json_object_get_string(json_object_object_get(
	                     fx_get(o.configmap, "metadata.annotations"), NAMES_ANN_APPLIED_HASH))),
	                 16);
	build_out_free(&o);
	json_object_put(s.aj);
	json_object_put(s.repos[0]);
	json_object_put(s.ca);
	fx_free(&f);
}
END_TEST

/* A cluster-scoped name derived from "ns/name" cannot be shared by
 * (a-b, c) and (a, b-c), as thurkube's "thurkube-<ns>-<name>" was. */
START_TEST(cluster_names_unambiguous)
{
	char *a = build_crb_name("a-b", "c"), *b = build_crb_name("a", "b-c");
	char *c = build_clusterrole_name("a-b", "c"), *d = build_clusterrole_name("a", "b-c");

	ck_assert_str_ne(a, b);
	ck_assert_str_ne(c, d);
	ck_assert_int_eq(strlen(a), strlen("thurkube-aj-") + 16);
	ck_assert_int_eq(strncmp(c, "thurkube-ca-", 12), 0);
	free(a);
	free(b);
	free(c);
	free(d);
}
END_TEST

/* The hardened pod, for both run kinds: (path under the pod template, expected JSON). */
static const struct {
	const char *path;
	const char *want;
} pod_fields[] = {
    {"spec.restartPolicy", "\"Never\""},
    {"spec.activeDeadlineSeconds", "3600"},
    {"spec.automountServiceAccountToken", "false"},
    {"spec.securityContext.runAsNonRoot", "true"},
    {"spec.securityContext.runAsUser", "65532"},
    {"spec.securityContext.runAsGroup", "65532"},
    {"spec.securityContext.fsGroup", "65532"},
    {"spec.securityContext.seccompProfile.type", "\"RuntimeDefault\""},
    {"spec.containers.0.name", "\"agent\""},
    {"spec.containers.0.image", "\"ghcr.io/thurbeen/claude-code-job:latest\""},
    {"spec.containers.0.securityContext.allowPrivilegeEscalation", "false"},
    {"spec.containers.0.securityContext.readOnlyRootFilesystem", "true"},
    {"spec.containers.0.securityContext.capabilities.drop", "[\"ALL\"]"},
    {"spec.containers.0.resources", "{}"},
    {"spec.containers.0.volumeMounts.0",
     "{\"name\":\"agent-config\",\"mountPath\":\"/etc/claude-code-job\",\"readOnly\":true}"},
    {"spec.containers.0.volumeMounts.1",
     "{\"name\":\"agent-persist\",\"mountPath\":\"/var/lib/claude-code-job\"}"},
    {"spec.containers.0.volumeMounts.2", "{\"name\":\"tmp\",\"mountPath\":\"/tmp\"}"},
    {"spec.containers.0.volumeMounts.3", "{\"name\":\"home\",\"mountPath\":\"/home/agent\"}"},
    {"spec.volumes.0", "{\"name\":\"agent-config\",\"configMap\":{\"name\":\"pr-fixer-config\"}}"},
    {"spec.volumes.1",
     "{\"name\":\"agent-persist\",\"persistentVolumeClaim\":{\"claimName\":\"pr-fixer-data\"}}"},
    {"spec.volumes.2", "{\"name\":\"tmp\",\"emptyDir\":{\"sizeLimit\":\"10Gi\"}}"},
    {"spec.volumes.3", "{\"name\":\"home\",\"emptyDir\":{\"sizeLimit\":\"10Gi\"}}"},
    {"spec.enableServiceLinks", "false"},
    {"spec.containers.0.terminationMessagePath", "\"/dev/termination-log\""},
    {"spec.containers.0.terminationMessagePolicy", "\"FallbackToLogsOnError\""},
    {"spec.containers.0.env.0",
     "{\"name\":\"CLAUDE_CODE_OAUTH_TOKEN\",\"valueFrom\":{\"secretKeyRef\":{\"name\":"
     "\"claude-code-secrets\",\"key\":\"CLAUDE_CODE_OAUTH_TOKEN\",\"optional\":false}}}"},
    {"spec.containers.0.env.1", "{\"name\":\"HOME\",\"value\":\"/home/agent\"}"},
    {"spec.containers.0.env.2", "{\"name\":\"CONFIG_DIR\",\"value\":\"/etc/claude-code-job\"}"},
    {"spec.containers.0.env.3",
     "{\"name\":\"PERSIST_DIR\",\"value\":\"/var/lib/claude-code-job\"}"},
    {"spec.containers.0.env.4",
     "{\"name\":\"GH_TOKEN\",\"valueFrom\":{\"secretKeyRef\":{\"name\":"
     "\"claude-code-secrets\",\"key\":\"GH_TOKEN\",\"optional\":false}}}"},
    {"spec.containers.0.env.5",
     "{\"name\":\"REPO_TOKEN_0\",\"valueFrom\":{\"secretKeyRef\":{\"name\":"
     "\"claude-code-secrets\",\"key\":\"GH_TOKEN\",\"optional\":false}}}"},
};

static void check_pod(json_object *tmpl, int i)
{
	json_object *want = fx_json(pod_fields[i].want);
	json_object *got = fx_get(tmpl, pod_fields[i].path);

	ck_assert_msg(got && json_object_equal(want, got), "%s: got %s, want %s",
	              pod_fields[i].path, got ? json_object_to_json_string(got) : "(absent)",
	              pod_fields[i].want);
	json_object_put(want);
}

START_TEST(pod_hardened_cron)
{
	struct build_out o;
	struct fx f;

	fx_load(&f, NULL);
	build_ok(&f, &o);
	check_pod(fx_get(o.cronjob, "spec.jobTemplate.spec.template"), _i);
	ck_assert(
	    json_object_equal(fx_get(o.cronjob, "spec.jobTemplate.spec.template"), o.pod_template));
	build_out_free(&o);
	fx_free(&f);
}
END_TEST

START_TEST(pod_hardened_job)
{
	struct build_out o;
	struct fx f;

	fx_load_edit(&f, "spec.schedule", NULL);
	build_ok(&f, &o);
	ck_assert_ptr_null(o.cronjob);
	check_pod(fx_get(o.job, "spec.template"), _i);
	build_out_free(&o);
	fx_free(&f);
}
END_TEST

START_TEST(pod_no_env_file_leaks_and_count)
{
	struct build_out o;
	struct fx f;

	fx_load(&f, NULL);
	build_ok(&f, &o);
	ck_assert_int_eq(json_object_array_length(fx_get(o.pod_template, "spec.containers.0.env")),
	                 6);
	ck_assert_ptr_null(fx_get(o.pod_template, "spec.serviceAccountName"));
	ck_assert_ptr_null(fx_get(o.pod_template, "spec.containers.0.command"));
	ck_assert_ptr_null(fx_get(o.pod_template, "spec.containers.0.imagePullPolicy"));
	build_out_free(&o);
	fx_free(&f);
}
END_TEST

START_TEST(job_and_cronjob_specs)
{
	struct build_out o;
	struct fx f;
	char want[64];

	fx_load_edit(&f, "spec.schedule", NULL);
	build_ok(&f, &o);
	snprintf(want, sizeof(want), "pr-fixer-%s", o.config_hash);
	ck_assert_str_eq(o.job_name, want);
	ck_assert_str_eq(fx_str(o.job, "metadata.name"), want);
	ck_assert_int_eq(json_object_get_int(fx_get(o.job, "spec.backoffLimit")), 0);
	ck_assert_int_eq(json_object_get_int(fx_get(o.job, "spec.activeDeadlineSeconds")), 3600);
	ck_assert_int_eq(json_object_get_int(fx_get(o.job, "spec.ttlSecondsAfterFinished")), 86400);
	check_labels(o.job, "metadata.labels");
	check_owner(o.job);
	build_out_free(&o);
	fx_free(&f);

	fx_load_edit(&f, "spec.startingDeadlineSeconds", "120");
	build_ok(&f, &o);
	ck_assert_str_eq(fx_str(o.cronjob, "spec.schedule"), "0 */6 * * *");
	ck_assert_str_eq(fx_str(o.cronjob, "spec.timeZone"), "Europe/Paris");
	ck_assert_str_eq(fx_str(o.cronjob, "spec.concurrencyPolicy"), "Forbid");
	ck_assert(!json_object_get_boolean(fx_get(o.cronjob, "spec.suspend")));
	ck_assert_int_eq(json_object_get_int(fx_get(o.cronjob, "spec.startingDeadlineSeconds")),
	                 120);
	ck_assert_int_eq(json_object_get_int(fx_get(o.cronjob, "spec.successfulJobsHistoryLimit")),
	                 3);
	ck_assert_int_eq(json_object_get_int(fx_get(o.cronjob, "spec.failedJobsHistoryLimit")), 3);
	ck_assert_int_eq(
	    json_object_get_int(fx_get(o.cronjob, "spec.jobTemplate.spec.backoffLimit")), 0);
	ck_assert_int_eq(
	    json_object_get_int(fx_get(o.cronjob, "spec.jobTemplate.spec.activeDeadlineSeconds")),
	    3600);
	build_out_free(&o);
	fx_free(&f);

	fx_load_edit(&f, "spec.suspend", "true");
	build_ok(&f, &o);
	ck_assert(json_object_get_boolean(fx_get(o.cronjob, "spec.suspend")));
	build_out_free(&o);
	fx_free(&f);

	fx_load_edit(&f, "spec.concurrencyPolicy", "\"Replace\"");
	build_ok(&f, &o);
	ck_assert_str_eq(fx_str(o.cronjob, "spec.concurrencyPolicy"), "Replace");
	build_out_free(&o);
	fx_free(&f);
}
END_TEST

/* An AgentAuth with maxConcurrentRuns: every run Job is created suspended
 * and labelled with the AgentAuth (one-shot, CronJob template, run now);
 * without it, neither. The pod template, and so configHash, is the same. */
START_TEST(queued_runs)
{
	struct fx_src src = {0};
	struct build_out o, plain;
	struct fx f;
	json_object *rn;
	int mode;

	for (mode = 0; mode < 2; mode++) {
		src.aj = fx_json(FX_AGENTJOB);
		src.repos[0] = fx_json(FX_REPO);
		src.n_repos = 1;
		src.auth = fx_json(FX_AUTH);
		if (mode)
			fx_set(src.aj, "spec.schedule", NULL);
		fx_load(&f, &src);
		build_ok(&f, &plain);
		fx_free(&f);
		fx_set(src.auth, "spec.maxConcurrentRuns", json_object_new_int(2));
		fx_load(&f, &src);
		build_ok(&f, &o);
		ck_assert_str_eq(o.config_hash, plain.config_hash);
		if (mode) {
			ck_assert(json_object_get_boolean(fx_get(o.job, "spec.suspend")));
			ck_assert_str_eq(
			    json_object_get_string(json_object_object_get(
			        fx_get(o.job, "metadata.labels"), NAMES_LABEL_AGENTAUTH)),
			    "claude-oauth");
			ck_assert_ptr_null(fx_get(plain.job, "spec.suspend"));
		} else {
			ck_assert(json_object_get_boolean(
			    fx_get(o.cronjob, "spec.jobTemplate.spec.suspend")));
			ck_assert_str_eq(json_object_get_string(json_object_object_get(
			                     fx_get(o.cronjob, "spec.jobTemplate.metadata.labels"),
			                     NAMES_LABEL_AGENTAUTH)),
			                 "claude-oauth");
			ck_assert_ptr_null(fx_get(plain.cronjob, "spec.jobTemplate.spec.suspend"));
		}
		rn = build_run_now(&f.aj, &o, "x");
		ck_assert(json_object_get_boolean(fx_get(rn, "spec.suspend")));
		ck_assert_ptr_nonnull(
		    json_object_object_get(fx_get(rn, "metadata.labels"), NAMES_LABEL_AGENTAUTH));
		json_object_put(rn);
		rn = build_run_now(&f.aj, &plain, "x");
		ck_assert_ptr_null(
		    json_object_object_get(fx_get(rn, "metadata.labels"), NAMES_LABEL_AGENTAUTH));
		json_object_put(rn);
		build_out_free(&o);
		build_out_free(&plain);
		fx_free(&f);
		json_object_put(src.aj);
		json_object_put(src.repos[0]);
		json_object_put(src.auth);
	}
}
END_TEST

/* backoffLimit and the history limits reach the Job and the CronJob, and
 * are not part of configHash (they do not change what a run does). */
START_TEST(retries_and_history)
{
	struct build_out o;
	struct fx f;
	char h0[17];

	fx_load(&f, NULL);
	build_ok(&f, &o);
	memcpy(h0, o.config_hash, 17);
	build_out_free(&o);
	fx_free(&f);
	fx_load_edit(&f, "spec.backoffLimit", "2");
	build_ok(&f, &o);
	ck_assert_int_eq(
	    json_object_get_int(fx_get(o.cronjob, "spec.jobTemplate.spec.backoffLimit")), 2);
	ck_assert_str_eq(o.config_hash, h0);
	build_out_free(&o);
	fx_free(&f);
	fx_load_edit(&f, "spec.successfulJobsHistoryLimit", "7");
	build_ok(&f, &o);
	ck_assert_int_eq(json_object_get_int(fx_get(o.cronjob, "spec.successfulJobsHistoryLimit")),
	                 7);
	ck_assert_int_eq(json_object_get_int(fx_get(o.cronjob, "spec.failedJobsHistoryLimit")), 3);
	build_out_free(&o);
	fx_free(&f);
	fx_load_edit(&f, "spec.failedJobsHistoryLimit", "0");
	build_ok(&f, &o);
	ck_assert_int_eq(json_object_get_int(fx_get(o.cronjob, "spec.failedJobsHistoryLimit")), 0);
	build_out_free(&o);
	fx_free(&f);
	/* One-shot. */
	{
		struct fx_src src = {0};

		src.aj = fx_json(FX_AGENTJOB);
		src.repos[0] = fx_json(FX_REPO);
		src.n_repos = 1;
		fx_set(src.aj, "spec.schedule", NULL);
		fx_set(src.aj, "spec.backoffLimit", json_object_new_int(3));
		fx_load(&f, &src);
		build_ok(&f, &o);
		ck_assert_int_eq(json_object_get_int(fx_get(o.job, "spec.backoffLimit")), 3);
		build_out_free(&o);
		fx_free(&f);
		json_object_put(src.aj);
		json_object_put(src.repos[0]);
	}
}
END_TEST

START_TEST(pvc_size_and_class)
{
	struct build_out o;
	struct fx f;

	fx_load(&f, NULL);
	build_ok(&f, &o);
	ck_assert_str_eq(fx_str(o.pvc, "spec.resources.requests.storage"), "1Gi");
	ck_assert_str_eq(fx_str(o.pvc, "spec.accessModes.0"), "ReadWriteOnce");
	ck_assert_ptr_null(fx_get(o.pvc, "spec.storageClassName"));
	build_out_free(&o);
	fx_free(&f);

	fx_load_edit(&f, "spec.persistentVolume",
	             "{\"size\":\"5Gi\",\"storageClassName\":\"fast\"}");
	build_ok(&f, &o);
	ck_assert_str_eq(fx_str(o.pvc, "spec.resources.requests.storage"), "5Gi");
	ck_assert_str_eq(fx_str(o.pvc, "spec.storageClassName"), "fast");
	build_out_free(&o);
	fx_free(&f);

	fx_load_edit(&f, "spec.persist", "false");
	build_ok(&f, &o);
	ck_assert_ptr_null(o.pvc);
	ck_assert_int_eq(json_object_array_length(fx_get(o.pod_template, "spec.volumes")), 3);
	ck_assert_int_eq(json_object_array_length(fx_get(o.pod_template, "spec.containers.0.env")),
	                 5);
	build_out_free(&o);
	fx_free(&f);
}
END_TEST

START_TEST(passthrough_fields)
{
	struct build_out o;
	struct fx_src s = {0};
	struct fx f;
	json_object *tmpl;

	s.aj = fx_json(FX_AGENTJOB);
	fx_set(s.aj, "spec.env", fx_json("[{\"name\":\"A\",\"value\":\"1\"}]"));
	fx_set(s.aj, "spec.envFrom", fx_json("[{\"secretRef\":{\"name\":\"more\"}}]"));
	fx_set(s.aj, "spec.resources", fx_json("{\"limits\":{\"cpu\":\"1\"}}"));
	fx_set(s.aj, "spec.imagePullSecrets", fx_json("[{\"name\":\"regcred\"}]"));
	fx_set(s.aj, "spec.nodeSelector", fx_json("{\"pool\":\"agents\"}"));
	fx_set(s.aj, "spec.tolerations", fx_json("[{\"key\":\"k\",\"operator\":\"Exists\"}]"));
	fx_set(s.aj, "spec.mcpServerRefs", fx_json("[\"gh\"]"));
	s.mcp[0] = fx_json("{\"metadata\":{\"name\":\"gh\",\"namespace\":\"agents\"},"
	                   "\"spec\":{\"command\":\"gh-mcp\",\"env\":[{\"name\":\"GH_MCP_TOKEN\","
	                   "\"valueFrom\":{\"secretKeyRef\":{\"name\":\"s\",\"key\":\"t\"}}},"
	                   "{\"name\":\"LITERAL\",\"value\":\"not-in-configmap\"}]}}");
	s.n_mcp = 1;
	s.repos[0] = fx_json(FX_REPO);
	s.n_repos = 1;
	s.rt = fx_json(FX_RUNTIME);
	fx_set(s.rt, "spec.command", fx_json("[\"/entry\"]"));
	fx_set(s.rt, "spec.args", fx_json("[\"--x\"]"));
	fx_set(s.rt, "spec.imagePullPolicy", json_object_new_string("Always"));
	fx_load(&f, &s);
	build_ok(&f, &o);
	tmpl = o.pod_template;
	ck_assert_str_eq(fx_str(tmpl, "spec.containers.0.env.0.name"), "A");
	ck_assert_str_eq(fx_str(tmpl, "spec.containers.0.env.1.name"), "GH_MCP_TOKEN");
	ck_assert_str_eq(fx_str(tmpl, "spec.containers.0.env.2.value"), "not-in-configmap");
	ck_assert_str_eq(fx_str(tmpl, "spec.containers.0.env.3.name"), "CLAUDE_CODE_OAUTH_TOKEN");
	ck_assert_str_eq(fx_str(tmpl, "spec.containers.0.envFrom.0.secretRef.name"), "more");
	ck_assert_str_eq(fx_str(tmpl, "spec.containers.0.resources.limits.cpu"), "1");
	ck_assert_str_eq(fx_str(tmpl, "spec.imagePullSecrets.0.name"), "regcred");
	ck_assert_str_eq(fx_str(tmpl, "spec.nodeSelector.pool"), "agents");
	ck_assert_str_eq(fx_str(tmpl, "spec.tolerations.0.operator"), "Exists");
	ck_assert_str_eq(fx_str(tmpl, "spec.containers.0.command.0"), "/entry");
	ck_assert_str_eq(fx_str(tmpl, "spec.containers.0.args.0"), "--x");
	ck_assert_str_eq(fx_str(tmpl, "spec.containers.0.imagePullPolicy"), "Always");
	/* McpServer env is container env only, never ConfigMap content. */
	ck_assert_ptr_null(strstr(o.agent_json, "not-in-configmap"));
	ck_assert_ptr_null(strstr(o.agent_json, "GH_MCP_TOKEN"));
	ck_assert_ptr_null(strstr(o.agent_json, "claude-code-secrets"));
	build_out_free(&o);
	json_object_put(s.aj);
	json_object_put(s.mcp[0]);
	json_object_put(s.repos[0]);
	json_object_put(s.rt);
	fx_free(&f);
}
END_TEST

/* How many entries of the container env are named name; the last one's
 * JSON in *last (borrowed). */
static int env_count(json_object *tmpl, const char *name, json_object **last)
{
	json_object *env = fx_get(tmpl, "spec.containers.0.env");
	size_t i;
	int n = 0;

	for (i = 0; env && i < json_object_array_length(env); i++) {
		json_object *e = json_object_array_get_idx(env, i);

		if (strcmp(fx_str(e, "name"), name) == 0) {
			*last = e;
			n++;
		}
	}
	return n;
}

/* Without a Repository token the user's GH_TOKEN and REPO_TOKEN_0 pass
 * through unchanged, and nothing conflicts. */
START_TEST(env_user_token_passes)
{
	struct fx_src s = {0};
	struct strlist notes = {0};
	struct build_out o;
	struct fx f;
	json_object *e = NULL;

	s.aj = fx_json(FX_AGENTJOB);
	fx_set(s.aj, "spec.env",
	       fx_json("[{\"name\":\"GH_TOKEN\",\"valueFrom\":{\"secretKeyRef\":{\"name\":"
	               "\"mine\",\"key\":\"gh\"}}},{\"name\":\"REPO_TOKEN_0\",\"value\":\"r\"}]"));
	s.repos[0] = fx_json(FX_REPO);
	fx_set(s.repos[0], "spec.tokenSecretRef", NULL);
	s.n_repos = 1;
	fx_load(&f, &s);
	build_ok(&f, &o);
	ck_assert_int_eq(env_count(o.pod_template, "GH_TOKEN", &e), 1);
	ck_assert_str_eq(fx_str(e, "valueFrom.secretKeyRef.name"), "mine");
	ck_assert_int_eq(env_count(o.pod_template, "REPO_TOKEN_0", &e), 1);
	ck_assert_str_eq(fx_str(e, "value"), "r");
	ck_assert_str_eq(fx_str(o.pod_template, "spec.containers.0.env.0.name"), "GH_TOKEN");
	ck_assert_int_eq(build_env_conflicts(&f.aj, &f.refs, &notes), 0);
	ck_assert_uint_eq(notes.n, 0);
	build_out_free(&o);
	json_object_put(s.aj);
	json_object_put(s.repos[0]);
	fx_free(&f);
}
END_TEST

/* A name the controller sets: its value is the only one in the pod, and
 * each left-out entry is listed for the EnvConflict event. */
START_TEST(env_thurkube_wins)
{
	static const char *const want[] = {
	    "spec.env[1] GH_TOKEN is set by thurkube from Repository \"thurkube\" "
	    "(spec.tokenSecretRef)",
	    "spec.env[2] REPO_TOKEN_0 is set by thurkube from Repository \"thurkube\" "
	    "(spec.tokenSecretRef)",
	    "spec.env[3] HOME is set by thurkube from the agent container contract",
	    "spec.env[4] CLAUDE_CODE_OAUTH_TOKEN is set by thurkube from AgentRuntime "
	    "\"claude-code\" (spec.authEnvVar)",
	    "spec.env[5] PERSIST_DIR is set by thurkube from spec.persist",
	    "McpServer \"gh\" spec.env[0] GH_TOKEN is set by thurkube from Repository "
	    "\"thurkube\" (spec.tokenSecretRef)",
	};
	struct fx_src s = {0};
	struct strlist notes = {0};
	struct build_out o;
	struct fx f;
	json_object *e = NULL;
	size_t i;

	s.aj = fx_json(FX_AGENTJOB);
	fx_set(s.aj, "spec.env",
	       fx_json("[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"GH_TOKEN\",\"value\":\"u\"},"
	               "{\"name\":\"REPO_TOKEN_0\",\"value\":\"u\"},{\"name\":\"HOME\",\"value\":"
	               "\"/root\"},{\"name\":\"CLAUDE_CODE_OAUTH_TOKEN\",\"value\":\"u\"},"
	               "{\"name\":\"PERSIST_DIR\",\"value\":\"u\"},{\"name\":\"REPO_TOKEN_1\","
	               "\"value\":\"u\"}]"));
	fx_set(s.aj, "spec.mcpServerRefs", fx_json("[\"gh\"]"));
	s.mcp[0] = fx_json("{\"metadata\":{\"name\":\"gh\",\"namespace\":\"agents\"},"
	                   "\"spec\":{\"command\":\"gh-mcp\",\"env\":[{\"name\":\"GH_TOKEN\","
	                   "\"value\":\"m\"},{\"name\":\"M\",\"value\":\"m\"}]}}");
	s.n_mcp = 1;
	s.repos[0] = fx_json(FX_REPO);
	s.n_repos = 1;
	fx_load(&f, &s);
	build_ok(&f, &o);
	ck_assert_str_eq(fx_str(o.pod_template, "spec.containers.0.env.0.name"), "A");
	ck_assert_str_eq(fx_str(o.pod_template, "spec.containers.0.env.1.name"), "REPO_TOKEN_1");
	ck_assert_str_eq(fx_str(o.pod_template, "spec.containers.0.env.2.name"), "M");
	ck_assert_int_eq(env_count(o.pod_template, "GH_TOKEN", &e), 1);
	ck_assert_str_eq(fx_str(e, "valueFrom.secretKeyRef.key"), "GH_TOKEN");
	ck_assert_int_eq(env_count(o.pod_template, "REPO_TOKEN_0", &e), 1);
	ck_assert_ptr_nonnull(fx_get(e, "valueFrom"));
	ck_assert_int_eq(env_count(o.pod_template, "HOME", &e), 1);
	ck_assert_str_eq(fx_str(e, "value"), "/home/agent");
	ck_assert_int_eq(env_count(o.pod_template, "CLAUDE_CODE_OAUTH_TOKEN", &e), 1);
	ck_assert_ptr_nonnull(fx_get(e, "valueFrom"));
	ck_assert_int_eq(env_count(o.pod_template, "PERSIST_DIR", &e), 1);
	ck_assert_str_eq(fx_str(e, "value"), "/var/lib/claude-code-job");
	ck_assert_int_eq(build_env_conflicts(&f.aj, &f.refs, &notes), 0);
	ck_assert_uint_eq(notes.n, TK_ARRAY_LEN(want));
	for (i = 0; i < notes.n; i++)
		ck_assert_str_eq(notes.v[i], want[i]);
	strlist_free(&notes);
	build_out_free(&o);
	json_object_put(s.aj);
	json_object_put(s.mcp[0]);
	json_object_put(s.repos[0]);
	fx_free(&f);
}
END_TEST

START_TEST(cluster_access_sa_token)
{
	struct fx_src s = {0};
	struct build_out o;
	struct fx f;

	s.aj = fx_json(FX_AGENTJOB);
	fx_set(s.aj, "spec.clusterAccessRef", json_object_new_string("reader"));
	s.repos[0] = fx_json(FX_REPO);
	s.n_repos = 1;
	s.ca = fx_json(FX_CA);
	fx_load(&f, &s);
	build_ok(&f, &o);
	ck_assert(
	    json_object_get_boolean(fx_get(o.pod_template, "spec.automountServiceAccountToken")));
	ck_assert_str_eq(fx_str(o.pod_template, "spec.serviceAccountName"), "pr-fixer-runner");
	build_out_free(&o);
	json_object_put(s.aj);
	json_object_put(s.repos[0]);
	json_object_put(s.ca);
	fx_free(&f);
}
END_TEST

/* (spec key, new JSON value): every one must change configHash. */
static const struct {
	const char *key;
	const char *value;
} hash_edits[] = {
    {"spec.prompt", "\"another prompt\""},
    {"spec.env", "[{\"name\":\"X\",\"value\":\"y\"}]"},
    {"spec.resources", "{\"requests\":{\"memory\":\"1Gi\"}}"},
    {"spec.timeoutSeconds", "60"},
    {"spec.persist", "false"},
    {"spec.envFrom", "[{\"configMapRef\":{\"name\":\"c\"}}]"},
    {"spec.model", "\"opus\""},
    {"spec.nodeSelector", "{\"a\":\"b\"}"},
    {"spec.podLabels", "{\"team\":\"a\"}"},
    {"spec.podAnnotations", "{\"sidecar.istio.io/inject\":\"false\"}"},
    {"spec.priorityClassName", "\"agents-low\""},
    {"spec.affinity", "{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
                      "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"pool\","
                      "\"operator\":\"In\",\"values\":[\"agents\"]}]}]}}}"},
    {"spec.topologySpreadConstraints", "[{\"maxSkew\":1,\"topologyKey\":\"kubernetes.io/hostname\","
                                       "\"whenUnsatisfiable\":\"ScheduleAnyway\"}]"},
};

static void hash_of(struct fx *f, char out[17])
{
	struct build_out o;

	build_ok(f, &o);
	memcpy(out, o.config_hash, 17);
	build_out_free(&o);
}

START_TEST(hash_sensitive)
{
	char base[17], edited[17];
	struct fx f;

	fx_load(&f, NULL);
	hash_of(&f, base);
	fx_free(&f);
	fx_load_edit(&f, hash_edits[_i].key, hash_edits[_i].value);
	hash_of(&f, edited);
	fx_free(&f);
	ck_assert_msg(strcmp(base, edited) != 0, "%s did not change the hash", hash_edits[_i].key);
	ck_assert_int_eq(strlen(edited), 16);
}
END_TEST

START_TEST(hash_image_and_stability)
{
	char a[17], b[17], c[17];
	struct fx_src s = {0};
	struct fx f;

	fx_load(&f, NULL);
	hash_of(&f, a);
	hash_of(&f, b);
	ck_assert_str_eq(a, b);
	fx_free(&f);
	s.aj = fx_json(FX_AGENTJOB);
	s.repos[0] = fx_json(FX_REPO);
	s.n_repos = 1;
	s.rt = fx_json(FX_RUNTIME);
	fx_set(s.rt, "spec.image", json_object_new_string("ghcr.io/thurbeen/claude-code-job:v2"));
	fx_load(&f, &s);
	hash_of(&f, c);
	ck_assert_str_ne(a, c);
	fx_free(&f);
	json_object_put(s.aj);
	json_object_put(s.repos[0]);
	json_object_put(s.rt);

	/* Key order inside a passthrough value does not matter. */
	fx_load_edit(&f, "spec.resources", "{\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}");
	hash_of(&f, a);
	fx_free(&f);
	fx_load_edit(&f, "spec.resources", "{\"limits\":{\"memory\":\"1Gi\",\"cpu\":\"1\"}}");
	hash_of(&f, b);
	fx_free(&f);
	ck_assert_str_eq(a, b);
}
END_TEST

/* The quickstart, with its AgentRuntime's spec.<key> set to value (JSON). */
static void load_runtime_edit(struct fx *f, const char *key, const char *value)
{
	struct fx_src s = {0};

	s.aj = fx_json(FX_AGENTJOB);
	s.repos[0] = fx_json(FX_REPO);
	s.n_repos = 1;
	s.rt = fx_json(FX_RUNTIME);
	if (key)
		fx_set(s.rt, key, fx_json(value));
	fx_load(f, &s);
	json_object_put(s.aj);
	json_object_put(s.repos[0]);
	json_object_put(s.rt);
}

/*
 * The configHash main computed for the quickstart before the sandbox
 * fields (enableServiceLinks, emptyDir sizeLimit, the new optional
 * fields) existed: an upgraded controller must keep it, or every finished
 * one-shot would run again. Computed with the build of 81d3169 (the
 * schedule is not an input: the same for both modes).
 */
#define QUICKSTART_CONFIG_HASH "897ad55ed3dd17e3"

START_TEST(hash_unchanged_by_upgrade)
{
	char h[17];
	struct fx f;

	fx_load(&f, NULL);
	hash_of(&f, h);
	fx_free(&f);
	ck_assert_str_eq(h, QUICKSTART_CONFIG_HASH);
	load_oneshot(&f, NULL, NULL);
	hash_of(&f, h);
	fx_free(&f);
	ck_assert_str_eq(h, QUICKSTART_CONFIG_HASH);
	/* "Unrestricted" said out loud (the webhook's --default-egress) is
	 * the same configuration as saying nothing. */
	load_runtime_edit(&f, "spec.network", "{\"egress\":\"Unrestricted\"}");
	hash_of(&f, h);
	fx_free(&f);
	ck_assert_str_eq(h, QUICKSTART_CONFIG_HASH);
}
END_TEST

/* (AgentRuntime spec key, JSON value): each changes configHash. */
static const struct {
	const char *key;
	const char *value;
} runtime_hash_edits[] = {
    {"spec.runtimeClassName", "\"gvisor\""},
    {"spec.network", "{\"egress\":\"Restricted\"}"},
    {"spec.network", "{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"10.0.0.0/8\"}]}"},
};

START_TEST(hash_sensitive_runtime)
{
	char base[17], edited[17], restricted[17];
	struct fx f;

	fx_load(&f, NULL);
	hash_of(&f, base);
	fx_free(&f);
	load_runtime_edit(&f, runtime_hash_edits[_i].key, runtime_hash_edits[_i].value);
	hash_of(&f, edited);
	fx_free(&f);
	ck_assert_msg(strcmp(base, edited) != 0, "%s did not change the hash",
	              runtime_hash_edits[_i].value);
	/* An allow-list edit changes it too, not only the mode. */
	load_runtime_edit(&f, "spec.network", "{\"egress\":\"Restricted\"}");
	hash_of(&f, restricted);
	fx_free(&f);
	if (_i == 2)
		ck_assert_str_ne(edited, restricted);
}
END_TEST

/* runtimeClassName, pod metadata and placement reach both templates;
 * thurkube's labels win over podLabels. */
START_TEST(sandbox_pod_fields)
{
	struct fx_src s = {0};
	struct build_out o;
	struct fx f;
	int mode;

	for (mode = 0; mode < 2; mode++) {
		json_object *tmpl;

		s.aj = fx_json(FX_AGENTJOB);
		s.repos[0] = fx_json(FX_REPO);
		s.n_repos = 1;
		s.rt = fx_json(FX_RUNTIME);
		if (mode)
			fx_set(s.aj, "spec.schedule", NULL);
		fx_set(s.rt, "spec.runtimeClassName", json_object_new_string("gvisor"));
		fx_set(s.aj, "spec.podLabels",
		       fx_json("{\"team\":\"a\",\"thurkube.thurbeen.eu/agentjob\":\"other\"}"));
		fx_set(s.aj, "spec.podAnnotations",
		       fx_json("{\"sidecar.istio.io/inject\":\"false\"}"));
		fx_set(s.aj, "spec.priorityClassName", json_object_new_string("agents-low"));
		fx_set(s.aj, "spec.affinity", fx_json("{\"podAntiAffinity\":{}}"));
		fx_set(s.aj, "spec.topologySpreadConstraints",
		       fx_json("[{\"maxSkew\":1,\"topologyKey\":\"zone\","
		               "\"whenUnsatisfiable\":\"DoNotSchedule\"}]"));
		fx_load(&f, &s);
		build_ok(&f, &o);
		tmpl = mode ? fx_get(o.job, "spec.template")
		            : fx_get(o.cronjob, "spec.jobTemplate.spec.template");
		ck_assert_ptr_nonnull(tmpl);
		ck_assert_str_eq(fx_str(tmpl, "spec.runtimeClassName"), "gvisor");
		ck_assert_str_eq(fx_str(tmpl, "spec.priorityClassName"), "agents-low");
		ck_assert_ptr_nonnull(fx_get(tmpl, "spec.affinity.podAntiAffinity"));
		ck_assert_str_eq(fx_str(tmpl, "spec.topologySpreadConstraints.0.topologyKey"),
		                 "zone");
		ck_assert_str_eq(
		    json_object_get_string(json_object_object_get(
		        fx_get(tmpl, "metadata.annotations"), "sidecar.istio.io/inject")),
		    "false");
		ck_assert_str_eq(fx_str(tmpl, "metadata.labels.team"), "a");
		ck_assert_str_eq(
		    json_object_get_string(json_object_object_get(fx_get(tmpl, "metadata.labels"),
		                                                  "thurkube.thurbeen.eu/agentjob")),
		    "pr-fixer");
		build_out_free(&o);
		fx_free(&f);
		json_object_put(s.aj);
		json_object_put(s.repos[0]);
		json_object_put(s.rt);
	}
}
END_TEST

/* The controller's pod policy: no service links, a sizeLimit on each
 * emptyDir (the flag's value, none for ""), and no effect on configHash. */
START_TEST(pod_policy_flags)
{
	const struct build_policy small = {.empty_dir_size_limit = "1Gi"};
	const struct build_policy none = {.empty_dir_size_limit = ""};
	char h0[17], h1[17];
	struct build_out o;
	json_object *vs;
	struct fx f;
	size_t i, n = 0;

	fx_load(&f, NULL);
	build_ok(&f, &o);
	memcpy(h0, o.config_hash, 17);
	ck_assert(json_object_is_type(
	    fx_get(o.cronjob, "spec.jobTemplate.spec.template.spec.enableServiceLinks"),
	    json_type_boolean));
	ck_assert(!json_object_get_boolean(
	    fx_get(o.cronjob, "spec.jobTemplate.spec.template.spec.enableServiceLinks")));
	vs = fx_get(o.cronjob, "spec.jobTemplate.spec.template.spec.volumes");
	for (i = 0; i < json_object_array_length(vs); i++) {
		json_object *ed = fx_get(json_object_array_get_idx(vs, i), "emptyDir");

		if (!ed)
			continue;
		n++;
		ck_assert_str_eq(fx_str(ed, "sizeLimit"), BUILD_DEFAULT_EMPTYDIR_LIMIT);
	}
	ck_assert_uint_eq(n, 2);
	build_out_free(&o);
	f.refs.policy = &small;
	build_ok(&f, &o);
	memcpy(h1, o.config_hash, 17);
	ck_assert_str_eq(h0, h1);
	ck_assert_str_eq(fx_str(o.pod_template, "spec.volumes.2.name"), "tmp");
	ck_assert_str_eq(fx_str(o.pod_template, "spec.volumes.2.emptyDir.sizeLimit"), "1Gi");
	ck_assert_str_eq(fx_str(o.pod_template, "spec.volumes.3.emptyDir.sizeLimit"), "1Gi");
	build_out_free(&o);
	f.refs.policy = &none;
	build_ok(&f, &o);
	ck_assert_str_eq(h0, o.config_hash);
	vs = fx_get(o.pod_template, "spec.volumes");
	for (i = 0; i < json_object_array_length(vs); i++)
		ck_assert_ptr_null(fx_get(json_object_array_get_idx(vs, i), "emptyDir.sizeLimit"));
	build_out_free(&o);
	fx_free(&f);
}
END_TEST

static void assert_json_eq(json_object *got, const char *want_text)
{
	json_object *want = fx_json(want_text);
	struct buf a = BUF_INIT(1 << 20), b = BUF_INIT(1 << 20);

	ck_assert_int_eq(build_render_canonical(got, &a), 0);
	ck_assert_int_eq(build_render_canonical(want, &b), 0);
	ck_assert_str_eq(a.data, b.data);
	buf_free(&a);
	buf_free(&b);
	json_object_put(want);
}

/* Restricted egress: exactly DNS and the allow list, the link-local and
 * metadata ranges cut out of larger blocks, entries inside them (or not
 * CIDRs at all: objects stored without the webhook) left out. */
START_TEST(network_policy_restricted)
{
	struct build_out o;
	struct fx f;

	load_runtime_edit(
	    &f, "spec.network",
	    "{\"egress\":\"Restricted\",\"allow\":["
	    "{\"cidr\":\"0.0.0.0/0\",\"ports\":[{\"port\":443,\"protocol\":\"TCP\"}]},"
	    "{\"cidr\":\"10.1.2.3/8\",\"ports\":[{\"port\":8000,\"endPort\":8100}]},"
	    "{\"cidr\":\"::/0\"},"
	    "{\"cidr\":\"169.254.169.254/32\"},"
	    "{\"cidr\":\"fd00:ec2::254/128\"},"
	    "{\"cidr\":\"not-a-cidr\"}]}");
	build_ok(&f, &o);
	ck_assert_ptr_nonnull(o.network_policy);
	ck_assert_str_eq(fx_str(o.network_policy, "metadata.name"), "pr-fixer-egress");
	ck_assert_str_eq(fx_str(o.network_policy, "metadata.namespace"), "agents");
	ck_assert_str_eq(fx_str(o.network_policy, "metadata.ownerReferences.0.uid"), FX_UID);
	ck_assert_str_eq(fx_str(o.network_policy, "kind"), "NetworkPolicy");
	assert_json_eq(
	    fx_get(o.network_policy, "spec"),
	    "{\"podSelector\":{\"matchLabels\":{\"thurkube.thurbeen.eu/agentjob\":\"pr-fixer\","
	    "\"thurkube.thurbeen.eu/owner-uid\":\"" FX_UID "\"}},"
	    "\"policyTypes\":[\"Ingress\",\"Egress\"],"
	    "\"egress\":["
	    "{\"to\":[{\"namespaceSelector\":{\"matchLabels\":{\"kubernetes.io/metadata.name\":"
	    "\"kube-system\"}},\"podSelector\":{\"matchLabels\":{\"k8s-app\":\"kube-dns\"}}}],"
	    "\"ports\":[{\"protocol\":\"UDP\",\"port\":53},{\"protocol\":\"TCP\",\"port\":53}]},"
	    "{\"to\":[{\"ipBlock\":{\"cidr\":\"0.0.0.0/0\",\"except\":[\"169.254.0.0/16\"]}}],"
	    "\"ports\":[{\"protocol\":\"TCP\",\"port\":443}]},"
	    "{\"to\":[{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\"}}],"
	    "\"ports\":[{\"protocol\":\"TCP\",\"port\":8000,\"endPort\":8100}]},"
	    "{\"to\":[{\"ipBlock\":{\"cidr\":\"::/0\",\"except\":[\"fe80::/10\","
	    "\"fd00:ec2::254/128\"]}}]}]}");
	/* The pod carries the labels the policy selects. */
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	                     fx_get(o.pod_template, "metadata.labels"), NAMES_LABEL_OWNER_UID)),
	                 FX_UID);
	build_out_free(&o);
	fx_free(&f);
}
END_TEST

/* The DNS flags reach the policy; Unrestricted (or no network) gives none. */
START_TEST(network_policy_dns_flags_and_unrestricted)
{
	const struct build_policy pol = {.dns_namespace = "dns", .dns_pod_label = "app=coredns"};
	struct build_out o;
	struct fx f;

	load_runtime_edit(&f, "spec.network", "{\"egress\":\"Restricted\"}");
	f.refs.policy = &pol;
	build_ok(&f, &o);
	assert_json_eq(
	    fx_get(o.network_policy, "spec.egress"),
	    "[{\"to\":[{\"namespaceSelector\":{\"matchLabels\":"
	    "{\"kubernetes.io/metadata.name\":\"dns\"}},\"podSelector\":{\"matchLabels\":"
	    "{\"app\":\"coredns\"}}}],\"ports\":[{\"protocol\":\"UDP\",\"port\":53},"
	    "{\"protocol\":\"TCP\",\"port\":53}]}]");
	build_out_free(&o);
	fx_free(&f);
	load_runtime_edit(&f, "spec.network", "{\"egress\":\"Unrestricted\"}");
	build_ok(&f, &o);
	ck_assert_ptr_null(o.network_policy);
	build_out_free(&o);
	fx_free(&f);
	fx_load(&f, NULL);
	build_ok(&f, &o);
	ck_assert_ptr_null(o.network_policy);
	build_out_free(&o);
	fx_free(&f);
}
END_TEST

/* The observed object as the API server returns it: our fields plus defaults. */
START_TEST(subset_steady_and_drift)
{
	struct build_out o;
	struct fx f;
	json_object *seen = NULL, *c0;

	fx_load_edit(&f, "spec.resources", "{\"limits\":{\"cpu\":\"1000m\"}}");
	build_ok(&f, &o);
	ck_assert_int_eq(json_object_deep_copy(o.cronjob, &seen, NULL), 0);
	/* List items lack apiVersion/kind; the server adds defaults and status. */
	fx_set(seen, "apiVersion", NULL);
	fx_set(seen, "kind", NULL);
	fx_set(seen, "metadata.resourceVersion", json_object_new_string("77"));
	fx_set(seen, "status", fx_json("{\"lastScheduleTime\":\"2026-01-01T00:00:00Z\"}"));
	c0 = fx_get(seen, "spec.jobTemplate.spec.template.spec.containers.0");
	fx_set(c0, "terminationMessagePath", json_object_new_string("/dev/termination-log"));
	fx_set(c0, "resources.limits.cpu", json_object_new_string("1"));
	/* omitempty drops a false it was given */
	fx_set(seen, "spec.suspend", NULL);
	ck_assert(build_subset(o.cronjob, seen));

	fx_set(c0, "image", json_object_new_string("evil:latest"));
	ck_assert(!build_subset(o.cronjob, seen));
	fx_set(c0, "image", json_object_new_string("ghcr.io/thurbeen/claude-code-job:latest"));
	ck_assert(build_subset(o.cronjob, seen));
	fx_set(c0, "resources.limits.cpu", json_object_new_string("2"));
	ck_assert(!build_subset(o.cronjob, seen));
	fx_set(c0, "resources.limits.cpu", json_object_new_string("1"));
	json_object_array_add(fx_get(c0, "env"), fx_json("{\"name\":\"EXTRA\",\"value\":\"1\"}"));
	ck_assert(!build_subset(o.cronjob, seen));
	json_object_array_del_idx(fx_get(c0, "env"),
	                          json_object_array_length(fx_get(c0, "env")) - 1, 1);
	ck_assert(build_subset(o.cronjob, seen));
	fx_set(seen, "metadata.labels", fx_json("{}"));
	ck_assert(!build_subset(o.cronjob, seen));
	json_object_put(seen);
	build_out_free(&o);
	fx_free(&f);
}
END_TEST

/* Dropping a field from the spec changes the applied-hash annotation, so
 * the subset check asks for the apply that removes it. */
START_TEST(subset_sees_removed_field)
{
	struct build_out with, without;
	struct fx f;

	fx_load_edit(&f, "spec.startingDeadlineSeconds", "100");
	build_ok(&f, &with);
	fx_free(&f);
	fx_load(&f, NULL);
	build_ok(&f, &without);
	fx_free(&f);
	ck_assert(build_subset(with.cronjob, with.cronjob));
	ck_assert(!build_subset(without.cronjob, with.cronjob));
	build_out_free(&with);
	build_out_free(&without);
}
END_TEST

START_TEST(clusterrole_of_clusteraccess)
{
	struct tk_clusteraccess ca = {0};
	struct fielderrs e = {0};
	json_object *src = fx_json(FX_CA), *cr;
	char hex[65], want[64];

	ck_assert_int_eq(tk_clusteraccess_decode(src, &ca, &e), 0);
	cr = build_clusterrole(&ca);
	ck_assert_ptr_nonnull(cr);
	sha256_hex("agents/reader", 13, hex);
	snprintf(want, sizeof(want), "thurkube-ca-%.16s", hex);
	ck_assert_str_eq(fx_str(cr, "metadata.name"), want);
	ck_assert_str_eq(fx_str(cr, "kind"), "ClusterRole");
	ck_assert_str_eq(label(cr, "metadata.labels", NAMES_LABEL_MANAGED_BY), "thurkube");
	ck_assert_str_eq(label(cr, "metadata.labels", NAMES_LABEL_CLUSTERACCESS), "reader");
	ck_assert_str_eq(label(cr, "metadata.labels", NAMES_LABEL_CLUSTERACCESS_NS), "agents");
	ck_assert_str_eq(label(cr, "metadata.labels", NAMES_LABEL_OWNER_UID), "c1");
	ck_assert(json_object_equal(fx_get(cr, "rules"), fx_get(src, "spec.rules")));
	ck_assert_ptr_null(fx_get(cr, "metadata.ownerReferences"));
	json_object_put(cr);
	tk_clusteraccess_free(&ca);
	fielderrs_free(&e);
	json_object_put(src);
}
END_TEST

/* serde_json pretty rendering of small values. */
static const struct {
	const char *in;
	const char *out;
} pretty_cases[] = {
    {"[]", "[]"},
    {"{}", "{}"},
    {"{\"a\":[]}", "{\n  \"a\": []\n}"},
    {"[1,true,null]", "[\n  1,\n  true,\n  null\n]"},
    {"{\"s\":\"a/b\\u007f\\u001f\"}", "{\n  \"s\": \"a/b\x7f\\u001f\"\n}"},
    {"{\"b\":{\"c\":\"d\"}}", "{\n  \"b\": {\n    \"c\": \"d\"\n  }\n}"},
};

START_TEST(render_pretty_table)
{
	struct buf b = BUF_INIT(4096);
	json_object *o = fx_json(pretty_cases[_i].in);

	ck_assert_int_eq(build_render_pretty(o, &b), 0);
	ck_assert_str_eq(b.data, pretty_cases[_i].out);
	buf_free(&b);
	json_object_put(o);
}
END_TEST

START_TEST(render_canonical_sorted)
{
	struct buf b = BUF_INIT(4096);
	json_object *o = fx_json("{\"b\":1,\"a\":{\"d\":[2,{\"z\":0,\"y\":1}],\"c\":\"x\"}}");

	ck_assert_int_eq(build_render_canonical(o, &b), 0);
	ck_assert_str_eq(b.data, "{\"a\":{\"c\":\"x\",\"d\":[2,{\"y\":1,\"z\":0}]},\"b\":1}");
	buf_free(&b);
	json_object_put(o);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ctl_build");
	TCase *t = tcase_create("build");

	tcase_add_test(t, agent_json_quickstart_exact);
	tcase_add_test(t, thurkube_hash_of_agent_json);
	tcase_add_test(t, agent_json_full_shape);
	tcase_add_test(t, agent_json_needs_role);
	tcase_add_test(t, names_labels_owners);
	tcase_add_test(t, cluster_names_unambiguous);
	tcase_add_loop_test(t, pod_hardened_cron, 0, (int)TK_ARRAY_LEN(pod_fields));
	tcase_add_loop_test(t, pod_hardened_job, 0, (int)TK_ARRAY_LEN(pod_fields));
	tcase_add_test(t, pod_no_env_file_leaks_and_count);
	tcase_add_test(t, job_and_cronjob_specs);
	tcase_add_test(t, retries_and_history);
	tcase_add_test(t, queued_runs);
	tcase_add_test(t, pvc_size_and_class);
	tcase_add_test(t, passthrough_fields);
	tcase_add_test(t, env_user_token_passes);
	tcase_add_test(t, env_thurkube_wins);
	tcase_add_test(t, cluster_access_sa_token);
	tcase_add_loop_test(t, hash_sensitive, 0, (int)TK_ARRAY_LEN(hash_edits));
	tcase_add_test(t, hash_image_and_stability);
	tcase_add_test(t, hash_unchanged_by_upgrade);
	tcase_add_loop_test(t, hash_sensitive_runtime, 0, (int)TK_ARRAY_LEN(runtime_hash_edits));
	tcase_add_test(t, sandbox_pod_fields);
	tcase_add_test(t, pod_policy_flags);
	tcase_add_test(t, network_policy_restricted);
	tcase_add_test(t, network_policy_dns_flags_and_unrestricted);
	tcase_add_test(t, subset_steady_and_drift);
	tcase_add_test(t, subset_sees_removed_field);
	tcase_add_test(t, clusterrole_of_clusteraccess);
	tcase_add_loop_test(t, render_pretty_table, 0, (int)TK_ARRAY_LEN(pretty_cases));
	tcase_add_test(t, render_canonical_sorted);
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

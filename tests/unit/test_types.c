/* test_types.c - typed decoders: schema defaults, every field, field-path errors. */
/* White-box: the field-path helpers are static. */
#include "../../common/types.c"

#include <check.h>

#include "yamljson.h"

static json_object *parse(const char *yaml)
{
	struct yamljson_error err;
	json_object *o = NULL;

	ck_assert_int_eq(yamljson_parse_one(yaml, strlen(yaml), &o, &err), 0);
	ck_assert_ptr_nonnull(o);
	return o;
}

START_TEST(test_agentjob_minimal_defaults)
{
	json_object *o = parse("metadata: {name: a, namespace: ns, uid: u1, generation: 3}\n"
	                       "spec: {runtimeRef: r, authRef: au, roleRef: ro, prompt: p}\n");
	struct fielderrs errs = {0};
	struct tk_agentjob aj;

	ck_assert_int_eq(tk_agentjob_decode(o, &aj, &errs), 0);
	ck_assert_str_eq(aj.meta.name, "a");
	ck_assert_str_eq(aj.meta.namespace, "ns");
	ck_assert_str_eq(aj.meta.uid, "u1");
	ck_assert_int_eq(aj.meta.generation, 3);
	ck_assert(!aj.meta.deleting);
	ck_assert_ptr_null(aj.spec.schedule);
	ck_assert_str_eq(aj.spec.timezone, "Etc/UTC");
	ck_assert(!aj.spec.suspend);
	ck_assert(!aj.spec.persist);
	ck_assert_int_eq(aj.spec.timeout_seconds, 3600);
	ck_assert_int_eq(aj.spec.ttl_seconds_after_finished, 86400);
	ck_assert_str_eq(aj.spec.pv_size, "1Gi");
	ck_assert_ptr_null(aj.spec.pv_storage_class);
	ck_assert_str_eq(aj.spec.concurrency_policy, "Forbid");
	ck_assert(!aj.spec.has_starting_deadline);
	ck_assert_uint_eq(aj.spec.mcp_server_refs.n, 0);
	ck_assert_ptr_null(aj.spec.resources);
	ck_assert_ptr_null(aj.status.raw);
	tk_agentjob_free(&aj);
	json_object_put(o);
}
END_TEST

START_TEST(test_agentjob_full)
{
	json_object *o = parse(
	    "metadata: {name: a, deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: [f1],"
	    " labels: {x: y}}\n"
	    "spec:\n  schedule: '0 * * * *'\n  timezone: Europe/Paris\n  suspend: true\n"
	    "  runtimeRef: r\n  authRef: au\n  roleRef: ro\n  skillRef: s\n  clusterAccessRef: ca\n"
	    "  mcpServerRefs: [m1, m2]\n  repositoryRefs: [r1]\n  prompt: p\n  instructions: i\n"
	    "  model: opus\n  resources: {limits: {cpu: 1}}\n  timeoutSeconds: 60\n"
	    "  env: [{name: A, value: b}]\n  envFrom: [{secretRef: {name: s}}]\n  persist: true\n"
	    "  imagePullSecrets: [{name: g}]\n  nodeSelector: {a: b}\n  tolerations: [{operator: "
	    "Exists}]\n"
	    "  ttlSecondsAfterFinished: 0\n  persistentVolume: {size: 5Gi, storageClassName: "
	    "fast}\n"
	    "  concurrencyPolicy: Replace\n  startingDeadlineSeconds: 0\n"
	    "status: {phase: Running, configHash: abc, observedGeneration: 2, conditions: []}\n");
	struct fielderrs errs = {0};
	struct tk_agentjob aj;

	ck_assert_int_eq(tk_agentjob_decode(o, &aj, &errs), 0);
	ck_assert(aj.meta.deleting);
	ck_assert_str_eq(aj.meta.finalizers.v[0], "f1");
	ck_assert_ptr_nonnull(aj.meta.labels);
	ck_assert_str_eq(aj.spec.schedule, "0 * * * *");
	ck_assert_str_eq(aj.spec.timezone, "Europe/Paris");
	ck_assert(aj.spec.suspend && aj.spec.persist);
	ck_assert_str_eq(aj.spec.skill_ref, "s");
	ck_assert_str_eq(aj.spec.cluster_access_ref, "ca");
	ck_assert_uint_eq(aj.spec.mcp_server_refs.n, 2);
	ck_assert_str_eq(aj.spec.repository_refs.v[0], "r1");
	ck_assert_str_eq(aj.spec.instructions, "i");
	ck_assert_str_eq(aj.spec.model, "opus");
	ck_assert_ptr_nonnull(aj.spec.resources);
	ck_assert_int_eq(aj.spec.timeout_seconds, 60);
	ck_assert_int_eq(json_object_array_length(aj.spec.env), 1);
	ck_assert_int_eq(json_object_array_length(aj.spec.env_from), 1);
	ck_assert_int_eq(json_object_array_length(aj.spec.image_pull_secrets), 1);
	ck_assert_ptr_nonnull(aj.spec.node_selector);
	ck_assert_int_eq(json_object_array_length(aj.spec.tolerations), 1);
	ck_assert_int_eq(aj.spec.ttl_seconds_after_finished, 0);
	ck_assert_str_eq(aj.spec.pv_size, "5Gi");
	ck_assert_str_eq(aj.spec.pv_storage_class, "fast");
	ck_assert_str_eq(aj.spec.concurrency_policy, "Replace");
	ck_assert(aj.spec.has_starting_deadline);
	ck_assert_str_eq(aj.status.phase, "Running");
	ck_assert_str_eq(aj.status.config_hash, "abc");
	ck_assert_int_eq(aj.status.observed_generation, 2);
	ck_assert_ptr_nonnull(aj.status.conditions);
	ck_assert_ptr_nonnull(aj.status.raw);
	tk_agentjob_free(&aj);
	json_object_put(o);
}
END_TEST

START_TEST(test_agentjob_errors)
{
	json_object *o = parse("metadata: {name: a}\n"
	                       "spec: {runtimeRef: 1, roleRef: ro, prompt: p, suspend: maybe,"
	                       " timeoutSeconds: '10', mcpServerRefs: [a, 2]}\n");
	static const char *const paths[] = {"spec.suspend", "spec.runtimeRef", "spec.authRef",
	                                    "spec.mcpServerRefs[1]", "spec.timeoutSeconds"};
	struct fielderrs errs = {0};
	struct tk_agentjob aj;
	size_t i, j;

	memset(&aj, 0x5a, sizeof(aj));
	ck_assert_int_eq(tk_agentjob_decode(o, &aj, &errs), -EINVAL);
	ck_assert_ptr_null(aj.spec.prompt);
	ck_assert_uint_eq(errs.n, TK_ARRAY_LEN(paths));
	for (i = 0; i < TK_ARRAY_LEN(paths); i++) {
		bool found = false;

		for (j = 0; j < errs.n; j++)
			found |= strcmp(errs.v[j].path, paths[i]) == 0;
		ck_assert_msg(found, "no error at %s", paths[i]);
	}
	ck_assert_int_eq(errs.v[2].type == FE_REQUIRED || errs.v[1].type == FE_REQUIRED, 1);
	fielderrs_free(&errs);
	json_object_put(o);
}
END_TEST

/* Field paths are never cut: one longer than the old fixed buffers is
 * named whole, and one past TK_MAX_FIELD_PATH fails the call (-E2BIG)
 * without recording a cut path. */
START_TEST(test_long_field_paths)
{
	json_object *o = parse("list: [a, 2]\nref: {key: k}\n");
	struct buf path = BUF_INIT(SIZE_MAX), want = BUF_INIT(SIZE_MAX);
	struct fielderrs errs = {0};
	struct strlist l = {0};
	struct tk_secret_key_ref ref = {0};
	struct dec d = {&errs, 0};
	size_t i;

	for (i = 0; i < 60; i++) /* 540 characters, past the old 512 and 256 */
		ck_assert_int_eq(buf_puts(&path, "spec.abcd"), 0);
	dec_strlist(&d, o, "list", path.data, false, &l);
	ck_assert_int_eq(buf_printf(&want, "%s[1]", path.data), 0);
	ck_assert_int_eq(d.err, 0);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.v[0].path, want.data);
	dec_secret_ref(&d, jsonutil_get(o, "ref"), path.data, &ref);
	buf_reset(&want);
	ck_assert_int_eq(buf_printf(&want, "%s.name", path.data), 0);
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_str_eq(errs.v[1].path, want.data);
	ck_assert_str_eq(ref.key, "k");

	while (path.len < TK_MAX_FIELD_PATH)
		ck_assert_int_eq(buf_puts(&path, "x"), 0);
	dec_strlist(&d, o, "list", path.data, false, &l);
	ck_assert_int_eq(d.err, -E2BIG);
	ck_assert_uint_eq(errs.n, 2);

	free(ref.name);
	free(ref.key);
	strlist_free(&l);
	fielderrs_free(&errs);
	buf_free(&path);
	buf_free(&want);
	json_object_put(o);
}
END_TEST

START_TEST(test_other_kinds)
{
	struct fielderrs errs = {0};
	json_object *o;
	struct tk_agentruntime rt;
	struct tk_agentauth au;
	struct tk_agentrole ro;
	struct tk_agentskill sk;
	struct tk_mcpserver mc;
	struct tk_repository re;
	struct tk_clusteraccess ca;

	o = parse(
	    "metadata: {name: rt}\nspec: {image: i, command: [a, b], args: [c], authEnvVar: T,"
	    " configPath: /c, persistPath: /p, imagePullPolicy: Always}\n");
	ck_assert_int_eq(tk_agentruntime_decode(o, &rt, &errs), 0);
	ck_assert_str_eq(rt.image, "i");
	ck_assert_uint_eq(rt.command.n, 2);
	ck_assert_str_eq(rt.args.v[0], "c");
	ck_assert_str_eq(rt.auth_env_var, "T");
	ck_assert_str_eq(rt.config_path, "/c");
	ck_assert_str_eq(rt.persist_path, "/p");
	ck_assert_str_eq(rt.image_pull_policy, "Always");
	tk_agentruntime_free(&rt);
	json_object_put(o);

	o = parse("metadata: {name: au}\nspec: {secretRef: {name: s, key: k}}\n");
	ck_assert_int_eq(tk_agentauth_decode(o, &au, &errs), 0);
	ck_assert_str_eq(au.secret_ref.name, "s");
	ck_assert_str_eq(au.secret_ref.key, "k");
	tk_agentauth_free(&au);
	json_object_put(o);

	o = parse("metadata: {name: ro}\nspec: {allowedTools: [Bash, 'mcp__gmail__*']}\n");
	ck_assert_int_eq(tk_agentrole_decode(o, &ro, &errs), 0);
	ck_assert_str_eq(ro.allowed_tools.v[1], "mcp__gmail__*");
	tk_agentrole_free(&ro);
	json_object_put(o);

	o = parse("metadata: {name: sk}\nspec: {repo: o/r, name: skill1}\n");
	ck_assert_int_eq(tk_agentskill_decode(o, &sk, &errs), 0);
	ck_assert_str_eq(sk.ref, "main");
	tk_agentskill_free(&sk);
	json_object_put(o);

	o = parse("metadata: {name: mc}\nspec: {url: 'https://x', env: [{name: A}]}\n");
	ck_assert_int_eq(tk_mcpserver_decode(o, &mc, &errs), 0);
	ck_assert_ptr_null(mc.command);
	ck_assert_str_eq(mc.url, "https://x");
	ck_assert_ptr_nonnull(mc.env);
	tk_mcpserver_free(&mc);
	json_object_put(o);

	o = parse("metadata: {name: re}\nspec: {owner: O, name: repo1, tokenSecretRef: {name: s, "
	          "key: k}}\n");
	ck_assert_int_eq(tk_repository_decode(o, &re, &errs), 0);
	ck_assert(re.has_token);
	ck_assert_str_eq(re.token_secret_ref.key, "k");
	tk_repository_free(&re);
	json_object_put(o);

	o = parse("metadata: {name: re}\nspec: {owner: O, name: repo1}\n");
	ck_assert_int_eq(tk_repository_decode(o, &re, &errs), 0);
	ck_assert(!re.has_token);
	tk_repository_free(&re);
	json_object_put(o);

	o = parse("metadata: {name: ca}\nspec: {rules: [{verbs: [get]}]}\n");
	ck_assert_int_eq(tk_clusteraccess_decode(o, &ca, &errs), 0);
	ck_assert_int_eq(json_object_array_length(ca.rules), 1);
	tk_clusteraccess_free(&ca);
	json_object_put(o);
	ck_assert_uint_eq(errs.n, 0);
}
END_TEST

START_TEST(test_other_kinds_errors)
{
	static const struct {
		const char *yaml, *path;
		int kind;
	} t[] = {
	    {"metadata: {name: x}\nspec: {authEnvVar: T, configPath: /c, persistPath: /p}\n",
	     "spec.image", 0},
	    {"metadata: {name: x}\nspec: {secretRef: {name: s}}\n", "spec.secretRef.key", 1},
	    {"metadata: {name: x}\nspec: {}\n", "spec.allowedTools", 2},
	    {"metadata: {name: x}\nspec: {repo: o/r, name: [n]}\n", "spec.name", 3},
	    {"metadata: {name: x}\nspec: {command: [npx]}\n", "spec.command", 4},
	    {"metadata: {name: x}\nspec: {owner: O, name: repo1, tokenSecretRef: s}\n",
	     "spec.tokenSecretRef", 5},
	    {"metadata: {name: x}\nspec: {rules: {}}\n", "spec.rules", 6},
	    {"metadata: {name: x}\n", "spec", 6},
	    {"spec: {rules: []}\n", "metadata", 6},
	};
	json_object *o = parse(t[_i].yaml);
	struct fielderrs errs = {0};
	union {
		struct tk_agentruntime rt;
		struct tk_agentauth au;
		struct tk_agentrole ro;
		struct tk_agentskill sk;
		struct tk_mcpserver mc;
		struct tk_repository re;
		struct tk_clusteraccess ca;
	} u;
	int r = 0;

	switch (t[_i].kind) {
	case 0:
		r = tk_agentruntime_decode(o, &u.rt, &errs);
		break;
	case 1:
		r = tk_agentauth_decode(o, &u.au, &errs);
		break;
	case 2:
		r = tk_agentrole_decode(o, &u.ro, &errs);
		break;
	case 3:
		r = tk_agentskill_decode(o, &u.sk, &errs);
		break;
	case 4:
		r = tk_mcpserver_decode(o, &u.mc, &errs);
		break;
	case 5:
		r = tk_repository_decode(o, &u.re, &errs);
		break;
	default:
		r = tk_clusteraccess_decode(o, &u.ca, &errs);
		break;
	}
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_uint_ge(errs.n, 1);
	ck_assert_str_eq(errs.v[0].path, t[_i].path);
	fielderrs_free(&errs);
	json_object_put(o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("types");
	TCase *tc = tcase_create("decode");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_agentjob_minimal_defaults);
	tcase_add_test(tc, test_agentjob_full);
	tcase_add_test(tc, test_agentjob_errors);
	tcase_add_test(tc, test_long_field_paths);
	tcase_add_test(tc, test_other_kinds);
	tcase_add_loop_test(tc, test_other_kinds_errors, 0, 9);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

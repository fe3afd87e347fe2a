/*
 * test_schema_default.c - schema_default: the patch applied to the input
 * gives the defaulted object, defaulting that again gives [], and the
 * contextual defaults (resources, timeout cap, runtime class, egress,
 * created-by) land where the webhook promises.
 */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "jsonpatch.h"
#include "schema.h"

#define AV "\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\""
#define AJ_DEFAULTS                                                                                \
	"\"timezone\":\"Etc/UTC\",\"suspend\":false,\"timeoutSeconds\":3600,\"persist\":false,"    \
	"\"ttlSecondsAfterFinished\":86400,\"concurrencyPolicy\":\"Forbid\",\"backoffLimit\":0,"   \
	"\"successfulJobsHistoryLimit\":3,\"failedJobsHistoryLimit\":3"

static const struct {
	enum tk_kind kind;
	const char *in, *out;
	int nops;
} rt[] = {
    {TK_AGENTJOB,
     "{" AV ",\"kind\":\"AgentJob\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"prompt\":\"p\"}}",
     "{" AV
     ",\"kind\":\"AgentJob\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"prompt\":\"p\"," AJ_DEFAULTS
     "}}",
     9},
    {TK_AGENTJOB,
     "{\"spec\":{\"timezone\":null,\"suspend\":true,\"timeoutSeconds\":60,\"persist\":true,"
     "\"ttlSecondsAfterFinished\":0,\"concurrencyPolicy\":\"Replace\",\"persistentVolume\":{},"
     "\"mcpServerRefs\":[\" a \",\"a\",\"b\"],\"repositoryRefs\":[\"r\"]}}",
     "{\"spec\":{\"timezone\":\"Etc/UTC\",\"suspend\":true,\"timeoutSeconds\":60,\"persist\":true,"
     "\"ttlSecondsAfterFinished\":0,\"concurrencyPolicy\":\"Replace\",\"persistentVolume\":{"
     "\"size\":\"1Gi\"},"
     "\"mcpServerRefs\":[\"a\",\"b\"],\"repositoryRefs\":[\"r\"],\"backoffLimit\":0,"
     "\"successfulJobsHistoryLimit\":3,\"failedJobsHistoryLimit\":3}}",
     6},
    {TK_AGENTSKILL, "{\"spec\":{\"repo\":\"o/r\",\"name\":\"n\"}}",
     "{\"spec\":{\"repo\":\"o/r\",\"name\":\"n\",\"ref\":\"main\"}}", 1},
    {TK_AGENTSKILL, "{\"spec\":{\"repo\":\"o/r\",\"name\":\"n\",\"ref\":\"v2\"}}",
     "{\"spec\":{\"repo\":\"o/r\",\"name\":\"n\",\"ref\":\"v2\"}}", 0},
    {TK_AGENTROLE, "{\"spec\":{\"allowedTools\":[\" Bash\",\"Bash\",\"Read \\t\",7]}}",
     "{\"spec\":{\"allowedTools\":[\"Bash\",\"Read\",7]}}", 1},
    {TK_MCPSERVER, "{\"spec\":{\"url\":\"https://x\"}}", "{\"spec\":{\"url\":\"https://x\"}}", 0},
    {TK_AGENTJOB, "{\"spec\":\"broken\"}", "{\"spec\":\"broken\"}", 0},
    {TK_AGENTJOB, "{}", "{}", 0},
};

START_TEST(test_round_trip)
{
	json_object *in = json_tokener_parse(rt[_i].in), *want = json_tokener_parse(rt[_i].out);
	json_object *patch = NULL, *again = NULL, *work = NULL;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(want);
	ck_assert_int_eq(schema_default(rt[_i].kind, in, NULL, NULL, &patch), 0);
	ck_assert_int_eq(json_object_array_length(patch), rt[_i].nops);
	ck_assert_int_eq(json_object_deep_copy(in, &work, NULL), 0);
	ck_assert_int_eq(jsonpatch_apply(&work, patch), 0);
	ck_assert_msg(json_object_equal(work, want), "got %s", json_object_to_json_string(work));
	ck_assert_int_eq(schema_default(rt[_i].kind, work, NULL, NULL, &again), 0);
	ck_assert_msg(json_object_array_length(again) == 0, "not idempotent: %s",
	              json_object_to_json_string(again));
	json_object_put(in);
	json_object_put(want);
	json_object_put(patch);
	json_object_put(again);
	json_object_put(work);
}
END_TEST

static json_object *defaulted(enum tk_kind k, const char *in, const struct schema_config *cfg,
                              const char *user, json_object **patch_out)
{
	json_object *obj = json_tokener_parse(in), *patch = NULL, *again = NULL;

	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(schema_default(k, obj, cfg, user, &patch), 0);
	ck_assert_int_eq(jsonpatch_apply(&obj, patch), 0);
	ck_assert_int_eq(schema_default(k, obj, cfg, user, &again), 0);
	ck_assert_int_eq(json_object_array_length(again), 0);
	json_object_put(again);
	if (patch_out)
		*patch_out = patch;
	else
		json_object_put(patch);
	return obj;
}

START_TEST(test_config_resources)
{
	struct schema_config cfg = {.default_cpu_request = "100m",
	                            .default_memory_request = "256Mi",
	                            .default_memory_limit = "1Gi"};
	json_object *obj =
	    defaulted(TK_AGENTJOB, "{\"spec\":{\"prompt\":\"p\"}}", &cfg, NULL, NULL);
	json_object *want = json_tokener_parse("{\"requests\":{\"cpu\":\"100m\",\"memory\":"
	                                       "\"256Mi\"},\"limits\":{\"memory\":\"1Gi\"}}");

	ck_assert(json_object_equal(
	    json_object_object_get(json_object_object_get(obj, "spec"), "resources"), want));
	json_object_put(obj);
	/* Resources the user set are theirs. */
	obj = defaulted(TK_AGENTJOB, "{\"spec\":{\"resources\":{}}}", &cfg, NULL, NULL);
	ck_assert_int_eq(json_object_object_length(json_object_object_get(
	                     json_object_object_get(obj, "spec"), "resources")),
	                 0);
	json_object_put(obj);
	json_object_put(want);
}
END_TEST

START_TEST(test_timeout_cap)
{
	struct schema_config cfg = {.max_timeout_seconds = 600};
	json_object *obj = defaulted(TK_AGENTJOB, "{\"spec\":{}}", &cfg, NULL, NULL);

	ck_assert_int_eq(json_object_get_int(json_object_object_get(
	                     json_object_object_get(obj, "spec"), "timeoutSeconds")),
	                 600);
	json_object_put(obj);
}
END_TEST

/* --default-runtime-class and --default-egress on an AgentRuntime: added
 * where absent or null (spec.network created when needed), kept where
 * set; the patch is idempotent (defaulted() checks it). */
static const struct {
	const char *in, *spec_out;
	int nops;
} rt_policy[] = {
    {"{\"spec\":{\"image\":\"i\"}}",
     "{\"image\":\"i\",\"runtimeClassName\":\"gvisor\",\"network\":{\"egress\":\"Restricted\"}}",
     2},
    {"{\"spec\":{\"runtimeClassName\":\"kata\",\"network\":{\"egress\":\"Unrestricted\"}}}",
     "{\"runtimeClassName\":\"kata\",\"network\":{\"egress\":\"Unrestricted\"}}", 0},
    {"{\"spec\":{\"runtimeClassName\":null,\"network\":null}}",
     "{\"runtimeClassName\":\"gvisor\",\"network\":{\"egress\":\"Restricted\"}}", 2},
    {"{\"spec\":{\"network\":{\"allow\":[{\"cidr\":\"10.0.0.0/8\",\"ports\":[{\"port\":443}]}]}}}",
     "{\"runtimeClassName\":\"gvisor\",\"network\":{\"allow\":[{\"cidr\":\"10.0.0.0/8\","
     "\"ports\":[{\"port\":443,\"protocol\":\"TCP\"}]}],\"egress\":\"Restricted\"}}",
     3},
    {"{\"spec\":{\"network\":{\"egress\":null}}}",
     "{\"runtimeClassName\":\"gvisor\",\"network\":{\"egress\":\"Restricted\"}}", 2},
    /* A network of the wrong type is left to validation. */
    {"{\"spec\":{\"network\":\"open\"}}", "{\"runtimeClassName\":\"gvisor\",\"network\":\"open\"}",
     1},
};

START_TEST(test_runtime_policy)
{
	struct schema_config cfg = {.default_runtime_class = "gvisor",
	                            .default_egress = "Restricted"};
	json_object *patch = NULL;
	json_object *obj = defaulted(TK_AGENTRUNTIME, rt_policy[_i].in, &cfg, NULL, &patch);
	json_object *want = json_tokener_parse(rt_policy[_i].spec_out);

	ck_assert_ptr_nonnull(want);
	ck_assert_msg(json_object_equal(json_object_object_get(obj, "spec"), want), "got %s",
	              json_object_to_json_string(obj));
	ck_assert_int_eq(json_object_array_length(patch), rt_policy[_i].nops);
	json_object_put(patch);
	json_object_put(want);
	json_object_put(obj);
}
END_TEST

/* Without the flags nothing is added to an AgentRuntime (only the schema's
 * own protocol default), and an AgentJob never gets the runtime defaults. */
START_TEST(test_runtime_policy_off)
{
	struct schema_config cfg = {.default_runtime_class = "gvisor",
	                            .default_egress = "Restricted"};
	json_object *patch = NULL;
	json_object *obj =
	    defaulted(TK_AGENTRUNTIME, "{\"spec\":{\"image\":\"i\"}}", NULL, NULL, &patch);

	ck_assert_int_eq(json_object_array_length(patch), 0);
	json_object_put(patch);
	json_object_put(obj);
	obj = defaulted(TK_AGENTJOB,
	                "{\"spec\":{\"prompt\":\"p\",\"timeoutSeconds\":1,"
	                "\"timezone\":\"UTC\",\"suspend\":false,\"persist\":false,"
	                "\"ttlSecondsAfterFinished\":1,\"concurrencyPolicy\":\"Forbid\","
	                "\"backoffLimit\":0,\"successfulJobsHistoryLimit\":3,"
	                "\"failedJobsHistoryLimit\":3}}",
	                &cfg, NULL, &patch);
	ck_assert_int_eq(json_object_array_length(patch), 0);
	json_object_put(patch);
	json_object_put(obj);
}
END_TEST

START_TEST(test_created_by)
{
	static const char *const in[] = {
	    "{\"spec\":{\"allowedTools\":[\"a\"]}}",
	    "{\"metadata\":{\"name\":\"x\"},\"spec\":{\"allowedTools\":[\"a\"]}}",
	    "{\"metadata\":{\"annotations\":{\"k\":\"v\"}},\"spec\":{\"allowedTools\":[\"a\"]}}",
	    "{\"metadata\":{\"annotations\":{\"thurkube.thurbeen.eu/created-by\":\"mallory\"}}}",
	};
	json_object *patch = NULL;
	json_object *obj = defaulted(TK_AGENTROLE, in[_i], NULL, "alice@example.com", &patch);
	json_object *ann =
	    json_object_object_get(json_object_object_get(obj, "metadata"), "annotations");
	const char *path = json_object_get_string(
	    json_object_object_get(json_object_array_get_idx(patch, 0), "path"));

	ck_assert_str_eq(
	    json_object_get_string(json_object_object_get(ann, TK_ANNOTATION_CREATED_BY)),
	    "alice@example.com");
	ck_assert_int_eq(json_object_array_length(patch), 1);
	if (_i >= 2)
		ck_assert_str_eq(path, "/metadata/annotations/thurkube.thurbeen.eu~1created-by");
	if (_i == 2)
		ck_assert_str_eq(json_object_get_string(json_object_object_get(ann, "k")), "v");
	json_object_put(obj);
	json_object_put(patch);
}
END_TEST

START_TEST(test_bad_input)
{
	json_object *arr = json_object_new_array(), *patch = NULL;

	ck_assert_int_eq(schema_default(TK_AGENTJOB, arr, NULL, NULL, &patch), -EINVAL);
	ck_assert_ptr_null(patch);
	ck_assert_int_eq(schema_default(TK_KIND_COUNT, arr, NULL, NULL, &patch), -EINVAL);
	json_object_put(arr);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("schema_default");
	TCase *tc = tcase_create("default");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_round_trip, 0, (int)TK_ARRAY_LEN(rt));
	tcase_add_test(tc, test_config_resources);
	tcase_add_test(tc, test_timeout_cap);
	tcase_add_loop_test(tc, test_runtime_policy, 0, (int)TK_ARRAY_LEN(rt_policy));
	tcase_add_test(tc, test_runtime_policy_off);
	tcase_add_loop_test(tc, test_created_by, 0, 4);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

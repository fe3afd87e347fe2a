/* test_wh_access.c - SubjectAccessReview bodies and answers, and the
 * fail-closed behaviour when the API server cannot be reached. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include <json-c/json.h>

#include "../../webhook/access.h"
#include "kube.h"
#include "kubecfg.h"
#include "util.h"

static struct admission_request parse_req(const char *body, struct fielderrs *errs)
{
	struct admission_request req = {0};
	struct buf why = BUF_INIT(1024);

	ck_assert_int_eq(admission_parse(body, strlen(body), &req, errs, &why), 0);
	buf_free(&why);
	return req;
}

#define REVIEW(kind, op, rest)                                                                     \
	"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"       \
	"\"uid\":\"u\",\"kind\":{\"group\":\"thurkube.thurbeen.eu\",\"version\":\"v1alpha1\","     \
	"\"kind\":\"" kind "\"},\"operation\":\"" op "\",\"namespace\":\"agents\","                \
	"\"userInfo\":{\"username\":\"alice\",\"uid\":\"42\",\"groups\":[\"dev\"],"                \
	"\"extra\":{\"scopes\":[\"a\"]}}," rest "}}"

static const struct {
	struct access_attrs at;
	const char *want;
} sar_cases[] = {
    {{"get", "", "secrets", NULL, NULL, NULL, NULL},
     "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{"
     "\"user\":\"alice\",\"uid\":\"42\",\"groups\":[\"dev\"],\"extra\":{\"scopes\":[\"a\"]},"
     "\"resourceAttributes\":{\"verb\":\"get\",\"resource\":\"secrets\"}}}"},
    {{"get", "", "pods", "log", "p1", NULL, NULL},
     "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{"
     "\"user\":\"alice\",\"uid\":\"42\",\"groups\":[\"dev\"],\"extra\":{\"scopes\":[\"a\"]},"
     "\"resourceAttributes\":{\"verb\":\"get\",\"resource\":\"pods\",\"subresource\":\"log\","
     "\"name\":\"p1\"}}}"},
    {{"use", "thurkube.thurbeen.eu", "clusteraccesses", NULL, "ca", "agents", NULL},
     "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{"
     "\"user\":\"alice\",\"uid\":\"42\",\"groups\":[\"dev\"],\"extra\":{\"scopes\":[\"a\"]},"
     "\"resourceAttributes\":{\"namespace\":\"agents\",\"verb\":\"use\",\"group\":"
     "\"thurkube.thurbeen.eu\",\"resource\":\"clusteraccesses\",\"name\":\"ca\"}}}"},
    {{"*", "*", "*", NULL, NULL, NULL, NULL},
     "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{"
     "\"user\":\"alice\",\"uid\":\"42\",\"groups\":[\"dev\"],\"extra\":{\"scopes\":[\"a\"]},"
     "\"resourceAttributes\":{\"verb\":\"*\",\"group\":\"*\",\"resource\":\"*\"}}}"},
    {{"get", NULL, NULL, NULL, NULL, NULL, "/healthz"},
     "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{"
     "\"user\":\"alice\",\"uid\":\"42\",\"groups\":[\"dev\"],\"extra\":{\"scopes\":[\"a\"]},"
     "\"nonResourceAttributes\":{\"path\":\"/healthz\",\"verb\":\"get\"}}}"},
};

START_TEST(test_sar_body)
{
	struct fielderrs errs = {0};
	struct admission_request req = parse_req(REVIEW("AgentJob", "DELETE", "\"x\":1"), &errs);
	json_object *sar = access_sar_new(&req, &sar_cases[_i].at);

	ck_assert_ptr_nonnull(sar);
	ck_assert_str_eq(json_object_to_json_string_ext(sar, JSON_C_TO_STRING_PLAIN |
	                                                         JSON_C_TO_STRING_NOSLASHESCAPE),
	                 sar_cases[_i].want);
	json_object_put(sar);
	admission_request_free(&req);
	fielderrs_free(&errs);
}
END_TEST

START_TEST(test_sar_allowed)
{
	static const struct {
		const char *json;
		int want;
	} t[] = {
	    {"{\"status\":{\"allowed\":true}}", 1},
	    {"{\"status\":{\"allowed\":false}}", 0},
	    {"{\"status\":{\"allowed\":false,\"denied\":true}}", 0},
	    {"{\"status\":{\"evaluationError\":\"x\"}}", 0},
	    {"{\"status\":{\"allowed\":\"true\"}}", 0},
	    {"{\"spec\":{}}", -EPROTO},
	    {"{\"status\":[]}", -EPROTO},
	};
	json_object *o = json_tokener_parse(t[_i].json);

	ck_assert_int_eq(access_sar_allowed(o), t[_i].want);
	json_object_put(o);
}
END_TEST

/* A client whose API server does not listen: every question fails. */
static struct kube_client *dead_client(struct kube_config **cfg)
{
	static const char kc[] =
	    "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
	    "clusters:\n- name: k\n  cluster:\n    server: https://127.0.0.1:1\n"
	    "contexts:\n- name: c\n  context: {cluster: k, user: u}\n"
	    "users:\n- name: u\n  user: {token: t}\n";
	struct buf err = BUF_INIT(1024);
	struct kube_client *c = NULL;

	ck_assert_int_eq(kubecfg_parse(kc, strlen(kc), "/tmp", cfg, &err), 0);
	ck_assert_int_eq(kube_client_new(*cfg, "test", 1000, &c), 0);
	buf_free(&err);
	return c;
}

static const struct {
	const char *body;
	int64_t budget;
	size_t denials;
	const char *first; /* rendering of the first denial */
} closed_cases[] = {
    /* Escalation guard: fail closed, one denial naming why. */
    {REVIEW("ClusterAccess", "CREATE",
            "\"object\":{\"spec\":{\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
            "\"resources\":[\"secrets\"]}]}}"),
     1000, 1, "spec.rules[0]: Forbidden: cannot verify the permissions of user \"alice\": "},
    {REVIEW("ClusterAccess", "CREATE",
            "\"object\":{\"spec\":{\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
            "\"resources\":[\"secrets\"]}]}}"),
     0, 1,
     "spec.rules[0]: Forbidden: cannot verify the permissions of user \"alice\": the API "
     "server did not answer within 0 ms"},
    /* Unchanged rules on UPDATE ask nothing. */
    {REVIEW("ClusterAccess", "UPDATE",
            "\"object\":{\"spec\":{\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
            "\"resources\":[\"secrets\"]}]}},\"oldObject\":{\"metadata\":{\"finalizers\":[\"f\"]},"
            "\"spec\":{\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":"
            "[\"secrets\"]}]}}"),
     1000, 0, NULL},
    /* use: set on CREATE must be checked; fails closed. */
    {REVIEW("AgentJob", "CREATE", "\"object\":{\"spec\":{\"clusterAccessRef\":\"ca\"}}"), 1000, 1,
     "spec.clusterAccessRef: Forbidden: cannot verify the permissions of user \"alice\": "},
    /* use: unchanged on UPDATE is not asked again; reference lookups that
     * fail are no denial. */
    {REVIEW("AgentJob", "UPDATE",
            "\"object\":{\"spec\":{\"clusterAccessRef\":\"ca\",\"runtimeRef\":\"r\"}},"
            "\"oldObject\":{\"spec\":{\"clusterAccessRef\":\"ca\"}}"),
     1000, 0, NULL},
    /* Other kinds need no cluster check. */
    {REVIEW("AgentRole", "CREATE", "\"object\":{\"spec\":{}}"), 1000, 0, NULL},
};

START_TEST(test_fail_closed)
{
	struct kube_config *cfg = NULL;
	struct kube_client *kc = dead_client(&cfg);
	struct access *a = access_new(kc);
	struct fielderrs errs = {0}, denials = {0};
	struct strlist warnings = {0};
	struct admission_request req = parse_req(closed_cases[_i].body, &errs);
	struct buf line = BUF_INIT(4096);

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(access_check(a, &req, closed_cases[_i].budget, &denials, &warnings), 0);
	ck_assert_int_eq(denials.n, closed_cases[_i].denials);
	ck_assert_int_eq(warnings.n, 0);
	if (closed_cases[_i].first) {
		ck_assert_int_eq(fielderr_render(&denials.v[0], &line), 0);
		ck_assert_msg(
		    strncmp(line.data, closed_cases[_i].first, strlen(closed_cases[_i].first)) == 0,
		    "got %s", line.data);
	}
	buf_free(&line);
	strlist_free(&warnings);
	fielderrs_free(&denials);
	fielderrs_free(&errs);
	admission_request_free(&req);
	access_free(a);
	kube_client_free(kc);
	kubecfg_free(cfg);
}
END_TEST

static Suite *access_suite(void)
{
	Suite *s = suite_create("wh_access");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_sar_body, 0, (int)TK_ARRAY_LEN(sar_cases));
	tcase_add_loop_test(tc, test_sar_allowed, 0, 7);
	tcase_add_loop_test(tc, test_fail_closed, 0, (int)TK_ARRAY_LEN(closed_cases));
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(access_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* test_wh_access.c - SubjectAccessReview bodies and answers, the pure
 * decisions of the cluster checks (spec changed, new Secret references,
 * AgentJobs that run an object with a ClusterAccess, the finalizer guard,
 * the env names thurkube sets,
 * the --no-cluster-checks verdicts), and the fail-closed behaviour when
 * the API server cannot be reached. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include <json-c/json.h>

#include "../../webhook/access.h"
#include "kube.h"
#include "kubecfg.h"
#include "names.h"
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

/* Sixteen distinct JSON strings p0..p15. */
#define SIXTEEN(p)                                                                                 \
	"\"" p "0\",\"" p "1\",\"" p "2\",\"" p "3\",\"" p "4\",\"" p "5\",\"" p "6\",\"" p        \
	"7\",\"" p "8\",\"" p "9\",\"" p "10\",\"" p "11\",\"" p "12\",\"" p "13\",\"" p           \
	"14\",\"" p "15\""

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
    /* More questions than TK_MAX_ACCESS_QUESTIONS (4 x 16 x 16 + 1): none is asked. */
    {REVIEW("ClusterAccess", "CREATE",
            "\"object\":{\"spec\":{\"rules\":[{\"verbs\":[\"get\",\"list\",\"watch\","
            "\"create\"],\"apiGroups\":[" SIXTEEN("g") "],\"resources\":[" SIXTEEN(
                "r") "]},"
                     "{\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/x\"]}]}}"),
     1000, 1, "spec.rules: Too many: 1025: must need at most 1024 access checks"},
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
    /* use: any spec change of a cluster-access AgentJob asks again. */
    {REVIEW("AgentJob", "UPDATE",
            "\"object\":{\"spec\":{\"clusterAccessRef\":\"ca\",\"prompt\":\"evil\"}},"
            "\"oldObject\":{\"spec\":{\"clusterAccessRef\":\"ca\",\"prompt\":\"p\"}}"),
     1000, 1, "spec.clusterAccessRef: Forbidden: cannot verify the permissions of user "},
    /* use: a metadata-only update asks nothing; reference lookups that
     * fail are no denial. */
    {REVIEW("AgentJob", "UPDATE",
            "\"object\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{"
            "\"clusterAccessRef\":\"ca\",\"runtimeRef\":\"r\"}},"
            "\"oldObject\":{\"spec\":{\"clusterAccessRef\":\"ca\",\"runtimeRef\":\"r\"}}"),
     1000, 0, NULL},
    /* A referenced kind: the LIST of AgentJobs fails closed. */
    {REVIEW("AgentRole", "CREATE", "\"object\":{\"metadata\":{\"name\":\"role\"},\"spec\":{}}"),
     1000, 1,
     "spec: Forbidden: cannot verify the permissions of user \"alice\": cannot list the "
     "AgentJobs of namespace \"agents\" that may run AgentRole \"role\": "},
    {REVIEW("AgentRuntime", "UPDATE",
            "\"object\":{\"metadata\":{\"name\":\"rt\"},\"spec\":{\"image\":\"b\"}},"
            "\"oldObject\":{\"metadata\":{\"name\":\"rt\"},\"spec\":{\"image\":\"a\"}}"),
     0, 1,
     "spec: Forbidden: cannot verify the permissions of user \"alice\": the API server did "
     "not answer within 0 ms"},
    /* ... a metadata-only update of one makes no call. */
    {REVIEW("AgentRuntime", "UPDATE",
            "\"object\":{\"metadata\":{\"name\":\"rt\",\"labels\":{\"a\":\"b\"}},"
            "\"spec\":{\"image\":\"a\"}},"
            "\"oldObject\":{\"metadata\":{\"name\":\"rt\"},\"spec\":{\"image\":\"a\"}}"),
     1000, 0, NULL},
    /* A Secret reference: the SAR fails closed at the reference's path. */
    {REVIEW("AgentJob", "CREATE",
            "\"object\":{\"spec\":{\"envFrom\":[{\"secretRef\":{\"name\":\"db\"}}]}}"),
     1000, 1, "spec.envFrom[0].secretRef.name: Forbidden: cannot verify the permissions of "},
    /* ... an UPDATE that keeps the same Secret asks nothing. */
    {REVIEW("AgentAuth", "UPDATE",
            "\"object\":{\"spec\":{\"secretRef\":{\"name\":\"s\",\"key\":\"k2\"}}},"
            "\"oldObject\":{\"metadata\":{\"labels\":{}},\"spec\":{\"secretRef\":{"
            "\"name\":\"s\",\"key\":\"k\"}}}"),
     1000, 0, NULL},
    /* Env guard: a Repository that cannot be read may set GH_TOKEN. */
    {REVIEW("AgentJob", "CREATE",
            "\"object\":{\"spec\":{\"repositoryRefs\":[\"r\"],\"env\":[{\"name\":\"GH_TOKEN\","
            "\"value\":\"t\"}]}}"),
     1000, 1,
     "spec.env[0].name: Invalid value: \"GH_TOKEN\": cannot verify that thurkube does not set "
     "it: Repository \"r\" could not be read"},
    /* ... also when the budget is spent before the GET. */
    {REVIEW("AgentJob", "CREATE",
            "\"object\":{\"spec\":{\"repositoryRefs\":[\"r\"],\"env\":[{\"name\":"
            "\"REPO_TOKEN_0\"}]}}"),
     0, 1, "spec.env[0].name: Invalid value: \"REPO_TOKEN_0\": cannot verify that thurkube "},
    /* ... an unreadable AgentRuntime may set any name (its authEnvVar). */
    {REVIEW("AgentJob", "CREATE",
            "\"object\":{\"spec\":{\"runtimeRef\":\"rt\",\"env\":[{\"name\":\"A\"}]}}"),
     1000, 1,
     "spec.env[0].name: Invalid value: \"A\": cannot verify that thurkube does not set it: "
     "AgentRuntime \"rt\" could not be read"},
    /* ... a name no Repository could set needs no lookup to pass. */
    {REVIEW("AgentJob", "CREATE",
            "\"object\":{\"spec\":{\"repositoryRefs\":[\"r\"],\"env\":[{\"name\":"
            "\"REPO_TOKEN_1\"},{\"name\":\"GH_TOKENS\"}]}}"),
     1000, 0, NULL},
    /* ... a metadata-only update is not checked. */
    {REVIEW("AgentJob", "UPDATE",
            "\"object\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{"
            "\"repositoryRefs\":[\"r\"],\"env\":[{\"name\":\"GH_TOKEN\"}]}},"
            "\"oldObject\":{\"spec\":{\"repositoryRefs\":[\"r\"],\"env\":[{\"name\":"
            "\"GH_TOKEN\"}]}}"),
     1000, 0, NULL},
    /* Finalizer guard: the child cannot be looked up, so deny. */
    {REVIEW("AgentJob", "UPDATE",
            "\"name\":\"aj\",\"object\":{\"metadata\":{\"name\":\"aj\"},\"spec\":{}},"
            "\"oldObject\":{\"metadata\":{\"name\":\"aj\",\"finalizers\":[\"" NAMES_FINALIZER
            "\"]},\"spec\":{}}"),
     1000, 1, "metadata.finalizers: Forbidden: the finalizer \"" NAMES_FINALIZER "\" may only"},
};

START_TEST(test_fail_closed)
{
	struct kube_config *cfg = NULL;
	struct kube_client *kc = dead_client(&cfg);
	struct access *a = access_new(kc, ACCESS_DEFAULT_CONTROLLER_USER);
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

/* A review of kind with object and oldObject (UPDATE when old is set). */
static struct admission_request review(const char *kind, const char *user, const char *obj,
                                       const char *old)
{
	struct fielderrs errs = {0};
	struct buf b = BUF_INIT(1u << 20);
	struct admission_request req;

	ck_assert_int_eq(
	    buf_printf(&b,
	               "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
	               "\"request\":{\"uid\":\"u\",\"kind\":{\"group\":\"thurkube.thurbeen.eu\","
	               "\"version\":\"v1alpha1\",\"kind\":\"%s\"},\"operation\":\"%s\","
	               "\"namespace\":\"sec\",\"userInfo\":{\"username\":\"%s\"},"
	               "\"object\":%s%s%s}}",
	               kind, old ? "UPDATE" : "CREATE", user, obj, old ? ",\"oldObject\":" : "",
	               old ? old : ""),
	    0);
	req = parse_req(b.data, &errs);
	ck_assert_int_eq(errs.n, 0);
	fielderrs_free(&errs);
	buf_free(&b);
	return req;
}

/* Any difference in the spec is a change; metadata is not. */
static const struct {
	const char *obj, *old; /* old NULL: CREATE */
	bool want;
} changed_cases[] = {
    {"{\"spec\":{\"prompt\":\"a\"}}", NULL, true},
    {"{\"spec\":{\"prompt\":\"a\"}}", "{\"spec\":{\"prompt\":\"a\"}}", false},
    {"{\"metadata\":{\"labels\":{\"t\":\"a\"},\"finalizers\":[]},\"spec\":{\"prompt\":\"a\"}}",
     "{\"metadata\":{\"finalizers\":[\"f\"]},\"spec\":{\"prompt\":\"a\"}}", false},
    {"{\"spec\":{\"prompt\":\"b\"}}", "{\"spec\":{\"prompt\":\"a\"}}", true},
    {"{\"spec\":{\"prompt\":\"a\",\"env\":[{\"name\":\"X\",\"value\":\"1\"}]}}",
     "{\"spec\":{\"prompt\":\"a\"}}", true},
    {"{\"spec\":{\"env\":[{\"name\":\"X\",\"value\":\"2\"}]}}",
     "{\"spec\":{\"env\":[{\"name\":\"X\",\"value\":\"1\"}]}}", true},
    {"{\"spec\":{\"prompt\":\"a\",\"model\":\"m\"}}",
     "{\"spec\":{\"model\":\"m\",\"prompt\":\"a\"}}", false},
    {"{\"spec\":{}}", "{}", true},
    {"{}", "{}", false},
};

START_TEST(test_spec_changed)
{
	struct admission_request req =
	    review("AgentJob", "editor", changed_cases[_i].obj, changed_cases[_i].old);

	ck_assert_int_eq(admission_spec_changed(&req), changed_cases[_i].want);
	admission_request_free(&req);
}
END_TEST

/* Secret references needing "get": "name@path;..." in first-reference order. */
static const struct {
	const char *kind, *obj, *old;
	const char *want;
} secret_cases[] = {
    {"AgentJob",
     "{\"spec\":{\"env\":[{\"name\":\"A\",\"value\":\"x\"},{\"name\":\"B\",\"valueFrom\":{"
     "\"secretKeyRef\":{\"name\":\"db\",\"key\":\"k\"}}},{\"name\":\"C\",\"valueFrom\":{"
     "\"configMapKeyRef\":{\"name\":\"cm\",\"key\":\"k\"}}}],\"envFrom\":[{\"configMapRef\":{"
     "\"name\":\"cm\"}},{\"secretRef\":{\"name\":\"gh\"}},{\"secretRef\":{\"name\":\"db\"}}],"
     "\"imagePullSecrets\":[{\"name\":\"pull\"},{\"name\":\"gh\"}]}}",
     NULL,
     "db@spec.env[1].valueFrom.secretKeyRef.name;gh@spec.envFrom[1].secretRef.name;"
     "pull@spec.imagePullSecrets[0].name;"},
    /* UPDATE: only the names the old object did not reference. */
    {"AgentJob",
     "{\"spec\":{\"envFrom\":[{\"secretRef\":{\"name\":\"old\"}},{\"secretRef\":{\"name\":"
     "\"new\"}}],\"imagePullSecrets\":[{\"name\":\"pull\"}]}}",
     "{\"spec\":{\"env\":[{\"name\":\"A\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"old\","
     "\"key\":\"k\"}}}],\"imagePullSecrets\":[{\"name\":\"pull\"}]}}",
     "new@spec.envFrom[1].secretRef.name;"},
    {"AgentJob", "{\"spec\":{\"envFrom\":[{\"secretRef\":{\"name\":\"s\"}}]}}",
     "{\"spec\":{\"envFrom\":[{\"secretRef\":{\"name\":\"s\"}}]}}", ""},
    {"AgentJob", "{\"spec\":{\"envFrom\":[{\"secretRef\":{\"name\":\"\"}}]}}", NULL, ""},
    /* An AgentJob's authRef is not a Secret reference of its own. */
    {"AgentJob", "{\"spec\":{\"authRef\":\"auth\",\"repositoryRefs\":[\"r\"]}}", NULL, ""},
    {"AgentAuth", "{\"spec\":{\"secretRef\":{\"name\":\"db\",\"key\":\"k\"}}}", NULL,
     "db@spec.secretRef.name;"},
    {"AgentAuth", "{\"spec\":{\"secretRef\":{\"name\":\"db\",\"key\":\"k\"}}}",
     "{\"spec\":{\"secretRef\":{\"name\":\"tok\",\"key\":\"k\"}}}", "db@spec.secretRef.name;"},
    {"Repository",
     "{\"spec\":{\"owner\":\"a\",\"name\":\"b\",\"tokenSecretRef\":{\"name\":\"db\",\"key\":"
     "\"k\"}}}",
     NULL, "db@spec.tokenSecretRef.name;"},
    {"McpServer",
     "{\"spec\":{\"command\":\"x\",\"env\":[{\"name\":\"P\",\"valueFrom\":{\"secretKeyRef\":{"
     "\"name\":\"db\",\"key\":\"k\"}}}]}}",
     NULL, "db@spec.env[0].valueFrom.secretKeyRef.name;"},
    {"AgentRuntime",
     "{\"spec\":{\"image\":\"i\",\"env\":[{\"valueFrom\":{\"secretKeyRef\":{"
     "\"name\":\"db\"}}}]}}",
     NULL, ""},
};

START_TEST(test_new_secrets)
{
	struct admission_request req =
	    review(secret_cases[_i].kind, "editor", secret_cases[_i].obj, secret_cases[_i].old);
	struct strlist names = {0}, paths = {0};
	struct buf got = BUF_INIT(4096);
	size_t i;

	ck_assert_int_eq(access_new_secrets(&req, &names, &paths), 0);
	ck_assert_int_eq(names.n, paths.n);
	ck_assert_int_eq(buf_puts(&got, ""), 0);
	for (i = 0; i < names.n; i++)
		ck_assert_int_eq(buf_printf(&got, "%s@%s;", names.v[i], paths.v[i]), 0);
	ck_assert_str_eq(got.data, secret_cases[_i].want);
	buf_free(&got);
	strlist_free(&names);
	strlist_free(&paths);
	admission_request_free(&req);
}
END_TEST

/* Many references of one name: found once, at its first path. */
START_TEST(test_new_secrets_many)
{
	struct buf obj = BUF_INIT(1u << 20);
	struct admission_request req;
	struct strlist names = {0}, paths = {0};
	int i;

	ck_assert_int_eq(buf_puts(&obj, "{\"spec\":{\"envFrom\":["), 0);
	for (i = 0; i < 2000; i++)
		ck_assert_int_eq(buf_printf(&obj, "%s{\"secretRef\":{\"name\":\"s%d\"}}",
		                            i ? "," : "", i % 7 == 3 ? 3 : 1000 - i),
		                 0);
	ck_assert_int_eq(buf_puts(&obj, "]}}"), 0);
	req = review("AgentJob", "editor", obj.data, NULL);
	ck_assert_int_eq(access_new_secrets(&req, &names, &paths), 0);
	/* 1000-i for the 1714 i != 3 mod 7 are distinct, plus s3. */
	ck_assert_int_eq(names.n, 1715);
	ck_assert_str_eq(names.v[0], "s1000");
	ck_assert_str_eq(names.v[3], "s3");
	ck_assert_str_eq(paths.v[3], "spec.envFrom[3].secretRef.name");
	for (i = 1; i < (int)names.n; i++)
		ck_assert_str_ne(names.v[i - 1], names.v[i]);
	buf_free(&obj);
	strlist_free(&names);
	strlist_free(&paths);
	admission_request_free(&req);
}
END_TEST

/* The AgentJobs of a LIST that run an object with a ClusterAccess: the
 * items of a LIST, the last two malformed. */
static const char users_items[] =
    "[{\"metadata\":{\"name\":\"victim\"},\"spec\":{\"runtimeRef\":\"rt\",\"authRef\":"
    "\"auth\",\"roleRef\":\"role\",\"skillRef\":\"skill\",\"mcpServerRefs\":[\"m0\","
    "\"mcp\"],\"repositoryRefs\":[\"repo\"],\"clusterAccessRef\":\"ops\"}},"
    "{\"metadata\":{\"name\":\"free\"},\"spec\":{\"runtimeRef\":\"rt\",\"authRef\":"
    "\"auth\",\"roleRef\":\"role\",\"mcpServerRefs\":[\"mcp\"]}},"
    "{\"metadata\":{\"name\":\"empty\"},\"spec\":{\"runtimeRef\":\"rt\",\"authRef\":"
    "\"auth\",\"clusterAccessRef\":\"\"}},"
    "{\"metadata\":{\"name\":\"b2\"},\"spec\":{\"runtimeRef\":\"rt\",\"authRef\":"
    "\"a2\",\"clusterAccessRef\":\"ops\"}},"
    "{\"metadata\":{\"name\":\"a1\"},\"spec\":{\"runtimeRef\":\"rt\",\"roleRef\":"
    "\"role\",\"clusterAccessRef\":\"admin\"}},"
    "{\"spec\":{\"runtimeRef\":\"rt\",\"clusterAccessRef\":\"ops\"}},"
    "42]";

static const struct {
	const char *kind, *name;
	const char *want; /* "job@ca;..." */
} users_cases[] = {
    {"AgentRuntime", "rt", "a1@admin;b2@ops;victim@ops;"},
    {"AgentRuntime", "rt-free", ""},
    {"AgentAuth", "auth", "victim@ops;"},
    {"AgentRole", "role", "a1@admin;victim@ops;"},
    {"AgentSkill", "skill", "victim@ops;"},
    {"McpServer", "mcp", "victim@ops;"},
    {"McpServer", "m", ""},
    {"Repository", "repo", "victim@ops;"},
    {"AgentRuntime", "auth", ""},
    {"ClusterAccess", "ops", ""},
    {"AgentJob", "rt", ""},
};

START_TEST(test_users_of)
{
	json_object *items = json_tokener_parse(users_items);
	struct strlist jobs = {0}, cas = {0};
	struct buf got = BUF_INIT(4096);
	enum tk_kind k = TK_KIND_COUNT;
	size_t i;

	ck_assert_ptr_nonnull(items);
	for (i = 0; i < TK_KIND_COUNT; i++)
		if (strcmp(schema_kind_info((enum tk_kind)i)->kind, users_cases[_i].kind) == 0)
			k = (enum tk_kind)i;
	ck_assert_int_ne(k, TK_KIND_COUNT);
	ck_assert_int_eq(access_users_of(items, k, users_cases[_i].name, &jobs, &cas), 0);
	ck_assert_int_eq(jobs.n, cas.n);
	ck_assert_int_eq(buf_puts(&got, ""), 0);
	for (i = 0; i < jobs.n; i++)
		ck_assert_int_eq(buf_printf(&got, "%s@%s;", jobs.v[i], cas.v[i]), 0);
	ck_assert_str_eq(got.data, users_cases[_i].want);
	buf_free(&got);
	strlist_free(&jobs);
	strlist_free(&cas);
	json_object_put(items);
}
END_TEST

/* The env guard over looked-up objects: "-" a Repository that could not
 * be read, "" one without a token, "t" one with a token. */
#define RT_AUTH "{\"spec\":{\"authEnvVar\":\"CLAUDE_TOKEN\"}}"
#define REPO_T  "{\"spec\":{\"tokenSecretRef\":{\"name\":\"s\",\"key\":\"k\"}}}"
#define REPO_N  "{\"spec\":{\"owner\":\"o\",\"name\":\"n\"}}"

static const struct {
	const char *env;      /* JSON array of names */
	const char *repos[3]; /* NULL: fewer refs; "-": unknown */
	const char *runtime;  /* NULL: not looked up; "-": unknown */
	const char *want;     /* denials rendered, joined by "|" */
} env_cases[] = {
    /* No Repository has a token: GH_TOKEN and REPO_TOKEN_<N> pass. */
    {"[\"GH_TOKEN\",\"REPO_TOKEN_0\",\"REPO_TOKEN_1\"]", {REPO_N, REPO_N}, RT_AUTH, ""},
    {"[\"GH_TOKEN\"]", {NULL}, NULL, ""},
    /* The second Repository has one: GH_TOKEN and REPO_TOKEN_1 are its. */
    {"[\"A\",\"GH_TOKEN\",\"REPO_TOKEN_0\",\"REPO_TOKEN_1\",\"REPO_TOKEN_2\"]",
     {REPO_N, REPO_T},
     RT_AUTH,
     "spec.env[1].name: Invalid value: \"GH_TOKEN\": is set by thurkube from Repository "
     "\"r1\" (spec.tokenSecretRef); remove it here or remove the Repository's token|"
     "spec.env[3].name: Invalid value: \"REPO_TOKEN_1\": is set by thurkube from Repository "
     "\"r1\" (spec.tokenSecretRef); remove it here or remove the Repository's token"},
    /* GH_TOKEN comes from the first with a token, not the last. */
    {"[\"GH_TOKEN\"]",
     {REPO_T, REPO_T},
     NULL,
     "spec.env[0].name: Invalid value: \"GH_TOKEN\": is set by thurkube from Repository "
     "\"r0\" (spec.tokenSecretRef); remove it here or remove the Repository's token"},
    /* The AgentRuntime's authEnvVar. */
    {"[\"CLAUDE_TOKEN\",\"B\"]",
     {NULL},
     RT_AUTH,
     "spec.env[0].name: Invalid value: \"CLAUDE_TOKEN\": is set by thurkube from AgentRuntime "
     "\"rt\" (spec.authEnvVar); rename it here or change the AgentRuntime's authEnvVar"},
    /* An unreadable Repository: only the names it could set. */
    {"[\"B\",\"REPO_TOKEN_1\",\"REPO_TOKEN_0\"]",
     {REPO_N, "-"},
     RT_AUTH,
     "spec.env[1].name: Invalid value: \"REPO_TOKEN_1\": cannot verify that thurkube does not "
     "set it: Repository \"r1\" could not be read"},
    {"[\"B\"]",
     {NULL},
     "-",
     "spec.env[0].name: Invalid value: \"B\": cannot verify that thurkube does not set it: "
     "AgentRuntime \"rt\" could not be read"},
    /* REPO_TOKEN_01 is not a name the controller writes. */
    {"[\"REPO_TOKEN_01\"]", {REPO_T}, NULL, ""},
};

/* What the env guard learns of the referenced object json. */
static void learn(const char *json, struct access_ref_obj *r)
{
	json_object *obj = json_tokener_parse(json);

	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(access_ref_learn(obj, r), 0);
	json_object_put(obj);
}

START_TEST(test_env_conflicts)
{
	json_object *aj = json_object_new_object(), *spec = json_object_new_object();
	json_object *env = json_tokener_parse(env_cases[_i].env), *refs = json_object_new_array();
	struct access_ref_obj repos[3] = {{0}}, rt = {0};
	struct fielderrs denials = {0};
	struct buf got = BUF_INIT(1 << 16), line = BUF_INIT(4096);
	size_t i, n = 0;

	ck_assert_ptr_nonnull(env);
	for (; n < 3 && env_cases[_i].repos[n]; n++) {
		char name[8];

		snprintf(name, sizeof(name), "r%zu", n);
		json_object_array_add(refs, json_object_new_string(name));
		repos[n].unknown = strcmp(env_cases[_i].repos[n], "-") == 0;
		if (!repos[n].unknown)
			learn(env_cases[_i].repos[n], &repos[n]);
	}
	json_object_object_add(spec, "env", json_object_new_array());
	for (i = 0; i < json_object_array_length(env); i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "name",
		                       json_object_get(json_object_array_get_idx(env, i)));
		json_object_array_add(json_object_object_get(spec, "env"), e);
	}
	json_object_object_add(spec, "repositoryRefs", refs);
	json_object_object_add(spec, "runtimeRef", json_object_new_string("rt"));
	json_object_object_add(aj, "spec", spec);
	if (env_cases[_i].runtime) {
		rt.unknown = strcmp(env_cases[_i].runtime, "-") == 0;
		if (!rt.unknown)
			learn(env_cases[_i].runtime, &rt);
	}
	ck_assert_int_eq(
	    access_env_conflicts(aj, env_cases[_i].runtime ? &rt : NULL, repos, n, &denials), 0);
	ck_assert_int_eq(buf_puts(&got, ""), 0);
	for (i = 0; i < denials.n; i++) {
		buf_reset(&line);
		ck_assert_int_eq(fielderr_render(&denials.v[i], &line), 0);
		ck_assert_int_eq(buf_printf(&got, "%s%s", i ? "|" : "", line.data), 0);
	}
	ck_assert_str_eq(got.data, env_cases[_i].want);
	for (i = 0; i < n; i++)
		access_ref_obj_free(&repos[i]);
	access_ref_obj_free(&rt);
	json_object_put(env);
	json_object_put(aj);
	fielderrs_free(&denials);
	buf_free(&got);
	buf_free(&line);
}
END_TEST

#define CTL     ACCESS_DEFAULT_CONTROLLER_USER
#define WITH_F  "{\"metadata\":{\"finalizers\":[\"x\",\"" NAMES_FINALIZER "\"]},\"spec\":{}}"
#define WITHOUT "{\"metadata\":{\"finalizers\":[\"x\"]},\"spec\":{}}"

static const struct {
	const char *kind, *user, *obj, *old;
	bool want;
} fin_cases[] = {
    {"AgentJob", "owner", WITHOUT, WITH_F, true},
    {"ClusterAccess", "system:admin", "{\"metadata\":{},\"spec\":{}}", WITH_F, true},
    {"AgentJob", CTL, WITHOUT, WITH_F, false},
    {"AgentJob", "owner", WITH_F, WITH_F, false},
    {"AgentJob", "owner", WITH_F, WITHOUT, false},
    {"AgentJob", "owner", WITHOUT, NULL, false},
    {"AgentRuntime", "owner", WITHOUT, WITH_F, false},
};

START_TEST(test_finalizer_guarded)
{
	struct admission_request req =
	    review(fin_cases[_i].kind, fin_cases[_i].user, fin_cases[_i].obj, fin_cases[_i].old);

	ck_assert_int_eq(access_finalizer_guarded(&req, CTL), fin_cases[_i].want);
	admission_request_free(&req);
}
END_TEST

/* --no-cluster-checks: no client, cluster access denied, the rest passes. */
static const struct {
	const char *kind, *obj, *old;
	const char *first; /* NULL: allowed */
} nochecks_cases[] = {
    {"ClusterAccess", "{\"spec\":{\"rules\":[]}}", NULL,
     "spec: Forbidden: cluster access is "
     "disabled on this webhook "
     "(--no-cluster-checks)"},
    {"ClusterAccess", "{\"spec\":{\"rules\":[1]}}", "{\"spec\":{\"rules\":[]}}",
     "spec: Forbidden: cluster access is disabled on this webhook (--no-cluster-checks)"},
    {"ClusterAccess", "{\"metadata\":{\"finalizers\":[]},\"spec\":{\"rules\":[]}}",
     "{\"metadata\":{\"finalizers\":[\"" NAMES_FINALIZER "\"]},\"spec\":{\"rules\":[]}}", NULL},
    {"AgentJob", "{\"spec\":{\"clusterAccessRef\":\"ops\"}}", NULL,
     "spec.clusterAccessRef: Forbidden: cluster access is disabled on this webhook "
     "(--no-cluster-checks)"},
    {"AgentJob", "{\"spec\":{\"clusterAccessRef\":\"ops\",\"prompt\":\"b\"}}",
     "{\"spec\":{\"clusterAccessRef\":\"ops\",\"prompt\":\"a\"}}",
     "spec.clusterAccessRef: Forbidden: cluster access is disabled"},
    {"AgentJob", "{\"metadata\":{\"finalizers\":[]},\"spec\":{\"clusterAccessRef\":\"ops\"}}",
     "{\"metadata\":{\"finalizers\":[\"" NAMES_FINALIZER "\"]},\"spec\":{\"clusterAccessRef\":"
     "\"ops\"}}",
     NULL},
    {"AgentJob", "{\"spec\":{\"prompt\":\"b\"}}",
     "{\"spec\":{\"clusterAccessRef\":\"ops\",\"prompt\":\"a\"}}", NULL},
    {"AgentJob",
     "{\"spec\":{\"clusterAccessRef\":\"\",\"envFrom\":[{\"secretRef\":{\"name\":"
     "\"s\"}}]}}",
     NULL, NULL},
    {"AgentRuntime", "{\"spec\":{\"image\":\"i\"}}", NULL, NULL},
};

START_TEST(test_nochecks)
{
	struct access *a = access_new(NULL, CTL);
	struct admission_request req = review(nochecks_cases[_i].kind, "editor",
	                                      nochecks_cases[_i].obj, nochecks_cases[_i].old);
	struct fielderrs denials = {0};
	struct strlist warnings = {0};
	struct buf line = BUF_INIT(4096);

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(access_check(a, &req, 1000, &denials, &warnings), 0);
	ck_assert_int_eq(warnings.n, 0);
	if (!nochecks_cases[_i].first) {
		ck_assert_int_eq(denials.n, 0);
	} else {
		ck_assert_int_eq(denials.n, 1);
		ck_assert_int_eq(fielderr_render(&denials.v[0], &line), 0);
		ck_assert_msg(strncmp(line.data, nochecks_cases[_i].first,
		                      strlen(nochecks_cases[_i].first)) == 0,
		              "got %s", line.data);
	}
	buf_free(&line);
	strlist_free(&warnings);
	fielderrs_free(&denials);
	admission_request_free(&req);
	access_free(a);
}
END_TEST

static Suite *access_suite(void)
{
	Suite *s = suite_create("wh_access");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_sar_body, 0, (int)TK_ARRAY_LEN(sar_cases));
	tcase_add_loop_test(tc, test_sar_allowed, 0, 7);
	tcase_add_loop_test(tc, test_fail_closed, 0, (int)TK_ARRAY_LEN(closed_cases));
	tcase_add_loop_test(tc, test_spec_changed, 0, (int)TK_ARRAY_LEN(changed_cases));
	tcase_add_loop_test(tc, test_new_secrets, 0, (int)TK_ARRAY_LEN(secret_cases));
	tcase_add_test(tc, test_new_secrets_many);
	tcase_add_loop_test(tc, test_users_of, 0, (int)TK_ARRAY_LEN(users_cases));
	tcase_add_loop_test(tc, test_finalizer_guarded, 0, (int)TK_ARRAY_LEN(fin_cases));
	tcase_add_loop_test(tc, test_env_conflicts, 0, (int)TK_ARRAY_LEN(env_cases));
	tcase_add_loop_test(tc, test_nochecks, 0, (int)TK_ARRAY_LEN(nochecks_cases));
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

/* test_wh_admission.c - AdmissionReview parsing, decisions and the exact
 * response shapes, for every class of bad input and the happy paths. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include <json-c/json.h>

#include "../../webhook/admission.h"
#include "jsonpatch.h"
#include "limits.h"
#include "util.h"

#define HDR      "\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\""
#define RQ(body) "{" HDR ",\"request\":{\"uid\":\"u-1\"," body "}}"
#define GVK(k)                                                                                     \
	"\"kind\":{\"group\":\"thurkube.thurbeen.eu\",\"version\":\"v1alpha1\",\"kind\":\"" k "\"" \
	"}"
#define USER    "\"userInfo\":{\"username\":\"alice\",\"groups\":[\"dev\"]}"
#define META(n) "\"metadata\":{\"name\":\"" n "\",\"namespace\":\"agents\"}"
#define AJ_SPEC                                                                                    \
	"\"spec\":{\"schedule\":\"0 */6 * * *\",\"timezone\":\"Europe/Paris\","                    \
	"\"runtimeRef\":\"claude-code\",\"authRef\":\"claude-oauth\",\"roleRef\":\"default\","     \
	"\"repositoryRefs\":[\"thurkube\"],"                                                       \
	"\"prompt\":\"Fix any failing PRs on this repository.\",\"persist\":true}"
/* The quickstart AgentJob of the thurkube README. */
#define AJ_OK                                                                                      \
	"{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\",\"kind\":\"AgentJob\"," META(           \
	    "pr-fixer") "," AJ_SPEC "}"
#define AJ_BAD                                                                                     \
	"{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\",\"kind\":\"AgentJob\"," META(           \
	    "bad") ",\"spec\":{\"schedule\":\"61 * * * "                                           \
	           "*\",\"runtimeRef\":\"r\",\"authRef\":\"a\","                                   \
	           "\"roleRef\":\"x\",\"prompt\":\"p\"}}"
#define ROLE_HEAD "{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\",\"kind\":\"AgentRole\","
#define ROLE_SPEC ",\"spec\":{\"allowedTools\":[\"Bash\"]}}"
#define ROLE(by)                                                                                   \
	ROLE_HEAD "\"metadata\":{\"name\":\"r\",\"namespace\":\"agents\",\"annotations\":{"        \
	          "\"thurkube.thurbeen.eu/created-by\":\"" by "\"}}" ROLE_SPEC
#define ROLE_PLAIN        ROLE_HEAD META("r") ROLE_SPEC
#define CREATE(kind, obj) RQ(GVK(kind) ",\"operation\":\"CREATE\"," USER ",\"object\":" obj)

#define ALLOW_U1 "{" HDR ",\"response\":{\"uid\":\"u-1\",\"allowed\":true}}"

/* Exact strings: a ClusterAccess whose rule names resources. */
#define CA_RES(res)                                                                                \
	"{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\",\"kind\":\"ClusterAccess\"," META(      \
	    "ca") ",\"spec\":{\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[" res                \
	          "],\"verbs\":[\"get\"]}]}}"
#define ROLE_LABELS(labels)                                                                        \
	ROLE_HEAD "\"metadata\":{\"name\":\"r\",\"namespace\":\"agents\",\"labels\":{" labels      \
	          "}}" ROLE_SPEC
#define MCP_URL(url)                                                                               \
	"{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\",\"kind\":\"McpServer\"," META(          \
	    "leak") ",\"spec\":{\"url\":\"" url "\"}}"

static const struct {
	const char *name;
	enum admission_endpoint ep;
	const char *body;
	int http;            /* expected HTTP status */
	int allowed;         /* -1: not a review */
	int code;            /* status.code when denied */
	const char *reason;  /* status.reason */
	const char *message; /* exact status.message, or the plain body's line */
} cases[] = {
    /* Not a readable review: plain 400. */
    {"not json", ADM_VALIDATE, "x", 400, -1, 0, NULL,
     "request body is not valid JSON: unexpected character"},
    {"empty", ADM_VALIDATE, "", 400, -1, 0, NULL,
     "request body is not valid JSON: unexpected end of input"},
    {"truncated", ADM_VALIDATE, "{\"request\":{\"uid\":\"u", 400, -1, 0, NULL,
     "request body is not valid JSON: unexpected end of input"},
    {"trailing", ADM_VALIDATE, RQ("\"x\":1") " x", 400, -1, 0, NULL,
     "request body is not valid JSON: trailing data"},
    {"array", ADM_VALIDATE, "[]", 400, -1, 0, NULL,
     "request: Required value: not an AdmissionReview"},
    {"no request", ADM_VALIDATE, "{" HDR "}", 400, -1, 0, NULL,
     "request: Required value: not an AdmissionReview"},
    {"no uid", ADM_MUTATE, "{" HDR ",\"request\":{\"operation\":\"CREATE\"}}", 400, -1, 0, NULL,
     "request.uid: Required value"},
    {"uid not string", ADM_VALIDATE, "{" HDR ",\"request\":{\"uid\":7}}", 400, -1, 0, NULL,
     "request.uid: Required value"},
    /* Malformed with a uid: a denial with code 400. */
    {"wrong apiVersion", ADM_VALIDATE,
     "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"uid\":\"u-1\"," GVK("AgentJob") ",\"operation\":\"DELETE\"}}",
     200, 0, 400, "BadRequest",
     "apiVersion: Unsupported value: \"admission.k8s.io/v1beta1\": supported values: "
     "\"admission.k8s.io/v1\""},
    {"wrong kind", ADM_VALIDATE,
     "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Review\",\"request\":{"
     "\"uid\":\"u-1\"," GVK("AgentJob") ",\"operation\":\"DELETE\"}}",
     200, 0, 400, "BadRequest",
     "kind: Unsupported value: \"Review\": supported values: \"AdmissionReview\""},
    {"missing envelope", ADM_VALIDATE,
     "{\"request\":{\"uid\":\"u-1\"," GVK("AgentJob") ",\"operation\":\"DELETE\"}}", 200, 0, 400,
     "BadRequest", "[apiVersion: Required value, kind: Required value]"},
    {"unknown kind", ADM_VALIDATE,
     RQ("\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"operation\":"
        "\"DELETE\""),
     200, 0, 400, "BadRequest",
     "[request.kind.group: Unsupported value: \"\": supported values: \"thurkube.thurbeen.eu\", "
     "request.kind.version: Unsupported value: \"v1\": supported values: \"v1alpha1\", "
     "request.kind.kind: Unsupported value: \"Pod\": supported values: \"AgentJob\", "
     "\"AgentRuntime\", \"AgentAuth\", \"AgentRole\", \"AgentSkill\", \"McpServer\", "
     "\"Repository\", \"ClusterAccess\"]"},
    {"unknown kind in our group", ADM_MUTATE, RQ(GVK("AgentThing") ",\"operation\":\"CREATE\""),
     200, 0, 400, "BadRequest",
     "[request.kind.kind: Unsupported value: \"AgentThing\": supported values: \"AgentJob\", "
     "\"AgentRuntime\", \"AgentAuth\", \"AgentRole\", \"AgentSkill\", \"McpServer\", "
     "\"Repository\", \"ClusterAccess\", request.object: Required value]"},
    {"no kind", ADM_VALIDATE, RQ("\"operation\":\"DELETE\""), 200, 0, 400, "BadRequest",
     "request.kind: Required value"},
    {"no operation", ADM_VALIDATE, RQ(GVK("AgentJob")), 200, 0, 400, "BadRequest",
     "request.operation: Required value"},
    {"bad operation", ADM_VALIDATE, RQ(GVK("AgentJob") ",\"operation\":\"PATCH\""), 200, 0, 400,
     "BadRequest",
     "request.operation: Unsupported value: \"PATCH\": supported values: \"CREATE\", "
     "\"UPDATE\", \"DELETE\", \"CONNECT\""},
    {"create without object", ADM_VALIDATE, RQ(GVK("AgentJob") ",\"operation\":\"CREATE\""), 200, 0,
     400, "BadRequest", "request.object: Required value"},
    {"create with null object", ADM_MUTATE,
     RQ(GVK("AgentJob") ",\"operation\":\"CREATE\",\"object\":null"), 200, 0, 400, "BadRequest",
     "request.object: Required value"},
    {"object not an object", ADM_VALIDATE,
     RQ(GVK("AgentJob") ",\"operation\":\"CREATE\",\"object\":\"x\""), 200, 0, 400, "BadRequest",
     "request.object: Invalid value: must be an object"},
    {"update without oldObject", ADM_VALIDATE,
     RQ(GVK("AgentJob") ",\"operation\":\"UPDATE\",\"object\":" AJ_OK), 200, 0, 400, "BadRequest",
     "request.oldObject: Required value"},
    {"groups not an array", ADM_VALIDATE,
     RQ(GVK("AgentJob") ",\"operation\":\"DELETE\",\"userInfo\":{\"groups\":\"x\"}"), 200, 0, 400,
     "BadRequest", "request.userInfo.groups: Invalid value: must be an array of strings"},
    {"userInfo not an object", ADM_VALIDATE,
     RQ(GVK("AgentJob") ",\"operation\":\"DELETE\",\"userInfo\":[]"), 200, 0, 400, "BadRequest",
     "request.userInfo: Invalid value: must be an object"},
    {"dryRun not bool", ADM_VALIDATE,
     RQ(GVK("AgentJob") ",\"operation\":\"DELETE\",\"dryRun\":\"yes\""), 200, 0, 400, "BadRequest",
     "request.dryRun: Invalid value: must be a boolean"},
    /* Decisions. */
    {"quickstart valid", ADM_VALIDATE, CREATE("AgentJob", AJ_OK), 200, 1, 0, NULL, NULL},
    {"invalid object", ADM_VALIDATE, CREATE("AgentJob", AJ_BAD), 200, 0, 422, "Invalid",
     "spec.schedule: Invalid value: \"61 * * * *\": minute must be 0-59"},
    {"delete allowed", ADM_VALIDATE,
     RQ(GVK("AgentJob") ",\"operation\":\"DELETE\",\"object\":null,\"oldObject\":" AJ_BAD), 200, 1,
     0, NULL, NULL},
    {"connect allowed", ADM_MUTATE, RQ(GVK("AgentJob") ",\"operation\":\"CONNECT\""), 200, 1, 0,
     NULL, NULL},
    {"dry run create", ADM_VALIDATE,
     RQ(GVK("AgentJob") ",\"operation\":\"CREATE\",\"dryRun\":true,\"object\":" AJ_OK), 200, 1, 0,
     NULL, NULL},
    {"mutate create", ADM_MUTATE, CREATE("AgentJob", AJ_OK), 200, 1, 0, NULL, NULL},
    /* /mutate refuses only what is too large (the API server calls it
     * before its own schema work); other errors are /validate's. */
    {"mutate leaves invalid to validate", ADM_MUTATE, CREATE("AgentJob", AJ_BAD), 200, 1, 0, NULL,
     NULL},
    /* The creator record cannot be rewritten or dropped on UPDATE. */
    {"created-by kept", ADM_VALIDATE,
     RQ(GVK("AgentRole") ",\"operation\":\"UPDATE\"," USER
                         ",\"object\":" ROLE("bob") ",\"oldObject\":" ROLE("bob")),
     200, 1, 0, NULL, NULL},
    {"created-by rewritten", ADM_VALIDATE,
     RQ(GVK("AgentRole") ",\"operation\":\"UPDATE\"," USER
                         ",\"object\":" ROLE("mallory") ",\"oldObject\":" ROLE("bob")),
     200, 0, 422, "Invalid",
     "metadata.annotations[thurkube.thurbeen.eu/created-by]: Invalid value: \"mallory\": field "
     "is immutable"},
    {"created-by added later", ADM_VALIDATE,
     RQ(GVK("AgentRole") ",\"operation\":\"UPDATE\"," USER
                         ",\"object\":" ROLE("mallory") ",\"oldObject\":" ROLE_PLAIN),
     200, 0, 422, "Invalid",
     "metadata.annotations[thurkube.thurbeen.eu/created-by]: Invalid value: \"mallory\": field "
     "is immutable"},
    {"created-by dropped", ADM_VALIDATE,
     RQ(GVK("AgentRole") ",\"operation\":\"UPDATE\"," USER ",\"object\":" ROLE_PLAIN
                         ",\"oldObject\":" ROLE("bob")),
     200, 0, 422, "Invalid",
     "metadata.annotations[thurkube.thurbeen.eu/created-by]: Forbidden: field is immutable"},
    /* Exact strings: a NUL in a value names the field; in a key, json-c
     * would cut the key ("a\u0000b" becomes "a"), so the body is refused. */
    {"nul in a value", ADM_VALIDATE, CREATE("ClusterAccess", CA_RES("\"pods\\u0000secrets\"")), 200,
     0, 422, "Invalid",
     "spec.rules[0].resources[0]: Invalid value: must not contain a NUL character (\\u0000)"},
    {"nul in a key", ADM_VALIDATE,
     CREATE("AgentRole", ROLE_LABELS("\"a\\u0000b\":\"x\",\"a\":\"y\"")), 200, 0, 422, "Invalid",
     "request.object: Invalid value: an object key contains a NUL character (\\u0000); no key "
     "or value may contain one"},
    {"nul in a key of the old object only", ADM_VALIDATE,
     RQ(GVK("AgentRole") ",\"operation\":\"UPDATE\"," USER ",\"object\":" ROLE_PLAIN
                         ",\"oldObject\":" ROLE_LABELS("\"a\\u0000\":\"x\"")),
     200, 0, 422, "Invalid",
     "request.object: Invalid value: an object key contains a NUL character (\\u0000); no key "
     "or value may contain one"},
    {"escaped backslash is no NUL", ADM_VALIDATE,
     CREATE("AgentRole", ROLE_LABELS("\"a\":\"x\\\\u0000\"")), 200, 1, 0, NULL, NULL},
    {"url with user information", ADM_VALIDATE,
     CREATE("McpServer", MCP_URL("https://bot:hunter2-token@mcp.example/sse?key=q-secret")), 200, 0,
     422, "Invalid",
     "spec.url: Invalid value: \"https://***@mcp.example/sse?***\": must not contain credentials "
     "(user information); put the token in a Secret and reference it from env"},
};

static json_object *resp_of(json_object *root)
{
	json_object *r = NULL;

	ck_assert(json_object_object_get_ex(root, "response", &r));
	return r;
}

static const char *str_at(json_object *o, const char *k1, const char *k2)
{
	json_object *v = o;

	if (k1 && !json_object_object_get_ex(v, k1, &v))
		return NULL;
	if (k2 && !json_object_object_get_ex(v, k2, &v))
		return NULL;
	return json_object_get_string(v);
}

START_TEST(test_cases)
{
	struct admission_env env = {0};
	struct admission_outcome out = {0};
	json_object *root, *resp, *v;

	ck_assert_int_eq(
	    admission_handle(cases[_i].ep, cases[_i].body, strlen(cases[_i].body), &env, &out), 0);
	ck_assert_msg(out.http_status == cases[_i].http, "%s: http %d", cases[_i].name,
	              out.http_status);
	if (cases[_i].allowed < 0) {
		ck_assert_str_eq(out.content_type, "text/plain; charset=utf-8");
		ck_assert_str_eq(out.result, "malformed");
		ck_assert(out.body.len > 0 && out.body.data[out.body.len - 1] == '\n');
		out.body.data[out.body.len - 1] = '\0';
		ck_assert_str_eq(out.body.data, cases[_i].message);
		admission_outcome_free(&out);
		return;
	}
	ck_assert_str_eq(out.content_type, "application/json");
	root = json_tokener_parse(out.body.data);
	ck_assert_ptr_nonnull(root);
	ck_assert_str_eq(str_at(root, "apiVersion", NULL), "admission.k8s.io/v1");
	ck_assert_str_eq(str_at(root, "kind", NULL), "AdmissionReview");
	resp = resp_of(root);
	ck_assert_str_eq(str_at(resp, "uid", NULL), "u-1");
	ck_assert(json_object_object_get_ex(resp, "allowed", &v));
	ck_assert_msg(json_object_get_boolean(v) == cases[_i].allowed, "%s: allowed",
	              cases[_i].name);
	if (cases[_i].allowed) {
		ck_assert(!json_object_object_get_ex(resp, "status", NULL));
		ck_assert_ptr_null(out.reasons);
		ck_assert_str_eq(out.result, "allowed");
	} else {
		ck_assert_str_eq(str_at(resp, "status", "status"), "Failure");
		ck_assert_str_eq(str_at(resp, "status", "reason"), cases[_i].reason);
		ck_assert_str_eq(str_at(resp, "status", "message"), cases[_i].message);
		ck_assert_str_eq(out.reasons, cases[_i].message);
		ck_assert(
		    json_object_object_get_ex(json_object_object_get(resp, "status"), "code", &v));
		ck_assert_int_eq(json_object_get_int(v), cases[_i].code);
		ck_assert(!json_object_object_get_ex(resp, "patch", NULL));
		ck_assert_str_eq(out.result, cases[_i].code == 400 ? "malformed" : "denied");
	}
	json_object_put(root);
	admission_outcome_free(&out);
}
END_TEST

/* Exact bytes of the simplest answers. */
START_TEST(test_exact_allow)
{
	static const char *const bodies[] = {
	    CREATE("AgentJob", AJ_OK),
	    RQ(GVK("AgentJob") ",\"operation\":\"DELETE\",\"oldObject\":" AJ_OK),
	};
	struct admission_env env = {0};
	struct admission_outcome out = {0};

	ck_assert_int_eq(admission_handle(ADM_VALIDATE, bodies[_i], strlen(bodies[_i]), &env, &out),
	                 0);
	ck_assert_str_eq(out.body.data, ALLOW_U1);
	ck_assert_str_eq(out.kind, "AgentJob");
	ck_assert_str_eq(out.namespace, "agents");
	ck_assert_str_eq(out.name, "pr-fixer");
	admission_outcome_free(&out);
}
END_TEST

START_TEST(test_exact_invalid)
{
	struct fielderrs errs = {0};
	struct strlist w = {0};
	struct admission_verdict v = {0};
	struct buf out = BUF_INIT(1 << 20);

	fielderrs_add(&errs, FE_REQUIRED, "spec.prompt", NULL, NULL);
	fielderrs_add_str(&errs, FE_INVALID, "spec.schedule", "61 * * * *", "minute must be 0-59");
	ck_assert_int_eq(strlist_add(&w, "spec.runtimeRef: AgentRuntime \"x\" not found"), 0);
	v.uid = "u-9";
	v.allowed = false;
	v.code = 422;
	v.reason = "Invalid";
	v.errs = &errs;
	v.group = "thurkube.thurbeen.eu";
	v.kind = "AgentJob";
	v.name = "n";
	v.warnings = &w;
	ck_assert_int_eq(admission_response(&v, &out), 0);
	ck_assert_str_eq(
	    out.data,
	    "{" HDR ",\"response\":{\"uid\":\"u-9\",\"allowed\":false,\"status\":{\"status\":"
	    "\"Failure\",\"message\":\"[spec.prompt: Required value, spec.schedule: Invalid "
	    "value: \\\"61 * * * *\\\": minute must be "
	    "0-59]\",\"reason\":\"Invalid\",\"code\":422},"
	    "\"warnings\":[\"spec.runtimeRef: AgentRuntime \\\"x\\\" not found\"]}}");
	fielderrs_free(&errs);
	strlist_free(&w);
	buf_free(&out);
}
END_TEST

/* A patch is sent only when non-empty, and only with patchType. */
START_TEST(test_exact_patch)
{
	struct admission_verdict v = {0};
	struct buf out = BUF_INIT(1 << 20);
	json_object *patch = json_object_new_array();

	v.uid = "u";
	v.allowed = true;
	v.patch = patch;
	ck_assert_int_eq(admission_response(&v, &out), 0);
	ck_assert_str_eq(out.data, "{" HDR ",\"response\":{\"uid\":\"u\",\"allowed\":true}}");
	buf_reset(&out);
	ck_assert_int_eq(
	    jsonpatch_add_op(patch, "add", "/spec/suspend", json_object_new_boolean(0)), 0);
	ck_assert_int_eq(admission_response(&v, &out), 0);
	/* base64 of [{"op":"add","path":"/spec/suspend","value":false}] */
	ck_assert_str_eq(out.data,
	                 "{" HDR ",\"response\":{\"uid\":\"u\",\"allowed\":true,\"patch\":"
	                 "\"W3sib3AiOiJhZGQiLCJwYXRoIjoiL3NwZWMvc3VzcGVuZCIsInZhbHVlIjpmYWxzZX1d\","
	                 "\"patchType\":\"JSONPatch\"}}");
	json_object_put(patch);
	buf_free(&out);
}
END_TEST

static json_object *decode_patch(json_object *resp)
{
	const char *b64 = NULL;
	unsigned char *raw = NULL;
	size_t n = 0;
	char *text;
	json_object *p;

	ck_assert_str_eq(str_at(resp, "patchType", NULL), "JSONPatch");
	b64 = str_at(resp, "patch", NULL);
	ck_assert_ptr_nonnull(b64);
	ck_assert_int_eq(base64_decode(b64, strlen(b64), &raw, &n), 0);
	text = xstrndup((const char *)raw, n); /* base64_decode adds no NUL */
	free(raw);
	ck_assert_ptr_nonnull(text);
	p = json_tokener_parse(text);
	free(text);
	ck_assert_ptr_nonnull(p);
	ck_assert(json_object_is_type(p, json_type_array));
	return p;
}

/* CREATE gets defaults and created-by; the defaulted object is a fixed point. */
START_TEST(test_mutate_roundtrip)
{
	struct admission_env env = {0};
	struct admission_outcome out = {0};
	struct buf body = BUF_INIT(1 << 20);
	json_object *root, *patch, *obj, *ann;
	const char *text;

	ck_assert_int_eq(admission_handle(ADM_MUTATE, CREATE("AgentJob", AJ_OK),
	                                  strlen(CREATE("AgentJob", AJ_OK)), &env, &out),
	                 0);
	ck_assert(out.patched);
	root = json_tokener_parse(out.body.data);
	patch = decode_patch(resp_of(root));
	obj = json_tokener_parse(AJ_OK);
	ck_assert_int_eq(jsonpatch_apply(&obj, patch), 0);
	ck_assert(json_object_object_get_ex(
	    json_object_object_get(json_object_object_get(obj, "metadata"), "annotations"),
	    "thurkube.thurbeen.eu/created-by", &ann));
	ck_assert_str_eq(json_object_get_string(ann), "alice");
	admission_outcome_free(&out);
	json_object_put(root);
	json_object_put(patch);

	/* UPDATE of the defaulted object: nothing left to patch. */
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	ck_assert_int_eq(buf_printf(&body,
	                            "{" HDR ",\"request\":{\"uid\":\"u-1\"," GVK(
	                                "AgentJob") ",\"operation\":\"UPDATE\"," USER
	                                            ",\"object\":%s,\"oldObject\":%s}}",
	                            text, text),
	                 0);
	ck_assert_int_eq(admission_handle(ADM_MUTATE, body.data, body.len, &env, &out), 0);
	ck_assert(!out.patched);
	ck_assert_str_eq(out.body.data, ALLOW_U1);
	admission_outcome_free(&out);
	json_object_put(obj);
	buf_free(&body);
}
END_TEST

/* The cluster-check callback: its denials, warnings and failures. */
struct fake_check {
	int calls;
	int mode; /* 0 warn, 1 deny, 2 fail */
};

static int fake_check(void *ud, const struct admission_request *req, int64_t budget_ms,
                      struct fielderrs *denials, struct strlist *warnings)
{
	struct fake_check *f = ud;

	f->calls++;
	ck_assert_int_eq(budget_ms, 1234);
	ck_assert_str_eq(req->username, "alice");
	if (f->mode == 2)
		return -EIO;
	if (f->mode == 1)
		fielderrs_add(denials, FE_FORBIDDEN, "spec.rules[0]", NULL,
		              "user \"alice\" may not grant \"get\" on \"secrets\" (apiGroup \"\") "
		              "cluster-wide");
	return strlist_add(warnings, "spec.runtimeRef: AgentRuntime \"claude-code\" not found in "
	                             "namespace \"agents\"");
}

START_TEST(test_check_callback)
{
	static const struct {
		int mode;
		const char *body;
		int calls;
		const char *expect;
	} t[] = {
	    {0, CREATE("AgentJob", AJ_OK), 1,
	     "{" HDR ",\"response\":{\"uid\":\"u-1\",\"allowed\":true,\"warnings\":[\"spec."
	     "runtimeRef: AgentRuntime \\\"claude-code\\\" not found in namespace \\\"agents\\\""
	     "\"]}}"},
	    {1, CREATE("AgentJob", AJ_OK), 1,
	     "{" HDR ",\"response\":{\"uid\":\"u-1\",\"allowed\":false,\"status\":{\"status\":"
	     "\"Failure\",\"message\":\"spec.rules[0]: Forbidden: user \\\"alice\\\" may not "
	     "grant \\\"get\\\" on \\\"secrets\\\" (apiGroup \\\"\\\") cluster-wide\",\"reason\":"
	     "\"Forbidden\",\"details\":{\"name\":\"pr-fixer\",\"group\":\"thurkube.thurbeen.eu\","
	     "\"kind\":\"AgentJob\",\"causes\":[{\"reason\":\"FieldValueForbidden\",\"message\":"
	     "\"Forbidden: user \\\"alice\\\" may not grant \\\"get\\\" on \\\"secrets\\\" "
	     "(apiGroup \\\"\\\") cluster-wide\",\"field\":\"spec.rules[0]\"}]},\"code\":403},"
	     "\"warnings\":[\"spec.runtimeRef: AgentRuntime \\\"claude-code\\\" not found in "
	     "namespace \\\"agents\\\"\"]}}"},
	    {2, CREATE("AgentJob", AJ_OK), 1,
	     "{" HDR ",\"response\":{\"uid\":\"u-1\",\"allowed\":false,\"status\":{\"status\":"
	     "\"Failure\",\"message\":\"internal error: admission checks failed\",\"reason\":"
	     "\"InternalError\",\"code\":500}}}"},
	    /* Not consulted for an invalid object, DELETE, or /mutate. */
	    {1, CREATE("AgentJob", AJ_BAD), 0, NULL},
	    {1, RQ(GVK("AgentJob") ",\"operation\":\"DELETE\"," USER), 0, ALLOW_U1},
	};
	struct fake_check f = {0, t[_i].mode};
	struct admission_env env = {NULL, fake_check, &f, 1234, 0, false};
	struct admission_outcome out = {0};

	ck_assert_int_eq(admission_handle(ADM_VALIDATE, t[_i].body, strlen(t[_i].body), &env, &out),
	                 0);
	ck_assert_int_eq(f.calls, t[_i].calls);
	if (t[_i].expect)
		ck_assert_str_eq(out.body.data, t[_i].expect);
	else
		ck_assert_str_eq(out.result, "denied");
	admission_outcome_free(&out);
}
END_TEST

/*
 * Bounded strings: inputs up to the body limit that once made a 500 (a
 * 9,000-byte resourceNames entry overflowed the cluster check's 8 KiB
 * key) or that could (65,000 field errors, a key of nearly the body limit, a hundred
 * thousand unknown fields) get a 4xx or an allow, never an error.
 */
static char *review_of(int i)
{
	struct buf b = BUF_INIT(TK_MAX_ADMISSION_BODY);
	size_t j, k;
	int r;

	r = buf_puts(
	    &b,
	    "{" HDR ",\"request\":{\"uid\":\"u-1\"," GVK(
	        "ClusterAccess") ",\"operation\":\"CREATE\"," USER ",\"object\":{\"apiVersion\":"
	                         "\"thurkube.thurbeen.eu/"
	                         "v1alpha1\",\"kind\":\"ClusterAccess\"," META("ca") ",\"spec\":{");
	if (i == 0) {
		r = r ? r
		      : buf_puts(&b, "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],"
		                     "\"verbs\":[\"get\"],\"resourceNames\":[\"");
		for (j = 0; r == 0 && j < 9000; j++)
			r = buf_puts(&b, "a");
		r = r ? r : buf_puts(&b, "\"]}]");
	} else if (i == 1) {
		r = r ? r : buf_puts(&b, "\"rules\":[");
		for (j = 0; r == 0 && j < TK_MAX_RULES; j++) {
			r = buf_puts(&b, j ? ",{" : "{");
			r = r ? r
			      : buf_puts(
			            &b, "\"apiGroups\":[\"\"],\"verbs\":[\"get\"],\"resources\":[");
			for (k = 0; r == 0 && k < TK_MAX_RULE_ITEMS; k++)
				r = buf_puts(&b, k ? ",\"\"" : "\"\"");
			r = r ? r : buf_puts(&b, "]}");
		}
		r = r ? r : buf_puts(&b, "]");
	} else if (i == 2) {
		r = r ? r : buf_puts(&b, "\"");
		for (j = 0; r == 0 && j < TK_MAX_ADMISSION_BODY - (1u << 20); j++)
			r = buf_puts(&b, "k");
		r = r ? r
		      : buf_puts(&b,
		                 "\":1,\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],"
		                 "\"verbs\":[\"get\"]}]");
	} else {
		for (j = 0; r == 0 && j < 100000; j++)
			r = buf_printf(&b, "\"u%zu\":1,", j);
		r = r ? r
		      : buf_puts(&b, "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],"
		                     "\"verbs\":[\"get\"]}]");
	}
	r = r ? r : buf_puts(&b, "}}}}");
	ck_assert_int_eq(r, 0);
	return buf_steal(&b);
}

static int must_not_run(void *ud, const struct admission_request *req, int64_t budget_ms,
                        struct fielderrs *denials, struct strlist *warnings)
{
	(void)ud, (void)req, (void)budget_ms, (void)denials, (void)warnings;
	return -E2BIG;
}

static int allow_all(void *ud, const struct admission_request *req, int64_t budget_ms,
                     struct fielderrs *denials, struct strlist *warnings)
{
	(void)ud, (void)req, (void)budget_ms, (void)denials, (void)warnings;
	return 0;
}

START_TEST(test_bounded_denials)
{
	static const char *const want[] = {
	    "spec.rules[0].resourceNames[0]: Too long: may not be more than 1024 bytes",
	    /* 256 x 256 empty resources, and the access question bound: 65537 - 128 */
	    ", and 65409 more errors]",
	    "spec: Too long: keys may not be more than 1024 bytes",
	    NULL,
	};
	struct admission_env env = {NULL, _i == 3 ? allow_all : must_not_run, NULL, 1000, 0, false};
	struct admission_outcome out = {0};
	char *body = review_of(_i);
	json_object *root, *resp, *w;
	const char *msg;

	ck_assert_int_eq(admission_handle(ADM_VALIDATE, body, strlen(body), &env, &out), 0);
	ck_assert_int_eq(out.http_status, 200);
	root = json_tokener_parse(out.body.data);
	ck_assert_ptr_nonnull(root);
	resp = resp_of(root);
	if (!want[_i]) {
		ck_assert_str_eq(out.result, "allowed");
		ck_assert(json_object_object_get_ex(resp, "warnings", &w));
		ck_assert_uint_eq(json_object_array_length(w), TK_MAX_WARNINGS);
	} else {
		ck_assert_str_eq(out.result, "denied");
		ck_assert_int_eq(json_object_get_int(json_object_object_get(
		                     json_object_object_get(resp, "status"), "code")),
		                 422);
		msg = str_at(resp, "status", "message");
		ck_assert_msg(strstr(msg, want[_i]) != NULL, "%.300s", msg);
	}
	json_object_put(root);
	admission_outcome_free(&out);
	free(body);
}
END_TEST

/* An AgentJob review with n env entries (names V0.. or, same, all "SAME"). */
static char *env_review(size_t n, bool same)
{
	struct buf b = BUF_INIT(64u << 20);
	size_t j;
	int r = buf_puts(
	    &b, "{" HDR ",\"request\":{\"uid\":\"u-1\"," GVK(
	            "AgentJob") ",\"operation\":\"CREATE\"," USER
	                        ",\"object\":{\"apiVersion\":\"thurkube.thurbeen.eu/"
	                        "v1alpha1\",\"kind\":\"AgentJob\"," META(
	                            "j") ",\"spec\":{\"runtimeRef\":\"rt\",\"authRef\":"
	                                 "\"a\",\"roleRef\":\"r\",\"prompt\":\"p\",\"env\":[");

	for (j = 0; r == 0 && j < n; j++)
		r = same ? buf_printf(&b, "%s{\"name\":\"SAME\"}", j ? "," : "")
		         : buf_printf(&b, "%s{\"name\":\"V%zu\",\"value\":\"x\"}", j ? "," : "", j);
	r = r ? r : buf_puts(&b, "]}}}}");
	ck_assert_int_eq(r, 0);
	return buf_steal(&b);
}

/*
 * The per-request deadline: past it (1 ms after the clock's origin), a
 * large valid AgentJob is a 422 saying it is too large or complex to
 * check, on both endpoints, and the cluster checks never run; a generous
 * deadline allows it.
 */
START_TEST(test_deadline)
{
	struct admission_env env = {NULL, _i & 2 ? allow_all : must_not_run, NULL, 1000, 0, false};
	struct admission_outcome out = {0};
	char *body = env_review(TK_MAX_ENV_ITEMS, false);
	bool late = !(_i & 2);
	json_object *root, *resp;

	env.deadline_ms = late ? 1 : now_ms() + 600000;
	ck_assert_int_eq(
	    admission_handle(_i & 1 ? ADM_MUTATE : ADM_VALIDATE, body, strlen(body), &env, &out),
	    0);
	ck_assert_int_eq(out.http_status, 200);
	ck_assert_str_eq(out.result, late ? "denied" : "allowed");
	root = json_tokener_parse(out.body.data);
	ck_assert_ptr_nonnull(root);
	resp = resp_of(root);
	if (late) {
		ck_assert_int_eq(json_object_get_int(json_object_object_get(
		                     json_object_object_get(resp, "status"), "code")),
		                 422);
		ck_assert_str_eq(str_at(resp, "status", "reason"), "Invalid");
		ck_assert_msg(strstr(str_at(resp, "status", "message"),
		                     "the object is too large or too complex to check in ") != NULL,
		              "%s", str_at(resp, "status", "message"));
	}
	json_object_put(root);
	admission_outcome_free(&out);
	free(body);
}
END_TEST

/*
 * Linear work: a 200,000-entry env list, every entry a repeat, is one
 * "Too many" denial without the cluster checks, on /validate and on
 * /mutate, which refuses it before the API server's schema work (the pairwise duplicate
 * check once ran over all of it: Check's timeout fails that).
 */
START_TEST(test_huge_list)
{
	struct admission_env env = {NULL, must_not_run, NULL, 1000, 0, false};
	struct admission_outcome out = {0};
	char *body = env_review(200000, true);

	ck_assert_int_eq(
	    admission_handle(_i ? ADM_MUTATE : ADM_VALIDATE, body, strlen(body), &env, &out), 0);
	ck_assert_str_eq(out.result, "denied");
	ck_assert_str_eq(out.reasons, "spec.env: Too many: 200000: must have at most 1024 items");
	admission_outcome_free(&out);
	free(body);
}
END_TEST

/* The AgentJob "j" with this spec (and these labels) as JSON text. */
static void aj_put(struct buf *b, const char *spec, const char *labels, size_t env_n)
{
	size_t j;
	int r =
	    buf_printf(b,
	               "{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\",\"kind\":\"AgentJob\","
	               "\"metadata\":{\"name\":\"j\",\"namespace\":\"agents\",\"labels\":{%s}},"
	               "\"spec\":{%s",
	               labels, spec);

	if (r == 0 && env_n)
		r = buf_puts(b, ",\"env\":[");
	for (j = 0; r == 0 && j < env_n; j++)
		r = buf_printf(b, "%s{\"name\":\"V%zu\",\"value\":\"x\"}", j ? "," : "", j);
	if (r == 0 && env_n)
		r = buf_puts(b, "]");
	ck_assert_int_eq(r ? r : buf_puts(b, "}}"), 0);
}

#define RT_REFS "\"runtimeRef\":\"r\",\"authRef\":\"a\",\"roleRef\":\"x\""
#define RT_BAD  "\"schedule\":\"61 * * * *\",\"timezone\":\"Europe/Paris\"," RT_REFS
#define RT_GOOD "\"schedule\":\"1 * * * *\",\"timezone\":\"Europe/Paris\"," RT_REFS
#define RT_VF(value)                                                                               \
	RT_REFS ",\"prompt\":\"p\",\"env\":[{\"name\":\"X\",\"value\":\"" value "\","              \
	        "\"valueFrom\":{\"secretKeyRef\":{\"name\":\"s\",\"key\":\"k\"}}}]"

/*
 * Ratcheting: an UPDATE keeps what the stored object already had. Each
 * case: endpoint, new spec and labels, old spec, env entries on both
 * sides, then allowed, and a text the message (denied) or the warnings
 * (allowed) must contain ("" for no warning at all).
 */
static const struct {
	enum admission_endpoint ep;
	const char *spec, *labels, *old;
	size_t env_n;
	bool allowed;
	const char *text;
} ratchet_cases[] = {
    /* Labels only: the spec is not validated again. */
    {ADM_VALIDATE, RT_BAD ",\"prompt\":\"p\"", "\"team\":\"a\"", RT_BAD ",\"prompt\":\"p\"", 0,
     true, ""},
    /* Another field changes: the unchanged error is a warning. */
    {ADM_VALIDATE, RT_BAD ",\"prompt\":\"q\"", "", RT_BAD ",\"prompt\":\"p\"", 0, true,
     "spec.schedule: Invalid value: \"61 * * * *\": "},
    {ADM_VALIDATE, RT_BAD ",\"prompt\":\"q\"", "", RT_BAD ",\"prompt\":\"p\"", 0, true,
     "(unchanged from the stored object: allowed until it changes)"},
    /* The invalid field itself changes, or a valid one turns invalid. */
    {ADM_VALIDATE,
     "\"schedule\":\"62 * * * *\",\"timezone\":\"Europe/Paris\"," RT_REFS ",\"prompt\":\"q\"", "",
     RT_BAD ",\"prompt\":\"p\"", 0, false, "spec.schedule: Invalid value: \"62 * * * *\""},
    {ADM_VALIDATE, RT_BAD ",\"prompt\":\"p\"", "", RT_GOOD ",\"prompt\":\"p\"", 0, false,
     "spec.schedule: Invalid value: \"61 * * * *\""},
    /* An error that a change elsewhere makes (value next to valueFrom)
     * is new, though its field is not. */
    {ADM_VALIDATE, RT_VF("v"), "", RT_VF(""), 0, false,
     "spec.env[0].valueFrom: Invalid value: \"\": may not be specified when `value` is not "
     "empty"},
    /* Size errors are never ratcheted... */
    {ADM_VALIDATE, RT_GOOD ",\"prompt\":\"q\"", "", RT_GOOD ",\"prompt\":\"p\"",
     TK_MAX_ENV_ITEMS + 1, false, "spec.env: Too many: 1025: must have at most 1024 items"},
    {ADM_MUTATE, RT_GOOD ",\"prompt\":\"q\"", "", RT_GOOD ",\"prompt\":\"p\"", TK_MAX_ENV_ITEMS + 1,
     false, "spec.env: Too many: 1025: must have at most 1024 items"},
    /* ...nor NUL characters. */
    {ADM_VALIDATE, RT_GOOD ",\"prompt\":\"p\\u0000\",\"model\":\"m\"", "",
     RT_GOOD ",\"prompt\":\"p\\u0000\"", 0, false,
     "spec.prompt: Invalid value: must not contain a NUL character"},
    /* /mutate leaves an unchanged spec alone, even past a limit. */
    {ADM_MUTATE, RT_GOOD ",\"prompt\":\"p\"", "\"team\":\"a\"", RT_GOOD ",\"prompt\":\"p\"",
     TK_MAX_ENV_ITEMS + 1, true, ""},
};

START_TEST(test_ratchet)
{
	struct admission_env env = {0};
	struct admission_outcome out = {0};
	struct buf b = BUF_INIT(64u << 20);
	json_object *root, *resp, *w;
	const char *msg;

	ck_assert_int_eq(
	    buf_puts(&b, "{" HDR ",\"request\":{\"uid\":\"u-1\"," GVK(
	                     "AgentJob") ",\"operation\":\"UPDATE\"," USER ",\"object\":"),
	    0);
	aj_put(&b, ratchet_cases[_i].spec, ratchet_cases[_i].labels, ratchet_cases[_i].env_n);
	ck_assert_int_eq(buf_puts(&b, ",\"oldObject\":"), 0);
	aj_put(&b, ratchet_cases[_i].old, "", ratchet_cases[_i].env_n);
	ck_assert_int_eq(buf_puts(&b, "}}"), 0);
	ck_assert_int_eq(admission_handle(ratchet_cases[_i].ep, b.data, b.len, &env, &out), 0);
	root = json_tokener_parse(out.body.data);
	ck_assert_ptr_nonnull(root);
	resp = resp_of(root);
	ck_assert_msg(json_object_get_boolean(json_object_object_get(resp, "allowed")) ==
	                  ratchet_cases[_i].allowed,
	              "case %d: %s", _i, out.body.data);
	w = json_object_object_get(resp, "warnings");
	buf_reset(&b);
	for (size_t j = 0; w && j < json_object_array_length(w); j++)
		ck_assert_int_eq(
		    buf_printf(&b, "%s\n", json_object_get_string(json_object_array_get_idx(w, j))),
		    0);
	msg =
	    ratchet_cases[_i].allowed ? (b.data ? b.data : "") : str_at(resp, "status", "message");
	if (!*ratchet_cases[_i].text)
		ck_assert_msg(!w, "case %d: warnings %s", _i, msg);
	else
		ck_assert_msg(strstr(msg, ratchet_cases[_i].text) != NULL, "case %d: %s", _i, msg);
	json_object_put(root);
	admission_outcome_free(&out);
	buf_free(&b);
}
END_TEST

/*
 * A webhook policy (here --forbid-tolerations) is never ratcheted: an
 * UPDATE that changes the spec of an AgentJob stored before the policy
 * is denied while it keeps the forbidden toleration, in audit mode too.
 * A labels-only UPDATE still passes (the spec is not validated again).
 * Case 0: spec change, denied; 1: labels only, allowed; 2: spec change
 * without the policy, allowed; 3: case 0 in audit mode, denied.
 */
START_TEST(test_ratchet_policy)
{
	static const char *const keys[] = {"node-role.kubernetes.io/control-plane"};
	static const char tol[] =
	    ",\"tolerations\":[{\"key\":\"node-role.kubernetes.io/control-plane\","
	    "\"operator\":\"Exists\"}]";
	struct schema_config cfg = {.forbid_tolerations = keys, .n_forbid_tolerations = 1};
	struct admission_env env = {0};
	struct admission_outcome out = {0};
	struct buf b = BUF_INIT(1u << 20), spec = BUF_INIT(4096), old = BUF_INIT(4096);
	json_object *root, *resp;

	env.schema = _i == 2 ? NULL : &cfg;
	env.warn_only = _i == 3;
	ck_assert_int_eq(
	    buf_printf(&spec, "%s,\"prompt\":\"%s\"%s", RT_GOOD, _i == 1 ? "p" : "q", tol), 0);
	ck_assert_int_eq(buf_printf(&old, "%s,\"prompt\":\"p\"%s", RT_GOOD, tol), 0);
	ck_assert_int_eq(
	    buf_puts(&b, "{" HDR ",\"request\":{\"uid\":\"u-1\"," GVK(
	                     "AgentJob") ",\"operation\":\"UPDATE\"," USER ",\"object\":"),
	    0);
	aj_put(&b, spec.data, _i == 1 ? "\"team\":\"a\"" : "", 0);
	ck_assert_int_eq(buf_puts(&b, ",\"oldObject\":"), 0);
	aj_put(&b, old.data, "", 0);
	ck_assert_int_eq(buf_puts(&b, "}}"), 0);
	ck_assert_int_eq(admission_handle(ADM_VALIDATE, b.data, b.len, &env, &out), 0);
	root = json_tokener_parse(out.body.data);
	ck_assert_ptr_nonnull(root);
	resp = resp_of(root);
	ck_assert_msg(json_object_get_boolean(json_object_object_get(resp, "allowed")) ==
	                  (_i == 1 || _i == 2),
	              "case %d: %s", _i, out.body.data);
	if (_i == 0 || _i == 3)
		ck_assert(strstr(str_at(resp, "status", "message"),
		                 "spec.tolerations[0]: Forbidden: tolerates the taint "
		                 "\"node-role.kubernetes.io/control-plane\"") != NULL);
	json_object_put(root);
	admission_outcome_free(&out);
	buf_free(&b);
	buf_free(&spec);
	buf_free(&old);
}
END_TEST

/* A permission check that always denies (audit mode never relaxes it). */
static int deny_all(void *ud, const struct admission_request *req, int64_t budget_ms,
                    struct fielderrs *denials, struct strlist *warnings)
{
	(void)ud, (void)req, (void)budget_ms, (void)warnings;
	fielderrs_add(denials, FE_FORBIDDEN, "spec.clusterAccessRef", NULL,
	              "user \"alice\" may not use clusteraccesses \"ca\"");
	return 0;
}

/*
 * Audit mode (/validate-warn): schema errors become warnings and the
 * object is allowed, its fields counted; sizes and the permission checks
 * still deny. Case 0: an invalid AgentJob; 1: the same with a permission
 * check that denies; 2: an env list over its limit; 3: the invalid
 * AgentJob without audit mode (denied, the control).
 */
START_TEST(test_warn_only)
{
	struct admission_env env = {0};
	struct admission_outcome out = {0};
	char *big = env_review(TK_MAX_ENV_ITEMS + 1, false);
	const char *body = _i == 2 ? big : CREATE("AgentJob", AJ_BAD);
	json_object *root, *resp, *w;

	env.warn_only = _i != 3;
	env.check = _i == 1 ? deny_all : NULL;
	ck_assert_int_eq(admission_handle(ADM_VALIDATE, body, strlen(body), &env, &out), 0);
	root = json_tokener_parse(out.body.data);
	ck_assert_ptr_nonnull(root);
	resp = resp_of(root);
	ck_assert_msg(json_object_get_boolean(json_object_object_get(resp, "allowed")) == (_i == 0),
	              "case %d: %s", _i, out.body.data);
	if (_i == 0) {
		w = json_object_object_get(resp, "warnings");
		ck_assert_ptr_nonnull(w);
		ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(w, 0)),
		                 "enforcement=warn: spec.schedule: Invalid value: \"61 * * * *\": "
		                 "minute must be 0-59");
		ck_assert_uint_ge(out.warned_fields.n, 1);
		ck_assert_str_eq(out.warned_fields.v[0], "spec.schedule");
	}
	if (_i == 1)
		ck_assert_int_eq(json_object_get_int(json_object_object_get(
		                     json_object_object_get(resp, "status"), "code")),
		                 403);
	if (_i == 2)
		ck_assert_str_eq(out.reasons,
		                 "spec.env: Too many: 1025: must have at most 1024 items");
	if (_i == 3)
		ck_assert_uint_eq(out.warned_fields.n, 0);
	json_object_put(root);
	admission_outcome_free(&out);
	free(big);
}
END_TEST

/* Nesting beyond TK_MAX_JSON_DEPTH is refused before any decision. */
START_TEST(test_depth)
{
	struct buf b = BUF_INIT(1 << 20);
	struct admission_env env = {0};
	struct admission_outcome out = {0};
	int depth = _i == 0 ? TK_MAX_JSON_DEPTH - 3 : TK_MAX_JSON_DEPTH + 1, i;

	/* request.object.x nests "[[...]]" inside three levels of objects. */
	ck_assert_int_eq(
	    buf_puts(&b, "{" HDR ",\"request\":{\"uid\":\"u-1\"," GVK(
	                     "AgentJob") ",\"operation\":\"DELETE\",\"object\":{\"x\":"),
	    0);
	for (i = 0; i < depth; i++)
		ck_assert_int_eq(buf_puts(&b, "["), 0);
	for (i = 0; i < depth; i++)
		ck_assert_int_eq(buf_puts(&b, "]"), 0);
	ck_assert_int_eq(buf_puts(&b, "}}}"), 0);
	ck_assert_int_eq(admission_handle(ADM_VALIDATE, b.data, b.len, &env, &out), 0);
	if (_i == 0) {
		ck_assert_int_eq(out.http_status, 200);
	} else {
		ck_assert_int_eq(out.http_status, 400);
		ck_assert_str_eq(out.reasons, "request body is nested deeper than 64 levels");
	}
	admission_outcome_free(&out);
	buf_free(&b);
}
END_TEST

START_TEST(test_cause_reasons)
{
	static const struct {
		enum fielderr_type t;
		const char *s;
	} t[] = {
	    {FE_REQUIRED, "FieldValueRequired"},          {FE_INVALID, "FieldValueInvalid"},
	    {FE_NOT_SUPPORTED, "FieldValueNotSupported"}, {FE_DUPLICATE, "FieldValueDuplicate"},
	    {FE_TOO_LONG, "FieldValueTooLong"},           {FE_TOO_MANY, "FieldValueTooMany"},
	    {FE_FORBIDDEN, "FieldValueForbidden"},        {FE_TYPE, "FieldValueTypeInvalid"},
	};

	ck_assert_str_eq(admission_cause_reason(t[_i].t), t[_i].s);
}
END_TEST

/* A parsed request exposes every field the checks use. */
START_TEST(test_parse_fields)
{
	static const char body[] = RQ(
	    GVK("ClusterAccess") ",\"operation\":\"UPDATE\",\"name\":\"ca\",\"namespace\":\"ns\","
	                         "\"dryRun\":true,\"userInfo\":{\"username\":\"bob\",\"uid\":"
	                         "\"42\",\"groups\":[\"a\"],"
	                         "\"extra\":{\"k\":[\"v\"]}},\"object\":{},\"oldObject\":{}");
	struct admission_request req = {0};
	struct fielderrs errs = {0};
	struct buf why = BUF_INIT(1024);

	ck_assert_int_eq(admission_parse(body, strlen(body), &req, &errs, &why), 0);
	ck_assert_int_eq(errs.n, 0);
	ck_assert_str_eq(req.uid, "u-1");
	ck_assert_int_eq(req.kind, TK_CLUSTERACCESS);
	ck_assert_str_eq(req.kind_name, "ClusterAccess");
	ck_assert_int_eq(req.op, ADM_OP_UPDATE);
	ck_assert_str_eq(req.name, "ca");
	ck_assert_str_eq(req.namespace, "ns");
	ck_assert_str_eq(req.username, "bob");
	ck_assert_str_eq(req.user_uid, "42");
	ck_assert_int_eq(json_object_array_length(req.groups), 1);
	ck_assert_ptr_nonnull(req.extra);
	ck_assert_ptr_nonnull(req.object);
	ck_assert_ptr_nonnull(req.old_object);
	ck_assert(req.dry_run);
	admission_request_free(&req);
	fielderrs_free(&errs);
	buf_free(&why);
}
END_TEST

static Suite *admission_suite(void)
{
	Suite *s = suite_create("wh_admission");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_cases, 0, (int)TK_ARRAY_LEN(cases));
	tcase_add_loop_test(tc, test_exact_allow, 0, 2);
	tcase_add_test(tc, test_exact_invalid);
	tcase_add_test(tc, test_exact_patch);
	tcase_add_test(tc, test_mutate_roundtrip);
	tcase_add_loop_test(tc, test_check_callback, 0, 5);
	tcase_add_loop_test(tc, test_depth, 0, 2);
	tcase_add_loop_test(tc, test_bounded_denials, 0, 4);
	tcase_add_loop_test(tc, test_deadline, 0, 4);
	tcase_add_loop_test(tc, test_huge_list, 0, 2); /* /validate, /mutate */
	tcase_add_loop_test(tc, test_cause_reasons, 0, 8);
	tcase_add_test(tc, test_parse_fields);
	tcase_add_loop_test(tc, test_ratchet, 0, (int)TK_ARRAY_LEN(ratchet_cases));
	tcase_add_loop_test(tc, test_ratchet_policy, 0, 4);
	tcase_add_loop_test(tc, test_warn_only, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(admission_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/*
 * fuzz_wh_biglists.c - libFuzzer target for the admission path with large
 * lists. A small input is expanded into an AdmissionReview whose list of
 * one shape (env, envFrom, refs, tools, tolerations, nodeSelector,
 * ClusterAccess rules and each rule list...) holds from none to twice its
 * limit and one more entries, so the fuzzer explores lengths around every
 * limit of limits.h. tests/run-fuzz builds it with TK_LIMIT_SCALE 64
 * (limits.h): every limit is then at most 16, and ten million executions
 * fit in an hour; the corpus replay of make check runs it at the real
 * limits.
 *
 * Input: byte 0 picks the shape, bytes 1-2 the entry count (little
 * endian, modulo 2 x limit + 2), byte 3 the mode (bit 0: /mutate, bit 1: every entry
 * the same, bit 2: a deadline that has passed, bit 3: a cluster check
 * callback), the rest is the text of every entry (with its index appended
 * unless bit 1 is set).
 *
 * Invariants: admission_handle never fails and never crashes; the answer
 * is an HTTP 200 AdmissionReview and never a 5xx (result "error"); on
 * /validate a list longer than its limit is denied with 422, as is a
 * passed deadline when the object took more than one clock read; the
 * cluster checks are only reached with at most TK_MAX_ACCESS_QUESTIONS
 * questions.
 */
#include "compat.h"

#include <errno.h>
#include <stdint.h>

#include <json-c/json.h>

#include "../../webhook/admission.h"
#include "limits.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_wh_biglists: invariant failed: %s (line %d)\n", #c,  \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

enum item_kind { IT_STRING, IT_URL, IT_ENV, IT_NAMED, IT_SECRET_REF, IT_TOLERATION, IT_RULE };

/* One list to grow: its kind, where it sits, what an entry is, its limit. */
static const struct shape {
	const char *kind;
	const char *list;  /* member of spec, or of spec.rules[0] when in_rule */
	bool in_rule;      /* a list of the one rule of a ClusterAccess */
	bool map;          /* an object of string values, not an array */
	enum item_kind it; /* what one entry is */
	size_t max;
} shapes[] = {
    {"AgentJob", "env", false, false, IT_ENV, TK_MAX_ENV_ITEMS},
    {"AgentJob", "envFrom", false, false, IT_SECRET_REF, TK_MAX_ENV_FROM_ITEMS},
    {"AgentJob", "mcpServerRefs", false, false, IT_STRING, TK_MAX_REFS},
    {"AgentJob", "repositoryRefs", false, false, IT_STRING, TK_MAX_REFS},
    {"AgentJob", "imagePullSecrets", false, false, IT_NAMED, TK_MAX_PULL_SECRETS},
    {"AgentJob", "tolerations", false, false, IT_TOLERATION, TK_MAX_TOLERATIONS},
    {"AgentJob", "nodeSelector", false, true, IT_STRING, TK_MAX_MAP_ITEMS},
    {"AgentRole", "allowedTools", false, false, IT_STRING, TK_MAX_TOOLS},
    {"AgentRuntime", "args", false, false, IT_STRING, TK_MAX_ARGS},
    {"McpServer", "env", false, false, IT_ENV, TK_MAX_ENV_ITEMS},
    {"ClusterAccess", "rules", false, false, IT_RULE, TK_MAX_RULES},
    {"ClusterAccess", "resourceNames", true, false, IT_STRING, TK_MAX_RULE_ITEMS},
    {"ClusterAccess", "verbs", true, false, IT_STRING, TK_MAX_RULE_ITEMS},
    {"ClusterAccess", "resources", true, false, IT_STRING, TK_MAX_RULE_ITEMS},
    {"ClusterAccess", "nonResourceURLs", true, false, IT_URL, TK_MAX_RULE_ITEMS},
};

static json_object *jstr(const char *s)
{
	json_object *o = json_object_new_string(s);

	CHECK(o != NULL);
	return o;
}

static void put(json_object *o, const char *key, json_object *v)
{
	CHECK(v != NULL);
	CHECK(json_object_object_add(o, key, v) == 0);
}

static json_object *obj1(const char *key, json_object *v)
{
	json_object *o = json_object_new_object();

	CHECK(o != NULL);
	put(o, key, v);
	return o;
}

static json_object *arr1(json_object *v)
{
	json_object *a = json_object_new_array();

	CHECK(a && v && json_object_array_add(a, v) == 0);
	return a;
}

static json_object *item(enum item_kind it, const char *s)
{
	json_object *o;

	switch (it) {
	case IT_URL: {
		struct buf b = BUF_INIT(1 << 20);
		json_object *u;

		CHECK(buf_printf(&b, "/%s", s) == 0);
		u = jstr(b.data);
		buf_free(&b);
		return u;
	}
	case IT_ENV:
		o = obj1("name", jstr(s));
		put(o, "value", jstr("x"));
		return o;
	case IT_NAMED:
		return obj1("name", jstr(s));
	case IT_SECRET_REF:
		return obj1("secretRef", obj1("name", jstr(s)));
	case IT_TOLERATION:
		o = obj1("key", jstr(s));
		put(o, "operator", jstr("Exists"));
		return o;
	case IT_RULE:
		o = obj1("apiGroups", arr1(jstr("")));
		put(o, "resources", arr1(jstr("pods")));
		put(o, "verbs", arr1(jstr("get")));
		put(o, "resourceNames", arr1(jstr(s)));
		return o;
	case IT_STRING:
		break;
	}
	return jstr(s);
}

/* The spec of sh's kind, valid but for the list under test. */
static json_object *base_spec(const struct shape *sh, json_object **holder)
{
	json_object *spec = json_object_new_object(), *rule;

	CHECK(spec != NULL);
	*holder = spec;
	if (strcmp(sh->kind, "AgentJob") == 0) {
		put(spec, "runtimeRef", jstr("rt"));
		put(spec, "authRef", jstr("auth"));
		put(spec, "roleRef", jstr("role"));
		put(spec, "prompt", jstr("go"));
	} else if (strcmp(sh->kind, "AgentRuntime") == 0) {
		put(spec, "image", jstr("img"));
		put(spec, "authEnvVar", jstr("T"));
		put(spec, "configPath", jstr("/etc/a"));
		put(spec, "persistPath", jstr("/var/a"));
	} else if (strcmp(sh->kind, "McpServer") == 0) {
		put(spec, "command", jstr("npx"));
	} else if (sh->in_rule) {
		rule = json_object_new_object();
		CHECK(rule != NULL);
		if (strcmp(sh->list, "nonResourceURLs") != 0) {
			put(rule, "apiGroups", arr1(jstr("")));
			if (strcmp(sh->list, "resources") != 0)
				put(rule, "resources", arr1(jstr("pods")));
		}
		if (strcmp(sh->list, "verbs") != 0)
			put(rule, "verbs", arr1(jstr("get")));
		put(spec, "rules", arr1(json_object_get(rule)));
		*holder = rule;
		json_object_put(rule);
	}
	return spec;
}

/* Reached only for objects the schema accepted. */
static int fuzz_check(void *ud, const struct admission_request *req, int64_t budget_ms,
                      struct fielderrs *denials, struct strlist *warnings)
{
	json_object *spec = NULL, *rules = NULL;

	(void)ud, (void)budget_ms, (void)denials, (void)warnings;
	if (req->kind == TK_CLUSTERACCESS) {
		CHECK(json_object_object_get_ex(req->object, "spec", &spec));
		CHECK(json_object_object_get_ex(spec, "rules", &rules));
		CHECK(schema_access_questions(rules) <= TK_MAX_ACCESS_QUESTIONS);
	}
	return 0;
}

static char *review(const struct shape *sh, size_t n, bool same, const char *text)
{
	json_object *spec, *holder, *list, *obj, *rq, *root;
	struct buf s = BUF_INIT(1 << 20);
	char *out;
	size_t i;

	spec = base_spec(sh, &holder);
	list = sh->map ? json_object_new_object() : json_object_new_array();
	CHECK(list != NULL);
	for (i = 0; i < n; i++) {
		buf_reset(&s);
		CHECK((same ? buf_puts(&s, text) : buf_printf(&s, "%s%zu", text, i)) == 0);
		if (sh->map)
			put(list, s.data ? s.data : "", jstr("v"));
		else
			CHECK(json_object_array_add(list, item(sh->it, s.data ? s.data : "")) == 0);
	}
	buf_free(&s);
	put(holder, sh->list, list);
	obj = obj1("apiVersion", jstr("thurkube.thurbeen.eu/v1alpha1"));
	put(obj, "kind", jstr(sh->kind));
	put(obj, "metadata", obj1("name", jstr("big")));
	put(obj, "spec", spec);
	rq = obj1("uid", jstr("u-1"));
	put(rq, "kind", obj1("group", jstr("thurkube.thurbeen.eu")));
	put(json_object_object_get(rq, "kind"), "version", jstr("v1alpha1"));
	put(json_object_object_get(rq, "kind"), "kind", jstr(sh->kind));
	put(rq, "operation", jstr("CREATE"));
	put(rq, "namespace", jstr("agents"));
	put(rq, "userInfo", obj1("username", jstr("alice")));
	put(rq, "object", obj);
	root = obj1("apiVersion", jstr("admission.k8s.io/v1"));
	put(root, "kind", jstr("AdmissionReview"));
	put(root, "request", rq);
	out = xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	CHECK(out != NULL);
	json_object_put(root);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct shape *sh;
	struct admission_env env = {0};
	struct admission_outcome out = {0};
	size_t n, entries;
	uint8_t mode;
	char *text, *body;
	bool mutate;

	if (size < 4)
		return 0;
	sh = &shapes[data[0] % TK_ARRAY_LEN(shapes)];
	n = ((size_t)data[1] | (size_t)data[2] << 8) % (2 * sh->max + 2);
	mode = data[3];
	mutate = mode & 1;
	/* The entry text: up to 64 bytes, no NUL (json-c would keep it, the
	 * review would then be a NUL test, which fuzz_wh_admission covers). */
	text = xstrndup((const char *)data + 4, size - 4 > 64 ? 64 : size - 4);
	CHECK(text != NULL);
	body = review(sh, n, mode & 2, text);
	env.budget_ms = 100;
	env.deadline_ms = mode & 4 ? 1 : 0;
	if (mode & 8)
		env.check = fuzz_check;
	CHECK(admission_handle(mutate ? ADM_MUTATE : ADM_VALIDATE, body, strlen(body), &env,
	                       &out) == 0);
	CHECK(out.http_status == 200);
	CHECK(strcmp(out.result, "error") != 0);
	/* Equal keys of a map are one entry. */
	entries = sh->map && (mode & 2) && n ? 1 : n;
	if (!mutate && entries > sh->max)
		CHECK(strcmp(out.result, "denied") == 0);
	if (strcmp(out.result, "denied") == 0) {
		json_object *root = json_tokener_parse(out.body.data), *resp, *st, *code;

		CHECK(root != NULL);
		CHECK(json_object_object_get_ex(root, "response", &resp));
		CHECK(json_object_object_get_ex(resp, "status", &st));
		CHECK(json_object_object_get_ex(st, "code", &code));
		CHECK(json_object_get_int(code) >= 400 && json_object_get_int(code) < 500);
		json_object_put(root);
	}
	admission_outcome_free(&out);
	free(body);
	free(text);
	return 0;
}

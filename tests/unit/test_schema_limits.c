/*
 * test_schema_limits.c - bounded work: every list and map of every kind
 * holds at its limit (limits.h) and fails at limit + 1 with the API
 * server's "Too many: N: must have at most M items" at its path, without
 * looking at a single item; the access question bound of ClusterAccess
 * holds at TK_MAX_ACCESS_QUESTIONS and fails one past it; repeats found
 * by sorting are reported where the pairwise loops reported them; a
 * passed deadline stops validation and defaulting with -ETIMEDOUT, a
 * generous one changes nothing.
 */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "fielderr.h"
#include "limits.h"
#include "schema.h"
#include "util.h"

/* The cases below are printf formats kept in a table. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

#define AV   "\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\""
#define META "\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\"}"
/* Objects of each kind with one slot (%s) for the list under test. */
#define AJ                                                                                         \
	"{" AV ",\"kind\":\"AgentJob\"," META ",\"spec\":{\"runtimeRef\":\"rt\",\"authRef\":"      \
	"\"auth\",\"roleRef\":\"role\",\"prompt\":\"go\",%s}}"
#define RT                                                                                         \
	"{" AV ",\"kind\":\"AgentRuntime\"," META ",\"spec\":{\"image\":\"img\",\"authEnvVar\":"   \
	"\"T\",\"configPath\":\"/etc/a\",\"persistPath\":\"/var/a\",%s}}"
#define MCP  "{" AV ",\"kind\":\"McpServer\"," META ",\"spec\":{\"command\":\"npx\",%s}}"
#define ROLE "{" AV ",\"kind\":\"AgentRole\"," META ",\"spec\":{%s}}"
#define CA   "{" AV ",\"kind\":\"ClusterAccess\"," META ",\"spec\":{%s}}"
#define RULE "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"],%s}]"

/* One bounded field: the object (tmpl), where the list goes (open: the
 * text before it, "" closing after), one valid item (%zu: its index). */
static const struct lim_case {
	enum tk_kind kind;
	const char *tmpl;
	const char *open;  /* "\"env\":[" or "\"nodeSelector\":{" */
	const char *close; /* "]" or "}" */
	const char *item;  /* printf format with one %zu */
	size_t max;
	const char *path;
} lims[] = {
    {TK_AGENTJOB, AJ, "\"env\":[", "]", "{\"name\":\"V%zu\",\"value\":\"x\"}", TK_MAX_ENV_ITEMS,
     "spec.env"},
    {TK_AGENTJOB, AJ, "\"envFrom\":[", "]", "{\"secretRef\":{\"name\":\"s%zu\"}}",
     TK_MAX_ENV_FROM_ITEMS, "spec.envFrom"},
    {TK_AGENTJOB, AJ, "\"imagePullSecrets\":[", "]", "{\"name\":\"s%zu\"}", TK_MAX_PULL_SECRETS,
     "spec.imagePullSecrets"},
    {TK_AGENTJOB, AJ, "\"tolerations\":[", "]", "{\"key\":\"k%zu\",\"operator\":\"Exists\"}",
     TK_MAX_TOLERATIONS, "spec.tolerations"},
    {TK_AGENTJOB, AJ, "\"resources\":{\"claims\":[", "]}", "{\"name\":\"c%zu\"}",
     TK_MAX_RESOURCE_CLAIMS, "spec.resources.claims"},
    {TK_AGENTJOB, AJ, "\"resources\":{\"limits\":{", "}}", "\"example.com/r%zu\":\"1\"",
     TK_MAX_MAP_ITEMS, "spec.resources.limits"},
    {TK_AGENTJOB, AJ, "\"resources\":{\"requests\":{", "}}", "\"example.com/r%zu\":\"1\"",
     TK_MAX_MAP_ITEMS, "spec.resources.requests"},
    {TK_AGENTJOB, AJ, "\"nodeSelector\":{", "}", "\"k%zu\":\"v\"", TK_MAX_MAP_ITEMS,
     "spec.nodeSelector"},
    {TK_AGENTJOB, AJ, "\"mcpServerRefs\":[", "]", "\"m%zu\"", TK_MAX_REFS, "spec.mcpServerRefs"},
    {TK_AGENTJOB, AJ, "\"repositoryRefs\":[", "]", "\"r%zu\"", TK_MAX_REFS, "spec.repositoryRefs"},
    {TK_AGENTJOB, AJ, "\"podLabels\":{", "}", "\"k%zu\":\"v\"", TK_MAX_MAP_ITEMS, "spec.podLabels"},
    {TK_AGENTJOB, AJ, "\"podAnnotations\":{", "}", "\"k%zu\":\"v\"", TK_MAX_MAP_ITEMS,
     "spec.podAnnotations"},
    {TK_AGENTJOB, AJ, "\"topologySpreadConstraints\":[", "]",
     "{\"maxSkew\":1,\"topologyKey\":\"k%zu\",\"whenUnsatisfiable\":\"DoNotSchedule\"}",
     TK_MAX_AFFINITY_TERMS, "spec.topologySpreadConstraints"},
    {TK_AGENTJOB, AJ,
     "\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{"
     "\"nodeSelectorTerms\":[",
     "]}}}", "{\"matchExpressions\":[{\"key\":\"k%zu\",\"operator\":\"Exists\"}]}",
     TK_MAX_AFFINITY_TERMS,
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"},
    {TK_AGENTJOB, AJ,
     "\"affinity\":{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[{"
     "\"topologyKey\":\"t\",\"labelSelector\":{\"matchExpressions\":[",
     "]}}]}}", "{\"key\":\"k%zu\",\"operator\":\"Exists\"}", TK_MAX_SELECTOR_ITEMS,
     "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector."
     "matchExpressions"},
    {TK_AGENTJOB, AJ,
     "\"affinity\":{\"podAntiAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":[{"
     "\"weight\":1,\"podAffinityTerm\":{\"topologyKey\":\"t\",\"labelSelector\":{"
     "\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\",\"values\":[",
     "]}]}}}]}}", "\"v%zu\"", TK_MAX_SELECTOR_VALUES,
     "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]."
     "podAffinityTerm.labelSelector.matchExpressions[0].values"},
    {TK_AGENTRUNTIME, RT, "\"network\":{\"egress\":\"Restricted\",\"allow\":[", "]}",
     "{\"cidr\":\"10.%zu.0.0/16\"}", TK_MAX_NETWORK_ALLOW, "spec.network.allow"},
    {TK_AGENTRUNTIME, RT,
     "\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"10.0.0.0/8\",\"ports\":[",
     "]}]}", "{\"port\":1%zu}", TK_MAX_NETWORK_PORTS, "spec.network.allow[0].ports"},
    {TK_AGENTRUNTIME, RT, "\"command\":[", "]", "\"c%zu\"", TK_MAX_ARGS, "spec.command"},
    {TK_AGENTRUNTIME, RT, "\"args\":[", "]", "\"a%zu\"", TK_MAX_ARGS, "spec.args"},
    {TK_MCPSERVER, MCP, "\"args\":[", "]", "\"a%zu\"", TK_MAX_ARGS, "spec.args"},
    {TK_MCPSERVER, MCP, "\"env\":[", "]", "{\"name\":\"V%zu\",\"value\":\"x\"}", TK_MAX_ENV_ITEMS,
     "spec.env"},
    {TK_AGENTROLE, ROLE, "\"allowedTools\":[", "]", "\"T%zu\"", TK_MAX_TOOLS, "spec.allowedTools"},
    {TK_CLUSTERACCESS, CA, "\"rules\":[", "]",
     "{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"],\"resourceNames\":["
     "\"p%zu\"]}",
     TK_MAX_RULES, "spec.rules"},
    {TK_CLUSTERACCESS, CA, "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[",
     "]}]", "\"v%zu\"", TK_MAX_RULE_ITEMS, "spec.rules[0].verbs"},
    {TK_CLUSTERACCESS, CA,
     "\"rules\":[{\"resources\":[\"pods\"],\"verbs\":[\"get\"],\"apiGroups\":[", "]}]",
     "\"g%zu.example.com\"", TK_MAX_RULE_ITEMS, "spec.rules[0].apiGroups"},
    {TK_CLUSTERACCESS, CA, "\"rules\":[{\"apiGroups\":[\"\"],\"verbs\":[\"get\"],\"resources\":[",
     "]}]", "\"r%zu\"", TK_MAX_RULE_ITEMS, "spec.rules[0].resources"},
    {TK_CLUSTERACCESS, CA,
     "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"],"
     "\"resourceNames\":[",
     "]}]", "\"p%zu\"", TK_MAX_RULE_ITEMS, "spec.rules[0].resourceNames"},
    {TK_CLUSTERACCESS, CA, "\"rules\":[{\"verbs\":[\"get\"],\"nonResourceURLs\":[", "]}]",
     "\"/u%zu\"", TK_MAX_RULE_ITEMS, "spec.rules[0].nonResourceURLs"},
};

/* The object of case c with n items; bad: every item is `true`, a wrong
 * type for every list and map above, so any item looked at is an error. */
static json_object *lim_object(const struct lim_case *c, size_t n, bool bad)
{
	struct buf list = BUF_INIT(64u << 20), obj = BUF_INIT(64u << 20);
	json_object *o;
	bool map = strchr(c->close, '}') == c->close;
	size_t i;
	int r = buf_puts(&list, c->open);

	for (i = 0; r == 0 && i < n; i++) {
		if (i)
			r = buf_puts(&list, ",");
		if (r == 0 && bad && map)
			r = buf_printf(&list, "\"k%zu\":true", i);
		else if (r == 0 && bad)
			r = buf_puts(&list, "true");
		else if (r == 0)
			r = buf_printf(&list, c->item, i);
	}
	if (r == 0)
		r = buf_puts(&list, c->close);
	if (r == 0)
		r = buf_printf(&obj, c->tmpl, list.data);
	ck_assert_int_eq(r, 0);
	o = json_tokener_parse(obj.data);
	ck_assert_msg(o != NULL, "bad JSON: %.200s", obj.data);
	buf_free(&list);
	buf_free(&obj);
	return o;
}

static char *render(const struct fielderrs *errs)
{
	struct buf b = BUF_INIT(1 << 20);

	ck_assert_int_eq(fielderrs_render(errs, &b), 0);
	return b.data ? buf_steal(&b) : xstrdup("");
}

START_TEST(test_list_at_limit)
{
	const struct lim_case *c = &lims[_i];
	json_object *o = lim_object(c, c->max, false);
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	char *msg;

	ck_assert_int_eq(schema_validate(c->kind, o, NULL, NULL, &errs, &warnings), 0);
	msg = render(&errs);
	ck_assert_msg(errs.n == 0, "%s at %zu: %.300s", c->path, c->max, msg);
	free(msg);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(o);
}
END_TEST

START_TEST(test_list_past_limit)
{
	const struct lim_case *c = &lims[_i];
	json_object *o = lim_object(c, c->max + 1, true);
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	struct buf want = BUF_INIT(1024);
	char *msg;

	ck_assert_int_eq(buf_printf(&want, "%s: Too many: %zu: must have at most %zu items",
	                            c->path, c->max + 1, c->max),
	                 0);
	ck_assert_int_eq(schema_validate(c->kind, o, NULL, NULL, &errs, &warnings), 0);
	msg = render(&errs);
	/* One error: not one item of the list was looked at. */
	ck_assert_str_eq(msg, want.data);
	ck_assert_int_eq(errs.v[0].type, FE_TOO_MANY);
	free(msg);
	buf_free(&want);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(o);
}
END_TEST

/* Defaulting leaves a list over its limit alone (validation refuses it). */
START_TEST(test_default_past_limit)
{
	static const char *const tools[] = {" a ", "a"};
	struct buf b = BUF_INIT(1 << 20);
	json_object *o, *patch = NULL;
	size_t i, n = _i ? TK_MAX_TOOLS + 1 : TK_MAX_TOOLS;
	int r =
	    buf_puts(&b, "{" AV ",\"kind\":\"AgentRole\"," META ",\"spec\":{\"allowedTools\":[");

	for (i = 0; r == 0 && i < n; i++)
		r = buf_printf(&b, "%s\"%s\"", i ? "," : "", tools[i % 2]);
	r = r ? r : buf_puts(&b, "]}}");
	ck_assert_int_eq(r, 0);
	o = json_tokener_parse(b.data);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(schema_default(TK_AGENTROLE, o, NULL, NULL, &patch), 0);
	/* At the limit: one replace with the single trimmed "a". */
	ck_assert_uint_eq(json_object_array_length(patch), _i ? 0 : 1);
	if (!_i)
		ck_assert_str_eq(json_object_to_json_string_ext(patch, JSON_C_TO_STRING_PLAIN),
		                 "[{\"op\":\"replace\",\"path\":\"\\/spec\\/allowedTools\","
		                 "\"value\":[\"a\"]}]");
	json_object_put(patch);
	json_object_put(o);
	buf_free(&b);
}
END_TEST

/* ClusterAccess: the SubjectAccessReviews the rules need, at the bound and one past it. */
START_TEST(test_access_questions)
{
	/* 4 verbs x 16 apiGroups x 16 resources = 1024, then one non-resource question. */
	struct buf b = BUF_INIT(1 << 20);
	json_object *o;
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	size_t i;
	char *msg;
	int r = buf_puts(&b, "{" AV ",\"kind\":\"ClusterAccess\"," META
	                     ",\"spec\":{\"rules\":[{\"verbs\":[\"get\",\"list\",\"watch\","
	                     "\"create\"],\"apiGroups\":[");

	ck_assert_int_eq(TK_MAX_ACCESS_QUESTIONS, 1024);
	for (i = 0; r == 0 && i < 16; i++)
		r = buf_printf(&b, "%s\"g%zu\"", i ? "," : "", i);
	r = r ? r : buf_puts(&b, "],\"resources\":[");
	for (i = 0; r == 0 && i < 16; i++)
		r = buf_printf(&b, "%s\"r%zu\"", i ? "," : "", i);
	r = r ? r : buf_puts(&b, "]}");
	if (_i)
		r = r ? r : buf_puts(&b, ",{\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/x\"]}");
	r = r ? r : buf_puts(&b, "]}}");
	ck_assert_int_eq(r, 0);
	o = json_tokener_parse(b.data);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(schema_access_questions(
	                      json_object_object_get(json_object_object_get(o, "spec"), "rules")),
	                  _i ? 1025 : 1024);
	ck_assert_int_eq(schema_validate(TK_CLUSTERACCESS, o, NULL, NULL, &errs, &warnings), 0);
	msg = render(&errs);
	if (_i)
		ck_assert_str_eq(msg, "spec.rules: Too many: 1025: must need at most 1024 access "
		                      "checks (SubjectAccessReviews: per rule verbs x apiGroups x "
		                      "resources x resourceNames, plus verbs x nonResourceURLs)");
	else
		ck_assert_msg(errs.n == 0, "%s", msg);
	free(msg);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(o);
	buf_free(&b);
}
END_TEST

/* Repeats are found by sorting and reported at every later index, in list order. */
START_TEST(test_repeats_in_order)
{
	static const char *const want[] = {
	    "[spec.env[2].name: Duplicate value: \"A\", spec.env[3].name: Invalid value: \"1x\": "
	    "a valid environment variable name must consist of alphabetic characters, digits, "
	    "'_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or "
	    "'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is "
	    "'[-._a-zA-Z][-._a-zA-Z0-9]*'), spec.env[4].name: Duplicate value: \"A\", "
	    "spec.env[5].name: Duplicate value: \"B\"]",
	    "[spec.mcpServerRefs[2]: Duplicate value: \"b\", spec.mcpServerRefs[3]: Duplicate "
	    "value: \"a\", spec.mcpServerRefs[4]: Duplicate value: \"b\"]",
	};
	static const char *const objs[] = {
	    "\"env\":[{\"name\":\"A\"},{\"name\":\"B\"},{\"name\":\"A\"},{\"name\":\"1x\"},"
	    "{\"name\":\"A\"},{\"name\":\"B\"}]",
	    "\"mcpServerRefs\":[\"a\",\"b\",\"b\",\"a\",\"b\"]",
	};
	struct buf b = BUF_INIT(1 << 16);
	json_object *o;
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	char *msg;

	ck_assert_int_eq(buf_printf(&b, AJ, objs[_i]), 0);
	o = json_tokener_parse(b.data);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(schema_validate(TK_AGENTJOB, o, NULL, NULL, &errs, &warnings), 0);
	msg = render(&errs);
	ck_assert_str_eq(msg, want[_i]);
	free(msg);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(o);
	buf_free(&b);
}
END_TEST

/*
 * A deadline that has passed (1 ms after the clock's origin) stops a
 * large valid object; a generous one lets it through. The clock is read
 * every TK_DEADLINE_CHECK_EVERY steps, and this object has thousands.
 */
START_TEST(test_deadline)
{
	const struct lim_case *c = &lims[0]; /* env at its limit */
	json_object *o = lim_object(c, c->max, false), *patch = NULL;
	int64_t deadline = _i ? now_ms() + 600000 : 1;
	struct fielderrs errs = {0};
	struct strlist warnings = {0};

	ck_assert_int_eq(schema_validate_until(c->kind, o, NULL, NULL, deadline, &errs, &warnings),
	                 _i ? 0 : -ETIMEDOUT);
	if (_i)
		ck_assert_uint_eq(errs.n, 0);
	ck_assert_int_eq(schema_default_until(c->kind, o, NULL, NULL, deadline, &patch),
	                 _i ? 0 : -ETIMEDOUT);
	if (_i)
		ck_assert_ptr_nonnull(patch);
	else
		ck_assert_ptr_null(patch);
	json_object_put(patch);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(o);
}
END_TEST

/*
 * Linear work: 200,000 env entries, each a repeat of the first, are one
 * error. Before the list limit stopped the walk, the pairwise duplicate
 * check ran over all of them (hours); Check's timeout fails it then.
 */
START_TEST(test_huge_list)
{
	struct lim_case c = lims[0];
	json_object *o;
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	char *msg;

	c.item = "{\"name\":\"SAME\",\"value\":\"%zu\"}";
	o = lim_object(&c, 200000, false);
	ck_assert_int_eq(schema_validate(c.kind, o, NULL, NULL, &errs, &warnings), 0);
	msg = render(&errs);
	ck_assert_str_eq(msg, "spec.env: Too many: 200000: must have at most 1024 items");
	free(msg);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("schema_limits");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_list_at_limit, 0, (int)TK_ARRAY_LEN(lims));
	tcase_add_loop_test(tc, test_list_past_limit, 0, (int)TK_ARRAY_LEN(lims));
	tcase_add_loop_test(tc, test_default_past_limit, 0, 2);
	tcase_add_loop_test(tc, test_access_questions, 0, 2);
	tcase_add_loop_test(tc, test_repeats_in_order, 0, 2);
	tcase_add_loop_test(tc, test_deadline, 0, 2);
	tcase_add_test(tc, test_huge_list);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

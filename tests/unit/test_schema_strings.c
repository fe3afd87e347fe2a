/*
 * test_schema_strings.c - exact and bounded strings: a NUL character in
 * any string value (spec, metadata, unknown fields, every kind) is an
 * error naming the field; every length limit of limits.h holds at N and
 * fails at N + 1 with the API server's "Too long" line; a URL carrying
 * user information is refused and quoted redacted.
 */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "fielderr.h"
#include "limits.h"
#include "schema.h"
#include "util.h"

#define AV   "\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\""
#define META "\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\"}"
/* Objects of each kind with one slot (%s) for the value under test. */
#define AJ(spec)                                                                                   \
	"{" AV ",\"kind\":\"AgentJob\"," META ",\"spec\":{\"runtimeRef\":\"rt\",\"authRef\":"      \
	"\"auth\",\"roleRef\":\"role\",\"prompt\":\"go\"," spec "}}"
#define CA(rule)                                                                                   \
	"{" AV ",\"kind\":\"ClusterAccess\"," META                                                 \
	",\"spec\":{\"rules\":[{\"verbs\":[\"get\"]," rule "}]}}"
#define RT(spec)                                                                                   \
	"{" AV ",\"kind\":\"AgentRuntime\"," META                                                  \
	",\"spec\":{\"authEnvVar\":\"T\",\"configPath\":"                                          \
	"\"/etc/a\",\"persistPath\":\"/var/a\"," spec "}}"
#define MCP(spec)  "{" AV ",\"kind\":\"McpServer\"," META ",\"spec\":{" spec "}}"
#define ROLE(spec) "{" AV ",\"kind\":\"AgentRole\"," META ",\"spec\":{\"allowedTools\":[" spec "]}}"
#define REPO(spec) "{" AV ",\"kind\":\"Repository\"," META ",\"spec\":{" spec "}}"

#define NUL_LINE(p) p ": Invalid value: must not contain a NUL character (\\u0000)"

static json_object *parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	ck_assert_msg(o != NULL, "bad JSON: %.200s", text);
	return o;
}

/* The rendering of the first error at path, or NULL; owned by the caller. */
static char *line_at(const struct fielderrs *errs, const char *path, enum fielderr_type type)
{
	struct buf b = BUF_INIT(1 << 20);
	size_t i;

	for (i = 0; i < errs->n; i++) {
		if (strcmp(errs->v[i].path, path) != 0 || errs->v[i].type != type)
			continue;
		ck_assert_int_eq(fielderr_render(&errs->v[i], &b), 0);
		return buf_steal(&b);
	}
	return NULL;
}

static void validate(enum tk_kind k, const char *text, struct fielderrs *errs)
{
	struct strlist warnings = {0};
	json_object *o = parse(text);

	ck_assert_int_eq(schema_validate(k, o, NULL, NULL, errs, &warnings), 0);
	strlist_free(&warnings);
	json_object_put(o);
}

/* ---- NUL characters ---- */

static const struct {
	enum tk_kind kind;
	const char *obj;
	const char *path;
} nuls[] = {
    {TK_CLUSTERACCESS, CA("\"apiGroups\":[\"\"],\"resources\":[\"pods\\u0000secrets\"]"),
     "spec.rules[0].resources[0]"},
    {TK_CLUSTERACCESS, CA("\"apiGroups\":[\"\\u0000\"],\"resources\":[\"pods\"]"),
     "spec.rules[0].apiGroups[0]"},
    {TK_CLUSTERACCESS, CA("\"nonResourceURLs\":[\"/healthz\\u0000/x\"]"),
     "spec.rules[0].nonResourceURLs[0]"},
    {TK_AGENTJOB, AJ("\"model\":\"\\u0000\""), "spec.model"},
    {TK_AGENTJOB,
     AJ("\"env\":[{\"name\":\"A\",\"value\":\"a\"},{\"name\":\"B\",\"value\":"
        "\"x\\u0000y\"}]"),
     "spec.env[1].value"},
    {TK_AGENTJOB, AJ("\"nodeSelector\":{\"zone\":\"a\\u0000\"}"), "spec.nodeSelector[zone]"},
    {TK_AGENTJOB, AJ("\"resources\":{\"limits\":{\"cpu\":\"1\\u0000\"}}"),
     "spec.resources.limits[cpu]"},
    {TK_AGENTJOB, AJ("\"envFrom\":[{\"secretRef\":{\"name\":\"db\\u0000admin\"}}]"),
     "spec.envFrom[0].secretRef.name"},
    {TK_AGENTJOB, AJ("\"foo\":{\"bar\":[\"ok\",\"\\u0000\"]}"), "spec.foo.bar[1]"},
    {TK_AGENTRUNTIME, RT("\"image\":\"busybox\\u0000:evil\""), "spec.image"},
    {TK_MCPSERVER, MCP("\"url\":\"https://mcp.example/\\u0000\""), "spec.url"},
    {TK_AGENTROLE, ROLE("\"Bash\\u0000\""), "spec.allowedTools[0]"},
    {TK_REPOSITORY,
     REPO("\"owner\":\"o\",\"name\":\"n\",\"tokenSecretRef\":{\"name\":\"s\",\"key\":"
          "\"k\\u0000\"}}"),
     "spec.tokenSecretRef.key"},
    /* Outside spec: the plain walk. */
    {TK_AGENTROLE,
     "{" AV ",\"kind\":\"AgentRole\",\"metadata\":{\"name\":\"r\\u0000x\"},\"spec\":{"
     "\"allowedTools\":[\"Bash\"]}}",
     "metadata.name"},
    {TK_AGENTROLE,
     "{" AV ",\"kind\":\"AgentRole\",\"metadata\":{\"name\":\"r\",\"labels\":{\"a.b/c\":"
     "\"\\u0000\"}},\"spec\":{\"allowedTools\":[\"Bash\"]}}",
     "metadata.labels[a.b/c]"},
    {TK_AGENTROLE,
     "{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\\u0000x\",\"kind\":\"AgentRole\","
     "\"metadata\":{\"name\":\"r\"},\"spec\":{\"allowedTools\":[\"Bash\"]}}",
     "apiVersion"},
};

START_TEST(test_nul_value)
{
	struct fielderrs errs = {0};
	char *line;

	validate(nuls[_i].kind, nuls[_i].obj, &errs);
	line = line_at(&errs, nuls[_i].path, FE_INVALID);
	ck_assert_msg(line != NULL, "case %d: no error at %s", _i, nuls[_i].path);
	ck_assert_str_eq(line + strlen(nuls[_i].path), NUL_LINE(""));
	free(line);
	fielderrs_free(&errs);
}
END_TEST

/* ---- length limits at N and N + 1 ---- */

static const struct {
	enum tk_kind kind;
	const char *tmpl;   /* one %s: prefix then filler */
	const char *prefix; /* start of the value under test */
	size_t max;
	const char *path;
	bool key; /* the limit is on a key: "keys may not be..." */
} lens[] = {
    {TK_CLUSTERACCESS,
     CA("\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"resourceNames\":"
        "[\"%s\"]"),
     "", TK_MAX_RBAC_STRING, "spec.rules[0].resourceNames[0]", false},
    {TK_CLUSTERACCESS, CA("\"apiGroups\":[\"\"],\"resources\":[\"%s\"]"), "", TK_MAX_RBAC_STRING,
     "spec.rules[0].resources[0]", false},
    {TK_CLUSTERACCESS, CA("\"apiGroups\":[\"%s\"],\"resources\":[\"pods\"]"), "",
     TK_MAX_RBAC_STRING, "spec.rules[0].apiGroups[0]", false},
    {TK_CLUSTERACCESS, CA("\"nonResourceURLs\":[\"%s\"]"), "/", TK_MAX_RBAC_STRING,
     "spec.rules[0].nonResourceURLs[0]", false},
    {TK_AGENTJOB, AJ("\"clusterAccessRef\":\"%s\""), "", TK_MAX_NAME, "spec.clusterAccessRef",
     false},
    {TK_AGENTJOB, AJ("\"model\":\"%s\""), "", TK_MAX_NAME, "spec.model", false},
    {TK_AGENTJOB, AJ("\"instructions\":\"%s\""), "", TK_MAX_PROMPT, "spec.instructions", false},
    {TK_AGENTJOB, AJ("\"env\":[{\"name\":\"A\",\"value\":\"%s\"}]"), "", TK_MAX_STRING,
     "spec.env[0].value", false},
    {TK_AGENTJOB, AJ("\"nodeSelector\":{\"zone\":\"%s\"}"), "", TK_MAX_LABEL,
     "spec.nodeSelector[zone]", false},
    {TK_AGENTJOB, AJ("\"nodeSelector\":{\"%s\":\"v\"}"), "", TK_MAX_QUALIFIED_NAME,
     "spec.nodeSelector", true},
    {TK_AGENTJOB, AJ("\"resources\":{\"limits\":{\"%s\":\"1\"}}"), "", TK_MAX_QUALIFIED_NAME,
     "spec.resources.limits", true},
    {TK_AGENTJOB, AJ("\"tolerations\":[{\"key\":\"%s\",\"operator\":\"Exists\"}]"), "",
     TK_MAX_QUALIFIED_NAME, "spec.tolerations[0].key", false},
    {TK_AGENTJOB, AJ("\"%s\":1"), "", TK_MAX_JSON_KEY, "spec", true},
    {TK_AGENTRUNTIME, RT("\"image\":\"%s\""), "", TK_MAX_IMAGE, "spec.image", false},
    {TK_AGENTRUNTIME, RT("\"image\":\"i\",\"args\":[\"%s\"]"), "", TK_MAX_STRING, "spec.args[0]",
     false},
    {TK_AGENTROLE, ROLE("\"%s\""), "", TK_MAX_TOOL_NAME, "spec.allowedTools[0]", false},
    {TK_MCPSERVER, MCP("\"url\":\"%s\""), "https://mcp.example/", TK_MAX_URL, "spec.url", false},
    {TK_MCPSERVER, MCP("\"command\":\"%s\""), "", TK_MAX_PATH, "spec.command", false},
    {TK_AGENTROLE,
     "{" AV ",\"kind\":\"AgentRole\",\"metadata\":{\"name\":\"r\",\"labels\":{\"%s\":\"v\"}},"
     "\"spec\":{\"allowedTools\":[\"Bash\"]}}",
     "", TK_MAX_JSON_KEY, "metadata.labels", true},
};

/* tmpl with its "%s" replaced by prefix and 'a's, n bytes in all. */
static char *fill(const char *tmpl, const char *prefix, size_t n)
{
	static char as[4096];
	const char *slot = strstr(tmpl, "%s");
	size_t plen = strlen(prefix), head = (size_t)(slot - tmpl), k;
	struct buf b = BUF_INIT(TK_MAX_INPUT_FILE);

	ck_assert(slot && n >= plen);
	ck_assert_int_eq(buf_append(&b, tmpl, head), 0);
	ck_assert_int_eq(buf_puts(&b, prefix), 0);
	memset(as, 'a', sizeof(as));
	for (n -= plen; n > 0; n -= k) {
		k = n < sizeof(as) ? n : sizeof(as);
		ck_assert_int_eq(buf_append(&b, as, k), 0);
	}
	ck_assert_int_eq(buf_puts(&b, slot + 2), 0);
	return buf_steal(&b);
}

START_TEST(test_length_limits)
{
	char want[512];
	size_t k;

	snprintf(want, sizeof(want), "%s: Too long: %smay not be more than %zu bytes",
	         lens[_i].path, lens[_i].key ? "keys " : "", lens[_i].max);
	for (k = 0; k < 2; k++) {
		struct fielderrs errs = {0};
		char *obj = fill(lens[_i].tmpl, lens[_i].prefix, lens[_i].max + k);
		char *line;

		validate(lens[_i].kind, obj, &errs);
		line = line_at(&errs, lens[_i].path, FE_TOO_LONG);
		if (k == 0)
			ck_assert_msg(line == NULL, "case %d: %s at the limit", _i, line);
		else
			ck_assert_msg(line && strcmp(line, want) == 0, "case %d: got %s, want %s",
			              _i, line ? line : "nothing", want);
		free(line);
		free(obj);
		fielderrs_free(&errs);
	}
}
END_TEST

/* ---- URLs ---- */

static const struct {
	const char *url;
	const char *quoted; /* the quoted, redacted value, or NULL: valid */
	const char *detail;
} urls[] = {
    {"https://user:pass@mcp.example/sse", "\"https://***@mcp.example/sse\"", "credentials"},
    {"https://token@mcp.example", "\"https://***@mcp.example\"", "credentials"},
    {"HTTPS://u:p@Mcp.Example:8443/x", "\"HTTPS://***@Mcp.Example:8443/x\"", "credentials"},
    {"https://u:p@[::1]:8443/x?k=v", "\"https://***@[::1]:8443/x?***\"", "credentials"},
    {"https://@mcp.example/", "\"https://***@mcp.example/\"", "credentials"},
    {"https://bot:hunter2-token@mcp.example/sse?key=q-secret",
     "\"https://***@mcp.example/sse?***\"", "credentials"},
    {"ftp://mcp.example/x?key=q-secret#f", "\"ftp://mcp.example/x?***#***\"", "http or https"},
    {"https://:8080/x", "\"https://:8080/x\"", "http or https"},
    {"https://[::1]:8443/sse", NULL, NULL},
    {"https://mcp.example/user@host", NULL, NULL},
    {"https://mcp.example/sse?to=a@b", NULL, NULL},
    {"http://mcp.example#x@y", NULL, NULL},
    {"HTTP://MCP.EXAMPLE:80", NULL, NULL},
};

START_TEST(test_url_userinfo)
{
	struct fielderrs errs = {0};
	char *obj = fill(MCP("\"url\":\"%s\""), urls[_i].url, strlen(urls[_i].url)), *line;

	validate(TK_MCPSERVER, obj, &errs);
	free(obj);
	line = line_at(&errs, "spec.url", FE_INVALID);
	if (!urls[_i].quoted) {
		ck_assert_msg(errs.n == 0, "%s: %s", urls[_i].url, line);
	} else {
		ck_assert_msg(line != NULL, "%s: admitted", urls[_i].url);
		ck_assert_msg(strncmp(line, "spec.url: Invalid value: ", 25) == 0 &&
		                  strncmp(line + 25, urls[_i].quoted, strlen(urls[_i].quoted)) == 0,
		              "%s: %s", urls[_i].url, line);
		ck_assert(strstr(line, urls[_i].detail) != NULL);
		ck_assert(!strstr(line, "pass") && !strstr(line, "token@") &&
		          !strstr(line, "hunter2") && !strstr(line, "q-secret"));
	}
	free(line);
	fielderrs_free(&errs);
}
END_TEST

START_TEST(test_url_message)
{
	struct fielderrs errs = {0};
	char *line;

	validate(TK_MCPSERVER, MCP("\"url\":\"https://bot:tok@mcp.example/sse\""), &errs);
	line = line_at(&errs, "spec.url", FE_INVALID);
	ck_assert_str_eq(line, "spec.url: Invalid value: \"https://***@mcp.example/sse\": must not "
	                       "contain credentials (user information); put the token in a Secret "
	                       "and reference it from env");
	free(line);
	fielderrs_free(&errs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("schema_strings");
	TCase *tc = tcase_create("strings");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_nul_value, 0, (int)TK_ARRAY_LEN(nuls));
	tcase_add_loop_test(tc, test_length_limits, 0, (int)TK_ARRAY_LEN(lens));
	tcase_add_loop_test(tc, test_url_userinfo, 0, (int)TK_ARRAY_LEN(urls));
	tcase_add_test(tc, test_url_message);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

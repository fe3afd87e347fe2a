/* test_wh_cli.c - `thurkube-webhook validate` on the files of tests/data/: output and exit codes.
 */
#include "compat.h"

#include <check.h>
#include <fcntl.h>
#include <unistd.h>

#include "../../webhook/cli.h"
#include "util.h"

static const struct {
	const char *args[6];
	const char *stdin_file;
	int status;
	const char *out[3]; /* substrings expected on stdout */
	const char *err;    /* substring expected on stderr */
	const char *absent; /* substring expected on neither */
} cases[] = {
    {{"validate", "-f", "tests/data/quickstart.yaml"},
     NULL,
     0,
     {"agentjob.thurkube.thurbeen.eu/pr-fixer valid\n",
      "repository.thurkube.thurbeen.eu/thurkube valid\n",
      "tests/data/quickstart.yaml:1: skipped: v1 Secret/claude-code-secrets"},
     NULL,
     NULL},
    {{"validate", "--filename", "tests/data/valid"},
     NULL,
     0,
     {"clusteraccess.thurkube.thurbeen.eu/read-pods valid\n",
      "agentrole.thurkube.thurbeen.eu/reader valid\n",
      "agentjob.thurkube.thurbeen.eu/nightly-review valid\n"},
     NULL,
     NULL},
    {{"validate", "-f", "tests/data/invalid"},
     NULL,
     1,
     {"agentjob.thurkube.thurbeen.eu/pr-fixer: spec.schedule: Invalid value: \"61 * * * *\": "
      "minute must be 0-59\n",
      "agentjob.thurkube.thurbeen.eu/pr-fixer: AgentJob in version \"v1alpha1\" cannot be "
      "handled as a AgentJob: strict decoding error: unknown field \"spec.x\"\n",
      "mcpserver.thurkube.thurbeen.eu/both: spec.url: Forbidden"},
     NULL,
     "warning:"},
    {{"validate", "-f", "tests/data/invalid/agentjob-many.yaml"},
     NULL,
     1,
     {"agentjob.thurkube.thurbeen.eu/pr-fixer: spec.timeoutSeconds: Invalid value: 0: must be "
      "between 1 and 2147483647\n",
      "agentjob.thurkube.thurbeen.eu/pr-fixer: spec.prompt: Required value\n", NULL},
     NULL,
     NULL},
    /* Claude Code permission rules: the forms manifests use pass, each denial has its reason. */
    {{"validate", "-f", "tests/data/valid/agentrole-rules.yaml"},
     NULL,
     0,
     {"agentrole.thurkube.thurbeen.eu/claude-rules valid\n"},
     NULL,
     NULL},
    {{"validate", "-f", "tests/data/invalid/agentrole-rules.yaml"},
     NULL,
     1,
     {"agentrole.thurkube.thurbeen.eu/bad-rules: spec.allowedTools[1]: Invalid value: "
      "\"Bash(git diff:*\": unbalanced parentheses: the '(' at offset 4 is never closed\n",
      "agentrole.thurkube.thurbeen.eu/bad-rules: spec.allowedTools[4]: Invalid value: "
      "\"Bash(ls\\tx)\": must not contain control characters (U+0009 at offset 7)\n",
      "spec.allowedTools[5]: Invalid value: \"mcp__\": an MCP rule must name its server"},
     NULL,
     NULL},
    {{"validate", "-f", "tests/data/broken/broken.yaml"},
     NULL,
     2,
     {NULL},
     "tests/data/broken/broken.yaml:4:5: ",
     NULL},
    {{"validate", "-f", "tests/data/valid", "-f", "tests/data/no-such-file.yaml"},
     NULL,
     2,
     {"agentauth.thurkube.thurbeen.eu/auth valid\n"},
     "tests/data/no-such-file.yaml: cannot read",
     NULL},
    {{"validate", "-f", "tests/data/invalid", "--output", "json"},
     NULL,
     1,
     {"\"denied\": 6", "\"skipped\": 1", "\"reason\": \"FieldValueInvalid\""},
     NULL,
     NULL},
    {{"validate", "--output=json", "-f", "tests/data/quickstart.yaml"},
     NULL,
     0,
     {"\"valid\": 5", "\"result\": \"skipped\"", "\"name\": \"pr-fixer\""},
     NULL,
     NULL},
    {{"validate", "--bogus"}, NULL, 2, {NULL}, "unknown option --bogus", NULL},
    {{"validate"}, NULL, 2, {NULL}, "no input", NULL},
    {{"validate", "-f", "tests/data/quickstart.yaml", "-o", "xml"},
     NULL,
     2,
     {NULL},
     "text or json",
     NULL},
    {{"validate", "-f", "-"},
     "tests/data/invalid/mcp-both.yaml",
     1,
     {"<stdin>:1: skipped"},
     NULL,
     NULL},
    {{"validate", "--help"}, NULL, 0, {"usage: thurkube-webhook validate"}, NULL, NULL},
    /* The webhook's policy flags, with its defaults (issue 17). */
    {{"validate", "-f", "tests/data/invalid/agentjob-control-plane.yaml"},
     NULL,
     1,
     {"agentjob.thurkube.thurbeen.eu/on-control-plane: spec.tolerations[0]: Forbidden: "
      "tolerates the taint \"node-role.kubernetes.io/control-plane\", which agent pods may not "
      "tolerate (webhook policy --forbid-tolerations)\n"},
     NULL,
     NULL},
    {{"validate", "--forbid-tolerations=", "-f", "tests/data/invalid/agentjob-control-plane.yaml"},
     NULL,
     0,
     {"agentjob.thurkube.thurbeen.eu/on-control-plane valid\n"},
     NULL,
     NULL},
    {{"validate", "--forbid-tolerations", "example.com/gpu", "-f",
      "tests/data/invalid/agentjob-control-plane.yaml"},
     NULL,
     0,
     {"agentjob.thurkube.thurbeen.eu/on-control-plane valid\n"},
     NULL,
     NULL},
    {{"validate", "--require-runtime-class", "-f", "tests/data/valid/all-kinds.yaml"},
     NULL,
     1,
     {"agentruntime.thurkube.thurbeen.eu/claude-code: spec.runtimeClassName: Required value: "
      "this cluster runs agents only in a named runtime class",
      "agentjob.thurkube.thurbeen.eu/nightly-review valid\n"},
     NULL,
     NULL},
    {{"validate", "--require-runtime-class=true", "--default-runtime-class=gvisor", "-f",
      "tests/data/valid/all-kinds.yaml"},
     NULL,
     0,
     {"agentruntime.thurkube.thurbeen.eu/claude-code valid\n"},
     NULL,
     NULL},
    {{"validate", "--require-runtime-class=false", "--default-egress", "Restricted", "-f",
      "tests/data/valid/sandbox.yaml"},
     NULL,
     0,
     {"agentruntime.thurkube.thurbeen.eu/claude-code-gvisor valid\n"},
     NULL,
     NULL},
    {{"validate", "--default-egress=Open", "-f", "tests/data/valid"},
     NULL,
     2,
     {NULL},
     "validate: --default-egress: must be Unrestricted or Restricted, got \"Open\"",
     NULL},
    {{"validate", "--require-runtime-class=maybe", "-f", "tests/data/valid"},
     NULL,
     2,
     {NULL},
     "--require-runtime-class must be true or false",
     NULL},
    {{"validate", "--default-runtime-class", "Kata", "-f", "tests/data/valid"},
     NULL,
     2,
     {NULL},
     "validate: --default-runtime-class: a lowercase RFC 1123 subdomain",
     NULL},
    {{"validate", "-f", "tests/data/invalid/agentruntime-network.yaml"},
     NULL,
     1,
     {"agentruntime.thurkube.thurbeen.eu/leaky: spec.network.allow[0].cidr: Forbidden: "
      "\"169.254.169.254/32\" lies inside 169.254.0.0/16",
      "agentruntime.thurkube.thurbeen.eu/leaky: spec.network.allow[1].cidr: Invalid value: "
      "\"10.0.0.1/8\": has bits set past the prefix length; did you mean \"10.0.0.0/8\"?\n"},
     NULL,
     NULL},
    /* Exact and bounded strings: the webhook's verdicts, offline. */
    {{"validate", "-f", "tests/data/strings/clusteraccess-nul.json"},
     NULL,
     1,
     {"clusteraccess.thurkube.thurbeen.eu/nul: spec.rules[0].resources[0]: Invalid value: must "
      "not contain a NUL character (\\u0000)\n"},
     NULL,
     NULL},
    {{"validate", "-f", "tests/data/strings/clusteraccess-long.json"},
     NULL,
     1,
     {"clusteraccess.thurkube.thurbeen.eu/long: spec.rules[0].resourceNames[0]: Too long: may "
      "not be more than 1024 bytes\n"},
     NULL,
     NULL},
    {{"validate", "-f", "tests/data/strings/mcp-userinfo.yaml"},
     NULL,
     1,
     {"mcpserver.thurkube.thurbeen.eu/leak: spec.url: Invalid value: "
      "\"https://***@mcp.example/sse?***\": must not contain credentials"},
     NULL,
     NULL},
    /* Bounded lists and access checks: the webhook's verdicts, offline. */
    {{"validate", "-f", "tests/data/limits/agentjob-env-1025.json"},
     NULL,
     1,
     {"agentjob.thurkube.thurbeen.eu/many-env: spec.env: Too many: 1025: must have at most 1024 "
      "items\n"},
     NULL,
     NULL},
    {{"validate", "-f", "tests/data/limits/clusteraccess-questions.json"},
     NULL,
     1,
     {"clusteraccess.thurkube.thurbeen.eu/wide: spec.rules: Too many: 1025: must need at most "
      "1024 access checks"},
     NULL,
     NULL},
    /* Unknown fields (spec and metadata): denied as strict field validation denies them,
     * or a warning, or nothing. */
    {{"validate", "-f", "tests/data/invalid/agentjob-unknown.yaml"},
     NULL,
     1,
     {"agentjob.thurkube.thurbeen.eu/typo: AgentJob in version \"v1alpha1\" cannot be handled "
      "as a AgentJob: strict decoding error: unknown field \"metadata.lables\", unknown field "
      "\"spec.timeoutSecond\"\n"},
     NULL,
     " valid\n"},
    {{"validate", "--unknown-fields=error", "-f", "tests/data/invalid/agentjob-unknown.yaml", "-o",
      "json"},
     NULL,
     1,
     {"\"field\": \"spec.timeoutSecond\"", "\"reason\": \"BadRequest\"",
      "\"message\": \"strict decoding error: unknown field \\\"metadata.lables\\\"\""},
     NULL,
     "\"unknown field"},
    {{"validate", "-f", "tests/data/invalid/agentjob-unknown.yaml", "--unknown-fields", "warn"},
     NULL,
     0,
     {"warning: agentjob.thurkube.thurbeen.eu/typo: unknown field \"metadata.lables\"\n",
      "warning: agentjob.thurkube.thurbeen.eu/typo: unknown field \"spec.timeoutSecond\"\n",
      "agentjob.thurkube.thurbeen.eu/typo valid\n"},
     NULL,
     "strict decoding"},
    {{"validate", "--unknown-fields=warn", "-o", "json", "-f",
      "tests/data/invalid/agentjob-unknown.yaml"},
     NULL,
     0,
     {"\"result\": \"valid\"", "\"valid\": 1", "\"unknown field \\\"spec.timeoutSecond\\\"\""},
     NULL,
     NULL},
    {{"validate", "--unknown-fields=ignore", "-f", "tests/data/invalid/agentjob-unknown.yaml"},
     NULL,
     0,
     {"agentjob.thurkube.thurbeen.eu/typo valid\n"},
     NULL,
     "unknown field"},
    /* Unknown fields do not hide other errors, whatever the mode. */
    {{"validate", "--unknown-fields", "ignore", "-f", "tests/data/invalid/agentjob-many.yaml"},
     NULL,
     1,
     {"agentjob.thurkube.thurbeen.eu/pr-fixer: spec.prompt: Required value\n"},
     NULL,
     "unknown field"},
    /* A bad mode is one line and exit 2, as for the other options. */
    {{"validate", "-f", "tests/data/quickstart.yaml", "--unknown-fields=strict"},
     NULL,
     2,
     {NULL},
     "validate: --unknown-fields must be error, warn or ignore, got \"strict\"\n",
     "usage:"},
    {{"validate", "-f", "tests/data/quickstart.yaml", "--unknown-fields"},
     NULL,
     2,
     {NULL},
     "validate: --unknown-fields needs a value\n",
     "usage:"},
    {{"validate", "--unknown-fieldz=warn", "-f", "tests/data/quickstart.yaml"},
     NULL,
     2,
     {NULL},
     "unknown option --unknown-fieldz=warn",
     NULL},
    {{"validate", "--help"}, NULL, 0, {"--unknown-fields error|warn|ignore"}, NULL, NULL},
    /* json-c and C strings would cut the key: the YAML reader refuses it. */
    {{"validate", "-f", "tests/data/strings/nul-key.json"},
     NULL,
     2,
     {NULL},
     "contains a NUL byte",
     NULL},
};

/* Run the CLI with stdout/stderr (and optionally stdin) redirected to files. */
static int run(int i, char **out, char **err)
{
	char tout[] = "/tmp/tk-cli-out-XXXXXX", terr[] = "/tmp/tk-cli-err-XXXXXX";
	int fo = mkstemp(tout), fe = mkstemp(terr), so = dup(1), se = dup(2), si = -1, argc = 0, st;
	size_t len;

	ck_assert(fo >= 0 && fe >= 0 && so >= 0 && se >= 0);
	while (argc < 6 && cases[i].args[argc])
		argc++;
	fflush(stdout);
	fflush(stderr);
	dup2(fo, 1);
	dup2(fe, 2);
	if (cases[i].stdin_file) {
		si = dup(0);
		ck_assert(freopen(cases[i].stdin_file, "r", stdin) != NULL);
	}
	st = cli_validate_main(argc, (char **)cases[i].args);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(fo);
	close(fe);
	if (si >= 0)
		close(si);
	ck_assert_int_eq(read_file(tout, 1 << 20, out, &len), 0);
	ck_assert_int_eq(read_file(terr, 1 << 20, err, &len), 0);
	unlink(tout);
	unlink(terr);
	return st;
}

START_TEST(test_cli)
{
	char *out = NULL, *err = NULL;
	int st = run(_i, &out, &err);
	size_t k;

	ck_assert_msg(st == cases[_i].status, "case %d: exit %d, want %d\nstdout:\n%s\nstderr:\n%s",
	              _i, st, cases[_i].status, out, err);
	for (k = 0; k < 3 && cases[_i].out[k]; k++)
		ck_assert_msg(strstr(out, cases[_i].out[k]), "case %d: no \"%s\" in\n%s", _i,
		              cases[_i].out[k], out);
	if (cases[_i].err)
		ck_assert_msg(strstr(err, cases[_i].err), "case %d: no \"%s\" in stderr\n%s", _i,
		              cases[_i].err, err);
	if (cases[_i].absent)
		ck_assert_msg(!strstr(out, cases[_i].absent) && !strstr(err, cases[_i].absent),
		              "case %d: \"%s\" printed\nstdout:\n%s\nstderr:\n%s", _i,
		              cases[_i].absent, out, err);
	/* The credentials of tests/data/strings/mcp-userinfo.yaml are never printed. */
	ck_assert(!strstr(out, "hunter2") && !strstr(err, "hunter2"));
	ck_assert(!strstr(out, "q-secret") && !strstr(err, "q-secret"));
	free(out);
	free(err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wh_cli");
	TCase *tc = tcase_create("validate");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_cli, 0, (int)TK_ARRAY_LEN(cases));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

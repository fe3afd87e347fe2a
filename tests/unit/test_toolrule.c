/* test_toolrule.c - Claude Code permission rules: the forms real manifests use, and every
 * reason for a denial with its exact wording. */
#include "compat.h"

#include <check.h>

#include "toolrule.h"
#include "util.h"

#define NAME_MSG(off)                                                                              \
	"a tool name must consist of letters, digits, '_', '-' and '*' (offset " off "); write "   \
	"Tool or Tool(specifier), e.g. Bash or Bash(git diff:*)"
#define MCP_MSG     "an MCP rule must name its server: mcp__<server> or mcp__<server>__<tool>"
#define UNCLOSED(o) "unbalanced parentheses: the '(' at offset " o " is never closed"
#define STRAY(o)    "unbalanced parentheses: the ')' at offset " o " closes nothing"
#define TRAILING(o) "must end at the ')' that closes the specifier (offset " o "); text follows it"

static const struct {
	const char *s;
	const char *why; /* NULL when valid */
} cases[] = {
    /* Bare tool names. */
    {"Bash", NULL},
    {"Edit", NULL},
    {"WebFetch", NULL},
    {"NotebookEdit", NULL},
    {"my-tool_2", NULL},
    /* MCP servers, tools and wildcards. */
    {"mcp__github", NULL},
    {"mcp__github__create_issue", NULL},
    {"mcp__gmail__*", NULL},
    {"mcp__github__get_*", NULL},
    {"mcp__memory-keeper__*", NULL},
    {"mcp__github__create-pull-request", NULL},
    /* Specifiers: spaces, prefix wildcards, paths, domains, UTF-8, nesting. */
    {"Bash(git diff:*)", NULL},
    {"Bash(npm run test:*)", NULL},
    {"Bash(npm run build)", NULL},
    {"Bash(git * main)", NULL},
    {"Bash(*)", NULL},
    {"Read(./src/**)", NULL},
    {"Read(//home/agent/.config/**)", NULL},
    {"Edit(~/notes/*.md)", NULL},
    {"WebFetch(domain:example.com)", NULL},
    {"Bash(curl http://site.com/:*)", NULL},
    {"Bash(echo héllo wörld, ça va)", NULL},
    {"Bash(echo $(date) (now))", NULL},
    {"Bash(gcloud logging read --format=\"value(textPayload,jsonPayload)\":*)", NULL},
    {"Bash(python3 -c print\\(1\\))", NULL},
    {"Bash(echo \\))", NULL},
    {"Bash(echo $(date) \\(x)", NULL},
    {"Bash(echo \\\\)", NULL},
    {"Bash( )", NULL},
    {"Agent(Explore)", NULL},
    {"mcp__github__get_issue(owner:me)", NULL},
    /* Empty. */
    {"", "must not be empty"},
    /* Control characters, anywhere: C0 (newline, tab), DEL, C1. */
    {"Bash(git diff\n)", "must not contain control characters (U+000A at offset 13)"},
    {"Bash\t", "must not contain control characters (U+0009 at offset 4)"},
    {"Bash(rm\x7f)", "must not contain control characters (U+007F at offset 7)"},
    {"Bash(a\xc2\x85)", "must not contain control characters (U+0085 at offset 6)"},
    {"Bash(\xc2\xa0)", NULL}, /* U+00A0 is printable */
    /* Tool names. */
    {"(git diff)", "must start with a tool name before '('"},
    {"()", "must start with a tool name before '('"},
    {"Bash git", NAME_MSG("4")},
    {"Bash (git diff:*)", NAME_MSG("4")},
    {" Bash", NAME_MSG("0")},
    {"rm -rf", NAME_MSG("2")},
    {"Lecture\xc3\xa9", NAME_MSG("7")},
    {"Bash.exe", NAME_MSG("4")},
    /* Wildcards outside MCP names: thurkube admitted them. */
    {"*", NULL},
    {"Bash*", NULL},
    {"mcp__*", NULL},
    {"mcp__git*", NULL},
    {"mcp__", MCP_MSG},
    {"mcp__(x)", MCP_MSG},
    /* Parentheses. */
    {"Bash(git diff:*", UNCLOSED("4")},
    {"Bash(echo (a)", UNCLOSED("4")},
    {"Bash(echo \\)", UNCLOSED("4")},
    {"Bash)", STRAY("4")},
    {")", STRAY("0")},
    {"Bash(a))", STRAY("7")},
    {"Bash(rm -rf /)*", TRAILING("13")},
    {"Bash(a)(b)", TRAILING("6")},
    {"Bash(a) ", TRAILING("6")},
    /* An empty pattern: parseable, so admitted. */
    {"Bash()", NULL},
};

START_TEST(test_rule)
{
	struct buf why = BUF_INIT(1024);
	int ok = toolrule_valid(cases[_i].s, &why);

	if (!cases[_i].why) {
		ck_assert_msg(ok == 1, "%s: denied: %s", cases[_i].s, why.data ? why.data : "");
		ck_assert_ptr_null(why.data);
	} else {
		ck_assert_msg(ok == 0, "%s: accepted", cases[_i].s);
		ck_assert_ptr_nonnull(why.data);
		ck_assert_str_eq(why.data, cases[_i].why);
	}
	/* The verdict does not depend on a reason being asked for. */
	ck_assert_int_eq(toolrule_valid(cases[_i].s, NULL), ok);
	buf_free(&why);
}
END_TEST

START_TEST(test_reason_replaced_and_dropped)
{
	struct buf why = BUF_INIT(1024), tiny = BUF_INIT(8);

	/* A reason replaces what why held; a valid rule leaves it alone. */
	ck_assert_int_eq(buf_puts(&why, "old"), 0);
	ck_assert_int_eq(toolrule_valid("Bash)", &why), 0);
	ck_assert_str_eq(why.data, STRAY("4"));
	ck_assert_int_eq(toolrule_valid("Bash(git diff:*)", &why), 1);
	ck_assert_str_eq(why.data, STRAY("4"));
	/* A reason too long for why is dropped; the verdict stands. */
	ck_assert_int_eq(toolrule_valid("Bash(", &tiny), 0);
	ck_assert(tiny.data == NULL || tiny.data[0] == '\0');
	buf_free(&why);
	buf_free(&tiny);
}
END_TEST

START_TEST(test_long_rule_linear)
{
	/* 1 MiB of nested parentheses: one pass, no recursion, depth counted. */
	size_t n = 1u << 19;
	char *s = malloc(4 + 2 * n + 1);

	ck_assert_ptr_nonnull(s);
	memcpy(s, "Bash", 4);
	memset(s + 4, '(', n);
	memset(s + 4 + n, ')', n);
	s[4 + 2 * n] = '\0';
	ck_assert_int_eq(toolrule_valid(s, NULL), 1);
	s[4 + 2 * n - 1] = 'x';
	ck_assert_int_eq(toolrule_valid(s, NULL), 0);
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("toolrule");
	TCase *tc = tcase_create("grammar");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_rule, 0, (int)TK_ARRAY_LEN(cases));
	tcase_add_test(tc, test_reason_replaced_and_dropped);
	tcase_add_test(tc, test_long_rule_linear);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

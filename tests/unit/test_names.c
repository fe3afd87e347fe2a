/* test_names.c - Kubernetes name rules and the API server's wording. */
#include "compat.h"

#include <check.h>

#include "names.h"
#include "util.h"

#define LABEL_MSG                                                                                  \
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "   \
	"and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "   \
	"regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define SUBDOMAIN_MSG                                                                              \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "  \
	"or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "      \
	"regex used for validation is "                                                            \
	"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define ENV_MSG                                                                                    \
	"a valid environment variable name must consist of alphabetic characters, digits, '_', "   \
	"'-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  "   \
	"or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"
#define CIDENT_MSG                                                                                 \
	"a valid C identifier must start with alphabetic character or '_', followed by a string "  \
	"of alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex "   \
	"used for validation is '[A-Za-z_][A-Za-z0-9_]*')"
#define LABEL_VALUE_MSG                                                                            \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "   \
	"or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "      \
	"'my_value',  or '12345', regex used for validation is "                                   \
	"'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

#define QNAME_PART_MSG                                                                             \
	"name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "  \
	"end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "  \
	"used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define QNAME_MSG                                                                                  \
	"a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must "     \
	"start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "         \
	"'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') "     \
	"with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
#define A63  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define A64  A63 "a"
#define A61  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define S253 A63 "." A63 "." A63 "." A61 /* 3 * 63 + 3 + 61 = 253 */

typedef int (*names_fn)(const char *, struct buf *);

static const struct {
	const char *fn_name;
	names_fn fn;
	const char *s;
	const char *why; /* NULL when valid */
} cases[] = {
    {"label", names_dns1123_label, "my-name", NULL},
    {"label", names_dns1123_label, "123-abc", NULL},
    {"label", names_dns1123_label, "a", NULL},
    {"label", names_dns1123_label, "0", NULL},
    {"label", names_dns1123_label, A63, NULL},
    {"label", names_dns1123_label, A64, "must be no more than 63 characters"},
    {"label", names_dns1123_label, "", LABEL_MSG},
    {"label", names_dns1123_label, "-a", LABEL_MSG},
    {"label", names_dns1123_label, "a-", LABEL_MSG},
    {"label", names_dns1123_label, "My-name", LABEL_MSG},
    {"label", names_dns1123_label, "my_name", LABEL_MSG},
    {"label", names_dns1123_label, "my name", LABEL_MSG},
    {"label", names_dns1123_label, "a.b", "must not contain dots"},
    {"label", names_dns1123_label, "a..b", LABEL_MSG},
    {"label", names_dns1123_label, A64 "-", "must be no more than 63 characters; " LABEL_MSG},
    {"label", names_dns1123_label, A64 ".b",
     "must be no more than 63 characters; must not contain dots"},

    {"subdomain", names_dns1123_subdomain, "example.com", NULL},
    {"subdomain", names_dns1123_subdomain, "a", NULL},
    {"subdomain", names_dns1123_subdomain, "a-b.c-d.e", NULL},
    {"subdomain", names_dns1123_subdomain, A64, NULL}, /* labels are not limited here */
    {"subdomain", names_dns1123_subdomain, S253, NULL},
    {"subdomain", names_dns1123_subdomain, S253 "a", "must be no more than 253 characters"},
    {"subdomain", names_dns1123_subdomain, "", SUBDOMAIN_MSG},
    {"subdomain", names_dns1123_subdomain, ".a", SUBDOMAIN_MSG},
    {"subdomain", names_dns1123_subdomain, "a.", SUBDOMAIN_MSG},
    {"subdomain", names_dns1123_subdomain, "a..b", SUBDOMAIN_MSG},
    {"subdomain", names_dns1123_subdomain, "a.-b", SUBDOMAIN_MSG},
    {"subdomain", names_dns1123_subdomain, "Example.com", SUBDOMAIN_MSG},
    {"subdomain", names_dns1123_subdomain, "a_b", SUBDOMAIN_MSG},
    {"subdomain", names_dns1123_subdomain, S253 "-",
     "must be no more than 253 characters; " SUBDOMAIN_MSG},

    {"env", names_env_var, "MY_ENV", NULL},
    {"env", names_env_var, "my.env-name", NULL},
    {"env", names_env_var, "MY_ENV.NAME", NULL},
    {"env", names_env_var, "MyEnvName1", NULL},
    {"env", names_env_var, "_", NULL},
    {"env", names_env_var, "-x", NULL},
    {"env", names_env_var, ".x", NULL},
    {"env", names_env_var, "1X", ENV_MSG},
    {"env", names_env_var, "", ENV_MSG},
    {"env", names_env_var, "A B", ENV_MSG},
    {"env", names_env_var, "A=B", ENV_MSG},
    {"env", names_env_var, "\xc3\xa9t\xc3\xa9", ENV_MSG},
    {"env", names_env_var, ".", "must not be '.'"},
    {"env", names_env_var, "..", "must not be '..'"},
    {"env", names_env_var, "..x", "must not start with '..'"},
    {"env", names_env_var, "..x y", ENV_MSG "; must not start with '..'"},

    {"cident", names_c_identifier, "GH_TOKEN", NULL},
    {"cident", names_c_identifier, "_x1", NULL},
    {"cident", names_c_identifier, "a", NULL},
    {"cident", names_c_identifier, "1abc", CIDENT_MSG},
    {"cident", names_c_identifier, "", CIDENT_MSG},
    {"cident", names_c_identifier, "my-name", CIDENT_MSG},
    {"cident", names_c_identifier, "my.name", CIDENT_MSG},

    {"labelvalue", names_label_value, "", NULL},
    {"labelvalue", names_label_value, "MyValue", NULL},
    {"labelvalue", names_label_value, "my_value", NULL},
    {"labelvalue", names_label_value, "12345", NULL},
    {"labelvalue", names_label_value, "a.b-c_D", NULL},
    {"labelvalue", names_label_value, "x", NULL},
    {"labelvalue", names_label_value, A63, NULL},
    {"labelvalue", names_label_value, A64, "must be no more than 63 characters"},
    {"labelvalue", names_label_value, "-a", LABEL_VALUE_MSG},
    {"labelvalue", names_label_value, "a_", LABEL_VALUE_MSG},
    {"labelvalue", names_label_value, "a b", LABEL_VALUE_MSG},
    {"labelvalue", names_label_value, "a/b", LABEL_VALUE_MSG},
    {"labelvalue", names_label_value, A64 ".",
     "must be no more than 63 characters; " LABEL_VALUE_MSG},
    {"qualified", names_qualified_name, "app", NULL},
    {"qualified", names_qualified_name, "My.Key_1", NULL},
    {"qualified", names_qualified_name, "example.com/MyName", NULL},
    {"qualified", names_qualified_name, "sidecar.istio.io/inject", NULL},
    {"qualified", names_qualified_name, S253 "/" A63, NULL},
    {"qualified", names_qualified_name, "", "name part must be non-empty"},
    {"qualified", names_qualified_name, "example.com/", "name part must be non-empty"},
    {"qualified", names_qualified_name, "/x", "prefix part must be non-empty"},
    {"qualified", names_qualified_name, "Example.com/x", "prefix part " SUBDOMAIN_MSG},
    {"qualified", names_qualified_name, S253 "a/x",
     "prefix part must be no more than 253 characters"},
    {"qualified", names_qualified_name, A64, "name part must be no more than 63 characters"},
    {"qualified", names_qualified_name, "-a", QNAME_PART_MSG},
    {"qualified", names_qualified_name, "a b", QNAME_PART_MSG},
    {"qualified", names_qualified_name, "a/b/c", QNAME_MSG},
};

START_TEST(test_case)
{
	struct buf why = BUF_INIT(4096);
	const char *want = cases[_i].why;
	int got;

	/* why is replaced, not appended to. */
	ck_assert_int_eq(buf_puts(&why, "stale"), 0);
	got = cases[_i].fn(cases[_i].s, &why);
	ck_assert_msg(got == (want == NULL), "%s('%s') = %d", cases[_i].fn_name, cases[_i].s, got);
	if (want)
		ck_assert_msg(strcmp(why.data, want) == 0, "%s('%s'):\n got '%s'\nwant '%s'",
		              cases[_i].fn_name, cases[_i].s, why.data, want);
	else
		ck_assert_str_eq(why.data, "stale");
	/* The verdict does not depend on a reason buffer. */
	ck_assert_int_eq(cases[_i].fn(cases[_i].s, NULL), got);
	buf_free(&why);
}
END_TEST

START_TEST(test_small_why)
{
	struct buf why = BUF_INIT(16);

	/* A reason that does not fit is dropped; the verdict still stands. */
	ck_assert_int_eq(names_dns1123_label("Bad", &why), 0);
	ck_assert(why.len <= 16);
	ck_assert_int_eq(names_dns1123_label("good", &why), 1);
	buf_free(&why);
}
END_TEST

/* Only the names the controller writes count as REPO_TOKEN_<i>. */
static const struct {
	const char *s;
	long want;
} repo_tokens[] = {
    {"REPO_TOKEN_0", 0},   {"REPO_TOKEN_12", 12}, {"REPO_TOKEN_999999", 999999},
    {"REPO_TOKEN_", -1},   {"REPO_TOKEN_01", -1}, {"REPO_TOKEN_1000000", -1},
    {"REPO_TOKEN_1a", -1}, {"REPO_TOKEN_-1", -1}, {"GH_TOKEN", -1},
    {"repo_token_1", -1},  {"XREPO_TOKEN_1", -1},
};

START_TEST(test_repo_token_index)
{
	ck_assert_int_eq(names_repo_token_index(repo_tokens[_i].s), repo_tokens[_i].want);
}
END_TEST

static Suite *names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_case, 0, TK_ARRAY_LEN(cases));
	tcase_add_test(tc, test_small_why);
	tcase_add_loop_test(tc, test_repo_token_index, 0, TK_ARRAY_LEN(repo_tokens));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(names_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

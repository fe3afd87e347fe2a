/* test_url.c - url_split and url_redact: what counts as user information,
 * query and fragment, and the redacted text quoted in denials. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "url.h"
#include "util.h"

static const struct {
	const char *in;
	const char *out;
	bool userinfo;
} cases[] = {
    {"https://bot:hunter2-token@mcp.example/sse?key=q-secret", "https://***@mcp.example/sse?***",
     true},
    {"https://token@mcp.example", "https://***@mcp.example", true},
    {"HTTPS://u:p@Mcp.Example:8443/", "HTTPS://***@Mcp.Example:8443/", true},
    {"https://u@[::1]:8443/x#frag", "https://***@[::1]:8443/x#***", true},
    {"https://a@b@host/", "https://***@host/", true},
    {"https://mcp.example/path@x?q=a@b#c@d", "https://mcp.example/path@x?***#***", false},
    {"https://[::1]:8443/sse", "https://[::1]:8443/sse", false},
    {"http://host", "http://host", false},
    {"http://host?", "http://host?***", false},
    {"bot:token@host/x", "***@host/x", true},
    {"/healthz?x=1", "/healthz?***", false},
    {"", "", false},
    {"1ab://u@h", "1ab://***@h", true},
    {"://u:p@h/x", "://***@h/x", true},
    {"//u:p@h/x", "//***@h/x", true},
    {"mailto:a@b", "***@b", true},
};

START_TEST(test_redact)
{
	struct buf b = BUF_INIT(1024);
	struct url_parts u;

	ck_assert_int_eq(url_redact(cases[_i].in, strlen(cases[_i].in), &b), 0);
	ck_assert_str_eq(b.data ? b.data : "", cases[_i].out);
	url_split(cases[_i].in, strlen(cases[_i].in), &u);
	ck_assert_int_eq(u.userinfo, cases[_i].userinfo);
	buf_free(&b);
}
END_TEST

START_TEST(test_split_offsets)
{
	static const char s[] = "https://u:p@h.example:1/a/b?q#f";
	struct url_parts u;

	url_split(s, strlen(s), &u);
	ck_assert_uint_eq(u.scheme_len, 5);
	ck_assert_uint_eq(u.host_len, strlen("h.example:1"));
	ck_assert(strncmp(s + u.host_off, "h.example:1", u.host_len) == 0);
	ck_assert(strncmp(s + u.path_off, "/a/b", u.path_len) == 0 && u.path_len == 4);
	ck_assert(u.userinfo && u.query && u.fragment);
}
END_TEST

/* Only the given length is read: the secret after an embedded NUL stays hidden too. */
START_TEST(test_len_and_limit)
{
	static const char s[] = "https://h/x\0?secret";
	struct buf small = BUF_INIT(8), b = BUF_INIT(64);

	ck_assert_int_eq(url_redact(s, sizeof(s) - 1, &b), 0);
	ck_assert_uint_eq(b.len, strlen("https://h/x") + 1 + strlen("?***"));
	ck_assert(memcmp(b.data + b.len - 4, "?***", 4) == 0);
	ck_assert_int_eq(buf_puts(&small, "ab"), 0);
	ck_assert_int_eq(url_redact("https://host/", 13, &small), -E2BIG);
	ck_assert_str_eq(small.data, "ab");
	buf_free(&small);
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("url");
	TCase *tc = tcase_create("url");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_redact, 0, (int)TK_ARRAY_LEN(cases));
	tcase_add_test(tc, test_split_offsets);
	tcase_add_test(tc, test_len_and_limit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

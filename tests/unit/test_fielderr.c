/*
 * test_fielderr.c - recording an error never fails for its size: paths,
 * quoted values and details past their limits are cut at a UTF-8
 * boundary with "...", errors past TK_MAX_FIELD_ERRORS are counted, and
 * URLs are quoted redacted.
 */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "fielderr.h"
#include "limits.h"
#include "util.h"

static char *filled(size_t n, char ch)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

static char *render(const struct fielderrs *errs)
{
	struct buf b = BUF_INIT(64u << 20);

	ck_assert_int_eq(fielderrs_render(errs, &b), 0);
	return buf_steal(&b);
}

/* A value of n bytes: quoted whole up to the limit, then cut with "...". */
START_TEST(test_value_bound)
{
	static const size_t n[] = {TK_MAX_ERROR_VALUE, TK_MAX_ERROR_VALUE + 1, 7u << 20};
	struct fielderrs errs = {0};
	char *v = filled(n[_i], 'v'), *line;
	size_t want = TK_MAX_ERROR_VALUE + 2 + (n[_i] > TK_MAX_ERROR_VALUE ? 3 : 0);

	fielderrs_add_str(&errs, FE_INVALID, "spec.x", v, "bad");
	ck_assert_int_eq(errs.oom, 0);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_uint_eq(strlen(errs.v[0].value), want);
	if (n[_i] > TK_MAX_ERROR_VALUE)
		ck_assert_str_eq(errs.v[0].value + want - 4, "...\"");
	line = render(&errs);
	ck_assert(strncmp(line, "spec.x: Invalid value: \"vvv", 27) == 0);
	free(line);
	free(v);
	fielderrs_free(&errs);
}
END_TEST

/* A detail or path past its limit is cut, never a failed record. */
START_TEST(test_detail_and_path_bound)
{
	struct fielderrs errs = {0};
	char *big = filled(TK_MAX_ERROR_DETAIL * 4, 'd');
	char *path = filled(TK_MAX_ERROR_PATH * 4, 'p');

	fielderrs_add(&errs, FE_FORBIDDEN, path, NULL, "user \"%s\" may not", big);
	ck_assert_int_eq(errs.oom, 0);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_uint_eq(strlen(errs.v[0].detail), TK_MAX_ERROR_DETAIL + 3);
	ck_assert_str_eq(errs.v[0].detail + TK_MAX_ERROR_DETAIL, "...");
	ck_assert_uint_eq(strlen(errs.v[0].path), TK_MAX_ERROR_PATH + 3);
	free(big);
	free(path);
	fielderrs_free(&errs);
}
END_TEST

/* The cut never splits a multi-byte character. */
START_TEST(test_utf8_boundary)
{
	struct fielderrs errs = {0};
	/* 'a' then two-byte characters: the limit falls inside one. */
	size_t n = TK_MAX_ERROR_VALUE + 8, i;
	char *v = malloc(n + 1);

	ck_assert_ptr_nonnull(v);
	v[0] = 'a';
	for (i = 1; i + 1 < n; i += 2) {
		v[i] = (char)0xc3;
		v[i + 1] = (char)0xa9;
	}
	v[i] = '\0';
	fielderrs_add_str(&errs, FE_INVALID, "p", v, NULL);
	ck_assert_uint_eq(errs.n, 1);
	/* "a" + whole "é"s up to the limit (an odd count of bytes), quotes, "...". */
	ck_assert_uint_eq(strlen(errs.v[0].value), TK_MAX_ERROR_VALUE - 1 + 2 + 3);
	ck_assert_str_eq(errs.v[0].value + strlen(errs.v[0].value) - 6, "\xc3\xa9...\"");
	free(v);
	fielderrs_free(&errs);
}
END_TEST

START_TEST(test_too_many_errors)
{
	struct fielderrs errs = {0};
	size_t i, total = TK_MAX_FIELD_ERRORS + 5;
	char *line;

	for (i = 0; i < total; i++)
		fielderrs_add(&errs, FE_REQUIRED, "spec.x", NULL, NULL);
	ck_assert_int_eq(errs.oom, 0);
	ck_assert_uint_eq(errs.n, TK_MAX_FIELD_ERRORS);
	ck_assert_uint_eq(errs.omitted, 5);
	ck_assert_uint_eq(fielderrs_count(&errs), total);
	line = render(&errs);
	ck_assert(strstr(line, "spec.x: Required value, and 5 more errors]") != NULL);
	free(line);
	fielderrs_free(&errs);
	ck_assert_uint_eq(fielderrs_count(&errs), 0);
}
END_TEST

START_TEST(test_add_url)
{
	struct fielderrs errs = {0};
	char *line;

	fielderrs_add_url(&errs, FE_INVALID, "spec.url",
	                  "https://bot:hunter2-token@mcp.example/sse?key=q-secret", "no");
	line = render(&errs);
	ck_assert_str_eq(line, "spec.url: Invalid value: \"https://***@mcp.example/sse?***\": no");
	free(line);
	fielderrs_free(&errs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fielderr");
	TCase *tc = tcase_create("bounds");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_value_bound, 0, 3);
	tcase_add_test(tc, test_detail_and_path_bound);
	tcase_add_test(tc, test_utf8_boundary);
	tcase_add_test(tc, test_too_many_errors);
	tcase_add_test(tc, test_add_url);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

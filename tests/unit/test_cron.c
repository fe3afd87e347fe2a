/* test_cron.c - cron_parse grammar and reasons, cron_next search. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "cron.h"
#include "limits.h"
#include "util.h"

/* 2024-01-01T00:00:00Z, a Monday. */
#define BASE ((time_t)1704067200)

static const struct {
	const char *expr;
	const char *next; /* first run strictly after BASE */
} valid[] = {
    {"* * * * *", "2024-01-01T00:01:00Z"},
    {"0 * * * *", "2024-01-01T01:00:00Z"},
    {"*/15 * * * *", "2024-01-01T00:15:00Z"},
    {"30 9 * * MON-FRI", "2024-01-01T09:30:00Z"},
    {"0 0 1 1 *", "2025-01-01T00:00:00Z"},
    {"@yearly", "2025-01-01T00:00:00Z"},
    {"@annually", "2025-01-01T00:00:00Z"},
    {"@monthly", "2024-02-01T00:00:00Z"},
    {"@weekly", "2024-01-07T00:00:00Z"},
    {"@daily", "2024-01-02T00:00:00Z"},
    {"@midnight", "2024-01-02T00:00:00Z"},
    {"@hourly", "2024-01-01T01:00:00Z"},
    {"0 0 29 2 *", "2024-02-29T00:00:00Z"},
    /* Both day fields restricted: the 13th OR a Friday. */
    {"0 12 13 * 5", "2024-01-05T12:00:00Z"},
    {"0 12 13 * *", "2024-01-13T12:00:00Z"},
    {"0 0 1 * 1", "2024-01-08T00:00:00Z"},
    /* Day of week restricted, day of month '?': AND, so Mondays only. */
    {"0 0 ? * 1", "2024-01-08T00:00:00Z"},
    {"0 0 * * 7", "2024-01-07T00:00:00Z"},
    {"0 0 * * sun", "2024-01-07T00:00:00Z"},
    {"0 0 * * Sat", "2024-01-06T00:00:00Z"},
    {"0 0 * jan-mar/2 *", "2024-01-02T00:00:00Z"},
    {"0 0 * Feb *", "2024-02-01T00:00:00Z"},
    {"0 0 * DEC *", "2024-12-01T00:00:00Z"},
    {"5,10 * * * *", "2024-01-01T00:05:00Z"},
    {"0 0 ? * ?", "2024-01-02T00:00:00Z"},
    {"  0\t0 * *  *  ", "2024-01-02T00:00:00Z"},
    {"0 0 31 * *", "2024-01-31T00:00:00Z"},
    {"0 22 * * 1-5", "2024-01-01T22:00:00Z"},
    {"59 23 31 12 *", "2024-12-31T23:59:00Z"},
    {"10/20 * * * *", "2024-01-01T00:10:00Z"},
    {"1-5/2 * * * *", "2024-01-01T00:01:00Z"},
    {"0 9 * * 5-7", "2024-01-05T09:00:00Z"},
    {"0 0 * * 0-7", "2024-01-02T00:00:00Z"},
    {"0 */6 * * *", "2024-01-01T06:00:00Z"},
    {"0 0 */10 * *", "2024-01-11T00:00:00Z"},
    {"*/1 0 1 1 *", "2024-01-01T00:01:00Z"},
    {"0 0 1 */5 *", "2024-06-01T00:00:00Z"},
    {"0 0 * * TUE/2", "2024-01-02T00:00:00Z"},
    {"0 0 * * */2", "2024-01-02T00:00:00Z"},
    {"0 0 1,15 * *", "2024-01-15T00:00:00Z"},
    {"00 000 01 01 *", "2025-01-01T00:00:00Z"},
    {"0 0 1 1 */999999", "2024-01-07T00:00:00Z"},
};

START_TEST(test_valid)
{
	struct buf why = BUF_INIT(1024);
	struct cron_expr e;
	time_t next = 0;
	char got[32];
	const char *s = valid[_i].expr;

	ck_assert_msg(cron_parse(s, strlen(s), &e, &why) == 0, "%s: %s", s,
	              why.data ? why.data : "");
	ck_assert_int_eq(cron_next(&e, BASE, &next), 0);
	format_rfc3339(next, got);
	ck_assert_msg(strcmp(got, valid[_i].next) == 0, "%s: got %s, want %s", s, got,
	              valid[_i].next);
	buf_free(&why);
}
END_TEST

static const struct {
	const char *expr;
	const char *why;
} invalid[] = {
    {"", "must not be empty"},
    {" \t ", "must not be empty"},
    {"* * * *", "expected exactly 5 fields, found 4"},
    {"* * * * * *", "expected exactly 5 fields, found 6"},
    {"0 0 1 1 * 2024 x", "expected exactly 5 fields, found 7"},
    {"60 * * * *", "minute must be 0-59"},
    {"0-60 * * * *", "minute must be 0-59"},
    {"99999999999999999999999 * * * *", "minute must be 0-59"},
    {"* 24 * * *", "hour must be 0-23"},
    {"* * 0 * *", "day of month must be 1-31"},
    {"* * 32 * *", "day of month must be 1-31"},
    {"* * * 13 *", "month must be 1-12"},
    {"* * * 0 *", "month must be 1-12"},
    {"* * * * 8", "day of week must be 0-7"},
    {"*/0 * * * *", "minute: step must be a positive number"},
    {"*/x * * * *", "minute: step must be a positive number"},
    {"*/-1 * * * *", "minute: step must be a positive number"},
    {"*/ * * * *", "minute: step must be a positive number"},
    {"1/2/3 * * * *", "minute: step must be a positive number"},
    {"* */0 * * *", "hour: step must be a positive number"},
    {"5-1 * * * *", "minute: range start must not exceed its end"},
    {"* * * * MON-SUN", "day of week: range start must not exceed its end"},
    {"* * * DEC-JAN *", "month: range start must not exceed its end"},
    {"* * * FOO *", "unknown month name \"FOO\""},
    {"* * * JANUARY *", "unknown month name \"JANUARY\""},
    {"* * * * FUNDAY", "unknown day of week name \"FUNDAY\""},
    {"x * * * *", "minute must be a number, got \"x\""},
    {"* * MON * *", "day of month must be a number, got \"MON\""},
    {"1-2-3 * * * *", "minute must be a number, got \"2-3\""},
    {"*-5 * * * *", "minute must be a number, got \"*\""},
    {"1,,2 * * * *", "minute must not have an empty value"},
    {"1, * * * *", "minute must not have an empty value"},
    {"-1 * * * *", "minute must not have an empty value"},
    {"5- * * * *", "minute must not have an empty value"},
    {"TZ=UTC 0 0 * * *", "TZ= and CRON_TZ= prefixes are not supported: use spec.timezone"},
    {"CRON_TZ=Europe/Paris 0 0 * * *",
     "TZ= and CRON_TZ= prefixes are not supported: use spec.timezone"},
    {"@every 5m", "@every is not supported by CronJob schedules"},
    {"@reboot",
     "unknown macro \"@reboot\": use @yearly, @annually, @monthly, @weekly, @daily, @midnight "
     "or @hourly"},
    {"@YEARLY",
     "unknown macro \"@YEARLY\": use @yearly, @annually, @monthly, @weekly, @daily, @midnight "
     "or @hourly"},
    {"@daily 0",
     "unknown macro \"@daily 0\": use @yearly, @annually, @monthly, @weekly, @daily, @midnight "
     "or @hourly"},
    {"* * * \"\\ *", "month must be a number, got \"??\""},
    {"* * * * 1x", "day of week must be a number, got \"1x\""},
};

START_TEST(test_invalid)
{
	struct buf why = BUF_INIT(1024);
	struct cron_expr e, before;
	const char *s = invalid[_i].expr;

	memset(&e, 0xa5, sizeof(e));
	before = e;
	ck_assert_int_eq(cron_parse(s, strlen(s), &e, &why), -EINVAL);
	ck_assert_ptr_nonnull(why.data);
	ck_assert_msg(strcmp(why.data, invalid[_i].why) == 0, "%s: got '%s', want '%s'", s,
	              why.data, invalid[_i].why);
	ck_assert_msg(memcmp(&e, &before, sizeof(e)) == 0, "%s: output touched on failure", s);
	/* A NULL reason buffer is allowed. */
	ck_assert_int_eq(cron_parse(s, strlen(s), &e, NULL), -EINVAL);
	buf_free(&why);
}
END_TEST

START_TEST(test_too_long)
{
	struct buf why = BUF_INIT(1024);
	struct cron_expr e;
	char s[TK_MAX_CRON_LEN + 2];

	/* Exactly the limit, padded with spaces, is fine. */
	memset(s, ' ', sizeof(s));
	memcpy(s, "0 0 * * *", 9);
	ck_assert_int_eq(cron_parse(s, TK_MAX_CRON_LEN, &e, &why), 0);
	ck_assert_int_eq(cron_parse(s, TK_MAX_CRON_LEN + 1, &e, &why), -EINVAL);
	ck_assert_str_eq(why.data, "must be no more than 256 characters");
	buf_free(&why);
}
END_TEST

START_TEST(test_embedded_nul)
{
	struct buf why = BUF_INIT(1024);
	struct cron_expr e;

	ck_assert_int_eq(cron_parse("0 0 * * *\0x", 11, &e, &why), -EINVAL);
	ck_assert_str_eq(why.data, "must not contain NUL characters");
	/* The length, not the terminator, bounds the input. */
	ck_assert_int_eq(cron_parse("0 0 * * * 7", 9, &e, &why), 0);
	buf_free(&why);
}
END_TEST

static int popcount64(uint64_t v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

START_TEST(test_bits)
{
	struct cron_expr e;

	ck_assert_int_eq(cron_parse("0 0 * * 7", 9, &e, NULL), 0);
	ck_assert_uint_eq(e.dow, 1);
	ck_assert_int_eq(e.dow_star, 0);
	ck_assert_int_eq(e.dom_star, 1);
	ck_assert_int_eq(cron_parse("0 0 * * 5-7", 11, &e, NULL), 0);
	ck_assert_uint_eq(e.dow, (1u << 5) | (1u << 6) | 1u);
	ck_assert_int_eq(cron_parse("*/2 * * * *", 11, &e, NULL), 0);
	ck_assert_int_eq(popcount64(e.minute), 30);
	ck_assert_uint_eq(e.minute & 1, 1);
	ck_assert_uint_eq(e.hour, (1u << 24) - 1);
	ck_assert_uint_eq(e.dom, 0xfffffffeu);
	ck_assert_uint_eq(e.month, 0x1ffe);
	ck_assert_uint_eq(e.dow, 0x7f);
	/* A step > 1 is no longer a star (robfig/cron semantics). */
	ck_assert_int_eq(cron_parse("0 0 */2 * 1", 11, &e, NULL), 0);
	ck_assert_int_eq(e.dom_star, 0);
	ck_assert_int_eq(cron_parse("0 0 */1 * 1", 11, &e, NULL), 0);
	ck_assert_int_eq(e.dom_star, 1);
	ck_assert_int_eq(cron_parse("0 0 ? * ?", 9, &e, NULL), 0);
	ck_assert_int_eq(e.dom_star && e.dow_star, 1);
	ck_assert_int_eq(cron_parse("0 0 * * */2", 11, &e, NULL), 0);
	ck_assert_uint_eq(e.dow, (1u << 0) | (1u << 2) | (1u << 4) | (1u << 6));
	ck_assert_int_eq(cron_parse("0 0 * JUN-aug *", 15, &e, NULL), 0);
	ck_assert_uint_eq(e.month, (1u << 6) | (1u << 7) | (1u << 8));
	ck_assert_int_eq(cron_parse("59 23 31 12 6", 13, &e, NULL), 0);
	ck_assert(e.minute == (uint64_t)1 << 59 && e.hour == 1u << 23 && e.dom == 1u << 31 &&
	          e.month == 1u << 12 && e.dow == 1u << 6);
}
END_TEST

/* Independent search: day by day, then minute by minute within a day. */
static int day_ok(const struct cron_expr *e, const struct tm *tm)
{
	int dom = (e->dom >> tm->tm_mday) & 1, dow = (e->dow >> tm->tm_wday) & 1;

	if (!((e->month >> (tm->tm_mon + 1)) & 1))
		return 0;
	return (e->dom_star || e->dow_star) ? dom && dow : dom || dow;
}

static int reference_next(const struct cron_expr *e, time_t t, time_t *out)
{
	time_t day = t - ((t % 86400) + 86400) % 86400;
	int d;

	for (d = 0; d < 6 * 366; d++, day += 86400) {
		struct tm tm;
		int m;

		gmtime_r(&day, &tm);
		if (!day_ok(e, &tm))
			continue;
		for (m = 0; m < 1440; m++) {
			time_t c = day + 60 * m;

			if (c > t && ((e->hour >> (m / 60)) & 1) && ((e->minute >> (m % 60)) & 1)) {
				*out = c;
				return 0;
			}
		}
	}
	return -ERANGE;
}

static const char *const search_exprs[] = {
    "* * * * *",       "17 * * * *",     "0 0 29 2 *",    "0 12 13 * 5",
    "30 4 1,15 * 5",   "0 0 31 * *",     "*/7 */5 * * *", "0 0 * * 0",
    "15 10 ? JUN *",   "0 9-17 * * 1-5", "0 0 1 */3 *",   "0 0 L * *",
    "45 23 28-31 2 *", "0 0 * * 6,0",    "@weekly",       "0 0 31 4,6,9,11 *",
};

static const char *const search_bases[] = {
    "2024-01-01T00:00:00Z", "2024-02-28T23:59:59Z", "2023-12-31T23:59:00Z",
    "2099-12-31T23:30:00Z", "1970-01-01T00:00:00Z", "2024-06-15T12:34:56Z",
};

START_TEST(test_next_matches_reference)
{
	size_t b;
	const char *s = search_exprs[_i];
	struct cron_expr e;
	int r;

	r = cron_parse(s, strlen(s), &e, NULL);
	if (strcmp(s, "0 0 L * *") == 0) {
		/* Quartz's L is not part of the standard grammar. */
		ck_assert_int_eq(r, -EINVAL);
		return;
	}
	ck_assert_int_eq(r, 0);
	for (b = 0; b < TK_ARRAY_LEN(search_bases); b++) {
		time_t base, want = 0, got = 0;
		int rw, rg;

		ck_assert_int_eq(parse_rfc3339(search_bases[b], &base), 0);
		rw = reference_next(&e, base, &want);
		rg = cron_next(&e, base, &got);
		ck_assert_msg(rw == rg, "%s from %s: r=%d, reference %d", s, search_bases[b], rg,
		              rw);
		if (rw == 0)
			ck_assert_msg(got == want, "%s from %s: %lld, reference %lld", s,
			              search_bases[b], (long long)got, (long long)want);
	}
}
END_TEST

START_TEST(test_next_edges)
{
	struct cron_expr e;
	time_t t, next;
	char got[32];

	/* Strictly after: a matching minute moves on to the next one. */
	ck_assert_int_eq(cron_parse("0 0 * * *", 9, &e, NULL), 0);
	ck_assert_int_eq(cron_next(&e, BASE, &next), 0);
	ck_assert_int_eq(next - BASE, 86400);
	/* Seconds within a minute round up to the next minute. */
	ck_assert_int_eq(cron_parse("* * * * *", 9, &e, NULL), 0);
	ck_assert_int_eq(cron_next(&e, BASE + 30, &next), 0);
	ck_assert_int_eq(next, BASE + 60);
	ck_assert_int_eq(cron_next(&e, BASE - 1, &next), 0);
	ck_assert_int_eq(next, BASE);
	/* Before the epoch works too. */
	ck_assert_int_eq(cron_next(&e, -90, &next), 0);
	ck_assert_int_eq(next, -60);
	/* Never: February 30th. */
	ck_assert_int_eq(cron_parse("0 0 30 2 *", 10, &e, NULL), 0);
	next = 42;
	ck_assert_int_eq(cron_next(&e, BASE, &next), -ERANGE);
	ck_assert_int_eq(next, 42);
	/* Leap day from a non-leap year: found within five years. */
	ck_assert_int_eq(cron_parse("0 0 29 2 *", 10, &e, NULL), 0);
	ck_assert_int_eq(parse_rfc3339("2025-03-01T00:00:00Z", &t), 0);
	ck_assert_int_eq(cron_next(&e, t, &next), 0);
	format_rfc3339(next, got);
	ck_assert_str_eq(got, "2028-02-29T00:00:00Z");
	/* Leap day 2100 is skipped (not a leap year): 2096 -> 2104 is 8 years. */
	ck_assert_int_eq(parse_rfc3339("2096-03-01T00:00:00Z", &t), 0);
	ck_assert_int_eq(cron_next(&e, t, &next), -ERANGE);
	/* Times outside years 1-9999 are refused, not wrapped. */
	ck_assert_int_eq(cron_parse("* * * * *", 9, &e, NULL), 0);
	ck_assert_int_eq(cron_next(&e, (time_t)INT64_C(300000000000), &next), -ERANGE);
	ck_assert_int_eq(cron_next(&e, (time_t)INT64_C(-70000000000), &next), -ERANGE);
	/* An expression with an empty field (not from cron_parse) never matches. */
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(cron_next(&e, BASE, &next), -ERANGE);
}
END_TEST

static Suite *cron_suite(void)
{
	Suite *s = suite_create("cron");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_valid, 0, TK_ARRAY_LEN(valid));
	tcase_add_loop_test(tc, test_invalid, 0, TK_ARRAY_LEN(invalid));
	tcase_add_test(tc, test_too_long);
	tcase_add_test(tc, test_embedded_nul);
	tcase_add_test(tc, test_bits);
	suite_add_tcase(s, tc);
	tc = tcase_create("next");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_next_matches_reference, 0, TK_ARRAY_LEN(search_exprs));
	tcase_add_test(tc, test_next_edges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cron_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* test_quantity.c - resource.Quantity grammar and exact comparison. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "quantity.h"
#include "util.h"

#define FORMAT_MSG                                                                                 \
	"quantities must match the regular expression "                                            \
	"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define SUFFIX_MSG "unable to parse quantity's suffix"

static void parse_ok(const char *s, struct quantity *q)
{
	struct buf why = BUF_INIT(1024);

	ck_assert_msg(quantity_parse(s, strlen(s), q, &why) == 0, "'%s': %s", s,
	              why.data ? why.data : "");
	buf_free(&why);
}

/* Pairs that compare as a < b (cmp -1), equal (0). */
static const struct {
	const char *a, *b;
	int cmp;
} pairs[] = {
    {"1Gi", "1073741824", 0},
    {"0.5", "500m", 0},
    {"1e3", "1k", 0},
    {"1E3", "1000", 0},
    {"1Ki", "1024", 0},
    {"100m", "0.1", 0},
    {"1", "1000m", 0},
    {"-1", "-1000m", 0},
    {"0", "-0", 0},
    {"0", "0Gi", 0},
    {"0", "0.000", 0},
    {"0", "-0e-99", 0},
    {"+5", "5", 0},
    {".5", "500m", 0},
    {"1.", "1", 0},
    {"1.5Gi", "1536Mi", 0},
    {"2e-3", "2m", 0},
    {"1E-3", "1m", 0},
    {"1e+3", "1k", 0},
    {"1e03", "1k", 0},
    {"1n", "0.000000001", 0},
    {"1u", "1000n", 0},
    {"1m", "1000u", 0},
    {"1M", "1e6", 0},
    {"1G", "1e9", 0},
    {"1T", "1e12", 0},
    {"1P", "1e15", 0},
    {"1E", "1e18", 0},
    {"1Mi", "1048576", 0},
    {"1Ti", "1099511627776", 0},
    {"1Pi", "1125899906842624", 0},
    {"1Ei", "1152921504606846976", 0},
    {"000123", "123", 0},
    {"1.000", "1", 0},
    {"0.5Ki", "512", 0},
    {"1.5", "1500m", 0},
    {"123456789012345678901234567890", "1.2345678901234567890123456789e29", 0},
    /* The API server rounds up to whole nanos and caps binary SI at 2^63-1. */
    {"0.1n", "1n", 0},
    {"1.5n", "2n", 0},
    {"1.0000000001", "1.000000001", 0},
    {"-0.1n", "-1n", 0},
    {"1e-100", "1n", 0},
    {"0.0000000001Ki", "103n", 0},
    {"0.000000000001Ki", "2n", 0},
    {"10Ei", "9223372036854775807", 0},
    {"8Ei", "9223372036854775807", 0},
    {"7Ei", "8070450532247928832", 0},
    {"10E", "1e19", 0},
    {"999999999.9999999999", "1000000000", 0},
    {"1", "2", -1},
    {"-2", "-1", -1},
    {"-1", "0", -1},
    {"0", "1n", -1},
    {"-1n", "0", -1},
    {"999m", "1", -1},
    {"1k", "1Ki", -1},
    {"1Gi", "1.1G", -1},
    {"1G", "1Gi", -1},
    {"1Mi", "1.1M", -1},
    {"1", "1.000000001", -1},
    {"1.5", "1.50000001", -1},
    {"123456789012345678901234567890", "123456789012345678901234567891", -1},
    {"1e100", "1e101", -1},
    {"9e100", "1e101", -1},
    {"-1e100", "1e-100", -1},
    {"-1e101", "-1e100", -1},
    {"100", "1e3", -1},
    {"0.9", "1", -1},
    {"99", "100", -1},
    {"10", "11", -1},
    {"1e2147483647", "1e-2147483648", 1},
    {"4Gi", "4G", 1},
    {"250m", "0.2", 1},
};

START_TEST(test_cmp)
{
	struct quantity a, b;
	int want = pairs[_i].cmp;

	parse_ok(pairs[_i].a, &a);
	parse_ok(pairs[_i].b, &b);
	ck_assert_msg(quantity_cmp(&a, &b) == want, "cmp(%s, %s) = %d, want %d", pairs[_i].a,
	              pairs[_i].b, quantity_cmp(&a, &b), want);
	ck_assert_msg(quantity_cmp(&b, &a) == -want, "cmp(%s, %s) not antisymmetric", pairs[_i].b,
	              pairs[_i].a);
	ck_assert_int_eq(quantity_cmp(&a, &a), 0);
}
END_TEST

static const struct {
	const char *s;
	const char *why;
} invalid[] = {
    {"", FORMAT_MSG},
    {"1.2.3", FORMAT_MSG},
    {"1Kb", FORMAT_MSG},
    {"Ki", FORMAT_MSG},
    {"m", FORMAT_MSG},
    {"K", FORMAT_MSG},
    {"+", FORMAT_MSG},
    {"-", FORMAT_MSG},
    {".", FORMAT_MSG},
    {"+.", FORMAT_MSG},
    {"-.Mi", FORMAT_MSG},
    {" 1", FORMAT_MSG},
    {"1 ", FORMAT_MSG},
    {"1 Gi", FORMAT_MSG},
    {"1\t", FORMAT_MSG},
    {"abc", FORMAT_MSG},
    {"--1", FORMAT_MSG},
    {"+-1", FORMAT_MSG},
    {"0x10", FORMAT_MSG},
    {"1e3.5", FORMAT_MSG},
    {"1.5.Gi", FORMAT_MSG},
    {"1,000", FORMAT_MSG},
    {"1e+-3", FORMAT_MSG},
    {"1.1.M", FORMAT_MSG},
    {"1+1.0M", FORMAT_MSG},
    {"-3.01e-", SUFFIX_MSG},
    {"1K", SUFFIX_MSG},
    {"1k i", FORMAT_MSG},
    {"1e", SUFFIX_MSG},
    {"1e+", SUFFIX_MSG},
    {"1E-", SUFFIX_MSG},
    {"1i", SUFFIX_MSG},
    {".5i", SUFFIX_MSG},
    {"1mi", SUFFIX_MSG},
    {"0.1mi", SUFFIX_MSG},
    {"1ki", SUFFIX_MSG},
    {"1KiB", FORMAT_MSG},
    {"1Gi1", SUFFIX_MSG},
    {"1ee3", SUFFIX_MSG},
    {"1MM", SUFFIX_MSG},
    {"1e2147483648", SUFFIX_MSG},
    {"1e-2147483649", SUFFIX_MSG},
};

START_TEST(test_invalid)
{
	struct buf why = BUF_INIT(1024);
	struct quantity q, before;
	const char *s = invalid[_i].s;

	memset(&q, 0x5a, sizeof(q));
	before = q;
	ck_assert_int_eq(quantity_parse(s, strlen(s), &q, &why), -EINVAL);
	ck_assert_ptr_nonnull(why.data);
	ck_assert_msg(strcmp(why.data, invalid[_i].why) == 0, "'%s': got '%s'", s, why.data);
	ck_assert_msg(memcmp(&q, &before, sizeof(q)) == 0, "'%s': output touched", s);
	ck_assert_int_eq(quantity_parse(s, strlen(s), &q, NULL), -EINVAL);
	buf_free(&why);
}
END_TEST

static const struct {
	const char *s;
	int neg;
	const char *digits;
	int scale10;
	int sign;
} shapes[] = {
    {"0", 0, "", 0, 0},
    {"-0.000", 0, "", 0, 0},
    {"1.5Gi", 0, "1610612736", 0, 1},
    {"-500m", 1, "5", -1, -1},
    {"1200", 0, "12", 2, 1},
    {"1e-9", 0, "1", -9, 1},
    {"0.0000000015", 0, "2", -9, 1},
    {"+12.3400k", 0, "1234", 1, 1},
    {"-1e2147483647", 1, "1", 2147483647, -1},
};

START_TEST(test_shape)
{
	struct quantity q;

	parse_ok(shapes[_i].s, &q);
	ck_assert_int_eq(q.neg, shapes[_i].neg);
	ck_assert_str_eq(q.digits, shapes[_i].digits);
	ck_assert_int_eq(q.scale10, shapes[_i].scale10);
	ck_assert_int_eq(q.scale2, 0);
	ck_assert_int_eq(quantity_sign(&q), shapes[_i].sign);
}
END_TEST

START_TEST(test_limits)
{
	struct buf why = BUF_INIT(1024);
	struct quantity q;
	char s[300];

	/* 63 significant digits fit; 64 do not. */
	memset(s, '7', 63);
	ck_assert_int_eq(quantity_parse(s, 63, &q, &why), 0);
	ck_assert_uint_eq(strlen(q.digits), 63);
	memset(s, '7', 64);
	ck_assert_int_eq(quantity_parse(s, 64, &q, &why), -EINVAL);
	ck_assert_str_eq(why.data, "quantity has too many significant digits");
	/* Leading and trailing zeros are not significant. */
	memset(s, '0', 150);
	s[150] = '1';
	memset(s + 151, '0', 140);
	ck_assert_int_eq(quantity_parse(s, 291, &q, &why), 0);
	ck_assert_str_eq(q.digits, "1");
	ck_assert_int_eq(q.scale10, 140);
	memset(s, '0', 100);
	s[100] = '1';
	memset(s + 101, '0', 80);
	ck_assert_int_eq(quantity_parse(s, 181, &q, &why), 0);
	ck_assert_str_eq(q.digits, "1");
	ck_assert_int_eq(q.scale10, 80);
	/* Very long inputs fail cleanly. */
	memset(s, '9', sizeof(s));
	ck_assert_int_eq(quantity_parse(s, sizeof(s), &q, &why), -EINVAL);
	ck_assert_str_eq(why.data, "quantity has too many significant digits");
	/* The exponent plus trailing zeros must fit an int. */
	ck_assert_int_eq(quantity_parse("10e2147483647", 13, &q, &why), -EINVAL);
	ck_assert_str_eq(why.data, "quantity exponent is out of range");
	/* A NUL inside the length is a format error, not a terminator. */
	ck_assert_int_eq(quantity_parse("1\0", 2, &q, &why), -EINVAL);
	ck_assert_int_eq(quantity_parse("1Gi", 1, &q, &why), 0);
	ck_assert_str_eq(q.digits, "1");
	ck_assert_int_eq(quantity_parse(NULL, 0, &q, &why), -EINVAL);
	buf_free(&why);
}
END_TEST

static Suite *quantity_suite(void)
{
	Suite *s = suite_create("quantity");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_cmp, 0, TK_ARRAY_LEN(pairs));
	tcase_add_loop_test(tc, test_invalid, 0, TK_ARRAY_LEN(invalid));
	tcase_add_loop_test(tc, test_shape, 0, TK_ARRAY_LEN(shapes));
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(quantity_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

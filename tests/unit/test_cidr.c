/*
 * test_cidr.c - cidr_parse, cidr_contains, cidr_overlaps and cidr_format:
 * both families, every refusal with its reason, host bits past the prefix
 * (-ERANGE with the canonical block), and the canonical text.
 */
#include "compat.h"

#include <check.h>
#include <errno.h>
#include <sys/socket.h>

#include "cidr.h"

static const struct {
	const char *in;
	int rc;
	int family;
	unsigned prefix;
	const char *canon; /* cidr_format of the result (rc 0 or -ERANGE) */
	const char *why;   /* substring of the reason (rc < 0) */
} parses[] = {
    {"10.0.0.0/8", 0, AF_INET, 8, "10.0.0.0/8", NULL},
    {"0.0.0.0/0", 0, AF_INET, 0, "0.0.0.0/0", NULL},
    {"192.168.1.7/32", 0, AF_INET, 32, "192.168.1.7/32", NULL},
    {"172.16.0.0/12", 0, AF_INET, 12, "172.16.0.0/12", NULL},
    {"::/0", 0, AF_INET6, 0, "::/0", NULL},
    {"fd00::/8", 0, AF_INET6, 8, "fd00::/8", NULL},
    {"FD00:0::/8", 0, AF_INET6, 8, "fd00::/8", NULL},
    {"2001:db8::/32", 0, AF_INET6, 32, "2001:db8::/32", NULL},
    {"fd00:ec2::254/128", 0, AF_INET6, 128, "fd00:ec2::254/128", NULL},
    {"10.0.0.1/8", -ERANGE, AF_INET, 8, "10.0.0.0/8", "past the prefix"},
    {"192.168.1.7/24", -ERANGE, AF_INET, 24, "192.168.1.0/24", "past the prefix"},
    {"10.255.0.0/9", -ERANGE, AF_INET, 9, "10.128.0.0/9", "past the prefix"},
    {"fd00::1/8", -ERANGE, AF_INET6, 8, "fd00::/8", "past the prefix"},
    {"2001:db8::1/127", -ERANGE, AF_INET6, 127, "2001:db8::/127", "past the prefix"},
    {"10.0.0.0", -EINVAL, 0, 0, NULL, "prefix length"},
    {"/8", -EINVAL, 0, 0, NULL, "IPv4 or IPv6 address"},
    {"example.com/8", -EINVAL, 0, 0, NULL, "IPv4 or IPv6 address"},
    {"10.0.0/8", -EINVAL, 0, 0, NULL, "IPv4 or IPv6 address"},
    {"10.0.0.0/", -EINVAL, 0, 0, NULL, "decimal number"},
    {"10.0.0.0/08", -EINVAL, 0, 0, NULL, "decimal number"},
    {"10.0.0.0/+8", -EINVAL, 0, 0, NULL, "decimal number"},
    {"10.0.0.0/8x", -EINVAL, 0, 0, NULL, "decimal number"},
    {"10.0.0.0/1000", -EINVAL, 0, 0, NULL, "decimal number"},
    {"10.0.0.0/33", -EINVAL, 0, 0, NULL, "at most 32"},
    {"::/129", -EINVAL, 0, 0, NULL, "at most 128"},
    {" 10.0.0.0/8", -EINVAL, 0, 0, NULL, "IPv4 or IPv6 address"},
    {"", -EINVAL, 0, 0, NULL, "prefix length"},
};

START_TEST(test_parse)
{
	struct cidr c;
	const char *why = NULL;
	char text[CIDR_TEXT_MAX];
	int r = cidr_parse(parses[_i].in, &c, &why);

	ck_assert_msg(r == parses[_i].rc, "%s: got %d", parses[_i].in, r);
	if (parses[_i].canon) {
		ck_assert_int_eq(c.family, parses[_i].family);
		ck_assert_uint_eq(c.prefix, parses[_i].prefix);
		cidr_format(&c, text);
		ck_assert_str_eq(text, parses[_i].canon);
	}
	if (parses[_i].why) {
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(strstr(why, parses[_i].why) != NULL, "%s: %s", parses[_i].in, why);
	}
}
END_TEST

START_TEST(test_parse_null)
{
	struct cidr c;

	ck_assert_int_eq(cidr_parse(NULL, &c, NULL), -EINVAL);
	ck_assert_int_eq(cidr_parse("10.0.0.0", &c, NULL), -EINVAL);
}
END_TEST

static const struct {
	const char *outer, *inner;
	bool contains, overlaps;
} pairs[] = {
    {"169.254.0.0/16", "169.254.169.254/32", true, true},
    {"169.254.0.0/16", "169.254.0.0/16", true, true},
    {"169.254.0.0/16", "169.0.0.0/8", false, true},
    {"169.254.0.0/16", "10.0.0.0/8", false, false},
    {"0.0.0.0/0", "10.1.2.3/32", true, true},
    {"10.0.0.0/8", "10.128.0.0/9", true, true},
    {"10.128.0.0/9", "10.0.0.0/9", false, false},
    {"fe80::/10", "fe80::1/128", true, true},
    {"fe80::/10", "febf:ffff::/32", true, true},
    {"fe80::/10", "fec0::/10", false, false},
    {"fd00:ec2::254/128", "fd00::/8", false, true},
    {"fd00:ec2::254/128", "fd00:ec2::254/128", true, true},
    {"fd00:ec2::254/128", "fd00:ec2::255/128", false, false},
    /* Families never meet, not even ::/0 and 0.0.0.0/0. */
    {"::/0", "10.0.0.0/8", false, false},
    {"0.0.0.0/0", "::/0", false, false},
};

START_TEST(test_contains_overlaps)
{
	struct cidr a, b;

	ck_assert_int_eq(cidr_parse(pairs[_i].outer, &a, NULL), 0);
	ck_assert_int_eq(cidr_parse(pairs[_i].inner, &b, NULL), 0);
	ck_assert_msg(cidr_contains(&a, &b) == pairs[_i].contains, "%s contains %s",
	              pairs[_i].outer, pairs[_i].inner);
	ck_assert(cidr_overlaps(&a, &b) == pairs[_i].overlaps);
	ck_assert(cidr_overlaps(&b, &a) == pairs[_i].overlaps);
}
END_TEST

/* The longest text fits CIDR_TEXT_MAX. */
START_TEST(test_format_longest)
{
	struct cidr c;
	char text[CIDR_TEXT_MAX];

	ck_assert_int_eq(cidr_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128", &c, NULL),
	                 0);
	cidr_format(&c, text);
	ck_assert_str_eq(text, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	ck_assert_int_eq(cidr_parse("::ffff:1.2.3.4/128", &c, NULL), 0);
	cidr_format(&c, text);
	ck_assert_str_eq(text, "::ffff:1.2.3.4/128");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cidr");
	TCase *tc = tcase_create("cidr");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_parse, 0, (int)TK_ARRAY_LEN(parses));
	tcase_add_test(tc, test_parse_null);
	tcase_add_loop_test(tc, test_contains_overlaps, 0, (int)TK_ARRAY_LEN(pairs));
	tcase_add_test(tc, test_format_longest);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

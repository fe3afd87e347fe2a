/* test_util.c - util.c (buffers, numbers, encodings, time) and fielderr.c. */
#include "compat.h"

#include <check.h>
#include <locale.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "fielderr.h"
#include "jsonutil.h"
#include "util.h"

/* A buffer without a limit (max SIZE_MAX) grows like any other: max + 1
 * must not wrap to a 0-byte allocation. */
START_TEST(test_buf_unbounded)
{
	struct buf b = BUF_INIT(SIZE_MAX);
	char big[1000];
	int i;

	memset(big, 'x', sizeof(big));
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(buf_append(&b, big, sizeof(big)), 0);
	ck_assert_uint_eq(b.len, 10000);
	ck_assert_uint_ge(b.cap, 10001);
	ck_assert_int_eq(b.data[9999], 'x');
	ck_assert_int_eq(b.data[10000], 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_buf_limits)
{
	struct buf b = BUF_INIT(8);
	char *s;

	ck_assert_int_eq(buf_append(&b, "abcd", 4), 0);
	ck_assert_str_eq(b.data, "abcd");
	ck_assert_int_eq(buf_puts(&b, "efgh"), 0); /* exactly the limit */
	ck_assert_uint_eq(b.len, 8);
	ck_assert_str_eq(b.data, "abcdefgh");
	/* One byte over: refused, contents unchanged. */
	ck_assert_int_eq(buf_append(&b, "i", 1), -E2BIG);
	ck_assert_int_eq(buf_printf(&b, "%d", 1), -E2BIG);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_str_eq(b.data, "abcdefgh");
	ck_assert_int_eq(buf_append(&b, "", 0), 0);
	ck_assert_int_eq(buf_append(&b, "x", SIZE_MAX), -E2BIG);
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	ck_assert_int_eq(buf_printf(&b, "%s-%03d", "ab", 7), 0);
	ck_assert_str_eq(b.data, "ab-007");
	ck_assert_int_eq(buf_printf(&b, "%s", "xyz"), -E2BIG);
	ck_assert_str_eq(b.data, "ab-007");
	s = buf_steal(&b);
	ck_assert_str_eq(s, "ab-007");
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	free(s);
	/* Stealing an untouched buffer gives an empty string. */
	s = buf_steal(&b);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	free(s);
	/* A zero limit takes nothing but the empty append. */
	{
		struct buf z = BUF_INIT(0);

		ck_assert_int_eq(buf_puts(&z, "a"), -E2BIG);
		ck_assert_int_eq(buf_append(&z, "", 0), 0);
		ck_assert_str_eq(z.data, "");
		buf_free(&z);
	}
	/* Growth past the first allocation keeps contents. */
	{
		struct buf g = BUF_INIT(100000);
		size_t i;

		for (i = 0; i < 10000; i++)
			ck_assert_int_eq(buf_append(&g, "0123456789", 10), 0);
		ck_assert_uint_eq(g.len, 100000);
		ck_assert_int_eq(memcmp(g.data + 99990, "0123456789", 10), 0);
		ck_assert_int_eq(g.data[100000], '\0');
		ck_assert_int_eq(buf_append(&g, "x", 1), -E2BIG);
		buf_free_secure(&g);
		ck_assert_ptr_null(g.data);
	}
	buf_free(&b);
}
END_TEST

static const struct {
	const char *s;
	int64_t min, max;
	int r;
	int64_t v;
} i64_cases[] = {
    {"0", INT64_MIN, INT64_MAX, 0, 0},
    {"-0", INT64_MIN, INT64_MAX, 0, 0},
    {"42", 0, 100, 0, 42},
    {"007", 0, 100, 0, 7},
    {"9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX},
    {"-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN},
    {"9223372036854775808", INT64_MIN, INT64_MAX, -ERANGE, 0},
    {"-9223372036854775809", INT64_MIN, INT64_MAX, -ERANGE, 0},
    {"99999999999999999999999", INT64_MIN, INT64_MAX, -ERANGE, 0},
    {"101", 0, 100, -ERANGE, 0},
    {"-1", 0, 100, -ERANGE, 0},
    {"1", 2, 3, -ERANGE, 0},
    {"", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"-", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"+1", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {" 1", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"1 ", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"1a", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"0x10", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"1.0", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"--1", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"1e3", INT64_MIN, INT64_MAX, -EINVAL, 0},
};

START_TEST(test_parse_i64)
{
	int64_t v = 12345;
	int r = parse_i64(i64_cases[_i].s, i64_cases[_i].min, i64_cases[_i].max, &v);

	ck_assert_msg(r == i64_cases[_i].r, "'%s': r=%d", i64_cases[_i].s, r);
	if (r == 0)
		ck_assert_int_eq(v, i64_cases[_i].v);
	else
		ck_assert_int_eq(v, 12345); /* untouched on failure */
}
END_TEST

START_TEST(test_parse_misc)
{
	uint64_t u = 7;
	int64_t v = 7;

	ck_assert_int_eq(parse_i64(NULL, 0, 1, &v), -EINVAL);
	ck_assert_int_eq(parse_u64("18446744073709551615", 0, UINT64_MAX, &u), 0);
	ck_assert(u == UINT64_MAX);
	ck_assert_int_eq(parse_u64("18446744073709551616", 0, UINT64_MAX, &u), -ERANGE);
	ck_assert_int_eq(parse_u64("-1", 0, UINT64_MAX, &u), -EINVAL);
	ck_assert_int_eq(parse_u64("", 0, UINT64_MAX, &u), -EINVAL);
	ck_assert_int_eq(parse_u64(NULL, 0, UINT64_MAX, &u), -EINVAL);
	ck_assert_int_eq(parse_u64("5", 6, 9, &u), -ERANGE);
	ck_assert(u == UINT64_MAX);
	/* The length bounds the (buf, len) form. */
	ck_assert_int_eq(parse_i64n("123abc", 3, 0, 1000, &v), 0);
	ck_assert_int_eq(v, 123);
	ck_assert_int_eq(parse_i64n("123", 0, 0, 1000, &v), -EINVAL);
	ck_assert_int_eq(parse_i64n("-5x", 2, -10, 10, &v), 0);
	ck_assert_int_eq(v, -5);
}
END_TEST

static const struct {
	const char *plain, *b64;
} b64_vectors[] = {
    /* RFC 4648 section 10 */
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

START_TEST(test_base64_vectors)
{
	const char *p = b64_vectors[_i].plain, *e = b64_vectors[_i].b64;
	char *enc = base64_encode(p, strlen(p));
	unsigned char *dec = NULL;
	size_t n = 99;

	ck_assert_ptr_nonnull(enc);
	ck_assert_str_eq(enc, e);
	ck_assert_int_eq(base64_decode(e, strlen(e), &dec, &n), 0);
	ck_assert_uint_eq(n, strlen(p));
	ck_assert_int_eq(memcmp(dec, p, n), 0);
	free(enc);
	free(dec);
}
END_TEST

START_TEST(test_base64_roundtrip)
{
	unsigned char in[300];
	size_t len, i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 131 + 7);
	for (len = 0; len <= sizeof(in); len += (len < 70 ? 1 : 37)) {
		char *enc = base64_encode(in, len);
		unsigned char *dec = NULL;
		size_t n = 0;

		ck_assert_ptr_nonnull(enc);
		ck_assert_uint_eq(strlen(enc), 4 * ((len + 2) / 3));
		ck_assert_int_eq(base64_decode(enc, strlen(enc), &dec, &n), 0);
		ck_assert_uint_eq(n, len);
		ck_assert_int_eq(memcmp(dec, in, len), 0);
		free(enc);
		free(dec);
	}
}
END_TEST

START_TEST(test_base64_decode_edges)
{
	unsigned char *dec = NULL;
	size_t n = 0;

	/* Whitespace (a PEM-style wrapped value) is ignored. */
	ck_assert_int_eq(base64_decode("Zm9v\nYmFy\r\n", 11, &dec, &n), 0);
	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(memcmp(dec, "foobar", 6), 0);
	free(dec);
	dec = NULL;
	ck_assert_int_eq(base64_decode("Zm9v!", 5, &dec, &n), -EINVAL);
	ck_assert_int_eq(base64_decode("Zg==Zg==", 8, &dec, &n), -EINVAL);
	ck_assert_int_eq(base64_decode("Zg===", 5, &dec, &n), -EINVAL);
	ck_assert_int_eq(base64_decode("Zm9v-_", 6, &dec, &n), -EINVAL); /* URL alphabet */
	ck_assert_int_eq(base64_decode("Zm\0v", 4, &dec, &n), -EINVAL);
	ck_assert_ptr_null(dec);
}
END_TEST

START_TEST(test_sha256)
{
	char out[65];

	sha256_hex("abc", 3, out);
	ck_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("", 0, out);
	ck_assert_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

static const struct {
	const char *s;
	int r;
	int64_t t;
} rfc3339_cases[] = {
    {"1970-01-01T00:00:00Z", 0, 0},
    {"2024-01-01T00:00:00Z", 0, 1704067200},
    {"2024-01-01T00:00:00z", 0, 1704067200},
    {"2024-01-01T00:00:00.123456789Z", 0, 1704067200},
    {"2024-01-01T02:00:00+02:00", 0, 1704067200},
    {"2023-12-31T18:30:00-05:30", 0, 1704067200},
    {"2024-02-29T12:00:00Z", 0, 1709208000},
    {"2024-01-01", -EINVAL, 0},
    {"2024-01-01T00:00:00", -EINVAL, 0},
    {"2024-01-01T00:00:00+0200", -EINVAL, 0},
    {"2024-01-01T00:00:00+02", -EINVAL, 0},
    {"2024-01-01T00:00:00Zjunk", -EINVAL, 0},
    {"2024-13-01T00:00:00Z", -EINVAL, 0},
    {"garbage", -EINVAL, 0},
    {"", -EINVAL, 0},
};

START_TEST(test_rfc3339)
{
	time_t t = 777;
	int r = parse_rfc3339(rfc3339_cases[_i].s, &t);

	ck_assert_msg(r == rfc3339_cases[_i].r, "'%s': r=%d", rfc3339_cases[_i].s, r);
	if (r == 0)
		ck_assert_int_eq((int64_t)t, rfc3339_cases[_i].t);
	else
		ck_assert_int_eq(t, 777);
}
END_TEST

START_TEST(test_rfc3339_format)
{
	char out[32];
	time_t t = 0, back = 0;

	format_rfc3339(0, out);
	ck_assert_str_eq(out, "1970-01-01T00:00:00Z");
	format_rfc3339(1709208000, out);
	ck_assert_str_eq(out, "2024-02-29T12:00:00Z");
	for (t = -86400; t < 4102444800; t += 86399 * 97) {
		format_rfc3339(t, out);
		ck_assert_int_eq(parse_rfc3339(out, &back), 0);
		ck_assert_int_eq(back, t);
	}
}
END_TEST

START_TEST(test_strlist_and_files)
{
	struct strlist l = {0};
	char path[] = "/tmp/tk-util-XXXXXX";
	char *data = NULL, *d;
	size_t n = 0;
	int fd;

	ck_assert_int_eq(strlist_add(&l, "a"), 0);
	ck_assert_int_eq(strlist_addf(&l, "%s-%d", "b", 2), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert(strlist_contains(&l, "b-2"));
	ck_assert(!strlist_contains(&l, "b"));
	strlist_free(&l);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.v);

	d = xstrndup("hello world", 5);
	ck_assert_str_eq(d, "hello");
	free(d);
	ck_assert_ptr_null(xstrdup(NULL));

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	ck_assert_int_eq(read_file(path, 10, &data, &n), 0);
	ck_assert_uint_eq(n, 10);
	ck_assert_str_eq(data, "0123456789");
	free(data);
	data = NULL;
	ck_assert_int_eq(read_file(path, 9, &data, &n), -E2BIG);
	ck_assert_ptr_null(data);
	unlink(path);
	ck_assert_int_eq(read_file(path, 10, &data, &n), -ENOENT);
}
END_TEST

static const struct {
	enum fielderr_type type;
	const char *path;
	const char *value; /* string value for fielderrs_add_str, or NULL */
	const char *value_json;
	const char *detail;
	const char *want;
} fe_cases[] = {
    {FE_REQUIRED, "spec.prompt", NULL, NULL, NULL, "spec.prompt: Required value"},
    {FE_INVALID, "spec.timeoutSeconds", NULL, "0", "must be between 1 and 2147483647",
     "spec.timeoutSeconds: Invalid value: 0: must be between 1 and 2147483647"},
    {FE_INVALID, "spec.schedule", "61 * * * *", NULL, "minute must be 0-59",
     "spec.schedule: Invalid value: \"61 * * * *\": minute must be 0-59"},
    {FE_NOT_SUPPORTED, "spec.concurrencyPolicy", "Allow", NULL,
     "supported values: \"Forbid\", \"Replace\"",
     "spec.concurrencyPolicy: Unsupported value: \"Allow\": supported values: \"Forbid\", "
     "\"Replace\""},
    {FE_DUPLICATE, "spec.mcpServerRefs[1]", "github", NULL, NULL,
     "spec.mcpServerRefs[1]: Duplicate value: \"github\""},
    {FE_TOO_LONG, "metadata.name", "x", NULL, "may not be more than 46 bytes",
     "metadata.name: Too long: may not be more than 46 bytes"},
    {FE_TOO_MANY, "spec.env", NULL, NULL, "must have at most 1024 items",
     "spec.env: Too many: must have at most 1024 items"},
    {FE_FORBIDDEN, "spec.rules[0]", NULL, NULL, "resources and nonResourceURLs cannot be mixed",
     "spec.rules[0]: Forbidden: resources and nonResourceURLs cannot be mixed"},
    {FE_TYPE, "spec.suspend", NULL, "\"yes\"", "must be a boolean",
     "spec.suspend: Invalid value: \"yes\": must be a boolean"},
    {FE_INVALID, "metadata.name", "a\"b\\c\n", NULL, "bad",
     "metadata.name: Invalid value: \"a\\\"b\\\\c\\n\": bad"},
    {FE_INVALID, "spec.x", NULL, NULL, "", "spec.x: Invalid value"},
};

START_TEST(test_fielderr_single)
{
	struct fielderrs errs = {0};
	struct buf out = BUF_INIT(4096);

	if (fe_cases[_i].value)
		fielderrs_add_str(&errs, fe_cases[_i].type, fe_cases[_i].path, fe_cases[_i].value,
		                  fe_cases[_i].detail ? "%s" : NULL, fe_cases[_i].detail);
	else
		fielderrs_add(&errs, fe_cases[_i].type, fe_cases[_i].path, fe_cases[_i].value_json,
		              fe_cases[_i].detail ? "%s" : NULL, fe_cases[_i].detail);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_int_eq(errs.oom, 0);
	ck_assert_int_eq(fielderrs_render(&errs, &out), 0);
	ck_assert_str_eq(out.data, fe_cases[_i].want);
	fielderrs_free(&errs);
	ck_assert_uint_eq(errs.n, 0);
	buf_free(&out);
}
END_TEST

START_TEST(test_fielderr_aggregate)
{
	struct fielderrs errs = {0};
	struct buf out = BUF_INIT(4096), small = BUF_INIT(20);
	int i;

	/* Nothing recorded renders nothing. */
	ck_assert_int_eq(fielderrs_render(&errs, &out), 0);
	ck_assert_uint_eq(out.len, 0);
	fielderrs_add(&errs, FE_REQUIRED, "spec.prompt", NULL, NULL);
	fielderrs_add_str(&errs, FE_INVALID, "spec.schedule", "x",
	                  "expected exactly %d fields, found %d", 5, 1);
	ck_assert_int_eq(fielderrs_render(&errs, &out), 0);
	ck_assert_str_eq(out.data, "[spec.prompt: Required value, spec.schedule: Invalid value: "
	                           "\"x\": expected exactly 5 fields, found 1]");
	ck_assert_int_eq(fielderrs_render(&errs, &small), -E2BIG);
	/* Many errors grow the list. */
	for (i = 0; i < 40; i++)
		fielderrs_add(&errs, FE_REQUIRED, "p", NULL, NULL);
	ck_assert_uint_eq(errs.n, 42);
	buf_reset(&out);
	ck_assert_int_eq(fielderrs_render(&errs, &out), 0);
	ck_assert_int_eq(out.data[0], '[');
	ck_assert_int_eq(out.data[out.len - 1], ']');
	fielderrs_free(&errs);
	buf_free(&out);
	buf_free(&small);
}
END_TEST

START_TEST(test_thread_c_locale)
{
	locale_t cur, copy;
	json_object *o;

	ck_assert(uselocale((locale_t)0) == LC_GLOBAL_LOCALE);
	jsonutil_thread_c_locale();
	jsonutil_thread_c_locale();
	cur = uselocale((locale_t)0);
	ck_assert(cur != LC_GLOBAL_LOCALE);
	ck_assert(cur == newlocale(LC_ALL_MASK, "C", (locale_t)0));
	/* What json-c does around each parse: from this object, the copy is
	 * the object itself (no allocation, no lock). */
	copy = duplocale(cur);
	ck_assert(copy == cur);
	freelocale(copy);
	o = json_tokener_parse("{\"x\":1.5}");
	ck_assert(json_object_get_double(json_object_object_get(o, "x")) == 1.5);
	json_object_put(o);
	ck_assert(uselocale((locale_t)0) == cur);
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, test_buf_limits);
	tcase_add_test(tc, test_buf_unbounded);
	tcase_add_loop_test(tc, test_parse_i64, 0, TK_ARRAY_LEN(i64_cases));
	tcase_add_test(tc, test_parse_misc);
	tcase_add_loop_test(tc, test_base64_vectors, 0, TK_ARRAY_LEN(b64_vectors));
	tcase_add_test(tc, test_base64_roundtrip);
	tcase_add_test(tc, test_base64_decode_edges);
	tcase_add_test(tc, test_sha256);
	tcase_add_loop_test(tc, test_rfc3339, 0, TK_ARRAY_LEN(rfc3339_cases));
	tcase_add_test(tc, test_rfc3339_format);
	tcase_add_test(tc, test_strlist_and_files);
	suite_add_tcase(s, tc);
	tc = tcase_create("fielderr");
	tcase_add_loop_test(tc, test_fielderr_single, 0, TK_ARRAY_LEN(fe_cases));
	tcase_add_test(tc, test_fielderr_aggregate);
	tcase_add_test(tc, test_thread_c_locale);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(util_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

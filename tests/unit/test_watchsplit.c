/*
 * test_watchsplit.c - the watch stream line splitter, fed every way a
 * transport could cut the stream.
 */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "watchsplit.h"

/* Lines collected, joined with '|' so a table row can state them. */
struct sink {
	char out[512];
	size_t len;
	int abort_at; /* return 7 on this line number (1-based), 0 never */
	int lines;
};

static int collect(void *ud, const char *line, size_t len)
{
	struct sink *s = ud;

	s->lines++;
	ck_assert_uint_lt(s->len + len + 1, sizeof(s->out));
	if (s->len)
		s->out[s->len++] = '|';
	memcpy(s->out + s->len, line, len);
	s->len += len;
	s->out[s->len] = '\0';
	return s->lines == s->abort_at ? 7 : 0;
}

static const struct {
	const char *in;
	const char *want;
} streams[] = {
    {"{\"type\":\"ADDED\"}\n", "{\"type\":\"ADDED\"}"},
    {"a\nbb\nccc\n", "a|bb|ccc"},
    {"a\r\nbb\r\n", "a|bb"},
    {"\n\n a \n\r\n", " a "},
    {"one\ntwo", "one|two"}, /* the tail arrives via finish */
    {"x\r", "x"},            /* a lone trailing CR is trimmed at finish */
    {"a\rb\n", "a\rb"},      /* an inner CR is data */
    {"", ""},
};

static void run_split(const char *in, size_t n, size_t cut, size_t step, struct sink *s)
{
	struct watchsplit ws;
	size_t off = 0;

	watchsplit_init(&ws, 64);
	memset(s, 0, sizeof(*s));
	while (off < n) {
		size_t len = step ? step : (off < cut ? cut - off : n - off);

		if (off + len > n)
			len = n - off;
		ck_assert_int_eq(watchsplit_feed(&ws, in + off, len, collect, s), 0);
		off += len;
	}
	ck_assert_int_eq(watchsplit_finish(&ws, collect, s), 0);
	ck_assert_uint_eq(watchsplit_pending(&ws), 0);
	watchsplit_free(&ws);
}

START_TEST(test_every_cut)
{
	const char *in = streams[_i].in;
	size_t n = strlen(in), cut;
	struct sink s;

	for (cut = 0; cut <= n; cut++) {
		run_split(in, n, cut, 0, &s);
		ck_assert_msg(strcmp(s.out, streams[_i].want) == 0,
		              "cut %zu: got \"%s\" want \"%s\"", cut, s.out, streams[_i].want);
	}
	run_split(in, n, 0, 1, &s); /* byte by byte */
	ck_assert_str_eq(s.out, streams[_i].want);
}
END_TEST

/* Build a line of n 'x' plus terminator term into a fresh buffer. */
static char *line_of(size_t n, const char *term)
{
	char *p = malloc(n + strlen(term) + 1);

	ck_assert_ptr_nonnull(p);
	memset(p, 'x', n);
	memcpy(p + n, term, strlen(term) + 1);
	return p;
}

static const struct {
	size_t len;
	const char *term;
	int want;
} limits[] = {
    {16, "\n", 0},        {16, "\r\n", 0},    {17, "\n", -E2BIG},
    {17, "\r\n", -E2BIG}, {40, "\n", -E2BIG}, {17, "", -E2BIG},
};

START_TEST(test_limit)
{
	char *in = line_of(limits[_i].len, limits[_i].term);
	size_t n = strlen(in), cut;

	for (cut = 0; cut <= n; cut++) {
		struct watchsplit ws;
		struct sink s;
		int r;

		memset(&s, 0, sizeof(s));
		watchsplit_init(&ws, 16);
		r = watchsplit_feed(&ws, in, cut, collect, &s);
		if (r == 0)
			r = watchsplit_feed(&ws, in + cut, n - cut, collect, &s);
		if (r == 0)
			r = watchsplit_finish(&ws, collect, &s);
		ck_assert_msg(r == limits[_i].want, "len %zu cut %zu: %d", limits[_i].len, cut, r);
		if (r < 0) {
			ck_assert_int_eq(s.lines, 0);
			/* sticky: the stream cannot be resynchronised */
			ck_assert_int_eq(watchsplit_feed(&ws, "ok\n", 3, collect, &s), -E2BIG);
			ck_assert_int_eq(s.lines, 0);
		} else {
			ck_assert_int_eq(s.lines, 1);
		}
		watchsplit_free(&ws);
	}
	free(in);
}
END_TEST

START_TEST(test_callback_abort)
{
	struct watchsplit ws;
	struct sink s;

	memset(&s, 0, sizeof(s));
	s.abort_at = 2;
	watchsplit_init(&ws, 64);
	ck_assert_int_eq(watchsplit_feed(&ws, "a\nb\nc\n", 6, collect, &s), 7);
	ck_assert_str_eq(s.out, "a|b");
	/* still usable after an abort */
	ck_assert_int_eq(watchsplit_feed(&ws, "d\n", 2, collect, &s), 0);
	ck_assert_str_eq(s.out, "a|b|d");
	watchsplit_free(&ws);
}
END_TEST

START_TEST(test_pending_counts)
{
	struct watchsplit ws;
	struct sink s;

	memset(&s, 0, sizeof(s));
	watchsplit_init(&ws, 64);
	ck_assert_int_eq(watchsplit_feed(&ws, "abc\nde", 6, collect, &s), 0);
	ck_assert_uint_eq(watchsplit_pending(&ws), 2);
	ck_assert_int_eq(watchsplit_feed(&ws, "f\n", 2, collect, &s), 0);
	ck_assert_uint_eq(watchsplit_pending(&ws), 0);
	ck_assert_str_eq(s.out, "abc|def");
	watchsplit_free(&ws);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("watchsplit");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_every_cut, 0, (int)TK_ARRAY_LEN(streams));
	tcase_add_loop_test(tc, test_limit, 0, (int)TK_ARRAY_LEN(limits));
	tcase_add_test(tc, test_callback_abort);
	tcase_add_test(tc, test_pending_counts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

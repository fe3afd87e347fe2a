/* test_procmetrics.c - /proc parsing on given contents (real, hostile and
 * truncated lines), this process's own values, and the series
 * procmetrics_sample puts in a registry. */
#include "compat.h"

#include <check.h>
#include <errno.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "procmetrics.h"
#include "util.h"

/* Fields 3..52 of a real line, after "pid (comm)": utime 7, stime 3,
 * starttime 3525900, vsize 3133440, rss 416, then rsslim (2^64-1, which
 * must not be parsed as a signed number) and the rest. */
#define STAT_TAIL                                                                                  \
	" R 21912 21912 16768 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 3525900 3133440 416 "        \
	"18446744073709551615 94319107837952 94319107857833 140724712526720 0 0 0 0 0 0 0 0 0 "    \
	"17 1 0 0 0 0 0 94319107873840 94319107875456 94319819223040 140724712528579 "             \
	"140724712528599 140724712528599 140724712529899 0\n"

static const struct stat_case {
	const char *name;
	const char *in;
	int r; /* expected return; on 0 the fields below */
} stat_cases[] = {
    {"real line", "21914 (cat)" STAT_TAIL, 0},
    {"comm with spaces", "21914 (thurkube webhook)" STAT_TAIL, 0},
    {"comm with ')' and spaces: \"a) b\"", "1 (a) b)" STAT_TAIL, 0},
    {"comm ending in ') '", "1 (x) 1 2 3) ) )" STAT_TAIL, 0},
    {"empty comm", "1 ()" STAT_TAIL, 0},
    {"empty", "", -EINVAL},
    {"no parentheses", "21914 cat" STAT_TAIL, -EINVAL},
    {"no '('", "21914 cat)" STAT_TAIL, -EINVAL},
    {"no ')'", "21914 (cat R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22\n", -EINVAL},
    {"ends at comm", "1 (cat)", -EINVAL},
    {"truncated before utime", "1 (cat) R 21912 21912 16768 0 -1 4194304 101 0 0", -EINVAL},
    {"truncated before rss",
     "1 (cat) R 21912 21912 16768 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 3525900 3133440",
     -EINVAL},
    {"truncated inside rss",
     "1 (cat) R 21912 21912 16768 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 3525900 3133440 41",
     -EINVAL},
    {"rss ends the line", /* the kernel always writes 52 fields; a newline still ends it */
     "1 (cat) R 21912 21912 16768 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 3525900 3133440 416\n",
     0},
    {"negative utime",
     "1 (cat) R 1 1 1 0 -1 4194304 101 0 0 0 -7 3 0 0 20 0 1 0 3525900 3133440 416 0\n", -EINVAL},
    {"junk in vsize",
     "1 (cat) R 1 1 1 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 3525900 31x3440 416 0\n", -EINVAL},
    {"empty utime",
     "1 (cat) R 1 1 1 0 -1 4194304 101 0 0 0  3 0 0 20 0 1 0 3525900 3133440 416 0\n", -EINVAL},
    {"tab instead of space",
     "1 (cat)\tR 1 1 1 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 3525900 "
     "3133440 416 0\n",
     -EINVAL},
    {"utime overflows",
     "1 (cat) R 1 1 1 0 -1 4194304 101 0 0 0 99999999999999999999 3 0 0 20 0 1 0 3525900 "
     "3133440 416 0\n",
     -EINVAL},
};

START_TEST(test_parse_stat)
{
	const struct stat_case *c = &stat_cases[_i];
	struct procmetrics_stat st = {
	    .utime = 42, .stime = 42, .starttime = 42, .vsize = 42, .rss = 42};
	int r = procmetrics_parse_stat(c->in, strlen(c->in), &st);

	ck_assert_msg(r == c->r, "%s: got %d, want %d", c->name, r, c->r);
	if (r == 0) {
		ck_assert_uint_eq(st.utime, 7);
		ck_assert_uint_eq(st.stime, 3);
		ck_assert_uint_eq(st.starttime, 3525900);
		ck_assert_uint_eq(st.vsize, 3133440);
		ck_assert_uint_eq(st.rss, 416);
	} else {
		/* Untouched on failure. */
		ck_assert_uint_eq(st.utime + st.stime + st.starttime + st.vsize + st.rss, 5 * 42);
	}
}
END_TEST

/* The length is honoured: a valid line cut anywhere inside fails, and no
 * byte past len is read (the copy has no terminator). */
START_TEST(test_parse_stat_every_prefix)
{
	const char *line = "1 (a) b)" STAT_TAIL; /* comm "a) b" */
	size_t full = strlen(line), cut;
	/* Field 24 ends at the space before rsslim. */
	size_t need = (size_t)(strstr(line, " 416 ") - line) + 5;

	for (cut = 0; cut <= full; cut++) {
		struct procmetrics_stat st;
		char *copy = malloc(cut ? cut : 1);
		int r;

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, line, cut);
		r = procmetrics_parse_stat(copy, cut, &st);
		ck_assert_msg(r == (cut >= need ? 0 : -EINVAL), "cut at %zu: %d", cut, r);
		free(copy);
	}
}
END_TEST

static const struct btime_case {
	const char *name;
	const char *in;
	int r;
	uint64_t want;
} btime_cases[] = {
    {"real", "cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 5 6\nctxt 7\nbtime 1796450382\nprocesses 9\n", 0,
     1796450382},
    {"first line", "btime 12\n", 0, 12},
    {"not a prefix match", "xbtime 5\nbtime 6\n", 0, 6},
    {"absent", "cpu 1 2 3\nctxt 7\n", -ENOENT, 0},
    {"empty", "", -ENOENT, 0},
    {"unterminated", "ctxt 7\nbtime 1796450382", -EINVAL, 0},
    {"no value", "btime \n", -EINVAL, 0},
    {"junk", "btime 17x\n", -EINVAL, 0},
    {"negative", "btime -1\n", -EINVAL, 0},
    {"key without a space", "btime\n", -ENOENT, 0},
};

START_TEST(test_parse_btime)
{
	const struct btime_case *c = &btime_cases[_i];
	uint64_t v = 42;
	int r = procmetrics_parse_btime(c->in, strlen(c->in), &v);

	ck_assert_msg(r == c->r, "%s: got %d, want %d", c->name, r, c->r);
	ck_assert_uint_eq(v, r == 0 ? c->want : 42);
}
END_TEST

/* This process's own values are plausible: it started in the last hour
 * (and not in the future), holds at least stdin..stderr, and has memory. */
START_TEST(test_read_self)
{
	struct procmetrics p;
	struct rlimit rl;
	double now = (double)time(NULL);

	ck_assert_int_eq(procmetrics_read(&p), 0);
	ck_assert_double_ge(p.cpu_seconds, 0);
	ck_assert_double_gt(p.resident_bytes, 0);
	ck_assert_double_ge(p.virtual_bytes, p.resident_bytes);
	ck_assert_double_ge(p.open_fds, 1);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_double_eq(p.max_fds, (double)rl.rlim_cur);
	ck_assert_double_le(p.start_time_seconds, now + 2);
	ck_assert_double_gt(p.start_time_seconds, now - 3600);
}
END_TEST

/* One more descriptor open is one more counted: the listing does not
 * count itself, nor miss one. */
START_TEST(test_read_counts_fds)
{
	struct procmetrics a, b;
	int fd;

	ck_assert_int_eq(procmetrics_read(&a), 0);
	fd = dup(0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(procmetrics_read(&b), 0);
	close(fd);
	ck_assert_double_eq(b.open_fds, a.open_fds + 1);
}
END_TEST

static const char *const series[] = {
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_open_fds",
    "process_max_fds",
    "process_start_time_seconds",
};

START_TEST(test_sample_renders)
{
	struct metrics *m = metrics_new();
	struct buf out = BUF_INIT(1 << 20), want = BUF_INIT(1024);
	size_t i;

	ck_assert_ptr_nonnull(m);
	procmetrics_sample(NULL); /* no registry: nothing, no crash */
	procmetrics_sample(m);
	procmetrics_sample(m); /* idempotent: one series each */
	ck_assert_int_eq(metrics_render(m, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "# TYPE thurkube_build_info gauge\n"
	                                       "thurkube_build_info{version=\"" THURKUBE_VERSION
	                                       "\",revision=\"" THURKUBE_REVISION "\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "# TYPE process_cpu_seconds_total counter\n"));
	for (i = 0; i < TK_ARRAY_LEN(series); i++) {
		const char *at;

		buf_reset(&want);
		ck_assert_int_eq(buf_printf(&want, "\n%s ", series[i]), 0);
		at = strstr(out.data, want.data);
		ck_assert_msg(at != NULL, "no %s in:\n%s", series[i], out.data);
		ck_assert_ptr_null(strstr(at + 1, want.data));
		if (i > 0) {
			buf_reset(&want);
			ck_assert_int_eq(buf_printf(&want, "# TYPE %s gauge\n", series[i]), 0);
			ck_assert_ptr_nonnull(strstr(out.data, want.data));
		}
	}
	ck_assert_double_gt(metrics_value(m, "process_resident_memory_bytes", NULL), 0);
	buf_free(&want);
	buf_free(&out);
	metrics_free(m);
}
END_TEST

static Suite *procmetrics_suite(void)
{
	Suite *s = suite_create("procmetrics");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_parse_stat, 0, (int)TK_ARRAY_LEN(stat_cases));
	tcase_add_test(tc, test_parse_stat_every_prefix);
	tcase_add_loop_test(tc, test_parse_btime, 0, (int)TK_ARRAY_LEN(btime_cases));
	tcase_add_test(tc, test_read_self);
	tcase_add_test(tc, test_read_counts_fds);
	tcase_add_test(tc, test_sample_renders);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(procmetrics_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

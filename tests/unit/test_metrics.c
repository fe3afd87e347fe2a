/* test_metrics.c - the Prometheus registry, checked by parsing its output. */
#include "compat.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>

#include "metrics.h"
#include "util.h"

/* One parsed exposition: samples as "name{labels}" -> value, plus the
 * order of HELP/TYPE lines. */
struct expo {
	struct strlist keys;
	double vals[512];
	struct strlist help; /* family names in HELP order */
	struct strlist type; /* "name type" in TYPE order */
};

static void expo_parse(const char *text, struct expo *x)
{
	const char *p = text;

	memset(x, 0, sizeof(*x));
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n;
		char line[1024];

		ck_assert_msg(nl != NULL, "unterminated last line");
		n = (size_t)(nl - p);
		ck_assert_uint_lt(n, sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl + 1;
		if (strncmp(line, "# HELP ", 7) == 0) {
			char *sp = strchr(line + 7, ' ');

			ck_assert_ptr_nonnull(sp);
			*sp = '\0';
			ck_assert_msg(!strlist_contains(&x->help, line + 7), "HELP twice: %s",
			              line);
			ck_assert_int_eq(strlist_add(&x->help, line + 7), 0);
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert_int_eq(strlist_add(&x->type, line + 7), 0);
		} else {
			/* The value follows the last space; label values may hold spaces. */
			char *sp = strrchr(line, ' ');
			char *end;

			ck_assert_ptr_nonnull(sp);
			*sp = '\0';
			ck_assert_msg(!strlist_contains(&x->keys, line), "sample twice: %s", line);
			ck_assert_uint_lt(x->keys.n, TK_ARRAY_LEN(x->vals));
			if (strcmp(sp + 1, "+Inf") == 0)
				x->vals[x->keys.n] = INFINITY;
			else {
				x->vals[x->keys.n] = strtod(sp + 1, &end);
				ck_assert_msg(*end == '\0' && end != sp + 1, "bad value '%s'",
				              sp + 1);
			}
			ck_assert_int_eq(strlist_add(&x->keys, line), 0);
		}
	}
}

static double expo_get(const struct expo *x, const char *key)
{
	size_t i;

	for (i = 0; i < x->keys.n; i++)
		if (strcmp(x->keys.v[i], key) == 0)
			return x->vals[i];
	ck_abort_msg("no sample %s", key);
	return NAN;
}

static size_t expo_index(const struct expo *x, const char *key)
{
	size_t i;

	for (i = 0; i < x->keys.n; i++)
		if (strcmp(x->keys.v[i], key) == 0)
			return i;
	ck_abort_msg("no sample %s", key);
	return 0;
}

static void expo_free(struct expo *x)
{
	strlist_free(&x->keys);
	strlist_free(&x->help);
	strlist_free(&x->type);
}

static void render(struct metrics *m, struct expo *x, struct buf *out)
{
	buf_reset(out);
	ck_assert_int_eq(metrics_render(m, out), 0);
	expo_parse(out->data ? out->data : "", x);
}

START_TEST(test_counter_gauge)
{
	struct metrics *m = metrics_new();
	struct buf out = BUF_INIT(1 << 20), l = BUF_INIT(1024);
	struct expo x;

	ck_assert_ptr_nonnull(m);
	metrics_counter_add(m, "tk_requests_total", "Requests.", "code=\"200\"", 1);
	metrics_counter_add(m, "tk_requests_total", "ignored help", "code=\"200\"", 2.5);
	metrics_counter_add(m, "tk_requests_total", NULL, "code=\"500\"", 1);
	metrics_counter_add(m, "tk_requests_total", NULL, "code=\"500\"", -1); /* dropped */
	metrics_gauge_set(m, "tk_leader", "1 when leading.", NULL, 1);
	metrics_gauge_add(m, "tk_inflight", "In flight.", "", 3);
	metrics_gauge_add(m, "tk_inflight", "In flight.", "", -5);
	metrics_gauge_set(m, "tk_leader", NULL, NULL, 0);
	/* Same name, other type: dropped, the first use fixed the type. */
	metrics_gauge_set(m, "tk_requests_total", NULL, "code=\"200\"", 100);
	metrics_observe(m, "tk_leader", NULL, NULL, 1);
	/* Bad names and label sets are dropped. */
	metrics_counter_add(m, "9bad", NULL, NULL, 1);
	metrics_counter_add(m, "bad-name", NULL, NULL, 1);
	metrics_counter_add(m, "", NULL, NULL, 1);
	metrics_counter_add(m, NULL, NULL, NULL, 1);
	metrics_counter_add(m, "tk_bad_labels", NULL, "code=200", 1);
	metrics_counter_add(m, "tk_bad_labels", NULL, "code=\"a\"b\"", 1);
	metrics_counter_add(m, "tk_bad_labels", NULL, "code=\"a\",", 1);
	metrics_counter_add(m, "tk_bad_labels", NULL, "=\"a\"", 1);
	metrics_counter_add(m, "tk_bad_labels", NULL, "a=\"\\x\"", 1);
	metrics_counter_add(m, "tk_bad_labels", NULL, "a=\"x", 1);
	metrics_gauge_set(m, "tk_nan", NULL, NULL, NAN);
	metrics_counter_add(NULL, "tk_null_registry", NULL, NULL, 1);

	ck_assert_double_eq(metrics_value(m, "tk_requests_total", "code=\"200\""), 3.5);
	ck_assert_double_eq(metrics_value(m, "tk_requests_total", "code=\"500\""), 1);
	ck_assert_double_eq(metrics_value(m, "tk_requests_total", "code=\"404\""), 0);
	ck_assert_double_eq(metrics_value(m, "tk_inflight", NULL), -2);
	ck_assert_double_eq(metrics_value(m, "tk_absent", NULL), 0);
	ck_assert_double_eq(metrics_value(NULL, "tk_absent", NULL), 0);

	render(m, &x, &out);
	ck_assert_uint_eq(x.help.n, 3);
	ck_assert_str_eq(x.help.v[0], "tk_inflight");
	ck_assert_str_eq(x.help.v[1], "tk_leader");
	ck_assert_str_eq(x.help.v[2], "tk_requests_total");
	ck_assert_uint_eq(x.type.n, 3);
	ck_assert_str_eq(x.type.v[0], "tk_inflight gauge");
	ck_assert_str_eq(x.type.v[1], "tk_leader gauge");
	ck_assert_str_eq(x.type.v[2], "tk_requests_total counter");
	ck_assert_uint_eq(x.keys.n, 4);
	ck_assert_double_eq(expo_get(&x, "tk_inflight"), -2);
	ck_assert_double_eq(expo_get(&x, "tk_leader"), 0);
	ck_assert_double_eq(expo_get(&x, "tk_requests_total{code=\"200\"}"), 3.5);
	ck_assert_double_eq(expo_get(&x, "tk_requests_total{code=\"500\"}"), 1);
	/* Series sorted by label set. */
	ck_assert_uint_lt(expo_index(&x, "tk_requests_total{code=\"200\"}"),
	                  expo_index(&x, "tk_requests_total{code=\"500\"}"));
	ck_assert_ptr_nonnull(strstr(out.data, "# HELP tk_requests_total Requests.\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "# HELP tk_leader 1 when leading.\n"));
	expo_free(&x);
	buf_free(&out);
	buf_free(&l);
	metrics_free(m);
}
END_TEST

START_TEST(test_histogram)
{
	static const char *const le[] = {"0.001", "0.0025", "0.005", "0.01", "0.025",
	                                 "0.05",  "0.1",    "0.25",  "0.5",  "1",
	                                 "2.5",   "5",      "10",    "+Inf"};
	/* Observations 0.0005, 0.003, 0.003, 0.2, 1 (on a bound), 7, 30. */
	static const double want[] = {1, 1, 3, 3, 3, 3, 3, 4, 4, 5, 5, 5, 6, 7};
	struct metrics *m = metrics_new();
	struct buf out = BUF_INIT(1 << 20), l = BUF_INIT(1024), key = BUF_INIT(1024);
	const double obs[] = {0.0005, 0.003, 0.003, 0.2, 1, 7, 30};
	struct expo x;
	size_t i;

	ck_assert_ptr_nonnull(m);
	metrics_labels(&l, "webhook", "validate", NULL);
	for (i = 0; i < TK_ARRAY_LEN(obs); i++)
		metrics_observe(m, "tk_latency_seconds", "Latency.", l.data, obs[i]);
	metrics_observe(m, "tk_latency_seconds", NULL, NULL, 0.02);
	render(m, &x, &out);
	ck_assert_uint_eq(x.help.n, 1);
	ck_assert_str_eq(x.type.v[0], "tk_latency_seconds histogram");
	for (i = 0; i < TK_ARRAY_LEN(le); i++) {
		buf_reset(&key);
		ck_assert_int_eq(
		    buf_printf(&key, "tk_latency_seconds_bucket{webhook=\"validate\",le=\"%s\"}",
		               le[i]),
		    0);
		ck_assert_msg(expo_get(&x, key.data) == want[i], "%s = %g, want %g", key.data,
		              expo_get(&x, key.data), want[i]);
		if (i > 0)
			ck_assert_uint_gt(
			    expo_index(&x, key.data),
			    expo_index(
			        &x,
			        "tk_latency_seconds_bucket{webhook=\"validate\",le=\"0.001\"}"));
	}
	ck_assert_double_eq(expo_get(&x, "tk_latency_seconds_count{webhook=\"validate\"}"), 7);
	ck_assert_double_eq_tol(expo_get(&x, "tk_latency_seconds_sum{webhook=\"validate\"}"),
	                        38.2065, 1e-9);
	/* The unlabelled series, sorted first. */
	ck_assert_double_eq(expo_get(&x, "tk_latency_seconds_bucket{le=\"0.01\"}"), 0);
	ck_assert_double_eq(expo_get(&x, "tk_latency_seconds_bucket{le=\"0.025\"}"), 1);
	ck_assert_double_eq(expo_get(&x, "tk_latency_seconds_bucket{le=\"+Inf\"}"), 1);
	ck_assert_double_eq(expo_get(&x, "tk_latency_seconds_count"), 1);
	ck_assert_double_eq_tol(expo_get(&x, "tk_latency_seconds_sum"), 0.02, 1e-12);
	ck_assert_uint_lt(
	    expo_index(&x, "tk_latency_seconds_count"),
	    expo_index(&x, "tk_latency_seconds_bucket{webhook=\"validate\",le=\"0.001\"}"));
	ck_assert_uint_eq(x.keys.n, 2 * (14 + 2));
	ck_assert_double_eq(metrics_value(m, "tk_latency_seconds", l.data), 7);
	expo_free(&x);
	buf_free(&out);
	buf_free(&l);
	buf_free(&key);
	metrics_free(m);
}
END_TEST

START_TEST(test_labels_escaping)
{
	struct metrics *m = metrics_new();
	struct buf out = BUF_INIT(1 << 20), l = BUF_INIT(1024);
	const char *s;
	struct expo x;

	s = metrics_labels(&l, "kind", "AgentJob", "name", "a\"b\\c\nd", NULL);
	ck_assert_str_eq(s, "kind=\"AgentJob\",name=\"a\\\"b\\\\c\\nd\"");
	/* Replaces, does not append. */
	s = metrics_labels(&l, "k", "v", NULL);
	ck_assert_str_eq(s, "k=\"v\"");
	s = metrics_labels(&l, "k", NULL, NULL);
	ck_assert_str_eq(s, "k=\"\"");
	s = metrics_labels(&l, NULL);
	ck_assert_str_eq(s, "");

	s = metrics_labels(&l, "name", "a\"b\\c\nd", NULL);
	metrics_counter_add(m, "tk_x_total", "Help with \\ and\nnewline.", s, 2);
	render(m, &x, &out);
	ck_assert_double_eq(expo_get(&x, "tk_x_total{name=\"a\\\"b\\\\c\\nd\"}"), 2);
	ck_assert_ptr_nonnull(
	    strstr(out.data, "# HELP tk_x_total Help with \\\\ and\\nnewline.\n"));
	expo_free(&x);

	/* A label buffer too small to hold the set yields "". */
	{
		struct buf tiny = BUF_INIT(8);

		ck_assert_str_eq(metrics_labels(&tiny, "kind", "AgentJob", NULL), "");
		buf_free(&tiny);
	}
	/* Rendering into a too small buffer fails cleanly. */
	{
		struct buf small = BUF_INIT(16);

		ck_assert_int_eq(metrics_render(m, &small), -E2BIG);
		buf_free(&small);
	}
	buf_free(&out);
	buf_free(&l);
	metrics_free(m);
	metrics_free(NULL);
}
END_TEST

START_TEST(test_values_format)
{
	struct metrics *m = metrics_new();
	struct buf out = BUF_INIT(1 << 20);

	metrics_gauge_set(m, "a", NULL, NULL, 0.1);
	metrics_gauge_set(m, "b", NULL, NULL, 1e300);
	metrics_gauge_set(m, "c", NULL, NULL, INFINITY);
	metrics_gauge_set(m, "d", NULL, NULL, -INFINITY);
	metrics_gauge_set(m, "e", NULL, NULL, 123456789);
	metrics_gauge_set(m, "f", NULL, NULL, -0.25);
	metrics_gauge_set(m, "g", NULL, NULL, 1.0 / 3);
	ck_assert_int_eq(metrics_render(m, &out), 0);
	ck_assert_str_eq(out.data, "# HELP a \n# TYPE a gauge\na 0.1\n"
	                           "# HELP b \n# TYPE b gauge\nb 1e+300\n"
	                           "# HELP c \n# TYPE c gauge\nc +Inf\n"
	                           "# HELP d \n# TYPE d gauge\nd -Inf\n"
	                           "# HELP e \n# TYPE e gauge\ne 123456789\n"
	                           "# HELP f \n# TYPE f gauge\nf -0.25\n"
	                           "# HELP g \n# TYPE g gauge\ng 0.3333333333333333\n");
	buf_free(&out);
	metrics_free(m);
}
END_TEST

#define THREADS    4
#define PER_THREAD 5000

static void *hammer(void *arg)
{
	struct metrics *m = arg;
	struct buf l = BUF_INIT(256), out = BUF_INIT(1 << 20);
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		metrics_counter_add(m, "tk_hits_total", "Hits.", NULL, 1);
		metrics_observe(m, "tk_lat_seconds", "Lat.",
		                metrics_labels(&l, "t", i % 2 ? "odd" : "even", NULL), 0.004);
		metrics_gauge_add(m, "tk_level", "Level.", NULL, i % 2 ? -1 : 1);
		if (i % 500 == 0) {
			buf_reset(&out);
			if (metrics_render(m, &out) != 0)
				break;
		}
	}
	buf_free(&l);
	buf_free(&out);
	return NULL;
}

START_TEST(test_threads)
{
	struct metrics *m = metrics_new();
	pthread_t th[THREADS];
	int i;

	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, m), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	ck_assert_double_eq(metrics_value(m, "tk_hits_total", NULL), THREADS * PER_THREAD);
	ck_assert_double_eq(metrics_value(m, "tk_lat_seconds", "t=\"odd\""),
	                    THREADS * PER_THREAD / 2);
	ck_assert_double_eq(metrics_value(m, "tk_level", NULL), 0);
	metrics_free(m);
}
END_TEST

/* The API client's observer: both series under the caller's prefix, with
 * verb and code labels, the way both binaries export them. */
START_TEST(test_observe_api)
{
	struct metrics *m = metrics_new();
	struct metrics_api api = {m, "tk_ctl"};
	struct buf out = BUF_INIT(1 << 20);
	struct expo x;

	ck_assert_ptr_nonnull(m);
	metrics_observe_api(&api, "GET", 200, 0.003);
	metrics_observe_api(&api, "GET", 200, 0.2);
	metrics_observe_api(&api, "PATCH", 409, 0.02);
	metrics_observe_api(&api, "CREATE", 0, 7);
	metrics_observe_api(NULL, "GET", 200, 1); /* no registry: dropped */
	render(m, &x, &out);
	ck_assert_uint_eq(x.help.n, 2);
	ck_assert_str_eq(x.help.v[0], "tk_ctl_api_request_duration_seconds");
	ck_assert_str_eq(x.help.v[1], "tk_ctl_api_requests_total");
	ck_assert_str_eq(x.type.v[0], "tk_ctl_api_request_duration_seconds histogram");
	ck_assert_str_eq(x.type.v[1], "tk_ctl_api_requests_total counter");
	ck_assert_double_eq(expo_get(&x, "tk_ctl_api_requests_total{verb=\"GET\",code=\"200\"}"),
	                    2);
	ck_assert_double_eq(expo_get(&x, "tk_ctl_api_requests_total{verb=\"PATCH\",code=\"409\"}"),
	                    1);
	ck_assert_double_eq(expo_get(&x, "tk_ctl_api_requests_total{verb=\"CREATE\",code=\"0\"}"),
	                    1);
	ck_assert_double_eq(expo_get(&x, "tk_ctl_api_request_duration_seconds_count{verb=\"GET\"}"),
	                    2);
	ck_assert_double_eq(
	    expo_get(&x, "tk_ctl_api_request_duration_seconds_bucket{verb=\"GET\",le=\"0.005\"}"),
	    1);
	ck_assert_double_eq(
	    expo_get(&x, "tk_ctl_api_request_duration_seconds_sum{verb=\"CREATE\"}"), 7);
	ck_assert_double_eq(
	    expo_get(&x, "tk_ctl_api_request_duration_seconds_count{verb=\"PATCH\"}"), 1);
	expo_free(&x);
	buf_free(&out);
	metrics_free(m);
}
END_TEST

/* A counter copied from elsewhere (process_cpu_seconds_total): set, not
 * added; negative and NaN values dropped; the family stays a counter. */
START_TEST(test_counter_set)
{
	struct metrics *m = metrics_new();
	struct buf out = BUF_INIT(1 << 20);

	ck_assert_ptr_nonnull(m);
	metrics_counter_set(m, "tk_cpu_seconds_total", "CPU.", NULL, 1.5);
	metrics_counter_set(m, "tk_cpu_seconds_total", NULL, NULL, 2.25);
	ck_assert_double_eq(metrics_value(m, "tk_cpu_seconds_total", NULL), 2.25);
	metrics_counter_set(m, "tk_cpu_seconds_total", NULL, NULL, -1);
	metrics_counter_set(m, "tk_cpu_seconds_total", NULL, NULL, NAN);
	metrics_gauge_set(m, "tk_cpu_seconds_total", NULL, NULL, 9);
	ck_assert_double_eq(metrics_value(m, "tk_cpu_seconds_total", NULL), 2.25);
	metrics_counter_add(m, "tk_cpu_seconds_total", NULL, NULL, 0.75);
	ck_assert_double_eq(metrics_value(m, "tk_cpu_seconds_total", NULL), 3);
	ck_assert_int_eq(metrics_render(m, &out), 0);
	ck_assert_str_eq(out.data, "# HELP tk_cpu_seconds_total CPU.\n"
	                           "# TYPE tk_cpu_seconds_total counter\n"
	                           "tk_cpu_seconds_total 3\n");
	buf_free(&out);
	metrics_free(m);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_counter_gauge);
	tcase_add_test(tc, test_counter_set);
	tcase_add_test(tc, test_histogram);
	tcase_add_test(tc, test_labels_escaping);
	tcase_add_test(tc, test_values_format);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_observe_api);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

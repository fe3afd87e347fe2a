/* test_wh_membudget.c - the memory budget: reservations, waits, refusals,
 * and the parse estimate bounding what json-c really holds. */
#include "compat.h"

#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../webhook/membudget.h"
#include "limits.h"
#include "metrics.h"
#include "util.h"

/* Bodies of about 256 KiB made of one token repeated: each shape json-c
 * prices differently (an empty object is dearest per byte). */
static const struct {
	const char *name;
	const char *open, *item, *close;
} shapes[] = {
    {"empty objects", "[", "{}", "]"},
    {"empty arrays", "[", "[]", "]"},
    {"nested", "[", "[[[[{}]]]]", "]"},
    {"empty strings", "[", "\"\"", "]"},
    {"strings", "[", "\"abcdefghijklmnopqrstuvwxyz0123456789\"", "]"},
    {"integers", "[", "0", "]"},
    {"doubles", "[", "0.5", "]"},
    {"literals", "[", "true", "]"},
    {"nulls", "[", "null", "]"},
    {"env entries", "[", "{\"name\":\"E\",\"value\":\"v\"}", "]"},
    {"one-member objects", "[", "{\"a\":0}", "]"},
    {"spaced members", "[", "{ \"a\" : 0 , \"b\" : [ ] }", "]"},
};

/* A body of about n bytes of the shape; the caller frees it. */
static char *make_body(int i, size_t n, size_t *len)
{
	struct buf b = BUF_INIT(SIZE_MAX);

	ck_assert_int_eq(buf_puts(&b, shapes[i].open), 0);
	while (b.len < n) {
		if (b.len > 1)
			ck_assert_int_eq(buf_puts(&b, ","), 0);
		ck_assert_int_eq(buf_puts(&b, shapes[i].item), 0);
	}
	ck_assert_int_eq(buf_puts(&b, shapes[i].close), 0);
	*len = b.len;
	return buf_steal(&b);
}

/*
 * The estimate covers the body buffer and the tree json-c builds for it:
 * measured as the heap in use after the parse (glibc's mallinfo2; under
 * a sanitizer it reads 0 and the check holds trivially).
 */
START_TEST(test_json_cost_bounds_parse)
{
	size_t len;
	char *body = make_body(_i, 256u * 1024u, &len);
	uint64_t est = membudget_json_cost(body, len);
	size_t before, after;
	json_tokener *tok;
	json_object *o;

	before = mallinfo2().uordblks;
	tok = json_tokener_new_ex(TK_MAX_JSON_DEPTH);
	o = json_tokener_parse_ex(tok, body, (int)len);
	ck_assert_msg(o != NULL, "%s does not parse", shapes[_i].name);
	after = mallinfo2().uordblks;
	ck_assert_msg(est >= (uint64_t)(after - before) + len,
	              "%s: estimate %llu below %zu held plus the %zu-byte body", shapes[_i].name,
	              (unsigned long long)est, after - before, len);
	/* And not absurdly above (null, which json-c does not allocate, is
	 * priced like true): within 16 times, sanitizers aside. */
	if (after > before)
		ck_assert_msg(est <= 16 * ((uint64_t)(after - before) + len) + (4u << 20),
		              "%s: estimate %llu far above %zu", shapes[_i].name,
		              (unsigned long long)est, after - before);
	json_object_put(o);
	json_tokener_free(tok);
	free(body);
}
END_TEST

/* A length factor cannot price JSON: the same size costs 100 times more
 * as empty objects than as one string, and the estimate says so. */
START_TEST(test_json_cost_by_shape)
{
	size_t n = 1u << 20, i;
	char *objs = malloc(n), *str = malloc(n);

	ck_assert_ptr_nonnull(objs);
	ck_assert_ptr_nonnull(str);
	for (i = 0; i < n; i++)
		objs[i] = "{},"[i % 3], str[i] = 'x';
	str[0] = str[n - 1] = '"';
	ck_assert_uint_ge(membudget_json_cost(objs, n), 250u * n);
	ck_assert_uint_le(membudget_json_cost(str, n), 6u * n + (4u << 20));
	/* Unterminated and junk input still costs its bytes, and no more. */
	ck_assert_uint_ge(membudget_json_cost("\"abc\\", 5), 10);
	/* Every request holds the read chunk and room for its answer. */
	ck_assert_uint_ge(membudget_json_cost("", 0), 1u << 20);
	free(objs);
	free(str);
}
END_TEST

START_TEST(test_body_cost)
{
	uint64_t max = TK_MAX_ADMISSION_BODY;

	ck_assert_uint_ge(membudget_body_cost(1000, max), 5000);
	ck_assert_uint_lt(membudget_body_cost(1000, max), membudget_body_cost(1u << 20, max));
	/* Unknown (chunked) or over the limit: priced as the largest body. */
	ck_assert_uint_eq(membudget_body_cost(-1, max), membudget_body_cost((long long)max, max));
	ck_assert_uint_eq(membudget_body_cost((long long)max * 3, max),
	                  membudget_body_cost((long long)max, max));
}
END_TEST

START_TEST(test_reserve_release)
{
	struct metrics *m = metrics_new();
	struct membudget *b = membudget_new(1000, m);
	uint64_t held = 0;

	ck_assert_ptr_nonnull(b);
	ck_assert(metrics_value(m, "thurkube_webhook_memory_budget_bytes", NULL) == 1000.0);
	ck_assert_int_eq(membudget_reserve(b, 600, 0), 0);
	ck_assert_int_eq(membudget_reserve(b, 500, 0), -EAGAIN);
	ck_assert_int_eq(membudget_reserve(b, 1001, 1000), -E2BIG); /* at once */
	ck_assert_int_eq(membudget_reserve(b, 400, 0), 0);
	ck_assert_uint_eq(membudget_reserved(b), 1000);
	ck_assert(metrics_value(m, "thurkube_webhook_memory_reserved_bytes", NULL) == 0.0);
	membudget_observe(b); /* /metrics does it before rendering */
	ck_assert(metrics_value(m, "thurkube_webhook_memory_reserved_bytes", NULL) == 1000.0);
	membudget_release(b, 1000);
	membudget_observe(b);
	ck_assert(metrics_value(m, "thurkube_webhook_memory_reserved_bytes", NULL) == 0.0);
	ck_assert_uint_eq(membudget_reserved(b), 0);
	/* resize: grow, refuse (unchanged), shrink */
	ck_assert_int_eq(membudget_resize(b, &held, 300, 0), 0);
	ck_assert_uint_eq(held, 300);
	ck_assert_int_eq(membudget_reserve(b, 600, 0), 0);
	ck_assert_int_eq(membudget_resize(b, &held, 500, 0), -EAGAIN);
	ck_assert_uint_eq(held, 300);
	ck_assert_int_eq(membudget_resize(b, &held, 2000, 0), -E2BIG);
	ck_assert_uint_eq(held, 300);
	ck_assert_int_eq(membudget_resize(b, &held, 100, 0), 0);
	ck_assert_uint_eq(held, 100);
	ck_assert_uint_eq(membudget_reserved(b), 700);
	membudget_release(b, 700);
	ck_assert_uint_eq(membudget_reserved(b), 0);
	membudget_free(b);
	metrics_free(m);
}
END_TEST

struct releaser {
	struct membudget *b;
	uint64_t bytes;
	int after_ms;
};

static void *release_later(void *arg)
{
	struct releaser *r = arg;

	usleep((useconds_t)r->after_ms * 1000u);
	membudget_release(r->b, r->bytes);
	return NULL;
}

/* A reservation waits for a release, and gives up after wait_ms. */
START_TEST(test_reserve_waits)
{
	struct membudget *b = membudget_new(100, NULL);
	struct releaser rel = {b, 80, 50};
	pthread_t th;
	int64_t t0;

	ck_assert_int_eq(membudget_reserve(b, 80, 0), 0);
	t0 = now_ms();
	ck_assert_int_eq(membudget_reserve(b, 50, 100), -EAGAIN);
	ck_assert_int_ge(now_ms() - t0, 95);
	ck_assert_int_eq(pthread_create(&th, NULL, release_later, &rel), 0);
	t0 = now_ms();
	ck_assert_int_eq(membudget_reserve(b, 50, 5000), 0);
	ck_assert_int_lt(now_ms() - t0, 2000);
	pthread_join(th, NULL);
	ck_assert_uint_eq(membudget_reserved(b), 50);
	membudget_release(b, 50);
	membudget_free(b);
}
END_TEST

static Suite *membudget_suite(void)
{
	Suite *s = suite_create("wh_membudget");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_json_cost_bounds_parse, 0, (int)TK_ARRAY_LEN(shapes));
	tcase_add_test(tc, test_json_cost_by_shape);
	tcase_add_test(tc, test_body_cost);
	tcase_add_test(tc, test_reserve_release);
	tcase_add_test(tc, test_reserve_waits);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(membudget_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

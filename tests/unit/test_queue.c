/* test_queue.c - work queue: dedup, one in flight, backoff, delays, shutdown. */
#include "compat.h"

#include <stdatomic.h>
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "runtime/queue.h"
#include "util.h"

struct fake_clock {
	int64_t now;
};

static int64_t fake_now(void *ud)
{
	return ((struct fake_clock *)ud)->now;
}

/* Take one key, check it, and leave it in flight. */
static char *take(struct queue *q, const char *want)
{
	char *key = NULL;

	ck_assert_int_eq(queue_try_get(q, &key), 0);
	ck_assert_str_eq(key, want);
	return key;
}

static void finish(struct queue *q, char *key)
{
	queue_done(q, key);
	free(key);
}

START_TEST(test_dedup)
{
	struct fake_clock clk = {0};
	struct queue *q = queue_new(fake_now, &clk);
	struct queue_stats st;
	char *k;

	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(queue_add(q, "AgentJob/ns/a"), 0);
	ck_assert_int_eq(queue_add(q, "AgentJob/ns/b"), 0);
	ck_assert_int_eq(queue_add(q, "AgentJob/ns/a"), 0);
	queue_stats(q, &st);
	ck_assert_uint_eq(st.depth, 2);
	ck_assert_uint_eq(st.adds, 2);
	k = take(q, "AgentJob/ns/a");
	finish(q, k);
	k = take(q, "AgentJob/ns/b");
	finish(q, k);
	ck_assert_int_eq(queue_try_get(q, &k), -EAGAIN);
	queue_free(q);
}
END_TEST

START_TEST(test_one_in_flight)
{
	struct fake_clock clk = {0};
	struct queue *q = queue_new(fake_now, &clk);
	struct queue_stats st;
	char *k, *other = NULL;

	ck_assert_int_eq(queue_add(q, "AgentJob/ns/a"), 0);
	k = take(q, "AgentJob/ns/a");
	/* Re-added while processing: not handed to a second worker... */
	ck_assert_int_eq(queue_add(q, "AgentJob/ns/a"), 0);
	ck_assert_int_eq(queue_add(q, "AgentJob/ns/a"), 0);
	ck_assert_int_eq(queue_try_get(q, &other), -EAGAIN);
	queue_stats(q, &st);
	ck_assert_uint_eq(st.processing, 1);
	ck_assert_uint_eq(st.depth, 0);
	/* ...but queued again, once, when the first finishes. */
	finish(q, k);
	k = take(q, "AgentJob/ns/a");
	ck_assert_int_eq(queue_try_get(q, &other), -EAGAIN);
	finish(q, k);
	ck_assert_int_eq(queue_try_get(q, &other), -EAGAIN);
	queue_free(q);
}
END_TEST

/* The n-th failure waits 5 ms * 2^n, capped at 1000 s. */
static const struct {
	int failures;
	int64_t ms;
} backoff_table[] = {
    {0, 5},       {1, 10},       {2, 20},       {3, 40},       {10, 5120},
    {17, 655360}, {18, 1000000}, {30, 1000000}, {64, 1000000}, {1000, 1000000},
};

START_TEST(test_backoff_table)
{
	ck_assert_int_eq(queue_backoff_ms(backoff_table[_i].failures), backoff_table[_i].ms);
}
END_TEST

START_TEST(test_rate_limited_sequence)
{
	struct fake_clock clk = {1000};
	struct queue *q = queue_new(fake_now, &clk);
	int64_t want = 5, d = 0;
	char *k = NULL;
	int i;

	for (i = 0; i < 30; i++) {
		ck_assert_int_eq(queue_add_rate_limited(q, "AgentJob/ns/a", &d), 0);
		ck_assert_int_eq(d, want);
		/* Not due one millisecond early, due exactly on time. */
		clk.now += d - 1;
		ck_assert_int_eq(queue_try_get(q, &k), -EAGAIN);
		clk.now += 1;
		k = take(q, "AgentJob/ns/a");
		finish(q, k);
		want = want * 2 > 1000000 ? 1000000 : want * 2;
	}
	ck_assert_int_eq(queue_num_requeues(q, "AgentJob/ns/a"), 30);
	queue_forget(q, "AgentJob/ns/a");
	ck_assert_int_eq(queue_num_requeues(q, "AgentJob/ns/a"), 0);
	ck_assert_int_eq(queue_add_rate_limited(q, "AgentJob/ns/a", &d), 0);
	ck_assert_int_eq(d, 5);
	queue_free(q);
}
END_TEST

START_TEST(test_backoff_per_key)
{
	struct fake_clock clk = {0};
	struct queue *q = queue_new(fake_now, &clk);
	struct queue_stats st;
	int64_t d;

	ck_assert_int_eq(queue_add_rate_limited(q, "AgentJob/ns/a", &d), 0);
	ck_assert_int_eq(queue_add_rate_limited(q, "AgentJob/ns/a", &d), 0);
	ck_assert_int_eq(d, 10);
	ck_assert_int_eq(queue_add_rate_limited(q, "AgentJob/ns/b", &d), 0);
	ck_assert_int_eq(d, 5);
	queue_stats(q, &st);
	ck_assert_uint_eq(st.retries, 3);
	/* a is waiting once (earliest time kept), b once. */
	ck_assert_uint_eq(st.delayed, 2);
	queue_free(q);
}
END_TEST

START_TEST(test_delayed_order)
{
	struct fake_clock clk = {0};
	struct queue *q = queue_new(fake_now, &clk);
	char *k = NULL;

	ck_assert_int_eq(queue_add_after(q, "AgentJob/ns/late", 3000), 0);
	ck_assert_int_eq(queue_add_after(q, "AgentJob/ns/early", 1000), 0);
	ck_assert_int_eq(queue_add_after(q, "AgentJob/ns/mid", 2000), 0);
	/* A later add_after of a waiting key keeps the earlier time. */
	ck_assert_int_eq(queue_add_after(q, "AgentJob/ns/early", 5000), 0);
	/* A shorter one moves it earlier. */
	ck_assert_int_eq(queue_add_after(q, "AgentJob/ns/late", 1500), 0);
	ck_assert_int_eq(queue_try_get(q, &k), -EAGAIN);
	clk.now = 1000;
	k = take(q, "AgentJob/ns/early");
	finish(q, k);
	ck_assert_int_eq(queue_try_get(q, &k), -EAGAIN);
	clk.now = 2500;
	k = take(q, "AgentJob/ns/late");
	finish(q, k);
	k = take(q, "AgentJob/ns/mid");
	finish(q, k);
	clk.now = 10000;
	ck_assert_int_eq(queue_try_get(q, &k), -EAGAIN);
	/* Zero delay is an immediate add. */
	ck_assert_int_eq(queue_add_after(q, "AgentJob/ns/now", 0), 0);
	k = take(q, "AgentJob/ns/now");
	finish(q, k);
	queue_free(q);
}
END_TEST

START_TEST(test_delayed_merges_with_queued)
{
	struct fake_clock clk = {0};
	struct queue *q = queue_new(fake_now, &clk);
	struct queue_stats st;
	char *k, *other = NULL;

	ck_assert_int_eq(queue_add(q, "AgentJob/ns/a"), 0);
	ck_assert_int_eq(queue_add_after(q, "AgentJob/ns/a", 10), 0);
	clk.now = 10;
	/* The due waiter merges with the queued copy: one reconcile. */
	k = take(q, "AgentJob/ns/a");
	ck_assert_int_eq(queue_try_get(q, &other), -EAGAIN);
	queue_stats(q, &st);
	ck_assert_uint_eq(st.adds, 1);
	finish(q, k);
	ck_assert_int_eq(queue_try_get(q, &other), -EAGAIN);
	queue_free(q);
}
END_TEST

START_TEST(test_shutdown)
{
	struct queue *q = queue_new(NULL, NULL);
	char *k = NULL, *inflight;

	ck_assert_int_eq(queue_add(q, "AgentJob/ns/a"), 0);
	ck_assert_int_eq(queue_add(q, "AgentJob/ns/b"), 0);
	ck_assert_int_eq(queue_get(q, 0, &inflight), 0);
	queue_shutdown(q);
	ck_assert(queue_shutting_down(q));
	/* No new work is handed out, even though b is queued. */
	ck_assert_int_eq(queue_get(q, 1000, &k), -ESHUTDOWN);
	ck_assert_int_eq(queue_try_get(q, &k), -ESHUTDOWN);
	ck_assert_int_eq(queue_add(q, "AgentJob/ns/c"), -ESHUTDOWN);
	ck_assert_int_eq(queue_add_after(q, "AgentJob/ns/c", 10), -ESHUTDOWN);
	ck_assert_int_eq(queue_add_rate_limited(q, "AgentJob/ns/c", NULL), -ESHUTDOWN);
	/* The in-flight key can still be finished. */
	finish(q, inflight);
	queue_free(q);
}
END_TEST

static void *shutdown_later(void *arg)
{
	struct timespec ts = {0, 50 * 1000000L};

	nanosleep(&ts, NULL);
	queue_shutdown(arg);
	return NULL;
}

START_TEST(test_blocking_get)
{
	struct queue *q = queue_new(NULL, NULL);
	pthread_t t;
	char *k = NULL;
	int64_t start;

	/* Times out when nothing comes. */
	start = now_ms();
	ck_assert_int_eq(queue_get(q, 30, &k), -EAGAIN);
	ck_assert_int_ge(now_ms() - start, 29);
	/* Wakes up for a delayed key on the real clock. */
	ck_assert_int_eq(queue_add_after(q, "AgentJob/ns/a", 20), 0);
	ck_assert_int_eq(queue_get(q, 2000, &k), 0);
	ck_assert_str_eq(k, "AgentJob/ns/a");
	finish(q, k);
	/* A waiter blocked forever is woken by shutdown. */
	ck_assert_int_eq(pthread_create(&t, NULL, shutdown_later, q), 0);
	ck_assert_int_eq(queue_get(q, -1, &k), -ESHUTDOWN);
	pthread_join(t, NULL);
	queue_free(q);
}
END_TEST

struct race {
	struct queue *q;
	atomic_int inflight; /* per key 0/1 */
	atomic_int violations;
	atomic_int processed;
};

static void *race_worker(void *arg)
{
	struct race *r = arg;
	char *k;

	while (queue_get(r->q, 200, &k) == 0) {
		if (atomic_fetch_add(&r->inflight, 1) != 0)
			atomic_fetch_add(&r->violations, 1);
		atomic_fetch_add(&r->processed, 1);
		atomic_fetch_sub(&r->inflight, 1);
		finish(r->q, k);
	}
	return NULL;
}

/* Four workers hammering one key: never two at once. */
START_TEST(test_concurrent_one_key)
{
	struct race r = {queue_new(NULL, NULL), 0, 0, 0};
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, race_worker, &r), 0);
	for (i = 0; i < 20000; i++)
		ck_assert_int_eq(queue_add(r.q, "AgentJob/ns/hot"), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(r.violations, 0);
	ck_assert_int_ge(r.processed, 1);
	ck_assert_int_le(r.processed, 20000);
	queue_free(r.q);
}
END_TEST

static Suite *queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_dedup);
	tcase_add_test(tc, test_one_in_flight);
	tcase_add_loop_test(tc, test_backoff_table, 0, (int)TK_ARRAY_LEN(backoff_table));
	tcase_add_test(tc, test_rate_limited_sequence);
	tcase_add_test(tc, test_backoff_per_key);
	tcase_add_test(tc, test_delayed_order);
	tcase_add_test(tc, test_delayed_merges_with_queued);
	tcase_add_test(tc, test_shutdown);
	tcase_add_test(tc, test_blocking_get);
	tcase_add_test(tc, test_concurrent_one_key);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(queue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

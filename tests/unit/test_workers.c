/* test_workers.c - the worker pool: every key reaches the callback, its
 * answer decides the requeue, and the pool's end can be waited for. */
#include "compat.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "runtime/queue.h"
#include "runtime/workers.h"
#include "util.h"

struct probe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct strlist seen; /* keys in the order processed */
	int fail_left;       /* "fail" answers -EIO this many times */
	bool hold;           /* "slow" waits while set */
};

static int probe_process(void *ud, const char *key)
{
	struct probe *p = ud;
	int r = 0;

	pthread_mutex_lock(&p->mu);
	ck_assert_int_eq(strlist_add(&p->seen, key), 0);
	pthread_cond_broadcast(&p->cv);
	if (strcmp(key, "fail") == 0 && p->fail_left > 0) {
		p->fail_left--;
		r = -EIO;
	} else if (strcmp(key, "later") == 0) {
		r = 3600; /* an hour: stays delayed for the whole test */
	}
	while (strcmp(key, "slow") == 0 && p->hold)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	return r;
}

static size_t seen_count(struct probe *p, const char *key)
{
	size_t i, n = 0;

	for (i = 0; i < p->seen.n; i++)
		n += strcmp(p->seen.v[i], key) == 0;
	return n;
}

/* Wait (bounded by Check's timeout) until key was processed n times. */
static void wait_seen(struct probe *p, const char *key, size_t n)
{
	pthread_mutex_lock(&p->mu);
	while (seen_count(p, key) < n)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* Wait until no key is in hand: its answer has been applied (queue_done
 * comes after the requeue). */
static void settle(struct queue *q)
{
	struct timespec ms = {0, 1000000L};
	struct queue_stats st;

	for (;;) {
		queue_stats(q, &st);
		if (st.processing == 0)
			return;
		nanosleep(&ms, NULL);
	}
}

static void probe_init(struct probe *p)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
}

static void probe_free(struct probe *p)
{
	strlist_free(&p->seen);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}

START_TEST(test_answers_requeue)
{
	struct queue *q = queue_new(NULL, NULL);
	struct workers *w = NULL;
	struct queue_stats st;
	struct probe p;

	probe_init(&p);
	p.fail_left = 2;
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(workers_start(&(struct workers_opts){q, 3, probe_process, &p}, &w), 0);
	ck_assert_int_eq(workers_running(w), 3);
	ck_assert_int_eq(queue_add(q, "ok"), 0);
	ck_assert_int_eq(queue_add(q, "fail"), 0);
	ck_assert_int_eq(queue_add(q, "later"), 0);
	/* A failure comes back after its backoff (5 ms, then 10 ms), then
	 * succeeds; success forgets the failures. */
	wait_seen(&p, "fail", 3);
	wait_seen(&p, "ok", 1);
	wait_seen(&p, "later", 1);
	settle(q);
	queue_stats(q, &st);
	ck_assert_uint_eq(st.retries, 2);
	ck_assert_int_eq(queue_num_requeues(q, "fail"), 0);
	/* A positive answer waits in the delayed set. */
	ck_assert_uint_eq(st.delayed, 1);
	pthread_mutex_lock(&p.mu);
	ck_assert_uint_eq(seen_count(&p, "ok"), 1);
	ck_assert_uint_eq(seen_count(&p, "later"), 1);
	pthread_mutex_unlock(&p.mu);

	queue_shutdown(q);
	ck_assert(workers_wait(w, -1));
	ck_assert_int_eq(workers_running(w), 0);
	workers_free(w);
	queue_free(q);
	probe_free(&p);
}
END_TEST

/* workers_wait is bounded: a key still in hand keeps it false until the
 * callback returns; then the pool ends without more keys. */
START_TEST(test_wait_bounded)
{
	struct queue *q = queue_new(NULL, NULL);
	struct workers *w = NULL;
	struct probe p;
	int64_t t0;

	probe_init(&p);
	p.hold = true;
	ck_assert_int_eq(workers_start(&(struct workers_opts){q, 2, probe_process, &p}, &w), 0);
	ck_assert_int_eq(queue_add(q, "slow"), 0);
	wait_seen(&p, "slow", 1);
	queue_shutdown(q);
	ck_assert_int_eq(queue_add(q, "ok"), -ESHUTDOWN);
	t0 = now_ms();
	ck_assert(!workers_wait(w, 100));
	ck_assert_int_ge(now_ms() - t0, 100);
	ck_assert_int_eq(workers_running(w), 1); /* the idle one has left */
	pthread_mutex_lock(&p.mu);
	p.hold = false;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	ck_assert(workers_wait(w, -1));
	ck_assert_uint_eq(p.seen.n, 1);
	workers_free(w);
	queue_free(q);
	probe_free(&p);
}
END_TEST

START_TEST(test_bad_opts)
{
	struct queue *q = queue_new(NULL, NULL);
	struct workers *w = NULL;

	ck_assert_int_eq(workers_start(&(struct workers_opts){q, 0, probe_process, NULL}, &w),
	                 -EINVAL);
	ck_assert_int_eq(workers_start(&(struct workers_opts){NULL, 1, probe_process, NULL}, &w),
	                 -EINVAL);
	ck_assert_int_eq(workers_start(&(struct workers_opts){q, 1, NULL, NULL}, &w), -EINVAL);
	ck_assert_ptr_null(w);
	workers_free(NULL);
	queue_free(q);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("workers");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_answers_requeue);
	tcase_add_test(tc, test_wait_bounded);
	tcase_add_test(tc, test_bad_opts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

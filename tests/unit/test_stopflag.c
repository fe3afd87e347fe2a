/* test_stopflag.c - the stop request threads sleep on: a full sleep when
 * nobody raises it, an early return when somebody does. */
#include "compat.h"

#include <check.h>
#include <pthread.h>

#include "stopflag.h"
#include "util.h"

START_TEST(test_full_sleep)
{
	struct stopflag f;
	int64_t t0;

	stopflag_init(&f);
	ck_assert(!stopflag_raised(&f));
	t0 = now_ms();
	ck_assert(!stopflag_sleep(&f, 50));
	ck_assert_int_ge(now_ms() - t0, 50);
	ck_assert(!stopflag_sleep(&f, 0));
	stopflag_destroy(&f);
}
END_TEST

START_TEST(test_raised_returns_at_once)
{
	struct stopflag f;

	stopflag_init(&f);
	stopflag_raise(&f);
	ck_assert(stopflag_raised(&f));
	/* A sleep of an hour would fail Check's timeout. */
	ck_assert(stopflag_sleep(&f, 3600 * 1000));
	stopflag_destroy(&f);
}
END_TEST

static void *raise_later(void *arg)
{
	struct timespec ts = {0, 100 * 1000000L};

	nanosleep(&ts, NULL);
	stopflag_raise(arg);
	return NULL;
}

START_TEST(test_raise_wakes_a_sleeper)
{
	struct stopflag f;
	pthread_t t;

	stopflag_init(&f);
	ck_assert_int_eq(pthread_create(&t, NULL, raise_later, &f), 0);
	/* An hour's sleep, woken after 100 ms: Check's timeout fails a
	 * sleep that is not woken. */
	ck_assert(stopflag_sleep(&f, 3600 * 1000));
	pthread_join(t, NULL);
	stopflag_destroy(&f);
}
END_TEST

static void *notify_later(void *arg)
{
	struct timespec ts = {0, 100 * 1000000L};

	nanosleep(&ts, NULL);
	stopflag_notify(arg);
	return NULL;
}

/* A notification wakes a waiter without raising; one that came before the
 * wait (after the count was read) is not lost; a wait with no news times out. */
START_TEST(test_notify_wakes_without_raising)
{
	struct stopflag f;
	pthread_t t;
	uint64_t seen;
	int64_t t0;

	stopflag_init(&f);
	seen = stopflag_notes(&f);
	t0 = now_ms();
	ck_assert(!stopflag_wait(&f, seen, 50));
	ck_assert_int_ge(now_ms() - t0, 50);
	ck_assert(!stopflag_wait(&f, seen, 0));

	ck_assert_int_eq(pthread_create(&t, NULL, notify_later, &f), 0);
	ck_assert(!stopflag_wait(&f, seen, -1)); /* no bound: only the notification ends it */
	pthread_join(t, NULL);
	ck_assert_uint_eq(stopflag_notes(&f), seen + 1);
	ck_assert(!stopflag_raised(&f));

	seen = stopflag_notes(&f);
	stopflag_notify(&f); /* arrives before the wait starts */
	ck_assert(!stopflag_wait(&f, seen, -1));

	stopflag_raise(&f);
	ck_assert(stopflag_wait(&f, stopflag_notes(&f), -1));
	stopflag_destroy(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stopflag");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_full_sleep);
	tcase_add_test(tc, test_raised_returns_at_once);
	tcase_add_test(tc, test_raise_wakes_a_sleeper);
	tcase_add_test(tc, test_notify_wakes_without_raising);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

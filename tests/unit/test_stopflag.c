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

int main(void)
{
	Suite *s = suite_create("stopflag");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_full_sleep);
	tcase_add_test(tc, test_raised_returns_at_once);
	tcase_add_test(tc, test_raise_wakes_a_sleeper);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

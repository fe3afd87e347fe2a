/* test_ctl_runq.c - the run queue of an AgentAuth: who runs, who waits, in which order, how
 * many start. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include <json-c/json.h>

#include "model/runq.h"
#include "util.h"

/* A Job: name, creationTimestamp, suspended, finished ("" running,
 * "Complete" or "Failed"), being deleted. */
static json_object *job(const char *name, const char *created, bool suspend, const char *done,
                        bool deleting)
{
	char text[1024];
	json_object *o;

	snprintf(text, sizeof(text),
	         "{\"metadata\":{\"name\":\"%s\",\"creationTimestamp\":\"%s\"%s},"
	         "\"spec\":{\"suspend\":%s},\"status\":{%s%s%s}}",
	         name, created, deleting ? ",\"deletionTimestamp\":\"2026-01-01T00:00:09Z\"" : "",
	         suspend ? "true" : "false", *done ? "\"conditions\":[{\"type\":\"" : "", done,
	         *done ? "\",\"status\":\"True\"}]" : "");
	o = json_tokener_parse(text);
	ck_assert_msg(o != NULL, "%s", text);
	return o;
}

#define T0 "2026-01-01T00:00:00Z"
#define T1 "2026-01-01T00:00:01Z"
#define T2 "2026-01-01T00:00:02Z"

START_TEST(order_and_release)
{
	json_object *j[7];
	struct runq q;
	size_t i;

	j[0] = job("e", T1, true, "", false);         /* waits, second second */
	j[1] = job("b", T0, true, "", false);         /* waits, first */
	j[2] = job("a", T2, false, "", false);        /* runs */
	j[3] = job("c", T0, true, "", false);         /* waits, first second, after b */
	j[4] = job("d", T0, true, "Complete", false); /* finished while suspended? not waiting */
	j[5] = job("f", T0, false, "Failed", false);  /* finished */
	j[6] = job("g", T0, true, "", true);          /* being deleted */
	ck_assert_int_eq(runq_make(j, 7, 2, &q), 0);
	ck_assert_uint_eq(q.running, 1);
	ck_assert_uint_eq(q.waiting.n, 3);
	ck_assert_str_eq(q.waiting.v[0], "b");
	ck_assert_str_eq(q.waiting.v[1], "c");
	ck_assert_str_eq(q.waiting.v[2], "e");
	ck_assert_uint_eq(q.release, 1);
	ck_assert_uint_eq(runq_position(&q, "c"), 2);
	ck_assert_uint_eq(runq_position(&q, "a"), 0);
	ck_assert_uint_eq(runq_position(&q, NULL), 0);
	runq_free(&q);
	/* Limit reached: nothing starts; no limit: everything does. */
	ck_assert_int_eq(runq_make(j, 7, 1, &q), 0);
	ck_assert_uint_eq(q.release, 0);
	runq_free(&q);
	ck_assert_int_eq(runq_make(j, 7, 0, &q), 0);
	ck_assert_uint_eq(q.release, 3);
	runq_free(&q);
	ck_assert_int_eq(runq_make(j, 7, 100, &q), 0);
	ck_assert_uint_eq(q.release, 3);
	runq_free(&q);
	/* Over the limit already (a limit lowered): nothing starts. */
	ck_assert_int_eq(runq_make(j, 7, 1, &q), 0);
	ck_assert_uint_eq(q.release, 0);
	runq_free(&q);
	for (i = 0; i < 7; i++)
		json_object_put(j[i]);
}
END_TEST

START_TEST(hostile_members)
{
	json_object *j[4];
	struct runq q;
	size_t i;

	j[0] = json_tokener_parse("{\"spec\":{\"suspend\":true}}"); /* no name */
	j[1] = json_tokener_parse("{\"metadata\":{\"name\":\"x\"},\"spec\":{\"suspend\":\"yes\"}}");
	j[2] = json_tokener_parse("{\"metadata\":{\"name\":\"y\",\"creationTimestamp\":7},"
	                          "\"spec\":{\"suspend\":true}}");
	j[3] = json_tokener_parse("[]");
	ck_assert_int_eq(runq_make(j, 4, 1, &q), 0);
	/* "yes" is not a suspension: x counts as running, so y waits. */
	ck_assert_uint_eq(q.running, 1);
	ck_assert_uint_eq(q.waiting.n, 1);
	ck_assert_str_eq(q.waiting.v[0], "y");
	ck_assert_uint_eq(q.release, 0);
	runq_free(&q);
	ck_assert_int_eq(runq_make(NULL, 0, 3, &q), 0);
	ck_assert_uint_eq(q.waiting.n, 0);
	runq_free(&q);
	for (i = 0; i < 4; i++)
		json_object_put(j[i]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ctl_runq");
	TCase *t = tcase_create("runq");

	tcase_add_test(t, order_and_release);
	tcase_add_test(t, hostile_members);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* test_ctl_results.c - a run's termination message into status.lastRun: the contract's
 * fields, and hostile messages (oversized, not JSON, wrong types, bad UTF-8, NULs). */
#include "compat.h"

#include <check.h>
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "model/results.h"
#include "util.h"

static const char *fstr(const struct results *r, const char *k)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(r->fields, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool has(const struct results *r, const char *k)
{
	return json_object_object_get_ex(r->fields, k, NULL);
}

static bool ignored(const struct results *r, const char *k)
{
	json_object *a = NULL;
	size_t i;

	if (!json_object_object_get_ex(r->fields, "ignored", &a))
		return false;
	for (i = 0; i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), k))
			return true;
	return false;
}

START_TEST(contract_fields)
{
	const char *m = "{\"summary\":\"opened PR #12\",\"url\":\"https://github.com/o/r/pull/12\","
	                "\"inputTokens\":1200,\"outputTokens\":345,\"costUSD\":0.42,\"extra\":1}\n";
	struct results r;

	ck_assert_int_eq(results_parse(m, strlen(m), &r), 0);
	ck_assert_str_eq(fstr(&r, "summary"), "opened PR #12");
	ck_assert_str_eq(fstr(&r, "url"), "https://github.com/o/r/pull/12");
	ck_assert_int_eq(r.input_tokens, 1200);
	ck_assert_int_eq(r.output_tokens, 345);
	ck_assert(r.cost_usd > 0.419 && r.cost_usd < 0.421);
	ck_assert(!has(&r, "extra"));
	ck_assert(!has(&r, "ignored"));
	results_free(&r);
	/* Nothing reported. */
	ck_assert_int_eq(results_parse(NULL, 0, &r), 0);
	ck_assert_int_eq(json_object_object_length(r.fields), 0);
	ck_assert_int_eq(r.input_tokens, -1);
	ck_assert(r.cost_usd < 0);
	results_free(&r);
}
END_TEST

static const struct {
	const char *msg;
	const char *bad; /* the field left out and named in ignored */
} wrong_types[] = {
    {"{\"inputTokens\":\"12\"}", "inputTokens"},
    {"{\"inputTokens\":-1}", "inputTokens"},
    {"{\"outputTokens\":1.5}", "outputTokens"},
    {"{\"outputTokens\":99999999999999999999}", "outputTokens"},
    {"{\"costUSD\":-0.01}", "costUSD"},
    {"{\"costUSD\":\"1\"}", "costUSD"},
    {"{\"costUSD\":1e300}", "costUSD"},
    {"{\"url\":\"javascript:alert(1)\"}", "url"},
    {"{\"url\":42}", "url"},
    {"{\"summary\":{\"a\":1}}", "summary"},
    {"{\"summary\":true}", "summary"},
};

START_TEST(wrong_types_ignored)
{
	struct results r;

	ck_assert_int_eq(results_parse(wrong_types[_i].msg, strlen(wrong_types[_i].msg), &r), 0);
	ck_assert_msg(!has(&r, wrong_types[_i].bad) || !strcmp(wrong_types[_i].bad, "summary"),
	              "%s kept", wrong_types[_i].bad);
	ck_assert_msg(ignored(&r, wrong_types[_i].bad), "%s not named in ignored",
	              wrong_types[_i].bad);
	ck_assert_int_eq(r.input_tokens, -1);
	ck_assert(r.cost_usd < 0);
	results_free(&r);
}
END_TEST

static const char *const not_objects[] = {
    "all done, see the PR",              /* plain text */
    "{\"summary\": \"cut",               /* truncated JSON */
    "[1,2,3]",                           /* not an object */
    "\"just a string\"",                 /* JSON, not an object */
    "null",                              /* JSON null */
    "{\"summary\":\"a\"} trailing text", /* an object and more */
};

START_TEST(not_an_object_is_summary)
{
	struct results r;
	const char *m = not_objects[_i];

	ck_assert_int_eq(results_parse(m, strlen(m), &r), 0);
	ck_assert_str_eq(fstr(&r, "summary"), m);
	ck_assert_int_eq(json_object_object_length(r.fields), 1);
	ck_assert_int_eq(r.input_tokens, -1);
	results_free(&r);
}
END_TEST

START_TEST(oversized_and_binary)
{
	static char big[3 * RESULTS_MAX_MESSAGE];
	struct results r;
	char bin[] = "ok\xff\xfe then \xc3\xa9t\xc3";
	char withnul[] = "before\0after";
	size_t n;

	/* Past the kubelet's bound: only the first 4096 bytes are read, and
	 * the summary stops at its own limit. */
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(results_parse(big, sizeof(big), &r), 0);
	ck_assert_uint_eq(strlen(fstr(&r, "summary")), RESULTS_MAX_SUMMARY);
	results_free(&r);
	/* A huge summary inside a valid object: cut too. */
	memcpy(big, "{\"summary\":\"", 12);
	n = 12 + 3000;
	memcpy(big + n, "\"}", 3);
	ck_assert_int_eq(results_parse(big, n + 2, &r), 0);
	ck_assert_uint_eq(strlen(fstr(&r, "summary")), RESULTS_MAX_SUMMARY);
	results_free(&r);
	/* Not UTF-8: cut at the first bad byte, never emitted raw. */
	ck_assert_int_eq(results_parse(bin, strlen(bin), &r), 0);
	ck_assert_str_eq(fstr(&r, "summary"), "ok");
	results_free(&r);
	/* A NUL ends the text. */
	ck_assert_int_eq(results_parse(withnul, sizeof(withnul) - 1, &r), 0);
	ck_assert_str_eq(fstr(&r, "summary"), "before");
	results_free(&r);
	/* Deeply nested JSON is not parsed past the depth bound. */
	memset(big, '[', 1000);
	ck_assert_int_eq(results_parse(big, 1000, &r), 0);
	ck_assert(has(&r, "summary"));
	results_free(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ctl_results");
	TCase *t = tcase_create("results");

	tcase_add_test(t, contract_fields);
	tcase_add_loop_test(t, wrong_types_ignored, 0, (int)TK_ARRAY_LEN(wrong_types));
	tcase_add_loop_test(t, not_an_object_is_summary, 0, (int)TK_ARRAY_LEN(not_objects));
	tcase_add_test(t, oversized_and_binary);
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

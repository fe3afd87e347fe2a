/* test_jsonpatch.c - RFC 6902 apply (add/remove/replace/test) and the builders. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "jsonpatch.h"

static const struct {
	const char *doc, *patch, *want; /* want NULL: expect err */
	int err;
} cases[] = {
    {"{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2}]", "{\"a\":1,\"b\":2}", 0},
    {"{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":[1]}]", "{\"a\":[1]}", 0},
    {"{\"a\":[1,3]}", "[{\"op\":\"add\",\"path\":\"/a/1\",\"value\":2}]", "{\"a\":[1,2,3]}", 0},
    {"{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":2}]", "{\"a\":[1,2]}", 0},
    {"{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/0\",\"value\":0}]", "{\"a\":[0,1]}", 0},
    {"{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/2\",\"value\":0}]", NULL, -ENOENT},
    {"{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/01\",\"value\":0}]", NULL, -ENOENT},
    {"{}", "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":1}]", NULL, -ENOENT},
    {"{}", "[{\"op\":\"add\",\"path\":\"/a~1b\",\"value\":1}]", "{\"a/b\":1}", 0},
    {"{}", "[{\"op\":\"add\",\"path\":\"/a~0b\",\"value\":null}]", "{\"a~b\":null}", 0},
    {"{}", "[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":1}]", NULL, -EINVAL},
    {"{}", "[{\"op\":\"add\",\"path\":\"\",\"value\":[1]}]", "[1]", 0},
    {"{}", "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]", NULL, -EINVAL},
    {"{}", "[{\"op\":\"add\",\"path\":\"/a\"}]", NULL, -EINVAL},
    {"{\"a\":1,\"b\":2}", "[{\"op\":\"remove\",\"path\":\"/a\"}]", "{\"b\":2}", 0},
    {"{\"a\":[1,2,3]}", "[{\"op\":\"remove\",\"path\":\"/a/1\"}]", "{\"a\":[1,3]}", 0},
    {"{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]", NULL, -ENOENT},
    {"{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":{\"x\":1}}]", "{\"a\":{\"x\":1}}",
     0},
    {"{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":1}]", NULL, -ENOENT},
    {"{\"a\":[1]}", "[{\"op\":\"replace\",\"path\":\"/a/0\",\"value\":9}]", "{\"a\":[9]}", 0},
    {"{\"a\":[1]}", "[{\"op\":\"replace\",\"path\":\"/a/1\",\"value\":9}]", NULL, -ENOENT},
    {"{\"a\":{\"b\":[1]}}", "[{\"op\":\"test\",\"path\":\"/a/b\",\"value\":[1]}]",
     "{\"a\":{\"b\":[1]}}", 0},
    {"{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]", NULL, -EINVAL},
    {"{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/b\"}]", NULL, -EINVAL},
    {"{\"a\":1}",
     "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"test\",\"path\":\"/a\",\"value\":0}]",
     NULL, -EINVAL},
    {"{\"a\":1}", "[1]", NULL, -EINVAL},
    {"{\"a\":1}", "{}", NULL, -EINVAL},
    {"{\"a\":1}", "[]", "{\"a\":1}", 0},
};

START_TEST(test_apply)
{
	json_object *doc = json_tokener_parse(cases[_i].doc),
	            *patch = json_tokener_parse(cases[_i].patch);
	json_object *before = NULL;
	int r;

	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(patch);
	ck_assert_int_eq(json_object_deep_copy(doc, &before, NULL), 0);
	r = jsonpatch_apply(&doc, patch);
	ck_assert_int_eq(r, cases[_i].err);
	if (cases[_i].want) {
		json_object *want = json_tokener_parse(cases[_i].want);

		ck_assert_msg(json_object_equal(doc, want), "got %s",
		              json_object_to_json_string(doc));
		json_object_put(want);
	} else {
		/* A failed patch leaves the document as it was. */
		ck_assert(json_object_equal(doc, before));
	}
	json_object_put(doc);
	json_object_put(before);
	json_object_put(patch);
}
END_TEST

START_TEST(test_escape)
{
	struct buf b = BUF_INIT(256);

	ck_assert_int_eq(jsonpatch_escape("thurkube.thurbeen.eu/created-by", &b), 0);
	ck_assert_str_eq(b.data, "thurkube.thurbeen.eu~1created-by");
	buf_reset(&b);
	ck_assert_int_eq(jsonpatch_escape("a~/b", &b), 0);
	ck_assert_str_eq(b.data, "a~0~1b");
	buf_reset(&b);
	ck_assert_int_eq(jsonpatch_escape("", &b), 0);
	ck_assert_str_eq(b.data, "");
	buf_free(&b);
}
END_TEST

START_TEST(test_build_then_apply)
{
	json_object *patch = json_object_new_array(), *doc = json_tokener_parse("{\"m\":{}}");
	json_object *want = json_tokener_parse("{\"m\":{\"a/b\":\"v\"},\"n\":null}");
	struct buf p = BUF_INIT(256);

	ck_assert_int_eq(buf_puts(&p, "/m/"), 0);
	ck_assert_int_eq(jsonpatch_escape("a/b", &p), 0);
	ck_assert_int_eq(jsonpatch_add_op(patch, "add", p.data, json_object_new_string("v")), 0);
	ck_assert_int_eq(jsonpatch_add_op(patch, "add", "/n", NULL), 0);
	ck_assert_int_eq(jsonpatch_add_op(patch, "test", "/n", NULL), 0);
	ck_assert_int_eq(jsonpatch_add_op(patch, "add", "/x", json_object_new_int(1)), 0);
	ck_assert_int_eq(jsonpatch_add_op(patch, "remove", "/x", NULL), 0);
	ck_assert_ptr_null(json_object_object_get(json_object_array_get_idx(patch, 4), "value"));
	ck_assert_int_eq(jsonpatch_apply(&doc, patch), 0);
	ck_assert_msg(json_object_equal(doc, want), "got %s", json_object_to_json_string(doc));
	buf_free(&p);
	json_object_put(patch);
	json_object_put(doc);
	json_object_put(want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jsonpatch");
	TCase *tc = tcase_create("apply");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_apply, 0, (int)TK_ARRAY_LEN(cases));
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_build_then_apply);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

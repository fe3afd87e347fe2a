/* test_wh_cache.c - what the webhook's watch caches keep of an object. */
#include "compat.h"

#include <check.h>

#include "../../webhook/cache.h"
#include "jsonutil.h"
#include "runtime/store.h"

static const char *full =
    "{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\",\"kind\":\"AgentJob\","
    "\"metadata\":{\"name\":\"aj\",\"namespace\":\"ns\",\"uid\":\"u1\",\"resourceVersion\":\"7\","
    "\"labels\":{\"a\":\"b\"},\"annotations\":{\"kubectl.kubernetes.io/"
    "last-applied-configuration\":\"{...}\"},\"finalizers\":[\"f\"],\"managedFields\":[{}]},"
    "\"spec\":{\"roleRef\":\"r\",\"clusterAccessRef\":\"ca\",\"prompt\":\"p\"},"
    "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\"}]}}";

START_TEST(test_trim_keeps_what_checks_read)
{
	json_object *o = json_tokener_parse(full), *meta;

	ck_assert_ptr_nonnull(o);
	cache_trim(o);
	meta = jsonutil_get(o, "metadata");
	ck_assert_int_eq(json_object_object_length(meta), 4);
	ck_assert_str_eq(jsonutil_name(o), "aj");
	ck_assert_str_eq(jsonutil_namespace(o), "ns");
	ck_assert_str_eq(jsonutil_meta(o, "uid"), "u1");
	ck_assert_str_eq(jsonutil_meta(o, "resourceVersion"), "7");
	ck_assert_ptr_null(jsonutil_get(o, "status"));
	ck_assert_str_eq(jsonutil_str(jsonutil_get(o, "spec"), "clusterAccessRef"), "ca");
	ck_assert_str_eq(jsonutil_str(o, "kind"), "AgentJob");
	json_object_put(o);

	/* Nothing to keep is not an error. */
	o = json_tokener_parse("{\"spec\":{}}");
	cache_trim(o);
	ck_assert_int_eq(json_object_object_length(o), 1);
	json_object_put(o);
}
END_TEST

/* A store with the trim caches the trimmed object, from an event and from
 * a list. */
START_TEST(test_store_trims)
{
	struct store *s = store_new();
	json_object *o = json_tokener_parse(full), *items = json_object_new_array(), *got;

	store_set_trim(s, cache_trim);
	ck_assert_int_eq(store_upsert(s, o, NULL), 0);
	json_object_put(o);
	got = store_get(s, "ns", "aj");
	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_null(jsonutil_get(got, "status"));
	ck_assert_ptr_null(jsonutil_get(jsonutil_get(got, "metadata"), "annotations"));
	json_object_put(got);

	json_object_array_add(items, json_tokener_parse(full));
	ck_assert_int_eq(store_replace(s, items, NULL), 0);
	json_object_put(items);
	got = store_get(s, "ns", "aj");
	ck_assert_ptr_null(jsonutil_get(jsonutil_get(got, "metadata"), "labels"));
	ck_assert_str_eq(jsonutil_str(jsonutil_get(got, "spec"), "roleRef"), "r");
	json_object_put(got);
	store_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wh_cache");
	TCase *tc = tcase_create("trim");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_trim_keeps_what_checks_read);
	tcase_add_test(tc, test_store_trims);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

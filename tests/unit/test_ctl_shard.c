/* test_ctl_shard.c - --shard parsing, namespace hashing, what a shard keeps, Lease names. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include <json-c/json.h>

#include "model/shard.h"
#include "util.h"

static const struct {
	const char *text;
	int ok;
	unsigned index, count;
} parse_cases[] = {
    {"0/1", 1, 0, 1},   {"1/2", 1, 1, 2},           {"63/64", 1, 63, 64}, {"0/64", 1, 0, 64},
    {"2/2", 0, 0, 0},   {"0/0", 0, 0, 0},           {"0/65", 0, 0, 0},    {"-1/2", 0, 0, 0},
    {"1/+2", 0, 0, 0},  {"01/2", 0, 0, 0},          {"1/02", 0, 0, 0},    {"1", 0, 0, 0},
    {"1/2/3", 0, 0, 0}, {"1 /2", 0, 0, 0},          {"", 0, 0, 0},        {"/2", 0, 0, 0},
    {"1/", 0, 0, 0},    {"99999999999/2", 0, 0, 0},
};

START_TEST(parse)
{
	struct shard sh = {7, 7};
	struct buf why = BUF_INIT(512);
	int r = shard_parse(parse_cases[_i].text, &sh, &why);

	if (parse_cases[_i].ok) {
		ck_assert_int_eq(r, 0);
		ck_assert_uint_eq(sh.index, parse_cases[_i].index);
		ck_assert_uint_eq(sh.count, parse_cases[_i].count);
	} else {
		ck_assert_int_eq(r, -EINVAL);
		ck_assert_ptr_nonnull(strstr(why.data, "INDEX/COUNT"));
	}
	buf_free(&why);
}
END_TEST

/* FNV-1a 32: the documented hash, so an admin can compute a namespace's
 * shard (offset basis 2166136261, prime 16777619). */
START_TEST(hash_is_fnv1a)
{
	/* fnv1a32("a") = 0xe40c292c = 3826002220 (the published test vector). */
	ck_assert_uint_eq(shard_of("a", 1000000007u), 3826002220u % 1000000007u);
	ck_assert_uint_eq(shard_of("", 7), 2166136261u % 7);
	ck_assert_uint_eq(shard_of("anything", 1), 0);
	ck_assert_uint_eq(shard_of(NULL, 4), 0);
}
END_TEST

/* Every namespace lands in exactly one shard, and the shards share the load. */
START_TEST(spread)
{
	unsigned counts[4] = {0};
	char ns[32];
	int i;

	for (i = 0; i < 4000; i++) {
		snprintf(ns, sizeof(ns), "team-%d", i);
		counts[shard_of(ns, 4)]++;
	}
	for (i = 0; i < 4; i++)
		ck_assert_msg(counts[i] > 800 && counts[i] < 1200, "shard %d got %u of 4000", i,
		              counts[i]);
}
END_TEST

static json_object *obj(const char *text)
{
	json_object *o = json_tokener_parse(text);

	ck_assert_ptr_nonnull(o);
	return o;
}

START_TEST(keeps)
{
	struct shard s0 = {0, 2}, s1 = {1, 2}, none = SHARD_NONE;
	/* Find one namespace per shard. */
	const char *a = NULL, *b = NULL;
	static char names[64][16];

	char text[4096];
	json_object *o;
	int i;

	for (i = 0; i < 64 && (!a || !b); i++) {
		snprintf(names[i], sizeof(names[i]), "ns-%d", i % 100);
		if (shard_of(names[i], 2) == 0 && !a)
			a = names[i];
		else if (shard_of(names[i], 2) == 1 && !b)
			b = names[i];
	}
	ck_assert(a && b);
	snprintf(text, sizeof(text), "{\"metadata\":{\"name\":\"x\",\"namespace\":\"%s\"}}", a);
	o = obj(text);
	ck_assert(shard_keeps(&s0, RES_AGENTJOB, o));
	ck_assert(!shard_keeps(&s1, RES_AGENTJOB, o));
	ck_assert(shard_keeps(&s0, RES_CONFIGMAP, o));
	ck_assert(!shard_keeps(&s1, RES_NETWORKPOLICY, o));
	ck_assert(shard_keeps(&none, RES_AGENTJOB, o));
	json_object_put(o);
	/* Cluster-scoped: by the namespace label of the AgentJob, else of the ClusterAccess. */
	snprintf(text, sizeof(text),
	         "{\"metadata\":{\"name\":\"thurkube-aj-1\",\"labels\":{"
	         "\"thurkube.thurbeen.eu/agentjob-namespace\":\"%s\","
	         "\"thurkube.thurbeen.eu/clusteraccess-namespace\":\"%s\"}}}",
	         b, a);
	o = obj(text);
	ck_assert(shard_keeps(&s1, RES_CLUSTERROLEBINDING, o));
	ck_assert(!shard_keeps(&s0, RES_CLUSTERROLEBINDING, o));
	json_object_put(o);
	snprintf(text, sizeof(text),
	         "{\"metadata\":{\"name\":\"thurkube-ca-1\",\"labels\":{"
	         "\"thurkube.thurbeen.eu/clusteraccess-namespace\":\"%s\"}}}",
	         b);
	o = obj(text);
	ck_assert(shard_keeps(&s1, RES_CLUSTERROLE, o));
	ck_assert(!shard_keeps(&s0, RES_CLUSTERROLE, o));
	json_object_put(o);
	/* Unlabelled: exactly one keeper, shard 0. */
	o = obj("{\"metadata\":{\"name\":\"thurkube-ca-2\"}}");
	ck_assert(shard_keeps(&s0, RES_CLUSTERROLE, o));
	ck_assert(!shard_keeps(&s1, RES_CLUSTERROLE, o));
	json_object_put(o);
	/* A namespaced object without a namespace belongs to no shard. */
	o = obj("{\"metadata\":{\"name\":\"x\"}}");
	ck_assert(!shard_keeps(&s0, RES_JOB, o) || !shard_keeps(&s1, RES_JOB, o));
	json_object_put(o);
}
END_TEST

START_TEST(lease_names)
{
	struct shard none = SHARD_NONE, s = {3, 8};
	char name[64], tiny[8];

	ck_assert_int_eq(shard_lease_name(&none, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "thurkube-controller");
	ck_assert_int_eq(shard_lease_name(&s, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "thurkube-controller-shard-3-of-8");
	ck_assert_int_eq(shard_lease_name(&s, tiny, sizeof(tiny)), -ENOSPC);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ctl_shard");
	TCase *t = tcase_create("shard");

	tcase_add_loop_test(t, parse, 0, (int)TK_ARRAY_LEN(parse_cases));
	tcase_add_test(t, hash_is_fnv1a);
	tcase_add_test(t, spread);
	tcase_add_test(t, keeps);
	tcase_add_test(t, lease_names);
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

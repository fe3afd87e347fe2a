/* test_lease.c - leader election: pure decisions and Lease bodies. */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "runtime/lease.h"

#define NOW 1800000000000LL /* 2027-01-15T08:00:00Z in ms */

static const struct {
	const char *name;
	bool exists;
	const char *holder;
	int64_t duration_s;
	int64_t renew_ms; /* -1 unknown */
	int64_t observed_ms;
	bool leading;
	int64_t since_renew_ms;
	enum lease_action want;
} decide_table[] = {
    {"no lease: create", false, NULL, 0, -1, 0, false, 0, LEASE_CREATE},
    {"free lease (null holder): acquire", true, NULL, 15, NOW - 1000, NOW, false, 0, LEASE_ACQUIRE},
    {"released lease (empty holder): acquire at once", true, "", 1, NOW, NOW, false, 0,
     LEASE_ACQUIRE},
    {"other, fresh: standby", true, "b", 15, NOW - 2000, NOW, false, 0, LEASE_STANDBY},
    {"other, exactly at expiry: standby", true, "b", 15, NOW - 15000, NOW, false, 0, LEASE_STANDBY},
    {"other, expired: take over", true, "b", 15, NOW - 15001, NOW, false, 0, LEASE_ACQUIRE},
    {"other, long expired: take over", true, "b", 15, NOW - 3600000, NOW, false, 0, LEASE_ACQUIRE},
    {"other, renewTime unreadable, seen recently: standby", true, "b", 15, -1, NOW - 5000, false, 0,
     LEASE_STANDBY},
    {"other, renewTime unreadable, unchanged for long: take over", true, "b", 15, -1, NOW - 16000,
     false, 0, LEASE_ACQUIRE},
    {"ours: renew", true, "a", 15, NOW - 2000, NOW, true, 2000, LEASE_RENEW},
    {"ours after a restart, not leading yet: renew", true, "a", 15, NOW - 2000, NOW, false, 0,
     LEASE_RENEW},
    {"ours, renew deadline missed: lost", true, "a", 15, NOW - 10001, NOW, true, 10001, LEASE_LOST},
    {"ours, renew deadline exactly: renew", true, "a", 15, NOW - 10000, NOW, true, 10000,
     LEASE_RENEW},
    {"taken by other while we led: lost", true, "b", 15, NOW - 500, NOW, true, 2000, LEASE_LOST},
    {"deadline missed beats a missing lease: lost", false, NULL, 0, -1, 0, true, 12000, LEASE_LOST},
    {"leading, lease deleted within deadline: create", false, NULL, 0, -1, 0, true, 2000,
     LEASE_CREATE},
};

START_TEST(test_decide)
{
	struct lease_record rec = {
	    .exists = decide_table[_i].exists,
	    .holder = decide_table[_i].holder,
	    .duration_s = decide_table[_i].duration_s,
	    .renew_ms = decide_table[_i].renew_ms,
	    .observed_ms = decide_table[_i].observed_ms,
	};
	struct lease_clock clk = {
	    .now_ms = NOW,
	    .leading = decide_table[_i].leading,
	    .since_renew_ms = decide_table[_i].since_renew_ms,
	    .renew_deadline_ms = 10000,
	};
	enum lease_action got = lease_decide(&rec, "a", &clk);

	ck_assert_msg(got == decide_table[_i].want, "%s: got %s, want %s", decide_table[_i].name,
	              lease_action_name(got), lease_action_name(decide_table[_i].want));
}
END_TEST

static const struct {
	int64_t ms;
	const char *text;
} time_table[] = {
    {0, "1970-01-01T00:00:00.000000Z"},
    {NOW, "2027-01-15T08:00:00.000000Z"},
    {NOW + 123, "2027-01-15T08:00:00.123000Z"},
    {NOW + 59999, "2027-01-15T08:00:59.999000Z"},
};

START_TEST(test_microtime)
{
	char out[40];
	int64_t back = -1;

	lease_format_microtime(time_table[_i].ms, out);
	ck_assert_str_eq(out, time_table[_i].text);
	ck_assert_int_eq(lease_parse_microtime(out, &back), 0);
	ck_assert_int_eq(back, time_table[_i].ms);
}
END_TEST

START_TEST(test_microtime_parse)
{
	int64_t v = 0;

	ck_assert_int_eq(lease_parse_microtime("2027-01-15T08:00:00Z", &v), 0);
	ck_assert_int_eq(v, NOW);
	ck_assert_int_eq(lease_parse_microtime("2027-01-15T08:00:00.5Z", &v), 0);
	ck_assert_int_eq(v, NOW + 500);
	ck_assert_int_eq(lease_parse_microtime("2027-01-15T08:00:00.12Z", &v), 0);
	ck_assert_int_eq(v, NOW + 120);
	ck_assert_int_eq(lease_parse_microtime("2027-01-15T08:00:00.Z", &v), 0);
	ck_assert_int_eq(v, NOW);
	ck_assert_int_eq(lease_parse_microtime("yesterday", &v), -EINVAL);
	ck_assert_int_eq(lease_parse_microtime(NULL, &v), -EINVAL);
}
END_TEST

static json_object *parse(const char *s)
{
	json_object *o = json_tokener_parse(s);

	ck_assert_ptr_nonnull(o);
	return o;
}

static const char *spec_s(json_object *o, const char *k)
{
	json_object *spec, *v;

	ck_assert(json_object_object_get_ex(o, "spec", &spec));
	if (!json_object_object_get_ex(spec, k, &v))
		return NULL;
	return json_object_get_string(v);
}

static int64_t spec_i(json_object *o, const char *k)
{
	json_object *spec, *v;

	ck_assert(json_object_object_get_ex(o, "spec", &spec));
	ck_assert(json_object_object_get_ex(spec, k, &v));
	return json_object_get_int64(v);
}

static const char *observed_lease =
    "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\","
    "\"metadata\":{\"name\":\"thurkube-controller\",\"namespace\":\"thurkube-system\","
    "\"resourceVersion\":\"42\"},"
    "\"spec\":{\"holderIdentity\":\"b\",\"leaseDurationSeconds\":15,"
    "\"acquireTime\":\"2027-01-15T07:00:00.000000Z\","
    "\"renewTime\":\"2027-01-15T07:59:40.250000Z\",\"leaseTransitions\":3}}";

START_TEST(test_parse)
{
	json_object *lease = parse(observed_lease);
	struct lease_record rec = {0};

	ck_assert_int_eq(lease_parse(lease, &rec), 0);
	ck_assert(rec.exists);
	ck_assert_str_eq(rec.holder, "b");
	ck_assert_int_eq(rec.duration_s, 15);
	ck_assert_int_eq(rec.transitions, 3);
	ck_assert_int_eq(rec.renew_ms, NOW - 19750);
	json_object_put(lease);
	lease = parse("[1]");
	ck_assert_int_eq(lease_parse(lease, &rec), -EINVAL);
	json_object_put(lease);
}
END_TEST

START_TEST(test_build_create)
{
	json_object *o =
	    lease_build(LEASE_CREATE, NULL, "thurkube-system", "my-lease", "a", NOW, 15);
	json_object *meta, *v;

	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "metadata", &meta));
	ck_assert(json_object_object_get_ex(meta, "name", &v));
	ck_assert_str_eq(json_object_get_string(v), "my-lease");
	ck_assert(json_object_object_get_ex(meta, "namespace", &v));
	ck_assert_str_eq(json_object_get_string(v), "thurkube-system");
	ck_assert_str_eq(spec_s(o, "holderIdentity"), "a");
	ck_assert_int_eq(spec_i(o, "leaseDurationSeconds"), 15);
	ck_assert_int_eq(spec_i(o, "leaseTransitions"), 0);
	ck_assert_str_eq(spec_s(o, "acquireTime"), "2027-01-15T08:00:00.000000Z");
	ck_assert_str_eq(spec_s(o, "renewTime"), "2027-01-15T08:00:00.000000Z");
	json_object_put(o);
}
END_TEST

START_TEST(test_build_takeover)
{
	json_object *obs = parse(observed_lease);
	json_object *o = lease_build(LEASE_ACQUIRE, obs, "thurkube-system", "thurkube-controller",
	                             "a", NOW + 7, 15);
	json_object *meta, *v;

	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(spec_s(o, "holderIdentity"), "a");
	ck_assert_int_eq(spec_i(o, "leaseTransitions"), 4);
	ck_assert_str_eq(spec_s(o, "acquireTime"), "2027-01-15T08:00:00.007000Z");
	ck_assert_str_eq(spec_s(o, "renewTime"), "2027-01-15T08:00:00.007000Z");
	/* Optimistic concurrency: the observed resourceVersion is sent back. */
	ck_assert(json_object_object_get_ex(o, "metadata", &meta));
	ck_assert(json_object_object_get_ex(meta, "resourceVersion", &v));
	ck_assert_str_eq(json_object_get_string(v), "42");
	/* The observed object is not modified. */
	ck_assert_str_eq(spec_s(obs, "holderIdentity"), "b");
	json_object_put(o);
	json_object_put(obs);
}
END_TEST

START_TEST(test_build_renew)
{
	json_object *obs = parse(observed_lease);
	json_object *o =
	    lease_build(LEASE_RENEW, obs, "thurkube-system", "thurkube-controller", "b", NOW, 15);

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(spec_i(o, "leaseTransitions"), 3);
	ck_assert_str_eq(spec_s(o, "acquireTime"), "2027-01-15T07:00:00.000000Z");
	ck_assert_str_eq(spec_s(o, "renewTime"), "2027-01-15T08:00:00.000000Z");
	json_object_put(o);
	ck_assert_ptr_null(
	    lease_build(LEASE_STANDBY, obs, "x", "thurkube-controller", "b", NOW, 15));
	ck_assert_ptr_null(
	    lease_build(LEASE_RENEW, NULL, "x", "thurkube-controller", "b", NOW, 15));
	json_object_put(obs);
}
END_TEST

START_TEST(test_build_release)
{
	json_object *obs = parse(observed_lease);
	json_object *o = lease_build_release(obs, NOW);
	struct lease_record rec = {0};
	struct lease_clock clk = {.now_ms = NOW + 1, .renew_deadline_ms = 10000};

	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(spec_s(o, "holderIdentity"), "");
	ck_assert_int_eq(spec_i(o, "leaseDurationSeconds"), 1);
	ck_assert_int_eq(spec_i(o, "leaseTransitions"), 3);
	ck_assert_str_eq(spec_s(o, "renewTime"), "2027-01-15T08:00:00.000000Z");
	/* A standby seeing the released lease takes it at once. */
	ck_assert_int_eq(lease_parse(o, &rec), 0);
	ck_assert_int_eq(lease_decide(&rec, "c", &clk), LEASE_ACQUIRE);
	json_object_put(o);
	json_object_put(obs);
}
END_TEST

static Suite *leader_suite(void)
{
	Suite *s = suite_create("lease");
	TCase *tc = tcase_create("pure");

	tcase_add_loop_test(tc, test_decide, 0, (int)TK_ARRAY_LEN(decide_table));
	tcase_add_loop_test(tc, test_microtime, 0, (int)TK_ARRAY_LEN(time_table));
	tcase_add_test(tc, test_microtime_parse);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_build_create);
	tcase_add_test(tc, test_build_takeover);
	tcase_add_test(tc, test_build_renew);
	tcase_add_test(tc, test_build_release);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(leader_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

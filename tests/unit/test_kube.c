/* test_kube.c - white-box: the API server's Status copied into struct
 * kube_status, where a cut must stay visible. */
#include "../../common/kube.c"

#include <check.h>

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* Lengths around the message's capacity: only those that do not fit are
 * cut, and a cut message is full, marked and flagged. */
START_TEST(test_status_message_bounds)
{
	static const size_t lens[] = {0, 10, 1022, 1023, 1024, 5000};
	size_t len = lens[_i], cap = sizeof(((struct kube_status *)0)->message);
	char *msg = repeat('m', len);
	struct kube_status st;

	memset(&st, 0x5a, sizeof(st));
	status_str(&st, 500, "InternalError", msg);
	ck_assert_int_eq(st.http_code, 500);
	ck_assert_str_eq(st.reason, "InternalError");
	if (len < cap) {
		ck_assert(!st.truncated);
		ck_assert_str_eq(st.message, msg);
	} else {
		ck_assert(st.truncated);
		ck_assert_uint_eq(strlen(st.message), cap - 1);
		ck_assert(ends_with(st.message, KUBE_STATUS_CUT));
		ck_assert_int_eq(strncmp(st.message, msg, cap - sizeof(KUBE_STATUS_CUT)), 0);
	}
	free(msg);
}
END_TEST

START_TEST(test_status_reason_cut)
{
	char *reason = repeat('R', 100);
	struct kube_status st;

	status_str(&st, 409, reason, "short");
	ck_assert(st.truncated);
	ck_assert_str_eq(st.message, "short");
	ck_assert_uint_eq(strlen(st.reason), sizeof(st.reason) - 1);
	ck_assert(ends_with(st.reason, KUBE_STATUS_CUT));
	status_str(&st, 409, "AlreadyExists", "short"); /* a reuse clears the flag */
	ck_assert(!st.truncated);
	free(reason);
}
END_TEST

/* A Status body with a long message: the errno still follows the reason,
 * and the message says it was cut. */
START_TEST(test_status_body_long_message)
{
	char *msg = repeat('x', 3000);
	struct buf body = BUF_INIT(1 << 20);
	struct kube_status st;

	ck_assert_int_eq(
	    buf_printf(&body,
	               "{\"kind\":\"Status\",\"code\":409,\"reason\":\"AlreadyExists\","
	               "\"message\":\"%s\"}",
	               msg),
	    0);
	ck_assert_int_eq(status_from_body(&st, 409, &body), -EEXIST);
	ck_assert_str_eq(st.reason, "AlreadyExists");
	ck_assert(st.truncated);
	ck_assert(ends_with(st.message, KUBE_STATUS_CUT));
	buf_free(&body);
	free(msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kube");
	TCase *tc = tcase_create("status");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_status_message_bounds, 0, 6);
	tcase_add_test(tc, test_status_reason_cut);
	tcase_add_test(tc, test_status_body_long_message);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* test_log.c - JSON-lines logging: each line one JSON object that a JSON
 * parser reads back to the values given, whatever bytes they hold. */
#include "compat.h"

#include <check.h>
#include <fcntl.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "util.h"

/* Run the logging of fn with stderr sent to a file; the file's text. */
static char *captured(void (*fn)(void))
{
	char path[] = "/tmp/tk-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	char *text = calloc(1, 65536);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	ck_assert_ptr_nonnull(text);
	fflush(stderr);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	fn();
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	n = pread(fd, text, 65535, 0);
	ck_assert_int_ge(n, 0);
	close(fd);
	unlink(path);
	return text;
}

static const char tricky[] = "quote \" backslash \\ slash / nl \n cr \r tab \t bs \b ff \f "
                             "ctl \x01\x1f del \x7f utf-8 \xc3\xa9";

static void log_tricky(void)
{
	log_set_component("thurkube-test");
	log_info("msg \"quoted\"", "value", tricky, "dropped", (const char *)NULL, "k\"ey", "v");
	log_debug("below the level", "value", "x");
}

START_TEST(test_line_reads_back)
{
	char *text = captured(log_tricky);
	char *nl = strchr(text, '\n');
	json_tokener *tok = json_tokener_new();
	json_object *o, *v;

	/* One line: the debug line is below the default level. */
	ck_assert_ptr_nonnull(nl);
	ck_assert_str_eq(nl + 1, "");
	o = json_tokener_parse_ex(tok, text, (int)(nl - text));
	ck_assert_int_eq(json_tokener_get_error(tok), json_tokener_success);
	ck_assert(json_object_is_type(o, json_type_object));
	ck_assert(json_object_object_get_ex(o, "ts", &v));
	ck_assert_uint_eq(strlen(json_object_get_string(v)), 24); /* 2026-12-06T01:02:03.456Z */
	ck_assert(json_object_object_get_ex(o, "level", &v));
	ck_assert_str_eq(json_object_get_string(v), "info");
	ck_assert(json_object_object_get_ex(o, "component", &v));
	ck_assert_str_eq(json_object_get_string(v), "thurkube-test");
	ck_assert(json_object_object_get_ex(o, "msg", &v));
	ck_assert_str_eq(json_object_get_string(v), "msg \"quoted\"");
	ck_assert(json_object_object_get_ex(o, "value", &v));
	ck_assert_str_eq(json_object_get_string(v), tricky);
	ck_assert(!json_object_object_get_ex(o, "dropped", NULL));
	ck_assert(json_object_object_get_ex(o, "k\"ey", &v));
	ck_assert_str_eq(json_object_get_string(v), "v");
	ck_assert_int_eq(json_object_object_length(o), 6);
	/* Escaped as json-c escapes: short forms, \u00XX for other control
	 * bytes, '/' and bytes from 0x7f up as they are. */
	ck_assert_ptr_nonnull(strstr(text, "slash / nl \\n cr \\r tab \\t bs \\b ff \\f ctl "
	                                   "\\u0001\\u001f del \x7f utf-8 \xc3\xa9"));
	json_object_put(o);
	json_tokener_free(tok);
	free(text);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_line_reads_back);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

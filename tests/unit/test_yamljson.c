/*
 * test_yamljson.c - YAML to JSON with kubectl's scalar resolution.
 */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "limits.h"
#include "yamljson.h"

static const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

static const struct {
	const char *yaml;
	const char *json;
} conv[] = {
    {"a: 1\n", "{\"a\":1}"},
    {"a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: True\nh: FALSE\n",
     "{\"a\":true,\"b\":false,\"c\":true,\"d\":false,\"e\":true,\"f\":false,\"g\":true,\"h\":"
     "false}"},
    {"a: ~\nb: null\nc:\nd: NULL\ne: Null\n",
     "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":null}"},
    {"a: 0x1F\nb: 0o17\nc: 017\nd: -0b101\ne: 1_000\nf: +5\ng: 0\nh: -0\n",
     "{\"a\":31,\"b\":15,\"c\":15,\"d\":-5,\"e\":1000,\"f\":5,\"g\":0,\"h\":0}"},
    {"a: 1.5\nb: 1.0\nc: 1e3\nd: .5\ne: -2.5e-3\nf: 08\ng: 1e21\nh: 1e-7\ni: 0.1\n",
     "{\"a\":1.5,\"b\":1,\"c\":1000,\"d\":0.5,\"e\":-0.0025,\"f\":8,\"g\":1e+21,\"h\":1e-7,"
     "\"i\":0.1}"},
    {"a: '1'\nb: \"true\"\nc: |\n  x\nd: >\n  y\n  z\ne: 'null'\n",
     "{\"a\":\"1\",\"b\":\"true\",\"c\":\"x\\n\",\"d\":\"y z\\n\",\"e\":\"null\"}"},
    {"a: 12:30\nb: 1.2.3\nc: 2001-12-14\nd: 0x\ne: 1e400\nf: yess\ng: ._5\nh: _1\n",
     "{\"a\":\"12:30\",\"b\":\"1.2.3\",\"c\":\"2001-12-14\",\"d\":\"0x\",\"e\":\"1e400\","
     "\"f\":\"yess\",\"g\":\"._5\",\"h\":\"_1\"}"},
    {"a: 18446744073709551615\nb: 9223372036854775807\nc: -9223372036854775808\n"
     "d: 99999999999999999999\ne: +18446744073709551615\n",
     "{\"a\":18446744073709551615,\"b\":9223372036854775807,\"c\":-9223372036854775808,"
     "\"d\":100000000000000000000,\"e\":18446744073709552000}"},
    {"1: a\ntrue: b\n1.5: c\n~x: d\n0x10: f\nno: g\n",
     "{\"1\":\"a\",\"true\":\"b\",\"1.5\":\"c\",\"~x\":\"d\",\"16\":\"f\",\"false\":\"g\"}"},
    {"1e6: a\n100.0: b\n0.0001: c\n0.00001: d\n.inf: e\n-.Inf: f\n.nan: g\n",
     "{\"1e+06\":\"a\",\"100\":\"b\",\"0.0001\":\"c\",\"1e-05\":\"d\",\".inf\":\"e\","
     "\"-.inf\":\"f\",\".nan\":\"g\"}"},
    {"a: &x {b: 1}\nc: *x\nd: &s str\ne: *s\n",
     "{\"a\":{\"b\":1},\"c\":{\"b\":1},\"d\":\"str\",\"e\":\"str\"}"},
    {"a: !!str 1\nb: !!int \"3\"\nc: !!float 2\nd: !custom 5\ne: ! 7\nf: !!bool yes\n",
     "{\"a\":\"1\",\"b\":3,\"c\":2,\"d\":\"5\",\"e\":\"7\",\"f\":true}"},
    {"[1, 'a', {x: null}, [], {}]", "[1,\"a\",{\"x\":null},[],{}]"},
    {"- a/b\n- \"\\u00e9\"\n- \"a\\0b\"\n", "[\"a/b\",\"é\",\"a\\u0000b\"]"},
    {"k: v\nk: w\n", "{\"k\":\"w\"}"},
    {"\"<<\": 1\n", "{\"<<\":1}"},
    {"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {app: \"1\"}\ndata:\n"
     "  port: \"8080\"\n",
     "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\",\"labels\":"
     "{\"app\":\"1\"}},\"data\":{\"port\":\"8080\"}}"},
};

START_TEST(test_convert)
{
	struct yamljson_error err;
	json_object *o = NULL;
	int r = yamljson_parse_one(conv[_i].yaml, strlen(conv[_i].yaml), &o, &err);

	ck_assert_msg(r == 0, "row %d: %d line %zu col %zu %s", _i, r, err.line, err.column,
	              err.msg);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_object_to_json_string_ext(o, flags), conv[_i].json);
	json_object_put(o);
}
END_TEST

/* Types matter, not only the text: 1.0 must be an integer, 1.5 a double. */
START_TEST(test_types)
{
	json_object *o = NULL, *v;

	ck_assert_int_eq(
	    yamljson_parse_one("a: 1.0\nb: 1.5\nc: 18446744073709551615\n", 38, &o, NULL), 0);
	ck_assert(json_object_object_get_ex(o, "a", &v));
	ck_assert(json_object_is_type(v, json_type_int));
	ck_assert(json_object_object_get_ex(o, "b", &v));
	ck_assert(json_object_is_type(v, json_type_double));
	ck_assert(json_object_object_get_ex(o, "c", &v));
	ck_assert(json_object_get_uint64(v) == UINT64_MAX);
	json_object_put(o);
}
END_TEST

struct docs {
	char text[512];
	size_t lines[8];
	int n;
	int stop_at;
};

static int on_doc(void *ud, json_object *doc, size_t line)
{
	struct docs *d = ud;
	size_t len = strlen(d->text);

	snprintf(d->text + len, sizeof(d->text) - len, "%s%s", d->n ? "|" : "",
	         doc ? json_object_to_json_string_ext(doc, flags) : "NULL");
	d->lines[d->n++] = line;
	return d->n == d->stop_at ? 5 : 0;
}

START_TEST(test_multidoc)
{
	static const char y[] = "a: 1\n---\n---\nb: [x]\n...\n--- c\n";
	struct docs d;

	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(yamljson_parse(y, strlen(y), on_doc, &d, NULL), 0);
	ck_assert_str_eq(d.text, "{\"a\":1}|NULL|{\"b\":[\"x\"]}|\"c\"");
	ck_assert_int_eq(d.n, 4);
	ck_assert_uint_eq(d.lines[0], 1);
	ck_assert_uint_eq(d.lines[1], 2);
	ck_assert_uint_eq(d.lines[2], 3);
	ck_assert_uint_eq(d.lines[3], 6);

	memset(&d, 0, sizeof(d));
	d.stop_at = 2;
	ck_assert_int_eq(yamljson_parse(y, strlen(y), on_doc, &d, NULL), 5);
	ck_assert_int_eq(d.n, 2);
}
END_TEST

START_TEST(test_empty)
{
	json_object *o = (json_object *)1;
	struct docs d;

	ck_assert_int_eq(yamljson_parse_one("", 0, &o, NULL), 0);
	ck_assert_ptr_null(o);
	o = (json_object *)1;
	ck_assert_int_eq(yamljson_parse_one("# only a comment\n", 17, &o, NULL), 0);
	ck_assert_ptr_null(o);
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(yamljson_parse("", 0, on_doc, &d, NULL), 0);
	ck_assert_int_eq(d.n, 0);
}
END_TEST

static const struct {
	const char *yaml;
	size_t line, column;
	const char *msg;
} bad[] = {
    {"a: *nope\n", 1, 4, "unknown anchor"},
    {"a: .inf\n", 1, 4, "unsupported value"},
    {"b: 1\na: [1, -.INF]\n", 2, 8, "unsupported value"},
    {"? [a]\n: b\n", 1, 3, "unsupported map key"},
    {"~: a\n", 1, 1, "unsupported map key: null"},
    {"x:\n  <<: {a: 1}\n", 2, 3, "merge keys"},
    {"a: 1\n b: 2\n", 2, 3, "mapping values are not allowed"},
    {"a: !!int abc\n", 1, 4, "cannot decode"},
    {"a: !!bool 1\n", 1, 4, "cannot decode"},
    {"a: [1, 2\n", 2, 1, "flow sequence"},
    {"a:\n\t- b\n", 2, 1, "cannot start any token"},
    {"\"a\\0\": 1\n", 1, 1, "NUL"},
    {"a: &x [*x]\n", 1, 8, "unknown anchor"},
};

START_TEST(test_errors)
{
	struct yamljson_error err;
	json_object *o = (json_object *)1;
	int r = yamljson_parse_one(bad[_i].yaml, strlen(bad[_i].yaml), &o, &err);

	ck_assert_msg(r == -EINVAL, "row %d: %d", _i, r);
	ck_assert_ptr_eq(o, (json_object *)1); /* untouched on failure */
	ck_assert_msg(strstr(err.msg, bad[_i].msg) != NULL, "row %d: msg \"%s\"", _i, err.msg);
	ck_assert_msg(err.line == bad[_i].line && err.column == bad[_i].column,
	              "row %d: at %zu:%zu want %zu:%zu (%s)", _i, err.line, err.column,
	              bad[_i].line, bad[_i].column, err.msg);
}
END_TEST

START_TEST(test_depth)
{
	char in[2 * (TK_MAX_JSON_DEPTH + 1) + 1];
	struct yamljson_error err;
	json_object *o = NULL;
	int d = _i ? TK_MAX_JSON_DEPTH + 1 : TK_MAX_JSON_DEPTH;

	memset(in, '[', (size_t)d);
	memset(in + d, ']', (size_t)d);
	in[2 * d] = '\0';
	if (_i) {
		ck_assert_int_eq(yamljson_parse_one(in, strlen(in), &o, &err), -EINVAL);
		ck_assert_ptr_nonnull(strstr(err.msg, "nesting deeper"));
		ck_assert_uint_eq(err.column, (size_t)TK_MAX_JSON_DEPTH + 1);
	} else {
		ck_assert_int_eq(yamljson_parse_one(in, strlen(in), &o, &err), 0);
		json_object_put(o);
	}
}
END_TEST

/* An alias may not carry a value past the depth limit either. */
START_TEST(test_alias_depth)
{
	struct buf b = BUF_INIT(4096);
	struct yamljson_error err;
	json_object *o = NULL;
	int i;

	for (i = 0; i < 40; i++)
		ck_assert_int_eq(buf_puts(&b, "["), 0);
	ck_assert_int_eq(buf_puts(&b, "&a ["), 0);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(buf_puts(&b, "["), 0);
	for (i = 0; i < 21; i++)
		ck_assert_int_eq(buf_puts(&b, "]"), 0);
	ck_assert_int_eq(buf_puts(&b, ", *a"), 0);
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(buf_puts(&b, "]"), 0);
	ck_assert_int_eq(yamljson_parse_one(b.data, b.len, &o, &err), 0);
	json_object_put(o);
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "a: &a "), 0);
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(buf_puts(&b, "["), 0);
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(buf_puts(&b, "]"), 0);
	ck_assert_int_eq(buf_puts(&b, "\nb: "), 0);
	for (i = 0; i < 30; i++)
		ck_assert_int_eq(buf_puts(&b, "["), 0);
	ck_assert_int_eq(buf_puts(&b, "*a"), 0);
	for (i = 0; i < 30; i++)
		ck_assert_int_eq(buf_puts(&b, "]"), 0);
	ck_assert_int_eq(yamljson_parse_one(b.data, b.len, &o, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "nesting deeper"));
	buf_free(&b);
}
END_TEST

START_TEST(test_billion_laughs)
{
	struct buf b = BUF_INIT(8192);
	struct yamljson_error err;
	json_object *o = NULL;
	int i, j;

	ck_assert_int_eq(buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"), 0);
	for (i = 1; i < 9; i++) {
		ck_assert_int_eq(buf_printf(&b, "a%d: &a%d [", i, i), 0);
		for (j = 0; j < 10; j++)
			ck_assert_int_eq(buf_printf(&b, "%s*a%d", j ? ", " : "", i - 1), 0);
		ck_assert_int_eq(buf_puts(&b, "]\n"), 0);
	}
	ck_assert_int_eq(yamljson_parse_one(b.data, b.len, &o, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "excessive aliasing"));
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("yamljson");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_convert, 0, (int)TK_ARRAY_LEN(conv));
	tcase_add_test(tc, test_types);
	tcase_add_test(tc, test_multidoc);
	tcase_add_test(tc, test_empty);
	tcase_add_loop_test(tc, test_errors, 0, (int)TK_ARRAY_LEN(bad));
	tcase_add_loop_test(tc, test_depth, 0, 2);
	tcase_add_test(tc, test_alias_depth);
	tcase_add_test(tc, test_billion_laughs);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

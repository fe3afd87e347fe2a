/* test_config.c - the option table: defaults, environment, flags, errors. */
#include "compat.h"

#include <check.h>
#include <errno.h>
#include <stddef.h>

#include "config.h"
#include "log.h"
#include "util.h"

struct cfg {
	char *addr;
	int64_t workers;
	int debug;
	enum log_level level;
	char *cert;
	int help;
};

static const struct config_opt opts[] = {
    {"listen-address", CFG_STRING, "TKT_LISTEN_ADDRESS", ":8443", 0, 0, offsetof(struct cfg, addr),
     "address to serve on"},
    {"workers", CFG_INT, "TKT_WORKERS", "4", 1, 64, offsetof(struct cfg, workers),
     "reconcile workers"},
    {"debug", CFG_BOOL, "TKT_DEBUG", "false", 0, 0, offsetof(struct cfg, debug), "extra checks"},
    {"log-level", CFG_LEVEL, "TKT_LOG_LEVEL", "info", 0, 0, offsetof(struct cfg, level),
     "debug, info, warn or error"},
    {"tls-cert-file", CFG_STRING, NULL, NULL, 0, 0, offsetof(struct cfg, cert), "PEM certificate"},
    {"help", CFG_BOOL, NULL, NULL, 0, 0, offsetof(struct cfg, help), "show this help"},
};

static void clear_env(void)
{
	unsetenv("TKT_LISTEN_ADDRESS");
	unsetenv("TKT_WORKERS");
	unsetenv("TKT_DEBUG");
	unsetenv("TKT_LOG_LEVEL");
}

static int parse(int argc, char **argv, struct cfg *c, int *rest, struct buf *err)
{
	return config_parse(opts, TK_ARRAY_LEN(opts), argc, argv, 1, c, rest, err);
}

START_TEST(test_defaults)
{
	char *argv[] = {"prog", NULL};
	struct cfg c = {0};
	struct buf err = BUF_INIT(1024);
	int rest = -1;

	clear_env();
	ck_assert_int_eq(parse(1, argv, &c, &rest, &err), 0);
	ck_assert_str_eq(c.addr, ":8443");
	ck_assert_int_eq(c.workers, 4);
	ck_assert_int_eq(c.debug, 0);
	ck_assert_int_eq(c.level, LOG_LVL_INFO);
	ck_assert_ptr_null(c.cert);
	ck_assert_int_eq(c.help, 0);
	ck_assert_int_eq(rest, 1);
	config_free(opts, TK_ARRAY_LEN(opts), &c);
	ck_assert_ptr_null(c.addr);
	config_free(opts, TK_ARRAY_LEN(opts), &c); /* twice is harmless */
	buf_free(&err);
}
END_TEST

START_TEST(test_env_then_flags)
{
	char *argv[] = {"prog",
	                "--workers=8",
	                "--listen-address",
	                ":9443",
	                "-log-level",
	                "DEBUG",
	                "--debug",
	                "--tls-cert-file=/c.pem",
	                "--workers",
	                "9",
	                "serve",
	                "--not-a-flag",
	                NULL};
	struct cfg c = {0};
	struct buf err = BUF_INIT(1024);
	int rest = -1;

	clear_env();
	setenv("TKT_WORKERS", "2", 1);
	setenv("TKT_LISTEN_ADDRESS", "", 1); /* empty means unset */
	setenv("TKT_DEBUG", "yes", 1);
	/* Environment alone. */
	ck_assert_int_eq(parse(1, argv, &c, &rest, &err), 0);
	ck_assert_int_eq(c.workers, 2);
	ck_assert_str_eq(c.addr, ":8443");
	ck_assert_int_eq(c.debug, 1);
	config_free(opts, TK_ARRAY_LEN(opts), &c);
	/* Flags win, the last one per name. */
	ck_assert_int_eq(parse(12, argv, &c, &rest, &err), 0);
	ck_assert_int_eq(c.workers, 9);
	ck_assert_str_eq(c.addr, ":9443");
	ck_assert_int_eq(c.level, LOG_LVL_DEBUG);
	ck_assert_int_eq(c.debug, 1);
	ck_assert_str_eq(c.cert, "/c.pem");
	ck_assert_int_eq(rest, 10);
	ck_assert_str_eq(argv[rest], "serve");
	config_free(opts, TK_ARRAY_LEN(opts), &c);
	clear_env();
	buf_free(&err);
}
END_TEST

static const struct {
	const char *args[4];
	int rest;
	int64_t workers;
	int debug;
} stops[] = {
    /* rest is the argv index where parsing stopped */
    {{"--", "--workers=5"}, 2, 4, 0},
    {{"-", "--workers=5"}, 1, 4, 0},
    {{"--debug", "--", "x"}, 3, 4, 1},
    {{"--debug=false", "x"}, 2, 4, 0},
    {{"--debug", "true"}, 2, 4, 1}, /* a bare bool takes no value */
    {{"--debug=0", "--workers=64"}, 3, 64, 0},
    {{"--workers", "-3"}, -1, 0, 0},
    {{"--workers=1"}, 2, 1, 0},
    {{"--help"}, 2, 4, 0},
};

START_TEST(test_stops)
{
	char *argv[6] = {"prog"};
	struct cfg c = {0};
	struct buf err = BUF_INIT(1024);
	int argc = 1, rest = -1, r;

	clear_env();
	while (argc < 5 && stops[_i].args[argc - 1]) {
		argv[argc] = (char *)stops[_i].args[argc - 1];
		argc++;
	}
	r = parse(argc, argv, &c, &rest, &err);
	if (stops[_i].rest < 0) {
		ck_assert_int_eq(r, -EINVAL);
		ck_assert_str_eq(err.data, "--workers: must be between 1 and 64, got \"-3\"");
		buf_free(&err);
		return;
	}
	ck_assert_msg(r == 0, "%s", err.data);
	ck_assert_int_eq(rest, stops[_i].rest);
	ck_assert_int_eq(c.workers, stops[_i].workers);
	ck_assert_int_eq(c.debug, stops[_i].debug);
	ck_assert_int_eq(c.help, strcmp(argv[1], "--help") == 0);
	config_free(opts, TK_ARRAY_LEN(opts), &c);
	buf_free(&err);
}
END_TEST

static const struct {
	const char *args[3];
	const char *env_workers;
	const char *err;
} errors[] = {
    {{"--x"}, NULL, "unknown flag --x"},
    {{"--x=1"}, NULL, "unknown flag --x"},
    {{"-v"}, NULL, "unknown flag --v"},
    {{"--workers=0"}, NULL, "--workers: must be between 1 and 64, got \"0\""},
    {{"--workers", "65"}, NULL, "--workers: must be between 1 and 64, got \"65\""},
    {{"--workers=99999999999999999999"},
     NULL,
     "--workers: must be between 1 and 64, got \"99999999999999999999\""},
    {{"--workers=many"}, NULL, "--workers: must be an integer, got \"many\""},
    {{"--workers="}, NULL, "--workers: must be an integer, got \"\""},
    {{"--workers= 4"}, NULL, "--workers: must be an integer, got \" 4\""},
    {{"--workers"}, NULL, "--workers: missing value"},
    {{"--debug=maybe"}, NULL, "--debug: must be true or false, got \"maybe\""},
    {{"--log-level=loud"},
     NULL,
     "--log-level: must be one of debug, info, warn, error, got \"loud\""},
    {{NULL}, "0", "TKT_WORKERS (--workers): must be between 1 and 64, got \"0\""},
    {{NULL}, "x", "TKT_WORKERS (--workers): must be an integer, got \"x\""},
    /* A bad variable fails even when a flag would override it. */
    {{"--workers=3"}, "100", "TKT_WORKERS (--workers): must be between 1 and 64, got \"100\""},
};

START_TEST(test_errors)
{
	char *argv[5] = {"prog"};
	struct cfg c, before;
	struct buf err = BUF_INIT(1024);
	int argc = 1, rest = -7;

	clear_env();
	if (errors[_i].env_workers)
		setenv("TKT_WORKERS", errors[_i].env_workers, 1);
	while (argc < 4 && errors[_i].args[argc - 1]) {
		argv[argc] = (char *)errors[_i].args[argc - 1];
		argc++;
	}
	memset(&c, 0x3c, sizeof(c));
	memcpy(&before, &c, sizeof(c));
	ck_assert_int_eq(parse(argc, argv, &c, &rest, &err), -EINVAL);
	ck_assert_ptr_nonnull(err.data);
	ck_assert_msg(strcmp(err.data, errors[_i].err) == 0, "got '%s', want '%s'", err.data,
	              errors[_i].err);
	ck_assert_msg(memcmp(&c, &before, sizeof(c)) == 0, "output touched on failure");
	ck_assert_int_eq(rest, -7);
	/* Without an error buffer the verdict is the same. */
	ck_assert_int_eq(parse(argc, argv, &c, NULL, NULL), -EINVAL);
	clear_env();
	buf_free(&err);
}
END_TEST

START_TEST(test_bad_default)
{
	static const struct config_opt bad[] = {
	    {"port", CFG_INT, NULL, "70000", 1, 65535, 0, "port"},
	};
	char *argv[] = {"prog", "--port=80", NULL};
	int64_t port = 0;
	struct buf err = BUF_INIT(1024);

	ck_assert_int_eq(config_parse(bad, 1, 2, argv, 1, &port, NULL, &err), -EINVAL);
	ck_assert_str_eq(err.data, "default (--port): must be between 1 and 65535, got \"70000\"");
	ck_assert_int_eq(port, 0);
	buf_free(&err);
}
END_TEST

START_TEST(test_long_value_is_cut)
{
	char big[600], arg[620];
	char *argv[] = {"prog", arg, NULL};
	struct cfg c = {0};
	struct buf err = BUF_INIT(1024);

	clear_env();
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(arg, sizeof(arg), "--workers=%s", big);
	ck_assert_int_eq(parse(2, argv, &c, NULL, &err), -EINVAL);
	ck_assert_uint_lt(err.len, 300);
	ck_assert_ptr_nonnull(strstr(err.data, "zzz...\""));
	buf_free(&err);
}
END_TEST

START_TEST(test_usage)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);
	const char *lines[8];
	size_t nlines = 0;
	char *p;

	ck_assert_ptr_nonnull(f);
	config_usage(f, "thurkube-test [flags]", opts, TK_ARRAY_LEN(opts));
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "usage: thurkube-test [flags]\n"));
	ck_assert_ptr_nonnull(strstr(text, "[1..64] (default 4)"));
	ck_assert_ptr_nonnull(strstr(text, "(default :8443)"));
	/* The table has its own help entry: no second one. */
	ck_assert_ptr_eq(strstr(text, "show this help and exit"), NULL);
	for (p = text; (p = strstr(p, "\n  --")) != NULL && nlines < 8; p++)
		lines[nlines++] = p + 1;
	ck_assert_uint_eq(nlines, TK_ARRAY_LEN(opts));
	/* The environment column lines up. */
	{
		const char *env = strstr(lines[0], "TKT_LISTEN_ADDRESS");
		size_t col = (size_t)(env - lines[0]);

		ck_assert_ptr_nonnull(env);
		ck_assert_ptr_eq(strstr(lines[1], "TKT_WORKERS"), lines[1] + col);
		ck_assert_ptr_eq(strstr(lines[3], "TKT_LOG_LEVEL"), lines[3] + col);
		/* And so does the help column. */
		for (i = 0; i < nlines; i++) {
			const char *h = strstr(lines[i], opts[i].help);

			ck_assert_ptr_nonnull(h);
			ck_assert_uint_eq((size_t)(h - lines[i]),
			                  (size_t)(strstr(lines[0], opts[0].help) - lines[0]));
		}
	}
	free(text);

	/* Without a help entry, one is added. */
	text = NULL;
	f = open_memstream(&text, &len);
	config_usage(f, "x", opts, 2);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "  --help"));
	ck_assert_ptr_nonnull(strstr(text, "show this help and exit"));
	free(text);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_env_then_flags);
	tcase_add_loop_test(tc, test_stops, 0, TK_ARRAY_LEN(stops));
	tcase_add_loop_test(tc, test_errors, 0, TK_ARRAY_LEN(errors));
	tcase_add_test(tc, test_bad_default);
	tcase_add_test(tc, test_long_value_is_cut);
	tcase_add_test(tc, test_usage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

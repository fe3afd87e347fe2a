/* test_tz.c - zone names against the system tz database and a fake one. */
#include "compat.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tz.h"
#include "util.h"

static const struct {
	const char *name;
	int want;
} system_names[] = {
    {"Etc/UTC", 1},
    {"UTC", 1},
    {"Europe/Paris", 1},
    {"America/New_York", 1},
    {"Asia/Kolkata", 1},
    {"America/Argentina/Buenos_Aires", 1},
    {"Mars/Olympus", 0},
    {"../etc/passwd", 0},
    {"Europe/../Europe/Paris", 0},
    {"Europe/Paris/..", 0},
    {"/usr/share/zoneinfo/Europe/Paris", 0},
    {"\\Europe/Paris", 0},
    {"", 0},
    {"Local", 0},
    {"local", 0},
    {"LOCAL", 0},
    {"America", 0},      /* a directory */
    {"europe/paris", 0}, /* names are case-sensitive on disk */
    {"Europe/Paris ", 0},
    {"zone.tab", 0},      /* a file, but no TZif */
    {"Europe//Paris", 1}, /* the path still names the zone file */
};

START_TEST(test_system)
{
	unsetenv("ZONEINFO");
	ck_assert_str_eq(tz_root(), "/usr/share/zoneinfo");
	ck_assert_msg(tz_exists(system_names[_i].name) == system_names[_i].want, "%s: got %d",
	              system_names[_i].name, tz_exists(system_names[_i].name));
}
END_TEST

START_TEST(test_null_and_long)
{
	char name[400];

	unsetenv("ZONEINFO");
	ck_assert_int_eq(tz_exists(NULL), 0);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(tz_exists(name), 0);
}
END_TEST

static void write_file(const char *dir, const char *name, const char *content, size_t n)
{
	struct buf p = BUF_INIT(4096);
	int fd;

	ck_assert_int_eq(buf_printf(&p, "%s/%s", dir, name), 0);
	fd = open(p.data, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, n), (ssize_t)n);
	close(fd);
	buf_free(&p);
}

static void make_dir(const char *dir, const char *name)
{
	struct buf p = BUF_INIT(4096);

	ck_assert_int_eq(buf_printf(&p, "%s/%s", dir, name), 0);
	ck_assert_int_eq(mkdir(p.data, 0755), 0);
	buf_free(&p);
}

static void remove_tree(const char *dir)
{
	static const char *const files[] = {"Etc/UTC",    "Fake/Zone",  "Fake/Bad", "Fake/Short",
	                                    "Fake/Empty", "Fake/Later", "UTC"};
	static const char *const dirs[] = {"Fake/Dir", "Fake", "Etc"};
	struct buf p = BUF_INIT(4096);
	size_t i;

	for (i = 0; i < TK_ARRAY_LEN(files); i++) {
		buf_reset(&p);
		if (buf_printf(&p, "%s/%s", dir, files[i]) == 0)
			unlink(p.data);
	}
	for (i = 0; i < TK_ARRAY_LEN(dirs); i++) {
		buf_reset(&p);
		if (buf_printf(&p, "%s/%s", dir, dirs[i]) == 0)
			rmdir(p.data);
	}
	rmdir(dir);
	buf_free(&p);
}

START_TEST(test_fake_database)
{
	char dir[] = "/tmp/tk-tz-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("ZONEINFO", dir, 1);
	ck_assert_str_eq(tz_root(), dir);

	/* An empty directory is no database. */
	ck_assert_int_eq(tz_exists("Etc/UTC"), -ENOENT);
	ck_assert_int_eq(tz_exists("Europe/Paris"), -ENOENT);
	/* Names refused by rule are refused before the disk is consulted. */
	ck_assert_int_eq(tz_exists("../etc/passwd"), 0);
	ck_assert_int_eq(tz_exists("Local"), 0);
	ck_assert_int_eq(tz_exists(""), 0);

	make_dir(dir, "Etc");
	make_dir(dir, "Fake");
	make_dir(dir, "Fake/Dir");
	write_file(dir, "Fake/Zone", "TZif2\0\0\0", 8);
	write_file(dir, "Fake/Bad", "TZix2\0\0\0", 8);
	write_file(dir, "Fake/Short", "TZi", 3);
	write_file(dir, "Fake/Empty", "", 0);
	/* Zones present but no UTC: still no database for unknown names. */
	ck_assert_int_eq(tz_exists("Fake/Zone"), 1);
	ck_assert_int_eq(tz_exists("Fake/Nope"), -ENOENT);
	write_file(dir, "Etc/UTC", "TZif2", 5);
	ck_assert_int_eq(tz_exists("Fake/Zone"), 1);
	ck_assert_int_eq(tz_exists("Etc/UTC"), 1);
	ck_assert_int_eq(tz_exists("Fake/Nope"), 0);
	ck_assert_int_eq(tz_exists("Fake/Bad"), 0);
	ck_assert_int_eq(tz_exists("Fake/Short"), 0);
	ck_assert_int_eq(tz_exists("Fake/Empty"), 0);
	ck_assert_int_eq(tz_exists("Fake/Dir"), 0);
	ck_assert_int_eq(tz_exists("Europe/Paris"), 0);

	/* A zone found is remembered by this thread (for a minute); one not
	 * found is not: Fake/Later is seen as soon as it exists. */
	ck_assert_int_eq(tz_exists("Fake/Later"), 0);
	write_file(dir, "Fake/Later", "TZif2", 5);
	ck_assert_int_eq(tz_exists("Fake/Later"), 1);

	/* A root that does not exist at all: the zones found under it are
	 * still remembered, until forgotten. */
	remove_tree(dir);
	ck_assert_int_eq(tz_exists("Fake/Zone"), 1);
	ck_assert_int_eq(tz_exists("Fake/Nope"), 0);
	tz_forget();
	ck_assert_int_eq(tz_exists("Fake/Zone"), -ENOENT);
	ck_assert_int_eq(tz_exists("Fake/Nope"), -ENOENT);
	ck_assert_int_eq(tz_exists("Etc/UTC"), -ENOENT);
	/* An empty ZONEINFO means the default. */
	setenv("ZONEINFO", "", 1);
	ck_assert_str_eq(tz_root(), "/usr/share/zoneinfo");
	ck_assert_int_eq(tz_exists("Europe/Paris"), 1);
	unsetenv("ZONEINFO");
}
END_TEST

START_TEST(test_root_is_a_file)
{
	setenv("ZONEINFO", "/etc/passwd", 1);
	ck_assert_int_eq(tz_exists("Etc/UTC"), -ENOENT);
	unsetenv("ZONEINFO");
}
END_TEST

static Suite *tz_suite(void)
{
	Suite *s = suite_create("tz");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_system, 0, TK_ARRAY_LEN(system_names));
	tcase_add_test(tc, test_null_and_long);
	tcase_add_test(tc, test_fake_database);
	tcase_add_test(tc, test_root_is_a_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tz_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * tz.c - IANA zone names checked against the tz database on disk, with
 * the name rules of Go's time.LoadLocation (which the CronJob controller
 * uses for spec.timeZone).
 */
#include "compat.h"

#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define TZ_DEFAULT_ROOT "/usr/share/zoneinfo"
/* Longest path built under the root; zone names are far shorter. */
#define TZ_PATH_MAX 4096

const char *tz_root(void)
{
	const char *z = getenv("ZONEINFO");

	return z && *z ? z : TZ_DEFAULT_ROOT;
}

/* 1 when root/name is a regular file starting with the TZif magic,
 * 0 when it is not, -errno for a path that cannot be built. */
static int tz_is_tzif(const char *root, const char *name)
{
	struct buf path = BUF_INIT(TZ_PATH_MAX);
	struct stat st;
	char magic[4];
	int fd = -1, r;

	r = buf_printf(&path, "%s/%s", root, name);
	if (r < 0)
		goto out;
	r = 0;
	fd = open(path.data, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		goto out;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto out;
	r = read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, "TZif", 4) == 0;
out:
	if (fd >= 0)
		close(fd);
	buf_free(&path);
	return r;
}

/* Go refuses these before looking at the disk; "Local" is refused by the
 * CronJob validation (it means the controller's own zone). */
static int tz_name_allowed(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255)
		return 0;
	if (name[0] == '/' || name[0] == '\\' || strstr(name, ".."))
		return 0;
	return strcasecmp(name, "Local") != 0;
}

int tz_exists(const char *name)
{
	const char *root = tz_root();
	struct stat st;
	int r;

	if (!name || !tz_name_allowed(name))
		return 0;
	r = tz_is_tzif(root, name);
	if (r != 0)
		return r;
	/* Not found: tell a missing database apart from a missing zone. */
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
		return -ENOENT;
	if (tz_is_tzif(root, "UTC") != 1 && tz_is_tzif(root, "Etc/UTC") != 1)
		return -ENOENT;
	return 0;
}

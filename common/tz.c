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

/*
 * Zones found, and that the root is a database, are remembered for
 * TZ_CACHE_MS by each thread, so a webhook answering thousands of reviews
 * a second does not open the same files for each. Only positive answers
 * are kept: a zone added to the database, a database that appears, and a
 * new $ZONEINFO (the key includes the root) are seen at once; a zone or a
 * database removed is seen within TZ_CACHE_MS. The database ships with
 * the image and does not change while it runs, so the delay only matters
 * to tests (tz_forget).
 */
#define TZ_CACHE_MS    60000
#define TZ_CACHE_SLOTS 8
#define TZ_CACHE_ROOT  128 /* longer roots are not cached */
#define TZ_CACHE_NAME  48  /* longer names are not cached */

struct tz_cache {
	char root[TZ_CACHE_ROOT]; /* the root every slot belongs to */
	int64_t db_until;         /* root holds UTC or Etc/UTC; 0: not known */
	struct {
		char name[TZ_CACHE_NAME];
		int64_t until; /* 0: empty */
	} slot[TZ_CACHE_SLOTS];
	unsigned next; /* the slot a new zone replaces */
};

static _Thread_local struct tz_cache tz_cache;

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

void tz_forget(void)
{
	memset(&tz_cache, 0, sizeof(tz_cache));
}

/* True when this thread found root/name a zone less than TZ_CACHE_MS ago. */
static bool tz_cached(const char *root, const char *name, int64_t now)
{
	unsigned i;

	if (strcmp(tz_cache.root, root) != 0)
		return false;
	for (i = 0; i < TZ_CACHE_SLOTS; i++)
		if (tz_cache.slot[i].until > now && strcmp(tz_cache.slot[i].name, name) == 0)
			return true;
	return false;
}

/* Make root the cache's root (forgetting another one's); false when too
 * long to cache. */
static bool tz_cache_root(const char *root)
{
	size_t rn = strlen(root);

	if (rn >= TZ_CACHE_ROOT)
		return false;
	if (strcmp(tz_cache.root, root) != 0) {
		tz_forget();
		memcpy(tz_cache.root, root, rn + 1);
	}
	return true;
}

static void tz_remember(const char *root, const char *name, int64_t now)
{
	size_t nn = strlen(name);
	unsigned i;

	if (nn >= TZ_CACHE_NAME || !tz_cache_root(root))
		return;
	i = tz_cache.next++ % TZ_CACHE_SLOTS;
	memcpy(tz_cache.slot[i].name, name, nn + 1);
	tz_cache.slot[i].until = now + TZ_CACHE_MS;
}

int tz_exists(const char *name)
{
	const char *root = tz_root();
	int64_t now = now_ms();
	struct stat st;
	int r;

	if (!name || !tz_name_allowed(name))
		return 0;
	if (tz_cached(root, name, now))
		return 1;
	r = tz_is_tzif(root, name);
	if (r == 1)
		tz_remember(root, name, now);
	if (r != 0)
		return r;
	/* Not found: tell a missing database apart from a missing zone. */
	if (strcmp(tz_cache.root, root) == 0 && tz_cache.db_until > now)
		return 0;
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
		return -ENOENT;
	if (tz_is_tzif(root, "UTC") != 1 && tz_is_tzif(root, "Etc/UTC") != 1)
		return -ENOENT;
	if (tz_cache_root(root))
		tz_cache.db_until = now + TZ_CACHE_MS;
	return 0;
}

/*
 * procmetrics.c - build_info and the Prometheus process_* series, read
 * from /proc at scrape time.
 */
#include "compat.h"

#include "procmetrics.h"

#include <dirent.h>
#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics.h"
#include "util.h"

#ifndef THURKUBE_VERSION
#define THURKUBE_VERSION "0.1.0-dev"
#endif
#ifndef THURKUBE_REVISION
#define THURKUBE_REVISION "unknown"
#endif

/* Both files are a few hundred bytes (/proc/stat grows with the CPU
 * count); anything past this is not the file we know. */
#define PROCMETRICS_MAX_FILE (1024u * 1024u)

/* Fields after the last ')' are numbered from 0 (field 3, the state), so
 * field N of proc(5) is token N - 3. */
enum { TOK_UTIME = 11, TOK_STIME = 12, TOK_STARTTIME = 19, TOK_VSIZE = 20, TOK_RSS = 21 };

int procmetrics_parse_stat(const char *buf, size_t len, struct procmetrics_stat *out)
{
	static const unsigned want[] = {TOK_UTIME, TOK_STIME, TOK_STARTTIME, TOK_VSIZE, TOK_RSS};
	uint64_t v[TK_ARRAY_LEN(want)] = {0};
	size_t i, close = len, got = 0;
	unsigned tok;

	for (i = len; i > 0; i--) {
		if (buf[i - 1] == ')') {
			close = i - 1;
			break;
		}
	}
	if (close == len || !memchr(buf, '(', close))
		return -EINVAL;
	i = close + 1;
	for (tok = 0; got < TK_ARRAY_LEN(want); tok++) {
		size_t start;
		int64_t x;

		if (i >= len || buf[i] != ' ')
			return -EINVAL;
		start = ++i;
		while (i < len && buf[i] != ' ' && buf[i] != '\n')
			i++;
		if (tok != want[got])
			continue;
		/* A number cut short by the end of the buffer is not a number. */
		if (i >= len || parse_i64n(buf + start, i - start, 0, INT64_MAX, &x) < 0)
			return -EINVAL;
		v[got++] = (uint64_t)x;
	}
	out->utime = v[0];
	out->stime = v[1];
	out->starttime = v[2];
	out->vsize = v[3];
	out->rss = v[4];
	return 0;
}

int procmetrics_parse_btime(const char *buf, size_t len, uint64_t *out)
{
	static const char key[] = "btime ";
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;

		if (end - i >= sizeof(key) - 1 && memcmp(buf + i, key, sizeof(key) - 1) == 0) {
			size_t v = i + sizeof(key) - 1;
			int64_t x;

			/* An unterminated line may have lost digits. */
			if (!nl || parse_i64n(buf + v, end - v, 0, INT64_MAX, &x) < 0)
				return -EINVAL;
			*out = (uint64_t)x;
			return 0;
		}
		i = end + 1;
	}
	return -ENOENT;
}

/* Entries of /proc/self/fd, not counting the one this listing holds. */
static int procmetrics_count_fds(uint64_t *out)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	uint64_t n = 0;
	int self;

	if (!d)
		return -errno;
	self = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		int64_t fd;

		if (e->d_name[0] == '.')
			continue;
		if (parse_i64n(e->d_name, strlen(e->d_name), 0, INT64_MAX, &fd) == 0 && fd == self)
			continue;
		n++;
	}
	closedir(d);
	*out = n;
	return 0;
}

static int procmetrics_read_file(const char *path, char **data, size_t *len)
{
	return read_file(path, PROCMETRICS_MAX_FILE, data, len);
}

int procmetrics_read(struct procmetrics *out)
{
	struct procmetrics_stat st = {0};
	struct rlimit rl = {0};
	char *stat = NULL, *sys = NULL;
	size_t stat_len = 0, sys_len = 0;
	uint64_t btime = 0, fds = 0;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	int r;

	if (tck <= 0 || page <= 0)
		return -EINVAL;
	r = procmetrics_read_file("/proc/self/stat", &stat, &stat_len);
	if (r == 0)
		r = procmetrics_parse_stat(stat, stat_len, &st);
	if (r == 0)
		r = procmetrics_read_file("/proc/stat", &sys, &sys_len);
	if (r == 0)
		r = procmetrics_parse_btime(sys, sys_len, &btime);
	if (r == 0)
		r = procmetrics_count_fds(&fds);
	if (r == 0 && getrlimit(RLIMIT_NOFILE, &rl) < 0)
		r = -errno;
	if (r < 0)
		goto out;
	out->cpu_seconds = (double)(st.utime + st.stime) / (double)tck;
	out->resident_bytes = (double)st.rss * (double)page;
	out->virtual_bytes = (double)st.vsize;
	out->open_fds = (double)fds;
	/* RLIM_INFINITY is the largest rlim_t; exported as is, like the Go client. */
	out->max_fds = (double)rl.rlim_cur;
	out->start_time_seconds = (double)btime + (double)st.starttime / (double)tck;
out:
	free(sys);
	free(stat);
	return r;
}

void procmetrics_sample(struct metrics *m)
{
	struct buf l = BUF_INIT(256);
	struct procmetrics p;

	if (!m)
		return;
	metrics_gauge_set(m, "thurkube_build_info",
	                  "A metric with a constant '1' value labeled by the version and the git "
	                  "revision thurkube was built from.",
	                  metrics_labels(&l, "version", THURKUBE_VERSION, "revision",
	                                 THURKUBE_REVISION, (const char *)NULL),
	                  1);
	buf_free(&l);
	if (procmetrics_read(&p) < 0)
		return;
	metrics_counter_set(m, "process_cpu_seconds_total",
	                    "Total user and system CPU time spent in seconds.", NULL,
	                    p.cpu_seconds);
	metrics_gauge_set(m, "process_resident_memory_bytes", "Resident memory size in bytes.",
	                  NULL, p.resident_bytes);
	metrics_gauge_set(m, "process_virtual_memory_bytes", "Virtual memory size in bytes.", NULL,
	                  p.virtual_bytes);
	metrics_gauge_set(m, "process_open_fds", "Number of open file descriptors.", NULL,
	                  p.open_fds);
	metrics_gauge_set(m, "process_max_fds", "Maximum number of open file descriptors.", NULL,
	                  p.max_fds);
	metrics_gauge_set(m, "process_start_time_seconds",
	                  "Start time of the process since unix epoch in seconds.", NULL,
	                  p.start_time_seconds);
}

/*
 * procmetrics.h - the series every thurkube binary exports about itself,
 * under the same names in both:
 *   thurkube_build_info{version,revision} 1   (gauge)
 *   process_cpu_seconds_total                 (counter)
 *   process_resident_memory_bytes             (gauge)
 *   process_virtual_memory_bytes              (gauge)
 *   process_open_fds                          (gauge)
 *   process_max_fds                           (gauge)
 *   process_start_time_seconds                (gauge, Unix time)
 * The process_* names, types and help texts are those of Prometheus'
 * client libraries, so existing dashboards and alerts apply unchanged.
 *
 * The parsers are pure (given file contents, no I/O) so hostile and
 * truncated input can be tested; procmetrics_read does the I/O on
 * /proc/self and procmetrics_sample feeds a registry at scrape time.
 */
#ifndef THURKUBE_PROCMETRICS_H
#define THURKUBE_PROCMETRICS_H

#include "compat.h"

#include <stddef.h>
#include <stdint.h>

struct metrics;

/* The fields of /proc/<pid>/stat we export, in the kernel's units. */
struct procmetrics_stat {
	uint64_t utime;     /* user CPU, clock ticks (field 14) */
	uint64_t stime;     /* system CPU, clock ticks (field 15) */
	uint64_t starttime; /* clock ticks after boot (field 22) */
	uint64_t vsize;     /* virtual memory, bytes (field 23) */
	uint64_t rss;       /* resident set, pages (field 24) */
};

/*
 * Parse the contents of /proc/<pid>/stat (buf, len; no terminator needed).
 * The command name may hold spaces and ')', so fields are counted from the
 * last ')' as the kernel documents. Returns 0 and *out; -EINVAL when the
 * line has no "(comm)", is truncated before field 24, or a needed field is
 * not a non-negative decimal; *out is untouched on failure.
 */
int procmetrics_parse_stat(const char *buf, size_t len, struct procmetrics_stat *out) TK_MUST_CHECK;

/*
 * Find the boot time ("btime <seconds>" line) in the contents of
 * /proc/stat. Returns 0 and *out (Unix seconds); -ENOENT when there is no
 * btime line, -EINVAL when its value is not a non-negative decimal; *out is
 * untouched on failure.
 */
int procmetrics_parse_btime(const char *buf, size_t len, uint64_t *out) TK_MUST_CHECK;

/* The process_* values, in the units Prometheus expects. */
struct procmetrics {
	double cpu_seconds;        /* utime + stime */
	double resident_bytes;     /* rss pages x page size */
	double virtual_bytes;      /* vsize */
	double open_fds;           /* entries of /proc/self/fd */
	double max_fds;            /* RLIMIT_NOFILE soft limit */
	double start_time_seconds; /* btime + starttime / CLK_TCK */
};

/*
 * Read this process's values from /proc/self/stat, /proc/stat,
 * /proc/self/fd and getrlimit. Returns 0 and *out; -errno when a file
 * cannot be read, -EINVAL when one does not parse; *out is untouched on
 * failure (all or nothing).
 */
int procmetrics_read(struct procmetrics *out) TK_MUST_CHECK;

/*
 * Set thurkube_build_info (version and revision compiled in) and, when
 * procmetrics_read succeeds, every process_* series in m. Meant for a
 * health server's sample callback; like every metrics update it never
 * fails visibly (an unreadable /proc leaves the process_* series at their
 * last values, or absent). m is borrowed for the call; NULL does nothing.
 */
void procmetrics_sample(struct metrics *m);

#endif

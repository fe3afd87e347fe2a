/*
 * cron.h - standard 5-field cron expressions, as the Kubernetes CronJob
 * controller accepts them (robfig/cron standard parser): minute hour
 * day-of-month month day-of-week; lists (a,b), ranges (a-b), steps (*\/n,
 * a-b/n, a/n), `*` and `?`, month names JAN-DEC and day names SUN-SAT
 * (case-insensitive), day-of-week 0-7 (7 = Sunday), and the macros
 * @yearly @annually @monthly @weekly @daily @midnight @hourly.
 * `TZ=` and `CRON_TZ=` prefixes are rejected (spec.timezone exists for that).
 * Pure: (buf, len) in, result out.
 */
#ifndef THURKUBE_CRON_H
#define THURKUBE_CRON_H

#include "compat.h"

#include <stdint.h>
#include <time.h>

#include "util.h"

struct cron_expr {
	uint64_t minute;  /* bit n set: minute n (0-59) */
	uint32_t hour;    /* 0-23 */
	uint32_t dom;     /* 1-31 */
	uint16_t month;   /* 1-12 */
	uint8_t dow;      /* 0-6, Sunday = 0 */
	uint8_t dom_star; /* day-of-month field was '*' or '?' */
	uint8_t dow_star; /* day-of-week field was '*' or '?' */
};

/*
 * Parse (s, len). Returns 0 and fills *out, or -EINVAL and writes the
 * reason into why (replacing its contents) in the API server's style,
 * lowercase, e.g. "minute must be 0-59", "expected exactly 5 fields, found 6",
 * "TZ= prefixes are not supported: use spec.timezone".
 */
int cron_parse(const char *s, size_t len, struct cron_expr *out, struct buf *why) TK_MUST_CHECK;

/* The first minute strictly after t (UTC seconds, evaluated in UTC) that
 * matches e, searching at most 5 years. 0 or -ERANGE. */
int cron_next(const struct cron_expr *e, time_t t, time_t *out) TK_MUST_CHECK;

#endif

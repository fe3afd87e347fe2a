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
 * Parse (s, len) (not NUL-terminated; surrounding whitespace ignored, fields
 * separated by any whitespace). Returns 0 and fills *out, or -EINVAL with
 * *out untouched and, when why is non-NULL, the reason written into it
 * (replacing its contents) in the API server's style, lowercase:
 *   "must not be empty", "must be no more than 256 characters",
 *   "expected exactly 5 fields, found 6",
 *   "minute must be 0-59", "hour must be 0-23", "day of month must be 1-31",
 *   "month must be 1-12", "day of week must be 0-7",
 *   "minute must be a number, got \"x\"", "unknown month name \"foo\"",
 *   "unknown day of week name \"foo\"",
 *   "hour: range start must not exceed its end",
 *   "minute: step must be a positive number",
 *   "minute must not have an empty value" (as in "1,,2" or "5-"),
 *   "TZ= and CRON_TZ= prefixes are not supported: use spec.timezone",
 *   "@every is not supported by CronJob schedules", "unknown macro \"@x\"...".
 * Quoted input in reasons is cut and made printable.
 */
int cron_parse(const char *s, size_t len, struct cron_expr *out, struct buf *why) TK_MUST_CHECK;

/*
 * The first minute strictly after t (UTC seconds, evaluated in UTC) that
 * matches e, searching at most 5 years ahead. When both day fields are
 * restricted a day matching either one matches (dom OR dow); when either
 * is '*' or '?' both must match. 0 and *out, or -ERANGE (nothing within
 * 5 years, e.g. "0 0 30 2 *", or t outside years 1-9999).
 */
int cron_next(const struct cron_expr *e, time_t t, time_t *out) TK_MUST_CHECK;

#endif

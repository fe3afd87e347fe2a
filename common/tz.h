/*
 * tz.h - IANA timezone names, checked against the tz database on disk
 * ($ZONEINFO, else /usr/share/zoneinfo), the way the CronJob controller
 * loads spec.timeZone.
 */
#ifndef THURKUBE_TZ_H
#define THURKUBE_TZ_H

#include "compat.h"

/*
 * 1 when name is a valid zone (a TZif file under the database root),
 * 0 when it is not (including names with "..", a leading '/', or "Local"),
 * -ENOENT when the tz database itself is missing (say so: "tz database
 * not found at /usr/share/zoneinfo; install tzdata").
 */
int tz_exists(const char *name) TK_MUST_CHECK;
/* The database root in use (borrowed). */
const char *tz_root(void);

#endif

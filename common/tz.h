/*
 * tz.h - IANA timezone names, checked against the tz database on disk
 * ($ZONEINFO, else /usr/share/zoneinfo), the way the CronJob controller
 * loads spec.timeZone.
 */
#ifndef THURKUBE_TZ_H
#define THURKUBE_TZ_H

#include "compat.h"

/*
 * 1 when name is a valid zone (a regular file under the database root
 * that starts with the "TZif" magic), 0 when it is not (including NULL,
 * "", names containing "..", a leading '/' or '\\', "Local" in any case,
 * directories such as "America"), -ENOENT when the tz database itself is
 * missing: the root is no directory, or holds neither UTC nor Etc/UTC
 * (callers say so: "tz database not found at <tz_root()>; install
 * tzdata"). Reads the disk, except that each thread remembers for a
 * minute the zones it found and that the root is a database (keyed by the
 * root, so a changed $ZONEINFO applies at once); what was not found is
 * never remembered.
 */
int tz_exists(const char *name) TK_MUST_CHECK;
/* Forget the zones this thread remembered (tests that remove a database). */
void tz_forget(void);
/* The database root in use: $ZONEINFO when set and non-empty, else
 * /usr/share/zoneinfo. Borrowed (the environment's storage or a literal);
 * valid until the environment changes. */
const char *tz_root(void);

#endif

/*
 * lease.h - the pure core of leader election on a coordination.k8s.io/v1
 * Lease, after client-go's leaderelection package.
 *
 * The decision of one attempt is a pure function of the observed Lease,
 * our identity and the clocks (lease_decide); the Lease bodies are built
 * by pure functions too (lease_build*). The elector (leader.h) only does
 * the I/O around them on its own thread.
 *
 * Expiry is judged from the Lease's renewTime + leaseDurationSeconds
 * against our wall clock (replicas run on NTP-synced nodes), with
 * client-go's local-observation rule as the fallback when renewTime is
 * missing or unreadable. Writes use the observed resourceVersion, so of
 * two candidates racing for an expired lease only one PUT succeeds (the
 * other gets 409 and stays standby).
 */
#ifndef THURKUBE_LEASE_H
#define THURKUBE_LEASE_H

#include "compat.h"

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

enum lease_action {
	LEASE_STANDBY = 0, /* someone else holds a valid lease */
	LEASE_CREATE,      /* no Lease: create it holding it */
	LEASE_ACQUIRE,     /* free or expired: take it over (transitions + 1) */
	LEASE_RENEW,       /* ours: renew it */
	LEASE_LOST,        /* we led and can no longer: stop writing now */
};

const char *lease_action_name(enum lease_action a);

/* What we know of the Lease. */
struct lease_record {
	bool exists;
	const char *holder;  /* borrowed; NULL or "" = nobody */
	int64_t duration_s;  /* leaseDurationSeconds */
	int64_t renew_ms;    /* renewTime, ms since the epoch; -1 when unknown */
	int64_t observed_ms; /* wall ms when we first saw this holder+renewTime */
	int64_t transitions; /* leaseTransitions */
};

struct lease_clock {
	int64_t now_ms;            /* wall clock, ms since the epoch */
	bool leading;              /* we currently act as leader */
	int64_t since_renew_ms;    /* ms since our last successful renew (when leading) */
	int64_t renew_deadline_ms; /* --renew-deadline */
};

/*
 * Pure: the action of one attempt.
 *  - leading and no successful renew for more than the deadline -> LOST
 *  - no Lease -> CREATE; held by identity -> RENEW
 *  - no holder, or renewTime + duration < now -> ACQUIRE
 *  - held by another and still valid -> LOST when we were leading
 *    (it was taken from us), else STANDBY
 */
enum lease_action lease_decide(const struct lease_record *rec, const char *identity,
                               const struct lease_clock *clk);

/*
 * Pure: read the Lease object lease (borrowed) into rec; rec->holder
 * borrows from lease. observed_ms is left to the caller. 0 or -EINVAL.
 */
int lease_parse(json_object *lease, struct lease_record *rec) TK_MUST_CHECK;

/* MicroTime "2006-01-02T15:04:05.000000Z" of wall ms into out. */
void lease_format_microtime(int64_t wall_ms, char out[40]);
/* Parse a MicroTime/RFC 3339 time to wall ms. 0 or -EINVAL. */
int lease_parse_microtime(const char *s, int64_t *out) TK_MUST_CHECK;

/*
 * Pure: the Lease body that carries out action (CREATE, ACQUIRE or
 * RENEW) at now_ms. observed (borrowed) is the fetched Lease for ACQUIRE
 * and RENEW (its metadata, with resourceVersion, is kept), ignored for
 * CREATE. Returns a new object or NULL (out of memory, bad action).
 */
json_object *lease_build(enum lease_action action, json_object *observed, const char *ns,
                         const char *name, const char *identity, int64_t now_ms, int duration_s);
/* Pure: the release body (client-go ReleaseOnCancel): holderIdentity "",
 * leaseDurationSeconds 1, times now, transitions kept. New object or NULL. */
json_object *lease_build_release(json_object *observed, int64_t now_ms);

/* Wall-clock milliseconds since the epoch. */
int64_t lease_wall_ms(void);

#endif

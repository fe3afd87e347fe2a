/*
 * leader.h - leader election on a coordination.k8s.io/v1 Lease, after
 * client-go's leaderelection package.
 *
 * The decision of one attempt is a pure function of the observed Lease,
 * our identity and the clocks (leader_decide); the Lease bodies are built
 * by pure functions too (leader_build_*). The elector (leader_new ..
 * leader_release) only does the I/O around them on its own thread.
 *
 * Expiry is judged from the Lease's renewTime + leaseDurationSeconds
 * against our wall clock (replicas run on NTP-synced nodes), with
 * client-go's local-observation rule as the fallback when renewTime is
 * missing or unreadable. Writes use the observed resourceVersion, so of
 * two candidates racing for an expired lease only one PUT succeeds (the
 * other gets 409 and stays standby).
 */
#ifndef THURKUBE_LEADER_H
#define THURKUBE_LEADER_H

#include "compat.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "kube.h"

#define LEADER_LEASE_NAME "thurkube-controller"

enum leader_action {
	LEADER_STANDBY = 0, /* someone else holds a valid lease */
	LEADER_CREATE,      /* no Lease: create it holding it */
	LEADER_ACQUIRE,     /* free or expired: take it over (transitions + 1) */
	LEADER_RENEW,       /* ours: renew it */
	LEADER_LOST,        /* we led and can no longer: stop writing now */
};

const char *leader_action_name(enum leader_action a);

/* What we know of the Lease. */
struct leader_record {
	bool exists;
	const char *holder;  /* borrowed; NULL or "" = nobody */
	int64_t duration_s;  /* leaseDurationSeconds */
	int64_t renew_ms;    /* renewTime, ms since the epoch; -1 when unknown */
	int64_t observed_ms; /* wall ms when we first saw this holder+renewTime */
	int64_t transitions; /* leaseTransitions */
};

struct leader_clock {
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
enum leader_action leader_decide(const struct leader_record *rec, const char *identity,
                                 const struct leader_clock *clk);

/*
 * Pure: read the Lease object lease (borrowed) into rec; rec->holder
 * borrows from lease. observed_ms is left to the caller. 0 or -EINVAL.
 */
int leader_parse(json_object *lease, struct leader_record *rec) TK_MUST_CHECK;

/* MicroTime "2006-01-02T15:04:05.000000Z" of wall ms into out. */
void leader_format_microtime(int64_t wall_ms, char out[40]);
/* Parse a MicroTime/RFC 3339 time to wall ms. 0 or -EINVAL. */
int leader_parse_microtime(const char *s, int64_t *out) TK_MUST_CHECK;

/*
 * Pure: the Lease body that carries out action (CREATE, ACQUIRE or
 * RENEW) at now_ms. observed (borrowed) is the fetched Lease for ACQUIRE
 * and RENEW (its metadata, with resourceVersion, is kept), ignored for
 * CREATE. Returns a new object or NULL (out of memory, bad action).
 */
json_object *leader_build(enum leader_action action, json_object *observed, const char *ns,
                          const char *identity, int64_t now_ms, int duration_s);
/* Pure: the release body (client-go ReleaseOnCancel): holderIdentity "",
 * leaseDurationSeconds 1, times now, transitions kept. New object or NULL. */
json_object *leader_build_release(json_object *observed, int64_t now_ms);

/* Wall-clock milliseconds since the epoch. */
int64_t leader_wall_ms(void);

struct leader;

struct leader_opts {
	struct kube_client *kube; /* borrowed; its timeout should be <= renew deadline / 2 */
	const char *ns;           /* the Lease's namespace */
	const char *identity;
	int lease_duration_s, renew_deadline_s, retry_period_s;
	atomic_int *leading; /* set to 1 on acquiring, 0 at once on losing */
};

/* New elector (copies the strings it needs). 0 and *out, or -ENOMEM/-EINVAL. */
int leader_new(const struct leader_opts *o, struct leader **out) TK_MUST_CHECK;
/* Run the election loop on a new thread. 0 or -errno. */
int leader_start(struct leader *le) TK_MUST_CHECK;
/* Stop the loop and join its thread (no release). */
void leader_stop(struct leader *le);
/* True once leadership was lost (the process must exit non-zero). */
bool leader_lost(struct leader *le);
/* Milliseconds since the last successful acquire/renew; -1 when never. */
int64_t leader_ms_since_renew(struct leader *le);
/*
 * After leader_stop and only once all leader work has stopped: give the
 * Lease up so a standby takes over within a retry period (retries on
 * 409 a few times). 0 when released or not ours, else a negative errno.
 */
int leader_release(struct leader *le) TK_MUST_CHECK;
void leader_free(struct leader *le);

#endif

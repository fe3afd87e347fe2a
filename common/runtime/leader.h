/*
 * leader.h - the elector: one thread that takes and renews the Lease
 * whose decisions lease.h computes (client-go's leaderelection loop).
 */
#ifndef THURKUBE_LEADER_H
#define THURKUBE_LEADER_H

#include "compat.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kube.h"
#include "runtime/lease.h"

struct leader;

struct leader_opts {
	struct kube_client *kube; /* borrowed; its timeout should be <= renew deadline / 2 */
	const char *ns;           /* the Lease's namespace */
	const char *name;         /* the Lease's name */
	const char *identity;
	int lease_duration_s, renew_deadline_s, retry_period_s;
	atomic_int *leading; /* set to 1 on acquiring, 0 at once on losing */
	/* Called on the elector's thread after leading turned on or off and
	 * when leadership is lost (leader_lost); may be NULL. */
	void (*on_change)(void *ud);
	void *ud;
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

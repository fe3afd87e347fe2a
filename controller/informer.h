/*
 * informer.h - list-then-watch of one resource into its store, one thread
 * per resource (client-go reflector behaviour, SPEC 3.1):
 *
 *  - LIST (paged by the kube client), replace the store, route every
 *    object (and every vanished one, as a delete) to the work queue via
 *    ctl_handle_event; the informer is "synced" after its first list.
 *  - WATCH from the list's resourceVersion with bookmarks and a random
 *    timeoutSeconds in [300, 600]; a normal end re-watches from the last
 *    resourceVersion seen, 410 Gone (-ESTALE) relists, other errors back
 *    off 800 ms doubling to 30 s with full jitter, reset after two
 *    healthy minutes. A watch that ends within a second without an event
 *    counts as an error.
 *  - Children are listed and watched with app.kubernetes.io/managed-by=thurkube.
 *    Namespaced children are cached and routed only when ctl_child_owner
 *    names their AgentJob (a store filter): a labelled object someone else
 *    made costs the parsing of its event, and a child that loses its
 *    controller reference leaves the store as a delete. Cluster-scoped
 *    children are all cached (only cluster admins can create them).
 *  - The orphan sweep (c->sweep, sweep.h) is requested after each list of
 *    AgentJobs, ClusterAccesses, ClusterRoles and ClusterRoleBindings and
 *    told of every watch event (sweep_notify).
 */
#ifndef THURKUBE_INFORMER_H
#define THURKUBE_INFORMER_H

#include "compat.h"

#include <stdbool.h>
#include <stdint.h>

#include "ctl.h"

#define INFORMER_BACKOFF_INITIAL_MS 800
#define INFORMER_BACKOFF_MAX_MS     30000
#define INFORMER_BACKOFF_RESET_MS   120000
#define INFORMER_WATCH_MIN_S        300
#define INFORMER_WATCH_MAX_S        600

struct informer;

/* New informer of resource r feeding c->stores[r] (must exist) and
 * c->queue. c is borrowed for the informer's life. 0, -EINVAL or -ENOMEM. */
int informer_new(struct ctl *c, enum ctl_res r, struct informer **out) TK_MUST_CHECK;
/* Start its thread. 0 or a negative errno. */
int informer_start(struct informer *inf) TK_MUST_CHECK;
/* Ask the thread to stop (returns at once; a watch notices within 1 s). */
void informer_stop(struct informer *inf);
/* Wait for the thread to end (after informer_stop). */
void informer_join(struct informer *inf);
void informer_free(struct informer *inf);

/* True once the first list has filled the store. */
bool informer_synced(const struct informer *inf);

/* Pure: the reflector's next backoff after a failure with current delay
 * cur_ms (0 = first failure): 800 ms, then doubling, capped at 30 s. */
int64_t informer_next_backoff(int64_t cur_ms);

#endif

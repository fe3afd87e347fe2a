/*
 * informer.h - list-then-watch of one resource into its store, one thread
 * per resource (client-go reflector behaviour, SPEC 3.1). It knows no
 * kind: the caller names the collection and hears of every change
 * through a callback.
 *
 *  - LIST (paged by the kube client), replace the store, then call
 *    on_event for every listed object the store keeps and, as deleted, for
 *    every cached object that vanished; then on_listed. The informer is
 *    "synced" after its first complete list.
 *  - WATCH from the list's resourceVersion with bookmarks and a random
 *    timeoutSeconds in [300, 600]; a normal end re-watches from the last
 *    resourceVersion seen, 410 Gone (-ESTALE) relists, other errors back
 *    off 800 ms doubling to 30 s with full jitter, reset after two
 *    healthy minutes. A watch that ends within a second without an event
 *    counts as an error.
 *  - An ADDED/MODIFIED event is cached and passed on; one the store's
 *    filter refuses (store_set_filter) is not cached, and what was cached
 *    under its name is passed on as deleted. DELETED events are uncached
 *    and passed on.
 *  - An event on_event answers -ENOMEM for is not acknowledged: the watch
 *    ends without advancing its resourceVersion and the event comes again
 *    (after a list, the informer lists again).
 */
#ifndef THURKUBE_INFORMER_H
#define THURKUBE_INFORMER_H

#include "compat.h"

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "kube.h"
#include "metrics.h"
#include "runtime/store.h"

#define INFORMER_BACKOFF_INITIAL_MS 800
#define INFORMER_BACKOFF_MAX_MS     30000
#define INFORMER_BACKOFF_RESET_MS   120000
#define INFORMER_WATCH_MIN_S        300
#define INFORMER_WATCH_MAX_S        600

/* Where a change was seen: in a list, or in a watch event. */
enum informer_source { INFORMER_LISTED, INFORMER_WATCHED };

struct informer_opts {
	struct kube_client *kube;    /* borrowed */
	const char *group, *version; /* group "" for core */
	const char *plural;          /* also the "resource" of logs and metrics */
	const char *selector;        /* label selector, or NULL */
	struct store *store;         /* borrowed; filled by the informer */
	struct metrics *metrics;     /* borrowed, may be NULL */
	const char *metrics_prefix;  /* e.g. "thurkube_controller" */
	/* Every change, on the informer's thread: obj is borrowed (the new
	 * state, or the last state when deleted). 0, or -ENOMEM to have the
	 * event come again; other errors are logged by the informer. NULL:
	 * the store is all the caller needs. */
	int (*on_event)(void *ud, json_object *obj, bool deleted, enum informer_source src);
	/* After each complete list, once on_event saw every object; may be NULL. */
	void (*on_listed)(void *ud);
	/* After the first complete list; may be NULL. */
	void (*on_synced)(void *ud);
	void *ud;
};

struct informer;

/* New informer (copies the strings it needs). 0 and *out, -EINVAL or -ENOMEM. */
int informer_new(const struct informer_opts *o, struct informer **out) TK_MUST_CHECK;
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

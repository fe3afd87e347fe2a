/*
 * cache.h - the webhook's watch caches: one informer and store
 * (common/runtime/) per thurkube kind, so the cluster checks read the
 * references an AgentJob names and the AgentJobs that name an object
 * without an API request (issue 15).
 *
 * Every kind is listed and watched cluster-wide once; each object is
 * trimmed on the way in (cache_trim). cache_synced is true once every kind has been
 * listed, and the webhook's /readyz waits for it. A reader gets a private
 * copy. What the cache holds lags the API server by the watch delay
 * (milliseconds when healthy): access.h says what each check does about
 * that.
 */
#ifndef THURKUBE_CACHE_H
#define THURKUBE_CACHE_H

#include "compat.h"

#include <stdbool.h>

#include <json-c/json.h>

#include "kube.h"
#include "metrics.h"
#include "runtime/store.h"
#include "schema.h"

struct cache;

/*
 * Start one informer per kind on kube (borrowed until cache_free).
 * Watch restarts are counted in metrics (may be NULL) as
 * thurkube_webhook_watch_restarts_total. 0 and *out, or -ENOMEM or a
 * pthread error (nothing is left running).
 */
int cache_start(struct kube_client *kube, struct metrics *metrics,
                struct cache **out) TK_MUST_CHECK;
/* True once every kind has been listed. NULL: false. */
bool cache_synced(const struct cache *c);
/*
 * Read the cached object of kind k ns/name in place (store_read: fn only
 * reads it, under the store's lock); -ENOENT when absent or k is not a
 * kind. Meaningful once synced.
 */
int cache_read(struct cache *c, enum tk_kind k, const char *ns, const char *name, store_read_fn fn,
               void *ud);
/* Whether kind k ns/name is cached (copies nothing). Meaningful once synced. */
bool cache_has(struct cache *c, enum tk_kind k, const char *ns, const char *name);
/* Every cached object of kind k in ns, a new JSON array; NULL on OOM. */
json_object *cache_list(struct cache *c, enum tk_kind k, const char *ns);
/*
 * What is kept of each object, in place: apiVersion, kind, spec, and of
 * metadata only name, namespace, uid and resourceVersion (the checks read
 * nothing else; status and annotations, kubectl's last-applied copy
 * included, would double the memory). Pure.
 */
void cache_trim(json_object *obj);
/* Stop the informers, wait for their threads, free. NULL is fine. */
void cache_free(struct cache *c);

#endif

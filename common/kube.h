/*
 * kube.h - a small Kubernetes API client over libcurl + json-c.
 *
 * Configuration comes from a kubeconfig or the in-cluster service account
 * (kubecfg.h). A kube_client is safe to use from several threads at once,
 * so workers and watches share it: DNS cache and TLS sessions live in a
 * locked curl share handle, and each call borrows an easy handle from a
 * small pool (idle handles keep their connections for reuse; libcurl does
 * not support sharing one connection cache between concurrent threads).
 * json_object bodies passed in are serialised by json-c, which caches the
 * text inside the object: do not pass the same body object from two
 * threads at once.
 *
 * Errors: every call returns 0 or a negative errno, and fills the caller's
 * struct kube_status (when non-NULL) with the HTTP code and the API
 * server's Status reason/message:
 *   400 -EINVAL   401 -EPERM   403 -EACCES   404 -ENOENT
 *   409 AlreadyExists -EEXIST, other 409 (Conflict) -EBUSY
 *   410 Gone/Expired -ESTALE   413 -E2BIG    422 -EINVAL   429 -EAGAIN
 *   5xx -EIO   timeout -ETIMEDOUT   connection/TLS failure -ECONNREFUSED
 *   body over a named limit -E2BIG   bad JSON from the server -EPROTO
 * Other 4xx map to -EINVAL, unexpected 1xx/3xx to -EPROTO. On a 401 the
 * token file (if any) is re-read and the request retried once.
 * No token or key material is ever logged or placed in a status message.
 */
#ifndef THURKUBE_KUBE_H
#define THURKUBE_KUBE_H

#include "compat.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "util.h"

struct kube_config; /* opaque; kubecfg.h */
struct kube_client; /* opaque */

/*
 * The API server's answer, for logs and conditions. Its strings are
 * bounded copies: a reason or message that does not fit is cut, and then
 * truncated is set and the cut text ends in KUBE_STATUS_CUT, so a cut is
 * always visible to the caller and to whoever reads the text.
 */
#define KUBE_STATUS_CUT "...(truncated)"
struct kube_status {
	long http_code;     /* 0 when no HTTP answer */
	char reason[64];    /* Status.reason, e.g. "NotFound", "" when none */
	char message[1024]; /* Status.message or a transport error */
	bool truncated;     /* reason or message was cut (see above) */
};

/*
 * Create a client. cfg is borrowed for the client's lifetime. user_agent
 * e.g. "thurkube-controller/0.1.0". timeout_ms bounds every non-watch
 * request. Returns 0 and *out, or -ENOMEM / -EINVAL.
 */
int kube_client_new(struct kube_config *cfg, const char *user_agent, long timeout_ms,
                    struct kube_client **out) TK_MUST_CHECK;
void kube_client_free(struct kube_client *c);

/*
 * Items asked for per LIST page, 1..TK_LIST_PAGE_SIZE (the default). For
 * tests that exercise paging without thousands of objects. Call before
 * the client is shared. 0 or -EINVAL.
 */
int kube_client_set_list_page_size(struct kube_client *c, size_t n) TK_MUST_CHECK;

/*
 * Append an API path to out:
 *   group ""  -> /api/<version>[/namespaces/<ns>]/<plural>[/<name>[/<sub>]]
 *   otherwise -> /apis/<group>/<version>[/namespaces/<ns>]/<plural>[/<name>[/<sub>]]
 * ns, name and sub may be NULL. Names are URL-escaped.
 */
int kube_path(struct buf *out, const char *group, const char *version, const char *ns,
              const char *plural, const char *name, const char *sub) TK_MUST_CHECK;

/* GET path. *out is a new reference on success. */
int kube_get(struct kube_client *c, const char *path, json_object **out,
             struct kube_status *st) TK_MUST_CHECK;

/*
 * LIST path (a collection), following `continue` across pages of
 * TK_LIST_PAGE_SIZE. label_selector may be NULL. On success *items is a new
 * reference to a JSON array of all items and *resource_version (owned) the
 * list's resourceVersion to start a watch from.
 */
int kube_list(struct kube_client *c, const char *path, const char *label_selector,
              json_object **items, char **resource_version, struct kube_status *st) TK_MUST_CHECK;

/*
 * kube_list a page at a time: fn gets each page's items (a JSON array,
 * borrowed for the call; take references to keep any) and answers 0 to
 * go on or a negative errno, which ends the list with that error. So a
 * cache can be filled without ever holding the whole list. All pages are
 * one snapshot; *resource_version (owned) is set on success only.
 */
typedef int (*kube_page_fn)(json_object *items, void *ud);
int kube_list_pages(struct kube_client *c, const char *path, const char *label_selector,
                    kube_page_fn fn, void *ud, char **resource_version,
                    struct kube_status *st) TK_MUST_CHECK;

/* POST body (borrowed) to a collection path. *out (may be NULL) new ref. */
int kube_create(struct kube_client *c, const char *path, json_object *body, json_object **out,
                struct kube_status *st) TK_MUST_CHECK;

/* PUT body (borrowed) to an object path; resourceVersion in body gives
 * optimistic concurrency (-EBUSY on conflict). */
int kube_update(struct kube_client *c, const char *path, json_object *body, json_object **out,
                struct kube_status *st) TK_MUST_CHECK;

/*
 * DELETE an object path. propagation: NULL, "Foreground", "Background" or
 * "Orphan". precondition_uid / precondition_rv: NULL or the values that
 * must match. A missing object is -ENOENT.
 */
int kube_delete(struct kube_client *c, const char *path, const char *propagation,
                const char *precondition_uid, const char *precondition_rv,
                struct kube_status *st) TK_MUST_CHECK;

/* PATCH with application/merge-patch+json. */
int kube_patch_merge(struct kube_client *c, const char *path, json_object *patch, json_object **out,
                     struct kube_status *st) TK_MUST_CHECK;

/*
 * Server-side apply: PATCH path (an object path, or .../status) with
 * application/apply-patch+yaml (JSON is valid YAML), ?fieldManager=<fm>
 * and &force=true when force. obj borrowed; *out (may be NULL) new ref.
 */
int kube_apply(struct kube_client *c, const char *path, json_object *obj, const char *field_manager,
               bool force, json_object **out, struct kube_status *st) TK_MUST_CHECK;

/*
 * Watch a collection path from resource_version (may be NULL) with
 * allowWatchBookmarks=true and timeoutSeconds=timeout_s, blocking until
 * the stream ends, the callback returns non-zero, or *stop becomes
 * non-zero (checked at least once a second). Each complete event line is
 * decoded and passed to cb with type "ADDED"|"MODIFIED"|"DELETED"|
 * "BOOKMARK" and the object (borrowed for the call). The latest
 * resourceVersion seen (from objects and bookmarks) is kept in *rv
 * (owned; replaced as it advances, and only after the callback accepted
 * the event, so a re-watch from *rv redelivers an aborted event).
 * timeout_s 0 lets the server pick its default (30-60 min). There is no
 * overall request timeout; instead a stream silent for timeout_s + 30 s
 * (3600 + 30 s when 0) is presumed dead (-ETIMEDOUT).
 * Returns 0 when the server closed the stream normally, -ESTALE on 410 or
 * an ERROR event with code 410 (relist needed), -E2BIG for a line over
 * TK_MAX_WATCH_LINE, -ECANCELED when *stop was set, the callback's value
 * if it aborted, -EPROTO for an undecodable event, else an errno as above
 * (an ERROR event with another code maps like an HTTP answer). st gets
 * the Status of an ERROR event or error answer.
 */
typedef int (*kube_watch_cb)(void *ud, const char *type, json_object *obj);
int kube_watch(struct kube_client *c, const char *path, const char *label_selector, char **rv,
               int timeout_s, const atomic_int *stop, kube_watch_cb cb, void *ud,
               struct kube_status *st) TK_MUST_CHECK;

/* Counters for /metrics: requests by verb and code, in a callback form so
 * the metrics module stays independent. Called after every request (from
 * the calling thread) with verb GET, LIST (once per page), CREATE, UPDATE,
 * PATCH, APPLY, DELETE or WATCH, and http_code 0 when no answer came. Set
 * it before the client is shared. */
typedef void (*kube_observe_cb)(void *ud, const char *verb, long http_code, double seconds);
void kube_client_set_observer(struct kube_client *c, kube_observe_cb cb, void *ud);

#endif

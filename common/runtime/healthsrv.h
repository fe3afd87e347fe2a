/*
 * healthsrv.h - the plain-HTTP probe and metrics port both binaries serve:
 *   /healthz  always 200 "ok\n" (the process answers)
 *   /readyz   200 "ok\n" when ready(ud), else 503 with not_ready_text
 *   /metrics  sample(ud), then the registry in Prometheus text format
 *             (0.0.4); 404 when there is no registry, 500 when the
 *             rendering fails or exceeds metrics_max
 * Every answer carries Connection: close and Cache-Control: no-store; any
 * other path is CivetWeb's 404. It knows no kind and no binary: readiness
 * and sampling are the caller's callbacks, called from CivetWeb's worker
 * threads (so they must be thread-safe). CivetWeb's own messages go to
 * the log as JSON lines, never raw to stderr.
 */
#ifndef THURKUBE_RUNTIME_HEALTHSRV_H
#define THURKUBE_RUNTIME_HEALTHSRV_H

#include "compat.h"

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct metrics;
struct healthsrv; /* opaque */

struct healthsrv_opts {
	const char *address; /* listen address; NULL or "" = all addresses */
	int port;            /* 1..65535 */
	int threads;         /* CivetWeb workers, e.g. 2..4 */
	/* /readyz: 200 "ok" when ready(ud), else 503 with not_ready_text
	 * (e.g. "caches not synced\n"); ready NULL = always ready. */
	bool (*ready)(void *ud);
	const char *not_ready_text;
	/* Called before rendering /metrics (refresh sampled gauges); may be NULL. */
	void (*sample)(void *ud);
	struct metrics *metrics; /* borrowed; rendered on /metrics; NULL = 404 */
	size_t metrics_max;      /* bound on the rendered body */
	void *ud;
};

/*
 * Start listening and serving. o is copied; its strings, metrics and ud
 * are borrowed until healthsrv_stop. Returns 0 and *out (owned, release
 * with healthsrv_stop); -EINVAL (bad opts), -EADDRINUSE (cannot listen),
 * -ENOMEM; err (may be NULL) gets one line. *out is untouched on failure.
 */
int healthsrv_start(const struct healthsrv_opts *o, struct healthsrv **out,
                    struct buf *err) TK_MUST_CHECK;
/* Stop serving (each worker finishes its answer first) and free; NULL is fine. */
void healthsrv_stop(struct healthsrv *h);

struct mg_context;
/*
 * Make a CivetWeb server skip its password files. Unless an authorization
 * handler covers the URI, CivetWeb looks for a ".htpasswd" beside the
 * path it maps the URI to, "/.htpasswd" without a document root: a stat
 * per request and, if such a file exists, 401 to every request (probes
 * failing, every admission refused). Both servers authenticate peers with
 * TLS, if at all, so every request is let through to its handler.
 * healthsrv_start does it for its own server.
 */
void healthsrv_no_password_files(struct mg_context *ctx);

#endif

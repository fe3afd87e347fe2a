/* health.c - probes and metrics endpoint. */
#include "compat.h"

#include "health.h"

#include <errno.h>
#include <pthread.h>

#include <civetweb.h>

#include "queue.h"
#include "store.h"
#include "util.h"

struct health {
	struct mg_context *mg;
	struct ctl *c;
	struct informer *const *informers;
	size_t n;
	pthread_mutex_t lock; /* guards the counters below */
	uint64_t seen_adds, seen_retries;
};

bool health_ready(struct health *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (!informer_synced(h->informers[i]))
			return false;
	return true;
}

void health_sample(struct health *h)
{
	struct metrics *m = h->c->metrics;
	struct buf l = BUF_INIT(256);
	struct queue_stats qs = {0};
	int r;

	if (!m)
		return;
	metrics_gauge_set(m, "thurkube_controller_leader",
	                  "1 while this replica holds the leader lease, else 0.", NULL,
	                  ctl_may_write(h->c) ? 1 : 0);
	for (r = 0; r < RES_COUNT; r++) {
		if (!h->c->stores[r])
			continue;
		metrics_gauge_set(
		    m, "thurkube_controller_cache_objects", "Objects cached per resource.",
		    metrics_labels(&l, "resource", ctl_res_info(r)->plural, (const char *)NULL),
		    (double)store_len(h->c->stores[r]));
	}
	if (h->c->queue) {
		queue_stats(h->c->queue, &qs);
		metrics_gauge_set(m, "thurkube_controller_workqueue_depth",
		                  "Keys waiting to be reconciled.", NULL, (double)qs.depth);
		metrics_gauge_set(m, "thurkube_controller_workqueue_delayed",
		                  "Keys waiting for a requeue time or backoff.", NULL,
		                  (double)qs.delayed);
		pthread_mutex_lock(&h->lock);
		metrics_counter_add(m, "thurkube_controller_workqueue_adds_total",
		                    "Keys added to the work queue (duplicates merged).", NULL,
		                    (double)(qs.adds - h->seen_adds));
		metrics_counter_add(m, "thurkube_controller_workqueue_retries_total",
		                    "Keys requeued with backoff after a failed reconcile.", NULL,
		                    (double)(qs.retries - h->seen_retries));
		h->seen_adds = qs.adds;
		h->seen_retries = qs.retries;
		pthread_mutex_unlock(&h->lock);
	}
	buf_free(&l);
}

static int reply(struct mg_connection *conn, int code, const char *ctype, const char *body,
                 size_t len)
{
	mg_printf(conn,
	          "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	          "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
	          code,
	          code == 200   ? "OK"
	          : code == 503 ? "Service Unavailable"
	                        : "Error",
	          ctype, len);
	mg_write(conn, body, len);
	return code;
}

static int on_healthz(struct mg_connection *conn, void *ud)
{
	(void)ud;
	return reply(conn, 200, "text/plain", "ok\n", 3);
}

static int on_readyz(struct mg_connection *conn, void *ud)
{
	if (health_ready(ud))
		return reply(conn, 200, "text/plain", "ok\n", 3);
	return reply(conn, 503, "text/plain", "caches not synced\n", 18);
}

static int on_metrics(struct mg_connection *conn, void *ud)
{
	struct health *h = ud;
	struct buf out = BUF_INIT(16u * 1024u * 1024u);
	int code;

	health_sample(h);
	if (metrics_render(h->c->metrics, &out) < 0)
		code = reply(conn, 500, "text/plain", "cannot render metrics\n", 22);
	else
		code = reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8",
		             out.data ? out.data : "", out.len);
	buf_free(&out);
	return code;
}

/* CivetWeb logs to stderr by itself; keep our JSON lines clean. */
static int on_log(const struct mg_connection *conn, const char *msg)
{
	(void)conn;
	(void)msg;
	return 1;
}

int health_start(struct ctl *c, struct informer *const *informers, size_t n, int port,
                 struct health **out)
{
	struct mg_callbacks cb = {0};
	struct health *h;
	char ports[16];
	const char *opts[] = {
	    "listening_ports",   ports, "num_threads", "4", "request_timeout_ms", "10000",
	    "enable_keep_alive", "no",  NULL};

	if (port <= 0 || port > 65535 || !c->metrics)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->c = c;
	h->informers = informers;
	h->n = n;
	pthread_mutex_init(&h->lock, NULL);
	snprintf(ports, sizeof(ports), "%d", port);
	cb.log_message = on_log;
	h->mg = mg_start(&cb, h, opts);
	if (!h->mg) {
		pthread_mutex_destroy(&h->lock);
		free(h);
		return -EADDRINUSE;
	}
	mg_set_request_handler(h->mg, "/healthz$", on_healthz, h);
	mg_set_request_handler(h->mg, "/readyz$", on_readyz, h);
	mg_set_request_handler(h->mg, "/metrics$", on_metrics, h);
	*out = h;
	return 0;
}

void health_stop(struct health *h)
{
	if (!h)
		return;
	mg_stop(h->mg);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* healthsrv.c - /healthz, /readyz and /metrics over plain HTTP (CivetWeb). */
#include "compat.h"

#include "runtime/healthsrv.h"

#include <errno.h>
#include <stdlib.h>

#include <civetweb.h>

#include "limits.h"
#include "log.h"
#include "metrics.h"

/* Probes are tiny: a client that does not send its request within this
 * long loses the worker. */
#define HEALTHSRV_REQUEST_TIMEOUT_MS "10000"

struct healthsrv {
	struct healthsrv_opts o;
	struct mg_context *mg;
};

static const char *const healthsrv_text = "text/plain; charset=utf-8";

static int healthsrv_send(struct mg_connection *conn, int status, const char *ctype,
                          const char *body, size_t len)
{
	struct buf clen = BUF_INIT(32);

	mg_response_header_start(conn, status);
	mg_response_header_add(conn, "Content-Type", ctype, -1);
	if (buf_printf(&clen, "%zu", len) == 0)
		mg_response_header_add(conn, "Content-Length", clen.data, -1);
	mg_response_header_add(conn, "Cache-Control", "no-store", -1);
	mg_response_header_add(conn, "Connection", "close", -1);
	mg_response_header_send(conn);
	if (len)
		mg_write(conn, body, len);
	buf_free(&clen);
	return status;
}

static int healthsrv_healthz(struct mg_connection *conn, void *ud)
{
	(void)ud;
	return healthsrv_send(conn, 200, healthsrv_text, "ok\n", 3);
}

static int healthsrv_readyz(struct mg_connection *conn, void *ud)
{
	const struct healthsrv *h = ud;
	const char *why = h->o.not_ready_text ? h->o.not_ready_text : "not ready\n";

	if (!h->o.ready || h->o.ready(h->o.ud))
		return healthsrv_send(conn, 200, healthsrv_text, "ok\n", 3);
	return healthsrv_send(conn, 503, healthsrv_text, why, strlen(why));
}

static int healthsrv_metrics(struct mg_connection *conn, void *ud)
{
	const struct healthsrv *h = ud;
	struct buf out = BUF_INIT(h->o.metrics_max);
	int status;

	if (!h->o.metrics)
		return healthsrv_send(conn, 404, healthsrv_text, "no metrics\n", 11);
	if (h->o.sample)
		h->o.sample(h->o.ud);
	if (metrics_render(h->o.metrics, &out) < 0)
		status = healthsrv_send(conn, 500, healthsrv_text, "cannot render metrics\n", 22);
	else
		status = healthsrv_send(conn, 200, "text/plain; version=0.0.4; charset=utf-8",
		                        out.data ? out.data : "", out.len);
	buf_free(&out);
	return status;
}

/* CivetWeb would write these to stderr by itself; keep the log JSON lines. */
static int healthsrv_log(const struct mg_connection *conn, const char *msg)
{
	(void)conn;
	log_warn("health server", "detail", msg);
	return 1;
}

static bool healthsrv_opts_ok(const struct healthsrv_opts *o)
{
	return o && o->port >= 1 && o->port <= 65535 && o->threads >= 1 && o->threads <= 64 &&
	       (!o->metrics || o->metrics_max > 0);
}

int healthsrv_start(const struct healthsrv_opts *o, struct healthsrv **out, struct buf *err)
{
	struct buf ports = BUF_INIT(TK_MAX_URL), threads = BUF_INIT(32), maxreq = BUF_INIT(32);
	struct mg_callbacks cb = {0};
	struct mg_init_data init = {0};
	struct mg_error_data ed = {0};
	char text[256] = "";
	unsigned code = 0;
	const char *opts[] = {"listening_ports",
	                      NULL,
	                      "num_threads",
	                      NULL,
	                      "max_request_size",
	                      NULL,
	                      "request_timeout_ms",
	                      HEALTHSRV_REQUEST_TIMEOUT_MS,
	                      "enable_keep_alive",
	                      "no",
	                      "enable_directory_listing",
	                      "no",
	                      NULL};
	struct healthsrv *h = NULL;
	int r;

	if (!healthsrv_opts_ok(o) || !out) {
		if (err)
			buf_sayf(err, "health server: bad options");
		return -EINVAL;
	}
	r = o->address && *o->address ? buf_printf(&ports, "%s:%d", o->address, o->port)
	                              : buf_printf(&ports, "%d", o->port);
	if (r == 0)
		r = buf_printf(&threads, "%d", o->threads);
	if (r == 0)
		r = buf_printf(&maxreq, "%u", TK_MAX_HEADER_SIZE);
	if (r < 0) {
		if (err)
			buf_sayf(err, "health server: %s",
			         r == -E2BIG ? "address too long" : "out of memory");
		r = r == -E2BIG ? -EINVAL : -ENOMEM;
		goto out;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		if (err)
			buf_sayf(err, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	h->o = *o;
	opts[1] = ports.data;
	opts[3] = threads.data;
	opts[5] = maxreq.data;
	cb.log_message = healthsrv_log;
	init.callbacks = &cb;
	init.user_data = h;
	init.configuration_options = opts;
	ed.code = &code;
	ed.text = text;
	ed.text_buffer_size = sizeof(text);
	h->mg = mg_start2(&init, &ed);
	if (!h->mg) {
		if (err)
			buf_sayf(err, "cannot listen on %s: %s", ports.data,
			         *text ? text : "server start failed");
		r = -EADDRINUSE;
		goto out;
	}
	healthsrv_no_password_files(h->mg);
	mg_set_request_handler(h->mg, "/healthz$", healthsrv_healthz, h);
	mg_set_request_handler(h->mg, "/readyz$", healthsrv_readyz, h);
	mg_set_request_handler(h->mg, "/metrics$", healthsrv_metrics, h);
	*out = h;
	h = NULL;
	r = 0;
out:
	free(h);
	buf_free(&maxreq);
	buf_free(&threads);
	buf_free(&ports);
	return r;
}

static int healthsrv_authorized(struct mg_connection *conn, void *ud)
{
	(void)conn;
	(void)ud;
	return 1;
}

void healthsrv_no_password_files(struct mg_context *ctx)
{
	mg_set_auth_handler(ctx, "**", healthsrv_authorized, NULL);
}

void healthsrv_stop(struct healthsrv *h)
{
	if (!h)
		return;
	mg_stop(h->mg);
	free(h);
}

/* server.c - HTTPS admission endpoints and the plain-HTTP health port. */
#include "compat.h"

#include "server.h"

#include "cache.h"

#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <strings.h>
#include <time.h>

#include <civetweb.h>

#include "admission.h"
#include "conn.h"
#include "jsonutil.h"
#include "limits.h"
#include "log.h"
#include "membudget.h"
#include "procmetrics.h"
#include "runtime/healthsrv.h"

/* Read the body in pieces of at most this size, through a buffer on the
 * worker's stack (a heap buffer of this size per request made glibc
 * consolidate its free lists every time). */
#define SRV_READ_CHUNK (2u * 1024u)
/* Longest wait for the memory budget before answering 429: short, since
 * the worker is held meanwhile, long enough for a request in flight to
 * finish (typical answers take milliseconds). */
#define SRV_BUDGET_WAIT_MS 250
/* Reservations from this size up give their free pages back to the system
 * when released (srv_unreserve). Every reservation counts about 2 MiB for
 * the answer, so this is a parse of about 1 MiB (a body of some 50 KiB of
 * small objects, 300 KiB of strings); smaller requests leave at most that
 * much to their arena, which the next request there reuses. */
#define SRV_TRIM_ABOVE (3u * 1024u * 1024u)

struct server;

struct srv_endpoint {
	struct server *s;
	enum admission_endpoint ep;
	const char *name;   /* "validate" */
	const char *path;   /* "/validate" */
	bool warn_only;     /* audit mode (admission.h) */
	const char *labels; /* of its duration histogram, made once */
};
/* NAME a string literal: served at /NAME. */
#define SRV_ENDPOINT(srv, ep, name, warn)                                                          \
	{                                                                                          \
		(srv), (ep), name, "/" name, (warn), "endpoint=\"" name "\""                       \
	}

struct server {
	struct server_options o;
	/* Checks running at once: a budget of o.threads units, one per
	 * check (srv_admission). */
	struct membudget *checks;
	struct mg_context *https;
	struct healthsrv *health; /* plain HTTP: probes and /metrics */
	struct srv_endpoint validate, validate_warn, mutate;
	atomic_int ready;
	/* Admission requests being served: a gauge set when /metrics is
	 * rendered (srv_sample), not under the metrics lock per request. */
	atomic_long in_flight;
};

static const char *const srv_ctype_json = "application/json";
/* What srv_send writes when it cannot allocate its answer. */
static const char *const srv_oom_answer =
    "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/*
 * Connection age. CivetWeb gives each connection a worker of its own until
 * the client closes it or it idles for keep_alive_timeout_ms, so clients
 * that keep their connections busy would keep the other connections
 * waiting for ever once there are more of them than workers. A connection
 * that has held its worker for max_connection_age_ms gets Connection:
 * close on its next answer, and the worker goes to the next one in line.
 *
 * CivetWeb calls init_connection when a worker takes a connection, and
 * clears the user data for each new one; the time rides in that pointer.
 * Nothing is allocated, because CivetWeb does not call connection_close
 * for every connection it initialised (seen with clients that went away
 * while waiting for a worker).
 */
static int srv_conn_init(const struct mg_connection *conn, void **data)
{
	(void)conn;
	*data = (void *)(uintptr_t)now_ms();
	return 0;
}

/* True once the connection should be given back; counted. */
static bool srv_conn_expired(struct mg_connection *conn)
{
	const struct server *s = mg_get_user_data(mg_get_context(conn));
	uintptr_t since = (uintptr_t)mg_get_user_connection_data(conn);

	if (!s || !since || s->o.max_connection_age_ms <= 0 ||
	    now_ms() - (int64_t)since < s->o.max_connection_age_ms)
		return false;
	metrics_counter_add(s->o.metrics, "thurkube_webhook_connections_released_total",
	                    "Keep-alive connections closed after --max-connection-age-ms", NULL, 1);
	return true;
}

/* Answers up to this size are put together on the worker's stack. */
#define SRV_SMALL_ANSWER 2048u

/* v in decimal into d (at least 21 bytes), NUL-terminated; its length. */
static size_t srv_decimal(uint64_t v, char *d)
{
	char tmp[21];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		d[i] = tmp[n - 1 - i];
	d[n] = '\0';
	return n;
}

/* True when the comma-separated header value h lists token (any case). */
static bool srv_has_token(const char *h, const char *token)
{
	size_t n = strlen(token), len;

	while (*h) {
		while (*h == ' ' || *h == '\t' || *h == ',')
			h++;
		len = strcspn(h, ",");
		while (len > 0 && (h[len - 1] == ' ' || h[len - 1] == '\t'))
			len--;
		if (len == n && strncasecmp(h, token, n) == 0)
			return true;
		h += strcspn(h, ",");
	}
	return false;
}

/* The client's wish, as CivetWeb reads it to decide whether it keeps the
 * connection after this answer: a Connection header without keep-alive,
 * or none before HTTP/1.1. */
static bool srv_client_closes(const struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *h = mg_get_header(conn, "Connection");

	if (h)
		return !srv_has_token(h, "keep-alive");
	return !ri->http_version || strcmp(ri->http_version, "1.1") != 0;
}

/*
 * The whole answer, status line, header and body, in one mg_write: one TLS
 * record and one TCP segment, where CivetWeb's mg_response_header_send
 * writes one per header line (nine writes per answer, measured as most of
 * the webhook's kernel time). Connection: close goes out when we end the
 * connection or the client asked to (CivetWeb closes it then); without it
 * HTTP/1.1 keeps the connection alive.
 */
static void srv_send(struct mg_connection *conn, int status, const char *ctype, const char *body,
                     size_t len, bool close)
{
	char code[24], clen[24], date[64] = "", small[SRV_SMALL_ANSWER], *out, *p;
	time_t t = time(NULL);
	struct tm tm;
	const char *part[] = {
	    "HTTP/1.1 ",
	    code,
	    " ",
	    mg_get_response_code_text(conn, status),
	    "\r\nContent-Type: ",
	    ctype,
	    "\r\nContent-Length: ",
	    clen,
	    "\r\nCache-Control: no-store\r\nDate: ",
	    date,
	    "\r\n",
	    status == 405 ? "Allow: POST\r\n" : "",
	    status == 429 ? "Retry-After: 1\r\n" : "",
	    close || srv_client_closes(conn) || srv_conn_expired(conn) ? "Connection: close\r\n"
	                                                               : "",
	    "\r\n",
	};
	size_t plen[TK_ARRAY_LEN(part)], total = len, i;

	srv_decimal(status > 0 ? (uint64_t)status : 0, code);
	srv_decimal(len, clen);
	if (gmtime_r(&t, &tm))
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	for (i = 0; i < TK_ARRAY_LEN(part); i++)
		total += plen[i] = strlen(part[i]);
	out = total <= sizeof(small) ? small : malloc(total);
	if (!out) {
		mg_write(conn, srv_oom_answer, strlen(srv_oom_answer));
		return;
	}
	for (p = out, i = 0; i < TK_ARRAY_LEN(part); p += plen[i], i++)
		memcpy(p, part[i], plen[i]);
	if (len)
		memcpy(p, body, len);
	mg_write(conn, out, total);
	if (out != small)
		free(out);
}

static void srv_send_text(struct mg_connection *conn, int status, const char *text, bool close)
{
	srv_send(conn, status, "text/plain; charset=utf-8", text, strlen(text), close);
}

static void srv_count(struct server *s, const char *endpoint, const char *kind, const char *op,
                      const char *result)
{
	struct buf l = BUF_INIT(1024);

	metrics_counter_add(s->o.metrics, "thurkube_webhook_requests_total",
	                    "Admission requests by endpoint, kind, operation and result",
	                    metrics_labels(&l, "endpoint", endpoint, "kind", kind, "operation", op,
	                                   "result", result, (const char *)NULL),
	                    1);
	buf_free(&l);
}

/* application/json, optionally with parameters (charset). */
static bool srv_is_json(const char *ct)
{
	size_t n = strlen(srv_ctype_json);

	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, srv_ctype_json, n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/*
 * Read the whole body up to the limit: 0, -E2BIG (over the limit: the
 * rest is left unread), -ETIMEDOUT, -ENOMEM or -EIO. CivetWeb's
 * request_timeout_ms bounds each wait for data, not the request, and
 * mg_read returns only once it has the length asked for: a client
 * trickling a byte a second would hold a worker for as long as it likes.
 * So the whole body must arrive within timeout_ms, and the read size
 * adapts: it starts at one byte and grows fourfold while reads come back
 * at once (a normal body reads SRV_READ_CHUNK at a time after six reads,
 * each with one clock read), and falls back to one byte when a read had
 * to wait, so a slow sender hands control back often enough for the
 * deadline to be checked.
 */
static int srv_read_body(struct mg_connection *conn, struct buf *body, int timeout_ms)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	int64_t t = now_ms(), deadline = t + timeout_ms, t0;
	size_t want = 1;
	char chunk[SRV_READ_CHUNK];
	int n, r = 0;

	if (ri->content_length > (long long)TK_MAX_ADMISSION_BODY)
		return -E2BIG;
	for (;;) {
		t0 = t;
		n = mg_read(conn, chunk, want);
		if (n <= 0)
			break;
		r = buf_append(body, chunk, (size_t)n);
		if (r < 0)
			break;
		t = now_ms();
		if (t > deadline &&
		    (ri->content_length < 0 || (long long)body->len < ri->content_length)) {
			r = -ETIMEDOUT;
			break;
		}
		if (t - t0 <= 1)
			want = want * 4 > SRV_READ_CHUNK ? SRV_READ_CHUNK : want * 4;
		else
			want = 1;
	}
	/* A short body (the peer went away, or CivetWeb is stopping) is not
	 * a request to judge. */
	if (r == 0 &&
	    (n < 0 || (ri->content_length >= 0 && (long long)body->len != ri->content_length)))
		r = -EIO;
	return r;
}

/* The API server's ?timeout=Ns bounds our own budget too: keep half of it
 * for the round trip and the rest of the work. */
static int64_t srv_budget(const struct server *s, const char *query)
{
	int64_t budget = s->o.api_timeout_ms, secs;
	const char *p = query ? strstr(query, "timeout=") : NULL;
	char num[16];
	size_t n = 0;

	if (!p || (p != query && p[-1] != '&'))
		return budget;
	for (p += 8; *p >= '0' && *p <= '9' && n < sizeof(num) - 1; p++)
		num[n++] = *p;
	num[n] = '\0';
	if (*p == 's' && parse_i64(num, 1, 3600, &secs) == 0 && secs * 500 < budget)
		budget = secs * 500;
	return budget;
}

/* Audit mode: one count per schema error let through, by kind and field. */
static void srv_count_warned(struct server *s, const struct admission_outcome *out)
{
	struct buf l = BUF_INIT(1024);
	size_t i;

	for (i = 0; i < out->warned_fields.n; i++)
		metrics_counter_add(
		    s->o.metrics, "thurkube_webhook_enforcement_warnings_total",
		    "Schema errors answered with a warning instead of a denial in "
		    "namespaces labelled thurkube.thurbeen.eu/enforcement=warn, by kind "
		    "and field",
		    metrics_labels(&l, "kind", out->kind, "field", out->warned_fields.v[i],
		                   (const char *)NULL),
		    1);
	buf_free(&l);
}

static void srv_log_denial(const struct srv_endpoint *e, const struct admission_outcome *out)
{
	struct buf nsname = BUF_INIT(4 * TK_MAX_NAME);

	buf_sayf(&nsname, "%s/%s", out->namespace ? out->namespace : "",
	         out->name ? out->name : "");
	log_info("admission request denied", "endpoint", e->name, "kind", out->kind, "object",
	         nsname.data ? nsname.data : "?", "operation", out->operation, "user", out->user,
	         "result", out->result, "reasons", out->reasons);
	buf_free(&nsname);
}

/* Checks that need no body: method, path, content type. */
static bool srv_precheck(struct mg_connection *conn, const struct srv_endpoint *e)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *why = NULL, *result = NULL;
	int status = 0;

	if (!ri->local_uri || strcmp(ri->local_uri, e->path) != 0) {
		status = 404, why = "not found\n", result = "not_found";
	} else if (strcmp(ri->request_method, "POST") != 0) {
		status = 405, why = "method not allowed: use POST\n", result = "bad_method";
	} else if (!srv_is_json(mg_get_header(conn, "Content-Type"))) {
		status = 415, why = "unsupported media type: use application/json\n",
		result = "bad_content_type";
	}
	if (!status)
		return true;
	srv_send_text(conn, status, why, false);
	srv_count(e->s, e->name, "unknown", "unknown", result);
	return false;
}

/*
 * Memory budget (membudget.h). A request reserves what its Content-Length
 * costs at the least before its body is read, and what json-c will hold
 * for it once read, before parsing; want is the new total, *held what it
 * holds. When it does not fit within SRV_BUDGET_WAIT_MS the answer is 429
 * with Retry-After, and the body is not kept (or not parsed): the API
 * server's webhook client retries a 429 with backoff (it counts it as
 * transient, like a timeout; a 503 it does not retry), and the other
 * replicas serve meanwhile. A request that could not fit even alone is
 * 413. Returns 0, or the status sent.
 */
static int srv_reserve(struct server *s, struct mg_connection *conn, const struct srv_endpoint *e,
                       uint64_t *held, uint64_t want)
{
	const char *why;
	int r;

	if (!s->o.budget)
		return 0;
	r = membudget_resize(s->o.budget, held, want, SRV_BUDGET_WAIT_MS);
	if (r == 0)
		return 0;
	why = r == -E2BIG ? "too_large" : "busy";
	metrics_counter_add(s->o.metrics, "thurkube_webhook_memory_refused_total",
	                    "Admission requests refused by the memory budget by reason",
	                    r == -E2BIG ? "reason=\"too_large\"" : "reason=\"busy\"", 1);
	/* Not Connection: close: closing with a body still arriving resets the
	 * connection, and the client would never see the 429. CivetWeb
	 * discards the unread body through a small stack buffer, holding no
	 * memory. */
	if (r == -E2BIG)
		srv_send_text(conn, 413, "request too large for the memory budget\n", false);
	else
		srv_send_text(conn, 429, "too many large requests in flight, retry\n", false);
	srv_count(s, e->name, "unknown", "unknown", why);
	return r == -E2BIG ? 413 : 429;
}

/*
 * Give a reservation back once its memory is. glibc keeps what a thread
 * frees in that thread's arena for its next allocations, so after large
 * requests on many workers the process would hold the sum of the largest
 * request each worker ever served, well above the budget (measured: 214
 * MiB after 16 one-MiB requests of numbers, with a 160 MiB budget and
 * never more than two in flight); malloc_trim returns the free pages of
 * every arena first.
 */
static void srv_unreserve(struct server *s, uint64_t held)
{
	if (!s->o.budget)
		return;
	if (held >= SRV_TRIM_ABOVE)
		malloc_trim(0);
	membudget_release(s->o.budget, held);
}

/* What a request of this Content-Length reserves before its body is read;
 * nothing when it is over the limit, which srv_read_body answers. */
static uint64_t srv_body_cost(const struct mg_request_info *ri)
{
	if (ri->content_length > (long long)TK_MAX_ADMISSION_BODY)
		return 0;
	return membudget_body_cost(ri->content_length, TK_MAX_ADMISSION_BODY);
}

static int srv_admission(struct mg_connection *conn, void *cbdata)
{
	const struct srv_endpoint *e = cbdata;
	struct server *s = e->s;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	struct buf body = BUF_INIT(TK_MAX_ADMISSION_BODY);
	struct admission_outcome out = {0};
	struct admission_env env = {0};
	double t0 = now_mono();
	int64_t arrived_ms = now_ms();
	uint64_t held = 0; /* bytes reserved from the memory budget */
	int status = 0, r;

	/* Ours from here: the connection guard (conn.h) leaves it alone,
	 * except a body that stops arriving while the workers are contended. */
	conn_set_phase(CONN_HANDLER);
	jsonutil_thread_c_locale();
	atomic_fetch_add(&s->in_flight, 1);
	if (!srv_precheck(conn, e))
		goto done;
	status = srv_reserve(s, conn, e, &held, srv_body_cost(ri));
	if (status)
		goto done;
	conn_set_phase(CONN_BODY);
	r = srv_read_body(conn, &body, s->o.request_timeout_ms);
	conn_set_phase(CONN_HANDLER);
	if (r == -ETIMEDOUT) {
		srv_send_text(conn, 408, "request body not received in time\n", true);
		srv_count(s, e->name, "unknown", "unknown", "timeout");
		status = 408;
		goto done;
	}
	if (r == -E2BIG) {
		srv_send_text(conn, 413, "request body too large\n", true);
		srv_count(s, e->name, "unknown", "unknown", "too_large");
		status = 413;
		goto done;
	}
	if (r < 0) {
		srv_send_text(conn, r == -ENOMEM ? 500 : 400,
		              r == -ENOMEM ? "out of memory\n" : "cannot read request body\n",
		              true);
		srv_count(s, e->name, "unknown", "unknown", "error");
		goto done;
	}
	status = srv_reserve(s, conn, e, &held,
	                     membudget_json_cost(body.data ? body.data : "", body.len));
	if (status)
		goto done;
	env.schema = s->o.schema;
	env.check = s->o.access ? access_check : NULL;
	env.check_ud = s->o.access;
	env.budget_ms = srv_budget(s, ri->query_string);
	/* The whole request, body included, has --request-timeout-ms: checks
	 * still running past it are answered with an error, not left running. */
	env.deadline_ms = s->o.request_timeout_ms > 0 ? arrived_ms + s->o.request_timeout_ms : 0;
	env.warn_only = e->warn_only;
	/* At most --threads checks at once: the workers beyond them carry
	 * connections, not CPU work. */
	if (membudget_reserve(s->checks, 1, SRV_BUDGET_WAIT_MS) != 0) {
		srv_send_text(conn, 429, "too many admission checks in flight, retry\n", false);
		srv_count(s, e->name, "unknown", "unknown", "busy");
		status = 429;
		goto done;
	}
	r = admission_handle(e->ep, body.data ? body.data : "", body.len, &env, &out);
	membudget_release(s->checks, 1);
	if (r < 0) {
		srv_send_text(conn, 500, "internal error\n", false);
		srv_count(s, e->name, "unknown", "unknown", "error");
		goto done;
	}
	srv_send(conn, out.http_status, out.content_type, out.body.data, out.body.len, false);
	srv_count(s, e->name, out.kind, out.operation, out.result);
	srv_count_warned(s, &out);
	if (strcmp(out.result, "allowed") != 0)
		srv_log_denial(e, &out);
	status = out.http_status;
done:
	if (status)
		metrics_observe(s->o.metrics, "thurkube_webhook_request_duration_seconds",
		                "Time to answer an admission request", e->labels, now_mono() - t0);
	atomic_fetch_sub(&s->in_flight, 1);
	admission_outcome_free(&out);
	buf_free(&body);
	srv_unreserve(s, held);
	/* Answered: until the next request arrives the connection is idle. */
	conn_set_phase(CONN_IDLE);
	return status ? status : 1;
}

static bool srv_ready(void *ud)
{
	struct server *s = ud;

	return atomic_load(&s->ready) != 0 && (!s->o.cache || cache_synced(s->o.cache));
}

/* Before each /metrics: the build and process series, and the gauges of
 * requests in flight (the counters are updated as requests are served). */
static void srv_sample(void *ud)
{
	struct server *s = ud;

	procmetrics_sample(s->o.metrics);
	metrics_gauge_set(s->o.metrics, "thurkube_webhook_in_flight_requests",
	                  "Admission requests being served", NULL,
	                  (double)atomic_load(&s->in_flight));
	membudget_observe(s->o.budget);
}

/* CivetWeb asks for the SSL_CTX at start (NULL in *ctx) and offers it back
 * at shutdown (non-NULL): both times the context stays ours. */
static int srv_external_ssl_ctx(void **ctx, void *user_data)
{
	struct server *s = user_data;

	if (*ctx == NULL)
		*ctx = tls_ssl_ctx(s->o.tls);
	return 1;
}

static int srv_log_message(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	log_warn("http server", "detail", message);
	return 1;
}

/* The HTTPS listener on ports ("address:port" then 's'). */
static struct mg_context *srv_listen(struct server *s, const char *ports, int threads,
                                     struct buf *err)
{
	struct mg_callbacks cb = {0};
	struct mg_init_data init = {0};
	struct mg_error_data ed = {0};
	char text[256] = "", nthreads[16], rto[16], kato[16], maxreq[16];
	unsigned code = 0;
	const char *opts[] = {
	    "listening_ports",
	    ports,
	    "num_threads",
	    nthreads,
	    "request_timeout_ms",
	    rto,
	    "keep_alive_timeout_ms",
	    kato,
	    "enable_keep_alive",
	    "yes",
	    "max_request_size",
	    maxreq,
	    "enable_directory_listing",
	    "no",
	    /* An answer is one write (srv_send), but CivetWeb's own answers
	     * (400, 404) are a write per header line: without this, Nagle and
	     * delayed ACKs add ~40 ms to them. */
	    "tcp_nodelay",
	    "1",
	    NULL,
	};
	struct mg_context *ctx;

	snprintf(nthreads, sizeof(nthreads), "%d", threads);
	snprintf(rto, sizeof(rto), "%d", s->o.request_timeout_ms);
	snprintf(kato, sizeof(kato), "%d", s->o.keep_alive_timeout_ms);
	snprintf(maxreq, sizeof(maxreq), "%u", TK_MAX_HEADER_SIZE);
	cb.log_message = srv_log_message;
	cb.external_ssl_ctx = srv_external_ssl_ctx;
	cb.init_connection = srv_conn_init;
	init.callbacks = &cb;
	init.user_data = s;
	init.configuration_options = opts;
	ed.code = &code;
	ed.text = text;
	ed.text_buffer_size = sizeof(text);
	ctx = mg_start2(&init, &ed);
	if (!ctx)
		buf_sayf(err, "cannot listen on %.*s: %s", (int)(strlen(ports) - 1), ports,
		         *text ? text : "server start failed");
	return ctx;
}

int server_start(const struct server_options *o, struct server **out, struct buf *err)
{
	struct server *s = calloc(1, sizeof(*s));
	struct healthsrv_opts ho = {0};
	struct buf ports = BUF_INIT(TK_MAX_URL);
	int r = -EADDRNOTAVAIL;

	if (!s)
		return -ENOMEM;
	s->o = *o;
	s->checks = membudget_new((uint64_t)o->threads, NULL);
	if (!s->checks) {
		free(s);
		return -ENOMEM;
	}
	s->validate = (struct srv_endpoint)SRV_ENDPOINT(s, ADM_VALIDATE, "validate", false);
	s->validate_warn =
	    (struct srv_endpoint)SRV_ENDPOINT(s, ADM_VALIDATE, "validate-warn", true);
	s->mutate = (struct srv_endpoint)SRV_ENDPOINT(s, ADM_MUTATE, "mutate", false);
	mg_init_library(MG_FEATURES_TLS);
	ho.address = o->address;
	ho.port = o->health_port;
	ho.threads = 2;
	ho.ready = srv_ready;
	ho.not_ready_text = "not ready: watch caches not synced, or shutting down\n";
	ho.sample = srv_sample;
	ho.metrics = o->metrics;
	ho.metrics_max = 64u * 1024u * 1024u;
	ho.ud = s;
	if (healthsrv_start(&ho, &s->health, err) < 0)
		goto fail;
	if (buf_printf(&ports, "%s:%ds", o->address, o->port) < 0) {
		buf_sayf(err, "--address: too long");
		r = -EINVAL;
		goto fail;
	}
	s->https = srv_listen(s, ports.data, o->threads + TK_SPARE_WORKERS, err);
	if (!s->https)
		goto fail;
	healthsrv_no_password_files(s->https);
	mg_set_request_handler(s->https, "/validate", srv_admission, &s->validate);
	mg_set_request_handler(s->https, "/validate-warn", srv_admission, &s->validate_warn);
	mg_set_request_handler(s->https, "/mutate", srv_admission, &s->mutate);
	atomic_store(&s->ready, 1);
	buf_free(&ports);
	*out = s;
	return 0;
fail:
	buf_free(&ports);
	healthsrv_stop(s->health);
	mg_exit_library();
	membudget_free(s->checks);
	free(s);
	return r;
}

void server_drain(struct server *s)
{
	atomic_store(&s->ready, 0);
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	atomic_store(&s->ready, 0);
	/* mg_stop closes the listener and joins the workers, each of which
	 * finishes the request it is serving first. */
	mg_stop(s->https);
	healthsrv_stop(s->health);
	mg_exit_library();
	membudget_free(s->checks);
	free(s);
}

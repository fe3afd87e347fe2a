/*
 * kube.c - see kube.h.
 *
 * Threads: a CURLSH shares the DNS cache and TLS sessions between all
 * requests, guarded by one mutex per kind of shared data. Connections are
 * not put in the share: libcurl documents connection-cache sharing as
 * unsupported across concurrent threads. Instead idle easy handles wait in
 * a small pool and keep their live connections, so consecutive requests
 * reuse a connection without any handle being used by two threads.
 *
 * Secrets: the bearer token is fetched from the config per request (so a
 * rotated token file takes effect), placed only in the Authorization
 * header list, and wiped with it. Client keys are handed to libcurl as
 * blobs without copying; the config outlives the client.
 */
#include "compat.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "kube.h"
#include "jsonutil.h"
#include "kubecfg.h"
#include "limits.h"
#include "watchsplit.h"

/* Idle easy handles kept for connection reuse (workers + a few watches). */
#define POOL_MAX 8
/* A watch that delivers nothing for its timeout plus this is presumed dead
 * (server gone without a FIN), and fails with -ETIMEDOUT. */
#define WATCH_IDLE_GRACE_MS 30000
/* Status message text kept from a non-Status error body. */
#define RAW_ERROR_PREFIX 200

struct kube_client {
	struct kube_config *cfg;
	char *ua;
	long timeout_ms;
	size_t page_size;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;
	CURL *pool[POOL_MAX];
	size_t npool;
	kube_observe_cb obs;
	void *obs_ud;
};

/* --- client lifetime ----------------------------------------------------- */

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *ud)
{
	struct kube_client *c = ud;

	(void)h;
	(void)a;
	if ((unsigned)d < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&c->share_locks[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *ud)
{
	struct kube_client *c = ud;

	(void)h;
	if ((unsigned)d < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&c->share_locks[d]);
}

int kube_client_new(struct kube_config *cfg, const char *user_agent, long timeout_ms,
                    struct kube_client **out)
{
	struct kube_client *c;
	size_t i;

	if (!cfg || !kubecfg_server(cfg) || !user_agent || timeout_ms <= 0)
		return -EINVAL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail_global;
	c->cfg = cfg;
	c->timeout_ms = timeout_ms;
	c->page_size = TK_LIST_PAGE_SIZE;
	c->ua = xstrdup(user_agent);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->share_locks[i], NULL);
	pthread_mutex_init(&c->pool_lock, NULL);
	c->share = curl_share_init();
	if (!c->ua || !c->share ||
	    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) !=
	        CURLSHE_OK) {
		kube_client_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
fail_global:
	curl_global_cleanup();
	return -ENOMEM;
}

void kube_client_free(struct kube_client *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->npool; i++)
		curl_easy_cleanup(c->pool[i]);
	if (c->share)
		curl_share_cleanup(c->share);
	pthread_mutex_destroy(&c->pool_lock);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->share_locks[i]);
	free(c->ua);
	free(c);
	curl_global_cleanup();
}

void kube_client_set_observer(struct kube_client *c, kube_observe_cb cb, void *ud)
{
	c->obs = cb;
	c->obs_ud = ud;
}

int kube_client_set_list_page_size(struct kube_client *c, size_t n)
{
	if (n == 0 || n > TK_LIST_PAGE_SIZE)
		return -EINVAL;
	c->page_size = n;
	return 0;
}

static CURL *handle_get(struct kube_client *c)
{
	CURL *h = NULL;

	pthread_mutex_lock(&c->pool_lock);
	if (c->npool)
		h = c->pool[--c->npool];
	pthread_mutex_unlock(&c->pool_lock);
	if (!h)
		return curl_easy_init();
	curl_easy_reset(h); /* options go, live connections stay */
	return h;
}

static void handle_put(struct kube_client *c, CURL *h)
{
	pthread_mutex_lock(&c->pool_lock);
	if (c->npool < POOL_MAX) {
		c->pool[c->npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->pool_lock);
	if (h)
		curl_easy_cleanup(h);
}

/* --- paths and queries --------------------------------------------------- */

/* Percent-encode everything but RFC 3986 unreserved characters. */
static int esc_append(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int r = 0;

	for (; *s && r == 0; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			r = buf_append(b, s, 1);
		} else {
			char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};

			r = buf_append(b, e, 3);
		}
	}
	return r;
}

static int seg(struct buf *b, const char *s)
{
	int r;

	if (!*s)
		return -EINVAL;
	r = buf_puts(b, "/");
	return r ? r : esc_append(b, s);
}

int kube_path(struct buf *out, const char *group, const char *version, const char *ns,
              const char *plural, const char *name, const char *sub)
{
	size_t mark = out->len;
	int r;

	if (!version || !plural || (sub && !name))
		return -EINVAL;
	r = buf_puts(out, group && *group ? "/apis" : "/api");
	if (r == 0 && group && *group)
		r = seg(out, group);
	if (r == 0)
		r = seg(out, version);
	if (r == 0 && ns)
		r = buf_puts(out, "/namespaces");
	if (r == 0 && ns)
		r = seg(out, ns);
	if (r == 0)
		r = seg(out, plural);
	if (r == 0 && name)
		r = seg(out, name);
	if (r == 0 && sub)
		r = seg(out, sub);
	if (r < 0) {
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
	}
	return r;
}

/* Append "<sep>key=escaped(value)", sep chosen from what url holds. */
static int query(struct buf *url, const char *key, const char *value)
{
	int r = buf_puts(url, strchr(url->data ? url->data : "", '?') ? "&" : "?");

	if (r == 0)
		r = buf_puts(url, key);
	if (r == 0)
		r = buf_puts(url, "=");
	if (r == 0)
		r = esc_append(url, value);
	return r;
}

/* --- status and errors --------------------------------------------------- */

static int errno_for(long code, const char *reason)
{
	switch (code) {
	case 400:
	case 422:
		return -EINVAL;
	case 401:
		return -EPERM;
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 409:
		return reason && strcmp(reason, "AlreadyExists") == 0 ? -EEXIST : -EBUSY;
	case 410:
		return -ESTALE;
	case 413:
		return -E2BIG;
	case 429:
		return -EAGAIN;
	default:
		if (code >= 500)
			return -EIO;
		if (code >= 400)
			return -EINVAL;
		return -EPROTO;
	}
}

/* Copy (s, n) into out[size]; a text that does not fit is cut to end in
 * KUBE_STATUS_CUT. Returns whether it was cut. */
static bool status_copy(char *out, size_t size, const char *s, size_t n)
{
	static const char cut[] = KUBE_STATUS_CUT;

	if (n < size) {
		memcpy(out, s, n);
		out[n] = '\0';
		return false;
	}
	n = size - sizeof(cut); /* sizeof counts the NUL */
	memcpy(out, s, n);
	memcpy(out + n, cut, sizeof(cut));
	return true;
}

static void status_set(struct kube_status *st, long code, const char *reason, const char *msg,
                       size_t msglen)
{
	bool cut;

	if (!st)
		return;
	st->http_code = code;
	if (!reason)
		reason = "";
	if (!msg) {
		msg = "";
		msglen = 0;
	}
	cut = status_copy(st->reason, sizeof(st->reason), reason, strlen(reason));
	st->truncated = status_copy(st->message, sizeof(st->message), msg, msglen) || cut;
}

static void status_str(struct kube_status *st, long code, const char *reason, const char *msg)
{
	status_set(st, code, reason, msg, strlen(msg));
}

/* Parse one complete JSON value of (p, n); NULL when it is not one. */
static json_object *parse_json(const char *p, size_t n, json_tokener *tok)
{
	json_tokener *own = NULL;
	json_object *o;
	size_t end;

	if (n == 0 || n > INT32_MAX)
		return NULL;
	if (!tok) {
		own = json_tokener_new_ex(TK_MAX_JSON_DEPTH);
		if (!own)
			return NULL;
		tok = own;
	}
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, p, (int)n);
	end = json_tokener_get_parse_end(tok);
	if (o && json_tokener_get_error(tok) == json_tokener_success)
		while (end < n &&
		       (p[end] == ' ' || p[end] == '\n' || p[end] == '\r' || p[end] == '\t'))
			end++;
	if (!o || json_tokener_get_error(tok) != json_tokener_success || end != n) {
		json_object_put(o);
		o = NULL;
	}
	if (own) /* json-c's free does not accept NULL */
		json_tokener_free(own);
	return o;
}

/* Fill st from a Status object (borrowed); returns its code or 0. */
static long status_from_obj(struct kube_status *st, json_object *s, long http_code)
{
	const char *reason = jsonutil_str(s, "reason");
	const char *msg = jsonutil_str(s, "message");
	json_object *v;
	long code = 0;

	if (json_object_object_get_ex(s, "code", &v) && json_object_is_type(v, json_type_int))
		code = (long)json_object_get_int64(v);
	status_str(st, http_code ? http_code : code, reason, msg ? msg : "");
	return code;
}

/* Turn a non-2xx answer into st and an errno. */
static int status_from_body(struct kube_status *st, long code, const struct buf *body)
{
	json_object *o = parse_json(body->data, body->len, NULL);
	const char *kind = o ? jsonutil_str(o, "kind") : NULL;
	char text[RAW_ERROR_PREFIX + 32];
	int r;

	if (kind && strcmp(kind, "Status") == 0) {
		status_from_obj(st, o, code);
	} else {
		size_t i, n = body->len < RAW_ERROR_PREFIX ? body->len : RAW_ERROR_PREFIX;
		int k = snprintf(text, sizeof(text), "HTTP %ld: ", code);

		for (i = 0; i < n; i++) /* keep it one printable line */
			text[k + (int)i] =
			    (body->data[i] >= 0x20 && body->data[i] < 0x7f) ? body->data[i] : ' ';
		text[k + (int)n] = '\0';
		status_str(st, code, "", text);
	}
	r = errno_for(code, st ? st->reason : (kind ? jsonutil_str(o, "reason") : NULL));
	json_object_put(o);
	return r;
}

static int errno_for_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	default:
		return -ECONNREFUSED;
	}
}

/* --- one request --------------------------------------------------------- */

struct call {
	const char *verb;   /* for the observer: GET LIST CREATE ... */
	const char *method; /* HTTP */
	const char *content_type;
	const char *body;
	size_t body_len;
	struct buf url;
	struct buf resp;
	char errbuf[CURL_ERROR_SIZE];
	long code;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;

	return buf_append(b, p, size * n) < 0 ? 0 : size * n;
}

static void wipe_headers(struct curl_slist *h)
{
	struct curl_slist *p;

	for (p = h; p; p = p->next)
		OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

/* Header list for a request, with the current token. */
static int build_headers(struct kube_client *c, const char *content_type, struct curl_slist **out)
{
	struct buf auth = BUF_INIT(TK_MAX_HEADER_SIZE);
	struct buf ct = BUF_INIT(256);
	struct curl_slist *h = NULL, *t;
	int r;

	r = buf_puts(&auth, "Authorization: Bearer ");
	if (r == 0)
		r = kubecfg_token(c->cfg, &auth);
	if (r < 0)
		goto out;
	if (content_type)
		r = buf_printf(&ct, "Content-Type: %s", content_type);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	t = curl_slist_append(h, "Accept: application/json");
	if (!t)
		goto out;
	h = t;
	t = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
	if (!t)
		goto out;
	h = t;
	if (content_type) {
		t = curl_slist_append(h, ct.data);
		if (!t)
			goto out;
		h = t;
	}
	if (auth.len > strlen("Authorization: Bearer ")) {
		t = curl_slist_append(h, auth.data);
		if (!t)
			goto out;
		h = t;
	}
	*out = h;
	h = NULL;
	r = 0;
out:
	wipe_headers(h);
	buf_free_secure(&auth);
	buf_free(&ct);
	return r;
}

/* Options common to every request. */
static int setup(struct kube_client *c, CURL *h, const char *url, struct curl_slist *hdrs,
                 char *errbuf)
{
	struct kubecfg_tls tls;
	CURLcode cc = CURLE_OK;

	kubecfg_tls(c->cfg, &tls);
	errbuf[0] = '\0';
#define SET(opt, val) (cc = cc ? cc : curl_easy_setopt(h, opt, val))
	SET(CURLOPT_URL, url);
	SET(CURLOPT_SHARE, c->share);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, c->ua);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_TCP_KEEPIDLE, 30L);
	SET(CURLOPT_TCP_KEEPINTVL, 10L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	if (tls.ca_data) {
		struct curl_blob b = {(void *)tls.ca_data, tls.ca_len, CURL_BLOB_NOCOPY};

		SET(CURLOPT_CAINFO_BLOB, &b);
	} else if (tls.ca_file) {
		SET(CURLOPT_CAINFO, tls.ca_file);
	}
	if (tls.cert_data) {
		struct curl_blob b = {(void *)tls.cert_data, tls.cert_len, CURL_BLOB_NOCOPY};

		SET(CURLOPT_SSLCERT_BLOB, &b);
	} else if (tls.cert_file) {
		SET(CURLOPT_SSLCERT, tls.cert_file);
	}
	SET(CURLOPT_SSLCERTTYPE, "PEM");
	if (tls.key_data) {
		struct curl_blob b = {(void *)tls.key_data, tls.key_len, CURL_BLOB_NOCOPY};

		SET(CURLOPT_SSLKEY_BLOB, &b);
	} else if (tls.key_file) {
		SET(CURLOPT_SSLKEY, tls.key_file);
	}
	SET(CURLOPT_SSLKEYTYPE, "PEM");
	if (tls.insecure) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
#undef SET
	return cc == CURLE_OK ? 0 : errno_for_curl(cc);
}

static void observe(struct kube_client *c, const char *verb, long code, double t0)
{
	if (c->obs)
		c->obs(c->obs_ud, verb, code, now_mono() - t0);
}

/* Perform once; CURLcode into *cc, HTTP code into call->code. */
static int perform_once(struct kube_client *c, struct call *k, CURLcode *cc)
{
	struct curl_slist *hdrs = NULL;
	CURL *h = handle_get(c);
	CURLcode e = CURLE_OK;
	double t0 = now_mono();
	int r;

	if (!h)
		return -ENOMEM;
	r = build_headers(c, k->content_type, &hdrs);
	if (r == 0)
		r = setup(c, h, k->url.data, hdrs, k->errbuf);
	if (r < 0)
		goto out;
#define SET(opt, val) (e = e ? e : curl_easy_setopt(h, opt, val))
	SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
	SET(CURLOPT_ACCEPT_ENCODING, ""); /* large lists come gzipped */
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, &k->resp);
	if (strcmp(k->method, "GET") != 0)
		SET(CURLOPT_CUSTOMREQUEST, k->method);
	if (k->body) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)k->body_len);
		SET(CURLOPT_POSTFIELDS, k->body);
	}
#undef SET
	if (e != CURLE_OK) {
		r = errno_for_curl(e);
		goto out;
	}
	buf_reset(&k->resp);
	*cc = curl_easy_perform(h);
	k->code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &k->code);
	observe(c, k->verb, *cc == CURLE_OK ? k->code : 0, t0);
out:
	wipe_headers(hdrs);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	handle_put(c, h);
	return r;
}

/* Perform k; on 2xx returns 0 and leaves the body in k->resp. */
static int perform(struct kube_client *c, struct call *k, struct kube_status *st)
{
	CURLcode cc = CURLE_OK;
	int r, attempt;

	for (attempt = 0;; attempt++) {
		r = perform_once(c, k, &cc);
		if (r < 0) {
			status_str(st, 0, "", "cannot set up the request");
			return r;
		}
		/* A bound token may have rotated under us: re-read it once. */
		if (cc == CURLE_OK && k->code == 401 && attempt == 0 &&
		    kubecfg_token_refresh(c->cfg))
			continue;
		break;
	}
	if (cc != CURLE_OK) {
		if (cc == CURLE_WRITE_ERROR) {
			status_str(st, k->code, "", "response body over the size limit");
			return -E2BIG;
		}
		status_str(st, 0, "", k->errbuf[0] ? k->errbuf : curl_easy_strerror(cc));
		return errno_for_curl(cc);
	}
	if (k->code < 200 || k->code > 299)
		return status_from_body(st, k->code, &k->resp);
	status_str(st, k->code, "", "");
	return 0;
}

static void call_init(struct call *k, const char *verb, const char *method)
{
	struct buf u = BUF_INIT(64 * 1024);
	struct buf b = BUF_INIT(TK_MAX_API_BODY);

	memset(k, 0, sizeof(*k));
	k->verb = verb;
	k->method = method;
	k->url = u;
	k->resp = b;
}

static void call_free(struct call *k)
{
	buf_free(&k->url);
	buf_free(&k->resp);
}

static int call_url(struct kube_client *c, struct call *k, const char *path)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	if (buf_puts(&k->url, kubecfg_server(c->cfg)) < 0)
		return -E2BIG;
	return buf_puts(&k->url, path);
}

/* Run k and decode the answer into *out (new ref) when out is non-NULL. */
static int run_json(struct kube_client *c, struct call *k, json_object **out,
                    struct kube_status *st)
{
	json_object *o;
	int r = perform(c, k, st);

	if (r < 0 || !out)
		return r;
	o = parse_json(k->resp.data, k->resp.len, NULL);
	if (!o) {
		status_str(st, k->code, "", "response is not valid JSON");
		return -EPROTO;
	}
	*out = o;
	return 0;
}

static int body_call(struct kube_client *c, const char *verb, const char *method, const char *path,
                     const char *ctype, json_object *body, json_object **out,
                     struct kube_status *st)
{
	struct call k;
	size_t n = 0;
	int r;

	call_init(&k, verb, method);
	r = call_url(c, &k, path);
	if (r < 0 || !body) {
		r = r ? r : -EINVAL;
		status_str(st, 0, "", "bad request arguments");
		goto out;
	}
	k.content_type = ctype;
	k.body = json_object_to_json_string_length(
	    body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	k.body_len = n;
	if (!k.body) {
		r = -ENOMEM;
		goto out;
	}
	r = run_json(c, &k, out, st);
out:
	call_free(&k);
	return r;
}

/* --- verbs --------------------------------------------------------------- */

int kube_get(struct kube_client *c, const char *path, json_object **out, struct kube_status *st)
{
	struct call k;
	int r;

	call_init(&k, "GET", "GET");
	r = call_url(c, &k, path);
	if (r == 0)
		r = run_json(c, &k, out, st);
	else
		status_str(st, 0, "", "bad request arguments");
	call_free(&k);
	return r;
}

int kube_create(struct kube_client *c, const char *path, json_object *body, json_object **out,
                struct kube_status *st)
{
	return body_call(c, "CREATE", "POST", path, "application/json", body, out, st);
}

int kube_update(struct kube_client *c, const char *path, json_object *body, json_object **out,
                struct kube_status *st)
{
	return body_call(c, "UPDATE", "PUT", path, "application/json", body, out, st);
}

int kube_patch_merge(struct kube_client *c, const char *path, json_object *patch, json_object **out,
                     struct kube_status *st)
{
	return body_call(c, "PATCH", "PATCH", path, "application/merge-patch+json", patch, out, st);
}

int kube_apply(struct kube_client *c, const char *path, json_object *obj, const char *field_manager,
               bool force, json_object **out, struct kube_status *st)
{
	struct buf p = BUF_INIT(64 * 1024);
	int r;

	if (!path || !field_manager || !*field_manager || strlen(field_manager) > 128) {
		status_str(st, 0, "", "bad request arguments");
		return -EINVAL;
	}
	r = buf_puts(&p, path);
	if (r == 0)
		r = query(&p, "fieldManager", field_manager);
	if (r == 0 && force)
		r = query(&p, "force", "true");
	if (r == 0)
		r = body_call(c, "APPLY", "PATCH", p.data, "application/apply-patch+yaml", obj, out,
		              st);
	else
		status_str(st, 0, "", "bad request arguments");
	buf_free(&p);
	return r;
}

static json_object *delete_options(const char *propagation, const char *uid, const char *rv)
{
	json_object *o = json_object_new_object(), *pre = NULL;
	int r = 0;

	if (!o)
		return NULL;
	r |= json_object_object_add(o, "kind", json_object_new_string("DeleteOptions"));
	r |= json_object_object_add(o, "apiVersion", json_object_new_string("v1"));
	if (propagation)
		r |= json_object_object_add(o, "propagationPolicy",
		                            json_object_new_string(propagation));
	if (uid || rv) {
		pre = json_object_new_object();
		if (uid)
			r |= json_object_object_add(pre, "uid", json_object_new_string(uid));
		if (rv)
			r |= json_object_object_add(pre, "resourceVersion",
			                            json_object_new_string(rv));
		r |= json_object_object_add(o, "preconditions", pre);
	}
	if (r) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int kube_delete(struct kube_client *c, const char *path, const char *propagation,
                const char *precondition_uid, const char *precondition_rv, struct kube_status *st)
{
	json_object *opts;
	int r;

	if (propagation && strcmp(propagation, "Foreground") && strcmp(propagation, "Background") &&
	    strcmp(propagation, "Orphan")) {
		status_str(st, 0, "", "bad propagation policy");
		return -EINVAL;
	}
	opts = delete_options(propagation, precondition_uid, precondition_rv);
	if (!opts)
		return -ENOMEM;
	r = body_call(c, "DELETE", "DELETE", path, "application/json", opts, NULL, st);
	json_object_put(opts);
	return r;
}

/* The items of one page (borrowed) to fn; note continue/RV. */
static int take_page(json_object *page, kube_page_fn fn, void *ud, char **cont, char **rv)
{
	json_object *items, *meta, *none = NULL;
	const char *s;
	int r;

	if (!json_object_object_get_ex(page, "items", &items) || !items)
		items = none = json_object_new_array(); /* an empty list may omit items */
	if (!items)
		return -ENOMEM;
	if (!json_object_is_type(items, json_type_array))
		return -EPROTO;
	if (!json_object_object_get_ex(page, "metadata", &meta)) {
		json_object_put(none);
		return -EPROTO;
	}
	free(*cont);
	s = jsonutil_str(meta, "continue");
	*cont = s && *s ? xstrdup(s) : NULL;
	s = jsonutil_str(meta, "resourceVersion");
	if (s && *s) {
		free(*rv);
		*rv = xstrdup(s);
		if (!*rv) {
			json_object_put(none);
			return -ENOMEM;
		}
	}
	r = fn(items, ud);
	json_object_put(none);
	return r;
}

int kube_list_pages(struct kube_client *c, const char *path, const char *label_selector,
                    kube_page_fn fn, void *ud, char **resource_version, struct kube_status *st)
{
	json_object *page = NULL;
	char *cont = NULL, *rv = NULL, lim[32];
	struct call k;
	int r = 0;

	snprintf(lim, sizeof(lim), "%zu", c->page_size);
	do {
		call_init(&k, "LIST", "GET");
		r = call_url(c, &k, path);
		if (r == 0)
			r = query(&k.url, "limit", lim);
		if (r == 0 && label_selector && *label_selector)
			r = query(&k.url, "labelSelector", label_selector);
		if (r == 0 && cont)
			r = query(&k.url, "continue", cont);
		if (r < 0)
			status_str(st, 0, "", "bad request arguments");
		else
			r = run_json(c, &k, &page, st);
		call_free(&k);
		if (r < 0)
			break;
		r = take_page(page, fn, ud, &cont, &rv);
		json_object_put(page);
		page = NULL;
		if (r == -EPROTO)
			status_str(st, k.code, "", "list response is malformed");
		else if (r < 0)
			status_str(st, k.code, "", "list page not taken");
	} while (r == 0 && cont);
	if (r == 0 && !rv) {
		status_str(st, 200, "", "list response has no resourceVersion");
		r = -EPROTO;
	}
	free(cont);
	if (r < 0) {
		free(rv);
		return r;
	}
	*resource_version = rv;
	return 0;
}

/* kube_list's page function: every item into the array ud. */
static int gather(json_object *items, void *ud)
{
	size_t i, n = json_object_array_length(items);

	for (i = 0; i < n; i++)
		if (json_object_array_add(ud,
		                          json_object_get(json_object_array_get_idx(items, i))) < 0)
			return -ENOMEM;
	return 0;
}

int kube_list(struct kube_client *c, const char *path, const char *label_selector,
              json_object **items, char **resource_version, struct kube_status *st)
{
	json_object *all = json_object_new_array();
	int r;

	if (!all)
		return -ENOMEM;
	r = kube_list_pages(c, path, label_selector, gather, all, resource_version, st);
	if (r < 0) {
		json_object_put(all);
		return r;
	}
	*items = all;
	return 0;
}

/* --- watch --------------------------------------------------------------- */

struct watch {
	struct kube_client *c;
	CURL *h;
	struct watchsplit ws;
	struct buf errbody; /* the body of a non-200 answer */
	json_tokener *tok;
	long code;
	kube_watch_cb cb;
	void *ud;
	char **rv;
	const atomic_int *stop;
	int64_t last_data_ms;
	int64_t idle_ms;
	int result; /* why we aborted the transfer, 0 if we did not */
	struct kube_status *st;
};

static int set_rv(struct watch *w, json_object *obj)
{
	const char *s = jsonutil_meta(obj, "resourceVersion");
	char *n;

	if (!s || !*s || (*w->rv && strcmp(*w->rv, s) == 0))
		return 0;
	n = xstrdup(s);
	if (!n)
		return -ENOMEM;
	free(*w->rv);
	*w->rv = n;
	return 0;
}

static int on_line(void *ud, const char *line, size_t len)
{
	struct watch *w = ud;
	json_object *ev = parse_json(line, len, w->tok), *obj;
	const char *type;
	int r;

	if (!ev || !json_object_object_get_ex(ev, "object", &obj) ||
	    !json_object_is_type(obj, json_type_object) || !(type = jsonutil_str(ev, "type"))) {
		json_object_put(ev);
		status_str(w->st, w->code, "", "watch event is not valid JSON");
		return -EPROTO;
	}
	if (strcmp(type, "ERROR") == 0) {
		long code = status_from_obj(w->st, obj, 0);
		const char *reason = jsonutil_str(obj, "reason");

		r = code == 410 ? -ESTALE : errno_for(code ? code : 500, reason);
	} else if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0 ||
	           strcmp(type, "DELETED") == 0 || strcmp(type, "BOOKMARK") == 0) {
		/* The RV advances only once the event was handled, so a
		 * re-watch after an abort delivers it again. */
		r = w->cb(w->ud, type, obj);
		if (r == 0)
			r = set_rv(w, obj);
	} else {
		r = 0; /* a future event type: skip it */
	}
	json_object_put(ev);
	return r;
}

static size_t on_watch_body(char *p, size_t size, size_t n, void *ud)
{
	struct watch *w = ud;
	int r;

	w->last_data_ms = now_ms();
	if (!w->code)
		curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &w->code);
	if (w->code != 200)
		r = buf_append(&w->errbody, p, size * n);
	else
		r = watchsplit_feed(&w->ws, p, size * n, on_line, w);
	if (r != 0) {
		w->result = r;
		return 0;
	}
	return size * n;
}

static int on_watch_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct watch *w = ud;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	if (w->stop && atomic_load(w->stop)) {
		w->result = -ECANCELED;
		return 1;
	}
	if (now_ms() - w->last_data_ms > w->idle_ms) {
		w->result = -ETIMEDOUT;
		return 1;
	}
	return 0;
}

static int watch_url(struct kube_client *c, struct buf *url, const char *path,
                     const char *label_selector, const char *rv, int timeout_s)
{
	char t[32];
	int r;

	snprintf(t, sizeof(t), "%d", timeout_s);
	if (!path || path[0] != '/')
		return -EINVAL;
	r = buf_puts(url, kubecfg_server(c->cfg));
	if (r == 0)
		r = buf_puts(url, path);
	if (r == 0)
		r = query(url, "watch", "1");
	if (r == 0)
		r = query(url, "allowWatchBookmarks", "true");
	if (r == 0 && timeout_s > 0)
		r = query(url, "timeoutSeconds", t);
	if (r == 0 && rv && *rv)
		r = query(url, "resourceVersion", rv);
	if (r == 0 && label_selector && *label_selector)
		r = query(url, "labelSelector", label_selector);
	return r;
}

static int watch_perform(struct kube_client *c, struct watch *w, const char *url)
{
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc = CURLE_OK;
	double t0 = now_mono();
	int r;

	w->h = handle_get(c);
	if (!w->h)
		return -ENOMEM;
	r = build_headers(c, NULL, &hdrs);
	if (r == 0)
		r = setup(c, w->h, url, hdrs, errbuf);
	if (r < 0)
		goto out;
#define SET(opt, val) (cc = cc ? cc : curl_easy_setopt(w->h, opt, val))
	SET(CURLOPT_WRITEFUNCTION, on_watch_body);
	SET(CURLOPT_WRITEDATA, w);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, on_watch_progress);
	SET(CURLOPT_XFERINFODATA, w);
#undef SET
	if (cc == CURLE_OK) {
		w->last_data_ms = now_ms();
		cc = curl_easy_perform(w->h);
		if (!w->code)
			curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &w->code);
		observe(c, "WATCH", w->code, t0);
	}
	if (w->result) {
		r = w->result;
		if (r == -ECANCELED)
			status_str(w->st, w->code, "", "watch stopped");
		else if (r == -ETIMEDOUT)
			status_str(w->st, w->code, "", "watch idle for too long");
		else if (r == -E2BIG)
			status_str(w->st, w->code, "", "watch event over the size limit");
	} else if (cc != CURLE_OK) {
		status_str(w->st, w->code, "", errbuf[0] ? errbuf : curl_easy_strerror(cc));
		r = errno_for_curl(cc);
	} else if (w->code != 200) {
		r = status_from_body(w->st, w->code, &w->errbody);
	} else {
		r = watchsplit_finish(&w->ws, on_line, w);
		if (r == 0)
			status_str(w->st, 200, "", "");
	}
out:
	wipe_headers(hdrs);
	curl_easy_setopt(w->h, CURLOPT_HTTPHEADER, NULL);
	handle_put(c, w->h);
	return r;
}

int kube_watch(struct kube_client *c, const char *path, const char *label_selector, char **rv,
               int timeout_s, const atomic_int *stop, kube_watch_cb cb, void *ud,
               struct kube_status *st)
{
	struct buf url = BUF_INIT(64 * 1024);
	struct buf eb = BUF_INIT(TK_MAX_API_BODY);
	struct watch w;
	int r;

	if (!rv || !cb || timeout_s < 0) {
		status_str(st, 0, "", "bad request arguments");
		return -EINVAL;
	}
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.cb = cb;
	w.ud = ud;
	w.rv = rv;
	w.stop = stop;
	w.st = st;
	w.errbody = eb;
	w.idle_ms = (int64_t)(timeout_s > 0 ? timeout_s : 3600) * 1000 + WATCH_IDLE_GRACE_MS;
	watchsplit_init(&w.ws, TK_MAX_WATCH_LINE);
	w.tok = json_tokener_new_ex(TK_MAX_JSON_DEPTH);
	r = w.tok ? watch_url(c, &url, path, label_selector, *rv, timeout_s) : -ENOMEM;
	if (r < 0)
		status_str(st, 0, "", "bad request arguments");
	else
		r = watch_perform(c, &w, url.data);
	if (w.tok)
		json_tokener_free(w.tok);
	watchsplit_free(&w.ws);
	buf_free(&w.errbody);
	buf_free(&url);
	return r;
}

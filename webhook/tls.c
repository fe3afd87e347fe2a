/* tls.c - serving certificate, TLS policy and hot reload. */
#include "compat.h"

#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdbool.h>
#include <pthread.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "log.h"

/* Certificates and keys are small; anything bigger is not a PEM pair. */
#define TLS_MAX_PEM (1024u * 1024u)
/* Quiet time after a file event before reloading, so a writer that
 * replaces the two files one after the other is seen once. */
#define TLS_DEBOUNCE_MS 200

/* TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3's defaults are
 * all AEAD already. */
static const char tls_ciphers12[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

struct tls {
	char *cert_file, *key_file;
	char *client_ca_file; /* NULL: clients are not asked for a certificate */
	int reload_seconds;
	struct metrics *metrics;
	SSL_CTX *base; /* the context CivetWeb holds */
	/*
	 * The newest context. Readers take a reference to it (through
	 * SSL_set_SSL_CTX) under the read lock; the writer swaps it under the
	 * write lock and drops its reference after, so a reader never sees a
	 * context whose last reference is being released. An atomic pointer
	 * alone could not give that guarantee.
	 */
	SSL_CTX *current;
	pthread_rwlock_t lock;
	pthread_mutex_t reload_lock;         /* one reload at a time */
	char digest[TLS_DIGEST_SIZE];        /* fingerprint of the current files */
	char failed_digest[TLS_DIGEST_SIZE]; /* of the last files that failed, "" none */
	pthread_t thread;
	int thread_started;
	int stop_pipe[2];
	int inotify_fd;
};

static void tls_openssl_error(struct buf *why)
{
	unsigned long e = ERR_get_error();
	char s[256];

	if (e) {
		ERR_error_string_n(e, s, sizeof(s));
		buf_sayf(why, ": %s", s);
	}
	ERR_clear_error();
}

static SSL_CTX *tls_ctx_policy(struct buf *why)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		buf_sayf(why, "cannot create a TLS context");
		tls_openssl_error(why);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, tls_ciphers12) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
		buf_sayf(why, "cannot apply the TLS policy");
		tls_openssl_error(why);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* A keep-alive connection waiting for its next request holds no
	 * record buffers (two of some 17 KiB each otherwise): the workers,
	 * one per connection, are many and mostly idle. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}

/* Leaf then any intermediates from PEM bytes. */
static int tls_use_chain(SSL_CTX *ctx, const char *pem, size_t len, const char *file,
                         struct buf *why)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *leaf = NULL, *ca;
	int r = -EINVAL;

	if (!bio)
		return -ENOMEM;
	leaf = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
	if (!leaf) {
		buf_sayf(why, "certificate file \"%s\" holds no PEM certificate", file);
		goto out;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0) {
		buf_sayf(why, "certificate \"%s\" has expired", file);
		goto out;
	}
	if (SSL_CTX_use_certificate(ctx, leaf) != 1) {
		buf_sayf(why, "certificate \"%s\" cannot be used", file);
		tls_openssl_error(why);
		goto out;
	}
	while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
			X509_free(ca);
			buf_sayf(why, "certificate chain \"%s\" cannot be used", file);
			goto out;
		}
	}
	r = 0;
out:
	ERR_clear_error(); /* the end of the PEM stream leaves an error queued */
	X509_free(leaf);
	BIO_free(bio);
	return r;
}

static int tls_use_key(SSL_CTX *ctx, const char *pem, size_t len, const char *file,
                       const char *cert_file, struct buf *why)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *key = NULL;
	int r = -EINVAL;

	if (!bio)
		return -ENOMEM;
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (!key) {
		buf_sayf(why, "private key file \"%s\" holds no PEM private key", file);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		buf_sayf(why, "private key \"%s\" does not match certificate \"%s\"", file,
		         cert_file);
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	BIO_free(bio);
	return r;
}

/*
 * Trust exactly the certificates of the client CA file (a bundle may hold
 * the old and the new CA during a rotation; no system roots), and refuse
 * at the handshake every client that presents no certificate or one they
 * did not sign. OpenSSL checks the chain for the TLS client purpose, so
 * the client certificate needs no extended key usage or clientAuth.
 */
static int tls_use_client_ca(SSL_CTX *ctx, const char *pem, size_t len, const char *file,
                             struct buf *why)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
	X509_NAME *name = NULL;
	X509 *x;
	int n = 0, r = -ENOMEM;

	if (!bio || !store || !names)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		name = X509_NAME_dup(X509_get_subject_name(x));
		if (!name || X509_STORE_add_cert(store, x) != 1 ||
		    !sk_X509_NAME_push(names, name)) {
			X509_free(x);
			buf_sayf(why, "client CA \"%s\" cannot be used", file);
			tls_openssl_error(why);
			r = -EINVAL;
			goto out;
		}
		name = NULL;
		X509_free(x);
		n++;
	}
	if (n == 0) {
		buf_sayf(why, "client CA file \"%s\" holds no PEM certificate", file);
		r = -EINVAL;
		goto out;
	}
	SSL_CTX_set_cert_store(ctx, store);
	SSL_CTX_set_client_CA_list(ctx, names);
	store = NULL;
	names = NULL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	/*
	 * No resumption: a resumed session skips the client's certificate, so
	 * it would outlive a change of the CA, and sessions are kept by the
	 * context CivetWeb holds, not by the newest one.
	 */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	r = 0;
out:
	ERR_clear_error();
	X509_NAME_free(name);
	sk_X509_NAME_pop_free(names, X509_NAME_free);
	X509_STORE_free(store);
	BIO_free(bio);
	return r;
}

/* Read and apply the client CA file; its fingerprint goes to hca. */
static int tls_load_client_ca(SSL_CTX *ctx, const char *file, char hca[65], struct buf *why)
{
	char *pem = NULL;
	size_t len = 0;
	int r;

	r = read_file(file, TLS_MAX_PEM, &pem, &len);
	if (r < 0) {
		buf_sayf(why, "cannot read client CA \"%s\": %s", file, strerror(-r));
		return r;
	}
	sha256_hex(pem, len, hca);
	if (ctx)
		r = tls_use_client_ca(ctx, pem, len, file, why);
	free(pem);
	return r;
}

/* Free a key buffer, wiping it first. */
static void tls_free_key(char *key, size_t klen)
{
	if (key)
		OPENSSL_cleanse(key, klen);
	free(key);
}

/*
 * Read both files as one consistent pair: the kubelet swaps both at once
 * by flipping a symlink, which can fall between the two reads, so the
 * certificate is read again after the key and the pair re-read if it
 * changed meanwhile.
 */
static int tls_read_pair(const char *cert_file, const char *key_file, char **cert, size_t *clen,
                         char **key, size_t *klen, struct buf *why)
{
	char *again = NULL;
	size_t alen = 0;
	int r = 0, tries;

	for (tries = 0; tries < 3; tries++) {
		r = read_file(cert_file, TLS_MAX_PEM, cert, clen);
		if (r < 0) {
			buf_sayf(why, "cannot read certificate \"%s\": %s", cert_file,
			         strerror(-r));
			return r;
		}
		r = read_file(key_file, TLS_MAX_PEM, key, klen);
		if (r < 0) {
			buf_sayf(why, "cannot read private key \"%s\": %s", key_file, strerror(-r));
			free(*cert);
			*cert = NULL;
			return r;
		}
		r = read_file(cert_file, TLS_MAX_PEM, &again, &alen);
		if (r == 0 && alen == *clen && memcmp(again, *cert, alen) == 0)
			break;
		free(again);
		again = NULL;
		free(*cert);
		tls_free_key(*key, *klen);
		*cert = *key = NULL;
	}
	free(again);
	if (!*cert) {
		buf_sayf(why, "certificate \"%s\" keeps changing while being read", cert_file);
		return -EAGAIN;
	}
	return 0;
}

int tls_load(const char *cert_file, const char *key_file, const char *client_ca_file, SSL_CTX **out,
             char digest[TLS_DIGEST_SIZE], struct buf *why)
{
	char *cert = NULL, *key = NULL;
	size_t clen = 0, klen = 0;
	char hc[65], hk[65], hca[65] = "";
	SSL_CTX *ctx = NULL;
	int r;

	r = tls_read_pair(cert_file, key_file, &cert, &clen, &key, &klen, why);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	ctx = tls_ctx_policy(why);
	if (!ctx)
		goto out;
	r = tls_use_chain(ctx, cert, clen, cert_file, why);
	if (r == 0)
		r = tls_use_key(ctx, key, klen, key_file, cert_file, why);
	/* Read even when the pair failed, for the fingerprint. */
	if (client_ca_file) {
		int rca = tls_load_client_ca(r == 0 ? ctx : NULL, client_ca_file, hca, why);

		if (r == 0)
			r = rca;
	}
	if (digest) {
		sha256_hex(cert, clen, hc);
		sha256_hex(key, klen, hk);
		snprintf(digest, TLS_DIGEST_SIZE, "%s:%s%s%s", hc, hk, *hca ? ":" : "", hca);
	}
	if (r < 0)
		goto out;
	*out = ctx;
	ctx = NULL;
out:
	SSL_CTX_free(ctx);
	free(cert);
	tls_free_key(key, klen);
	return r;
}

int tls_ctx_serial(SSL_CTX *ctx, struct buf *out)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	BIGNUM *bn;
	char *hex;
	int r;

	if (!x)
		return -ENOENT;
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	BN_free(bn);
	if (!hex)
		return -ENOMEM;
	buf_reset(out);
	r = buf_puts(out, hex);
	OPENSSL_free(hex);
	return r;
}

/* Every handshake moves onto the newest context before the certificate
 * is chosen. */
static int tls_cert_cb(SSL *ssl, void *arg)
{
	struct tls *t = arg;
	int ok = 1;

	pthread_rwlock_rdlock(&t->lock);
	if (SSL_get_SSL_CTX(ssl) != t->current) {
		if (SSL_set_SSL_CTX(ssl, t->current))
			/* SSL_set_SSL_CTX keeps the verify mode of the
			 * first context; the trust store and CA names come
			 * from the new one. */
			SSL_set_verify(ssl, SSL_CTX_get_verify_mode(t->current), NULL);
		else
			ok = 0;
	}
	pthread_rwlock_unlock(&t->lock);
	return ok;
}

static void tls_observe(struct tls *t, SSL_CTX *ctx)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	struct tm tm;

	if (!t->metrics || !x || ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
		return;
	metrics_gauge_set(t->metrics, "thurkube_webhook_tls_certificate_expiry_timestamp_seconds",
	                  "Expiry of the serving certificate in use (unix time)", NULL,
	                  (double)timegm(&tm));
}

static void tls_count(struct tls *t, const char *result)
{
	char labels[32];

	if (!t->metrics)
		return;
	snprintf(labels, sizeof(labels), "result=\"%s\"", result);
	metrics_counter_add(t->metrics, "thurkube_webhook_tls_reloads_total",
	                    "Serving certificate reloads by result", labels, 1);
}

int tls_reload(struct tls *t, struct buf *why)
{
	SSL_CTX *ctx = NULL, *old;
	char digest[TLS_DIGEST_SIZE] = "";
	const char *key;
	int r;

	pthread_mutex_lock(&t->reload_lock);
	r = tls_load(t->cert_file, t->key_file, t->client_ca_file, &ctx, digest, why);
	/* Files that cannot be read have no digest; they are one state. */
	key = *digest ? digest : "unreadable";
	if (strcmp(key, t->digest) == 0) {
		r = 0;
		goto out;
	}
	if (r < 0) {
		if (strcmp(key, t->failed_digest) == 0) {
			r = 0; /* already reported */
			goto out;
		}
		snprintf(t->failed_digest, sizeof(t->failed_digest), "%s", key);
		tls_count(t, "failure");
		goto out;
	}
	SSL_CTX_set_cert_cb(ctx, tls_cert_cb, t);
	pthread_rwlock_wrlock(&t->lock);
	old = t->current;
	t->current = ctx;
	pthread_rwlock_unlock(&t->lock);
	SSL_CTX_free(old);
	ctx = NULL;
	snprintf(t->digest, sizeof(t->digest), "%s", digest);
	t->failed_digest[0] = '\0';
	tls_count(t, "success");
	tls_observe(t, t->current);
	r = 1;
out:
	SSL_CTX_free(ctx);
	pthread_mutex_unlock(&t->reload_lock);
	return r;
}

SSL_CTX *tls_current(struct tls *t)
{
	SSL_CTX *c;

	pthread_rwlock_rdlock(&t->lock);
	c = t->current;
	SSL_CTX_up_ref(c);
	pthread_rwlock_unlock(&t->lock);
	return c;
}

SSL_CTX *tls_ssl_ctx(struct tls *t)
{
	return t->base;
}

int tls_new(const struct tls_options *o, struct tls **out, struct buf *err)
{
	struct tls *t = calloc(1, sizeof(*t));
	int r = -ENOMEM;

	if (!t)
		goto fail_alloc;
	t->stop_pipe[0] = t->stop_pipe[1] = -1;
	t->inotify_fd = -1;
	t->reload_seconds = o->reload_seconds > 0 ? o->reload_seconds : 10;
	t->metrics = o->metrics;
	t->cert_file = xstrdup(o->cert_file);
	t->key_file = xstrdup(o->key_file);
	t->client_ca_file = xstrdup(o->client_ca_file);
	if (!t->cert_file || !t->key_file || (o->client_ca_file && !t->client_ca_file))
		goto fail;
	pthread_rwlock_init(&t->lock, NULL);
	pthread_mutex_init(&t->reload_lock, NULL);
	r = tls_load(t->cert_file, t->key_file, t->client_ca_file, &t->base, t->digest, err);
	if (r < 0)
		goto fail_locks;
	SSL_CTX_set_cert_cb(t->base, tls_cert_cb, t);
	SSL_CTX_up_ref(t->base);
	t->current = t->base;
	tls_count(t, "success");
	tls_observe(t, t->current);
	*out = t;
	return 0;
fail_locks:
	pthread_rwlock_destroy(&t->lock);
	pthread_mutex_destroy(&t->reload_lock);
fail:
	free(t->cert_file);
	free(t->key_file);
	free(t->client_ca_file);
	free(t);
fail_alloc:
	if (r == -ENOMEM && err->len == 0)
		buf_sayf(err, "out of memory");
	return r;
}

/* Already in dirs[0..i-1]? */
static bool tls_seen(char *const *dirs, int i)
{
	int j;

	for (j = 0; j < i; j++)
		if (dirs[j] && strcmp(dirs[j], dirs[i]) == 0)
			return true;
	return false;
}

/* Watch the directories holding the files (deduplicated). */
static int tls_add_watches(struct tls *t, int fd)
{
	const char *files[3] = {t->cert_file, t->key_file, t->client_ca_file};
	char *dirs[3] = {NULL, NULL, NULL};
	int i, n = 0;

	for (i = 0; i < 3 && files[i]; i++) {
		char *copy = xstrdup(files[i]);

		dirs[i] = copy ? xstrdup(dirname(copy)) : NULL;
		free(copy);
		if (!dirs[i] || tls_seen(dirs, i))
			continue;
		if (inotify_add_watch(fd, dirs[i],
		                      IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE |
		                          IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF) >=
		    0)
			n++;
		else
			log_warn("cannot watch certificate directory", "dir", dirs[i], "error",
			         strerror(errno));
	}
	for (i = 0; i < 3; i++)
		free(dirs[i]);
	return n;
}

static void tls_try_reload(struct tls *t)
{
	struct buf why = BUF_INIT(4096), serial = BUF_INIT(256);
	int r = tls_reload(t, &why);

	if (r > 0) {
		SSL_CTX *c = tls_current(t);

		if (tls_ctx_serial(c, &serial) < 0)
			buf_reset(&serial);
		SSL_CTX_free(c);
		log_info("serving certificate reloaded", "cert", t->cert_file, "serial",
		         serial.data ? serial.data : "");
	} else if (r < 0) {
		log_error("serving certificate not reloaded, previous one kept", "cert",
		          t->cert_file, "error", why.data ? why.data : strerror(-r));
	}
	buf_free(&why);
	buf_free(&serial);
}

static void *tls_watch(void *arg)
{
	struct tls *t = arg;
	int fd = t->inotify_fd;
	/* Check once at once: the files may have changed between tls_new and
	 * the watches being set up. */
	int64_t next_poll = now_ms() + (int64_t)t->reload_seconds * 1000, due = now_ms();
	char evbuf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		struct pollfd p[2] = {{t->stop_pipe[0], POLLIN, 0}, {fd, POLLIN, 0}};
		int64_t now = now_ms(), wait = next_poll - now;

		if (due >= 0 && due - now < wait)
			wait = due - now;
		if (wait < 0)
			wait = 0;
		if (poll(p, fd >= 0 ? 2 : 1, (int)wait) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (fd >= 0 && (p[1].revents & POLLIN)) {
			while (read(fd, evbuf, sizeof(evbuf)) > 0)
				;
			due = now_ms() + TLS_DEBOUNCE_MS;
		}
		now = now_ms();
		if ((due >= 0 && now >= due) || now >= next_poll) {
			due = -1;
			next_poll = now + (int64_t)t->reload_seconds * 1000;
			tls_try_reload(t);
		}
	}
	return NULL;
}

int tls_start(struct tls *t)
{
	char interval[24];
	int r;

	if (pipe(t->stop_pipe) < 0)
		return -errno;
	(void)fcntl(t->stop_pipe[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(t->stop_pipe[1], F_SETFD, FD_CLOEXEC);
	/* The watches exist before this returns, so no change made after
	 * tls_start can be missed. */
	t->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (t->inotify_fd < 0 || tls_add_watches(t, t->inotify_fd) == 0) {
		snprintf(interval, sizeof(interval), "%d", t->reload_seconds);
		log_warn("certificate directory not watched, polling only", "interval_s", interval);
	}
	r = pthread_create(&t->thread, NULL, tls_watch, t);
	if (r != 0) {
		close(t->stop_pipe[0]);
		close(t->stop_pipe[1]);
		t->stop_pipe[0] = t->stop_pipe[1] = -1;
		return -r;
	}
	t->thread_started = 1;
	return 0;
}

void tls_free(struct tls *t)
{
	if (!t)
		return;
	if (t->thread_started) {
		if (write(t->stop_pipe[1], "x", 1) < 0)
			log_warn("cannot stop the certificate watcher", "error", strerror(errno));
		pthread_join(t->thread, NULL);
	}
	if (t->stop_pipe[0] >= 0) {
		close(t->stop_pipe[0]);
		close(t->stop_pipe[1]);
	}
	if (t->inotify_fd >= 0)
		close(t->inotify_fd);
	SSL_CTX_free(t->current);
	SSL_CTX_free(t->base);
	pthread_rwlock_destroy(&t->lock);
	pthread_mutex_destroy(&t->reload_lock);
	free(t->cert_file);
	free(t->key_file);
	free(t->client_ca_file);
	free(t);
}

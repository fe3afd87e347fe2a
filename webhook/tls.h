/*
 * tls.h - the webhook's serving certificate, owned by the application and
 * reloaded without a restart.
 *
 * CivetWeb is handed one SSL_CTX through its external_ssl_ctx callback
 * (tls_ssl_ctx). Every context this module builds carries a certificate
 * callback that moves each new handshake onto the newest successfully
 * loaded context with SSL_set_SSL_CTX, so a rotation takes effect on the
 * next handshake while open connections keep theirs.
 *
 * A reload reads the certificate chain and key files, and builds a NEW
 * SSL_CTX (TLS 1.2+, ECDHE with AES-GCM/ChaCha20 only) that must hold a key
 * matching the certificate and a certificate that has not expired; only
 * then is it published. A broken or half-written pair is reported and the
 * old context keeps serving. Reloads are triggered by inotify on the
 * directories holding the files (the kubelet and cert-manager swap a
 * `..data` symlink, which a watch on the file itself would miss) and by a
 * periodic check as a backstop.
 *
 * Client verification (client_ca_file set, --client-ca-file): every
 * context asks the client for a certificate and completes the handshake
 * only when the client presents one that chains to a certificate of that
 * file, the only trust anchors (no system roots); a client without one, or
 * with one from another CA, is refused at the handshake, before any HTTP.
 * The CA file is part of what a reload reads and fingerprints, so a new CA
 * bundle takes effect on the next handshake like a new serving pair, and a
 * broken one is reported while the old context keeps serving. Sessions are
 * not resumed then, so every connection shows its certificate. The health
 * port is not TLS and not concerned.
 */
#ifndef THURKUBE_TLS_H
#define THURKUBE_TLS_H

#include "compat.h"

#include <openssl/ssl.h>

#include "metrics.h"
#include "util.h"

struct tls;

/* Fingerprint of the files of one context: "<sha256>:<sha256>[:<sha256>]". */
#define TLS_DIGEST_SIZE 196

struct tls_options {
	const char *cert_file;   /* PEM chain, leaf first (borrowed; copied) */
	const char *key_file;    /* PEM private key (borrowed; copied) */
	int reload_seconds;      /* periodic check interval, >= 1 */
	struct metrics *metrics; /* borrowed, may be NULL */
	/* PEM bundle of the CAs whose client certificates are served;
	 * NULL: no client verification (borrowed; copied) */
	const char *client_ca_file;
};

/*
 * Load the initial pair and set up the module. On failure returns a
 * negative errno with one clear line in err (e.g. `private key
 * "/etc/thurkube/tls/tls.key" does not match certificate
 * "/etc/thurkube/tls/tls.crt"`); *out is then untouched.
 */
int tls_new(const struct tls_options *o, struct tls **out, struct buf *err) TK_MUST_CHECK;

/* Stop the watcher (if started) and release everything. Call only after
 * the server using tls_ssl_ctx() has stopped. NULL is fine. */
void tls_free(struct tls *t);

/* Start the background watcher thread. 0 or a negative errno. */
int tls_start(struct tls *t) TK_MUST_CHECK;

/* The context to hand to CivetWeb (borrowed; owned by t, valid until
 * tls_free). */
SSL_CTX *tls_ssl_ctx(struct tls *t);

/*
 * Check the files now. Returns 1 when a new pair was loaded and published,
 * 0 when nothing changed (or the same broken content was already
 * reported), or a negative errno with a line in why when the new content is
 * unusable (the previous context stays current). Thread-safe.
 */
int tls_reload(struct tls *t, struct buf *why) TK_MUST_CHECK;

/* The newest published context, as a new reference (SSL_CTX_free it). */
SSL_CTX *tls_current(struct tls *t);

/*
 * Build a serving context from PEM files, fully configured (protocols,
 * ciphers, and client verification when client_ca_file is not NULL),
 * without publishing it. Returns 0 and a new context in *out, or a
 * negative errno with one line in why (e.g. `client CA file "ca.crt"
 * holds no PEM certificate`). digest (may be NULL) receives a fingerprint
 * of the files' bytes, to tell whether they changed; it is set whenever
 * the serving pair could be read, even if the context failed.
 */
int tls_load(const char *cert_file, const char *key_file, const char *client_ca_file, SSL_CTX **out,
             char digest[TLS_DIGEST_SIZE], struct buf *why) TK_MUST_CHECK;

/* Hex serial number of ctx's certificate into out (replacing it). */
int tls_ctx_serial(SSL_CTX *ctx, struct buf *out) TK_MUST_CHECK;

#endif

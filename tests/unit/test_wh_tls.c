/* test_wh_tls.c - serving pairs: loading, validation, reload keeping the
 * old pair on failure, and handshakes moving onto the newest context. */
#include "compat.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../../webhook/tls.h"
#include "metrics.h"
#include "util.h"

static char dir[64];
static char cert_path[128], key_path[128], ca_path[128];

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	ck_assert_ptr_nonnull(k);
	return k;
}

/* A self-signed certificate for 127.0.0.1 with the given serial, valid
 * from not_before to not_after seconds relative to now. */
static X509 *new_cert(EVP_PKEY *k, long serial, long not_before, long not_after)
{
	X509 *x = X509_new();
	X509_NAME *n;
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	ck_assert_ptr_nonnull(x);
	ck_assert(X509_set_version(x, 2));
	ck_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), not_before));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), not_after));
	ck_assert(X509_set_pubkey(x, k));
	n = X509_get_subject_name(x);
	ck_assert(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	                                     (const unsigned char *)"127.0.0.1", -1, -1, 0));
	ck_assert(X509_set_issuer_name(x, n));
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
	ck_assert_ptr_nonnull(ext);
	ck_assert(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
	ck_assert(X509_sign(x, k, EVP_sha256()) > 0);
	return x;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

enum pair_kind { PAIR_GOOD, PAIR_MISMATCH, PAIR_GARBAGE_CERT, PAIR_GARBAGE_KEY, PAIR_EXPIRED };

/* Write cert_path/key_path as the given kind of pair. */
static void write_pair(enum pair_kind kind, long serial)
{
	EVP_PKEY *k = new_key(), *other = NULL;
	X509 *x = new_cert(k, serial, -3600, kind == PAIR_EXPIRED ? -60 : 86400);
	FILE *f;

	f = fopen(cert_path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert(PEM_write_X509(f, x));
	fclose(f);
	if (kind == PAIR_MISMATCH)
		other = new_key();
	f = fopen(key_path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert(PEM_write_PrivateKey(f, other ? other : k, NULL, NULL, 0, NULL, NULL));
	fclose(f);
	if (kind == PAIR_GARBAGE_CERT)
		write_text(cert_path, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n");
	if (kind == PAIR_GARBAGE_KEY)
		write_text(key_path, "garbage\n");
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_wh_tls.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cert_path, sizeof(cert_path), "%s/tls.crt", dir);
	snprintf(key_path, sizeof(key_path), "%s/tls.key", dir);
	snprintf(ca_path, sizeof(ca_path), "%s/client-ca.crt", dir);
}

static void teardown(void)
{
	unlink(cert_path);
	unlink(key_path);
	unlink(ca_path);
	rmdir(dir);
}

static const struct {
	enum pair_kind kind;
	const char *why; /* prefix of the message, NULL when the pair loads */
} load_cases[] = {
    {PAIR_GOOD, NULL},
    {PAIR_MISMATCH, "private key \""},
    {PAIR_GARBAGE_CERT, "certificate file \""},
    {PAIR_GARBAGE_KEY, "private key file \""},
    {PAIR_EXPIRED, "certificate \""},
};

START_TEST(test_load)
{
	struct buf why = BUF_INIT(4096), serial = BUF_INIT(256);
	char digest[TLS_DIGEST_SIZE] = "";
	SSL_CTX *ctx = NULL;
	int r;

	write_pair(load_cases[_i].kind, 4242);
	r = tls_load(cert_path, key_path, NULL, &ctx, digest, &why);
	ck_assert_int_eq(strlen(digest), 129);
	if (!load_cases[_i].why) {
		ck_assert_int_eq(r, 0);
		ck_assert_int_eq(tls_ctx_serial(ctx, &serial), 0);
		ck_assert_str_eq(serial.data, "1092"); /* 4242 in hex */
		ck_assert_int_eq(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
		SSL_CTX_free(ctx);
	} else {
		ck_assert_int_eq(r, -EINVAL);
		ck_assert_ptr_null(ctx);
		ck_assert_msg(strncmp(why.data, load_cases[_i].why, strlen(load_cases[_i].why)) ==
		                  0,
		              "why: %s", why.data);
	}
	if (load_cases[_i].kind == PAIR_MISMATCH)
		ck_assert(strstr(why.data, "does not match certificate"));
	if (load_cases[_i].kind == PAIR_EXPIRED)
		ck_assert(strstr(why.data, "has expired"));
	buf_free(&why);
	buf_free(&serial);
}
END_TEST

START_TEST(test_load_missing)
{
	struct buf why = BUF_INIT(4096);
	SSL_CTX *ctx = NULL;

	ck_assert_int_eq(tls_load(cert_path, key_path, NULL, &ctx, NULL, &why), -ENOENT);
	ck_assert_ptr_null(ctx);
	ck_assert(strstr(why.data, "cannot read certificate"));
	buf_free(&why);
}
END_TEST

static void assert_serial(struct tls *t, const char *hex)
{
	struct buf s = BUF_INIT(256);
	SSL_CTX *c = tls_current(t);

	ck_assert_int_eq(tls_ctx_serial(c, &s), 0);
	ck_assert_str_eq(s.data, hex);
	SSL_CTX_free(c);
	buf_free(&s);
}

static int reload(struct tls *t)
{
	struct buf why = BUF_INIT(4096);
	int r = tls_reload(t, &why);

	buf_free(&why);
	return r;
}

/* Bad pairs are refused and the old one stays; each bad state counts
 * once; a good new pair is published. */
START_TEST(test_reload_keeps_old)
{
	struct metrics *m = metrics_new();
	struct tls_options o = {cert_path, key_path, 10, m, NULL};
	struct buf err = BUF_INIT(4096);
	struct tls *t = NULL;

	write_pair(PAIR_GOOD, 1);
	ck_assert_int_eq(tls_new(&o, &t, &err), 0);
	assert_serial(t, "01");
	ck_assert_int_eq(reload(t), 0); /* unchanged */

	write_pair(PAIR_MISMATCH, 2);
	ck_assert_int_lt(reload(t), 0);
	assert_serial(t, "01");
	ck_assert_int_eq(reload(t), 0); /* same broken pair: reported once */

	write_pair(PAIR_GARBAGE_CERT, 3);
	ck_assert_int_lt(reload(t), 0);
	assert_serial(t, "01");

	write_pair(PAIR_EXPIRED, 4);
	ck_assert_int_lt(reload(t), 0);
	assert_serial(t, "01");

	unlink(key_path);
	ck_assert_int_lt(reload(t), 0);
	ck_assert_int_eq(reload(t), 0);
	assert_serial(t, "01");

	write_pair(PAIR_GOOD, 5);
	ck_assert_int_eq(reload(t), 1);
	assert_serial(t, "05");
	ck_assert(metrics_value(m, "thurkube_webhook_tls_reloads_total", "result=\"failure\"") ==
	          4.0);
	ck_assert(metrics_value(m, "thurkube_webhook_tls_reloads_total", "result=\"success\"") ==
	          2.0);
	tls_free(t);
	metrics_free(m);
	buf_free(&err);
}
END_TEST

START_TEST(test_new_fails_cleanly)
{
	struct tls_options o = {cert_path, key_path, 10, NULL, NULL};
	struct buf err = BUF_INIT(4096);
	struct tls *t = (struct tls *)&o; /* must stay untouched */

	write_pair(PAIR_MISMATCH, 1);
	ck_assert_int_eq(tls_new(&o, &t, &err), -EINVAL);
	ck_assert_ptr_eq(t, (struct tls *)&o);
	ck_assert(strstr(err.data, "does not match"));
	buf_free(&err);
}
END_TEST

/*
 * Handshake in memory between a client and an SSL made from the context
 * CivetWeb holds. Returns 1 when it completes; *serial gets the peer
 * certificate's serial.
 */
static int handshake_as(SSL_CTX *server_ctx, int client_max_version, X509 *ccert, EVP_PKEY *ckey,
                        long *serial)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *c, *s;
	BIO *cb, *sb;
	int i, cdone = 0, sdone = 0, ok;

	ck_assert_ptr_nonnull(cctx);
	if (client_max_version) {
		SSL_CTX_set_min_proto_version(cctx, client_max_version);
		SSL_CTX_set_max_proto_version(cctx, client_max_version);
		/* Let the client offer old protocols, so only the server refuses. */
		SSL_CTX_set_cipher_list(cctx, "DEFAULT:@SECLEVEL=0");
	}
	if (ccert) {
		ck_assert_int_eq(SSL_CTX_use_certificate(cctx, ccert), 1);
		ck_assert_int_eq(SSL_CTX_use_PrivateKey(cctx, ckey), 1);
	}
	c = SSL_new(cctx);
	s = SSL_new(server_ctx);
	ck_assert(BIO_new_bio_pair(&cb, 0, &sb, 0));
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (i = 0; i < 100 && !(cdone && sdone); i++) {
		int rc = SSL_do_handshake(c), rs = SSL_do_handshake(s);

		cdone = rc == 1;
		sdone = rs == 1;
		if ((rc <= 0 && SSL_get_error(c, rc) != SSL_ERROR_WANT_READ) ||
		    (rs <= 0 && SSL_get_error(s, rs) != SSL_ERROR_WANT_READ))
			break;
	}
	ok = cdone && sdone;
	if (ok) {
		X509 *peer = SSL_get1_peer_certificate(c);

		ck_assert_ptr_nonnull(peer);
		*serial = ASN1_INTEGER_get(X509_get0_serialNumber(peer));
		X509_free(peer);
	}
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	ERR_clear_error();
	return ok;
}

static int handshake(SSL_CTX *server_ctx, int client_max_version, long *serial)
{
	return handshake_as(server_ctx, client_max_version, NULL, NULL, serial);
}

START_TEST(test_handshake_uses_newest)
{
	struct tls_options o = {cert_path, key_path, 10, NULL, NULL};
	struct buf err = BUF_INIT(4096);
	struct tls *t = NULL;
	long serial = 0;

	write_pair(PAIR_GOOD, 7);
	ck_assert_int_eq(tls_new(&o, &t, &err), 0);
	ck_assert(handshake(tls_ssl_ctx(t), 0, &serial));
	ck_assert_int_eq(serial, 7);
	write_pair(PAIR_GOOD, 8);
	ck_assert_int_eq(reload(t), 1);
	ck_assert(handshake(tls_ssl_ctx(t), 0, &serial));
	ck_assert_int_eq(serial, 8);
	ck_assert(handshake(tls_ssl_ctx(t), TLS1_2_VERSION, &serial));
	ck_assert(handshake(tls_ssl_ctx(t), TLS1_3_VERSION, &serial));
	ck_assert(!handshake(tls_ssl_ctx(t), TLS1_1_VERSION, &serial));
	ck_assert(!handshake(tls_ssl_ctx(t), TLS1_VERSION, &serial));
	tls_free(t);
	buf_free(&err);
}
END_TEST

/* The watcher picks a kubelet-style ..data symlink flip up by itself. */
START_TEST(test_watcher_symlink_flip)
{
	struct tls_options o = {cert_path, key_path, 3600, NULL, NULL};
	struct buf err = BUF_INIT(4096);
	struct tls *t = NULL;
	char d1[160], d2[160], data[160], tmp[160], lc[160], lk[160];
	char c1[192], k1[192], c2[192], k2[192];
	struct buf s = BUF_INIT(256);
	int i;

	snprintf(d1, sizeof(d1), "%s/..v1", dir);
	snprintf(d2, sizeof(d2), "%s/..v2", dir);
	snprintf(data, sizeof(data), "%s/..data", dir);
	snprintf(tmp, sizeof(tmp), "%s/..data_tmp", dir);
	snprintf(lc, sizeof(lc), "%s/live.crt", dir);
	snprintf(lk, sizeof(lk), "%s/live.key", dir);
	snprintf(c1, sizeof(c1), "%s/tls.crt", d1);
	snprintf(k1, sizeof(k1), "%s/tls.key", d1);
	snprintf(c2, sizeof(c2), "%s/tls.crt", d2);
	snprintf(k2, sizeof(k2), "%s/tls.key", d2);
	ck_assert_int_eq(mkdir(d1, 0700), 0);
	ck_assert_int_eq(mkdir(d2, 0700), 0);
	write_pair(PAIR_GOOD, 11);
	ck_assert_int_eq(rename(cert_path, c1), 0);
	ck_assert_int_eq(rename(key_path, k1), 0);
	write_pair(PAIR_GOOD, 12);
	ck_assert_int_eq(rename(cert_path, c2), 0);
	ck_assert_int_eq(rename(key_path, k2), 0);
	ck_assert_int_eq(symlink("..v1", data), 0);
	ck_assert_int_eq(symlink("..data/tls.crt", lc), 0);
	ck_assert_int_eq(symlink("..data/tls.key", lk), 0);
	o.cert_file = lc;
	o.key_file = lk;
	ck_assert_int_eq(tls_new(&o, &t, &err), 0);
	ck_assert_int_eq(tls_start(t), 0);
	assert_serial(t, "0B");
	ck_assert_int_eq(symlink("..v2", tmp), 0);
	ck_assert_int_eq(rename(tmp, data), 0);
	for (i = 0; i < 50; i++) {
		SSL_CTX *c = tls_current(t);

		ck_assert_int_eq(tls_ctx_serial(c, &s), 0);
		SSL_CTX_free(c);
		if (strcmp(s.data, "0C") == 0)
			break;
		usleep(100 * 1000);
	}
	ck_assert_str_eq(s.data, "0C");
	tls_free(t);
	unlink(lc);
	unlink(lk);
	unlink(data);
	unlink(c1);
	unlink(k1);
	unlink(c2);
	unlink(k2);
	rmdir(d1);
	rmdir(d2);
	buf_free(&s);
	buf_free(&err);
}
END_TEST

/* A certificate for subject cn signed by issuer (NULL: self-signed), a CA
 * when ca is set. */
static X509 *new_signed(EVP_PKEY *k, const char *cn, long serial, X509 *issuer, EVP_PKEY *ikey,
                        bool ca)
{
	X509 *x = X509_new();
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	ck_assert_ptr_nonnull(x);
	ck_assert(X509_set_version(x, 2));
	ck_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	ck_assert(X509_set_pubkey(x, k));
	ck_assert(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                                     (const unsigned char *)cn, -1, -1, 0));
	ck_assert(X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)));
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
	                          ca ? "critical,CA:TRUE" : "CA:FALSE");
	ck_assert_ptr_nonnull(ext);
	ck_assert(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
	ck_assert(X509_sign(x, issuer ? ikey : k, EVP_sha256()) > 0);
	return x;
}

/* Write the certificates (NULL-terminated) to path as one PEM bundle. */
static void write_certs(const char *path, X509 *a, X509 *b)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert(PEM_write_X509(f, a));
	if (b)
		ck_assert(PEM_write_X509(f, b));
	ck_assert_int_eq(fclose(f), 0);
}

/* Three CAs and clients: the first two CAs form the client CA bundle,
 * the third is another CA. */
struct pki {
	EVP_PKEY *cakey[3], *key;
	X509 *ca[3], *by[3], *self;
};

static void pki_make(struct pki *p)
{
	int i;

	p->key = new_key();
	for (i = 0; i < 3; i++) {
		char cn[32];

		snprintf(cn, sizeof(cn), "client-ca-%d", i);
		p->cakey[i] = new_key();
		p->ca[i] = new_signed(p->cakey[i], cn, 100 + i, NULL, NULL, true);
		p->by[i] =
		    new_signed(p->key, "kube-apiserver", 200 + i, p->ca[i], p->cakey[i], false);
	}
	p->self = new_signed(p->key, "kube-apiserver", 300, NULL, NULL, false);
}

static void pki_free(struct pki *p)
{
	int i;

	for (i = 0; i < 3; i++) {
		X509_free(p->ca[i]);
		X509_free(p->by[i]);
		EVP_PKEY_free(p->cakey[i]);
	}
	X509_free(p->self);
	EVP_PKEY_free(p->key);
}

enum client_kind { CL_NONE, CL_CA0, CL_CA1, CL_OTHER_CA, CL_SELF_SIGNED };

static const struct {
	enum client_kind kind;
	bool served;
} client_cases[] = {
    {CL_NONE, false}, {CL_CA0, true}, {CL_CA1, true}, {CL_OTHER_CA, false}, {CL_SELF_SIGNED, false},
};

static X509 *client_cert(struct pki *p, enum client_kind k)
{
	switch (k) {
	case CL_NONE:
		return NULL;
	case CL_CA0:
		return p->by[0];
	case CL_CA1:
		return p->by[1];
	case CL_OTHER_CA:
		return p->by[2];
	case CL_SELF_SIGNED:
		return p->self;
	}
	return NULL;
}

/* With a client CA bundle, only clients it signed complete the handshake,
 * on every TLS version; without one, clients need no certificate. */
START_TEST(test_client_ca)
{
	struct tls_options o = {cert_path, key_path, 10, NULL, ca_path};
	struct buf err = BUF_INIT(4096);
	struct tls *t = NULL, *open = NULL;
	struct pki p;
	X509 *cc;
	long serial = 0;

	pki_make(&p);
	write_pair(PAIR_GOOD, 21);
	write_certs(ca_path, p.ca[0], p.ca[1]);
	ck_assert_int_eq(tls_new(&o, &t, &err), 0);
	cc = client_cert(&p, client_cases[_i].kind);
	ck_assert_int_eq(handshake_as(tls_ssl_ctx(t), 0, cc, p.key, &serial),
	                 client_cases[_i].served);
	ck_assert_int_eq(handshake_as(tls_ssl_ctx(t), TLS1_2_VERSION, cc, p.key, &serial),
	                 client_cases[_i].served);
	o.client_ca_file = NULL;
	ck_assert_int_eq(tls_new(&o, &open, &err), 0);
	ck_assert(handshake_as(tls_ssl_ctx(open), 0, cc, p.key, &serial));
	tls_free(open);
	tls_free(t);
	pki_free(&p);
	buf_free(&err);
}
END_TEST

/* The CA file is reloaded like the pair: a new CA takes effect on the next
 * handshake, a broken one keeps the previous. */
START_TEST(test_client_ca_reload)
{
	struct tls_options o = {cert_path, key_path, 10, NULL, ca_path};
	struct buf err = BUF_INIT(4096), why = BUF_INIT(4096);
	struct tls *t = NULL;
	struct pki p;
	long serial = 0;

	pki_make(&p);
	write_pair(PAIR_GOOD, 31);
	write_certs(ca_path, p.ca[0], NULL);
	ck_assert_int_eq(tls_new(&o, &t, &err), 0);
	ck_assert(handshake_as(tls_ssl_ctx(t), 0, p.by[0], p.key, &serial));
	ck_assert(!handshake_as(tls_ssl_ctx(t), 0, p.by[2], p.key, &serial));
	write_certs(ca_path, p.ca[2], NULL);
	ck_assert_int_eq(reload(t), 1);
	ck_assert(!handshake_as(tls_ssl_ctx(t), 0, p.by[0], p.key, &serial));
	ck_assert(handshake_as(tls_ssl_ctx(t), 0, p.by[2], p.key, &serial));
	ck_assert_int_eq(serial, 31);
	write_text(ca_path, "not a certificate\n");
	ck_assert_int_lt(tls_reload(t, &why), 0);
	ck_assert_msg(strstr(why.data, "holds no PEM certificate") != NULL, "why: %s", why.data);
	ck_assert(handshake_as(tls_ssl_ctx(t), 0, p.by[2], p.key, &serial));
	ck_assert(!handshake_as(tls_ssl_ctx(t), 0, NULL, NULL, &serial));
	tls_free(t);
	pki_free(&p);
	buf_free(&err);
	buf_free(&why);
}
END_TEST

static const struct {
	const char *content; /* NULL: no file */
	int r;
	const char *why;
} ca_error_cases[] = {
    {NULL, -ENOENT, "cannot read client CA \""},
    {"", -EINVAL, "client CA file \""},
    {"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", -EINVAL,
     "client CA file \""},
};

/* A client CA that cannot be used fails the load with one line. */
START_TEST(test_client_ca_errors)
{
	struct buf why = BUF_INIT(4096);
	char digest[TLS_DIGEST_SIZE] = "";
	SSL_CTX *ctx = NULL;

	write_pair(PAIR_GOOD, 41);
	if (ca_error_cases[_i].content)
		write_text(ca_path, ca_error_cases[_i].content);
	ck_assert_int_eq(tls_load(cert_path, key_path, ca_path, &ctx, digest, &why),
	                 ca_error_cases[_i].r);
	ck_assert_ptr_null(ctx);
	ck_assert_msg(strncmp(why.data, ca_error_cases[_i].why, strlen(ca_error_cases[_i].why)) ==
	                  0,
	              "why: %s", why.data);
	/* The pair was read: a fingerprint, with the CA's when it was read. */
	ck_assert_uint_eq(strlen(digest), ca_error_cases[_i].content ? 194 : 129);
	buf_free(&why);
}
END_TEST

static Suite *tls_suite(void)
{
	Suite *s = suite_create("wh_tls");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_load, 0, (int)TK_ARRAY_LEN(load_cases));
	tcase_add_test(tc, test_load_missing);
	tcase_add_test(tc, test_reload_keeps_old);
	tcase_add_test(tc, test_new_fails_cleanly);
	tcase_add_test(tc, test_handshake_uses_newest);
	tcase_add_test(tc, test_watcher_symlink_flip);
	tcase_add_loop_test(tc, test_client_ca, 0, (int)TK_ARRAY_LEN(client_cases));
	tcase_add_test(tc, test_client_ca_reload);
	tcase_add_loop_test(tc, test_client_ca_errors, 0, (int)TK_ARRAY_LEN(ca_error_cases));
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tls_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

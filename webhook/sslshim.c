/*
 * sslshim.c - a shared object named "libssl.so" that CivetWeb finds when it
 * dlopen()s the unversioned OpenSSL name at run time.
 *
 * Debian's CivetWeb 1.15 resolves every OpenSSL function with dlsym by its
 * OpenSSL 1.1 name. OpenSSL 3 dropped one of them, SSL_get_peer_certificate
 * (now a macro over SSL_get1_peer_certificate), so the lookup yields NULL
 * and the first HTTPS request jumps to address 0. This object depends on
 * libssl.so.3 and libcrypto.so.3, so dlsym on it finds every real name,
 * and it supplies the missing one as a forward. The binary links it as a
 * DT_NEEDED entry found through RUNPATH, so the loader hands it to
 * CivetWeb's dlopen("libssl.so").
 *
 * Being where CivetWeb's dlsym lands also lets it watch connections without
 * patching CivetWeb: SSL_set_fd, SSL_accept, SSL_read, SSL_write and
 * SSL_free are wrapped, call the real ones (dlsym RTLD_NEXT) and report to
 * the hooks of sslshim.h (webhook/conn.c tracks each worker's connection
 * with them). The wrappers carry their own symbol version (sslshim.map), so
 * only CivetWeb's unversioned lookups reach them, never libcurl's.
 */
#define _GNU_SOURCE 1

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdint.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "sslshim.h"

/* Declared here because OpenSSL 3 headers make the name a macro. */
#undef SSL_get_peer_certificate
X509 *SSL_get_peer_certificate(const SSL *s);

X509 *SSL_get_peer_certificate(const SSL *s)
{
	return SSL_get1_peer_certificate(s);
}

static int (*real_set_fd)(SSL *, int);
static int (*real_accept)(SSL *);
static int (*real_read)(SSL *, void *, int);
static int (*real_write)(SSL *, const void *, int);
static void (*real_free)(SSL *);
static const struct sslshim_hooks *_Atomic shim_hooks;

/* Resolved once at load time, before any thread exists. A name that
 * cannot be resolved leaves a NULL pointer: the call then fails the way
 * a missing symbol would have, at CivetWeb's start. */
__attribute__((constructor)) static void shim_resolve(void)
{
	*(void **)&real_set_fd = dlsym(RTLD_NEXT, "SSL_set_fd");
	*(void **)&real_accept = dlsym(RTLD_NEXT, "SSL_accept");
	*(void **)&real_read = dlsym(RTLD_NEXT, "SSL_read");
	*(void **)&real_write = dlsym(RTLD_NEXT, "SSL_write");
	*(void **)&real_free = dlsym(RTLD_NEXT, "SSL_free");
}

void sslshim_set_hooks(const struct sslshim_hooks *h)
{
	atomic_store(&shim_hooks, h);
}

/* Bytes read from and written to the socket so far (the BIOs count). */
static uint64_t shim_rbytes(const SSL *s)
{
	BIO *b = SSL_get_rbio(s);

	return b ? BIO_number_read(b) : 0;
}

static uint64_t shim_wbytes(const SSL *s)
{
	BIO *b = SSL_get_wbio(s);

	return b ? BIO_number_written(b) : 0;
}

int SSL_set_fd(SSL *s, int fd);
int SSL_set_fd(SSL *s, int fd)
{
	const struct sslshim_hooks *h;
	int r = real_set_fd(s, fd);

	h = atomic_load(&shim_hooks);
	if (r == 1 && h && SSL_is_server(s))
		h->attach(h->ud, s, fd);
	return r;
}

int SSL_accept(SSL *s);
int SSL_accept(SSL *s)
{
	const struct sslshim_hooks *h = atomic_load(&shim_hooks);
	uint64_t before = h ? shim_rbytes(s) : 0, wbefore = h ? shim_wbytes(s) : 0;
	int r = real_accept(s);

	if (!h)
		return r;
	if (wbefore == 0 && shim_wbytes(s) != 0)
		h->event(h->ud, s, SSLSHIM_FLIGHT, 1, 1);
	h->event(h->ud, s, SSLSHIM_HANDSHAKE, r == 1, shim_rbytes(s) != before);
	return r;
}

int SSL_read(SSL *s, void *buf, int num);
int SSL_read(SSL *s, void *buf, int num)
{
	const struct sslshim_hooks *h = atomic_load(&shim_hooks);
	uint64_t before = h ? shim_rbytes(s) : 0;
	int r = real_read(s, buf, num);

	if (h)
		h->event(h->ud, s, SSLSHIM_READ, r > 0, r > 0 || shim_rbytes(s) != before);
	return r;
}

int SSL_write(SSL *s, const void *buf, int num);
int SSL_write(SSL *s, const void *buf, int num)
{
	const struct sslshim_hooks *h = atomic_load(&shim_hooks);
	int r = real_write(s, buf, num);

	if (h)
		h->event(h->ud, s, SSLSHIM_WRITE, r > 0, 0);
	return r;
}

void SSL_free(SSL *s);
void SSL_free(SSL *s)
{
	const struct sslshim_hooks *h = atomic_load(&shim_hooks);

	if (h && s)
		h->detach(h->ud, s);
	real_free(s);
}

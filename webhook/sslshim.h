/*
 * sslshim.h - the hooks of the libssl.so shim (webhook/sslshim.c).
 *
 * CivetWeb reaches OpenSSL only through dlsym on the shim, so the shim sees
 * every HTTPS connection's SSL object and socket. It reports them to one
 * set of hooks, installed at run time by webhook/conn.c, which looks up
 * sslshim_set_hooks with dlsym so that binaries built without the shim
 * (fuzz targets) still link.
 *
 * Only server-side SSL objects are reported (libcurl's client connections
 * do not reach the shim at all: its wrappers carry a version of their own,
 * see sslshim.map). Every hook runs on the worker thread that called
 * OpenSSL, and must be quick and must not call back into OpenSSL.
 *
 * This header is included by the shim, which is built alone, so it
 * includes nothing of the tree.
 */
#ifndef THURKUBE_SSLSHIM_H
#define THURKUBE_SSLSHIM_H

enum sslshim_event {
	SSLSHIM_HANDSHAKE, /* SSL_accept returned; ok says whether it finished */
	SSLSHIM_FLIGHT,    /* SSL_accept sent the server's first flight */
	SSLSHIM_READ,      /* SSL_read returned */
	SSLSHIM_WRITE,     /* SSL_write returned */
};

struct sslshim_hooks {
	void *ud;
	/* SSL_set_fd succeeded on a server-side SSL: a new connection. */
	void (*attach)(void *ud, void *ssl, int fd);
	/* progressed: bytes came from the socket during the call. */
	void (*event)(void *ud, void *ssl, enum sslshim_event ev, int ok, int progressed);
	/* SSL_free: the connection is gone; its socket is still open and is
	 * closed right after (CivetWeb frees the SSL before closing). */
	void (*detach)(void *ud, void *ssl);
};

/* Install (or with NULL remove) the hooks; the struct is borrowed until
 * it is replaced. The dlsym name is SSLSHIM_SET_HOOKS. */
#define SSLSHIM_SET_HOOKS "sslshim_set_hooks"
typedef void sslshim_set_hooks_fn(const struct sslshim_hooks *h);
void sslshim_set_hooks(const struct sslshim_hooks *h);

#endif

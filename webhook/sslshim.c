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
 */
#include <openssl/ssl.h>

/* Declared here because OpenSSL 3 headers make the name a macro. */
#undef SSL_get_peer_certificate
X509 *SSL_get_peer_certificate(const SSL *s);

X509 *SSL_get_peer_certificate(const SSL *s)
{
	return SSL_get1_peer_certificate(s);
}

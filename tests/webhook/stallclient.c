/*
 * stallclient.c - hostile clients for tests/webhook/run-stall-test.
 *
 *   stallclient PORT IDLE LORIS SECONDS
 *
 * Connects to 127.0.0.1:PORT only. IDLE threads each keep one TLS
 * connection open with the handshake done and nothing sent; LORIS threads
 * each keep one connection trickling a byte a second, half of them the TLS
 * ClientHello, half the request headers after a finished handshake. A
 * connection the server closes is opened again at once, so the attack
 * holds its size. Every thread stops after SECONDS; the counts of
 * connections opened by kind go to stdout. Certificates are not checked:
 * an attacker would not care.
 */
#define _GNU_SOURCE 1

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

enum kind { IDLE, LORIS_HANDSHAKE, LORIS_HEADERS };

static int port;
static _Atomic time_t deadline;
static SSL_CTX *ctx;
static atomic_long opened[3], handshakes[3];

static int tcp_connect(void)
{
	struct sockaddr_in a = {0};
	struct timeval tv = {1, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Wait up to ms: 1 if the server closed the connection. With TLS, records
 * that are not a close (TLS 1.3 session tickets) are read and ignored;
 * without, anything from the server means it gave up on us.
 */
static int closed_within(int fd, SSL *s, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	char buf[512];
	int n;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	if (!s)
		return 1;
	n = SSL_read(s, buf, sizeof(buf));
	if (n > 0)
		return 0;
	return SSL_get_error(s, n) != SSL_ERROR_WANT_READ;
}

/* A ClientHello as bytes, made on memory BIOs. */
static size_t client_hello(unsigned char *out, size_t cap)
{
	SSL *s = SSL_new(ctx);
	BIO *r = BIO_new(BIO_s_mem()), *w = BIO_new(BIO_s_mem());
	int n;

	SSL_set_bio(s, r, w);
	SSL_set_connect_state(s);
	(void)SSL_do_handshake(s);
	n = BIO_read(w, out, (int)cap);
	SSL_free(s);
	return n > 0 ? (size_t)n : 0;
}

static void run_one(enum kind k)
{
	static const char hdr[] = "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                          "Content-Type: application/json\r\nX-Slow: ";
	unsigned char hello[2048];
	size_t hlen = 0, i = 0;
	SSL *s = NULL;
	int fd = tcp_connect();

	if (fd < 0) {
		usleep(10000);
		return;
	}
	atomic_fetch_add(&opened[k], 1);
	if (k == LORIS_HANDSHAKE) {
		hlen = client_hello(hello, sizeof(hello));
	} else {
		s = SSL_new(ctx);
		SSL_set_fd(s, fd);
		if (SSL_connect(s) != 1)
			goto out;
		atomic_fetch_add(&handshakes[k], 1);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	while (time(NULL) < deadline) {
		if (k == IDLE) {
			if (closed_within(fd, s, 200))
				break;
			continue;
		}
		if (k == LORIS_HANDSHAKE) {
			if (i < hlen && send(fd, hello + i, 1, MSG_NOSIGNAL) != 1)
				break;
		} else {
			char c = i < sizeof(hdr) - 1 ? hdr[i] : 'a';

			if (SSL_write(s, &c, 1) != 1)
				break;
		}
		i++;
		if (closed_within(fd, s, 1000))
			break;
	}
out:
	if (s)
		SSL_free(s);
	close(fd);
}

static void on_term(int sig)
{
	(void)sig;
	atomic_store(&deadline, 0);
}

static void *attacker(void *arg)
{
	enum kind k = (enum kind)(long)arg;

	while (time(NULL) < deadline)
		run_one(k);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[1024];
	int idle, loris, secs, n = 0, i;

	if (argc != 5) {
		fprintf(stderr, "usage: stallclient PORT IDLE LORIS SECONDS\n");
		return 2;
	}
	port = atoi(argv[1]);
	idle = atoi(argv[2]);
	loris = atoi(argv[3]);
	secs = atoi(argv[4]);
	if (port <= 0 || idle < 0 || loris < 0 || idle + loris > 1024 || secs <= 0 || secs > 600) {
		fprintf(stderr, "stallclient: bad arguments\n");
		return 2;
	}
	deadline = time(NULL) + secs;
	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return 1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	for (i = 0; i < idle; i++)
		if (pthread_create(&t[n], NULL, attacker, (void *)(long)IDLE) == 0)
			n++;
	for (i = 0; i < loris; i++)
		if (pthread_create(&t[n], NULL, attacker,
		                   (void *)(long)(i % 2 ? LORIS_HEADERS : LORIS_HANDSHAKE)) == 0)
			n++;
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("opened idle=%ld loris_handshake=%ld loris_headers=%ld\n",
	       atomic_load(&opened[IDLE]), atomic_load(&opened[LORIS_HANDSHAKE]),
	       atomic_load(&opened[LORIS_HEADERS]));
	SSL_CTX_free(ctx);
	return 0;
}

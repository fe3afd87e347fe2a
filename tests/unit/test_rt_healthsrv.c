/* test_rt_healthsrv.c - the probe port over a real socket: /healthz,
 * /readyz both ways, /metrics (sampled, bounded, absent, with the build and
 * process series both binaries add), bad options and a taken port. */
#include "compat.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics.h"
#include "procmetrics.h"
#include "runtime/healthsrv.h"
#include "util.h"

struct fixture {
	atomic_bool ready;
	atomic_int samples;
	struct metrics *m;
};

static bool fx_ready(void *ud)
{
	struct fixture *f = ud;

	return atomic_load(&f->ready);
}

static void fx_sample(void *ud)
{
	struct fixture *f = ud;

	atomic_fetch_add(&f->samples, 1);
	metrics_gauge_set(f->m, "tk_sampled", "Set by the sample callback.", NULL,
	                  atomic_load(&f->samples));
}

/* Start on a port of our own: the pid spreads parallel runs, and a taken
 * port moves on to the next. Returns the port. */
static int start(struct healthsrv_opts *o, struct healthsrv **h)
{
	int base = 20000 + (int)(getpid() % 20000), i, r = -EADDRINUSE;

	for (i = 0; i < 50 && r == -EADDRINUSE; i++) {
		o->port = base + i * 7;
		r = healthsrv_start(o, h, NULL);
	}
	ck_assert_int_eq(r, 0);
	return o->port;
}

/* GET path over a plain socket; the whole answer (the server closes). */
static void get(int port, const char *path, struct buf *out)
{
	struct sockaddr_in sa = {0};
	struct buf req = BUF_INIT(1024);
	char chunk[4096];
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(buf_printf(&req, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path), 0);
	ck_assert_int_eq(write(fd, req.data, req.len), (ssize_t)req.len);
	buf_reset(out);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		ck_assert_int_eq(buf_append(out, chunk, (size_t)n), 0);
	ck_assert_int_eq(n, 0);
	close(fd);
	buf_free(&req);
}

static const char *body_of(const struct buf *resp)
{
	const char *p = resp->data ? strstr(resp->data, "\r\n\r\n") : NULL;

	ck_assert_ptr_nonnull(p);
	return p + 4;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void expect(const struct buf *resp, const char *status_line, const char *body)
{
	ck_assert_msg(strncmp(resp->data, status_line, strlen(status_line)) == 0, "got: %s",
	              resp->data);
	ck_assert_str_eq(body_of(resp), body);
	ck_assert_uint_eq(count(resp->data, "Connection: close\r\n"), 1);
	ck_assert_uint_eq(count(resp->data, "Connection:"), 1);
	ck_assert_uint_eq(count(resp->data, "Cache-Control: no-store\r\n"), 1);
}

START_TEST(test_probes_and_metrics)
{
	struct fixture f = {.m = metrics_new()};
	struct healthsrv_opts o = {.address = "127.0.0.1",
	                           .threads = 2,
	                           .ready = fx_ready,
	                           .not_ready_text = "caches not synced\n",
	                           .sample = fx_sample,
	                           .metrics = f.m,
	                           .metrics_max = 1 << 20,
	                           .ud = &f};
	struct healthsrv *h = NULL;
	struct buf resp = BUF_INIT(1 << 20);
	int port;

	ck_assert_ptr_nonnull(f.m);
	metrics_counter_add(f.m, "tk_hits_total", "Hits.", NULL, 1);
	port = start(&o, &h);

	get(port, "/healthz", &resp);
	expect(&resp, "HTTP/1.1 200 ", "ok\n");
	get(port, "/readyz", &resp);
	expect(&resp, "HTTP/1.1 503 ", "caches not synced\n");
	atomic_store(&f.ready, true);
	get(port, "/readyz", &resp);
	expect(&resp, "HTTP/1.1 200 ", "ok\n");

	get(port, "/metrics", &resp);
	ck_assert_msg(strncmp(resp.data, "HTTP/1.1 200 ", 13) == 0, "got: %s", resp.data);
	ck_assert_ptr_nonnull(strstr(resp.data, "Content-Type: text/plain; version=0.0.4"));
	ck_assert_ptr_nonnull(strstr(body_of(&resp), "\ntk_hits_total 1\n"));
	ck_assert_ptr_nonnull(strstr(body_of(&resp), "\ntk_sampled 1\n"));
	ck_assert_int_eq(atomic_load(&f.samples), 1);

	get(port, "/nothing", &resp);
	ck_assert_msg(strncmp(resp.data, "HTTP/1.1 404 ", 13) == 0, "got: %s", resp.data);
	healthsrv_stop(h);
	metrics_free(f.m);
	buf_free(&resp);
}
END_TEST

/* No registry: /metrics is 404; a rendering over metrics_max is 500;
 * ready NULL means always ready. */
START_TEST(test_metrics_absent_and_bounded)
{
	struct metrics *m = metrics_new();
	struct healthsrv_opts o = {.threads = 2, .metrics_max = 1};
	struct healthsrv *h = NULL;
	struct buf resp = BUF_INIT(1 << 20);
	int port;

	port = start(&o, &h);
	get(port, "/metrics", &resp);
	expect(&resp, "HTTP/1.1 404 ", "no metrics\n");
	get(port, "/readyz", &resp);
	expect(&resp, "HTTP/1.1 200 ", "ok\n");
	healthsrv_stop(h);

	ck_assert_ptr_nonnull(m);
	metrics_counter_add(m, "tk_hits_total", "Hits.", NULL, 1);
	o.metrics = m;
	port = start(&o, &h);
	get(port, "/metrics", &resp);
	expect(&resp, "HTTP/1.1 500 ", "cannot render metrics\n");
	healthsrv_stop(h);
	metrics_free(m);
	buf_free(&resp);
}
END_TEST

static void fx_process(void *ud)
{
	procmetrics_sample(ud);
}

/* What both binaries' samplers add: build_info and the process_* series,
 * once each, read again on every scrape. */
START_TEST(test_process_metrics)
{
	static const char *const want[] = {
	    "\n# TYPE thurkube_build_info gauge\nthurkube_build_info{version=\"" THURKUBE_VERSION
	    "\",revision=\"" THURKUBE_REVISION "\"} 1\n",
	    "\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ",
	    "\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ",
	    "\n# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes ",
	    "\n# TYPE process_open_fds gauge\nprocess_open_fds ",
	    "\n# TYPE process_max_fds gauge\nprocess_max_fds ",
	    "\n# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds ",
	};
	struct metrics *m = metrics_new();
	struct healthsrv_opts o = {.address = "127.0.0.1",
	                           .threads = 2,
	                           .sample = fx_process,
	                           .metrics = m,
	                           .metrics_max = 1 << 20,
	                           .ud = m};
	struct healthsrv *h = NULL;
	struct buf resp = BUF_INIT(1 << 20);
	size_t i;
	int port, round;

	ck_assert_ptr_nonnull(m);
	port = start(&o, &h);
	for (round = 0; round < 2; round++) {
		get(port, "/metrics", &resp);
		ck_assert_msg(strncmp(resp.data, "HTTP/1.1 200 ", 13) == 0, "got: %s", resp.data);
		for (i = 0; i < TK_ARRAY_LEN(want); i++)
			ck_assert_msg(count(body_of(&resp), want[i]) == 1, "want once: %s\nin: %s",
			              want[i], body_of(&resp));
	}
	/* The health server's own listening socket is open, at least. */
	ck_assert_double_ge(metrics_value(m, "process_open_fds", NULL), 1);
	ck_assert_double_gt(metrics_value(m, "process_start_time_seconds", NULL), 1.5e9);
	healthsrv_stop(h);
	metrics_free(m);
	buf_free(&resp);
}
END_TEST

START_TEST(test_bad_options_and_taken_port)
{
	struct healthsrv_opts o = {.threads = 2};
	struct healthsrv *h = NULL, *h2 = (struct healthsrv *)&o;
	struct buf err = BUF_INIT(1024);

	o.port = 0;
	ck_assert_int_eq(healthsrv_start(&o, &h2, &err), -EINVAL);
	ck_assert_ptr_eq(h2, (struct healthsrv *)&o);
	ck_assert_uint_gt(err.len, 0);
	o.port = 65536;
	ck_assert_int_eq(healthsrv_start(&o, &h2, NULL), -EINVAL);
	o.port = 8080;
	o.threads = 0;
	ck_assert_int_eq(healthsrv_start(&o, &h2, NULL), -EINVAL);
	ck_assert_int_eq(healthsrv_start(NULL, &h2, NULL), -EINVAL);

	o.threads = 2;
	o.address = "127.0.0.1";
	start(&o, &h);
	buf_reset(&err);
	ck_assert_int_eq(healthsrv_start(&o, &h2, &err), -EADDRINUSE);
	ck_assert_ptr_eq(h2, (struct healthsrv *)&o);
	ck_assert_msg(strstr(err.data, "cannot listen on 127.0.0.1:") != NULL, "err: %s", err.data);
	healthsrv_stop(h);
	healthsrv_stop(NULL);
	buf_free(&err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("healthsrv");
	TCase *tc = tcase_create("http");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_probes_and_metrics);
	tcase_add_test(tc, test_metrics_absent_and_bounded);
	tcase_add_test(tc, test_process_metrics);
	tcase_add_test(tc, test_bad_options_and_taken_port);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

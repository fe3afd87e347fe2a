/* test_wh_conn.c - the connection guard: the phase machine fed by the
 * libssl.so shim, the pure eviction decision, and eviction end to end on a
 * socket pair with hooks called as the shim would. */
#include "compat.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../webhook/conn.h"
#include "metrics.h"
#include "util.h"

/* --- phases ------------------------------------------------------------ */

static const struct {
	enum conn_phase from;
	enum sslshim_event ev;
	bool ok, progressed;
	enum conn_phase to;
} steps[] = {
    /* A ClientHello in one piece: our flight goes out, then Finished. */
    {CONN_HELLO, SSLSHIM_FLIGHT, true, true, CONN_HANDSHAKE},
    {CONN_HANDSHAKE, SSLSHIM_HANDSHAKE, false, true, CONN_HANDSHAKE},
    {CONN_HANDSHAKE, SSLSHIM_HANDSHAKE, true, true, CONN_WAIT},
    /* A ClientHello trickling: bytes but no flight. */
    {CONN_HELLO, SSLSHIM_HANDSHAKE, false, true, CONN_HELLO_RX},
    {CONN_HELLO, SSLSHIM_HANDSHAKE, false, false, CONN_HELLO},
    {CONN_HELLO_RX, SSLSHIM_HANDSHAKE, false, true, CONN_HELLO_RX},
    {CONN_HELLO_RX, SSLSHIM_FLIGHT, true, true, CONN_HANDSHAKE},
    /* Request bytes start the headers; a read of nothing does not. */
    {CONN_WAIT, SSLSHIM_READ, false, false, CONN_WAIT},
    {CONN_WAIT, SSLSHIM_READ, false, true, CONN_HEADERS},
    {CONN_WAIT, SSLSHIM_READ, true, true, CONN_HEADERS},
    {CONN_IDLE, SSLSHIM_READ, true, true, CONN_HEADERS},
    {CONN_HEADERS, SSLSHIM_READ, true, true, CONN_HEADERS},
    /* CivetWeb answering by itself (404) ends the request. */
    {CONN_HEADERS, SSLSHIM_WRITE, true, false, CONN_IDLE},
    {CONN_HEADERS, SSLSHIM_WRITE, false, false, CONN_HEADERS},
    /* Our handler's phases are left to it. */
    {CONN_BODY, SSLSHIM_READ, true, true, CONN_BODY},
    {CONN_HANDLER, SSLSHIM_WRITE, true, false, CONN_HANDLER},
    {CONN_HANDLER, SSLSHIM_READ, true, true, CONN_HANDLER},
};

START_TEST(test_next_phase)
{
	ck_assert_int_eq(
	    conn_next_phase(steps[_i].from, steps[_i].ev, steps[_i].ok, steps[_i].progressed),
	    steps[_i].to);
}
END_TEST

/* --- decision ----------------------------------------------------------- */

#define NOW  100000
#define MAXV 8

struct pick_case {
	const char *name;
	size_t workers, n;
	struct conn_view v[MAXV];
	struct conn_limits l;
	size_t max;
	size_t want_n;
	size_t want_idx[MAXV];
	enum conn_reason want_reason[MAXV];
	int64_t want_next;
};

#define V(p, since, prog)                                                                          \
	{                                                                                          \
		p, NOW - (since), NOW - (prog), false, false                                       \
	}
#define VP(p, since, prog)                                                                         \
	{                                                                                          \
		p, NOW - (since), NOW - (prog), false, true                                        \
	}
#define VE(p, since, prog)                                                                         \
	{                                                                                          \
		p, NOW - (since), NOW - (prog), true, false                                        \
	}
#define L                                                                                          \
	{                                                                                          \
		10, 20, 250                                                                        \
	}

static const struct pick_case picks[] = {
    {"not contended: a free worker, nothing evicted, nothing to wait for",
     3,
     3,
     {V(CONN_WAIT, 5000, 5000), V(CONN_IDLE, 5000, 5000), V(CONN_FREE, 0, 0)},
     L,
     8,
     0,
     {0},
     {0},
     -1},
    {"contended: idle, waiting and stalled evicted, oldest progress first",
     4,
     4,
     {V(CONN_WAIT, 30, 30), V(CONN_IDLE, 500, 500), V(CONN_HANDSHAKE, 21, 21),
      V(CONN_HEADERS, 100, 11)},
     L,
     8,
     4,
     {1, 0, 2, 3},
     {CONN_EVICT_IDLE, CONN_EVICT_IDLE, CONN_EVICT_STALLED, CONN_EVICT_STALLED},
     -1},
    {"our handler is never evicted, however quiet",
     2,
     2,
     {V(CONN_HANDLER, 60000, 60000), V(CONN_HANDLER, 60000, 60000)},
     L,
     8,
     0,
     {0},
     {0},
     -1},
    {"within the graces: nobody, and the watchdog wakes at the first deadline",
     3,
     3,
     {V(CONN_WAIT, 4, 4), V(CONN_HANDSHAKE, 5, 5), V(CONN_HELLO_RX, 8, 8)},
     L,
     8,
     0,
     {0},
     {0},
     NOW + 2},
    {"the handshake gets the longer grace, the ClientHello's rest the short one",
     2,
     2,
     {V(CONN_HANDSHAKE, 15, 15), V(CONN_HELLO_RX, 15, 15)},
     L,
     8,
     1,
     {1},
     {CONN_EVICT_STALLED},
     NOW + 5},
    {"no byte yet (client computing its hello): the longer grace",
     2,
     2,
     {V(CONN_HELLO, 15, 15), V(CONN_HELLO, 25, 25)},
     L,
     8,
     1,
     {1},
     {CONN_EVICT_STALLED},
     NOW + 5},
    {"trickling headers: progress each few ms, but too slow in total",
     1,
     1,
     {V(CONN_HEADERS, 300, 2)},
     L,
     8,
     1,
     {0},
     {CONN_EVICT_SLOW},
     -1},
    {"a body pausing shorter than slow_ms stays",
     2,
     2,
     {V(CONN_BODY, 2000, 200), V(CONN_HANDLER, 0, 0)},
     L,
     8,
     0,
     {0},
     {0},
     NOW + 50},
    {"a body receiving nothing for slow_ms goes",
     2,
     2,
     {V(CONN_BODY, 2000, 260), V(CONN_HANDLER, 0, 0)},
     L,
     8,
     1,
     {0},
     {CONN_EVICT_STALLED},
     -1},
    {"bytes waiting unread: the client is not the one waiting",
     2,
     2,
     {VP(CONN_WAIT, 500, 500), V(CONN_WAIT, 500, 500)},
     L,
     8,
     1,
     {1},
     {CONN_EVICT_IDLE},
     NOW + 10},
    {"already evicted, not yet freed: not again",
     2,
     2,
     {VE(CONN_WAIT, 500, 500), V(CONN_HANDLER, 0, 0)},
     L,
     8,
     0,
     {0},
     {0},
     -1},
    {"eviction off (grace 0)",
     2,
     2,
     {V(CONN_WAIT, 500, 500), V(CONN_IDLE, 500, 500)},
     {10, 0, 250},
     8,
     0,
     {0},
     {0},
     -1},
    {"more victims than room: the oldest, and look again at once",
     3,
     3,
     {V(CONN_IDLE, 50, 50), V(CONN_IDLE, 90, 90), V(CONN_IDLE, 70, 70)},
     L,
     2,
     2,
     {1, 2},
     {CONN_EVICT_IDLE, CONN_EVICT_IDLE},
     NOW},
};

START_TEST(test_pick)
{
	const struct pick_case *c = &picks[_i];
	struct conn_victim out[MAXV];
	int64_t next = 12345;
	size_t k, i;

	k = conn_pick(c->v, c->n, c->workers, NOW, &c->l, out, c->max, &next);
	ck_assert_msg(k == c->want_n, "%s: %zu victims, want %zu", c->name, k, c->want_n);
	for (i = 0; i < k; i++) {
		ck_assert_msg(out[i].index == c->want_idx[i], "%s: victim %zu is %zu, want %zu",
		              c->name, i, out[i].index, c->want_idx[i]);
		ck_assert_msg(out[i].reason == c->want_reason[i], "%s: reason %s", c->name,
		              conn_reason_name(out[i].reason));
	}
	ck_assert_msg(next == c->want_next, "%s: next %lld, want %lld", c->name, (long long)next,
	              (long long)c->want_next);
}
END_TEST

START_TEST(test_reason_names)
{
	ck_assert_str_eq(conn_reason_name(CONN_EVICT_IDLE), "idle");
	ck_assert_str_eq(conn_reason_name(CONN_EVICT_STALLED), "stalled");
	ck_assert_str_eq(conn_reason_name(CONN_EVICT_SLOW), "slow");
}
END_TEST

/* --- end to end, hooks driven as the shim drives them -------------------- */

/* Wait up to ms for the peer of fd to see end of file. */
static bool peer_closed(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	char c;

	return poll(&p, 1, ms) == 1 && read(fd, &c, 1) == 0;
}

START_TEST(test_guard_evicts_idle_under_contention)
{
	struct metrics *m = metrics_new();
	struct conn_guard_options o = {1, {10, 20, 250}, m};
	struct conn_guard *g = NULL;
	const struct sslshim_hooks *h;
	struct buf out = BUF_INIT(1u << 20);
	int sv[2], r, dummy;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	r = conn_guard_start(&o, &g);
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(conn_guard_start(&o, &g), -EBUSY);
	h = conn_test_hooks(g);
	/* One worker, so one connection contends. The handshake finishes and
	 * nothing follows: evicted after the idle grace. */
	h->attach(h->ud, &dummy, sv[0]);
	h->event(h->ud, &dummy, SSLSHIM_FLIGHT, 1, 1);
	h->event(h->ud, &dummy, SSLSHIM_HANDSHAKE, 1, 1);
	ck_assert(peer_closed(sv[1], 2000));
	h->detach(h->ud, &dummy);
	ck_assert_int_eq(metrics_render(m, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "thurkube_webhook_connections_evicted_total{"
	                                       "reason=\"idle\"} 1"));
	conn_guard_stop(g);
	close(sv[0]);
	close(sv[1]);
	buf_free(&out);
	metrics_free(m);
}
END_TEST

START_TEST(test_guard_spares_the_handler)
{
	struct conn_guard_options o = {1, {10, 20, 250}, NULL};
	struct conn_guard *g = NULL;
	const struct sslshim_hooks *h;
	int sv[2], dummy;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(conn_guard_start(&o, &g), 0);
	h = conn_test_hooks(g);
	h->attach(h->ud, &dummy, sv[0]);
	h->event(h->ud, &dummy, SSLSHIM_HANDSHAKE, 1, 1);
	conn_set_phase(CONN_HANDLER);
	ck_assert(!peer_closed(sv[1], 200));
	/* Answered: idle now, and evicted. */
	conn_set_phase(CONN_IDLE);
	ck_assert(peer_closed(sv[1], 2000));
	h->detach(h->ud, &dummy);
	conn_guard_stop(g);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_guard_off)
{
	struct conn_guard_options o = {1, {10, 0, 250}, NULL};
	struct conn_guard *g = NULL;
	const struct sslshim_hooks *h;
	int sv[2], dummy;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(conn_guard_start(&o, &g), 0);
	h = conn_test_hooks(g);
	h->attach(h->ud, &dummy, sv[0]);
	h->event(h->ud, &dummy, SSLSHIM_HANDSHAKE, 1, 1);
	ck_assert(!peer_closed(sv[1], 200));
	h->detach(h->ud, &dummy);
	conn_guard_stop(g);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

static Suite *conn_suite(void)
{
	Suite *s = suite_create("wh_conn");
	TCase *tc = tcase_create("decision");

	tcase_add_loop_test(tc, test_next_phase, 0, (int)TK_ARRAY_LEN(steps));
	tcase_add_loop_test(tc, test_pick, 0, (int)TK_ARRAY_LEN(picks));
	tcase_add_test(tc, test_reason_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("guard");
	tcase_add_test(tc, test_guard_evicts_idle_under_contention);
	tcase_add_test(tc, test_guard_spares_the_handler);
	tcase_add_test(tc, test_guard_off);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conn_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/*
 * fuzz_cron.c - libFuzzer target for cron_parse and cron_next.
 *
 * Invariants: parsing never crashes and is deterministic; a rejected
 * expression always says why, on one line; an accepted one has only
 * in-range bits; cron_next's answer is a whole minute strictly after the
 * start that matches the expression, and no minute in between matches.
 */
#include "compat.h"

#include <errno.h>
#include <stdint.h>

#include "cron.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_cron: invariant failed: %s (line %d)\n", #c,         \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static int minute_matches(const struct cron_expr *e, time_t t)
{
	struct tm tm;
	int dom, dow;

	CHECK(gmtime_r(&t, &tm) != NULL);
	if (!((e->minute >> tm.tm_min) & 1) || !((e->hour >> tm.tm_hour) & 1) ||
	    !((e->month >> (tm.tm_mon + 1)) & 1))
		return 0;
	dom = (e->dom >> tm.tm_mday) & 1;
	dow = (e->dow >> tm.tm_wday) & 1;
	return (e->dom_star || e->dow_star) ? dom && dow : dom || dow;
}

static void check_next(const struct cron_expr *e, time_t t)
{
	time_t next = 0, m;
	int r = cron_next(e, t, &next);

	CHECK(r == 0 || r == -ERANGE);
	if (r < 0)
		return;
	CHECK(next > t);
	CHECK(next % 60 == 0);
	CHECK(next - t <= (time_t)7 * 366 * 86400);
	CHECK(minute_matches(e, next));
	/* Nothing earlier matches: scan the gap when it is short. */
	if (next - t <= 3 * 86400)
		for (m = next - 60; m > t; m -= 60)
			CHECK(!minute_matches(e, m));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const time_t bases[] = {0, 1704067200 /* 2024-01-01 */,
	                               1709164799 /* 2024-02-28T23:59:59 */, 4102444740};
	struct buf why = BUF_INIT(4096);
	struct cron_expr e, again;
	size_t i;
	int r;

	r = cron_parse((const char *)data, size, &e, &why);
	CHECK(r == 0 || r == -EINVAL);
	if (r < 0) {
		CHECK(why.len > 0);
		CHECK(memchr(why.data, '\n', why.len) == NULL);
		goto out;
	}
	CHECK(cron_parse((const char *)data, size, &again, NULL) == 0);
	CHECK(memcmp(&e, &again, sizeof(e)) == 0);
	CHECK(e.minute && e.minute < ((uint64_t)1 << 60));
	CHECK(e.hour && e.hour < (1u << 24));
	CHECK(e.dom && !(e.dom & 1));
	CHECK(e.month && !(e.month & 1) && e.month < (1u << 13));
	CHECK(e.dow && e.dow < (1u << 7));
	for (i = 0; i < TK_ARRAY_LEN(bases); i++)
		check_next(&e, bases[i]);
	/* And from a start derived from the input. */
	{
		uint64_t h = 1469598103934665603ull;

		for (i = 0; i < size; i++)
			h = (h ^ data[i]) * 1099511628211ull;
		check_next(&e, (time_t)(h % 4102444800ull));
	}
out:
	buf_free(&why);
	return 0;
}

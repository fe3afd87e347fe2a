/*
 * fuzz_watchsplit.c - libFuzzer target for the watch line splitter. The
 * first byte picks the line limit, the second the chunk size; the rest is
 * the stream. Checks: no delivered line is over the limit, holds a '\n'
 * or is empty, and the concatenation of lines equals what a
 * one-shot split of the same bytes gives.
 */
#include "compat.h"

#include <errno.h>
#include <stdint.h>

#include "watchsplit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
	struct buf all;
	size_t max;
};

static int on_line(void *ud, const char *line, size_t len)
{
	struct sink *s = ud;

	if (len == 0 || len > s->max || memchr(line, '\n', len))
		abort();
	if (buf_append(&s->all, line, len) < 0 || buf_append(&s->all, "\n", 1) < 0)
		return -ENOMEM;
	return 0;
}

static int split(const uint8_t *p, size_t n, size_t max, size_t step, struct sink *s)
{
	struct watchsplit ws;
	size_t off;
	int r = 0;

	watchsplit_init(&ws, max);
	for (off = 0; off < n && r == 0; off += step)
		r = watchsplit_feed(&ws, (const char *)p + off, n - off < step ? n - off : step,
		                    on_line, s);
	if (r == 0)
		r = watchsplit_finish(&ws, on_line, s);
	watchsplit_free(&ws);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink a = {BUF_INIT(1u << 20), 0}, b = {BUF_INIT(1u << 20), 0};
	size_t max, step;
	int ra, rb;

	if (size < 2)
		return 0;
	max = (size_t)data[0] + 1;
	step = (size_t)data[1] % 17 + 1;
	a.max = b.max = max;
	ra = split(data + 2, size - 2, max, step, &a);
	rb = split(data + 2, size - 2, max, size, &b);
	if (ra != rb || (ra == 0 && (a.all.len != b.all.len ||
	                             (a.all.len && memcmp(a.all.data, b.all.data, a.all.len)))))
		abort();
	buf_free(&a.all);
	buf_free(&b.all);
	return 0;
}

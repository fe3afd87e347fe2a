/*
 * watchsplit.c - see watchsplit.h.
 *
 * Lines lying entirely inside one chunk are passed straight from the
 * chunk; only a line cut by a chunk boundary is copied into `pending`,
 * which therefore never holds more than one partial line.
 */
#include "compat.h"

#include <errno.h>

#include "watchsplit.h"

void watchsplit_init(struct watchsplit *ws, size_t max_line)
{
	/* One extra byte so a line of exactly max_line can wait for its "\n"
	 * after a "\r". */
	struct buf b = BUF_INIT(max_line + 1);

	ws->pending = b;
	ws->max_line = max_line;
	ws->err = 0;
}

void watchsplit_free(struct watchsplit *ws)
{
	buf_free(&ws->pending);
}

size_t watchsplit_pending(const struct watchsplit *ws)
{
	return ws->pending.len;
}

/* Deliver one line (without "\n"), trimming a "\r" and skipping blanks. */
static int deliver(struct watchsplit *ws, const char *line, size_t len, watchsplit_cb cb, void *ud)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > ws->max_line) {
		ws->err = -E2BIG;
		return ws->err;
	}
	if (len == 0)
		return 0;
	return cb(ud, line, len);
}

int watchsplit_feed(struct watchsplit *ws, const char *p, size_t n, watchsplit_cb cb, void *ud)
{
	const char *end = p + n;
	int r;

	if (ws->err)
		return ws->err;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl) {
			r = buf_append(&ws->pending, p, (size_t)(end - p));
			if (r < 0)
				ws->err = r;
			return r;
		}
		if (ws->pending.len == 0) {
			r = deliver(ws, p, (size_t)(nl - p), cb, ud);
		} else {
			r = buf_append(&ws->pending, p, (size_t)(nl - p));
			if (r < 0) {
				ws->err = r;
				return r;
			}
			r = deliver(ws, ws->pending.data, ws->pending.len, cb, ud);
			buf_reset(&ws->pending);
		}
		if (r != 0)
			return r;
		p = nl + 1;
	}
	return 0;
}

int watchsplit_finish(struct watchsplit *ws, watchsplit_cb cb, void *ud)
{
	int r;

	if (ws->err)
		return ws->err;
	if (ws->pending.len == 0)
		return 0;
	r = deliver(ws, ws->pending.data, ws->pending.len, cb, ud);
	buf_reset(&ws->pending);
	return r;
}

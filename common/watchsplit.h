/*
 * watchsplit.h - incremental line splitter for a Kubernetes watch stream.
 *
 * The API server writes one JSON event per line, but the transport may cut
 * the stream anywhere: an event can span several chunks and a chunk can
 * hold several events. Feed the chunks as they arrive; every complete line
 * is handed to a callback. Pure: no I/O, no logging.
 *
 * Lines are delivered without their terminator ("\n" or "\r\n"); empty
 * lines are skipped. A line longer than the splitter's limit (content
 * bytes, not counting the terminator) fails with -E2BIG, and the splitter
 * then stays failed: the stream cannot be resynchronised safely.
 */
#ifndef THURKUBE_WATCHSPLIT_H
#define THURKUBE_WATCHSPLIT_H

#include "compat.h"

#include <stddef.h>

#include "util.h"

struct watchsplit {
	struct buf pending; /* the unterminated tail of the stream so far */
	size_t max_line;
	int err; /* sticky failure, 0 while healthy */
};

/*
 * Called once per complete line. line is borrowed for the call and is NOT
 * NUL-terminated. A non-zero return stops the feed and is returned by
 * watchsplit_feed / watchsplit_finish (the splitter stays usable).
 */
typedef int (*watchsplit_cb)(void *ud, const char *line, size_t len);

/* Initialise ws for lines of at most max_line bytes (TK_MAX_WATCH_LINE for
 * watches). Cannot fail; release with watchsplit_free. */
void watchsplit_init(struct watchsplit *ws, size_t max_line);

/*
 * Feed (p, n). Calls cb for each line completed by these bytes, in order.
 * Returns 0, the callback's non-zero value, -E2BIG (line over the limit)
 * or -ENOMEM. After a callback abort the bytes after the aborting line
 * are dropped.
 */
int watchsplit_feed(struct watchsplit *ws, const char *p, size_t n, watchsplit_cb cb,
                    void *ud) TK_MUST_CHECK;

/*
 * End of stream: delivers a final line that had no terminator (if any
 * non-empty). Returns like watchsplit_feed.
 */
int watchsplit_finish(struct watchsplit *ws, watchsplit_cb cb, void *ud) TK_MUST_CHECK;

/* Bytes of an unterminated line held so far. */
size_t watchsplit_pending(const struct watchsplit *ws);

/* Release the buffer; ws may be initialised again. */
void watchsplit_free(struct watchsplit *ws);

#endif

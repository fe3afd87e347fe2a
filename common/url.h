/*
 * url.h - the parts of a URL that can carry a secret, found and hidden.
 *
 * RFC 3986 generic syntax: "scheme://authority/path?query#fragment"; the
 * authority ends at the first '/', '?' or '#', and its user information
 * is everything before its last '@'. Any text before "://" counts as a
 * scheme; text with neither "scheme://" nor a leading "//" is read as
 * starting with an authority, so "bot:token@host/x" still counts as
 * carrying user information (reading too much as a secret is the safe
 * error). Pure: no allocation except into out.
 */
#ifndef THURKUBE_URL_H
#define THURKUBE_URL_H

#include "compat.h"

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Offsets into the text given to url_split; every part may be empty. */
struct url_parts {
	size_t scheme_len; /* "https" (0: no "scheme://") */
	size_t auth_off;   /* start of the authority: after "scheme://" or "//" */
	size_t host_off;   /* host[:port], after any "userinfo@" */
	size_t host_len;
	size_t path_off; /* "/sse" up to '?', '#' or the end */
	size_t path_len;
	bool userinfo; /* the authority holds an '@' */
	bool query;    /* a '?' follows the path */
	bool fragment; /* a '#' follows the path or query */
};

/* Split (s, len); never fails, any text has a reading. */
void url_split(const char *s, size_t len, struct url_parts *out);

/*
 * Append (s, len) to out with its secrets hidden: the scheme and "://",
 * "***@" when there was user information, host[:port], the path, then
 * "?***" when there was a query and "#***" when there was a fragment.
 * In "https://bot:tok@mcp.example/sse?key=k", "bot:tok@" becomes "***@"
 * and "?key=k" becomes "?***".
 * 0, -ENOMEM or -E2BIG (out's limit; out is then as it was).
 */
int url_redact(const char *s, size_t len, struct buf *out) TK_MUST_CHECK;

#endif

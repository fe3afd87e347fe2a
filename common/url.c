/* url.c - URL splitting and redaction for messages and logs. */
#include "compat.h"

#include "url.h"

#include <errno.h>

/*
 * Where the authority starts: after "scheme://" (any text before the first
 * ':', '/', '?' or '#', valid scheme or not, so odd text cannot hide user
 * information from redaction), after a leading "//", else at 0.
 */
static size_t url_auth_off(const char *s, size_t len, size_t *scheme_len)
{
	size_t i = 0;

	while (i < len && s[i] != ':' && s[i] != '/' && s[i] != '?' && s[i] != '#')
		i++;
	*scheme_len = 0;
	if (len - i >= 3 && memcmp(s + i, "://", 3) == 0) {
		*scheme_len = i;
		return i + 3;
	}
	return len >= 2 && s[0] == '/' && s[1] == '/' ? 2 : 0;
}

void url_split(const char *s, size_t len, struct url_parts *out)
{
	struct url_parts u = {0};
	size_t end, i;

	u.auth_off = url_auth_off(s, len, &u.scheme_len);
	for (end = u.auth_off; end < len && s[end] != '/' && s[end] != '?' && s[end] != '#'; end++)
		;
	u.host_off = u.auth_off;
	for (i = u.auth_off; i < end; i++) {
		if (s[i] == '@') {
			u.userinfo = true;
			u.host_off = i + 1;
		}
	}
	u.host_len = end - u.host_off;
	u.path_off = end;
	for (i = end; i < len && s[i] != '?' && s[i] != '#'; i++)
		;
	u.path_len = i - end;
	u.query = i < len && s[i] == '?';
	for (; i < len && s[i] != '#'; i++)
		;
	u.fragment = i < len;
	*out = u;
}

int url_redact(const char *s, size_t len, struct buf *out)
{
	struct url_parts u;
	size_t mark = out->len;
	int r = 0;

	url_split(s, len, &u);
	r = buf_append(out, s, u.auth_off);
	if (r == 0 && u.userinfo)
		r = buf_puts(out, "***@");
	if (r == 0)
		r = buf_append(out, s + u.host_off, u.host_len);
	if (r == 0)
		r = buf_append(out, s + u.path_off, u.path_len);
	if (r == 0 && u.query)
		r = buf_puts(out, "?***");
	if (r == 0 && u.fragment)
		r = buf_puts(out, "#***");
	if (r < 0) {
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
	}
	return r;
}

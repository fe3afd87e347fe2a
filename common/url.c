/* url.c - URL splitting and redaction for messages and logs. */
#include "compat.h"

#include "url.h"

#include <errno.h>

/* Length of "scheme" when s starts with "scheme://", else 0 (RFC 3986 3.1). */
static size_t url_scheme_len(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 1; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.'))
			break;
	}
	return len - i >= 3 && memcmp(s + i, "://", 3) == 0 ? i : 0;
}

void url_split(const char *s, size_t len, struct url_parts *out)
{
	struct url_parts u = {0};
	size_t auth, end, i;

	u.scheme_len = url_scheme_len(s, len);
	auth = u.scheme_len ? u.scheme_len + 3 : 0;
	for (end = auth; end < len && s[end] != '/' && s[end] != '?' && s[end] != '#'; end++)
		;
	u.host_off = auth;
	for (i = auth; i < end; i++) {
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
	if (u.scheme_len)
		r = buf_append(out, s, u.scheme_len + 3);
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

/* fielderr.c - field errors in the API server's words. */
#include "compat.h"

#include "fielderr.h"

#include <errno.h>
#include <stdarg.h>

#include "jsonutil.h"
#include "limits.h"
#include "url.h"

/* A quoted value as JSON text: JSON escaping writes at most 6 bytes per
 * byte ("\u001f"), plus the quotes and the ellipsis. */
#define FE_VALUE_TEXT_MAX (6u * TK_MAX_ERROR_VALUE + 8u)

static const char *const fe_words[] = {
    [FE_REQUIRED] = "Required value",
    [FE_INVALID] = "Invalid value",
    [FE_NOT_SUPPORTED] = "Unsupported value",
    [FE_DUPLICATE] = "Duplicate value",
    [FE_TOO_LONG] = "Too long",
    [FE_TOO_MANY] = "Too many",
    [FE_FORBIDDEN] = "Forbidden",
    [FE_TYPE] = "Invalid value",
};

/* Where to cut s so that at most max bytes remain, at a UTF-8 boundary. */
static size_t fe_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* A copy of (s, len), cut past max bytes and then ending in "..."; NULL on ENOMEM. */
static char *fe_bounded(const char *s, size_t len, size_t max)
{
	size_t n = fe_cut(s, len, max);
	char *out = malloc(n + 4);

	if (!out)
		return NULL;
	memcpy(out, s, n);
	memcpy(out + n, n < len ? "..." : "", n < len ? 4 : 1);
	return out;
}

/* The detail text, formatted and bounded; NULL on ENOMEM. */
static char *fe_detail(const char *fmt, va_list ap)
{
	/* One byte past the bound, so fe_cut sees whether the cut splits a character. */
	char *d = malloc(TK_MAX_ERROR_DETAIL + 2), *out;
	int n;

	if (!d)
		return NULL;
	n = vsnprintf(d, TK_MAX_ERROR_DETAIL + 2, fmt, ap);
	if (n < 0)
		d[0] = '\0';
	out = fe_bounded(d, strlen(d), TK_MAX_ERROR_DETAIL);
	free(d);
	return out;
}

static void fielderrs_vadd(struct fielderrs *errs, enum fielderr_type type, const char *path,
                           const char *value_json, const char *fmt, va_list ap)
{
	struct fielderr *e;

	if (errs->n >= TK_MAX_FIELD_ERRORS) {
		errs->omitted++;
		return;
	}
	if (errs->n == errs->cap) {
		size_t cap = errs->cap ? errs->cap * 2 : 8;
		struct fielderr *v = realloc(errs->v, cap * sizeof(*v));

		if (!v) {
			errs->oom = 1;
			return;
		}
		errs->v = v;
		errs->cap = cap;
	}
	path = path ? path : "";
	e = &errs->v[errs->n];
	e->type = type;
	e->path = fe_bounded(path, strlen(path), TK_MAX_ERROR_PATH);
	e->value =
	    value_json ? fe_bounded(value_json, strlen(value_json), FE_VALUE_TEXT_MAX) : NULL;
	e->detail = fmt ? fe_detail(fmt, ap) : NULL;
	if (!e->path || (value_json && !e->value) || (fmt && !e->detail)) {
		free(e->path);
		free(e->value);
		free(e->detail);
		errs->oom = 1;
		return;
	}
	errs->n++;
}

void fielderrs_add(struct fielderrs *errs, enum fielderr_type type, const char *path,
                   const char *value_json, const char *detail_fmt, ...)
{
	va_list ap;

	va_start(ap, detail_fmt);
	fielderrs_vadd(errs, type, path, value_json, detail_fmt, ap);
	va_end(ap);
}

/* (value, len) quoted as JSON, cut past TK_MAX_ERROR_VALUE with "..." inside the quotes. */
static char *fe_quote(const char *value, size_t len)
{
	size_t n = fe_cut(value, len, TK_MAX_ERROR_VALUE);
	struct buf b = BUF_INIT(FE_VALUE_TEXT_MAX);
	char *out = NULL;
	int r = jsonutil_quote(value, n, &b);

	/* Cut: the ellipsis goes before the closing quote. */
	if (r == 0 && n < len) {
		b.data[--b.len] = '\0';
		r = buf_puts(&b, "...\"");
	}
	if (r == 0)
		out = buf_steal(&b);
	buf_free(&b);
	return out;
}

static void fielderrs_vadd_quoted(struct fielderrs *errs, enum fielderr_type type, const char *path,
                                  char *quoted, const char *fmt, va_list ap)
{
	if (!quoted) {
		errs->oom = 1;
		return;
	}
	fielderrs_vadd(errs, type, path, quoted, fmt, ap);
	free(quoted);
}

void fielderrs_add_str(struct fielderrs *errs, enum fielderr_type type, const char *path,
                       const char *value, const char *detail_fmt, ...)
{
	va_list ap;

	value = value ? value : "";
	va_start(ap, detail_fmt);
	fielderrs_vadd_quoted(errs, type, path, fe_quote(value, strlen(value)), detail_fmt, ap);
	va_end(ap);
}

void fielderrs_add_url(struct fielderrs *errs, enum fielderr_type type, const char *path,
                       const char *url, const char *detail_fmt, ...)
{
	/* Redaction only shortens a URL, but for "***@", "?***" and "#***". */
	struct buf b = BUF_INIT(strlen(url ? url : "") + 16);
	char *q = NULL;
	va_list ap;

	url = url ? url : "";
	if (url_redact(url, strlen(url), &b) == 0)
		q = fe_quote(b.data ? b.data : "", b.len);
	buf_free(&b);
	va_start(ap, detail_fmt);
	fielderrs_vadd_quoted(errs, type, path, q, detail_fmt, ap);
	va_end(ap);
}

size_t fielderrs_count(const struct fielderrs *errs)
{
	return errs->n + errs->omitted;
}

int fielderr_render(const struct fielderr *e, struct buf *out)
{
	int r;

	/* Pieces, not a format: a denial renders every error twice (answer
	 * and log line). */
	r = buf_puts(out, e->path);
	if (r == 0)
		r = buf_puts(out, ": ");
	if (r == 0)
		r = buf_puts(out, fe_words[e->type]);
	if (r == 0 && e->value &&
	    (e->type == FE_INVALID || e->type == FE_NOT_SUPPORTED || e->type == FE_DUPLICATE ||
	     e->type == FE_TYPE || e->type == FE_TOO_MANY)) {
		r = buf_puts(out, ": ");
		if (r == 0)
			r = buf_puts(out, e->value);
	}
	if (r == 0 && e->detail && *e->detail) {
		r = buf_puts(out, ": ");
		if (r == 0)
			r = buf_puts(out, e->detail);
	}
	return r;
}

int fielderrs_render(const struct fielderrs *errs, struct buf *out)
{
	size_t i;
	int r = 0;

	if (errs->n == 1)
		return fielderr_render(&errs->v[0], out);
	if (errs->n > 1)
		r = buf_puts(out, "[");
	for (i = 0; r == 0 && i < errs->n; i++) {
		if (i)
			r = buf_puts(out, ", ");
		if (r == 0)
			r = fielderr_render(&errs->v[i], out);
	}
	if (r == 0 && errs->omitted)
		r = buf_printf(out, ", and %zu more error%s", errs->omitted,
		               errs->omitted == 1 ? "" : "s");
	if (r == 0 && errs->n > 1)
		r = buf_puts(out, "]");
	return r;
}

void fielderrs_free(struct fielderrs *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++) {
		free(errs->v[i].path);
		free(errs->v[i].value);
		free(errs->v[i].detail);
	}
	free(errs->v);
	errs->v = NULL;
	errs->n = errs->cap = errs->omitted = 0;
	errs->oom = 0;
}

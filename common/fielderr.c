/* fielderr.c - field errors in the API server's words. */
#include "compat.h"

#include "fielderr.h"

#include <errno.h>
#include <stdarg.h>

#include <json-c/json.h>

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

static void fielderrs_vadd(struct fielderrs *errs, enum fielderr_type type, const char *path,
                           const char *value_json, const char *fmt, va_list ap)
{
	struct fielderr *e;
	struct buf d = BUF_INIT(64 * 1024);

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
	e = &errs->v[errs->n];
	e->type = type;
	e->path = strdup(path ? path : "");
	e->value = value_json ? strdup(value_json) : NULL;
	e->detail = NULL;
	if (fmt && buf_vprintf(&d, fmt, ap) == 0)
		e->detail = buf_steal(&d);
	buf_free(&d);
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

void fielderrs_add_str(struct fielderrs *errs, enum fielderr_type type, const char *path,
                       const char *value, const char *detail_fmt, ...)
{
	json_object *s = json_object_new_string(value ? value : "");
	const char *q = s ? json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN |
	                                                          JSON_C_TO_STRING_NOSLASHESCAPE)
	                  : NULL;
	va_list ap;

	if (!q) {
		errs->oom = 1;
		json_object_put(s);
		return;
	}
	va_start(ap, detail_fmt);
	fielderrs_vadd(errs, type, path, q, detail_fmt, ap);
	va_end(ap);
	json_object_put(s);
}

int fielderr_render(const struct fielderr *e, struct buf *out)
{
	int r;

	r = buf_printf(out, "%s: %s", e->path, fe_words[e->type]);
	if (r == 0 && e->value &&
	    (e->type == FE_INVALID || e->type == FE_NOT_SUPPORTED || e->type == FE_DUPLICATE ||
	     e->type == FE_TYPE))
		r = buf_printf(out, ": %s", e->value);
	if (r == 0 && e->detail && *e->detail)
		r = buf_printf(out, ": %s", e->detail);
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
	errs->n = errs->cap = 0;
	errs->oom = 0;
}

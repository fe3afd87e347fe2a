/* jsonutil.c - json-c helpers shared by every module. */
#include "compat.h"

#include "jsonutil.h"
#include "util.h"

#include <errno.h>
#include <locale.h>
#include <stdbool.h>

int jsonutil_add(json_object *o, const char *key, json_object *val)
{
	if (!val || json_object_object_add(o, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

int jsonutil_add_str(json_object *o, const char *key, const char *val)
{
	return jsonutil_add(o, key, json_object_new_string(val ? val : ""));
}

int jsonutil_add_int(json_object *o, const char *key, int64_t val)
{
	return jsonutil_add(o, key, json_object_new_int64(val));
}

json_object *jsonutil_get(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

json_object *jsonutil_get_type(json_object *o, const char *key, json_type t)
{
	json_object *v = jsonutil_get(o, key);

	return json_object_is_type(v, t) ? v : NULL;
}

const char *jsonutil_as_str(json_object *v)
{
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

const char *jsonutil_str(json_object *o, const char *key)
{
	return jsonutil_as_str(jsonutil_get(o, key));
}

const char *jsonutil_meta(json_object *obj, const char *field)
{
	return jsonutil_str(jsonutil_get(obj, "metadata"), field);
}

const char *jsonutil_name(json_object *obj)
{
	return jsonutil_meta(obj, "name");
}

const char *jsonutil_namespace(json_object *obj)
{
	const char *ns = jsonutil_meta(obj, "namespace");

	return ns ? ns : "";
}

const char *jsonutil_label(json_object *obj, const char *label)
{
	return jsonutil_str(jsonutil_get(jsonutil_get(obj, "metadata"), "labels"), label);
}

const char *jsonutil_type_word(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "boolean";
	case json_type_double:
		return "number";
	case json_type_int:
		return "integer";
	case json_type_object:
		return "object";
	case json_type_array:
		return "array";
	case json_type_string:
		return "string";
	}
	return "unknown";
}

size_t jsonutil_nul_escapes(const char *text, size_t len)
{
	size_t i = 0, n = 0;
	const char *p;

	while (i < len && (p = memchr(text + i, '\\', len - i)) != NULL) {
		i = (size_t)(p - text);
		if (len - i >= 6 && memcmp(p, "\\u0000", 6) == 0)
			n++;
		/* Skip the escaped character: the second backslash of "\\" starts nothing. */
		i += 2;
	}
	return n;
}

size_t jsonutil_nul_chars(json_object *v)
{
	size_t n = 0, i, len;
	const char *s;

	switch (json_object_get_type(v)) {
	case json_type_string:
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		for (i = 0; i < len; i++)
			n += s[i] == '\0';
		return n;
	case json_type_array:
		len = json_object_array_length(v);
		for (i = 0; i < len; i++)
			n += jsonutil_nul_chars(json_object_array_get_idx(v, i));
		return n;
	case json_type_object: {
		json_object_object_foreach(v, key, val)
		{
			(void)key;
			n += jsonutil_nul_chars(val);
		}
		return n;
	}
	default:
		return 0;
	}
}

void jsonutil_thread_c_locale(void)
{
	static _Thread_local bool done;
	locale_t c;

	if (done)
		return;
	done = true;
	/* newlocale(LC_ALL_MASK, "C", 0) is glibc's static C locale object:
	 * nothing to free, and duplocale/newlocale/freelocale of it take no
	 * lock. */
	c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (c)
		uselocale(c);
}

int jsonutil_quote(const char *s, size_t n, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	int r;

	if ((r = buf_append(out, "\"", 1)) < 0)
		return r;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		esc[0] = '\\';
		switch (c) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		if ((r = buf_append(out, s + run, i - run)) < 0 ||
		    (r = buf_append(out, esc, elen)) < 0)
			return r;
		run = i + 1;
	}
	if ((r = buf_append(out, s + run, n - run)) < 0)
		return r;
	return buf_append(out, "\"", 1);
}

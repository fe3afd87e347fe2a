/* jsonpatch.c - RFC 6902 JSON Patch: build operations, apply them to json-c values. */
#include "compat.h"

#include "jsonpatch.h"

#include <errno.h>
#include <stdbool.h>

#include "limits.h"

int jsonpatch_escape(const char *token, struct buf *out)
{
	const char *p;
	int r = 0;

	for (p = token; r == 0 && *p; p++) {
		if (*p == '~')
			r = buf_puts(out, "~0");
		else if (*p == '/')
			r = buf_puts(out, "~1");
		else
			r = buf_append(out, p, 1);
	}
	if (r == 0 && !out->data)
		r = buf_append(out, "", 0);
	return r;
}

int jsonpatch_add_op(json_object *patch, const char *op, const char *path, json_object *value)
{
	json_object *o = json_object_new_object();
	json_object *s_op = json_object_new_string(op);
	json_object *s_path = json_object_new_string(path);

	if (!o || !s_op || !s_path)
		goto fail;
	json_object_object_add(o, "op", s_op);
	s_op = NULL;
	json_object_object_add(o, "path", s_path);
	s_path = NULL;
	if (value || strcmp(op, "remove") != 0) {
		/* A JSON null value is a NULL json_object in json-c; keep the key. */
		json_object_object_add(o, "value", value);
		value = NULL;
	}
	if (json_object_array_add(patch, o) < 0)
		goto fail;
	return 0;
fail:
	json_object_put(o);
	json_object_put(s_op);
	json_object_put(s_path);
	json_object_put(value);
	return -ENOMEM;
}

/* Decode one reference token (~1 -> /, ~0 -> ~) of len bytes. NULL on a bad escape. */
static char *unescape_token(const char *p, size_t len)
{
	char *t = malloc(len + 1);
	size_t i, n = 0;

	if (!t)
		return NULL;
	for (i = 0; i < len; i++) {
		if (p[i] != '~') {
			t[n++] = p[i];
			continue;
		}
		if (i + 1 >= len || (p[i + 1] != '0' && p[i + 1] != '1')) {
			free(t);
			return NULL;
		}
		t[n++] = p[i + 1] == '0' ? '~' : '/';
		i++;
	}
	t[n] = '\0';
	return t;
}

/* An array index per RFC 6901: "0" or digits without a leading zero. */
static int parse_index(const char *tok, size_t *out)
{
	const char *p;
	int64_t v;

	if (!*tok || (tok[0] == '0' && tok[1]))
		return -EINVAL;
	for (p = tok; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	if (parse_i64(tok, 0, INT32_MAX, &v) < 0)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

/*
 * Resolve path to its parent container and last token. *parent is
 * borrowed from doc; *last is a new string the caller frees. The root
 * path "" gives *parent = NULL.
 */
static int resolve_parent(json_object *doc, const char *path, json_object **parent, char **last)
{
	json_object *cur = doc;
	const char *p = path, *slash;
	int depth = 0;

	*parent = NULL;
	*last = NULL;
	if (*path == '\0')
		return 0;
	if (*path != '/')
		return -EINVAL;
	for (;;) {
		char *tok;

		p++;
		slash = strchr(p, '/');
		tok = unescape_token(p, slash ? (size_t)(slash - p) : strlen(p));
		if (!tok)
			return -EINVAL;
		if (!slash) {
			*parent = cur;
			*last = tok;
			return 0;
		}
		if (++depth > TK_MAX_JSON_DEPTH) {
			free(tok);
			return -E2BIG;
		}
		if (json_object_is_type(cur, json_type_object)) {
			json_object *next = NULL;

			if (!json_object_object_get_ex(cur, tok, &next) || !next) {
				free(tok);
				return -ENOENT;
			}
			cur = next;
		} else if (json_object_is_type(cur, json_type_array)) {
			size_t idx;

			if (parse_index(tok, &idx) < 0 || idx >= json_object_array_length(cur)) {
				free(tok);
				return -ENOENT;
			}
			cur = json_object_array_get_idx(cur, idx);
		} else {
			free(tok);
			return -ENOENT;
		}
		free(tok);
		p = slash;
	}
}

/* Insert value (taken) at idx of arr, shifting the tail right. */
static int array_insert(json_object *arr, size_t idx, json_object *value)
{
	size_t n = json_object_array_length(arr), i;

	if (idx == n)
		return json_object_array_add(arr, value) < 0 ? -ENOMEM : 0;
	if (json_object_array_add(arr, NULL) < 0)
		return -ENOMEM;
	for (i = n; i > idx; i--)
		json_object_array_put_idx(arr, i,
		                          json_object_get(json_object_array_get_idx(arr, i - 1)));
	json_object_array_put_idx(arr, idx, value);
	return 0;
}

/* The member at (parent, tok), borrowed; found tells presence (a value may be JSON null). */
static json_object *member(json_object *parent, const char *tok, bool *found)
{
	json_object *v = NULL;
	size_t idx;

	*found = false;
	if (json_object_is_type(parent, json_type_object)) {
		*found = json_object_object_get_ex(parent, tok, &v);
	} else if (json_object_is_type(parent, json_type_array)) {
		if (parse_index(tok, &idx) == 0 && idx < json_object_array_length(parent)) {
			*found = true;
			v = json_object_array_get_idx(parent, idx);
		}
	}
	return v;
}

static int apply_add(json_object **doc, json_object *parent, const char *tok, json_object *value,
                     bool replace)
{
	bool found;
	size_t idx;

	if (!parent && !tok) {
		json_object_put(*doc);
		*doc = value;
		return 0;
	}
	if (json_object_is_type(parent, json_type_object)) {
		member(parent, tok, &found);
		if (replace && !found)
			goto noent;
		if (json_object_object_add(parent, tok, value) < 0)
			goto nomem;
		return 0;
	}
	if (!json_object_is_type(parent, json_type_array))
		goto noent;
	if (!replace && strcmp(tok, "-") == 0)
		idx = json_object_array_length(parent);
	else if (parse_index(tok, &idx) < 0)
		goto noent;
	if (idx > json_object_array_length(parent) ||
	    (replace && idx == json_object_array_length(parent)))
		goto noent;
	if (replace) {
		json_object_array_put_idx(parent, idx, value);
		return 0;
	}
	return array_insert(parent, idx, value);
noent:
	json_object_put(value);
	return -ENOENT;
nomem:
	json_object_put(value);
	return -ENOMEM;
}

static int apply_remove(json_object **doc, json_object *parent, const char *tok)
{
	bool found;
	size_t idx;

	if (!parent && !tok) {
		json_object_put(*doc);
		*doc = NULL;
		return 0;
	}
	member(parent, tok, &found);
	if (!found)
		return -ENOENT;
	if (json_object_is_type(parent, json_type_object)) {
		json_object_object_del(parent, tok);
		return 0;
	}
	if (parse_index(tok, &idx) < 0)
		return -ENOENT;
	return json_object_array_del_idx(parent, idx, 1) < 0 ? -ENOENT : 0;
}

static int apply_op(json_object **doc, json_object *op)
{
	json_object *jop, *jpath, *jval = NULL, *parent = NULL, *copy = NULL;
	const char *name, *path;
	bool has_value, found;
	char *tok = NULL;
	int r;

	if (!json_object_is_type(op, json_type_object) ||
	    !json_object_object_get_ex(op, "op", &jop) ||
	    !json_object_is_type(jop, json_type_string) ||
	    !json_object_object_get_ex(op, "path", &jpath) ||
	    !json_object_is_type(jpath, json_type_string))
		return -EINVAL;
	name = json_object_get_string(jop);
	path = json_object_get_string(jpath);
	has_value = json_object_object_get_ex(op, "value", &jval);
	r = resolve_parent(*doc, path, &parent, &tok);
	if (r < 0)
		return r;
	if (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0) {
		if (!has_value) {
			r = -EINVAL;
			goto out;
		}
		if (jval && json_object_deep_copy(jval, &copy, NULL) < 0) {
			r = -ENOMEM;
			goto out;
		}
		r = apply_add(doc, parent, tok, copy, name[0] == 'r');
	} else if (strcmp(name, "remove") == 0) {
		r = apply_remove(doc, parent, tok);
	} else if (strcmp(name, "test") == 0) {
		json_object *cur = tok ? member(parent, tok, &found) : *doc;

		if (!has_value)
			r = -EINVAL;
		else if (tok && !found)
			r = -ENOENT;
		else
			r = json_object_equal(cur, jval) ? 0 : -EINVAL;
	} else {
		r = -EINVAL;
	}
out:
	free(tok);
	return r;
}

int jsonpatch_apply(json_object **doc, json_object *patch)
{
	json_object *work = NULL;
	size_t i, n;
	int r = 0;

	if (!json_object_is_type(patch, json_type_array))
		return -EINVAL;
	/* Work on a copy so a failing operation leaves *doc untouched. */
	if (*doc && json_object_deep_copy(*doc, &work, NULL) < 0)
		return -ENOMEM;
	n = json_object_array_length(patch);
	for (i = 0; r == 0 && i < n; i++)
		r = apply_op(&work, json_object_array_get_idx(patch, i));
	if (r < 0) {
		json_object_put(work);
		return r;
	}
	json_object_put(*doc);
	*doc = work;
	return 0;
}

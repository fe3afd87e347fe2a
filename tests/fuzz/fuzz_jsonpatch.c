/*
 * fuzz_jsonpatch.c - jsonpatch_apply on arbitrary [document, patch] pairs
 * must never crash, and a patch built with the helpers from any object's
 * members must rebuild that object exactly (build/apply round trip).
 */
#include "compat.h"

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "jsonpatch.h"
#include "limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_object *parse(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new_ex(TK_MAX_JSON_DEPTH);
	json_object *v;

	if (!tok || size > INT32_MAX) {
		json_tokener_free(tok);
		return NULL;
	}
	v = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	return v;
}

/* Same JSON text (json_object_equal says NaN != NaN, the text does not). */
static bool same(json_object *a, json_object *b)
{
	const char *x = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
	char *copy = xstrdup(x);
	bool eq =
	    copy && strcmp(copy, json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN)) == 0;

	free(copy);
	return eq || !copy;
}

/* Rebuild v (an object) member by member with add ops. */
static void round_trip(json_object *v)
{
	json_object *patch = json_object_new_array(), *doc = json_object_new_object();

	json_object_object_foreach(v, key, val)
	{
		struct buf p = BUF_INIT(1u << 20);
		json_object *copy = NULL;

		if (buf_puts(&p, "/") < 0 || jsonpatch_escape(key, &p) < 0 ||
		    (val && json_object_deep_copy(val, &copy, NULL) < 0) ||
		    jsonpatch_add_op(patch, "add", p.data, copy) < 0) {
			buf_free(&p);
			goto out;
		}
		buf_free(&p);
	}
	if (jsonpatch_apply(&doc, patch) != 0 || !same(doc, v))
		abort();
out:
	json_object_put(patch);
	json_object_put(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *v = parse(data, size);

	if (json_object_is_type(v, json_type_array) && json_object_array_length(v) == 2) {
		json_object *doc = NULL, *orig = json_object_array_get_idx(v, 0);

		if (!orig || json_object_deep_copy(orig, &doc, NULL) == 0) {
			if (jsonpatch_apply(&doc, json_object_array_get_idx(v, 1)) != 0 &&
			    !same(doc, orig))
				abort(); /* a failed patch must leave the document alone */
			json_object_put(doc);
		}
	}
	if (json_object_is_type(v, json_type_object))
		round_trip(v);
	json_object_put(v);
	return 0;
}

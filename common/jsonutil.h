/*
 * jsonutil.h - the few json-c helpers every module needs: adding members
 * without leaking on failure, naming a value's JSON type, and counting
 * the NUL characters json-c's C strings would hide.
 */
#ifndef THURKUBE_JSONUTIL_H
#define THURKUBE_JSONUTIL_H

#include "compat.h"

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct buf;

/* Add key: val to object o, taking val (a NULL val is an allocation that
 * failed). 0, or -ENOMEM with val released. */
int jsonutil_add(json_object *o, const char *key, json_object *val) TK_MUST_CHECK;
/* Add key: string (a copy of val; NULL adds ""). 0 or -ENOMEM. */
int jsonutil_add_str(json_object *o, const char *key, const char *val) TK_MUST_CHECK;
/* Add key: integer. 0 or -ENOMEM. */
int jsonutil_add_int(json_object *o, const char *key, int64_t val) TK_MUST_CHECK;
/* "null", "boolean", "number", "integer", "object", "array" or "string"
 * (static string), as the API server names JSON types in errors. */
const char *jsonutil_type_word(json_object *v);

/*
 * Getters. All borrow from o and never fail: a NULL o, a non-object o, a
 * missing member or one of another type gives NULL.
 * jsonutil_get: member key of object o.
 * jsonutil_get_type: the same, when of JSON type t.
 * jsonutil_str: member key of o when it is a string.
 * jsonutil_as_str: v itself when it is a string (an array element, say).
 * jsonutil_meta: metadata.<field> of a Kubernetes object when a string.
 * jsonutil_name: metadata.name.
 * jsonutil_namespace: metadata.namespace, "" when absent (cluster scope).
 * jsonutil_label: metadata.labels[label] when a string.
 */
json_object *jsonutil_get(json_object *o, const char *key);
json_object *jsonutil_get_type(json_object *o, const char *key, json_type t);
const char *jsonutil_str(json_object *o, const char *key);
const char *jsonutil_as_str(json_object *v);
const char *jsonutil_meta(json_object *obj, const char *field);
const char *jsonutil_name(json_object *obj);
const char *jsonutil_namespace(json_object *obj);
const char *jsonutil_label(json_object *obj, const char *label);

/*
 * NUL characters: json-c keeps them inside string values (the JSON length
 * then differs from strlen) but cuts object keys at the first one, so a
 * key "a\u0000b" silently becomes "a". Comparing the two counts below
 * tells whether some key held one.
 *
 * jsonutil_nul_escapes: the \u0000 escapes in JSON text (text, len),
 * counting only real escapes ("\\u0000" is a backslash then "u0000").
 * jsonutil_nul_chars: the NUL bytes in every string value of v, at any
 * depth (v borrowed; NULL counts 0). Neither fails.
 */
size_t jsonutil_nul_escapes(const char *text, size_t len);
size_t jsonutil_nul_chars(json_object *v);
/*
 * Make the calling thread use the C locale object (the process's locale
 * stays as it is; this program never sets one). json-c switches the
 * thread to a "C" numeric locale around every parse; from the C locale
 * object that switch is free, from the global locale it allocates and
 * takes glibc's process-wide locale lock, which threads serving reviews
 * at once then wait on. Once per thread; cheap after the first call.
 */
void jsonutil_thread_c_locale(void);
/*
 * Append s (n bytes) to out as a quoted JSON string, escaped as json-c
 * (with JSON_C_TO_STRING_NOSLASHESCAPE) and serde_json escape it: \" and
 * \\, the short forms \b \f \n \r \t, \u00xx (lowercase hex) for the
 * other control bytes, every other byte (UTF-8, '/', DEL) as it is. 0 or
 * the buf error.
 */
int jsonutil_quote(const char *s, size_t n, struct buf *out) TK_MUST_CHECK;

#endif

/*
 * jsonutil.h - the few json-c helpers every module needs: adding members
 * without leaking on failure, and naming a value's JSON type.
 */
#ifndef THURKUBE_JSONUTIL_H
#define THURKUBE_JSONUTIL_H

#include "compat.h"

#include <stdint.h>

#include <json-c/json.h>

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

#endif

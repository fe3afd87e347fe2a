/* jsonutil.c - json-c helpers shared by every module. */
#include "compat.h"

#include "jsonutil.h"

#include <errno.h>

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

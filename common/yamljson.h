/*
 * yamljson.h - YAML streams (libyaml) to json-c values, resolving plain
 * scalars the way kubectl's YAML decoder does (null, booleans, integers,
 * floats, strings; quoted scalars are always strings). Anchors and aliases
 * are resolved; merge keys are not supported. Depth is bounded by
 * TK_MAX_JSON_DEPTH. Pure.
 */
#ifndef THURKUBE_YAMLJSON_H
#define THURKUBE_YAMLJSON_H

#include "compat.h"

#include <stddef.h>

#include <json-c/json.h>

#include "util.h"

struct yamljson_error {
	size_t line;   /* 1-based, 0 when unknown */
	size_t column; /* 1-based */
	char msg[256]; /* libyaml's problem text or ours */
};

/*
 * Called once per document of the stream, with the document (borrowed for
 * the call; NULL for an empty document) and the 1-based line it starts on.
 * A non-zero return stops parsing and is returned by yamljson_parse.
 */
typedef int (*yamljson_doc_cb)(void *ud, json_object *doc, size_t line);

/* Parse (text, len). 0, the callback's value, -EINVAL (err filled) or
 * -ENOMEM. */
int yamljson_parse(const char *text, size_t len, yamljson_doc_cb cb, void *ud,
                   struct yamljson_error *err) TK_MUST_CHECK;
/* Convenience: the first document as a new reference (NULL if none). */
int yamljson_parse_one(const char *text, size_t len, json_object **out,
                       struct yamljson_error *err) TK_MUST_CHECK;

#endif

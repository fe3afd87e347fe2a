/*
 * yamljson.h - YAML streams (libyaml) to json-c values, resolving plain
 * scalars the way kubectl's YAML decoder does (sigs.k8s.io/yaml over go-yaml
 * v2): null (~, null, empty), booleans including YAML 1.1 yes/no/on/off/y/n,
 * integers (decimal, 0x, 0o, 0b, leading-0 octal, '_' ignored), floats
 * (an integral float becomes a JSON integer, as encoding/json prints it),
 * else strings; quoted and block scalars are always strings. Map keys
 * become strings as sigs.k8s.io/yaml makes them ("true", "16", "1e+06").
 * The rules, with their edge cases, are listed at the top of yamljson.c.
 *
 * Anchors and aliases are resolved by copying, with a budget of copied
 * values per document (billion-laughs guard). Rejected with -EINVAL and a
 * position: merge keys (<<), null or collection keys, .inf/.nan values
 * (JSON cannot carry them), nesting deeper than TK_MAX_JSON_DEPTH, and
 * explicit !!int/!!float/!!bool/!!null tags on text that is not one.
 * Duplicate keys: the last one wins. Pure: no I/O, no logging.
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

/* Parse (text, len); err may be NULL. Returns 0, the callback's value,
 * -EINVAL (err filled: 1-based line/column and a message) or -ENOMEM.
 * Documents before a failure have already been passed to cb. */
int yamljson_parse(const char *text, size_t len, yamljson_doc_cb cb, void *ud,
                   struct yamljson_error *err) TK_MUST_CHECK;
/* Convenience: the first document as a new reference (NULL if the
 * stream is empty or the document is null); later documents are not
 * parsed. *out is untouched on failure. */
int yamljson_parse_one(const char *text, size_t len, json_object **out,
                       struct yamljson_error *err) TK_MUST_CHECK;

#endif

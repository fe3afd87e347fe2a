/*
 * fuzz_yaml.c - libFuzzer target: any byte string through yamljson_parse.
 * Every document produced must serialise, and errors must carry a message.
 */
#include "compat.h"

#include <errno.h>
#include <stdint.h>

#include "yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_doc(void *ud, json_object *doc, size_t line)
{
	size_t *docs = ud;

	if (line == 0)
		abort();
	if (doc && !json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN))
		abort();
	(*docs)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yamljson_error err;
	size_t docs = 0;
	int r = yamljson_parse((const char *)data, size, on_doc, &docs, &err);

	if (r == -EINVAL && err.msg[0] == '\0')
		abort();
	return 0;
}

/*
 * fuzz_schema.c - schema_validate and schema_default on arbitrary JSON,
 * as every kind: no crash, the defaulting patch always applies, and
 * defaulting the result again yields an empty patch (idempotence).
 */
#include "compat.h"

#include <stdint.h>

#include <json-c/json.h>

#include "jsonpatch.h"
#include "limits.h"
#include "schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_kind(enum tk_kind k, json_object *obj)
{
	static const struct schema_config cfg = {.default_cpu_request = "100m",
	                                         .default_memory_limit = "1Gi",
	                                         .max_timeout_seconds = 600};
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	json_object *patch = NULL, *again = NULL, *work = NULL;

	if (schema_validate(k, obj, NULL, &cfg, &errs, &warnings) != 0)
		goto out;
	if (schema_default(k, obj, &cfg, "fuzz@example.com", &patch) != 0)
		goto out;
	if (json_object_deep_copy(obj, &work, NULL) != 0)
		goto out;
	if (jsonpatch_apply(&work, patch) != 0)
		abort();
	if (schema_default(k, work, &cfg, "fuzz@example.com", &again) != 0)
		goto out;
	if (json_object_array_length(again) != 0)
		abort();
	fielderrs_free(&errs);
	strlist_free(&warnings);
	if (schema_validate(k, work, NULL, &cfg, &errs, &warnings) != 0)
		goto out;
out:
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(patch);
	json_object_put(again);
	json_object_put(work);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new_ex(TK_MAX_JSON_DEPTH);
	json_object *obj = NULL;
	unsigned k;

	if (!tok || size > INT32_MAX)
		goto out;
	obj = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (!json_object_is_type(obj, json_type_object))
		goto out;
	for (k = 0; k < TK_KIND_COUNT; k++)
		one_kind((enum tk_kind)k, obj);
out:
	json_tokener_free(tok);
	json_object_put(obj);
	return 0;
}

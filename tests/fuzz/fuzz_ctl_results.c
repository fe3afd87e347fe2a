/* fuzz_ctl_results.c - a run's termination message (agent-written, so hostile) into
 * status.lastRun: never a crash, never an unbounded or invalid field. */
#include "compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct results r;
	json_object *v;

	if (results_parse((const char *)data, size, &r) != 0)
		return 0;
	json_object_object_foreach(r.fields, k, val)
	{
		if (strcmp(k, "summary") && strcmp(k, "url") && strcmp(k, "inputTokens") &&
		    strcmp(k, "outputTokens") && strcmp(k, "costUSD") && strcmp(k, "ignored"))
			abort();
		(void)val;
	}
	if (json_object_object_get_ex(r.fields, "summary", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	     json_object_get_string_len(v) > RESULTS_MAX_SUMMARY ||
	     strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)))
		abort();
	if (json_object_object_get_ex(r.fields, "url", &v) &&
	    json_object_get_string_len(v) > RESULTS_MAX_URL)
		abort();
	if (r.input_tokens < -1 || r.output_tokens < -1 || r.cost_usd > RESULTS_MAX_COST)
		abort();
	/* The status text renders. */
	if (!json_object_to_json_string_ext(r.fields, JSON_C_TO_STRING_PLAIN))
		abort();
	results_free(&r);
	return 0;
}

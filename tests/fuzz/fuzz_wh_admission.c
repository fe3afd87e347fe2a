/*
 * fuzz_wh_admission.c - libFuzzer target for the AdmissionReview path:
 * admission_handle on /validate and /mutate, with and without a cluster
 * check callback.
 *
 * Invariants: never crashes; the answer is either a plain 400 or an
 * HTTP 200 AdmissionReview that parses as JSON, echoes the request uid and
 * says allowed true/false; anything the parser called malformed is never
 * allowed; a denial always carries a status with a message and a 4xx/5xx
 * code; a patch only comes with patchType JSONPatch and decodes to a JSON
 * array; the first byte of the input picks the endpoint and callback.
 */
#include "compat.h"

#include <errno.h>
#include <stdint.h>

#include <json-c/json.h>

#include "../../webhook/admission.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_wh_admission: invariant failed: %s (line %d)\n", #c, \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static int fuzz_check(void *ud, const struct admission_request *req, int64_t budget_ms,
                      struct fielderrs *denials, struct strlist *warnings)
{
	(void)ud;
	(void)budget_ms;
	CHECK(req->uid && *req->uid);
	CHECK(req->object != NULL);
	if (req->kind == TK_CLUSTERACCESS)
		fielderrs_add(denials, FE_FORBIDDEN, "spec.rules[0]", NULL, "user \"%s\" may not",
		              req->username);
	return strlist_add(warnings, "spec.runtimeRef: not found");
}

static void fuzz_check_answer(const struct admission_outcome *out)
{
	json_object *root, *resp, *v, *st;
	bool allowed;

	CHECK(out->result != NULL);
	if (out->http_status == 400) {
		CHECK(strcmp(out->result, "malformed") == 0);
		CHECK(out->reasons && *out->reasons);
		return;
	}
	CHECK(out->http_status == 200);
	root = json_tokener_parse(out->body.data);
	CHECK(root != NULL);
	CHECK(json_object_object_get_ex(root, "response", &resp));
	CHECK(json_object_object_get_ex(resp, "uid", &v) && *json_object_get_string(v));
	CHECK(json_object_object_get_ex(resp, "allowed", &v) &&
	      json_object_is_type(v, json_type_boolean));
	allowed = json_object_get_boolean(v);
	CHECK(allowed == (strcmp(out->result, "allowed") == 0));
	if (!allowed) {
		CHECK(json_object_object_get_ex(resp, "status", &st));
		CHECK(json_object_object_get_ex(st, "code", &v));
		CHECK(json_object_get_int(v) >= 400 && json_object_get_int(v) < 600);
		CHECK(json_object_object_get_ex(st, "message", &v) && *json_object_get_string(v));
		CHECK(!json_object_object_get_ex(resp, "patch", NULL));
	}
	if (json_object_object_get_ex(resp, "patch", &v)) {
		const char *b64 = json_object_get_string(v);
		unsigned char *raw = NULL;
		size_t n = 0;
		char *text;
		json_object *p, *pt;

		CHECK(json_object_object_get_ex(resp, "patchType", &pt));
		CHECK(strcmp(json_object_get_string(pt), "JSONPatch") == 0);
		CHECK(base64_decode(b64, strlen(b64), &raw, &n) == 0);
		text = xstrndup((const char *)raw, n); /* base64_decode adds no NUL */
		CHECK(text != NULL);
		p = json_tokener_parse(text);
		free(text);
		CHECK(p && json_object_is_type(p, json_type_array) && json_object_array_length(p));
		json_object_put(p);
		free(raw);
	}
	json_object_put(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct admission_env env = {0};
	struct admission_outcome out = {0};
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	env.budget_ms = 100;
	if (mode & 2) {
		env.check = fuzz_check;
		env.check_ud = NULL;
	}
	env.warn_only = mode & 4;
	CHECK(admission_handle(mode & 1 ? ADM_MUTATE : ADM_VALIDATE, (const char *)data + 1,
	                       size - 1, &env, &out) == 0);
	fuzz_check_answer(&out);
	admission_outcome_free(&out);
	return 0;
}

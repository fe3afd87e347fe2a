/* results.c - a run's termination message into status.lastRun (see results.h). */
#include "compat.h"

#include "model/results.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "jsonutil.h"
#include "limits.h"

/* The length of s[0..n) cut to at most max bytes on a UTF-8 boundary,
 * dropping bytes that are not valid UTF-8 sequences' starts. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
	size_t i = 0, last = 0;

	while (i < n && i < max) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80         ? 1
		           : (c >> 5) == 6  ? 2
		           : (c >> 4) == 14 ? 3
		           : (c >> 3) == 30 ? 4
		                            : 0;
		size_t j;

		if (!k || i + k > n || i + k > max)
			break;
		for (j = 1; j < k; j++)
			if (((unsigned char)s[i + j] >> 6) != 2)
				break;
		if (j < k)
			break;
		i += k;
		last = i;
	}
	return last;
}

/* A new string of s[0..n) cut for status: valid UTF-8, no NUL, at most max. */
static json_object *text(const char *s, size_t n, size_t max)
{
	const char *nul = memchr(s, '\0', n);

	if (nul)
		n = (size_t)(nul - s);
	return json_object_new_string_len(s, (int)utf8_cut(s, n, max));
}

static int add(json_object *o, const char *k, json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, k, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int ignored(json_object *fields, const char *key)
{
	json_object *a = jsonutil_get(fields, "ignored");

	if (!a) {
		a = json_object_new_array();
		if (add(fields, "ignored", a) < 0)
			return -ENOMEM;
	}
	return json_object_array_add(a, json_object_new_string(key)) < 0 ? -ENOMEM : 0;
}

static bool is_http_url(const char *s)
{
	return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

/* The five fields of a JSON object message. */
static int from_object(json_object *m, struct results *out)
{
	static const char *const known[] = {"summary", "url", "inputTokens", "outputTokens",
	                                    "costUSD"};
	json_object *f = out->fields, *v;
	size_t i;
	int r = 0;

	for (i = 0; i < TK_ARRAY_LEN(known) && !r; i++) {
		const char *k = known[i];

		v = jsonutil_get(m, k);
		if (!v)
			continue;
		if (i == 0 && json_object_is_type(v, json_type_string))
			r = add(f, k,
			        text(json_object_get_string(v),
			             (size_t)json_object_get_string_len(v), RESULTS_MAX_SUMMARY));
		else if (i == 1 && json_object_is_type(v, json_type_string) &&
		         (size_t)json_object_get_string_len(v) <= RESULTS_MAX_URL &&
		         is_http_url(json_object_get_string(v)) &&
		         !memchr(json_object_get_string(v), '\0',
		                 (size_t)json_object_get_string_len(v)))
			r = add(f, k, json_object_new_string(json_object_get_string(v)));
		else if ((i == 2 || i == 3) && json_object_is_type(v, json_type_int) &&
		         json_object_get_int64(v) >= 0 &&
		         json_object_get_int64(v) <= RESULTS_MAX_TOKENS) {
			int64_t n = json_object_get_int64(v);

			r = add(f, k, json_object_new_int64(n));
			if (i == 2)
				out->input_tokens = n;
			else
				out->output_tokens = n;
		} else if (i == 4 &&
		           (json_object_is_type(v, json_type_double) ||
		            json_object_is_type(v, json_type_int)) &&
		           isfinite(json_object_get_double(v)) && json_object_get_double(v) >= 0 &&
		           json_object_get_double(v) <= RESULTS_MAX_COST) {
			out->cost_usd = json_object_get_double(v);
			r = add(f, k, json_object_new_double(out->cost_usd));
		} else {
			r = ignored(f, k);
		}
	}
	return r;
}

int results_parse(const char *msg, size_t len, struct results *out)
{
	json_tokener *tok;
	json_object *m = NULL;
	int r = 0;

	memset(out, 0, sizeof(*out));
	out->input_tokens = out->output_tokens = -1;
	out->cost_usd = -1;
	out->fields = json_object_new_object();
	if (!out->fields)
		return -ENOMEM;
	if (!msg || !len)
		return 0;
	if (len > RESULTS_MAX_MESSAGE)
		len = RESULTS_MAX_MESSAGE;
	tok = json_tokener_new_ex(TK_MAX_JSON_DEPTH);
	if (!tok) {
		results_free(out);
		return -ENOMEM;
	}
	m = json_tokener_parse_ex(tok, msg, (int)len);
	/* The whole message must be the object, nothing after it but space. */
	if (m && json_tokener_get_error(tok) == json_tokener_success) {
		size_t used = json_tokener_get_parse_end(tok);

		while (used < len && strchr(" \t\r\n", msg[used]))
			used++;
		if (used != len) {
			json_object_put(m);
			m = NULL;
		}
	} else {
		json_object_put(m);
		m = NULL;
	}
	json_tokener_free(tok);
	if (m && json_object_is_type(m, json_type_object))
		r = from_object(m, out);
	else
		r = add(out->fields, "summary", text(msg, len, RESULTS_MAX_SUMMARY));
	json_object_put(m);
	if (r)
		results_free(out);
	return r;
}

void results_free(struct results *r)
{
	json_object_put(r->fields);
	memset(r, 0, sizeof(*r));
}

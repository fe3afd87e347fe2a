/* admission.c - parse AdmissionReviews, decide, and build the answer. */
#include "compat.h"

#include "jsonutil.h"

#include "admission.h"

#include <errno.h>

#include "limits.h"

/* Response bodies hold at most the patch of a full object plus messages. */
#define ADM_RESPONSE_MAX (2u * TK_MAX_ADMISSION_BODY)

static const char *const adm_ops[] = {
    [ADM_OP_CREATE] = "CREATE",
    [ADM_OP_UPDATE] = "UPDATE",
    [ADM_OP_DELETE] = "DELETE",
    [ADM_OP_CONNECT] = "CONNECT",
};

const char *admission_cause_reason(enum fielderr_type t)
{
	switch (t) {
	case FE_REQUIRED:
		return "FieldValueRequired";
	case FE_INVALID:
		return "FieldValueInvalid";
	case FE_NOT_SUPPORTED:
		return "FieldValueNotSupported";
	case FE_DUPLICATE:
		return "FieldValueDuplicate";
	case FE_TOO_LONG:
		return "FieldValueTooLong";
	case FE_TOO_MANY:
		return "FieldValueTooMany";
	case FE_FORBIDDEN:
		return "FieldValueForbidden";
	case FE_TYPE:
		return "FieldValueTypeInvalid";
	}
	return "FieldValueInvalid";
}

static json_object *adm_parse_json(const char *body, size_t len, struct buf *why)
{
	json_tokener *tok;
	json_object *o = NULL;
	enum json_tokener_error jerr;
	size_t end;

	if (len > INT32_MAX) {
		buf_sayf(why, "request body too large");
		return NULL;
	}
	tok = json_tokener_new_ex(TK_MAX_JSON_DEPTH);
	if (!tok) {
		buf_sayf(why, "out of memory");
		return NULL;
	}
	o = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		buf_sayf(why, "request body is not valid JSON: unexpected end of input");
		goto fail;
	}
	if (jerr != json_tokener_success) {
		if (jerr == json_tokener_error_depth)
			buf_sayf(why, "request body is nested deeper than %d levels",
			         TK_MAX_JSON_DEPTH);
		else
			buf_sayf(why, "request body is not valid JSON: %s",
			         json_tokener_error_desc(jerr));
		goto fail;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++) {
		if (body[end] != ' ' && body[end] != '\t' && body[end] != '\r' &&
		    body[end] != '\n') {
			buf_sayf(why, "request body is not valid JSON: trailing data");
			goto fail;
		}
	}
	json_tokener_free(tok);
	return o;
fail:
	json_object_put(o);
	json_tokener_free(tok);
	return NULL;
}

/* Borrowed member of obj with the given type, or NULL. */
/* Present and not JSON null. */
static bool adm_has(json_object *obj, const char *key)
{
	json_object *v;

	return obj && json_object_is_type(obj, json_type_object) &&
	       json_object_object_get_ex(obj, key, &v) && v != NULL;
}

/* A string member, "" when absent or of another type. */
static const char *adm_str(json_object *obj, const char *key)
{
	const char *s = jsonutil_str(obj, key);

	return s ? s : "";
}

/* Record a required string field; returns it or NULL. */
static const char *adm_req_str(json_object *obj, const char *key, const char *path,
                               struct fielderrs *errs)
{
	json_object *v = NULL;

	if (obj && json_object_object_get_ex(obj, key, &v) && v &&
	    !json_object_is_type(v, json_type_string)) {
		fielderrs_add(errs, FE_TYPE, path,
		              json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
		              "must be a string");
		return NULL;
	}
	if (!v || !*json_object_get_string(v)) {
		fielderrs_add(errs, FE_REQUIRED, path, NULL, NULL);
		return NULL;
	}
	return json_object_get_string(v);
}

static void adm_check_envelope(json_object *root, struct fielderrs *errs)
{
	const char *av = adm_req_str(root, "apiVersion", "apiVersion", errs);
	const char *k = adm_req_str(root, "kind", "kind", errs);

	if (av && strcmp(av, ADMISSION_API_VERSION) != 0)
		fielderrs_add_str(errs, FE_NOT_SUPPORTED, "apiVersion", av,
		                  "supported values: \"" ADMISSION_API_VERSION "\"");
	if (k && strcmp(k, ADMISSION_KIND) != 0)
		fielderrs_add_str(errs, FE_NOT_SUPPORTED, "kind", k,
		                  "supported values: \"" ADMISSION_KIND "\"");
}

static void adm_check_kind(json_object *rq, struct admission_request *req, struct fielderrs *errs)
{
	json_object *gvk = jsonutil_get_type(rq, "kind", json_type_object);
	const char *g, *v, *k;

	if (!gvk) {
		fielderrs_add(errs, FE_REQUIRED, "request.kind", NULL, NULL);
		return;
	}
	g = adm_str(gvk, "group");
	v = adm_str(gvk, "version");
	k = adm_req_str(gvk, "kind", "request.kind.kind", errs);
	if (strcmp(g, TK_GROUP) != 0)
		fielderrs_add_str(errs, FE_NOT_SUPPORTED, "request.kind.group", g,
		                  "supported values: \"" TK_GROUP "\"");
	if (strcmp(v, TK_VERSION) != 0)
		fielderrs_add_str(errs, FE_NOT_SUPPORTED, "request.kind.version", v,
		                  "supported values: \"" TK_VERSION "\"");
	if (k && schema_kind_from_name(k, &req->kind) < 0) {
		fielderrs_add_str(
		    errs, FE_NOT_SUPPORTED, "request.kind.kind", k,
		    "supported values: \"AgentJob\", \"AgentRuntime\", \"AgentAuth\", "
		    "\"AgentRole\", \"AgentSkill\", \"McpServer\", \"Repository\", "
		    "\"ClusterAccess\"");
		return;
	}
	if (k)
		req->kind_name = schema_kind_info(req->kind)->kind;
}

static void adm_check_operation(json_object *rq, struct admission_request *req,
                                struct fielderrs *errs)
{
	const char *op = adm_req_str(rq, "operation", "request.operation", errs);
	size_t i;

	if (!op)
		return;
	for (i = 0; i < TK_ARRAY_LEN(adm_ops); i++) {
		if (strcmp(op, adm_ops[i]) == 0) {
			req->op = (enum admission_op)i;
			req->operation = adm_ops[i];
			return;
		}
	}
	fielderrs_add_str(errs, FE_NOT_SUPPORTED, "request.operation", op,
	                  "supported values: \"CREATE\", \"UPDATE\", \"DELETE\", \"CONNECT\"");
}

static void adm_check_user(json_object *rq, struct admission_request *req, struct fielderrs *errs)
{
	json_object *ui = NULL, *g, *e;
	size_t i;

	if (adm_has(rq, "userInfo")) {
		ui = jsonutil_get_type(rq, "userInfo", json_type_object);
		if (!ui) {
			fielderrs_add(errs, FE_TYPE, "request.userInfo", NULL, "must be an object");
			return;
		}
	}
	req->username = adm_str(ui, "username");
	req->user_uid = adm_str(ui, "uid");
	g = jsonutil_get_type(ui, "groups", json_type_array);
	if (adm_has(ui, "groups") && !g)
		fielderrs_add(errs, FE_TYPE, "request.userInfo.groups", NULL,
		              "must be an array of strings");
	for (i = 0; g && i < json_object_array_length(g); i++) {
		if (!json_object_is_type(json_object_array_get_idx(g, i), json_type_string)) {
			fielderrs_add(errs, FE_TYPE, "request.userInfo.groups", NULL,
			              "must be an array of strings");
			g = NULL;
		}
	}
	req->groups = g;
	e = jsonutil_get_type(ui, "extra", json_type_object);
	if (adm_has(ui, "extra") && !e)
		fielderrs_add(errs, FE_TYPE, "request.userInfo.extra", NULL,
		              "must be an object of string arrays");
	req->extra = e;
}

/* object/oldObject must be objects when the operation carries them. */
static void adm_check_objects(json_object *rq, struct admission_request *req,
                              struct fielderrs *errs)
{
	bool need_obj = req->op == ADM_OP_CREATE || req->op == ADM_OP_UPDATE;

	req->object = jsonutil_get_type(rq, "object", json_type_object);
	req->old_object = jsonutil_get_type(rq, "oldObject", json_type_object);
	if (adm_has(rq, "object") && !req->object)
		fielderrs_add(errs, FE_TYPE, "request.object", NULL, "must be an object");
	else if (need_obj && !req->object)
		fielderrs_add(errs, FE_REQUIRED, "request.object", NULL, NULL);
	if (adm_has(rq, "oldObject") && !req->old_object)
		fielderrs_add(errs, FE_TYPE, "request.oldObject", NULL, "must be an object");
	else if (req->op == ADM_OP_UPDATE && !req->old_object)
		fielderrs_add(errs, FE_REQUIRED, "request.oldObject", NULL, NULL);
	if (adm_has(rq, "dryRun") && !jsonutil_get_type(rq, "dryRun", json_type_boolean))
		fielderrs_add(errs, FE_TYPE, "request.dryRun", NULL, "must be a boolean");
	req->dry_run = json_object_get_boolean(jsonutil_get_type(rq, "dryRun", json_type_boolean));
}

int admission_parse(const char *body, size_t len, struct admission_request *req,
                    struct fielderrs *errs, struct buf *why)
{
	struct admission_request r = {0};
	json_object *rq;
	size_t n0 = errs->n;

	r.root = adm_parse_json(body, len, why);
	if (!r.root)
		return -EINVAL;
	rq = jsonutil_get_type(r.root, "request", json_type_object);
	r.uid = adm_str(rq, "uid");
	if (!*r.uid) {
		buf_sayf(why, "%s",
		         json_object_is_type(r.root, json_type_object) && rq
		             ? "request.uid: Required value"
		             : "request: Required value: not an AdmissionReview");
		json_object_put(r.root);
		return -EINVAL;
	}
	r.kind_name = r.operation = r.name = r.namespace = r.username = r.user_uid = "";
	adm_check_envelope(r.root, errs);
	adm_check_kind(rq, &r, errs);
	adm_check_operation(rq, &r, errs);
	adm_check_user(rq, &r, errs);
	if (*r.operation)
		adm_check_objects(rq, &r, errs);
	r.name = adm_str(rq, "name");
	r.namespace = adm_str(rq, "namespace");
	*req = r;
	if (errs->oom)
		return -ENOMEM;
	return errs->n > n0 ? -EBADMSG : 0;
}

void admission_request_free(struct admission_request *req)
{
	json_object_put(req->root);
	memset(req, 0, sizeof(*req));
}

static json_object *adm_cause(const struct fielderr *e)
{
	struct buf line = BUF_INIT(1024u * 1024u);
	json_object *c = json_object_new_object();
	size_t skip = strlen(e->path) + 2;
	int r = c ? 0 : -ENOMEM;

	/* The cause message is the error without its "path: " prefix. */
	if (r == 0)
		r = fielderr_render(e, &line);
	if (r == 0)
		r = jsonutil_add_str(c, "reason", admission_cause_reason(e->type));
	if (r == 0)
		r = jsonutil_add_str(c, "message", line.len >= skip ? line.data + skip : line.data);
	if (r == 0)
		r = jsonutil_add_str(c, "field", e->path);
	buf_free(&line);
	if (r < 0) {
		json_object_put(c);
		return NULL;
	}
	return c;
}

static json_object *adm_status(const struct admission_verdict *v)
{
	struct buf msg = BUF_INIT(ADM_RESPONSE_MAX);
	json_object *st = json_object_new_object(), *det = NULL, *causes = NULL;
	size_t i;
	int r = st ? 0 : -ENOMEM;

	if (r == 0 && v->message)
		r = buf_puts(&msg, v->message);
	else if (r == 0 && v->errs)
		r = fielderrs_render(v->errs, &msg);
	if (r == 0)
		r = jsonutil_add_str(st, "status", "Failure");
	if (r == 0)
		r = jsonutil_add_str(st, "message", msg.data);
	if (r == 0)
		r = jsonutil_add_str(st, "reason", v->reason);
	/*
	 * kubectl renders an Invalid (422) status that has details as "The
	 * AgentJob \"x\" is invalid[: causes]", dropping the apiserver's
	 * "admission webhook ... denied the request: ..." message. That message
	 * already lists every field error, so 422 denials carry no details and
	 * kubectl prints the webhook's own words.
	 */
	if (r == 0 && v->errs && v->errs->n && v->code != 422) {
		det = json_object_new_object();
		causes = json_object_new_array();
		r = det && causes ? 0 : -ENOMEM;
		if (r == 0 && v->name && *v->name)
			r = jsonutil_add_str(det, "name", v->name);
		if (r == 0 && v->group)
			r = jsonutil_add_str(det, "group", v->group);
		if (r == 0 && v->kind && *v->kind)
			r = jsonutil_add_str(det, "kind", v->kind);
		for (i = 0; r == 0 && i < v->errs->n; i++) {
			json_object *c = adm_cause(&v->errs->v[i]);

			r = c && json_object_array_add(causes, c) == 0 ? 0 : -ENOMEM;
			if (r < 0)
				json_object_put(c);
		}
		if (r == 0) {
			r = jsonutil_add(det, "causes", causes);
			causes = NULL;
		}
		if (r == 0) {
			r = jsonutil_add(st, "details", det);
			det = NULL;
		}
	}
	if (r == 0)
		r = jsonutil_add(st, "code", json_object_new_int(v->code));
	json_object_put(causes);
	json_object_put(det);
	buf_free(&msg);
	if (r < 0) {
		json_object_put(st);
		return NULL;
	}
	return st;
}

static int adm_add_patch(json_object *resp, json_object *patch)
{
	const char *text;
	char *b64;
	int r;

	text = json_object_to_json_string_ext(patch, JSON_C_TO_STRING_PLAIN |
	                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return -ENOMEM;
	b64 = base64_encode(text, strlen(text));
	if (!b64)
		return -ENOMEM;
	r = jsonutil_add_str(resp, "patch", b64);
	if (r == 0)
		r = jsonutil_add_str(resp, "patchType", "JSONPatch");
	free(b64);
	return r;
}

static int adm_add_warnings(json_object *resp, const struct strlist *w)
{
	json_object *a;
	size_t i;

	if (!w || !w->n)
		return 0;
	a = json_object_new_array();
	if (!a)
		return -ENOMEM;
	for (i = 0; i < w->n; i++) {
		json_object *s = json_object_new_string(w->v[i]);

		if (!s || json_object_array_add(a, s) < 0) {
			json_object_put(s);
			json_object_put(a);
			return -ENOMEM;
		}
	}
	return jsonutil_add(resp, "warnings", a);
}

int admission_response(const struct admission_verdict *v, struct buf *out)
{
	json_object *root = json_object_new_object(), *resp = json_object_new_object();
	const char *text;
	int r = root && resp ? 0 : -ENOMEM;

	if (r == 0)
		r = jsonutil_add_str(root, "apiVersion", ADMISSION_API_VERSION);
	if (r == 0)
		r = jsonutil_add_str(root, "kind", ADMISSION_KIND);
	if (r == 0)
		r = jsonutil_add_str(resp, "uid", v->uid);
	if (r == 0)
		r = jsonutil_add(resp, "allowed", json_object_new_boolean(v->allowed));
	if (r == 0 && !v->allowed)
		r = jsonutil_add(resp, "status", adm_status(v));
	if (r == 0)
		r = adm_add_warnings(resp, v->warnings);
	if (r == 0 && v->allowed && v->patch && json_object_is_type(v->patch, json_type_array) &&
	    json_object_array_length(v->patch) > 0)
		r = adm_add_patch(resp, v->patch);
	if (r == 0) {
		r = jsonutil_add(root, "response", resp);
		resp = NULL;
	}
	if (r == 0) {
		text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
		                                                JSON_C_TO_STRING_NOSLASHESCAPE);
		r = text ? buf_puts(out, text) : -ENOMEM;
	}
	json_object_put(resp);
	json_object_put(root);
	return r;
}

/* Fill the outcome's log fields from a request. */
static int adm_outcome_ids(struct admission_outcome *out, const struct admission_request *req)
{
	json_object *meta;
	const char *ns, *name;

	if (req->kind_name && *req->kind_name)
		out->kind = req->kind_name;
	if (req->operation && *req->operation)
		out->operation = req->operation;
	/* request.name is empty for generateName; the object may say more. */
	meta = jsonutil_get_type(req->object ? req->object : req->old_object, "metadata",
	                         json_type_object);
	ns = req->namespace && *req->namespace ? req->namespace : adm_str(meta, "namespace");
	name = req->name && *req->name ? req->name : adm_str(meta, "name");
	out->namespace = xstrdup(ns);
	out->name = xstrdup(name);
	out->user = xstrdup(req->username ? req->username : "");
	return out->namespace && out->name && out->user ? 0 : -ENOMEM;
}

static int adm_answer(struct admission_outcome *out, const struct admission_verdict *v)
{
	int r;

	buf_reset(&out->body);
	r = admission_response(v, &out->body);
	if (r < 0)
		return r;
	out->http_status = 200;
	out->content_type = "application/json";
	out->warnings = v->warnings ? v->warnings->n : 0;
	out->patched = v->allowed && v->patch && json_object_array_length(v->patch) > 0;
	if (!v->allowed) {
		struct buf msg = BUF_INIT(ADM_RESPONSE_MAX);

		if (v->message)
			r = buf_puts(&msg, v->message);
		else if (v->errs)
			r = fielderrs_render(v->errs, &msg);
		free(out->reasons);
		out->reasons = r == 0 ? buf_steal(&msg) : NULL;
		buf_free(&msg);
		if (r == 0 && !out->reasons)
			r = -ENOMEM;
	}
	return r;
}

/* A verdict skeleton for req, denial fields to be filled by the caller. */
static struct admission_verdict adm_verdict(const struct admission_request *req)
{
	struct admission_verdict v = {0};
	json_object *meta = jsonutil_get_type(req->object ? req->object : req->old_object,
	                                      "metadata", json_type_object);

	v.uid = req->uid;
	v.allowed = true;
	v.group = TK_GROUP;
	v.kind = req->kind_name;
	v.name = *req->name ? req->name : adm_str(meta, "name");
	return v;
}

/* The created-by annotation of an object, or NULL. */
static const char *adm_created_by(json_object *obj)
{
	json_object *ann = jsonutil_get_type(jsonutil_get_type(obj, "metadata", json_type_object),
	                                     "annotations", json_type_object);
	json_object *v = jsonutil_get_type(ann, TK_ANNOTATION_CREATED_BY, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

/*
 * The mutating webhook records the creator on CREATE; nobody may rewrite
 * or drop that record afterwards (an UPDATE could otherwise claim any
 * author).
 */
static void adm_check_created_by(const struct admission_request *req, struct fielderrs *errs)
{
	static const char path[] = "metadata.annotations[" TK_ANNOTATION_CREATED_BY "]";
	const char *was, *now;

	if (req->op != ADM_OP_UPDATE)
		return;
	was = adm_created_by(req->old_object);
	now = adm_created_by(req->object);
	if (was && !now)
		fielderrs_add(errs, FE_FORBIDDEN, path, NULL, "field is immutable");
	else if (now && (!was || strcmp(was, now) != 0))
		fielderrs_add_str(errs, FE_INVALID, path, now, "field is immutable");
}

/*
 * json-c cuts an object key at a NUL character, so a key "a\u0000b"
 * arrives as "a" and can stand in for another key. The schema reports
 * every NUL inside a string value; a \u0000 escape of the body that no
 * value accounts for sat in a key.
 */
static void adm_check_nul_keys(const char *body, size_t len, const struct admission_request *req,
                               struct fielderrs *errs)
{
	size_t escapes = jsonutil_nul_escapes(body, len);

	/* Most bodies have none, and then no walk of the tree is needed. */
	if (escapes && escapes > jsonutil_nul_chars(req->root))
		fielderrs_add(errs, FE_INVALID, "request.object", NULL,
		              "an object key contains a NUL character (\\u0000); no key or value "
		              "may contain one");
}

/*
 * Past the deadline: 422, since the verdict is about the object (it is
 * too big or too intricate to check in the time a request may take), so
 * that clients do not retry it as they would a 5xx; 413 is the API
 * server's word for a body over its byte limit, which this one was not.
 */
static void adm_too_late(struct admission_verdict *v, struct buf *msg, int64_t ms)
{
	v->allowed = false;
	v->code = 422;
	v->reason = "Invalid";
	buf_sayf(msg,
	         "the object is too large or too complex to check in %lld ms: make its lists "
	         "shorter",
	         (long long)ms);
	v->message = msg->data ? msg->data : "the object is too large or too complex to check";
}

/* The cluster checks' budget: env's, cut to the time the deadline leaves. */
static int64_t adm_budget(const struct admission_env *env)
{
	int64_t left;

	if (!env->deadline_ms)
		return env->budget_ms;
	left = env->deadline_ms - now_ms();
	left = left > 0 ? left : 0;
	return left < env->budget_ms ? left : env->budget_ms;
}

bool admission_spec_changed(const struct admission_request *req)
{
	if (req->op != ADM_OP_UPDATE)
		return true;
	return !json_object_equal(json_object_object_get(req->object, "spec"),
	                          json_object_object_get(req->old_object, "spec"));
}

/*
 * Add "<prefix><error><suffix>" to warnings, up to TK_MAX_WARNINGS (the last
 * slot says more were dropped; past it nothing is added). 0 or -ENOMEM.
 */
static int adm_warn_error(struct strlist *warnings, const char *prefix, const struct fielderr *e,
                          const char *suffix)
{
	struct buf line = BUF_INIT(TK_MAX_INPUT_FILE);
	int r;

	if (warnings->n >= TK_MAX_WARNINGS)
		return 0;
	if (warnings->n == TK_MAX_WARNINGS - 1)
		r = buf_puts(&line, "more warnings not shown");
	else if ((r = buf_puts(&line, prefix)) == 0 && (r = fielderr_render(e, &line)) == 0)
		r = buf_puts(&line, suffix);
	if (r == 0 && strlist_add(warnings, line.data) < 0)
		r = -ENOMEM;
	buf_free(&line);
	return r < 0 ? -ENOMEM : 0;
}

/* Errors that ratcheting never turns into warnings: the size bounds, on
 * which the cost of every later check rests, and NUL characters, on which
 * the names the cluster checks ask about rest. */
static bool adm_ratchetable(const struct fielderr *e)
{
	if (e->type == FE_TOO_MANY || e->type == FE_TOO_LONG)
		return false;
	return !(e->detail && strcmp(e->detail, SCHEMA_NUL_DETAIL) == 0);
}

/* An error of a webhook flag's policy (schema.h): it holds for every
 * change of the spec, however old the object, so it is never ratcheted. */
static bool adm_policy_error(const struct fielderr *e)
{
	return e->detail && strstr(e->detail, SCHEMA_POLICY_MARK) != NULL;
}

static bool adm_same_error(const struct fielderr *a, const struct fielderr *b)
{
	return a->type == b->type && strcmp(a->path, b->path) == 0 && !a->value == !b->value &&
	       (!a->value || strcmp(a->value, b->value) == 0) && !a->detail == !b->detail &&
	       (!a->detail || strcmp(a->detail, b->detail) == 0);
}

/*
 * Ratcheting. On an UPDATE that changes the spec, an error of the new
 * object that the stored object has too (same path, same value, same
 * reason) is a warning, not a denial: objects admitted before the webhook
 * ran, or before a rule existed, can still be edited elsewhere. A changed
 * or added field is checked in full, and so is an error that only the
 * combination of fields makes (it is new in the new object). errs keeps
 * the rest, and every error of a webhook policy (--require-runtime-class,
 * --forbid-tolerations): a policy holds for every spec change. The stored
 * object is only validated when the new one has errors; its own count of
 * errors is bounded (TK_MAX_FIELD_ERRORS), and when the new object has
 * more than were kept, nothing is ratcheted.
 * Returns 0, -ETIMEDOUT or -ENOMEM.
 */
static int adm_ratchet(const struct admission_request *req, const struct admission_env *env,
                       struct fielderrs *errs, struct strlist *warnings)
{
	struct fielderrs old = {0}, kept = {0};
	struct strlist old_warnings = {0};
	size_t i, j;
	int r;

	if (req->op != ADM_OP_UPDATE || !errs->n || errs->omitted)
		return 0;
	r = schema_validate_until(req->kind, req->old_object, NULL, env->schema, env->deadline_ms,
	                          &old, &old_warnings);
	for (i = 0; r == 0 && i < errs->n; i++) {
		const struct fielderr *e = &errs->v[i];

		bool keep = !adm_ratchetable(e) || adm_policy_error(e);

		for (j = 0; !keep && j < old.n; j++)
			if (adm_same_error(e, &old.v[j]))
				break;
		if (keep || j == old.n) {
			fielderrs_add(&kept, e->type, e->path, e->value, e->detail ? "%s" : NULL,
			              e->detail);
			continue;
		}
		/* Past the warnings' bound the error is still allowed, unsaid. */
		r = adm_warn_error(warnings, "", e,
		                   " (unchanged from the stored object: allowed until it changes)");
	}
	if (r == 0 && (kept.oom || old.oom))
		r = -ENOMEM;
	if (r == 0) {
		fielderrs_free(errs);
		*errs = kept;
	} else {
		fielderrs_free(&kept);
	}
	fielderrs_free(&old);
	strlist_free(&old_warnings);
	return r == -EINVAL ? 0 : r;
}

/* The first two segments of a field path, "spec.env[2].name" -> "spec.env". */
static int adm_field_of(const char *path, struct buf *out)
{
	size_t n = strcspn(path, ".[");

	if (path[n] == '.')
		n += 1 + strcspn(path + n + 1, ".[");
	buf_reset(out);
	return buf_append(out, path, n);
}

/*
 * Audit mode: every error that ratcheting could relax becomes a warning
 * "enforcement=warn: <error>", its field recorded in out->warned_fields;
 * errs keeps the others (sizes, NUL characters, the webhook's policy
 * flags; the immutable annotation is added later and stays). 0 or -ENOMEM.
 */
static int adm_warn_only(struct fielderrs *errs, struct strlist *warnings,
                         struct admission_outcome *out)
{
	struct fielderrs kept = {0};
	struct buf field = BUF_INIT(TK_MAX_INPUT_FILE);
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < errs->n; i++) {
		const struct fielderr *e = &errs->v[i];

		if (!adm_ratchetable(e) || adm_policy_error(e)) {
			fielderrs_add(&kept, e->type, e->path, e->value, e->detail ? "%s" : NULL,
			              e->detail);
			continue;
		}
		r = adm_field_of(e->path, &field);
		if (r == 0)
			r = strlist_add(&out->warned_fields, field.data ? field.data : "");
		if (r == 0)
			r = adm_warn_error(warnings, "enforcement=warn: ", e, "");
	}
	/* Errors past TK_MAX_FIELD_ERRORS were counted, not kept: the
	 * object stays denied rather than allowed unseen. */
	if (r == 0 && errs->omitted)
		fielderrs_add(&kept, FE_TOO_MANY, "<root>", NULL,
		              "more errors than can be listed, even in audit mode");
	if (r == 0 && kept.oom)
		r = -ENOMEM;
	if (r == 0) {
		fielderrs_free(errs);
		*errs = kept;
	} else {
		fielderrs_free(&kept);
	}
	buf_free(&field);
	return r;
}

static int adm_validate(const struct admission_request *req, const char *body, size_t len,
                        const struct admission_env *env, int64_t ms, struct admission_outcome *out)
{
	struct fielderrs errs = {0}, denials = {0};
	struct strlist warnings = {0};
	struct admission_verdict v = adm_verdict(req);
	struct buf msg = BUF_INIT(256);
	int r, rc;

	/* An UPDATE that leaves the spec as it was (labels, annotations,
	 * finalizers) is not validated again: an object stored before a rule
	 * existed can still be relabelled and deleted. */
	rc = 0;
	if (admission_spec_changed(req))
		rc = schema_validate_until(req->kind, req->object,
		                           req->op == ADM_OP_UPDATE ? req->old_object : NULL,
		                           env->schema, env->deadline_ms, &errs, &warnings);
	if (rc == 0)
		rc = adm_ratchet(req, env, &errs, &warnings);
	if (rc == 0 && env->warn_only)
		rc = adm_warn_only(&errs, &warnings, out);
	adm_check_created_by(req, &errs);
	adm_check_nul_keys(body, len, req, &errs);
	if (rc == 0 && !errs.oom && errs.n == 0 && env->check)
		rc = env->check(env->check_ud, req, adm_budget(env), &denials, &warnings);
	if (rc == -ETIMEDOUT) {
		adm_too_late(&v, &msg, ms);
	} else if (rc < 0 || errs.oom || denials.oom) {
		v.allowed = false;
		v.code = 500;
		v.reason = "InternalError";
		v.message = rc == -ENOMEM || rc == 0 ? "internal error: out of memory"
		                                     : "internal error: admission checks failed";
	} else if (errs.n) {
		v.allowed = false;
		v.code = 422;
		v.reason = "Invalid";
		v.errs = &errs;
	} else if (denials.n) {
		v.allowed = false;
		v.code = 403;
		v.reason = "Forbidden";
		v.errs = &denials;
	}
	v.warnings = &warnings;
	out->result = v.allowed ? "allowed" : v.code == 500 ? "error" : "denied";
	r = adm_answer(out, &v);
	fielderrs_free(&errs);
	fielderrs_free(&denials);
	strlist_free(&warnings);
	buf_free(&msg);
	return r;
}

/*
 * The size errors of an object (lists past their item limit, strings past
 * their length) into bounds. The API server calls the mutating webhook
 * before it validates the object against the CRD schema, which for a
 * list of 20,000 ClusterAccess rules takes it seconds; refusing such an
 * object here ends the request before that work. Every other error is
 * left to /validate. Returns 0, -ETIMEDOUT or -ENOMEM.
 */
static int adm_bounds(const struct admission_request *req, const struct admission_env *env,
                      struct fielderrs *bounds)
{
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	size_t i;
	int r;

	r = schema_validate_until(req->kind, req->object, NULL, env->schema, env->deadline_ms,
	                          &errs, &warnings);
	for (i = 0; r == 0 && i < errs.n; i++) {
		const struct fielderr *e = &errs.v[i];

		if (e->type != FE_TOO_MANY && e->type != FE_TOO_LONG)
			continue;
		if (e->detail)
			fielderrs_add(bounds, e->type, e->path, e->value, "%s", e->detail);
		else
			fielderrs_add(bounds, e->type, e->path, e->value, NULL);
	}
	if (r == 0 && (errs.oom || bounds->oom))
		r = -ENOMEM;
	fielderrs_free(&errs);
	strlist_free(&warnings);
	return r == -EINVAL ? 0 : r;
}

static int adm_mutate(const struct admission_request *req, const struct admission_env *env,
                      int64_t ms, struct admission_outcome *out)
{
	struct admission_verdict v = adm_verdict(req);
	struct fielderrs bounds = {0};
	json_object *patch = NULL;
	const char *by = req->op == ADM_OP_CREATE && *req->username ? req->username : NULL;
	struct buf msg = BUF_INIT(256);
	int r;

	r = admission_spec_changed(req) ? adm_bounds(req, env, &bounds) : 0;
	if (r == 0 && bounds.n) {
		v.allowed = false;
		v.code = 422;
		v.reason = "Invalid";
		v.errs = &bounds;
	} else if (r == 0) {
		r = schema_default_until(req->kind, req->object, env->schema, by, env->deadline_ms,
		                         &patch);
	}
	if (r == -ETIMEDOUT) {
		adm_too_late(&v, &msg, ms);
	} else if (r == -EINVAL) {
		v.allowed = false;
		v.code = 400;
		v.reason = "BadRequest";
		v.message = "request.object: Invalid value: must be an object";
	} else if (r < 0) {
		v.allowed = false;
		v.code = 500;
		v.reason = "InternalError";
		v.message = "internal error: defaulting failed";
	}
	v.patch = patch;
	out->result = v.allowed ? "allowed" : v.code == 500 ? "error" : "denied";
	r = adm_answer(out, &v);
	json_object_put(patch);
	fielderrs_free(&bounds);
	buf_free(&msg);
	return r;
}

int admission_handle(enum admission_endpoint ep, const char *body, size_t len,
                     const struct admission_env *env, struct admission_outcome *out)
{
	struct admission_request req = {0};
	struct fielderrs errs = {0};
	struct buf why = BUF_INIT(4096);
	/* The time left when checking starts, for the deadline's message. */
	int64_t ms = env->deadline_ms ? env->deadline_ms - now_ms() : 0;
	int r;

	out->body.max = ADM_RESPONSE_MAX;
	out->kind = "unknown";
	out->operation = "unknown";
	r = admission_parse(body, len, &req, &errs, &why);
	if (r == -EINVAL) {
		out->http_status = 400;
		out->content_type = "text/plain; charset=utf-8";
		out->result = "malformed";
		free(out->reasons);
		out->reasons = buf_steal(&why);
		r = out->reasons ? buf_printf(&out->body, "%s\n", out->reasons) : -ENOMEM;
		goto out;
	}
	if (r == -EBADMSG || r == -ENOMEM) {
		struct admission_verdict v = {0};

		v.uid = req.uid;
		v.allowed = false;
		v.code = r == -ENOMEM ? 500 : 400;
		v.reason = r == -ENOMEM ? "InternalError" : "BadRequest";
		v.message = r == -ENOMEM ? "internal error: out of memory" : NULL;
		v.errs = &errs;
		out->result = r == -ENOMEM ? "error" : "malformed";
		r = adm_outcome_ids(out, &req);
		if (r == 0)
			r = adm_answer(out, &v);
		goto out;
	}
	r = adm_outcome_ids(out, &req);
	if (r < 0)
		goto out;
	if (req.op == ADM_OP_DELETE || req.op == ADM_OP_CONNECT) {
		struct admission_verdict v = adm_verdict(&req);

		out->result = "allowed";
		r = adm_answer(out, &v);
	} else if (ep == ADM_VALIDATE) {
		r = adm_validate(&req, body, len, env, ms > 0 ? ms : 0, out);
	} else {
		r = adm_mutate(&req, env, ms > 0 ? ms : 0, out);
	}
out:
	admission_request_free(&req);
	fielderrs_free(&errs);
	buf_free(&why);
	return r;
}

void admission_outcome_free(struct admission_outcome *out)
{
	buf_free(&out->body);
	free(out->namespace);
	free(out->name);
	free(out->user);
	free(out->reasons);
	strlist_free(&out->warned_fields);
	memset(out, 0, sizeof(*out));
}

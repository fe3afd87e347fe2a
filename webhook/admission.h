/*
 * admission.h - the admission.k8s.io/v1 AdmissionReview wire contract.
 *
 * Pure: parses a review, runs the schema (and, through a callback, the
 * cluster checks of access.h), and builds the response body. It never
 * logs and never touches the network itself, so every input class can be
 * unit-tested and fuzzed; the server (server.h) does the I/O, the logging
 * and the metrics from the outcome.
 */
#ifndef THURKUBE_ADMISSION_H
#define THURKUBE_ADMISSION_H

#include "compat.h"

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "fielderr.h"
#include "schema.h"
#include "util.h"

#define ADMISSION_API_VERSION "admission.k8s.io/v1"
#define ADMISSION_KIND        "AdmissionReview"

enum admission_endpoint { ADM_VALIDATE = 0, ADM_MUTATE };

enum admission_op { ADM_OP_CREATE = 0, ADM_OP_UPDATE, ADM_OP_DELETE, ADM_OP_CONNECT };

/*
 * A parsed request. Every pointer except root is borrowed from root and
 * lives as long as the request; strings are never NULL ("" when absent),
 * json members are NULL when absent or JSON null.
 */
struct admission_request {
	json_object *root; /* owned: the whole review */
	const char *uid;
	enum tk_kind kind;
	const char *kind_name; /* "AgentJob" */
	enum admission_op op;
	const char *operation; /* "CREATE" */
	const char *name;
	const char *namespace;
	const char *username;
	const char *user_uid;
	json_object *groups; /* array of strings */
	json_object *extra;  /* object of string arrays */
	json_object *object;
	json_object *old_object;
	bool dry_run;
};

/*
 * True when req changes the spec: every CREATE, and an UPDATE whose spec
 * differs from oldObject's in any way (json_object_equal on the whole
 * spec, whatever its type; a spec present on one side only is a change).
 */
bool admission_spec_changed(const struct admission_request *req);

/*
 * Parse a review body (body, len). Outcomes:
 *   0        req is filled (release with admission_request_free).
 *   -EBADMSG the review is malformed but its uid could be read: req->uid
 *            and req->root are set (nothing else is reliable) and errs
 *            lists every problem with its field path; answer with a denial
 *            of code 400.
 *   -EINVAL  not a readable review (not JSON, too deep, no uid): why holds
 *            one line; answer with a plain HTTP 400. req is left empty.
 *   -ENOMEM
 * JSON nesting is bounded by TK_MAX_JSON_DEPTH.
 */
int admission_parse(const char *body, size_t len, struct admission_request *req,
                    struct fielderrs *errs, struct buf *why) TK_MUST_CHECK;
void admission_request_free(struct admission_request *req);

/*
 * A verdict, input to admission_response. Everything is borrowed. Allowed
 * responses ignore code/reason/errs. patch (a JSON Patch array) is sent,
 * base64-encoded with patchType JSONPatch, only when it is non-empty.
 * group/kind/name fill status.details like the API server does.
 */
struct admission_verdict {
	const char *uid;
	bool allowed;
	int code;           /* 400, 403, 422, 500 */
	const char *reason; /* "BadRequest", "Forbidden", "Invalid", "InternalError" */
	const struct fielderrs *errs;
	const char *message; /* used instead of the errs rendering when non-NULL */
	const char *group, *kind, *name;
	const struct strlist *warnings;
	json_object *patch;
};

/*
 * Append the AdmissionReview response JSON to out:
 *   {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
 *    "response":{"uid":..,"allowed":..,"status":{..},"warnings":[..],
 *                "patch":"<base64>","patchType":"JSONPatch"}}
 * status (only on denial) = {"status":"Failure","message":<errs rendering>,
 * "reason":..,"details":{"name","group","kind","causes":[{"reason":
 * "FieldValueInvalid","message":"Invalid value: ...","field":"spec.x"}]},
 * "code":..}. 0, -ENOMEM or -E2BIG (out's limit).
 */
int admission_response(const struct admission_verdict *v, struct buf *out) TK_MUST_CHECK;

/* The API server's cause type for a field error ("FieldValueRequired"...). */
const char *admission_cause_reason(enum fielderr_type t);

/*
 * Cluster-aware checks (access.h) as a callback, so this module stays
 * pure. Called for /validate on CREATE and UPDATE of an object the schema
 * accepted. Appends hard denials to denials and soft problems to
 * warnings. Returns 0 or a negative errno (then the request is denied).
 */
typedef int (*admission_check_fn)(void *ud, const struct admission_request *req, int64_t budget_ms,
                                  struct fielderrs *denials, struct strlist *warnings);

/* Per-request environment; all borrowed. */
struct admission_env {
	const struct schema_config *schema; /* may be NULL */
	admission_check_fn check;           /* NULL: no cluster checks */
	void *check_ud;
	int64_t budget_ms; /* time the cluster checks may take */
	/*
	 * The request's deadline, a now_ms() value (util.h); 0: none. Set it
	 * to the request's arrival plus --request-timeout-ms. Validation and
	 * defaulting stop once it has passed and the request is denied with
	 * 422 "Invalid": the object is too large or complex to check in the
	 * time left. The cluster checks get min(budget_ms, time left).
	 */
	int64_t deadline_ms;
	/*
	 * Audit mode (/validate-warn, namespaces labelled
	 * thurkube.thurbeen.eu/enforcement=warn): the schema's errors are
	 * warnings ("enforcement=warn: <error>") and the object is allowed,
	 * but for those ratcheting never relaxes either (sizes, NUL
	 * characters, the created-by annotation); the cluster checks run and
	 * deny as ever.
	 */
	bool warn_only;
};

/* What the server needs to answer, log and count a request. */
struct admission_outcome {
	int http_status;          /* 200, or 400 when no review was readable */
	const char *content_type; /* static */
	struct buf body;          /* the response body */
	/* For logs and metrics; static strings or owned copies. */
	const char *kind;      /* static: kind name or "unknown" */
	const char *operation; /* static: "CREATE".. or "unknown" */
	const char *result;    /* static: "allowed", "denied", "malformed", "error" */
	char *namespace;       /* owned, may be NULL */
	char *name;            /* owned, may be NULL */
	char *user;            /* owned, may be NULL */
	char *reasons;         /* owned: the denial message, NULL when allowed */
	size_t warnings;       /* number of warnings sent */
	/* Audit mode: the field of each error turned into a warning, cut to
	 * its first two segments ("spec.env", "metadata.name"): a metric
	 * label bounded by the schema, not by what users write. */
	struct strlist warned_fields;
	bool patched; /* a non-empty patch was sent */
};

/*
 * Handle one request body for endpoint ep end to end: parse, validate or
 * default, build the answer into out (zero-initialise it; release with
 * admission_outcome_free). Never allows a malformed review. /validate
 * denies (422) a NUL character in any string value (the schema names the
 * field) or object key (json-c cuts a key at it; found by comparing the
 * body's \u0000 escapes with the NULs of the parsed values). A list over
 * its limit is 422 "Too many" (schema.h); past env->deadline_ms the answer
 * is a 422 denial saying the object could not be checked in time, never a
 * 5xx and never an allow. Returns 0, or
 * -ENOMEM when not even an answer could be built (the server then sends a
 * plain 500).
 */
int admission_handle(enum admission_endpoint ep, const char *body, size_t len,
                     const struct admission_env *env, struct admission_outcome *out) TK_MUST_CHECK;
void admission_outcome_free(struct admission_outcome *out);

#endif

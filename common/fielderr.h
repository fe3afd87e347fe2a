/*
 * fielderr.h - field-level validation errors, rendered the way the API
 * server renders them (k8s.io/apimachinery/pkg/util/validation/field):
 *
 *   spec.prompt: Required value
 *   spec.timeoutSeconds: Invalid value: 0: must be between 1 and 2147483647
 *   spec.schedule: Invalid value: "61 * * * *": minute must be 0-59
 *   spec.concurrencyPolicy: Unsupported value: "Allow": supported values: "Forbid", "Replace"
 *   spec.mcpServerRefs[1]: Duplicate value: "github"
 *   metadata.name: Too long: may not be more than 46 bytes
 *   spec.env: Too many: 5000: must have at most 1024 items
 *   spec.rules[0]: Forbidden: resources and nonResourceURLs cannot be mixed
 *
 * Recording an error never fails for its size: a path, quoted value or
 * detail past TK_MAX_ERROR_PATH/VALUE/DETAIL (limits.h) is cut at a UTF-8
 * boundary and ends in "...", and errors past TK_MAX_FIELD_ERRORS are only
 * counted, so no input can turn a denial into an internal error.
 */
#ifndef THURKUBE_FIELDERR_H
#define THURKUBE_FIELDERR_H

#include "compat.h"

#include <stddef.h>

#include "util.h"

enum fielderr_type {
	FE_REQUIRED,      /* "Required value" */
	FE_INVALID,       /* "Invalid value: <v>" */
	FE_NOT_SUPPORTED, /* "Unsupported value: <v>" */
	FE_DUPLICATE,     /* "Duplicate value: <v>" */
	FE_TOO_LONG,      /* "Too long" */
	FE_TOO_MANY,      /* "Too many: <n>" (value: the actual count, or NULL) */
	FE_FORBIDDEN,     /* "Forbidden" */
	FE_TYPE,          /* "Invalid value: <v>" for a wrong JSON type */
};

struct fielderr {
	char *path; /* owned, e.g. "spec.env[2].name" */
	enum fielderr_type type;
	char *value;  /* owned, already rendered: "\"abc\"", "0", NULL when none */
	char *detail; /* owned, may be NULL */
};

/* A growable list of errors; zero-initialise. Owns its entries. */
struct fielderrs {
	struct fielderr *v;
	size_t n;
	size_t cap;
	size_t omitted; /* errors past TK_MAX_FIELD_ERRORS, counted, not kept */
	int oom;        /* set when an error could not be recorded */
};

/*
 * Record one error. value_json is the offending value as JSON text
 * (strings quoted) or NULL. detail is printf-formatted, may be NULL.
 * Allocation failure sets errs->oom instead of losing silently.
 */
void fielderrs_add(struct fielderrs *errs, enum fielderr_type type, const char *path,
                   const char *value_json, const char *detail_fmt, ...) TK_PRINTF(5, 6);
/* Same with a string value, quoted and escaped as JSON. */
void fielderrs_add_str(struct fielderrs *errs, enum fielderr_type type, const char *path,
                       const char *value, const char *detail_fmt, ...) TK_PRINTF(5, 6);
/* Same with a URL value, quoted redacted (url_redact): the user
 * information, query and fragment never reach the message. */
void fielderrs_add_url(struct fielderrs *errs, enum fielderr_type type, const char *path,
                       const char *url, const char *detail_fmt, ...) TK_PRINTF(5, 6);
/* Errors recorded so far, kept or only counted (n + omitted): what a
 * caller compares to learn whether a check added one. */
size_t fielderrs_count(const struct fielderrs *errs);
/* Render one error as a single line (no newline) into out. */
int fielderr_render(const struct fielderr *e, struct buf *out) TK_MUST_CHECK;
/*
 * Render the whole list the way the API server aggregates field errors:
 * one error as is, several as "[e1, e2, ...]"; omitted errors are
 * counted at the end ("[e1, ..., e128, and 3 more errors]").
 * 0 or -ENOMEM/-E2BIG.
 */
int fielderrs_render(const struct fielderrs *errs, struct buf *out) TK_MUST_CHECK;
void fielderrs_free(struct fielderrs *errs);

#endif

/*
 * access.h - cluster-aware admission checks, made with the kube client.
 *
 * - Escalation guard: a ClusterAccess may only grant what its author
 *   already holds. On CREATE, and on UPDATE when spec.rules changed, one
 *   SubjectAccessReview is made per (verb, apiGroup, resource,
 *   resourceName) and per (verb, nonResourceURL) for the requesting user
 *   (username, uid, groups, extra), cluster-wide; every permission the
 *   user lacks becomes a denial naming it. Wildcards are asked as "*",
 *   which the authorizer understands.
 * - `use`: an AgentJob whose clusterAccessRef is set on CREATE or changed
 *   on UPDATE needs verb "use" on that clusteraccesses object in its
 *   namespace.
 * - References an AgentJob names that do not exist yet become warnings,
 *   never denials.
 * These checks fail closed: when the API server cannot answer within the
 * request's budget, the escalation and `use` checks deny with a clear
 * message; the reference warnings are simply skipped. Every call is a
 * read (SubjectAccessReview creates nothing), so dryRun needs no care.
 */
#ifndef THURKUBE_ACCESS_H
#define THURKUBE_ACCESS_H

#include "compat.h"

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "admission.h"
#include "fielderr.h"
#include "kube.h"
#include "util.h"

#define ACCESS_SAR_PATH "/apis/authorization.k8s.io/v1/subjectaccessreviews"

struct access;

/* New checker over kube (borrowed for its lifetime). NULL on ENOMEM. */
struct access *access_new(struct kube_client *kube);
void access_free(struct access *a);

/*
 * The admission_check_fn of admission.h; ud is a struct access *.
 * budget_ms bounds the time spent on API calls (no call is started once
 * it is spent). Returns 0 (denials/warnings appended) or -ENOMEM.
 */
int access_check(void *ud, const struct admission_request *req, int64_t budget_ms,
                 struct fielderrs *denials, struct strlist *warnings) TK_MUST_CHECK;

/* One authorization question. Strings borrowed; NULL/"" when unused. */
struct access_attrs {
	const char *verb;
	const char *group;
	const char *resource;
	const char *subresource;
	const char *name;
	const char *namespace; /* NULL/"": cluster-wide */
	const char *path;      /* non-resource URL; resource fields unused */
};

/*
 * Build the SubjectAccessReview body asking whether req's user may do a.
 * Pure. Returns a new reference, or NULL on ENOMEM.
 */
json_object *access_sar_new(const struct admission_request *req, const struct access_attrs *a);

/*
 * Read a SubjectAccessReview answer: 1 allowed, 0 not allowed (also when
 * denied or evaluationError is set without allowed), -EPROTO when the
 * answer has no status.
 */
int access_sar_allowed(json_object *sar) TK_MUST_CHECK;

#endif

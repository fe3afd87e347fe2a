/*
 * schema.h - the one description of the thurkube.thurbeen.eu/v1alpha1 API.
 *
 * Every kind is described once, as data (schema.c). From that description
 * come the CRD manifests (--crd, manifests/crds/), admission validation and
 * defaulting (webhook and the offline validator) and, through types.h,
 * the controller's typed decoding.
 *
 * Pure: nothing here logs or touches the network. The timezone check reads
 * the tz database on disk (see tz.h).
 */
#ifndef THURKUBE_SCHEMA_H
#define THURKUBE_SCHEMA_H

#include "compat.h"

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "fielderr.h"
#include "util.h"

#define TK_GROUP                 "thurkube.thurbeen.eu"
#define TK_VERSION               "v1alpha1"
#define TK_API_VERSION           TK_GROUP "/" TK_VERSION
#define TK_CATEGORY              "thurkube"
#define TK_ANNOTATION_CREATED_BY TK_GROUP "/created-by"

/* The eight kinds, in the canonical order of the CRD stream. */
enum tk_kind {
	TK_AGENTJOB = 0,
	TK_AGENTRUNTIME,
	TK_AGENTAUTH,
	TK_AGENTROLE,
	TK_AGENTSKILL,
	TK_MCPSERVER,
	TK_REPOSITORY,
	TK_CLUSTERACCESS,
	TK_KIND_COUNT
};

struct schema_kind_info {
	const char *kind;       /* "AgentJob" */
	const char *plural;     /* "agentjobs" */
	const char *singular;   /* "agentjob" */
	const char *short_name; /* "aj" */
	bool has_status;        /* status subresource */
};

/* Static description of a kind; never NULL for a valid k. */
const struct schema_kind_info *schema_kind_info(enum tk_kind k);
/* Look a kind up by Kind ("AgentJob") or by plural ("agentjobs").
 * 0 or -ENOENT. */
int schema_kind_from_name(const char *kind, enum tk_kind *out) TK_MUST_CHECK;
int schema_kind_from_plural(const char *plural, enum tk_kind *out) TK_MUST_CHECK;

/*
 * CRD generation (libyaml emitter). schema_crd_yaml appends one
 * apiextensions.k8s.io/v1 CustomResourceDefinition document for k;
 * schema_crds_yaml appends all eight; every document starts with "---\n".
 * The output is byte-for-byte stable (tests/gen-manifests splits it into
 * manifests/crds/). 0, -EINVAL (bad k), -ENOMEM, or -EIO when the emitter
 * fails, which includes out reaching its limit; out is then left as it was.
 */
int schema_crd_yaml(enum tk_kind k, struct buf *out) TK_MUST_CHECK;
int schema_crds_yaml(struct buf *out) TK_MUST_CHECK;

/* Admission-time configuration (webhook flags); all fields optional. */
struct schema_config {
	/* Resources given to an AgentJob that sets none (NULL: leave unset). */
	const char *default_cpu_request;
	const char *default_memory_request;
	const char *default_cpu_limit;
	const char *default_memory_limit;
	/* Largest allowed spec.timeoutSeconds (0: only the 2147483647 bound). */
	int64_t max_timeout_seconds;
	/* AgentRuntime spec.runtimeClassName given when absent (NULL: none). */
	const char *default_runtime_class;
	/* Deny an AgentRuntime without spec.runtimeClassName. */
	bool require_runtime_class;
	/* AgentRuntime spec.network.egress given when absent: "Unrestricted",
	 * "Restricted" or NULL (leave it absent). */
	const char *default_egress;
	/* Taint keys no AgentJob may tolerate, n_forbid_tolerations of them:
	 * a toleration with one of these keys, or with an empty key and
	 * operator Exists (every taint), is Forbidden. */
	const char *const *forbid_tolerations;
	size_t n_forbid_tolerations;
};

/* The webhook's policy flags as text, before schema_config_policy checks them. */
struct schema_policy_flags {
	const char *default_runtime_class; /* --default-runtime-class, NULL: none */
	bool require_runtime_class;        /* --require-runtime-class */
	const char *default_egress;        /* --default-egress, NULL: none */
	const char *forbid_tolerations;    /* --forbid-tolerations, comma-separated; "": none */
};

/* The default of --forbid-tolerations: the taints of control-plane nodes
 * (kubeadm's current and former keys). */
#define SCHEMA_DEFAULT_FORBID_TOLERATIONS                                                          \
	"node-role.kubernetes.io/control-plane,node-role.kubernetes.io/master"

/*
 * Check the policy flags f and store them in cfg: the runtime class must
 * be a DNS-1123 subdomain, the egress Unrestricted or Restricted, and
 * each comma-separated taint key (blanks around it trimmed) a qualified
 * name. The keys are copied into keys (caller-owned, zeroed; release with
 * strlist_free once cfg is no longer used); cfg borrows them and f's
 * strings. Returns 0; -EINVAL with one line in err (replaced) naming the
 * flag and quoting the value, cfg then untouched; or -ENOMEM.
 */
int schema_config_policy(struct schema_config *cfg, const struct schema_policy_flags *f,
                         struct strlist *keys, struct buf *err) TK_MUST_CHECK;

/*
 * Validate a whole object of kind k (apiVersion, kind, metadata.name,
 * spec, structural types, and every semantic rule of SPEC section 4).
 * old_obj is the stored object on UPDATE, NULL otherwise. cfg may be NULL.
 * Every problem is appended to errs (the object is valid when errs->n == 0
 * afterwards); unknown fields (under the root, spec and metadata) are
 * appended to warnings as `unknown field "spec.foo"` (at most
 * TK_MAX_WARNINGS, the last slot then saying more were dropped). Nothing
 * else is a warning: the offline validator turns them into errors, as the
 * API server's strict field validation does. Strings are exact
 * and bounded: a NUL character in any string value (spec, metadata,
 * unknown fields; status aside) is "Invalid value" at its path, a string
 * longer than its field's limit or a key longer than TK_MAX_JSON_KEY
 * (limits.h) is "Too long", and such a value is never quoted.
 * Returns 0, or -ENOMEM when the lists could not be filled (then the
 * verdict must be treated as a denial), or -EINVAL for an unknown k. obj
 * is borrowed and not modified. old_obj is accepted for UPDATE-only rules;
 * no rule uses it yet. cfg's policy rules: require_runtime_class makes a
 * missing AgentRuntime spec.runtimeClassName "Required value", and
 * forbid_tolerations makes an AgentJob toleration of those taints
 * "Forbidden" at spec.tolerations[i]; both details end in
 * SCHEMA_POLICY_MARK, the flag's name and ")". status is not validated
 * (the main resource endpoint ignores it). JSON null counts as absent, as the API server
 * prunes nulls before validation.
 */
/* The detail of the error for a NUL character in a string. */
#define SCHEMA_NUL_DETAIL "must not contain a NUL character (\\u0000)"
/* Within the detail of an error that a webhook flag's policy makes (not
 * the API): "(webhook policy --require-runtime-class)". Ratcheting keeps
 * such errors (admission.c): a policy holds for every spec change. */
#define SCHEMA_POLICY_MARK "(webhook policy --"

int schema_validate(enum tk_kind k, json_object *obj, json_object *old_obj,
                    const struct schema_config *cfg, struct fielderrs *errs,
                    struct strlist *warnings) TK_MUST_CHECK;

/*
 * Every list is bounded (limits.h, "Items per list"): a list longer than
 * its limit is one "Too many: N: must have at most M items" error at its
 * path, and none of its items is looked at, so the work is linear in the
 * part of the object that is within its limits. Duplicates are found by
 * sorting. A ClusterAccess whose rules need more than
 * TK_MAX_ACCESS_QUESTIONS SubjectAccessReviews (schema_access_questions)
 * is "Too many" at spec.rules.
 *
 * schema_validate_until is schema_validate with a deadline: deadline_ms is
 * a now_ms() value (util.h) or 0 for none. The clock is read every
 * TK_DEADLINE_CHECK_EVERY steps; once it has passed, checking stops and
 * -ETIMEDOUT is returned (errs then holds what was found so far, and the
 * object must be refused as too large or complex to check in time).
 */
int schema_validate_until(enum tk_kind k, json_object *obj, json_object *old_obj,
                          const struct schema_config *cfg, int64_t deadline_ms,
                          struct fielderrs *errs, struct strlist *warnings) TK_MUST_CHECK;

/*
 * The SubjectAccessReviews the cluster checks ask for rules (a
 * ClusterAccess's spec.rules; borrowed, NULL or not an array: 0): for each
 * rule, verbs x apiGroups x resources x max(1, resourceNames) when it has
 * apiGroups and resources, plus verbs x nonResourceURLs. Repeated entries
 * count every time (an upper bound on the distinct questions). Saturates
 * at UINT64_MAX; never fails.
 */
uint64_t schema_access_questions(json_object *rules);

/*
 * Compute the defaulting of obj as a minimal RFC 6902 JSON Patch: schema
 * defaults, normalisation (trimmed strings in lists, duplicate list
 * entries removed), contextual defaults from cfg, and, when created_by is
 * non-NULL, the created-by annotation. obj is borrowed and not modified.
 * Defaults are added where the API server would add them: a field with a
 * default is filled when absent or null and its parent object exists, so
 * persistentVolume.size becomes 1Gi only when spec.persistentVolume is
 * present (the controller uses 1Gi otherwise). cfg (may be NULL) adds
 * spec.resources when the AgentJob has none, and lowers the timeoutSeconds
 * default to max_timeout_seconds when that is below 3600; to an
 * AgentRuntime it adds spec.runtimeClassName (default_runtime_class) and
 * spec.network.egress (default_egress, creating spec.network) when they
 * are absent or null. The patch is
 * idempotent: defaulting the patched object gives [].
 * On success *patch_out is a new reference to a JSON array (empty when
 * nothing changes). 0, -ENOMEM or -EINVAL (obj is not an object).
 */
int schema_default(enum tk_kind k, json_object *obj, const struct schema_config *cfg,
                   const char *created_by, json_object **patch_out) TK_MUST_CHECK;
/* schema_default with a deadline (a now_ms() value, 0: none), read every
 * TK_DEADLINE_CHECK_EVERY steps: -ETIMEDOUT once it has passed, with
 * *patch_out untouched. A list longer than its limit (schema_validate) is
 * left as it is. */
int schema_default_until(enum tk_kind k, json_object *obj, const struct schema_config *cfg,
                         const char *created_by, int64_t deadline_ms,
                         json_object **patch_out) TK_MUST_CHECK;

#endif

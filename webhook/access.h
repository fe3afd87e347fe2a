/*
 * access.h - cluster-aware admission checks, made with the kube client.
 *
 * Each check below runs for /validate on CREATE and UPDATE, after the
 * schema accepted the object; its API cost is per request, as without the
 * caches. With them (access_set_cache; the default, see cache.h):
 * - The LIST of the namespace's AgentJobs and the GET of each reference
 *   are read from the watch caches once they synced: no request. A
 *   reference the cache lacks is still asked for with a GET before
 *   warning (it may have been created a moment ago).
 * - An "allowed" SubjectAccessReview answer is kept sar_ttl_ms (5 s by
 *   default) for the same user (name, uid, groups, extra) and question;
 *   denials and errors are never kept. Safe because a permission revoked
 *   in RBAC then still counts for at most that long in these checks, far
 *   less than the 5 minutes the API server's own webhook authorizer keeps
 *   an allowed answer by default, and only for a user who held it.
 * - The limit: the caches lag the API server by the watch delay
 *   (milliseconds when healthy; the informer's back-off, up to 30 s, while
 *   the API server is unreachable). An AgentJob created within that delay
 *   is not yet among the users of an object it names, so an edit of that
 *   object in the same moment is not checked against its ClusterAccess.
 *   The AgentJob's author vouched for the object as it was when creating
 *   it; --no-watch-cache closes the window at the cost of a LIST per edit.
 * - Escalation guard: a ClusterAccess may only grant what its author
 *   already holds. On CREATE, and on UPDATE when spec.rules changed, one
 *   SubjectAccessReview is made per (verb, apiGroup, resource,
 *   resourceName) and per (verb, nonResourceURL) for the requesting user
 *   (username, uid, groups, extra), cluster-wide; every permission the
 *   user lacks becomes a denial naming it. Wildcards are asked as "*",
 *   which the authorizer understands. Rules that need more than
 *   TK_MAX_ACCESS_QUESTIONS questions (schema_access_questions) are
 *   denied at spec.rules before any is asked (the schema refuses them
 *   first, with 422). A question asked twice in one request is answered
 *   from a hash set of the answers, so the cost stays linear.
 * - `use` on the AgentJob: a CREATE of an AgentJob with a non-empty
 *   spec.clusterAccessRef, or an UPDATE whose new object has one and whose
 *   spec differs in any way from the old one, needs verb "use" on that
 *   clusteraccesses object in the namespace, since everything in the spec
 *   reaches the pod that runs with the ClusterAccess's rights. Cost: one
 *   SAR. A metadata-only update (labels, finalizers) costs nothing.
 * - `use` through a reference: a CREATE of an AgentRuntime, AgentAuth,
 *   AgentRole, AgentSkill, McpServer or Repository, or an UPDATE of one
 *   whose spec changed, needs "use" on the ClusterAccess of every AgentJob
 *   of the namespace that references it and has a clusterAccessRef. Cost:
 *   one LIST of the namespace's agentjobs plus one SAR per distinct
 *   ClusterAccess among those AgentJobs (a metadata-only update costs
 *   nothing; a kind no cluster-access AgentJob references, the LIST only).
 *   The denial names the AgentJobs, the ClusterAccess and the verb.
 * - Secrets: every Secret an object makes the controller put into a pod
 *   (AgentJob env[].valueFrom.secretKeyRef, envFrom[].secretRef,
 *   imagePullSecrets[]; McpServer env and envFrom likewise; AgentAuth
 *   secretRef; Repository tokenSecretRef) needs "get" on that Secret, by
 *   name, in the namespace: one SAR per distinct Secret name on CREATE,
 *   and on UPDATE per name the old object did not reference. An AgentJob's
 *   authRef/repositoryRefs do not count as references to their Secrets
 *   (an AgentAuth is a shared credential by design).
 * - Finalizer guard: an UPDATE of an AgentJob or ClusterAccess that drops
 *   NAMES_FINALIZER (names.h), by anyone but the controller's user, is
 *   denied while the object's cluster-scoped child exists (the
 *   ClusterRoleBinding names_crb of an AgentJob, the ClusterRole
 *   names_clusterrole of a ClusterAccess). Cost: one GET; 404 allows. Not
 *   even a cluster admin may orphan that RBAC.
 * - References an AgentJob names that do not exist yet become warnings,
 *   never denials: one GET per reference.
 * - Env names thurkube sets: on CREATE of an AgentJob, or an UPDATE whose
 *   spec changed, an env[].name the controller would set itself from a
 *   referenced object (access_env_conflicts) is denied, naming the object.
 *   It reuses the reference GETs above (no call of its own); a GET that
 *   fails or is not started in time denies the names that object could
 *   set, a 404 denies nothing (the controller's value wins later, with an
 *   EnvConflict event). envFrom keys are not known here. Unchecked with
 *   --no-cluster-checks, like the Secrets.
 * These checks fail closed: when the API server cannot answer within the
 * request's budget (a LIST, SAR or GET that fails or is not started in
 * time), the request is denied with a message saying what could not be
 * verified; only the reference warnings are simply skipped. Every call is
 * a read (SubjectAccessReview creates nothing), so dryRun needs no care.
 *
 * Without an API client (--no-cluster-checks) nothing can be verified, so
 * the checker fails closed too: it denies every ClusterAccess CREATE, every
 * ClusterAccess UPDATE whose spec changed, and every AgentJob CREATE or
 * spec-changing UPDATE with a non-empty clusterAccessRef; metadata-only
 * updates pass, so finalizers can still be removed. It makes no call.
 *
 * The decisions (spec changed, which Secrets are new, which AgentJobs use
 * an object, whether a finalizer is guarded) are pure functions below, so
 * they are unit-tested without a server; access_check does the I/O.
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

/* The controller's username by default (its ServiceAccount). */
#define ACCESS_DEFAULT_CONTROLLER_USER "system:serviceaccount:thurkube-system:thurkube-controller"
/* AgentJobs named in one denial; the rest are counted ("and 3 more"). */
#define ACCESS_MAX_NAMED_JOBS 5

/*
 * New checker over kube (borrowed for its lifetime), or, when kube is
 * NULL, the fail-closed checker of --no-cluster-checks (see above).
 * controller_user (copied) is the only user who may drop thurkube's
 * finalizer while the object's cluster-scoped child exists. NULL on
 * ENOMEM.
 */
struct access *access_new(struct kube_client *kube, const char *controller_user);
void access_free(struct access *a);

/* Entries of the SubjectAccessReview answer cache (access_set_cache). */
#define ACCESS_SAR_CACHE_MAX 4096

struct cache; /* cache.h */

/*
 * Read through cache (borrowed until access_free; NULL: none) once it has
 * synced: references an AgentJob names and the AgentJobs of a namespace
 * come from it, a reference it lacks is still asked for with a GET (it
 * may have been created a moment ago), so a valid object with existing
 * references costs no request. And keep each "allowed" answer of a
 * SubjectAccessReview sar_ttl_ms (0: none), keyed by the whole review
 * (user, uid, groups, extra, question); denials and errors are never
 * kept. Call before the checker is shared.
 */
void access_set_cache(struct access *a, struct cache *cache, int64_t sar_ttl_ms);

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

/* The pure decisions of access_check. All inputs borrowed. */

/*
 * The Secrets req's object makes the controller put into a pod (see the
 * list above; kinds without such fields have none) that need a "get"
 * check: all of them on CREATE, on UPDATE those the old object did not
 * reference. Appends each distinct name once to names, in the order of
 * its first reference, and that reference's field path to paths (e.g.
 * "spec.envFrom[0].secretRef.name"). Empty names are skipped. Sorting,
 * not nested loops, finds duplicates. 0 or -ENOMEM (the lists may then
 * hold a prefix; the caller frees them either way).
 */
int access_new_secrets(const struct admission_request *req, struct strlist *names,
                       struct strlist *paths) TK_MUST_CHECK;

/*
 * The AgentJobs among items (a LIST's items array) that reference the
 * object of kind k named name (runtimeRef, authRef, roleRef, skillRef,
 * mcpServerRefs[], repositoryRefs[]) and have a non-empty
 * clusterAccessRef. Appends their names to jobs and their ClusterAccess to
 * cas (jobs[i] runs with cas[i]), sorted by ClusterAccess then AgentJob,
 * so each ClusterAccess forms one run. Kinds no AgentJob references
 * (AgentJob, ClusterAccess) yield nothing. 0 or -ENOMEM, as above.
 */
int access_users_of(json_object *items, enum tk_kind k, const char *name, struct strlist *jobs,
                    struct strlist *cas) TK_MUST_CHECK;

/*
 * What the env guard learned of one referenced object: its
 * spec.authEnvVar (an AgentRuntime's; owned, NULL when unset) and whether
 * it has a spec.tokenSecretRef (a Repository's). All false when it does
 * not exist; unknown when it could not be read.
 */
struct access_ref_obj {
	char *auth_env;
	bool has_token;
	bool unknown;
};

/* Fill r from obj (a referenced object, or NULL: it does not exist);
 * r->auth_env is replaced. 0 or -ENOMEM. */
int access_ref_learn(json_object *obj, struct access_ref_obj *r) TK_MUST_CHECK;
void access_ref_obj_free(struct access_ref_obj *r);

/*
 * The env guard. aj is an AgentJob object; runtime is what was learned of
 * its spec.runtimeRef (NULL: not looked up), repos of its
 * spec.repositoryRefs, in that order (n_repos entries). The controller
 * sets <authEnvVar> from the AgentRuntime, GH_TOKEN from the first
 * Repository with a tokenSecretRef and REPO_TOKEN_<i> from repos[i] when
 * it has one (names.h). Each spec.env[i].name it would set becomes an
 * FE_INVALID denial at "spec.env[i].name" naming the object ("is set by
 * thurkube from Repository \"x\" (spec.tokenSecretRef); remove it here or
 * remove the Repository's token"); a name an unknown object could set
 * becomes a denial saying it cannot be verified (every name, for an
 * unknown AgentRuntime). Other names pass. Pure; linear in the env list.
 * 0 or -ENOMEM.
 */
int access_env_conflicts(json_object *aj, const struct access_ref_obj *runtime,
                         const struct access_ref_obj *repos, size_t n_repos,
                         struct fielderrs *denials) TK_MUST_CHECK;

/*
 * True when req is an UPDATE of an AgentJob or ClusterAccess whose old
 * object holds NAMES_FINALIZER and whose new object does not, made by a
 * user other than controller_user: the finalizer guard must then ask
 * whether the cluster-scoped child exists.
 */
bool access_finalizer_guarded(const struct admission_request *req, const char *controller_user);

#endif

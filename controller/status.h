/*
 * status.h - the pure decisions of the AgentJob reconcile: which children
 * to apply, which to delete, and the status to report, computed from the
 * desired children (build.h), what the stores hold, and the previous
 * status. Plus the condition helpers shared by every reconciler. Nothing
 * here logs or touches the network.
 *
 * Decisions recorded here (SPEC 3.2):
 * - One-shot runs once per configHash. status.configHash is the hash of
 *   the latest launched run; once it equals the desired hash the Job is
 *   never applied again. The outcome is kept in the condition "Complete"
 *   (True/Succeeded or True/Failed, False/Running), which survives the
 *   Pending state, so TTL deletion of a finished Job never starts it again.
 *   A launched Job that disappears before its outcome was seen (confirmed
 *   by a live GET, see status_job_needs_confirm) is reported Failed with
 *   reason JobLost, and is not re-run either.
 * - Config change while a run is active (a Job carrying our labels, not
 *   finished, other than the desired one, and not run by the desired
 *   CronJob): Forbid holds the new Job (or a new CronJob) back until it
 *   finishes; Replace deletes it (propagation Background) and creates the
 *   new one in the same pass.
 * - Suspend: the CronJob gets spec.suspend=true and every child is kept;
 *   phase Suspended. A one-shot whose run was not launched yet is held
 *   (phase Suspended); one already launched keeps reporting its run,
 *   because suspend only stops future runs.
 * - Pruning: children carrying the AgentJob's labels whose kind/name is
 *   no longer desired are deleted (ServiceAccount, ClusterRoleBinding,
 *   CronJob, ConfigMap). PVCs are never pruned while the AgentJob exists.
 *   Finished Jobs are left to their TTL (their logs are the run's
 *   record). A CronJob pruned under Forbid while it has an active run is
 *   deleted with propagation Orphan, so the run finishes.
 * - Missing references: phase Pending, Ready and ReferencesResolved False
 *   naming every missing object, no change to any child; configHash,
 *   times, ownedResources and Complete are carried over.
 */
#ifndef THURKUBE_STATUS_H
#define THURKUBE_STATUS_H

#include "compat.h"

#include <stdbool.h>
#include <time.h>

#include <json-c/json.h>

#include "build.h"
#include "types.h"
#include "util.h"

#define STATUS_PENDING   "Pending"
#define STATUS_SCHEDULED "Scheduled"
#define STATUS_RUNNING   "Running"
#define STATUS_SUCCEEDED "Succeeded"
#define STATUS_FAILED    "Failed"
#define STATUS_SUSPENDED "Suspended"

#define STATUS_COND_READY    "Ready"
#define STATUS_COND_REFS     "ReferencesResolved"
#define STATUS_COND_COMPLETE "Complete"

/* One child found in a store: kind is a BUILD_KIND_* string. */
struct status_child {
	const char *kind;
	json_object *obj; /* borrowed */
};

struct status_input {
	const struct tk_agentjob *aj;        /* decoded, with the previous status */
	const struct build_out *desired;     /* NULL when references are unresolved */
	const struct strlist *missing;       /* "Kind/name" not found (may be NULL) */
	const struct strlist *invalid;       /* "Kind/name" that failed to decode (may be NULL) */
	const struct status_child *observed; /* every child carrying the AgentJob's
	                                       labels, plus any ClusterRoleBinding
	                                       holding the desired CRB name */
	size_t n_observed;
	bool job_gone; /* a live GET confirmed the desired Job is absent */
	time_t now;
};

/* One write the plan asks for. */
struct status_action {
	const char *kind; /* BUILD_KIND_* */
	char *name;       /* owned */
	bool namespaced;
	json_object *obj;        /* apply: the desired object (new ref); delete: NULL */
	const char *propagation; /* delete: "Background" or "Orphan" */
	const char *why;         /* static: "prune", "replace", "roleRef changed" */
};

struct status_plan {
	struct status_action *deletes; /* executed first, in order */
	size_t n_deletes;
	struct status_action *applies; /* then these, in order */
	size_t n_applies;
	json_object *status; /* new ref: the status to report */
	bool launch;         /* applies include a new run Job */
	bool waiting;        /* Forbid holds a new run back */
	bool conflict;       /* a cluster-scoped name is someone else's */
	bool needs_binding;  /* a ClusterRoleBinding is desired or present */
};

/*
 * Compute the plan. in is borrowed. Returns 0 and fills *out (release
 * with status_plan_free), or -ENOMEM / -EINVAL (no aj); *out is zeroed
 * on failure.
 */
int status_plan(const struct status_input *in, struct status_plan *out) TK_MUST_CHECK;
void status_plan_free(struct status_plan *p);

/*
 * True when the I/O layer must confirm with a live GET that the desired
 * one-shot Job is really gone: it is absent from the store although the
 * previous status says it was launched and its outcome is unknown (a
 * store that lags behind our own create looks the same).
 */
bool status_job_needs_confirm(const struct status_input *in);

/*
 * Mark a status computed by status_plan as failed to apply: Ready False,
 * reason ApplyFailed, message "<what>: <detail>" (detail is the API
 * server's Status message, which never holds a secret value: the
 * controller handles only secret references). prev_conditions (borrowed,
 * may be NULL) keeps lastTransitionTime when Ready was already False.
 *
 * configHash goes back to prev_hash (the AgentJob's status before this
 * pass; NULL removes it). A write failed, so the Job of the new hash may
 * not exist, and a status that named it would make the next pass take the
 * missing Job for a lost one (JobLost, Failed) instead of creating it. The
 * Job's name derives from the hash, so that retry applies the same object
 * and cannot make a second one.
 */
int status_mark_failed(json_object *status, json_object *prev_conditions, const char *prev_hash,
                       int64_t generation, const char *what, const char *detail,
                       time_t now) TK_MUST_CHECK;

/*
 * Set condition type in conds (a JSON array, modified in place) to the
 * metav1.Condition {type, status, observedGeneration, lastTransitionTime,
 * reason, message}. lastTransitionTime is taken from the condition of the
 * same type in prev (borrowed, may be NULL) when its status is the same,
 * else it is now. 0 or -ENOMEM.
 */
int status_set_condition(json_object *conds, json_object *prev, const char *type, bool ok,
                         const char *reason, const char *message, int64_t generation,
                         time_t now) TK_MUST_CHECK;

/*
 * The status of an AgentRole or a ClusterAccess: {observedGeneration,
 * conditions: [Ready], usedBy}. prev is the previous status object
 * (borrowed, may be NULL). New reference or NULL on OOM.
 */
json_object *status_simple(json_object *prev, int64_t generation, bool ready, const char *reason,
                           const char *message, int used_by, time_t now);

/*
 * Whether the AgentJob agentjob (borrowed; only read) names name in
 * spec.<field> ("roleRef", "clusterAccessRef").
 */
bool status_uses(json_object *agentjob, const char *field, const char *name);

/*
 * How many AgentJobs in the JSON array agentjobs (borrowed) name name in
 * spec.<field>. Objects being deleted still count: they use it until they
 * are gone.
 */
int status_count_users(json_object *agentjobs, const char *field, const char *name);

/* Deep equality of two status objects (NULL equals NULL only). */
bool status_equal(json_object *a, json_object *b);

/* Borrowed string field of obj, or NULL. */
const char *status_str(json_object *obj, const char *key);

#endif

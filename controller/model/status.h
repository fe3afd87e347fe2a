/*
 * status.h - the status objects of thurkube kinds: phases, conditions
 * (metav1.Condition), the simple status of AgentRole and ClusterAccess,
 * and the usage counts they report. Pure; shared by every reconciler and
 * by the planner (plan.h).
 */
#ifndef THURKUBE_STATUS_H
#define THURKUBE_STATUS_H

#include "compat.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#define STATUS_PENDING   "Pending"
#define STATUS_SCHEDULED "Scheduled"
#define STATUS_RUNNING   "Running"
#define STATUS_SUCCEEDED "Succeeded"
#define STATUS_FAILED    "Failed"
#define STATUS_SUSPENDED "Suspended"
#define STATUS_STOPPED   "Stopped"
#define STATUS_QUEUED    "Queued"

#define STATUS_COND_READY    "Ready"
#define STATUS_COND_REFS     "ReferencesResolved"
#define STATUS_COND_COMPLETE "Complete"

/* The condition of type type in the array conds (borrowed), or NULL. */
json_object *status_find_condition(json_object *conds, const char *type);
/* Add key: v to o, leaving the key out when v is NULL. 0 or -ENOMEM. */
int status_put_str(json_object *o, const char *k, const char *v) TK_MUST_CHECK;

/*
 * Mark a status computed by plan_make as failed to apply: Ready False,
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

/*
 * A Job's outcome: 1 succeeded, -1 failed, 0 still going (or suspended).
 * *when (may be NULL) gets the completion time: completionTime, or the
 * Failed condition's transition time; *why (may be NULL) the Failed
 * condition's reason.
 */
int status_job_outcome(json_object *job, const char **when, const char **why);

#endif

/*
 * plan.h - the planner: the pure decisions of the AgentJob reconcile.
 * Which children to apply, which to delete, and the status to report,
 * computed from the desired children (build.h), what the stores hold, and
 * the previous status. Nothing here logs or touches the network.
 *
 * Decisions recorded here (SPEC 3.2, issue 11):
 * - Ownership is decided by UID, never by labels. A namespaced child
 *   (ConfigMap, PVC, ServiceAccount, CronJob, Job) is this AgentJob's when
 *   its controller ownerReference has the AgentJob's metadata.uid; a Job
 *   also when its controller ownerReference is a CronJob whose uid is that
 *   of the AgentJob's own CronJob (observed, named like the AgentJob and
 *   itself controlled by it). The ClusterRoleBinding cannot point at a
 *   namespaced owner: it is ours when its owner-uid label is the
 *   AgentJob's uid (only cluster admins can create bindings). Objects
 *   that merely carry thurkube's name labels are ignored: never pruned,
 *   never replaced, never taken for the current run.
 * - Name conflicts: an observed object holding the name of a desired child
 *   that is not ours (see above) is a conflict. Then nothing of the
 *   AgentJob is applied (no child, no binding), only the revocations
 *   below run; phase Pending, Ready False with reason NameConflict and a
 *   message naming each object ('ConfigMap "x" exists and is not
 *   controlled by this AgentJob'); ReferencesResolved True; configHash,
 *   times, ownedResources and Complete are carried over. The object
 *   itself is never written. An apply of a name absent from observed is
 *   marked unseen: the I/O layer looks the name up in its store, creates
 *   it only if absent (a precondition no existing object meets), and when
 *   it is held looks it up with one live GET and plans again with what it
 *   found; when that GET fails it plans with unverified set, which holds
 *   the applies the same way (the I/O layer then reports ApplyFailed and
 *   retries).
 * - Revocation and suspend never wait. Whenever the applies are held
 *   (references missing, a conflict, unverified), the plan still deletes
 *   our ClusterRoleBinding when spec.clusterAccessRef is empty, the
 *   ClusterAccess it names is missing, invalid or being deleted (the I/O
 *   layer lists it as missing), or the ServiceAccount name is held by a
 *   foreign object; and when spec.suspend is true it patches our CronJob
 *   with the merge patch {"spec":{"suspend":true}} (no server-side apply
 *   of a partial object, which would drop the fields it omits). Deletes
 *   and patches are executed before the applies and each one is tried even
 *   when another failed.
 * - One-shot runs once per configHash. status.configHash is the hash of
 *   the latest launched run; once it equals the desired hash the Job is
 *   never applied again. The outcome is kept in the condition "Complete"
 *   (True/Succeeded or True/Failed, False/Running), which survives the
 *   Pending state, so TTL deletion of a finished Job never starts it again.
 *   A launched Job that disappears before its outcome was seen (confirmed
 *   by a live GET, see plan_job_needs_confirm) is reported Failed with
 *   reason JobLost, and is not re-run either.
 * - Adoption of a run thurkube made (migration, issue 13). thurkube names
 *   a one-shot Job <name>-<H> and writes H into status.configHash, where H
 *   is build_thurkube_hash: SHA-256 of the agent.json bytes alone, which
 *   thurkube-c renders byte for byte as thurkube does. When a one-shot
 *   AgentJob has no run of the current configuration (status.configHash
 *   is not the desired hash and no Job of ours has the desired name), its
 *   status has no Complete condition (this controller has recorded no run
 *   for it: thurkube never writes Complete), and either
 *     (a) status.configHash equals H of the current agent.json, or
 *     (b) a Job named <name>-<H> is observed that is controlled by this
 *         AgentJob (ownerReference uid) and carries thurkube's labels
 *         app.kubernetes.io/managed-by=thurkube,
 *         thurkube.thurbeen.eu/agentjob=<name>,
 *         thurkube.thurbeen.eu/agentjob-namespace=<namespace> and
 *         thurkube.thurbeen.eu/owner-uid=<uid>,
 *   then that run is adopted as the run of the current configuration: no
 *   Job is applied, the Job <name>-<H> is never written, status.configHash
 *   becomes the desired hash and ownedResources names <name>-<H>, so later
 *   passes follow that Job (phase Running, Succeeded or Failed from it)
 *   and launch nothing. Adopted under (a) with no such Job (confirmed by a
 *   live GET, see plan_job_to_confirm): Failed, reason JobLost, as for
 *   any run whose Job went before its outcome was seen. Any later change
 *   of the configuration runs as usual, since Complete then exists.
 * - Config change while a run is active (a Job of ours, not finished,
 *   other than the desired one, and not run by the desired CronJob):
 *   Forbid holds the new Job (or a new CronJob) back until it finishes;
 *   Replace deletes it (propagation Background) and creates the new one
 *   in the same pass.
 * - Suspend: the CronJob gets spec.suspend=true and every child is kept;
 *   phase Suspended. A one-shot whose run was not launched yet is held
 *   (phase Suspended); one already launched keeps reporting its run,
 *   because suspend only stops future runs.
 * - Pruning: children of ours whose kind/name is no longer desired are
 *   deleted (ServiceAccount, ClusterRoleBinding, CronJob, ConfigMap), with
 *   the observed uid as a precondition so a foreign object that took the
 *   name since is not deleted. PVCs are never pruned while the AgentJob
 *   exists. Finished Jobs are left to their TTL (their logs are the run's
 *   record). A CronJob no longer desired that has an active run under
 *   Forbid is suspended (merge patch) instead, and deleted once the run
 *   finished: deleting it with propagation Orphan would strip the run's
 *   ownerReference, and the run would no longer count as ours.
 * - Missing references: phase Pending, Ready and ReferencesResolved False
 *   naming every missing object, no apply (only the revocations above);
 *   configHash, times, ownedResources and Complete are carried over.
 */
#ifndef THURKUBE_PLAN_H
#define THURKUBE_PLAN_H

#include "compat.h"

#include <stdbool.h>
#include <time.h>

#include <json-c/json.h>

#include "model/build.h"
#include "model/res.h"
#include "model/runq.h"
#include "model/status.h"
#include "types.h"
#include "util.h"

/* One child found in a store. */
struct plan_child {
	enum res kind;
	json_object *obj; /* borrowed */
};

struct plan_input {
	const struct tk_agentjob *aj;      /* decoded, with the previous status */
	const struct build_out *desired;   /* NULL when references are unresolved */
	const struct strlist *missing;     /* "Kind/name" not found (may be NULL) */
	const struct strlist *invalid;     /* "Kind/name" that failed to decode (may be NULL) */
	const struct plan_child *observed; /* every child in the stores carrying
	                                       the AgentJob's labels, plus whatever
	                                       holds the name of a desired child
	                                       (found in a store or by a live GET),
	                                       whoever owns it */
	size_t n_observed;
	bool job_gone;   /* a live GET confirmed the Job plan_job_to_confirm
	                    names is absent */
	bool unverified; /* a live GET of an unseen name failed: apply nothing */
	time_t now;
	/* The run queue the AgentJob's runs join (its AgentAuth sets
	 * maxConcurrentRuns), as the stores see it, for the phase Queued and
	 * the position in its message; NULL when none. */
	const struct runq *queue;
	const char *queue_auth;
	int64_t queue_limit;
};

/* One write the plan asks for. */
struct plan_action {
	enum res kind;
	char *name; /* owned */
	bool namespaced;
	json_object *obj;        /* apply: the desired object; patch: the JSON merge
	                            patch; delete: NULL (new ref) */
	const char *uid;         /* delete: the observed metadata.uid, a precondition
	                            (borrowed from in->observed; may be NULL) */
	const char *propagation; /* delete: "Background" */
	const char *why;         /* static: "prune", "replace", "revoke",
	                            "roleRef changed", "suspend" */
	bool unseen;             /* apply: no object of that name was observed */
};

struct plan {
	struct plan_action *deletes; /* executed first, each tried */
	size_t n_deletes;
	struct plan_action *patches; /* merge patches, then, each tried */
	size_t n_patches;
	struct plan_action *applies; /* then these, in order, when every
	                                  delete and patch succeeded */
	size_t n_applies;
	json_object *status; /* new ref: the status to report */
	bool launch;         /* applies include a new run Job */
	bool adopted;        /* thurkube's run is adopted in this pass (see above) */
	bool waiting;        /* Forbid holds a new run back */
	bool conflict;       /* a desired name is held by a foreign object */
	bool needs_binding;  /* a ClusterRoleBinding of ours is present, or one
	                        is desired and the applies are not held */
};

/*
 * Compute the plan. in is borrowed and must outlive *out (delete actions
 * borrow uids from in->observed). Returns 0 and fills *out (release with
 * plan_free), or -ENOMEM / -EINVAL (no aj); *out is zeroed on
 * failure.
 */
int plan_make(const struct plan_input *in, struct plan *out) TK_MUST_CHECK;
void plan_free(struct plan *p);

/*
 * True when the I/O layer must confirm with a live GET that the desired
 * one-shot Job is really gone: it is absent from the store although the
 * previous status says it was launched and its outcome is unknown (a
 * store that lags behind our own create looks the same).
 */
bool plan_job_needs_confirm(const struct plan_input *in);

/*
 * The name of the Job the I/O layer must GET before planning (the Job the
 * previous status records as the run, or thurkube's Job for an adoption
 * by status.configHash alone), borrowed from in->desired; NULL when no
 * look-up is needed. plan_job_needs_confirm is this != NULL.
 */
const char *plan_job_to_confirm(const struct plan_input *in);

/*
 * The finished run Job whose result status.lastRun does not hold yet (its
 * name differs from lastRun.name), borrowed from in->observed; NULL when
 * none. One-shot: the run of the current configuration. Scheduled: the
 * most recently finished Job of ours (the CronJob's or a run-now one).
 * The I/O layer reads its pod's termination message (results.h) and puts
 * status.lastRun; the plan carries lastRun over otherwise.
 */
json_object *plan_result_job(const struct plan_input *in);

#endif

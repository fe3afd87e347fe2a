/* plan.c - the AgentJob planner: what to apply, delete and report. */
#include "compat.h"

#include "model/plan.h"

#include <errno.h>

#include "jsonutil.h"
#include "limits.h"
#include "model/status.h"
#include "names.h"

#define MAX_APPLIES 8

static bool streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* ---- observed children ------------------------------------------------- */

struct view {
	const struct plan_input *in;
	const char *name;
	const char *ns;
	const char *uid;
	/* The run-now Job of status.runToken ("" when none), and of a new
	 * NAMES_ANN_RUN value to start in this pass ("" when none). */
	char recorded_run_now[TK_MAX_NAME + 16];
	char new_run_now[TK_MAX_NAME + 16];
	const char *new_token;
};

static const char *annotation(const struct tk_agentjob *aj, const char *key)
{
	return jsonutil_str(aj->meta.annotations, key);
}

/* NAMES_ANN_STOP is "true". */
static bool stop_requested(const struct tk_agentjob *aj)
{
	const char *s = annotation(aj, NAMES_ANN_STOP);

	return s && !strcmp(s, "true");
}

/* A NAMES_ANN_RUN value not handled yet (status.runToken), else NULL.
 * Empty and over-long values are never handled. */
static const char *unhandled_token(const struct tk_agentjob *aj)
{
	const char *t = annotation(aj, NAMES_ANN_RUN);

	if (!t || !*t || strlen(t) > NAMES_MAX_RUN_TOKEN)
		return NULL;
	if (aj->status.run_token && !strcmp(aj->status.run_token, t))
		return NULL;
	return t;
}

static void run_now_name(const char *aj_name, const char *token, char *out, size_t size)
{
	char *n = token ? build_run_now_name(aj_name, token) : NULL;

	out[0] = '\0';
	if (n && strlen(n) < size)
		memcpy(out, n, strlen(n) + 1);
	free(n);
}

static void view_init(struct view *v, const struct plan_input *in)
{
	const struct tk_agentjob *aj = in->aj;

	memset(v, 0, sizeof(*v));
	v->in = in;
	v->name = aj->meta.name;
	v->ns = aj->meta.namespace;
	v->uid = aj->meta.uid;
	run_now_name(v->name, aj->status.run_token, v->recorded_run_now,
	             sizeof(v->recorded_run_now));
	v->new_token = unhandled_token(aj);
	run_now_name(v->name, v->new_token, v->new_run_now, sizeof(v->new_run_now));
	if (!v->new_run_now[0])
		v->new_token = NULL;
}

static const char *controller_kind(json_object *obj)
{
	return jsonutil_str(res_controller_ref(obj), "kind");
}

static bool controlled_by(json_object *obj, enum res kind, const char *uid)
{
	json_object *r = res_controller_ref(obj);

	return uid && streq(jsonutil_str(r, "kind"), res_kind(kind)) &&
	       streq(jsonutil_str(r, "uid"), uid);
}

static const char *obj_uid(json_object *obj)
{
	return jsonutil_str(jsonutil_get(obj, "metadata"), "uid");
}

/* The observed child of kind/name, whoever owns it. */
static json_object *find_any(const struct view *v, enum res kind, const char *name)
{
	size_t i;

	for (i = 0; name && i < v->in->n_observed; i++) {
		const struct plan_child *c = &v->in->observed[i];

		if (c->kind == kind && streq(jsonutil_name(c->obj), name))
			return c->obj;
	}
	return NULL;
}

/* The CronJob that is ours: named like the AgentJob and controlled by it. */
static json_object *own_cronjob(const struct view *v)
{
	json_object *cj = find_any(v, RES_CRONJOB, v->name);

	return controlled_by(cj, RES_AGENTJOB, v->uid) ? cj : NULL;
}

/*
 * Whether the observed child obj of kind is ours, by UID (see the header):
 * the binding by its owner-uid label, a Job also through our CronJob.
 */
static bool ours(const struct view *v, enum res kind, json_object *obj)
{
	json_object *cj;

	if (!v->uid || !obj)
		return false;
	if (kind == RES_CLUSTERROLEBINDING)
		return streq(jsonutil_label(obj, NAMES_LABEL_OWNER_UID), v->uid);
	if (controlled_by(obj, RES_AGENTJOB, v->uid))
		return true;
	if (kind != RES_JOB)
		return false;
	cj = own_cronjob(v);
	return cj && controlled_by(obj, RES_CRONJOB, obj_uid(cj));
}

static json_object *find_ours(const struct view *v, enum res kind, const char *name)
{
	json_object *o = find_any(v, kind, name);

	return o && ours(v, kind, o) ? o : NULL;
}

static int job_outcome(json_object *job, const char **when, const char **why)
{
	return status_job_outcome(job, when, why);
}

/* A run still going: not finished and not being deleted. */
static bool job_active(json_object *job)
{
	return job_outcome(job, NULL, NULL) == 0 &&
	       !jsonutil_get(jsonutil_get(job, "metadata"), "deletionTimestamp");
}

static bool is_run_now(json_object *job)
{
	return jsonutil_label(job, NAMES_LABEL_RUN_NOW) != NULL;
}

static const char *later(const char *a, const char *b)
{
	time_t ta, tb;

	if (!a || parse_rfc3339(a, &ta) < 0)
		return b;
	if (!b || parse_rfc3339(b, &tb) < 0)
		return a;
	return tb > ta ? b : a;
}

static bool cron_active(json_object *cj)
{
	json_object *a = jsonutil_get(jsonutil_get(cj, "status"), "active");

	return a && json_object_is_type(a, json_type_array) && json_object_array_length(a) > 0;
}

/* ---- the plan ------------------------------------------------------- */

static int add_action(struct plan_action *arr, size_t *n, enum res kind, const char *name,
                      bool namespaced, json_object *obj, const char *propagation, const char *why)
{
	struct plan_action *a = &arr[*n];

	a->name = xstrdup(name);
	if (!a->name)
		return -ENOMEM;
	a->kind = kind;
	a->namespaced = namespaced;
	a->obj = obj ? json_object_get(obj) : NULL;
	a->propagation = propagation;
	a->why = why;
	(*n)++;
	return 0;
}

/* Delete the observed child obj (ours), its uid as the precondition. */
static int add_delete(struct plan *p, enum res kind, json_object *obj, const char *propagation,
                      const char *why)
{
	int r = add_action(p->deletes, &p->n_deletes, kind, jsonutil_name(obj),
	                   kind != RES_CLUSTERROLEBINDING, NULL, propagation, why);

	if (!r)
		p->deletes[p->n_deletes - 1].uid = obj_uid(obj);
	return r;
}

/* Apply desired (kind/name); unseen when nothing holds the name. */
static int add_apply(const struct view *v, struct plan *p, enum res kind, const char *name,
                     bool namespaced, json_object *desired)
{
	int r = add_action(p->applies, &p->n_applies, kind, name, namespaced, desired, NULL, NULL);

	if (!r)
		p->applies[p->n_applies - 1].unseen = !find_any(v, kind, name);
	return r;
}

/* Merge-patch our CronJob cj to spec.suspend=true unless it is already. */
static int add_suspend(struct plan *p, json_object *cj)
{
	json_object *sus = jsonutil_get(jsonutil_get(cj, "spec"), "suspend");
	json_object *patch;
	int r;

	if (!cj || (sus && json_object_get_boolean(sus)))
		return 0;
	patch = json_tokener_parse("{\"spec\":{\"suspend\":true}}");
	if (!patch)
		return -ENOMEM;
	r = add_action(p->patches, &p->n_patches, RES_CRONJOB, jsonutil_name(cj), true, patch, NULL,
	               "suspend");
	json_object_put(patch);
	return r;
}

void plan_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n_deletes; i++)
		free(p->deletes[i].name);
	for (i = 0; i < p->n_patches; i++) {
		free(p->patches[i].name);
		json_object_put(p->patches[i].obj);
	}
	for (i = 0; i < p->n_applies; i++) {
		free(p->applies[i].name);
		json_object_put(p->applies[i].obj);
	}
	free(p->deletes);
	free(p->patches);
	free(p->applies);
	json_object_put(p->status);
	memset(p, 0, sizeof(*p));
}

/* What the run part of the plan found; the status is written from it. */
struct run {
	const char *phase;
	const char *ready_reason;
	bool ready;
	struct buf msg;
	const char *hash;     /* status.configHash */
	const char *last_run; /* borrowed timestamps */
	const char *last_done;
	int complete; /* 1 ok, -1 failed, 0 running, 2 none (cron), 3 carried over,
	                 4 stopped */
	struct buf complete_msg;
	bool list_run_child;
	enum res run_kind;
	const char *run_name;
	const char *run_token; /* status.runToken */
	bool stopped;          /* this pass stopped the active run(s) */
};

static bool stale_active(const struct view *v, json_object *job)
{
	const struct build_out *d = v->in->desired;

	if (!ours(v, RES_JOB, job) || job_outcome(job, NULL, NULL) != 0)
		return false;
	if (d->job_name && streq(jsonutil_name(job), d->job_name))
		return false;
	/* A run of the desired CronJob is that CronJob's business, and so is
	 * a run started now from its template. */
	if (d->cronjob && (streq(controller_kind(job), res_kind(RES_CRONJOB)) || is_run_now(job)))
		return false;
	/* The one-shot's current run, started by the run annotation. */
	if (!d->cronjob && v->recorded_run_now[0] &&
	    streq(jsonutil_name(job), v->recorded_run_now) &&
	    streq(v->in->aj->status.config_hash, d->config_hash))
		return false;
	return true;
}

static int delete_stale(const struct view *v, struct plan *p, const char **first)
{
	size_t i;
	int r;

	*first = NULL;
	for (i = 0; i < v->in->n_observed; i++) {
		const struct plan_child *c = &v->in->observed[i];

		if (c->kind != RES_JOB || !stale_active(v, c->obj))
			continue;
		if (!*first)
			*first = jsonutil_name(c->obj);
		if (p && (r = add_delete(p, RES_JOB, c->obj, "Background", "replace")) < 0)
			return r;
	}
	return 0;
}

static bool replace_policy(const struct tk_agentjob *aj)
{
	return streq(aj->spec.concurrency_policy, "Replace");
}

/* The run Job name waits in its AgentAuth's queue: phase Queued, with
 * its position. */
static int queued_status(const struct view *v, struct run *run, const char *name)
{
	const struct runq *q = v->in->queue;
	size_t pos = q ? runq_position(q, name) : 0;

	run->phase = STATUS_QUEUED;
	run->ready = true;
	run->ready_reason = "Queued";
	buf_reset(&run->msg);
	if (pos)
		return buf_printf(
		    &run->msg,
		    "job %s waits for AgentAuth %s (maxConcurrentRuns %lld): position "
		    "%zu of %zu",
		    name, v->in->queue_auth ? v->in->queue_auth : "", (long long)v->in->queue_limit,
		    pos, q->waiting.n);
	return buf_printf(&run->msg, "job %s waits for AgentAuth %s (maxConcurrentRuns %lld)", name,
	                  v->in->queue_auth ? v->in->queue_auth : "",
	                  (long long)v->in->queue_limit);
}

/* Our active Jobs: *running the first not suspended, *waiting the first
 * suspended (NULL when none). */
static void active_jobs(const struct view *v, const char **running, const char **waiting)
{
	size_t i;

	*running = *waiting = NULL;
	for (i = 0; i < v->in->n_observed; i++) {
		const struct plan_child *c = &v->in->observed[i];

		if (c->kind != RES_JOB || !ours(v, RES_JOB, c->obj) || !job_active(c->obj))
			continue;
		if (runq_waiting(c->obj)) {
			if (!*waiting)
				*waiting = jsonutil_name(c->obj);
		} else if (!*running) {
			*running = jsonutil_name(c->obj);
		}
	}
}

/* ---- adopting a run thurkube made (status.h, issue 13) ------------------ */

static bool label_is(json_object *obj, const char *label, const char *want)
{
	return streq(jsonutil_label(obj, label), want);
}

/*
 * The Job thurkube made for the current agent.json, when observed: named
 * <name>-<thurkube hash>, controlled by this AgentJob (thurkube set that
 * ownerReference) and carrying thurkube's four labels with this
 * AgentJob's values. A Job holding the name without them is someone
 * else's and is never adopted.
 */
static json_object *thurkube_job(const struct view *v)
{
	json_object *job = find_ours(v, RES_JOB, v->in->desired->thurkube_job_name);

	if (!job || !label_is(job, NAMES_LABEL_MANAGED_BY, NAMES_MANAGED_BY) ||
	    !label_is(job, NAMES_LABEL_AGENTJOB, v->name) ||
	    !label_is(job, NAMES_LABEL_AGENTJOB_NS, v->ns) ||
	    !label_is(job, NAMES_LABEL_OWNER_UID, v->uid))
		return NULL;
	return job;
}

/*
 * The adoption rule of status.h, asked only when the current
 * configuration has no run yet. The Complete condition is the mark that
 * this controller has recorded a run (launched or adopted): thurkube
 * never writes it, and once it exists nothing is adopted again, so a later
 * change that leaves agent.json alone (an image, env) still runs although
 * thurkube's Job for that agent.json may still be there.
 */
static bool adopts(const struct view *v)
{
	const struct tk_agentjob_status *ps = &v->in->aj->status;
	const struct build_out *d = v->in->desired;

	if (!d->thurkube_job_name || status_find_condition(ps->conditions, STATUS_COND_COMPLETE))
		return false;
	return streq(ps->config_hash, d->thurkube_hash) || thurkube_job(v);
}

/* The Job status.ownedResources records as the run of status.configHash. */
static const char *recorded_job(const struct tk_agentjob_status *ps)
{
	json_object *a = ps->owned_resources;
	size_t i, n;

	if (!a || !json_object_is_type(a, json_type_array))
		return NULL;
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);

		if (res_of_kind(jsonutil_str(e, "kind")) == RES_JOB)
			return jsonutil_str(e, "name");
	}
	return NULL;
}

/* The Job that is (or would be) the run of the desired configuration:
 * ours, or thurkube's when an earlier pass adopted it for this very
 * configuration (status.configHash is the desired hash). */
static const char *run_job_name(const struct view *v)
{
	const struct tk_agentjob_status *ps = &v->in->aj->status;
	const struct build_out *d = v->in->desired;

	if (streq(ps->config_hash, d->config_hash) && !find_ours(v, RES_JOB, d->job_name) &&
	    streq(recorded_job(ps), d->thurkube_job_name))
		return d->thurkube_job_name;
	/* The run the run annotation started for this configuration. */
	if (v->recorded_run_now[0] && streq(ps->config_hash, d->config_hash) &&
	    streq(recorded_job(ps), v->recorded_run_now))
		return v->recorded_run_now;
	return d->job_name;
}

/* The Ready reason of a recorded failed run: a lost run stays lost, so the
 * pass after JobLost does not rewrite the status. */
static const char *recorded_failure(const struct tk_agentjob_status *ps)
{
	json_object *ready = status_find_condition(ps->conditions, STATUS_COND_READY);

	return streq(jsonutil_str(ready, "reason"), "JobLost") ? "JobLost" : "JobFailed";
}

/* The run is not launched: start it, or hold it (suspend, Forbid). */
static int plan_launch(const struct view *v, struct plan *p, struct run *run)
{
	const struct tk_agentjob *aj = v->in->aj;
	const struct tk_agentjob_status *ps = &aj->status;
	const struct build_out *d = v->in->desired;
	const char *stale = NULL;
	int r;

	if ((r = delete_stale(v, NULL, &stale)) < 0)
		return r;
	/* Not launched: the previous run's record stays as it was. */
	run->hash = ps->config_hash;
	run->complete = 3;
	if (aj->spec.suspend) {
		run->phase = STATUS_SUSPENDED;
		run->ready_reason = "Suspended";
		return buf_printf(&run->msg, "suspended: job %s starts when spec.suspend is false",
		                  d->job_name);
	}
	if (stop_requested(aj)) {
		/* Nothing starts while a stop is being handled. */
		run->phase = STATUS_STOPPED;
		run->ready_reason = "Stopped";
		return buf_printf(&run->msg,
		                  "stop requested: job %s starts once the annotation %s is handled",
		                  d->job_name, NAMES_ANN_STOP);
	}
	if (stale && !replace_policy(aj)) {
		json_object *old = find_ours(v, RES_JOB, stale);

		p->waiting = true;
		run->phase = STATUS_RUNNING;
		run->ready_reason = "WaitingForActiveRun";
		run->last_run = later(ps->last_run_time,
		                      jsonutil_str(jsonutil_get(old, "status"), "startTime"));
		return buf_printf(&run->msg,
		                  "configuration changed: job %s starts when job %s finishes "
		                  "(concurrencyPolicy Forbid)",
		                  d->job_name, stale);
	}
	if (stale && (r = delete_stale(v, p, &stale)) < 0)
		return r;
	p->launch = true;
	r = add_apply(v, p, RES_JOB, d->job_name, true, d->job);
	if (r < 0)
		return r;
	run->phase = STATUS_RUNNING;
	run->ready = true;
	run->ready_reason = "JobCreated";
	run->hash = d->config_hash;
	run->complete = 0;
	run->list_run_child = true;
	if ((r = buf_printf(&run->msg, "created job %s", d->job_name)) < 0)
		return r;
	return buf_printf(&run->complete_msg, "job %s is running", d->job_name);
}

static int plan_oneshot(const struct view *v, struct plan *p, struct run *run)
{
	const struct tk_agentjob *aj = v->in->aj;
	const struct tk_agentjob_status *ps = &aj->status;
	const struct build_out *d = v->in->desired;
	const char *name = run_job_name(v);
	json_object *job = find_ours(v, RES_JOB, name);
	json_object *pc = status_find_condition(ps->conditions, STATUS_COND_COMPLETE);
	bool launched = job || streq(ps->config_hash, d->config_hash);
	bool adopted = !launched && adopts(v);
	const char *when = NULL, *why = NULL, *by = "";
	int r = 0, out;

	run->run_kind = RES_JOB;
	run->last_run = ps->last_run_time;
	run->last_done = ps->last_completion_time;
	if (!launched && !adopted) {
		run->run_name = d->job_name;
		return plan_launch(v, p, run);
	}
	if (adopted) {
		/* thurkube ran this agent.json: its Job, left as it is, is the
		 * run of the current configuration. */
		p->adopted = true;
		name = d->thurkube_job_name;
		job = thurkube_job(v);
	}
	if (streq(name, d->thurkube_job_name))
		by = " (started by thurkube, adopted)";
	run->run_name = name;
	run->hash = d->config_hash;
	run->list_run_child = true;
	if (job) {
		out = job_outcome(job, &when, &why);
		run->last_run = later(ps->last_run_time,
		                      jsonutil_str(jsonutil_get(job, "status"), "startTime"));
		run->last_done =
		    out ? later(ps->last_completion_time, when) : ps->last_completion_time;
	} else if (pc && streq(jsonutil_str(pc, "status"), "True") &&
	           streq(jsonutil_str(pc, "reason"), STATUS_STOPPED)) {
		/* Stopped by the stop annotation; its Job was deleted then. */
		run->complete = 3;
		run->phase = STATUS_STOPPED;
		run->ready_reason = "Stopped";
		return buf_puts(&run->msg,
		                jsonutil_str(pc, "message") ? jsonutil_str(pc, "message") : "");
	} else if (pc && streq(jsonutil_str(pc, "status"), "True")) {
		/* Finished and recorded: the Job was removed by its TTL. */
		out = streq(jsonutil_str(pc, "reason"), STATUS_SUCCEEDED) ? 1 : -1;
		run->complete = out;
		run->phase = out > 0 ? STATUS_SUCCEEDED : STATUS_FAILED;
		run->ready = out > 0;
		run->ready_reason = out > 0 ? "Succeeded" : recorded_failure(ps);
		r = buf_puts(&run->msg,
		             jsonutil_str(pc, "message") ? jsonutil_str(pc, "message") : "");
		if (!r)
			r = buf_puts(&run->complete_msg, run->msg.data);
		return r;
	} else if (stop_requested(aj) && !adopted) {
		/* Gone because this stop deleted it (the store may not show the
		 * status that said so yet): stopped, not lost. */
		run->complete = 4;
		run->phase = STATUS_STOPPED;
		run->ready_reason = "Stopped";
		r = buf_printf(&run->msg, "stopped job %s (annotation %s)", name, NAMES_ANN_STOP);
		if (!r)
			r = buf_puts(&run->complete_msg, run->msg.data);
		return r;
	} else if (v->in->job_gone || adopted) {
		/* Adopted without its Job: the I/O layer looked the name up
		 * (plan_job_to_confirm) and thurkube's Job is gone. */
		run->complete = -1;
		run->phase = STATUS_FAILED;
		run->ready_reason = "JobLost";
		r = buf_printf(&run->msg, "job %s%s was deleted before its outcome was observed",
		               name, by);
		if (!r)
			r = buf_puts(&run->complete_msg, run->msg.data);
		return r;
	} else {
		/* Launched a moment ago; the store has not seen it yet. */
		out = 0;
	}
	run->complete = out;
	if (out > 0) {
		run->phase = STATUS_SUCCEEDED;
		run->ready = true;
		run->ready_reason = "Succeeded";
		r = buf_printf(&run->msg, "job %s%s succeeded", name, by);
	} else if (out < 0) {
		run->phase = STATUS_FAILED;
		run->ready_reason = "JobFailed";
		r = buf_printf(&run->msg, "job %s%s failed%s%s", name, by, why ? ": " : "",
		               why ? why : "");
	} else if (job && runq_waiting(job)) {
		r = queued_status(v, run, name);
		if (!r)
			r = buf_printf(&run->complete_msg, "job %s is queued", name);
		return r;
	} else {
		run->phase = STATUS_RUNNING;
		run->ready = true;
		run->ready_reason = "Running";
		r = buf_printf(&run->msg, "job %s%s is running", name, by);
	}
	if (!r)
		r = buf_puts(&run->complete_msg, run->msg.data);
	return r;
}

static const char *cron_last_done(const struct view *v, json_object *cj)
{
	const char *t = later(v->in->aj->status.last_completion_time,
	                      jsonutil_str(jsonutil_get(cj, "status"), "lastSuccessfulTime"));
	size_t i;

	for (i = 0; i < v->in->n_observed; i++) {
		const struct plan_child *c = &v->in->observed[i];
		const char *when = NULL;

		if (c->kind == RES_JOB && ours(v, c->kind, c->obj) &&
		    (streq(controller_kind(c->obj), res_kind(RES_CRONJOB)) || is_run_now(c->obj)) &&
		    job_outcome(c->obj, &when, NULL) != 0)
			t = later(t, when);
	}
	return t;
}

/* The name of an active run-now Job of ours, else NULL. */
static const char *active_run_now(const struct view *v)
{
	size_t i;

	for (i = 0; i < v->in->n_observed; i++) {
		const struct plan_child *c = &v->in->observed[i];

		if (c->kind == RES_JOB && is_run_now(c->obj) && ours(v, RES_JOB, c->obj) &&
		    job_active(c->obj))
			return jsonutil_name(c->obj);
	}
	return NULL;
}

/* Any active Job of ours (a one-shot run, a CronJob's, a run-now). */
static bool any_active(const struct view *v)
{
	size_t i;

	for (i = 0; i < v->in->n_observed; i++) {
		const struct plan_child *c = &v->in->observed[i];

		if (c->kind == RES_JOB && ours(v, RES_JOB, c->obj) && job_active(c->obj))
			return true;
	}
	return false;
}

/*
 * A scheduled AgentJob reports Stopped while a stop is being handled, and
 * after it until a run of ours is active again or one finished after the
 * stop (last_done later than when Ready became Stopped).
 */
static bool cron_stopped(const struct view *v, const char *last_done)
{
	const struct tk_agentjob *aj = v->in->aj;
	json_object *ready = status_find_condition(aj->status.conditions, STATUS_COND_READY);
	const char *since = jsonutil_str(ready, "lastTransitionTime");

	if (any_active(v))
		return false;
	if (stop_requested(aj))
		return true;
	if (!streq(jsonutil_str(ready, "reason"), "Stopped"))
		return false;
	return !last_done || !since || streq(later(since, last_done), since);
}

static int plan_cron(const struct view *v, struct plan *p, struct run *run)
{
	const struct tk_agentjob *aj = v->in->aj;
	const struct build_out *d = v->in->desired;
	json_object *cj = find_ours(v, RES_CRONJOB, aj->meta.name);
	const char *stale = NULL, *now, *running, *waiting;
	size_t i;
	int r;

	run->run_kind = RES_CRONJOB;
	run->run_name = aj->meta.name;
	run->hash = d->config_hash;
	run->complete = 2;
	run->list_run_child = true;
	run->last_run = later(aj->status.last_run_time,
	                      jsonutil_str(jsonutil_get(cj, "status"), "lastScheduleTime"));
	for (i = 0; i < v->in->n_observed; i++) {
		const struct plan_child *c = &v->in->observed[i];

		if (c->kind == RES_JOB && is_run_now(c->obj) && ours(v, RES_JOB, c->obj))
			run->last_run =
			    later(run->last_run,
			          jsonutil_str(jsonutil_get(c->obj, "status"), "startTime"));
	}
	run->last_done = cron_last_done(v, cj);
	if ((r = delete_stale(v, NULL, &stale)) < 0)
		return r;
	if (stale && !replace_policy(aj) && !cj && !aj->spec.suspend) {
		p->waiting = true;
		run->list_run_child = false;
		run->phase = STATUS_RUNNING;
		run->ready_reason = "WaitingForActiveRun";
		return buf_printf(
		    &run->msg,
		    "cronjob %s is created when job %s finishes (concurrencyPolicy Forbid)",
		    aj->meta.name, stale);
	}
	if (stale && replace_policy(aj) && (r = delete_stale(v, p, &stale)) < 0)
		return r;
	if (!cj || !build_subset(d->cronjob, cj)) {
		r = add_apply(v, p, RES_CRONJOB, aj->meta.name, true, d->cronjob);
		if (r < 0)
			return r;
	}
	if (aj->spec.suspend) {
		run->phase = STATUS_SUSPENDED;
		run->ready_reason = "Suspended";
		return buf_printf(&run->msg, "suspended: cronjob %s starts no new run%s",
		                  aj->meta.name,
		                  cron_active(cj) ? "; the active run finishes" : "");
	}
	run->ready = true;
	active_jobs(v, &running, &waiting);
	if (!running && waiting)
		return queued_status(v, run, waiting);
	if (cron_stopped(v, run->last_done)) {
		/* The stopped run stays the news until the next one starts or
		 * finishes; the Jobs are read from the store, since the
		 * CronJob's own list of active runs lags behind the deletion. */
		json_object *ready =
		    status_find_condition(aj->status.conditions, STATUS_COND_READY);

		run->ready = false;
		run->phase = STATUS_STOPPED;
		run->ready_reason = "Stopped";
		if (!stop_requested(aj) && jsonutil_str(ready, "message"))
			return buf_puts(&run->msg, jsonutil_str(ready, "message"));
		return buf_printf(&run->msg, "stopped the active run of cronjob %s (annotation %s)",
		                  aj->meta.name, NAMES_ANN_STOP);
	}
	if (cron_active(cj) || (running && !active_run_now(v))) {
		/* The CronJob's list of active runs, or a run of its template
		 * seen first (a manual `kubectl create job --from=cronjob/...`). */
		run->phase = STATUS_RUNNING;
		run->ready_reason = "Running";
		return buf_printf(&run->msg, "cronjob %s has an active run", aj->meta.name);
	}
	if ((now = active_run_now(v))) {
		run->phase = STATUS_RUNNING;
		run->ready_reason = "Running";
		return buf_printf(&run->msg, "job %s (started by the run annotation) is running",
		                  now);
	}
	run->phase = STATUS_SCHEDULED;
	run->ready_reason = "Scheduled";
	return buf_printf(&run->msg, "cronjob %s runs on \"%s\" (%s)", aj->meta.name,
	                  aj->spec.schedule, aj->spec.timezone ? aj->spec.timezone : "Etc/UTC");
}

/* ---- run controls (docs/api-guide.md, Runs) --------------------------------------- */

/*
 * NAMES_ANN_STOP is "true": delete (propagation Background, so the pods
 * terminate) every active Job of ours: the one-shot's run, the CronJob's,
 * the run-now ones. With none left, remove the annotation (a merge patch
 * of the AgentJob), so the next run is not affected; until then each pass
 * deletes again whatever is still active, so a lagging store never lets a
 * run survive the stop.
 */
static int plan_stop(const struct view *v, struct plan *p, struct run *run)
{
	json_object *patch;
	size_t i;
	int r = 0, n = 0;

	for (i = 0; i < v->in->n_observed && !r; i++) {
		const struct plan_child *c = &v->in->observed[i];

		if (c->kind != RES_JOB || !ours(v, RES_JOB, c->obj) || !job_active(c->obj))
			continue;
		r = add_delete(p, RES_JOB, c->obj, "Background", "stop");
		if (!r)
			r = buf_printf(&run->msg, "%sjob %s", n++ ? ", " : "stopped ",
			               jsonutil_name(c->obj));
	}
	if (r)
		return r;
	if (n) {
		run->stopped = true;
		return buf_puts(&run->msg, " (annotation " NAMES_ANN_STOP ")");
	}
	patch =
	    json_tokener_parse("{\"metadata\":{\"annotations\":{\"" NAMES_ANN_STOP "\":null}}}");
	if (!patch)
		return -ENOMEM;
	r = add_action(p->patches, &p->n_patches, RES_AGENTJOB, v->name, true, patch, NULL,
	               "stop handled");
	json_object_put(patch);
	return r;
}

/*
 * A new NAMES_ANN_RUN value: one Job now, from the one-shot Job's or the
 * CronJob's template, named from the value (build_run_now), so an apply
 * repeated after a failover finds the same Job and starts nothing more.
 * The value goes into status.runToken. Held while suspended or stopping,
 * and while this pass launches the one-shot's own run (the next pass
 * starts it).
 */
static int plan_run_now(const struct view *v, struct plan *p, struct run *run)
{
	const struct tk_agentjob *aj = v->in->aj;
	const struct build_out *d = v->in->desired;
	json_object *job;
	int r;

	if (!v->new_token || aj->spec.suspend || stop_requested(aj) || p->launch)
		return 0;
	/* Already made (a pass that read our status from before): never
	 * applied again, which could suspend it anew after its queue released
	 * it. A foreign holder of the name is not ours to run. */
	if (find_any(v, RES_JOB, v->new_run_now)) {
		if (!find_ours(v, RES_JOB, v->new_run_now))
			return 0;
	} else {
		job = build_run_now(aj, d, v->new_token);
		if (!job)
			return -ENOMEM;
		r = add_apply(v, p, RES_JOB, v->new_run_now, true, job);
		json_object_put(job);
		if (r < 0)
			return r;
		p->launch = true;
	}
	run->run_token = v->new_token;
	run->phase = STATUS_RUNNING;
	run->ready = true;
	run->ready_reason = "JobCreated";
	buf_reset(&run->msg);
	r = buf_printf(&run->msg, "created job %s (annotation %s=%s)", v->new_run_now,
	               NAMES_ANN_RUN, v->new_token);
	if (r || d->cronjob)
		return r;
	/* A one-shot: this Job is now the run of the current configuration. */
	run->hash = d->config_hash;
	run->run_kind = RES_JOB;
	run->run_name = v->new_run_now;
	run->list_run_child = true;
	run->complete = 0;
	buf_reset(&run->complete_msg);
	return buf_printf(&run->complete_msg, "job %s is running", v->new_run_now);
}

/* The stop overrides what the run part found: the run is over. */
static int stopped_status(const struct view *v, struct run *run)
{
	run->phase = STATUS_STOPPED;
	run->ready = false;
	run->ready_reason = "Stopped";
	if (v->in->desired->cronjob)
		return 0;
	run->complete = 4;
	buf_reset(&run->complete_msg);
	return buf_puts(&run->complete_msg, run->msg.data ? run->msg.data : "stopped");
}

/* Apply the fixed children (everything but the run) when they differ. */
static int plan_fixed(const struct view *v, struct plan *p)
{
	const struct build_out *d = v->in->desired;
	const struct {
		enum res kind;
		json_object *obj;
		bool namespaced;
	} fixed[] = {
	    {RES_CONFIGMAP, d->configmap, true},
	    {RES_PVC, d->pvc, true},
	    {RES_SERVICEACCOUNT, d->service_account, true},
	    {RES_CLUSTERROLEBINDING, d->crb, false},
	    {RES_NETWORKPOLICY, d->network_policy, true},
	};
	size_t i;
	int r;

	for (i = 0; i < TK_ARRAY_LEN(fixed); i++) {
		const char *name;
		json_object *o;

		if (!fixed[i].obj)
			continue;
		/* A foreign holder of the name is a conflict, found before. */
		name = jsonutil_name(fixed[i].obj);
		o = find_ours(v, fixed[i].kind, name);
		if (o && fixed[i].kind == RES_CLUSTERROLEBINDING &&
		    !streq(jsonutil_str(jsonutil_get(o, "roleRef"), "name"),
		           jsonutil_str(jsonutil_get(fixed[i].obj, "roleRef"), "name"))) {
			/* roleRef is immutable: replace the binding. */
			r = add_delete(p, RES_CLUSTERROLEBINDING, o, "Background",
			               "roleRef changed");
			if (r < 0)
				return r;
			o = NULL;
		}
		if (o && build_subset(fixed[i].obj, o))
			continue;
		r = add_apply(v, p, fixed[i].kind, name, fixed[i].namespaced, fixed[i].obj);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool desired_has(const struct build_out *d, enum res kind, const char *name)
{
	json_object *objs[] = {d->configmap, d->pvc,     d->service_account,
	                       d->crb,       d->cronjob, d->network_policy};
	size_t i;

	for (i = 0; i < TK_ARRAY_LEN(objs); i++) {
		if (objs[i] && res_of_kind(jsonutil_str(objs[i], "kind")) == kind &&
		    streq(jsonutil_name(objs[i]), name))
			return true;
	}
	return false;
}

static int plan_prune(const struct view *v, struct plan *p)
{
	const struct tk_agentjob *aj = v->in->aj;
	size_t i;
	int r;

	for (i = 0; i < v->in->n_observed; i++) {
		const struct plan_child *c = &v->in->observed[i];
		const char *name = jsonutil_name(c->obj);

		if (!ours(v, c->kind, c->obj) || !name || c->kind == RES_PVC ||
		    c->kind == RES_JOB || desired_has(v->in->desired, c->kind, name))
			continue;
		if (c->kind == RES_CRONJOB && !replace_policy(aj) && cron_active(c->obj)) {
			/* Orphan would strip the run's ownerReference and with
			 * it our claim on the run: stop the CronJob instead and
			 * delete it once the run finished. */
			if ((r = add_suspend(p, c->obj)) < 0)
				return r;
			continue;
		}
		r = add_delete(p, c->kind, c->obj, "Background", "prune");
		if (r < 0)
			return r;
	}
	return 0;
}

static int owned_add(json_object *arr, enum res kind, const char *name)
{
	json_object *e = json_object_new_object();
	int r = e ? 0 : -ENOMEM;

	if (!r)
		r = status_put_str(e, "kind", res_kind(kind));
	if (!r)
		r = status_put_str(e, "name", name);
	if (!r && json_object_array_add(arr, e) < 0)
		r = -ENOMEM;
	if (r)
		json_object_put(e);
	return r;
}

static json_object *owned_list(const struct view *v, const struct run *run)
{
	const struct build_out *d = v->in->desired;
	json_object *objs[] = {d->configmap, d->pvc, d->service_account, d->crb, d->network_policy};
	json_object *a = json_object_new_array();
	size_t i;
	int r = a ? 0 : -ENOMEM;

	for (i = 0; i < TK_ARRAY_LEN(objs) && !r; i++) {
		if (!objs[i])
			continue;
		r = owned_add(a, res_of_kind(jsonutil_str(objs[i], "kind")),
		              jsonutil_name(objs[i]));
	}
	if (!r && run->list_run_child)
		r = owned_add(a, run->run_kind, run->run_name);
	if (r) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

static int put_copy(json_object *dst, const char *key, json_object *src)
{
	json_object *c = NULL;

	if (!src)
		return 0;
	if (json_object_deep_copy(src, &c, NULL) != 0)
		return -ENOMEM;
	return jsonutil_add(dst, key, c);
}

/* Copy condition type from prev into conds unchanged, when present. */
static int carry_condition(json_object *conds, json_object *prev, const char *type)
{
	json_object *pc = status_find_condition(prev, type);
	json_object *c = NULL;

	if (!pc)
		return 0;
	if (json_object_deep_copy(pc, &c, NULL) != 0 || json_object_array_add(conds, c) < 0) {
		json_object_put(c);
		return -ENOMEM;
	}
	return 0;
}

/*
 * The status while the applies are held: phase Pending, Ready False with
 * reason and msg; ReferencesResolved False with the same when refs_ok is
 * false, else True. Everything else is carried over.
 */
static int status_held(const struct view *v, json_object *s, json_object *conds, const char *reason,
                       const char *msg, bool refs_ok)
{
	const struct tk_agentjob *aj = v->in->aj;
	json_object *prev = aj->status.conditions;
	int r;

	r = status_put_str(s, "phase", STATUS_PENDING);
	if (!r)
		r = status_put_str(s, "message", msg);
	if (!r)
		r = jsonutil_add_int(s, "observedGeneration", aj->meta.generation);
	if (!r)
		r = status_put_str(s, "configHash", aj->status.config_hash);
	if (!r)
		r = status_put_str(s, "runToken", aj->status.run_token);
	if (!r)
		r = status_put_str(s, "lastRunTime", aj->status.last_run_time);
	if (!r)
		r = status_put_str(s, "lastCompletionTime", aj->status.last_completion_time);
	if (!r)
		r = aj->status.owned_resources
		        ? put_copy(s, "ownedResources", aj->status.owned_resources)
		        : jsonutil_add(s, "ownedResources", json_object_new_array());
	if (!r)
		r = put_copy(s, "lastRun", jsonutil_get(aj->status.raw, "lastRun"));
	if (!r)
		r = status_set_condition(conds, prev, STATUS_COND_READY, false, reason, msg,
		                         aj->meta.generation, v->in->now);
	if (!r)
		r = status_set_condition(
		    conds, prev, STATUS_COND_REFS, refs_ok, refs_ok ? "Resolved" : reason,
		    refs_ok ? "all references resolved" : msg, aj->meta.generation, v->in->now);
	if (!r)
		r = carry_condition(conds, prev, STATUS_COND_COMPLETE);
	return r;
}

/* The status when references are missing. */
static int status_pending(const struct view *v, json_object *s, json_object *conds)
{
	const struct tk_agentjob *aj = v->in->aj;
	const struct strlist *lists[] = {v->in->missing, v->in->invalid};
	const char *reason = v->in->missing && v->in->missing->n ? "NotFound" : "InvalidReference";
	struct buf msg = BUF_INIT(16384);
	size_t i, j;
	int r;

	r = buf_printf(&msg, "references not resolved in namespace %s:", aj->meta.namespace);
	for (i = 0; i < TK_ARRAY_LEN(lists) && !r; i++) {
		for (j = 0; lists[i] && j < lists[i]->n && !r; j++)
			r = buf_printf(&msg, "%s %s%s", i + j ? "," : "", lists[i]->v[j],
			               i ? " (invalid)" : " (not found)");
	}
	if (r == -E2BIG)
		r = 0; /* the list is long enough to be understood */
	if (!r)
		r = status_held(v, s, conds, reason, msg.data, false);
	buf_free(&msg);
	return r;
}

/* ---- conflicts and revocations ----------------------------------------- */

/*
 * Name every desired child whose name an object not ours holds, into msg
 * ("; " between them). Returns the count, or a negative errno.
 */
static int find_conflicts(const struct view *v, struct buf *msg)
{
	const struct build_out *d = v->in->desired;
	json_object *objs[] = {d->configmap, d->pvc, d->service_account, d->crb,
	                       d->cronjob,   d->job, d->network_policy};
	size_t i;
	int n = 0, r;

	for (i = 0; i < TK_ARRAY_LEN(objs); i++) {
		enum res kind = res_of_kind(jsonutil_str(objs[i], "kind"));
		const char *name = jsonutil_name(objs[i]);
		json_object *o = find_any(v, kind, name);

		if (!objs[i] || !o || ours(v, kind, o))
			continue;
		r = buf_printf(msg, "%s%s \"%s\" exists and is not controlled by this AgentJob",
		               n ? "; " : "", res_kind(kind), name);
		if (r < 0 && r != -E2BIG)
			return r;
		n++;
	}
	return n;
}

/* spec.clusterAccessRef names nothing usable: empty, or its ClusterAccess
 * missing (being deleted counts) or invalid. */
static bool access_revoked(const struct view *v)
{
	const char *ref = v->in->aj->spec.cluster_access_ref;
	const struct strlist *lists[] = {v->in->missing, v->in->invalid};
	size_t i, j;

	if (!ref || !*ref)
		return true;
	for (i = 0; i < TK_ARRAY_LEN(lists); i++) {
		for (j = 0; lists[i] && j < lists[i]->n; j++) {
			const char *e = lists[i]->v[j];

			if (!strncmp(e, "ClusterAccess/", 14) && streq(e + 14, ref))
				return true;
		}
	}
	return false;
}

/* The ServiceAccount the binding names is held by a foreign object. */
static bool runner_foreign(const struct view *v)
{
	const struct build_out *d = v->in->desired;
	json_object *o;

	if (!d || !d->service_account)
		return false;
	o = find_any(v, RES_SERVICEACCOUNT, jsonutil_name(d->service_account));
	return o && !ours(v, RES_SERVICEACCOUNT, o);
}

/*
 * What runs even while the applies are held: delete our bindings when the
 * access is revoked (or would bind a foreign ServiceAccount), suspend our
 * CronJob when spec.suspend is true.
 */
static int plan_revoke(const struct view *v, struct plan *p)
{
	size_t i;
	int r;

	if (access_revoked(v) || runner_foreign(v)) {
		for (i = 0; i < v->in->n_observed; i++) {
			const struct plan_child *c = &v->in->observed[i];

			if (c->kind != RES_CLUSTERROLEBINDING || !ours(v, c->kind, c->obj))
				continue;
			if ((r = add_delete(p, c->kind, c->obj, "Background", "revoke")) < 0)
				return r;
		}
	}
	if (v->in->aj->spec.suspend)
		return add_suspend(p, own_cronjob(v));
	return 0;
}

static int status_resolved(const struct view *v, struct run *run, json_object *s,
                           json_object *conds)
{
	const struct tk_agentjob *aj = v->in->aj;
	const int64_t gen = aj->meta.generation;
	const time_t now = v->in->now;
	json_object *prev = aj->status.conditions;
	int r;

	r = status_put_str(s, "phase", run->phase);
	if (!r)
		r = status_put_str(s, "message", run->msg.data);
	if (!r)
		r = jsonutil_add_int(s, "observedGeneration", gen);
	if (!r)
		r = status_put_str(s, "configHash", run->hash);
	if (!r)
		r = status_put_str(s, "runToken", run->run_token);
	if (!r)
		r = status_put_str(s, "lastRunTime", run->last_run);
	if (!r)
		r = status_put_str(s, "lastCompletionTime", run->last_done);
	if (!r)
		r = jsonutil_add(s, "ownedResources", owned_list(v, run));
	if (!r)
		r = put_copy(s, "lastRun", jsonutil_get(aj->status.raw, "lastRun"));
	if (!r)
		r = status_set_condition(conds, prev, STATUS_COND_READY, run->ready,
		                         run->ready_reason, run->msg.data, gen, now);
	if (!r)
		r = status_set_condition(conds, prev, STATUS_COND_REFS, true, "Resolved",
		                         "all references resolved", gen, now);
	if (!r && run->complete == 3)
		r = carry_condition(conds, prev, STATUS_COND_COMPLETE);
	else if (!r && run->complete != 2)
		r = status_set_condition(conds, prev, STATUS_COND_COMPLETE, run->complete != 0,
		                         run->complete == 4  ? STATUS_STOPPED
		                         : run->complete > 0 ? STATUS_SUCCEEDED
		                         : run->complete < 0 ? STATUS_FAILED
		                                             : STATUS_RUNNING,
		                         run->complete_msg.data, gen, now);
	return r;
}

static bool binding_present(const struct view *v)
{
	size_t i;

	for (i = 0; i < v->in->n_observed; i++)
		if (v->in->observed[i].kind == RES_CLUSTERROLEBINDING &&
		    ours(v, RES_CLUSTERROLEBINDING, v->in->observed[i].obj))
			return true;
	return false;
}

/* A conflict or a failed lookup: only the revocations, and say why. */
static int plan_held(const struct view *v, struct plan *p, json_object *conds,
                     struct buf *conflicts, int n_conflicts)
{
	int r = plan_revoke(v, p);

	if (r)
		return r;
	p->conflict = n_conflicts > 0;
	if (p->conflict)
		return status_held(v, p->status, conds, "NameConflict", conflicts->data, true);
	return status_held(v, p->status, conds, "ApplyFailed",
	                   "a child's name could not be looked up", true);
}

int plan_make(const struct plan_input *in, struct plan *out)
{
	struct plan p = {0};
	struct run run = {.msg = BUF_INIT(4096), .complete_msg = BUF_INIT(4096)};
	struct run stop = {.msg = BUF_INIT(4096)};
	struct buf conflicts = BUF_INIT(4096);
	struct view v;
	json_object *conds = NULL;
	int r, n = 0;

	if (!in || !in->aj || !in->aj->meta.name || !in->aj->meta.namespace)
		return -EINVAL;
	view_init(&v, in);
	run.run_token = in->aj->status.run_token;
	p.deletes = calloc(2 * in->n_observed + 2, sizeof(*p.deletes));
	p.patches = calloc(in->n_observed + 2, sizeof(*p.patches));
	p.applies = calloc(MAX_APPLIES, sizeof(*p.applies));
	p.status = json_object_new_object();
	conds = json_object_new_array();
	if (!p.deletes || !p.patches || !p.applies || !p.status || !conds) {
		r = -ENOMEM;
		goto out;
	}
	if (in->desired && (n = find_conflicts(&v, &conflicts)) < 0) {
		r = n;
		goto out;
	}
	p.needs_binding = binding_present(&v);
	if (!in->desired) {
		r = plan_revoke(&v, &p);
		if (!r)
			r = status_pending(&v, p.status, conds);
		goto done;
	}
	if (n || in->unverified) {
		r = plan_held(&v, &p, conds, &conflicts, n);
		goto done;
	}
	p.needs_binding = p.needs_binding || in->desired->crb;
	r = plan_fixed(&v, &p);
	if (!r)
		r = plan_prune(&v, &p);
	if (!r && stop_requested(in->aj))
		r = plan_stop(&v, &p, &stop);
	if (!r)
		r = in->desired->cronjob ? plan_cron(&v, &p, &run) : plan_oneshot(&v, &p, &run);
	if (!r && stop.stopped) {
		buf_reset(&run.msg);
		r = buf_puts(&run.msg, stop.msg.data);
		if (!r)
			r = stopped_status(&v, &run);
	}
	if (!r)
		r = plan_run_now(&v, &p, &run);
	if (!r)
		r = status_resolved(&v, &run, p.status, conds);
done:
	if (!r) {
		r = jsonutil_add(p.status, "conditions", conds);
		conds = NULL;
	}
out:
	json_object_put(conds);
	buf_free(&conflicts);
	buf_free(&run.msg);
	buf_free(&run.complete_msg);
	buf_free(&stop.msg);
	if (r) {
		plan_free(&p);
		return r;
	}
	*out = p;
	return 0;
}

const char *plan_job_to_confirm(const struct plan_input *in)
{
	const struct tk_agentjob *aj = in->aj;
	const struct build_out *d = in->desired;
	json_object *pc;
	struct view v;
	const char *name;

	view_init(&v, in);
	if (!d || !d->job_name || stop_requested(aj))
		return NULL;
	if (!streq(aj->status.config_hash, d->config_hash)) {
		/* Adoption by status.configHash alone: thurkube's Job must be
		 * confirmed absent before its run is reported lost. */
		if (!find_ours(&v, RES_JOB, d->job_name) && adopts(&v) && !thurkube_job(&v))
			return d->thurkube_job_name;
		return NULL;
	}
	name = run_job_name(&v);
	if (find_ours(&v, RES_JOB, name))
		return NULL;
	pc = status_find_condition(aj->status.conditions, STATUS_COND_COMPLETE);
	if (pc && streq(jsonutil_str(pc, "status"), "True"))
		return NULL;
	/* The run-now name lives in v: return the same name from the status. */
	return name == v.recorded_run_now ? recorded_job(&aj->status) : name;
}

bool plan_job_needs_confirm(const struct plan_input *in)
{
	return plan_job_to_confirm(in) != NULL;
}

json_object *plan_result_job(const struct plan_input *in)
{
	const char *recorded, *when;
	json_object *best = NULL;
	time_t best_t = 0;
	struct view v;
	size_t i;

	if (!in || !in->aj || !in->desired)
		return NULL;
	view_init(&v, in);
	recorded = jsonutil_str(jsonutil_get(in->aj->status.raw, "lastRun"), "name");
	if (!in->desired->cronjob) {
		best = find_ours(&v, RES_JOB, run_job_name(&v));
		if (!best || job_outcome(best, NULL, NULL) == 0)
			return NULL;
		return streq(jsonutil_name(best), recorded) ? NULL : best;
	}
	for (i = 0; i < in->n_observed; i++) {
		const struct plan_child *c = &in->observed[i];
		time_t t = 0;

		when = NULL;
		if (c->kind != RES_JOB || !ours(&v, RES_JOB, c->obj) ||
		    job_outcome(c->obj, &when, NULL) == 0)
			continue;
		if (when && parse_rfc3339(when, &t) < 0)
			t = 0;
		if (!best || t > best_t) {
			best = c->obj;
			best_t = t;
		}
	}
	return best && !streq(jsonutil_name(best), recorded) ? best : NULL;
}

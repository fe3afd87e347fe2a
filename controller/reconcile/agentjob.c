/*
 * agentjob.c - the I/O edge of the AgentJob reconcile: read the
 * stores, let build.c and status.c decide, execute the plan, report.
 *
 * Finalizer decision: an AgentJob carries thurkube.thurbeen.eu/finalizer
 * only while it has a ClusterRoleBinding (desired or still present),
 * because that binding is cluster-scoped and cannot be garbage-collected
 * through an ownerReference. The finalizer is added before the binding
 * is created; on deletion the binding(s) labelled for the AgentJob and
 * carrying its uid in the owner-uid label are deleted and then the
 * finalizer is removed. Namespaced children go with the ownerReference
 * GC. When the binding is no longer wanted it is pruned at once and the
 * finalizer is removed on the next pass.
 *
 * Name lookups: the stores hold the children found by label (and, once
 * the informers filter them, only objects some AgentJob controls), so a
 * foreign object holding a desired child's name may be in no store. A name
 * nobody was seen holding is looked up in its store, then created with
 * apply_create: a server-side apply whose resourceVersion precondition no
 * existing object meets, so it creates the name or writes nothing. When
 * the name is held (a foreign object, or our own not yet cached), each
 * unseen name is looked up with one live GET, what is found joins the
 * observed children and the plan is made again (plan.h decides what is
 * ours). So a creation costs one request, and the GETs happen only when a
 * name turned out to be held: each pass while a conflict holds. A process
 * that does not lead makes none (it could not apply anyway) and returns
 * -ECANCELED.
 *
 * Execution order: deletes (revocations, prunes, replaced runs), then
 * merge patches (suspend), each tried even when another failed; then the
 * finalizer and the applies, only when every delete and patch succeeded.
 */
#include "compat.h"

#include <errno.h>
#include <stdarg.h>
#include <time.h>

#include "jsonutil.h"
#include "reconcile/apply.h"
#include "model/build.h"
#include "reconcile/reconcile.h"
#include "reconcile/events.h"
#include "log.h"
#include "schema.h"
#include "model/plan.h"
#include "model/results.h"
#include "model/runq.h"
#include "runtime/store.h"
#include "types.h"

/* Decoded references; arrays sized by the spec's ref lists. */
struct resolved {
	struct tk_agentruntime runtime;
	struct tk_agentauth auth;
	struct tk_agentrole role;
	struct tk_agentskill skill;
	struct tk_clusteraccess ca;
	struct tk_mcpserver *mcp;
	struct tk_repository *repos;
	size_t n_mcp, n_repos;
	bool have_runtime, have_auth, have_role, have_skill, have_ca;
	struct strlist missing;
	struct strlist invalid;
};

static void resolved_free(struct resolved *r)
{
	size_t i;

	if (r->have_runtime)
		tk_agentruntime_free(&r->runtime);
	if (r->have_auth)
		tk_agentauth_free(&r->auth);
	if (r->have_role)
		tk_agentrole_free(&r->role);
	if (r->have_skill)
		tk_agentskill_free(&r->skill);
	if (r->have_ca)
		tk_clusteraccess_free(&r->ca);
	for (i = 0; i < r->n_mcp; i++)
		tk_mcpserver_free(&r->mcp[i]);
	for (i = 0; i < r->n_repos; i++)
		tk_repository_free(&r->repos[i]);
	free(r->mcp);
	free(r->repos);
	strlist_free(&r->missing);
	strlist_free(&r->invalid);
}

/*
 * Fetch one reference from its store and decode it with dec into out.
 * A missing object (or a ClusterAccess being deleted) goes to missing, an
 * undecodable one to invalid; both return 0 with *ok false.
 */
static int resolve_one(struct reconcile_ctx *c, enum res res, const char *ns, const char *name,
                       int (*dec)(json_object *, void *, struct fielderrs *), void *out, bool *ok,
                       struct resolved *rs)
{
	const char *kind = res_info(res)->kind;
	struct fielderrs errs = {0};
	json_object *obj = store_get(c->stores[res], ns, name);
	int r = 0;

	*ok = false;
	if (!obj)
		return strlist_addf(&rs->missing, "%s/%s", kind, name);
	if (res == RES_CLUSTERACCESS &&
	    jsonutil_get(jsonutil_get(obj, "metadata"), "deletionTimestamp")) {
		r = strlist_addf(&rs->missing, "%s/%s", kind, name);
		goto out;
	}
	r = dec(obj, out, &errs);
	if (r == -EINVAL)
		r = strlist_addf(&rs->invalid, "%s/%s", kind, name);
	else if (r == 0)
		*ok = true;
out:
	fielderrs_free(&errs);
	json_object_put(obj);
	return r;
}

/* Adapters so every decoder has one signature. */
#define DEC(fn, type)                                                                              \
	static int dec_##fn(json_object *o, void *out, struct fielderrs *e)                        \
	{                                                                                          \
		return tk_##fn##_decode(o, (type *)out, e);                                        \
	}
DEC(agentruntime, struct tk_agentruntime)
DEC(agentauth, struct tk_agentauth)
DEC(agentrole, struct tk_agentrole)
DEC(agentskill, struct tk_agentskill)
DEC(clusteraccess, struct tk_clusteraccess)
DEC(mcpserver, struct tk_mcpserver)
DEC(repository, struct tk_repository)
#undef DEC

/* Resolve every reference (not stopping at the first missing one, so the
 * status can name them all). */
static int resolve(struct reconcile_ctx *c, const struct tk_agentjob *aj, struct resolved *rs)
{
	const struct tk_agentjob_spec *s = &aj->spec;
	const char *ns = aj->meta.namespace;
	bool ok;
	size_t i;
	int r;

	rs->mcp = calloc(s->mcp_server_refs.n + 1, sizeof(*rs->mcp));
	rs->repos = calloc(s->repository_refs.n + 1, sizeof(*rs->repos));
	if (!rs->mcp || !rs->repos)
		return -ENOMEM;
	r = resolve_one(c, RES_AGENTRUNTIME, ns, s->runtime_ref, dec_agentruntime, &rs->runtime,
	                &rs->have_runtime, rs);
	if (!r)
		r = resolve_one(c, RES_AGENTAUTH, ns, s->auth_ref, dec_agentauth, &rs->auth,
		                &rs->have_auth, rs);
	if (!r)
		r = resolve_one(c, RES_AGENTROLE, ns, s->role_ref, dec_agentrole, &rs->role,
		                &rs->have_role, rs);
	if (!r && s->skill_ref)
		r = resolve_one(c, RES_AGENTSKILL, ns, s->skill_ref, dec_agentskill, &rs->skill,
		                &rs->have_skill, rs);
	if (!r && s->cluster_access_ref)
		r = resolve_one(c, RES_CLUSTERACCESS, ns, s->cluster_access_ref, dec_clusteraccess,
		                &rs->ca, &rs->have_ca, rs);
	for (i = 0; !r && i < s->mcp_server_refs.n; i++) {
		r = resolve_one(c, RES_MCPSERVER, ns, s->mcp_server_refs.v[i], dec_mcpserver,
		                &rs->mcp[rs->n_mcp], &ok, rs);
		rs->n_mcp += ok;
	}
	for (i = 0; !r && i < s->repository_refs.n; i++) {
		r = resolve_one(c, RES_REPOSITORY, ns, s->repository_refs.v[i], dec_repository,
		                &rs->repos[rs->n_repos], &ok, rs);
		rs->n_repos += ok;
	}
	return r;
}

static bool resolved_all(const struct resolved *rs)
{
	return rs->missing.n == 0 && rs->invalid.n == 0;
}

/* ---- observed children ------------------------------------------------ */

struct observed {
	json_object *hold; /* owns every object referenced by v */
	struct plan_child *v;
	size_t n, cap;
};

static int observed_add(struct observed *o, enum res kind, json_object *obj)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		struct plan_child *nv = realloc(o->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		o->v = nv;
		o->cap = cap;
	}
	if (json_object_array_add(o->hold, json_object_get(obj)) < 0) {
		json_object_put(obj);
		return -ENOMEM;
	}
	o->v[o->n].kind = kind;
	o->v[o->n].obj = obj;
	o->n++;
	return 0;
}

static bool labelled_for(json_object *obj, const struct tk_agentjob *aj)
{
	const char *n = jsonutil_label(obj, NAMES_LABEL_AGENTJOB);
	const char *ns = jsonutil_label(obj, NAMES_LABEL_AGENTJOB_NS);

	return n && ns && !strcmp(n, aj->meta.name) && !strcmp(ns, aj->meta.namespace);
}

/* Every child in the stores that carries the AgentJob's labels. */
static int collect(struct reconcile_ctx *c, const struct tk_agentjob *aj, const char *crb_name,
                   struct observed *o)
{
	static const enum res kinds[] = {RES_CONFIGMAP,    RES_PVC,     RES_SERVICEACCOUNT,
	                                 RES_JOB,          RES_CRONJOB, RES_CLUSTERROLEBINDING,
	                                 RES_NETWORKPOLICY};
	bool crb_seen = false;
	size_t k, i;
	int r = 0;

	o->hold = json_object_new_array();
	if (!o->hold)
		return -ENOMEM;
	for (k = 0; k < TK_ARRAY_LEN(kinds) && !r; k++) {
		const struct res_info *ri = res_info(kinds[k]);
		/* Filtered in the store, so only our children are copied. */
		json_object *all = store_list_label(c->stores[kinds[k]],
		                                    ri->namespaced ? aj->meta.namespace : NULL,
		                                    NAMES_LABEL_AGENTJOB, aj->meta.name);

		if (!all)
			return -ENOMEM;
		for (i = 0; i < json_object_array_length(all) && !r; i++) {
			json_object *obj = json_object_array_get_idx(all, i);

			if (!labelled_for(obj, aj))
				continue;
			if (kinds[k] == RES_CLUSTERROLEBINDING && crb_name &&
			    !strcmp(jsonutil_name(obj) ? jsonutil_name(obj) : "", crb_name))
				crb_seen = true;
			r = observed_add(o, kinds[k], obj);
		}
		json_object_put(all);
	}
	if (!r && crb_name && !crb_seen) {
		/* A binding holding our name but not our labels: a collision
		 * the plan must see (and refuse to take over). */
		json_object *crb = store_get(c->stores[RES_CLUSTERROLEBINDING], NULL, crb_name);

		if (crb)
			r = observed_add(o, RES_CLUSTERROLEBINDING, crb);
		json_object_put(crb);
	}
	return r;
}

static void observed_free(struct observed *o)
{
	json_object_put(o->hold);
	free(o->v);
}

static const char *obj_uid(json_object *obj)
{
	return jsonutil_meta(obj, "uid");
}

/* A binding is ours by its owner-uid label (it cannot carry an
 * ownerReference to a namespaced AgentJob). */
static bool owner_uid_is(json_object *obj, const struct tk_agentjob *aj)
{
	const char *uid = jsonutil_label(obj, NAMES_LABEL_OWNER_UID);

	return uid && aj->meta.uid && !strcmp(uid, aj->meta.uid);
}

/* ---- name lookups ------------------------------------------------------ */

/* A lookup that failed: reported as a failed apply, retried later. */
struct lookup_fail {
	int err;
	struct buf what;
	struct kube_status st;
};

/*
 * Look up the name of the unseen apply a: in its store, and unless
 * store_only, when the store lacks it, with one live GET. Whatever holds
 * the name joins o (*found true). 0 when found or free (404); -ECANCELED,
 * with no GET, when this process does not lead; else the kube client's
 * errno.
 */
static int lookup(struct reconcile_ctx *c, const struct tk_agentjob *aj,
                  const struct plan_action *a, bool store_only, struct observed *o, bool *found,
                  struct kube_status *st)
{
	enum res res = a->kind;
	const struct res_info *ri = res_info(res);
	const char *ns = ri && ri->namespaced ? aj->meta.namespace : NULL;
	struct buf path = BUF_INIT(2048);
	json_object *obj = NULL;
	int r = 0;

	if (!ri)
		return -EINVAL;
	obj = store_get(c->stores[res], ns, a->name);
	if (!obj && store_only)
		return 0;
	if (!obj) {
		/* Nothing can be applied without leading: no GET either. */
		if (!reconcile_may_write(c))
			return -ECANCELED;
		r = kube_path(&path, ri->group, ri->version, ns, ri->plural, a->name, NULL);
		if (!r)
			r = kube_get(c->kube, path.data, &obj, st);
	}
	buf_free(&path);
	if (r == -ENOENT)
		return 0;
	if (r)
		return r;
	r = observed_add(o, res, obj);
	json_object_put(obj);
	*found = !r;
	return r;
}

/* Look up every unseen apply of p: in the stores only when seen is NULL,
 * else also with a GET, once per name (seen). *again is set when the plan
 * must be made again: something was found, or a GET failed (then
 * in->unverified and lf are set). */
static int lookup_unseen(struct reconcile_ctx *c, struct plan_input *in, const struct plan *p,
                         struct observed *o, struct strlist *seen, struct lookup_fail *lf,
                         bool *again)
{
	size_t i;
	int r = 0;

	*again = false;
	for (i = 0; i < p->n_applies && !r; i++) {
		const struct plan_action *a = &p->applies[i];
		struct buf key = BUF_INIT(1024);
		bool found = false;

		if (!a->unseen)
			continue;
		if (!seen) {
			r = lookup(c, in->aj, a, true, o, &found, &lf->st);
			*again = *again || found;
			continue;
		}
		r = buf_printf(&key, "%s/%s", res_kind(a->kind), a->name);
		if (!r && strlist_contains(seen, key.data)) {
			buf_free(&key);
			continue;
		}
		if (!r)
			r = strlist_add(seen, key.data);
		buf_free(&key);
		if (r)
			break;
		r = lookup(c, in->aj, a, false, o, &found, &lf->st);
		*again = *again || found;
		if (r && r != -ENOMEM && r != -ECANCELED) {
			lf->err = r;
			if (buf_printf(&lf->what, "get %s %s", res_kind(a->kind), a->name) < 0)
				buf_reset(&lf->what);
			in->unverified = true;
			*again = true;
			r = 0;
			break;
		}
	}
	in->observed = o->v;
	in->n_observed = o->n;
	return r;
}

/*
 * Plan, look up the names the plan would apply that nobody was seen
 * holding, and plan again while that found something: in the stores
 * (free), and when gets, then with GETs. The rounds end: a store round
 * that finds something makes a name observed, and a GET round looks each
 * name up once. Without gets, the names still unseen are applied with
 * apply_create, which writes nothing over a holder; when one turns out to
 * be held, the AgentJob is planned again with gets (reconcile_live).
 */
static int plan_checked(struct reconcile_ctx *c, struct plan_input *in, struct observed *o,
                        struct plan *plan, struct lookup_fail *lf, bool gets)
{
	struct strlist seen = {0};
	bool again = false;
	int r;

	for (;;) {
		r = plan_make(in, plan);
		if (r || in->unverified)
			break;
		r = lookup_unseen(c, in, plan, o, NULL, lf, &again);
		if (!r && !again && gets)
			r = lookup_unseen(c, in, plan, o, &seen, lf, &again);
		if (r || !again)
			break;
		plan_free(plan);
	}
	strlist_free(&seen);
	return r;
}

/* ---- deletion --------------------------------------------------------- */

static int finalize(struct reconcile_ctx *c, const struct tk_agentjob *aj, int *writes)
{
	struct kube_status st = {0};
	struct observed o = {0};
	char *crb = build_crb_name(aj->meta.namespace, aj->meta.name);
	size_t i;
	int r;

	if (!strlist_contains(&aj->meta.finalizers, NAMES_FINALIZER)) {
		free(crb);
		return 0;
	}
	r = crb ? collect(c, aj, crb, &o) : -ENOMEM;
	for (i = 0; !r && i < o.n; i++) {
		if (o.v[i].kind != RES_CLUSTERROLEBINDING || !labelled_for(o.v[i].obj, aj) ||
		    !owner_uid_is(o.v[i].obj, aj))
			continue;
		r = apply_delete_uid(c, RES_CLUSTERROLEBINDING, NULL, jsonutil_name(o.v[i].obj),
		                     "Background", obj_uid(o.v[i].obj), &st);
		*writes += !r;
	}
	if (!r) {
		r = apply_finalizer(c, RES_AGENTJOB, &aj->meta, false, &st);
		*writes += !r;
	}
	observed_free(&o);
	free(crb);
	return r;
}

/* ---- events on transitions --------------------------------------------- */

static void emit(struct reconcile_ctx *c, const struct tk_agentjob *aj, const char *type,
                 const char *reason, const char *action, const char *note)
{
	struct events_regarding reg = {TK_API_VERSION, "AgentJob", &aj->meta};
	int r = events_emit(c, &reg, type, reason, action, note);

	if (r < 0 && r != -ECANCELED)
		log_warn("event not recorded", "namespace", aj->meta.namespace, "name",
		         aj->meta.name, "reason", reason, "error", strerror(-r));
}

/* emit with a formatted note (the event layer bounds it to the API's
 * EVENTS_MAX_NOTE bytes). */
static void emitf(struct reconcile_ctx *c, const struct tk_agentjob *aj, const char *type,
                  const char *reason, const char *action, const char *fmt, ...) TK_PRINTF(6, 7);
static void emitf(struct reconcile_ctx *c, const struct tk_agentjob *aj, const char *type,
                  const char *reason, const char *action, const char *fmt, ...)
{
	struct buf note = BUF_INIT(4 * EVENTS_MAX_NOTE);
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vprintf(&note, fmt, ap);
	va_end(ap);
	if (r == 0)
		emit(c, aj, type, reason, action, note.data);
	else
		log_warn("event not recorded", "namespace", aj->meta.namespace, "name",
		         aj->meta.name, "reason", reason, "error", strerror(-r));
	buf_free(&note);
}

static const char *ready_reason(json_object *status)
{
	return jsonutil_str(
	    status_find_condition(jsonutil_get(status, "conditions"), STATUS_COND_READY), "reason");
}

static bool differs(const char *a, const char *b)
{
	return !a || !b || strcmp(a, b) != 0;
}

/* One event per transition of phase or Ready reason; none when equal. */
static void transition_events(struct reconcile_ctx *c, const struct tk_agentjob *aj,
                              json_object *next)
{
	json_object *prev = aj->status.raw;
	const char *pp = jsonutil_str(prev, "phase"), *np = jsonutil_str(next, "phase");
	const char *pr = ready_reason(prev), *nr = ready_reason(next);
	const char *note = jsonutil_str(next, "message");

	if (!np || status_equal(prev, next))
		return;
	if (nr && (!strcmp(nr, "ApplyFailed") || !strcmp(nr, "NameConflict"))) {
		if (differs(pr, nr) || differs(jsonutil_str(prev, "message"), note))
			emit(c, aj, EVENTS_WARNING, nr, "Apply", note);
		return;
	}
	if (!strcmp(np, STATUS_PENDING)) {
		if (differs(pp, np) || differs(jsonutil_str(prev, "message"), note))
			emit(c, aj, EVENTS_WARNING, "ResolveFailed", "Resolve", note);
		return;
	}
	if (!strcmp(np, STATUS_SUSPENDED) && differs(pp, np))
		emit(c, aj, EVENTS_NORMAL, "Suspended", "Suspend", note);
	else if (pp && !strcmp(pp, STATUS_SUSPENDED) && differs(pp, np))
		emit(c, aj, EVENTS_NORMAL, "Resumed", "Resume", note);
	if (!strcmp(np, STATUS_SUCCEEDED) && differs(pp, np))
		emit(c, aj, EVENTS_NORMAL, "Succeeded", "Run", note);
	else if (!strcmp(np, STATUS_FAILED) && differs(pp, np))
		emit(c, aj, EVENTS_WARNING, "Failed", "Run", note);
	else if (nr && !strcmp(nr, "WaitingForActiveRun") && differs(pr, nr))
		emit(c, aj, EVENTS_NORMAL, "WaitingForActiveRun", "Hold", note);
	else if (!strcmp(np, STATUS_QUEUED) && differs(pp, np))
		emit(c, aj, EVENTS_NORMAL, "Queued", "Hold", note);
}

/*
 * EnvConflict: once per new pod template (an apply of the CronJob or Job
 * after a clean execution), name the env entries the controller left out
 * because its own value of the same name wins. Nothing on a steady resync.
 */
static void env_conflict_event(struct reconcile_ctx *c, const struct tk_agentjob *aj,
                               const struct build_refs *refs, const struct plan *p)
{
	struct strlist notes = {0};
	struct buf note = BUF_INIT(EVENTS_MAX_NOTE);
	bool pod = false;
	size_t i;
	int r;

	for (i = 0; i < p->n_applies; i++)
		pod |= p->applies[i].kind == RES_CRONJOB || p->applies[i].kind == RES_JOB;
	r = pod ? build_env_conflicts(aj, refs, &notes) : 0;
	for (i = 0; r == 0 && i < notes.n; i++)
		r = buf_printf(&note, "%s%s", i ? "; " : "", notes.v[i]);
	if (r == 0 && notes.n)
		r = buf_puts(&note, "; thurkube's value is used");
	/* -E2BIG: the note keeps the entries that fit in an event. */
	if ((r == 0 || (r == -E2BIG && note.data)) && notes.n)
		emit(c, aj, EVENTS_WARNING, "EnvConflict", "Render", note.data);
	strlist_free(&notes);
	buf_free(&note);
}

/* ---- executing the plan ----------------------------------------------- */

struct outcome {
	int writes;
	int err;               /* the first failed write (or lookup) */
	bool finalizer_added;  /* ours is on, whatever the cached AgentJob says */
	struct buf what;       /* "apply ConfigMap x" */
	struct kube_status st; /* the API server's answer to it */
};

/* Remember the first failure: what was written, and the server's answer. */
static void failed(struct outcome *oc, int r, const char *verb, const char *kind, const char *name,
                   const struct kube_status *st)
{
	if (oc->err)
		return;
	oc->err = r;
	oc->st = *st;
	buf_sayf(&oc->what, "%s %s %s", verb, kind, name);
}

/* Deletes and merge patches: each one tried, whatever another did, so a
 * revocation never waits for an unrelated failure. */
static void execute_revocations(struct reconcile_ctx *c, const struct tk_agentjob *aj,
                                const struct plan *p, struct outcome *oc)
{
	struct kube_status st = {0};
	size_t i;
	int r;

	for (i = 0; i < p->n_deletes && oc->err != -ECANCELED; i++) {
		const struct plan_action *a = &p->deletes[i];

		r = apply_delete_uid(c, a->kind, aj->meta.namespace, a->name, a->propagation,
		                     a->uid, &st);
		if (r) {
			failed(oc, r, "delete", res_kind(a->kind), a->name, &st);
			continue;
		}
		oc->writes++;
		emitf(c, aj, EVENTS_NORMAL,
		      !strcmp(a->why, "replace")  ? "Replaced"
		      : !strcmp(a->why, "revoke") ? "Revoked"
		      : !strcmp(a->why, "stop")   ? "Stopped"
		                                  : "Pruned",
		      "Delete", "deleted %s %s (%s)", res_kind(a->kind), a->name, a->why);
	}
	for (i = 0; i < p->n_patches && oc->err != -ECANCELED; i++) {
		const struct plan_action *a = &p->patches[i];

		r = apply_patch(c, a->kind, aj->meta.namespace, a->name, a->obj, &st);
		if (r && r != -ENOENT)
			failed(oc, r, "patch", res_kind(a->kind), a->name, &st);
		else
			oc->writes += !r;
	}
}

/*
 * Run the plan: revocations, the finalizer, then the applies in the
 * plan's order (children before the run that uses them, the
 * ServiceAccount before its binding). An unseen name is created with
 * apply_create; when retry is set and it is held, execute stops there
 * with -EEXIST and no failure recorded, for the caller to look the name
 * up and plan again: nothing after it (a binding, the run) was written.
 */
static int execute(struct reconcile_ctx *c, const struct tk_agentjob *aj, struct plan *p,
                   time_t now, const struct lookup_fail *lf, bool retry, struct outcome *oc)
{
	struct kube_status st = {0};
	size_t i;
	int r = 0;

	execute_revocations(c, aj, p, oc);
	/* The finalizer goes on before a cluster-scoped binding exists. */
	if (!oc->err && p->needs_binding && !oc->finalizer_added) {
		r = apply_finalizer(c, RES_AGENTJOB, &aj->meta, true, &st);
		if (r)
			failed(oc, r, "add", "finalizer", NAMES_FINALIZER, &st);
		oc->finalizer_added = !r;
		oc->writes += !r && !strlist_contains(&aj->meta.finalizers, NAMES_FINALIZER);
	}
	for (i = 0; i < p->n_applies && !oc->err; i++) {
		const struct plan_action *a = &p->applies[i];

		if (a->unseen)
			r = apply_create(c, a->kind, aj->meta.namespace, a->name, a->obj, &st);
		else
			r = apply_object(c, a->kind, aj->meta.namespace, a->name, a->obj, &st);
		if (r == -EEXIST && retry)
			return r;
		if (r) {
			failed(oc, r, "apply", res_kind(a->kind), a->name, &st);
			break;
		}
		oc->writes++;
		if (a->kind == RES_JOB)
			emitf(c, aj, EVENTS_NORMAL, "JobCreated", "Create", "created job %s",
			      a->name);
	}
	if (!oc->err && lf->err) {
		oc->err = lf->err;
		oc->st = lf->st;
		if (buf_puts(&oc->what, lf->what.data ? lf->what.data : "get") < 0)
			buf_reset(&oc->what);
	}
	r = oc->err;
	if (r && r != -ECANCELED) {
		/* An adoption wrote no Job, so its configHash stands: reverting
		 * it would let the next pass, seeing Complete, launch a run. */
		char *keep = p->adopted ? xstrdup(jsonutil_str(p->status, "configHash")) : NULL;
		int m = p->adopted && !keep ? -ENOMEM : 0;

		if (!m)
			m = status_mark_failed(
			    p->status, aj->status.conditions,
			    p->adopted ? keep : aj->status.config_hash, aj->meta.generation,
			    oc->what.data ? oc->what.data : "write", oc->st.message, now);
		free(keep);
		if (m < 0)
			r = m;
	}
	return r;
}

static int write_status(struct reconcile_ctx *c, const struct tk_agentjob *aj, json_object *status,
                        struct outcome *oc)
{
	struct kube_status st = {0};
	int r;

	if (status_equal(aj->status.raw, status))
		return 0;
	transition_events(c, aj, status);
	r = apply_status(c, RES_AGENTJOB, aj->meta.namespace, aj->meta.name, status, &st);
	oc->writes += !r;
	return r;
}

/* If the run's Job looks gone, ask the API server (the store may only be
 * behind our own create); also before adopting a run of thurkube's whose
 * Job is not in the store (plan.h). */
static int confirm_job(struct reconcile_ctx *c, struct plan_input *in, struct observed *o)
{
	const struct res_info *ri = res_info(RES_JOB);
	struct buf path = BUF_INIT(2048);
	struct kube_status st = {0};
	json_object *job = NULL;
	const char *name = in->desired ? plan_job_to_confirm(in) : NULL;
	int r;

	if (!name)
		return 0;
	r = kube_path(&path, ri->group, ri->version, in->aj->meta.namespace, ri->plural, name,
	              NULL);
	if (!r)
		r = kube_get(c->kube, path.data, &job, &st);
	buf_free(&path);
	if (r == -ENOENT) {
		in->job_gone = true;
		return 0;
	}
	if (r < 0)
		return r;
	r = observed_add(o, RES_JOB, job);
	json_object_put(job);
	in->observed = o->v;
	in->n_observed = o->n;
	return r;
}

/* The phase as a static string, to outlive the status object. */
static const char *static_phase(const char *p)
{
	static const char *const phases[] = {STATUS_PENDING,   STATUS_SCHEDULED, STATUS_RUNNING,
	                                     STATUS_SUCCEEDED, STATUS_FAILED,    STATUS_SUSPENDED,
	                                     STATUS_STOPPED,   STATUS_QUEUED};
	size_t i;

	for (i = 0; p && i < TK_ARRAY_LEN(phases); i++)
		if (!strcmp(p, phases[i]))
			return phases[i];
	return NULL;
}

/* ---- results (status.lastRun) ------------------------------------------ */

/* The agent container's termination message of the pod of job that
 * finished last (retries make several), or NULL. Borrowed from pods. */
static const char *termination_message(json_object *pods, size_t *len)
{
	const char *best = NULL, *best_at = NULL;
	size_t i, j;

	for (i = 0; i < json_object_array_length(pods); i++) {
		json_object *cs =
		    jsonutil_get(jsonutil_get(json_object_array_get_idx(pods, i), "status"),
		                 "containerStatuses");

		for (j = 0;
		     json_object_is_type(cs, json_type_array) && j < json_object_array_length(cs);
		     j++) {
			json_object *c = json_object_array_get_idx(cs, j);
			json_object *t = jsonutil_get(jsonutil_get(c, "state"), "terminated");
			const char *at = jsonutil_str(t, "finishedAt");
			json_object *m = jsonutil_get_type(t, "message", json_type_string);

			const char *cname = jsonutil_str(c, "name");

			if (!m || !cname || strcmp(cname, BUILD_CONTAINER) != 0)
				continue;
			if (!best || (at && best_at && strcmp(at, best_at) > 0)) {
				best = json_object_get_string(m);
				*len = (size_t)json_object_get_string_len(m);
				best_at = at;
			}
		}
	}
	return best;
}

static void count_results(struct reconcile_ctx *c, const char *ns, const struct results *res)
{
	const struct {
		const char *kind;
		int64_t n;
	} tokens[] = {{"input", res->input_tokens}, {"output", res->output_tokens}};
	struct buf l = BUF_INIT(512);
	size_t i;

	for (i = 0; i < TK_ARRAY_LEN(tokens); i++)
		if (tokens[i].n > 0)
			metrics_counter_add(
			    c->metrics, "thurkube_agent_run_tokens_total",
			    "Model tokens agent runs reported, by namespace and kind "
			    "(input, output).",
			    metrics_labels(&l, "namespace", ns, "kind", tokens[i].kind,
			                   (const char *)NULL),
			    (double)tokens[i].n);
	if (res->cost_usd > 0)
		metrics_counter_add(c->metrics, "thurkube_agent_run_cost_usd_total",
		                    "Cost in US dollars agent runs reported, by namespace.",
		                    metrics_labels(&l, "namespace", ns, (const char *)NULL),
		                    res->cost_usd);
	buf_free(&l);
}

/*
 * A run finished that status.lastRun does not hold yet (plan_result_job):
 * read its pods (one live LIST by the job-name label), parse the agent's
 * termination message (results.h) and put status.lastRun. A failed LIST
 * leaves lastRun as it was (the next pass tries again); pods already gone
 * give a lastRun without results.
 */
static int record_result(struct reconcile_ctx *c, const struct tk_agentjob *aj, json_object *job,
                         json_object *status)
{
	struct buf path = BUF_INIT(1024), sel = BUF_INIT(512);
	struct kube_status st = {0};
	struct results res = {0};
	json_object *pods = NULL, *last = NULL;
	const char *when = NULL, *msg;
	char *rv = NULL;
	size_t len = 0;
	int out = status_job_outcome(job, &when, NULL), r;

	r = kube_path(&path, "", "v1", aj->meta.namespace, "pods", NULL, NULL);
	if (!r)
		r = buf_printf(&sel, "job-name=%s", jsonutil_name(job));
	if (!r)
		r = kube_list(c->kube, path.data, sel.data, &pods, &rv, &st);
	if (r)
		goto out;
	msg = termination_message(pods, &len);
	r = results_parse(msg, len, &res);
	if (r)
		goto out;
	last = res.fields;
	res.fields = NULL;
	r = jsonutil_add_str(last, "name", jsonutil_name(job));
	if (!r)
		r = status_put_str(last, "startTime",
		                   jsonutil_str(jsonutil_get(job, "status"), "startTime"));
	if (!r)
		r = status_put_str(last, "completionTime", when);
	if (!r)
		r = jsonutil_add_str(last, "outcome", out > 0 ? STATUS_SUCCEEDED : STATUS_FAILED);
	if (!r) {
		json_object_object_del(status, "lastRun");
		r = jsonutil_add(status, "lastRun", last);
		last = NULL;
	}
	if (!r)
		count_results(c, aj->meta.namespace, &res);
out:
	if (r && r != -ENOMEM)
		log_warn("run result not read", "namespace", aj->meta.namespace, "name",
		         aj->meta.name, "job", jsonutil_name(job), "error",
		         st.message[0] ? st.message : strerror(-r));
	json_object_put(last);
	json_object_put(pods);
	results_free(&res);
	free(rv);
	buf_free(&path);
	buf_free(&sel);
	return r == -ENOMEM ? r : 0;
}

/*
 * The run queue the AgentJob's runs join, as the store sees it (runq.h):
 * for the phase Queued and the position in its message only; the
 * AgentAuth's own reconcile decides what starts, from a live LIST.
 */
static int queue_view(struct reconcile_ctx *c, const struct tk_agentjob *aj,
                      const struct build_out *d, int64_t limit, struct runq *q,
                      struct plan_input *in)
{
	const char *auth = jsonutil_label(
	    d->job ? d->job : jsonutil_get(jsonutil_get(d->cronjob, "spec"), "jobTemplate"),
	    NAMES_LABEL_AGENTAUTH);
	json_object *all, **v;
	size_t i, n;
	int r;

	if (!auth)
		return 0;
	all = store_list_label(c->stores[RES_JOB], aj->meta.namespace, NAMES_LABEL_AGENTAUTH, auth);
	if (!all)
		return -ENOMEM;
	n = json_object_array_length(all);
	v = calloc(n + 1, sizeof(*v));
	if (!v) {
		json_object_put(all);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		v[i] = json_object_array_get_idx(all, i);
	r = runq_make(v, n, limit, q);
	free(v);
	json_object_put(all);
	if (r)
		return r;
	in->queue = q;
	in->queue_auth = aj->spec.auth_ref;
	in->queue_limit = limit;
	return 0;
}

static int reconcile_live(struct reconcile_ctx *c, const struct tk_agentjob *aj, struct outcome *oc,
                          const char **phase)
{
	struct resolved rs = {0};
	struct build_out desired = {0};
	struct build_refs refs = {0};
	struct observed o = {0};
	struct plan plan = {0};
	struct plan_input in = {0};
	struct runq queue = {0};
	json_object *rj;
	struct kube_status st = {0};
	struct lookup_fail lf = {.what = BUF_INIT(600)};
	bool built = false;
	char *crb = build_crb_name(aj->meta.namespace, aj->meta.name);
	int r, w;

	r = crb ? resolve(c, aj, &rs) : -ENOMEM;
	if (r)
		goto out;
	if (resolved_all(&rs)) {
		refs.runtime = &rs.runtime;
		refs.auth = &rs.auth;
		refs.role = &rs.role;
		refs.skill = rs.have_skill ? &rs.skill : NULL;
		refs.cluster_access = rs.have_ca ? &rs.ca : NULL;
		refs.mcp = rs.mcp;
		refs.repos = rs.repos;
		refs.policy = c->cfg ? c->cfg->policy : NULL;
		r = build_children(aj, &refs, &desired);
		if (r)
			goto out;
		built = true;
	}
	r = collect(c, aj, crb, &o);
	if (r)
		goto out;
	in.aj = aj;
	in.desired = built ? &desired : NULL;
	in.missing = &rs.missing;
	in.invalid = &rs.invalid;
	in.observed = o.v;
	in.n_observed = o.n;
	in.now = time(NULL);
	if (built) {
		r = queue_view(c, aj, &desired, rs.auth.max_concurrent_runs, &queue, &in);
		if (r)
			goto out;
	}
	r = confirm_job(c, &in, &o);
	if (!r)
		r = plan_checked(c, &in, &o, &plan, &lf, false);
	if (!r)
		r = execute(c, aj, &plan, in.now, &lf, true, oc);
	if (r == -EEXIST) {
		/* An unseen name is held: look the names up with GETs and plan
		 * again, so a foreign holder is a NameConflict, never written. */
		plan_free(&plan);
		memset(&plan, 0, sizeof(plan));
		r = plan_checked(c, &in, &o, &plan, &lf, true);
		if (!r)
			r = execute(c, aj, &plan, in.now, &lf, false, oc);
	}
	if (r && r != -ECANCELED && !oc->err)
		goto out;
	if (r == -ECANCELED)
		goto out;
	if (!r && built)
		env_conflict_event(c, aj, &refs, &plan);
	if (!r && built && (rj = plan_result_job(&in)))
		r = record_result(c, aj, rj, plan.status);
	w = write_status(c, aj, plan.status, oc);
	if (!r)
		r = w;
	if (!r && !plan.needs_binding)
		r = apply_finalizer(c, RES_AGENTJOB, &aj->meta, false, &st);
	*phase = static_phase(jsonutil_str(plan.status, "phase"));
out:
	buf_free(&lf.what);
	plan_free(&plan);
	runq_free(&queue);
	observed_free(&o);
	if (built)
		build_out_free(&desired);
	resolved_free(&rs);
	free(crb);
	return r;
}

int reconcile_agentjob(struct reconcile_ctx *c, const char *ns, const char *name)
{
	struct tk_agentjob aj = {0};
	struct fielderrs errs = {0};
	struct outcome oc = {.what = BUF_INIT(600)};
	const char *phase = NULL;
	json_object *obj;
	char writes[16];
	int r;

	obj = store_get(c->stores[RES_AGENTJOB], ns, name);
	if (!obj)
		return 0; /* gone: namespaced children go with the GC */
	r = tk_agentjob_decode(obj, &aj, &errs);
	json_object_put(obj);
	if (r == -EINVAL) {
		/* Admission keeps this from happening; nothing sensible to do. */
		log_warn("agentjob not decodable", "namespace", ns, "name", name);
		fielderrs_free(&errs);
		return 0;
	}
	fielderrs_free(&errs);
	if (r)
		return r;
	if (aj.meta.deleting)
		r = finalize(c, &aj, &oc.writes);
	else
		r = reconcile_live(c, &aj, &oc, &phase);
	snprintf(writes, sizeof(writes), "%d", oc.writes);
	if (r == -ECANCELED)
		log_info("agentjob reconcile stopped: not leading", "namespace", ns, "name", name);
	else if (r)
		log_warn("agentjob reconcile failed", "namespace", ns, "name", name, "error",
		         strerror(-r), "writes", writes);
	else if (oc.writes)
		log_info("agentjob reconciled", "namespace", ns, "name", name, "writes", writes,
		         "outcome", aj.meta.deleting ? "finalized" : phase);
	else
		log_debug("agentjob unchanged", "namespace", ns, "name", name);
	buf_free(&oc.what);
	tk_agentjob_free(&aj);
	return r;
}

/*
 * agentauth.c - the run queue of an AgentAuth with maxConcurrentRuns: start
 * the waiting runs its limit leaves room for (runq.h). One key per
 * AgentAuth, so its releases are never decided twice at once; the members
 * are read with a live LIST, never from the store, so a release that the
 * store has not seen yet still counts as running, and a new leader starts
 * from the cluster as it is.
 */
#include "compat.h"

#include <errno.h>

#include "jsonutil.h"
#include "log.h"
#include "model/runq.h"
#include "names.h"
#include "reconcile/apply.h"
#include "reconcile/reconcile.h"
#include "types.h"

#define QUEUED_METRIC "thurkube_controller_queued_runs"

static bool controlled_by_uid(json_object *obj, const char *kind, const char *uid)
{
	json_object *ref = res_controller_ref(obj);
	const char *k = jsonutil_str(ref, "kind"), *u = jsonutil_str(ref, "uid");

	return k && u && uid && !strcmp(k, kind) && !strcmp(u, uid);
}

/*
 * A member of auth's queue: a Job of an AgentJob (directly, or through
 * that AgentJob's CronJob) whose authRef is auth. The label alone is no
 * claim: anyone who may create a Job may label it.
 */
static bool member(struct reconcile_ctx *c, const char *ns, const char *auth, json_object *job)
{
	const char *owner = res_child_owner(RES_JOB, job);
	json_object *aj = owner ? store_get(c->stores[RES_AGENTJOB], ns, owner) : NULL;
	json_object *cj = NULL;
	const char *uid = jsonutil_str(jsonutil_get(aj, "metadata"), "uid");
	const char *ref = jsonutil_str(jsonutil_get(aj, "spec"), "authRef");
	bool ok = false;

	if (!uid || !ref || strcmp(ref, auth) != 0)
		goto out;
	if (controlled_by_uid(job, res_kind(RES_AGENTJOB), uid)) {
		ok = true;
		goto out;
	}
	cj = store_get(c->stores[RES_CRONJOB], ns, owner);
	ok = cj && controlled_by_uid(cj, res_kind(RES_AGENTJOB), uid) &&
	     controlled_by_uid(job, res_kind(RES_CRONJOB),
	                       jsonutil_str(jsonutil_get(cj, "metadata"), "uid"));
out:
	json_object_put(aj);
	json_object_put(cj);
	return ok;
}

/* The limit: 0 when the AgentAuth is gone or sets none (then every
 * waiting run starts); -1 when it cannot be decoded (nothing starts). */
static int64_t limit_of(struct reconcile_ctx *c, const char *ns, const char *name)
{
	json_object *obj = store_get(c->stores[RES_AGENTAUTH], ns, name);
	struct fielderrs errs = {0};
	struct tk_agentauth auth = {0};
	int64_t limit = 0;

	if (obj) {
		limit = tk_agentauth_decode(obj, &auth, &errs) == 0 ? auth.max_concurrent_runs : -1;
		tk_agentauth_free(&auth);
		fielderrs_free(&errs);
	}
	json_object_put(obj);
	return limit;
}

int reconcile_agentauth(struct reconcile_ctx *c, const char *ns, const char *name)
{
	const struct res_info *ri = res_info(RES_JOB);
	struct buf path = BUF_INIT(2048), sel = BUF_INIT(1024), labels = BUF_INIT(1024);
	struct kube_status st = {0};
	json_object *items = NULL, **members = NULL, *patch = NULL;
	struct runq q = {0};
	char *rv = NULL;
	int64_t limit = limit_of(c, ns, name);
	size_t i, n = 0, started = 0;
	int r;

	if (limit < 0)
		return 0;
	if (limit == 0) {
		/* No limit: nothing to do unless runs made under one still wait
		 * (the store will do to know; the release itself reads live). */
		json_object *cached =
		    store_list_label(c->stores[RES_JOB], ns, NAMES_LABEL_AGENTAUTH, name);
		size_t k = cached ? json_object_array_length(cached) : 1;

		json_object_put(cached);
		if (k == 0)
			return 0;
	}
	if (!reconcile_may_write(c))
		return -ECANCELED;
	r = kube_path(&path, ri->group, ri->version, ns, ri->plural, NULL, NULL);
	if (!r)
		r = buf_printf(&sel, "%s=%s,%s=%s", NAMES_LABEL_MANAGED_BY, NAMES_MANAGED_BY,
		               NAMES_LABEL_AGENTAUTH, name);
	if (!r)
		r = kube_list(c->kube, path.data, sel.data, &items, &rv, &st);
	if (r)
		goto out;
	members = calloc(json_object_array_length(items) + 1, sizeof(*members));
	if (!members) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < json_object_array_length(items); i++) {
		json_object *job = json_object_array_get_idx(items, i);

		if (member(c, ns, name, job))
			members[n++] = job;
	}
	r = runq_make(members, n, limit, &q);
	if (r)
		goto out;
	patch = json_tokener_parse("{\"spec\":{\"suspend\":false}}");
	if (!patch) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < q.release && !r; i++) {
		r = apply_patch(c, RES_JOB, ns, q.waiting.v[i], patch, &st);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (!r) {
			started++;
			log_info("queued run started", "namespace", ns, "agentauth", name, "job",
			         q.waiting.v[i]);
		}
	}
	if (!r && metrics_labels(&labels, "namespace", ns, "agentauth", name, (const char *)NULL))
		metrics_gauge_set(c->metrics, QUEUED_METRIC,
		                  "Runs waiting in an AgentAuth's queue (maxConcurrentRuns).",
		                  labels.data, (double)(q.waiting.n - started));
out:
	if (r && r != -ECANCELED)
		log_warn("agentauth queue not processed", "namespace", ns, "name", name, "error",
		         st.message[0] ? st.message : strerror(-r));
	runq_free(&q);
	json_object_put(patch);
	json_object_put(items);
	free(members);
	free(rv);
	buf_free(&path);
	buf_free(&sel);
	buf_free(&labels);
	return r;
}

/*
 * clusteraccess.c - one ClusterRole per ClusterAccess.
 *
 * The ClusterRole is cluster-scoped and cannot carry an ownerReference to
 * the namespaced ClusterAccess, so the ClusterAccess carries the
 * finalizer thurkube.thurbeen.eu/finalizer (added before the ClusterRole
 * is created, with a resourceVersion-guarded merge patch). On deletion
 * the ClusterRole and every ClusterRoleBinding whose roleRef names it are
 * deleted, then the finalizer is removed. While a ClusterAccess is being
 * deleted, AgentJobs treat it as missing, so no binding comes back.
 */
#include "compat.h"

#include <errno.h>
#include <time.h>

#include "jsonutil.h"
#include "reconcile/apply.h"
#include "model/build.h"
#include "reconcile/reconcile.h"
#include "log.h"
#include "model/plan.h"
#include "runtime/store.h"
#include "types.h"

static bool is_ours(json_object *cr, const struct tk_clusteraccess *ca)
{
	const char *n = jsonutil_label(cr, NAMES_LABEL_CLUSTERACCESS);
	const char *ns = jsonutil_label(cr, NAMES_LABEL_CLUSTERACCESS_NS);

	return n && ns && !strcmp(n, ca->meta.name) && !strcmp(ns, ca->meta.namespace);
}

static bool binds(json_object *crb, const char *cr_name)
{
	json_object *rr;
	const char *kind, *name;

	if (!json_object_object_get_ex(crb, "roleRef", &rr))
		return false;
	kind = jsonutil_str(rr, "kind");
	name = jsonutil_str(rr, "name");
	return kind && name && !strcmp(kind, "ClusterRole") && !strcmp(name, cr_name);
}

static int finalize(struct reconcile_ctx *c, const struct tk_clusteraccess *ca, const char *cr_name,
                    int *writes)
{
	struct kube_status st = {0};
	json_object *cr, *crbs;
	size_t i;
	int r = 0;

	if (!strlist_contains(&ca->meta.finalizers, NAMES_FINALIZER))
		return 0;
	crbs = store_list(c->stores[RES_CLUSTERROLEBINDING], NULL);
	if (!crbs)
		return -ENOMEM;
	for (i = 0; i < json_object_array_length(crbs) && !r; i++) {
		json_object *crb = json_object_array_get_idx(crbs, i);

		if (!binds(crb, cr_name))
			continue;
		r = apply_delete(c, RES_CLUSTERROLEBINDING, NULL, jsonutil_name(crb), "Background",
		                 &st);
		*writes += !r;
	}
	json_object_put(crbs);
	cr = store_get(c->stores[RES_CLUSTERROLE], NULL, cr_name);
	/* Without a cached copy we still delete by name: the name is ours
	 * unless a collision put someone else's labels on it. */
	if (!r && (!cr || is_ours(cr, ca))) {
		r = apply_delete(c, RES_CLUSTERROLE, NULL, cr_name, "Background", &st);
		*writes += !r;
	}
	json_object_put(cr);
	if (!r) {
		r = apply_finalizer(c, RES_CLUSTERACCESS, &ca->meta, false, &st);
		*writes += !r;
	}
	return r;
}

/* Apply the ClusterRole if it differs. *reason/msg describe a failure. */
static int ensure_role(struct reconcile_ctx *c, const struct tk_clusteraccess *ca,
                       const char *cr_name, int *writes, const char **reason, struct buf *msg)
{
	struct kube_status st = {0};
	json_object *want = build_clusterrole(ca);
	json_object *have = store_get(c->stores[RES_CLUSTERROLE], NULL, cr_name);
	int r = 0;

	if (!want) {
		r = -ENOMEM;
		goto out;
	}
	if (have && !is_ours(have, ca)) {
		*reason = "NameConflict";
		r = buf_printf(msg, "clusterrole %s belongs to another object", cr_name);
		goto out;
	}
	if (have && build_subset(want, have))
		goto out;
	r = apply_object(c, RES_CLUSTERROLE, NULL, cr_name, want, &st);
	if (r && r != -ECANCELED) {
		*reason = "ApplyFailed";
		if (buf_printf(msg, "apply clusterrole %s: %.700s", cr_name, st.message) < 0)
			buf_reset(msg);
	}
	*writes += !r;
out:
	json_object_put(have);
	json_object_put(want);
	return r;
}

static int reconcile_live(struct reconcile_ctx *c, const struct tk_clusteraccess *ca,
                          json_object *prev, const char *cr_name, int *writes)
{
	struct buf msg = BUF_INIT(1024);
	struct kube_status st = {0};
	const char *reason = NULL;
	json_object *next = NULL;
	int r, used;

	r = apply_finalizer(c, RES_CLUSTERACCESS, &ca->meta, true, &st);
	*writes += r == 0 && !strlist_contains(&ca->meta.finalizers, NAMES_FINALIZER);
	if (r)
		goto out;
	r = ensure_role(c, ca, cr_name, writes, &reason, &msg);
	if (r == -ECANCELED)
		goto out;
	used = reconcile_count_users(c, ca->meta.namespace, "clusterAccessRef", ca->meta.name);
	if (!reason && buf_printf(&msg, "clusterrole %s", cr_name) < 0)
		buf_reset(&msg);
	next =
	    status_simple(prev, ca->meta.generation, reason == NULL, reason ? reason : "Reconciled",
	                  msg.data ? msg.data : "", used, time(NULL));
	if (!next) {
		r = r ? r : -ENOMEM;
		goto out;
	}
	if (!status_equal(prev, next)) {
		int w = apply_status(c, RES_CLUSTERACCESS, ca->meta.namespace, ca->meta.name, next,
		                     &st);

		*writes += !w;
		if (!r)
			r = w;
	}
	if (!r && reason)
		r = -EAGAIN; /* a conflict or failed apply: retry with backoff */
out:
	json_object_put(next);
	buf_free(&msg);
	return r;
}

int reconcile_clusteraccess(struct reconcile_ctx *c, const char *ns, const char *name)
{
	struct tk_clusteraccess ca = {0};
	struct fielderrs errs = {0};
	json_object *obj, *prev = NULL;
	char *cr_name = NULL;
	char writes_s[16];
	int r, writes = 0;

	obj = store_get(c->stores[RES_CLUSTERACCESS], ns, name);
	if (!obj)
		return 0;
	r = tk_clusteraccess_decode(obj, &ca, &errs);
	fielderrs_free(&errs);
	if (r == -EINVAL) {
		log_warn("clusteraccess not decodable", "namespace", ns, "name", name);
		json_object_put(obj);
		return 0;
	}
	if (r)
		goto out;
	json_object_object_get_ex(obj, "status", &prev);
	cr_name = build_clusterrole_name(ns, name);
	if (!cr_name)
		r = -ENOMEM;
	else if (ca.meta.deleting)
		r = finalize(c, &ca, cr_name, &writes);
	else
		r = reconcile_live(c, &ca, prev, cr_name, &writes);
	tk_clusteraccess_free(&ca);
out:
	snprintf(writes_s, sizeof(writes_s), "%d", writes);
	if (r == -ECANCELED)
		log_info("clusteraccess reconcile stopped: not leading", "namespace", ns, "name",
		         name);
	else if (r)
		log_warn("clusteraccess reconcile failed", "namespace", ns, "name", name, "error",
		         strerror(-r), "writes", writes_s);
	else if (writes)
		log_info("clusteraccess reconciled", "namespace", ns, "name", name, "clusterrole",
		         cr_name, "writes", writes_s);
	else
		log_debug("clusteraccess unchanged", "namespace", ns, "name", name);
	free(cr_name);
	json_object_put(obj);
	return r;
}

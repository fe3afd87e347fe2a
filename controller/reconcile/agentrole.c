/*
 * agentrole.c - AgentRole status: Ready and usedBy. Its edits
 * reach the AgentJobs that use it through the runtime's reference index
 * (route_event), not from here.
 */
#include "compat.h"

#include <errno.h>
#include <time.h>

#include "jsonutil.h"
#include "reconcile/apply.h"
#include "reconcile/reconcile.h"
#include "log.h"
#include "model/plan.h"
#include "types.h"

static int64_t generation_of(json_object *obj)
{
	json_object *m, *g;

	if (!json_object_object_get_ex(obj, "metadata", &m) ||
	    !json_object_object_get_ex(m, "generation", &g))
		return 0;
	return json_object_get_int64(g);
}

int reconcile_agentrole(struct reconcile_ctx *c, const char *ns, const char *name)
{
	struct tk_agentrole role = {0};
	struct fielderrs errs = {0};
	struct buf msg = BUF_INIT(2048);
	struct kube_status st = {0};
	json_object *obj, *prev = NULL, *next = NULL;
	bool valid = false, deleting = false, wrote = false;
	int r, used;

	obj = store_get(c->stores[RES_AGENTROLE], ns, name);
	if (!obj)
		return 0;
	r = tk_agentrole_decode(obj, &role, &errs);
	if (r && r != -EINVAL)
		goto out;
	valid = r == 0;
	deleting = valid && role.meta.deleting;
	if (deleting) {
		r = 0;
		goto out;
	}
	if (valid)
		r = buf_printf(&msg, "%zu allowed tools", role.allowed_tools.n);
	else
		r = fielderrs_render(&errs, &msg);
	if (r == -E2BIG)
		r = 0;
	if (r)
		goto out;
	json_object_object_get_ex(obj, "status", &prev);
	used = reconcile_count_users(c, ns, "roleRef", name);
	next = status_simple(prev, generation_of(obj), valid, valid ? "Valid" : "Invalid",
	                     msg.data ? msg.data : "", used, time(NULL));
	if (!next) {
		r = -ENOMEM;
		goto out;
	}
	if (!status_equal(prev, next)) {
		r = apply_status(c, RES_AGENTROLE, ns, name, next, &st);
		wrote = r == 0;
	}
out:
	if (r == -ECANCELED)
		log_info("agentrole reconcile stopped: not leading", "namespace", ns, "name", name);
	else if (r)
		log_warn("agentrole reconcile failed", "namespace", ns, "name", name, "error",
		         strerror(-r));
	else if (wrote)
		log_info("agentrole status updated", "namespace", ns, "name", name, "ready",
		         valid ? "true" : "false");
	else
		log_debug("agentrole unchanged", "namespace", ns, "name", name);
	if (valid)
		tk_agentrole_free(&role);
	json_object_put(next);
	json_object_put(obj);
	fielderrs_free(&errs);
	buf_free(&msg);
	return r;
}

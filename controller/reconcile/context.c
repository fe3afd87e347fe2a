/* context.c - what the reconcilers share: queueing, routing, counting. */
#include "compat.h"

#include "reconcile/reconcile.h"

#include <errno.h>

#include "jsonutil.h"
#include "limits.h"
#include "model/route.h"
#include "model/status.h"
#include "names.h"

reconcile_fn reconcile_of(enum res kind)
{
	switch (kind) {
	case RES_AGENTJOB:
		return reconcile_agentjob;
	case RES_AGENTROLE:
		return reconcile_agentrole;
	case RES_CLUSTERACCESS:
		return reconcile_clusteraccess;
	case RES_AGENTAUTH:
		return reconcile_agentauth;
	default:
		return NULL;
	}
}

static int index_update(void *ud, const char *user, const struct strlist *refs,
                        struct strlist *prev)
{
	return refindex_update(ud, user, refs, prev);
}

static int index_lookup(void *ud, const char *ref, struct strlist *out)
{
	return refindex_lookup(ud, ref, out);
}

/* The route index over c->refs, or NULL when there is none. */
static const struct route_index *context_index(struct reconcile_ctx *c, struct route_index *ix)
{
	if (!c->refs)
		return NULL;
	*ix = (struct route_index){index_update, index_lookup, c->refs};
	return ix;
}

int reconcile_users_of(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                       struct strlist *out)
{
	struct route_index ix;

	return route_users_of(context_index(c, &ix), r, ns, name, out);
}

struct uses {
	const char *field, *name;
};

static bool agentjob_uses(json_object *aj, void *ud)
{
	const struct uses *u = ud;

	return status_uses(aj, u->field, u->name);
}

int reconcile_count_users(struct reconcile_ctx *c, const char *ns, const char *field,
                          const char *name)
{
	struct uses u = {field, name};

	return (int)store_count(c->stores[RES_AGENTJOB], ns, agentjob_uses, &u);
}

int reconcile_enqueue(struct reconcile_ctx *c, enum res kind, const char *ns, const char *name,
                      int delay_s)
{
	struct strlist keys = {0};
	int r;

	if (!res_reconciled(kind) || !ns || !*ns || !name || !*name)
		return -EINVAL;
	if (!c->queue)
		return 0;
	r = res_key_add(&keys, kind, ns, name);
	if (r == 0)
		r = queue_add_after(c->queue, keys.v[0], (int64_t)delay_s * 1000);
	strlist_free(&keys);
	return r == -ESHUTDOWN ? 0 : r;
}

int reconcile_route(struct reconcile_ctx *c, enum res r, json_object *obj, bool deleted,
                    struct strlist *keys)
{
	struct route_index ix;

	return route_event(context_index(c, &ix), r, obj, deleted, keys);
}

int reconcile_event(struct reconcile_ctx *c, enum res r, json_object *obj, bool deleted)
{
	struct strlist keys = {0};
	size_t i;
	int ret;

	ret = reconcile_route(c, r, obj, deleted, &keys);
	for (i = 0; ret == 0 && c->queue && i < keys.n; i++) {
		ret = queue_add(c->queue, keys.v[i]);
		if (ret == -ESHUTDOWN)
			ret = 0;
	}
	strlist_free(&keys);
	return ret;
}

/* kubectl apply keeps a second copy of the object in an annotation that
 * no reconcile reads: not cached. */
static void drop_last_applied(json_object *obj)
{
	json_object *ann = jsonutil_get(jsonutil_get(obj, "metadata"), "annotations");

	if (ann && json_object_is_type(ann, json_type_object))
		json_object_object_del(ann, "kubectl.kubernetes.io/last-applied-configuration");
}

/*
 * The namespaced children are many (several per AgentJob) and read only
 * by their owner's reconcile: held compact (store_set_compact). The owners
 * and the cluster-scoped RBAC, which store_count walks, stay trees.
 */
struct store *reconcile_store_new(enum res r)
{
	const struct res_info *ri = res_info(r);
	struct store *s;

	if (!ri)
		return NULL;
	s = store_new_indexed(ri->child ? NAMES_LABEL_AGENTJOB : NULL);
	if (!s)
		return NULL;
	store_set_trim(s, drop_last_applied);
	if (ri->child && ri->namespaced)
		store_set_compact(s);
	return s;
}

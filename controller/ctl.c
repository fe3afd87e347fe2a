/* ctl.c - the resource table, work-queue keys and event routing. */
#include "compat.h"

#include "ctl.h"

#include <errno.h>

#include "limits.h"
#include "queue.h"
#include "refindex.h"
#include "schema.h"
#include "status.h"
#include "store.h"

static const struct ctl_res_info res_table[RES_COUNT] = {
    [RES_AGENTJOB] = {TK_GROUP, TK_VERSION, "agentjobs", "AgentJob", true, false},
    [RES_AGENTRUNTIME] = {TK_GROUP, TK_VERSION, "agentruntimes", "AgentRuntime", true, false},
    [RES_AGENTAUTH] = {TK_GROUP, TK_VERSION, "agentauths", "AgentAuth", true, false},
    [RES_AGENTROLE] = {TK_GROUP, TK_VERSION, "agentroles", "AgentRole", true, false},
    [RES_AGENTSKILL] = {TK_GROUP, TK_VERSION, "agentskills", "AgentSkill", true, false},
    [RES_MCPSERVER] = {TK_GROUP, TK_VERSION, "mcpservers", "McpServer", true, false},
    [RES_REPOSITORY] = {TK_GROUP, TK_VERSION, "repositories", "Repository", true, false},
    [RES_CLUSTERACCESS] = {TK_GROUP, TK_VERSION, "clusteraccesses", "ClusterAccess", true, false},
    [RES_JOB] = {"batch", "v1", "jobs", "Job", true, true},
    [RES_CRONJOB] = {"batch", "v1", "cronjobs", "CronJob", true, true},
    [RES_CONFIGMAP] = {"", "v1", "configmaps", "ConfigMap", true, true},
    [RES_SERVICEACCOUNT] = {"", "v1", "serviceaccounts", "ServiceAccount", true, true},
    [RES_PVC] = {"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, true},
    [RES_CLUSTERROLE] = {"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false,
                         true},
    [RES_CLUSTERROLEBINDING] = {"rbac.authorization.k8s.io", "v1", "clusterrolebindings",
                                "ClusterRoleBinding", false, true},
};

const struct ctl_res_info *ctl_res_info(enum ctl_res r)
{
	if ((int)r < 0 || r >= RES_COUNT)
		return NULL;
	return &res_table[r];
}

struct store *ctl_store_new(enum ctl_res r)
{
	return store_new_indexed(res_table[r].child ? CTL_LABEL_AGENTJOB : NULL);
}

static bool ctl_reconciled(enum ctl_res r)
{
	return r == RES_AGENTJOB || r == RES_AGENTROLE || r == RES_CLUSTERACCESS;
}

int ctl_agentjobs_referencing(struct ctl *c, enum ctl_res r, const char *ns, const char *name,
                              struct strlist *out)
{
	struct buf key = BUF_INIT(3 * TK_MAX_NAME);
	const struct ctl_res_info *ri = ctl_res_info(r);
	int ret = 0;

	if (!c->refs || !ri || !name)
		return 0;
	if (buf_printf(&key, "%s/%s/%s", ri->kind, ns ? ns : "", name) < 0)
		goto out; /* longer than any real name: nothing can reference it */
	ret = refindex_lookup(c->refs, key.data, out);
out:
	buf_free(&key);
	return ret;
}

struct uses {
	const char *field, *name;
};

static bool agentjob_uses(json_object *aj, void *ud)
{
	const struct uses *u = ud;

	return status_uses(aj, u->field, u->name);
}

int ctl_count_users(struct ctl *c, const char *ns, const char *field, const char *name)
{
	struct uses u = {field, name};

	return (int)store_count(c->stores[RES_AGENTJOB], ns, agentjob_uses, &u);
}

int ctl_key_parse(char *key, enum ctl_res *kind, const char **ns, const char **name)
{
	char *s1 = strchr(key, '/'), *s2;
	int r;

	if (!s1)
		return -EINVAL;
	s2 = strchr(s1 + 1, '/');
	if (!s2 || s1 == key || s2 == s1 + 1 || s2[1] == '\0' || strchr(s2 + 1, '/'))
		return -EINVAL;
	*s1 = '\0';
	for (r = 0; r < RES_COUNT; r++)
		if (ctl_reconciled(r) && strcmp(res_table[r].kind, key) == 0)
			break;
	if (r == RES_COUNT) {
		*s1 = '/';
		return -EINVAL;
	}
	*s2 = '\0';
	*kind = r;
	*ns = s1 + 1;
	*name = s2 + 1;
	return 0;
}

static int add_key(struct strlist *keys, enum ctl_res kind, const char *ns, const char *name)
{
	if (!ns || !*ns || !name || !*name)
		return 0;
	return strlist_addf(keys, "%s/%s/%s", res_table[kind].kind, ns, name);
}

int ctl_enqueue(struct ctl *c, enum ctl_res kind, const char *ns, const char *name, int delay_s)
{
	struct buf key = BUF_INIT(3 * TK_MAX_NAME);
	int r;

	if (!ctl_reconciled(kind) || !ns || !*ns || !name || !*name)
		return -EINVAL;
	if (!c->queue)
		return 0;
	r = buf_printf(&key, "%s/%s/%s", res_table[kind].kind, ns, name);
	if (r < 0)
		goto out;
	r = queue_add_after(c->queue, key.data, (int64_t)delay_s * 1000);
	if (r == -ESHUTDOWN)
		r = 0;
out:
	buf_free(&key);
	return r;
}

/* Keys "AgentRole/..." and "ClusterAccess/..." among the reference keys
 * of an AgentJob: those objects count their users. */
static int add_counted_refs(struct strlist *keys, const struct strlist *refs)
{
	size_t i;
	int r;

	for (i = 0; i < refs->n; i++) {
		if (strncmp(refs->v[i], "AgentRole/", 10) != 0 &&
		    strncmp(refs->v[i], "ClusterAccess/", 14) != 0)
			continue;
		r = strlist_add(keys, refs->v[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int route_agentjob(struct ctl *c, json_object *obj, bool deleted, struct strlist *keys)
{
	struct strlist prev = {0}, now = {0};
	const char *ns = store_obj_namespace(obj), *name = store_obj_name(obj);
	int r;

	r = add_key(keys, RES_AGENTJOB, ns, name);
	if (r < 0 || !name)
		goto out;
	if (c->refs) {
		r = refindex_update(c->refs, ns, name, deleted ? NULL : obj, &prev);
		if (r < 0)
			goto out;
	}
	r = add_counted_refs(keys, &prev);
	if (r < 0 || deleted)
		goto out;
	r = refindex_refs_of(obj, &now);
	if (r < 0)
		goto out;
	r = add_counted_refs(keys, &now);
out:
	strlist_free(&prev);
	strlist_free(&now);
	return r;
}

static int route_referenced(struct ctl *c, enum ctl_res res, json_object *obj, struct strlist *keys)
{
	struct strlist users = {0};
	const char *ns = store_obj_namespace(obj), *name = store_obj_name(obj);
	size_t i;
	int r = 0;

	if (ctl_reconciled(res)) {
		r = add_key(keys, res, ns, name);
		if (r < 0)
			goto out;
	}
	r = ctl_agentjobs_referencing(c, res, ns, name, &users);
	for (i = 0; r == 0 && i < users.n; i++)
		r = strlist_addf(keys, "%s/%s", res_table[RES_AGENTJOB].kind, users.v[i]);
out:
	strlist_free(&users);
	return r;
}

/* The controller ownerReference of obj, or NULL. The API server allows
 * at most one reference with controller: true. */
static json_object *controller_ref(json_object *obj)
{
	json_object *meta, *refs, *c;
	size_t i, n;

	if (!json_object_object_get_ex(obj, "metadata", &meta) ||
	    !json_object_object_get_ex(meta, "ownerReferences", &refs) ||
	    !json_object_is_type(refs, json_type_array))
		return NULL;
	n = json_object_array_length(refs);
	for (i = 0; i < n; i++) {
		json_object *ref = json_object_array_get_idx(refs, i);

		if (json_object_object_get_ex(ref, "controller", &c) &&
		    json_object_is_type(c, json_type_boolean) && json_object_get_boolean(c))
			return ref;
	}
	return NULL;
}

static const char *ref_str(json_object *ref, const char *field)
{
	json_object *v;

	if (!json_object_object_get_ex(ref, field, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Whether ref is of kind in API group group (apiVersion "group/version"). */
static bool ref_is(json_object *ref, const char *group, const char *kind)
{
	const char *k = ref_str(ref, "kind"), *av = ref_str(ref, "apiVersion");
	size_t gl = strlen(group);

	return k && av && strcmp(k, kind) == 0 && strncmp(av, group, gl) == 0 && av[gl] == '/';
}

const char *ctl_child_owner(enum ctl_res r, json_object *obj)
{
	json_object *ref;
	const char *name, *managed;

	if ((int)r < 0 || r >= RES_COUNT || !res_table[r].child || !res_table[r].namespaced)
		return NULL;
	ref = controller_ref(obj);
	if (!ref)
		return NULL;
	if (ref_is(ref, TK_GROUP, res_table[RES_AGENTJOB].kind)) {
		name = ref_str(ref, "name");
		return name && *name ? name : NULL;
	}
	if (r != RES_JOB || !ref_is(ref, res_table[RES_CRONJOB].group, res_table[RES_CRONJOB].kind))
		return NULL;
	managed = store_obj_label(obj, CTL_LABEL_MANAGED_BY);
	name = store_obj_label(obj, CTL_LABEL_AGENTJOB);
	if (!managed || strcmp(managed, CTL_MANAGED_BY) != 0 || !name || !*name)
		return NULL;
	return name;
}

static int route_child(enum ctl_res res, json_object *obj, struct strlist *keys)
{
	const char *aj = store_obj_label(obj, CTL_LABEL_AGENTJOB);
	const char *aj_ns = store_obj_label(obj, CTL_LABEL_AGENTJOB_NS);
	const char *ca = store_obj_label(obj, CTL_LABEL_CLUSTERACCESS);
	const char *ca_ns = store_obj_label(obj, CTL_LABEL_CLUSTERACCESS_NS);
	int r;

	/* Namespaced children by their controller, never by their labels. */
	if (res_table[res].namespaced)
		return add_key(keys, RES_AGENTJOB, store_obj_namespace(obj),
		               ctl_child_owner(res, obj));
	/* Only cluster admins create cluster-scoped objects: labels will do. */
	r = add_key(keys, RES_AGENTJOB, aj_ns, aj);
	if (r < 0)
		return r;
	return add_key(keys, RES_CLUSTERACCESS, ca_ns, ca);
}

int ctl_route(struct ctl *c, enum ctl_res r, json_object *obj, bool deleted, struct strlist *keys)
{
	if (!json_object_is_type(obj, json_type_object) || (int)r < 0 || r >= RES_COUNT)
		return 0;
	if (r == RES_AGENTJOB)
		return route_agentjob(c, obj, deleted, keys);
	if (!res_table[r].child)
		return route_referenced(c, r, obj, keys);
	return route_child(r, obj, keys);
}

int ctl_handle_event(struct ctl *c, enum ctl_res r, json_object *obj, bool deleted)
{
	struct strlist keys = {0};
	size_t i;
	int ret;

	ret = ctl_route(c, r, obj, deleted, &keys);
	for (i = 0; ret == 0 && c->queue && i < keys.n; i++) {
		ret = queue_add(c->queue, keys.v[i]);
		if (ret == -ESHUTDOWN)
			ret = 0;
	}
	strlist_free(&keys);
	return ret;
}

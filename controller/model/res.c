/* res.c - the resource table, the work-queue key codec, child ownership. */
#include "compat.h"

#include "model/res.h"

#include <errno.h>
#include <string.h>

#include "jsonutil.h"
#include "names.h"
#include "schema.h"

static const struct res_info res_table[RES_COUNT] = {
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
    [RES_NETWORKPOLICY] = {"networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true,
                           true},
    [RES_CLUSTERROLE] = {"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false,
                         true},
    [RES_CLUSTERROLEBINDING] = {"rbac.authorization.k8s.io", "v1", "clusterrolebindings",
                                "ClusterRoleBinding", false, true},
};

const struct res_info *res_info(enum res r)
{
	if ((int)r < 0 || r >= RES_COUNT)
		return NULL;
	return &res_table[r];
}

const char *res_kind(enum res r)
{
	return (int)r < 0 || r >= RES_COUNT ? "" : res_table[r].kind;
}

enum res res_of_kind(const char *kind)
{
	int r;

	for (r = 0; kind && r < RES_COUNT; r++)
		if (strcmp(res_table[r].kind, kind) == 0)
			return (enum res)r;
	return RES_COUNT;
}

bool res_reconciled(enum res r)
{
	return r == RES_AGENTJOB || r == RES_AGENTROLE || r == RES_CLUSTERACCESS ||
	       r == RES_AGENTAUTH;
}

int res_key_add(struct strlist *keys, enum res kind, const char *ns, const char *name)
{
	if (!ns || !*ns || !name || !*name || !res_info(kind))
		return 0;
	return strlist_addf(keys, "%s/%s/%s", res_table[kind].kind, ns, name);
}

int res_key_parse(char *key, enum res *kind, const char **ns, const char **name)
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
		if (res_reconciled(r) && strcmp(res_table[r].kind, key) == 0)
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

/* Whether ref is of kind in API group group (apiVersion "group/version"). */
static bool ref_is(json_object *ref, const char *group, const char *kind)
{
	const char *k = jsonutil_str(ref, "kind"), *av = jsonutil_str(ref, "apiVersion");
	size_t gl = strlen(group);

	return k && av && strcmp(k, kind) == 0 && strncmp(av, group, gl) == 0 && av[gl] == '/';
}

json_object *res_controller_ref(json_object *obj)
{
	json_object *refs = jsonutil_get(jsonutil_get(obj, "metadata"), "ownerReferences");
	size_t i, n;

	if (!json_object_is_type(refs, json_type_array))
		return NULL;
	n = json_object_array_length(refs);
	for (i = 0; i < n; i++) {
		json_object *ref = json_object_array_get_idx(refs, i);
		json_object *c = jsonutil_get(ref, "controller");

		if (json_object_is_type(c, json_type_boolean) && json_object_get_boolean(c))
			return ref;
	}
	return NULL;
}

const char *res_child_owner(enum res r, json_object *obj)
{
	json_object *ref;
	const char *name, *managed;

	if ((int)r < 0 || r >= RES_COUNT || !res_table[r].child || !res_table[r].namespaced)
		return NULL;
	ref = res_controller_ref(obj);
	if (!ref)
		return NULL;
	if (ref_is(ref, TK_GROUP, res_table[RES_AGENTJOB].kind)) {
		name = jsonutil_str(ref, "name");
		return name && *name ? name : NULL;
	}
	if (r != RES_JOB || !ref_is(ref, res_table[RES_CRONJOB].group, res_table[RES_CRONJOB].kind))
		return NULL;
	managed = jsonutil_label(obj, NAMES_LABEL_MANAGED_BY);
	name = jsonutil_label(obj, NAMES_LABEL_AGENTJOB);
	if (!managed || strcmp(managed, NAMES_MANAGED_BY) != 0 || !name || !*name)
		return NULL;
	return name;
}

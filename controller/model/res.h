/*
 * res.h - the resources the controller knows, by enum end to end: the
 * table that maps each to its API group, version, plural and kind, the
 * work-queue key codec ("Kind/namespace/name"), and which AgentJob owns a
 * namespaced child. Pure; no I/O, no state.
 */
#ifndef THURKUBE_RES_H
#define THURKUBE_RES_H

#include "compat.h"

#include <stdbool.h>

#include <json-c/json.h>

#include "util.h"

/* Every resource the controller lists and watches. */
enum res {
	RES_AGENTJOB = 0,
	RES_AGENTRUNTIME,
	RES_AGENTAUTH,
	RES_AGENTROLE,
	RES_AGENTSKILL,
	RES_MCPSERVER,
	RES_REPOSITORY,
	RES_CLUSTERACCESS,
	/* children, watched with app.kubernetes.io/managed-by=thurkube; the
	 * namespaced ones are cached only when res_child_owner names an owner */
	RES_JOB,
	RES_CRONJOB,
	RES_CONFIGMAP,
	RES_SERVICEACCOUNT,
	RES_PVC,
	RES_NETWORKPOLICY,
	RES_CLUSTERROLE,
	RES_CLUSTERROLEBINDING,
	RES_COUNT
};

struct res_info {
	const char *group; /* "" for core */
	const char *version;
	const char *plural;
	const char *kind;
	bool namespaced;
	bool child; /* watched with the managed-by selector */
};

/* The table entry of r, or NULL when r is out of range. */
const struct res_info *res_info(enum res r);
/* The kind string of r ("AgentJob"), "" when out of range. */
const char *res_kind(enum res r);
/* The resource whose kind is kind ("ConfigMap"), RES_COUNT when none. */
enum res res_of_kind(const char *kind);
/* AgentJob, AgentRole, ClusterAccess and AgentAuth (its run queue): the
 * kinds with a reconciler. */
bool res_reconciled(enum res r);

/*
 * Work-queue keys are "Kind/namespace/name" with Kind a reconciled kind.
 * res_key_add appends the key of (kind, ns, name) to keys, nothing when
 * ns or name is NULL or empty (0 or -ENOMEM). res_key_parse splits key in
 * place into the three parts (pointers into key): 0 or -EINVAL (not
 * three non-empty parts, or a kind without a reconciler).
 */
int res_key_add(struct strlist *keys, enum res kind, const char *ns,
                const char *name) TK_MUST_CHECK;
int res_key_parse(char *key, enum res *kind, const char **ns, const char **name) TK_MUST_CHECK;

/*
 * The AgentJob (in obj's own namespace) that the namespaced child obj of
 * kind r (Job, CronJob, ConfigMap, ServiceAccount, PVC) belongs to:
 *  - the name in its controller ownerReference (controller: true) of kind
 *    AgentJob in group TK_GROUP, or
 *  - for a Job whose controller ownerReference is a batch CronJob, its
 *    NAMES_LABEL_AGENTJOB label when it also carries managed-by=thurkube
 *    (a run the CronJob started; the reconciler checks that CronJob's UID).
 * NULL otherwise, and for every other kind: labels alone are no claim,
 * since anyone who may create a ConfigMap may label it. Such an object is
 * neither cached nor routed (the store filter). The name is borrowed from
 * obj.
 */
const char *res_child_owner(enum res r, json_object *obj);

/* The ownerReference of obj (borrowed) with controller: true (the API
 * server allows at most one), or NULL. */
json_object *res_controller_ref(json_object *obj);

#endif

/*
 * build.h - pure builders of everything the controller creates.
 *
 * From a decoded AgentJob and its resolved references, build the desired
 * child objects as json-c trees: ConfigMap <name>-config (agent.json),
 * PVC <name>-data, ServiceAccount <name>-runner, ClusterRoleBinding
 * thurkube-aj-<16 hex of sha256(ns "/" name)>, NetworkPolicy <name>-egress
 * (when its AgentRuntime restricts egress), and CronJob <name> or Job
 * <name>-<configHash>. From a ClusterAccess, build its ClusterRole
 * thurkube-ca-<16 hex of sha256(ns "/" name)>. Nothing here logs or
 * touches the network; every function is deterministic.
 *
 * Naming decision: cluster-scoped names hash "namespace/name" (a '/' can
 * appear in neither part, so the input is unambiguous, unlike thurkube's
 * "thurkube-<ns>-<name>"). The hash is 64 bits; a collision is detected
 * by the agentjob/clusteraccess name labels before anything is applied.
 *
 * Every child carries the annotation NAMES_ANN_APPLIED_HASH: a hash of the
 * rest of the desired object. A field we stop sending changes it, so the
 * subset comparison (build_subset) sees the difference and the next apply
 * removes the field; a steady object compares equal and costs no write.
 */
#ifndef THURKUBE_BUILD_H
#define THURKUBE_BUILD_H

#include "compat.h"

#include <stdbool.h>

#include <json-c/json.h>

#include "model/res.h"
#include "names.h"
#include "schema.h"
#include "types.h"
#include "util.h"

#define BUILD_RUN_UID   65532
#define BUILD_HOME      "/home/agent"
#define BUILD_CONTAINER "agent"
/* Where the agent writes its results (results.h); the kubelet's default. */
#define BUILD_TERMINATION_LOG "/dev/termination-log"
#define BUILD_HASH_LEN        16

/*
 * Controller-wide settings of what the build writes (controller flags).
 * They are not the user's configuration: they do not enter configHash, so
 * changing a flag or upgrading the controller never starts a one-shot
 * again; a CronJob's template follows at its next apply, a running Job
 * keeps the template it was created with.
 */
struct build_policy {
	/* sizeLimit of the agent pod's emptyDir volumes (tmp, home); NULL:
	 * BUILD_DEFAULT_EMPTYDIR_LIMIT, "": no limit. */
	const char *empty_dir_size_limit;
	/* The DNS pods a Restricted AgentJob may reach on port 53: namespace
	 * (NULL: "kube-system") and pod label key=value (NULL:
	 * BUILD_DEFAULT_DNS_LABEL). */
	const char *dns_namespace;
	const char *dns_pod_label;
};

#define BUILD_DEFAULT_EMPTYDIR_LIMIT "10Gi"
#define BUILD_DEFAULT_DNS_NAMESPACE  "kube-system"
#define BUILD_DEFAULT_DNS_LABEL      "k8s-app=kube-dns"
/* The link-local ranges a Restricted AgentJob never reaches, whatever its
 * allow list: cloud metadata services answer there (169.254.169.254,
 * fd00:ec2::254). The schema refuses an allow entry inside them; a larger
 * block gets them as ipBlock.except. */
#define BUILD_LINK_LOCAL_V4 "169.254.0.0/16"
#define BUILD_LINK_LOCAL_V6 "fe80::/10"
#define BUILD_METADATA_V6   "fd00:ec2::254/128"

/*
 * The resolved references of one AgentJob, all borrowed. mcp and repos
 * are arrays in the order of spec.mcpServerRefs / spec.repositoryRefs
 * (aj->spec.mcp_server_refs.n and repository_refs.n entries). skill and
 * cluster_access are NULL when the spec does not name them.
 */
struct build_refs {
	const struct tk_agentruntime *runtime;
	const struct tk_agentauth *auth;
	const struct tk_agentrole *role;
	const struct tk_agentskill *skill;
	const struct tk_clusteraccess *cluster_access;
	const struct tk_mcpserver *mcp;
	const struct tk_repository *repos;
	/* The controller's pod and network policy (controller flags); NULL: the
	 * BUILD_DEFAULT_* values. */
	const struct build_policy *policy;
};

/* The desired children of one AgentJob. json_object members are new
 * references owned by the struct (NULL when that child is not desired);
 * strings are owned. Release with build_out_free. */
struct build_out {
	char *agent_json; /* the exact ConfigMap bytes */
	char config_hash[BUILD_HASH_LEN + 1];
	char thurkube_hash[BUILD_HASH_LEN + 1]; /* build_thurkube_hash of agent_json */
	char *job_name;                         /* "<name>-<hash>" (one-shot mode), else NULL */
	char *thurkube_job_name;                /* "<name>-<thurkube_hash>" (one-shot mode), else
	                                           NULL: the Job thurkube made for this agent.json */
	char *crb_name;                         /* always set (used for pruning) */
	char *cluster_role_name;                /* set with clusterAccessRef, else NULL */
	json_object *configmap;
	json_object *pvc;             /* persist */
	json_object *service_account; /* clusterAccessRef */
	json_object *crb;             /* clusterAccessRef */
	json_object *cronjob;         /* schedule */
	json_object *job;             /* no schedule */
	json_object *network_policy;  /* runtime network.egress Restricted */
	json_object *pod_template;    /* the shared pod template */
};

/*
 * Build every desired child. aj->meta must have name, namespace and uid.
 * Returns 0 and fills *out, -EINVAL when a required reference or field is
 * missing, -ENOMEM, or -E2BIG when agent.json passes TK_MAX_API_BODY.
 * *out is left zeroed on failure.
 */
int build_children(const struct tk_agentjob *aj, const struct build_refs *refs,
                   struct build_out *out) TK_MUST_CHECK;
void build_out_free(struct build_out *out);

/*
 * The env entries the controller leaves out of the agent container because
 * it sets the same name itself, and its value wins: <authEnvVar> (from the
 * AgentRuntime), HOME, CONFIG_DIR, PERSIST_DIR with persist, GH_TOKEN and
 * REPO_TOKEN_<i> from Repositories with a token (names.h). The webhook
 * refuses such names at admission; they still arrive when a Repository
 * gains a token after the AgentJob was admitted, or from objects stored
 * before the webhook. Appends one note per entry of spec.env and of each
 * McpServer's env, e.g. "spec.env[2] GH_TOKEN is set by thurkube from
 * Repository \"r\" (spec.tokenSecretRef)". 0, -EINVAL (refs incomplete) or
 * -ENOMEM (out may then hold a prefix; the caller frees it either way).
 */
int build_env_conflicts(const struct tk_agentjob *aj, const struct build_refs *refs,
                        struct strlist *out) TK_MUST_CHECK;

/*
 * Render agent.json (key order prompt, instructions?, model?,
 * allowedTools, skill?, mcpServers, repositories; serde_json's pretty
 * format: 2-space indent, no trailing newline). *out is a new string.
 * 0, -EINVAL (refs->role missing) or -ENOMEM.
 */
int build_agent_json(const struct tk_agentjob *aj, const struct build_refs *refs,
                     char **out) TK_MUST_CHECK;

/*
 * configHash: the first 16 hex chars of SHA-256 over agent.json, one '\n'
 * and the canonical rendering (build_render_canonical) of the pod
 * template, so any change to the image, env, resources, volumes, security
 * settings, runtime class, pod metadata or placement gives a new hash;
 * when egress is Restricted, one more '\n' and the canonical rendering
 * of network ({"egress","allow"} as the AgentRuntime gives them; NULL
 * otherwise), so a change of the egress rules does too. The template hashed is the user's: the
 * build_policy fields (enableServiceLinks, emptyDir sizeLimit) are added after hashing. 0 or
 * -ENOMEM.
 */
int build_config_hash(const char *agent_json, json_object *pod_template, json_object *network,
                      char out[BUILD_HASH_LEN + 1]) TK_MUST_CHECK;

/*
 * thurkube's configHash of agent_json: the first 16 hex chars of SHA-256
 * over the agent.json bytes alone. build_agent_json renders the bytes
 * thurkube renders (same keys, order, pretty format and escaping; the
 * reference spec, section 2.3), so this is the hash thurkube wrote into
 * status.configHash and into its Job names for the same spec. Used only
 * to recognise a run thurkube already made (plan.h, adoption). Pure.
 */
void build_thurkube_hash(const char *agent_json, char out[BUILD_HASH_LEN + 1]);

/* Pretty JSON exactly as serde_json renders it (insertion key order).
 * Appends to out. 0, -ENOMEM or -E2BIG. */
int build_render_pretty(json_object *o, struct buf *out) TK_MUST_CHECK;
/* Compact JSON with object keys sorted bytewise at every level: a
 * rendering that depends only on content. Appends to out. */
int build_render_canonical(json_object *o, struct buf *out) TK_MUST_CHECK;

/*
 * A run started by the NAMES_ANN_RUN annotation with value token: the Job
 * <name>-r<8 hex of sha256(token)>, controlled by the AgentJob, carrying
 * the four labels and NAMES_LABEL_RUN_NOW=<the 8 hex>, its spec the
 * one-shot Job's (d->job) or the CronJob's jobTemplate spec (d->cronjob),
 * stamped like every child. build_run_now_name gives the name alone.
 * New reference / string, NULL on allocation failure or when d has
 * neither Job nor CronJob.
 */
#define BUILD_RUN_NOW_HEX 8
char *build_run_now_name(const char *aj_name, const char *token);
json_object *build_run_now(const struct tk_agentjob *aj, const struct build_out *d,
                           const char *token);

/* "thurkube-aj-<16 hex>" / "thurkube-ca-<16 hex>" for namespace/name.
 * New string or NULL on allocation failure. */
char *build_crb_name(const char *ns, const char *name);
char *build_clusterrole_name(const char *ns, const char *name);

/* The four labels of every AgentJob child (new object, NULL on OOM). */
json_object *build_labels(const struct tk_agentjob *aj);

/*
 * The ClusterRole of a ClusterAccess (new reference, NULL on OOM or when
 * the meta lacks name/namespace/uid): rules copied verbatim, labels
 * managed-by, clusteraccess, clusteraccess-namespace and owner-uid.
 */
json_object *build_clusterrole(const struct tk_clusteraccess *ca);

/*
 * The semantic comparison that decides whether an apply is needed:
 * true when every field of desired is present and equal in observed.
 * At the top level apiVersion/kind are skipped (list items lack them) and
 * of metadata only labels, annotations and ownerReferences are compared.
 * Arrays must have the same length and match element by element. A
 * desired zero value (false, 0, "", [], {}) matches an absent field, the
 * way Go's omitempty drops it; quantities under "limits"/"requests"
 * compare by value ("1000m" equals "1"). Both are borrowed.
 */
bool build_subset(json_object *desired, json_object *observed);

#endif

/*
 * types.h - typed views of the eight kinds, decoded from json-c objects.
 *
 * Decoding applies the schema defaults to absent fields, so a decoded
 * AgentJob always has timezone, timeoutSeconds, etc. Decoding does not
 * run the semantic validation (schema_validate does); it fails only when
 * a field has the wrong JSON type or a required field is missing, and then
 * reports each problem with its field path in errs.
 *
 * Ownership: every char * and struct strlist in these structs is owned by
 * the struct and freed by the matching *_free(). json_object * members are
 * new references held by the struct (core/v1 passthrough values copied
 * verbatim into child objects), NULL when absent.
 */
#ifndef THURKUBE_TYPES_H
#define THURKUBE_TYPES_H

#include "compat.h"

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "fielderr.h"
#include "util.h"

struct tk_meta {
	char *name;
	char *namespace;
	char *uid;
	char *resource_version;
	int64_t generation;
	bool deleting;            /* metadata.deletionTimestamp is set */
	json_object *labels;      /* new ref or NULL */
	json_object *annotations; /* new ref or NULL */
	struct strlist finalizers;
};

struct tk_secret_key_ref {
	char *name;
	char *key;
};

struct tk_agentjob_spec {
	char *schedule;           /* NULL: one-shot Job */
	char *timezone;           /* default "Etc/UTC" */
	bool suspend;             /* default false */
	char *runtime_ref;        /* required */
	char *auth_ref;           /* required */
	char *role_ref;           /* required */
	char *skill_ref;          /* optional */
	char *cluster_access_ref; /* optional */
	struct strlist mcp_server_refs;
	struct strlist repository_refs;
	char *prompt; /* required */
	char *instructions;
	char *model;
	json_object *resources;             /* core/v1 ResourceRequirements */
	int64_t timeout_seconds;            /* default 3600 */
	json_object *env;                   /* []core/v1 EnvVar */
	json_object *env_from;              /* []core/v1 EnvFromSource */
	bool persist;                       /* default false */
	json_object *image_pull_secrets;    /* []{name} */
	json_object *node_selector;         /* map[string]string */
	json_object *tolerations;           /* []core/v1 Toleration */
	int64_t ttl_seconds_after_finished; /* default 86400 */
	char *pv_size;                      /* persistentVolume.size, default "1Gi" */
	char *pv_storage_class;             /* persistentVolume.storageClassName */
	char *concurrency_policy;           /* "Forbid" (default) | "Replace" */
	bool has_starting_deadline;
	int64_t starting_deadline_seconds;
	int64_t backoff_limit;                 /* default 0 */
	int64_t successful_jobs_history_limit; /* default 3 */
	int64_t failed_jobs_history_limit;     /* default 3 */
	/* pod metadata and placement (passed through to the pod template) */
	json_object *pod_labels;                  /* map[string]string */
	json_object *pod_annotations;             /* map[string]string */
	json_object *affinity;                    /* core/v1 Affinity */
	char *priority_class_name;                /* NULL when unset */
	json_object *topology_spread_constraints; /* []core/v1 TopologySpreadConstraint */
};

struct tk_agentjob_status {
	char *phase;
	char *message;
	int64_t observed_generation;
	char *config_hash;
	char *run_token; /* the last NAMES_ANN_RUN value handled */
	char *last_run_time;
	char *last_completion_time;
	json_object *owned_resources; /* [] {kind, name} */
	json_object *conditions;      /* [] metav1.Condition */
	json_object *raw;             /* the whole status object or NULL */
};

struct tk_agentjob {
	struct tk_meta meta;
	struct tk_agentjob_spec spec;
	struct tk_agentjob_status status;
};

struct tk_agentruntime {
	struct tk_meta meta;
	char *image;
	struct strlist command;
	struct strlist args;
	char *auth_env_var;
	char *config_path;
	char *persist_path;
	char *image_pull_policy;  /* NULL when unset */
	char *runtime_class_name; /* NULL when unset */
	/* spec.network: egress is NULL (Unrestricted) or "Unrestricted" or
	 * "Restricted"; allow is the []{cidr, ports} list or NULL. */
	char *egress;
	json_object *egress_allow;
};

struct tk_agentauth {
	struct tk_meta meta;
	struct tk_secret_key_ref secret_ref;
	int64_t max_concurrent_runs; /* 0: no limit */
};

struct tk_agentrole {
	struct tk_meta meta;
	struct strlist allowed_tools;
};

struct tk_agentskill {
	struct tk_meta meta;
	char *repo;
	char *name;
	char *ref; /* default "main" */
};

struct tk_mcpserver {
	struct tk_meta meta;
	char *command; /* exactly one of command/url */
	struct strlist args;
	char *url;
	json_object *env; /* []core/v1 EnvVar */
};

struct tk_repository {
	struct tk_meta meta;
	char *owner;
	char *name;
	bool has_token;
	struct tk_secret_key_ref token_secret_ref;
};

struct tk_clusteraccess {
	struct tk_meta meta;
	json_object *rules; /* []rbac/v1 PolicyRule */
};

/*
 * Decoders: obj is borrowed. On success return 0 and fill *out (which the
 * caller releases with the matching *_free). On failure return -EINVAL
 * with errs filled (field paths like "spec.runtimeRef"), -ENOMEM, or
 * -E2BIG when a field path would exceed TK_MAX_FIELD_PATH (never cut
 * short); *out is then left zeroed and needs no free.
 */
int tk_agentjob_decode(json_object *obj, struct tk_agentjob *out,
                       struct fielderrs *errs) TK_MUST_CHECK;
int tk_agentruntime_decode(json_object *obj, struct tk_agentruntime *out,
                           struct fielderrs *errs) TK_MUST_CHECK;
int tk_agentauth_decode(json_object *obj, struct tk_agentauth *out,
                        struct fielderrs *errs) TK_MUST_CHECK;
int tk_agentrole_decode(json_object *obj, struct tk_agentrole *out,
                        struct fielderrs *errs) TK_MUST_CHECK;
int tk_agentskill_decode(json_object *obj, struct tk_agentskill *out,
                         struct fielderrs *errs) TK_MUST_CHECK;
int tk_mcpserver_decode(json_object *obj, struct tk_mcpserver *out,
                        struct fielderrs *errs) TK_MUST_CHECK;
int tk_repository_decode(json_object *obj, struct tk_repository *out,
                         struct fielderrs *errs) TK_MUST_CHECK;
int tk_clusteraccess_decode(json_object *obj, struct tk_clusteraccess *out,
                            struct fielderrs *errs) TK_MUST_CHECK;

void tk_agentjob_free(struct tk_agentjob *v);
void tk_agentruntime_free(struct tk_agentruntime *v);
void tk_agentauth_free(struct tk_agentauth *v);
void tk_agentrole_free(struct tk_agentrole *v);
void tk_agentskill_free(struct tk_agentskill *v);
void tk_mcpserver_free(struct tk_mcpserver *v);
void tk_repository_free(struct tk_repository *v);
void tk_clusteraccess_free(struct tk_clusteraccess *v);

#endif

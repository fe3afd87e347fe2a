/*
 * names.h - the name rules of Kubernetes validation, with the API server's
 * own wording in the reason (k8s.io/apimachinery/pkg/util/validation).
 * Each takes a NUL-terminated string and returns 1 when valid, 0 when not
 * (and then writes the reason into why, replacing its contents, when why
 * is non-NULL; why is left alone when valid). When several rules fail,
 * the reasons are joined by "; " in the order the API server lists them,
 * e.g. "must be no more than 63 characters; a lowercase RFC 1123 label
 * must consist of ...". A reason that does not fit why's limit is
 * dropped; the verdict still stands. Pure.
 */
#ifndef THURKUBE_NAMES_H
#define THURKUBE_NAMES_H

#include "compat.h"

#include "util.h"

/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63. A string
 * that would be a valid subdomain gets "must not contain dots". */
int names_dns1123_label(const char *s, struct buf *why);
/* RFC 1123 subdomain: labels joined by '.', at most 253 (object names). */
int names_dns1123_subdomain(const char *s, struct buf *why);
/* Environment variable name: [-._a-zA-Z][-._a-zA-Z0-9]*, and not ".",
 * ".." or starting with ".." (IsEnvVarName, strict form). */
int names_env_var(const char *s, struct buf *why);
/* C identifier: [A-Za-z_][A-Za-z0-9_]* (authEnvVar, so shells can read it). */
int names_c_identifier(const char *s, struct buf *why);
/* Label value: empty or ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], <= 63. */
int names_label_value(const char *s, struct buf *why);
/* Qualified name (label and annotation keys, topology keys): an optional
 * DNS-1123 subdomain prefix and '/', then a name of at most 63
 * characters matching ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
 * (IsQualifiedName). */
int names_qualified_name(const char *s, struct buf *why);

/*
 * The cluster-scoped objects thurkube makes carry hashed names, because
 * "namespace/name" is unambiguous (a '/' fits in neither part) where
 * thurkube's "thurkube-<ns>-<name>" is not: the ClusterRoleBinding of an
 * AgentJob is NAMES_CRB_PREFIX + 16 hex of sha256(ns "/" name), the
 * ClusterRole of a ClusterAccess NAMES_CLUSTERROLE_PREFIX + the same.
 * Both services derive them (the controller to create, the webhook to see
 * whether they exist). New string, NULL on allocation failure or NULL
 * input.
 */
#define NAMES_CRB_PREFIX         "thurkube-aj-"
#define NAMES_CLUSTERROLE_PREFIX "thurkube-ca-"
#define NAMES_HASH_LEN           16
char *names_crb(const char *ns, const char *name);
char *names_clusterrole(const char *ns, const char *name);

/* Labels, annotation, finalizer and field manager of every object
 * thurkube makes: the one home of these strings. */
#define NAMES_LABEL_MANAGED_BY       "app.kubernetes.io/managed-by"
#define NAMES_MANAGED_BY             "thurkube"
#define NAMES_LABEL_AGENTJOB         "thurkube.thurbeen.eu/agentjob"
#define NAMES_LABEL_AGENTJOB_NS      "thurkube.thurbeen.eu/agentjob-namespace"
#define NAMES_LABEL_CLUSTERACCESS    "thurkube.thurbeen.eu/clusteraccess"
#define NAMES_LABEL_CLUSTERACCESS_NS "thurkube.thurbeen.eu/clusteraccess-namespace"
#define NAMES_LABEL_CLUSTERROLE      "thurkube.thurbeen.eu/clusterrole"
#define NAMES_LABEL_OWNER_UID        "thurkube.thurbeen.eu/owner-uid"
#define NAMES_ANN_APPLIED_HASH       "thurkube.thurbeen.eu/applied-hash"
#define NAMES_FINALIZER              "thurkube.thurbeen.eu/finalizer"
#define NAMES_FIELD_MANAGER          "thurkube"
/* Run controls on an AgentJob (docs/api-guide.md, Runs): "true" stops the active
 * run (the controller then removes the annotation); each new value of
 * NAMES_ANN_RUN starts one run now (the handled value is kept in
 * status.runToken). A run so started is a Job labelled NAMES_LABEL_RUN_NOW. */
#define NAMES_ANN_STOP      "thurkube.thurbeen.eu/stop"
#define NAMES_ANN_RUN       "thurkube.thurbeen.eu/run"
#define NAMES_LABEL_RUN_NOW "thurkube.thurbeen.eu/run-now"
#define NAMES_MAX_RUN_TOKEN 253
/* On every run Job of an AgentJob whose AgentAuth sets maxConcurrentRuns:
 * the AgentAuth's name. Such Jobs are created suspended and released by
 * the AgentAuth's run queue (controller/model/runq.h). */
#define NAMES_LABEL_AGENTAUTH "thurkube.thurbeen.eu/agentauth"

/*
 * The variables the controller sets from an AgentJob's Repositories:
 * NAMES_ENV_GH_TOKEN from the first of spec.repositoryRefs that has a
 * tokenSecretRef, and NAMES_ENV_REPO_TOKEN "<i>" from the i-th (counted
 * from 0) when it has one.
 */
#define NAMES_ENV_GH_TOKEN   "GH_TOKEN"
#define NAMES_ENV_REPO_TOKEN "REPO_TOKEN_"
/* i when name is REPO_TOKEN_<i> as the controller writes it (decimal, no
 * leading zero, i below 1000000), else -1. */
long names_repo_token_index(const char *name);

#endif

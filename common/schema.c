/*
 * schema.c - the thurkube.thurbeen.eu/v1alpha1 API as data, and the CRD
 * manifests generated from it with libyaml's emitter.
 *
 * The tables follow thurkube's wire format (field names, JSON types,
 * defaults, required sets, `nullable` on its optional scalars) plus the
 * fields SPEC section 2.1 adds. The CRD carries types, defaults, enums and
 * numeric bounds, so the basics hold even if the webhook is down; the
 * semantic rules live in the check functions (schema_validate.c).
 */
#include "compat.h"

#include "schema.h"

#include <errno.h>
#include <yaml.h>

#include "limits.h"
#include "schema_int.h"

#define FIELDS(...) ((const struct sfield[]){__VA_ARGS__, {NULL, NULL, false}})
#define F(n, nd)                                                                                   \
	{                                                                                          \
		n, nd, false                                                                       \
	}
#define FR(n, nd)                                                                                  \
	{                                                                                          \
		n, nd, true                                                                        \
	}
#define NODE_INIT(t, d, ...)                                                                       \
	{                                                                                          \
		.type = (t), .desc = (d), __VA_ARGS__                                              \
	}
#define NODE(t, d, ...)      (&(const struct snode)NODE_INIT(t, d, __VA_ARGS__))
#define OBJ_INIT(d, f, ...)  NODE_INIT(SN_OBJECT, d, .fields = (f), __VA_ARGS__)
#define ARR_INIT(d, it, ...) NODE_INIT(SN_ARRAY, d, .items = (it), __VA_ARGS__)
#define STR(d, ...)          NODE(SN_STRING, d, __VA_ARGS__)
#define BOOL(d, ...)         NODE(SN_BOOL, d, __VA_ARGS__)
#define INT64(d, ...)        NODE(SN_INT, d, .format = "int64", __VA_ARGS__)
#define INT32(d, ...)        NODE(SN_INT, d, .format = "int32", __VA_ARGS__)
#define QTY(d, ...)          NODE(SN_QUANTITY, d, .check = schema_check_quantity, __VA_ARGS__)
#define OBJ(d, f, ...)       NODE(SN_OBJECT, d, .fields = (f), __VA_ARGS__)
#define ARR(d, it, ...)      NODE(SN_ARRAY, d, .items = (it), __VA_ARGS__)
#define MAP(d, it, ...)      NODE(SN_MAP, d, .items = (it), __VA_ARGS__)
#define ENUM(...)            ((const char *const[]){__VA_ARGS__, NULL})
/* A []string whose entries are at most m bytes. */
#define STRLIST(d, m, ...) ARR(d, STR(NULL, .max_len = (m)), __VA_ARGS__)

/* ---- core/v1 and rbac/v1 shapes (as the Kubernetes OpenAPI describes them) ---- */

static const struct snode n_key_selector_cm = OBJ_INIT(
    "Selects a key of a ConfigMap.",
    FIELDS(
        FR("key",
           STR("The key to select.", .max_len = TK_MAX_NAME, .check = schema_check_config_key)),
        FR("name", STR("Name of the referent.", .max_len = TK_MAX_NAME, .check = schema_check_ref)),
        F("optional", BOOL("Specify whether the ConfigMap or its key must be defined."))));

static const struct snode n_key_selector_secret = OBJ_INIT(
    "Selects a key of a Secret in the pod's namespace.",
    FIELDS(
        FR("key", STR("The key of the secret to select from. Must be a valid secret key.",
                      .max_len = TK_MAX_NAME, .check = schema_check_config_key)),
        FR("name", STR("Name of the referent.", .max_len = TK_MAX_NAME, .check = schema_check_ref)),
        F("optional", BOOL("Specify whether the Secret or its key must be defined."))));

static const struct snode n_env_var = OBJ_INIT(
    "EnvVar represents an environment variable present in a Container.",
    FIELDS(FR("name", STR("Name of the environment variable.", .max_len = TK_MAX_NAME)),
           F("value", STR("Variable value; may not be used together with valueFrom.",
                          .max_len = TK_MAX_STRING)),
           F("valueFrom",
             OBJ("Source for the environment variable's value. Cannot be used if value is not "
                 "empty.",
                 FIELDS(F("configMapKeyRef", &n_key_selector_cm),
                        F("fieldRef",
                          OBJ("Selects a field of the pod.",
                              FIELDS(F("apiVersion", STR("Version of the schema the FieldPath is "
                                                         "written in terms of.",
                                                         .max_len = TK_MAX_NAME)),
                                     FR("fieldPath",
                                        STR("Path of the field to select.", .flags = SN_NONEMPTY,
                                            .max_len = TK_MAX_STRING))))),
                        F("resourceFieldRef",
                          OBJ("Selects a resource of the container.",
                              FIELDS(F("containerName",
                                       STR("Container name.", .max_len = TK_MAX_LABEL)),
                                     F("divisor", QTY("Output format of the exposed resources.")),
                                     FR("resource",
                                        STR("Required: resource to select.", .flags = SN_NONEMPTY,
                                            .max_len = TK_MAX_QUALIFIED_NAME))))),
                        F("secretKeyRef", &n_key_selector_secret)),
                 .check = schema_check_env_source))));

static const struct snode n_env_list =
    ARR_INIT("List of environment variables to set in the agent container.", &n_env_var,
             .max_items = TK_MAX_ENV_ITEMS, .check = schema_check_env_list);

static const struct snode n_env_from = ARR_INIT(
    "Sources to populate environment variables in the agent container.",
    OBJ("EnvFromSource represents the source of a set of ConfigMaps or Secrets.",
        FIELDS(
            F("configMapRef",
              OBJ("The ConfigMap to select from.",
                  FIELDS(FR("name", STR("Name of the referent.", .max_len = TK_MAX_NAME,
                                        .check = schema_check_ref)),
                         F("optional", BOOL("Specify whether the ConfigMap must be defined."))))),
            F("prefix",
              STR("An optional identifier to prepend to each key.", .max_len = TK_MAX_NAME)),
            F("secretRef",
              OBJ("The Secret to select from.",
                  FIELDS(FR("name", STR("Name of the referent.", .max_len = TK_MAX_NAME,
                                        .check = schema_check_ref)),
                         F("optional", BOOL("Specify whether the Secret must be defined.")))))),
        .check = schema_check_env_from),
    .max_items = TK_MAX_ENV_FROM_ITEMS);

static const struct snode n_resources = OBJ_INIT(
    "Compute resources of the agent container (core/v1 ResourceRequirements).",
    FIELDS(
        F("claims",
          ARR("Names of resources, defined in spec.resourceClaims, used by this container.",
              OBJ("ResourceClaim references one entry in PodSpec.ResourceClaims.",
                  FIELDS(FR("name", STR("Name of the resource claim.", .flags = SN_NONEMPTY,
                                        .max_len = TK_MAX_LABEL)),
                         F("request",
                           STR("Name of the request in the claim.", .max_len = TK_MAX_LABEL)))),
              .max_items = TK_MAX_RESOURCE_CLAIMS)),
        F("limits", MAP("Maximum amount of compute resources allowed.", QTY("A resource quantity."),
                        .max_len = TK_MAX_QUALIFIED_NAME, .max_items = TK_MAX_MAP_ITEMS)),
        F("requests",
          MAP("Minimum amount of compute resources required.", QTY("A resource quantity."),
              .max_len = TK_MAX_QUALIFIED_NAME, .max_items = TK_MAX_MAP_ITEMS))),
    .flags = SN_NULLABLE, .check = schema_check_resources);

static const struct snode n_toleration = OBJ_INIT(
    "The pod this Toleration is attached to tolerates any taint that matches the triple "
    "<key,value,effect> using the matching operator.",
    FIELDS(F("effect", STR("Taint effect to match. Empty matches all effects.",
                           .enums = ENUM("NoSchedule", "PreferNoSchedule", "NoExecute"),
                           .max_len = TK_MAX_LABEL)),
           F("key", STR("Taint key the toleration applies to. Empty matches all keys (operator "
                        "must then be Exists).",
                        .max_len = TK_MAX_QUALIFIED_NAME)),
           F("operator", STR("Relationship of the key to the value.",
                             .enums = ENUM("Exists", "Equal"), .max_len = TK_MAX_LABEL)),
           F("tolerationSeconds", INT64("How long a NoExecute taint is tolerated.")),
           F("value", STR("Taint value the toleration matches to.", .max_len = TK_MAX_LABEL))),
    .check = schema_check_toleration);

static const struct snode n_secret_key_ref =
    OBJ_INIT("A key of a Secret in the same namespace.",
             FIELDS(FR("key", STR("Key within the Secret.", .flags = SN_NONEMPTY,
                                  .max_len = TK_MAX_NAME, .check = schema_check_config_key)),
                    FR("name", STR("Name of the Secret.", .flags = SN_NONEMPTY,
                                   .max_len = TK_MAX_NAME, .check = schema_check_ref))));

static const struct snode n_policy_rule = OBJ_INIT(
    "PolicyRule holds information that describes a policy rule (rbac/v1).",
    FIELDS(
        F("apiGroups", STRLIST("API groups that contain the resources; \"\" is the core group.",
                               TK_MAX_RBAC_STRING, .max_items = TK_MAX_RULE_ITEMS)),
        F("nonResourceURLs", STRLIST("Partial URLs a user may access, e.g. /healthz; not to "
                                     "be mixed with resources.",
                                     TK_MAX_RBAC_STRING, .max_items = TK_MAX_RULE_ITEMS)),
        F("resourceNames", STRLIST("Optional allow-list of names the rule applies to.",
                                   TK_MAX_RBAC_STRING, .max_items = TK_MAX_RULE_ITEMS)),
        F("resources", STRLIST("Resources this rule applies to; '*' means all.", TK_MAX_RBAC_STRING,
                               .max_items = TK_MAX_RULE_ITEMS)),
        FR("verbs", STRLIST("Verbs that apply to all the resources of this rule; '*' means all.",
                            TK_MAX_RBAC_STRING, .min_items = 1, .max_items = TK_MAX_RULE_ITEMS))),
    .check = schema_check_policy_rule);

static const struct snode n_condition = OBJ_INIT(
    "Condition contains details for one aspect of the current state of this object.",
    FIELDS(FR("lastTransitionTime", STR("Last time the condition went from one status to another.",
                                        .format = "date-time")),
           FR("message", STR("Human-readable message with details about the transition.")),
           F("observedGeneration", INT64("The .metadata.generation the condition was set from.",
                                         .flags = SN_HAS_MIN, .min = 0)),
           FR("reason", STR("Programmatic identifier of the reason for the last transition, in "
                            "CamelCase.")),
           FR("status", STR("Status of the condition.", .enums = ENUM("True", "False", "Unknown"))),
           FR("type", STR("Type of condition in CamelCase, e.g. Ready."))));

static const struct snode n_conditions =
    ARR_INIT("Latest available observations of the object's state.", &n_condition,
             .flags = SN_LIST_MAP, .list_key = "type");

/* ---- pod placement (core/v1 Affinity and TopologySpreadConstraint) ---- */

static const struct snode n_node_selector_req = OBJ_INIT(
    "A node selector requirement: a node label key, an operator and values.",
    FIELDS(FR("key", STR("The label key that the selector applies to.", .flags = SN_NONEMPTY,
                         .max_len = TK_MAX_QUALIFIED_NAME, .check = schema_check_qualified_name)),
           FR("operator", STR("The key's relationship to the values: In, NotIn, Exists, "
                              "DoesNotExist, Gt or Lt.",
                              .flags = SN_NONEMPTY,
                              .enums = ENUM("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"),
                              .max_len = TK_MAX_LABEL)),
           F("values", STRLIST("Values to compare with: at least one for In and NotIn, none for "
                               "Exists and DoesNotExist, exactly one integer for Gt and Lt.",
                               TK_MAX_NAME, .max_items = TK_MAX_SELECTOR_VALUES))),
    .check = schema_check_node_requirement);

static const struct snode n_node_field_req = OBJ_INIT(
    "A node field selector requirement: only metadata.name, with In or NotIn and one value.",
    FIELDS(FR("key", STR("The field that the selector applies to: metadata.name.",
                         .flags = SN_NONEMPTY, .max_len = TK_MAX_QUALIFIED_NAME)),
           FR("operator",
              STR("The key's relationship to the values: In or NotIn.", .flags = SN_NONEMPTY,
                  .enums = ENUM("In", "NotIn"), .max_len = TK_MAX_LABEL)),
           F("values",
             STRLIST("Exactly one node name.", TK_MAX_NAME, .max_items = TK_MAX_SELECTOR_VALUES))),
    .check = schema_check_node_field_requirement);

static const struct snode n_node_selector_term = OBJ_INIT(
    "A node selector term: its requirements are ANDed.",
    FIELDS(F("matchExpressions", ARR("Node selector requirements by node labels.",
                                     &n_node_selector_req, .max_items = TK_MAX_SELECTOR_ITEMS)),
           F("matchFields", ARR("Node selector requirements by node fields.", &n_node_field_req,
                                .max_items = TK_MAX_SELECTOR_ITEMS))));

static const struct snode n_label_selector_req = OBJ_INIT(
    "A label selector requirement: a label key, an operator and values.",
    FIELDS(FR("key", STR("The label key that the selector applies to.", .flags = SN_NONEMPTY,
                         .max_len = TK_MAX_QUALIFIED_NAME, .check = schema_check_qualified_name)),
           FR("operator",
              STR("The key's relationship to the values: In, NotIn, Exists or DoesNotExist.",
                  .flags = SN_NONEMPTY, .enums = ENUM("In", "NotIn", "Exists", "DoesNotExist"),
                  .max_len = TK_MAX_LABEL)),
           F("values", STRLIST("Label values: at least one for In and NotIn, none for Exists and "
                               "DoesNotExist.",
                               TK_MAX_LABEL, .max_items = TK_MAX_SELECTOR_VALUES))),
    .check = schema_check_label_requirement);

static const struct snode n_label_selector =
    OBJ_INIT("A label query over a set of resources; its requirements are ANDed, an empty selector "
             "matches everything.",
             FIELDS(F("matchExpressions", ARR("Label selector requirements.", &n_label_selector_req,
                                              .max_items = TK_MAX_SELECTOR_ITEMS)),
                    F("matchLabels",
                      MAP("Label key and value pairs, each an In requirement with one "
                          "value.",
                          STR(NULL, .max_len = TK_MAX_LABEL), .max_len = TK_MAX_QUALIFIED_NAME,
                          .max_items = TK_MAX_MAP_ITEMS, .check = schema_check_labels))));

/* A []string of label keys. */
#define LABEL_KEYS(d)                                                                              \
	ARR(d, STR(NULL, .max_len = TK_MAX_QUALIFIED_NAME, .check = schema_check_qualified_name),  \
	    .max_items = TK_MAX_SELECTOR_ITEMS)

static const struct snode n_pod_affinity_term = OBJ_INIT(
    "The pods (matched by labelSelector in namespaces) relative to which this pod is placed: "
    "on a node whose topologyKey label value equals that of a node running one of them.",
    FIELDS(F("labelSelector", &n_label_selector), F("namespaceSelector", &n_label_selector),
           F("namespaces",
             ARR("Namespaces the term applies to, with those of namespaceSelector; this pod's "
                 "namespace when both are empty.",
                 STR(NULL, .max_len = TK_MAX_LABEL, .check = schema_check_dns_label),
                 .max_items = TK_MAX_SELECTOR_ITEMS)),
           FR("topologyKey", STR("Node label key whose value defines a topology domain, e.g. "
                                 "kubernetes.io/hostname.",
                                 .flags = SN_NONEMPTY, .max_len = TK_MAX_QUALIFIED_NAME,
                                 .check = schema_check_qualified_name)),
           F("matchLabelKeys", LABEL_KEYS("Pod label keys whose values, taken from this pod, "
                                          "are added to labelSelector as In requirements.")),
           F("mismatchLabelKeys",
             LABEL_KEYS("Pod label keys whose values, taken from this pod, are added to "
                        "labelSelector as NotIn requirements."))));

#define WEIGHT(d) INT32(d, .flags = SN_HAS_MIN | SN_HAS_MAX, .min = 1, .max = 100)

/* podAffinity and podAntiAffinity differ only in what they ask. */
#define POD_AFFINITY_FIELDS                                                                        \
	FIELDS(F("preferredDuringSchedulingIgnoredDuringExecution",                                \
	         ARR("Terms the scheduler prefers to satisfy, by weight.",                         \
	             OBJ("A pod affinity term with a weight.",                                     \
	                 FIELDS(FR("podAffinityTerm", &n_pod_affinity_term),                       \
	                        FR("weight", WEIGHT("Weight of the term, 1 to 100.")))),           \
	             .max_items = TK_MAX_AFFINITY_TERMS)),                                         \
	       F("requiredDuringSchedulingIgnoredDuringExecution",                                 \
	         ARR("Terms that must all be satisfied when the pod is scheduled.",                \
	             &n_pod_affinity_term, .max_items = TK_MAX_AFFINITY_TERMS)))

static const struct snode n_affinity = OBJ_INIT(
    "Scheduling constraints of the agent pod (core/v1 Affinity), passed through.",
    FIELDS(F("nodeAffinity",
             OBJ("Node affinity scheduling rules of the pod.",
                 FIELDS(F("preferredDuringSchedulingIgnoredDuringExecution",
                          ARR("Node selector terms the scheduler prefers to satisfy, by weight.",
                              OBJ("A node selector term with a weight.",
                                  FIELDS(FR("preference", &n_node_selector_term),
                                         FR("weight", WEIGHT("Weight of the term, 1 to 100.")))),
                              .max_items = TK_MAX_AFFINITY_TERMS)),
                        F("requiredDuringSchedulingIgnoredDuringExecution",
                          OBJ("The node must match one of these terms when the pod is "
                              "scheduled.",
                              FIELDS(FR("nodeSelectorTerms",
                                        ARR("Node selector terms; they are ORed.",
                                            &n_node_selector_term, .min_items = 1,
                                            .max_items = TK_MAX_AFFINITY_TERMS)))))))),
           F("podAffinity", OBJ("Pods this pod is placed with (in the same topology domain).",
                                POD_AFFINITY_FIELDS)),
           F("podAntiAffinity", OBJ("Pods this pod is kept apart from (in another topology "
                                    "domain).",
                                    POD_AFFINITY_FIELDS))));

static const struct snode n_topology_spread = OBJ_INIT(
    "How the agent pods spread across topology domains (core/v1 TopologySpreadConstraint).",
    FIELDS(FR("maxSkew", INT32("Largest allowed difference between the number of matching pods "
                               "of two domains.",
                               .flags = SN_HAS_MIN | SN_HAS_MAX, .min = 1, .max = 2147483647)),
           FR("topologyKey",
              STR("Node label key whose value defines a topology domain.", .flags = SN_NONEMPTY,
                  .max_len = TK_MAX_QUALIFIED_NAME, .check = schema_check_qualified_name)),
           FR("whenUnsatisfiable",
              STR("What to do with a pod that would break maxSkew: DoNotSchedule or "
                  "ScheduleAnyway.",
                  .flags = SN_NONEMPTY, .enums = ENUM("DoNotSchedule", "ScheduleAnyway"),
                  .max_len = TK_MAX_LABEL)),
           F("labelSelector", &n_label_selector),
           F("minDomains", INT32("Least number of eligible domains (only with DoNotSchedule).",
                                 .flags = SN_HAS_MIN | SN_HAS_MAX, .min = 1, .max = 2147483647)),
           F("nodeAffinityPolicy",
             STR("Whether the pod's nodeAffinity and nodeSelector limit the domains: Honor or "
                 "Ignore.",
                 .enums = ENUM("Honor", "Ignore"), .max_len = TK_MAX_LABEL)),
           F("nodeTaintsPolicy", STR("Whether node taints limit the domains: Honor or Ignore.",
                                     .enums = ENUM("Honor", "Ignore"), .max_len = TK_MAX_LABEL)),
           F("matchLabelKeys", LABEL_KEYS("Pod label keys whose values, taken from this pod, "
                                          "narrow labelSelector."))),
    .check = schema_check_topology_spread);

/* ---- egress of the agent pods ---- */

static const struct snode n_network = OBJ_INIT(
    "Egress of the agent pods that use this runtime.",
    FIELDS(
        F("egress",
          STR("Unrestricted: the pods may connect anywhere (also when absent, unless the "
              "webhook sets a default). Restricted: the controller makes a NetworkPolicy per "
              "AgentJob that denies all ingress and allows egress only to DNS (kube-dns) and to "
              "allow, never to the link-local and cloud metadata range; enforced only by a CNI "
              "that implements NetworkPolicy.",
              .enums = ENUM("Unrestricted", "Restricted"), .max_len = TK_MAX_LABEL)),
        F("allow",
          ARR("Destinations the pods may reach when egress is Restricted, besides DNS.",
              OBJ("An IP block and, optionally, ports on it.",
                  FIELDS(FR("cidr", STR("IPv4 or IPv6 block in CIDR notation, e.g. 10.0.0.0/8 "
                                        "or 2001:db8::/32; no bits set past the prefix. Blocks "
                                        "inside 169.254.0.0/16, fe80::/10 or fd00:ec2::254/128 "
                                        "are refused; larger blocks have them excepted.",
                                        .flags = SN_NONEMPTY, .max_len = TK_MAX_CIDR,
                                        .check = schema_check_cidr)),
                         F("ports",
                           ARR("Ports allowed on the block; every port when empty.",
                               OBJ("A port or a range of ports.",
                                   FIELDS(FR("port", INT32("Port number, or the first of a "
                                                           "range.",
                                                           .flags = SN_HAS_MIN | SN_HAS_MAX,
                                                           .min = 1, .max = 65535)),
                                          F("endPort",
                                            INT32("Last port of the range from port, at least "
                                                  "port.",
                                                  .flags = SN_HAS_MIN | SN_HAS_MAX, .min = 1,
                                                  .max = 65535)),
                                          F("protocol", STR("TCP, UDP or SCTP.", .def = "\"TCP\"",
                                                            .enums = ENUM("TCP", "UDP", "SCTP"),
                                                            .max_len = TK_MAX_LABEL))),
                                   .check = schema_check_net_port),
                               .max_items = TK_MAX_NETWORK_PORTS)))),
              .max_items = TK_MAX_NETWORK_ALLOW, .check = schema_check_net_allow))),
    .check = schema_check_network);

/* ---- the eight kinds ---- */

static const struct snode n_agentjob_spec = OBJ_INIT(
    "Desired state of an AgentJob: what the agent runs, with which building blocks, and when.",
    FIELDS(
        F("schedule",
          STR("Cron schedule (5 fields, or a macro such as @daily). Set: a CronJob "
              "runs the agent on this schedule; unset: a one-shot Job runs it once.",
              .flags = SN_NULLABLE, .max_len = TK_MAX_CRON_LEN, .check = schema_check_schedule)),
        F("timezone", STR("IANA time zone the schedule is evaluated in.", .def = "\"Etc/UTC\"",
                          .max_len = TK_MAX_NAME, .check = schema_check_timezone)),
        F("suspend", BOOL("Suspend future runs; a running run finishes.", .def = "false")),
        FR("runtimeRef",
           STR("Name of the AgentRuntime in the same namespace.", .flags = SN_NONEMPTY,
               .max_len = TK_MAX_NAME, .check = schema_check_ref)),
        FR("authRef", STR("Name of the AgentAuth in the same namespace.", .flags = SN_NONEMPTY,
                          .max_len = TK_MAX_NAME, .check = schema_check_ref)),
        FR("roleRef", STR("Name of the AgentRole in the same namespace.", .flags = SN_NONEMPTY,
                          .max_len = TK_MAX_NAME, .check = schema_check_ref)),
        F("skillRef", STR("Name of an AgentSkill in the same namespace.", .flags = SN_NULLABLE,
                          .max_len = TK_MAX_NAME, .check = schema_check_ref)),
        F("clusterAccessRef",
          STR("Name of a ClusterAccess in the same namespace; grants the run "
              "its cluster permissions.",
              .flags = SN_NULLABLE, .max_len = TK_MAX_NAME, .check = schema_check_ref)),
        F("mcpServerRefs",
          STRLIST("Names of McpServers in the same namespace, in order.", TK_MAX_NAME,
                  .flags = SN_NORMALIZE, .max_items = TK_MAX_REFS, .check = schema_check_ref_list)),
        F("repositoryRefs",
          STRLIST("Names of Repositories in the same namespace, in order.", TK_MAX_NAME,
                  .flags = SN_NORMALIZE, .max_items = TK_MAX_REFS, .check = schema_check_ref_list)),
        FR("prompt", STR("The prompt given to the agent.", .flags = SN_NONEMPTY,
                         .max_len = TK_MAX_PROMPT, .check = schema_check_prompt)),
        F("instructions",
          STR("Extra project context for the agent (CLAUDE.md content).", .flags = SN_NULLABLE,
              .max_len = TK_MAX_PROMPT, .check = schema_check_text)),
        F("model", STR("Model override, e.g. sonnet or opus.", .flags = SN_NULLABLE,
                       .max_len = TK_MAX_NAME)),
        F("resources", &n_resources),
        F("timeoutSeconds", INT64("Maximum run time in seconds (the pod's activeDeadlineSeconds).",
                                  .def = "3600", .flags = SN_HAS_MIN | SN_HAS_MAX, .min = 1,
                                  .max = 2147483647, .check = schema_check_timeout)),
        F("env", &n_env_list), F("envFrom", &n_env_from),
        F("persist", BOOL("Keep a PersistentVolumeClaim <name>-data mounted at the runtime's "
                          "persistPath across runs.",
                          .def = "false")),
        F("imagePullSecrets",
          ARR("Secrets used to pull the agent image.",
              OBJ("A reference to a Secret in the same namespace.",
                  FIELDS(FR("name", STR("Name of the Secret.", .flags = SN_NONEMPTY,
                                        .max_len = TK_MAX_NAME)))),
              .max_items = TK_MAX_PULL_SECRETS, .check = schema_check_local_refs)),
        F("nodeSelector", MAP("Node labels the agent pod must be scheduled on.",
                              STR(NULL, .max_len = TK_MAX_LABEL), .max_len = TK_MAX_QUALIFIED_NAME,
                              .max_items = TK_MAX_MAP_ITEMS, .check = schema_check_label_values)),
        F("tolerations", ARR("Tolerations of the agent pod. The webhook may forbid some taints "
                             "(--forbid-tolerations, by default the control-plane ones).",
                             &n_toleration, .max_items = TK_MAX_TOLERATIONS)),
        F("podLabels",
          MAP("Labels added to the agent pod, e.g. for NetworkPolicy selectors. Keys with the "
              "prefix thurkube.thurbeen.eu (or a subdomain of it) and "
              "app.kubernetes.io/managed-by are reserved.",
              STR(NULL, .max_len = TK_MAX_LABEL), .max_len = TK_MAX_QUALIFIED_NAME,
              .max_items = TK_MAX_MAP_ITEMS, .check = schema_check_pod_labels)),
        F("podAnnotations",
          MAP("Annotations added to the agent pod, e.g. sidecar.istio.io/inject. Keys are "
              "reserved as for podLabels; keys and values together at most 256 KiB.",
              STR(NULL, .max_len = TK_MAX_ANNOTATIONS_SIZE), .max_len = TK_MAX_QUALIFIED_NAME,
              .max_items = TK_MAX_MAP_ITEMS, .check = schema_check_pod_annotations)),
        F("affinity", &n_affinity),
        F("priorityClassName", STR("PriorityClass of the agent pod.", .max_len = TK_MAX_NAME,
                                   .check = schema_check_ref)),
        F("topologySpreadConstraints",
          ARR("How the agent pods spread across topology domains; no two with the same "
              "topologyKey and whenUnsatisfiable.",
              &n_topology_spread, .max_items = TK_MAX_AFFINITY_TERMS,
              .check = schema_check_topology_list)),
        F("ttlSecondsAfterFinished",
          INT64("Seconds a finished Job is kept before deletion.", .def = "86400",
                .flags = SN_HAS_MIN | SN_HAS_MAX, .min = 0, .max = 2147483647)),
        F("persistentVolume",
          OBJ("The PersistentVolumeClaim used when persist is true.",
              FIELDS(
                  F("size", NODE(SN_QUANTITY, "Requested storage.", .def = "\"1Gi\"",
                                 .check = schema_check_pv_size)),
                  F("storageClassName", STR("StorageClass of the claim; the cluster "
                                            "default when unset.",
                                            .max_len = TK_MAX_NAME, .check = schema_check_ref))))),
        F("concurrencyPolicy",
          STR("What a new run does while one is active: Forbid skips it, "
              "Replace stops the active run.",
              .def = "\"Forbid\"", .enums = ENUM("Forbid", "Replace"), .max_len = TK_MAX_LABEL)),
        F("startingDeadlineSeconds", INT64("Deadline in seconds for starting a scheduled run "
                                           "that missed its time.",
                                           .flags = SN_HAS_MIN, .min = 0)),
        F("backoffLimit", INT32("Retries of a failed run (the Job's backoffLimit): a new pod "
                                "after each failure, up to this many.",
                                .def = "0", .flags = SN_HAS_MIN | SN_HAS_MAX, .min = 0,
                                .max = TK_MAX_BACKOFF_LIMIT)),
        F("successfulJobsHistoryLimit",
          INT32("Finished successful runs a scheduled AgentJob's CronJob keeps.", .def = "3",
                .flags = SN_HAS_MIN | SN_HAS_MAX, .min = 0, .max = TK_MAX_JOBS_HISTORY)),
        F("failedJobsHistoryLimit",
          INT32("Finished failed runs a scheduled AgentJob's CronJob keeps.", .def = "3",
                .flags = SN_HAS_MIN | SN_HAS_MAX, .min = 0, .max = TK_MAX_JOBS_HISTORY))));

static const struct snode n_agentjob_status = OBJ_INIT(
    "Observed state of an AgentJob, written by the controller.",
    FIELDS(F("phase", STR("Pending, Scheduled, Running, Succeeded, Failed, Suspended or Stopped.",
                          .flags = SN_NULLABLE)),
           F("message", STR("Human-readable detail of the phase.", .flags = SN_NULLABLE)),
           F("observedGeneration", INT64("The .metadata.generation last reconciled.", .def = "0")),
           F("configHash", STR("First 16 hex characters of the SHA-256 of everything that "
                               "defines a run.",
                               .flags = SN_NULLABLE)),
           F("runToken", STR("The last value of the thurkube.thurbeen.eu/run annotation that "
                             "started a run.")),
           F("lastRunTime",
             STR("When the latest run started.", .format = "date-time", .flags = SN_NULLABLE)),
           F("lastCompletionTime",
             STR("When the latest run finished.", .format = "date-time", .flags = SN_NULLABLE)),
           F("lastRun",
             OBJ("The latest finished run and what it reported in its termination message.",
                 FIELDS(F("name", STR("The run's Job.")),
                        F("startTime", STR("When it started.", .format = "date-time")),
                        F("completionTime", STR("When it finished.", .format = "date-time")),
                        F("outcome", STR("Succeeded or Failed.")),
                        F("summary", STR("What the run reported it did (at most 1024 bytes), or "
                                         "the start of its termination message when that was "
                                         "not a JSON object.")),
                        F("url", STR("A URL the run reported, e.g. its pull request.")),
                        F("inputTokens", INT64("Model input tokens the run reported.")),
                        F("outputTokens", INT64("Model output tokens the run reported.")),
                        F("costUSD", NODE(SN_NUMBER, "Cost in US dollars the run reported.")),
                        F("ignored", STRLIST("Fields of the message left out: wrong type or "
                                             "out of range.",
                                             TK_MAX_NAME))))),
           F("ownedResources",
             ARR("Children the controller manages for this AgentJob.",
                 OBJ("A child object.", FIELDS(FR("kind", STR("Kind of the child.")),
                                               FR("name", STR("Name of the child.")))))),
           F("conditions", &n_conditions)),
    .flags = SN_NULLABLE);

/* AgentRole and ClusterAccess report the same status. */
static const struct snode n_usage_status =
    OBJ_INIT("Observed state, written by the controller.",
             FIELDS(F("observedGeneration", INT64("The .metadata.generation last reconciled.")),
                    F("conditions", &n_conditions),
                    F("usedBy", INT64("Number of AgentJobs referencing this object.",
                                      .flags = SN_HAS_MIN, .min = 0))));

static const struct snode n_runtime_spec = OBJ_INIT(
    "The container that runs the agent and where it expects its files.",
    FIELDS(
        FR("image", STR("Container image of the agent.", .flags = SN_NONEMPTY,
                        .max_len = TK_MAX_IMAGE, .check = schema_check_image)),
        F("command", STRLIST("Entrypoint override; the image's ENTRYPOINT when empty.",
                             TK_MAX_STRING, .max_items = TK_MAX_ARGS)),
        F("args", STRLIST("Arguments to the entrypoint.", TK_MAX_STRING, .max_items = TK_MAX_ARGS)),
        FR("authEnvVar",
           STR("Name of the environment variable that receives the auth token, "
               "e.g. CLAUDE_CODE_OAUTH_TOKEN.",
               .flags = SN_NONEMPTY, .max_len = TK_MAX_NAME, .check = schema_check_auth_env)),
        FR("configPath",
           STR("Absolute directory where agent.json is mounted (read-only); "
               "also given as CONFIG_DIR.",
               .flags = SN_NONEMPTY, .max_len = TK_MAX_PATH, .check = schema_check_mount_path)),
        FR("persistPath",
           STR("Absolute directory where the persistent volume is mounted; also "
               "given as PERSIST_DIR.",
               .flags = SN_NONEMPTY, .max_len = TK_MAX_PATH, .check = schema_check_mount_path)),
        F("imagePullPolicy",
          STR("Image pull policy of the agent container.",
              .enums = ENUM("Always", "IfNotPresent", "Never"), .max_len = TK_MAX_LABEL)),
        F("runtimeClassName",
          STR("RuntimeClass of the agent pods, e.g. gvisor or kata; the cluster default when "
              "unset (the webhook may set or require one).",
              .max_len = TK_MAX_NAME, .check = schema_check_ref)),
        F("network", &n_network)));

static const struct snode n_auth_spec = OBJ_INIT(
    "Where the agent's auth token is stored, and how many runs may share it at once.",
    FIELDS(FR("secretRef", &n_secret_key_ref),
           F("maxConcurrentRuns",
             INT32("Most runs of the AgentJobs using this AgentAuth that run at once; the "
                   "others wait, suspended, and start in creation order (phase Queued). "
                   "Unset: no limit.",
                   .flags = SN_HAS_MIN | SN_HAS_MAX, .min = 1, .max = TK_MAX_CONCURRENT_RUNS))));

static const struct snode n_role_spec = OBJ_INIT(
    "What the agent may do.",
    FIELDS(FR("allowedTools", STRLIST("Claude Code permission rules for the tools the agent "
                                      "may use, as Tool or Tool(specifier), e.g. Bash, Read, "
                                      "mcp__gmail__*, Bash(git diff:*).",
                                      TK_MAX_TOOL_NAME, .flags = SN_NORMALIZE, .min_items = 1,
                                      .max_items = TK_MAX_TOOLS, .check = schema_check_tools))));

static const struct snode n_skill_spec = OBJ_INIT(
    "A reusable skill kept in a GitHub repository.",
    FIELDS(FR("repo", STR("GitHub repository as owner/repo.", .flags = SN_NONEMPTY,
                          .max_len = TK_MAX_NAME, .check = schema_check_github_repo)),
           FR("name", STR("Skill directory name within the repository.", .flags = SN_NONEMPTY,
                          .max_len = TK_MAX_NAME, .check = schema_check_skill_name)),
           F("ref", STR("Branch, tag or commit.", .def = "\"main\"", .max_len = TK_MAX_NAME,
                        .check = schema_check_git_ref))));

static const struct snode n_mcp_spec = OBJ_INIT(
    "A Model Context Protocol server: a local command or a remote URL (exactly one).",
    FIELDS(F("command", STR("Command of a local stdio MCP server, e.g. npx.", .flags = SN_NULLABLE,
                            .max_len = TK_MAX_PATH, .check = schema_check_command)),
           F("args", STRLIST("Arguments of command.", TK_MAX_STRING, .max_items = TK_MAX_ARGS)),
           F("url", STR("URL of a remote MCP server (http or https).", .flags = SN_NULLABLE,
                        .max_len = TK_MAX_URL, .check = schema_check_url)),
           F("env", &n_env_list)));

static const struct snode n_repo_spec = OBJ_INIT(
    "A GitHub repository the agent works on.",
    FIELDS(FR("owner", STR("GitHub organisation or user.", .flags = SN_NONEMPTY,
                           .max_len = TK_MAX_NAME, .check = schema_check_github_owner)),
           FR("name", STR("Repository name.", .flags = SN_NONEMPTY, .max_len = TK_MAX_NAME,
                          .check = schema_check_github_name)),
           F("tokenSecretRef",
             NODE(SN_OBJECT, "Secret key holding a token for this repository.",
                  .fields = FIELDS(
                      FR("key", STR("Key within the Secret.", .flags = SN_NONEMPTY,
                                    .max_len = TK_MAX_NAME, .check = schema_check_config_key)),
                      FR("name", STR("Name of the Secret.", .flags = SN_NONEMPTY,
                                     .max_len = TK_MAX_NAME, .check = schema_check_ref))),
                  .flags = SN_NULLABLE))));

static const struct snode n_access_spec =
    OBJ_INIT("Cluster permissions granted to the AgentJobs that reference this object.",
             FIELDS(FR("rules", ARR("RBAC rules of the ClusterRole made for this object.",
                                    &n_policy_rule, .min_items = 1, .max_items = TK_MAX_RULES,
                                    .check = schema_check_rules))));

static const struct schema_column agentjob_columns[] = {
    {"Schedule", "string", ".spec.schedule", "Cron schedule; empty for a one-shot run."},
    {"Suspended", "boolean", ".spec.suspend", "Whether future runs are suspended."},
    {"Phase", "string", ".status.phase", "Current phase."},
    {"Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status",
     "Whether the latest run is on track or succeeded."},
    {"Reason", "string", ".status.conditions[?(@.type==\"Ready\")].reason",
     "Why Ready has its value, e.g. Scheduled, Running, JobFailed, MissingReference."},
    {"Last Run", "date", ".status.lastRunTime", "When the latest run started."},
    {"Age", "date", ".metadata.creationTimestamp", NULL},
    {NULL, NULL, NULL, NULL},
};

/* AgentRole and ClusterAccess. */
static const struct schema_column usage_columns[] = {
    {"Used By", "integer", ".status.usedBy", "Number of AgentJobs referencing this object."},
    {"Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status",
     "Whether the object is valid and in effect."},
    {"Reason", "string", ".status.conditions[?(@.type==\"Ready\")].reason",
     "Why Ready has its value."},
    {"Age", "date", ".metadata.creationTimestamp", NULL},
    {NULL, NULL, NULL, NULL},
};

static const struct skind skinds[TK_KIND_COUNT] = {
    [TK_AGENTJOB] = {"AgentJob runs an AI coding agent once or on a schedule.", &n_agentjob_spec,
                     &n_agentjob_status, agentjob_columns, schema_check_kind_agentjob},
    [TK_AGENTRUNTIME] = {"AgentRuntime describes the container image that runs agents.",
                         &n_runtime_spec, NULL, NULL, schema_check_kind_runtime},
    [TK_AGENTAUTH] = {"AgentAuth points at the Secret holding an agent's auth token.", &n_auth_spec,
                      NULL, NULL, NULL},
    [TK_AGENTROLE] = {"AgentRole lists the tools an agent may use.", &n_role_spec, &n_usage_status,
                      usage_columns, NULL},
    [TK_AGENTSKILL] = {"AgentSkill is a reusable skill from a GitHub repository.", &n_skill_spec,
                       NULL, NULL, NULL},
    [TK_MCPSERVER] = {"McpServer is a local command or remote URL serving MCP tools.", &n_mcp_spec,
                      NULL, NULL, schema_check_kind_mcp},
    [TK_REPOSITORY] = {"Repository is a GitHub repository an agent works on.", &n_repo_spec, NULL,
                       NULL, NULL},
    [TK_CLUSTERACCESS] = {"ClusterAccess grants cluster permissions to the AgentJobs that "
                          "reference it.",
                          &n_access_spec, &n_usage_status, usage_columns, NULL},
};

static const struct schema_kind_info kind_infos[TK_KIND_COUNT] = {
    [TK_AGENTJOB] = {"AgentJob", "agentjobs", "agentjob", "aj", true},
    [TK_AGENTRUNTIME] = {"AgentRuntime", "agentruntimes", "agentruntime", "ar", false},
    [TK_AGENTAUTH] = {"AgentAuth", "agentauths", "agentauth", "aa", false},
    [TK_AGENTROLE] = {"AgentRole", "agentroles", "agentrole", "arl", true},
    [TK_AGENTSKILL] = {"AgentSkill", "agentskills", "agentskill", "ask", false},
    [TK_MCPSERVER] = {"McpServer", "mcpservers", "mcpserver", "mcp", false},
    [TK_REPOSITORY] = {"Repository", "repositories", "repository", "repo", false},
    [TK_CLUSTERACCESS] = {"ClusterAccess", "clusteraccesses", "clusteraccess", "ca", true},
};

size_t schema_max_items(const struct snode *n)
{
	if (n->max_items)
		return n->max_items;
	return n->type == SN_MAP ? TK_MAX_MAP_ITEMS : TK_MAX_LIST_ITEMS;
}

const struct skind *schema_skind(enum tk_kind k)
{
	if ((unsigned)k >= TK_KIND_COUNT)
		return NULL;
	return &skinds[k];
}

const struct schema_kind_info *schema_kind_info(enum tk_kind k)
{
	if ((unsigned)k >= TK_KIND_COUNT)
		return NULL;
	return &kind_infos[k];
}

int schema_kind_from_name(const char *kind, enum tk_kind *out)
{
	size_t i;

	for (i = 0; kind && i < TK_KIND_COUNT; i++) {
		if (strcmp(kind_infos[i].kind, kind) == 0) {
			*out = (enum tk_kind)i;
			return 0;
		}
	}
	return -ENOENT;
}

int schema_kind_from_plural(const char *plural, enum tk_kind *out)
{
	size_t i;

	for (i = 0; plural && i < TK_KIND_COUNT; i++) {
		if (strcmp(kind_infos[i].plural, plural) == 0) {
			*out = (enum tk_kind)i;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- CRD generation ---- */

struct emit {
	yaml_emitter_t e;
	int err;
};

static int emit_write(void *data, unsigned char *p, size_t n)
{
	return buf_append(data, p, n) == 0;
}

static void emit_event(struct emit *em, yaml_event_t *ev, int ok)
{
	if (em->err) {
		/* Once the emitter failed, events are no longer handed over: free them. */
		if (ok)
			yaml_event_delete(ev);
		return;
	}
	if (!ok) {
		em->err = -ENOMEM;
		return;
	}
	if (!yaml_emitter_emit(&em->e, ev))
		em->err = -EIO;
}

/* Would a YAML 1.1 loader (kubectl's) read s as something other than a string? */
static bool needs_quotes(const char *s)
{
	static const char *const words[] = {
	    "y",    "Y",    "yes",  "Yes",   "YES",   "n",     "N",    "no",   "No", "NO",
	    "true", "True", "TRUE", "false", "False", "FALSE", "on",   "On",   "ON", "off",
	    "Off",  "OFF",  "~",    "null",  "Null",  "NULL",  ".inf", ".nan", NULL};
	size_t i;

	if (!*s)
		return true;
	for (i = 0; words[i]; i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	if (*s >= '0' && *s <= '9')
		return true;
	return (*s == '-' || *s == '+' || *s == '.') && s[1] >= '0' && s[1] <= '9';
}

static void emit_scalar(struct emit *em, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	emit_event(em, &ev,
	           yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
	                                        1, 1, style));
}

static void emit_str(struct emit *em, const char *s)
{
	emit_scalar(em, s,
	            needs_quotes(s) ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
}

static void emit_plain(struct emit *em, const char *s)
{
	emit_scalar(em, s, YAML_PLAIN_SCALAR_STYLE);
}

static void emit_map(struct emit *em, bool begin)
{
	yaml_event_t ev;

	if (begin)
		emit_event(em, &ev,
		           yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		                                               YAML_BLOCK_MAPPING_STYLE));
	else
		emit_event(em, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void emit_seq(struct emit *em, bool begin)
{
	yaml_event_t ev;

	if (begin)
		emit_event(em, &ev,
		           yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		                                                YAML_BLOCK_SEQUENCE_STYLE));
	else
		emit_event(em, &ev, yaml_sequence_end_event_initialize(&ev));
}

static void emit_empty_map(struct emit *em)
{
	yaml_event_t ev;

	emit_event(
	    em, &ev,
	    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_MAPPING_STYLE));
	emit_event(em, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void emit_kv(struct emit *em, const char *key, const char *value)
{
	emit_plain(em, key);
	emit_str(em, value);
}

static void emit_str_seq(struct emit *em, const char *key, const char *const *v, size_t n)
{
	size_t i;

	emit_plain(em, key);
	emit_seq(em, true);
	for (i = 0; i < n; i++)
		emit_str(em, v[i]);
	emit_seq(em, false);
}

static int cmp_field(const void *a, const void *b)
{
	const struct sfield *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* The fields of an object node, sorted by name (the CRD lists them so). */
static size_t sorted_fields(const struct snode *n, const struct sfield **out, size_t max)
{
	size_t k = 0;
	const struct sfield *f;

	for (f = n->fields; f && f->name && k < max; f++)
		out[k++] = f;
	qsort(out, k, sizeof(*out), cmp_field);
	return k;
}

static void emit_default(struct emit *em, const char *def)
{
	size_t len = strlen(def);
	char *s;

	emit_plain(em, "default");
	if (def[0] != '"') {
		emit_plain(em, def);
		return;
	}
	/* Table defaults are plain quoted strings without escapes. */
	s = xstrndup(def + 1, len >= 2 ? len - 2 : 0);
	if (!s) {
		em->err = -ENOMEM;
		return;
	}
	emit_str(em, s);
	free(s);
}

#define MAX_FIELDS 64

static void emit_node(struct emit *em, const struct snode *n);

static void emit_properties(struct emit *em, const struct snode *n)
{
	const struct sfield *f[MAX_FIELDS];
	const char *req[MAX_FIELDS];
	size_t i, k = sorted_fields(n, f, MAX_FIELDS), nreq = 0;

	emit_plain(em, "properties");
	emit_map(em, true);
	for (i = 0; i < k; i++) {
		emit_plain(em, f[i]->name);
		emit_node(em, f[i]->node);
		if (f[i]->required)
			req[nreq++] = f[i]->name;
	}
	emit_map(em, false);
	if (nreq)
		emit_str_seq(em, "required", req, nreq);
}

static const char *const type_names[] = {
    [SN_OBJECT] = "object", [SN_STRING] = "string", [SN_BOOL] = "boolean", [SN_INT] = "integer",
    [SN_ARRAY] = "array",   [SN_MAP] = "object",    [SN_QUANTITY] = NULL,  [SN_NUMBER] = "number",
};

/* One schema node, keys in alphabetical order. */
static void emit_node(struct emit *em, const struct snode *n)
{
	emit_map(em, true);
	if (n->type == SN_MAP) {
		emit_plain(em, "additionalProperties");
		emit_node(em, n->items);
	}
	if (n->type == SN_QUANTITY) {
		emit_plain(em, "anyOf");
		emit_seq(em, true);
		emit_map(em, true);
		emit_kv(em, "type", "integer");
		emit_map(em, false);
		emit_map(em, true);
		emit_kv(em, "type", "string");
		emit_map(em, false);
		emit_seq(em, false);
	}
	if (n->def)
		emit_default(em, n->def);
	if (n->desc)
		emit_kv(em, "description", n->desc);
	/*
	 * Value constraints (enum, bounds, minItems, string and key lengths)
	 * are the webhook's, not the CRD's: the apiserver checks the CRD
	 * schema before validating webhooks run, so a constraint here would
	 * hide every other problem of the object behind one schema error (and
	 * be reported as the apiserver's error, not the webhook's denial).
	 * The webhook (failurePolicy Fail) checks them all from this same
	 * table and reports them together.
	 */
	if (n->format)
		emit_kv(em, "format", n->format);
	if (n->type == SN_ARRAY) {
		emit_plain(em, "items");
		emit_node(em, n->items);
	}
	if (n->flags & SN_NULLABLE) {
		emit_plain(em, "nullable");
		emit_plain(em, "true");
	}
	if (n->type == SN_OBJECT)
		emit_properties(em, n);
	if (type_names[n->type])
		emit_kv(em, "type", type_names[n->type]);
	if (n->type == SN_QUANTITY) {
		emit_plain(em, "x-kubernetes-int-or-string");
		emit_plain(em, "true");
	}
	if (n->flags & SN_LIST_MAP) {
		emit_str_seq(em, "x-kubernetes-list-map-keys", &n->list_key, 1);
		emit_kv(em, "x-kubernetes-list-type", "map");
	}
	emit_map(em, false);
}

static void emit_simple_prop(struct emit *em, const char *name, const char *desc, const char *type)
{
	emit_plain(em, name);
	emit_map(em, true);
	if (desc)
		emit_kv(em, "description", desc);
	emit_kv(em, "type", type);
	emit_map(em, false);
}

static void emit_openapi(struct emit *em, enum tk_kind k)
{
	const struct skind *sk = &skinds[k];
	static const char *const req[] = {"spec"};

	emit_map(em, true);
	emit_kv(em, "description", sk->desc);
	emit_plain(em, "properties");
	emit_map(em, true);
	emit_simple_prop(
	    em, "apiVersion",
	    "APIVersion defines the versioned schema of this representation of an object.",
	    "string");
	emit_simple_prop(em, "kind",
	                 "Kind is a string value representing the REST resource this "
	                 "object represents.",
	                 "string");
	emit_simple_prop(em, "metadata", NULL, "object");
	emit_plain(em, "spec");
	emit_node(em, sk->spec);
	if (sk->status) {
		emit_plain(em, "status");
		emit_node(em, sk->status);
	}
	emit_map(em, false);
	emit_str_seq(em, "required", req, 1);
	emit_kv(em, "title", kind_infos[k].kind);
	emit_kv(em, "type", "object");
	emit_map(em, false);
}

static void emit_columns(struct emit *em, const struct schema_column *c)
{
	emit_plain(em, "additionalPrinterColumns");
	emit_seq(em, true);
	for (; c->name; c++) {
		emit_map(em, true);
		if (c->desc)
			emit_kv(em, "description", c->desc);
		emit_kv(em, "jsonPath", c->json_path);
		emit_kv(em, "name", c->name);
		emit_kv(em, "type", c->type);
		emit_map(em, false);
	}
	emit_seq(em, false);
}

static void emit_crd(struct emit *em, enum tk_kind k)
{
	const struct schema_kind_info *ki = &kind_infos[k];
	const struct skind *sk = &skinds[k];
	static const char *const cats[] = {TK_CATEGORY};
	char buf[128];
	yaml_event_t ev;

	emit_event(em, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0));
	emit_map(em, true);
	emit_kv(em, "apiVersion", "apiextensions.k8s.io/v1");
	emit_kv(em, "kind", "CustomResourceDefinition");
	emit_plain(em, "metadata");
	emit_map(em, true);
	snprintf(buf, sizeof(buf), "%s.%s", ki->plural, TK_GROUP);
	emit_kv(em, "name", buf);
	emit_map(em, false);
	emit_plain(em, "spec");
	emit_map(em, true);
	emit_kv(em, "group", TK_GROUP);
	emit_plain(em, "names");
	emit_map(em, true);
	emit_str_seq(em, "categories", cats, 1);
	emit_kv(em, "kind", ki->kind);
	snprintf(buf, sizeof(buf), "%sList", ki->kind);
	emit_kv(em, "listKind", buf);
	emit_kv(em, "plural", ki->plural);
	emit_str_seq(em, "shortNames", &ki->short_name, 1);
	emit_kv(em, "singular", ki->singular);
	emit_map(em, false);
	emit_kv(em, "scope", "Namespaced");
	emit_plain(em, "versions");
	emit_seq(em, true);
	emit_map(em, true);
	if (sk->columns)
		emit_columns(em, sk->columns);
	emit_kv(em, "name", TK_VERSION);
	emit_plain(em, "schema");
	emit_map(em, true);
	emit_plain(em, "openAPIV3Schema");
	emit_openapi(em, k);
	emit_map(em, false);
	emit_plain(em, "served");
	emit_plain(em, "true");
	emit_plain(em, "storage");
	emit_plain(em, "true");
	if (ki->has_status) {
		emit_plain(em, "subresources");
		emit_map(em, true);
		emit_plain(em, "status");
		emit_empty_map(em);
		emit_map(em, false);
	}
	emit_map(em, false);
	emit_seq(em, false);
	emit_map(em, false);
	emit_map(em, false);
	emit_event(em, &ev, yaml_document_end_event_initialize(&ev, 1));
}

/* Emit the CRDs of kinds [first, last) as one stream appended to out. */
static int emit_stream(enum tk_kind first, enum tk_kind last, struct buf *out)
{
	struct emit em = {.err = 0};
	size_t mark = out->len;
	yaml_event_t ev;
	unsigned k;

	if (!yaml_emitter_initialize(&em.e))
		return -ENOMEM;
	yaml_emitter_set_output(&em.e, emit_write, out);
	yaml_emitter_set_unicode(&em.e, 1);
	yaml_emitter_set_width(&em.e, -1);
	yaml_emitter_set_indent(&em.e, 2);
	emit_event(&em, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	for (k = first; k < (unsigned)last; k++)
		emit_crd(&em, (enum tk_kind)k);
	emit_event(&em, &ev, yaml_stream_end_event_initialize(&ev));
	if (!em.err && !yaml_emitter_flush(&em.e))
		em.err = -EIO;
	yaml_emitter_delete(&em.e);
	if (em.err) {
		/* Leave out as it was: drop whatever the failed stream appended. */
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
		return em.err;
	}
	return 0;
}

int schema_crd_yaml(enum tk_kind k, struct buf *out)
{
	if ((unsigned)k >= TK_KIND_COUNT)
		return -EINVAL;
	return emit_stream(k, k + 1, out);
}

int schema_crds_yaml(struct buf *out)
{
	return emit_stream(TK_AGENTJOB, TK_KIND_COUNT, out);
}

/*
 * schema_int.h - the schema tree shared by the parts of the schema module
 * (schema.c: the tables and CRD generation; schema_validate.c;
 * schema_default.c). Not for use outside common/schema*.c.
 *
 * A kind is a tree of nodes. Each node says its JSON type and what the
 * CRD carries about it (description, default, enum, bounds, list type);
 * an optional check function adds the semantic rules the CRD cannot
 * express. Everything is static const data.
 */
#ifndef THURKUBE_SCHEMA_INT_H
#define THURKUBE_SCHEMA_INT_H

#include "compat.h"

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "fielderr.h"
#include "limits.h"
#include "schema.h"
#include "util.h"

enum snode_type {
	SN_OBJECT, /* fields */
	SN_STRING,
	SN_BOOL,
	SN_INT,      /* format int32/int64 */
	SN_ARRAY,    /* items */
	SN_MAP,      /* object with additionalProperties: items */
	SN_QUANTITY, /* x-kubernetes-int-or-string */
	SN_NUMBER,   /* JSON number (integer or not) */
};

enum snode_flag {
	SN_NULLABLE = 1u << 0,  /* `nullable: true` (only where thurkube has it) */
	SN_HAS_MIN = 1u << 1,   /* minimum */
	SN_HAS_MAX = 1u << 2,   /* maximum */
	SN_NORMALIZE = 1u << 3, /* []string: defaulting trims and de-duplicates */
	SN_LIST_MAP = 1u << 4,  /* x-kubernetes-list-type: map keyed by list_key */
	SN_NONEMPTY = 1u << 5,  /* string: "" counts as missing (Required value) */
};

struct schema_vctx;
struct snode;

/* A semantic check, called after the node passed its structural checks.
 * v is never NULL; path is the field path ("spec.env[0]"). */
typedef void (*snode_check_fn)(struct schema_vctx *c, json_object *v, const char *path);

struct sfield {
	const char *name;
	const struct snode *node;
	bool required;
};

struct snode {
	enum snode_type type;
	unsigned flags;
	const char *desc;
	const char *format;       /* "int64", "int32", "date-time" */
	const char *def;          /* default, as JSON text */
	const char *const *enums; /* NULL-terminated */
	int64_t min, max;         /* with SN_HAS_MIN / SN_HAS_MAX */
	/* SN_STRING: longest value in bytes (0: TK_MAX_STRING); SN_MAP:
	 * longest key (0: TK_MAX_JSON_KEY). Checked before any rule that
	 * quotes the value; not emitted into the CRDs. */
	size_t max_len;
	int min_items; /* minItems (0: none) */
	/* SN_ARRAY, SN_MAP: most items (0: TK_MAX_LIST_ITEMS, or for a map
	 * TK_MAX_MAP_ITEMS). Past it the value is "Too many" and nothing in it
	 * is checked or defaulted. Not emitted into the CRDs. */
	size_t max_items;
	const char *list_key;        /* with SN_LIST_MAP */
	const struct sfield *fields; /* SN_OBJECT, terminated by {NULL} */
	const struct snode *items;   /* SN_ARRAY items, SN_MAP values */
	snode_check_fn check;
};

struct schema_column {
	const char *name;
	const char *type;
	const char *json_path;
	const char *desc;
};

/* Kind-wide rules (metadata.name limits, cross-field rules). */
typedef void (*skind_check_fn)(struct schema_vctx *c, json_object *obj, json_object *spec);

struct skind {
	const char *desc;
	const struct snode *spec;
	const struct snode *status;          /* NULL: no status, no status subresource */
	const struct schema_column *columns; /* terminated by {NULL}; may be NULL */
	skind_check_fn check;
};

/* The caller's deadline, read every TK_DEADLINE_CHECK_EVERY steps of a
 * walk (validation and defaulting). */
struct schema_clock {
	int64_t deadline; /* now_ms() value at which work stops; 0: none */
	unsigned steps;   /* steps since the clock was last read */
	bool late;        /* the deadline passed: every walk returns at once */
};

/* One step of work; true once the deadline has passed. */
static inline bool schema_clock_step(struct schema_clock *k)
{
	if (k->late)
		return true;
	if (!k->deadline || ++k->steps < TK_DEADLINE_CHECK_EVERY)
		return false;
	k->steps = 0;
	k->late = now_ms() >= k->deadline;
	return k->late;
}

/* The validation context handed to checks. */
struct schema_vctx {
	enum tk_kind kind;
	const struct schema_config *cfg;
	struct fielderrs *errs;
	struct strlist *warnings;
	json_object *obj;
	json_object *spec; /* borrowed; NULL when absent or not an object */
	int oom;
	struct schema_clock clock;
};

/* Most items of n (an SN_ARRAY or SN_MAP): its max_items or the default. */
size_t schema_max_items(const struct snode *n);

/* The tree of kind k (schema.c). */
const struct skind *schema_skind(enum tk_kind k);

/* Environment variable names the controller may set in an agent
 * container: HOME, CONFIG_DIR, PERSIST_DIR, GH_TOKEN and REPO_TOKEN_<N>
 * (names_repo_token_index). 1 when reserved. An AgentJob's own env is
 * held to a narrower rule (schema_check_env_list). */
int schema_env_reserved(const char *name);

/* Semantic checks referenced by the tables (schema_validate.c). */
void schema_check_schedule(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_timezone(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_timeout(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_prompt(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_text(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_ref(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_ref_list(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_env_list(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_env_from(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_env_source(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_config_key(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_quantity(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_resources(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_local_refs(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_label_values(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_toleration(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_pv_size(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_image(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_auth_env(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_mount_path(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_tools(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_github_repo(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_github_owner(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_github_name(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_skill_name(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_git_ref(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_url(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_command(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_policy_rule(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_rules(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_qualified_name(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_dns_label(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_labels(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_pod_labels(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_pod_annotations(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_node_requirement(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_node_field_requirement(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_label_requirement(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_topology_spread(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_topology_list(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_cidr(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_net_port(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_net_allow(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_network(struct schema_vctx *c, json_object *v, const char *path);
void schema_check_kind_agentjob(struct schema_vctx *c, json_object *obj, json_object *spec);
void schema_check_kind_runtime(struct schema_vctx *c, json_object *obj, json_object *spec);
void schema_check_kind_mcp(struct schema_vctx *c, json_object *obj, json_object *spec);

#endif

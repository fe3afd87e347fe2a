/*
 * schema_doc.c - docs/api.md from the schema tables (schema.c), so the API
 * reference cannot drift from what the webhook checks and the CRDs carry.
 *
 * The tables hold types, defaults, enums, bounds and lengths as data; the
 * semantic rules are check functions, described here in one sentence each.
 * A check function without a description fails the generation (-ENOENT),
 * so a new rule is documented when it is added.
 */
#include "compat.h"

#include "schema_doc.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "limits.h"
#include "schema.h"
#include "schema_int.h"

/* A rule in words: pre, then n and post when n >= 0. */
struct check_doc {
	snode_check_fn fn;
	const char *pre;
	long n;
	const char *post;
};

#define DOC(f, t)                                                                                  \
	{                                                                                          \
		f, t, -1, NULL                                                                     \
	}

/* One line per semantic check, close to the words of the error it gives. */
static const struct check_doc check_docs[] = {
    DOC(schema_check_schedule, "a 5-field cron expression (names, ranges, steps) or a macro such "
                               "as `@daily`; not empty (leave it out for a one-shot run); `TZ=` "
                               "and `CRON_TZ=` prefixes are refused (use `timezone`)"),
    DOC(schema_check_timezone, "an IANA time zone of the tz database (`$ZONEINFO`, else "
                               "`/usr/share/zoneinfo`); `UTC` and `Etc/UTC` always"),
    DOC(schema_check_timeout, "at most the webhook's `--max-timeout-seconds` when that is set"),
    DOC(schema_check_prompt, "not blank (not only whitespace)"),
    /* Only the length limit, which the table states already. */
    DOC(schema_check_text, ""),
    DOC(schema_check_ref, "a DNS-1123 subdomain"),
    DOC(schema_check_ref_list, "entries non-empty DNS-1123 subdomains, no repeats"),
    DOC(schema_check_local_refs, "names are DNS-1123 subdomains, no repeats"),
    DOC(schema_check_env_list,
        "names are environment variable names, unique; `value` and `valueFrom` not both; never "
        "`HOME` or `CONFIG_DIR`, nor `PERSIST_DIR` with `persist: true`; in an McpServer also "
        "never `PERSIST_DIR`, `GH_TOKEN` or `REPO_TOKEN_<N>`"),
    DOC(schema_check_env_source, "exactly one of `configMapKeyRef`, `fieldRef`, "
                                 "`resourceFieldRef`, `secretKeyRef`"),
    DOC(schema_check_env_from, "exactly one of `configMapRef`, `secretRef`; `prefix` an "
                               "environment variable name"),
    DOC(schema_check_config_key, "a ConfigMap or Secret key: `[-._a-zA-Z0-9]+`, not `.` or `..`"),
    DOC(schema_check_quantity, "a quantity, not negative"),
    DOC(schema_check_pv_size, "a quantity greater than zero"),
    DOC(schema_check_resources, "every request at most its limit"),
    DOC(schema_check_label_values, "values are label values"),
    DOC(schema_check_toleration, "an empty `key` needs operator `Exists`; no `value` with "
                                 "`Exists`; `tolerationSeconds` only with effect `NoExecute`"),
    DOC(schema_check_image, "no whitespace or control characters"),
    DOC(schema_check_auth_env, "a C identifier; not `HOME`, `CONFIG_DIR`, `PERSIST_DIR`, "
                               "`GH_TOKEN` or `REPO_TOKEN_<N>`"),
    DOC(schema_check_mount_path, "an absolute path without `..`; not `/`, not `/tmp` or "
                                 "`/home/agent` or inside them"),
    DOC(schema_check_tools, "each a Claude Code permission rule, `Tool` or `Tool(specifier)`: a "
                            "tool name of letters, digits, `_`, `-` and `*`, balanced "
                            "parentheses (escaped ones not counted), no control characters; no "
                            "repeats"),
    DOC(schema_check_github_repo, "`owner/repo`: a GitHub account name (letters, digits, inner "
                                  "`-`, at most 39) and a repository name (letters, digits, "
                                  "`-`, `_`, `.`, at most 100)"),
    DOC(schema_check_github_owner, "a GitHub account name: letters, digits and inner `-`, at "
                                   "most 39"),
    DOC(schema_check_github_name, "a GitHub repository name: letters, digits, `-`, `_`, `.`, at "
                                  "most 100, not `.` or `..`"),
    DOC(schema_check_skill_name, "a relative directory without `..`, whitespace or control "
                                 "characters"),
    DOC(schema_check_git_ref, "not empty; no whitespace, no `..`, not starting with `-`"),
    DOC(schema_check_url, "an `http` or `https` URL with a host and without user information "
                          "(credentials)"),
    DOC(schema_check_command, "not empty"),
    DOC(schema_check_policy_rule,
        "entries of `verbs`, `resources` and `resourceNames` not empty; `nonResourceURLs` start "
        "with `/` and are not mixed with `resources`, `apiGroups` or `resourceNames`; a "
        "resource rule names at least one API group (`\"\"` is the core group)"),
    {schema_check_rules, "at most ", TK_MAX_ACCESS_QUESTIONS,
     " SubjectAccessReviews in all (per rule verbs × apiGroups × resources × resourceNames, "
     "plus verbs × nonResourceURLs)"},
    DOC(schema_check_qualified_name, "a qualified name: an optional DNS-1123 subdomain prefix "
                                     "and `/`, then at most 63 of `[-_.a-zA-Z0-9]`, "
                                     "alphanumeric at both ends"),
    DOC(schema_check_dns_label, "a DNS-1123 label"),
    DOC(schema_check_labels, "keys are qualified names, values label values"),
    DOC(schema_check_pod_labels, "keys are qualified names, values label values; keys with the "
                                 "prefix `thurkube.thurbeen.eu` (or a subdomain of it) and "
                                 "`app.kubernetes.io/managed-by` are reserved"),
    DOC(schema_check_pod_annotations, "keys are qualified names, reserved as for `podLabels`; "
                                      "keys and values together at most 256 KiB"),
    DOC(schema_check_node_requirement, "`In` and `NotIn` need values, `Exists` and "
                                       "`DoesNotExist` take none, `Gt` and `Lt` exactly one "
                                       "integer"),
    DOC(schema_check_node_field_requirement, "`key` is `metadata.name`; exactly one value"),
    DOC(schema_check_label_requirement, "`In` and `NotIn` need values, `Exists` and "
                                        "`DoesNotExist` take none; values are label values"),
    DOC(schema_check_topology_spread, "`minDomains` only with `whenUnsatisfiable: "
                                      "DoNotSchedule`"),
    DOC(schema_check_topology_list, "no two entries with the same `topologyKey` and "
                                    "`whenUnsatisfiable`"),
    DOC(schema_check_cidr, "an IPv4 or IPv6 CIDR block without bits set past the prefix, not "
                           "inside `169.254.0.0/16`, `fe80::/10` or `fd00:ec2::254/128`"),
    DOC(schema_check_net_port, "`endPort` at least `port`"),
    DOC(schema_check_net_allow, "no block twice (compared in canonical form)"),
    DOC(schema_check_network, "a non-empty `allow` only with `egress: Restricted`"),
};

struct doc {
	struct buf *out;
	struct buf path; /* the field path of the node being written */
	int err;         /* first failure; every later write is skipped */
	bool status;     /* a status table: nothing validates it, so no constraints */
};

static void put(struct doc *d, const char *s)
{
	if (!d->err)
		d->err = buf_puts(d->out, s);
}

static void putf(struct doc *d, const char *fmt, ...) TK_PRINTF(2, 3);
static void putf(struct doc *d, const char *fmt, ...)
{
	va_list ap;

	if (d->err)
		return;
	va_start(ap, fmt);
	d->err = buf_vprintf(d->out, fmt, ap);
	va_end(ap);
}

/* Text for a table cell: '|' would end the cell, and '<' outside a code
 * span open an HTML tag. */
static void put_cell(struct doc *d, const char *s)
{
	bool code = false;

	for (; s && *s && !d->err; s++) {
		code ^= *s == '`';
		if (*s == '|')
			put(d, "\\|");
		else if (*s == '<' && !code)
			put(d, "&lt;");
		else
			d->err = buf_append(d->out, s, 1);
	}
}

/* "64 KiB" for whole KiB, else bytes. */
static void put_size(struct doc *d, size_t n)
{
	if (n >= 1024 && n % 1024 == 0)
		putf(d, "%zu KiB", n / 1024);
	else
		putf(d, "%zu bytes", n);
}

/* A list of constraints, "; " between them. */
struct clist {
	struct doc *d;
	int n;
};

static void sep(struct clist *c)
{
	if (c->n++)
		put(c->d, "; ");
}

static int put_check(struct clist *c, snode_check_fn fn, const char *lead)
{
	size_t i;

	if (!fn)
		return 0;
	for (i = 0; i < TK_ARRAY_LEN(check_docs); i++) {
		if (check_docs[i].fn != fn)
			continue;
		if (!*check_docs[i].pre)
			return 0;
		sep(c);
		put(c->d, lead);
		put_cell(c->d, check_docs[i].pre);
		if (check_docs[i].n >= 0) {
			putf(c->d, "%ld", check_docs[i].n);
			put_cell(c->d, check_docs[i].post);
		}
		return 0;
	}
	return -ENOENT;
}

static void put_enums(struct clist *c, const char *const *e)
{
	if (!e)
		return;
	sep(c);
	put(c->d, "one of ");
	for (; *e; e++)
		putf(c->d, "`%s`%s", *e, e[1] ? ", " : "");
}

static void put_bounds(struct clist *c, const struct snode *n)
{
	bool lo = n->flags & SN_HAS_MIN, hi = n->flags & SN_HAS_MAX;

	if (!lo && !hi)
		return;
	sep(c);
	if (lo && hi)
		putf(c->d, "%lld to %lld", (long long)n->min, (long long)n->max);
	else if (lo)
		putf(c->d, "at least %lld", (long long)n->min);
	else
		putf(c->d, "at most %lld", (long long)n->max);
}

/* What a scalar node allows; lead prefixes each entry ("each: " for list items). */
static int put_scalar(struct clist *c, const struct snode *n, const char *lead)
{
	if (n->flags & SN_NONEMPTY) {
		sep(c);
		putf(c->d, "%snot empty", lead);
	}
	put_enums(c, n->enums);
	put_bounds(c, n);
	if (n->type == SN_STRING) {
		sep(c);
		putf(c->d, "%sat most ", lead);
		put_size(c->d, n->max_len ? n->max_len : TK_MAX_STRING);
	}
	return put_check(c, n->check, lead);
}

static bool is_scalar(const struct snode *n)
{
	return n->type != SN_OBJECT && n->type != SN_ARRAY && n->type != SN_MAP;
}

static const char *scalar_type(const struct snode *n)
{
	switch (n->type) {
	case SN_STRING:
		return "string";
	case SN_BOOL:
		return "boolean";
	case SN_INT:
		return "integer";
	case SN_NUMBER:
		return "number";
	case SN_QUANTITY:
		return "quantity";
	default:
		return "object";
	}
}

static void put_type(struct doc *d, const struct snode *n)
{
	if (n->type == SN_ARRAY)
		putf(d, "[]%s", scalar_type(n->items));
	else if (n->type == SN_MAP)
		putf(d, "map[string]%s", scalar_type(n->items));
	else
		put(d, scalar_type(n));
	if (n->format && strcmp(n->format, "int64") != 0)
		putf(d, " (%s)", n->format);
}

static int put_constraints(struct doc *d, const struct snode *n)
{
	struct clist c = {d, 0};
	int r = 0;

	if (is_scalar(n))
		return put_scalar(&c, n, "");
	if (n->type == SN_ARRAY || n->type == SN_MAP) {
		if (n->min_items) {
			sep(&c);
			putf(d, "at least %d %s", n->min_items,
			     n->min_items == 1 ? "item" : "items");
		}
		sep(&c);
		putf(d, "at most %zu %s", schema_max_items(n),
		     n->type == SN_MAP ? "entries" : "items");
	}
	if (n->type == SN_MAP) {
		sep(&c);
		put(d, "keys at most ");
		put_size(d, n->max_len ? n->max_len : TK_MAX_JSON_KEY);
	}
	if (n->flags & SN_NORMALIZE) {
		sep(&c);
		put(d, "entries trimmed and repeats removed by the mutating webhook");
	}
	if (n->flags & SN_LIST_MAP) {
		sep(&c);
		putf(d, "a list-map keyed by `%s`", n->list_key);
	}
	r = put_check(&c, n->check, "");
	if (r == 0 && (n->type == SN_ARRAY || n->type == SN_MAP) && is_scalar(n->items))
		r = put_scalar(&c, n->items, n->type == SN_MAP ? "each value: " : "each: ");
	return r;
}

static int put_default(struct doc *d, const char *def)
{
	size_t len;

	if (!def)
		return 0;
	len = strlen(def);
	/* Table defaults are plain quoted strings without escapes, or literals. */
	if (def[0] == '"' && len >= 2)
		putf(d, "`%.*s`", (int)(len - 2), def + 1);
	else
		putf(d, "`%s`", def);
	return 0;
}

static int put_row(struct doc *d, const struct snode *n, bool required)
{
	int r;

	putf(d, "| `%s` | ", d->path.data);
	put_type(d, n);
	if (n->flags & SN_NULLABLE)
		put(d, ", nullable");
	putf(d, " | %s | ", required ? "yes" : "");
	r = put_default(d, n->def);
	put(d, " | ");
	if (r == 0 && !d->status)
		r = put_constraints(d, n);
	put(d, " | ");
	put_cell(d, n->desc);
	put(d, " |\n");
	return r;
}

static int walk(struct doc *d, const struct snode *n, bool required);

/* The fields of an object node, each under path + suffix + "." + name. */
static int walk_fields(struct doc *d, const struct snode *n, const char *suffix)
{
	size_t mark = d->path.len;
	const struct sfield *f;
	int r = 0;

	for (f = n->fields; f && f->name && r == 0 && !d->err; f++) {
		if (buf_printf(&d->path, "%s.%s", suffix, f->name) < 0)
			return -ENOMEM;
		r = walk(d, f->node, f->required);
		d->path.len = mark;
		d->path.data[mark] = '\0';
	}
	return r;
}

static int walk(struct doc *d, const struct snode *n, bool required)
{
	int r = put_row(d, n, required);

	if (r < 0)
		return r;
	if (n->type == SN_OBJECT)
		return walk_fields(d, n, "");
	if ((n->type == SN_ARRAY || n->type == SN_MAP) && n->items->type == SN_OBJECT)
		return walk_fields(d, n->items, n->type == SN_ARRAY ? "[]" : "[*]");
	return 0;
}

static int put_field_table(struct doc *d, const char *root, const struct snode *n)
{
	int r;

	put(d, "| field | type | required | default | constraints | description |\n"
	       "|---|---|---|---|---|---|\n");
	buf_reset(&d->path);
	if (buf_puts(&d->path, root) < 0)
		return -ENOMEM;
	d->status = strcmp(root, "status") == 0;
	r = walk(d, n, !d->status);
	put(d, "\n");
	return r;
}

static void put_columns(struct doc *d, const struct schema_column *c)
{
	if (!c)
		return;
	put(d, "Printer columns (`kubectl get`):\n\n"
	       "| column | type | JSON path | description |\n|---|---|---|---|\n");
	for (; c->name; c++) {
		putf(d, "| %s | %s | `", c->name, c->type);
		put_cell(d, c->json_path);
		put(d, "` | ");
		put_cell(d, c->desc ? c->desc : "Time since creation.");
		put(d, " |\n");
	}
	put(d, "\n");
}

/* The object-wide rules of a kind (its skind check), in words. */
static int put_kind_rules(struct doc *d, skind_check_fn fn)
{
	put(d, "Object rules: `metadata.name` is a DNS-1123 subdomain");
	if (fn == schema_check_kind_agentjob)
		putf(d,
		     " of at most %d characters without `schedule` (the one-shot Job "
		     "`<name>-<16 hex>` must fit in 63) and at most %d with it (the CronJob's "
		     "Jobs add 11); the webhook's `--forbid-tolerations` (default: the "
		     "control-plane "
		     "taints) forbids tolerating those taints, or every taint",
		     TK_MAX_AGENTJOB_NAME_JOB, TK_MAX_AGENTJOB_NAME_CRON);
	else if (fn == schema_check_kind_runtime)
		put(d,
		    "; `configPath` and `persistPath` differ and neither is inside the other; "
		    "with the webhook's `--require-runtime-class`, `runtimeClassName` is required");
	else if (fn == schema_check_kind_mcp)
		put(d, "; exactly one of `command` and `url`; `args` only with `command`");
	else if (fn)
		return -ENOENT;
	put(d, ".\n\n");
	return 0;
}

static void put_names(struct doc *d, const struct schema_kind_info *ki)
{
	putf(d, "| | |\n|---|---|\n| apiVersion | `%s` |\n| kind | `%s` |\n", TK_API_VERSION,
	     ki->kind);
	putf(d, "| plural, singular | `%s`, `%s` |\n| short name | `%s` |\n", ki->plural,
	     ki->singular, ki->short_name);
	putf(d, "| scope | Namespaced |\n| category | `%s` |\n", TK_CATEGORY);
	putf(d, "| status subresource | %s |\n\n", ki->has_status ? "yes" : "no");
}

static int put_kind(struct doc *d, enum tk_kind k)
{
	const struct schema_kind_info *ki = schema_kind_info(k);
	const struct skind *sk = schema_skind(k);
	int r;

	putf(d, "## %s\n\n", ki->kind);
	put_cell(d, sk->desc);
	put(d, "\n\n");
	put_names(d, ki);
	put_columns(d, sk->columns);
	r = put_kind_rules(d, sk->check);
	if (r == 0) {
		putf(d, "### %s spec\n\n", ki->kind);
		r = put_field_table(d, "spec", sk->spec);
	}
	if (r == 0 && sk->status) {
		putf(d,
		     "### %s status\n\nWritten by the controller; never validated by the "
		     "webhook.\n\n",
		     ki->kind);
		r = put_field_table(d, "status", sk->status);
	}
	return r;
}

static const char intro[] =
    "<!-- Generated by `thurkube-controller --api-doc` (common/schema_doc.c) from the schema "
    "tables; do not edit. `make manifests` rewrites it; `make manifests-check` fails when it "
    "differs. -->\n"
    "# API reference: " TK_API_VERSION "\n\n"
    "Every field of the eight kinds, generated from the tables in `common/schema.c`: the same "
    "tables the CRDs (`manifests/crds/`), the webhook's validation and defaulting, the offline "
    "validator and the controller's decoding come from. What the controller does with each "
    "field (children, status, runs, events) and the validation narrative with examples are in "
    "[api-guide.md](api-guide.md).\n\n"
    "How to read the tables:\n\n"
    "- **path**: `[]` is any item of a list, `[*]` any value of a map. A nested field marked "
    "required is required when its parent is present.\n"
    "- **type**: `quantity` is a Kubernetes quantity, an integer or a string such as `500m` or "
    "`1Gi`; `nullable` fields may be `null`, which counts as absent.\n"
    "- **default**: set by the API server (the CRD carries it) and by the mutating webhook.\n"
    "- **constraints**: checked by the validating webhook and by `thurkube-webhook validate`, "
    "all together, so one denial lists every problem. The CRDs carry only types, required "
    "fields, defaults and `nullable`. Lengths are in bytes.\n\n"
    "Every kind: `apiVersion` is `" TK_API_VERSION "`, `kind` matches, `spec` is present; no "
    "string or key holds a NUL character; the annotation `" TK_ANNOTATION_CREATED_BY "` is set "
    "on CREATE and may not be changed or removed; fields the schema does not know are refused "
    "under strict field validation (kubectl's default).\n\n";

static void put_index(struct doc *d)
{
	unsigned k;

	put(d, "| kind | plural | short name | status | description |\n|---|---|---|---|---|\n");
	for (k = 0; k < TK_KIND_COUNT; k++) {
		const struct schema_kind_info *ki = schema_kind_info((enum tk_kind)k);

		putf(d, "| [%s](#%s) | `%s` | `%s` | %s | ", ki->kind, ki->singular, ki->plural,
		     ki->short_name, ki->has_status ? "yes" : "no");
		put_cell(d, schema_skind((enum tk_kind)k)->desc);
		put(d, " |\n");
	}
	put(d, "\n");
}

int schema_doc_markdown(struct buf *out)
{
	struct doc d = {out, BUF_INIT(1024), 0, false};
	size_t mark = out->len;
	unsigned k;
	int r = 0;

	put(&d, intro);
	put_index(&d);
	for (k = 0; k < TK_KIND_COUNT && r == 0 && !d.err; k++)
		r = put_kind(&d, (enum tk_kind)k);
	buf_free(&d.path);
	if (r == 0 && d.err)
		r = -ENOMEM;
	if (r < 0) {
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
	}
	return r;
}

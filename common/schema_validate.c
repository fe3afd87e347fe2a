/*
 * schema_validate.c - admission validation: a structural walk over the
 * schema tree (types, required fields, enums, bounds, unknown fields),
 * then the semantic checks the tables name, then the rules that span
 * several fields of a kind. Every problem is recorded; nothing stops at
 * the first one.
 *
 * Exact, bounded strings: every string the walk meets, in spec by the
 * schema (its max_len) and everywhere else (apiVersion, kind, metadata,
 * unknown fields) by a plain walk, must hold no NUL character (json-c
 * keeps it, C strings would stop at it) and every object key must fit
 * TK_MAX_JSON_KEY; such a string is reported before any rule reads or
 * quotes it.
 *
 * Bounded work: a list or map longer than its limit (limits.h) is one
 * "Too many" error and its items are never visited; repeats are found by
 * sorting, never by comparing every pair; and the walk reads the clock
 * every TK_DEADLINE_CHECK_EVERY steps, stopping everything once the
 * caller's deadline has passed.
 */
#include "compat.h"

#include "jsonutil.h"

#include <errno.h>
#include <stdarg.h>
#include <strings.h>

#include "cidr.h"
#include "cron.h"
#include "limits.h"
#include "names.h"
#include "quantity.h"
#include "schema.h"
#include "schema_int.h"
#include "toolrule.h"
#include "tz.h"
#include "url.h"

/* ---- paths and error helpers ---- */

static char *path_join(struct schema_vctx *c, const char *fmt, ...) TK_PRINTF(2, 3);

static char *path_join(struct schema_vctx *c, const char *fmt, ...)
{
	/* Paths are bounded by the input (keys by TK_MAX_JSON_KEY, depth by
	 * TK_MAX_JSON_DEPTH); fielderr cuts what it keeps to TK_MAX_ERROR_PATH. */
	struct buf b = BUF_INIT(TK_MAX_INPUT_FILE);
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, fmt);
	r = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (r == 0)
		s = buf_steal(&b);
	buf_free(&b);
	if (!s)
		c->oom = 1;
	return s;
}

/* base pre part post as one new string (path_join without the format:
 * these run for every field the walk visits). */
static char *path_cat(struct schema_vctx *c, const char *base, const char *pre, const char *part,
                      const char *post)
{
	size_t nb = strlen(base), npre = strlen(pre), np = strlen(part), npost = strlen(post);
	size_t n = nb + npre + np + npost;
	char *s = n < TK_MAX_INPUT_FILE ? malloc(n + 1) : NULL;

	if (!s) {
		c->oom = 1;
		return NULL;
	}
	memcpy(s, base, nb);
	memcpy(s + nb, pre, npre);
	memcpy(s + nb + npre, part, np);
	memcpy(s + nb + npre + np, post, npost + 1);
	return s;
}

static char *path_field(struct schema_vctx *c, const char *base, const char *name)
{
	return path_cat(c, base, *base ? "." : "", name, "");
}

static char *path_index(struct schema_vctx *c, const char *base, size_t i)
{
	char num[24];

	snprintf(num, sizeof(num), "%zu", i);
	return path_cat(c, base, "[", num, "]");
}

static char *path_key(struct schema_vctx *c, const char *base, const char *key)
{
	return path_cat(c, base, "[", key, "]");
}

/* The value as compact JSON text for "Invalid value: <v>". */
static const char *json_text(json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	                                             JSON_C_TO_STRING_NOSLASHESCAPE);
}

static size_t array_len(json_object *v)
{
	return json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
}

/* Report the reason a names.h rule gave, as "Invalid value". */
static void invalid_why(struct schema_vctx *c, const char *path, const char *value, struct buf *why)
{
	fielderrs_add_str(c->errs, FE_INVALID, path, value, "%s",
	                  why->data ? why->data : "invalid");
}

static bool has_space_or_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return true;
	return false;
}

/* ---- bounded work ---- */

/* "Too many: N: must have at most M items" when v (an array or object) is
 * longer than n allows; true when it is (then nothing in it is checked). */
static bool too_many(struct schema_vctx *c, const struct snode *n, json_object *v, const char *path)
{
	size_t len = json_object_is_type(v, json_type_array) ? json_object_array_length(v)
	                                                     : (size_t)json_object_object_length(v);
	size_t max = schema_max_items(n);
	char num[24];

	if (len <= max)
		return false;
	snprintf(num, sizeof(num), "%zu", len);
	fielderrs_add(c->errs, FE_TOO_MANY, path, num, "must have at most %zu items", max);
	return true;
}

/* A key of a list entry and the entry's index, sorted to find repeats. */
struct dkey {
	const char *s;
	size_t i;
};

static int dkey_cmp(const void *a, const void *b)
{
	const struct dkey *x = a, *y = b;
	int r = strcmp(x->s, y->s);

	return r ? r : (x->i > y->i) - (x->i < y->i);
}

/*
 * For each entry of list v, whether an earlier entry has the same key: the
 * entry itself when it is a string (member NULL), or its string member.
 * Entries without one, and "" unless with_empty, take no part. A new
 * array of array_len(v) flags (free it), or NULL (c->oom set) on ENOMEM
 * or when the list is empty. O(n log n): one sort.
 */
static bool *repeats(struct schema_vctx *c, json_object *v, const char *member, bool with_empty)
{
	size_t i, n = 0, len = array_len(v);
	struct dkey *k;
	bool *rep;

	if (!len)
		return NULL;
	k = malloc(len * sizeof(*k));
	rep = calloc(len, sizeof(*rep));
	if (!k || !rep) {
		free(k);
		free(rep);
		c->oom = 1;
		return NULL;
	}
	for (i = 0; i < len; i++) {
		json_object *it = json_object_array_get_idx(v, i);
		const char *s = member ? jsonutil_str(it, member) : jsonutil_as_str(it);

		if (s && (with_empty || *s))
			k[n++] = (struct dkey){s, i};
	}
	if (n > 1)
		qsort(k, n, sizeof(*k), dkey_cmp);
	/* Within a run of equal keys, all but the first in list order repeat. */
	for (i = 1; i < n; i++)
		if (strcmp(k[i].s, k[i - 1].s) == 0)
			rep[k[i].i] = true;
	free(k);
	return rep;
}

/* ---- exact, bounded strings ---- */

static void warn(struct schema_vctx *c, const char *fmt, ...) TK_PRINTF(2, 3);

/* A warning, up to TK_MAX_WARNINGS; the last slot says more were dropped. */
static void warn(struct schema_vctx *c, const char *fmt, ...)
{
	struct buf b = BUF_INIT(TK_MAX_INPUT_FILE);
	va_list ap;
	int r;

	if (c->warnings->n >= TK_MAX_WARNINGS)
		return;
	if (c->warnings->n == TK_MAX_WARNINGS - 1) {
		if (strlist_add(c->warnings, "more warnings not shown") < 0)
			c->oom = 1;
		return;
	}
	va_start(ap, fmt);
	r = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (r < 0 || strlist_add(c->warnings, b.data) < 0)
		c->oom = 1;
	buf_free(&b);
}

static void add_nul(struct schema_vctx *c, const char *path)
{
	fielderrs_add(c->errs, FE_INVALID, path, NULL, SCHEMA_NUL_DETAIL);
}

static void add_long_key(struct schema_vctx *c, const char *path, size_t max)
{
	fielderrs_add(c->errs, FE_TOO_LONG, path, NULL, "keys may not be more than %zu bytes", max);
}

/* 1 when the string v holds a NUL or passes max bytes (reported), else 0. */
static int bad_string(struct schema_vctx *c, json_object *v, size_t max, const char *path)
{
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);

	if (strlen(s) != len) {
		add_nul(c, path);
		return 1;
	}
	if (len > max) {
		fielderrs_add(c->errs, FE_TOO_LONG, path, NULL, "may not be more than %zu bytes",
		              max);
		return 1;
	}
	return 0;
}

/* One step of a path the plain walk renders only when it reports. */
struct pseg {
	const struct pseg *up;
	const char *key; /* NULL: array index idx */
	size_t idx;
};

static bool plain_key(const char *k)
{
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		      (*k >= '0' && *k <= '9') || *k == '_' || *k == '-'))
			return false;
	return true;
}

static int pseg_render(const struct pseg *g, struct buf *b)
{
	int r = g->up ? pseg_render(g->up, b) : 0;

	if (r < 0)
		return r;
	if (!g->up)
		return buf_puts(b, g->key);
	if (!g->key)
		return buf_printf(b, "[%zu]", g->idx);
	return plain_key(g->key) ? buf_printf(b, ".%s", g->key) : buf_printf(b, "[%s]", g->key);
}

static void plain_report(struct schema_vctx *c, const struct pseg *g, size_t long_key)
{
	struct buf b = BUF_INIT(TK_MAX_INPUT_FILE);

	if (pseg_render(g, &b) < 0)
		c->oom = 1;
	else if (long_key)
		add_long_key(c, b.data, long_key);
	else
		add_nul(c, b.data);
	buf_free(&b);
}

/* Every string and key under v, whatever the schema says of it. */
static void plain_strings(struct schema_vctx *c, json_object *v, const struct pseg *g)
{
	size_t i, len;

	if (schema_clock_step(&c->clock))
		return;
	switch (json_object_get_type(v)) {
	case json_type_string:
		if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
			plain_report(c, g, 0);
		break;
	case json_type_array:
		len = json_object_array_length(v);
		for (i = 0; i < len; i++) {
			struct pseg s = {g, NULL, i};

			plain_strings(c, json_object_array_get_idx(v, i), &s);
		}
		break;
	case json_type_object: {
		json_object_object_foreach(v, key, val)
		{
			struct pseg s = {g, key, 0};

			if (strlen(key) > TK_MAX_JSON_KEY)
				plain_report(c, g, TK_MAX_JSON_KEY);
			else
				plain_strings(c, val, &s);
		}
		break;
	}
	default:
		break;
	}
}

static void plain_strings_at(struct schema_vctx *c, json_object *v, const char *path)
{
	struct pseg g = {NULL, path, 0};

	plain_strings(c, v, &g);
}

/* ---- structural walk ---- */

static bool type_ok(const struct snode *n, json_object *v)
{
	switch (n->type) {
	case SN_OBJECT:
	case SN_MAP:
		return json_object_is_type(v, json_type_object);
	case SN_STRING:
		return json_object_is_type(v, json_type_string);
	case SN_BOOL:
		return json_object_is_type(v, json_type_boolean);
	case SN_INT:
		return json_object_is_type(v, json_type_int);
	case SN_ARRAY:
		return json_object_is_type(v, json_type_array);
	case SN_QUANTITY:
		return json_object_is_type(v, json_type_int) ||
		       json_object_is_type(v, json_type_string);
	case SN_NUMBER:
		return json_object_is_type(v, json_type_int) ||
		       json_object_is_type(v, json_type_double);
	}
	return false;
}

static const char *const expected_words[] = {
    [SN_OBJECT] = "object",
    [SN_STRING] = "string",
    [SN_BOOL] = "boolean",
    [SN_INT] = "integer",
    [SN_ARRAY] = "array",
    [SN_MAP] = "object",
    [SN_QUANTITY] = "integer or string",
    [SN_NUMBER] = "number",
};

static void walk(struct schema_vctx *c, const struct snode *n, json_object *v, const char *path);

static void check_enum(struct schema_vctx *c, const struct snode *n, json_object *v,
                       const char *path)
{
	struct buf list = BUF_INIT(4096);
	const char *s = json_object_get_string(v);
	size_t i;
	int r = 0;

	for (i = 0; n->enums[i]; i++)
		if (strcmp(s, n->enums[i]) == 0)
			return;
	for (i = 0; r == 0 && n->enums[i]; i++)
		r = buf_printf(&list, "%s\"%s\"", i ? ", " : "", n->enums[i]);
	if (r < 0)
		c->oom = 1;
	else
		fielderrs_add_str(c->errs, FE_NOT_SUPPORTED, path, s, "supported values: %s",
		                  list.data);
	buf_free(&list);
}

static void check_bounds(struct schema_vctx *c, const struct snode *n, json_object *v,
                         const char *path)
{
	int64_t x = json_object_get_int64(v);
	bool lo = (n->flags & SN_HAS_MIN) && x < n->min;
	bool hi = (n->flags & SN_HAS_MAX) && x > n->max;

	if (!lo && !hi)
		return;
	if ((n->flags & SN_HAS_MIN) && (n->flags & SN_HAS_MAX))
		fielderrs_add(c->errs, FE_INVALID, path, json_text(v),
		              "must be between %lld and %lld", (long long)n->min,
		              (long long)n->max);
	else if (lo)
		fielderrs_add(c->errs, FE_INVALID, path, json_text(v),
		              "must be greater than or equal to %lld", (long long)n->min);
	else
		fielderrs_add(c->errs, FE_INVALID, path, json_text(v),
		              "must be less than or equal to %lld", (long long)n->max);
}

static void walk_object(struct schema_vctx *c, const struct snode *n, json_object *v,
                        const char *path)
{
	const struct sfield *f;
	int seen = 0; /* declared fields present in v */

	for (f = n->fields; f->name && !c->clock.late; f++) {
		json_object *m = jsonutil_get(v, f->name);
		char *p;

		/* An absent optional field costs no path. */
		if (!m && !f->required)
			continue;
		seen += m != NULL;
		p = path_field(c, path, f->name);
		if (!p)
			return;
		if (!m || (f->node->type == SN_STRING && (f->node->flags & SN_NONEMPTY) &&
		           json_object_is_type(m, json_type_string) &&
		           json_object_get_string_len(m) == 0))
			fielderrs_add(c->errs, FE_REQUIRED, p, NULL, NULL);
		else
			walk(c, f->node, m, p);
		free(p);
	}
	/* Keys are unique: when every key was a declared field, none is
	 * unknown. */
	if (c->clock.late || seen == json_object_object_length(v))
		return;
	json_object_object_foreach(v, key, val)
	{
		bool known = false;
		char *p;

		if (c->clock.late)
			break;
		for (f = n->fields; f->name && !known; f++)
			known = strcmp(f->name, key) == 0;
		if (known)
			continue;
		if (strlen(key) > TK_MAX_JSON_KEY) {
			add_long_key(c, path, TK_MAX_JSON_KEY);
			continue;
		}
		p = path_field(c, path, key);
		if (p) {
			warn(c, "unknown field \"%s\"", p);
			/* Pruned by the API server, but the offline validator sees it. */
			plain_strings_at(c, val, p);
		}
		free(p);
	}
}

/* The items of list v; false when the list is over its limit (reported). */
static bool walk_array(struct schema_vctx *c, const struct snode *n, json_object *v,
                       const char *path)
{
	size_t i, len = json_object_array_length(v);
	bool *rep;

	if (too_many(c, n, v, path))
		return false;
	if ((int)len < n->min_items) {
		fielderrs_add(c->errs, FE_REQUIRED, path, NULL, "must have at least %d item%s",
		              n->min_items, n->min_items == 1 ? "" : "s");
		return true;
	}
	for (i = 0; i < len && !c->clock.late; i++) {
		json_object *it = json_object_array_get_idx(v, i);
		char *p = path_index(c, path, i);

		if (!p)
			return true;
		if (it)
			walk(c, n->items, it, p);
		else
			fielderrs_add(c->errs, FE_TYPE, p, "\"null\"",
			              "%s in body must be of type %s: \"null\"", p,
			              expected_words[n->items->type]);
		free(p);
	}
	if (!(n->flags & SN_LIST_MAP) || c->clock.late)
		return true;
	rep = repeats(c, v, n->list_key, true);
	for (i = 0; rep && i < len; i++) {
		char *p;

		if (!rep[i])
			continue;
		p = path_index(c, path, i);
		if (p)
			fielderrs_add_str(
			    c->errs, FE_DUPLICATE, p,
			    jsonutil_str(json_object_array_get_idx(v, i), n->list_key), NULL);
		free(p);
	}
	free(rep);
	return true;
}

/* The entries of map v; false when the map is over its limit (reported). */
static bool walk_map(struct schema_vctx *c, const struct snode *n, json_object *v, const char *path)
{
	size_t max = n->max_len ? n->max_len : TK_MAX_JSON_KEY;
	bool too_long = false;

	if (too_many(c, n, v, path))
		return false;
	json_object_object_foreach(v, key, val)
	{
		char *p;

		if (c->clock.late)
			break;
		if (strlen(key) > max) {
			/* One error per map: the key itself is not worth quoting. */
			if (!too_long)
				add_long_key(c, path, max);
			too_long = true;
			continue;
		}
		p = path_key(c, path, key);
		if (!p)
			return true;
		if (val)
			walk(c, n->items, val, p);
		free(p);
	}
	return true;
}

static void walk(struct schema_vctx *c, const struct snode *n, json_object *v, const char *path)
{
	size_t nerr = fielderrs_count(c->errs);

	if (schema_clock_step(&c->clock))
		return;
	if (!type_ok(n, v)) {
		const char *w = jsonutil_type_word(v);
		char q[32];

		snprintf(q, sizeof(q), "\"%s\"", w);
		fielderrs_add(c->errs, FE_TYPE, path, q, "%s in body must be of type %s: \"%s\"",
		              path, expected_words[n->type], w);
		return;
	}
	if (json_object_is_type(v, json_type_string) &&
	    bad_string(c, v, n->max_len ? n->max_len : TK_MAX_STRING, path))
		return;
	if (n->enums && n->type == SN_STRING)
		check_enum(c, n, v, path);
	if (n->type == SN_INT)
		check_bounds(c, n, v, path);
	if (n->type == SN_OBJECT)
		walk_object(c, n, v, path);
	/* A list or map over its limit is not looked into, not even by its check. */
	else if (n->type == SN_ARRAY && !walk_array(c, n, v, path))
		return;
	else if (n->type == SN_MAP && !walk_map(c, n, v, path))
		return;
	if (c->clock.late)
		return;
	/* Semantic checks see only values whose own shape is right. */
	if (n->check && fielderrs_count(c->errs) == nerr)
		n->check(c, v, path);
	else if (n->check && (n->type == SN_OBJECT || n->type == SN_ARRAY || n->type == SN_MAP))
		n->check(c, v, path);
}

/* ---- semantic checks named by the tables ---- */

void schema_check_schedule(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	struct buf why = BUF_INIT(1024);
	struct cron_expr e;

	if (len == 0) {
		fielderrs_add_str(
		    c->errs, FE_INVALID, path, s,
		    "must be a cron expression; leave schedule out for a one-shot run");
		return;
	}
	if (len > TK_MAX_CRON_LEN) {
		fielderrs_add(c->errs, FE_TOO_LONG, path, NULL, "may not be more than %d bytes",
		              TK_MAX_CRON_LEN);
		return;
	}
	if (strncmp(s, "TZ=", 3) == 0 || strncmp(s, "CRON_TZ=", 8) == 0) {
		fielderrs_add_str(
		    c->errs, FE_INVALID, path, s,
		    "TZ= and CRON_TZ= prefixes are not supported: set spec.timezone instead");
		return;
	}
	if (cron_parse(s, len, &e, &why) < 0)
		fielderrs_add_str(c->errs, FE_INVALID, path, s, "%s",
		                  why.data && *why.data ? why.data : "invalid cron expression");
	buf_free(&why);
}

void schema_check_timezone(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v);
	int r;

	/* The CronJob controller knows UTC without a database. */
	if (strcmp(s, "Etc/UTC") == 0 || strcmp(s, "UTC") == 0)
		return;
	r = tz_exists(s);
	if (r == 1)
		return;
	if (r == 0)
		fielderrs_add_str(c->errs, FE_INVALID, path, s, "unknown time zone %s", s);
	else if (r == -ENOENT)
		fielderrs_add_str(
		    c->errs, FE_INVALID, path, s,
		    "cannot check the time zone: tz database not found at %s; install "
		    "tzdata",
		    tz_root());
	else
		fielderrs_add_str(c->errs, FE_INVALID, path, s, "cannot check the time zone: %s",
		                  strerror(-r));
}

void schema_check_timeout(struct schema_vctx *c, json_object *v, const char *path)
{
	int64_t x = json_object_get_int64(v);

	if (c->cfg && c->cfg->max_timeout_seconds > 0 && x > c->cfg->max_timeout_seconds)
		fielderrs_add(c->errs, FE_INVALID, path, json_text(v),
		              "must be between 1 and %lld (the webhook's maximum timeout)",
		              (long long)c->cfg->max_timeout_seconds);
}

void schema_check_text(struct schema_vctx *c, json_object *v, const char *path)
{
	if ((size_t)json_object_get_string_len(v) > TK_MAX_PROMPT)
		fielderrs_add(c->errs, FE_TOO_LONG, path, NULL, "may not be more than %u bytes",
		              TK_MAX_PROMPT);
}

void schema_check_prompt(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v);

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (!*s)
		fielderrs_add(c->errs, FE_REQUIRED, path, NULL, "must not be blank");
	else
		schema_check_text(c, v, path);
}

void schema_check_ref(struct schema_vctx *c, json_object *v, const char *path)
{
	struct buf why = BUF_INIT(1024);
	const char *s = json_object_get_string(v);

	if (!names_dns1123_subdomain(s, &why))
		invalid_why(c, path, s, &why);
	buf_free(&why);
}

/* Entries of a []string that are DNS-1123 names, without repeats. */
static void check_names_unique(struct schema_vctx *c, json_object *v, const char *path,
                               const char *member)
{
	size_t i, len = array_len(v);
	bool *rep = repeats(c, v, member, true);

	for (i = 0; rep && i < len && !schema_clock_step(&c->clock); i++) {
		json_object *it = json_object_array_get_idx(v, i);
		const char *s = member ? jsonutil_str(it, member) : jsonutil_as_str(it);
		char *p;

		if (!s)
			continue;
		p = member ? path_join(c, "%s[%zu].%s", path, i, member) : path_index(c, path, i);
		if (!p)
			break;
		if (*s)
			schema_check_ref(c, member ? jsonutil_get(it, member) : it, p);
		if (rep[i])
			fielderrs_add_str(c->errs, FE_DUPLICATE, p, s, NULL);
		free(p);
	}
	free(rep);
}

void schema_check_ref_list(struct schema_vctx *c, json_object *v, const char *path)
{
	size_t i, len = array_len(v);

	for (i = 0; i < len; i++) {
		const char *s = jsonutil_as_str(json_object_array_get_idx(v, i));
		char *p;

		if (!s || *s)
			continue;
		p = path_index(c, path, i);
		if (p)
			fielderrs_add(c->errs, FE_REQUIRED, p, NULL, NULL);
		free(p);
	}
	check_names_unique(c, v, path, NULL);
}

void schema_check_local_refs(struct schema_vctx *c, json_object *v, const char *path)
{
	check_names_unique(c, v, path, "name");
}

int schema_env_reserved(const char *name)
{
	static const char *const fixed[] = {"HOME", "CONFIG_DIR", "PERSIST_DIR", "GH_TOKEN", NULL};
	size_t i;

	for (i = 0; fixed[i]; i++)
		if (strcmp(name, fixed[i]) == 0)
			return 1;
	return names_repo_token_index(name) >= 0;
}

/*
 * Why an env name of c's object may not be used, or NULL. The names the
 * controller sets in every agent container are refused everywhere, and
 * PERSIST_DIR where the AgentJob itself asks for persistence. An AgentJob
 * may use GH_TOKEN and REPO_TOKEN_<N>: the controller sets them only from
 * a Repository with a token, which the webhook's cluster checks look up.
 * An McpServer's env reaches the container of every AgentJob that names
 * it, whatever those AgentJobs reference, so it keeps the whole list.
 */
static const char *env_reserved_why(const struct schema_vctx *c, const char *name)
{
	json_object *persist = jsonutil_get(c->spec, "persist");

	if (strcmp(name, "HOME") == 0 || strcmp(name, "CONFIG_DIR") == 0)
		return "is reserved: thurkube sets it in the agent container";
	if (c->kind != TK_AGENTJOB)
		return schema_env_reserved(name)
		           ? "is reserved: thurkube sets it in the container of every AgentJob "
		             "that references this object"
		           : NULL;
	if (strcmp(name, "PERSIST_DIR") == 0 && json_object_is_type(persist, json_type_boolean) &&
	    json_object_get_boolean(persist))
		return "is reserved: thurkube sets it in the agent container when spec.persist is "
		       "true";
	return NULL;
}

static void check_env_item(struct schema_vctx *c, json_object *it, size_t i, bool repeat,
                           const char *path)
{
	struct buf why = BUF_INIT(1024);
	const char *name = jsonutil_str(it, "name"), *value = jsonutil_str(it, "value");
	const char *reserved = name ? env_reserved_why(c, name) : NULL;
	char *p = path_join(c, "%s[%zu].name", path, i);

	if (!p)
		return;
	if (name && *name && !names_env_var(name, &why))
		invalid_why(c, p, name, &why);
	else if (reserved)
		fielderrs_add_str(c->errs, FE_INVALID, p, name, "%s", reserved);
	if (repeat)
		fielderrs_add_str(c->errs, FE_DUPLICATE, p, name, NULL);
	free(p);
	if (value && *value && jsonutil_get(it, "valueFrom")) {
		p = path_join(c, "%s[%zu].valueFrom", path, i);
		if (p)
			fielderrs_add_str(c->errs, FE_INVALID, p, "",
			                  "may not be specified when `value` is not empty");
		free(p);
	}
	buf_free(&why);
}

void schema_check_env_list(struct schema_vctx *c, json_object *v, const char *path)
{
	size_t i, len = array_len(v);
	bool *rep = repeats(c, v, "name", false);

	for (i = 0; rep && i < len && !schema_clock_step(&c->clock); i++) {
		json_object *it = json_object_array_get_idx(v, i);

		if (json_object_is_type(it, json_type_object))
			check_env_item(c, it, i, rep[i], path);
	}
	free(rep);
}

/* How many of the named members are present. */
static int count_members(json_object *o, const char *const *names)
{
	int n = 0;

	for (; *names; names++)
		n += jsonutil_get(o, *names) != NULL;
	return n;
}

void schema_check_env_source(struct schema_vctx *c, json_object *v, const char *path)
{
	static const char *const srcs[] = {"configMapKeyRef", "fieldRef", "resourceFieldRef",
	                                   "secretKeyRef", NULL};
	int n = count_members(v, srcs);

	if (n == 0)
		fielderrs_add_str(c->errs, FE_INVALID, path, "",
		                  "must specify one of: `configMapKeyRef`, `fieldRef`, "
		                  "`resourceFieldRef` or `secretKeyRef`");
	else if (n > 1)
		fielderrs_add_str(c->errs, FE_INVALID, path, "",
		                  "may not have more than one field specified at a time");
}

void schema_check_env_from(struct schema_vctx *c, json_object *v, const char *path)
{
	static const char *const srcs[] = {"configMapRef", "secretRef", NULL};
	struct buf why = BUF_INIT(1024);
	const char *prefix = jsonutil_str(v, "prefix");
	int n = count_members(v, srcs);

	if (n == 0)
		fielderrs_add_str(c->errs, FE_INVALID, path, "",
		                  "must specify one of: `configMapRef` or `secretRef`");
	else if (n > 1)
		fielderrs_add_str(c->errs, FE_INVALID, path, "",
		                  "may not have more than one field specified at a time");
	if (prefix && *prefix && !names_env_var(prefix, &why)) {
		char *p = path_field(c, path, "prefix");

		if (p)
			invalid_why(c, p, prefix, &why);
		free(p);
	}
	buf_free(&why);
}

void schema_check_config_key(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v), *p;
	bool ok = *s && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;

	for (p = s; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		     (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.';
	if (strlen(s) > TK_MAX_NAME)
		fielderrs_add(c->errs, FE_TOO_LONG, path, NULL, "may not be more than %d bytes",
		              TK_MAX_NAME);
	else if (!ok)
		fielderrs_add_str(
		    c->errs, FE_INVALID, path, s,
		    "a valid config key must consist of alphanumeric characters, '-', '_' "
		    "or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used "
		    "for validation is '[-._a-zA-Z0-9]+')");
}

/* Parse an int-or-string quantity. 0, or -EINVAL with the reason in why. */
static int qty_of(json_object *v, struct quantity *q, struct buf *why)
{
	char num[32];
	const char *s = num;

	if (json_object_is_type(v, json_type_int))
		snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(v));
	else if (json_object_is_type(v, json_type_string))
		s = json_object_get_string(v);
	else
		return -EINVAL;
	return quantity_parse(s, strlen(s), q, why);
}

void schema_check_quantity(struct schema_vctx *c, json_object *v, const char *path)
{
	struct buf why = BUF_INIT(1024);
	struct quantity q;

	if (qty_of(v, &q, &why) < 0)
		fielderrs_add(c->errs, FE_INVALID, path, json_text(v), "%s",
		              why.data && *why.data ? why.data : "invalid quantity");
	else if (q.neg)
		fielderrs_add(c->errs, FE_INVALID, path, json_text(v),
		              "must be greater than or equal to 0");
	buf_free(&why);
}

void schema_check_pv_size(struct schema_vctx *c, json_object *v, const char *path)
{
	struct buf why = BUF_INIT(1024);
	struct quantity q, zero;

	if (qty_of(v, &q, &why) < 0)
		fielderrs_add(c->errs, FE_INVALID, path, json_text(v), "%s",
		              why.data && *why.data ? why.data : "invalid quantity");
	else if (quantity_parse("0", 1, &zero, NULL) == 0 && quantity_cmp(&q, &zero) <= 0)
		fielderrs_add(c->errs, FE_INVALID, path, json_text(v), "must be greater than zero");
	buf_free(&why);
}

void schema_check_resources(struct schema_vctx *c, json_object *v, const char *path)
{
	json_object *req = jsonutil_get(v, "requests"), *lim = jsonutil_get(v, "limits");

	if (!json_object_is_type(req, json_type_object) ||
	    !json_object_is_type(lim, json_type_object))
		return;
	json_object_object_foreach(req, name, rv)
	{
		json_object *lv = jsonutil_get(lim, name);
		struct quantity a, b;
		char *p;

		if (!lv || qty_of(rv, &a, NULL) < 0 || qty_of(lv, &b, NULL) < 0 ||
		    quantity_cmp(&a, &b) <= 0)
			continue;
		p = path_join(c, "%s.requests[%s]", path, name);
		if (p)
			fielderrs_add(c->errs, FE_INVALID, p, json_text(rv),
			              "must be less than or equal to %s limit of %s", name,
			              json_object_is_type(lv, json_type_string)
			                  ? json_object_get_string(lv)
			                  : json_text(lv));
		free(p);
	}
}

void schema_check_label_values(struct schema_vctx *c, json_object *v, const char *path)
{
	json_object_object_foreach(v, key, val)
	{
		struct buf why = BUF_INIT(1024);
		const char *s = jsonutil_as_str(val);
		char *p;

		if (s && !names_label_value(s, &why)) {
			p = path_key(c, path, key);
			if (p)
				invalid_why(c, p, s, &why);
			free(p);
		}
		buf_free(&why);
	}
}

void schema_check_toleration(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *key = jsonutil_str(v, "key"), *op = jsonutil_str(v, "operator");
	const char *value = jsonutil_str(v, "value"), *effect = jsonutil_str(v, "effect");
	bool exists = op && strcmp(op, "Exists") == 0;
	char *p;

	if ((!key || !*key) && !exists) {
		p = path_field(c, path, "operator");
		if (p)
			fielderrs_add_str(
			    c->errs, FE_INVALID, p, op ? op : "",
			    "operator must be Exists when `key` is empty, which means "
			    "\"match all values and all keys\"");
		free(p);
	}
	if (exists && value && *value) {
		p = path_field(c, path, "operator");
		if (p)
			fielderrs_add_str(c->errs, FE_INVALID, p, value,
			                  "value must be empty when `operator` is 'Exists'");
		free(p);
	}
	if (jsonutil_get(v, "tolerationSeconds") && (!effect || strcmp(effect, "NoExecute") != 0)) {
		p = path_field(c, path, "effect");
		if (p)
			fielderrs_add_str(
			    c->errs, FE_INVALID, p, effect ? effect : "",
			    "effect must be 'NoExecute' when `tolerationSeconds` is set");
		free(p);
	}
}

void schema_check_image(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v);

	if (has_space_or_ctl(s))
		fielderrs_add_str(c->errs, FE_INVALID, path, s,
		                  "must not contain whitespace or control characters");
}

void schema_check_auth_env(struct schema_vctx *c, json_object *v, const char *path)
{
	struct buf why = BUF_INIT(1024);
	const char *s = json_object_get_string(v);

	if (!names_c_identifier(s, &why))
		invalid_why(c, path, s, &why);
	else if (schema_env_reserved(s))
		fielderrs_add_str(c->errs, FE_INVALID, path, s,
		                  "is reserved: thurkube sets it in the agent container");
	buf_free(&why);
}

/*
 * Normalise an absolute path: collapse "//" and "/./", drop a trailing
 * '/'. Returns a new string, or NULL (with *why set) when it is not
 * absolute or has a ".." segment.
 */
static char *norm_path(const char *s, const char **why)
{
	char *out = malloc(strlen(s) + 2), *o = out;
	const char *p = s;

	*why = NULL;
	if (!out)
		return NULL;
	if (*s != '/') {
		*why = "must be an absolute path";
		goto bad;
	}
	while (*p) {
		const char *seg;
		size_t n;

		while (*p == '/')
			p++;
		seg = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			*why = "must not contain '..'";
			goto bad;
		}
		*o++ = '/';
		memcpy(o, seg, n);
		o += n;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/* 1 when a is b or inside it (both normalised). */
static int path_within(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (strcmp(b, "/") == 0)
		return 1;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

void schema_check_mount_path(struct schema_vctx *c, json_object *v, const char *path)
{
	static const char *const taken[][2] = {
	    {"/tmp", "the agent's scratch volume is mounted there"},
	    {"/home/agent", "the agent's HOME volume is mounted there"},
	};
	const char *s = json_object_get_string(v), *why;
	char *n = norm_path(s, &why);
	size_t i;

	if (!n) {
		if (why)
			fielderrs_add_str(c->errs, FE_INVALID, path, s, "%s", why);
		else
			c->oom = 1;
		return;
	}
	if (strcmp(n, "/") == 0)
		fielderrs_add_str(c->errs, FE_INVALID, path, s, "must not be the root directory");
	for (i = 0; i < TK_ARRAY_LEN(taken); i++)
		if (path_within(n, taken[i][0]))
			fielderrs_add_str(c->errs, FE_INVALID, path, s,
			                  "must not be %s or inside it: %s", taken[i][0],
			                  taken[i][1]);
	free(n);
}

void schema_check_tools(struct schema_vctx *c, json_object *v, const char *path)
{
	struct buf why = BUF_INIT(1024);
	size_t i, len = array_len(v);
	bool *rep = repeats(c, v, NULL, false);

	for (i = 0; rep && i < len && !schema_clock_step(&c->clock); i++) {
		json_object *it = json_object_array_get_idx(v, i);
		const char *s = jsonutil_as_str(it);
		size_t n = s ? strlen(s) : 0;
		char *p;

		/* The walk has reported a NUL and an entry past TK_MAX_TOOL_NAME. */
		if (!s || n != (size_t)json_object_get_string_len(it) || n > TK_MAX_TOOL_NAME)
			continue;
		p = path_index(c, path, i);
		if (!p)
			break;
		if (!toolrule_valid(s, &why))
			invalid_why(c, p, s, &why);
		if (rep[i])
			fielderrs_add_str(c->errs, FE_DUPLICATE, p, s, NULL);
		free(p);
	}
	free(rep);
	buf_free(&why);
}

/* GitHub account names: letters, digits and inner '-', at most 39. */
static bool github_owner_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 39 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* GitHub repository names: letters, digits, '-', '_' and '.', at most 100, not "." or "..". */
static bool github_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 100 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

void schema_check_github_repo(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v), *slash = strchr(s, '/');

	if (!slash || !github_owner_ok(s, (size_t)(slash - s)) ||
	    !github_name_ok(slash + 1, strlen(slash + 1)))
		fielderrs_add_str(
		    c->errs, FE_INVALID, path, s,
		    "must be a GitHub repository as owner/repo (owner: letters, digits "
		    "and inner '-', at most 39; repo: letters, digits, '-', '_' and '.', "
		    "at most 100)");
}

void schema_check_github_owner(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v);

	if (!github_owner_ok(s, strlen(s)))
		fielderrs_add_str(
		    c->errs, FE_INVALID, path, s,
		    "must be a GitHub account name: letters, digits and inner '-', at "
		    "most 39");
}

void schema_check_github_name(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v);

	if (!github_name_ok(s, strlen(s)))
		fielderrs_add_str(c->errs, FE_INVALID, path, s,
		                  "must be a GitHub repository name: letters, digits, '-', '_' and "
		                  "'.', at most 100, not \".\" or \"..\"");
}

void schema_check_skill_name(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v), *why = NULL;
	char *n;

	if (has_space_or_ctl(s)) {
		why = "must not contain whitespace or control characters";
	} else if (*s == '/') {
		why = "must be a directory relative to the repository";
	} else if (strlen(s) > TK_MAX_NAME) {
		fielderrs_add(c->errs, FE_TOO_LONG, path, NULL, "may not be more than %d bytes",
		              TK_MAX_NAME);
		return;
	} else {
		/* Reuse the absolute-path normaliser to find ".." segments. */
		struct buf b = BUF_INIT(TK_MAX_NAME + 2);

		if (buf_printf(&b, "/%s", s) < 0) {
			c->oom = 1;
			return;
		}
		n = norm_path(b.data, &why);
		buf_free(&b);
		if (!n && !why) {
			c->oom = 1;
			return;
		}
		free(n);
	}
	if (why)
		fielderrs_add_str(c->errs, FE_INVALID, path, s, "%s", why);
}

void schema_check_git_ref(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v);

	if (!*s)
		fielderrs_add_str(c->errs, FE_INVALID, path, s, "must not be empty");
	else if (has_space_or_ctl(s) || *s == '-' || strstr(s, "..") || strlen(s) > TK_MAX_NAME)
		fielderrs_add_str(
		    c->errs, FE_INVALID, path, s,
		    "must be a git branch, tag or commit: no whitespace, no \"..\", not "
		    "starting with '-', at most 253 bytes");
}

void schema_check_command(struct schema_vctx *c, json_object *v, const char *path)
{
	if (json_object_get_string_len(v) == 0)
		fielderrs_add_str(c->errs, FE_INVALID, path, "", "must not be empty");
}

/*
 * An http(s) URL with a host and no user information: a token in
 * "https://user:token@host" would land in agent.json, a ConfigMap anyone
 * with read access to the namespace sees. The value is quoted redacted,
 * since it may hold exactly such a secret.
 */
void schema_check_url(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v);
	size_t len = strlen(s);
	struct url_parts u;
	bool web;

	url_split(s, len, &u);
	web = (u.scheme_len == 5 && strncasecmp(s, "https", 5) == 0) ||
	      (u.scheme_len == 4 && strncasecmp(s, "http", 4) == 0);
	if (u.userinfo)
		fielderrs_add_url(c->errs, FE_INVALID, path, s,
		                  "must not contain credentials (user information); put the token "
		                  "in a Secret and reference it from env");
	else if (!web || has_space_or_ctl(s) || u.host_len == 0 || s[u.host_off] == ':')
		fielderrs_add_url(c->errs, FE_INVALID, path, s,
		                  "must be an http or https URL with a host");
}

static void check_rule_entries(struct schema_vctx *c, json_object *rule, const char *path,
                               const char *member, bool url)
{
	json_object *list = jsonutil_get(rule, member);
	size_t i, len = array_len(list);

	for (i = 0; i < len; i++) {
		const char *s = jsonutil_as_str(json_object_array_get_idx(list, i));
		char *p;

		if (!s || (*s && (!url || *s == '/')) ||
		    (!*s && !url && strcmp(member, "apiGroups") == 0))
			continue;
		p = path_join(c, "%s.%s[%zu]", path, member, i);
		if (p)
			fielderrs_add_str(c->errs, FE_INVALID, p, s,
			                  url && *s ? "must start with \"/\""
			                            : "must not be empty");
		free(p);
	}
}

void schema_check_policy_rule(struct schema_vctx *c, json_object *v, const char *path)
{
	size_t urls = array_len(jsonutil_get(v, "nonResourceURLs"));
	char *p;

	check_rule_entries(c, v, path, "verbs", false);
	check_rule_entries(c, v, path, "resources", false);
	check_rule_entries(c, v, path, "resourceNames", false);
	check_rule_entries(c, v, path, "nonResourceURLs", true);
	if (urls > 0) {
		if (array_len(jsonutil_get(v, "resources")) ||
		    array_len(jsonutil_get(v, "apiGroups")) ||
		    array_len(jsonutil_get(v, "resourceNames")))
			fielderrs_add(c->errs, FE_FORBIDDEN, path, NULL,
			              "resources and nonResourceURLs cannot be mixed");
		return;
	}
	if (array_len(jsonutil_get(v, "apiGroups")) == 0) {
		p = path_field(c, path, "apiGroups");
		if (p)
			fielderrs_add(c->errs, FE_REQUIRED, p, NULL,
			              "resource rules must supply at least one api group");
		free(p);
	}
}

/* a * b, saturating at UINT64_MAX. */
static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	return a && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

uint64_t schema_access_questions(json_object *rules)
{
	size_t i, len = array_len(rules);
	uint64_t total = 0;

	for (i = 0; i < len; i++) {
		json_object *r = json_object_array_get_idx(rules, i);
		uint64_t verbs = array_len(jsonutil_get(r, "verbs")),
		         names = array_len(jsonutil_get(r, "resourceNames"));
		uint64_t res = mul_sat(array_len(jsonutil_get(r, "apiGroups")),
		                       array_len(jsonutil_get(r, "resources")));

		res = mul_sat(mul_sat(verbs, res), names ? names : 1);
		total = add_sat(total, res);
		total =
		    add_sat(total, mul_sat(verbs, array_len(jsonutil_get(r, "nonResourceURLs"))));
	}
	return total;
}

/* The questions the cluster checks would ask for these rules, bounded
 * before any is asked (access.h). */
void schema_check_rules(struct schema_vctx *c, json_object *v, const char *path)
{
	static const char *const lists[] = {"verbs", "apiGroups", "resources", "resourceNames",
	                                    "nonResourceURLs"};
	size_t i, j, len = array_len(v);
	uint64_t n;
	char num[24];

	/* A rule list over its own limit is reported already; that is enough. */
	for (i = 0; i < len; i++)
		for (j = 0; j < TK_ARRAY_LEN(lists); j++)
			if (array_len(jsonutil_get(json_object_array_get_idx(v, i), lists[j])) >
			    TK_MAX_RULE_ITEMS)
				return;
	n = schema_access_questions(v);
	if (n <= TK_MAX_ACCESS_QUESTIONS)
		return;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
	fielderrs_add(c->errs, FE_TOO_MANY, path, num,
	              "must need at most %d access checks (SubjectAccessReviews: per rule verbs x "
	              "apiGroups x resources x resourceNames, plus verbs x nonResourceURLs)",
	              TK_MAX_ACCESS_QUESTIONS);
}

/* ---- labels, annotations and pod placement ---- */

void schema_check_qualified_name(struct schema_vctx *c, json_object *v, const char *path)
{
	struct buf why = BUF_INIT(2048);
	const char *s = json_object_get_string(v);

	if (!names_qualified_name(s, &why))
		invalid_why(c, path, s, &why);
	buf_free(&why);
}

void schema_check_dns_label(struct schema_vctx *c, json_object *v, const char *path)
{
	struct buf why = BUF_INIT(1024);
	const char *s = json_object_get_string(v);

	if (!names_dns1123_label(s, &why))
		invalid_why(c, path, s, &why);
	buf_free(&why);
}

/*
 * Why a pod label or annotation key is thurkube's own, or NULL: the
 * controller sets keys of its group (or a subdomain of it) and the
 * managed-by label on the pods it makes, and selects them by these.
 */
static const char *reserved_key_why(const char *key)
{
	const char *slash = strchr(key, '/');
	size_t n = slash ? (size_t)(slash - key) : 0, g = strlen(TK_GROUP);

	if (strcmp(key, NAMES_LABEL_MANAGED_BY) == 0)
		return "is reserved: the controller sets it to \"" NAMES_MANAGED_BY
		       "\" on the pods it makes";
	if (slash && n >= g && strncmp(key + n - g, TK_GROUP, g) == 0 &&
	    (n == g || key[n - g - 1] == '.'))
		return "is reserved: keys with the prefix " TK_GROUP
		       " (or a subdomain of it) are set by the controller";
	return NULL;
}

/* The keys of a label or annotation map (qualified names, some reserved
 * when reserved_kind names the map), and with values its label values. */
static void check_key_map(struct schema_vctx *c, json_object *v, const char *path,
                          const char *reserved_kind, bool values)
{
	json_object_object_foreach(v, key, val)
	{
		struct buf why = BUF_INIT(2048);
		const char *s = jsonutil_as_str(val),
		           *rw = reserved_kind ? reserved_key_why(key) : NULL;
		char *p;

		if (schema_clock_step(&c->clock))
			break;
		/* A key past its bound is reported by the walk, once per map. */
		if (strlen(key) > TK_MAX_QUALIFIED_NAME)
			continue;
		p = path_key(c, path, key);
		if (!p)
			break;
		if (!names_qualified_name(key, &why))
			invalid_why(c, p, key, &why);
		else if (rw)
			fielderrs_add(c->errs, FE_FORBIDDEN, p, NULL, "%s key \"%s\" %s",
			              reserved_kind, key, rw);
		if (values && s && strlen(s) <= TK_MAX_LABEL && !names_label_value(s, &why))
			invalid_why(c, p, s, &why);
		free(p);
		buf_free(&why);
	}
}

void schema_check_labels(struct schema_vctx *c, json_object *v, const char *path)
{
	check_key_map(c, v, path, NULL, true);
}

void schema_check_pod_labels(struct schema_vctx *c, json_object *v, const char *path)
{
	check_key_map(c, v, path, "label", true);
}

void schema_check_pod_annotations(struct schema_vctx *c, json_object *v, const char *path)
{
	size_t total = 0;

	check_key_map(c, v, path, "annotation", false);
	json_object_object_foreach(v, key, val)
	{
		total += strlen(key);
		if (json_object_is_type(val, json_type_string))
			total += (size_t)json_object_get_string_len(val);
	}
	if (total > TK_MAX_ANNOTATIONS_SIZE)
		fielderrs_add(c->errs, FE_TOO_LONG, path, NULL,
		              "may not be more than %u bytes (keys and values together, the API "
		              "server's bound on an object's annotations)",
		              TK_MAX_ANNOTATIONS_SIZE);
}

static bool op_is(const char *op, const char *a, const char *b)
{
	return op && (strcmp(op, a) == 0 || (b && strcmp(op, b) == 0));
}

/* The values rules of a selector requirement that the API server checks. */
static void check_req_values(struct schema_vctx *c, json_object *v, const char *path, bool node)
{
	const char *op = jsonutil_str(v, "operator");
	json_object *vals = jsonutil_get(v, "values");
	size_t n = array_len(vals);
	char *p = path_field(c, path, "values");

	if (!p)
		return;
	if (op_is(op, "In", "NotIn") && n == 0)
		fielderrs_add(c->errs, FE_REQUIRED, p, NULL,
		              "must be specified when `operator` is 'In' or 'NotIn'");
	else if (op_is(op, "Exists", "DoesNotExist") && n > 0)
		fielderrs_add(c->errs, FE_FORBIDDEN, p, NULL,
		              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
	else if (node && op_is(op, "Gt", "Lt") && n != 1)
		fielderrs_add(c->errs, FE_REQUIRED, p, NULL,
		              "must be specified single value when `operator` is 'Lt' or 'Gt'");
	else if (node && op_is(op, "Gt", "Lt")) {
		const char *s = jsonutil_as_str(json_object_array_get_idx(vals, 0));
		int64_t x;

		if (s && parse_i64(s, INT64_MIN, INT64_MAX, &x) < 0) {
			char *p0 = path_index(c, p, 0);

			if (p0)
				fielderrs_add_str(
				    c->errs, FE_INVALID, p0, s,
				    "must be an integer when `operator` is 'Lt' or 'Gt'");
			free(p0);
		}
	}
	free(p);
}

void schema_check_node_requirement(struct schema_vctx *c, json_object *v, const char *path)
{
	check_req_values(c, v, path, true);
}

void schema_check_node_field_requirement(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *key = jsonutil_str(v, "key");
	char *p;

	if (key && *key && strcmp(key, "metadata.name") != 0) {
		p = path_field(c, path, "key");
		if (p)
			fielderrs_add_str(c->errs, FE_INVALID, p, key,
			                  "not a valid field selector key: only metadata.name");
		free(p);
	}
	if (array_len(jsonutil_get(v, "values")) != 1) {
		p = path_field(c, path, "values");
		if (p)
			fielderrs_add(
			    c->errs, FE_REQUIRED, p, NULL,
			    "must be only one value when `operator` is 'In' or 'NotIn' for "
			    "node field selector");
		free(p);
	}
}

void schema_check_label_requirement(struct schema_vctx *c, json_object *v, const char *path)
{
	json_object *vals = jsonutil_get(v, "values");
	size_t i, len = array_len(vals);

	check_req_values(c, v, path, false);
	for (i = 0; i < len && len <= TK_MAX_SELECTOR_VALUES; i++) {
		struct buf why = BUF_INIT(1024);
		const char *s = jsonutil_as_str(json_object_array_get_idx(vals, i));

		if (s && strlen(s) <= TK_MAX_LABEL && !names_label_value(s, &why)) {
			char *p = path_join(c, "%s.values[%zu]", path, i);

			if (p)
				invalid_why(c, p, s, &why);
			free(p);
		}
		buf_free(&why);
	}
}

void schema_check_topology_spread(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *when = jsonutil_str(v, "whenUnsatisfiable");
	json_object *md = jsonutil_get(v, "minDomains");
	char *p;

	if (!md || !when || strcmp(when, "DoNotSchedule") == 0)
		return;
	p = path_field(c, path, "minDomains");
	if (p)
		fielderrs_add(c->errs, FE_INVALID, p, json_text(md),
		              "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not %s",
		              when);
	free(p);
}

/* Two constraints may not share {topologyKey, whenUnsatisfiable}, as the
 * API server requires of a pod: one sort of the joined pairs. */
void schema_check_topology_list(struct schema_vctx *c, json_object *v, const char *path)
{
	size_t i, n = 0, len = array_len(v);
	struct dkey *k = len ? malloc(len * sizeof(*k)) : NULL;
	char **txt = len ? calloc(len, sizeof(*txt)) : NULL;

	if (len && (!k || !txt)) {
		c->oom = 1;
		goto out;
	}
	for (i = 0; i < len; i++) {
		json_object *it = json_object_array_get_idx(v, i);
		const char *key = jsonutil_str(it, "topologyKey"), *when;

		when = jsonutil_str(it, "whenUnsatisfiable");
		if (!key || !when)
			continue;
		txt[i] = path_join(c, "{%s, %s}", key, when);
		if (!txt[i])
			goto out;
		k[n++] = (struct dkey){txt[i], i};
	}
	if (n > 1)
		qsort(k, n, sizeof(*k), dkey_cmp);
	for (i = 1; i < n; i++) {
		char *p;

		if (strcmp(k[i].s, k[i - 1].s) != 0)
			continue;
		p = path_index(c, path, k[i].i);
		if (p)
			fielderrs_add_str(c->errs, FE_DUPLICATE, p, k[i].s, NULL);
		free(p);
	}
out:
	for (i = 0; txt && i < len; i++)
		free(txt[i]);
	free(txt);
	free(k);
}

/* ---- egress ---- */

/*
 * The blocks no allow entry may lie in: link-local addresses, where every
 * cloud serves instance metadata and credentials (169.254.169.254,
 * fe80::a9fe:a9fe), and the AWS IPv6 metadata address. A larger block
 * that holds one is allowed: the controller excepts the range from it.
 */
static const char *const metadata_blocks[] = {"169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128"};

static const char *metadata_block_of(const struct cidr *b)
{
	size_t i;

	for (i = 0; i < TK_ARRAY_LEN(metadata_blocks); i++) {
		struct cidr m;

		if (cidr_parse(metadata_blocks[i], &m, NULL) == 0 && cidr_contains(&m, b))
			return metadata_blocks[i];
	}
	return NULL;
}

void schema_check_cidr(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v), *why = NULL, *meta;
	char canon[CIDR_TEXT_MAX];
	struct cidr b;
	int r = cidr_parse(s, &b, &why);

	if (r == -ERANGE) {
		cidr_format(&b, canon);
		fielderrs_add_str(c->errs, FE_INVALID, path, s,
		                  "has bits set past the prefix length; did you mean \"%s\"?",
		                  canon);
	} else if (r < 0) {
		fielderrs_add_str(c->errs, FE_INVALID, path, s, "%s",
		                  why ? why : "must be a CIDR block, e.g. 10.0.0.0/8");
	} else if ((meta = metadata_block_of(&b)) != NULL) {
		fielderrs_add(c->errs, FE_FORBIDDEN, path, NULL,
		              "\"%s\" lies inside %s: the link-local and cloud metadata range is "
		              "always denied to agent pods",
		              s, meta);
	}
}

void schema_check_net_port(struct schema_vctx *c, json_object *v, const char *path)
{
	json_object *port = jsonutil_get(v, "port"), *end = jsonutil_get(v, "endPort");
	char *p;

	if (!json_object_is_type(port, json_type_int) || !json_object_is_type(end, json_type_int) ||
	    json_object_get_int64(end) >= json_object_get_int64(port))
		return;
	p = path_field(c, path, "endPort");
	if (p)
		fielderrs_add(c->errs, FE_INVALID, p, json_text(end),
		              "must be greater than or equal to port (%lld)",
		              (long long)json_object_get_int64(port));
	free(p);
}

/* Repeated blocks of an allow list, compared in canonical form (so
 * "FD00::/8" repeats "fd00::/8"): one sort. */
void schema_check_net_allow(struct schema_vctx *c, json_object *v, const char *path)
{
	size_t i, n = 0, len = array_len(v);
	char(*txt)[CIDR_TEXT_MAX] = len ? malloc(len * sizeof(*txt)) : NULL;
	struct dkey *k = len ? malloc(len * sizeof(*k)) : NULL;

	if (len && (!txt || !k)) {
		c->oom = 1;
		goto out;
	}
	for (i = 0; i < len; i++) {
		const char *s = jsonutil_str(json_object_array_get_idx(v, i), "cidr");
		struct cidr b;

		if (!s || cidr_parse(s, &b, NULL) < 0)
			continue;
		cidr_format(&b, txt[i]);
		k[n++] = (struct dkey){txt[i], i};
	}
	if (n > 1)
		qsort(k, n, sizeof(*k), dkey_cmp);
	for (i = 1; i < n; i++) {
		json_object *it = json_object_array_get_idx(v, k[i].i);
		char *p;

		if (strcmp(k[i].s, k[i - 1].s) != 0)
			continue;
		p = path_join(c, "%s[%zu].cidr", path, k[i].i);
		if (p)
			fielderrs_add_str(c->errs, FE_DUPLICATE, p, jsonutil_str(it, "cidr"), NULL);
		free(p);
	}
out:
	free(txt);
	free(k);
}

void schema_check_network(struct schema_vctx *c, json_object *v, const char *path)
{
	const char *egress = jsonutil_str(v, "egress");
	char *p;

	if (array_len(jsonutil_get(v, "allow")) == 0 ||
	    (egress && strcmp(egress, "Restricted") == 0))
		return;
	p = path_field(c, path, "allow");
	if (p)
		fielderrs_add(
		    c->errs, FE_INVALID, p, NULL,
		    "may only be set when %s.egress is \"Restricted\" (it is %s%s%s): the "
		    "list narrows Restricted egress",
		    path, egress ? "\"" : "", egress ? egress : "absent, so Unrestricted",
		    egress ? "\"" : "");
	free(p);
}

/* ---- rules that span fields ---- */

static void check_name(struct schema_vctx *c, json_object *obj, int max, const char *why_max)
{
	json_object *meta = jsonutil_get(obj, "metadata");
	const char *name = jsonutil_str(meta, "name"), *gen = jsonutil_str(meta, "generateName");
	struct buf why = BUF_INIT(1024);

	if (meta && !json_object_is_type(meta, json_type_object)) {
		fielderrs_add(c->errs, FE_TYPE, "metadata", "\"object\"",
		              "metadata in body must be of type object: \"%s\"",
		              jsonutil_type_word(meta));
		return;
	}
	if (!name || !*name) {
		if (jsonutil_get(meta, "name") && !name)
			fielderrs_add(c->errs, FE_TYPE, "metadata.name", "\"string\"",
			              "metadata.name in body must be of type string: \"%s\"",
			              jsonutil_type_word(jsonutil_get(meta, "name")));
		else if (gen && *gen && max && strlen(gen) + 5 > (size_t)max)
			fielderrs_add(c->errs, FE_TOO_LONG, "metadata.generateName", NULL,
			              "may not be more than %d bytes (%s)", max - 5, why_max);
		else if (!gen || !*gen)
			fielderrs_add(c->errs, FE_REQUIRED, "metadata.name", NULL,
			              "name or generateName is required");
		return;
	}
	if (!names_dns1123_subdomain(name, &why))
		invalid_why(c, "metadata.name", name, &why);
	else if (max && strlen(name) > (size_t)max)
		fielderrs_add(c->errs, FE_TOO_LONG, "metadata.name", NULL,
		              "may not be more than %d bytes (%s)", max, why_max);
	buf_free(&why);
}

/* The policy of --forbid-tolerations: no toleration of those taints, nor
 * of every taint (an empty key with operator Exists). */
static void check_forbidden_tolerations(struct schema_vctx *c, json_object *spec)
{
	json_object *tol = jsonutil_get(spec, "tolerations");
	size_t i, j, len = array_len(tol);
	const struct schema_config *cfg = c->cfg;

	/* A list over its limit is "Too many" already and not looked into. */
	if (!cfg || !cfg->n_forbid_tolerations || len > TK_MAX_TOLERATIONS)
		return;
	for (i = 0; i < len && !schema_clock_step(&c->clock); i++) {
		json_object *it = json_object_array_get_idx(tol, i);
		const char *key = jsonutil_str(it, "key"), *op = jsonutil_str(it, "operator");
		const char *hit = NULL;
		bool all = (!key || !*key) && op && strcmp(op, "Exists") == 0;
		char *p;

		for (j = 0; !hit && key && j < cfg->n_forbid_tolerations; j++)
			if (strcmp(key, cfg->forbid_tolerations[j]) == 0)
				hit = key;
		if (!hit && !all)
			continue;
		p = path_index(c, "spec.tolerations", i);
		if (p && all)
			fielderrs_add(
			    c->errs, FE_FORBIDDEN, p, NULL,
			    "tolerates every taint (empty key with operator Exists), so also "
			    "\"%s\", which agent pods may not tolerate " SCHEMA_POLICY_MARK
			    "forbid-tolerations)",
			    cfg->forbid_tolerations[0]);
		else if (p)
			fielderrs_add(c->errs, FE_FORBIDDEN, p, NULL,
			              "tolerates the taint \"%s\", which agent pods may not "
			              "tolerate " SCHEMA_POLICY_MARK "forbid-tolerations)",
			              hit);
		free(p);
	}
}

void schema_check_kind_agentjob(struct schema_vctx *c, json_object *obj, json_object *spec)
{
	if (jsonutil_str(spec, "schedule"))
		check_name(c, obj, TK_MAX_AGENTJOB_NAME_CRON,
		           "the CronJob's Jobs and pods add 11 characters to it");
	else
		check_name(c, obj, TK_MAX_AGENTJOB_NAME_JOB,
		           "the one-shot Job is named <name>-<16 hex> and must fit in 63");
	check_forbidden_tolerations(c, spec);
}

void schema_check_kind_runtime(struct schema_vctx *c, json_object *obj, json_object *spec)
{
	const char *cs = jsonutil_str(spec, "configPath"), *ps = jsonutil_str(spec, "persistPath"),
	           *why;
	char *cn = NULL, *pn = NULL;

	check_name(c, obj, 0, NULL);
	if (spec && c->cfg && c->cfg->require_runtime_class &&
	    !jsonutil_get(spec, "runtimeClassName"))
		fielderrs_add(c->errs, FE_REQUIRED, "spec.runtimeClassName", NULL,
		              "this cluster runs agents only in a named runtime class, e.g. gVisor "
		              "or Kata " SCHEMA_POLICY_MARK "require-runtime-class)");
	if (!cs || !ps)
		return;
	cn = norm_path(cs, &why);
	pn = norm_path(ps, &why);
	if (!cn || !pn || strcmp(cn, "/") == 0 || strcmp(pn, "/") == 0)
		goto out;
	if (strcmp(cn, pn) == 0)
		fielderrs_add_str(c->errs, FE_INVALID, "spec.persistPath", ps,
		                  "must differ from spec.configPath");
	else if (path_within(pn, cn))
		fielderrs_add_str(c->errs, FE_INVALID, "spec.persistPath", ps,
		                  "must not be inside spec.configPath");
	else if (path_within(cn, pn))
		fielderrs_add_str(c->errs, FE_INVALID, "spec.configPath", cs,
		                  "must not be inside spec.persistPath");
out:
	free(cn);
	free(pn);
}

void schema_check_kind_mcp(struct schema_vctx *c, json_object *obj, json_object *spec)
{
	bool cmd = jsonutil_get(spec, "command") != NULL, url = jsonutil_get(spec, "url") != NULL;

	check_name(c, obj, 0, NULL);
	if (!cmd && !url)
		fielderrs_add(c->errs, FE_REQUIRED, "spec", NULL,
		              "exactly one of spec.command or spec.url must be set");
	else if (cmd && url)
		fielderrs_add(
		    c->errs, FE_FORBIDDEN, "spec.url", NULL,
		    "may not be set together with spec.command: exactly one of command or "
		    "url");
	if (!cmd && url && array_len(jsonutil_get(spec, "args")))
		fielderrs_add(c->errs, FE_FORBIDDEN, "spec.args", NULL,
		              "only valid with spec.command");
}

/* ---- entry point ---- */

static void check_type_meta(struct schema_vctx *c, json_object *obj)
{
	const char *av = jsonutil_str(obj, "apiVersion"), *kind = jsonutil_str(obj, "kind");
	const char *want = schema_kind_info(c->kind)->kind;

	if (!av)
		fielderrs_add(c->errs, FE_REQUIRED, "apiVersion", NULL, NULL);
	else if (strcmp(av, TK_API_VERSION) != 0)
		fielderrs_add_str(c->errs, FE_NOT_SUPPORTED, "apiVersion", av,
		                  "supported values: \"" TK_API_VERSION "\"");
	if (!kind)
		fielderrs_add(c->errs, FE_REQUIRED, "kind", NULL, NULL);
	else if (strcmp(kind, want) != 0)
		fielderrs_add_str(c->errs, FE_INVALID, "kind", kind, "must be %s", want);
}

/* The fields of ObjectMeta (apimachinery's metav1, v1.25 on): strict field
 * validation refuses any other key under metadata, as it does under spec. */
static const char *const meta_fields[] = {
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
};

static void check_meta_fields(struct schema_vctx *c, json_object *meta)
{
	size_t i;

	if (!json_object_is_type(meta, json_type_object))
		return;
	json_object_object_foreach(meta, key, val)
	{
		bool known = false;

		(void)val;
		/* A too long key is an error of plain_strings_at already. */
		if (strlen(key) > TK_MAX_JSON_KEY)
			continue;
		for (i = 0; i < TK_ARRAY_LEN(meta_fields) && !known; i++)
			known = strcmp(meta_fields[i], key) == 0;
		if (!known)
			warn(c, "unknown field \"metadata.%s\"", key);
	}
}

int schema_validate(enum tk_kind k, json_object *obj, json_object *old_obj,
                    const struct schema_config *cfg, struct fielderrs *errs,
                    struct strlist *warnings)
{
	return schema_validate_until(k, obj, old_obj, cfg, 0, errs, warnings);
}

int schema_validate_until(enum tk_kind k, json_object *obj, json_object *old_obj,
                          const struct schema_config *cfg, int64_t deadline_ms,
                          struct fielderrs *errs, struct strlist *warnings)
{
	const struct skind *sk = schema_skind(k);
	struct schema_vctx c = {k, cfg, errs, warnings, obj, NULL, 0, {deadline_ms, 0, false}};
	json_object *spec;

	/* No rule depends on the previous version yet (no immutable fields). */
	(void)old_obj;
	if (!sk)
		return -EINVAL;
	if (!json_object_is_type(obj, json_type_object)) {
		fielderrs_add(errs, FE_TYPE, "<root>", "\"object\"",
		              "the object must be a JSON object");
		return errs->oom ? -ENOMEM : 0;
	}
	check_type_meta(&c, obj);
	json_object_object_foreach(obj, key, val)
	{
		bool known = !strcmp(key, "apiVersion") || !strcmp(key, "kind") ||
		             !strcmp(key, "metadata") || !strcmp(key, "spec") ||
		             !strcmp(key, "status");

		if (strlen(key) > TK_MAX_JSON_KEY) {
			add_long_key(&c, "<root>", TK_MAX_JSON_KEY);
			continue;
		}
		if (!known)
			warn(&c, "unknown field \"%s\"", key);
		else if (strcmp(key, "metadata") == 0)
			check_meta_fields(&c, val);
		/* spec is the schema walk's; status is not validated. */
		if (strcmp(key, "spec") != 0 && strcmp(key, "status") != 0)
			plain_strings_at(&c, val, key);
	}
	spec = jsonutil_get(obj, "spec");
	/* Set before the walk: some field checks read a sibling (persist). */
	c.spec = json_object_is_type(spec, json_type_object) ? spec : NULL;
	if (!spec)
		fielderrs_add(errs, FE_REQUIRED, "spec", NULL, NULL);
	else
		walk(&c, sk->spec, spec, "spec");
	if (c.clock.late)
		return -ETIMEDOUT;
	if (sk->check)
		sk->check(&c, obj, c.spec);
	else
		check_name(&c, obj, 0, NULL);
	return c.oom || errs->oom ? -ENOMEM : 0;
}

/* ---- the webhook's policy flags ---- */

/* Split --forbid-tolerations into keys. 0, -EINVAL (err) or -ENOMEM. */
static int split_taint_keys(const char *list, struct strlist *keys, struct buf *err)
{
	const char *p = list;
	int r = 0;

	while (p && r == 0) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		struct buf why = BUF_INIT(2048);
		char *key;

		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		key = xstrndup(p, n);
		if (!key)
			r = -ENOMEM;
		else if (!*key && (comma || keys->n))
			r = -EINVAL;
		else if (*key && !names_qualified_name(key, &why))
			r = -EINVAL;
		else if (*key)
			r = strlist_add(keys, key);
		if (r == -EINVAL && !*key)
			buf_sayf(err, "--forbid-tolerations: empty taint key, got \"%s\"", list);
		else if (r == -EINVAL)
			buf_sayf(err, "--forbid-tolerations: taint key \"%s\": %s", key,
			         why.data ? why.data : "not a qualified name");
		free(key);
		buf_free(&why);
		p = comma ? comma + 1 : NULL;
	}
	return r;
}

int schema_config_policy(struct schema_config *cfg, const struct schema_policy_flags *f,
                         struct strlist *keys, struct buf *err)
{
	struct buf why = BUF_INIT(2048);
	struct strlist k = {0};
	int r = 0;

	buf_reset(err);
	if (f->default_runtime_class && !names_dns1123_subdomain(f->default_runtime_class, &why)) {
		buf_sayf(err, "--default-runtime-class: %s, got \"%s\"",
		         why.data ? why.data : "not a DNS-1123 subdomain",
		         f->default_runtime_class);
		r = -EINVAL;
	} else if (f->default_egress && strcmp(f->default_egress, "Unrestricted") != 0 &&
	           strcmp(f->default_egress, "Restricted") != 0) {
		buf_sayf(err, "--default-egress: must be Unrestricted or Restricted, got \"%s\"",
		         f->default_egress);
		r = -EINVAL;
	} else {
		r = split_taint_keys(f->forbid_tolerations, &k, err);
	}
	buf_free(&why);
	if (r < 0) {
		strlist_free(&k);
		return r;
	}
	*keys = k;
	cfg->default_runtime_class = f->default_runtime_class;
	cfg->require_runtime_class = f->require_runtime_class;
	cfg->default_egress = f->default_egress;
	cfg->forbid_tolerations = (const char *const *)keys->v;
	cfg->n_forbid_tolerations = keys->n;
	return 0;
}

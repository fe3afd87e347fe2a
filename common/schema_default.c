/*
 * schema_default.c - admission defaulting as a minimal JSON Patch.
 *
 * Schema defaults are filled where the API server would fill them: a
 * field with a default is added when it is absent (or JSON null) and its
 * parent object exists. So persistentVolume.size gets 1Gi only when
 * spec.persistentVolume is present; without it the controller uses 1Gi
 * anyway (types.h), and the stored object stays as the user wrote it.
 *
 * Normalised []string fields (the reference lists and allowedTools) get
 * their entries trimmed and repeats dropped, as one "replace" of the list.
 * The result is idempotent: defaulting a defaulted object gives [].
 *
 * Bounded work: a list over its limit (schema_max_items) is left alone
 * (validation refuses it), repeats are found by sorting, and the clock is
 * read every TK_DEADLINE_CHECK_EVERY steps against the caller's deadline.
 */
#include "compat.h"

#include <errno.h>

#include "jsonpatch.h"
#include "limits.h"
#include "schema.h"
#include "schema_int.h"

#define PTR_MAX (64u * 1024u)

struct dctx {
	json_object *patch;
	int err;
	struct schema_clock clock;
};

/* One step of work; sets d->err to -ETIMEDOUT once the deadline has passed. */
static bool dlate(struct dctx *d)
{
	if (!d->err && schema_clock_step(&d->clock))
		d->err = -ETIMEDOUT;
	return d->err != 0;
}

static void op(struct dctx *d, const char *name, const char *ptr, json_object *value)
{
	if (d->err) {
		json_object_put(value);
		return;
	}
	d->err = jsonpatch_add_op(d->patch, name, ptr, value);
}

/* ptr + "/" + escaped token, as a new string (NULL and d->err on failure). */
static char *ptr_child(struct dctx *d, const char *ptr, const char *token)
{
	struct buf b = BUF_INIT(PTR_MAX);
	char *s = NULL;
	int r;

	r = buf_printf(&b, "%s/", ptr);
	if (r == 0)
		r = jsonpatch_escape(token, &b);
	if (r == 0)
		s = buf_steal(&b);
	buf_free(&b);
	if (!s && !d->err)
		d->err = r < 0 ? r : -ENOMEM;
	return s;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* A trimmed copy of s as a json string (new reference). */
static json_object *trimmed(const char *s, size_t len)
{
	while (len && is_space(*s)) {
		s++;
		len--;
	}
	while (len && is_space(s[len - 1]))
		len--;
	return json_object_new_string_len(s, (int)len);
}

/* A trimmed entry of a []string (borrowed) and its index, sorted to find repeats. */
struct tkey {
	json_object *t; /* NULL: the entry is not a string */
	size_t i;
};

/* Whether two trimmed entries hold the same bytes. */
static bool tkey_same(const struct tkey *x, const struct tkey *y)
{
	size_t n = (size_t)json_object_get_string_len(x->t);

	return n == (size_t)json_object_get_string_len(y->t) &&
	       memcmp(json_object_get_string(x->t), json_object_get_string(y->t), n) == 0;
}

static int tkey_cmp(const void *a, const void *b)
{
	const struct tkey *x = a, *y = b;
	size_t xn = (size_t)json_object_get_string_len(x->t);
	size_t yn = (size_t)json_object_get_string_len(y->t);
	int r =
	    memcmp(json_object_get_string(x->t), json_object_get_string(y->t), xn < yn ? xn : yn);

	if (!r)
		r = (xn > yn) - (xn < yn);
	return r ? r : (x->i > y->i) - (x->i < y->i);
}

/* Trim the strings of a []string and drop repeats (byte-exact, after
 * trimming); a replace op when that changes it. One sort, O(n log n). */
static void normalize_list(struct dctx *d, json_object *v, const char *ptr)
{
	size_t i, n = 0, len = json_object_array_length(v);
	struct tkey *k = calloc(len ? len : 1, sizeof(*k));
	json_object **tr = calloc(len ? len : 1, sizeof(*tr)), *out = NULL;
	bool changed = false, *drop = calloc(len ? len : 1, sizeof(*drop));

	if (!k || !tr || !drop) {
		d->err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < len && !dlate(d); i++) {
		json_object *it = json_object_array_get_idx(v, i);

		if (!json_object_is_type(it, json_type_string))
			continue;
		tr[i] = trimmed(json_object_get_string(it), (size_t)json_object_get_string_len(it));
		if (!tr[i]) {
			d->err = -ENOMEM;
			break;
		}
		k[n++] = (struct tkey){tr[i], i};
		if (json_object_get_string_len(tr[i]) != json_object_get_string_len(it))
			changed = true;
	}
	if (d->err)
		goto out;
	if (n > 1)
		qsort(k, n, sizeof(*k), tkey_cmp);
	/* Within a run of equal strings, all but the first in list order go. */
	for (i = 1; i < n; i++)
		if (tkey_same(&k[i], &k[i - 1]))
			drop[k[i].i] = changed = true;
	if (!changed)
		goto out;
	out = json_object_new_array();
	if (!out)
		d->err = -ENOMEM;
	for (i = 0; out && i < len && !d->err; i++) {
		json_object *it = tr[i] ? tr[i] : json_object_array_get_idx(v, i);

		if (!drop[i] && json_object_array_add(out, json_object_get(it)) < 0)
			d->err = -ENOMEM;
	}
	if (!d->err) {
		op(d, "replace", ptr, out);
		out = NULL;
	}
out:
	json_object_put(out);
	for (i = 0; tr && i < len; i++)
		json_object_put(tr[i]);
	free(tr);
	free(k);
	free(drop);
}

static json_object *default_value(struct dctx *d, const char *def)
{
	json_object *v = json_tokener_parse(def);

	if (!v && !d->err)
		d->err = -ENOMEM;
	return v;
}

static void dwalk(struct dctx *d, const struct snode *n, json_object *v, const char *ptr,
                  int depth);

static void dwalk_object(struct dctx *d, const struct snode *n, json_object *v, const char *ptr,
                         int depth)
{
	const struct sfield *f;

	for (f = n->fields; f->name && !d->err; f++) {
		json_object *m = NULL;
		bool present = json_object_object_get_ex(v, f->name, &m);
		char *p;

		if (present && m && f->node->type != SN_OBJECT && f->node->type != SN_ARRAY &&
		    f->node->type != SN_MAP)
			continue;
		if ((!present || !m) && !f->node->def)
			continue;
		p = ptr_child(d, ptr, f->name);
		if (!p)
			return;
		if (!present || !m)
			op(d, present ? "replace" : "add", p, default_value(d, f->node->def));
		else
			dwalk(d, f->node, m, p, depth + 1);
		free(p);
	}
}

static void dwalk(struct dctx *d, const struct snode *n, json_object *v, const char *ptr, int depth)
{
	size_t i, len;

	if (depth > TK_MAX_JSON_DEPTH || dlate(d))
		return;
	if (n->type == SN_OBJECT && json_object_is_type(v, json_type_object)) {
		dwalk_object(d, n, v, ptr, depth);
	} else if (n->type == SN_ARRAY && json_object_is_type(v, json_type_array)) {
		len = json_object_array_length(v);
		if (len > schema_max_items(n))
			return;
		if (n->flags & SN_NORMALIZE) {
			normalize_list(d, v, ptr);
			return;
		}
		if (n->items->type != SN_OBJECT)
			return;
		for (i = 0; i < len && !d->err; i++) {
			char idx[24];
			char *p;

			snprintf(idx, sizeof(idx), "%zu", i);
			p = ptr_child(d, ptr, idx);
			if (p)
				dwalk(d, n->items, json_object_array_get_idx(v, i), p, depth + 1);
			free(p);
		}
	}
	/* Maps hold only scalars in this API: nothing to default inside. */
}

/* Default resources from the webhook's configuration, when the AgentJob sets none. */
static void default_resources(struct dctx *d, json_object *spec, const struct schema_config *cfg)
{
	const char *vals[2][2] = {{cfg->default_cpu_request, cfg->default_memory_request},
	                          {cfg->default_cpu_limit, cfg->default_memory_limit}};
	static const char *const sect[2] = {"requests", "limits"};
	static const char *const res[2] = {"cpu", "memory"};
	json_object *r = NULL, *cur = NULL;
	bool present = json_object_object_get_ex(spec, "resources", &cur);
	int i, j;

	if (present && cur)
		return;
	for (i = 0; i < 2; i++) {
		json_object *m = NULL;

		for (j = 0; j < 2; j++) {
			if (!vals[i][j])
				continue;
			if (!m)
				m = json_object_new_object();
			if (!r)
				r = json_object_new_object();
			if (!m || !r ||
			    json_object_object_add(m, res[j], json_object_new_string(vals[i][j])) <
			        0) {
				d->err = -ENOMEM;
				json_object_put(m);
				json_object_put(r);
				return;
			}
		}
		if (m && json_object_object_add(r, sect[i], m) < 0) {
			d->err = -ENOMEM;
			json_object_put(m);
		}
	}
	if (r)
		op(d, present ? "replace" : "add", "/spec/resources", r);
}

/* A lower webhook maximum lowers the timeout default with it. */
static void cap_timeout_default(struct dctx *d, const struct schema_config *cfg)
{
	size_t i, n = json_object_array_length(d->patch);

	if (cfg->max_timeout_seconds <= 0 || cfg->max_timeout_seconds >= 3600)
		return;
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(d->patch, i), *p = NULL;

		if (json_object_object_get_ex(o, "path", &p) &&
		    strcmp(json_object_get_string(p), "/spec/timeoutSeconds") == 0) {
			json_object *v = json_object_new_int64(cfg->max_timeout_seconds);

			if (!v)
				d->err = -ENOMEM;
			else
				json_object_object_add(o, "value", v);
		}
	}
}

/* A string member of an AgentRuntime's spec (or of its spec.network) set
 * from the webhook's configuration when absent or null. */
static void default_member(struct dctx *d, json_object *parent, const char *ptr, const char *name,
                           const char *value)
{
	json_object *cur = NULL, *v;
	bool present = json_object_object_get_ex(parent, name, &cur);
	char *p;

	if (present && cur)
		return;
	p = ptr_child(d, ptr, name);
	v = p ? json_object_new_string(value) : NULL;
	if (p && !v)
		d->err = -ENOMEM;
	else if (p)
		op(d, present ? "replace" : "add", p, v);
	free(p);
}

static void default_runtime(struct dctx *d, json_object *spec, const struct schema_config *cfg)
{
	json_object *net = NULL, *v;
	bool present;

	if (cfg->default_runtime_class)
		default_member(d, spec, "/spec", "runtimeClassName", cfg->default_runtime_class);
	if (!cfg->default_egress || d->err)
		return;
	present = json_object_object_get_ex(spec, "network", &net);
	if (present && net) {
		/* A network of the wrong type is validation's to refuse. */
		if (json_object_is_type(net, json_type_object))
			default_member(d, net, "/spec/network", "egress", cfg->default_egress);
		return;
	}
	net = json_object_new_object();
	v = json_object_new_string(cfg->default_egress);
	if (!net || !v || json_object_object_add(net, "egress", v) < 0) {
		json_object_put(net);
		json_object_put(v);
		d->err = -ENOMEM;
		return;
	}
	op(d, present ? "replace" : "add", "/spec/network", net);
}

static void add_created_by(struct dctx *d, json_object *obj, const char *user)
{
	json_object *meta = NULL, *ann = NULL, *cur = NULL, *v;
	bool has_meta = json_object_object_get_ex(obj, "metadata", &meta) && meta;
	bool has_ann;

	if (has_meta && !json_object_is_type(meta, json_type_object))
		return;
	has_ann = has_meta && json_object_object_get_ex(meta, "annotations", &ann) && ann;
	if (has_ann && !json_object_is_type(ann, json_type_object))
		return;
	if (has_ann && json_object_object_get_ex(ann, TK_ANNOTATION_CREATED_BY, &cur) &&
	    json_object_is_type(cur, json_type_string) &&
	    strcmp(json_object_get_string(cur), user) == 0)
		return;
	v = json_object_new_string(user);
	if (!v) {
		d->err = -ENOMEM;
		return;
	}
	if (has_ann) {
		char *p = ptr_child(d, "/metadata/annotations", TK_ANNOTATION_CREATED_BY);

		if (p)
			op(d, cur ? "replace" : "add", p, v);
		else
			json_object_put(v);
		free(p);
		return;
	}
	ann = json_object_new_object();
	if (!ann || json_object_object_add(ann, TK_ANNOTATION_CREATED_BY, v) < 0) {
		json_object_put(ann);
		json_object_put(v);
		d->err = -ENOMEM;
		return;
	}
	if (has_meta) {
		op(d, json_object_object_get_ex(meta, "annotations", NULL) ? "replace" : "add",
		   "/metadata/annotations", ann);
		return;
	}
	meta = json_object_new_object();
	if (!meta || json_object_object_add(meta, "annotations", ann) < 0) {
		json_object_put(meta);
		json_object_put(ann);
		d->err = -ENOMEM;
		return;
	}
	op(d, json_object_object_get_ex(obj, "metadata", NULL) ? "replace" : "add", "/metadata",
	   meta);
}

int schema_default(enum tk_kind k, json_object *obj, const struct schema_config *cfg,
                   const char *created_by, json_object **patch_out)
{
	return schema_default_until(k, obj, cfg, created_by, 0, patch_out);
}

int schema_default_until(enum tk_kind k, json_object *obj, const struct schema_config *cfg,
                         const char *created_by, int64_t deadline_ms, json_object **patch_out)
{
	const struct skind *sk = schema_skind(k);
	struct dctx d = {NULL, 0, {deadline_ms, 0, false}};
	json_object *spec = NULL;

	if (!sk || !json_object_is_type(obj, json_type_object))
		return -EINVAL;
	d.patch = json_object_new_array();
	if (!d.patch)
		return -ENOMEM;
	if (json_object_object_get_ex(obj, "spec", &spec) &&
	    json_object_is_type(spec, json_type_object)) {
		dwalk(&d, sk->spec, spec, "/spec", 1);
		if (k == TK_AGENTJOB && cfg && !d.err) {
			default_resources(&d, spec, cfg);
			cap_timeout_default(&d, cfg);
		}
		if (k == TK_AGENTRUNTIME && cfg && !d.err)
			default_runtime(&d, spec, cfg);
	}
	if (created_by && !d.err)
		add_created_by(&d, obj, created_by);
	if (d.err) {
		json_object_put(d.patch);
		return d.err;
	}
	*patch_out = d.patch;
	return 0;
}

/*
 * yamljson.c - see yamljson.h.
 *
 * Built on libyaml's event parser rather than its document loader, because
 * the loader replaces a missing tag with !!str and so loses the difference
 * between `a: 1` and `a: !!str 1`. Collections are built on an explicit
 * stack bounded by TK_MAX_JSON_DEPTH.
 *
 * Scalar resolution follows what kubectl produces (sigs.k8s.io/yaml over
 * its go-yaml v2 fork, then encoding/json):
 *   - quoted, literal and folded scalars are strings;
 *   - plain "", ~, null, Null, NULL are null;
 *   - plain y/Y/yes/Yes/YES/on/On/ON/true/True/TRUE are true, and the
 *     matching n/no/off/false spellings false (YAML 1.1);
 *   - plain integers after dropping '_': decimal, 0x/0o/0b prefixes, and a
 *     leading 0 as octal (Go's strconv base 0), signed 64-bit, else
 *     unsigned 64-bit;
 *   - plain floats [-+]?(.d+|d+(.d*)?)([eE][-+]?d+)?; .inf/.nan spellings
 *     are floats that JSON cannot carry, so they fail like kubectl does;
 *     an integral float becomes a JSON integer (encoding/json prints 1.0
 *     as 1);
 *   - anything else, and any scalar with an unknown or "!" tag, is a string.
 * Mapping keys become strings the way sigs.k8s.io/yaml does it: booleans
 * "true"/"false", integers in decimal, floats in Go's shortest float32
 * form; a null or collection key is an error. Duplicate keys: the last one
 * wins (go-yaml v2 into a map does the same).
 */
#include "compat.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include <yaml.h>

#include "limits.h"
#include "yamljson.h"

/*
 * Values an alias may copy into one document, in total. Without it a few
 * hundred bytes of nested aliases ("billion laughs") expand to gigabytes.
 * Kubernetes manifests use aliases rarely and for small fragments.
 */
static const size_t alias_value_budget = 100000;

enum rkind { R_NULL, R_BOOL, R_INT, R_UINT, R_FLOAT, R_STR };

struct resolved {
	enum rkind kind;
	bool b;
	int64_t i;
	uint64_t u;
	double d;
};

struct frame {
	json_object *obj; /* the collection being built (owned) */
	char *anchor;     /* registered when the collection ends (owned) */
	char *key;        /* pending mapping key, NULL when a key is due (owned) */
	size_t count;     /* values inside, for the alias budget */
	size_t height;    /* deepest nesting inside */
	size_t line, column;
	bool is_map;
};

struct builder {
	struct frame stack[TK_MAX_JSON_DEPTH];
	size_t depth;
	json_object *anchors; /* name -> [value, height, count] */
	size_t alias_values;
	json_object *root;
	bool have_root;
	struct yamljson_error *err;
};

static int fail(struct builder *b, const yaml_mark_t *m, const char *fmt, ...) TK_PRINTF(3, 4);

static int fail(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	if (b->err) {
		b->err->line = m ? m->line + 1 : 0;
		b->err->column = m ? m->column + 1 : 0;
		va_start(ap, fmt);
		vsnprintf(b->err->msg, sizeof(b->err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* --- scalar resolution ------------------------------------------------- */

static bool in_set(const char *s, size_t n, const char *const *set)
{
	for (; *set; set++)
		if (strlen(*set) == n && memcmp(*set, s, n) == 0)
			return true;
	return false;
}

static const char *const null_words[] = {"~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                         "True", "TRUE", "on",  "On",  "ON",  NULL};
static const char *const false_words[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                          "False", "FALSE", "off", "Off", "OFF", NULL};
static const char *const nan_words[] = {".nan", ".NaN", ".NAN", NULL};
static const char *const pinf_words[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
static const char *const ninf_words[] = {"-.inf", "-.Inf", "-.INF", NULL};

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* Go's strconv.ParseInt/ParseUint with base 0 on s (no underscores). */
static bool parse_go_int(const char *s, struct resolved *out)
{
	bool neg = false, sign = false;
	unsigned base = 10;
	uint64_t v = 0;

	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		sign = true;
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		base = 8;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s++;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned)digit_value(*s);

		if (d >= base || v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return false;
		out->kind = R_INT;
		out->i = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else if (v <= (uint64_t)INT64_MAX) {
		out->kind = R_INT;
		out->i = (int64_t)v;
	} else {
		if (sign) /* ParseUint takes no sign */
			return false;
		out->kind = R_UINT;
		out->u = v;
	}
	return true;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool yaml_style_float(const char *s)
{
	size_t d = 0;

	if (*s == '+' || *s == '-')
		s++;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++)
			d++;
		if (!d)
			return false;
	} else {
		for (; *s >= '0' && *s <= '9'; s++)
			d++;
		if (!d)
			return false;
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++)
				;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		d = 0;
		for (; *s >= '0' && *s <= '9'; s++)
			d++;
		if (!d)
			return false;
	}
	return *s == '\0';
}

static bool parse_go_float(const char *s, struct resolved *out)
{
	char *end;
	double v;

	if (!yaml_style_float(s))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (*end || (errno == ERANGE && isinf(v)))
		return false; /* Go's ParseFloat fails on overflow */
	out->kind = R_FLOAT;
	out->d = v;
	return true;
}

/* Resolve a plain scalar; NUL bytes inside make it a string. */
static int resolve_plain(const char *s, size_t n, struct resolved *out)
{
	char c = n ? s[0] : '~';
	char *plain;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	out->kind = R_STR;
	if (n == 0 || in_set(s, n, null_words)) {
		out->kind = R_NULL;
	} else if (in_set(s, n, true_words) || in_set(s, n, false_words)) {
		out->kind = R_BOOL;
		out->b = in_set(s, n, true_words);
	} else if (in_set(s, n, nan_words) || in_set(s, n, pinf_words) ||
	           in_set(s, n, ninf_words)) {
		out->kind = R_FLOAT;
		out->d = in_set(s, n, nan_words)    ? NAN
		         : in_set(s, n, pinf_words) ? INFINITY
		                                    : -INFINITY;
	}
	if (out->kind != R_STR || !(c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9')) ||
	    memchr(s, '\0', n))
		return 0;
	plain = malloc(n + 1);
	if (!plain)
		return -ENOMEM;
	if (c == '.') { /* Go parses these without dropping underscores */
		memcpy(plain, s, n);
		plain[n] = '\0';
		(void)parse_go_float(plain, out);
		free(plain);
		return 0;
	}
	for (i = j = 0; i < n; i++)
		if (s[i] != '_')
			plain[j++] = s[i];
	plain[j] = '\0';
	if (!parse_go_int(plain, out))
		(void)parse_go_float(plain, out);
	free(plain);
	return 0;
}

/* --- number formatting (Go's shortest forms) --------------------------- */

/*
 * Shortest decimal digits that read back as v (as a float when f32):
 * digits without a point into dig, decimal exponent of the first digit
 * into *exp10. Returns the digit count.
 */
static size_t shortest_digits(double v, bool f32, char dig[24], int *exp10)
{
	char tmp[40];
	int prec, maxp = f32 ? 9 : 17;
	size_t nd = 0;
	char *p, *e;

	for (prec = 1; prec <= maxp; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (f32 ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v)
			break;
	}
	e = strchr(tmp, 'e');
	*exp10 = (int)strtol(e + 1, NULL, 10);
	for (p = tmp; p < e; p++)
		if (*p >= '0' && *p <= '9')
			dig[nd++] = *p;
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	dig[nd] = '\0';
	return nd;
}

/* Lay out digits as Go does: exponent form "d.ddde+XX" or plain form. */
static void layout(char *out, size_t outsz, bool neg, const char *dig, size_t nd, int x,
                   bool expform, bool short_negexp)
{
	struct buf b = BUF_INIT(outsz - 1);
	int k, r = 0;

	if (neg)
		r |= buf_puts(&b, "-");
	if (expform) {
		r |= buf_append(&b, dig, 1);
		if (nd > 1) {
			r |= buf_puts(&b, ".");
			r |= buf_append(&b, dig + 1, nd - 1);
		}
		if (x < 0 && short_negexp)
			r |= buf_printf(&b, "e-%d", -x);
		else
			r |= buf_printf(&b, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
	} else if (x < 0) {
		r |= buf_puts(&b, "0.");
		for (k = -1; k > x; k--)
			r |= buf_puts(&b, "0");
		r |= buf_append(&b, dig, nd);
	} else {
		for (k = 0; k <= x; k++)
			r |= buf_append(&b, (size_t)k < nd ? dig + k : "0", 1);
		if (nd > (size_t)x + 1) {
			r |= buf_puts(&b, ".");
			r |= buf_append(&b, dig + x + 1, nd - (size_t)x - 1);
		}
	}
	snprintf(out, outsz, "%s", r ? "0" : b.data);
	buf_free(&b);
}

/* encoding/json's float64 text (finite v). */
static void format_json_float(double v, char out[48])
{
	char dig[24];
	int x;
	size_t nd = shortest_digits(fabs(v), false, dig, &x);
	double a = fabs(v);

	layout(out, 48, v < 0, dig, nd, x, a != 0 && (a < 1e-6 || a >= 1e21), true);
}

/* strconv.FormatFloat(v, 'g', -1, 32), with Go's names for non-finite. */
static void format_key_float(double v, char out[48])
{
	char dig[24];
	int x;
	size_t nd;

	if (isnan(v)) {
		snprintf(out, 48, ".nan");
		return;
	}
	if (isinf(v)) {
		snprintf(out, 48, "%s", v > 0 ? ".inf" : "-.inf");
		return;
	}
	nd = shortest_digits(fabs(v), true, dig, &x);
	layout(out, 48, v < 0, dig, nd, x, x < -4 || x >= 6, false);
}

/* --- resolved scalars to JSON values and keys -------------------------- */

static int value_of(struct builder *b, const struct resolved *rv, const char *s, size_t n,
                    const yaml_mark_t *m, json_object **out)
{
	char num[48];

	*out = NULL;
	switch (rv->kind) {
	case R_NULL:
		return 0;
	case R_BOOL:
		*out = json_object_new_boolean(rv->b);
		break;
	case R_INT:
		*out = json_object_new_int64(rv->i);
		break;
	case R_UINT:
		*out = json_object_new_uint64(rv->u);
		break;
	case R_FLOAT:
		if (!isfinite(rv->d))
			return fail(b, m, "unsupported value %.*s (JSON has no NaN or infinity)",
			            (int)(n > 32 ? 32 : n), s);
		if (rv->d == trunc(rv->d) && fabs(rv->d) < 9.2e18) {
			*out = json_object_new_int64((int64_t)rv->d);
			break;
		}
		format_json_float(rv->d, num);
		*out = json_object_new_double_s(rv->d, num);
		break;
	case R_STR:
		*out = json_object_new_string_len(s, (int)n);
		break;
	}
	return *out ? 0 : -ENOMEM;
}

/* The mapping key text for a finished value (borrowed v). */
static int key_of(struct builder *b, json_object *v, const yaml_mark_t *m, char **out)
{
	char num[48];
	const char *s;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return fail(b, m, "unsupported map key: null");
	case json_type_object:
	case json_type_array:
		return fail(b, m, "unsupported map key: a collection");
	case json_type_string:
		s = json_object_get_string(v);
		if (strlen(s) != (size_t)json_object_get_string_len(v))
			return fail(b, m, "unsupported map key: contains a NUL byte");
		*out = xstrdup(s);
		break;
	case json_type_double:
		format_key_float(json_object_get_double(v), num);
		*out = xstrdup(num);
		break;
	default: /* boolean, int: json-c's text is Go's */
		*out = xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		break;
	}
	return *out ? 0 : -ENOMEM;
}

/* Keys keep the float's own value; the JSON integer shortcut is for values. */
static int key_value_of(struct builder *b, const struct resolved *rv, const char *s, size_t n,
                        const yaml_mark_t *m, json_object **out)
{
	char num[48];

	if (rv->kind != R_FLOAT)
		return value_of(b, rv, s, n, m, out);
	format_key_float(rv->d, num);
	*out = json_object_new_string(num);
	return *out ? 0 : -ENOMEM;
}

#define TAG_PREFIX "tag:yaml.org,2002:"

/* Resolve a scalar event into *out (new reference, NULL for null). */
static int scalar_value(struct builder *b, const yaml_event_t *ev, bool as_key, json_object **out)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	const char *want = NULL;
	struct resolved rv;
	int r;

	memset(&rv, 0, sizeof(rv));
	rv.kind = R_STR;
	if (tag) {
		if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0)
			want = tag + strlen(TAG_PREFIX);
		if (want && (!strcmp(want, "int") || !strcmp(want, "float") ||
		             !strcmp(want, "bool") || !strcmp(want, "null"))) {
			r = resolve_plain(s, n, &rv);
			if (r < 0)
				return r;
			if (!strcmp(want, "float") && rv.kind == R_INT) {
				rv.kind = R_FLOAT;
				rv.d = (double)rv.i;
			} else if (!strcmp(want, "float") && rv.kind == R_UINT) {
				rv.kind = R_FLOAT;
				rv.d = (double)rv.u;
			}
			if ((!strcmp(want, "int") && rv.kind != R_INT && rv.kind != R_UINT) ||
			    (!strcmp(want, "float") && rv.kind != R_FLOAT) ||
			    (!strcmp(want, "bool") && rv.kind != R_BOOL) ||
			    (!strcmp(want, "null") && rv.kind != R_NULL))
				return fail(b, &ev->start_mark, "cannot decode %.*s as !!%s",
				            (int)(n > 32 ? 32 : n), s, want);
		}
	} else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (as_key && n == 2 && memcmp(s, "<<", 2) == 0)
			return fail(b, &ev->start_mark, "merge keys (<<) are not supported");
		r = resolve_plain(s, n, &rv);
		if (r < 0)
			return r;
	}
	return as_key ? key_value_of(b, &rv, s, n, &ev->start_mark, out)
	              : value_of(b, &rv, s, n, &ev->start_mark, out);
}

/* --- building ------------------------------------------------------------ */

static struct frame *top(struct builder *b)
{
	return b->depth ? &b->stack[b->depth - 1] : NULL;
}

static bool key_due(struct builder *b)
{
	struct frame *f = top(b);

	return f && f->is_map && !f->key;
}

static int register_anchor(struct builder *b, const char *name, json_object *v, size_t height,
                           size_t count)
{
	json_object *rec = json_object_new_array_ext(3);

	if (!rec)
		return -ENOMEM;
	if (json_object_array_add(rec, json_object_get(v)) < 0 ||
	    json_object_array_add(rec, json_object_new_int64((int64_t)height)) < 0 ||
	    json_object_array_add(rec, json_object_new_int64((int64_t)count)) < 0 ||
	    json_object_object_add(b->anchors, name, rec) < 0) {
		json_object_put(rec);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Hand a finished value (taken) to its parent or make it the root.
 * height/count describe it for anchors and the limits.
 */
static int attach(struct builder *b, json_object *v, size_t height, size_t count,
                  const char *anchor, const yaml_mark_t *m)
{
	struct frame *f = top(b);
	int r = 0;

	if (anchor) {
		r = register_anchor(b, anchor, v, height, count);
		if (r < 0)
			goto out;
	}
	if (!f) {
		b->root = v;
		b->have_root = true;
		return 0;
	}
	f->count += count;
	if (height + 1 > f->height)
		f->height = height + 1;
	if (f->is_map && !f->key) {
		r = key_of(b, v, m, &f->key);
		goto out;
	}
	if (f->is_map) {
		r = json_object_object_add(f->obj, f->key, v) < 0 ? -ENOMEM : 0;
		free(f->key);
		f->key = NULL;
		return r;
	}
	return json_object_array_add(f->obj, v) < 0 ? -ENOMEM : 0;
out:
	json_object_put(v);
	return r;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	json_object *v = NULL;
	int r = scalar_value(b, ev, key_due(b), &v);

	if (r < 0)
		return r;
	return attach(b, v, 0, 1, (const char *)ev->data.scalar.anchor, &ev->start_mark);
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	json_object *rec, *copy = NULL;
	size_t height, count;

	if (!json_object_object_get_ex(b->anchors, name, &rec))
		return fail(b, &ev->start_mark, "unknown anchor \"%.64s\"", name);
	height = (size_t)json_object_get_int64(json_object_array_get_idx(rec, 1));
	count = (size_t)json_object_get_int64(json_object_array_get_idx(rec, 2));
	if (b->depth + height > TK_MAX_JSON_DEPTH)
		return fail(b, &ev->start_mark, "nesting deeper than %d", TK_MAX_JSON_DEPTH);
	if (count > alias_value_budget - b->alias_values)
		return fail(b, &ev->start_mark, "document contains excessive aliasing");
	b->alias_values += count;
	if (json_object_deep_copy(json_object_array_get_idx(rec, 0), &copy, NULL) < 0)
		return -ENOMEM;
	return attach(b, copy, height, count, NULL, &ev->start_mark);
}

static int on_start(struct builder *b, const yaml_event_t *ev, bool is_map)
{
	struct frame *f;
	const char *anchor =
	    (const char *)(is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor);

	if (key_due(b))
		return fail(b, &ev->start_mark, "unsupported map key: a collection");
	if (b->depth == TK_MAX_JSON_DEPTH)
		return fail(b, &ev->start_mark, "nesting deeper than %d", TK_MAX_JSON_DEPTH);
	f = &b->stack[b->depth];
	memset(f, 0, sizeof(*f));
	f->is_map = is_map;
	f->line = ev->start_mark.line;
	f->column = ev->start_mark.column;
	f->obj = is_map ? json_object_new_object() : json_object_new_array();
	if (anchor)
		f->anchor = xstrdup(anchor);
	if (!f->obj || (anchor && !f->anchor)) {
		json_object_put(f->obj);
		free(f->anchor);
		return -ENOMEM;
	}
	b->depth++;
	return 0;
}

static int on_end(struct builder *b, const yaml_event_t *ev)
{
	struct frame f = b->stack[--b->depth];
	int r;

	r = attach(b, f.obj, f.height, f.count + 1, f.anchor, &ev->start_mark);
	free(f.anchor);
	free(f.key);
	return r;
}

static void builder_reset(struct builder *b)
{
	while (b->depth) {
		struct frame *f = &b->stack[--b->depth];

		json_object_put(f->obj);
		free(f->anchor);
		free(f->key);
	}
	json_object_put(b->root);
	b->root = NULL;
	b->have_root = false;
	b->alias_values = 0;
	json_object_put(b->anchors);
	b->anchors = NULL;
}

static int on_event(struct builder *b, const yaml_event_t *ev, size_t *doc_line, yamljson_doc_cb cb,
                    void *ud)
{
	int r;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		builder_reset(b);
		b->anchors = json_object_new_object();
		*doc_line = ev->start_mark.line + 1;
		return b->anchors ? 0 : -ENOMEM;
	case YAML_DOCUMENT_END_EVENT:
		r = cb(ud, b->root, *doc_line);
		builder_reset(b);
		return r;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, false);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, true);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(b, ev);
	default:
		return 0;
	}
}

static int parser_error(struct builder *b, const yaml_parser_t *p)
{
	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (p->context)
		return fail(b, &p->problem_mark, "%s %s", p->problem ? p->problem : "syntax error",
		            p->context);
	return fail(b, &p->problem_mark, "%s", p->problem ? p->problem : "syntax error");
}

int yamljson_parse(const char *text, size_t len, yamljson_doc_cb cb, void *ud,
                   struct yamljson_error *err)
{
	struct builder *b;
	yaml_parser_t p;
	yaml_event_t ev;
	size_t doc_line = 1;
	bool done = false;
	int r = 0;

	if (err)
		memset(err, 0, sizeof(*err));
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->err = err;
	if (!yaml_parser_initialize(&p)) {
		free(b);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && r == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			r = parser_error(b, &p);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		r = on_event(b, &ev, &doc_line, cb, ud);
		yaml_event_delete(&ev);
	}
	builder_reset(b);
	yaml_parser_delete(&p);
	free(b);
	return r;
}

static int take_first(void *ud, json_object *doc, size_t line)
{
	json_object **out = ud;

	(void)line;
	*out = json_object_get(doc);
	return 1; /* stop after the first document */
}

int yamljson_parse_one(const char *text, size_t len, json_object **out, struct yamljson_error *err)
{
	json_object *doc = NULL;
	int r = yamljson_parse(text, len, take_first, &doc, err);

	if (r < 0)
		return r;
	*out = doc;
	return 0;
}

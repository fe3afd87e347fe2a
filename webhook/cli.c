/* cli.c - `thurkube-webhook validate`: defaulting and validation on files, for CI and GitOps. */
#include "compat.h"

#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "fielderr.h"
#include "jsonpatch.h"
#include "jsonutil.h"
#include "limits.h"
#include "schema.h"
#include "util.h"
#include "yamljson.h"

#define CLI_MAX_DIR_DEPTH 32

enum { EXIT_VALID = 0, EXIT_DENIED = 1, EXIT_BAD_INPUT = 2 };

/* What an unknown field makes of an object (--unknown-fields). */
enum cli_unknown { UNKNOWN_ERROR, UNKNOWN_WARN, UNKNOWN_IGNORE };

struct cli {
	bool json;
	enum cli_unknown unknown;
	size_t valid, denied, skipped;
	bool bad;          /* unreadable or unparsable input */
	json_object *docs; /* --output json: one entry per document */
	const char *file;  /* the file being read (display name) */
	/* The webhook's policy flags, as text, then checked into sc. */
	struct schema_policy_flags policy;
	struct schema_config sc;
	struct strlist taint_keys; /* sc.forbid_tolerations */
};

static const char *const reasons[] = {
    [FE_REQUIRED] = "FieldValueRequired",          [FE_INVALID] = "FieldValueInvalid",
    [FE_NOT_SUPPORTED] = "FieldValueNotSupported", [FE_DUPLICATE] = "FieldValueDuplicate",
    [FE_TOO_LONG] = "FieldValueTooLong",           [FE_TOO_MANY] = "FieldValueTooMany",
    [FE_FORBIDDEN] = "FieldValueForbidden",        [FE_TYPE] = "FieldValueTypeInvalid",
};

static void usage(FILE *f)
{
	fputs("usage: thurkube-webhook validate [-f FILE|DIR|-]... [--output text|json]\n"
	      "                                 [--unknown-fields error|warn|ignore]\n"
	      "                                 [--default-runtime-class NAME]\n"
	      "                                 [--require-runtime-class[=true|false]]\n"
	      "                                 [--default-egress Unrestricted|Restricted]\n"
	      "                                 [--forbid-tolerations KEY,...]\n"
	      "\n"
	      "Runs the webhook's defaulting and validation on thurkube.thurbeen.eu objects in\n"
	      "YAML or JSON files (multi-document), directories (*.yaml, *.yml, *.json, "
	      "recursively)\n"
	      "or standard input (-). Exit status: 0 all valid, 1 some denied, 2 bad input.\n"
	      "\n"
	      "--unknown-fields says what a field the schema does not know (spec.promt) does:\n"
	      "  error   the object is denied, as kubectl apply's strict field validation\n"
	      "          (the default since Kubernetes 1.27) refuses it (default)\n"
	      "  warn    a warning; the API server would drop the field (--validate=warn)\n"
	      "  ignore  nothing is said (--validate=false)\n"
	      "\n"
	      "The policy flags act as the webhook's flags of the same names, with the same\n"
	      "defaults: --forbid-tolerations is " SCHEMA_DEFAULT_FORBID_TOLERATIONS "\n"
	      "unless given (--forbid-tolerations= allows every toleration).\n",
	      f);
}

/* A JSON result record (--output json); NULL in text mode or on allocation failure. */
static json_object *record(struct cli *c, size_t line, json_object *doc, const char *result)
{
	json_object *r;
	const char *v;

	if (!c->json)
		return NULL;
	r = json_object_new_object();
	if (!r)
		return NULL;
	json_object_object_add(r, "file", json_object_new_string(c->file));
	json_object_object_add(r, "line", json_object_new_int64((int64_t)line));
	if ((v = jsonutil_str(doc, "apiVersion")))
		json_object_object_add(r, "apiVersion", json_object_new_string(v));
	if ((v = jsonutil_str(doc, "kind")))
		json_object_object_add(r, "kind", json_object_new_string(v));
	if ((v = jsonutil_meta(doc, "namespace")))
		json_object_object_add(r, "namespace", json_object_new_string(v));
	if ((v = jsonutil_meta(doc, "name")))
		json_object_object_add(r, "name", json_object_new_string(v));
	json_object_object_add(r, "result", json_object_new_string(result));
	json_object_array_add(c->docs, r);
	return r;
}

static void skip(struct cli *c, size_t line, json_object *doc, const char *why)
{
	json_object *r = record(c, line, doc, "skipped");

	c->skipped++;
	if (r)
		json_object_object_add(r, "reason", json_object_new_string(why));
	else if (!c->json)
		printf("%s:%zu: skipped: %s\n", c->file, line, why);
}

/* The name kubectl prints: "agentjob.thurkube.thurbeen.eu/pr-fixer". */
static void object_ref(enum tk_kind k, json_object *doc, struct buf *out)
{
	const char *name = jsonutil_meta(doc, "name");

	if (buf_printf(out, "%s.%s/%s", schema_kind_info(k)->singular, TK_GROUP,
	               name && *name ? name : "<unnamed>") < 0)
		buf_reset(out);
}

/*
 * The API server's refusal of unknown fields under strict field validation:
 * "AgentJob in version "v1alpha1" cannot be handled as a AgentJob: strict
 * decoding error: unknown field "spec.promt", unknown field "spec.x"".
 */
static int strict_message(enum tk_kind k, const struct strlist *unknown, struct buf *out)
{
	const char *kind = schema_kind_info(k)->kind;
	size_t i;
	int r;

	r = buf_printf(out,
	               "%s in version \"" TK_VERSION
	               "\" cannot be handled as a %s: strict decoding error: ",
	               kind, kind);
	for (i = 0; r == 0 && i < unknown->n; i++)
		r = buf_printf(out, "%s%s", i ? ", " : "", unknown->v[i]);
	return r;
}

/* "spec.promt" out of the schema's warning `unknown field "spec.promt"`
 * (schema.h); "" for the marker that says more were dropped. */
static const char *unknown_path(const char *w, struct buf *out)
{
	static const char prefix[] = "unknown field \"";
	size_t n = strlen(w), p = sizeof(prefix) - 1;

	if (n <= p || strncmp(w, prefix, p) != 0 || w[n - 1] != '"' ||
	    buf_append(out, w + p, n - p - 1) < 0 || !out->data)
		return "";
	return out->data;
}

/* --output json: each unknown field as an error of reason BadRequest, the
 * status the API server refuses it with. */
static int json_unknown(json_object *a, const struct strlist *unknown)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < unknown->n; i++) {
		struct buf path = BUF_INIT(TK_MAX_INPUT_FILE), msg = BUF_INIT(TK_MAX_INPUT_FILE);
		json_object *e = json_object_new_object();

		r = e ? buf_printf(&msg, "strict decoding error: %s", unknown->v[i]) : -ENOMEM;
		if (r == 0) {
			json_object_object_add(
			    e, "field", json_object_new_string(unknown_path(unknown->v[i], &path)));
			json_object_object_add(e, "reason", json_object_new_string("BadRequest"));
			json_object_object_add(e, "message", json_object_new_string(msg.data));
			json_object_array_add(a, e);
			e = NULL;
		}
		json_object_put(e);
		buf_free(&path);
		buf_free(&msg);
	}
	return r;
}

/* Print or record one verdict. warnings are the schema's unknown fields
 * (schema.h), shown according to c->unknown. */
static int report(struct cli *c, size_t line, json_object *doc, enum tk_kind k,
                  const struct fielderrs *errs, const struct strlist *warnings)
{
	static const struct strlist none = {0};
	const struct strlist *unknown = c->unknown == UNKNOWN_ERROR ? warnings : &none;
	bool denied = errs->n || unknown->n;
	struct buf ref = BUF_INIT(1024);
	json_object *r = record(c, line, doc, denied ? "denied" : "valid"), *a;
	size_t i;
	int ret = 0;

	if (c->unknown != UNKNOWN_WARN)
		warnings = &none;
	object_ref(k, doc, &ref);
	if (denied)
		c->denied++;
	else
		c->valid++;
	if (!c->json) {
		for (i = 0; i < warnings->n; i++)
			printf("warning: %s: %s\n", ref.data ? ref.data : "", warnings->v[i]);
		if (unknown->n) {
			struct buf msg = BUF_INIT(TK_MAX_INPUT_FILE);

			if (strict_message(k, unknown, &msg) == 0)
				printf("%s: %s\n", ref.data ? ref.data : "", msg.data);
			else
				ret = -ENOMEM;
			buf_free(&msg);
		}
		for (i = 0; i < errs->n; i++) {
			struct buf line_buf = BUF_INIT(256 * 1024);

			if (fielderr_render(&errs->v[i], &line_buf) == 0)
				printf("%s: %s\n", ref.data ? ref.data : "", line_buf.data);
			else
				ret = -ENOMEM;
			buf_free(&line_buf);
		}
		if (errs->omitted)
			printf("%s: and %zu more errors\n", ref.data ? ref.data : "",
			       errs->omitted);
		if (!denied)
			printf("%s valid\n", ref.data ? ref.data : "");
		buf_free(&ref);
		return ret;
	}
	buf_free(&ref);
	if (!r)
		return -ENOMEM;
	a = json_object_new_array();
	if (a && json_unknown(a, unknown) < 0) {
		json_object_put(a);
		return -ENOMEM;
	}
	for (i = 0; a && i < errs->n; i++) {
		struct buf msg = BUF_INIT(256 * 1024);
		json_object *e = json_object_new_object();

		if (!e || fielderr_render(&errs->v[i], &msg) < 0) {
			json_object_put(e);
			buf_free(&msg);
			return -ENOMEM;
		}
		json_object_object_add(e, "field", json_object_new_string(errs->v[i].path));
		json_object_object_add(e, "reason",
		                       json_object_new_string(reasons[errs->v[i].type]));
		json_object_object_add(e, "message", json_object_new_string(msg.data));
		json_object_array_add(a, e);
		buf_free(&msg);
	}
	json_object_object_add(r, "errors", a);
	if (errs->omitted)
		json_object_object_add(r, "omittedErrors",
		                       json_object_new_int64((int64_t)errs->omitted));
	a = json_object_new_array();
	for (i = 0; a && i < warnings->n; i++)
		json_object_array_add(a, json_object_new_string(warnings->v[i]));
	json_object_object_add(r, "warnings", a);
	return 0;
}

/* Default then validate one thurkube object, as the two webhooks would in turn. */
static int check_object(struct cli *c, size_t line, json_object *doc, enum tk_kind k)
{
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	json_object *patch = NULL, *work = json_object_get(doc);
	int r;

	r = schema_default(k, work, &c->sc, NULL, &patch);
	if (r == 0)
		r = jsonpatch_apply(&work, patch);
	if (r == 0)
		r = schema_validate(k, work, NULL, &c->sc, &errs, &warnings);
	if (r == 0)
		r = report(c, line, work, k, &errs, &warnings);
	json_object_put(patch);
	json_object_put(work);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	return r;
}

static int check_doc(struct cli *c, json_object *doc, size_t line, int depth);

/* kind: List (what `kubectl get -o yaml` writes): check every item. */
static int check_list(struct cli *c, json_object *doc, size_t line, int depth)
{
	json_object *items = NULL;
	size_t i;
	int r = 0;

	if (!json_object_object_get_ex(doc, "items", &items) || !items)
		return 0;
	if (!json_object_is_type(items, json_type_array) || depth > 4) {
		fprintf(stderr, "%s:%zu: List items must be an array of objects\n", c->file, line);
		c->bad = true;
		return 0;
	}
	for (i = 0; r == 0 && i < json_object_array_length(items); i++)
		r = check_doc(c, json_object_array_get_idx(items, i), line, depth + 1);
	return r;
}

static int check_doc(struct cli *c, json_object *doc, size_t line, int depth)
{
	const char *av, *kind, *slash;
	struct buf why = BUF_INIT(1024);
	enum tk_kind k;
	int r = 0;

	if (!doc) {
		skip(c, line, NULL, "empty document");
		return 0;
	}
	if (!json_object_is_type(doc, json_type_object)) {
		fprintf(stderr, "%s:%zu: document is not a mapping\n", c->file, line);
		c->bad = true;
		return 0;
	}
	av = jsonutil_str(doc, "apiVersion");
	kind = jsonutil_str(doc, "kind");
	if (!av || !kind) {
		fprintf(stderr, "%s:%zu: document has no %s\n", c->file, line,
		        av ? "kind" : "apiVersion");
		c->bad = true;
		return 0;
	}
	if (strcmp(av, "v1") == 0 && strcmp(kind, "List") == 0)
		return check_list(c, doc, line, depth);
	slash = strchr(av, '/');
	if (!slash || (size_t)(slash - av) != strlen(TK_GROUP) ||
	    strncmp(av, TK_GROUP, strlen(TK_GROUP))) {
		if (buf_printf(&why, "%s %s/%s is not a " TK_GROUP " object", av, kind,
		               jsonutil_meta(doc, "name") ? jsonutil_meta(doc, "name")
		                                          : "<unnamed>") == 0)
			skip(c, line, doc, why.data);
		buf_free(&why);
		return 0;
	}
	buf_free(&why);
	if (schema_kind_from_name(kind, &k) < 0 || strcmp(slash + 1, TK_VERSION) != 0) {
		struct fielderrs errs = {0};
		struct strlist none = {0};

		/* Our group, but nothing the API serves: the API server would refuse it too. */
		if (schema_kind_from_name(kind, &k) < 0) {
			fprintf(stdout,
			        "%s:%zu: %s: no kind \"%s\" is served in version " TK_API_VERSION
			        "\n",
			        c->file, line, av, kind);
			c->denied++;
			record(c, line, doc, "denied");
			return 0;
		}
		fielderrs_add_str(&errs, FE_NOT_SUPPORTED, "apiVersion", av,
		                  "supported values: \"" TK_API_VERSION "\"");
		r = report(c, line, doc, k, &errs, &none);
		fielderrs_free(&errs);
		return r;
	}
	return check_object(c, line, doc, k);
}

static int doc_cb(void *ud, json_object *doc, size_t line)
{
	return check_doc(ud, doc, line, 0);
}

static int read_stdin(char **out, size_t *len)
{
	struct buf b = BUF_INIT(TK_MAX_INPUT_FILE);
	char chunk[65536];
	size_t n;
	int r = 0;

	while (r == 0 && (n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		r = buf_append(&b, chunk, n);
	if (r == 0 && ferror(stdin))
		r = -EIO;
	if (r == 0 && !b.data)
		r = buf_append(&b, "", 0);
	if (r < 0) {
		buf_free(&b);
		return r;
	}
	*len = b.len;
	*out = buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

static int check_file(struct cli *c, const char *path)
{
	struct yamljson_error err;
	char *text = NULL;
	size_t len = 0;
	int r;

	c->file = strcmp(path, "-") == 0 ? "<stdin>" : path;
	r = strcmp(path, "-") == 0 ? read_stdin(&text, &len)
	                           : read_file(path, TK_MAX_INPUT_FILE, &text, &len);
	if (r < 0) {
		fprintf(stderr, "%s: cannot read: %s\n", c->file,
		        r == -E2BIG ? "file is larger than the 16 MiB limit" : strerror(-r));
		c->bad = true;
		return r == -ENOMEM ? r : 0;
	}
	memset(&err, 0, sizeof(err));
	r = yamljson_parse(text, len, doc_cb, c, &err);
	free(text);
	if (r == -EINVAL) {
		fprintf(stderr, "%s:%zu:%zu: %s\n", c->file, err.line, err.column, err.msg);
		c->bad = true;
		return 0;
	}
	return r;
}

static bool wanted(const char *name)
{
	static const char *const exts[] = {".yaml", ".yml", ".json"};
	size_t n = strlen(name), i;

	for (i = 0; i < TK_ARRAY_LEN(exts); i++) {
		size_t e = strlen(exts[i]);

		if (n > e && strcmp(name + n - e, exts[i]) == 0)
			return true;
	}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every wanted file under dir, depth-first in sorted order. Dot-entries are skipped. */
static int collect(const char *dir, struct strlist *files, int depth)
{
	struct strlist names = {0};
	struct dirent *de;
	DIR *d;
	size_t i;
	int r = 0;

	if (depth > CLI_MAX_DIR_DEPTH)
		return -ELOOP;
	d = opendir(dir);
	if (!d)
		return -errno;
	while (r == 0 && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			r = strlist_add(&names, de->d_name);
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (i = 0; r == 0 && i < names.n; i++) {
		struct buf p = BUF_INIT(4096);
		struct stat st;

		r = buf_printf(&p, "%s/%s", dir, names.v[i]);
		if (r == 0 && lstat(p.data, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				r = collect(p.data, files, depth + 1);
			else if (S_ISREG(st.st_mode) && wanted(names.v[i]))
				r = strlist_add(files, p.data);
		}
		buf_free(&p);
	}
	strlist_free(&names);
	return r;
}

static int check_path(struct cli *c, const char *path)
{
	struct strlist files = {0};
	struct stat st;
	size_t i;
	int r = 0;

	if (strcmp(path, "-") == 0 || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return check_file(c, path);
	r = collect(path, &files, 0);
	if (r < 0 && r != -ENOMEM) {
		fprintf(stderr, "%s: cannot read directory: %s\n", path, strerror(-r));
		c->bad = true;
		r = 0;
	}
	for (i = 0; r == 0 && i < files.n; i++)
		r = check_file(c, files.v[i]);
	strlist_free(&files);
	return r;
}

/* Whether argv[*i] is the option shrt (may be NULL) or name: 1 with *v its
 * value (the next argument, *i then moved past it, or what follows
 * "name="), 0 when it is another argument, -EINVAL when the value is
 * missing (printed). */
static int opt_value(int argc, char **argv, int *i, const char *shrt, const char *name,
                     const char **v)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if ((shrt && strcmp(a, shrt) == 0) || strcmp(a, name) == 0) {
		if (*i + 1 >= argc || !argv[*i + 1]) {
			fprintf(stderr, "validate: %s needs a value\n", a);
			return -EINVAL;
		}
		*v = argv[++*i];
		return 1;
	}
	if (strncmp(a, name, n) == 0 && a[n] == '=') {
		*v = a + n + 1;
		return 1;
	}
	return 0;
}

static int set_file(struct cli *c, struct strlist *paths, const char *v)
{
	(void)c;
	return strlist_add(paths, v);
}

static int set_output(struct cli *c, struct strlist *paths, const char *v)
{
	(void)paths;
	if (strcmp(v, "json") == 0 || strcmp(v, "text") == 0) {
		c->json = strcmp(v, "json") == 0;
		return 0;
	}
	fprintf(stderr, "validate: --output must be text or json, got \"%s\"\n", v);
	return -EINVAL;
}

static int set_unknown(struct cli *c, struct strlist *paths, const char *v)
{
	static const char *const modes[] = {
	    [UNKNOWN_ERROR] = "error", [UNKNOWN_WARN] = "warn", [UNKNOWN_IGNORE] = "ignore"};
	size_t i;

	(void)paths;
	for (i = 0; i < TK_ARRAY_LEN(modes); i++)
		if (strcmp(v, modes[i]) == 0) {
			c->unknown = (enum cli_unknown)i;
			return 0;
		}
	fprintf(stderr, "validate: --unknown-fields must be error, warn or ignore, got \"%s\"\n",
	        v);
	return -EINVAL;
}

static int set_runtime_class(struct cli *c, struct strlist *paths, const char *v)
{
	(void)paths;
	c->policy.default_runtime_class = v;
	return 0;
}

static int set_egress(struct cli *c, struct strlist *paths, const char *v)
{
	(void)paths;
	c->policy.default_egress = v;
	return 0;
}

static int set_forbid(struct cli *c, struct strlist *paths, const char *v)
{
	(void)paths;
	c->policy.forbid_tolerations = v;
	return 0;
}

static const struct {
	const char *shrt, *name;
	int (*set)(struct cli *c, struct strlist *paths, const char *v);
} options[] = {
    {"-f", "--filename", set_file},          {"-o", "--output", set_output},
    {NULL, "--unknown-fields", set_unknown}, {NULL, "--default-runtime-class", set_runtime_class},
    {NULL, "--default-egress", set_egress},  {NULL, "--forbid-tolerations", set_forbid},
};

/* --require-runtime-class, bare or =true|false as the webhook's boolean
 * flags: 1 when a is it (then c is set), 0 when not, -EINVAL (printed). */
static int bool_flag(struct cli *c, const char *a)
{
	static const char name[] = "--require-runtime-class";
	const char *v;

	if (strncmp(a, name, sizeof(name) - 1) != 0)
		return 0;
	v = a + sizeof(name) - 1;
	if (!*v) {
		c->policy.require_runtime_class = true;
		return 1;
	}
	if (strcmp(v, "=true") == 0 || strcmp(v, "=false") == 0) {
		c->policy.require_runtime_class = strcmp(v, "=true") == 0;
		return 1;
	}
	if (*v != '=')
		return 0;
	fprintf(stderr, "validate: %s must be true or false, got \"%s\"\n", name, v + 1);
	return -EINVAL;
}

/* Parse the options into paths and c. 0, 1 after --help, or -EINVAL after
 * printing why in one line (the usage too when there is no input at all). */
static int parse_args(struct cli *c, int argc, char **argv, struct strlist *paths)
{
	size_t o;
	int i, r;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 1;
		}
		r = bool_flag(c, a);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		for (o = 0, r = 0; o < TK_ARRAY_LEN(options) && r == 0; o++)
			r = opt_value(argc, argv, &i, options[o].shrt, options[o].name, &v);
		if (r > 0)
			r = options[o - 1].set(c, paths, v);
		else if (r == 0 && a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "validate: unknown option %s\n", a);
			r = -EINVAL;
		} else if (r == 0) {
			/* A bare argument is a path, as after -f. */
			r = strlist_add(paths, a);
		}
		if (r < 0)
			return r;
	}
	if (paths->n == 0) {
		fprintf(stderr, "validate: no input: give -f FILE, -f DIR or -f -\n");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static void print_json(struct cli *c)
{
	json_object *top = json_object_new_object();

	if (!top)
		return;
	json_object_object_add(top, "documents", json_object_get(c->docs));
	json_object_object_add(top, "valid", json_object_new_int64((int64_t)c->valid));
	json_object_object_add(top, "denied", json_object_new_int64((int64_t)c->denied));
	json_object_object_add(top, "skipped", json_object_new_int64((int64_t)c->skipped));
	puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	                                             JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(top);
}

int cli_validate_main(int argc, char **argv)
{
	struct cli c = {0};
	struct strlist paths = {0};
	struct buf err = BUF_INIT(4096);
	size_t i;
	int r, status;

	c.policy.forbid_tolerations = SCHEMA_DEFAULT_FORBID_TOLERATIONS;
	r = parse_args(&c, argc, argv, &paths);
	if (r == 0) {
		r = schema_config_policy(&c.sc, &c.policy, &c.taint_keys, &err);
		if (r == -EINVAL)
			fprintf(stderr, "validate: %s\n", err.data ? err.data : "bad flag");
	}
	buf_free(&err);
	if (r != 0) {
		if (r < 0 && r != -EINVAL)
			fprintf(stderr, "validate: %s\n", strerror(-r));
		strlist_free(&paths);
		return r > 0 ? EXIT_VALID : EXIT_BAD_INPUT;
	}
	c.docs = json_object_new_array();
	for (i = 0, r = c.docs ? 0 : -ENOMEM; r == 0 && i < paths.n; i++)
		r = check_path(&c, paths.v[i]);
	if (r < 0) {
		fprintf(stderr, "validate: %s\n", strerror(-r));
		c.bad = true;
	}
	if (c.json)
		print_json(&c);
	fflush(stdout);
	status = c.bad ? EXIT_BAD_INPUT : c.denied ? EXIT_DENIED : EXIT_VALID;
	json_object_put(c.docs);
	strlist_free(&c.taint_keys);
	strlist_free(&paths);
	return status;
}

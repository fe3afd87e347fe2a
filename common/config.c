/*
 * config.c - the option table parser: defaults, then environment, then
 * flags. Values are parsed into a scratch array and written to the
 * caller's struct only when everything parsed, so a failure leaves it
 * untouched.
 */
#include "compat.h"

#include "config.h"

#include <errno.h>
#include <strings.h>

#include "log.h"

union config_val {
	char *s;
	int64_t i;
	int b;
	enum log_level l;
};

/* Quote user text in an error line; long values are cut with "...". */
static int config_err(struct buf *err, const struct config_opt *o, const char *source,
                      const char *what, const char *text)
{
	if (err) {
		int r;

		buf_reset(err);
		if (source && strcmp(source, "flag") != 0)
			r = buf_printf(err, "%s (--%s): %s, got \"%.200s%s\"", source, o->name,
			               what, text, strlen(text) > 200 ? "..." : "");
		else
			r = buf_printf(err, "--%s: %s, got \"%.200s%s\"", o->name, what, text,
			               strlen(text) > 200 ? "..." : "");
		if (r < 0)
			buf_reset(err);
	}
	return -EINVAL;
}

static int config_bool(const char *s, int *out)
{
	static const char *const yes[] = {"true", "1", "yes"};
	static const char *const no[] = {"false", "0", "no"};
	size_t i;

	for (i = 0; i < TK_ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

/* Parse text for option o into *v (replacing any earlier string). source
 * names where the text came from: "flag", "default" or the variable. */
static int config_set(const struct config_opt *o, const char *text, const char *source,
                      union config_val *v, struct buf *err)
{
	char what[96];
	char *s;
	int r;

	switch (o->type) {
	case CFG_STRING:
		s = strdup(text);
		if (!s)
			return -ENOMEM;
		free(v->s);
		v->s = s;
		return 0;
	case CFG_INT:
		r = parse_i64(text, o->min, o->max, &v->i);
		if (r == -ERANGE) {
			snprintf(what, sizeof(what), "must be between %lld and %lld",
			         (long long)o->min, (long long)o->max);
			return config_err(err, o, source, what, text);
		}
		if (r < 0)
			return config_err(err, o, source, "must be an integer", text);
		return 0;
	case CFG_BOOL:
		if (config_bool(text, &v->b) < 0)
			return config_err(err, o, source, "must be true or false", text);
		return 0;
	case CFG_LEVEL:
		if (log_parse_level(text, &v->l) < 0)
			return config_err(err, o, source, "must be one of debug, info, warn, error",
			                  text);
		return 0;
	}
	return -EINVAL;
}

static const struct config_opt *config_find(const struct config_opt *opts, size_t n,
                                            const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(opts[i].name) == len && memcmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

/* Walk argv[start..]; see config_parse for the grammar. */
static int config_flags(const struct config_opt *opts, size_t n, int argc, char **argv, int start,
                        union config_val *vals, int *rest, struct buf *err)
{
	int i;

	for (i = start; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *val;
		const struct config_opt *o;
		size_t len;
		int r;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		name = a + (a[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		o = config_find(opts, n, name, len);
		if (!o) {
			if (err) {
				buf_reset(err);
				if (buf_printf(err, "unknown flag --%.*s",
				               (int)(len > 200 ? 200 : len), name) < 0)
					buf_reset(err);
			}
			return -EINVAL;
		}
		if (eq) {
			val = eq + 1;
		} else if (o->type == CFG_BOOL) {
			val = "true";
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			if (err) {
				buf_reset(err);
				if (buf_printf(err, "--%s: missing value", o->name) < 0)
					buf_reset(err);
			}
			return -EINVAL;
		}
		r = config_set(o, val, "flag", &vals[o - opts], err);
		if (r < 0)
			return r;
	}
	*rest = i;
	return 0;
}

static void config_vals_free(const struct config_opt *opts, size_t n, union config_val *vals)
{
	size_t i;

	for (i = 0; vals && i < n; i++)
		if (opts[i].type == CFG_STRING)
			free(vals[i].s);
	free(vals);
}

int config_parse(const struct config_opt *opts, size_t n, int argc, char **argv, int start,
                 void *out, int *rest, struct buf *err)
{
	union config_val *vals;
	size_t i;
	int r = 0, end = argc;

	vals = calloc(n ? n : 1, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; r == 0 && i < n; i++)
		if (opts[i].def)
			r = config_set(&opts[i], opts[i].def, "default", &vals[i], err);
	for (i = 0; r == 0 && i < n; i++) {
		const char *e = opts[i].env ? getenv(opts[i].env) : NULL;

		/* An empty variable counts as unset, as a shell `X= cmd` intends. */
		if (e && *e)
			r = config_set(&opts[i], e, opts[i].env, &vals[i], err);
	}
	if (r == 0)
		r = config_flags(opts, n, argc, argv, start, vals, &end, err);
	if (r < 0)
		goto out;
	for (i = 0; i < n; i++) {
		char *field = (char *)out + opts[i].offset;

		switch (opts[i].type) {
		case CFG_STRING:
			memcpy(field, &vals[i].s, sizeof(char *));
			vals[i].s = NULL; /* the struct owns it now */
			break;
		case CFG_INT:
			memcpy(field, &vals[i].i, sizeof(int64_t));
			break;
		case CFG_BOOL:
			memcpy(field, &vals[i].b, sizeof(int));
			break;
		case CFG_LEVEL:
			memcpy(field, &vals[i].l, sizeof(enum log_level));
			break;
		}
	}
	if (rest)
		*rest = end;
out:
	config_vals_free(opts, n, vals);
	return r;
}

void config_free(const struct config_opt *opts, size_t n, void *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *s;

		if (opts[i].type != CFG_STRING)
			continue;
		memcpy(&s, (char *)out + opts[i].offset, sizeof(s));
		free(s);
		s = NULL;
		memcpy((char *)out + opts[i].offset, &s, sizeof(s));
	}
}

static const char *const config_type_hint[] = {
    [CFG_STRING] = "string",
    [CFG_INT] = "int",
    [CFG_BOOL] = "",
    [CFG_LEVEL] = "level",
};

void config_usage(FILE *f, const char *synopsis, const struct config_opt *opts, size_t n)
{
	size_t i, wflag = 6, wenv = 0;

	for (i = 0; i < n; i++) {
		size_t lf = 2 + strlen(opts[i].name) + 1 + strlen(config_type_hint[opts[i].type]);
		size_t le = opts[i].env ? strlen(opts[i].env) : 0;

		wflag = lf > wflag ? lf : wflag;
		wenv = le > wenv ? le : wenv;
	}
	fprintf(f, "usage: %s\n\nflags (environment variable in the second column):\n",
	        synopsis ? synopsis : "");
	for (i = 0; i < n; i++) {
		const struct config_opt *o = &opts[i];
		const char *hint = config_type_hint[o->type];
		int pad = (int)(wflag - (2 + strlen(o->name) + 1 + strlen(hint)));

		fprintf(f, "  --%s %s%*s  %-*s  %s", o->name, hint, pad, "", (int)wenv,
		        o->env ? o->env : "", o->help ? o->help : "");
		if (o->type == CFG_INT)
			fprintf(f, " [%lld..%lld]", (long long)o->min, (long long)o->max);
		if (o->def && *o->def)
			fprintf(f, " (default %s)", o->def);
		fputc('\n', f);
	}
	if (!config_find(opts, n, "help", 4))
		fprintf(f, "  --help%*s  %-*s  show this help and exit\n", (int)(wflag - 6), "",
		        (int)wenv, "");
}

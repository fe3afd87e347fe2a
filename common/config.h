/*
 * config.h - configuration as a table: each option has a flag name, an
 * environment variable, a type, bounds, a default and help. Parsed once
 * into a caller-owned struct, validated at start-up.
 */
#ifndef THURKUBE_CONFIG_H
#define THURKUBE_CONFIG_H

#include "compat.h"

#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum config_type {
	CFG_STRING, /* char * (owned by the struct after parse; config_free) */
	CFG_INT,    /* int64_t within [min, max] */
	CFG_BOOL,   /* int 0/1: "true/false/1/0/yes/no"; a bare --flag means true */
	CFG_LEVEL,  /* enum log_level, via log_parse_level: "debug|info|warn|error" */
};

struct config_opt {
	const char *name; /* flag without dashes: "tls-cert-file" */
	enum config_type type;
	const char *env;  /* "THURKUBE_TLS_CERT_FILE" or NULL */
	const char *def;  /* default as text, NULL for none */
	int64_t min, max; /* CFG_INT bounds */
	size_t offset;    /* offsetof(struct x, field) */
	const char *help;
};

/*
 * Fill out from defaults, then environment (a set, non-empty variable
 * overrides the default), then argv flags, later ones winning:
 * `--name=value`, `--name value`, a bare `--name` for CFG_BOOL (true;
 * `--name=false` to clear); one dash works as two. argv[start..] is
 * parsed; parsing stops at the first non-flag argument (or "-"), whose
 * index is stored in *rest, or just after "--"; argc when none. rest may
 * be NULL.
 *
 * Every option's field is written on success (CFG_STRING as a new string
 * owned by out, or NULL when it has no value; release with config_free);
 * fields are overwritten, not freed, so out should start zeroed. There is
 * no built-in --help: callers that want one add a CFG_BOOL "help" entry
 * and act on it after parsing.
 *
 * Returns 0; -ENOMEM; or -EINVAL with out untouched and one clear line in
 * err (may be NULL; replaced), naming the flag and quoting the value:
 *   unknown flag --x
 *   --workers: must be between 1 and 64, got "0"
 *   --workers: must be an integer, got "many"
 *   THURKUBE_WORKERS (--workers): must be between 1 and 64, got "0"
 *   --debug: must be true or false, got "maybe"
 *   --log-level: must be one of debug, info, warn, error, got "loud"
 *   --tls-cert-file: missing value
 * A bad default is reported like a bad variable, with "default" as source.
 */
int config_parse(const struct config_opt *opts, size_t n, int argc, char **argv, int start,
                 void *out, int *rest, struct buf *err) TK_MUST_CHECK;
/* Free the CFG_STRING members of out and set them to NULL (a second call
 * is harmless). */
void config_free(const struct config_opt *opts, size_t n, void *out);
/* Print "usage: <synopsis>" and an aligned table, one line per option:
 * flag and type, environment variable, help, [min..max] for integers and
 * the default; plus a --help line unless the table has its own. */
void config_usage(FILE *f, const char *synopsis, const struct config_opt *opts, size_t n);

#endif

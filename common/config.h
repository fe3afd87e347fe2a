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
	CFG_LEVEL,  /* enum log_level from "debug|info|warn|error" */
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
 * Fill out from defaults, then environment, then argv flags (--name=value
 * or --name value). argv[start..] is parsed; parsing stops at the first
 * non-flag argument, whose index is stored in *rest (argc when none).
 * On error returns -EINVAL with one clear line in err, e.g.
 * `--workers: must be between 1 and 64, got "0"`.
 */
int config_parse(const struct config_opt *opts, size_t n, int argc, char **argv, int start,
                 void *out, int *rest, struct buf *err) TK_MUST_CHECK;
/* Free the CFG_STRING members of out. */
void config_free(const struct config_opt *opts, size_t n, void *out);
/* Print a --help table: flag, env, default, help. */
void config_usage(FILE *f, const char *synopsis, const struct config_opt *opts, size_t n);

#endif

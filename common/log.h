/*
 * log.h - JSON-lines logging to stderr.
 *
 * One line per event: {"ts":"...","level":"info","msg":"...",k:v...}.
 * Messages are lowercase with no full stop; object names go in fields,
 * never interpolated with secrets. The level is the one piece of global
 * mutable state, set once at start-up.
 */
#ifndef THURKUBE_LOG_H
#define THURKUBE_LOG_H

#include "compat.h"

enum log_level { LOG_LVL_DEBUG = 0, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };

/* Parse "debug", "info", "warn"/"warning", "error". 0 or -EINVAL. */
int log_parse_level(const char *s, enum log_level *out) TK_MUST_CHECK;
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Add a fixed "component" field to every line (borrowed; static string). */
void log_set_component(const char *name);

/*
 * Write one line. The variadic part is key/value string pairs terminated
 * by NULL; a NULL value drops that pair. Never fails visibly: a line that
 * cannot be built is dropped.
 */
void log_kv(enum log_level lvl, const char *msg, ...);

#define log_debug(...) log_kv(LOG_LVL_DEBUG, __VA_ARGS__, (const char *)NULL)
#define log_info(...)  log_kv(LOG_LVL_INFO, __VA_ARGS__, (const char *)NULL)
#define log_warn(...)  log_kv(LOG_LVL_WARN, __VA_ARGS__, (const char *)NULL)
#define log_error(...) log_kv(LOG_LVL_ERROR, __VA_ARGS__, (const char *)NULL)

#endif

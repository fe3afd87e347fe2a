/* log.c - JSON-lines logging. */
#include "compat.h"

#include "log.h"
#include "util.h"

#include <stdatomic.h>
#include <errno.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <json-c/json.h>

static atomic_int log_level = LOG_LVL_INFO;
static const char *log_component;

int log_parse_level(const char *s, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level lvl;
	} names[] = {
	    {"debug", LOG_LVL_DEBUG},  {"info", LOG_LVL_INFO},   {"warn", LOG_LVL_WARN},
	    {"warning", LOG_LVL_WARN}, {"error", LOG_LVL_ERROR},
	};
	size_t i;

	for (i = 0; s && i < TK_ARRAY_LEN(names); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].lvl;
			return 0;
		}
	}
	return -EINVAL;
}

void log_set_level(enum log_level lvl)
{
	atomic_store(&log_level, (int)lvl);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load(&log_level);
}

void log_set_component(const char *name)
{
	log_component = name;
}

void log_kv(enum log_level lvl, const char *msg, ...)
{
	static const char *lvlname[] = {"debug", "info", "warn", "error"};
	json_object *o;
	struct timeval tv;
	struct tm tm;
	char ts[128];
	const char *k, *line;
	va_list ap;

	if ((int)lvl < atomic_load(&log_level))
		return;
	o = json_object_new_object();
	if (!o)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (long)(tv.tv_usec / 1000));
	json_object_object_add(o, "ts", json_object_new_string(ts));
	json_object_object_add(o, "level", json_object_new_string(lvlname[lvl]));
	if (log_component)
		json_object_object_add(o, "component", json_object_new_string(log_component));
	json_object_object_add(o, "msg", json_object_new_string(msg));
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		if (v)
			json_object_object_add(o, k, json_object_new_string(v));
	}
	va_end(ap);
	line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                             JSON_C_TO_STRING_NOSLASHESCAPE);
	if (line) {
		/* One write per line: stderr is unbuffered, and a line goes out
		 * for each denied review. */
		size_t n = strlen(line);
		char small[1024], *out = n < sizeof(small) ? small : malloc(n + 1);

		if (out) {
			memcpy(out, line, n);
			out[n] = '\n';
			fwrite(out, 1, n + 1, stderr);
			if (out != small)
				free(out);
		} else {
			flockfile(stderr);
			fputs(line, stderr);
			fputc('\n', stderr);
			funlockfile(stderr);
		}
	}
	json_object_put(o);
}

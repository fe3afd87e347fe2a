/* log.c - JSON-lines logging. */
#include "compat.h"

#include "log.h"
#include "jsonutil.h"
#include "util.h"

#include <stdatomic.h>
#include <errno.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

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

/* ,"k":"v" (no comma before the first member). */
static int log_put_member(struct buf *b, const char *k, const char *v)
{
	int r = b->len > 1 ? buf_puts(b, ",") : 0;

	if (r == 0)
		r = jsonutil_quote(k, strlen(k), b);
	if (r == 0)
		r = buf_puts(b, ":");
	if (r == 0)
		r = jsonutil_quote(v, strlen(v), b);
	return r;
}

void log_kv(enum log_level lvl, const char *msg, ...)
{
	static const char *lvlname[] = {"debug", "info", "warn", "error"};
	struct buf line = BUF_INIT(SIZE_MAX);
	struct timeval tv;
	struct tm tm;
	char ts[128];
	const char *k;
	va_list ap;
	int r;

	if ((int)lvl < atomic_load(&log_level))
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (long)(tv.tv_usec / 1000));
	/* One JSON object per line, built by hand: a line goes out for each
	 * denied review, and a json-c tree per line cost a tenth of the
	 * webhook's time on that path. */
	r = buf_puts(&line, "{");
	if (r == 0)
		r = log_put_member(&line, "ts", ts);
	if (r == 0)
		r = log_put_member(&line, "level", lvlname[lvl]);
	if (r == 0 && log_component)
		r = log_put_member(&line, "component", log_component);
	if (r == 0)
		r = log_put_member(&line, "msg", msg);
	va_start(ap, msg);
	while (r == 0 && (k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		if (v)
			r = log_put_member(&line, k, v);
	}
	va_end(ap);
	if (r == 0)
		r = buf_puts(&line, "}\n");
	/* One write per line: stderr is unbuffered. */
	if (r == 0)
		fwrite(line.data, 1, line.len, stderr);
	buf_free(&line);
}

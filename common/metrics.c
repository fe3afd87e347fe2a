/*
 * metrics.c - a mutex-protected Prometheus registry. Families and series
 * are kept sorted (by name, then by label set) so rendering is
 * deterministic and lookups are binary searches.
 */
#include "compat.h"

#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>

enum metrics_type { MT_COUNTER, MT_GAUGE, MT_HISTOGRAM };

static const char *const metrics_type_names[] = {"counter", "gauge", "histogram"};

/* Upper bounds of the histogram buckets, in seconds; +Inf is implicit. */
static const double metrics_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                    0.25,  0.5,    1,     2.5,  5,     10};
#define METRICS_NBUCKETS (sizeof(metrics_le) / sizeof(metrics_le[0]))

struct metrics_series {
	char *labels;                       /* owned, "" for none */
	double value;                       /* counter, gauge; histogram sum */
	uint64_t count;                     /* histogram observations */
	uint64_t buckets[METRICS_NBUCKETS]; /* cumulative counts */
};

struct metrics_family {
	char *name; /* owned */
	char *help; /* owned */
	enum metrics_type type;
	struct metrics_series *series; /* sorted by labels */
	size_t n, cap;
};

struct metrics {
	pthread_mutex_t mu;
	struct metrics_family *fam; /* sorted by name */
	size_t n, cap;
};

struct metrics *metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (pthread_mutex_init(&m->mu, NULL) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

void metrics_free(struct metrics *m)
{
	size_t i, j;

	if (!m)
		return;
	for (i = 0; i < m->n; i++) {
		for (j = 0; j < m->fam[i].n; j++)
			free(m->fam[i].series[j].labels);
		free(m->fam[i].series);
		free(m->fam[i].name);
		free(m->fam[i].help);
	}
	free(m->fam);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/* Metric names: [a-zA-Z_:][a-zA-Z0-9_:]* */
static int metrics_name_ok(const char *s)
{
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];
		int alpha =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';

		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

/*
 * A label set as metrics_labels() renders it: name="value" pairs joined by
 * commas, values escaped. Anything else would corrupt the exposition, so
 * it is refused rather than rendered.
 */
static int metrics_labels_ok(const char *s)
{
	size_t i = 0;

	while (s[i]) {
		size_t start = i;

		while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		       s[i] == '_' || (i > start && s[i] >= '0' && s[i] <= '9'))
			i++;
		if (i == start || s[i] != '=' || s[i + 1] != '"')
			return 0;
		for (i += 2; s[i] != '"'; i++) {
			if (s[i] == '\0' || s[i] == '\n')
				return 0;
			if (s[i] == '\\') {
				i++;
				if (s[i] != '\\' && s[i] != '"' && s[i] != 'n')
					return 0;
			}
		}
		i++;
		if (s[i] == ',' && s[i + 1] != '\0')
			i++;
		else if (s[i] != '\0')
			return 0;
	}
	return 1;
}

/* Binary search: index of the match, or where it would be inserted. */
static size_t metrics_find_family(const struct metrics *m, const char *name, int *found)
{
	size_t lo = 0, hi = m->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->fam[mid].name, name);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t metrics_find_series(const struct metrics_family *f, const char *labels, int *found)
{
	size_t lo = 0, hi = f->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(f->series[mid].labels, labels);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Grow an array of elem-sized items so one more fits. 0 or -ENOMEM. */
static int metrics_reserve(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*v, ncap * elem);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

static struct metrics_family *metrics_family(struct metrics *m, const char *name, const char *help,
                                             enum metrics_type type)
{
	struct metrics_family *f;
	size_t at;
	int found;
	char *n, *h;

	at = metrics_find_family(m, name, &found);
	if (found)
		return m->fam[at].type == type ? &m->fam[at] : NULL;
	if (metrics_reserve((void **)&m->fam, &m->cap, m->n, sizeof(*m->fam)) < 0)
		return NULL;
	n = strdup(name);
	h = strdup(help ? help : "");
	if (!n || !h) {
		free(n);
		free(h);
		return NULL;
	}
	memmove(&m->fam[at + 1], &m->fam[at], (m->n - at) * sizeof(*m->fam));
	f = &m->fam[at];
	memset(f, 0, sizeof(*f));
	f->name = n;
	f->help = h;
	f->type = type;
	m->n++;
	return f;
}

static struct metrics_series *metrics_series(struct metrics_family *f, const char *labels)
{
	struct metrics_series *s;
	size_t at;
	int found;
	char *l;

	at = metrics_find_series(f, labels, &found);
	if (found)
		return &f->series[at];
	if (metrics_reserve((void **)&f->series, &f->cap, f->n, sizeof(*f->series)) < 0)
		return NULL;
	l = strdup(labels);
	if (!l)
		return NULL;
	memmove(&f->series[at + 1], &f->series[at], (f->n - at) * sizeof(*f->series));
	s = &f->series[at];
	memset(s, 0, sizeof(*s));
	s->labels = l;
	f->n++;
	return s;
}

/*
 * Find or create the series and apply one update under the lock. Bad
 * names, malformed label sets, a type clash with the family's first use
 * and allocation failure all drop the update: metrics never fail callers.
 */
static void metrics_update(struct metrics *m, const char *name, const char *help,
                           const char *labels, enum metrics_type type, int set, double v)
{
	struct metrics_family *f;
	struct metrics_series *s;
	size_t i;

	if (!m || !metrics_name_ok(name) || isnan(v))
		return;
	if (!labels)
		labels = "";
	if (!metrics_labels_ok(labels))
		return;
	if (type == MT_COUNTER && v < 0)
		return;
	pthread_mutex_lock(&m->mu);
	f = metrics_family(m, name, help, type);
	s = f ? metrics_series(f, labels) : NULL;
	if (s && type == MT_HISTOGRAM) {
		for (i = 0; i < METRICS_NBUCKETS; i++)
			if (v <= metrics_le[i])
				s->buckets[i]++;
		s->count++;
		s->value += v;
	} else if (s) {
		s->value = set ? v : s->value + v;
	}
	pthread_mutex_unlock(&m->mu);
}

void metrics_counter_add(struct metrics *m, const char *name, const char *help, const char *labels,
                         double v)
{
	metrics_update(m, name, help, labels, MT_COUNTER, 0, v);
}

void metrics_counter_set(struct metrics *m, const char *name, const char *help, const char *labels,
                         double v)
{
	metrics_update(m, name, help, labels, MT_COUNTER, 1, v);
}

void metrics_gauge_set(struct metrics *m, const char *name, const char *help, const char *labels,
                       double v)
{
	metrics_update(m, name, help, labels, MT_GAUGE, 1, v);
}

void metrics_gauge_add(struct metrics *m, const char *name, const char *help, const char *labels,
                       double v)
{
	metrics_update(m, name, help, labels, MT_GAUGE, 0, v);
}

void metrics_observe(struct metrics *m, const char *name, const char *help, const char *labels,
                     double seconds)
{
	metrics_update(m, name, help, labels, MT_HISTOGRAM, 0, seconds);
}

/* Integers print plainly; anything else in the shortest form that reads
 * back to the same double. */
static void metrics_fmt(double v, char out[40])
{
	int p;

	if (isnan(v)) {
		snprintf(out, 40, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, 40, "%s", v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		snprintf(out, 40, "%.0f", v);
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(out, 40, "%.*g", p, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

/* HELP text escapes backslash and newline only. */
static int metrics_put_help(struct buf *out, const char *help)
{
	int r = 0;

	for (; r == 0 && *help; help++) {
		if (*help == '\\')
			r = buf_puts(out, "\\\\");
		else if (*help == '\n')
			r = buf_puts(out, "\\n");
		else
			r = buf_append(out, help, 1);
	}
	return r;
}

static int metrics_render_series(struct buf *out, const struct metrics_family *f,
                                 const struct metrics_series *s)
{
	const char *sep = s->labels[0] ? "," : "";
	char num[40], le[40];
	size_t i;
	int r = 0;

	if (f->type != MT_HISTOGRAM) {
		metrics_fmt(s->value, num);
		if (s->labels[0])
			return buf_printf(out, "%s{%s} %s\n", f->name, s->labels, num);
		return buf_printf(out, "%s %s\n", f->name, num);
	}
	for (i = 0; r == 0 && i <= METRICS_NBUCKETS; i++) {
		uint64_t c = i < METRICS_NBUCKETS ? s->buckets[i] : s->count;

		metrics_fmt(i < METRICS_NBUCKETS ? metrics_le[i] : INFINITY, le);
		r = buf_printf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", f->name, s->labels, sep, le,
		               (unsigned long long)c);
	}
	metrics_fmt(s->value, num);
	if (r == 0 && s->labels[0])
		r = buf_printf(out, "%s_sum{%s} %s\n%s_count{%s} %llu\n", f->name, s->labels, num,
		               f->name, s->labels, (unsigned long long)s->count);
	else if (r == 0)
		r = buf_printf(out, "%s_sum %s\n%s_count %llu\n", f->name, num, f->name,
		               (unsigned long long)s->count);
	return r;
}

int metrics_render(struct metrics *m, struct buf *out)
{
	size_t i, j;
	int r = 0;

	pthread_mutex_lock(&m->mu);
	for (i = 0; r == 0 && i < m->n; i++) {
		const struct metrics_family *f = &m->fam[i];

		r = buf_printf(out, "# HELP %s ", f->name);
		if (r == 0)
			r = metrics_put_help(out, f->help);
		if (r == 0)
			r = buf_printf(out, "\n# TYPE %s %s\n", f->name,
			               metrics_type_names[f->type]);
		for (j = 0; r == 0 && j < f->n; j++)
			r = metrics_render_series(out, f, &f->series[j]);
	}
	pthread_mutex_unlock(&m->mu);
	return r;
}

double metrics_value(struct metrics *m, const char *name, const char *labels)
{
	double v = 0;
	size_t at;
	int found;

	if (!m || !name)
		return 0;
	pthread_mutex_lock(&m->mu);
	at = metrics_find_family(m, name, &found);
	if (found) {
		const struct metrics_family *f = &m->fam[at];
		size_t s = metrics_find_series(f, labels ? labels : "", &found);

		if (found)
			v = f->type == MT_HISTOGRAM ? (double)f->series[s].count
			                            : f->series[s].value;
	}
	pthread_mutex_unlock(&m->mu);
	return v;
}

const char *metrics_labels(struct buf *out, ...)
{
	const char *k, *v;
	va_list ap;
	int r = 0, first = 1;

	buf_reset(out);
	va_start(ap, out);
	while (r == 0 && (k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (!v)
			v = "";
		if (!first)
			r = buf_append(out, ",", 1);
		if (r == 0)
			r = buf_puts(out, k);
		if (r == 0)
			r = buf_append(out, "=\"", 2);
		/* Runs of plain bytes at once; \ " and newline escaped. */
		while (r == 0 && *v) {
			size_t n = strcspn(v, "\\\"\n");

			if (n)
				r = buf_append(out, v, n);
			v += n;
			if (r == 0 && *v) {
				r = buf_puts(out, *v == '\\' ? "\\\\" : *v == '"' ? "\\\"" : "\\n");
				v++;
			}
		}
		if (r == 0)
			r = buf_append(out, "\"", 1);
		first = 0;
	}
	va_end(ap);
	if (r < 0) {
		buf_reset(out);
		return "";
	}
	return out->data ? out->data : "";
}

void metrics_observe_api(void *ud, const char *verb, long code, double seconds)
{
	const struct metrics_api *a = ud;
	struct buf name = BUF_INIT(256), l = BUF_INIT(256);
	char num[24]; /* any long */

	if (!a || !a->prefix)
		return;
	snprintf(num, sizeof(num), "%ld", code);
	if (buf_printf(&name, "%s_api_requests_total", a->prefix) == 0)
		metrics_counter_add(
		    a->m, name.data,
		    "Kubernetes API requests by verb and HTTP code (0: no answer).",
		    metrics_labels(&l, "verb", verb, "code", num, (const char *)NULL), 1);
	buf_reset(&name);
	if (buf_printf(&name, "%s_api_request_duration_seconds", a->prefix) == 0)
		metrics_observe(a->m, name.data, "Kubernetes API request latency by verb.",
		                metrics_labels(&l, "verb", verb, (const char *)NULL), seconds);
	buf_free(&name);
	buf_free(&l);
}

/*
 * cron.c - the standard 5-field cron grammar the Kubernetes CronJob
 * controller accepts (robfig/cron ParseStandard), and next-run search.
 */
#include "compat.h"

#include "cron.h"

#include <ctype.h>
#include <errno.h>
#include <strings.h>

#include "limits.h"

/* One field's bounds and vocabulary. star_max is the top of `*`: day of
 * week accepts 7 for Sunday but `*` means 0-6. */
struct cron_field {
	const char *what; /* "minute", used in reasons */
	unsigned min, max, star_max;
	const char *const *names; /* names[i] is value min+i, or NULL */
	size_t nnames;
};

static const char *const cron_months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const cron_days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const struct cron_field cron_fields[5] = {
    {"minute", 0, 59, 59, NULL, 0},
    {"hour", 0, 23, 23, NULL, 0},
    {"day of month", 1, 31, 31, NULL, 0},
    {"month", 1, 12, 12, cron_months, TK_ARRAY_LEN(cron_months)},
    {"day of week", 0, 7, 6, cron_days, TK_ARRAY_LEN(cron_days)},
};

static const struct {
	const char *name;
	const char *expr;
} cron_macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

static void cron_why(struct buf *why, const char *fmt, ...) TK_PRINTF(2, 3);

static void cron_why(struct buf *why, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return;
	buf_reset(why);
	va_start(ap, fmt);
	/* A reason that does not fit is dropped; the -EINVAL still stands. */
	if (buf_vprintf(why, fmt, ap) < 0)
		buf_reset(why);
	va_end(ap);
}

/* Reason text quotes user input; keep it printable and short. */
static void cron_why_quoted(struct buf *why, const char *prefix, const char *s, size_t n,
                            const char *suffix)
{
	char q[48];
	size_t i, o = 0;

	for (i = 0; i < n && o < sizeof(q) - 4; i++) {
		unsigned char c = (unsigned char)s[i];

		q[o++] = (char)(isprint(c) && c != '"' && c != '\\' ? c : '?');
	}
	if (i < n) {
		q[o++] = '.';
		q[o++] = '.';
		q[o++] = '.';
	}
	q[o] = '\0';
	cron_why(why, "%s\"%s\"%s", prefix, q, suffix);
}

static int cron_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * One value: a number or, where the field has names, a three-letter name.
 * 0 and *out, or -EINVAL with the reason written.
 */
static int cron_value(const struct cron_field *f, const char *s, size_t n, unsigned *out,
                      struct buf *why)
{
	int64_t v;
	size_t i;

	if (n == 0) {
		cron_why(why, "%s must not have an empty value", f->what);
		return -EINVAL;
	}
	if (f->names && isalpha((unsigned char)s[0])) {
		char pre[64];

		for (i = 0; n == 3 && i < f->nnames; i++) {
			if (strncasecmp(s, f->names[i], 3) == 0) {
				*out = f->min + (unsigned)i;
				return 0;
			}
		}
		snprintf(pre, sizeof(pre), "unknown %s name ", f->what);
		cron_why_quoted(why, pre, s, n, "");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i])) {
			char pre[64];

			snprintf(pre, sizeof(pre), "%s must be a number, got ", f->what);
			cron_why_quoted(why, pre, s, n, "");
			return -EINVAL;
		}
	}
	if (parse_i64n(s, n, f->min, f->max, &v) < 0) {
		cron_why(why, "%s must be %u-%u", f->what, f->min, f->max);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* One list element: `*`, `?`, a, a-b, each optionally /step. Sets bits
 * in *bits (bit n for value n) and *star when the element is a bare star. */
static int cron_range(const struct cron_field *f, const char *s, size_t n, uint64_t *bits,
                      int *star, struct buf *why)
{
	const char *slash = memchr(s, '/', n);
	size_t rlen = slash ? (size_t)(slash - s) : n;
	const char *dash;
	unsigned lo, hi;
	uint64_t step = 1, v;
	int is_star = 0;

	if (rlen == 1 && (s[0] == '*' || s[0] == '?')) {
		lo = f->min;
		hi = f->star_max;
		is_star = 1;
	} else {
		dash = memchr(s, '-', rlen);
		if (cron_value(f, s, dash ? (size_t)(dash - s) : rlen, &lo, why) < 0)
			return -EINVAL;
		hi = lo;
		if (dash && cron_value(f, dash + 1, rlen - (size_t)(dash + 1 - s), &hi, why) < 0)
			return -EINVAL;
		if (lo > hi) {
			cron_why(why, "%s: range start must not exceed its end", f->what);
			return -EINVAL;
		}
		/* `a/n` runs from a to the top of the field. */
		if (slash && !dash)
			hi = f->star_max > lo ? f->star_max : lo;
	}
	if (slash) {
		int64_t st;

		if (parse_i64n(slash + 1, n - rlen - 1, 1, INT32_MAX, &st) < 0) {
			cron_why(why, "%s: step must be a positive number", f->what);
			return -EINVAL;
		}
		step = (uint64_t)st;
		if (step > 1)
			is_star = 0;
	}
	for (v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << v;
	*star |= is_star;
	return 0;
}

static int cron_field_parse(const struct cron_field *f, const char *s, size_t n, uint64_t *bits,
                            int *star, struct buf *why)
{
	size_t i = 0;

	*bits = 0;
	*star = 0;
	for (;;) {
		const char *comma = memchr(s + i, ',', n - i);
		size_t end = comma ? (size_t)(comma - s) : n;

		if (cron_range(f, s + i, end - i, bits, star, why) < 0)
			return -EINVAL;
		if (!comma)
			return 0;
		i = end + 1;
	}
}

static int cron_parse_fields(const char *s, size_t len, struct cron_expr *out, struct buf *why)
{
	const char *start[6];
	size_t flen[6];
	size_t nf = 0, i = 0;
	uint64_t bits[5];
	int star[5];

	while (i < len) {
		while (i < len && cron_is_space(s[i]))
			i++;
		if (i == len)
			break;
		if (nf < 6)
			start[nf] = s + i;
		while (i < len && !cron_is_space(s[i]))
			i++;
		if (nf < 6)
			flen[nf] = (size_t)(s + i - start[nf]);
		nf++;
	}
	if (nf != 5) {
		cron_why(why, "expected exactly 5 fields, found %zu", nf);
		return -EINVAL;
	}
	for (i = 0; i < 5; i++)
		if (cron_field_parse(&cron_fields[i], start[i], flen[i], &bits[i], &star[i], why) <
		    0)
			return -EINVAL;
	/* Day of week 7 is Sunday. */
	if (bits[4] & (1u << 7))
		bits[4] = (bits[4] & ~(uint64_t)(1u << 7)) | 1u;
	out->minute = bits[0];
	out->hour = (uint32_t)bits[1];
	out->dom = (uint32_t)bits[2];
	out->month = (uint16_t)bits[3];
	out->dow = (uint8_t)bits[4];
	out->dom_star = (uint8_t)star[2];
	out->dow_star = (uint8_t)star[4];
	return 0;
}

int cron_parse(const char *s, size_t len, struct cron_expr *out, struct buf *why)
{
	struct cron_expr e;
	size_t i, b = 0, end = len;

	if (len > TK_MAX_CRON_LEN) {
		cron_why(why, "must be no more than %u characters", (unsigned)TK_MAX_CRON_LEN);
		return -EINVAL;
	}
	if (memchr(s, '\0', len)) {
		cron_why(why, "must not contain NUL characters");
		return -EINVAL;
	}
	while (b < end && cron_is_space(s[b]))
		b++;
	while (end > b && cron_is_space(s[end - 1]))
		end--;
	if (b == end) {
		cron_why(why, "must not be empty");
		return -EINVAL;
	}
	if ((end - b >= 3 && memcmp(s + b, "TZ=", 3) == 0) ||
	    (end - b >= 8 && memcmp(s + b, "CRON_TZ=", 8) == 0)) {
		cron_why(why, "TZ= and CRON_TZ= prefixes are not supported: use spec.timezone");
		return -EINVAL;
	}
	memset(&e, 0, sizeof(e));
	if (s[b] == '@') {
		for (i = 0; i < TK_ARRAY_LEN(cron_macros); i++) {
			const char *m = cron_macros[i].name;

			if (strlen(m) == end - b && memcmp(s + b, m, end - b) == 0) {
				const char *x = cron_macros[i].expr;

				if (cron_parse_fields(x, strlen(x), &e, why) < 0)
					return -EINVAL;
				*out = e;
				return 0;
			}
		}
		if (end - b >= 6 && memcmp(s + b, "@every", 6) == 0)
			cron_why(why, "@every is not supported by CronJob schedules");
		else
			cron_why_quoted(why, "unknown macro ", s + b, end - b,
			                ": use @yearly, @annually, @monthly, @weekly, @daily, "
			                "@midnight or @hourly");
		return -EINVAL;
	}
	if (cron_parse_fields(s + b, end - b, &e, why) < 0)
		return -EINVAL;
	*out = e;
	return 0;
}

/* robfig/cron: when either day field is a bare star the two are ANDed,
 * otherwise a day matching either field matches. */
static int cron_day_matches(const struct cron_expr *e, const struct tm *tm)
{
	int dom = (e->dom >> tm->tm_mday) & 1;
	int dow = (e->dow >> tm->tm_wday) & 1;

	if (e->dom_star || e->dow_star)
		return dom && dow;
	return dom || dow;
}

int cron_next(const struct cron_expr *e, time_t t, time_t *out)
{
	struct tm tm;
	time_t cur;
	int limit_year;

	if (!e->minute || !e->hour || !e->dom || !e->month || !e->dow)
		return -ERANGE;
	if (t > (time_t)INT64_C(253402300799) || t < (time_t)INT64_C(-62135596800))
		return -ERANGE; /* outside years 1-9999 */
	cur = t - (((t % 60) + 60) % 60) + 60;
	if (!gmtime_r(&cur, &tm))
		return -ERANGE;
	limit_year = tm.tm_year + 5;
	for (;;) {
		if (tm.tm_year > limit_year)
			return -ERANGE;
		if (!((e->month >> (tm.tm_mon + 1)) & 1)) {
			tm.tm_mon++;
			tm.tm_mday = 1;
			tm.tm_hour = 0;
			tm.tm_min = 0;
		} else if (!cron_day_matches(e, &tm)) {
			tm.tm_mday++;
			tm.tm_hour = 0;
			tm.tm_min = 0;
		} else if (!((e->hour >> tm.tm_hour) & 1)) {
			tm.tm_hour++;
			tm.tm_min = 0;
		} else if (!((e->minute >> tm.tm_min) & 1)) {
			tm.tm_min++;
		} else {
			*out = cur;
			return 0;
		}
		tm.tm_sec = 0;
		tm.tm_isdst = 0;
		cur = timegm(&tm);
		if (cur == (time_t)-1 || !gmtime_r(&cur, &tm))
			return -ERANGE;
	}
}

/*
 * quantity.c - resource.Quantity parsing and exact comparison, on decimal
 * digit strings (no floating point anywhere).
 */
#include "compat.h"

#include "quantity.h"

#include <errno.h>
#include <limits.h>

#define QTY_FORMAT_MSG                                                                             \
	"quantities must match the regular expression "                                            \
	"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define QTY_SUFFIX_MSG "unable to parse quantity's suffix"
#define QTY_DIGITS_MSG "quantity has too many significant digits"
#define QTY_RANGE_MSG  "quantity exponent is out of range"

/* Digits parsed before rounding; more than this is refused outright. */
#define QTY_WORK_DIGITS      256
#define QTY_MAX_INPUT_DIGITS 192

/* A magnitude being built: d[0..n) most significant first, values 0-9. */
struct qty_num {
	unsigned char d[QTY_WORK_DIGITS];
	size_t n;
	int64_t scale10;
};

static int qty_fail(struct buf *why, const char *msg)
{
	if (why) {
		buf_reset(why);
		if (buf_puts(why, msg) < 0)
			buf_reset(why);
	}
	return -EINVAL;
}

static int qty_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The suffix: base 10 or 2 and its exponent. 0, or -EINVAL when unknown.
 * Decimal SI wins over the exponent form, so "E" is exa and "E3" is 10^3.
 */
static int qty_suffix(const char *s, size_t n, int *base, int64_t *exp)
{
	static const char dec[] = "numkMGTPE";
	static const int dec_exp[] = {-9, -6, -3, 3, 6, 9, 12, 15, 18};
	static const char bin[] = "KMGTPE";
	const char *p;
	size_t i = 1;

	*base = 10;
	*exp = 0;
	if (n == 0)
		return 0;
	if (n == 1 && (p = memchr(dec, s[0], sizeof(dec) - 1)) != NULL) {
		*exp = dec_exp[p - dec];
		return 0;
	}
	if (n == 2 && s[1] == 'i' && (p = memchr(bin, s[0], sizeof(bin) - 1)) != NULL) {
		*base = 2;
		*exp = 10 * (p - bin + 1);
		return 0;
	}
	if (n > 1 && (s[0] == 'e' || s[0] == 'E')) {
		/* strconv.ParseInt(s[1:], 10, 32): an optional sign, then digits. */
		if (s[1] == '+')
			i = 2;
		if (parse_i64n(s + i, n - i, INT32_MIN, INT32_MAX, exp) == 0 &&
		    (i == 1 || qty_isdigit(s[2]))) {
			return 0;
		}
	}
	return -EINVAL;
}

/* Multiply by 2^k, k <= 60, in place. */
static void qty_mul_pow2(struct qty_num *q, int k)
{
	while (k > 0) {
		int step = k > 10 ? 10 : k;
		unsigned mul = 1u << step;
		unsigned carry = 0;
		size_t i;

		for (i = q->n; i-- > 0;) {
			unsigned v = q->d[i] * mul + carry;

			q->d[i] = (unsigned char)(v % 10);
			carry = v / 10;
		}
		while (carry) {
			memmove(q->d + 1, q->d, q->n);
			q->d[0] = (unsigned char)(carry % 10);
			carry /= 10;
			q->n++;
		}
		k -= step;
	}
}

/* Round a non-zero magnitude away from zero to a multiple of 10^-9, as
 * ParseQuantity does with inf.RoundUp at nano scale. */
static void qty_round_nano(struct qty_num *q)
{
	int64_t drop;
	size_t i, keep;
	int up = 0;

	if (q->n == 0 || q->scale10 >= -9)
		return;
	drop = -9 - q->scale10;
	q->scale10 = -9;
	if ((uint64_t)drop >= q->n) {
		q->d[0] = 1;
		q->n = 1;
		return;
	}
	keep = q->n - (size_t)drop;
	for (i = keep; i < q->n; i++)
		up |= q->d[i] != 0;
	q->n = keep;
	if (!up)
		return;
	for (i = keep; i-- > 0;) {
		if (q->d[i] < 9) {
			q->d[i]++;
			return;
		}
		q->d[i] = 0;
	}
	memmove(q->d + 1, q->d, q->n);
	q->d[0] = 1;
	q->n++;
}

/* Drop leading zeros and move trailing zeros into the exponent. */
static void qty_normalize(struct qty_num *q)
{
	size_t lead = 0;

	while (lead < q->n && q->d[lead] == 0)
		lead++;
	memmove(q->d, q->d + lead, q->n - lead);
	q->n -= lead;
	while (q->n > 0 && q->d[q->n - 1] == 0) {
		q->n--;
		q->scale10++;
	}
	if (q->n == 0)
		q->scale10 = 0;
}

static int qty_cmp_mag(const char *da, int64_t sa, const char *db, int64_t sb)
{
	size_t na = strlen(da), nb = strlen(db), i;
	int64_t ma, mb;

	if (na == 0 || nb == 0)
		return (na != 0) - (nb != 0);
	/* Position of the most significant digit decides first. */
	ma = (int64_t)na + sa;
	mb = (int64_t)nb + sb;
	if (ma != mb)
		return ma < mb ? -1 : 1;
	for (i = 0; i < na && i < nb; i++)
		if (da[i] != db[i])
			return da[i] < db[i] ? -1 : 1;
	/* Without trailing zeros, the longer one has more non-zero digits. */
	return (na > nb) - (na < nb);
}

/* ParseQuantity caps binary-suffixed values at 2^63-1. */
static void qty_cap_binary(struct qty_num *q)
{
	static const char max[] = "9223372036854775807";
	char cur[QTY_WORK_DIGITS + 1];
	size_t i;

	for (i = 0; i < q->n; i++)
		cur[i] = (char)('0' + q->d[i]);
	cur[q->n] = '\0';
	if (qty_cmp_mag(cur, q->scale10, max, 0) <= 0)
		return;
	q->n = sizeof(max) - 1;
	for (i = 0; i < q->n; i++)
		q->d[i] = (unsigned char)(max[i] - '0');
	q->scale10 = 0;
}

/* The lexical part: sign, digits, optional fraction, then the suffix
 * character classes exactly as parseQuantityString scans them. */
static int qty_scan(const char *s, size_t len, struct qty_num *q, int *neg, size_t *suffix_at,
                    struct buf *why)
{
	size_t i = 0, ndig = 0, frac = 0;
	int dot = 0;

	*neg = 0;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		*neg = s[i++] == '-';
	q->n = 0;
	for (; i < len && (qty_isdigit(s[i]) || (s[i] == '.' && !dot)); i++) {
		if (s[i] == '.') {
			dot = 1;
			continue;
		}
		ndig++;
		frac += dot;
		if (q->n == 0 && s[i] == '0')
			continue;
		if (q->n == QTY_MAX_INPUT_DIGITS)
			return qty_fail(why, QTY_DIGITS_MSG);
		q->d[q->n++] = (unsigned char)(s[i] - '0');
	}
	if (ndig == 0)
		return qty_fail(why, QTY_FORMAT_MSG);
	q->scale10 = -(int64_t)frac;
	*suffix_at = i;
	while (i < len && memchr("eEinumkKMGTP", s[i], 12))
		i++;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < len && qty_isdigit(s[i]))
		i++;
	if (i != len)
		return qty_fail(why, QTY_FORMAT_MSG);
	return 0;
}

int quantity_parse(const char *s, size_t len, struct quantity *out, struct buf *why)
{
	struct qty_num q;
	size_t suffix_at = 0, i;
	int64_t exp;
	int neg, base;

	if (!s || len == 0)
		return qty_fail(why, QTY_FORMAT_MSG);
	if (qty_scan(s, len, &q, &neg, &suffix_at, why) < 0)
		return -EINVAL;
	if (qty_suffix(s + suffix_at, len - suffix_at, &base, &exp) < 0)
		return qty_fail(why, QTY_SUFFIX_MSG);
	if (base == 2)
		qty_mul_pow2(&q, (int)exp);
	else
		q.scale10 += exp;
	qty_normalize(&q);
	qty_round_nano(&q);
	if (base == 2)
		qty_cap_binary(&q);
	qty_normalize(&q);
	if (q.n >= sizeof(out->digits))
		return qty_fail(why, QTY_DIGITS_MSG);
	if (q.scale10 < INT_MIN || q.scale10 > INT_MAX)
		return qty_fail(why, QTY_RANGE_MSG);
	out->neg = q.n ? neg : 0;
	for (i = 0; i < q.n; i++)
		out->digits[i] = (char)('0' + q.d[i]);
	out->digits[q.n] = '\0';
	out->scale10 = (int)q.scale10;
	out->scale2 = 0;
	return 0;
}

int quantity_sign(const struct quantity *q)
{
	if (!q->digits[0])
		return 0;
	return q->neg ? -1 : 1;
}

int quantity_cmp(const struct quantity *a, const struct quantity *b)
{
	int sa = quantity_sign(a), sb = quantity_sign(b), m;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	m = qty_cmp_mag(a->digits, a->scale10, b->digits, b->scale10);
	return sa < 0 ? -m : m;
}

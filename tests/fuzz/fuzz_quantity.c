/*
 * fuzz_quantity.c - libFuzzer target for quantity_parse and quantity_cmp.
 *
 * The input is split at the first '|' into up to three quantities.
 * Invariants: parsing never crashes and always explains a rejection; an
 * accepted value is canonical (digits only, no leading or trailing zeros,
 * zero is never negative); it re-parses from its canonical text to an
 * equal value; comparison is reflexive, antisymmetric and transitive.
 */
#include "compat.h"

#include <errno.h>
#include <stdint.h>

#include "quantity.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_quantity: invariant failed: %s (line %d)\n", #c,     \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void check_canonical(const struct quantity *q)
{
	size_t n = strlen(q->digits), i;
	struct quantity back;
	char text[128];
	int len;

	CHECK(n < sizeof(q->digits));
	for (i = 0; i < n; i++)
		CHECK(q->digits[i] >= '0' && q->digits[i] <= '9');
	if (n == 0) {
		CHECK(!q->neg && q->scale10 == 0 && quantity_sign(q) == 0);
	} else {
		CHECK(q->digits[0] != '0' && q->digits[n - 1] != '0');
		CHECK(quantity_sign(q) == (q->neg ? -1 : 1));
		/* Nothing finer than a nano survives parsing. */
		CHECK(q->scale10 >= -9);
	}
	CHECK(q->scale2 == 0);
	CHECK(quantity_cmp(q, q) == 0);
	/* Canonical text re-parses to the same value when the exponent fits. */
	if (q->scale10 >= INT32_MIN + 100 && q->scale10 <= INT32_MAX - 100) {
		len = snprintf(text, sizeof(text), "%s%se%d", q->neg ? "-" : "",
		               n ? q->digits : "0", q->scale10);
		CHECK(len > 0 && (size_t)len < sizeof(text));
		CHECK(quantity_parse(text, (size_t)len, &back, NULL) == 0);
		CHECK(quantity_cmp(q, &back) == 0);
		CHECK(strcmp(q->digits, back.digits) == 0 && q->scale10 == back.scale10);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quantity q[3];
	struct buf why = BUF_INIT(1024);
	const char *p = (const char *)data, *end = p + size;
	int ok[3] = {0, 0, 0};
	size_t k, i, j;

	for (k = 0; k < 3 && p <= end; k++) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		size_t n = bar ? (size_t)(bar - p) : (size_t)(end - p);
		int r = quantity_parse(p, n, &q[k], &why);

		CHECK(r == 0 || r == -EINVAL);
		if (r == 0) {
			ok[k] = 1;
			check_canonical(&q[k]);
		} else {
			CHECK(why.len > 0);
		}
		if (!bar)
			break;
		p = bar + 1;
	}
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++) {
			if (!ok[i] || !ok[j])
				continue;
			CHECK(quantity_cmp(&q[i], &q[j]) == -quantity_cmp(&q[j], &q[i]));
		}
	}
	if (ok[0] && ok[1] && ok[2]) {
		int ab = quantity_cmp(&q[0], &q[1]), bc = quantity_cmp(&q[1], &q[2]);
		int ac = quantity_cmp(&q[0], &q[2]);

		if (ab <= 0 && bc <= 0)
			CHECK(ac <= 0 && (ab == 0 && bc == 0 ? ac == 0 : ac < 0));
		if (ab >= 0 && bc >= 0)
			CHECK(ac >= 0 && (ab == 0 && bc == 0 ? ac == 0 : ac > 0));
	}
	buf_free(&why);
	return 0;
}

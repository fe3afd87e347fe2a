/*
 * quantity.h - Kubernetes resource quantities (k8s.io/apimachinery
 * resource.Quantity grammar): <sign?><digits>[.<digits>][<suffix>] where
 * suffix is a binary SI (Ki Mi Gi Ti Pi Ei), a decimal SI (n u m "" k M G
 * T P E) or a decimal exponent (e3, E-2). Pure.
 */
#ifndef THURKUBE_QUANTITY_H
#define THURKUBE_QUANTITY_H

#include "compat.h"

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct quantity {
	/* Exact value = sign * (mant / 10^frac_digits) * base^exp, kept
	 * so that comparisons are exact for everything the grammar allows. */
	int neg;
	char digits[64]; /* significant decimal digits, no leading zeros */
	int scale10;     /* value = digits * 10^scale10 * 2^scale2 */
	int scale2;
};

/* Parse (s, len). 0, or -EINVAL with a reason in why (may be NULL),
 * e.g. "quantities must match the regular expression
 * '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'". */
int quantity_parse(const char *s, size_t len, struct quantity *out, struct buf *why) TK_MUST_CHECK;
/* -1, 0 or 1 as a < b, a == b, a > b. */
int quantity_cmp(const struct quantity *a, const struct quantity *b);

#endif

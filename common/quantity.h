/*
 * quantity.h - Kubernetes resource quantities (k8s.io/apimachinery
 * resource.Quantity grammar): <sign?><digits>[.<digits>][<suffix>] where
 * suffix is a binary SI (Ki Mi Gi Ti Pi Ei), a decimal SI (n u m "" k M G
 * T P E) or a decimal exponent (e3, E-2, an int32). At least one digit is
 * required (".5" and "1." are fine, "." and a lone "Ki" are not). Pure.
 *
 * Values are kept exactly, as the API server keeps them: a non-zero value
 * finer than 1n is rounded away from zero to the next nano ("0.1n" is
 * "1n"), and a binary-suffixed value above 2^63-1 is capped there, both as
 * resource.ParseQuantity does.
 */
#ifndef THURKUBE_QUANTITY_H
#define THURKUBE_QUANTITY_H

#include "compat.h"

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct quantity {
	/* Exact value = (neg ? -1 : 1) * digits * 10^scale10. digits holds the
	 * significant decimal digits without leading or trailing zeros ("" for
	 * zero, which is never negative). */
	int neg;
	char digits[64];
	int scale10;
	int scale2; /* always 0: binary suffixes are folded into digits */
};

/*
 * Parse (s, len); no whitespace anywhere. 0 and *out, or -EINVAL (out
 * untouched) with the API server's reason in why when why is non-NULL
 * (replacing its contents): "quantities must match the regular expression
 * '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" for a malformed string,
 * "unable to parse quantity's suffix" for an unknown suffix such as "K",
 * "quantity has too many significant digits" past 63 digits (the API
 * server would accept them; no real resource needs them).
 */
int quantity_parse(const char *s, size_t len, struct quantity *out, struct buf *why) TK_MUST_CHECK;
/* -1, 0 or 1 as a < b, a == b, a > b; exact ("1Gi" == "1073741824",
 * "0.5" == "500m", "1e3" == "1k"). */
int quantity_cmp(const struct quantity *a, const struct quantity *b);
/* -1, 0 or 1 as q is negative, zero or positive. */
int quantity_sign(const struct quantity *q);

#endif

/*
 * cidr.h - IPv4 and IPv6 CIDR blocks: parse, compare, format.
 *
 * Used by the schema (spec.network.allow of an AgentRuntime) and by the
 * controller when it writes a NetworkPolicy's ipBlock. Pure.
 */
#ifndef THURKUBE_CIDR_H
#define THURKUBE_CIDR_H

#include "compat.h"

#include <stdbool.h>
#include <stddef.h>

struct cidr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network byte order; 4 bytes used for AF_INET */
	unsigned prefix;        /* 0..32 or 0..128 */
};

/* Longest text cidr_format writes, NUL included. */
#define CIDR_TEXT_MAX 50

/*
 * Parse "a.b.c.d/n" or "x:y::z/n" (the prefix is required). Outcomes:
 *   0        *out holds the block;
 *   -EINVAL  not an address and prefix (why says which part);
 *   -ERANGE  a valid address with bits set past the prefix ("10.0.0.1/8"):
 *            *out holds the block with those bits cleared, the form
 *            the caller should suggest.
 * why (may be NULL) is a static phrase.
 */
int cidr_parse(const char *s, struct cidr *out, const char **why);

/* True when every address of inner is in outer (same family). */
bool cidr_contains(const struct cidr *outer, const struct cidr *inner);

/* True when a and b share at least one address. */
bool cidr_overlaps(const struct cidr *a, const struct cidr *b);

/* The canonical text of c ("10.0.0.0/8", "fd00::/8") into out. */
void cidr_format(const struct cidr *c, char out[CIDR_TEXT_MAX]);

#endif

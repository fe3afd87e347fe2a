/* cidr.c - IPv4 and IPv6 CIDR blocks (see cidr.h). */
#include "compat.h"

#include "cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static unsigned bits_of(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Clear the bits of addr past prefix; true when any was set. */
static bool clear_host_bits(unsigned char *addr, unsigned nbits, unsigned prefix)
{
	bool set = false;
	unsigned i;

	for (i = prefix; i < nbits; i++) {
		unsigned char m = (unsigned char)(0x80u >> (i % 8));

		if (addr[i / 8] & m) {
			set = true;
			addr[i / 8] &= (unsigned char)~m;
		}
	}
	return set;
}

int cidr_parse(const char *s, struct cidr *out, const char **why)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash, *p;
	unsigned long prefix = 0;
	size_t n;

	memset(out, 0, sizeof(*out));
	slash = s ? strchr(s, '/') : NULL;
	if (!slash) {
		if (why)
			*why = "must be an IP address and a prefix length, e.g. 10.0.0.0/8";
		return -EINVAL;
	}
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(host)) {
		if (why)
			*why = "must start with an IPv4 or IPv6 address";
		return -EINVAL;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
	} else {
		if (why)
			*why = "must start with an IPv4 or IPv6 address";
		return -EINVAL;
	}
	p = slash + 1;
	/* Decimal digits only, no sign, no leading zero (as Go's ParseCIDR). */
	if (!*p || (p[0] == '0' && p[1]) || strspn(p, "0123456789") != strlen(p) || strlen(p) > 3) {
		if (why)
			*why = "the prefix length must be a decimal number";
		return -EINVAL;
	}
	for (; *p; p++)
		prefix = prefix * 10 + (unsigned long)(*p - '0');
	if (prefix > bits_of(out->family)) {
		if (why)
			*why = out->family == AF_INET ? "the prefix length must be at most 32"
			                              : "the prefix length must be at most 128";
		return -EINVAL;
	}
	out->prefix = (unsigned)prefix;
	if (clear_host_bits(out->addr, bits_of(out->family), out->prefix)) {
		if (why)
			*why = "has bits set past the prefix length";
		return -ERANGE;
	}
	return 0;
}

/* Do a and b agree on their first n bits? */
static bool same_prefix(const unsigned char *a, const unsigned char *b, unsigned n)
{
	unsigned full = n / 8, rest = n % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (!rest)
		return true;
	return ((a[full] ^ b[full]) & (unsigned char)(0xffu << (8 - rest))) == 0;
}

bool cidr_contains(const struct cidr *outer, const struct cidr *inner)
{
	if (outer->family != inner->family || outer->prefix > inner->prefix)
		return false;
	return same_prefix(outer->addr, inner->addr, outer->prefix);
}

bool cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
	return cidr_contains(a, b) || cidr_contains(b, a);
}

void cidr_format(const struct cidr *c, char out[CIDR_TEXT_MAX])
{
	char host[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, host, sizeof(host)))
		snprintf(host, sizeof(host), "?");
	snprintf(out, CIDR_TEXT_MAX, "%s/%u", host, c->prefix);
}

/* shard.c - namespaces to shards (see shard.h). */
#include "compat.h"

#include "model/shard.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jsonutil.h"
#include "names.h"

/* A decimal in [0, max] without sign or leading zero; end is past it. */
static int parse_uint(const char *s, const char **end, unsigned max, unsigned *out)
{
	unsigned long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return -EINVAL;
	}
	*end = p;
	*out = (unsigned)v;
	return 0;
}

int shard_parse(const char *s, struct shard *out, struct buf *why)
{
	const char *p;
	unsigned i, m;

	if (!s || parse_uint(s, &p, SHARD_MAX, &i) < 0 || *p != '/' ||
	    parse_uint(p + 1, &p, SHARD_MAX, &m) < 0 || *p || m < 1 || i >= m) {
		if (why)
			(void)!buf_printf(
			    why, "must be INDEX/COUNT with 0 <= INDEX < COUNT <= %d, got \"%s\"",
			    SHARD_MAX, s ? s : "");
		return -EINVAL;
	}
	out->index = i;
	out->count = m;
	return 0;
}

unsigned shard_of(const char *ns, unsigned count)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;

	if (count <= 1 || !ns)
		return 0;
	for (p = (const unsigned char *)ns; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return (unsigned)(h % count);
}

bool shard_keeps(const struct shard *sh, enum res r, json_object *obj)
{
	const struct res_info *ri = res_info(r);
	const char *ns;

	if (!sh || sh->count <= 1)
		return true;
	if (!ri)
		return false;
	if (ri->namespaced) {
		ns = jsonutil_namespace(obj);
	} else {
		ns = jsonutil_label(obj, NAMES_LABEL_AGENTJOB_NS);
		if (!ns || !*ns)
			ns = jsonutil_label(obj, NAMES_LABEL_CLUSTERACCESS_NS);
		if (!ns || !*ns)
			return sh->index == 0;
	}
	return ns && shard_of(ns, sh->count) == sh->index;
}

int shard_lease_name(const struct shard *sh, char *out, size_t size)
{
	int n;

	if (!sh || sh->count <= 1)
		n = snprintf(out, size, "%s", "thurkube-controller");
	else
		n = snprintf(out, size, "thurkube-controller-shard-%u-of-%u", sh->index, sh->count);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

/*
 * shard.h - which replica set reconciles what, when the controller runs
 * as M shards (--shard i/M).
 *
 * A namespace belongs to shard fnv1a32(namespace) mod M (FNV-1a, 32 bits,
 * over the name's bytes): every object of a namespace, and the
 * cluster-scoped children made for it (by their agentjob-namespace or
 * clusteraccess-namespace label), go to one shard, so a reference, which
 * never leaves its namespace, never crosses shards. Each shard keeps only
 * its own objects in its caches and has a Lease of its own. Pure.
 */
#ifndef THURKUBE_SHARD_H
#define THURKUBE_SHARD_H

#include "compat.h"

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "model/res.h"
#include "util.h"

/* Most shards; far more than one cluster's API server serves watches for. */
#define SHARD_MAX 64

struct shard {
	unsigned index; /* 0..count-1 */
	unsigned count; /* 1: not sharded */
};

#define SHARD_NONE ((struct shard){0, 1})

/*
 * Parse "i/M" (decimal, 0 <= i < M <= SHARD_MAX, no sign, no spaces).
 * 0, or -EINVAL with one line in why (may be NULL).
 */
int shard_parse(const char *s, struct shard *out, struct buf *why) TK_MUST_CHECK;

/* The shard of namespace ns among count (0 when count <= 1). */
unsigned shard_of(const char *ns, unsigned count);

/*
 * Does shard sh keep obj of resource r? Namespaced: its namespace's
 * shard. Cluster-scoped: the shard of its NAMES_LABEL_AGENTJOB_NS label,
 * else of its NAMES_LABEL_CLUSTERACCESS_NS label, else shard 0 (so an
 * unlabelled one has exactly one keeper). Always true when not sharded.
 */
bool shard_keeps(const struct shard *sh, enum res r, json_object *obj);

/*
 * The name of the shard's leader Lease: "thurkube-controller" when not
 * sharded, else "thurkube-controller-shard-<i>-of-<M>". 0 or -ENOSPC.
 */
int shard_lease_name(const struct shard *sh, char *out, size_t size) TK_MUST_CHECK;

#endif

/* kmap.c - chained string hash map, grown at load factor 1. */
#include "compat.h"

#include "runtime/kmap.h"

#include <errno.h>
#include <stdint.h>

struct kmap_ent {
	struct kmap_ent *next;
	uint64_t hash;
	void *val;
	char key[];
};

struct kmap {
	struct kmap_ent **slots;
	size_t nslots; /* power of two */
	size_t len;
};

/* FNV-1a: keys are short object names; no peer controls collisions in a
 * way that matters (the API server already accepted the names). */
static uint64_t kmap_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

struct kmap *kmap_new(void)
{
	struct kmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nslots = 16;
	m->slots = calloc(m->nslots, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void kmap_free(struct kmap *m, void (*free_val)(void *))
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nslots; i++) {
		struct kmap_ent *e = m->slots[i];

		while (e) {
			struct kmap_ent *next = e->next;

			if (free_val)
				free_val(e->val);
			free(e);
			e = next;
		}
	}
	free(m->slots);
	free(m);
}

static struct kmap_ent **kmap_find(const struct kmap *m, const char *key, uint64_t h)
{
	struct kmap_ent **pp = &m->slots[h & (m->nslots - 1)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == h && strcmp((*pp)->key, key) == 0)
			return pp;
	return pp;
}

void *kmap_get(const struct kmap *m, const char *key)
{
	struct kmap_ent **pp = kmap_find(m, key, kmap_hash(key));

	return *pp ? (*pp)->val : NULL;
}

/* Double the table; on allocation failure keep the old one (longer chains
 * are slower, not wrong). */
static void kmap_grow(struct kmap *m)
{
	size_t n = m->nslots * 2, i;
	struct kmap_ent **slots = calloc(n, sizeof(*slots));

	if (!slots)
		return;
	for (i = 0; i < m->nslots; i++) {
		struct kmap_ent *e = m->slots[i];

		while (e) {
			struct kmap_ent *next = e->next;

			e->next = slots[e->hash & (n - 1)];
			slots[e->hash & (n - 1)] = e;
			e = next;
		}
	}
	free(m->slots);
	m->slots = slots;
	m->nslots = n;
}

int kmap_put(struct kmap *m, const char *key, void *val, void **old)
{
	uint64_t h = kmap_hash(key);
	struct kmap_ent **pp = kmap_find(m, key, h);
	struct kmap_ent *e;
	size_t klen;

	if (*pp) {
		if (old)
			*old = (*pp)->val;
		(*pp)->val = val;
		return 0;
	}
	klen = strlen(key);
	e = malloc(sizeof(*e) + klen + 1);
	if (!e)
		return -ENOMEM;
	memcpy(e->key, key, klen + 1);
	e->hash = h;
	e->val = val;
	e->next = NULL;
	*pp = e;
	m->len++;
	if (old)
		*old = NULL;
	if (m->len > m->nslots)
		kmap_grow(m);
	return 0;
}

void *kmap_del(struct kmap *m, const char *key)
{
	struct kmap_ent **pp = kmap_find(m, key, kmap_hash(key));
	struct kmap_ent *e = *pp;
	void *val;

	if (!e)
		return NULL;
	*pp = e->next;
	val = e->val;
	free(e);
	m->len--;
	return val;
}

size_t kmap_len(const struct kmap *m)
{
	return m->len;
}

int kmap_each(const struct kmap *m, int (*fn)(void *ud, const char *key, void *val), void *ud)
{
	size_t i;
	int r;

	for (i = 0; i < m->nslots; i++) {
		const struct kmap_ent *e;

		for (e = m->slots[i]; e; e = e->next) {
			r = fn(ud, e->key, e->val);
			if (r)
				return r;
		}
	}
	return 0;
}

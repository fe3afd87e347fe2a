/* membudget.c - the memory budget of admission requests in flight. */
#include "compat.h"

#include "membudget.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "limits.h"
#include "util.h"

/*
 * What json-c 0.16 holds per token, glibc x86-64, rounded up. Measured as
 * peak RSS over 1 MiB arrays of one token each (bytes per token, including
 * its array slot): {} 792, [] 152, "" 89, 0 72, 0.5 105, true 73, null 9,
 * {"a":0} 889, a 100-byte string 179, a member of an object with 80,000
 * members 302 (its hash table doubling).
 */
/* An object: the json_object, its lh_table and 16 lh_entry slots, the
 * slot holding it. */
#define MB_OBJECT 816u
/* An array: the json_object, its array_list and first slots. */
#define MB_ARRAY 272u
/* A member: the copy of its key (the bytes are added) and its share of a
 * hash table that doubles, counted on top of the value. */
#define MB_MEMBER 240u
/* A string value: header and slot; the bytes are added. */
#define MB_STRING 96u
/* A number: the object and a copy of its text (doubles keep it); the
 * bytes are added. */
#define MB_NUMBER 112u
/* true, false, null. */
#define MB_LITERAL 80u
/*
 * Every request: the 64 KiB read chunk, the tokener, and the answer. A
 * denial carries each field error in its message and in its causes, each
 * error bounded by limits.h, so twice the worst list of errors.
 */
#define MB_FIXED                                                                                   \
	((uint64_t)(256u * 1024u) +                                                                \
	 2u * (uint64_t)TK_MAX_FIELD_ERRORS *                                                      \
	     (TK_MAX_ERROR_VALUE + TK_MAX_ERROR_DETAIL + TK_MAX_ERROR_PATH))

struct membudget {
	pthread_mutex_t lock;
	pthread_cond_t freed; /* signalled on every release */
	uint64_t capacity, reserved;
	struct metrics *metrics;
};

/* Called with the lock held. */
static void mb_observe(struct membudget *b)
{
	metrics_gauge_set(b->metrics, "thurkube_webhook_memory_reserved_bytes",
	                  "Bytes reserved by admission requests in flight (--memory-budget-mb)",
	                  NULL, (double)b->reserved);
}

void membudget_observe(struct membudget *b)
{
	if (!b || !b->metrics)
		return;
	pthread_mutex_lock(&b->lock);
	mb_observe(b);
	pthread_mutex_unlock(&b->lock);
}

struct membudget *membudget_new(uint64_t capacity, struct metrics *metrics)
{
	struct membudget *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->capacity = capacity;
	b->metrics = metrics;
	pthread_mutex_init(&b->lock, NULL);
	cond_init_mono(&b->freed);
	if (metrics) {
		metrics_gauge_set(metrics, "thurkube_webhook_memory_budget_bytes",
		                  "Bytes admission requests in flight may reserve", NULL,
		                  (double)capacity);
		mb_observe(b);
	}
	return b;
}

void membudget_free(struct membudget *b)
{
	if (!b)
		return;
	pthread_cond_destroy(&b->freed);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

int membudget_reserve(struct membudget *b, uint64_t bytes, int wait_ms)
{
	struct timespec until;
	int r = 0;

	if (bytes > b->capacity)
		return -E2BIG;
	until = mono_after_ms(wait_ms);
	pthread_mutex_lock(&b->lock);
	while (b->capacity - b->reserved < bytes) {
		if (wait_ms <= 0 || pthread_cond_timedwait(&b->freed, &b->lock, &until) != 0) {
			/* Timed out; a release may have come with the timeout. */
			r = b->capacity - b->reserved < bytes ? -EAGAIN : 0;
			break;
		}
	}
	if (r == 0)
		b->reserved += bytes;
	pthread_mutex_unlock(&b->lock);
	return r;
}

void membudget_release(struct membudget *b, uint64_t bytes)
{
	if (!bytes)
		return;
	pthread_mutex_lock(&b->lock);
	b->reserved = bytes > b->reserved ? 0 : b->reserved - bytes;
	pthread_cond_broadcast(&b->freed);
	pthread_mutex_unlock(&b->lock);
}

int membudget_resize(struct membudget *b, uint64_t *held, uint64_t want, int wait_ms)
{
	int r;

	if (want <= *held) {
		membudget_release(b, *held - want);
		*held = want;
		return 0;
	}
	if (want > b->capacity)
		return -E2BIG;
	r = membudget_reserve(b, want - *held, wait_ms);
	if (r == 0)
		*held = want;
	return r;
}

uint64_t membudget_reserved(struct membudget *b)
{
	uint64_t v;

	pthread_mutex_lock(&b->lock);
	v = b->reserved;
	pthread_mutex_unlock(&b->lock);
	return v;
}

uint64_t membudget_body_cost(long long content_length, uint64_t max_body)
{
	uint64_t n = content_length < 0 || (uint64_t)content_length > max_body
	                 ? max_body
	                 : (uint64_t)content_length;

	/* The buffer (up to twice the bytes while it doubles) and the
	 * cheapest parse: one string, copied once and held by the tokener's
	 * buffer, itself up to twice its length. */
	return 2 * n + 3 * n + MB_FIXED;
}

static bool mb_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Where the string whose text starts at i ends: the index of its closing
 * quote, the first one not escaped by an odd run of backslashes. When
 * there is none: len, or len + 1 when the text ends in such a run (the
 * escape then reaches past the end).
 */
static size_t mb_string_end(const char *p, size_t len, size_t i)
{
	const char *q;
	size_t at, bs;

	for (;;) {
		q = i < len ? memchr(p + i, '"', len - i) : NULL;
		at = q ? (size_t)(q - p) : len;
		for (bs = 0; at - bs > i && p[at - bs - 1] == '\\'; bs++)
			;
		if (bs % 2 == 0)
			return at;
		if (!q)
			return len + 1;
		i = at + 1;
	}
}

/*
 * One pass, no stack: every token is priced as if it were the dearest
 * thing it could be (a member as one of an object whose table has grown),
 * so the sum bounds the tree whatever the nesting. A string followed by
 * ':' is a key.
 */
uint64_t membudget_json_cost(const char *p, size_t len)
{
	uint64_t cost = 2 * (uint64_t)len + MB_FIXED;
	size_t i = 0, start, longest = 0;

	while (i < len) {
		char c = p[i];

		start = i;
		if (c == '"') {
			i = mb_string_end(p, len, i + 1) + 1;
			cost += i - start;
			while (i < len && mb_is_space(p[i]))
				i++;
			if (i < len && p[i] == ':')
				cost += MB_MEMBER, i++;
			else
				cost += MB_STRING;
		} else if (c == '{') {
			cost += MB_OBJECT, i++;
		} else if (c == '[') {
			cost += MB_ARRAY, i++;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			while (i < len && p[i] != ',' && p[i] != ']' && p[i] != '}' &&
			       !mb_is_space(p[i]))
				i++;
			cost += MB_NUMBER + (i - start);
		} else if (c >= 'a' && c <= 'z') {
			while (i < len && p[i] >= 'a' && p[i] <= 'z')
				i++;
			cost += MB_LITERAL;
		} else {
			i++; /* , } ] whitespace, and junk json-c stops at */
			continue;
		}
		if (i - start > longest)
			longest = i - start;
	}
	/* The tokener gathers each token in a buffer that doubles. */
	return cost + 2 * (uint64_t)longest;
}

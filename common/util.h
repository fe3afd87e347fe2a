/*
 * util.h - growable buffers with a hard limit, checked number parsing,
 * hashing and encoding helpers shared by every module.
 */
#ifndef THURKUBE_UTIL_H
#define THURKUBE_UTIL_H

#include "compat.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * A byte buffer that grows up to `max` bytes. data is always NUL-terminated
 * (the terminator is not counted in len). Zero-initialise with BUF_INIT(max).
 * The buffer owns data; release with buf_free().
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define BUF_INIT(limit)                                                                            \
	{                                                                                          \
		NULL, 0, 0, (limit)                                                                \
	}

/* Append n bytes. Returns 0, -ENOMEM, or -E2BIG when len would pass max
 * (the buffer is then unchanged). */
int buf_append(struct buf *b, const void *p, size_t n) TK_MUST_CHECK;
/* Append a NUL-terminated string; same errors as buf_append. */
int buf_puts(struct buf *b, const char *s) TK_MUST_CHECK;
/* Append formatted text; same errors as buf_append, -EINVAL on a bad format. */
int buf_printf(struct buf *b, const char *fmt, ...) TK_PRINTF(2, 3) TK_MUST_CHECK;
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) TK_MUST_CHECK;
/* Append a message for a person (an error detail): like buf_printf, but a
 * failure empties b instead of returning, since the caller's error code
 * already says what happened and a half message would mislead. */
void buf_sayf(struct buf *b, const char *fmt, ...) TK_PRINTF(2, 3);
/* Forget the contents, keep the allocation. */
void buf_reset(struct buf *b);
/* Release the allocation; the buffer may be reused after. */
void buf_free(struct buf *b);
/* Wipe the contents (secrets) and release. */
void buf_free_secure(struct buf *b);
/* Hand the data to the caller (who frees it) and reset the buffer.
 * Returns "" duplicated when empty; NULL only on allocation failure. */
char *buf_steal(struct buf *b);

/* Parse a whole decimal string (no sign for u64, optional '-' for i64)
 * into [min, max]. Returns 0, -EINVAL (not a number, trailing junk) or
 * -ERANGE; *out is untouched on failure. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out) TK_MUST_CHECK;
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out) TK_MUST_CHECK;
/* Same, on (buf, len) without a terminator. */
int parse_i64n(const char *s, size_t len, int64_t min, int64_t max, int64_t *out) TK_MUST_CHECK;

/* Lower-case hex SHA-256 of (p, n) into out[65]. */
void sha256_hex(const void *p, size_t n, char out[65]);
/* Standard padded base64 of (p, n); returns a new string or NULL. */
char *base64_encode(const void *p, size_t n);
/* Decode standard base64 (whitespace ignored). Returns 0 and a new buffer
 * in *out and its length in *outlen, or -EINVAL / -ENOMEM. */
int base64_decode(const char *s, size_t n, unsigned char **out, size_t *outlen) TK_MUST_CHECK;

/* strdup that returns NULL for NULL. */
char *xstrdup(const char *s);
/* Duplicate (p, n) into a NUL-terminated string. */
char *xstrndup(const char *p, size_t n);
/* Wipe and free a NUL-terminated secret. */
void free_secret(char *s);
/* Read a whole file up to max bytes. Returns 0 and a NUL-terminated new
 * buffer, -errno on I/O failure, -E2BIG when larger than max. */
int read_file(const char *path, size_t max, char **out, size_t *outlen) TK_MUST_CHECK;
/* Monotonic clock in milliseconds / seconds as double. */
int64_t now_ms(void);
double now_mono(void);
/* The CLOCK_MONOTONIC time ms milliseconds from now (now when ms <= 0):
 * the deadline of a pthread_cond_timedwait on a condition variable set to
 * that clock. */
struct timespec mono_after_ms(int64_t ms);
/* Initialise cv on CLOCK_MONOTONIC, the clock of mono_after_ms (so a
 * timed wait is not moved by a change of the wall clock). 0 or the
 * positive error of pthread_cond_init. */
int cond_init_mono(pthread_cond_t *cv);
/* A small xorshift64 generator for jitter (never for secrets): rng_seed
 * mixes the clocks, the pid and salt into a non-zero state, rng_next
 * advances it. Not thread-safe: each user owns its state. */
uint64_t rng_seed(uint64_t salt);
uint64_t rng_next(uint64_t *state);
/* RFC 3339 UTC "2006-01-02T15:04:05Z" for t into out[32]. */
void format_rfc3339(time_t t, char out[32]);
/* Parse RFC 3339 ("Z" or offset, optional fraction). 0 or -EINVAL. */
int parse_rfc3339(const char *s, time_t *out) TK_MUST_CHECK;

/* A growable list of owned strings; zero-initialise. */
struct strlist {
	char **v;
	size_t n;
	size_t cap;
};

/* Append a copy of s. 0 or -ENOMEM. */
int strlist_add(struct strlist *l, const char *s) TK_MUST_CHECK;
/* Append a printf-formatted string. 0 or -ENOMEM. */
int strlist_addf(struct strlist *l, const char *fmt, ...) TK_PRINTF(2, 3) TK_MUST_CHECK;
/* 1 when an equal string is present. */
int strlist_contains(const struct strlist *l, const char *s);
void strlist_free(struct strlist *l);

#endif

/*
 * fuzz_procmetrics.c - libFuzzer target for procmetrics_parse_stat and
 * procmetrics_parse_btime (the contents of /proc/self/stat and /proc/stat).
 *
 * Invariants: parsing never crashes nor reads past len, and is
 * deterministic; a rejection leaves the output untouched; an accepted stat
 * line has a '(' before its last ')' and keeps its values when more fields
 * are appended (the kernel adds fields at the end); an accepted btime
 * follows a "btime " at the start of a line.
 */
#include "compat.h"

#include <errno.h>
#include <stdint.h>

#include "procmetrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_procmetrics: invariant failed: %s (line %d)\n", #c,  \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void check_stat(const char *p, size_t n)
{
	static const struct procmetrics_stat poison = {1, 2, 3, 4, 5};
	struct procmetrics_stat a = poison, b = poison;
	int r = procmetrics_parse_stat(p, n, &a);
	char *more;

	CHECK(r == 0 || r == -EINVAL);
	CHECK(procmetrics_parse_stat(p, n, &b) == r);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	if (r < 0) {
		CHECK(memcmp(&a, &poison, sizeof(a)) == 0);
		return;
	}
	CHECK(memchr(p, ')', n) != NULL && memchr(p, '(', n) != NULL);
	more = malloc(n + 4);
	CHECK(more != NULL);
	memcpy(more, p, n);
	memcpy(more + n, " 7 8", 4);
	b = poison;
	CHECK(procmetrics_parse_stat(more, n + 4, &b) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	free(more);
}

static void check_btime(const char *p, size_t n)
{
	uint64_t a = 42, b = 42;
	int r = procmetrics_parse_btime(p, n, &a);

	CHECK(r == 0 || r == -EINVAL || r == -ENOENT);
	CHECK(procmetrics_parse_btime(p, n, &b) == r && a == b);
	if (r < 0)
		CHECK(a == 42);
	if (r != -ENOENT)
		CHECK(n >= 6 && (memcmp(p, "btime ", 6) == 0 || strstr(p, "\nbtime ") != NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so reading past len is caught by ASan; a
	 * terminated one for strstr in the btime check. */
	char *p = malloc(size ? size : 1), *z = malloc(size + 1);

	CHECK(p != NULL && z != NULL);
	memcpy(p, data, size);
	memcpy(z, data, size);
	z[size] = '\0';
	check_stat(p, size);
	if (!memchr(z, '\0', size))
		check_btime(z, size);
	free(z);
	free(p);
	return 0;
}

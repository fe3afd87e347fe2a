/*
 * replay.c - a plain driver for libFuzzer targets: feeds every file of the
 * directories (or files) named on the command line to the target once, so
 * corpora and crash reproducers run in the ordinary test suite.
 */
#include "compat.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

#include "limits.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path, size_t *count)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	r = read_file(path, 64u * 1024u * 1024u, &data, &len);
	if (r < 0) {
		fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(-r));
		return r;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	(*count)++;
	return 0;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i, fail = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 2;
		}
		if (!S_ISDIR(st.st_mode)) {
			fail |= replay_file(argv[i], &count) < 0;
			continue;
		}
		d = opendir(argv[i]);
		if (!d)
			return 2;
		while ((de = readdir(d)) != NULL) {
			struct buf p = BUF_INIT(4096);

			if (de->d_name[0] == '.')
				continue;
			if (buf_printf(&p, "%s/%s", argv[i], de->d_name) == 0)
				fail |= replay_file(p.data, &count) < 0;
			buf_free(&p);
		}
		closedir(d);
	}
	printf("%s: %zu inputs replayed\n", argv[0], count);
	return fail ? 1 : 0;
}

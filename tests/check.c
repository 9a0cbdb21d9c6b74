/* tests/check.c - scratch directories for test programs. */
#include "tests/check.h"

#include "log/segment.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[PATH_MAX];

char *test_tmpdir(const char *name)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/rawzone-%s-XXXXXX",
		 base && *base ? base : "/tmp", name);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
	if (!getenv("RAWZONE_KEEP"))
		atexit(test_cleanup);
	return tmpdir;
}

void test_cleanup(void)
{
	char cmd[PATH_MAX + 16];

	if (tmpdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
	}
}

uint64_t test_seg_size(const char *dir, uint64_t base)
{
	char path[PATH_MAX];
	struct stat st;

	log_seg_path(path, sizeof(path), dir, base, ".log");
	CHECK(stat(path, &st) == 0);
	return (uint64_t)st.st_size;
}

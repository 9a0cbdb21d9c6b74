/* tests/fuzz/fuzz_registry.c - libFuzzer target: the input is a registry
 * file. Loading it must succeed or fail cleanly; when it succeeds, every
 * entry is found by its id, entries are in increasing id order, and ids
 * between them are not found. */
#include "common/diag.h"
#include "common/err.h"
#include "decode/registry.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

#define ENSURE(cond)                                                           \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_registry: %s:%d: %s\n",          \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	/* Problems are reported through diag: keep them off the output. */
	diag_init("fuzz_registry", (enum diag_level)(DIAG_ERR + 1));
	snprintf(path, sizeof(path), "/tmp/rawzone-fuzz-reg-XXXXXX");
	fd = mkstemp(path);
	ENSURE(fd >= 0);
	close(fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dec_registry *reg;
	const struct dec_schema *s;
	FILE *f = fopen(path, "w");
	size_t i, n;
	uint32_t id, prev = 0;
	int ret;

	ENSURE(f);
	ENSURE(fwrite(data, 1, size, f) == size);
	fclose(f);
	ret = dec_registry_load(path, &reg);
	if (ret < 0) {
		ENSURE(ret == -ERR_CONFIG && reg == NULL);
		return 0;
	}
	n = dec_registry_count(reg);
	for (i = 0; i < n; i++) {
		id = dec_registry_entry(reg, i, &s);
		ENSURE(i == 0 || id > prev);
		ENSURE(dec_registry_find(reg, id) == s);
		if (i > 0 && id - prev > 1)
			ENSURE(dec_registry_find(reg, id - 1) == NULL);
		prev = id;
	}
	dec_registry_free(reg);
	return 0;
}

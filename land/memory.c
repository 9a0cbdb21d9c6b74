/* land/memory.c - see memory.h. */
#include "land/memory.h"

#include "common/diag.h"

#include <inttypes.h>
#include <stdio.h>

#define KiB ((int64_t)1 << 10)
#define MiB ((int64_t)1 << 20)

int land_memory_check(const struct cfg *cfg)
{
	if (cfg->land_memory_bytes == 0 ||
	    cfg->land_memory_bytes >= LAND_MEMORY_MIN)
		return 0;
	diag_err("%s: [land] memory_bytes = %" PRId64 ": at least 32M "
		 "(or 0 for no bound)",
		 cfg->path, cfg->land_memory_bytes);
	return -1;
}

int64_t land_buffer_bytes(const struct cfg *cfg)
{
	int64_t m = cfg->land_memory_bytes / 8;

	if (m > 0 && m < cfg->land_buffer_bytes)
		return m;
	return cfg->land_buffer_bytes;
}

unsigned land_memory_kafka(const struct cfg *cfg,
			   struct land_setting out[LAND_MEMORY_KAFKA])
{
	int64_t m = cfg->land_memory_bytes, part = m / 128;

	if (m == 0)
		return 0;
	part = part < 64 * KiB ? 64 * KiB : part > 4 * MiB ? 4 * MiB : part;
	out[0].key = "queued.max.messages.kbytes";
	snprintf(out[0].value, sizeof(out[0].value), "%" PRId64, m / 8 / KiB);
	out[1].key = "fetch.max.bytes";
	snprintf(out[1].value, sizeof(out[1].value), "%" PRId64, m / 16);
	out[2].key = "max.partition.fetch.bytes";
	snprintf(out[2].value, sizeof(out[2].value), "%" PRId64, part);
	return LAND_MEMORY_KAFKA;
}

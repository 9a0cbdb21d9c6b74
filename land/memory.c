/* land/memory.c - see memory.h. */
#include "land/memory.h"

#include "common/diag.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KiB ((int64_t)1 << 10)
#define MiB ((int64_t)1 << 20)
#define QUEUED_KBYTES_MAX 2097151  /* librdkafka 2.12.1's range */
#define FETCH_BYTES_MAX 2147483135 /* the same */

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

/* What land_memory_kafka() sets, in its order. */
static const char *const derived[LAND_MEMORY_KAFKA] = {
	"queued.max.messages.kbytes",
	"fetch.max.bytes",
	"max.partition.fetch.bytes",
};

bool land_memory_derives(const char *key)
{
	unsigned i;

	for (i = 0; i < LAND_MEMORY_KAFKA; i++)
		if (strcmp(key, derived[i]) == 0)
			return true;
	return false;
}

unsigned land_memory_kafka(const struct cfg *cfg,
			   struct land_setting out[LAND_MEMORY_KAFKA])
{
	int64_t m = cfg->land_memory_bytes, queued = m / 8 / KiB,
		fetch = m / 16, part = m / 128;
	const char *msg_max = cfg_kafka_get(cfg, "message.max.bytes");
	unsigned n = 0;

	if (m == 0)
		return 0;
	/* Within librdkafka's ranges, whatever the bound. */
	if (queued > QUEUED_KBYTES_MAX)
		queued = QUEUED_KBYTES_MAX;
	if (fetch > FETCH_BYTES_MAX)
		fetch = FETCH_BYTES_MAX;
	part = part < 64 * KiB ? 64 * KiB : part > 4 * MiB ? 4 * MiB : part;
	out[n].key = derived[0];
	snprintf(out[n++].value, sizeof(out[0].value), "%" PRId64, queued);
	/* librdkafka refuses a fetch.max.bytes under message.max.bytes:
	 * where [kafka] sets the latter, its own fetch default stands. */
	if (!msg_max || strtoll(msg_max, NULL, 10) <= fetch) {
		out[n].key = derived[1];
		snprintf(out[n++].value, sizeof(out[0].value), "%" PRId64,
			 fetch);
	}
	out[n].key = derived[2];
	snprintf(out[n++].value, sizeof(out[0].value), "%" PRId64, part);
	return n;
}

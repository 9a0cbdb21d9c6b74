/* land/memory.h - [land] memory_bytes: one bound for land's memory, split
 * between the parts that grow with a backlog.
 *
 * With 0 land is sized for throughput: 64 MiB of write buffers and a 256
 * MiB prefetch, which librdkafka's per-message overhead makes 230-550 MiB
 * resident during a catch-up. With M bytes (128M by default):
 *   [land] buffer_bytes             at most M / 8 (io_uring write buffers)
 *   queued.max.messages.kbytes      M / 8 (the prefetch, in payload bytes;
 *                                   resident about three times that)
 *   fetch.max.bytes                 M / 16 (one fetch response)
 *   max.partition.fetch.bytes       M / 128, within 64 KiB..4 MiB
 * and the rest is librdkafka's bookkeeping and land's own. A [kafka] key
 * set in the config file wins over what is derived here. Measured: 128 MiB
 * keeps land at 89-123 MiB peak, alone and in the end-to-end benchmark
 * (docs/BENCHMARKS.md); with fetch.queue.backoff.ms at 10 (land/consumer.c)
 * librdkafka fetches again soon after a full prefetch drains, so the bound
 * costs little speed.
 */
#ifndef RZ_LAND_MEMORY_H
#define RZ_LAND_MEMORY_H

#include "common/config.h"

#include <stdbool.h>
#include <stdint.h>

#define LAND_MEMORY_MIN ((int64_t)32 << 20)

/* land_memory_check - 0, or -1 after saying why @cfg's memory_bytes is
 * unusable (non-zero and under LAND_MEMORY_MIN). */
int land_memory_check(const struct cfg *cfg);

/* land_buffer_bytes - the write buffers land allocates under @cfg. */
int64_t land_buffer_bytes(const struct cfg *cfg);

struct land_setting {
	const char *key;
	char value[24];
};

#define LAND_MEMORY_KAFKA 3

/* land_memory_derives - whether memory_bytes sizes the librdkafka setting
 * @key (one of the LAND_MEMORY_KAFKA). */
bool land_memory_derives(const char *key);

/* land_memory_kafka - fill @out with the librdkafka settings derived from
 * memory_bytes, each within librdkafka's range; returns how many (0
 * without a bound; fetch.max.bytes is left out when [kafka]
 * message.max.bytes is larger). */
unsigned land_memory_kafka(const struct cfg *cfg,
			   struct land_setting out[LAND_MEMORY_KAFKA]);

#endif

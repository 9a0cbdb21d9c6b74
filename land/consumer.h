/* land/consumer.h - land's librdkafka consumer: tuned defaults under the
 * [kafka] section, settings land cannot work without, and the rebalance
 * callback that hands partitions to and from the land core.
 */
#ifndef RZ_LAND_CONSUMER_H
#define RZ_LAND_CONSUMER_H

#include "common/config.h"
#include "land/land.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

/* land_consumer_new - a high-level consumer subscribed to [land] topics,
 * whose rebalances go to @l. Settings, in order of precedence: those land
 * requires (enable.auto.commit=false, enable.auto.offset.store=false:
 * offsets are committed only after fsync), then [kafka], then land's tuned
 * defaults (throughput, static membership with group.instance.id =
 * [pipeline] instance). Returns the handle, or NULL after printing why
 * (naming the [kafka] key at fault). */
rd_kafka_t *land_consumer_new(const struct cfg *cfg, struct land *l);

/* land_consumer_close - leave the group: librdkafka revokes the
 * assignment through the rebalance callback (land_revoke()), which is
 * served here from @q, the consumer queue; records still arriving are
 * dropped (land's checkpoint does not cover them). Waits until
 * @deadline_ms (clock_ms()). Returns true once closed; false when the
 * close did not finish in time (or could not start), after saying so:
 * then rd_kafka_destroy() would wait for the group too. */
bool land_consumer_close(rd_kafka_t *rk, rd_kafka_queue_t *q,
			 int64_t deadline_ms);

/* land_consumer_print_settings - print, one KEY=VALUE a line, every
 * librdkafka setting land would consume with under @cfg (its defaults as
 * [land] memory_bytes and [kafka] leave them); credentials are printed as
 * "(hidden)", newlines and backslashes in a value as \n and \\. Returns
 * 0, or -1 after saying why (a failed write to stdout included). */
int land_consumer_print_settings(const struct cfg *cfg);

/* land_consumer_print_defaults - the tuned defaults, for --help. */
void land_consumer_print_defaults(void);

#endif

/* transform/checkpoint.h - transform's checkpoint: a table in the sink,
 * written in the same transaction as the rows it covers, so after any
 * crash the rows and the checkpoint agree and a restart applies every
 * outcome once in effect.
 *
 *   rawzone_transform_checkpoint (
 *     instance        [pipeline] instance: decoded-log positions are
 *                     local to one instance's data directory, and several
 *                     instances may share one database
 *     topic, kafka_partition
 *     segment, position   the decoded log is applied up to here (the
 *                     position of the next record to read)
 *     outcomes        decoded-log records applied, ever (compare with
 *                     decode.ckpt's DEC_CK_OUTCOMES for the lag)
 *     high_offset     the greatest Kafka offset applied, -1 for none: an
 *                     outcome at or below it may replace rows (a replay);
 *                     above it, none can exist yet
 *     PRIMARY KEY (instance, topic, kafka_partition))
 */
#ifndef RZ_TRANSFORM_CHECKPOINT_H
#define RZ_TRANSFORM_CHECKPOINT_H

#include "log/segment.h"
#include "transform/sink.h"

#include <stdbool.h>
#include <stdint.h>

#define XF_CK_TABLE "rawzone_transform_checkpoint"
#define XF_CK_SCHEMA_VERSION 1

/* One partition's row. */
struct xf_ck {
	bool found; /* load: a row exists for this instance */
	struct log_pos pos;
	uint64_t outcomes;
	int64_t high; /* load: the greatest over every instance */
};

struct xf_ckpt;

/* xf_ckpt_open - make the table exist (xf_sink_schema) and prepare its
 * statements, for the rows of @instance. Returns 0 or an error. */
int xf_ckpt_open(struct xf_sink *sink, const char *instance,
		 struct xf_ckpt **out);

/* xf_ckpt_load - the row of (@topic, @partition) into @ck; a missing row
 * gives found = false, pos 0, outcomes 0. high is the greatest high_offset
 * of the partition over all instances (-1 if none). */
int xf_ckpt_load(struct xf_ckpt *c, const char *topic, int32_t partition,
		 struct xf_ck *ck);

/* xf_ckpt_save - upsert the row of (@topic, @partition); inside the
 * caller's transaction. */
int xf_ckpt_save(struct xf_ckpt *c, const char *topic, int32_t partition,
		 const struct xf_ck *ck);

/* xf_ckpt_close - NULL is accepted. */
void xf_ckpt_close(struct xf_ckpt *c);

#endif

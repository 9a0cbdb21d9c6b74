/* land/land.h - the core of rawzone-land: records from librdkafka framed
 * into the raw zone, group-committed, checkpointed, announced and
 * committed to Kafka, in that order.
 *
 * The commit protocol (DESIGN.md), per epoch of records:
 *   K1 the epoch's chunks are written (io_uring, many per submission);
 *   K2 the segments they went to are fdatasync'd, once every write is done;
 *   K3 the land checkpoint is saved (two-slot file, one write + one sync);
 *   K4 positions are published on the land->decode ring;
 *   K5 the offsets are committed to Kafka, asynchronously, at most every
 *      LAND_COMMIT_MS (durability does not wait for them; a revoke and a
 *      stop wait for the broker's answer, [land] stop_timeout_ms at most);
 *      a commit the broker refused is sent again with the next one.
 * Epochs overlap: while one syncs, the next collects records. One epoch is
 * in its sync phase at a time, so checkpoints and commits go in order. A
 * Kafka offset is never committed ahead of durable bytes. A failed write
 * or sync is fatal: nothing after it advances, and the caller exits.
 *
 * Single-threaded: every call comes from the thread that polls librdkafka
 * (rebalance callbacks included).
 */
#ifndef RZ_LAND_LAND_H
#define RZ_LAND_LAND_H

#include "common/config.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

struct land;

/* land_new - open the checkpoint, the ring, the write buffers and
 * io_uring for @cfg (which must outlive the land). Returns 0, or -errno /
 * -ERR_CORRUPT with the reason printed. */
int land_new(const struct cfg *cfg, struct land **out);

/* land_set_kafka - the consumer the offsets are committed through. */
void land_set_kafka(struct land *l, rd_kafka_t *rk);

/* land_assign - take over @parts: open and recover each one's log, and set
 * each element's offset to where landing resumes: after the last durable
 * local record, or at the committed offset if that is further (another
 * instance landed the range meanwhile), or RD_KAFKA_OFFSET_INVALID when
 * this data dir has nothing for it (the committed offset, else
 * auto.offset.reset, applies).
 * Returns 0 or a fatal error (corruption in checkpointed data, I/O). */
int land_assign(struct land *l, rd_kafka_topic_partition_list_t *parts);

/* land_revoke - give up @parts: make everything landed durable,
 * checkpoint it and, unless @lost, commit the revoked partitions' offsets
 * and wait for the answer ([land] stop_timeout_ms at most, or until the
 * deadline of land_stop()); then close their logs. Returns 0 or a fatal
 * error. */
int land_revoke(struct land *l, rd_kafka_topic_partition_list_t *parts,
		bool lost);

/* land_add - frame one consumed record into its partition's chunk.
 * Records of partitions not assigned, or at offsets already landed, are
 * skipped. Returns 0 or a fatal error. */
int land_add(struct land *l, const rd_kafka_message_t *m);

/* land_tick - reap I/O completions and close the epoch when it is due
 * ([land] fsync_interval_ms or fsync_bytes). Never blocks, except when the
 * write buffers are all in flight. Returns 0 or a fatal error. */
int land_tick(struct land *l);

/* land_settle - land has caught up with the broker: the open epoch closes
 * at the next land_tick() (or once the closing one is done), not at the
 * end of its interval. */
void land_settle(struct land *l);

#define LAND_COMMIT_MS 1000

/* land_commit_result - the broker's answer to an offset commit (librdkafka's
 * offset_commit_cb): partitions it refused are committed again next time. */
void land_commit_result(struct land *l, rd_kafka_resp_err_t err,
			const rd_kafka_topic_partition_list_t *offsets);

/* land_flush - make everything landed so far durable, checkpointed and
 * published before returning. Returns 0 or a fatal error. */
int land_flush(struct land *l);

/* land_stop - the caller stops: land_flush(), then commit every assigned
 * partition's durable offset and wait for the broker's answer until
 * *@deadline_ms (clock_ms(): [land] stop_timeout_ms after the flush), as
 * revokes from now on do. Returns 0, 1 when the broker did not answer in
 * time (it is unreachable: the caller should not wait for it again), or a
 * fatal error. */
int land_stop(struct land *l, int64_t *deadline_ms);

/* land_wait_fd - readable when I/O completions are waiting (for poll). */
int land_wait_fd(const struct land *l);

/* land_timeout_ms - how long the caller may sleep before land_tick() has
 * work to do: until the epoch is due, or -1 if nothing is pending. */
int land_timeout_ms(const struct land *l);

struct land_stats {
	uint64_t records; /* framed */
	uint64_t bytes;	  /* framed bytes */
	uint64_t skipped; /* already landed (redelivered) */
	uint64_t epochs;  /* completed */
	uint64_t ring_overflows;
	int64_t first_ms, last_ms; /* monotonic times of the first and last
				      record framed (0: none yet) */
};
void land_get_stats(const struct land *l, struct land_stats *st);

/* land_behind - whether an assigned partition has a broker end (as the
 * last fetch reported it) past what land has taken. */
bool land_behind(const struct land *l);

/* land_free - release everything; in-flight I/O is waited for, nothing is
 * checkpointed. NULL accepted. */
void land_free(struct land *l);

#endif

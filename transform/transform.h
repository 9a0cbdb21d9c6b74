/* transform/transform.h - the transform core: decoded logs in, one
 * database transaction per batch out.
 *
 * Partitions are those of decode's checkpoint (<data_dir>/decode.ckpt);
 * each is read from transform's own checkpoint (in the database) up to
 * decode's durable frontier for it, (DEC_CK_OUT_SEG, DEC_CK_OUT_POS), and
 * never past it. The decode->transform ring only says when to look again:
 * the frontier always comes from decode.ckpt.
 *
 * A batch - up to [transform] batch_records outcomes, or what arrived
 * within batch_latency_ms of its first - is applied in one transaction:
 *   BEGIN; quarantine rows; each transform's rows;     kill point T1
 *   checkpoint rows (position, outcomes, high offset); kill point T2
 *   COMMIT;                                            kill point T3
 * so rows and checkpoint commit together, and a restart after any crash
 * resumes exactly after the last committed batch. Rows are keyed by Kafka
 * coordinates, so applying an outcome again (a replay) overwrites.
 *
 * xf_run reads and prepares the next batch on the calling thread while a
 * writer thread it starts applies the previous one (transform.c).
 *
 * Fatal errors - a frame below decode's frontier that does not verify, a
 * decoded message that does not unpack, a database error - are reported
 * with the file and position (or the database's message) and returned;
 * the transaction in flight is rolled back, and every batch committed
 * before it stays.
 */
#ifndef RZ_TRANSFORM_TRANSFORM_H
#define RZ_TRANSFORM_TRANSFORM_H

#include "common/config.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XF_POLL_MS 200	      /* decode.ckpt is read at least this often */
#define XF_REPORT_MS 10000    /* the stats line */
#define XF_RING_RETRY_MS 5000 /* a ring that failed to open: try again */

struct xf;

struct xf_stats {
	uint64_t outcomes;    /* decoded-log records applied */
	uint64_t ok;	      /* ... of which decoded (after de-duplication) */
	uint64_t quarantined; /* ... and quarantined */
	uint64_t batches;     /* transactions committed */
	size_t partitions;
	/* monotonic ms: the first committed batch began, the last ended */
	int64_t first_ms, last_ms;
};

/* xf_new - open the sink of @cfg (which must outlive the xf), create or
 * check the tables of the core and of the transforms of [land] topics and
 * [transform] topics.* (a topic mapped to a transform not built is
 * -ERR_CONFIG), and attach to the ring. Returns 0 or an error (reported);
 * -ERR_CONFIG for configuration problems. */
int xf_new(const struct cfg *cfg, struct xf **out);

/* xf_run - apply outcomes until *@stop becomes non-zero (then the batch in
 * hand is committed before returning 0) or, with @once, until every
 * partition has reached the frontier decode.ckpt gave when the run
 * started. Returns 0 or a fatal error (reported). */
int xf_run(struct xf *xf, const volatile sig_atomic_t *stop, bool once);

/* xf_get_stats - the counters of what is committed; from the thread that
 * runs xf_run (or after it returned). */
void xf_get_stats(struct xf *xf, struct xf_stats *st);

/* xf_free - close everything; NULL is accepted. */
void xf_free(struct xf *xf);

#endif

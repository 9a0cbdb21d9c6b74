/* decode/stage.h - the rawzone-decode stage: the raw zone in, decode
 * outcomes out, durably and in order.
 *
 * The commit protocol, per batch:
 *   D1 outcomes are appended to the decoded log of each partition, and
 *      quarantined records (a copy, with reason) to its quarantine log;
 *   D2 those logs are fdatasync'd;
 *   D3 the decode checkpoint is saved: per partition, the raw position
 *      decoded up to and the durable ends of both logs;
 *   D4 the new ends are published on the decode->transform ring.
 * decode reads the raw zone only up to land's durable frontier (the land
 * checkpoint; the land->decode ring only says when to look again). On a
 * restart, whatever the logs hold past the checkpoint is cut off and
 * decoded again: decoding is deterministic, so the bytes are the same.
 *
 * One thread decodes and owns the logs; a commit thread (commit.c) runs
 * D2-D4 of the batch before while the next one decodes.
 */
#ifndef RZ_DECODE_STAGE_H
#define RZ_DECODE_STAGE_H

#include "common/config.h"

#include <signal.h>
#include <stdint.h>

struct dec_stage;

/* dec_stage_new - load the registry and the checkpoint, attach the rings.
 * Returns 0, -ERR_CONFIG (registry errors, printed) or another error
 * (printed). */
int dec_stage_new(const struct cfg *cfg, struct dec_stage **out);

/* dec_stage_run - decode until *@stop is set (then commit what is
 * decoded and return 0), or until a fatal error (returned, printed; the
 * checkpoint is not advanced past it). With @once, return 0 as soon as
 * everything up to land's frontier is decoded and committed (batch use:
 * rebuild, tests). */
int dec_stage_run(struct dec_stage *s, volatile sig_atomic_t *stop, int once);

struct dec_stage_stats {
	uint64_t decoded;	 /* outcomes written, decoded or not */
	uint64_t quarantined[8]; /* by enum log_dec_reason */
	uint64_t batches;
	int64_t first_ms, last_ms; /* times of the first and last outcome */
};
void dec_stage_get_stats(const struct dec_stage *s, struct dec_stage_stats *st);

/* dec_stage_free - NULL accepted. Nothing is committed. */
void dec_stage_free(struct dec_stage *s);

#endif

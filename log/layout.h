/* log/layout.h - where every stage's files live under [pipeline] data_dir,
 * and what the fields of each stage's checkpoint mean. The one place the
 * stages and the CLI agree on names.
 *
 *   <data_dir>/raw/<topic>/<partition>/         the raw zone (land writes)
 *   <data_dir>/decoded/<topic>/<partition>/     decoded zone (decode writes)
 *   <data_dir>/quarantine/<topic>/<partition>/  quarantine zone (decode)
 *   <data_dir>/land.ckpt, decode.ckpt           checkpoints (log/checkpoint.h)
 *   <data_dir>/<stage>.lock                     one instance per stage
 *   <data_dir>/replay.request                   a pending replay request
 *   <data_dir>/log/<stage>.log                  stage output (supervisor)
 */
#ifndef RZ_LOG_LAYOUT_H
#define RZ_LOG_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>

#define LAYOUT_RAW "raw"
#define LAYOUT_DECODED "decoded"
#define LAYOUT_QUARANTINE "quarantine"
#define LAYOUT_LAND_CKPT "land.ckpt"
#define LAYOUT_DECODE_CKPT "decode.ckpt"
#define LAYOUT_REPLAY_REQUEST "replay.request"
#define LAYOUT_DEFAULT_DB "rawzone.db" /* the SQLite sink when none is set */

/* land.ckpt, per raw partition: everything before (seg, pos) is durable,
 * and the next record to land has offset >= next. */
enum {
	LAND_CK_NEXT = 0, /* next Kafka offset to land */
	LAND_CK_SEG = 1,  /* durable end: segment base */
	LAND_CK_POS = 2,  /* durable end: file position */
};

/* decode.ckpt, per raw partition: the raw zone is decoded up to (raw seg,
 * raw pos); the decoded and quarantine logs are durable up to their
 * (seg, pos). Transform reads the decoded log up to (out seg, out pos). */
enum {
	DEC_CK_RAW_SEG = 0, /* raw zone: the next record to decode */
	DEC_CK_RAW_POS = 1,
	DEC_CK_RAW_NEXT = 2, /* its Kafka offset (the next to decode) */
	DEC_CK_OUT_SEG = 3,  /* decoded log: durable end */
	DEC_CK_OUT_POS = 4,
	DEC_CK_Q_SEG = 5, /* quarantine log: durable end */
	DEC_CK_Q_POS = 6,
	DEC_CK_OUTCOMES = 7, /* outcomes written to the decoded log, ever */
	/* A replay (rawzone replay) of this partition, applied by decode:
	 * the request it came from, the offsets it runs from and to, and
	 * the outcomes it has produced. Done when RAW_NEXT >= REPLAY_TO and
	 * no quarantine re-drive is active. */
	DEC_CK_REPLAY_ID = 8,
	DEC_CK_REPLAY_FROM = 9, /* the first offset replayed */
	DEC_CK_REPLAY_TO = 10,	/* RAW_NEXT when the replay was applied */
	DEC_CK_REPLAY_DONE = 11,
	/* A quarantined-only replay: a cursor over the quarantine log up to
	 * its end when the request was applied (QR_END_POS 0: none). */
	DEC_CK_QR_SEG = 12,
	DEC_CK_QR_POS = 13,
	DEC_CK_QR_END_SEG = 14,
	DEC_CK_QR_END_POS = 15,
};

/* replay.request (a checkpoint file, so written atomically), one entry per
 * partition to replay; decode applies it at a batch boundary, records the
 * request id in decode.ckpt in the same save that moves the positions, and
 * then removes the file. */
enum {
	REPLAY_RQ_ID = 0,   /* request id (> 0, increasing) */
	REPLAY_RQ_MODE = 1, /* enum replay_mode */
	REPLAY_RQ_ARG = 2,  /* the offset, or the time in ms */
	REPLAY_RQ_QONLY =
		3, /* 1: only records whose outcome was a quarantine */
};

enum replay_mode {
	REPLAY_FROM_BEGINNING = 1,
	REPLAY_FROM_OFFSET = 2,
	REPLAY_FROM_TIME = 3,
};

/* layout_part_dir - "<data_dir>/<zone>/<topic>/<partition>" into @buf.
 * Returns 0 or -ENAMETOOLONG. */
static inline int layout_part_dir(char *buf, size_t size, const char *data_dir,
				  const char *zone, const char *topic,
				  int32_t partition)
{
	int n = snprintf(buf, size, "%s/%s/%s/%d", data_dir, zone, topic,
			 (int)partition);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

#endif

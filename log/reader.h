/* log/reader.h - the reader's side of a partition's log: records in order
 * from a position, verified, never past a given frontier.
 *
 * A reader holds one segment open and a read buffer; records it returns
 * point into that buffer and stay valid until the next call. It moves to the
 * next segment by itself at the end of a segment the frontier lies beyond.
 * Every frame is verified (magic, lengths, CRC) before it is returned.
 */
#ifndef RZ_LOG_READER_H
#define RZ_LOG_READER_H

#include "log/record.h"
#include "log/segment.h"

#include <stddef.h>
#include <stdint.h>

struct log_rd;

/* log_rd_open - a reader of the log in @dir (of @zone), positioned at the
 * start of its first segment. Frames longer than @max_record are errors.
 * Returns 0 or -errno. */
int log_rd_open(const char *dir, enum log_zone zone, uint32_t max_record,
		struct log_rd **out);

/* log_rd_seek - position at @pos, which must be a record boundary (a
 * checkpointed or previously returned position). Returns 0 or -EINVAL. */
int log_rd_seek(struct log_rd *rd, struct log_pos pos);

/* log_rd_seek_offset - position at the first record whose offset is >=
 * @offset (keyed logs), through the sparse index. Past the end, positions
 * at the end. Returns 0 or an error of log_rd_next(). */
int log_rd_seek_offset(struct log_rd *rd, int64_t offset);

/* log_rd_next - the next record, if it lies before @limit (LOG_POS_END: as
 * far as the files go). Returns 1 with *rec and *at (its position) set;
 * 0 at @limit or at the end of the data; or, with the reader left at the
 * offending position (log_rd_pos):
 *   -ENODATA        an incomplete frame at the end of the last segment
 *                   (a torn tail, when @limit is LOG_POS_END);
 *   -ERR_CORRUPT, -ERR_TOO_LARGE, -ERR_FORMAT  a frame or segment header
 *                   that does not verify, or a frame crossing @limit;
 *   -errno          I/O failure.
 * Errors are not printed; log_rd_path() and log_rd_pos() name the place. */
int log_rd_next(struct log_rd *rd, struct log_pos limit, struct log_rec *rec,
		struct log_pos *at);

/* log_rd_pos - the position of the next record to be read. */
struct log_pos log_rd_pos(const struct log_rd *rd);

/* log_rd_path - the file of the current segment (for messages). */
const char *log_rd_path(const struct log_rd *rd);

/* log_rd_close - NULL is accepted. */
void log_rd_close(struct log_rd *rd);

#endif

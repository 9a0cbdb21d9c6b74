/* log/dir.h - the writer's side of a partition's log: recovery at start,
 * space for appends, segment roll, the sparse index.
 *
 * The log_dir decides where bytes go; the caller writes them, either itself
 * (land submits them through io_uring) or with log_dir_append() (plain
 * pwrite), syncs the fds log_dir_unsynced() names, and tells the log_dir
 * what is durable. A segment rolls once it is full; the segment it leaves
 * stays open until the caller has made it durable, and a second roll waits
 * for that, so at most two segments - the active one and the one just left -
 * hold bytes that are not yet durable. A checkpoint that names the new
 * segment is written only after both are synced; a crash before that leaves
 * a torn tail in the old segment, and recovery removes the new one.
 *
 * Single-threaded: one log_dir per partition per process, and one writing
 * process per log (the stage lock).
 */
#ifndef RZ_LOG_DIR_H
#define RZ_LOG_DIR_H

#include "log/record.h"
#include "log/segment.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct log_dir_opts {
	enum log_zone zone;
	int32_t partition;
	uint64_t segment_bytes;	 /* roll once the active segment is this big */
	uint32_t index_interval; /* bytes between index entries; 0: no index */
	uint32_t max_record;	 /* largest frame accepted */
	bool keyed; /* segments named by their first offset, and offsets
		       strictly increase (the raw zone); else ordinal bases */
	bool cut_past_durable; /* recovery drops even verified records past
				  the checkpoint: the writer regenerates them
				  (decode's logs: a re-decode would append
				  them again) */
	bool direct; /* hand out an O_DIRECT fd of the active segment too,
			where the file system has one (see log_span) */
};

struct log_dir;

/* What recovery found. */
struct log_recovery {
	struct log_pos end;	  /* the end of verified data */
	bool have_last;		  /* a record was verified past the start */
	int64_t last_offset;	  /* ...the last one: its offset, */
	int64_t last_timestamp;	  /* timestamp */
	struct log_pos last_pos;  /* and position */
	uint64_t records;	  /* records verified */
	uint64_t truncated_bytes; /* torn tail cut off */
	unsigned removed_segments;
};

/* log_dir_open - open (creating it and its parents if needed) the log in
 * directory @path. Nothing is read yet: call log_dir_recover() next.
 * Returns 0 or -errno. */
int log_dir_open(const char *path, const struct log_dir_opts *o,
		 struct log_dir **out);

/* log_dir_recover - verify the log from @durable (the caller's checkpointed
 * end; NULL to verify from the very start) to its end, record by record;
 * truncate at the first frame that does not verify (a torn tail), delete
 * any segment after it, and make that durable. Records past @durable that
 * verify are kept, and reported in @r - unless the log was opened with
 * cut_past_durable, which cuts at @durable itself.
 *
 * Errors (with a message naming the file and position):
 *   -ERR_CORRUPT  the checkpointed region is damaged: the segment @durable
 *                 names is missing, its header is bad, or it is shorter
 *                 than @durable says. Nothing is changed.
 *   -errno        I/O failure.
 */
int log_dir_recover(struct log_dir *d, const struct log_pos *durable,
		    struct log_recovery *r);

/* Where appended bytes go.
 *
 * With log_dir_opts.direct, where the file system takes O_DIRECT, dfd is
 * the same segment open write-only with O_DIRECT, and align the unit its
 * writes need: file position, length and buffer address all multiples of
 * it (a power of two, at most LOG_DIR_ALIGN_MAX). Such a writer rewrites
 * the partial block before @pos from what it knows is there, and may pad
 * its last block with zeros past the reserved bytes: log_dir_seal() cuts
 * a segment left by a roll back to its records before it is synced and
 * log_dir_close() the active one, readers stop at a durable frontier or
 * at zeros, and recovery cuts what a crash left like a torn tail.
 * Otherwise dfd is -1 and align 1. */
#define LOG_DIR_ALIGN_MAX 4096u
struct log_span {
	int fd;	      /* the active segment, open read-write */
	uint64_t seg; /* its base */
	uint64_t pos; /* file position of the first byte */
	int dfd;      /* the same, O_DIRECT write-only, or -1 */
	uint32_t align;
};

/* log_dir_reserve - room for @len bytes of frames whose first record has
 * offset @first. Rolls to a new segment first if the active one is full
 * (and the previous roll is durable). In a keyed log @first must exceed
 * every offset already in it (-ERR_ORDER otherwise). Returns 0 or -errno;
 * on error nothing moved. */
int log_dir_reserve(struct log_dir *d, int64_t first, size_t len,
		    struct log_span *sp);

/* log_dir_lead - for the next O_DIRECT write: copies into @buf the bytes
 * of the partial block that ends at the log's end, when the last
 * log_dir_align() left them known, and returns their count; else 0 (the
 * next log_dir_align() reads them back). */
uint32_t log_dir_lead(const struct log_dir *d, char *buf);

/* log_dir_align - make one write of @records bytes of frames at @buf +
 * *@lead, which log_dir_reserve() placed at @sp. With O_DIRECT (align >
 * 1) the lead becomes the bytes of the block before sp->pos (moving the
 * frames when its length changes, as after a roll) and zeros pad the end
 * to a whole block; without (align 1: the segment could not be opened so)
 * the lead goes and the frames move to @buf's start. @buf is aligned to
 * sp->align and has LOG_DIR_SLACK bytes of room past *@lead + @records (a
 * longer lead, then padding). Returns the length to write from @buf at
 * sp->pos - *@lead (through sp->dfd when align > 1, else sp->fd), or
 * -errno. O_DIRECT writes made this way must complete in the order they
 * were aligned: each may rewrite the last block of the one before. */
#define LOG_DIR_SLACK (2 * LOG_DIR_ALIGN_MAX)
int log_dir_align(struct log_dir *d, const struct log_span *sp, char *buf,
		  uint32_t *lead, uint32_t records);

/* log_dir_note - the record with @offset was framed at @pos of the active
 * segment: keeps the last offset and the index. */
void log_dir_note(struct log_dir *d, int64_t offset, uint64_t pos);

/* log_dir_place - reserve room for @len bytes of complete frames at
 * @frames (built by the caller) and note each of them: what a writer that
 * does its own I/O calls before writing them at @sp. Returns 0 or an
 * error of log_dir_reserve(). */
int log_dir_place(struct log_dir *d, const void *frames, size_t len,
		  struct log_span *sp);

/* log_dir_write - log_dir_place() then pwrite (sync path). *first_pos,
 * when not NULL, gets the first frame's position. Not durable until
 * log_dir_sync(). Returns 0 or -errno. */
int log_dir_write(struct log_dir *d, const void *frames, size_t len,
		  struct log_pos *first_pos);

/* log_dir_unsynced - the fds holding reserved bytes not yet durable (at
 * most 2, into @fds), for the caller to fdatasync. */
int log_dir_unsynced(const struct log_dir *d, int fds[2]);

/* log_dir_seal - cut the segment a roll left back to its records, which
 * O_DIRECT writes may have padded: for a caller that wrote through dfd,
 * once those writes have completed and before it syncs what
 * log_dir_unsynced() names. That segment stays open (and named there)
 * until a log_dir_durable() follows a cut. Returns 0 or -errno. */
int log_dir_seal(struct log_dir *d);

/* log_dir_durable - every byte up to @upto (an end log_dir_end() gave,
 * whose fds the caller has synced since) is durable. Closes the segment
 * left by a roll once it is covered, and writes pending index entries
 * (not synced: the index is derived). Returns 0 or -errno from the index
 * write. */
int log_dir_durable(struct log_dir *d, struct log_pos upto);

/* log_dir_append - frame and pwrite @n records (sync path). *first_pos,
 * when not NULL, gets the first record's position. Not durable until
 * log_dir_sync(). Returns 0 or -errno, -ERR_TOO_LARGE, -ERR_ORDER. */
int log_dir_append(struct log_dir *d, const struct log_rec *recs, size_t n,
		   struct log_pos *first_pos);

/* log_dir_sync - log_dir_seal(), fdatasync whatever log_dir_unsynced()
 * names, then log_dir_durable() up to the end. An error is final (see io_fdatasync).
 */
int log_dir_sync(struct log_dir *d);

/* log_dir_end - the end of everything reserved so far. */
struct log_pos log_dir_end(const struct log_dir *d);

/* log_dir_last_offset - the last offset appended or recovered; false if
 * the log is empty. */
bool log_dir_last_offset(const struct log_dir *d, int64_t *offset);

const char *log_dir_path(const struct log_dir *d);

/* log_dir_close - close files and free; NULL is accepted. Bytes not
 * durable stay as they are (recovery deals with them); when all are, the
 * active segment is cut back to them (O_DIRECT padding). */
void log_dir_close(struct log_dir *d);

#endif

/* log/reader.c - sequential, verified reading of a partition's log.
 *
 * Invariant: rd->buf holds file bytes [buf_pos, buf_pos + buf_len) of the
 * current segment, and rd->pos lies in or just past that range whenever the
 * buffer is valid. The buffer grows to fit one frame (at most max_record).
 */
#include "log/reader.h"

#include "common/err.h"
#include "common/io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RD_CHUNK (256u * 1024)

struct log_rd {
	char *dir;
	enum log_zone zone;
	uint32_t max_record;
	uint64_t *bases; /* cached segment list */
	size_t nbases;
	int fd;
	uint64_t seg;
	uint64_t pos;
	unsigned char *buf;
	size_t cap;
	uint64_t buf_pos;
	size_t buf_len;
	char path[PATH_MAX];
};

static int refresh_list(struct log_rd *rd)
{
	free(rd->bases);
	rd->bases = NULL;
	rd->nbases = 0;
	return log_seg_list(rd->dir, &rd->bases, &rd->nbases);
}

/* The base of the first segment after @seg, refreshing the list once if
 * the cached one does not know it. Returns 1 and *next, 0 if none. */
static int next_segment(struct log_rd *rd, uint64_t seg, uint64_t *next)
{
	int pass, ret;
	size_t i;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < rd->nbases; i++)
			if (rd->bases[i] > seg) {
				*next = rd->bases[i];
				return 1;
			}
		ret = refresh_list(rd);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void set_segment(struct log_rd *rd, uint64_t seg, uint64_t pos)
{
	if (rd->fd >= 0 && rd->seg != seg) {
		close(rd->fd);
		rd->fd = -1;
	}
	rd->seg = seg;
	rd->pos = pos;
	rd->buf_pos = pos;
	rd->buf_len = 0;
	log_seg_path(rd->path, sizeof(rd->path), rd->dir, seg, ".log");
}

int log_rd_open(const char *dir, enum log_zone zone, uint32_t max_record,
		struct log_rd **out)
{
	struct log_rd *rd = calloc(1, sizeof(*rd));
	int ret;

	*out = NULL;
	if (!rd)
		return -ENOMEM;
	rd->fd = -1;
	rd->zone = zone;
	rd->max_record = max_record;
	rd->dir = strdup(dir);
	rd->cap = RD_CHUNK;
	rd->buf = malloc(rd->cap);
	if (!rd->dir || !rd->buf) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = refresh_list(rd);
	if (ret < 0)
		goto out_free;
	set_segment(rd, rd->nbases ? rd->bases[0] : 0, LOG_SEG_HDR_SIZE);
	*out = rd;
	return 0;

out_free:
	log_rd_close(rd);
	return ret;
}

void log_rd_close(struct log_rd *rd)
{
	if (!rd)
		return;
	if (rd->fd >= 0)
		close(rd->fd);
	free(rd->bases);
	free(rd->buf);
	free(rd->dir);
	free(rd);
}

int log_rd_seek(struct log_rd *rd, struct log_pos pos)
{
	if (pos.pos < LOG_SEG_HDR_SIZE)
		return -EINVAL;
	set_segment(rd, pos.seg, pos.pos);
	return 0;
}

struct log_pos log_rd_pos(const struct log_rd *rd)
{
	return (struct log_pos){rd->seg, rd->pos};
}

const char *log_rd_path(const struct log_rd *rd)
{
	return rd->path;
}

/* Make at least @need bytes from rd->pos available in the buffer, or as
 * many as the file has before @stop (a file position, or UINT64_MAX).
 * Nothing past @stop is read: an O_DIRECT writer may have padded there
 * with zeros it overwrites later. Returns the bytes available from
 * rd->pos, or -errno. */
static ssize_t fill(struct log_rd *rd, size_t need, uint64_t stop)
{
	size_t off = (size_t)(rd->pos - rd->buf_pos), have;

	if (rd->pos < rd->buf_pos || off > rd->buf_len) {
		rd->buf_pos = rd->pos;
		rd->buf_len = 0;
		off = 0;
	}
	have = rd->buf_len - off;
	if (have >= need)
		return (ssize_t)have;
	/* Slide what is left to the front, grow for a large frame, read. */
	if (off) {
		memmove(rd->buf, rd->buf + off, have);
		rd->buf_pos = rd->pos;
		rd->buf_len = have;
	}
	if (need > rd->cap) {
		unsigned char *nb = realloc(rd->buf, need);

		if (!nb)
			return -ENOMEM;
		rd->buf = nb;
		rd->cap = need;
	}
	while (rd->buf_len < need) {
		uint64_t at = rd->buf_pos + rd->buf_len;
		size_t room = rd->cap - rd->buf_len;
		ssize_t n;

		if (stop != UINT64_MAX)
			room = at >= stop	  ? 0
			       : room > stop - at ? (size_t)(stop - at)
						  : room;
		if (room == 0)
			break;
		n = io_pread(rd->fd, rd->buf + rd->buf_len, room, at);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		rd->buf_len += (size_t)n;
	}
	return (ssize_t)rd->buf_len;
}

int log_rd_next(struct log_rd *rd, struct log_pos limit, struct log_rec *rec,
		struct log_pos *at)
{
	for (;;) {
		uint64_t stop, next;
		ssize_t avail;
		int ret;

		if (rd->seg > limit.seg)
			return 0;
		stop = rd->seg == limit.seg ? limit.pos : UINT64_MAX;
		if (rd->pos >= stop)
			return 0;
		if (rd->fd < 0) {
			if (rd->nbases == 0) {
				/* An empty log: look again, it may have
				 * gained a segment since. */
				ret = refresh_list(rd);
				if (ret < 0)
					return ret;
				if (rd->nbases == 0)
					return 0;
				set_segment(rd, rd->bases[0], LOG_SEG_HDR_SIZE);
				continue;
			}
			ret = log_seg_open(rd->dir, rd->seg, rd->zone,
					   O_RDONLY);
			if (ret == -ERR_CORRUPT || ret == -ERR_FORMAT) {
				rd->pos = 0; /* the header is what failed */
				return ret;
			}
			if (ret < 0)
				return ret == -ENOENT ? -ERR_CORRUPT : ret;
			rd->fd = ret;
		}

		avail = fill(rd, LOG_REC_HDR_SIZE, stop);
		if (avail < 0)
			return (int)avail;
		for (;;) {
			size_t len = (size_t)avail, want = 0;
			ssize_t prev = avail;

			if (stop != UINT64_MAX && len > stop - rd->pos)
				len = (size_t)(stop - rd->pos);
			ret = log_rec_decode(rd->buf + (rd->pos - rd->buf_pos),
					     len, rd->max_record, rec, &want);
			if (ret != -ENODATA)
				break;
			if (len < (size_t)avail)
				return -ERR_CORRUPT; /* runs past @limit */
			avail = fill(rd, want, stop);
			if (avail < 0)
				return (int)avail;
			if (avail <= prev)
				break; /* the file ends inside the frame */
		}
		if (ret > 0) {
			at->seg = rd->seg;
			at->pos = rd->pos;
			rd->pos += (uint64_t)ret;
			return 1;
		}
		/* Reading to the very end, zeros where a frame would start
		 * are space an O_DIRECT writer padded (or a crash left
		 * unwritten): the end of the data, like a torn tail. */
		if (ret != -ENODATA && limit.seg == UINT64_MAX && avail >= 4 &&
		    memcmp(rd->buf + (rd->pos - rd->buf_pos), "\0\0\0\0", 4) ==
			    0)
			return -ENODATA;
		if (ret != -ENODATA)
			return ret;
		/* The file ends before the limit does: below a finite limit
		 * (a durable frontier) every byte must be there. */
		if (stop != UINT64_MAX)
			return -ERR_CORRUPT;
		if (avail > 0)
			return limit.seg == UINT64_MAX ? -ENODATA
						       : -ERR_CORRUPT;
		/* A clean end of this segment: on to the next one, if the
		 * limit lies beyond. */
		ret = next_segment(rd, rd->seg, &next);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return limit.seg != UINT64_MAX && limit.seg > rd->seg
				       ? -ERR_CORRUPT
				       : 0;
		if (next > limit.seg)
			return 0;
		set_segment(rd, next, LOG_SEG_HDR_SIZE);
	}
}

int log_rd_seek_offset(struct log_rd *rd, int64_t offset)
{
	struct log_idx_entry *idx = NULL;
	struct log_rec rec;
	struct log_pos at;
	uint64_t base, pos;
	size_t i, n = 0;
	int ret;

	ret = refresh_list(rd);
	if (ret < 0)
		return ret;
	if (rd->nbases == 0)
		return 0;
	base = rd->bases[0];
	for (i = 0; i < rd->nbases && (int64_t)rd->bases[i] <= offset; i++)
		base = rd->bases[i];
	pos = LOG_SEG_HDR_SIZE;
	if (offset >= 0 &&
	    log_idx_load(rd->dir, base, UINT64_MAX, &idx, &n) == 0) {
		pos = log_idx_lookup(idx, n, offset);
		free(idx);
	}
	set_segment(rd, base, pos);
	for (;;) {
		ret = log_rd_next(rd, LOG_POS_END, &rec, &at);
		if (ret < 0 && pos != LOG_SEG_HDR_SIZE) {
			/* A stale index entry: scan the segment instead. */
			pos = LOG_SEG_HDR_SIZE;
			set_segment(rd, base, pos);
			continue;
		}
		if (ret <= 0)
			return ret == -ENODATA ? 0 : ret;
		if (rec.offset >= offset) {
			/* Step back onto it; it is still in the buffer. */
			rd->pos = at.pos;
			return 0;
		}
	}
}

/* log/dir.c - a partition's log, writer's side: recovery, reserve and roll,
 * the sparse index, the plain-write append path.
 *
 * Invariants:
 *  - synced <= end, both file positions in the active segment;
 *  - old_fd >= 0 only while the segment a roll left (old_seg) may hold
 *    bytes not yet durable, or O_DIRECT padding not yet cut and synced; a
 *    roll waits while it is set, so every segment before old_seg is
 *    durable and complete;
 *  - in a keyed log, last_offset is the greatest offset in the log and any
 *    new record's offset exceeds it;
 *  - pending index entries all belong to the active segment;
 *  - dfd and old_dfd are fd's and old_fd's O_DIRECT twins, or -1.
 */
#include "log/dir.h"

#include "common/diag.h"
#include "common/err.h"
#include "common/io.h"
#include "log/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef STATX_DIOALIGN
#define STATX_DIOALIGN 0x00002000u
#endif

struct log_dir {
	char *path;
	struct log_dir_opts o;
	int fd; /* active segment, or -1 */
	int dfd;
	uint32_t align; /* what dfd's writes align to */
	uint64_t seg;
	int old_fd; /* the segment left by the last roll, until durable */
	int old_dfd;
	bool sealed; /* log_dir_seal() cut it since the last log_dir_durable() */
	/* the bytes of the partial block that ends at tail_pos of the active
	 * segment, as the last log_dir_align() left them */
	bool tail_ok;
	uint32_t tail_len;
	uint64_t tail_pos;
	char tail[LOG_DIR_ALIGN_MAX];
	uint64_t old_seg;
	uint64_t old_end; /* its size */
	bool have_seg;
	uint64_t end;
	uint64_t synced;
	bool have_last;
	int64_t last_offset;
	/* index of the active segment */
	int idx_fd;
	uint64_t idx_len;      /* bytes in the .index file */
	uint64_t idx_last_pos; /* position of the last entry */
	struct log_idx_entry *pend;
	size_t npend, cap_pend;
	/* log_dir_append's frame buffer */
	unsigned char *buf;
	size_t cap_buf;
};

int log_dir_open(const char *path, const struct log_dir_opts *o,
		 struct log_dir **out)
{
	struct log_dir *d;
	int ret;

	*out = NULL;
	ret = io_mkdir_p(path, 0750);
	if (ret < 0)
		return ret;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->path = strdup(path);
	if (!d->path) {
		free(d);
		return -ENOMEM;
	}
	d->o = *o;
	d->fd = -1;
	d->dfd = -1;
	d->old_fd = -1;
	d->old_dfd = -1;
	d->idx_fd = -1;
	*out = d;
	return 0;
}

void log_dir_close(struct log_dir *d)
{
	if (!d)
		return;
	/* Every reserved byte durable: cut the padding of O_DIRECT writes
	 * (recovery would, but as a torn tail). */
	if (d->dfd >= 0 && d->synced == d->end)
		io_ftruncate(d->fd, d->end);
	io_close(d->fd);
	io_close(d->dfd);
	io_close(d->old_fd);
	io_close(d->old_dfd);
	io_close(d->idx_fd);
	free(d->pend);
	free(d->buf);
	free(d->path);
	free(d);
}

const char *log_dir_path(const struct log_dir *d)
{
	return d->path;
}

struct log_pos log_dir_end(const struct log_dir *d)
{
	return (struct log_pos){d->seg, d->have_seg ? d->end : 0};
}

bool log_dir_last_offset(const struct log_dir *d, int64_t *offset)
{
	if (d->have_last)
		*offset = d->last_offset;
	return d->have_last;
}

static int remove_segment(const struct log_dir *d, uint64_t base)
{
	char path[PATH_MAX];
	int ret;

	log_seg_path(path, sizeof(path), d->path, base, ".index");
	ret = io_unlink(path);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	log_seg_path(path, sizeof(path), d->path, base, ".log");
	ret = io_unlink(path);
	return ret == -ENOENT ? 0 : ret;
}

/* Open the index of the active segment for appending, keeping the valid
 * prefix of what is there (entries below @limit). */
static int index_open(struct log_dir *d, uint64_t limit)
{
	struct log_idx_entry *e = NULL;
	char path[PATH_MAX];
	size_t n = 0;
	int ret;

	d->idx_last_pos = LOG_SEG_HDR_SIZE;
	d->idx_len = 0;
	d->npend = 0;
	if (!d->o.index_interval)
		return 0;
	ret = log_idx_load(d->path, d->seg, limit, &e, &n);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	if (n) {
		d->idx_last_pos = e[n - 1].pos;
		d->idx_len = n * sizeof(*e);
	}
	free(e);
	log_seg_path(path, sizeof(path), d->path, d->seg, ".index");
	ret = io_open(path, O_RDWR | O_CREAT, 0640);
	if (ret < 0)
		return ret;
	d->idx_fd = ret;
	/* Drop a torn or stale tail so appends continue a valid prefix. */
	return io_ftruncate(d->idx_fd, d->idx_len);
}

static int index_flush(struct log_dir *d)
{
	size_t bytes = d->npend * sizeof(*d->pend);
	int ret;

	if (!d->npend || d->idx_fd < 0)
		return 0;
	ret = io_pwrite_all(d->idx_fd, d->pend, bytes, d->idx_len);
	if (ret < 0)
		return ret;
	d->idx_len += bytes;
	d->npend = 0;
	return 0;
}

void log_dir_note(struct log_dir *d, int64_t offset, uint64_t pos)
{
	d->have_last = true;
	d->last_offset = offset;
	if (!d->o.index_interval || pos - d->idx_last_pos < d->o.index_interval)
		return;
	if (d->npend == d->cap_pend) {
		size_t cap = d->cap_pend ? d->cap_pend * 2 : 64;
		struct log_idx_entry *np = realloc(d->pend, cap * sizeof(*np));

		if (!np)
			return; /* the index is an optimisation: skip one */
		d->pend = np;
		d->cap_pend = cap;
	}
	d->pend[d->npend++] = (struct log_idx_entry){offset, pos};
	d->idx_last_pos = pos;
}

/* The O_DIRECT twin of the active segment, if the options ask for one and
 * the file system takes it. */
static void open_direct(struct log_dir *d)
{
	char path[PATH_MAX];
	struct statx sx;
	uint32_t a = 0;
	int fd;

	if (!d->o.direct ||
	    log_seg_path(path, sizeof(path), d->path, d->seg, ".log") < 0)
		return;
	fd = io_open(path, O_WRONLY | O_DIRECT, 0);
	if (fd >= 0 && statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
	    (sx.stx_mask & STATX_DIOALIGN))
		a = sx.stx_dio_offset_align > sx.stx_dio_mem_align
			    ? sx.stx_dio_offset_align
			    : sx.stx_dio_mem_align;
	if (a == 0)
		a = LOG_DIR_ALIGN_MAX; /* not said: a page is always enough */
	if (fd < 0 || a > LOG_DIR_ALIGN_MAX || (a & (a - 1))) {
		static bool said; /* once, not once per partition */

		if (!said)
			diag_info("%s: %s%s; writing through the page cache",
				  path,
				  fd < 0 ? "cannot open with O_DIRECT: "
					 : "O_DIRECT needs an alignment over "
					   "4096",
				  fd < 0 ? err_str(fd) : "");
		said = true;
		io_close(fd);
		d->o.direct = false;
		return;
	}
	d->dfd = fd;
	d->align = a;
}

static void set_active(struct log_dir *d, int fd, uint64_t seg, uint64_t end)
{
	/* A segment O_DIRECT wrote may hold padding past its records even
	 * when they are synced: it is sealed and synced like the rest. */
	if (d->fd >= 0 && (d->synced != d->end || d->dfd >= 0)) {
		d->old_fd = d->fd; /* synced later, then closed */
		d->old_dfd = d->dfd;
		d->old_seg = d->seg;
		d->old_end = d->end;
	} else {
		io_close(d->fd);
		io_close(d->dfd);
	}
	d->dfd = -1;
	d->tail_ok = false;
	io_close(d->idx_fd);
	d->idx_fd = -1;
	d->fd = fd;
	d->seg = seg;
	d->have_seg = true;
	d->end = end;
	d->synced = end;
	open_direct(d);
}

int log_dir_recover(struct log_dir *d, const struct log_pos *durable,
		    struct log_recovery *r)
{
	uint64_t *bases = NULL, cut_seg = 0, cut_pos = 0, last = 0;
	struct log_rd *rd = NULL;
	struct log_rec rec;
	struct log_pos at;
	struct stat st;
	size_t nbases, i, first = 0;
	bool cut = false;
	int ret, fd = -1;

	memset(r, 0, sizeof(*r));
	ret = log_seg_list(d->path, &bases, &nbases);
	if (ret < 0)
		return ret;
	if (durable) {
		for (i = 0; i < nbases && bases[i] != durable->seg; i++)
			;
		if (i == nbases) {
			diag_err("%s: segment %020llu.log, named by the "
				 "checkpoint, is missing",
				 d->path, (unsigned long long)durable->seg);
			ret = -ERR_CORRUPT;
			goto out;
		}
		first = i;
		fd = log_seg_open(d->path, durable->seg, d->o.zone, O_RDONLY);
		if (fd < 0 || fstat(fd, &st) < 0 ||
		    (uint64_t)st.st_size < durable->pos ||
		    durable->pos < LOG_SEG_HDR_SIZE) {
			diag_err("%s/%020llu.log: checkpointed up to position "
				 "%llu, but %s",
				 d->path, (unsigned long long)durable->seg,
				 (unsigned long long)durable->pos,
				 fd < 0 ? err_str(fd)
					: "the file is shorter than that");
			ret = fd < 0 && fd != -ERR_CORRUPT && fd != -ERR_FORMAT
				      ? fd
				      : -ERR_CORRUPT;
			goto out;
		}
		close(fd);
		fd = -1;
	} else if (nbases == 0) {
		goto out; /* a new, empty log */
	}

	ret = log_rd_open(d->path, d->o.zone, d->o.max_record, &rd);
	if (ret < 0)
		goto out;
	log_rd_seek(rd, durable ? *durable
				: (struct log_pos){bases[0], LOG_SEG_HDR_SIZE});
	r->end = log_rd_pos(rd);
	for (;;) {
		ret = log_rd_next(rd, LOG_POS_END, &rec, &at);
		if (ret == 0)
			break;
		if (durable && d->o.cut_past_durable) {
			/* Anything past the checkpoint is to be regenerated:
			 * cut where the checkpoint ends. */
			cut = true;
			cut_seg = durable->seg;
			cut_pos = durable->pos;
			ret = 0;
			break;
		}
		if (ret == 1 && d->o.keyed &&
		    ((r->have_last && rec.offset <= r->last_offset) ||
		     rec.offset < (int64_t)at.seg))
			ret = -ERR_ORDER;
		if (ret < 0) {
			if (ret != -ENODATA && ret != -ERR_CORRUPT &&
			    ret != -ERR_TOO_LARGE && ret != -ERR_FORMAT &&
			    ret != -ERR_ORDER)
				goto out; /* an I/O error, not the data */
			cut = true;
			at = log_rd_pos(rd);
			cut_seg = at.seg;
			cut_pos = at.pos;
			diag_warn("%s/%020llu.log: torn tail at position %llu "
				  "(%s); truncating",
				  d->path, (unsigned long long)at.seg,
				  (unsigned long long)at.pos,
				  ret == -ENODATA ? "incomplete record"
						  : err_str(ret));
			ret = 0;
			break;
		}
		r->have_last = true;
		r->last_offset = rec.offset;
		r->last_timestamp = rec.timestamp;
		r->last_pos = at;
		r->records++;
		r->end = log_rd_pos(rd);
	}

	/* The segment holding the end becomes the active one; a torn tail is
	 * cut off and every later segment removed, then made durable. A cut
	 * at position 0 is a segment whose header is torn: it was being
	 * created, so it goes too, and the one before it is the active one.
	 * Without a cut, the end is the last record, or the checkpoint's
	 * segment if later: segments past both hold nothing, and go too. A
	 * crash left them (a roll, then writes that never completed), and
	 * kept, they would take records older than their name in a keyed
	 * log, or be named by a checkpoint while their header, which
	 * log_seg_create does not sync, may not be durable. */
	if (cut && cut_pos == 0) {
		for (i = 0, last = 0; i < nbases && bases[i] < cut_seg; i++)
			last = bases[i];
		if (i == 0)
			goto empty;
		cut = false;
	} else if (cut) {
		last = cut_seg;
	} else if (r->have_last || durable) {
		last = r->have_last ? r->last_pos.seg : 0;
		if (durable && durable->seg > last)
			last = durable->seg;
	} else {
		goto empty; /* segments, but not a record in them */
	}
	for (i = first; i < nbases; i++) {
		if (bases[i] <= last)
			continue;
		ret = remove_segment(d, bases[i]);
		if (ret < 0)
			goto out;
		r->removed_segments++;
	}
	fd = log_seg_open(d->path, last, d->o.zone, O_RDWR);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (cut) {
		r->truncated_bytes = (uint64_t)st.st_size - cut_pos;
		ret = io_ftruncate(fd, cut_pos);
		if (ret == 0)
			ret = io_fdatasync(fd);
		if (ret < 0)
			goto out;
		st.st_size = (off_t)cut_pos;
		r->end = (struct log_pos){cut_seg, cut_pos};
	}
	if (r->removed_segments) {
		ret = io_fsync_dir(d->path);
		if (ret < 0)
			goto out;
	}
	/* Records past the checkpoint may sit in the page cache only (the
	 * process died, not the machine), in every segment from the
	 * checkpoint's to the last (a roll keeps the one before open until
	 * it is durable): make them durable before anything is built on
	 * them. */
	if (r->records) {
		for (i = first; i < nbases && bases[i] < last && ret == 0;
		     i++) {
			int sfd = log_seg_open(d->path, bases[i], d->o.zone,
					       O_RDONLY);

			if (sfd < 0) {
				ret = sfd;
				break;
			}
			ret = io_fdatasync(sfd);
			close(sfd);
		}
		if (ret == 0 && !cut)
			ret = io_fdatasync(fd); /* (a cut synced it) */
		if (ret < 0)
			goto out;
	}
	set_active(d, fd, last, (uint64_t)st.st_size);
	fd = -1;
	r->end = (struct log_pos){d->seg, d->end};
	if (r->have_last) {
		d->have_last = true;
		d->last_offset = r->last_offset;
	}
	ret = index_open(d, d->end);
	goto out;

empty: /* nothing valid: an empty log */
	for (i = 0; i < nbases; i++) {
		ret = remove_segment(d, bases[i]);
		if (ret < 0)
			goto out;
		r->removed_segments++;
	}
	r->end = (struct log_pos){0, 0};
	ret = io_fsync_dir(d->path);
out:
	if (fd >= 0)
		close(fd);
	log_rd_close(rd);
	free(bases);
	return ret;
}

int log_dir_reserve(struct log_dir *d, int64_t first, size_t len,
		    struct log_span *sp)
{
	uint64_t base;
	int fd, ret;

	if (d->o.keyed &&
	    (first < 0 || (d->have_last && first <= d->last_offset)))
		return -ERR_ORDER;
	if (d->have_seg && (d->end < d->o.segment_bytes || d->old_fd >= 0))
		goto reserve;

	if (!d->have_seg) {
		uint64_t *bases = NULL;
		size_t n = 0;

		/* A log that recovery did not open: start after whatever
		 * is there (normally nothing). */
		ret = log_seg_list(d->path, &bases, &n);
		if (ret < 0)
			return ret;
		base = d->o.keyed ? (uint64_t)first
				  : (n ? bases[n - 1] + 1 : 0);
		if (n && base <= bases[n - 1]) {
			free(bases);
			return -ERR_ORDER;
		}
		free(bases);
	} else {
		ret = index_flush(d);
		if (ret < 0)
			return ret;
		base = d->o.keyed ? (uint64_t)first : d->seg + 1;
	}
	fd = log_seg_create(d->path, base, d->o.zone, d->o.partition);
	if (fd < 0)
		return fd;
	set_active(d, fd, base, LOG_SEG_HDR_SIZE);
	d->synced = 0; /* the header too waits for the next sync */
	ret = index_open(d, d->end);
	if (ret < 0)
		return ret;
	io_kill_point("R3");

reserve:
	sp->fd = d->fd;
	sp->dfd = d->dfd;
	sp->align = d->dfd >= 0 ? d->align : 1;
	sp->seg = d->seg;
	sp->pos = d->end;
	d->end += len;
	return 0;
}

uint32_t log_dir_lead(const struct log_dir *d, char *buf)
{
	if (d->dfd < 0 || !d->tail_ok || d->tail_pos != d->end)
		return 0;
	memcpy(buf, d->tail, d->tail_len);
	return d->tail_len;
}

int log_dir_align(struct log_dir *d, const struct log_span *sp, char *buf,
		  uint32_t *lead, uint32_t records)
{
	uint32_t a = sp->align, want = (uint32_t)(sp->pos & (a - 1)), len, wlen,
		 t;
	uint64_t end = sp->pos + records;

	if (!d->tail_ok || d->tail_pos != sp->pos) {
		/* The first write since the log opened, or since a roll:
		 * read the block's bytes back (the page cache has them). */
		ssize_t n = want ? io_pread_full(sp->fd, d->tail, want,
						 sp->pos - want)
				 : 0;

		if (n < 0)
			return (int)n;
		if ((size_t)n != want)
			return -EIO;
		if (want != *lead)
			memmove(buf + want, buf + *lead, records);
		memcpy(buf, d->tail, want);
		*lead = want;
	}
	len = want + records;
	wlen = (len + a - 1) & ~(a - 1);
	t = (uint32_t)(end & (a - 1));
	memcpy(d->tail, buf + len - t, t);
	d->tail_len = t;
	d->tail_pos = end;
	d->tail_ok = true;
	memset(buf + len, 0, wlen - len);
	return (int)wlen;
}

int log_dir_unsynced(const struct log_dir *d, int fds[2])
{
	int n = 0;

	if (d->old_fd >= 0)
		fds[n++] = d->old_fd;
	if (d->have_seg && d->synced != d->end)
		fds[n++] = d->fd;
	return n;
}

int log_dir_seal(struct log_dir *d)
{
	int ret;

	if (d->old_fd < 0 || d->old_dfd < 0)
		return 0;
	ret = io_ftruncate(d->old_fd, d->old_end);
	d->sealed = ret == 0;
	return ret;
}

int log_dir_durable(struct log_dir *d, struct log_pos upto)
{
	/* A segment O_DIRECT wrote stays open until a sync has followed its
	 * cut: @upto may cover it from before the roll, when it was not cut
	 * yet. */
	if (d->old_fd >= 0 && (d->old_dfd < 0 || d->sealed) &&
	    (upto.seg > d->old_seg ||
	     (upto.seg == d->old_seg && upto.pos >= d->old_end))) {
		io_close(d->old_fd);
		io_close(d->old_dfd);
		d->old_fd = -1;
		d->old_dfd = -1;
	}
	d->sealed = false;
	if (upto.seg == d->seg && upto.pos > d->synced && upto.pos <= d->end)
		d->synced = upto.pos;
	return index_flush(d);
}

int log_dir_place(struct log_dir *d, const void *frames, size_t len,
		  struct log_span *sp)
{
	const unsigned char *p = frames;
	int64_t first;
	uint32_t flen;
	size_t off;
	int ret;

	if (len < LOG_REC_HDR_SIZE)
		return -EINVAL;
	memcpy(&first, p + offsetof(struct log_rec_hdr, offset), 8);
	ret = log_dir_reserve(d, first, len, sp);
	if (ret < 0)
		return ret;
	if (!d->o.keyed && !d->o.index_interval)
		return 0; /* nothing to note: no index, no offset order */
	for (off = 0; off < len; off += flen) {
		int64_t o;

		memcpy(&flen, p + off + offsetof(struct log_rec_hdr, length),
		       4);
		memcpy(&o, p + off + offsetof(struct log_rec_hdr, offset), 8);
		log_dir_note(d, o, sp->pos + off);
	}
	return 0;
}

int log_dir_write(struct log_dir *d, const void *frames, size_t len,
		  struct log_pos *first_pos)
{
	struct log_span sp;
	int ret;

	ret = log_dir_place(d, frames, len, &sp);
	if (ret < 0)
		return ret;
	if (first_pos)
		*first_pos = (struct log_pos){sp.seg, sp.pos};
	return io_pwrite_all(sp.fd, frames, len, sp.pos);
}

int log_dir_append(struct log_dir *d, const struct log_rec *recs, size_t n,
		   struct log_pos *first_pos)
{
	size_t total = 0, i, off;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		size_t sz = log_rec_size(&recs[i]);

		if (sz > d->o.max_record)
			return -ERR_TOO_LARGE;
		if (d->o.keyed && i && recs[i].offset <= recs[i - 1].offset)
			return -ERR_ORDER;
		total += sz;
	}
	if (total > d->cap_buf) {
		unsigned char *nb = realloc(d->buf, total);

		if (!nb)
			return -ENOMEM;
		d->buf = nb;
		d->cap_buf = total;
	}
	for (i = 0, off = 0; i < n; i++)
		off += log_rec_encode(&recs[i], d->buf + off);
	return log_dir_write(d, d->buf, total, first_pos);
}

int log_dir_sync(struct log_dir *d)
{
	struct log_pos end = log_dir_end(d);
	int fds[2], n, i, ret;

	ret = log_dir_seal(d);
	if (ret < 0)
		return ret;
	n = log_dir_unsynced(d, fds);
	for (i = 0; i < n; i++) {
		ret = io_fdatasync(fds[i]);
		if (ret < 0)
			return ret;
	}
	return log_dir_durable(d, end);
}

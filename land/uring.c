/* land/uring.c - writes and fdatasyncs through io_uring with callbacks.
 *
 * Each operation is a struct uop from a free list; its address is the
 * SQE's user_data. Operations are prepared lazily: land_io_write() only
 * records the request, and fill_sq() turns pending requests into SQEs as
 * the submission queue has room, so callers never see a full SQ.
 */
#include "land/uring.h"

#include "common/diag.h"
#include "common/io.h"

#include <errno.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum uop_kind { UOP_WRITE, UOP_FSYNC };

struct uop {
	struct uop *next; /* free list, or pending queue */
	enum uop_kind kind;
	int fd;
	const char *buf;
	uint32_t len;  /* still to write */
	uint32_t done; /* written so far */
	uint32_t align;
	uint64_t off;
	land_io_cb cb;
	void *arg;
};

struct land_io {
	struct io_uring ring;
	bool ring_ok;
	int efd;
	const char *region;
	size_t region_len;
	struct uop *free;
	struct uop *pend_head, *pend_tail; /* waiting for an SQE */
	unsigned inflight;		   /* pending + in the kernel */
	unsigned unsubmitted;		   /* SQEs prepared, not entered */
};

int land_io_new(unsigned depth, void *region, size_t region_len,
		struct land_io **out)
{
	struct land_io *io = calloc(1, sizeof(*io));
	int ret;

	*out = NULL;
	if (!io)
		return -ENOMEM;
	io->efd = -1;
	ret = io_uring_queue_init(depth, &io->ring, 0);
	if (ret < 0) {
		diag_err("io_uring_queue_init(%u): %s%s", depth, strerror(-ret),
			 ret == -EPERM || ret == -ENOSYS
				 ? " (io_uring is disabled or not permitted "
				   "here: see "
				   "/proc/sys/kernel/io_uring_disabled)"
				 : "");
		free(io);
		return ret;
	}
	io->ring_ok = true;
	if (region && region_len) {
		struct iovec iov = {region, region_len};

		/* Pinning the region once saves a page walk per write. A
		 * refusal (RLIMIT_MEMLOCK) only costs that saving. */
		ret = io_uring_register_buffers(&io->ring, &iov, 1);
		if (ret == 0) {
			io->region = region;
			io->region_len = region_len;
		} else {
			diag_warn("io_uring: cannot register %zu bytes of "
				  "write buffers (%s); using plain writes",
				  region_len, strerror(-ret));
		}
	}
	io->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (io->efd >= 0 && io_uring_register_eventfd(&io->ring, io->efd) < 0) {
		close(io->efd);
		io->efd = -1;
	}
	*out = io;
	return 0;
}

void land_io_free(struct land_io *io)
{
	struct uop *u;

	if (!io)
		return;
	if (io->ring_ok)
		io_uring_queue_exit(&io->ring);
	if (io->efd >= 0)
		close(io->efd);
	while ((u = io->free)) {
		io->free = u->next;
		free(u);
	}
	free(io);
}

static struct uop *uop_get(struct land_io *io)
{
	struct uop *u = io->free;

	if (u)
		io->free = u->next;
	else
		u = malloc(sizeof(*u));
	return u;
}

static void uop_put(struct land_io *io, struct uop *u)
{
	u->next = io->free;
	io->free = u;
}

static void pend_push(struct land_io *io, struct uop *u)
{
	u->next = NULL;
	if (io->pend_tail)
		io->pend_tail->next = u;
	else
		io->pend_head = u;
	io->pend_tail = u;
}

/* Prepare SQEs for pending operations while the SQ has room. */
static void fill_sq(struct land_io *io)
{
	struct io_uring_sqe *sqe;
	struct uop *u;

	while ((u = io->pend_head) && (sqe = io_uring_get_sqe(&io->ring))) {
		io->pend_head = u->next;
		if (!io->pend_head)
			io->pend_tail = NULL;
		if (u->kind == UOP_FSYNC) {
			io_uring_prep_fsync(sqe, u->fd, IORING_FSYNC_DATASYNC);
		} else {
			const char *p = u->buf + u->done;

			if (io->region && p >= io->region &&
			    p + u->len <= io->region + io->region_len)
				io_uring_prep_write_fixed(sqe, u->fd, p, u->len,
							  u->off + u->done, 0);
			else
				io_uring_prep_write(sqe, u->fd, p, u->len,
						    u->off + u->done);
		}
		io_uring_sqe_set_data(sqe, u);
		io->unsubmitted++;
	}
}

static int queue_op(struct land_io *io, enum uop_kind kind, int fd,
		    const void *buf, uint32_t len, uint64_t off, uint32_t align,
		    land_io_cb cb, void *arg)
{
	struct uop *u = uop_get(io);

	if (!u)
		return -ENOMEM;
	u->kind = kind;
	u->fd = fd;
	u->buf = buf;
	u->len = len;
	u->done = 0;
	u->align = align;
	u->off = off;
	u->cb = cb;
	u->arg = arg;
	pend_push(io, u);
	io->inflight++;
	fill_sq(io);
	return 0;
}

int land_io_write(struct land_io *io, int fd, const void *buf, uint32_t len,
		  uint64_t off, uint32_t align, land_io_cb cb, void *arg)
{
	return queue_op(io, UOP_WRITE, fd, buf, len, off, align, cb, arg);
}

int land_io_fsync(struct land_io *io, int fd, land_io_cb cb, void *arg)
{
	return queue_op(io, UOP_FSYNC, fd, NULL, 0, 0, 1, cb, arg);
}

int land_io_submit(struct land_io *io)
{
	int ret;

	fill_sq(io);
	if (!io->unsubmitted)
		return 0;
	do
		ret = io_uring_submit(&io->ring);
	while (ret == -EINTR);
	if (ret < 0)
		return ret;
	io->unsubmitted -= (unsigned)ret < io->unsubmitted ? (unsigned)ret
							   : io->unsubmitted;
	return 0;
}

/* One completion: finish short writes, else hand the result over. */
static void complete(struct land_io *io, struct uop *u, int res)
{
	res = io_fault(u->kind == UOP_FSYNC ? IO_SYNC : IO_WRITE, res,
		       u->align);
	if (u->kind == UOP_WRITE && res >= 0) {
		/* O_DIRECT goes on from a whole block (rewriting what of it
		 * was written: the same bytes). */
		uint32_t whole = (uint32_t)res & ~(u->align - 1);

		if (res == 0 || ((uint32_t)res < u->len && whole == 0)) {
			res = -EIO; /* no progress: never spin on it */
		} else if ((uint32_t)res < u->len) {
			u->done += whole;
			u->len -= whole;
			pend_push(io, u);
			fill_sq(io);
			return;
		} else {
			res = (int)(u->done + u->len);
		}
	}
	io->inflight--;
	uop_put(io, u);
	u->cb(u->arg, res);
}

int land_io_reap(struct land_io *io, unsigned wait_nr)
{
	struct io_uring_cqe *cqes[64];
	int reaped = 0, ret;

	if (io->efd >= 0) {
		uint64_t v;

		if (read(io->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return -errno;
	}
	for (;;) {
		unsigned n, i;

		ret = land_io_submit(io);
		if (ret < 0)
			return ret;
		n = io_uring_peek_batch_cqe(&io->ring, cqes, 64);
		if (n == 0) {
			struct io_uring_cqe *cqe;

			if ((unsigned)reaped >= wait_nr || io->inflight == 0)
				return reaped;
			ret = io_uring_wait_cqe(&io->ring, &cqe);
			if (ret == -EINTR)
				continue;
			if (ret < 0)
				return ret;
			continue;
		}
		for (i = 0; i < n; i++) {
			struct uop *u = io_uring_cqe_get_data(cqes[i]);
			int res = cqes[i]->res;

			/* Release the CQE before the callback, which may
			 * queue more work. */
			io_uring_cqe_seen(&io->ring, cqes[i]);
			complete(io, u, res);
			reaped++;
		}
	}
}

unsigned land_io_inflight(const struct land_io *io)
{
	return io->inflight;
}

int land_io_eventfd(const struct land_io *io)
{
	return io->efd;
}

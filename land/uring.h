/* land/uring.h - land's asynchronous disk I/O: writes and fdatasyncs
 * submitted through io_uring, completed through callbacks.
 *
 * Many operations go to the kernel in one io_uring_enter; completions are
 * reaped without blocking from the main loop (or blocking where the commit
 * protocol must wait). Writes from the registered region use fixed buffers.
 * A short write is finished by resubmitting the rest; the callback sees the
 * whole length or an error. Every result passes through io_fault() so the
 * tests' fault plans reach io_uring too (nothing outside the process can).
 *
 * Single-threaded: one land_io per process, used by the main loop only.
 */
#ifndef RZ_LAND_URING_H
#define RZ_LAND_URING_H

#include <stddef.h>
#include <stdint.h>

struct land_io;

/* Completion: @res is the bytes written (all of them), 0 for a sync, or
 * -errno. Called from land_io_reap(). */
typedef void (*land_io_cb)(void *arg, int res);

/* land_io_new - a ring of @depth entries; @region (may be NULL) is
 * registered as a fixed buffer. Returns 0 or -errno (io_uring missing or
 * not permitted: the message says so). */
int land_io_new(unsigned depth, void *region, size_t region_len,
		struct land_io **out);

/* land_io_free - the caller has reaped everything first. NULL accepted. */
void land_io_free(struct land_io *io);

/* land_io_write - queue a write of @len bytes at @buf to @fd at @off;
 * @align is 1, or an O_DIRECT fd's block (@buf, @len and @off multiples of
 * it), where a short write goes on from the last whole block written.
 * land_io_fsync - queue an fdatasync of @fd.
 * Queued operations reach the kernel at the next land_io_submit() or
 * land_io_reap(). Return 0 or -ENOMEM. */
int land_io_write(struct land_io *io, int fd, const void *buf, uint32_t len,
		  uint64_t off, uint32_t align, land_io_cb cb, void *arg);
int land_io_fsync(struct land_io *io, int fd, land_io_cb cb, void *arg);

/* land_io_submit - hand queued operations to the kernel. 0 or -errno. */
int land_io_submit(struct land_io *io);

/* land_io_reap - submit, then run the callbacks of every completion
 * available, waiting until at least @wait_nr have arrived (0: never wait).
 * Returns the number reaped or -errno. */
int land_io_reap(struct land_io *io, unsigned wait_nr);

/* land_io_inflight - operations queued or in the kernel. */
unsigned land_io_inflight(const struct land_io *io);

/* land_io_eventfd - an fd that becomes readable when completions arrive
 * (for poll); read it to reset. -1 if unavailable. */
int land_io_eventfd(const struct land_io *io);

#endif

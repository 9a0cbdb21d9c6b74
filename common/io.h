/* common/io.h - the I/O seam: every byte a stage writes or reads on disk
 * goes through here.
 *
 * The syscalls sit behind a table of function pointers so that they may be
 * overridden at runtime, and every operation is counted by kind so that a
 * test can fail the n-th write, sync or rename, or kill the process at a
 * named point of a commit protocol. I/O done outside the table (io_uring
 * completions, which no strace or LD_PRELOAD can see) passes its result
 * through io_fault() so that the same faults reach it.
 *
 * Faults come from the environment, read once at the first operation:
 *
 *   RAWZONE_FAULTS="sync:3=EIO,write:5+=ENOSPC,write:2=short,rename:1=KILL"
 *       OP:N=WHAT fails the N-th operation of kind OP; OP:N+=WHAT fails it
 *       and every later one (persistent). WHAT is an errno name (EIO,
 *       ENOSPC, EINTR, EAGAIN, EROFS, EDQUOT, EBADF, ENOMEM, EMFILE,
 *       EINVAL), "short" (a write or read
 *       that moves half the bytes) or "KILL" (SIGKILL before the operation).
 *       OP is one of open write read sync rename unlink truncate mkdir
 *       open_direct (an open with O_DIRECT, counted apart from the others).
 *   RAWZONE_KILL_AT="K2:3"
 *       SIGKILL at the 3rd time io_kill_point("K2") is reached.
 *
 * These are test hooks: production never sets them. Every action returns
 * 0 (or a count) on success and -errno on failure.
 */
#ifndef RZ_COMMON_IO_H
#define RZ_COMMON_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum io_op {
	IO_OPEN,
	IO_WRITE,
	IO_READ,
	IO_SYNC, /* fsync and fdatasync, of files and directories */
	IO_RENAME,
	IO_UNLINK,
	IO_TRUNCATE,
	IO_MKDIR,
	IO_OPEN_DIRECT, /* an open with O_DIRECT */
	IO_OP_COUNT
};

/* The syscall table. Tests may replace entries; the defaults are libc's. */
struct io_sys {
	int (*open)(const char *path, int flags, ...);
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
	ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
	int (*fdatasync)(int fd);
	int (*fsync)(int fd);
	int (*rename)(const char *from, const char *to);
	int (*unlink)(const char *path);
	int (*ftruncate)(int fd, off_t len);
	int (*mkdir)(const char *path, mode_t mode);
};
extern struct io_sys io_sys;

/* io_open - open(2) with O_CLOEXEC added. Returns the fd or -errno. */
int io_open(const char *path, int flags, mode_t mode);

/* io_close - close @fd if it is >= 0. Closing never fails the caller. */
void io_close(int fd);

/* io_pwrite_all - write all @len bytes at @off, completing short writes.
 * Returns 0 or -errno; on error an unknown prefix may have been written. */
int io_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);

/* io_pread - one pread(2). Returns the bytes read (0 at end of file) or
 * -errno. EINTR is retried. */
ssize_t io_pread(int fd, void *buf, size_t len, uint64_t off);

/* io_pread_full - read up to @len bytes at @off, stopping early only at end
 * of file. Returns the bytes read or -errno. */
ssize_t io_pread_full(int fd, void *buf, size_t len, uint64_t off);

/* io_fdatasync, io_fsync - 0 or -errno. A failure is final: the kernel may
 * have dropped the dirty pages, so the caller must not retry and must not
 * advance anything that depends on these bytes. */
int io_fdatasync(int fd);
int io_fsync(int fd);

/* io_fsync_dir - fsync the directory @dir, making the entries created,
 * renamed or removed in it durable. 0 or -errno. */
int io_fsync_dir(const char *dir);

/* io_fsync_parent - io_fsync_dir() of the directory holding @path. */
int io_fsync_parent(const char *path);

int io_rename(const char *from, const char *to);
int io_unlink(const char *path);
int io_ftruncate(int fd, uint64_t len);

/* io_mkdir_p - create @path and its missing parents with @mode, and fsync
 * every directory that gained an entry, so the whole path is durable.
 * An existing directory is success. 0 or -errno. */
int io_mkdir_p(const char *path, mode_t mode);

/* io_fault - pass the result @res of an operation of kind @op done outside
 * the syscall table (an io_uring completion) through the fault plan: counts
 * the operation and returns @res, or the injected fault (-errno, or for
 * "short" a positive @res halved in whole @unit's, as an O_DIRECT write
 * transfers whole blocks - one unit stays whole), or kills the process. */
int io_fault(enum io_op op, int res, unsigned unit);

/* io_kill_point - a named point of a commit protocol; raises SIGKILL at the
 * occurrence RAWZONE_KILL_AT names. Costs one branch when unset. */
void io_kill_point(const char *name);

/* io_faults_reset - forget the counters and re-read the environment
 * (tests that change the plan within one process). */
void io_faults_reset(void);

#endif

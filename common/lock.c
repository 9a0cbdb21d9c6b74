/* common/lock.c - the stage lock: flock(2) on <data_dir>/<stage>.lock, with
 * the holder's pid written inside for the message a second instance gives.
 */
#include "common/lock.h"

#include "common/err.h"
#include "common/io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

int lock_stage(const char *data_dir, const char *stage, int *holder)
{
	char path[PATH_MAX], pid[32];
	int fd, ret, n;

	*holder = 0;
	if (snprintf(path, sizeof(path), "%s/%s.lock", data_dir, stage) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = io_open(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK ? -ERR_LOCKED : -errno;
		n = (int)pread(fd, pid, sizeof(pid) - 1, 0);
		if (n > 0) {
			pid[n] = '\0';
			*holder = atoi(pid);
		}
		close(fd);
		return ret;
	}
	/* The pid is only for messages; the lock itself is the flock. */
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int lock_holder(const char *data_dir, const char *stage)
{
	char path[PATH_MAX], buf[32];
	int fd, n, pid;

	if (snprintf(path, sizeof(path), "%s/%s.lock", data_dir, stage) >=
	    (int)sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	n = (int)pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = atoi(buf);
	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return 0;
	return pid;
}

/* bench/bench_ckpt_sum.c - how many records land has made durable: the sum
 * of LAND_CK_NEXT over the partitions of a land checkpoint.
 *
 * On a topic whose partitions start at offset 0 and hold no gaps (no
 * transactions, no compaction; the preloaded benchmark topics), the next
 * offset of a partition is the count of its records landed, so the sum is
 * the count of records that are fsync'd and checkpointed.
 *
 * The checkpoint is read while rawzone-land writes it. log_ck_load()
 * removes a "<path>.tmp" it finds (a create or regrow that crashed), which
 * would race with land's own create or regrow; so each poll copies the
 * file into a private memfd and loads the copy. A slot torn by the copy
 * fails its CRC and the other slot is used, as after a crash.
 *
 * With -w RECORDS it reads the checkpoint again whenever its directory
 * reports a change (inotify: land rewrites a slot in place, or replaces
 * the file on a regrow), and at least every -i milliseconds, until the sum
 * reaches RECORDS. The records are durable by then (land syncs them before
 * it writes their checkpoint); the checkpoint's own fdatasync may still be
 * under way. With -p PID it watches that process too: it fails if the
 * process ends first, and at the end it reads the process's CPU time
 * (utime + stime) and peak RSS (VmHWM) from /proc, at the moment the sum
 * was reached. Prints
 *
 *   bench_ckpt_sum: records=R partitions=P seconds=S end_unix=E
 *                   [cpu_s=C maxrss_kib=K threads=NAME/CPU,...]
 *
 * (seconds: from the start of this program to the read that saw the sum;
 * end_unix: the wall-clock time of that read, seconds since 1970 as bash's
 * $EPOCHREALTIME).
 * Exit 0 when done; 1 on a timeout, an unreadable checkpoint or the
 * process gone; 2 on bad usage.
 */
#include "bench/bench.h"

#include "common/diag.h"
#include "common/err.h"
#include "log/checkpoint.h"
#include "log/layout.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench_ckpt_sum [-w RECORDS [-i MS] [-T SECONDS] "
		"[-p PID]] CHECKPOINT\n"
		"\n"
		"Prints the sum of the next offsets (records landed, on a "
		"gapless topic from\n"
		"offset 0) in a land checkpoint (<data_dir>/land.ckpt).\n"
		"  -w RECORDS  wait until the sum reaches RECORDS "
		"(a missing file counts 0)\n"
		"  -i MS       read at least this often (default 10), and at "
		"once when the\n"
		"              checkpoint's directory changes\n"
		"  -T SECONDS  give up after this long (default 600)\n"
		"  -p PID      fail if PID ends first; report its CPU time "
		"and peak RSS\n");
}

/* Copy @path into @memfd; returns 0, -ENOENT or -errno. */
static int copy_file(const char *path, int memfd)
{
	char buf[65536];
	off_t off = 0;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(memfd, 0) < 0) {
		ret = -errno;
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (pwrite(memfd, buf, (size_t)n, off) != n) {
			ret = -EIO;
			goto out;
		}
		off += n;
	}
	if (n < 0)
		ret = -errno;
out:
	close(fd);
	return ret;
}

/* Sum LAND_CK_NEXT of the checkpoint at @path. Returns 0 with *sum and
 * *parts set (0 when the file does not exist yet), or a negative error. */
static int ckpt_sum(const char *path, int memfd, uint64_t *sum, size_t *parts)
{
	struct log_ck ck = {0};
	char copy[64];
	size_t i;
	int ret;

	*sum = 0;
	*parts = 0;
	ret = copy_file(path, memfd);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	snprintf(copy, sizeof(copy), "/proc/self/fd/%d", memfd);
	ret = log_ck_load(copy, &ck);
	if (ret < 0)
		return ret;
	for (i = 0; i < ck.n; i++)
		*sum += ck.e[i].v[LAND_CK_NEXT];
	*parts = ck.n;
	log_ck_free(&ck);
	return 0;
}

/* CPU seconds and VmHWM of @pid; 0 or -1. */
static int proc_usage(int pid, double *cpu, long *hwm_kib)
{
	char path[64], buf[4096], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name, which may hold spaces: from the
	 * last ')'; utime and stime are fields 14 and 15. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
			 "%llu",
			 &ut, &st) != 2)
		return -1;
	*cpu = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	*hwm_kib = -1;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "VmHWM: %ld kB", hwm_kib) == 1)
			break;
	fclose(f);
	return *hwm_kib < 0 ? -1 : 0;
}

static int alive(int pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

int main(int argc, char **argv)
{
	const char *path;
	uint64_t target = 0, sum = 0;
	size_t parts = 0;
	double t0 = bench_now(), limit = 600, cpu = 0, end_unix;
	char copy[PATH_MAX];
	const char *dir;
	long interval_ms = 10, hwm = 0;
	char threads[1024] = "";
	int opt, pid = 0, memfd, ifd, watch = -1, ret, status = 1;

	diag_init("bench_ckpt_sum", DIAG_WARN);
	while ((opt = getopt(argc, argv, "w:i:T:p:h")) != -1) {
		switch (opt) {
		case 'w':
			target = strtoull(optarg, NULL, 10);
			break;
		case 'i':
			interval_ms = strtol(optarg, NULL, 10);
			break;
		case 'T':
			limit = strtod(optarg, NULL);
			break;
		case 'p':
			pid = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc || interval_ms < 1 || limit <= 0 ||
	    (pid && !target)) {
		usage(stderr);
		return 2;
	}
	path = argv[optind];
	memfd = memfd_create("land.ckpt.copy", MFD_CLOEXEC);
	if (memfd < 0) {
		perror("bench_ckpt_sum: memfd_create");
		return 1;
	}
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ifd < 0) {
		perror("bench_ckpt_sum: inotify_init1");
		close(memfd);
		return 1;
	}
	/* dirname() may write into its argument: a copy of the path. */
	if ((size_t)snprintf(copy, sizeof(copy), "%s", path) >= sizeof(copy)) {
		fprintf(stderr, "bench_ckpt_sum: %s: path too long\n", path);
		goto out;
	}
	dir = dirname(copy);

	for (;;) {
		ret = ckpt_sum(path, memfd, &sum, &parts);
		if (ret < 0) {
			fprintf(stderr, "bench_ckpt_sum: %s: %s\n", path,
				err_str(ret));
			goto out;
		}
		if (!target || sum >= target)
			break;
		if (pid && !alive(pid)) {
			fprintf(stderr,
				"bench_ckpt_sum: process %d ended at %" PRIu64
				" of %" PRIu64 " records\n",
				pid, sum, target);
			goto out;
		}
		if (bench_now() - t0 > limit) {
			fprintf(stderr,
				"bench_ckpt_sum: %" PRIu64 " of %" PRIu64
				" records after %.0f s\n",
				sum, target, limit);
			goto out;
		}
		/* The directory may not exist yet: land creates it. */
		if (watch < 0)
			watch = inotify_add_watch(ifd, dir,
						  IN_MODIFY | IN_CLOSE_WRITE |
							  IN_MOVED_TO |
							  IN_CREATE);
		if (watch < 0) {
			usleep((useconds_t)interval_ms * 1000);
		} else {
			struct pollfd pfd = {ifd, POLLIN, 0};
			char drain[4096];

			poll(&pfd, 1, (int)interval_ms);
			while (read(ifd, drain, sizeof(drain)) > 0)
				;
		}
	}
	end_unix = bench_unix_now();
	if (pid)
		bench_threads(pid, threads, sizeof(threads));
	if (pid && proc_usage(pid, &cpu, &hwm) < 0) {
		fprintf(stderr, "bench_ckpt_sum: cannot read /proc/%d\n", pid);
		goto out;
	}
	printf("bench_ckpt_sum: records=%" PRIu64 " partitions=%zu "
	       "seconds=%.3f end_unix=%.6f",
	       sum, parts, bench_now() - t0, end_unix);
	if (pid)
		printf(" cpu_s=%.3f maxrss_kib=%ld threads=%s", cpu, hwm,
		       threads);
	printf("\n");
	status = 0;
out:
	close(ifd);
	close(memfd);
	return status;
}

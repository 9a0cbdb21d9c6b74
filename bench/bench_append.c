/* bench/bench_append.c - what land's epochs cost the disk path: appends to
 * many files with O_DIRECT through io_uring, then an fdatasync of each.
 *
 *   bench_append -d DIR [-p FILES] [-r ROUNDS] [-s BYTES] [-m MODE]
 *
 * Creates FILES files in DIR (which must not hold files of that name:
 * "append-N"), then runs ROUNDS rounds: one write of BYTES (a multiple of
 * 4096) at the end of every file, all submitted at once, then one
 * fdatasync of every file, all submitted at once - what an epoch of land
 * does over FILES partitions. MODE says what the files are before the
 * first write:
 *   grow     empty: every write extends the file (land today)
 *   alloc    fallocate(2) of every byte the rounds write, size set: the
 *            writes land inside the file, on allocated blocks
 *   keepsize fallocate(2) with FALLOC_FL_KEEP_SIZE: blocks allocated, the
 *            writes still extend the file
 * Prints, and removes the files:
 *
 *   bench_append: mode=M files=F rounds=R bytes=B write_s=W sync_s=S
 *                 cpu_s=C
 *
 * write_s and sync_s are the wall time of the writes and of the syncs;
 * cpu_s is user + system time of the process, io_uring's workers included
 * (the fallocate calls excluded). Exit 0, 1 on an I/O error (named), 2 on
 * bad usage.
 */
#include "bench/bench.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILES 4096

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench_append -d DIR [-p FILES] [-r ROUNDS] [-s BYTES] "
		"[-m grow|alloc|keepsize]\n"
		"Appends BYTES (a multiple of 4096) to each of FILES files in "
		"DIR per round\nwith O_DIRECT through io_uring, then "
		"fdatasyncs each (defaults: 128 files,\n25 rounds, 49152 "
		"bytes, grow); prints wall and CPU seconds.\n");
}

/* Submit what is queued and reap @n completions; each must return
 * @want (a write's length, or 0). Returns 0 or -errno. */
static int run_batch(struct io_uring *ring, unsigned n, int want,
		     const char *what, const char *dir)
{
	unsigned i;
	int ret = io_uring_submit_and_wait(ring, n);

	if (ret < 0) {
		fprintf(stderr, "bench_append: io_uring_submit: %s\n",
			strerror(-ret));
		return ret;
	}
	for (i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;

		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret < 0)
			return ret;
		if (cqe->res != want) {
			fprintf(stderr,
				"bench_append: %s in %s/append-%llu: %s\n",
				what, dir, (unsigned long long)cqe->user_data,
				cqe->res < 0 ? strerror(-cqe->res)
					     : "short write");
			return cqe->res < 0 ? cqe->res : -EIO;
		}
		io_uring_cqe_seen(ring, cqe);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *mode = "grow";
	long files = 128, rounds = 25, bytes = 49152;
	int fds[MAX_FILES], opt, status = 1;
	double t0, t1, write_s = 0, sync_s = 0, c0;
	struct io_uring ring;
	char path[4096];
	void *buf = NULL;
	long i, k, opened = 0;

	while ((opt = getopt(argc, argv, "d:p:r:s:m:h")) != -1) {
		switch (opt) {
		case 'd':
			dir = optarg;
			break;
		case 'p':
			files = atol(optarg);
			break;
		case 'r':
			rounds = atol(optarg);
			break;
		case 's':
			bytes = atol(optarg);
			break;
		case 'm':
			mode = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!dir || optind != argc || files < 1 || files > MAX_FILES ||
	    rounds < 1 || bytes < 4096 || bytes % 4096 ||
	    (strcmp(mode, "grow") && strcmp(mode, "alloc") &&
	     strcmp(mode, "keepsize"))) {
		usage(stderr);
		return 2;
	}
	if (posix_memalign(&buf, 4096, (size_t)bytes)) {
		fprintf(stderr, "bench_append: out of memory\n");
		return 1;
	}
	memset(buf, 'x', (size_t)bytes);
	if (io_uring_queue_init((unsigned)files, &ring, 0) < 0) {
		fprintf(stderr, "bench_append: io_uring_queue_init failed\n");
		free(buf);
		return 1;
	}
	for (i = 0; i < files; i++) {
		snprintf(path, sizeof(path), "%s/append-%ld", dir, i);
		fds[i] = open(path, O_CREAT | O_EXCL | O_WRONLY | O_DIRECT,
			      0644);
		if (fds[i] < 0) {
			fprintf(stderr, "bench_append: %s: %s\n", path,
				strerror(errno));
			goto out;
		}
		opened++;
		if (strcmp(mode, "grow") &&
		    fallocate(fds[i],
			      strcmp(mode, "keepsize") ? 0
						       : FALLOC_FL_KEEP_SIZE,
			      0, (off_t)rounds * bytes) < 0) {
			fprintf(stderr, "bench_append: fallocate %s: %s\n",
				path, strerror(errno));
			goto out;
		}
	}
	c0 = bench_cpu_s();
	for (k = 0; k < rounds; k++) {
		t0 = bench_now();
		for (i = 0; i < files; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			io_uring_prep_write(sqe, fds[i], buf, (unsigned)bytes,
					    (uint64_t)k * (uint64_t)bytes);
			sqe->user_data = (uint64_t)i;
		}
		if (run_batch(&ring, (unsigned)files, (int)bytes, "write",
			      dir) < 0)
			goto out;
		t1 = bench_now();
		write_s += t1 - t0;
		for (i = 0; i < files; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			io_uring_prep_fsync(sqe, fds[i], IORING_FSYNC_DATASYNC);
			sqe->user_data = (uint64_t)i;
		}
		if (run_batch(&ring, (unsigned)files, 0, "fdatasync", dir) < 0)
			goto out;
		sync_s += bench_now() - t1;
	}
	printf("bench_append: mode=%s files=%ld rounds=%ld bytes=%ld "
	       "write_s=%.3f sync_s=%.3f cpu_s=%.3f\n",
	       mode, files, rounds, bytes, write_s, sync_s, bench_cpu_s() - c0);
	status = 0;
out:
	for (i = 0; i < opened; i++) {
		close(fds[i]);
		snprintf(path, sizeof(path), "%s/append-%ld", dir, i);
		unlink(path);
	}
	io_uring_queue_exit(&ring);
	free(buf);
	return status;
}

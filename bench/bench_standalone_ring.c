/* bench/bench_standalone_ring.c - the land->decode ring across processes,
 * against a bare C11 SPSC ring in the same run.
 *
 * A producer process publishes N 32-byte entries and a consumer process
 * takes them, checking each one's sequence; the producer retries when the
 * ring is full (a real producer would skip). The baseline is the smallest
 * correct SPSC ring: head and tail on their own cache lines, acquire and
 * release, no header checks, no futex. Both run with several batch sizes.
 * Prints a markdown table: entries/s (median of ROUNDS runs, default 3)
 * and the ratio to the baseline.
 *
 *   RING_ENTRIES=50000000 ROUNDS=3 build/bench/bench_standalone_ring
 */
#include "shm/ring.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CAP 4096u

/* The baseline ring, in an anonymous shared mapping. */
struct bare {
	_Alignas(64) _Atomic uint32_t head;
	_Alignas(64) _Atomic uint32_t tail;
	_Alignas(64) struct shm_ring_entry e[CAP];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct shm_ring_entry entry(uint64_t i)
{
	return (struct shm_ring_entry){.topic_id = 7,
				       .partition = (int32_t)(i & 127),
				       .offset = (int64_t)i,
				       .seg = i * 3,
				       .pos = (uint32_t)i,
				       .len = 200};
}

static uint32_t bare_publish(struct bare *r, const struct shm_ring_entry *e,
			     uint32_t n)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint32_t room = CAP - (head - tail), k = n < room ? n : room, i;

	for (i = 0; i < k; i++)
		r->e[(head + i) & (CAP - 1)] = e[i];
	atomic_store_explicit(&r->head, head + k, memory_order_release);
	return k;
}

static uint32_t bare_consume(struct bare *r, struct shm_ring_entry *out,
			     uint32_t max)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint32_t k = head - tail < max ? head - tail : max, i;

	for (i = 0; i < k; i++)
		out[i] = r->e[(tail + i) & (CAP - 1)];
	atomic_store_explicit(&r->tail, tail + k, memory_order_release);
	return k;
}

/* One run: fork a consumer, produce from this process. Returns entries/s,
 * or a negative value if the consumer saw a wrong entry. */
static double run(int bare_ring, uint64_t n, uint32_t batch, const char *name)
{
	struct bare *br = NULL;
	struct shm_ring *pr = NULL;
	struct shm_ring_entry b[256];
	uint64_t seq = 0;
	double t0;
	pid_t pid;
	int st;

	if (bare_ring) {
		br = mmap(NULL, sizeof(*br), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (br == MAP_FAILED)
			return -1;
		memset(br, 0, sizeof(*br));
	} else {
		shm_ring_unlink(name);
		if (shm_ring_open(name, CAP, SHM_RING_PRODUCER, &pr) < 0)
			return -1;
	}
	t0 = now();
	pid = fork();
	if (pid == 0) {
		struct shm_ring *cr = NULL;
		struct shm_ring_entry out[256];
		uint64_t want = 0;

		if (!bare_ring &&
		    shm_ring_open(name, CAP, SHM_RING_CONSUMER, &cr) < 0)
			_exit(2);
		while (want < n) {
			int k = bare_ring ? (int)bare_consume(br, out, 256)
					  : shm_ring_consume(cr, out, 256);
			int i;

			if (k < 0)
				_exit(3);
			if (k == 0) {
				if (!bare_ring)
					shm_ring_wait(cr, 100);
				continue;
			}
			for (i = 0; i < k; i++, want++)
				if (out[i].offset != (int64_t)want ||
				    out[i].seg != want * 3)
					_exit(4);
		}
		_exit(0);
	}
	while (seq < n) {
		uint32_t k = batch, i, done = 0;

		if (n - seq < k)
			k = (uint32_t)(n - seq);
		for (i = 0; i < k; i++)
			b[i] = entry(seq + i);
		while (done < k) {
			uint32_t m =
				bare_ring ? bare_publish(br, b + done, k - done)
					  : shm_ring_publish(pr, b + done,
							     k - done);

			done += m;
			if (m == 0)
				sched_yield();
		}
		seq += k;
	}
	waitpid(pid, &st, 0);
	{
		double dt = now() - t0;

		if (bare_ring)
			munmap(br, sizeof(*br));
		else {
			shm_ring_close(pr);
			shm_ring_unlink(name);
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return -1;
		return (double)n / dt;
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	const char *e = getenv("RING_ENTRIES"), *r = getenv("ROUNDS");
	uint64_t n = e ? strtoull(e, NULL, 10) : 50000000ull;
	int rounds = r ? atoi(r) : 3, i, k;
	static const uint32_t batches[] = {1, 16, 256};
	char name[64];

	if (rounds < 1)
		rounds = 1;
	snprintf(name, sizeof(name), "/rawzone.bench%d.a-b", (int)getpid());
	printf("ring: %llu entries of 32 bytes between two processes, %d "
	       "rounds, median\n\n",
	       (unsigned long long)n, rounds);
	printf("| batch | shm_ring entries/s | bare C11 ring entries/s | "
	       "ratio |\n|---:|---:|---:|---:|\n");
	for (k = 0; k < 3; k++) {
		double ours[16], bare[16];

		for (i = 0; i < rounds && i < 16; i++) {
			/* Alternate, so drift hits both alike. */
			bare[i] = run(1, n, batches[k], name);
			ours[i] = run(0, n, batches[k], name);
			if (bare[i] < 0 || ours[i] < 0) {
				fprintf(stderr, "ring benchmark: a run failed "
						"its checks\n");
				return 1;
			}
		}
		qsort(ours, (size_t)i, sizeof(double), cmp);
		qsort(bare, (size_t)i, sizeof(double), cmp);
		printf("| %u | %.1f M | %.1f M | %.2f |\n", batches[k],
		       ours[i / 2] / 1e6, bare[i / 2] / 1e6,
		       ours[i / 2] / bare[i / 2]);
	}
	return 0;
}

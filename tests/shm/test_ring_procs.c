/* tests/shm/test_ring_procs.c - the ring between processes: 50 million
 * entries checked in order across wraparound; a consumer killed and
 * restarted mid-stream; a producer killed and restarted; and, for the TSan
 * build, the same stream between two threads of one process.
 *
 * The test producer does not skip on a full ring (a real producer does): it
 * yields and retries, so that every entry can be checked. TEST_SCALE=10
 * divides the counts (sanitizer builds). */
#include "common/err.h"
#include "shm/ring.h"
#include "tests/check.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

struct shared {
	_Atomic uint64_t consumed; /* next seq the consumer expects */
	_Atomic uint64_t produced; /* next seq the producer will publish */
	_Atomic int failed;
};

static char name[128];
static struct shared *sh;
static uint64_t total;

static struct shm_ring_entry entry(uint64_t seq)
{
	return (struct shm_ring_entry){
		.topic_id = 0xabcdef01u,
		.partition = (int32_t)(seq % 128),
		.offset = (int64_t)seq,
		.seg = seq ^ 0x5555555555555555ull,
		.pos = (uint32_t)(seq * 2654435761u),
		.len = (uint32_t)seq,
	};
}

static int entry_ok(const struct shm_ring_entry *e)
{
	struct shm_ring_entry want = entry((uint64_t)e->offset);

	return memcmp(e, &want, sizeof(want)) == 0;
}

/* Publish [from, total), recording progress after each batch. */
static void produce(struct shm_ring *r, uint64_t from)
{
	struct shm_ring_entry b[BATCH];
	uint64_t seq = from;

	while (seq < total) {
		uint32_t n = 0, done = 0;

		while (n < BATCH && seq + n < total) {
			b[n] = entry(seq + n);
			n++;
		}
		while (done < n) {
			uint32_t k = shm_ring_publish(r, b + done, n - done);

			done += k;
			if (k == 0)
				sched_yield();
		}
		seq += n;
		atomic_store_explicit(&sh->produced, seq, memory_order_relaxed);
	}
}

/* Consume until @until; every entry checked; duplicates (a restarted
 * producer re-publishing) skipped, gaps are failures unless @gap_ok
 * (entries taken by a consumer that was killed). */
static int consume(struct shm_ring *r, uint64_t until, int first_gap_ok)
{
	struct shm_ring_entry b[BATCH];
	uint64_t next = atomic_load(&sh->consumed);
	int first = 1;

	while (next < until) {
		int n = shm_ring_consume(r, b, BATCH), i;

		if (n < 0)
			return 1;
		if (n == 0) {
			shm_ring_wait(r, 100);
			continue;
		}
		for (i = 0; i < n; i++) {
			uint64_t seq = (uint64_t)b[i].offset;

			if (!entry_ok(&b[i])) {
				fprintf(stderr, "entry %llu garbled\n",
					(unsigned long long)seq);
				return 1;
			}
			if (seq < next)
				continue; /* a duplicate: already had it */
			if (seq > next && !(first && first_gap_ok)) {
				fprintf(stderr,
					"gap: expected %llu, got %llu\n",
					(unsigned long long)next,
					(unsigned long long)seq);
				return 1;
			}
			first = 0;
			next = seq + 1;
		}
		atomic_store_explicit(&sh->consumed, next,
				      memory_order_relaxed);
	}
	return 0;
}

static pid_t spawn_producer(uint64_t from)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		struct shm_ring *r;

		if (shm_ring_open(name, 4096, SHM_RING_PRODUCER, &r) < 0)
			_exit(2);
		produce(r, from);
		shm_ring_close(r);
		_exit(0);
	}
	return pid;
}

static pid_t spawn_consumer(uint64_t until, int first_gap_ok)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		struct shm_ring *r;
		int ret;

		if (shm_ring_open(name, 4096, SHM_RING_CONSUMER, &r) < 0)
			_exit(2);
		ret = consume(r, until, first_gap_ok);
		shm_ring_close(r);
		_exit(ret);
	}
	return pid;
}

static int wait_ok(pid_t pid)
{
	int st;

	CHECK(waitpid(pid, &st, 0) == pid);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void kill_wait(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st));
}

static void wait_until(_Atomic uint64_t *v, uint64_t at_least)
{
	while (atomic_load(v) < at_least)
		usleep(1000);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void reset(void)
{
	shm_ring_unlink(name);
	atomic_store(&sh->consumed, 0);
	atomic_store(&sh->produced, 0);
}

static void *thread_producer(void *arg)
{
	produce(arg, 0);
	return NULL;
}

int main(void)
{
	const char *scale_s = getenv("TEST_SCALE");
	uint64_t scale = scale_s ? strtoull(scale_s, NULL, 10) : 1;
	pid_t prod, cons;
	double t0, dt;

	if (scale == 0)
		scale = 1;
	snprintf(name, sizeof(name), "/rawzone.test%d.p-c", (int)getpid());
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED);

	/* 1. Two processes, 50 million entries, in order. */
	reset();
	total = 50000000ull / scale;
	t0 = now();
	cons = spawn_consumer(total, 0);
	prod = spawn_producer(0);
	CHECK(wait_ok(prod));
	CHECK(wait_ok(cons));
	dt = now() - t0;
	CHECK_EQ(atomic_load(&sh->consumed), total);
	printf("cross-process: %llu entries in %.2f s (%.1f M entries/s)\n",
	       (unsigned long long)total, dt, (double)total / dt / 1e6);

	/* 2. The consumer killed mid-stream and restarted: it picks up from
	 * the ring's tail; entries the dead one took are gone with it (the
	 * real consumer re-reads them from the log). */
	reset();
	total = 5000000ull / scale;
	prod = spawn_producer(0);
	cons = spawn_consumer(total, 0);
	wait_until(&sh->consumed, total / 3);
	kill_wait(cons);
	cons = spawn_consumer(total, 1);
	CHECK(wait_ok(cons));
	CHECK(wait_ok(prod));
	CHECK_EQ(atomic_load(&sh->consumed), total);

	/* 3. The producer killed mid-stream and restarted from its recorded
	 * progress: re-published entries are duplicates, never gaps. */
	reset();
	cons = spawn_consumer(total, 0);
	prod = spawn_producer(0);
	wait_until(&sh->produced, total / 3);
	kill_wait(prod);
	prod = spawn_producer(atomic_load(&sh->produced));
	CHECK(wait_ok(prod));
	CHECK(wait_ok(cons));
	CHECK_EQ(atomic_load(&sh->consumed), total);

	/* 4. Two threads on one mapping (what TSan can check). */
	{
		struct shm_ring *r;
		pthread_t t;

		reset();
		total = 2000000ull / scale;
		CHECK_OK(shm_ring_open(name, 4096, SHM_RING_PRODUCER, &r));
		CHECK(pthread_create(&t, NULL, thread_producer, r) == 0);
		CHECK_EQ(consume(r, total, 0), 0);
		pthread_join(t, NULL);
		shm_ring_close(r);
	}
	shm_ring_unlink(name);
	return 0;
}

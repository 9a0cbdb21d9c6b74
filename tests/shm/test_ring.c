/* tests/shm/test_ring.c - the ring in one process: order, wraparound,
 * overflow, waiting, and every way an attached object can be wrong. */
#include "common/err.h"
#include "shm/ring.h"
#include "tests/check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char name[128];

static struct shm_ring_entry entry(uint32_t i)
{
	return (struct shm_ring_entry){
		.topic_id = shm_topic_id("orders"),
		.partition = (int32_t)(i % 8),
		.offset = i,
		.seg = (uint64_t)i * 3,
		.pos = i * 7,
		.len = i,
	};
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Overwrite @n bytes at @off of the shared object. */
static void poke(off_t off, const void *buf, size_t n)
{
	int fd = shm_open(name, O_RDWR, 0);

	CHECK(fd >= 0);
	CHECK(pwrite(fd, buf, n, off) == (ssize_t)n);
	close(fd);
}

static void expect_recreated(uint32_t cap)
{
	struct shm_ring *p;

	CHECK_OK(shm_ring_open(name, cap, SHM_RING_PRODUCER, &p));
	CHECK_EQ(shm_ring_fill(p), 0);
	shm_ring_close(p);
}

int main(void)
{
	struct shm_ring *p, *c, *old;
	struct shm_ring_entry in[100], out[100];
	struct stat st;
	uint32_t i, next = 0, got = 0;
	double t0;
	char path[160];

	snprintf(name, sizeof(name), "/rawzone.test%d.a-b", (int)getpid());
	shm_ring_unlink(name);
	umask(0); /* the mode must not depend on the umask */

	CHECK_EQ(shm_ring_open(name, 100, SHM_RING_PRODUCER, &p), -EINVAL);
	CHECK_OK(shm_ring_open(name, 64, SHM_RING_PRODUCER, &p));
	CHECK_OK(shm_ring_open(name, 64, SHM_RING_CONSUMER, &c));
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	CHECK(lstat(path, &st) == 0);
	CHECK_EQ(st.st_mode & ALLPERMS, S_IRUSR | S_IWUSR);
	CHECK_EQ(st.st_uid, geteuid());

	/* Order across many wraparounds, in uneven batches. */
	for (i = 0; i < 100000;) {
		uint32_t n = 1 + i % 37, k, j;
		int m;

		if (n > 100000 - i)
			n = 100000 - i;
		for (j = 0; j < n; j++)
			in[j] = entry(i + j);
		k = shm_ring_publish(p, in, n);
		CHECK(k <= n);
		i += k;
		m = shm_ring_consume(c, out, 1 + (i % 53));
		CHECK(m >= 0);
		for (j = 0; j < (uint32_t)m; j++) {
			CHECK_EQ(out[j].offset, next);
			CHECK_EQ(out[j].seg, (uint64_t)next * 3);
			next++;
			got++;
		}
	}
	while ((i = (uint32_t)shm_ring_consume(c, out, 100)) > 0)
		for (uint32_t j = 0; j < i; j++)
			CHECK_EQ(out[j].offset, next++);
	CHECK_EQ(next, 100000);

	/* A full ring: the producer never waits; the rest is overflow. */
	for (i = 0; i < 100; i++)
		in[i] = entry(i);
	{
		uint64_t before = shm_ring_overflows(p);

		CHECK_EQ(shm_ring_publish(p, in, 100), 64);
		CHECK_EQ(shm_ring_overflows(p) - before, 36);
	}
	CHECK_EQ(shm_ring_fill(c), 64);
	CHECK_EQ(shm_ring_consume(c, out, 100), 64);
	CHECK_EQ(shm_ring_consume(c, out, 100), 0);

	/* Waiting with nothing there times out without spinning; with
	 * entries there it returns at once. */
	t0 = now();
	CHECK_EQ(shm_ring_wait(c, 50), 0);
	CHECK(now() - t0 >= 0.045);
	shm_ring_publish(p, in, 1);
	t0 = now();
	CHECK_EQ(shm_ring_wait(c, 5000), 1);
	CHECK(now() - t0 < 0.5);
	CHECK_EQ(shm_ring_consume(c, out, 10), 1);
	CHECK(!shm_ring_stale(c));

	/* Impossible indices: head more than capacity past tail. */
	{
		uint32_t head = 1000;

		poke(64, &head, 4);
		CHECK_EQ(shm_ring_consume(c, out, 10), -ERR_CORRUPT);
	}
	shm_ring_close(p);
	shm_ring_close(c);

	/* Each bad header field: reported, removed, recreated; a handle on
	 * the old object sees it is stale. */
	{
		static const struct {
			off_t off;
			size_t n;
		} fields[] = {
			{0, 8},	 /* magic */
			{8, 4},	 /* version */
			{12, 4}, /* entry size */
			{16, 4}, /* capacity */
			{24, 16} /* boot id */
		};
		unsigned char junk[16];

		memset(junk, 0x77, sizeof(junk));
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			CHECK_OK(shm_ring_open(name, 64, SHM_RING_CONSUMER,
					       &old));
			poke(fields[i].off, junk, fields[i].n);
			expect_recreated(64);
			CHECK(shm_ring_stale(old));
			shm_ring_close(old);
		}
	}
	/* Another capacity than configured; a truncated object. */
	CHECK_OK(shm_ring_open(name, 64, SHM_RING_PRODUCER, &old));
	shm_ring_close(old);
	expect_recreated(128);
	{
		int fd = shm_open(name, O_RDWR, 0);

		CHECK(fd >= 0 && ftruncate(fd, 100) == 0);
		close(fd);
	}
	expect_recreated(128);

	/* A mode wider than 0600, or another owner: refused, left alone. */
	CHECK(chmod(path, 0644) == 0);
	CHECK_EQ(shm_ring_open(name, 128, SHM_RING_CONSUMER, &c), -EPERM);
	CHECK(chmod(path, 0600) == 0);
	if (geteuid() == 0) {
		CHECK(chown(path, 12345, 12345) == 0);
		CHECK_EQ(shm_ring_open(name, 128, SHM_RING_CONSUMER, &c),
			 -EPERM);
		CHECK(access(path, F_OK) == 0);
		CHECK(chown(path, 0, 0) == 0);
	}
	/* A symlink planted at the name is never followed. */
	shm_ring_unlink(name);
	CHECK(symlink("/tmp/rawzone-not-a-ring", path) == 0);
	CHECK(shm_ring_open(name, 128, SHM_RING_CONSUMER, &c) < 0);
	unlink(path);

	shm_ring_unlink(name);
	(void)got;
	return 0;
}

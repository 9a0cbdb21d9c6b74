/* tests/land/test_pool.c - land's write buffers: equal chunks of one region,
 * each handed out once until put back, every one aligned for O_DIRECT; the
 * region cut again into chunks of another size only while none is out, at
 * the same address and length (its io_uring registration holds). */
#include "land/pool.h"
#include "tests/check.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHUNKS 512

/* Take every chunk: each lies inside the region, 4096-aligned, no two
 * overlap (chunks are handed out in address order from the low end, but
 * the test does not rely on it), and the pool is then empty. Writes each
 * whole, so the address sanitizer sees a chunk past the region. */
static size_t take_all(struct land_pool *pool, void **out)
{
	size_t len, chunk = land_pool_chunk_size(pool), n = 0, i, j;
	char *region = land_pool_region(pool, &len);
	void *c;

	while ((c = land_pool_get(pool)) != NULL) {
		CHECK(n < MAX_CHUNKS);
		CHECK((char *)c >= region && (char *)c + chunk <= region + len);
		CHECK((uintptr_t)c % 4096 == 0);
		memset(c, (int)n, chunk);
		out[n++] = c;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			CHECK((char *)out[i] + chunk <= (char *)out[j] ||
			      (char *)out[j] + chunk <= (char *)out[i]);
	CHECK_EQ(n, land_pool_count(pool));
	return n;
}

int main(void)
{
	static void *got[MAX_CHUNKS];
	struct land_pool *pool;
	size_t len, len2, n, i;
	void *region;

	/* 16 MiB in 256 KiB chunks, as land starts by default. */
	CHECK_OK(land_pool_new(16u << 20, 256u << 10, &pool));
	region = land_pool_region(pool, &len);
	CHECK_EQ(len, (size_t)16 << 20);
	CHECK_EQ(land_pool_count(pool), 64);
	n = take_all(pool, got);
	CHECK_EQ(n, 64);

	/* Not while a chunk is out: a write may be in flight from it. */
	land_pool_put(pool, got[0]);
	CHECK_EQ(land_pool_recut(pool, 64u << 10), -EBUSY);
	CHECK_EQ(land_pool_chunk_size(pool), (size_t)256 << 10);
	for (i = 1; i < n; i++)
		land_pool_put(pool, got[i]);

	/* Sizes that are not whole units, or larger than the region. */
	CHECK_EQ(land_pool_recut(pool, 100000), -EINVAL);
	CHECK_EQ(land_pool_recut(pool, 32u << 10), -EINVAL);
	CHECK_EQ(land_pool_recut(pool, 32u << 20), -EINVAL);

	/* For 128 partitions: 256 chunks of 64 KiB, the same region. */
	CHECK_OK(land_pool_recut(pool, LAND_POOL_CHUNK_MIN));
	CHECK(land_pool_region(pool, &len2) == region && len2 == len);
	CHECK_EQ(land_pool_chunk_size(pool), LAND_POOL_CHUNK_MIN);
	n = take_all(pool, got);
	CHECK_EQ(n, 256);
	for (i = 0; i < n; i++)
		land_pool_put(pool, got[i]);

	/* And back: a size between, then the largest (the whole region). */
	CHECK_OK(land_pool_recut(pool, 192u << 10));
	n = take_all(pool, got);
	CHECK_EQ(n, (16u << 20) / (192u << 10));
	for (i = 0; i < n; i++)
		land_pool_put(pool, got[i]);
	CHECK_OK(land_pool_recut(pool, 16u << 20));
	CHECK_EQ(take_all(pool, got), 1);
	land_pool_put(pool, got[0]);
	land_pool_free(pool);

	/* A region too small for two chunks is made two chunks long; a
	 * chunk size that is not a whole unit is refused. */
	CHECK_OK(land_pool_new(100u << 10, 256u << 10, &pool));
	land_pool_region(pool, &len);
	CHECK_EQ(len, (size_t)512 << 10);
	CHECK_EQ(land_pool_count(pool), 2);
	CHECK_OK(land_pool_recut(pool, LAND_POOL_CHUNK_MIN));
	CHECK_EQ(land_pool_count(pool), 8);
	land_pool_free(pool);
	CHECK_EQ(land_pool_new(16u << 20, 4096, &pool), -EINVAL);

	printf("land pool: chunks handed out once, aligned, inside the "
	       "region; re-cut only when all are back, same region\n");
	return 0;
}

/* land/pool.c - equal chunks of one mmap'd region, a stack of free ones. */
#include "land/pool.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

struct land_pool {
	char *region;
	size_t len;
	size_t chunk;
	void **free;
	size_t nfree;
};

int land_pool_new(size_t bytes, size_t chunk, struct land_pool **out)
{
	struct land_pool *pool = calloc(1, sizeof(*pool));
	size_t n, i;

	*out = NULL;
	if (!pool)
		return -ENOMEM;
	n = bytes / chunk;
	if (n < 2)
		n = 2;
	pool->chunk = chunk;
	pool->len = n * chunk;
	pool->region = mmap(NULL, pool->len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pool->free = malloc(n * sizeof(*pool->free));
	if (pool->region == MAP_FAILED || !pool->free) {
		if (pool->region != MAP_FAILED)
			munmap(pool->region, pool->len);
		free(pool->free);
		free(pool);
		return -ENOMEM;
	}
	/* Hand out low addresses first, so a lightly loaded land touches
	 * (and keeps resident) only the chunks it needs. */
	for (i = 0; i < n; i++)
		pool->free[i] = pool->region + (n - 1 - i) * chunk;
	pool->nfree = n;
	*out = pool;
	return 0;
}

void land_pool_free(struct land_pool *pool)
{
	if (!pool)
		return;
	munmap(pool->region, pool->len);
	free(pool->free);
	free(pool);
}

void *land_pool_get(struct land_pool *pool)
{
	return pool->nfree ? pool->free[--pool->nfree] : NULL;
}

void land_pool_put(struct land_pool *pool, void *chunk)
{
	pool->free[pool->nfree++] = chunk;
}

size_t land_pool_chunk_size(const struct land_pool *pool)
{
	return pool->chunk;
}

void *land_pool_region(const struct land_pool *pool, size_t *len)
{
	*len = pool->len;
	return pool->region;
}

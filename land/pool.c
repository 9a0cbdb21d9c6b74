/* land/pool.c - equal chunks of one mmap'd region, a stack of free ones;
 * the region can be cut again into chunks of another size while none is
 * out. */
#include "land/pool.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

struct land_pool {
	char *region;
	size_t len;
	size_t chunk;
	size_t n;    /* chunks the region is cut into */
	void **free; /* room for len / LAND_POOL_CHUNK_MIN */
	size_t nfree;
};

/* Cut the region into chunks of @chunk bytes, all free. */
static void cut(struct land_pool *pool, size_t chunk)
{
	size_t i, n = pool->len / chunk;

	/* Hand out low addresses first, so a lightly loaded land touches
	 * (and keeps resident) only the chunks it needs. */
	for (i = 0; i < n; i++)
		pool->free[i] = pool->region + (n - 1 - i) * chunk;
	pool->chunk = chunk;
	pool->n = pool->nfree = n;
}

int land_pool_new(size_t bytes, size_t chunk, struct land_pool **out)
{
	struct land_pool *pool;
	size_t n;

	*out = NULL;
	if (chunk < LAND_POOL_CHUNK_MIN || chunk % LAND_POOL_CHUNK_MIN)
		return -EINVAL;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	n = bytes / chunk;
	if (n < 2)
		n = 2;
	pool->len = n * chunk;
	pool->region = mmap(NULL, pool->len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pool->free =
		malloc(pool->len / LAND_POOL_CHUNK_MIN * sizeof(*pool->free));
	if (pool->region == MAP_FAILED || !pool->free) {
		if (pool->region != MAP_FAILED)
			munmap(pool->region, pool->len);
		free(pool->free);
		free(pool);
		return -ENOMEM;
	}
	cut(pool, chunk);
	*out = pool;
	return 0;
}

int land_pool_recut(struct land_pool *pool, size_t chunk)
{
	if (chunk < LAND_POOL_CHUNK_MIN || chunk % LAND_POOL_CHUNK_MIN ||
	    chunk > pool->len)
		return -EINVAL;
	if (pool->nfree != pool->n)
		return -EBUSY;
	cut(pool, chunk);
	return 0;
}

size_t land_pool_count(const struct land_pool *pool)
{
	return pool->n;
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

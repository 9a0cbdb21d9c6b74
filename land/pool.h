/* land/pool.h - the write buffers of land: one region, cut into equal
 * chunks, registered with io_uring once.
 *
 * A chunk holds framed records of one partition until it is written; it is
 * free again when its write completes (the bytes are then in the page cache;
 * the fdatasync that follows does not read our buffer). The region's size is
 * [land] buffer_bytes, which bounds land's own memory for records.
 */
#ifndef RZ_LAND_POOL_H
#define RZ_LAND_POOL_H

#include <stddef.h>

struct land_pool;

/* The smallest chunk, and the unit every chunk size is a multiple of (so
 * that every chunk starts at an O_DIRECT-aligned address). */
#define LAND_POOL_CHUNK_MIN ((size_t)64 * 1024)

/* land_pool_new - @bytes (at least two chunks) cut into chunks of @chunk
 * bytes. 0, -EINVAL for a @chunk that is not a multiple of
 * LAND_POOL_CHUNK_MIN, or -ENOMEM. */
int land_pool_new(size_t bytes, size_t chunk, struct land_pool **out);

/* land_pool_recut - cut the same region (same address, same length: its
 * io_uring registration holds) into chunks of @chunk bytes. Only while
 * every chunk is free: -EBUSY otherwise, and -EINVAL for a @chunk that is
 * not a multiple of LAND_POOL_CHUNK_MIN or larger than the region. */
int land_pool_recut(struct land_pool *pool, size_t chunk);

/* land_pool_count - how many chunks the region is cut into. */
size_t land_pool_count(const struct land_pool *pool);
void land_pool_free(struct land_pool *pool);

/* land_pool_get - a free chunk, or NULL when all are in use. */
void *land_pool_get(struct land_pool *pool);
void land_pool_put(struct land_pool *pool, void *chunk);

size_t land_pool_chunk_size(const struct land_pool *pool);
void *land_pool_region(const struct land_pool *pool, size_t *len);

#endif

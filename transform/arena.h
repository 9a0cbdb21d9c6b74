/* transform/arena.h - a bump allocator, reset as a whole: the memory of one
 * record's unpacked message, or of one batch's coalesced rows.
 *
 * protobuf-c unpacks through a ProtobufCAllocator; transform hands it this
 * arena so that the hot path does not call malloc: every allocation since
 * the last reset is released at once by the next one, and the memory is kept
 * for reuse. A reset after a large record or batch keeps only the main block
 * (grown to what the largest use needed, up to XF_ARENA_KEEP); extra blocks
 * served beyond it are freed.
 *
 * Every allocation is 8-byte aligned. One arena, one thread.
 */
#ifndef RZ_TRANSFORM_ARENA_H
#define RZ_TRANSFORM_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#define XF_ARENA_KEEP (8u << 20) /* largest main block kept across resets */

struct xf_arena;

/* xf_arena_new - an empty arena. Returns 0 or -ENOMEM. */
int xf_arena_new(struct xf_arena **out);

/* xf_arena_free - release @a and all it holds; NULL is accepted. */
void xf_arena_free(struct xf_arena *a);

/* xf_arena_reset - forget every allocation: all pointers the arena gave
 * become invalid. */
void xf_arena_reset(struct xf_arena *a);

/* xf_arena_alloc - @size bytes, 8-byte aligned, valid until the next
 * reset. NULL when memory runs out. */
void *xf_arena_alloc(struct xf_arena *a, size_t size);

/* xf_arena_strdup - a NUL-terminated copy of the @len bytes at @s, or NULL
 * when memory runs out. */
char *xf_arena_strdup(struct xf_arena *a, const char *s, size_t len);

/* xf_arena_allocator - the arena as a protobuf-c allocator (free is a
 * no-op: the reset releases). Valid as long as @a. */
ProtobufCAllocator *xf_arena_allocator(struct xf_arena *a);

#endif

/* common/arena.h - a bump allocator with a hard cap, reset as a whole.
 *
 * protobuf-c unpacks through a ProtobufCAllocator; decode and transform
 * hand it an arena so that the hot path does not call malloc: everything is
 * released at once by the next reset, and the memory is kept for reuse.
 * decode also sets a cap per record, so that the decoded form of one record
 * can never take more than that, whatever its lengths and counts claim;
 * transform (one record's message, one batch's rows) runs uncapped.
 *
 * Memory: one main block, reused from reset to reset, grown at a reset to
 * what the largest use needed (up to ARENA_KEEP); a use that needs more is
 * served from extra blocks that the next reset frees. So after a reset the
 * arena holds at most ARENA_KEEP, and at most ARENA_KEEP + 2 x the cap
 * while in use. free() is a no-op.
 *
 * Every allocation is 8-byte aligned (enough for every protobuf-c type).
 * One arena, one thread.
 */
#ifndef RZ_COMMON_ARENA_H
#define RZ_COMMON_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define ARENA_KEEP (8u << 20)	/* largest main block kept across resets */
#define ARENA_UNCAPPED SIZE_MAX /* a cap that never refuses */

struct arena;

/* arena_new - an empty arena that allows @cap bytes until its first
 * reset (0: reset it before use; ARENA_UNCAPPED: no limit). Returns 0 or
 * -ENOMEM. */
int arena_new(struct arena **out, size_t cap);

/* arena_free - release @arena and all it holds; NULL is accepted. */
void arena_free(struct arena *arena);

/* arena_reset - forget every allocation (all pointers the arena gave
 * become invalid) and allow at most @cap bytes until the next reset. */
void arena_reset(struct arena *arena, size_t cap);

/* arena_raise - allow @more bytes beyond the current cap, until the
 * next reset (saturating). */
void arena_raise(struct arena *arena, size_t more);

/* arena_alloc - @size bytes, 8-byte aligned, uninitialized, valid until
 * the next reset. Returns NULL when the bytes served since the reset would
 * pass the cap (arena_over_cap() is then true; the request is not
 * served) or when memory runs out (arena_oom() is then true). */
void *arena_alloc(struct arena *arena, size_t size);

/* arena_strdup - a NUL-terminated copy of the @len bytes at @s, or NULL
 * as arena_alloc() returns it. */
char *arena_strdup(struct arena *arena, const char *s, size_t len);

/* arena_allocator - the arena as a protobuf-c allocator, for
 * protobuf_c_message_unpack(). Never free_unpacked() what it unpacked:
 * reset the arena instead. Valid as long as @arena. */
ProtobufCAllocator *arena_allocator(struct arena *arena);

/* Since the last reset: bytes served, and whether a request was refused
 * for the cap or for lack of memory. */
size_t arena_used(const struct arena *arena);
bool arena_over_cap(const struct arena *arena);
bool arena_oom(const struct arena *arena);

/* arena_cap - the cap: set by the last reset, raised since. */
size_t arena_cap(const struct arena *arena);

/* arena_peak - the most bytes served between two resets, over the
 * arena's life: its high-water mark. Never above the largest cap set. */
size_t arena_peak(const struct arena *arena);

/* arena_held - bytes of memory the arena holds right now (main block
 * and extra blocks), for tests and statistics. */
size_t arena_held(const struct arena *arena);

#endif

/* decode/arena.h - a bump allocator with a hard cap, reset per record.
 *
 * protobuf-c unpacks through a ProtobufCAllocator; decode hands it this
 * arena so that (1) the decoded form of one record can never take more than
 * the cap the caller set for it, whatever its lengths and counts claim, and
 * (2) the hot path does not call malloc: everything is released at once by
 * the next reset, and the memory is kept for the next record.
 *
 * Memory: one main block, reused record after record, grown between records
 * to what the largest record needed (up to DEC_ARENA_KEEP); a record that
 * needs more is served from extra blocks that the next reset frees. So after
 * a reset the arena holds at most DEC_ARENA_KEEP, and at most
 * DEC_ARENA_KEEP + 2 x the cap while a record is decoded. free() is a no-op.
 *
 * Every allocation is 8-byte aligned (enough for every protobuf-c type).
 * One arena, one thread.
 */
#ifndef RZ_DECODE_ARENA_H
#define RZ_DECODE_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#define DEC_ARENA_KEEP (4u << 20) /* largest main block kept across records */

struct dec_arena;

/* dec_arena_new - an empty arena with a cap of 0 (reset it before use).
 * Returns 0 or -ENOMEM. */
int dec_arena_new(struct dec_arena **out);

/* dec_arena_free - release @arena and all it holds; NULL is accepted. */
void dec_arena_free(struct dec_arena *arena);

/* dec_arena_reset - forget every allocation (all pointers the arena gave
 * become invalid) and allow at most @cap bytes until the next reset. */
void dec_arena_reset(struct dec_arena *arena, size_t cap);

/* dec_arena_raise - allow @more bytes beyond the current cap, until the
 * next reset (saturating). */
void dec_arena_raise(struct dec_arena *arena, size_t more);

/* dec_arena_alloc - @size bytes, 8-byte aligned, uninitialized, valid until
 * the next reset. Returns NULL when the bytes served since the reset would
 * pass the cap (dec_arena_over_cap() is then true; the request is not
 * served) or when memory runs out (dec_arena_oom() is then true). */
void *dec_arena_alloc(struct dec_arena *arena, size_t size);

/* dec_arena_allocator - the arena as a protobuf-c allocator, for
 * protobuf_c_message_unpack(). Never free_unpacked() what it unpacked:
 * reset the arena instead. Valid as long as @arena. */
ProtobufCAllocator *dec_arena_allocator(struct dec_arena *arena);

/* Since the last reset: bytes served, and whether a request was refused
 * for the cap or for lack of memory. */
size_t dec_arena_used(const struct dec_arena *arena);
bool dec_arena_over_cap(const struct dec_arena *arena);
bool dec_arena_oom(const struct dec_arena *arena);

/* dec_arena_cap - the cap: set by the last reset, raised since. */
size_t dec_arena_cap(const struct dec_arena *arena);

/* dec_arena_peak - the most bytes served between two resets, over the
 * arena's life: its high-water mark. Never above the largest cap set. */
size_t dec_arena_peak(const struct dec_arena *arena);

/* dec_arena_held - bytes of memory the arena holds right now (main block
 * and extra blocks), for tests and statistics. */
size_t dec_arena_held(const struct dec_arena *arena);

#endif

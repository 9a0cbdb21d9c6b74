/* common/arena.c - the capped bump allocator.
 *
 * Allocation bumps @cur through the current block: the main block first,
 * then extra blocks. @left is the room the fast path may use: the smaller
 * of what the current block has free and what the cap still allows, so one
 * comparison checks both; everything else is the slow path.
 *
 * Invariants: served <= cap; cur <= blk_end; left == min(blk_end - cur,
 * cap - served). A new extra block is never larger than the room left under
 * the cap, so the extra blocks of a record hold at most 2 x cap: what they
 * served (<= cap), the tails left in abandoned blocks (each smaller than
 * the request that moved on, so their sum < what was served), and the free
 * part of the newest (<= what is left under the cap). The cap is checked
 * before any memory is touched, with subtractions that cannot overflow.
 *
 * Under AddressSanitizer the unserved part of every block is poisoned, so a
 * read past the end of one allocation into the next is still caught even
 * though both live in one malloc'd block.
 */
#include "common/arena.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ALIGN 8u
#define MAIN_MIN (16u << 10)  /* the first main block */
#define EXTRA_MIN (64u << 10) /* the smallest extra block */

_Static_assert(ALIGN >= _Alignof(int64_t) && ALIGN >= _Alignof(double) &&
		       ALIGN >= _Alignof(void *) && ALIGN >= _Alignof(size_t),
	       "arena alignment covers every protobuf-c field type");

/* An extra block: this header, then its bytes. */
struct blk {
	struct blk *next;
	size_t size;
	_Alignas(8) unsigned char data[];
};

struct arena {
	ProtobufCAllocator pc;
	unsigned char *cur, *blk_end; /* the current block's free part */
	size_t left;		      /* min(blk_end - cur, cap - served) */
	size_t served, cap, peak;
	unsigned char *main;
	size_t main_size;
	struct blk *extra; /* this record's, newest (current) first */
	bool over_cap, oom;
};

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static void set_left(struct arena *a)
{
	a->left = min_size((size_t)(a->blk_end - a->cur), a->cap - a->served);
}

static void *pc_alloc(void *data, size_t size)
{
	return arena_alloc(data, size);
}

static void pc_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr;
}

int arena_new(struct arena **out, size_t cap)
{
	struct arena *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->main = malloc(MAIN_MIN);
	if (!a->main) {
		free(a);
		return -ENOMEM;
	}
	a->main_size = MAIN_MIN;
	POISON(a->main, a->main_size);
	a->pc.alloc = pc_alloc;
	a->pc.free = pc_free;
	a->pc.allocator_data = a;
	a->cap = cap;
	a->cur = a->main;
	a->blk_end = a->main + a->main_size;
	set_left(a);
	*out = a;
	return 0;
}

static void free_extra(struct arena *a)
{
	struct blk *b, *next;

	for (b = a->extra; b; b = next) {
		next = b->next;
		UNPOISON(b, sizeof(*b) + b->size);
		free(b);
	}
	a->extra = NULL;
}

void arena_free(struct arena *arena)
{
	if (!arena)
		return;
	free_extra(arena);
	UNPOISON(arena->main, arena->main_size);
	free(arena->main);
	free(arena);
}

void arena_reset(struct arena *a, size_t cap)
{
	if (a->served > a->peak)
		a->peak = a->served;
	/* A record outgrew the main block: make the main block big enough
	 * for it (within ARENA_KEEP), so records like it need no extra
	 * blocks. Its contents are dead, so no realloc copy is needed. */
	if (a->extra && a->main_size < ARENA_KEEP) {
		size_t want = min_size(a->served, ARENA_KEEP);
		unsigned char *m;

		want = (want + ALIGN - 1) & ~(size_t)(ALIGN - 1);
		if (want > a->main_size && (m = malloc(want))) {
			UNPOISON(a->main, a->main_size);
			free(a->main);
			a->main = m;
			a->main_size = want;
		}
	}
	free_extra(a);
	POISON(a->main, a->main_size);
	a->cur = a->main;
	a->blk_end = a->main + a->main_size;
	a->served = 0;
	a->cap = cap;
	a->over_cap = false;
	a->oom = false;
	set_left(a);
}

void arena_raise(struct arena *a, size_t more)
{
	a->cap = more > SIZE_MAX - a->cap ? SIZE_MAX : a->cap + more;
	set_left(a);
}

/* The current block cannot serve @size (or the cap refuses it). Out of
 * line, so that the fast path stays a few instructions. */
static void *alloc_slow(struct arena *a, size_t size) __attribute__((noinline));

static void *alloc_slow(struct arena *a, size_t size)
{
	size_t room = a->cap - a->served, bsize;
	struct blk *b;

	if (size > room) {
		a->over_cap = true;
		return NULL;
	}
	/* Only an uncapped arena gets here with such a size: no block that
	 * large can exist, and rounding it up or adding the block header
	 * would wrap around. */
	if (size > SIZE_MAX / 2) {
		a->oom = true;
		return NULL;
	}
	if (((size + ALIGN - 1) & ~(size_t)(ALIGN - 1)) > room) {
		a->over_cap = true;
		return NULL;
	}
	size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	bsize = a->extra ? a->extra->size * 2 : EXTRA_MIN;
	if (bsize < size)
		bsize = size;
	if (bsize > room)
		bsize = room;
	if (bsize > SIZE_MAX / 2)
		bsize = SIZE_MAX / 2;
	b = malloc(sizeof(*b) + bsize);
	if (!b) {
		a->oom = true;
		return NULL;
	}
	b->next = a->extra;
	b->size = bsize;
	a->extra = b;
	POISON(b->data + size, bsize - size);
	a->cur = b->data + size;
	a->blk_end = b->data + bsize;
	a->served += size;
	set_left(a);
	return b->data;
}

void *arena_alloc(struct arena *a, size_t size)
{
	size_t n = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	void *p;

	/* size <= left first: it keeps n from having wrapped around. */
	if (size > a->left || n > a->left)
		return alloc_slow(a, size);
	p = a->cur;
	a->cur += n;
	a->left -= n;
	a->served += n;
	UNPOISON(p, n);
	return p;
}

char *arena_strdup(struct arena *arena, const char *s, size_t len)
{
	char *p = len < SIZE_MAX ? arena_alloc(arena, len + 1) : NULL;

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

ProtobufCAllocator *arena_allocator(struct arena *arena)
{
	return &arena->pc;
}

size_t arena_used(const struct arena *arena)
{
	return arena->served;
}

bool arena_over_cap(const struct arena *arena)
{
	return arena->over_cap;
}

bool arena_oom(const struct arena *arena)
{
	return arena->oom;
}

size_t arena_cap(const struct arena *arena)
{
	return arena->cap;
}

size_t arena_peak(const struct arena *arena)
{
	return arena->served > arena->peak ? arena->served : arena->peak;
}

size_t arena_held(const struct arena *arena)
{
	const struct blk *b;
	size_t n = arena->main_size;

	for (b = arena->extra; b; b = b->next)
		n += b->size;
	return n;
}

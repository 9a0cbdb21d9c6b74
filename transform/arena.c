/* transform/arena.c - the bump allocator.
 *
 * Allocation bumps @cur through the current block: the main block first,
 * then extra blocks, each at least twice the previous. A reset frees the
 * extra blocks and, if they were needed, regrows the main block to the total
 * used (capped at XF_ARENA_KEEP), so a steady load settles into one block and
 * no malloc at all.
 *
 * Under AddressSanitizer the unserved part of the main block is poisoned,
 * so a read past the end of one allocation into the next is still caught.
 */
#include "transform/arena.h"

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
#define MAIN_MIN (64u << 10)

_Static_assert(ALIGN >= _Alignof(int64_t) && ALIGN >= _Alignof(double) &&
		       ALIGN >= _Alignof(void *) && ALIGN >= _Alignof(size_t),
	       "arena alignment covers every protobuf-c field type");

struct blk {
	struct blk *next;
	size_t size;
	_Alignas(8) unsigned char data[];
};

struct xf_arena {
	ProtobufCAllocator pc;
	unsigned char *cur, *end; /* the current block's free part */
	unsigned char *main;
	size_t main_size;
	size_t used;	   /* since the last reset, over all blocks */
	struct blk *extra; /* newest first */
};

static void *pc_alloc(void *data, size_t size)
{
	return xf_arena_alloc(data, size);
}

static void pc_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr;
}

int xf_arena_new(struct xf_arena **out)
{
	struct xf_arena *a = calloc(1, sizeof(*a));

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
	a->cur = a->main;
	a->end = a->main + a->main_size;
	*out = a;
	return 0;
}

static void free_extra(struct xf_arena *a)
{
	struct blk *b, *next;

	for (b = a->extra; b; b = next) {
		next = b->next;
		free(b);
	}
	a->extra = NULL;
}

void xf_arena_free(struct xf_arena *a)
{
	if (!a)
		return;
	free_extra(a);
	UNPOISON(a->main, a->main_size);
	free(a->main);
	free(a);
}

void xf_arena_reset(struct xf_arena *a)
{
	if (a->extra) {
		size_t want = a->used < XF_ARENA_KEEP ? a->used : XF_ARENA_KEEP;
		unsigned char *nm;

		free_extra(a);
		if (want > a->main_size) {
			UNPOISON(a->main, a->main_size);
			nm = realloc(a->main, want);
			if (nm) {
				a->main = nm;
				a->main_size = want;
			}
		}
	}
	POISON(a->main, a->main_size);
	a->cur = a->main;
	a->end = a->main + a->main_size;
	a->used = 0;
}

static void *alloc_slow(struct xf_arena *a, size_t size)
{
	size_t bsize = a->extra ? a->extra->size * 2 : a->main_size * 2;
	struct blk *b;

	if (bsize < size)
		bsize = size;
	if (bsize > SIZE_MAX - sizeof(*b))
		return NULL;
	b = malloc(sizeof(*b) + bsize);
	if (!b)
		return NULL;
	b->size = bsize;
	b->next = a->extra;
	a->extra = b;
	a->cur = b->data + size;
	a->end = b->data + bsize;
	a->used += size;
	return b->data;
}

void *xf_arena_alloc(struct xf_arena *a, size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ALIGN)
		return NULL;
	size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (size > (size_t)(a->end - a->cur))
		return alloc_slow(a, size);
	p = a->cur;
	a->cur += size;
	a->used += size;
	UNPOISON(p, size);
	return p;
}

char *xf_arena_strdup(struct xf_arena *a, const char *s, size_t len)
{
	char *p = len < SIZE_MAX ? xf_arena_alloc(a, len + 1) : NULL;

	if (!p)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

ProtobufCAllocator *xf_arena_allocator(struct xf_arena *a)
{
	return &a->pc;
}

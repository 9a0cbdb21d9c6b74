/* tests/decode/test_arena.c - the capped arena (common/arena.h): alignment, the cap, the
 * high-water mark, memory held, reuse; and through dec_decode, messages
 * whose counts and lengths claim far more than they hold never make decode
 * allocate beyond the cap. */
#include "common/arena.h"
#include "proto/orders/v2/order_event.pb-c.h"
#include "tests/decode/decode_test.h"

#include <stdint.h>

static void test_unit(void)
{
	struct arena *a;
	uint8_t *p, *q;
	size_t i, cap, maxcap = 0;
	uint64_t seed = 7;

	CHECK_OK(arena_new(&a, 0));
	CHECK_EQ(arena_cap(a), 0);
	CHECK(arena_alloc(a, 1) == NULL);
	CHECK(arena_over_cap(a));

	arena_reset(a, 104);
	CHECK(!arena_over_cap(a) && !arena_oom(a));
	p = arena_alloc(a, 1);
	q = arena_alloc(a, 3);
	CHECK(p && q && q != p);
	CHECK_EQ((uintptr_t)p % 8, 0);
	CHECK_EQ((uintptr_t)q % 8, 0);
	CHECK_EQ(arena_used(a), 16);
	CHECK(arena_alloc(a, 88)); /* exactly up to the cap */
	CHECK_EQ(arena_used(a), 104);
	CHECK(!arena_over_cap(a));
	CHECK(arena_alloc(a, 1) == NULL);
	CHECK(arena_over_cap(a) && !arena_oom(a));
	CHECK_EQ(arena_used(a), 104);
	CHECK(arena_alloc(a, SIZE_MAX) == NULL);
	CHECK(arena_alloc(a, SIZE_MAX - 3) == NULL);
	CHECK_EQ(arena_peak(a), 104);

	/* Uncapped: a request no block can hold is refused for memory,
	 * without the rounding or the block header wrapping around. */
	{
		struct arena *u;

		CHECK_OK(arena_new(&u, ARENA_UNCAPPED));
		CHECK(arena_alloc(u, SIZE_MAX) == NULL && arena_oom(u));
		arena_reset(u, ARENA_UNCAPPED);
		CHECK(arena_alloc(u, SIZE_MAX - 3) == NULL && arena_oom(u));
		arena_reset(u, ARENA_UNCAPPED);
		CHECK(arena_alloc(u, 100) && !arena_oom(u));
		arena_free(u);
	}

	/* Rounding is counted against the cap. */
	arena_reset(a, 24);
	CHECK(arena_alloc(a, 9));
	CHECK(arena_alloc(a, 1) && arena_used(a) == 24);
	arena_reset(a, 20);
	CHECK(arena_alloc(a, 9));
	CHECK(arena_alloc(a, 1) == NULL); /* 16 + 8 > 20 */
	CHECK_EQ(arena_used(a), 16);
	CHECK_EQ(arena_peak(a), 104);

	/* Past the main block: extra blocks, then the main block grows to
	 * what the record needed, and the extra blocks are gone. */
	arena_reset(a, 1u << 20);
	for (i = 0; i < 100; i++) {
		p = arena_alloc(a, 1000);
		CHECK(p);
		memset(p, (int)i, 1000);
	}
	CHECK_EQ(arena_used(a), 100 * 1000);
	CHECK(arena_held(a) >= 100 * 1000);
	CHECK(arena_held(a) <= ARENA_KEEP + 2 * (1u << 20));
	arena_reset(a, 1u << 20);
	CHECK_EQ(arena_held(a), 100 * 1000); /* the new main block */
	for (i = 0; i < 100; i++)
		CHECK(arena_alloc(a, 1000));
	CHECK_EQ(arena_held(a), 100 * 1000); /* no extra needed now */

	/* A record larger than ARENA_KEEP: the main block stops at
	 * ARENA_KEEP; what is beyond is given back at the reset. */
	arena_reset(a, 64u << 20);
	for (i = 0; i < 40; i++)
		CHECK(arena_alloc(a, 1u << 20));
	CHECK(arena_held(a) >= 40u << 20);
	arena_reset(a, 64u << 20);
	CHECK_EQ(arena_held(a), ARENA_KEEP);
	CHECK_EQ(arena_peak(a), 40u << 20);

	/* Random sizes and caps: never over the cap, blocks bounded. */
	arena_free(a);
	CHECK_OK(arena_new(&a, 0));
	for (i = 0; i < 2000; i++) {
		size_t want, got = 0;

		cap = (size_t)(test_rand(&seed) % (1u << 20));
		if (cap > maxcap)
			maxcap = cap;
		arena_reset(a, cap);
		for (;;) {
			want = (size_t)(test_rand(&seed) % 70000);
			p = arena_alloc(a, want);
			if (!p)
				break;
			if (want)
				p[want - 1] = 1;
			got += (want + 7) & ~(size_t)7;
		}
		CHECK(arena_over_cap(a));
		CHECK_EQ(arena_used(a), got);
		CHECK(arena_used(a) <= cap);
		CHECK(arena_held(a) <= ARENA_KEEP + 2 * cap);
	}
	CHECK(arena_peak(a) <= maxcap);
	arena_free(a);
	arena_free(NULL);
}

/* ------------------------------------------------------------------------
 * Through dec_decode
 * ------------------------------------------------------------------------ */

static struct dec_registry *reg;
static struct td_rec r;

/* Decode @len bytes at @body as @id on a fresh context; check the arena
 * stayed under the cap for this size, and return the reason. */
static unsigned decode_bounded(uint32_t id, const uint8_t *body, size_t len,
			       char *detail, size_t *peak)
{
	uint8_t *v = malloc(len + 6);
	struct dec_ctx *ctx;
	struct dec_out out;
	unsigned reason;

	CHECK(v);
	CHECK_OK(dec_ctx_new(reg, 64u << 20, &ctx));
	td_frame(v, id, body, len);
	CHECK_OK(dec_decode(ctx, td_rec_set(&r, v, len + 6), &out));
	*peak = dec_ctx_arena_peak(ctx);
	reason = out.reason;
	/* Refused in unpack: within the cap. Otherwise the upcast may have
	 * used as much again. */
	if (reason == LOG_DEC_MALFORMED)
		CHECK(*peak <= dec_ctx_arena_cap(len));
	else
		CHECK(*peak <= 2 * dec_ctx_arena_cap(len));
	if (reason)
		snprintf(detail, LOG_DEC_DETAIL_MAX + 1, "%s", out.detail);
	else
		detail[0] = '\0';
	dec_ctx_free(ctx);
	free(v);
	return reason;
}

static void test_decode_bound(void)
{
	static char detail[LOG_DEC_DETAIL_MAX + 1];
	size_t n, i, len, peak;
	uint8_t *m = malloc(8u << 20);

	CHECK(m);
	reg = td_registry(TD_FULL_REGISTRY);

	/* 300,000 empty line items: 600 KB of input whose decoded form
	 * (scan slots, pointers, structs) needs ~60x that. */
	n = 0;
	memcpy(m + n, "\x0a\x01o\x18\x01", 5);
	n += 5;
	for (i = 0; i < 300000; i++) {
		m[n++] = 0x3a;
		m[n++] = 0x00;
	}
	CHECK_EQ(decode_bounded(2, m, n, detail, &peak), LOG_DEC_MALFORMED);
	CHECK(strstr(detail, "orders.v2.OrderEvent: decoding needs more than"));
	CHECK(strstr(detail, "bytes of memory, the cap for a 600005-byte "
			     "message (16 x size + 65536)"));
	CHECK(peak > 0);

	/* 200,000 unknown varint fields: the same, for unknown fields. */
	n = 0;
	for (i = 0; i < 200000; i++) {
		m[n++] = 0x98; /* field 99, varint */
		m[n++] = 0x06;
		m[n++] = 0x00;
	}
	CHECK_EQ(decode_bounded(1, m, n, detail, &peak), LOG_DEC_MALFORMED);
	CHECK(strstr(detail, "decoding needs more than"));

	/* Lengths that claim what is not there: refused before any large
	 * allocation - the peak stays at a few structs. */
	memcpy(m, "\x0a\xfe\xff\xff\xff\x07", 6); /* order_id, INT_MAX - 1 */
	CHECK_EQ(decode_bounded(1, m, 6, detail, &peak), LOG_DEC_MALFORMED);
	CHECK(strstr(detail, "field 1 (order_id): length 2147483646 runs "
			     "past the end, 0 bytes left"));
	CHECK(peak <= 1024);
	/* A line item claiming 1 GiB, inside an honest message. */
	n = 0;
	memcpy(m + n, "\x0a\x01o\x18\x01", 5);
	n += 5;
	memcpy(m + n, "\x3a\x80\x80\x80\x80\x04", 6);
	n += 6;
	CHECK_EQ(decode_bounded(2, m, n, detail, &peak), LOG_DEC_MALFORMED);
	CHECK(strstr(detail, "field 7 (items): length 1073741824 runs past"));
	CHECK(peak <= 1024);
	/* A nested length claiming more than its parent holds. */
	n = 0;
	memcpy(m + n, "\x0a\x01o\x18\x01\x3a\x04\x0a\x7f\x41\x41", 11);
	n += 11;
	CHECK_EQ(decode_bounded(2, m, n, detail, &peak), LOG_DEC_MALFORMED);
	CHECK(strstr(detail, "byte 7 (in items): field 1 (sku): length 127 "
			     "runs past the end, 2 bytes left"));
	CHECK(peak <= 1024);

	/* An honest large message decodes under the cap: 20,000 items. */
	{
		Orders__V2__OrderEvent v = ORDERS__V2__ORDER_EVENT__INIT;
		Orders__V2__OrderEvent__LineItem *it, **items;

		it = calloc(20000, sizeof(*it));
		items = calloc(20000, sizeof(*items));
		CHECK(it && items);
		for (i = 0; i < 20000; i++) {
			orders__v2__order_event__line_item__init(&it[i]);
			it[i].sku = "SKU-0000123";
			it[i].quantity = (int32_t)i;
			it[i].unit_price_cents = 1999;
			items[i] = &it[i];
		}
		v.order_id = "order-many";
		v.type = 1;
		v.currency = "EUR";
		v.amount_cents = 123;
		v.n_items = 20000;
		v.items = items;
		len = orders__v2__order_event__pack(&v, m);
		CHECK_EQ(decode_bounded(2, m, len, detail, &peak), 0);
		/* The decoded form of realistic items, upcast included, is
		 * a few times the wire size: below the unpack's cap alone. */
		CHECK(peak < 12 * len);
		free(it);
		free(items);
	}
	/* Line items with no sku: unpack alone takes ~13x the wire size,
	 * under the cap; the upcast's copies come on top and must still be
	 * allowed (as much again as unpack used). */
	{
		Orders__V2__OrderEvent v = ORDERS__V2__ORDER_EVENT__INIT;
		Orders__V2__OrderEvent__LineItem it, **items;

		orders__v2__order_event__line_item__init(&it);
		it.quantity = 1;
		it.unit_price_cents = 1;
		items = calloc(5000, sizeof(*items));
		CHECK(items);
		for (i = 0; i < 5000; i++)
			items[i] = &it;
		v.order_id = "order-bare-items";
		v.type = 1;
		v.n_items = 5000;
		v.items = items;
		len = orders__v2__order_event__pack(&v, m);
		CHECK_EQ(decode_bounded(2, m, len, detail, &peak), 0);
		CHECK(peak > dec_ctx_arena_cap(len));
		free(items);
	}
	dec_registry_free(reg);
	td_rec_free(&r);
	free(m);
}

int main(void)
{
	test_unit();
	test_decode_bound();
	return 0;
}

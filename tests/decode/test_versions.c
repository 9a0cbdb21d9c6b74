/* tests/decode/test_versions.c - dec_decode over v1, v2 and v3 messages
 * built with protobuf-c: canonical fields and upcast arithmetic, every
 * truncation, unknown fields, wrong wire types, bad strings, invalid
 * messages, unknown schema ids, the size limit, and determinism (every
 * decode here is done twice and on a fresh context, see td_decode). */
#include "decode/schemas.h"
#include "decode/wire.h"
#include "proto/orders/v1/order_event.pb-c.h"
#include "proto/orders/v2/order_event.pb-c.h"
#include "proto/orders/v3/order_event.pb-c.h"
#include "tests/decode/decode_test.h"

#define MAX (1u << 20)

static struct dec_registry *reg;
static struct dec_ctx *ctx;
static struct td_rec r;
static uint8_t buf[1 << 16], framed[1 << 16];

/* ------------------------------------------------------------------------
 * Sample messages
 * ------------------------------------------------------------------------ */

static size_t pack_v1(uint8_t *dst, const char *order_id, int type,
		      int64_t amount_cents)
{
	Orders__V1__OrderEvent m = ORDERS__V1__ORDER_EVENT__INIT;

	m.order_id = (char *)order_id;
	m.customer_id = "customer-42";
	m.type = type;
	m.amount_cents = amount_cents;
	m.currency = "EUR";
	m.event_time_ms = 1700000000123;
	return orders__v1__order_event__pack(&m, dst);
}

static size_t pack_v2(uint8_t *dst, const char *order_id, int type,
		      int64_t amount_cents)
{
	Orders__V2__OrderEvent m = ORDERS__V2__ORDER_EVENT__INIT;
	Orders__V2__OrderEvent__LineItem a =
		ORDERS__V2__ORDER_EVENT__LINE_ITEM__INIT;
	Orders__V2__OrderEvent__LineItem b =
		ORDERS__V2__ORDER_EVENT__LINE_ITEM__INIT;
	Orders__V2__OrderEvent__LineItem *items[] = {&a, &b};

	a.sku = "SKU-1";
	a.quantity = 2;
	a.unit_price_cents = 1999;
	b.sku = "SKU-22";
	b.quantity = 1;
	b.unit_price_cents = 8347;
	m.order_id = (char *)order_id;
	m.customer_id = "customer-42";
	m.type = type;
	m.amount_cents = amount_cents;
	m.currency = "EUR";
	m.event_time_ms = 1700000000456;
	m.n_items = 2;
	m.items = items;
	m.channel = "web";
	return orders__v2__order_event__pack(&m, dst);
}

static size_t pack_v3(uint8_t *dst, const char *order_id, int type)
{
	Orders__V3__OrderEvent m = ORDERS__V3__ORDER_EVENT__INIT;
	Orders__V3__OrderEvent__LineItem a =
		ORDERS__V3__ORDER_EVENT__LINE_ITEM__INIT;
	Orders__V3__OrderEvent__LineItem *items[] = {&a};
	Orders__V3__OrderEvent__Money total =
		ORDERS__V3__ORDER_EVENT__MONEY__INIT;

	a.sku = "SKU-333";
	a.quantity = 3;
	a.unit_price_cents = 1250;
	total.currency_code = "USD";
	total.units = 37;
	total.nanos = 500000000;
	m.order_id = (char *)order_id;
	m.customer_id = "customer-7";
	m.type = type;
	m.event_time_ms = 1700000000789;
	m.n_items = 1;
	m.items = items;
	m.channel = "app";
	m.total = &total;
	return orders__v3__order_event__pack(&m, dst);
}

/* Decode @len bytes at @body framed under @id (checking determinism). */
static void decode(uint32_t id, const void *body, size_t len,
		   struct dec_out *out)
{
	size_t n = td_frame(framed, id, body, len);

	td_decode(ctx, reg, MAX, td_rec_set(&r, framed, n), out);
}

/* The canonical message of an OK outcome (free with _free_unpacked). */
static Orders__V3__OrderEvent *canon(const struct dec_out *out)
{
	Orders__V3__OrderEvent *m;

	if (out->reason) {
		fprintf(stderr, "quarantined: %s: %s\n",
			log_dec_reason_name(out->reason), out->detail);
		exit(1);
	}
	CHECK(strcmp(out->message, "orders.v3.OrderEvent") == 0);
	m = orders__v3__order_event__unpack(NULL, out->body_len, out->body);
	CHECK(m);
	return m;
}

/* The canonical bytes are a fixed point: decoding them as v3 gives them
 * back unchanged. */
static void check_fixed_point(const struct dec_out *out)
{
	static uint8_t copy[1 << 16];
	size_t len = out->body_len;
	struct dec_out again;

	memcpy(copy, out->body, len);
	decode(3, copy, len, &again);
	CHECK_EQ(again.reason, 0);
	CHECK_EQ(again.body_len, len);
	CHECK(memcmp(again.body, copy, len) == 0);
}

/* ------------------------------------------------------------------------
 * Canonical fields and upcasts
 * ------------------------------------------------------------------------ */

static const struct {
	int64_t cents, units;
	int32_t nanos;
} amounts[] = {
	{12345, 123, 450000000},
	{0, 0, 0},
	{1, 0, 10000000},
	{-1, 0, -10000000},
	{99, 0, 990000000},
	{100, 1, 0},
	{-199, -1, -990000000},
	{-200, -2, 0},
	{INT64_MAX, 92233720368547758, 70000000},
	{INT64_MIN, -92233720368547758, -80000000},
};

static void test_v1(void)
{
	struct dec_out out;
	Orders__V3__OrderEvent *m;
	size_t i, len;

	for (i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
		len = pack_v1(buf, "order-000123", 2, amounts[i].cents);
		decode(1, buf, len, &out);
		CHECK_EQ(out.schema_id, 1);
		CHECK(out.schema == &dec_schemas[0]);
		m = canon(&out);
		CHECK(strcmp(m->order_id, "order-000123") == 0);
		CHECK(strcmp(m->customer_id, "customer-42") == 0);
		CHECK_EQ(m->type, ORDERS__V3__ORDER_EVENT__TYPE__PAID);
		CHECK_EQ(m->event_time_ms, 1700000000123);
		CHECK_EQ(m->n_items, 0);
		CHECK(strcmp(m->channel, "") == 0);
		CHECK(m->total);
		CHECK(strcmp(m->total->currency_code, "EUR") == 0);
		CHECK_EQ(m->total->units, amounts[i].units);
		CHECK_EQ(m->total->nanos, amounts[i].nanos);
		/* DOMAIN.md: amount_cents = units * 100 + nanos / 10^7. */
		if (amounts[i].cents != INT64_MIN &&
		    amounts[i].cents != INT64_MAX)
			CHECK_EQ(m->total->units * 100 +
					 m->total->nanos / 10000000,
				 amounts[i].cents);
		CHECK_EQ(m->base.n_unknown_fields, 0);
		orders__v3__order_event__free_unpacked(m, NULL);
		check_fixed_point(&out);
	}
}

static void test_v2(void)
{
	struct dec_out out;
	Orders__V3__OrderEvent *m;
	size_t i, len;

	for (i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
		len = pack_v2(buf, "order-v2", 4, amounts[i].cents);
		decode(2, buf, len, &out);
		CHECK_EQ(out.schema_id, 2);
		m = canon(&out);
		CHECK(strcmp(m->order_id, "order-v2") == 0);
		CHECK(strcmp(m->customer_id, "customer-42") == 0);
		CHECK_EQ(m->type, ORDERS__V3__ORDER_EVENT__TYPE__CANCELLED);
		CHECK_EQ(m->event_time_ms, 1700000000456);
		CHECK_EQ(m->n_items, 2);
		CHECK(strcmp(m->items[0]->sku, "SKU-1") == 0);
		CHECK_EQ(m->items[0]->quantity, 2);
		CHECK_EQ(m->items[0]->unit_price_cents, 1999);
		CHECK(strcmp(m->items[1]->sku, "SKU-22") == 0);
		CHECK_EQ(m->items[1]->quantity, 1);
		CHECK_EQ(m->items[1]->unit_price_cents, 8347);
		CHECK(strcmp(m->channel, "web") == 0);
		CHECK(strcmp(m->total->currency_code, "EUR") == 0);
		CHECK_EQ(m->total->units, amounts[i].units);
		CHECK_EQ(m->total->nanos, amounts[i].nanos);
		orders__v3__order_event__free_unpacked(m, NULL);
		check_fixed_point(&out);
	}
}

static void test_v3(void)
{
	Orders__V3__OrderEvent v = ORDERS__V3__ORDER_EVENT__INIT;
	Orders__V3__OrderEvent__Money total =
		ORDERS__V3__ORDER_EVENT__MONEY__INIT;
	Orders__V3__OrderEvent *m;
	struct dec_out out;
	size_t len;

	len = pack_v3(buf, "order-v3", 1);
	decode(3, buf, len, &out);
	m = canon(&out);
	CHECK(strcmp(m->order_id, "order-v3") == 0);
	CHECK(strcmp(m->customer_id, "customer-7") == 0);
	CHECK_EQ(m->type, ORDERS__V3__ORDER_EVENT__TYPE__CREATED);
	CHECK_EQ(m->event_time_ms, 1700000000789);
	CHECK_EQ(m->n_items, 1);
	CHECK(strcmp(m->items[0]->sku, "SKU-333") == 0);
	CHECK(strcmp(m->channel, "app") == 0);
	CHECK(strcmp(m->total->currency_code, "USD") == 0);
	CHECK_EQ(m->total->units, 37);
	CHECK_EQ(m->total->nanos, 500000000);
	orders__v3__order_event__free_unpacked(m, NULL);
	/* protobuf-c's own output is already canonical: byte for byte. */
	CHECK_EQ(out.body_len, len);
	CHECK(memcmp(out.body, buf, len) == 0);

	/* A v3 without a total keeps none (no invented zero Money). */
	v.order_id = "o";
	v.type = ORDERS__V3__ORDER_EVENT__TYPE__SHIPPED;
	len = orders__v3__order_event__pack(&v, buf);
	decode(3, buf, len, &out);
	m = canon(&out);
	CHECK(m->total == NULL);
	orders__v3__order_event__free_unpacked(m, NULL);
	CHECK_EQ(out.body_len, len);

	/* An explicitly empty total stays (field present, all defaults). */
	v.total = &total;
	len = orders__v3__order_event__pack(&v, buf);
	decode(3, buf, len, &out);
	m = canon(&out);
	CHECK(m->total && m->total->units == 0);
	orders__v3__order_event__free_unpacked(m, NULL);
	CHECK_EQ(out.body_len, len);
}

/* The same record in header form decodes to the same bytes. */
static void test_header_form(void)
{
	struct dec_out out;
	static uint8_t first[1 << 12];
	size_t len, first_len;

	len = pack_v2(buf, "order-h", 3, 4242);
	decode(2, buf, len, &out);
	CHECK_EQ(out.reason, 0);
	first_len = out.body_len;
	memcpy(first, out.body, first_len);

	td_rec_set(&r, buf, len);
	td_rec_hdr(&r, "schema-id", "2", 1);
	td_decode(ctx, reg, MAX, &r.rec, &out);
	CHECK_EQ(out.reason, 0);
	CHECK_EQ(out.schema_id, 2);
	CHECK_EQ(out.body_len, first_len);
	CHECK(memcmp(out.body, first, first_len) == 0);

	/* Header and framing both: the header wins; the value then starts
	 * with 0x00, which no protobuf message can. */
	len = td_frame(framed, 2, buf, len);
	td_rec_set(&r, framed, len);
	td_rec_hdr(&r, "schema-id", "2", 1);
	td_decode(ctx, reg, MAX, &r.rec, &out);
	td_expect(&out, LOG_DEC_MALFORMED, "field number 0 is not allowed");
	CHECK(out.has_schema_id);
	CHECK_EQ(out.schema_id, 2);
}

/* ------------------------------------------------------------------------
 * Truncations
 * ------------------------------------------------------------------------ */

/* Mark in @ends the offsets at which a top-level field of the @len bytes
 * at @p ends (and 0): exactly the prefixes that are messages. */
static void field_ends(const uint8_t *p, size_t len, uint8_t *ends)
{
	size_t off = 0, n;
	uint64_t key, l;
	int k;

	memset(ends, 0, len + 1);
	ends[0] = 1;
	while (off < len) {
		k = dec_wire_varint(p + off, len - off, &key);
		CHECK(k > 0);
		off += (size_t)k;
		switch (key & 7) {
		case 0:
			k = dec_wire_varint(p + off, len - off, &l);
			CHECK(k > 0);
			n = (size_t)k;
			break;
		case 2:
			k = dec_wire_varint(p + off, len - off, &l);
			CHECK(k > 0);
			n = (size_t)k + (size_t)l;
			break;
		case 5:
			n = 4;
			break;
		default:
			n = 8;
		}
		off += n;
		CHECK(off <= len);
		ends[off] = 1;
	}
}

static void truncations(uint32_t id, const uint8_t *msg, size_t len)
{
	static uint8_t ends[1 << 12];
	struct dec_out out;
	size_t cut, ok = 0, bad = 0;

	field_ends(msg, len, ends);
	for (cut = 0; cut < len; cut++) {
		decode(id, msg, cut, &out);
		if (ends[cut]) {
			/* A prefix that ends between fields is a message
			 * with fewer fields: it decodes, or is invalid (too
			 * few fields for the validator), never malformed. */
			CHECK(out.reason == 0 || out.reason == LOG_DEC_INVALID);
			if (out.reason == 0) {
				check_fixed_point(&out);
				ok++;
			}
		} else {
			td_expect(&out, LOG_DEC_MALFORMED, "runs past the end");
			bad++;
		}
	}
	/* Both kinds happened (the samples have fields after type). */
	CHECK(ok > 0 && bad > 0);
}

static void test_truncations(void)
{
	size_t len;

	len = pack_v1(buf, "order-000123", 2, -199);
	truncations(1, buf, len);
	len = pack_v2(buf, "order-000124", 1, 5000);
	truncations(2, buf, len);
	len = pack_v3(buf, "order-000125", 3);
	truncations(3, buf, len);
}

/* ------------------------------------------------------------------------
 * Unknown fields, wire types, strings
 * ------------------------------------------------------------------------ */

/* Append the varint @v at @p + @len; returns the new length. */
static size_t varint(uint8_t *p, size_t len, uint64_t v)
{
	do {
		p[len++] = (uint8_t)(v | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return len;
}

/* Append a field: @wt 0 takes @v, 2 the @n bytes at @s, 5 and 1 the low 4
 * or 8 bytes of @v. Returns the new length. */
static size_t field(uint8_t *p, size_t len, unsigned fno, unsigned wt,
		    uint64_t v, const void *s, size_t n)
{
	len = varint(p, len, (uint64_t)fno << 3 | wt);
	switch (wt) {
	case 0:
		return varint(p, len, v);
	case 2:
		len = varint(p, len, n);
		if (n)
			memcpy(p + len, s, n);
		return len + n;
	case 5:
		memcpy(p + len, &v, 4);
		return len + 4;
	default:
		memcpy(p + len, &v, 8);
		return len + 8;
	}
}

static void same_bytes(const struct dec_out *a, const uint8_t *b, size_t n)
{
	CHECK_EQ(a->reason, 0);
	CHECK_EQ(a->body_len, n);
	CHECK(memcmp(a->body, b, n) == 0);
}

static void test_unknown_fields(void)
{
	static uint8_t want[1 << 12], m[1 << 12], item[256], money[256];
	struct dec_out out;
	size_t len, wlen, n, k;

	/* v1 plus fields 99 (varint), 100 (string), 101 (fixed32), 102
	 * (fixed64), before and after the known ones: same canonical. */
	len = pack_v1(buf, "order-u", 1, 1234);
	decode(1, buf, len, &out);
	wlen = out.body_len;
	memcpy(want, out.body, wlen);
	n = field(m, 0, 99, 0, 7, NULL, 0);
	memcpy(m + n, buf, len);
	n += len;
	n = field(m, n, 100, 2, 0, "extra", 5);
	n = field(m, n, 101, 5, 0xdeadbeef, NULL, 0);
	n = field(m, n, 102, 1, 0x0102030405060708ull, NULL, 0);
	n = field(m, n, 536870911, 0, 1, NULL, 0); /* the largest number */
	decode(1, m, n, &out);
	same_bytes(&out, want, wlen);

	/* v3 carrying the retired fields 4 and 5 (a v2 producer pointed at
	 * id 3): they are unknown to v3 and dropped. */
	len = pack_v3(buf, "order-r", 2);
	decode(3, buf, len, &out);
	wlen = out.body_len;
	memcpy(want, out.body, wlen);
	memcpy(m, buf, len);
	n = field(m, len, 4, 0, 12345, NULL, 0);
	n = field(m, n, 5, 2, 0, "EUR", 3);
	decode(3, m, n, &out);
	same_bytes(&out, want, wlen);

	/* Unknown fields nested in a line item and in the total. */
	k = field(item, 0, 1, 2, 0, "SKU-9", 5);
	k = field(item, k, 42, 2, 0, "?", 1);
	k = field(item, k, 2, 0, 4, NULL, 0);
	n = field(m, 0, 1, 2, 0, "order-n", 7);
	n = field(m, n, 3, 0, 1, NULL, 0);
	n = field(m, n, 7, 2, 0, item, k);
	k = field(money, 0, 1, 2, 0, "CHF", 3);
	k = field(money, k, 2, 0, 10, NULL, 0);
	k = field(money, k, 77, 5, 1, NULL, 0);
	n = field(m, n, 9, 2, 0, money, k);
	decode(3, m, n, &out);
	CHECK_EQ(out.reason, 0);
	{
		Orders__V3__OrderEvent *c = canon(&out);

		CHECK_EQ(c->n_items, 1);
		CHECK_EQ(c->items[0]->base.n_unknown_fields, 0);
		CHECK_EQ(c->items[0]->quantity, 4);
		CHECK_EQ(c->total->base.n_unknown_fields, 0);
		CHECK_EQ(c->total->units, 10);
		orders__v3__order_event__free_unpacked(c, NULL);
	}
	/* ... and the same item in v2 (upcast) gives the same item. */
	n = field(m, 0, 1, 2, 0, "order-n", 7);
	n = field(m, n, 3, 0, 1, NULL, 0);
	k = field(item, 0, 1, 2, 0, "SKU-9", 5);
	n = field(m, n, 7, 2, 0, item, k);
	decode(2, m, n, &out);
	CHECK_EQ(out.reason, 0);

	/* Out of order and repeated fields: the canonical bytes are a
	 * re-pack (fields in number order, last value wins), not the
	 * input. */
	n = field(m, 0, 3, 0, 1, NULL, 0);
	n = field(m, n, 1, 2, 0, "first", 5);
	n = field(m, n, 1, 2, 0, "order-x", 7);
	decode(1, m, n, &out);
	{
		Orders__V1__OrderEvent v = ORDERS__V1__ORDER_EVENT__INIT;
		Orders__V3__OrderEvent *c = canon(&out);

		CHECK(strcmp(c->order_id, "order-x") == 0);
		orders__v3__order_event__free_unpacked(c, NULL);
		/* The same message written in order by protobuf-c, as v1:
		 * same canonical. */
		v.order_id = "order-x";
		v.type = 1;
		wlen = out.body_len;
		memcpy(want, out.body, wlen);
		len = orders__v1__order_event__pack(&v, buf);
		decode(1, buf, len, &out);
		same_bytes(&out, want, wlen);
	}
	/* Overlong varints (0x81 0x00 for type 1) unpack and re-pack in the
	 * shortest form. */
	n = field(m, 0, 1, 2, 0, "order-o", 7);
	m[n++] = 0x18;
	m[n++] = 0x81;
	m[n++] = 0x80;
	m[n++] = 0x00;
	decode(3, m, n, &out);
	CHECK_EQ(out.reason, 0);
	CHECK_EQ(out.body_len, n - 2);
}

static void test_wire_types(void)
{
	static uint8_t m[1 << 12];
	struct dec_out out;
	size_t n, k;
	uint8_t item[64];

	/* order_id as a varint. */
	n = field(m, 0, 1, 0, 5, NULL, 0);
	decode(1, m, n, &out);
	td_expect(&out, LOG_DEC_MALFORMED,
		  "orders.v1.OrderEvent: byte 0: field 1 (order_id): wire type "
		  "varint where length-delimited is expected");
	/* amount_cents length-delimited. */
	n = field(m, 0, 1, 2, 0, "o", 1);
	n = field(m, n, 4, 2, 0, "12", 2);
	decode(1, m, n, &out);
	td_expect(&out, LOG_DEC_MALFORMED,
		  "byte 3: field 4 (amount_cents): wire type length-delimited "
		  "where varint is expected");
	/* type as fixed32, event_time_ms as fixed64. */
	n = field(m, 0, 3, 5, 1, NULL, 0);
	decode(2, m, n, &out);
	td_expect(&out, LOG_DEC_MALFORMED,
		  "field 3 (type): wire type fixed32 where varint");
	n = field(m, 0, 6, 1, 1, NULL, 0);
	decode(3, m, n, &out);
	td_expect(&out, LOG_DEC_MALFORMED,
		  "field 6 (event_time_ms): wire type fixed64 where varint");
	/* items and total as varints. */
	n = field(m, 0, 7, 0, 1, NULL, 0);
	decode(2, m, n, &out);
	td_expect(&out, LOG_DEC_MALFORMED, "field 7 (items): wire type varint");
	n = field(m, 0, 9, 0, 1, NULL, 0);
	decode(3, m, n, &out);
	td_expect(&out, LOG_DEC_MALFORMED, "field 9 (total): wire type varint");
	/* Inside a line item: the path is named. */
	k = field(item, 0, 2, 2, 0, "x", 1);
	n = field(m, 0, 1, 2, 0, "o", 1);
	n = field(m, n, 7, 2, 0, item, k);
	decode(3, m, n, &out);
	td_expect(&out, LOG_DEC_MALFORMED,
		  "byte 5 (in items): field 2 (quantity): wire type "
		  "length-delimited where varint is expected");
	/* Groups (wire types 3 and 4), even for unknown fields, and the
	 * wire types that do not exist. */
	m[0] = 0x0b; /* field 1, start group */
	decode(1, m, 1, &out);
	td_expect(&out, LOG_DEC_MALFORMED, "wire type start-group");
	m[0] = 0xfb; /* field 31, start group */
	m[1] = 0x01;
	decode(1, m, 2, &out);
	td_expect(&out, LOG_DEC_MALFORMED,
		  "field 31: wire type start-group is not supported");
	m[0] = 0x0c;
	decode(1, m, 1, &out);
	td_expect(&out, LOG_DEC_MALFORMED, "wire type end-group");
	m[0] = 0x0e;
	decode(1, m, 1, &out);
	td_expect(&out, LOG_DEC_MALFORMED, "wire type 6 (none)");
	m[0] = 0x0f;
	decode(1, m, 1, &out);
	td_expect(&out, LOG_DEC_MALFORMED, "wire type 7 (none)");
	/* Field number 0, a length over INT_MAX, a 6-byte tag. */
	m[0] = 0x00;
	decode(1, m, 1, &out);
	td_expect(&out, LOG_DEC_MALFORMED, "byte 0: field number 0");
	memcpy(m, "\x0a\xff\xff\xff\xff\x0f", 6);
	decode(1, m, 6, &out);
	td_expect(&out, LOG_DEC_MALFORMED, "length prefix is too long");
	memcpy(m, "\x8a\x80\x80\x80\x80\x00\x00", 7);
	decode(1, m, 7, &out);
	td_expect(&out, LOG_DEC_MALFORMED, "field tag is longer than 5 bytes");
	/* A value varint of 11 bytes. */
	m[0] = 0x20;
	memset(m + 1, 0xff, 10);
	m[11] = 0x01;
	decode(1, m, 12, &out);
	td_expect(&out, LOG_DEC_MALFORMED,
		  "field 4 (amount_cents): varint is longer than 10 bytes");
}

static void test_strings(void)
{
	static uint8_t m[1 << 12];
	struct dec_out out;
	uint8_t item[64];
	size_t n, k;

	/* A NUL inside a string would be cut by protobuf-c's C strings. */
	n = field(m, 0, 1, 2, 0, "ab\0cd", 5);
	n = field(m, n, 3, 0, 1, NULL, 0);
	decode(1, m, n, &out);
	td_expect(&out, LOG_DEC_MALFORMED,
		  "field 1 (order_id): string holds a NUL byte at byte 4");
	/* ... also nested. */
	k = field(item, 0, 1, 2, 0, "S\0", 2);
	n = field(m, 0, 1, 2, 0, "o", 1);
	n = field(m, n, 3, 0, 1, NULL, 0);
	n = field(m, n, 7, 2, 0, item, k);
	decode(2, m, n, &out);
	td_expect(&out, LOG_DEC_MALFORMED,
		  "(in items): field 1 (sku): string holds a NUL byte");
	/* A 0x00 that is not in a string is fine (empty line item). */
	n = field(m, 0, 1, 2, 0, "o", 1);
	n = field(m, n, 3, 0, 1, NULL, 0);
	n = field(m, n, 7, 2, 0, NULL, 0);
	decode(3, m, n, &out);
	CHECK_EQ(out.reason, 0);

	/* Invalid UTF-8: proto3 strings must be UTF-8. */
	n = field(m, 0, 1, 2, 0, "o", 1);
	n = field(m, n, 2, 2, 0, "caf\xe9", 4);
	n = field(m, n, 3, 0, 1, NULL, 0);
	decode(1, m, n, &out);
	td_expect(&out, LOG_DEC_MALFORMED,
		  "orders.v1.OrderEvent: customer_id: not valid UTF-8 (byte "
		  "0xe9 at 3)");
	k = field(item, 0, 1, 2, 0, "\xed\xa0\x80", 3); /* a surrogate */
	n = field(m, 0, 1, 2, 0, "o", 1);
	n = field(m, n, 3, 0, 1, NULL, 0);
	n = field(m, n, 7, 2, 0, item, k);
	decode(3, m, n, &out);
	td_expect(&out, LOG_DEC_MALFORMED, "items.sku: not valid UTF-8");
	/* Valid UTF-8 of every length passes through unchanged. */
	n = field(m, 0, 1, 2, 0, "o-\xc3\xa9\xe2\x82\xac\xf0\x9f\x93\xa6", 11);
	n = field(m, n, 3, 0, 1, NULL, 0);
	decode(3, m, n, &out);
	same_bytes(&out, m, n);
}

/* ------------------------------------------------------------------------
 * Invalid, unknown schema, too large
 * ------------------------------------------------------------------------ */

static void test_invalid(void)
{
	struct dec_out out;
	size_t len;

	len = pack_v1(buf, "", 1, 5);
	decode(1, buf, len, &out);
	td_expect(&out, LOG_DEC_INVALID, "order_id is empty");
	CHECK(out.has_schema_id && out.schema_id == 1);
	len = pack_v2(buf, "", 1, 5);
	decode(2, buf, len, &out);
	td_expect(&out, LOG_DEC_INVALID, "order_id is empty");
	len = pack_v3(buf, "", 1);
	decode(3, buf, len, &out);
	td_expect(&out, LOG_DEC_INVALID, "order_id is empty");

	len = pack_v1(buf, "o1", 0, 5);
	decode(1, buf, len, &out);
	td_expect(&out, LOG_DEC_INVALID,
		  "type TYPE_UNSPECIFIED (0) is not one of CREATED, PAID, "
		  "SHIPPED, CANCELLED");
	len = pack_v2(buf, "o1", 99, 5);
	decode(2, buf, len, &out);
	td_expect(&out, LOG_DEC_INVALID,
		  "type 99 is not one of CREATED, PAID, SHIPPED, CANCELLED");
	len = pack_v3(buf, "o1", -1);
	decode(3, buf, len, &out);
	td_expect(&out, LOG_DEC_INVALID, "type -1 is not one of");
	len = pack_v3(buf, "o1", 5);
	decode(3, buf, len, &out);
	td_expect(&out, LOG_DEC_INVALID, "type 5 is not one of");
	/* Every valid type passes. */
	for (int t = 1; t <= 4; t++) {
		len = pack_v3(buf, "o1", t);
		decode(3, buf, len, &out);
		CHECK_EQ(out.reason, 0);
	}
	/* An empty message is framed correctly: invalid, not malformed. */
	decode(2, buf, 0, &out);
	td_expect(&out, LOG_DEC_INVALID, "order_id is empty");
}

static void test_unknown_schema(void)
{
	struct dec_registry *r12;
	struct dec_ctx *c12;
	struct dec_out out;
	size_t len, n;

	len = pack_v3(buf, "o", 1);
	decode(99, buf, len, &out);
	td_expect(&out, LOG_DEC_UNKNOWN_SCHEMA,
		  "schema id 99 is not in the registry");
	CHECK(out.has_schema_id && out.schema_id == 99 && !out.schema);
	decode(0, buf, len, &out);
	td_expect(&out, LOG_DEC_UNKNOWN_SCHEMA, "schema id 0 is not");

	/* A registry without 3: v3 records are unknown, v1 still decodes. */
	r12 = td_registry("1 orders.v1.OrderEvent\n2 orders.v2.OrderEvent\n");
	CHECK_OK(dec_ctx_new(r12, MAX, &c12));
	n = td_frame(framed, 3, buf, len);
	td_decode(c12, r12, MAX, td_rec_set(&r, framed, n), &out);
	td_expect(&out, LOG_DEC_UNKNOWN_SCHEMA, "schema id 3 is not");
	CHECK_EQ(out.schema_id, 3);
	len = pack_v1(buf, "o", 1, 1);
	n = td_frame(framed, 1, buf, len);
	td_decode(c12, r12, MAX, td_rec_set(&r, framed, n), &out);
	CHECK_EQ(out.reason, 0);
	/* Ids can map any message: 7 -> v1 decodes v1 bytes. */
	dec_ctx_free(c12);
	dec_registry_free(r12);
	r12 = td_registry("7 orders.v1.OrderEvent\n");
	CHECK_OK(dec_ctx_new(r12, MAX, &c12));
	n = td_frame(framed, 7, buf, len);
	td_decode(c12, r12, MAX, td_rec_set(&r, framed, n), &out);
	CHECK_EQ(out.reason, 0);
	CHECK_EQ(out.schema_id, 7);
	dec_ctx_free(c12);
	dec_registry_free(r12);
}

static void test_too_large(void)
{
	struct dec_ctx *small;
	struct dec_out out;
	size_t len, n;

	len = pack_v2(buf, "order-big", 1, 100);
	n = td_frame(framed, 2, buf, len);
	/* The limit is on the protobuf bytes, not the framed value. */
	CHECK_OK(dec_ctx_new(reg, len, &small));
	td_decode(small, reg, len, td_rec_set(&r, framed, n), &out);
	CHECK_EQ(out.reason, 0);
	dec_ctx_free(small);
	CHECK_OK(dec_ctx_new(reg, len - 1, &small));
	td_decode(small, reg, len - 1, td_rec_set(&r, framed, n), &out);
	td_expect(&out, LOG_DEC_TOO_LARGE, "is over max_message_bytes");
	CHECK(out.has_schema_id && out.schema_id == 2);
	/* Malformed bytes over the limit are too_large: the size is
	 * checked first. */
	memset(buf, 0xff, len);
	n = td_frame(framed, 2, buf, len);
	td_decode(small, reg, len - 1, td_rec_set(&r, framed, n), &out);
	td_expect(&out, LOG_DEC_TOO_LARGE, "orders.v2.OrderEvent of");
	/* ... but an unknown id is unknown_schema whatever the size. */
	n = td_frame(framed, 9, buf, len);
	td_decode(small, reg, len - 1, td_rec_set(&r, framed, n), &out);
	CHECK_EQ(out.reason, LOG_DEC_UNKNOWN_SCHEMA);
	dec_ctx_free(small);

	CHECK_EQ(dec_ctx_new(reg, 0, &small), -EINVAL);
	CHECK(small == NULL);
}

int main(void)
{
	reg = td_registry(TD_FULL_REGISTRY);
	CHECK_OK(dec_ctx_new(reg, MAX, &ctx));
	test_v1();
	test_v2();
	test_v3();
	test_header_form();
	test_truncations();
	test_unknown_fields();
	test_wire_types();
	test_strings();
	test_invalid();
	test_unknown_schema();
	test_too_large();
	dec_ctx_free(ctx);
	dec_registry_free(reg);
	td_rec_free(&r);
	return 0;
}

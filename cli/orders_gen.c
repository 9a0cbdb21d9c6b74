/* cli/orders_gen.c - the orders record generator: lifecycles, protobuf-c
 * encoding, Confluent framing, bad records and expected rows.
 *
 * Two xorshift64* streams, both seeded from the seed: `life` decides the
 * orders (which one moves next, customer, currency, items, amount, channel,
 * plan, times) and `wire` decides how each event is written (version,
 * framing form, whether it is replaced by a bad record, where a truncation
 * cuts, the sub-cent part of some v3 totals). `life` never depends on the
 * encoding options, so --mix and --bad-fraction leave the orders and their
 * events alone; equal options (seed included) give equal bytes.
 *
 * The open-order pool is an array of slots; a record picks a slot at
 * random, starts an order there if it is empty, emits the order's next
 * event, and empties the slot when the lifecycle is complete.
 */
#include "cli/orders_gen.h"

#include "proto/orders/v1/order_event.pb-c.h"
#include "proto/orders/v2/order_event.pb-c.h"
#include "proto/orders/v3/order_event.pb-c.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_EPOCH_MS 1704067200000LL /* 2024-01-01T00:00:00Z */
#define GEN_MAX_OPEN 10000000u
#define GEN_NBAD_SLOTS 5 /* json, unknown id, truncated, invalid, empty */

/* Event types: the values of every version's OrderEvent.Type. */
enum { GEN_CREATED = 1, GEN_PAID = 2, GEN_SHIPPED = 3, GEN_CANCELLED = 4 };

static const char *const gen_type_names[] = {
	"TYPE_UNSPECIFIED", "CREATED", "PAID", "SHIPPED", "CANCELLED",
};

/* The three lifecycles; 0 ends a shorter one. */
static const uint8_t gen_plans[3][3] = {
	{GEN_CREATED, GEN_PAID, GEN_SHIPPED},
	{GEN_CREATED, GEN_CANCELLED, 0},
	{GEN_CREATED, GEN_PAID, GEN_CANCELLED},
};

static const char *const gen_currencies[] = {"EUR", "USD", "GBP",
					     "JPY", "CHF", "SEK"};
static const char *const gen_channels[] = {"", "web", "app", "store"};

struct gen_item {
	char sku[16];
	int32_t quantity;
	int64_t unit_price_cents;
};

struct gen_order {
	char id[GEN_ID_MAX]; /* "" while the slot is empty */
	char customer_id[GEN_ID_MAX];
	int64_t amount_cents;
	int64_t last_ms;
	uint8_t plan, step, currency, channel, nitems;
	struct gen_item items[GEN_MAX_ITEMS];
};

struct gen {
	struct gen_opts opts;
	uint64_t life, wire; /* the two random streams */
	uint32_t tag;	     /* from the seed, in every order id */
	uint32_t mix_total;
	uint64_t seq, norders;
	int64_t clock_ms;
	unsigned nbad; /* bad records so far: picks the next kind */
	struct gen_order *orders;
	char key[GEN_ID_MAX];
	char header[12];
	uint8_t value[GEN_MAX_VALUE];
};

static uint64_t gen_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* xorshift64*: the state is never 0 (seeded non-zero, and the xorshift
 * step maps non-zero to non-zero). */
static uint64_t gen_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static uint32_t gen_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)((gen_rand(s) >> 32) % n);
}

static double gen_unit(uint64_t *s)
{
	return (double)(gen_rand(s) >> 11) * 0x1.0p-53;
}

void gen_opts_default(struct gen_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->seed = 1;
	opts->open_orders = 1000;
	opts->mix[0] = opts->mix[1] = opts->mix[2] = 1;
	opts->bad_fraction = 0.0;
	opts->header_fraction = 0.05;
	opts->long_index_fraction = 0.10;
}

static bool gen_fraction_ok(double f)
{
	return f >= 0.0 && f <= 1.0; /* false for NaN too */
}

int gen_new(const struct gen_opts *opts, struct gen **out)
{
	struct gen *gen;
	uint64_t x;

	*out = NULL;
	if (opts->open_orders < 1 || opts->open_orders > GEN_MAX_OPEN ||
	    opts->mix[0] > 1000000 || opts->mix[1] > 1000000 ||
	    opts->mix[2] > 1000000 ||
	    opts->mix[0] + opts->mix[1] + opts->mix[2] == 0 ||
	    !gen_fraction_ok(opts->bad_fraction) ||
	    !gen_fraction_ok(opts->header_fraction) ||
	    !gen_fraction_ok(opts->long_index_fraction))
		return -EINVAL;
	gen = calloc(1, sizeof(*gen));
	if (!gen)
		return -ENOMEM;
	gen->orders = calloc(opts->open_orders, sizeof(*gen->orders));
	if (!gen->orders) {
		free(gen);
		return -ENOMEM;
	}
	gen->opts = *opts;
	x = opts->seed;
	gen->life = gen_splitmix(&x) | 1;
	gen->wire = gen_splitmix(&x) | 1;
	gen->tag = (uint32_t)(gen_splitmix(&x) >> 32);
	gen->mix_total = opts->mix[0] + opts->mix[1] + opts->mix[2];
	gen->clock_ms = GEN_EPOCH_MS;
	*out = gen;
	return 0;
}

void gen_free(struct gen *gen)
{
	if (!gen)
		return;
	free(gen->orders);
	free(gen);
}

/* A price in minor units: some free, some whole, most with cents; yen has
 * no minor unit in practice, so its amounts are whole. */
static int64_t gen_price(struct gen *gen, bool yen, uint32_t max_units)
{
	uint32_t r = gen_below(&gen->life, 100);

	if (r < 4)
		return 0;
	if (yen)
		return (int64_t)(1 + gen_below(&gen->life, max_units * 50)) *
		       100;
	if (r < 30)
		return (int64_t)(1 + gen_below(&gen->life, max_units)) * 100;
	return 1 + (int64_t)gen_below(&gen->life, max_units * 100);
}

static void gen_order_start(struct gen *gen, struct gen_order *o)
{
	uint32_t r;
	int i;

	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "ord-%08" PRIx32 "-%08" PRIu64, gen->tag,
		 gen->norders++);
	snprintf(o->customer_id, sizeof(o->customer_id), "cust-%06" PRIu32,
		 gen_below(&gen->life, 50000));
	r = gen_below(&gen->life, 100);
	o->currency = r < 40   ? 0
		      : r < 70 ? 1
		      : r < 85 ? 2
		      : r < 95 ? 3
		      : r < 98 ? 4
			       : 5;
	r = gen_below(&gen->life, 10);
	o->channel = r == 0 ? 0 : r < 5 ? 1 : r < 8 ? 2 : 3;
	r = gen_below(&gen->life, 100);
	o->plan = r < 60 ? 0 : r < 85 ? 1 : 2;
	o->nitems = (uint8_t)gen_below(&gen->life, GEN_MAX_ITEMS + 1);
	for (i = 0; i < o->nitems; i++) {
		struct gen_item *it = &o->items[i];

		snprintf(it->sku, sizeof(it->sku), "SKU-%05" PRIu32,
			 gen_below(&gen->life, 20000));
		it->quantity = 1 + (int32_t)gen_below(&gen->life, 4);
		it->unit_price_cents = gen_price(gen, o->currency == 3, 200);
		o->amount_cents += it->quantity * it->unit_price_cents;
	}
	if (o->nitems == 0)
		o->amount_cents = gen_price(gen, o->currency == 3, 1000);
}

/* protobuf-c's string fields are char *: it never writes through them. */
#define GEN_STR(s) ((char *)(s))

/* Pack the event of @o into @out (at most @cap bytes). @order_id and @type
 * are what the message says (a bad record may blank them); @nanos_extra is
 * v3's sub-cent part. Returns the length, or 0 if it does not fit (a bug:
 * GEN_MAX_VALUE is sized for the largest event). */
static size_t gen_pack(const struct gen_order *o, int version,
		       const char *order_id, int type, int64_t time_ms,
		       int32_t nanos_extra, uint8_t *out, size_t cap)
{
	const char *cur = gen_currencies[o->currency];
	const char *chan = gen_channels[o->channel];
	int i;

	if (version == 1) {
		Orders__V1__OrderEvent ev = ORDERS__V1__ORDER_EVENT__INIT;

		ev.order_id = GEN_STR(order_id);
		ev.customer_id = GEN_STR(o->customer_id);
		ev.type = (Orders__V1__OrderEvent__Type)type;
		ev.amount_cents = o->amount_cents;
		ev.currency = GEN_STR(cur);
		ev.event_time_ms = time_ms;
		if (orders__v1__order_event__get_packed_size(&ev) > cap)
			return 0;
		return orders__v1__order_event__pack(&ev, out);
	}
	if (version == 2) {
		Orders__V2__OrderEvent ev = ORDERS__V2__ORDER_EVENT__INIT;
		Orders__V2__OrderEvent__LineItem items[GEN_MAX_ITEMS];
		Orders__V2__OrderEvent__LineItem *pitems[GEN_MAX_ITEMS];

		for (i = 0; i < o->nitems; i++) {
			orders__v2__order_event__line_item__init(&items[i]);
			items[i].sku = GEN_STR(o->items[i].sku);
			items[i].quantity = o->items[i].quantity;
			items[i].unit_price_cents =
				o->items[i].unit_price_cents;
			pitems[i] = &items[i];
		}
		ev.order_id = GEN_STR(order_id);
		ev.customer_id = GEN_STR(o->customer_id);
		ev.type = (Orders__V2__OrderEvent__Type)type;
		ev.amount_cents = o->amount_cents;
		ev.currency = GEN_STR(cur);
		ev.event_time_ms = time_ms;
		ev.n_items = o->nitems;
		ev.items = o->nitems ? pitems : NULL;
		ev.channel = GEN_STR(chan);
		if (orders__v2__order_event__get_packed_size(&ev) > cap)
			return 0;
		return orders__v2__order_event__pack(&ev, out);
	} else {
		Orders__V3__OrderEvent ev = ORDERS__V3__ORDER_EVENT__INIT;
		Orders__V3__OrderEvent__LineItem items[GEN_MAX_ITEMS];
		Orders__V3__OrderEvent__LineItem *pitems[GEN_MAX_ITEMS];
		Orders__V3__OrderEvent__Money total =
			ORDERS__V3__ORDER_EVENT__MONEY__INIT;

		for (i = 0; i < o->nitems; i++) {
			orders__v3__order_event__line_item__init(&items[i]);
			items[i].sku = GEN_STR(o->items[i].sku);
			items[i].quantity = o->items[i].quantity;
			items[i].unit_price_cents =
				o->items[i].unit_price_cents;
			pitems[i] = &items[i];
		}
		total.currency_code = GEN_STR(cur);
		total.units = o->amount_cents / 100;
		total.nanos = (int32_t)(o->amount_cents % 100) * 10000000 +
			      nanos_extra;
		ev.order_id = GEN_STR(order_id);
		ev.customer_id = GEN_STR(o->customer_id);
		ev.type = (Orders__V3__OrderEvent__Type)type;
		ev.event_time_ms = time_ms;
		ev.n_items = o->nitems;
		ev.items = o->nitems ? pitems : NULL;
		ev.channel = GEN_STR(chan);
		ev.total = &total;
		if (orders__v3__order_event__get_packed_size(&ev) > cap)
			return 0;
		return orders__v3__order_event__pack(&ev, out);
	}
}

/* Read a base-128 varint of @p[*pos..@len); returns false if it runs off
 * the end. */
static bool gen_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (*pos < len && shift < 64) {
		uint8_t b = p[(*pos)++];

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
		shift += 7;
	}
	return false;
}

/* Where to cut the protobuf @pb[0..@len) so that it cannot parse: inside
 * the payload of a top-level length-delimited field (its length prefix then
 * claims more bytes than remain). Returns the new length, or @len if the
 * message has no non-empty length-delimited field. */
static size_t gen_cut_point(struct gen *gen, const uint8_t *pb, size_t len)
{
	size_t starts[16], lens[16], n = 0, pos = 0, pick;
	uint64_t tag, v;

	while (pos < len && n < 16) {
		if (!gen_varint(pb, len, &pos, &tag))
			break;
		switch (tag & 7) {
		case 0:
			if (!gen_varint(pb, len, &pos, &v))
				return len;
			break;
		case 1:
			pos += 8;
			break;
		case 2:
			if (!gen_varint(pb, len, &pos, &v) || v > len - pos)
				return len;
			if (v > 0) {
				starts[n] = pos;
				lens[n] = (size_t)v;
				n++;
			}
			pos += (size_t)v;
			break;
		case 5:
			pos += 4;
			break;
		default:
			return len;
		}
	}
	if (n == 0)
		return len;
	pick = gen_below(&gen->wire, (uint32_t)n);
	return starts[pick] + gen_below(&gen->wire, (uint32_t)lens[pick]);
}

/* Write the Confluent prefix for @schema_id into @out; returns its length
 * (6 for the short index path, 7 for the long one). */
static size_t gen_frame(uint8_t *out, int schema_id, bool long_index)
{
	uint32_t id = (uint32_t)schema_id;

	out[0] = 0x00; /* magic */
	out[1] = (uint8_t)(id >> 24);
	out[2] = (uint8_t)(id >> 16);
	out[3] = (uint8_t)(id >> 8);
	out[4] = (uint8_t)id;
	if (!long_index) {
		out[5] = 0x00; /* the path [0], short form */
		return 6;
	}
	out[5] = 0x02; /* count 1, zigzag */
	out[6] = 0x00; /* index 0, zigzag */
	return 7;
}

/* The kinds in turn; the invalid slot alternates between GEN_BAD_NO_ORDER_ID
 * and GEN_BAD_NO_TYPE. */
static const enum gen_bad gen_bad_cycle[GEN_NBAD_SLOTS] = {
	[0] = GEN_BAD_JSON,	 [1] = GEN_BAD_UNKNOWN_ID,
	[2] = GEN_BAD_TRUNCATED, [3] = GEN_BAD_NO_ORDER_ID,
	[4] = GEN_BAD_EMPTY,
};

static const enum gen_outcome gen_bad_outcome[GEN_NBAD] = {
	[GEN_BAD_NONE] = GEN_OK,
	[GEN_BAD_JSON] = GEN_BAD_FRAMING,
	[GEN_BAD_EMPTY] = GEN_BAD_FRAMING,
	[GEN_BAD_UNKNOWN_ID] = GEN_UNKNOWN_SCHEMA,
	[GEN_BAD_TRUNCATED] = GEN_MALFORMED,
	[GEN_BAD_NO_ORDER_ID] = GEN_INVALID,
	[GEN_BAD_NO_TYPE] = GEN_INVALID,
};

int gen_next(struct gen *gen, struct gen_record *rec)
{
	struct gen_order *o;
	const char *order_id;
	bool bad, header, long_index;
	int version, type, wire_type;
	int32_t nanos_extra = 0;
	uint32_t r;
	size_t off, n;

	/* The lifecycle stream: which order moves, and its next event. */
	o = &gen->orders[gen_below(&gen->life, gen->opts.open_orders)];
	if (o->id[0] == '\0')
		gen_order_start(gen, o);
	type = gen_plans[o->plan][o->step++];
	gen->clock_ms += gen_below(&gen->life, 4);
	o->last_ms =
		gen->clock_ms > o->last_ms ? gen->clock_ms : o->last_ms + 1;

	/* The wire stream: how the event is written. */
	bad = gen_unit(&gen->wire) < gen->opts.bad_fraction;
	r = gen_below(&gen->wire, gen->mix_total);
	if (r < gen->opts.mix[0])
		version = 1;
	else if (r < gen->opts.mix[0] + gen->opts.mix[1])
		version = 2;
	else
		version = 3;
	header = gen_unit(&gen->wire) < gen->opts.header_fraction;
	long_index = gen_unit(&gen->wire) < gen->opts.long_index_fraction;
	if (version == 3 && gen_below(&gen->wire, 20) == 0)
		nanos_extra = (int32_t)gen_below(&gen->wire, 10000000);

	memset(rec, 0, sizeof(*rec));
	rec->seq = gen->seq++;
	memcpy(gen->key, o->id, sizeof(gen->key));
	rec->key = gen->key;
	rec->key_len = strlen(gen->key);
	rec->value = gen->value;
	rec->type = type;
	rec->version = version;
	rec->schema_id = version;
	rec->bad = GEN_BAD_NONE;

	memcpy(rec->row.customer_id, o->customer_id, GEN_ID_MAX);
	rec->row.event_type = gen_type_names[type];
	rec->row.amount_cents = o->amount_cents;
	memcpy(rec->row.currency, gen_currencies[o->currency], 4);
	rec->row.channel = version == 1 ? "" : gen_channels[o->channel];
	rec->row.event_time_ms = o->last_ms;
	if (version > 1)
		for (int i = 0; i < o->nitems; i++)
			rec->row.item_count += o->items[i].quantity;

	if (bad) {
		unsigned k = gen->nbad++;

		rec->bad = gen_bad_cycle[k % GEN_NBAD_SLOTS];
		if (rec->bad == GEN_BAD_NO_ORDER_ID && (k / GEN_NBAD_SLOTS) % 2)
			rec->bad = GEN_BAD_NO_TYPE;
	}

	order_id = rec->bad == GEN_BAD_NO_ORDER_ID ? "" : o->id;
	wire_type = rec->bad == GEN_BAD_NO_TYPE ? 0 : type;
	switch (rec->bad) {
	case GEN_BAD_JSON: {
		int len = snprintf(
			(char *)gen->value, sizeof(gen->value),
			"{\"order_id\":\"%s\",\"customer_id\":\"%s\","
			"\"type\":\"%s\",\"amount_cents\":%" PRId64
			",\"currency\":\"%s\",\"event_time_ms\":%" PRId64 "}",
			o->id, o->customer_id, gen_type_names[type],
			o->amount_cents, gen_currencies[o->currency],
			o->last_ms);

		rec->value_len = (size_t)len;
		rec->schema_id = -1;
		rec->version = 0;
		break;
	}
	case GEN_BAD_EMPTY:
		rec->value_len = 0;
		rec->schema_id = -1;
		rec->version = 0;
		break;
	default:
		if (rec->bad == GEN_BAD_UNKNOWN_ID)
			rec->schema_id = GEN_SCHEMA_ID_UNKNOWN;
		if (header && rec->bad == GEN_BAD_NONE) {
			off = 0;
			snprintf(gen->header, sizeof(gen->header), "%d",
				 version);
			rec->header_schema_id = gen->header;
		} else {
			off = gen_frame(gen->value, rec->schema_id, long_index);
		}
		n = gen_pack(o, version, order_id, wire_type, o->last_ms,
			     nanos_extra, gen->value + off,
			     sizeof(gen->value) - off);
		if (n == 0)
			return -EOVERFLOW; /* GEN_MAX_VALUE too small: a bug */
		if (rec->bad == GEN_BAD_TRUNCATED)
			n = gen_cut_point(gen, gen->value + off, n);
		rec->value_len = off + n;
		break;
	}

	rec->outcome = gen_bad_outcome[rec->bad];
	if (o->step == 3 || gen_plans[o->plan][o->step] == 0)
		o->id[0] = '\0'; /* lifecycle complete: free the slot */
	return 0;
}

const char *gen_outcome_name(enum gen_outcome outcome)
{
	static const char *const names[GEN_NOUTCOMES] = {
		"ok", "bad_framing", "unknown_schema", "malformed", "invalid",
	};

	return (unsigned)outcome < GEN_NOUTCOMES ? names[outcome] : "?";
}

const char *gen_bad_name(enum gen_bad bad)
{
	static const char *const names[GEN_NBAD] = {
		[GEN_BAD_NONE] = "",
		[GEN_BAD_JSON] = "json",
		[GEN_BAD_EMPTY] = "empty_value",
		[GEN_BAD_UNKNOWN_ID] = "unknown_id",
		[GEN_BAD_TRUNCATED] = "truncated",
		[GEN_BAD_NO_ORDER_ID] = "no_order_id",
		[GEN_BAD_NO_TYPE] = "no_type",
	};

	return (unsigned)bad < GEN_NBAD ? names[bad] : "?";
}

/* The generator's strings are [A-Za-z0-9-]: no JSON escaping needed; the
 * assumption is checked in the unit test. */
int gen_expect_json(const struct gen_record *rec, char *buf, size_t size)
{
	char sid[16];
	int n;

	if (rec->schema_id < 0)
		snprintf(sid, sizeof(sid), "null");
	else
		snprintf(sid, sizeof(sid), "%d", rec->schema_id);
	if (rec->outcome != GEN_OK)
		n = snprintf(buf, size,
			     "\"order_id\":\"%.*s\",\"schema_id\":%s,"
			     "\"outcome\":\"%s\",\"kind\":\"%s\"}",
			     (int)rec->key_len, rec->key, sid,
			     gen_outcome_name(rec->outcome),
			     gen_bad_name(rec->bad));
	else
		n = snprintf(
			buf, size,
			"\"order_id\":\"%.*s\",\"schema_id\":%s,"
			"\"outcome\":\"ok\",\"customer_id\":\"%s\","
			"\"event_type\":\"%s\",\"amount_cents\":%" PRId64
			",\"currency\":\"%s\",\"item_count\":%" PRId64
			",\"channel\":\"%s\",\"event_time_ms\":%" PRId64 "}",
			(int)rec->key_len, rec->key, sid, rec->row.customer_id,
			rec->row.event_type, rec->row.amount_cents,
			rec->row.currency, rec->row.item_count,
			rec->row.channel, rec->row.event_time_ms);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

/* tests/cli/test_orders_gen.c - the orders record generator without Kafka:
 * determinism, lifecycle rules, the wire format of every record, that every
 * ok record round-trips through protobuf-c to its expected row, and that
 * each bad kind is what it claims to be.
 *
 * TEST_SCALE=N divides the number of records (sanitizer runs).
 */
#include "cli/orders_gen.h"
#include "common/err.h"
#include "tests/check.h"

#include "proto/orders/v1/order_event.pb-c.h"
#include "proto/orders/v2/order_event.pb-c.h"
#include "proto/orders/v3/order_event.pb-c.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>

static uint64_t nrecords = 200000;

/* What the lifecycle check remembers of an order. */
struct seen_order {
	uint8_t types[3]; /* events seen, in order (all records) */
	uint8_t n;
	int64_t last_ms;
	int64_t amount_cents;
	char customer_id[GEN_ID_MAX];
	char currency[4];
};

static const ProtobufCMessageDescriptor *descriptor(int version)
{
	switch (version) {
	case 1:
		return &orders__v1__order_event__descriptor;
	case 2:
		return &orders__v2__order_event__descriptor;
	case 3:
		return &orders__v3__order_event__descriptor;
	default:
		return NULL;
	}
}

static const char *type_name(int type)
{
	static const char *const names[] = {"TYPE_UNSPECIFIED", "CREATED",
					    "PAID", "SHIPPED", "CANCELLED"};

	CHECK(type >= 0 && type <= 4);
	return names[type];
}

static void opts_with(struct gen_opts *o, uint64_t seed, double bad)
{
	gen_opts_default(o);
	o->seed = seed;
	o->bad_fraction = bad;
}

/* The framing of @rec: where the protobuf starts; checks the prefix. */
static size_t payload_offset(const struct gen_record *rec, bool *long_form)
{
	const uint8_t *v = rec->value;
	uint32_t id;

	*long_form = false;
	if (rec->header_schema_id) {
		CHECK_EQ(atoi(rec->header_schema_id), rec->schema_id);
		CHECK(rec->outcome == GEN_OK);
		return 0;
	}
	CHECK(rec->value_len >= 6);
	CHECK_EQ(v[0], 0x00);
	id = (uint32_t)v[1] << 24 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 8 |
	     v[4];
	CHECK_EQ(id, rec->schema_id);
	if (v[5] == 0x00)
		return 6;
	/* the long form of the path [0]: count 1 (zigzag 2), index 0 */
	CHECK_EQ(v[5], 0x02);
	CHECK(rec->value_len >= 7);
	CHECK_EQ(v[6], 0x00);
	*long_form = true;
	return 7;
}

/* Unpack the protobuf of @rec with its version; NULL if it does not
 * parse. */
static ProtobufCMessage *unpack(const struct gen_record *rec, size_t off)
{
	return protobuf_c_message_unpack(descriptor(rec->version), NULL,
					 rec->value_len - off,
					 rec->value + off);
}

/* The fields of an unpacked event as DOMAIN.md's row would hold them. */
struct decoded {
	const char *order_id, *customer_id, *currency, *channel;
	int type;
	int64_t amount_cents, item_count, event_time_ms;
	int32_t nanos;
	size_t n_items;
};

static void decode(const ProtobufCMessage *msg, int version, struct decoded *d)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	d->channel = "";
	if (version == 1) {
		const Orders__V1__OrderEvent *e = (const void *)msg;

		d->order_id = e->order_id;
		d->customer_id = e->customer_id;
		d->type = e->type;
		d->amount_cents = e->amount_cents;
		d->currency = e->currency;
		d->event_time_ms = e->event_time_ms;
	} else if (version == 2) {
		const Orders__V2__OrderEvent *e = (const void *)msg;

		d->order_id = e->order_id;
		d->customer_id = e->customer_id;
		d->type = e->type;
		d->amount_cents = e->amount_cents;
		d->currency = e->currency;
		d->event_time_ms = e->event_time_ms;
		d->channel = e->channel;
		d->n_items = e->n_items;
		for (i = 0; i < e->n_items; i++) {
			CHECK(e->items[i]->sku[0] != '\0');
			CHECK(e->items[i]->quantity > 0);
			CHECK(e->items[i]->unit_price_cents >= 0);
			d->item_count += e->items[i]->quantity;
		}
	} else {
		const Orders__V3__OrderEvent *e = (const void *)msg;

		d->order_id = e->order_id;
		d->customer_id = e->customer_id;
		d->type = e->type;
		d->event_time_ms = e->event_time_ms;
		d->channel = e->channel;
		d->n_items = e->n_items;
		for (i = 0; i < e->n_items; i++)
			d->item_count += e->items[i]->quantity;
		CHECK(e->total); /* always present in generated v3 */
		CHECK(e->total->units >= 0 && e->total->nanos >= 0 &&
		      e->total->nanos < 1000000000);
		/* DOMAIN.md: amount_cents = units * 100 + nanos / 10000000 */
		d->amount_cents =
			e->total->units * 100 + e->total->nanos / 10000000;
		d->nanos = e->total->nanos;
		d->currency = e->total->currency_code;
	}
}

static bool within_one(uint64_t a, uint64_t b)
{
	return a <= b + 1 && b <= a + 1;
}

static bool plain_id(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

static uint64_t order_number(const struct gen_record *rec)
{
	const char *dash = strrchr(rec->key, '-');

	CHECK(dash && strncmp(rec->key, "ord-", 4) == 0);
	return strtoull(dash + 1, NULL, 10);
}

static bool is_prefix_of_a_plan(const uint8_t *t, unsigned n)
{
	static const uint8_t plans[3][3] = {{1, 2, 3}, {1, 4, 0}, {1, 2, 4}};
	unsigned p, i;

	for (p = 0; p < 3; p++) {
		for (i = 0; i < n; i++)
			if (plans[p][i] != t[i])
				break;
		if (i == n)
			return true;
	}
	return false;
}

/* Same options, same records; another seed, other records. */
static void test_determinism(void)
{
	struct gen *a, *b, *c;
	struct gen_opts o;
	struct gen_record ra, rb, rc;
	uint64_t i, differ = 0;

	opts_with(&o, 42, 0.05);
	CHECK_OK(gen_new(&o, &a));
	CHECK_OK(gen_new(&o, &b));
	o.seed = 43;
	CHECK_OK(gen_new(&o, &c));
	for (i = 0; i < nrecords / 4; i++) {
		CHECK_OK(gen_next(a, &ra));
		CHECK_OK(gen_next(b, &rb));
		CHECK_OK(gen_next(c, &rc));
		CHECK_EQ(ra.seq, i);
		CHECK_EQ(ra.key_len, rb.key_len);
		CHECK(memcmp(ra.key, rb.key, ra.key_len) == 0);
		CHECK_EQ(ra.value_len, rb.value_len);
		CHECK(memcmp(ra.value, rb.value, ra.value_len) == 0);
		CHECK(!ra.header_schema_id == !rb.header_schema_id);
		CHECK_EQ(ra.outcome, rb.outcome);
		CHECK_EQ(ra.bad, rb.bad);
		if (ra.value_len != rc.value_len ||
		    memcmp(ra.value, rc.value, ra.value_len) != 0)
			differ++;
		/* another seed, other order ids */
		CHECK(strcmp(ra.key, rc.key) != 0);
	}
	CHECK(differ > nrecords / 4 * 9 / 10);
	gen_free(a);
	gen_free(b);
	gen_free(c);
}

/* The encoding options leave the lifecycles alone. */
static void test_life_independent_of_encoding(void)
{
	struct gen *a, *b;
	struct gen_opts o;
	struct gen_record ra, rb;
	uint64_t i;

	opts_with(&o, 7, 0.0);
	CHECK_OK(gen_new(&o, &a));
	o.bad_fraction = 0.3;
	o.mix[0] = 5;
	o.mix[2] = 0;
	CHECK_OK(gen_new(&o, &b));
	for (i = 0; i < nrecords / 10; i++) {
		CHECK_OK(gen_next(a, &ra));
		CHECK_OK(gen_next(b, &rb));
		CHECK(strcmp(ra.key, rb.key) == 0);
		CHECK_EQ(ra.type, rb.type);
		CHECK_EQ(ra.row.event_time_ms, rb.row.event_time_ms);
		CHECK_EQ(ra.row.amount_cents, rb.row.amount_cents);
	}
	gen_free(a);
	gen_free(b);
}

/* Everything else, over one long stream with bad records. */
static void test_stream(void)
{
	struct seen_order *orders;
	struct gen *gen;
	struct gen_opts o;
	struct gen_record rec;
	uint64_t i, outcomes[GEN_NOUTCOMES] = {0}, bads[GEN_NBAD] = {0};
	uint64_t versions[4] = {0}, headers = 0, long_forms = 0,
		 short_forms = 0;
	uint64_t zero_amounts = 0, sub_cent = 0, no_channel = 0, items0 = 0,
		 items5 = 0, completed[3] = {0}, norders = 0, bad_total;
	const double bad_fraction = 0.05;
	char json[512], small[20];

	orders = calloc(nrecords, sizeof(*orders));
	CHECK(orders);
	opts_with(&o, 2024, bad_fraction);
	o.open_orders = 500;
	CHECK_OK(gen_new(&o, &gen));
	for (i = 0; i < nrecords; i++) {
		struct seen_order *so;
		ProtobufCMessage *msg;
		struct decoded d;
		uint64_t num;
		bool long_form;
		size_t off;
		int n;

		CHECK_OK(gen_next(gen, &rec));
		CHECK(rec.key_len > 0 && rec.key_len == strlen(rec.key));
		CHECK(rec.value != NULL && rec.value_len <= GEN_MAX_VALUE);
		CHECK(plain_id(rec.key) && plain_id(rec.row.customer_id));
		outcomes[rec.outcome]++;
		bads[rec.bad]++;

		/* Lifecycle: every record is an event of its order. */
		num = order_number(&rec);
		CHECK(num < nrecords);
		norders = num + 1 > norders ? num + 1 : norders;
		so = &orders[num];
		CHECK(so->n < 3);
		if (so->n == 0) {
			CHECK_EQ(rec.type, 1); /* CREATED first */
			so->amount_cents = rec.row.amount_cents;
			memcpy(so->customer_id, rec.row.customer_id,
			       sizeof(so->customer_id));
			memcpy(so->currency, rec.row.currency, 4);
		} else {
			CHECK(rec.row.event_time_ms > so->last_ms);
			CHECK_EQ(rec.row.amount_cents, so->amount_cents);
			CHECK(strcmp(rec.row.customer_id, so->customer_id) ==
			      0);
			CHECK(strcmp(rec.row.currency, so->currency) == 0);
		}
		so->types[so->n++] = (uint8_t)rec.type;
		CHECK(is_prefix_of_a_plan(so->types, so->n));
		so->last_ms = rec.row.event_time_ms;
		CHECK(strcmp(rec.row.event_type, type_name(rec.type)) == 0);

		/* The manifest tail is one JSON object's end. */
		n = gen_expect_json(&rec, json, sizeof(json));
		CHECK(n > 0 && json[n - 1] == '}');
		CHECK(strstr(json, gen_outcome_name(rec.outcome)));
		CHECK_EQ(gen_expect_json(&rec, small, sizeof(small)), -ENOSPC);

		switch (rec.bad) {
		case GEN_BAD_NONE:
			break;
		case GEN_BAD_JSON:
			CHECK_EQ(rec.outcome, GEN_BAD_FRAMING);
			CHECK(rec.value_len > 0 && rec.value[0] == '{');
			CHECK(!rec.header_schema_id && rec.schema_id == -1);
			CHECK(strstr(json, "\"schema_id\":null"));
			continue;
		case GEN_BAD_EMPTY:
			CHECK_EQ(rec.outcome, GEN_BAD_FRAMING);
			CHECK_EQ(rec.value_len, 0);
			CHECK(!rec.header_schema_id && rec.schema_id == -1);
			continue;
		case GEN_BAD_UNKNOWN_ID:
			CHECK_EQ(rec.outcome, GEN_UNKNOWN_SCHEMA);
			CHECK_EQ(rec.schema_id, GEN_SCHEMA_ID_UNKNOWN);
			break;
		case GEN_BAD_TRUNCATED:
			CHECK_EQ(rec.outcome, GEN_MALFORMED);
			CHECK(rec.schema_id >= 1 && rec.schema_id <= 3);
			break;
		case GEN_BAD_NO_ORDER_ID:
		case GEN_BAD_NO_TYPE:
			CHECK_EQ(rec.outcome, GEN_INVALID);
			CHECK(rec.schema_id >= 1 && rec.schema_id <= 3);
			break;
		default:
			CHECK(!"unknown bad kind");
		}

		/* Framed (or headed) protobuf from here on. */
		CHECK(rec.version >= 1 && rec.version <= 3);
		off = payload_offset(&rec, &long_form);
		if (rec.header_schema_id)
			headers++;
		else if (long_form)
			long_forms++;
		else
			short_forms++;
		msg = unpack(&rec, off);
		if (rec.bad == GEN_BAD_TRUNCATED) {
			/* Really unparseable, with any version's schema. */
			CHECK(msg == NULL);
			for (int v = 1; v <= 3; v++)
				CHECK(protobuf_c_message_unpack(
					      descriptor(v), NULL,
					      rec.value_len - off,
					      rec.value + off) == NULL);
			continue;
		}
		CHECK(msg != NULL);
		decode(msg, rec.version, &d);
		if (rec.bad == GEN_BAD_NO_ORDER_ID) {
			CHECK(d.order_id[0] == '\0');
			CHECK(d.type >= 1 && d.type <= 4);
		} else if (rec.bad == GEN_BAD_NO_TYPE) {
			CHECK(strcmp(d.order_id, rec.key) == 0);
			CHECK_EQ(d.type, 0);
		} else {
			/* ok and unknown_schema: a valid event */
			CHECK(strcmp(d.order_id, rec.key) == 0);
			CHECK_EQ(d.type, rec.type);
		}
		if (rec.outcome == GEN_OK) {
			char expect[128];

			versions[rec.version]++;
			CHECK(strcmp(d.customer_id, rec.row.customer_id) == 0);
			CHECK(strcmp(type_name(d.type), rec.row.event_type) ==
			      0);
			CHECK_EQ(d.amount_cents, rec.row.amount_cents);
			CHECK(strcmp(d.currency, rec.row.currency) == 0);
			CHECK_EQ(d.item_count, rec.row.item_count);
			CHECK(strcmp(d.channel, rec.row.channel) == 0);
			CHECK_EQ(d.event_time_ms, rec.row.event_time_ms);
			if (rec.version == 1)
				CHECK_EQ(rec.row.item_count, 0);
			zero_amounts += d.amount_cents == 0;
			sub_cent += rec.version == 3 && d.nanos % 10000000;
			no_channel += rec.version > 1 && d.channel[0] == '\0';
			items0 += rec.version > 1 && d.n_items == 0;
			items5 += d.n_items == GEN_MAX_ITEMS;
			snprintf(expect, sizeof(expect),
				 "\"amount_cents\":%lld,",
				 (long long)rec.row.amount_cents);
			CHECK(strstr(json, expect));
			snprintf(expect, sizeof(expect),
				 "\"event_time_ms\":%lld}",
				 (long long)rec.row.event_time_ms);
			CHECK(strstr(json, expect));
		}
		protobuf_c_message_free_unpacked(msg, NULL);
	}

	/* Lifecycles: all three plans complete often. */
	for (i = 0; i < norders; i++) {
		struct seen_order *so = &orders[i];

		if (so->n == 3 && so->types[2] == 3)
			completed[0]++;
		else if (so->n == 2 && so->types[1] == 4)
			completed[1]++;
		else if (so->n == 3 && so->types[2] == 4)
			completed[2]++;
	}
	fprintf(stderr,
		"%llu records, %llu orders; completed %llu shipped, %llu "
		"cancelled, %llu paid+cancelled\n",
		(unsigned long long)nrecords, (unsigned long long)norders,
		(unsigned long long)completed[0],
		(unsigned long long)completed[1],
		(unsigned long long)completed[2]);
	CHECK(completed[0] > norders / 3);
	CHECK(completed[1] > norders / 10);
	CHECK(completed[2] > norders / 20);

	/* The bad fraction, spread evenly over the kinds. */
	bad_total = nrecords - bads[GEN_BAD_NONE];
	CHECK(bad_total > nrecords * bad_fraction * 0.9 &&
	      bad_total < nrecords * bad_fraction * 1.1);
	CHECK(within_one(bads[GEN_BAD_JSON], bads[GEN_BAD_EMPTY]));
	CHECK(within_one(bads[GEN_BAD_JSON], bads[GEN_BAD_UNKNOWN_ID]));
	CHECK(within_one(bads[GEN_BAD_JSON], bads[GEN_BAD_TRUNCATED]));
	CHECK(within_one(bads[GEN_BAD_JSON],
			 bads[GEN_BAD_NO_ORDER_ID] + bads[GEN_BAD_NO_TYPE]));
	CHECK(within_one(bads[GEN_BAD_NO_ORDER_ID], bads[GEN_BAD_NO_TYPE]));
	CHECK(bads[GEN_BAD_NO_ORDER_ID] > 0 && bads[GEN_BAD_NO_TYPE] > 0);
	CHECK_EQ(outcomes[GEN_BAD_FRAMING],
		 bads[GEN_BAD_JSON] + bads[GEN_BAD_EMPTY]);

	/* Every form and shape shows up. */
	CHECK(versions[1] > 0 && versions[2] > 0 && versions[3] > 0);
	CHECK(headers > outcomes[GEN_OK] / 40); /* ~5% */
	CHECK(long_forms > short_forms / 20);	/* ~10% */
	CHECK(zero_amounts > 0 && sub_cent > 0 && no_channel > 0 &&
	      items0 > 0 && items5 > 0);

	gen_free(gen);
	free(orders);
}

/* --mix weights pick versions; a zero weight excludes one. */
static void test_mix(void)
{
	struct gen *gen;
	struct gen_opts o;
	struct gen_record rec;
	uint64_t i, n[4] = {0}, total = nrecords / 10;

	opts_with(&o, 3, 0.0);
	o.mix[0] = 30;
	o.mix[1] = 0;
	o.mix[2] = 70;
	CHECK_OK(gen_new(&o, &gen));
	for (i = 0; i < total; i++) {
		CHECK_OK(gen_next(gen, &rec));
		n[rec.version]++;
	}
	CHECK_EQ(n[2], 0);
	CHECK(n[1] > total * 25 / 100 && n[1] < total * 35 / 100);
	gen_free(gen);
}

static void test_bad_options(void)
{
	struct gen *gen = (struct gen *)1;
	struct gen_opts o;

	gen_opts_default(&o);
	o.open_orders = 0;
	CHECK_EQ(gen_new(&o, &gen), -EINVAL);
	CHECK(gen == NULL);
	gen_opts_default(&o);
	o.mix[0] = o.mix[1] = o.mix[2] = 0;
	CHECK_EQ(gen_new(&o, &gen), -EINVAL);
	gen_opts_default(&o);
	o.bad_fraction = 1.5;
	CHECK_EQ(gen_new(&o, &gen), -EINVAL);
	gen_opts_default(&o);
	o.header_fraction = -0.1;
	CHECK_EQ(gen_new(&o, &gen), -EINVAL);
	gen_free(NULL);
	CHECK(strcmp(gen_outcome_name(GEN_UNKNOWN_SCHEMA), "unknown_schema") ==
	      0);
	CHECK(strcmp(gen_bad_name(GEN_BAD_TRUNCATED), "truncated") == 0);
}

/* All records bad: every one still follows its order's lifecycle. */
static void test_all_bad(void)
{
	struct gen *gen;
	struct gen_opts o;
	struct gen_record rec;
	uint64_t i;

	opts_with(&o, 9, 1.0);
	CHECK_OK(gen_new(&o, &gen));
	for (i = 0; i < 1000; i++) {
		CHECK_OK(gen_next(gen, &rec));
		CHECK(rec.outcome != GEN_OK);
	}
	gen_free(gen);
}

int main(void)
{
	const char *scale_s = getenv("TEST_SCALE");
	uint64_t scale = scale_s ? strtoull(scale_s, NULL, 10) : 1;

	if (scale > 1)
		nrecords /= scale;
	test_bad_options();
	test_determinism();
	test_life_independent_of_encoding();
	test_stream();
	test_mix();
	test_all_bad();
	return 0;
}

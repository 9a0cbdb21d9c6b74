/* cli/orders_gen.h - the example-domain record generator: `orders` events in
 * the Confluent wire format (DOMAIN.md), and what each one should become.
 *
 * A generator keeps a pool of orders in flight and emits one Kafka record at
 * a time: the key is the order id, the value an orders.vN.OrderEvent (N from
 * a weighted mix of 1, 2, 3) framed as 0x00, big-endian schema id, the
 * message-index path (mostly the short form 0x00, sometimes the long form
 * 0x02 0x00), then the protobuf bytes; or, for a few good records, the bare
 * protobuf with the schema id in a `schema-id` header.
 *
 * Lifecycles: every order goes CREATED -> PAID -> SHIPPED, CREATED ->
 * CANCELLED, or CREATED -> PAID -> CANCELLED, with event_time_ms strictly
 * increasing per order. A bad record replaces an event of an order (the
 * order still moves on), so the good events of an order are always a
 * subsequence of its lifecycle, in order.
 *
 * Determinism: the same options (seed included) give the same records in the
 * same order, byte for byte. The lifecycles come from one random stream and
 * the encoding choices (version, framing form, bad records) from another, so
 * changing --mix or --bad-fraction does not change which orders exist, their
 * customers, amounts or event order.
 *
 * No Kafka here: a benchmark or test can use it alone. Not thread-safe: one
 * generator per thread.
 */
#ifndef RZ_CLI_ORDERS_GEN_H
#define RZ_CLI_ORDERS_GEN_H

#include <stddef.h>
#include <stdint.h>

#define GEN_MAX_ITEMS 5
#define GEN_ID_MAX 32		 /* order and customer ids, with the NUL */
#define GEN_SCHEMA_ID_UNKNOWN 99 /* the schema id of unknown_schema records */
#define GEN_MAX_VALUE 1024	 /* no generated value is longer */

/* What decode should conclude about a record (the quarantine reasons of
 * DOMAIN.md, plus ok). */
enum gen_outcome {
	GEN_OK,
	GEN_BAD_FRAMING,
	GEN_UNKNOWN_SCHEMA,
	GEN_MALFORMED,
	GEN_INVALID,
	GEN_NOUTCOMES
};

/* How a bad record is bad; bad records cycle through these in turn. */
enum gen_bad {
	GEN_BAD_NONE,
	GEN_BAD_JSON,	    /* bad_framing: JSON text, no 0x00 magic */
	GEN_BAD_EMPTY,	    /* bad_framing: empty value */
	GEN_BAD_UNKNOWN_ID, /* unknown_schema: framed with id 99 */
	GEN_BAD_TRUNCATED,  /* malformed: cut inside a length-delimited field */
	GEN_BAD_NO_ORDER_ID, /* invalid: empty order_id */
	GEN_BAD_NO_TYPE,     /* invalid: type TYPE_UNSPECIFIED */
	GEN_NBAD
};

struct gen_opts {
	uint64_t seed;
	uint32_t open_orders;	    /* orders in flight at once, >= 1 */
	uint32_t mix[3];	    /* weights of schema versions 1, 2, 3 */
	double bad_fraction;	    /* of all records, [0, 1] */
	double header_fraction;	    /* of good records: schema-id header */
	double long_index_fraction; /* of framed records: path as 0x02 0x00 */
};

/* The order_events row transform should write for an ok record (DOMAIN.md);
 * for a bad record, the row of the event it replaced. */
struct gen_row {
	char customer_id[GEN_ID_MAX];
	const char *event_type; /* "CREATED", "PAID", "SHIPPED", "CANCELLED" */
	int64_t amount_cents;	/* v3: units * 100 + nanos / 10000000 */
	char currency[4];
	int64_t item_count;  /* sum of quantities; 0 for v1 */
	const char *channel; /* "" when absent (always for v1) */
	int64_t event_time_ms;
};

/* One record. Its pointers are into the generator and valid until the next
 * gen_next() or gen_free() on it. */
struct gen_record {
	/* 0 for the first record of a generator */
	uint64_t seq;
	/* The order id; never empty, even when the value's order_id is (an
	 * empty key would be partitioned at random). */
	const char *key;
	size_t key_len;
	/* Never NULL; value_len may be 0 (an empty value). */
	const uint8_t *value;
	size_t value_len;
	/* The schema-id header's value ("1", "2", "3"), or NULL. */
	const char *header_schema_id;
	/* The schema id the record carries (framing or header); -1: none. */
	int schema_id;
	/* The protobuf version encoded, 1..3; 0: none (JSON, empty). */
	int version;
	/* The lifecycle event, 1..4 (every version's OrderEvent.Type). */
	int type;
	enum gen_outcome outcome;
	enum gen_bad bad;
	struct gen_row row;
};

struct gen;

/* gen_opts_default - seed 1, 1000 open orders, mix 1:1:1, no bad records,
 * 5% schema-id headers, 10% long index paths. */
void gen_opts_default(struct gen_opts *opts);

/* gen_new - a generator for @opts (copied). Returns 0, -EINVAL for options
 * out of range (open_orders 0 or over 10,000,000, a mix of all zeros, a
 * fraction outside [0, 1]), or -ENOMEM. On error *out is NULL. */
int gen_new(const struct gen_opts *opts, struct gen **out);

/* gen_next - the next record into @rec. Returns 0, or -EOVERFLOW if an
 * event did not fit in GEN_MAX_VALUE bytes (a bug; the generator is then
 * unusable). The stream is endless. */
int gen_next(struct gen *gen, struct gen_record *rec);

/* gen_free - release @gen; NULL is accepted. */
void gen_free(struct gen *gen);

/* gen_outcome_name - "ok", "bad_framing", "unknown_schema", "malformed",
 * "invalid". */
const char *gen_outcome_name(enum gen_outcome outcome);

/* gen_bad_name - "json", "empty_value", "unknown_id", "truncated",
 * "no_order_id", "no_type"; "" for GEN_BAD_NONE. */
const char *gen_bad_name(enum gen_bad bad);

/* gen_expect_json - the manifest fields of @rec after the Kafka coordinates,
 * written into @buf as `"order_id":...,"outcome":...}` (the tail of a JSON
 * object, closing brace included, no newline): order_id, schema_id (number
 * or null), outcome, kind (bad records: gen_bad_name) and, for ok records,
 * customer_id, event_type, amount_cents, currency, item_count, channel and
 * event_time_ms. Returns the length, or -ENOSPC if @size is too small (512
 * bytes always suffice). */
int gen_expect_json(const struct gen_record *rec, char *buf, size_t size);

#endif

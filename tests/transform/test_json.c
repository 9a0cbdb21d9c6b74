/* tests/transform/test_json.c - the generic json transform, row by row.
 *
 * Decoded logs are written by hand for two json topics - payments
 * ([transform] topics.payments = json, two partitions, one of them in tiny
 * segments) and refunds (json by default) - and for orders (topics.orders
 * = orders), all in one database. A model of each coordinate's last
 * outcome gives every rawzone_events and rawzone_quarantine row the
 * database must hold; the expected JSON bodies are written by the test
 * itself, not by common/pbjson, and a few rows are spelled out literally.
 * Keys: text, NULL, empty, binary, invalid UTF-8, and text that looks like
 * the hex form. Then a replay is appended (new content at the same
 * coordinates, OK -> quarantined, quarantined -> OK, the same coordinates
 * twice in one batch, a key that became NULL) and everything is checked
 * again; fresh databases with batches of 1, 7 and everything are
 * identical. Plus: the key encoding and the descriptor lookup on their
 * own, the orders topic mapped to json, a message this build does not
 * have (-ERR_CONFIG) and bytes that do not unpack (-ERR_CORRUPT), each
 * leaving nothing committed.
 */
#include "tests/transform/xf_test.h"

#include "transform/json.h"
#include "transform/xform.h"

#define NJ 3	 /* json partitions: payments/0, payments/1, refunds/0 */
#define NOFF 400 /* offsets per partition, at most */
#define NGEN 300 /* generated records of payments/0 */
#define TS0 1700000000000LL

/* The last outcome of one coordinate of a json topic. */
struct mrec {
	bool used, ok;
	struct xt_ev ev;
	char order_id[32], customer_id[32], currency[8], channel[16];
	int64_t ts;
	uint32_t schema_id;
	bool key_null;
	char key[64]; /* the key column's text */
	unsigned reason;
	bool has_schema_id;
	char detail[64];
};

struct jpart {
	const char *topic;
	int32_t partition;
	uint64_t segment_bytes;
	struct log_dir *d;
};

static struct jpart jparts[NJ] = {
	{"payments", 0, 1024, NULL},
	{"payments", 1, 64 << 10, NULL},
	{"refunds", 0, 64 << 10, NULL},
};
static struct mrec model[NJ][NOFF];
static struct log_dir *orders_log;
static char data_dir[PATH_MAX];

static const char *const type_names[] = {"TYPE_UNSPECIFIED", "CREATED", "PAID",
					 "SHIPPED", "CANCELLED"};

/* --- writing decoded logs ------------------------------------------------ */

/* An OK outcome holding @body_len bytes at @body as message @msg. */
static void put_ok_raw(struct log_dir *d, int64_t offset, int64_t ts,
		       uint32_t schema_id, const char *msg, const void *body,
		       size_t blen, const void *key, size_t klen)
{
	uint8_t val[1400];
	size_t vlen = log_dec_ok_size((uint16_t)strlen(msg), blen);

	CHECK(vlen <= sizeof(val));
	log_dec_ok_put(val, schema_id, msg, (uint16_t)strlen(msg), body, blen);
	xt_put_key(d, offset, ts, LOG_DEC_OK, val, vlen, key, klen);
}

static void frontiers(void)
{
	int j;

	for (j = 0; j < NJ; j++)
		xt_topic_frontier(data_dir, jparts[j].topic, jparts[j].d,
				  jparts[j].partition);
	xt_topic_frontier(data_dir, "orders", orders_log, 0);
}

/* An OK outcome of json partition @j with key @key (@klen bytes, NULL: a
 * null key) whose column must read @key_text. */
static void ok(int j, int64_t off, int64_t ts, const struct xt_ev *ev,
	       const void *key, size_t klen, const char *key_text)
{
	struct mrec *m = &model[j][off];
	uint8_t body[1024];
	size_t blen = xt_pack(ev, body, sizeof(body));

	CHECK(off < NOFF);
	memset(m, 0, sizeof(*m));
	m->used = m->ok = true;
	m->ev = *ev;
	snprintf(m->order_id, sizeof(m->order_id), "%s", ev->order_id);
	snprintf(m->customer_id, sizeof(m->customer_id), "%s",
		 ev->customer_id ? ev->customer_id : "");
	snprintf(m->currency, sizeof(m->currency), "%s",
		 ev->currency ? ev->currency : "");
	snprintf(m->channel, sizeof(m->channel), "%s",
		 ev->channel ? ev->channel : "");
	m->ts = ts;
	m->schema_id = 3;
	m->key_null = !key;
	snprintf(m->key, sizeof(m->key), "%s", key ? key_text : "");
	put_ok_raw(jparts[j].d, off, ts, 3, XT_MSG, body, blen, key, klen);
}

/* ok() with the order id as the key, as producers of the example do. */
static void ok_k(int j, int64_t off, int64_t ts, const struct xt_ev *ev)
{
	ok(j, off, ts, ev, ev->order_id, strlen(ev->order_id), ev->order_id);
}

static void quar(int j, int64_t off, unsigned reason, bool has, uint32_t id,
		 const char *detail)
{
	struct mrec *m = &model[j][off];

	CHECK(off < NOFF);
	memset(m, 0, sizeof(*m));
	m->used = true;
	m->reason = reason;
	m->has_schema_id = has;
	m->schema_id = id;
	snprintf(m->detail, sizeof(m->detail), "%s", detail);
	xt_q(jparts[j].d, off, TS0 + off, reason, has, id, detail);
}

/* --- the model's rows ------------------------------------------------------ */

/* The JSON of @m's event, written here field by field in .proto order. */
static void body_of(const struct mrec *m, char *buf, size_t size)
{
	const struct xt_ev *ev = &m->ev;
	size_t off;
	int i;

	off = (size_t)snprintf(buf, size,
			       "{\"order_id\":\"%s\",\"customer_id\":\"%s\","
			       "\"type\":\"%s\",\"event_time_ms\":\"%lld\","
			       "\"items\":[",
			       m->order_id, m->customer_id,
			       type_names[ev->type], (long long)ev->time);
	for (i = 0; i < ev->nitems && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off,
					"%s{\"sku\":\"SKU-1\",\"quantity\":%d,"
					"\"unit_price_cents\":\"100\"}",
					i ? "," : "", (int)ev->qty[i]);
	CHECK(off < size);
	if (ev->no_total)
		off += (size_t)snprintf(buf + off, size - off,
					"],\"channel\":\"%s\",\"total\":null}",
					m->channel);
	else
		off += (size_t)snprintf(
			buf + off, size - off,
			"],\"channel\":\"%s\",\"total\":{\"currency_code\":"
			"\"%s\",\"units\":\"%lld\",\"nanos\":%d}}",
			m->channel, m->currency, (long long)ev->units,
			(int)ev->nanos);
	CHECK(off < size);
}

static void event_row(int j, int off, char *buf, size_t size)
{
	const struct mrec *m = &model[j][off];
	char body[1024], ts[32];

	body_of(m, body, sizeof(body));
	if (m->ts < 0)
		snprintf(ts, sizeof(ts), "NULL");
	else
		snprintf(ts, sizeof(ts), "%lld", (long long)m->ts);
	CHECK(snprintf(buf, size, "%s|%d|%d|%u|%s|%s|%s|%s", jparts[j].topic,
		       (int)jparts[j].partition, off, m->schema_id, XT_MSG,
		       m->key_null ? "NULL" : m->key, ts, body) < (int)size);
}

#define EV_SELECT                                                              \
	"SELECT topic, kafka_partition, kafka_offset, schema_id, "             \
	"message_type, key, kafka_timestamp_ms, body FROM rawzone_events "     \
	"WHERE topic = '%s' AND kafka_partition = %d AND kafka_offset = %d"

/* Every row of the json topics is the model's, and nothing else is there;
 * the orders topic is the orders transform's alone. */
static void check_model(const char *db)
{
	char want[2048], got[2048];
	int64_t nok = 0, nq = 0;
	sqlite3 *h = xt_db(db);
	int j, off;

	for (j = 0; j < NJ; j++)
		for (off = 0; off < NOFF; off++) {
			const struct mrec *m = &model[j][off];
			const char *t = jparts[j].topic;
			int p = (int)jparts[j].partition;

			if (!m->used)
				continue;
			if (m->ok) {
				nok++;
				event_row(j, off, want, sizeof(want));
				xt_row(h, got, sizeof(got), EV_SELECT, t, p,
				       off);
				if (strcmp(want, got) != 0) {
					fprintf(stderr, "want %s\n got %s\n",
						want, got);
					CHECK(0);
				}
				CHECK_EQ(xt_int(h,
						"SELECT count(*) FROM "
						"rawzone_quarantine WHERE "
						"topic = '%s' AND "
						"kafka_partition = %d AND "
						"kafka_offset = %d",
						t, p, off),
					 0);
				continue;
			}
			nq++;
			snprintf(want, sizeof(want), "%s|%s|%s",
				 log_dec_reason_name(m->reason),
				 m->has_schema_id ? "" : "NULL", m->detail);
			if (m->has_schema_id)
				snprintf(want, sizeof(want), "%s|%u|%s",
					 log_dec_reason_name(m->reason),
					 m->schema_id, m->detail);
			xt_row(h, got, sizeof(got),
			       "SELECT reason, schema_id, detail FROM "
			       "rawzone_quarantine WHERE topic = '%s' AND "
			       "kafka_partition = %d AND kafka_offset = %d",
			       t, p, off);
			if (strcmp(want, got) != 0) {
				fprintf(stderr, "%s/%d %d: want %s\n got %s\n",
					t, p, off, want, got);
				CHECK(0);
			}
			CHECK_EQ(xt_int(h,
					"SELECT count(*) FROM rawzone_events "
					"WHERE topic = '%s' AND "
					"kafka_partition = %d AND "
					"kafka_offset = %d",
					t, p, off),
				 0);
		}
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM rawzone_events"), nok);
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM rawzone_quarantine WHERE "
			   "topic <> 'orders'"),
		 nq);
	/* the two transforms keep to their tables */
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM order_events WHERE "
			   "topic <> 'orders'"),
		 0);
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM orders WHERE "
			   "topic <> 'orders'"),
		 0);
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM rawzone_events e JOIN "
			   "rawzone_quarantine q USING (topic, "
			   "kafka_partition, kafka_offset)"),
		 0);
	/* SQLite reads every body as JSON; keys of the example are the
	 * order id */
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM rawzone_events WHERE "
			   "NOT json_valid(body) OR typeof(body) <> 'text'"),
		 0);
	CHECK(xt_int(h, "SELECT count(*) FROM rawzone_events WHERE "
			"json_extract(body, '$.order_id') = key") > NGEN / 2);
	xt_invariant(h);
	CHECK_EQ(xt_int(h, "SELECT version FROM rawzone_schema WHERE "
			   "component = 'json'"),
		 XF_JSON_SCHEMA_VERSION);
	sqlite3_close(h);
}

/* A few rows written out in full, so the model cannot share a bug with
 * the code. */
static void check_literal(const char *db, int phase)
{
	char got[2048];
	sqlite3 *h = xt_db(db);

	xt_row(h, got, sizeof(got), EV_SELECT, "payments", 0, 0);
	if (phase == 1)
		CHECK(strcmp(got,
			     "payments|0|0|3|orders.v3.OrderEvent|o-1|"
			     "1700000000000|{\"order_id\":\"o-1\","
			     "\"customer_id\":\"c-1\",\"type\":\"CREATED\","
			     "\"event_time_ms\":\"1700000000500\","
			     "\"items\":[{\"sku\":\"SKU-1\",\"quantity\":2,"
			     "\"unit_price_cents\":\"100\"},{\"sku\":"
			     "\"SKU-1\",\"quantity\":3,\"unit_price_cents\":"
			     "\"100\"}],\"channel\":\"web\",\"total\":{"
			     "\"currency_code\":\"EUR\",\"units\":\"12\","
			     "\"nanos\":340000000}}") == 0);
	else
		CHECK(strcmp(got,
			     "payments|0|0|3|orders.v3.OrderEvent|o-1|"
			     "1700000000000|{\"order_id\":\"o-1\","
			     "\"customer_id\":\"c-1\",\"type\":\"PAID\","
			     "\"event_time_ms\":\"1700000000900\","
			     "\"items\":[],\"channel\":\"\",\"total\":null}") ==
		      0);
	/* no key, no timestamp */
	xt_row(h, got, sizeof(got),
	       "SELECT key IS NULL, kafka_timestamp_ms IS NULL, body FROM "
	       "rawzone_events WHERE topic = 'payments' AND "
	       "kafka_partition = 0 AND kafka_offset = %d",
	       phase == 1 ? 1 : 2);
	if (phase == 1)
		CHECK(strcmp(got, "1|1|{\"order_id\":\"o-2\",\"customer_id\":"
				  "\"\",\"type\":\"CANCELLED\","
				  "\"event_time_ms\":\"-5\",\"items\":[],"
				  "\"channel\":\"\",\"total\":{"
				  "\"currency_code\":\"\",\"units\":\"-3\","
				  "\"nanos\":-500000000}}") == 0);
	else
		CHECK(strcmp(got, "0|1|{\"order_id\":\"o-3\",\"customer_id\":"
				  "\"\",\"type\":\"SHIPPED\","
				  "\"event_time_ms\":\"7\",\"items\":[],"
				  "\"channel\":\"\",\"total\":null}") == 0);
	/* keys: binary, hex-looking text, empty, invalid UTF-8, UTF-8 */
	xt_row(h, got, sizeof(got),
	       "SELECT group_concat(quote(key), ' ') FROM (SELECT key FROM "
	       "rawzone_events WHERE topic = 'payments' AND "
	       "kafka_partition = 0 AND kafka_offset BETWEEN 3 AND 7 "
	       "ORDER BY kafka_offset)");
	CHECK(strcmp(got, "'\\x0001ff' '\\x5c783431' '' '\\xc328' "
			  "'\xc3\xa9-\xc3\xbc'") == 0);
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM rawzone_events WHERE "
			   "typeof(key) NOT IN ('text', 'null')"),
		 0);
	/* a binary key is found by its bytes (SQLite 3.40: no unhex) */
	CHECK_EQ(xt_int(h, "SELECT kafka_offset FROM rawzone_events WHERE "
			   "topic = 'payments' AND key = '\\x' || "
			   "lower(hex(x'0001ff'))"),
		 3);
	/* quarantined, then OK: its quarantine row went with the replay */
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM rawzone_quarantine WHERE "
			   "topic = 'payments' AND kafka_partition = 0 AND "
			   "kafka_offset = 2"),
		 phase == 1 ? 1 : 0);
	/* OK, then quarantined: its row went */
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM rawzone_events WHERE "
			   "topic = 'payments' AND kafka_partition = 0 AND "
			   "kafka_offset = 1"),
		 phase == 1 ? 1 : 0);
	/* refunds took the default transform */
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM rawzone_events WHERE "
			   "topic = 'refunds'"),
		 phase == 1 ? 3 : 4);
	sqlite3_close(h);
}

/* --- the data ----------------------------------------------------------- */

static void gen_ev(uint64_t *rs, int i, struct xt_ev *ev, char *oid, char *cid)
{
	static const char *const cur[] = {"EUR", "USD", "GBP", "JPY"};
	static const char *const chan[] = {"web", "app", "store", ""};
	int k;

	snprintf(oid, 24, "ord-%05d", (int)(test_rand(rs) % 97));
	snprintf(cid, 24, "cust-%03d", i % 50);
	memset(ev, 0, sizeof(*ev));
	ev->order_id = oid;
	ev->customer_id = cid;
	ev->type = 1 + (int)(test_rand(rs) % 4);
	ev->time = TS0 + i * 3;
	ev->no_total = i % 11 == 0;
	ev->currency = cur[i % 4];
	ev->units = (int64_t)(test_rand(rs) % 100000) - 50000;
	ev->nanos = (int32_t)(test_rand(rs) % 100) * 10000000;
	ev->channel = chan[test_rand(rs) % 4];
	ev->nitems = (int)(test_rand(rs) % 4);
	for (k = 0; k < ev->nitems; k++)
		ev->qty[k] = 1 + (int32_t)(test_rand(rs) % 5);
}

static void phase1(void)
{
	struct xt_ev e1 = {
		.order_id = "o-1",
		.customer_id = "c-1",
		.type = 1,
		.time = TS0 + 500,
		.currency = "EUR",
		.units = 12,
		.nanos = 340000000,
		.channel = "web",
		.nitems = 2,
		.qty = {2, 3},
	};
	struct xt_ev e2 = {
		.order_id = "o-2",
		.type = 4,
		.time = -5,
		.units = -3,
		.nanos = -500000000,
	};
	struct xt_ev e = {
		.order_id = "o-x", .type = 2, .time = 1, .no_total = true};
	struct xt_ev o1 = {.order_id = "o-1",
			   .customer_id = "c-1",
			   .type = 1,
			   .time = 10,
			   .currency = "EUR",
			   .units = 1};
	uint64_t rs = 42;
	char oid[24], cid[24];
	int i;

	ok(0, 0, TS0, &e1, "o-1", 3, "o-1");
	ok(0, 1, -1, &e2, NULL, 0, NULL);
	quar(0, 2, LOG_DEC_BAD_FRAMING, false, 0, "value is empty");
	ok(0, 3, TS0 + 3, &e, "\x00\x01\xff", 3, "\\x0001ff");
	ok(0, 4, TS0 + 4, &e, "\\x41", 4, "\\x5c783431");
	ok(0, 5, TS0 + 5, &e, "", 0, "");
	ok(0, 6, TS0 + 6, &e, "\xc3\x28", 2, "\\xc328");
	ok(0, 7, TS0 + 7, &e, "\xc3\xa9-\xc3\xbc", 5, "\xc3\xa9-\xc3\xbc");
	quar(0, 8, LOG_DEC_INVALID, true, 3, "order_id is empty");
	/* enough for full multi-row statements, the tail ones and single
	 * rows, across many 1 KiB segments */
	for (i = 9; i < 9 + NGEN; i++) {
		if (i % 10 == 0) {
			quar(0, i, LOG_DEC_MALFORMED, true, 2, "truncated");
			continue;
		}
		gen_ev(&rs, i, &e, oid, cid);
		ok_k(0, i, TS0 + i, &e);
	}
	for (i = 0; i < 40; i++) {
		if (i % 7 == 3) {
			quar(1, i, LOG_DEC_UNKNOWN_SCHEMA, true, 99,
			     "schema id 99 is not in the registry");
			continue;
		}
		gen_ev(&rs, i, &e, oid, cid);
		ok_k(1, i, i % 5 ? TS0 + i : -1, &e);
	}
	for (i = 0; i < 3; i++) {
		gen_ev(&rs, i, &e, oid, cid);
		ok_k(2, i, TS0 + i, &e);
	}
	/* the orders topic, for the orders transform */
	xt_ok(orders_log, 0, TS0, 3, &o1);
	xt_q(orders_log, 1, TS0 + 1, LOG_DEC_INVALID, true, 3, "bad type");
	o1.time = 20;
	o1.type = 2;
	xt_ok(orders_log, 2, TS0 + 2, 1, &o1);
	frontiers();
}

/* A replay: re-decoded outcomes of coordinates already applied. */
static void phase2(void)
{
	struct xt_ev e0 = {.order_id = "o-1",
			   .customer_id = "c-1",
			   .type = 2,
			   .time = TS0 + 900,
			   .no_total = true};
	struct xt_ev e2 = {
		.order_id = "o-3", .type = 3, .time = 7, .no_total = true};
	struct xt_ev e = {
		.order_id = "o-y", .type = 1, .time = 2, .no_total = true};
	uint64_t rs = 43;
	char oid[24], cid[24];
	int i;

	/* new content at the same coordinates */
	ok(0, 0, TS0, &e0, "o-1", 3, "o-1");
	/* OK -> quarantined */
	quar(0, 1, LOG_DEC_MALFORMED, true, 3, "replayed: malformed");
	/* quarantined -> OK, with a key now and no timestamp */
	ok(0, 2, -1, &e2, "o-3", 3, "o-3");
	/* the same coordinates twice in one batch: the last wins */
	quar(0, 8, LOG_DEC_INVALID, true, 3, "still invalid");
	ok(0, 8, TS0 + 8, &e, "o-y", 3, "o-y");
	quar(1, 5, LOG_DEC_INVALID, true, 3, "first");
	ok(1, 5, TS0 + 5, &e, NULL, 0, NULL); /* the key became null */
	/* every generated coordinate again (more than a multi-row upsert
	 * holds), every 3rd of them now quarantined */
	for (i = 9; i < 9 + NGEN; i++) {
		if (i % 3 == 0) {
			quar(0, i, LOG_DEC_MALFORMED, true, 3, "replayed");
			continue;
		}
		gen_ev(&rs, i, &e, oid, cid);
		ok_k(0, i, TS0 + i, &e);
	}
	/* and new records after the replay */
	for (i = 9 + NGEN; i < 9 + NGEN + 20; i++) {
		gen_ev(&rs, i, &e, oid, cid);
		ok_k(0, i, TS0 + i, &e);
	}
	gen_ev(&rs, 3, &e, oid, cid);
	ok_k(2, 3, TS0 + 3, &e);
	xt_q(orders_log, 0, TS0, LOG_DEC_MALFORMED, true, 3, "replayed");
	frontiers();
}

/* --- whole databases ---------------------------------------------------- */

static const char *const extra[] = {
	"land.topics=orders,payments,refunds",
	"transform.topics.payments=json",
	"transform.topics.orders=orders",
	NULL,
};

/* Every row of the derived tables and the checkpoint, malloc'd. */
static char *dump(const char *db)
{
	char *base = xt_dump(db), *out;
	sqlite3 *h = xt_db(db);
	sqlite3_stmt *st;
	size_t len = strlen(base), cap = len + (1 << 16);

	out = malloc(cap);
	CHECK(out);
	memcpy(out, base, len + 1);
	free(base);
	CHECK(sqlite3_prepare_v2(h,
				 "SELECT topic, kafka_partition, kafka_offset, "
				 "schema_id, message_type, quote(key), "
				 "quote(kafka_timestamp_ms), body FROM "
				 "rawzone_events ORDER BY topic, "
				 "kafka_partition, kafka_offset",
				 -1, &st, NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char line[2048];
		int n = snprintf(
			line, sizeof(line), "%s|%lld|%lld|%lld|%s|%s|%s|%s\n",
			sqlite3_column_text(st, 0),
			(long long)sqlite3_column_int64(st, 1),
			(long long)sqlite3_column_int64(st, 2),
			(long long)sqlite3_column_int64(st, 3),
			sqlite3_column_text(st, 4), sqlite3_column_text(st, 5),
			sqlite3_column_text(st, 6), sqlite3_column_text(st, 7));

		CHECK(n > 0 && n < (int)sizeof(line));
		while (len + (size_t)n + 1 > cap) {
			cap *= 2;
			out = realloc(out, cap);
			CHECK(out);
		}
		memcpy(out + len, line, (size_t)n + 1);
		len += (size_t)n;
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

static char *run_fresh(const char *name, const char *batch)
{
	char conf[PATH_MAX], db[PATH_MAX], kv[64];
	char *ov[1] = {kv};

	TEST_FMT(conf, "%s/%s.conf", data_dir, name);
	TEST_FMT(db, "%s/%s.db", data_dir, name);
	TEST_FMT(kv, "transform.batch_records=%s", batch);
	xt_conf(conf, data_dir, db, extra);
	CHECK_OK(xt_run(conf, ov, 1));
	check_model(db);
	return dump(db);
}

/* --- the parts on their own --------------------------------------------- */

static void key_is(const void *key, size_t len, const char *want)
{
	struct jbuf b = {0};

	xf_json_key(&b, key, len);
	CHECK(!b.oom);
	if (b.len != strlen(want) || memcmp(b.p ? b.p : "", want, b.len)) {
		fprintf(stderr, "key of %zu bytes: want '%s', got '%.*s'\n",
			len, want, (int)b.len, b.p ? b.p : "");
		CHECK(0);
	}
	jbuf_free(&b);
}

static void check_keys(void)
{
	unsigned char big[300];
	char want[2 + 2 * sizeof(big) + 1];
	size_t i;

	key_is("", 0, "");
	key_is("ord-1", 5, "ord-1");
	key_is("a\\b", 3, "a\\b"); /* a backslash alone is text */
	key_is("\\", 1, "\\");
	key_is("\\x", 2, "\\x5c78");		   /* looks like hex: hex */
	key_is("\\X1", 3, "\\X1");		   /* only \\x is the prefix */
	key_is("a\0b", 3, "\\x610062");		   /* NUL */
	key_is("\x7f\x01\t", 3, "\x7f\x01\t");	   /* controls are text */
	key_is("\xc3\xa9", 2, "\xc3\xa9");	   /* U+00E9 */
	key_is("\xe2\x82\xac", 3, "\xe2\x82\xac"); /* U+20AC */
	key_is("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80"); /* U+1F600 */
	key_is("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	key_is("\xf4\x90\x80\x80", 4, "\\xf4908080");	   /* above it */
	key_is("\xc0\x80", 2, "\\xc080");		   /* overlong NUL */
	key_is("\xe0\x80\xaf", 3, "\\xe080af");		   /* overlong */
	key_is("\xf0\x80\x80\xaf", 4, "\\xf08080af");	   /* overlong */
	key_is("\xed\xa0\x80", 3, "\\xeda080");		   /* surrogate */
	key_is("\xed\x9f\xbf", 3, "\xed\x9f\xbf");	   /* U+D7FF */
	key_is("\xc3", 1, "\\xc3");			   /* truncated */
	key_is("a\xe2\x82", 3, "\\x61e282");		   /* truncated */
	key_is("\x80", 1, "\\x80");			   /* continuation */
	/* cut short where the next byte would complete it */
	key_is("\xc3\xa9", 1, "\\xc3");
	key_is("\xe2\x82\xac", 2, "\\xe282");
	key_is("\xf0\x9f\x98\x80", 3, "\\xf09f98");
	key_is("\xff\xfe", 2, "\\xfffe");
	key_is("\x00\x00\x00\x2a", 4, "\\x0000002a"); /* an int key */
	/* longer than the encoder's chunk */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)i;
	memcpy(want, "\\x", 2);
	for (i = 0; i < sizeof(big); i++)
		snprintf(want + 2 + 2 * i, 3, "%02x", big[i]);
	key_is(big, sizeof(big), want);

	CHECK(xf_json_descriptor(XT_MSG, strlen(XT_MSG)) ==
	      &orders__v3__order_event__descriptor);
	CHECK(xf_json_descriptor("orders.v1.OrderEvent", 20) != NULL);
	CHECK(xf_json_descriptor("orders.v3.OrderEventX", 20) ==
	      &orders__v3__order_event__descriptor); /* by length */
	CHECK(xf_json_descriptor("orders.v3.OrderEven", 19) == NULL);
	CHECK(xf_json_descriptor("acme.v1.Thing", 13) == NULL);
	CHECK(xf_find("json") == &xf_json_ops);
}

static void check_mapping(void)
{
	char conf[PATH_MAX], db[PATH_MAX];
	struct cfg *cfg = NULL;

	TEST_FMT(conf, "%s/map.conf", data_dir);
	TEST_FMT(db, "%s/map.db", data_dir);
	xt_conf(conf, data_dir, db, extra);
	CHECK_OK(cfg_load(conf, NULL, 0, &cfg));
	CHECK(strcmp(xf_topic_transform(cfg, "payments"), "json") == 0);
	CHECK(strcmp(xf_topic_transform(cfg, "refunds"), "json") == 0);
	CHECK(strcmp(xf_topic_transform(cfg, "orders"), "orders") == 0);
	cfg_free(cfg);
}

/* The orders topic mapped to json: its rows go to rawzone_events, and the
 * orders transform's tables are not made. */
static void check_orders_as_json(void)
{
	static const char *const ex[] = {"transform.topics.orders=json", NULL};
	char dir[PATH_MAX], conf[PATH_MAX], db[PATH_MAX], got[2048];
	struct xt_ev ev = {.order_id = "o-9",
			   .customer_id = "c-9",
			   .type = 3,
			   .time = 99,
			   .currency = "USD",
			   .units = 5};
	struct log_dir *d;
	sqlite3 *h;

	TEST_FMT(dir, "%s/oj", data_dir);
	d = xt_topic_open(dir, "orders", 0, 64 << 10);
	xt_ok(d, 0, TS0, 1, &ev);
	xt_q(d, 1, TS0, LOG_DEC_TOO_LARGE, true, 1, "too large");
	xt_topic_frontier(dir, "orders", d, 0);
	TEST_FMT(conf, "%s/oj.conf", dir);
	TEST_FMT(db, "%s/oj.db", dir);
	xt_conf(conf, dir, db, ex);
	CHECK_OK(xt_run(conf, NULL, 0));
	h = xt_db(db);
	xt_row(h, got, sizeof(got), EV_SELECT, "orders", 0, 0);
	CHECK(strcmp(got, "orders|0|0|1|orders.v3.OrderEvent|k0|"
			  "1700000000000|{\"order_id\":\"o-9\","
			  "\"customer_id\":\"c-9\",\"type\":\"SHIPPED\","
			  "\"event_time_ms\":\"99\",\"items\":[],"
			  "\"channel\":\"\",\"total\":{\"currency_code\":"
			  "\"USD\",\"units\":\"5\",\"nanos\":0}}") == 0);
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM rawzone_quarantine"), 1);
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM sqlite_master WHERE "
			   "name IN ('order_events', 'orders')"),
		 0);
	sqlite3_close(h);
	log_dir_close(d);
}

/* A batch the transform refuses is not committed: nothing of it, not
 * even the rows of the outcomes before the bad one. */
static void check_refused(const char *name, const char *msg, const void *body,
			  size_t blen, int want)
{
	static const char *const ex[] = {"land.topics=payments", NULL};
	char dir[PATH_MAX], conf[PATH_MAX], db[PATH_MAX];
	struct xt_ev ev = {.order_id = "o-1", .type = 1, .time = 1};
	struct log_dir *d;
	sqlite3 *h;

	TEST_FMT(dir, "%s/%s", data_dir, name);
	d = xt_topic_open(dir, "payments", 0, 64 << 10);
	xt_ok(d, 0, TS0, 3, &ev);
	xt_q(d, 1, TS0, LOG_DEC_INVALID, true, 3, "invalid");
	put_ok_raw(d, 2, TS0, 7, msg, body, blen, "k", 1);
	xt_topic_frontier(dir, "payments", d, 0);
	TEST_FMT(conf, "%s/%s.conf", dir, name);
	TEST_FMT(db, "%s/%s.db", dir, name);
	xt_conf(conf, dir, db, ex);
	CHECK_EQ(xt_run(conf, NULL, 0), want);
	h = xt_db(db);
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM rawzone_events"), 0);
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM rawzone_quarantine"), 0);
	CHECK_EQ(xt_int(h, "SELECT count(*) FROM "
			   "rawzone_transform_checkpoint"),
		 0);
	sqlite3_close(h);
	log_dir_close(d);
}

int main(void)
{
	static const uint8_t junk[] = {0x0a, 0xff, 0x01, 'x'};
	char conf[PATH_MAX], db[PATH_MAX], *d1, *d2;
	int j;

	snprintf(data_dir, sizeof(data_dir), "%s", test_tmpdir("xf-json"));
	check_keys();
	for (j = 0; j < NJ; j++)
		jparts[j].d = xt_topic_open(data_dir, jparts[j].topic,
					    jparts[j].partition,
					    jparts[j].segment_bytes);
	orders_log = xt_topic_open(data_dir, "orders", 0, 64 << 10);
	check_mapping();
	TEST_FMT(conf, "%s/rawzone.conf", data_dir);
	TEST_FMT(db, "%s/main.db", data_dir);
	xt_conf(conf, data_dir, db, extra);

	phase1();
	CHECK_OK(xt_run(conf, NULL, 0));
	check_model(db);
	check_literal(db, 1);
	/* nothing new: a second run changes nothing */
	d1 = dump(db);
	CHECK_OK(xt_run(conf, NULL, 0));
	d2 = dump(db);
	CHECK(test_same(d1, d2));
	free(d1);
	free(d2);

	phase2();
	CHECK_OK(xt_run(conf, NULL, 0));
	check_model(db);
	check_literal(db, 2);
	d1 = dump(db);

	/* rebuilt into fresh databases with any batch size: the same */
	d2 = run_fresh("b1", "1");
	CHECK(test_same(d1, d2));
	free(d2);
	d2 = run_fresh("b7", "7");
	CHECK(test_same(d1, d2));
	free(d2);
	d2 = run_fresh("ball", "100000");
	CHECK(test_same(d1, d2));
	free(d2);
	free(d1);

	check_orders_as_json();
	check_refused("unknown", "acme.v1.Thing", "", 0, -ERR_CONFIG);
	check_refused("junk", XT_MSG, junk, sizeof(junk), -ERR_CORRUPT);
	for (j = 0; j < NJ; j++)
		log_dir_close(jparts[j].d);
	log_dir_close(orders_log);
	printf("json transform: rows, keys, replays, batch sizes, orders "
	       "beside json, refusals ok\n");
	return 0;
}

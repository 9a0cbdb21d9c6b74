/* tests/transform/test_orders.c - the orders transform, row by row.
 *
 * Decoded logs of two partitions are written by hand; a model of what each
 * coordinate's last outcome is gives every row the database must hold, and
 * the database must hold exactly those. Then re-decoded outcomes are
 * appended (a replay: quarantined -> OK, OK -> quarantined, new content at
 * the same coordinates, another order, an earlier time, the same coordinate
 * twice in one batch) and everything is checked again, beside a few rows
 * written out literally so the model cannot share a bug with the code.
 * Finally the same log applied again (checkpoint reset), and into fresh
 * databases with batches of 1, 3 and all outcomes, gives identical
 * databases. Plus the refusals: another schema version, a table not made by
 * transform, a topic mapped to the json transform.
 */
#include "tests/transform/xf_test.h"

#include "transform/orders.h"
#include "transform/sink.h"

#define NPART 2
#define NOFF 16

/* The last outcome of each coordinate, as the database must show it. */
struct mrec {
	bool used, ok;
	struct xt_ev ev;
	char order_id[32], customer_id[32], currency[8], channel[16];
	uint32_t schema_id;
	bool has_schema_id;
	int64_t ts;
	unsigned reason;
	char detail[64];
};

static struct mrec model[NPART][NOFF];
static struct log_dir *logs[NPART];
static char data_dir[PATH_MAX];

static const char *const types[] = {"", "CREATED", "PAID", "SHIPPED",
				    "CANCELLED"};

static void ok(int p, int64_t off, int64_t ts, const struct xt_ev *ev)
{
	struct mrec *m = &model[p][off];

	memset(m, 0, sizeof(*m));
	m->used = m->ok = true;
	m->ev = *ev;
	snprintf(m->order_id, sizeof(m->order_id), "%s", ev->order_id);
	snprintf(m->customer_id, sizeof(m->customer_id), "%s",
		 ev->customer_id ? ev->customer_id : "");
	snprintf(m->currency, sizeof(m->currency), "%s",
		 ev->currency && !ev->no_total ? ev->currency : "");
	snprintf(m->channel, sizeof(m->channel), "%s",
		 ev->channel ? ev->channel : "");
	m->schema_id = 3;
	m->ts = ts;
	xt_ok(logs[p], off, ts, 3, ev);
}

static void quar(int p, int64_t off, unsigned reason, bool has, uint32_t id,
		 const char *detail)
{
	struct mrec *m = &model[p][off];

	memset(m, 0, sizeof(*m));
	m->used = true;
	m->reason = reason;
	m->has_schema_id = has;
	m->schema_id = id;
	snprintf(m->detail, sizeof(m->detail), "%s", detail);
	xt_q(logs[p], off, 1700000000000 + off, reason, has, id, detail);
}

static void amount_str(const struct mrec *m, char *buf, size_t size)
{
	int64_t c;

	if (m->ev.no_total)
		snprintf(buf, size, "0");
	else if (__builtin_mul_overflow(m->ev.units, (int64_t)100, &c) ||
		 __builtin_add_overflow(c, (int64_t)(m->ev.nanos / 10000000),
					&c))
		snprintf(buf, size, "NULL");
	else
		snprintf(buf, size, "%lld", (long long)c);
}

static int64_t items(const struct mrec *m)
{
	int64_t n = 0;
	int i;

	for (i = 0; i < m->ev.nitems; i++)
		n += m->ev.qty[i];
	return n;
}

static void event_row(int p, int off, char *buf, size_t size)
{
	const struct mrec *m = &model[p][off];
	char amount[32], ts[32];

	amount_str(m, amount, sizeof(amount));
	if (m->ts < 0)
		snprintf(ts, sizeof(ts), "NULL");
	else
		snprintf(ts, sizeof(ts), "%lld", (long long)m->ts);
	snprintf(buf, size, "orders|%d|%d|%s|%s|%s|%s|%s|%lld|%s|%lld|%u|%s", p,
		 off, m->order_id, m->customer_id, types[m->ev.type], amount,
		 m->currency, (long long)items(m), m->channel,
		 (long long)m->ev.time, m->schema_id, ts);
}

/* The model's greatest event of @order_id: 1 and its coordinates. */
static int best(const char *order_id, int *bp, int *bo)
{
	int p, off, found = 0;

	for (p = 0; p < NPART; p++)
		for (off = 0; off < NOFF; off++) {
			const struct mrec *m = &model[p][off];
			const struct mrec *b;

			if (!m->used || !m->ok ||
			    strcmp(m->order_id, order_id) != 0)
				continue;
			b = found ? &model[*bp][*bo] : NULL;
			if (!b || m->ev.time > b->ev.time ||
			    (m->ev.time == b->ev.time &&
			     (p > *bp || (p == *bp && off > *bo)))) {
				*bp = p;
				*bo = off;
				found = 1;
			}
		}
	return found;
}

/* The database holds exactly the model's rows. */
static void check_model(const char *dbpath)
{
	sqlite3 *db = xt_db(dbpath);
	int p, off, nok = 0, nq = 0, norders = 0;
	char want[512], got[512];

	for (p = 0; p < NPART; p++)
		for (off = 0; off < NOFF; off++) {
			const struct mrec *m = &model[p][off];

			if (!m->used) {
				CHECK_EQ(
					xt_int(db,
					       "SELECT count(*) FROM "
					       "order_events "
					       "WHERE kafka_partition = %d AND "
					       "kafka_offset = %d",
					       p, off) +
						xt_int(db,
						       "SELECT count(*) FROM "
						       "rawzone_quarantine "
						       "WHERE "
						       "kafka_partition = %d "
						       "AND "
						       "kafka_offset = %d",
						       p, off),
					0);
				continue;
			}
			if (m->ok) {
				nok++;
				event_row(p, off, want, sizeof(want));
				xt_row(db, got, sizeof(got),
				       "SELECT * FROM order_events WHERE "
				       "topic = 'orders' AND kafka_partition = "
				       "%d "
				       "AND kafka_offset = %d",
				       p, off);
			} else {
				nq++;
				if (m->has_schema_id)
					snprintf(want, sizeof(want),
						 "orders|%d|%d|%s|%u|%s", p,
						 off,
						 log_dec_reason_name(m->reason),
						 m->schema_id, m->detail);
				else
					snprintf(want, sizeof(want),
						 "orders|%d|%d|%s|NULL|%s", p,
						 off,
						 log_dec_reason_name(m->reason),
						 m->detail);
				xt_row(db, got, sizeof(got),
				       "SELECT * FROM rawzone_quarantine WHERE "
				       "topic = 'orders' AND kafka_partition = "
				       "%d "
				       "AND kafka_offset = %d",
				       p, off);
			}
			if (strcmp(want, got) != 0) {
				fprintf(stderr,
					"p%d off%d:\n want %s\n  got %s\n", p,
					off, want, got);
				exit(1);
			}
		}
	CHECK_EQ(xt_int(db, "SELECT count(*) FROM order_events"), nok);
	CHECK_EQ(xt_int(db, "SELECT count(*) FROM rawzone_quarantine"), nq);

	/* orders: one row per order with events, from its greatest. */
	for (p = 0; p < NPART; p++)
		for (off = 0; off < NOFF; off++) {
			const struct mrec *m = &model[p][off];
			int bp = 0, bo = 0, q, o2;
			bool first = true;
			char amount[32];

			if (!m->used || !m->ok)
				continue;
			/* count each order once: at its first event */
			for (q = 0; q < NPART; q++)
				for (o2 = 0; o2 < NOFF; o2++)
					if (q * NOFF + o2 < p * NOFF + off &&
					    model[q][o2].used &&
					    model[q][o2].ok &&
					    strcmp(model[q][o2].order_id,
						   m->order_id) == 0)
						first = false;
			if (!first)
				continue;
			norders++;
			CHECK(best(m->order_id, &bp, &bo));
			{
				const struct mrec *b = &model[bp][bo];

				amount_str(b, amount, sizeof(amount));
				snprintf(
					want, sizeof(want),
					"%s|%s|%s|%s|%s|%lld|%lld|orders|%d|%d",
					b->order_id, b->customer_id,
					types[b->ev.type], amount, b->currency,
					(long long)items(b),
					(long long)b->ev.time, bp, bo);
			}
			xt_row(db, got, sizeof(got),
			       "SELECT * FROM orders WHERE order_id = '%s'",
			       m->order_id);
			if (strcmp(want, got) != 0) {
				fprintf(stderr,
					"order %s:\n want %s\n  got %s\n",
					m->order_id, want, got);
				exit(1);
			}
		}
	CHECK_EQ(xt_int(db, "SELECT count(*) FROM orders"), norders);
	xt_invariant(db);
	sqlite3_close(db);
}

/* A few rows written out, independent of the model. */
static void check_literal(const char *dbpath, int phase)
{
	sqlite3 *db = xt_db(dbpath);
	char got[512];

#define ROW(want, ...)                                                         \
	do {                                                                   \
		xt_row(db, got, sizeof(got), __VA_ARGS__);                     \
		if (strcmp(got, want) != 0) {                                  \
			fprintf(stderr, "%s:%d:\n want %s\n  got %s\n",        \
				__FILE__, __LINE__, want, got);                \
			exit(1);                                               \
		}                                                              \
	} while (0)

	ROW("orders|0|0|A|cust-1|CREATED|1234|EUR|3|web|1000|3|1700000000000",
	    "SELECT * FROM order_events WHERE kafka_partition = 0 AND "
	    "kafka_offset = 0");
	ROW("orders|1|5|F|cust-6|CREATED|0||0||100|3|NULL",
	    "SELECT * FROM order_events WHERE kafka_partition = 1 AND "
	    "kafka_offset = 5");
	ROW("orders|0|5|unknown_schema|99|schema id 99 is not registered",
	    "SELECT * FROM rawzone_quarantine WHERE kafka_partition = 0 AND "
	    "kafka_offset = 5");
	ROW("B|cust-2|PAID|700|USD|0|1000|orders|1|1",
	    "SELECT * FROM orders WHERE order_id = 'B'");
	ROW("E|cust-5|CREATED|NULL|GBP|0|7000|orders|1|4",
	    "SELECT * FROM orders WHERE order_id = 'E'");
	ROW("null|integer|integer",
	    "SELECT typeof(amount_cents), typeof(event_time_ms), "
	    "typeof(kafka_timestamp_ms) FROM order_events "
	    "WHERE order_id = 'E'");
	if (phase == 1) {
		/* ties on event_time_ms: the greater partition wins (A),
		 * then the greater offset (F) */
		ROW("A|cust-1|SHIPPED|1234|EUR|3|2000|orders|1|0",
		    "SELECT * FROM orders WHERE order_id = 'A'");
		ROW("F|cust-6|CANCELLED|0||0|100|orders|1|6",
		    "SELECT * FROM orders WHERE order_id = 'F'");
		ROW("C|cust-3|CREATED|1500|EUR|0|5000|orders|0|4",
		    "SELECT * FROM orders WHERE order_id = 'C'");
		ROW("D|cust-4|CREATED|-350|JPY|0|500|orders|0|6",
		    "SELECT * FROM orders WHERE order_id = 'D'");
		ROW("orders|0|2|bad_framing|NULL|not framed",
		    "SELECT * FROM rawzone_quarantine WHERE kafka_partition = "
		    "0 AND kafka_offset = 2");
	} else {
		/* A's source was quarantined: derived again from the rest */
		ROW("A|cust-1|PAID|1234|EUR|3|2000|orders|0|3",
		    "SELECT * FROM orders WHERE order_id = 'A'");
		ROW("(no row)", "SELECT * FROM order_events WHERE "
				"kafka_partition = 1 AND kafka_offset = 0");
		/* F's source moved back in time */
		ROW("F|cust-6|CREATED|0||0|100|orders|1|5",
		    "SELECT * FROM orders WHERE order_id = 'F'");
		/* same coordinates, new amount */
		ROW("C|cust-3|CREATED|9900|EUR|0|5000|orders|0|4",
		    "SELECT * FROM orders WHERE order_id = 'C'");
		/* D's only event quarantined: no row */
		ROW("(no row)", "SELECT * FROM orders WHERE order_id = 'D'");
		ROW("H|cust-3|PAID|1500|EUR|0|4000|orders|1|2",
		    "SELECT * FROM orders WHERE order_id = 'H'");
		ROW("(no row)", "SELECT * FROM rawzone_quarantine WHERE "
				"kafka_partition = 0 AND kafka_offset = 2");
		ROW("G|cust-7|CREATED|100|EUR|0|3000|orders|0|2",
		    "SELECT * FROM orders WHERE order_id = 'G'");
		ROW("orders|0|7|invalid|3|replayed twice",
		    "SELECT * FROM rawzone_quarantine WHERE kafka_partition = "
		    "0 AND kafka_offset = 7");
	}
#undef ROW
	sqlite3_close(db);
}

static void phase1(void)
{
	struct xt_ev a0 = {"A", "cust-1",  1,	  1000, false, "EUR",
			   12,	340000000, "web", 2,	{1, 2}};
	struct xt_ev b0 = {"B", "cust-2", 1,	1000, true, NULL,
			   0,	0,	  NULL, 0,    {0}};
	struct xt_ev a1 = {"A", "cust-1",  2,	  2000, false, "EUR",
			   12,	340000000, "web", 2,	{1, 2}};
	struct xt_ev c0 = {"C", "cust-3", 1,	 5000, false, "EUR",
			   15,	0,	  "app", 0,    {0}};
	struct xt_ev d0 = {"D", "cust-4",   1,	     500, false, "JPY",
			   -3,	-500000000, "store", 0,	  {0}};
	struct xt_ev a2 = {"A", "cust-1",  3,	  2000, false, "EUR",
			   12,	340000000, "web", 2,	{1, 2}};
	struct xt_ev b1 = {"B", "cust-2", 2,	 1000, false, "USD",
			   7,	0,	  "web", 0,    {0}};
	struct xt_ev c1 = {"C", "cust-3", 2,	 4000, false, "EUR",
			   15,	0,	  "app", 0,    {0}};
	struct xt_ev e0 = {"E",	      "cust-5", 1,  7000, false, "GBP",
			   INT64_MAX, 0,	"", 0,	  {0}};
	struct xt_ev f0 = {"F", "cust-6", 1,	100, true, NULL,
			   0,	0,	  NULL, 0,   {0}};
	struct xt_ev f1 = {"F", "cust-6", 4,	100, true, NULL,
			   0,	0,	  NULL, 0,   {0}};

	ok(0, 0, 1700000000000, &a0);
	ok(0, 1, 1700000000001, &b0);
	quar(0, 2, LOG_DEC_BAD_FRAMING, false, 0, "not framed");
	ok(0, 3, 1700000000003, &a1);
	ok(0, 4, 1700000000004, &c0);
	quar(0, 5, LOG_DEC_UNKNOWN_SCHEMA, true, 99,
	     "schema id 99 is not registered");
	ok(0, 6, 1700000000006, &d0);
	ok(1, 0, 1700000000010, &a2);
	ok(1, 1, 1700000000011, &b1);
	ok(1, 2, 1700000000012, &c1);
	quar(1, 3, LOG_DEC_INVALID, true, 3, "order_id: empty");
	ok(1, 4, 1700000000014, &e0);
	ok(1, 5, -1, &f0);
	ok(1, 6, 1700000000016, &f1);
	xt_frontier(data_dir, logs[0], 0);
	xt_frontier(data_dir, logs[1], 1);
}

/* A replay: re-decoded outcomes of coordinates applied before. */
static void phase2(void)
{
	struct xt_ev g0 = {"G", "cust-7", 1,	 3000, false, "EUR",
			   1,	0,	  "web", 0,    {0}};
	struct xt_ev c0 = {"C", "cust-3", 1,	 5000, false, "EUR",
			   99,	0,	  "app", 0,    {0}};
	struct xt_ev h1 = {"H", "cust-3", 2,	 4000, false, "EUR",
			   15,	0,	  "app", 0,    {0}};
	struct xt_ev f1 = {"F", "cust-6", 4,	50, true, NULL,
			   0,	0,	  NULL, 0,  {0}};
	struct xt_ev b0 = {"B", "cust-2", 1,	1000, false, "USD",
			   5,	0,	  NULL, 0,    {0}};
	struct xt_ev n7 = {"N", "cust-8", 1,	9000, false, "EUR",
			   1,	0,	  NULL, 0,    {0}};

	ok(0, 2, 1700000000002, &g0); /* was quarantined */
	quar(1, 0, LOG_DEC_MALFORMED, true, 3, "items: truncated");
	ok(0, 4, 1700000000004, &c0); /* same key, new amount */
	ok(1, 2, 1700000000012, &h1); /* now another order */
	ok(1, 6, 1700000000016, &f1); /* moved back in time */
	quar(0, 6, LOG_DEC_INVALID, true, 3, "type: unspecified");
	/* the same coordinates twice in one batch: the last wins */
	quar(0, 1, LOG_DEC_INVALID, true, 3, "first decode");
	ok(0, 1, 1700000000001, &b0);
	ok(0, 7, 1700000000007, &n7);
	quar(0, 7, LOG_DEC_INVALID, true, 3, "replayed twice");
	xt_frontier(data_dir, logs[0], 0);
	xt_frontier(data_dir, logs[1], 1);
}

static char *run_fresh(const char *name, const char *batch)
{
	char conf[PATH_MAX], db[PATH_MAX], kv[64];
	char *ov[1] = {kv};

	TEST_FMT(conf, "%s/%s.conf", data_dir, name);
	TEST_FMT(db, "%s/%s.db", data_dir, name);
	snprintf(kv, sizeof(kv), "transform.batch_records=%s", batch);
	xt_conf(conf, data_dir, db, NULL);
	CHECK_OK(xt_run(conf, ov, 1));
	check_model(db);
	return xt_dump(db);
}

static void check_refusals(void)
{
	char conf[PATH_MAX], db[PATH_MAX], log[PATH_MAX];
	const char *json[] = {"transform.topics.payments=json", NULL};
	const char *bad[] = {"transform.topics.orders=nosuch", NULL};
	sqlite3 *h;

	/* a newer schema version */
	TEST_FMT(conf, "%s/ver.conf", data_dir);
	TEST_FMT(db, "%s/ver.db", data_dir);
	xt_conf(conf, data_dir, db, NULL);
	CHECK_OK(xt_run(conf, NULL, 0));
	h = xt_db(db);
	xt_exec(h, "UPDATE rawzone_schema SET version = 99 "
		   "WHERE component = 'orders'");
	sqlite3_close(h);
	CHECK_EQ(xt_run(conf, NULL, 0), -ERR_FORMAT);

	/* a table of the same name, not made by transform */
	TEST_FMT(conf, "%s/foreign.conf", data_dir);
	TEST_FMT(db, "%s/foreign.db", data_dir);
	xt_conf(conf, data_dir, db, NULL);
	h = NULL;
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	xt_exec(h, "CREATE TABLE orders (id INTEGER)");
	sqlite3_close(h);
	CHECK_EQ(xt_run(conf, NULL, 0), -ERR_FORMAT);

	/* a table dropped from a database that says it has it */
	TEST_FMT(conf, "%s/ver.conf", data_dir);
	TEST_FMT(db, "%s/ver.db", data_dir);
	h = xt_db(db);
	xt_exec(h, "UPDATE rawzone_schema SET version = 1 "
		   "WHERE component = 'orders'; DROP TABLE orders");
	sqlite3_close(h);
	CHECK_EQ(xt_run(conf, NULL, 0), -ERR_FORMAT);

	/* a topic mapped to the json transform runs beside orders */
	TEST_FMT(conf, "%s/json.conf", data_dir);
	TEST_FMT(db, "%s/json.db", data_dir);
	xt_conf(conf, data_dir, db, json);
	CHECK_EQ(xt_run(conf, NULL, 0), 0);

	/* a transform that is not built is refused by the configuration */
	TEST_FMT(conf, "%s/nosuch.conf", data_dir);
	TEST_FMT(db, "%s/nosuch.db", data_dir);
	xt_conf(conf, data_dir, db, bad);
	{
		struct cfg *cfg = NULL;

		CHECK_EQ(cfg_load(conf, NULL, 0, &cfg), -ERR_CONFIG);
		cfg_free(cfg);
	}
	/* and rawzone-transform, from its start, exits 2 (a configuration
	 * error) before it opens anything */
	TEST_FMT(log, "%s/nosuch.log", data_dir);
	CHECK_EQ(xt_wait(xt_spawn(conf, "--once", NULL, log)), 2);
	CHECK(access(db, F_OK) != 0); /* refused before opening anything */
}

/* Generated data with a replay, through the multi-row statements (full
 * chunks) and through one statement per row (batches of 1 and 7): the
 * same database, which keeps the invariants. */
static void check_generated(void)
{
	struct xt_gen g = {
		.nparts = 3,
		.n = 2000,
		.norders = 150,
		.window = 30,
		.qfrac = 0.1,
		.replay = true,
		.seed = 7,
	};
	static const char *const batches[] = {"100000", "1", "7"};
	char dir[PATH_MAX], conf[PATH_MAX], db[PATH_MAX], kv[64], *first = NULL;
	char *ov[1] = {kv};
	struct log_dir *d[3];
	sqlite3 *h0;
	size_t i;
	int p;

	TEST_FMT(dir, "%s/gen", data_dir);
	for (p = 0; p < 3; p++)
		d[p] = xt_part_open(dir, p, 64 << 10);
	xt_generate(dir, d, &g);
	for (i = 0; i < 3; i++) {
		sqlite3 *h;
		char *dump;

		TEST_FMT(conf, "%s/gen-%zu.conf", dir, i);
		TEST_FMT(db, "%s/gen-%zu.db", dir, i);
		TEST_FMT(kv, "transform.batch_records=%s", batches[i]);
		xt_conf(conf, dir, db, NULL);
		CHECK_OK(xt_run(conf, ov, 1));
		h = xt_db(db);
		xt_invariant(h);
		CHECK(xt_int(h, "SELECT count(*) FROM order_events") > 1000);
		CHECK(xt_int(h, "SELECT count(*) FROM rawzone_quarantine") >
		      100);
		sqlite3_close(h);
		dump = xt_dump(db);
		if (first) {
			CHECK(test_same(first, dump));
			free(dump);
		} else {
			first = dump;
		}
	}
	/* The checkpoint reset over a database that holds the rows (full
	 * multi-row statements meet rows that exist): applied again, the
	 * same database. */
	h0 = xt_db(db);
	xt_exec(h0, "DELETE FROM rawzone_transform_checkpoint");
	sqlite3_close(h0);
	CHECK_OK(xt_run(conf, NULL, 0));
	{
		char *dump = xt_dump(db);

		CHECK(test_same(first, dump));
		free(dump);
	}
	free(first);
	for (p = 0; p < 3; p++)
		log_dir_close(d[p]);
}

static void check_urls(void)
{
	char buf[256];

	CHECK_OK(xf_sink_url(buf, sizeof(buf), "", "/d"));
	CHECK(strcmp(buf, "sqlite:/d/rawzone.db") == 0);
	CHECK_OK(xf_sink_url(buf, sizeof(buf), "sqlite:x.db", "/d"));
	CHECK(strcmp(buf, "sqlite:x.db") == 0);
	CHECK_OK(xf_sink_url(buf, sizeof(buf), "postgresql://h/db", "/d"));
	CHECK(strcmp(buf, "postgresql://h/db") == 0);
	CHECK_EQ(xf_sink_url(buf, 8, "", "/a/long/dir"), -ENAMETOOLONG);
}

static void check_amounts(void)
{
	int64_t c = 0;

	CHECK(xf_orders_amount(12, 340000000, &c) && c == 1234);
	CHECK(xf_orders_amount(-3, -500000000, &c) && c == -350);
	CHECK(xf_orders_amount(0, 9999999, &c) && c == 0);
	CHECK(xf_orders_amount(0, -999999999, &c) && c == -99);
	CHECK(xf_orders_amount(INT64_MAX / 100, 70000000, &c) &&
	      c == INT64_MAX / 100 * 100 + 7);
	CHECK(!xf_orders_amount(INT64_MAX / 100, 80000000, &c));
	CHECK(!xf_orders_amount(INT64_MIN, 0, &c));
}

int main(void)
{
	char conf[PATH_MAX], db[PATH_MAX], *d1, *d2, *d3, *again;
	struct stat sb;
	sqlite3 *h;
	int p;

	snprintf(data_dir, sizeof(data_dir), "%s", test_tmpdir("xf-orders"));
	check_amounts();
	check_urls();
	for (p = 0; p < NPART; p++)
		logs[p] = xt_part_open(data_dir, p, 1024);
	TEST_FMT(conf, "%s/rawzone.conf", data_dir);
	TEST_FMT(db, "%s/main.db", data_dir);
	xt_conf(conf, data_dir, db, NULL);

	phase1();
	CHECK_OK(xt_run(conf, NULL, 0));
	CHECK(stat(db, &sb) == 0 &&
	      (sb.st_mode & ACCESSPERMS) == (S_IRUSR | S_IWUSR));
	check_model(db);
	check_literal(db, 1);
	/* nothing new: a second run changes nothing */
	d1 = xt_dump(db);
	CHECK_OK(xt_run(conf, NULL, 0));
	d2 = xt_dump(db);
	CHECK(test_same(d1, d2));
	free(d1);
	free(d2);

	phase2();
	CHECK_OK(xt_run(conf, NULL, 0));
	check_model(db);
	check_literal(db, 2);
	d1 = xt_dump(db);

	/* the same log applied again from the start: the same database */
	h = xt_db(db);
	xt_exec(h, "DELETE FROM rawzone_transform_checkpoint");
	sqlite3_close(h);
	CHECK_OK(xt_run(conf, NULL, 0));
	again = xt_dump(db);
	CHECK(test_same(d1, again));
	free(again);

	/* rebuilt into fresh databases with any batch size: the same */
	d2 = run_fresh("b1", "1");
	CHECK(test_same(d1, d2));
	d3 = run_fresh("b3", "3");
	CHECK(test_same(d1, d3));
	free(d2);
	free(d3);
	d2 = run_fresh("ball", "100000");
	CHECK(test_same(d1, d2));
	free(d2);
	free(d1);

	check_refusals();
	check_generated();
	for (p = 0; p < NPART; p++)
		log_dir_close(logs[p]);
	printf("orders transform: rows, replays, re-application, refusals "
	       "ok\n");
	return 0;
}

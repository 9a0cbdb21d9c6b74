/* bench/bench_standalone_transform.c - rawzone-transform's core into SQLite, against
 * a bare prepared INSERT of the same rows into the same table, in one run.
 *
 * Builds decoded logs of N outcomes (default 2,000,000) over P partitions
 * (8): orders.v3 events of O orders (100,000), each order's events spread
 * over a window of W orders in flight (default 2,000: an order's events
 * are near each other in time, as in life; -w 0 = O: uniformly random, the
 * worst case for the orders upserts), a fraction Q quarantined (1%); and a
 * decode.ckpt covering them. Then, each into a fresh database in the same
 * directory (-d, default $TMPDIR or /tmp):
 *   transform  xf_new + xf_run(once): what rawzone-transform does - read
 *              and verify the logs, unpack, order_events inserts, orders
 *              coalesced and upserted, quarantine rows, checkpoint - one
 *              transaction per [transform] batch_records (-b, 50,000);
 *   bare       the order_events rows of the same outcomes, unpacked
 *              beforehand (not timed), with one prepared single-row
 *              INSERT - the same DDL, page size and pragmas (WAL,
 *              synchronous=NORMAL) as transform's, one transaction per
 *              50,000 rows: what SQLite itself costs per row;
 *   bare x64   the same with a 64-row INSERT, as transform issues them.
 * With -L, instead: the table layouts and statement shapes that decided
 * transform's (an index on order_id, rowid or not, page size, rows per
 * INSERT), each a bare insert of the same rows.
 *
 * Prints a markdown table and one line
 *   bench_transform: outcomes=N transform_s=.. transform_eps=..
 *                    bare_s=.. bare_eps=.. ratio=..
 *
 *   bench_standalone_transform [-n N] [-p P] [-o O] [-w W] [-q Q]
 *                              [-b BATCH] [-d DIR] [-L]
 */
#include "common/config.h"
#include "common/diag.h"
#include "common/err.h"
#include "log/checkpoint.h"
#include "log/decoded.h"
#include "log/dir.h"
#include "log/layout.h"
#include "log/reader.h"
#include "shm/ring.h"
#include "transform/transform.h"

#include "proto/orders/v3/order_event.pb-c.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MSG "orders.v3.OrderEvent"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void die(const char *what, int ret)
{
	fprintf(stderr, "bench_transform: %s: %s\n", what, err_str(ret));
	exit(1);
}

/* The decoded logs: N outcomes, appended 1,000 frames at a time. */
static void build(const char *data_dir, uint64_t n, int nparts,
		  uint32_t norders, uint32_t window, double qfrac)
{
	static const char *const cur[] = {"EUR", "USD", "GBP", "JPY"};
	static const char *const chan[] = {"web", "app", "store", ""};
	struct log_dir **d = calloc((size_t)nparts, sizeof(*d));
	struct log_rec *recs = calloc((size_t)nparts * 1000, sizeof(*recs));
	size_t *nrec = calloc((size_t)nparts, sizeof(*nrec));
	unsigned char *vals = malloc((size_t)nparts * 1000 * 512);
	int64_t *next = calloc((size_t)nparts, sizeof(*next));
	uint64_t rs = 0x9e3779b97f4a7c15ull, i, per = n / norders;
	struct log_ck ck = {0};
	char path[PATH_MAX];
	int p, ret;

	if (!d || !recs || !nrec || !vals || !next)
		die("memory", -ENOMEM);
	if (per == 0)
		per = 1;
	for (p = 0; p < nparts; p++) {
		struct log_dir_opts o = {
			.zone = LOG_ZONE_DECODED,
			.partition = p,
			.segment_bytes = 256u << 20,
			.max_record = 1u << 20,
		};
		struct log_recovery r;

		layout_part_dir(path, sizeof(path), data_dir, LAYOUT_DECODED,
				"orders", p);
		if ((ret = log_dir_open(path, &o, &d[p])) < 0 ||
		    (ret = log_dir_recover(d[p], NULL, &r)) < 0)
			die(path, ret);
	}
	for (i = 0; i < n; i++) {
		Orders__V3__OrderEvent m = ORDERS__V3__ORDER_EVENT__INIT;
		Orders__V3__OrderEvent__Money t =
			ORDERS__V3__ORDER_EVENT__MONEY__INIT;
		Orders__V3__OrderEvent__LineItem it[3], *pit[3];
		uint8_t body[400];
		char oid[24], cid[24];
		uint32_t ord;
		struct log_rec *rec;
		unsigned char *val;
		size_t blen, vlen;
		int k;

		p = (int)(rnd(&rs) % (uint64_t)nparts);
		rec = &recs[(size_t)p * 1000 + nrec[p]];
		val = vals + ((size_t)p * 1000 + nrec[p]) * 512;
		memset(rec, 0, sizeof(*rec));
		rec->offset = next[p]++;
		rec->timestamp = 1700000000000 + (int64_t)i;
		rec->ts_type = 1;
		if ((double)(rnd(&rs) % 1000000) / 1e6 < qfrac) {
			struct log_dec_quarantine q = {
				.schema_id = 99,
				.has_schema_id = true,
				.reason = LOG_DEC_UNKNOWN_SCHEMA,
				.detail = "schema id 99 is not registered",
				.detail_len = 30,
			};

			vlen = log_dec_q_size(q.detail_len, 0);
			log_dec_q_put(val, &q, false);
			rec->type = LOG_DEC_QUARANTINED;
		} else {
			ord = (uint32_t)((i / per + rnd(&rs) % window) %
					 norders);
			snprintf(oid, sizeof(oid), "ord-%08u", ord);
			snprintf(cid, sizeof(cid), "cust-%06u", ord % 50000);
			m.order_id = oid;
			m.customer_id = cid;
			m.type = (Orders__V3__OrderEvent__Type)(1 +
								rnd(&rs) % 4);
			m.event_time_ms = 1700000000000 + (int64_t)i * 2;
			t.currency_code = (char *)cur[ord % 4];
			t.units = (int64_t)(rnd(&rs) % 100000);
			t.nanos = (int32_t)(rnd(&rs) % 100) * 10000000;
			m.total = &t;
			m.channel = (char *)chan[ord % 4];
			m.n_items = (size_t)(rnd(&rs) % 4);
			for (k = 0; k < (int)m.n_items; k++) {
				orders__v3__order_event__line_item__init(
					&it[k]);
				it[k].sku = (char *)"SKU-00042";
				it[k].quantity = 1 + (int32_t)(rnd(&rs) % 5);
				it[k].unit_price_cents = 1999;
				pit[k] = &it[k];
			}
			m.items = m.n_items ? pit : NULL;
			blen = orders__v3__order_event__pack(&m, body);
			vlen = log_dec_ok_size(sizeof(MSG) - 1, blen);
			log_dec_ok_put(val, 3, MSG, sizeof(MSG) - 1, body,
				       blen);
			rec->type = LOG_DEC_OK;
		}
		rec->value = val;
		rec->value_len = (uint32_t)vlen;
		if (++nrec[p] == 1000) {
			if ((ret = log_dir_append(d[p], &recs[(size_t)p * 1000],
						  nrec[p], NULL)) < 0)
				die("append", ret);
			nrec[p] = 0;
		}
	}
	snprintf(path, sizeof(path), "%s/%s", data_dir, LAYOUT_DECODE_CKPT);
	for (p = 0; p < nparts; p++) {
		struct log_ck_entry *e;
		struct log_pos end;

		if (nrec[p] &&
		    (ret = log_dir_append(d[p], &recs[(size_t)p * 1000],
					  nrec[p], NULL)) < 0)
			die("append", ret);
		if ((ret = log_dir_sync(d[p])) < 0)
			die("sync", ret);
		end = log_dir_end(d[p]);
		e = log_ck_put(&ck, "orders", p);
		e->v[DEC_CK_OUT_SEG] = end.seg;
		e->v[DEC_CK_OUT_POS] = end.pos;
		e->v[DEC_CK_OUTCOMES] = (uint64_t)next[p];
		log_dir_close(d[p]);
	}
	if ((ret = log_ck_save(path, &ck)) < 0)
		die(path, ret);
	log_ck_free(&ck);
	free(d);
	free(recs);
	free(nrec);
	free(vals);
	free(next);
}

/* One order_events row, unpacked beforehand for the bare insert. */
struct row {
	int32_t partition;
	int64_t offset, amount, items, time, ts;
	int type;
	char *order_id, *customer, *currency, *channel;
};

static const char *const types[] = {"", "CREATED", "PAID", "SHIPPED",
				    "CANCELLED"};

static struct row *read_rows(const char *data_dir, int nparts, size_t *nrows)
{
	size_t n = 0, cap = 1 << 20;
	struct row *rows = malloc(cap * sizeof(*rows));
	char dir[PATH_MAX];
	int p, ret;

	for (p = 0; p < nparts; p++) {
		struct log_rd *rd;
		struct log_rec rec;
		struct log_pos at;

		layout_part_dir(dir, sizeof(dir), data_dir, LAYOUT_DECODED,
				"orders", p);
		if ((ret = log_rd_open(dir, LOG_ZONE_DECODED, 1u << 20, &rd)) <
		    0)
			die(dir, ret);
		while ((ret = log_rd_next(rd, LOG_POS_END, &rec, &at)) == 1) {
			struct log_dec_ok ok;
			Orders__V3__OrderEvent *m;
			struct row *r;
			size_t k;

			if (rec.type != LOG_DEC_OK)
				continue;
			log_dec_ok_parse(rec.value, rec.value_len, &ok);
			m = orders__v3__order_event__unpack(NULL, ok.body_len,
							    ok.body);
			if (n == cap)
				rows = realloc(rows,
					       (cap *= 2) * sizeof(*rows));
			r = &rows[n++];
			r->partition = p;
			r->offset = rec.offset;
			r->ts = rec.timestamp;
			r->type = (int)m->type;
			r->order_id = strdup(m->order_id);
			r->customer = strdup(m->customer_id);
			r->currency = strdup(m->total->currency_code);
			r->channel = strdup(m->channel);
			r->amount = m->total->units * 100 +
				    m->total->nanos / 10000000;
			r->items = 0;
			for (k = 0; k < m->n_items; k++)
				r->items += m->items[k]->quantity;
			r->time = m->event_time_ms;
			orders__v3__order_event__free_unpacked(m, NULL);
		}
		if (ret < 0)
			die(dir, ret);
		log_rd_close(rd);
	}
	*nrows = n;
	return rows;
}

static void free_rows(struct row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].order_id);
		free(rows[i].customer);
		free(rows[i].currency);
		free(rows[i].channel);
	}
	free(rows);
}

static void sq(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "bench_transform: %s: %s\n", sql, msg);
		exit(1);
	}
}

#define COLS                                                                   \
	"topic TEXT NOT NULL, kafka_partition INTEGER NOT NULL, "              \
	"kafka_offset INTEGER NOT NULL, order_id TEXT NOT NULL, "              \
	"customer_id TEXT NOT NULL, event_type TEXT NOT NULL, "                \
	"amount_cents INTEGER, currency TEXT NOT NULL, item_count "            \
	"INTEGER NOT NULL, channel TEXT NOT NULL, event_time_ms INTEGER "      \
	"NOT NULL, schema_id INTEGER NOT NULL, kafka_timestamp_ms INTEGER"
/* transform/orders.c's order_events, and variants */
#define DDL_XF                                                                 \
	"CREATE TABLE order_events (" COLS ", PRIMARY KEY (topic, "            \
	"kafka_partition, kafka_offset)) WITHOUT ROWID"
#define DDL_ROWID                                                              \
	"CREATE TABLE order_events (" COLS ", PRIMARY KEY (topic, "            \
	"kafka_partition, kafka_offset))"
#define DDL_INDEX                                                              \
	DDL_XF "; CREATE INDEX order_events_by_order ON order_events "         \
	       "(order_id)"
/* transform/sqlite.c's pragmas */
#define PRAGMAS                                                                \
	"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "                 \
	"PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768"

/* Insert @rows into a fresh database @path made with @pragmas (after
 * page_size=@page) and @ddl, @multi rows per INSERT, one transaction per
 * @batch rows. Returns the seconds the inserts took. */
static double bare(const char *path, const struct row *rows, size_t n,
		   size_t batch, int page, const char *ddl, int multi)
{
	char sql[16384], *p;
	sqlite3 *db;
	sqlite3_stmt *st;
	double t0;
	size_t i;
	int k, m;

	unlink(path);
	snprintf(sql, sizeof(sql), "%s-wal", path);
	unlink(sql);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(path, -EIO);
	snprintf(sql, sizeof(sql), "PRAGMA page_size=%d; " PRAGMAS, page);
	sq(db, sql);
	sq(db, ddl);
	p = sql + sprintf(sql, "INSERT INTO order_events VALUES ");
	for (k = 0; k < multi; k++)
		p += sprintf(p, "%s(?,?,?,?,?,?,?,?,?,?,?,?,?)", k ? "," : "");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(db), -EIO);
	t0 = now_s();
	sq(db, "BEGIN IMMEDIATE");
	for (i = 0; i + (size_t)multi <= n; i += (size_t)multi) {
		for (m = 0; m < multi; m++) {
			const struct row *r = &rows[i + (size_t)m];
			int b = m * 13;

			sqlite3_bind_text(st, b + 1, "orders", 6,
					  SQLITE_STATIC);
			sqlite3_bind_int64(st, b + 2, r->partition);
			sqlite3_bind_int64(st, b + 3, r->offset);
			sqlite3_bind_text(st, b + 4, r->order_id, -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(st, b + 5, r->customer, -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(st, b + 6, types[r->type], -1,
					  SQLITE_STATIC);
			sqlite3_bind_int64(st, b + 7, r->amount);
			sqlite3_bind_text(st, b + 8, r->currency, -1,
					  SQLITE_STATIC);
			sqlite3_bind_int64(st, b + 9, r->items);
			sqlite3_bind_text(st, b + 10, r->channel, -1,
					  SQLITE_STATIC);
			sqlite3_bind_int64(st, b + 11, r->time);
			sqlite3_bind_int64(st, b + 12, 3);
			sqlite3_bind_int64(st, b + 13, r->ts);
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			die(sqlite3_errmsg(db), -EIO);
		sqlite3_reset(st);
		if ((i + (size_t)multi) % batch < (size_t)multi) {
			sq(db, "COMMIT");
			sq(db, "BEGIN IMMEDIATE");
		}
	}
	sq(db, "COMMIT");
	t0 = now_s() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return t0;
}

static void layouts(const char *data_dir, int nparts, size_t batch)
{
	static const struct {
		const char *name;
		int page, multi;
		const char *ddl;
	} v[] = {
		{"transform's table, 1 row per INSERT, 4K pages", 4096, 1,
		 DDL_XF},
		{"+ index on order_id", 4096, 1, DDL_INDEX},
		{"rowid table + primary key index", 4096, 1, DDL_ROWID},
		{"transform's table, 16K pages", 16384, 1, DDL_XF},
		{"transform's table, 16K pages, 64 rows per INSERT", 16384, 64,
		 DDL_XF},
		{"+ index on order_id", 16384, 64, DDL_INDEX},
		{"transform's table, 64K pages, 64 rows per INSERT", 65536, 64,
		 DDL_XF},
	};
	char path[PATH_MAX];
	struct row *rows;
	size_t nrows, i;

	rows = read_rows(data_dir, nparts, &nrows);
	snprintf(path, sizeof(path), "%s/layout.db", data_dir);
	printf("| bare insert of %zu order_events rows | seconds | rows/s |\n"
	       "| --- | ---: | ---: |\n",
	       nrows);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		double t = bare(path, rows, nrows, batch, v[i].page, v[i].ddl,
				v[i].multi);

		printf("| %s | %.2f | %.0f |\n", v[i].name, t,
		       (double)nrows / t);
		fflush(stdout);
	}
	free_rows(rows, nrows);
}

int main(int argc, char **argv)
{
	uint64_t n = 2000000;
	int nparts = 8, opt, ret, layout = 0;
	uint32_t norders = 100000, window = 2000;
	double qfrac = 0.01, t0, c0, txs, txc, bs, bs64;
	long batch = 50000;
	const char *base = getenv("TMPDIR");
	char data_dir[1024], conf[PATH_MAX], db[PATH_MAX], cmd[PATH_MAX];
	struct cfg *cfg = NULL;
	struct xf *xf = NULL;
	struct xf_stats st;
	struct row *rows;
	size_t nrows;
	FILE *f;

	while ((opt = getopt(argc, argv, "n:p:o:w:q:b:d:L")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'p':
			nparts = atoi(optarg);
			break;
		case 'o':
			norders = (uint32_t)atol(optarg);
			break;
		case 'w':
			window = (uint32_t)atol(optarg);
			break;
		case 'q':
			qfrac = atof(optarg);
			break;
		case 'b':
			batch = atol(optarg);
			break;
		case 'd':
			base = optarg;
			break;
		case 'L':
			layout = 1;
			break;
		default:
			fprintf(stderr, "usage: bench_transform [-n N] [-p P] "
					"[-o O] [-w W] [-q Q] [-b BATCH] "
					"[-d DIR] [-L]\n");
			return 2;
		}
	}
	if (!window || window > norders)
		window = norders;
	if (n == 0 || nparts < 1 || norders == 0 || batch < 64)
		return 2;
	diag_init("bench_transform", DIAG_WARN);
	snprintf(data_dir, sizeof(data_dir), "%s/rawzone-bench-xf-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(data_dir))
		die("mkdtemp", -errno);
	fprintf(stderr, "building %" PRIu64 " outcomes in %s ...\n", n,
		data_dir);
	build(data_dir, n, nparts, norders, window, qfrac);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", data_dir);
	if (layout) {
		layouts(data_dir, nparts, (size_t)batch);
		return system(cmd) == 0 ? 0 : 1;
	}

	snprintf(conf, sizeof(conf), "%s/rawzone.conf", data_dir);
	f = fopen(conf, "w");
	if (!f)
		die(conf, -errno);
	fprintf(f,
		"[pipeline]\ninstance = bench%d\ndata_dir = %s\n"
		"[kafka]\nbootstrap.servers = 127.0.0.1:9\n[land]\ntopics = "
		"orders\n[transform]\nbatch_records = %ld\n",
		(int)getpid(), data_dir, batch);
	fclose(f);
	/* The logs are in the page cache, as they are in the pipeline, where
   * transform reads what decode has just written. */
	if ((ret = cfg_load(conf, NULL, 0, &cfg)) < 0)
		die(conf, ret);
	if ((ret = xf_new(cfg, &xf)) < 0)
		die("xf_new", ret);
	c0 = cpu_s();
	t0 = now_s();
	if ((ret = xf_run(xf, NULL, true)) < 0)
		die("xf_run", ret);
	txs = now_s() - t0;
	txc = cpu_s() - c0;
	xf_get_stats(xf, &st);
	xf_free(xf);
	cfg_free(cfg);
	/* transform made its ring (no decode here to make it): remove it */
	snprintf(db, sizeof(db), "/rawzone.bench%d.decode-transform",
		 (int)getpid());
	shm_ring_unlink(db);

	rows = read_rows(data_dir, nparts, &nrows);
	snprintf(db, sizeof(db), "%s/bare.db", data_dir);
	bs = bare(db, rows, nrows, (size_t)batch, 16384, DDL_XF, 1);
	bs64 = bare(db, rows, nrows, (size_t)batch, 16384, DDL_XF, 64);
	free_rows(rows, nrows);

	printf("| run | outcomes or rows | seconds | per second |\n"
	       "| --- | ---: | ---: | ---: |\n"
	       "| transform: %d partitions, %u orders, window %u, %.0f%% "
	       "quarantined, batch %ld | %" PRIu64 " | %.2f | %.0f (%.2f "
	       "CPU s) |\n"
	       "| bare INSERT, 1 row per statement | %zu | %.2f | %.0f |\n"
	       "| bare INSERT, 64 rows per statement | %zu | %.2f | %.0f |\n",
	       nparts, norders, window, qfrac * 100, batch, st.outcomes, txs,
	       (double)st.outcomes / txs, txc, nrows, bs, (double)nrows / bs,
	       nrows, bs64, (double)nrows / bs64);
	printf("bench_transform: outcomes=%" PRIu64 " transform_s=%.3f "
	       "transform_eps=%.0f bare_s=%.3f bare_eps=%.0f ratio=%.2f "
	       "bare64_eps=%.0f\n",
	       st.outcomes, txs, (double)st.outcomes / txs, bs,
	       (double)nrows / bs,
	       ((double)st.outcomes / txs) / ((double)nrows / bs),
	       (double)nrows / bs64);
	return system(cmd) == 0 ? 0 : 1;
}

/* tests/transform/xf_test.h - what the transform tests share: decoded logs
 * built by hand (LOG_DEC_OK records holding orders.v3 messages packed here,
 * LOG_DEC_QUARANTINED ones), decode.ckpt written by hand, config files, the
 * transform run in-process or as the binary, and the database read back
 * with SQLite directly - an outside view of what transform wrote.
 */
#ifndef RZ_TESTS_XF_TEST_H
#define RZ_TESTS_XF_TEST_H

#include "common/config.h"
#include "common/err.h"
#include "log/checkpoint.h"
#include "log/decoded.h"
#include "log/dir.h"
#include "log/layout.h"
#include "shm/ring.h"
#include "tests/check.h"
#include "transform/transform.h"

#include "proto/orders/v3/order_event.pb-c.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define XT_TOPIC "orders"

#define XT_MSG "orders.v3.OrderEvent"

/* An event to pack: the fields of orders.v3.OrderEvent. */
struct xt_ev {
	const char *order_id;
	const char *customer_id;
	int type; /* 1 CREATED .. 4 CANCELLED */
	int64_t time;
	bool no_total;
	const char *currency;
	int64_t units;
	int32_t nanos;
	const char *channel; /* NULL: absent */
	int nitems;
	int32_t qty[4];
};

/* xt_topic_open - the decoded log of (@topic, @partition) under
 * @data_dir, ready to append (recovered if it exists); xt_part_open for
 * XT_TOPIC. */
static inline struct log_dir *xt_topic_open(const char *data_dir,
					    const char *topic,
					    int32_t partition,
					    uint64_t segment_bytes)
{
	struct log_dir_opts o = {
		.zone = LOG_ZONE_DECODED,
		.partition = partition,
		.segment_bytes = segment_bytes,
		.index_interval = 0,
		.max_record = 1u << 20,
		.keyed = false,
	};
	struct log_recovery r;
	struct log_dir *d;
	char dir[PATH_MAX];

	CHECK_OK(layout_part_dir(dir, sizeof(dir), data_dir, LAYOUT_DECODED,
				 topic, partition));
	CHECK_OK(log_dir_open(dir, &o, &d));
	CHECK_OK(log_dir_recover(d, NULL, &r));
	return d;
}

static inline struct log_dir *xt_part_open(const char *data_dir,
					   int32_t partition,
					   uint64_t segment_bytes)
{
	return xt_topic_open(data_dir, XT_TOPIC, partition, segment_bytes);
}

/* xt_pack - @ev as packed orders.v3 bytes into @buf; returns the length. */
static inline size_t xt_pack(const struct xt_ev *ev, uint8_t *buf, size_t size)
{
	Orders__V3__OrderEvent m = ORDERS__V3__ORDER_EVENT__INIT;
	Orders__V3__OrderEvent__Money total =
		ORDERS__V3__ORDER_EVENT__MONEY__INIT;
	Orders__V3__OrderEvent__LineItem items[4], *pitems[4];
	int i;

	m.order_id = (char *)ev->order_id;
	m.customer_id = (char *)(ev->customer_id ? ev->customer_id : "");
	m.type = (Orders__V3__OrderEvent__Type)ev->type;
	m.event_time_ms = ev->time;
	if (ev->channel)
		m.channel = (char *)ev->channel;
	if (!ev->no_total) {
		total.currency_code =
			(char *)(ev->currency ? ev->currency : "");
		total.units = ev->units;
		total.nanos = ev->nanos;
		m.total = &total;
	}
	for (i = 0; i < ev->nitems && i < 4; i++) {
		orders__v3__order_event__line_item__init(&items[i]);
		items[i].sku = (char *)"SKU-1";
		items[i].quantity = ev->qty[i];
		items[i].unit_price_cents = 100;
		pitems[i] = &items[i];
	}
	m.n_items = (size_t)(ev->nitems < 4 ? ev->nitems : 4);
	m.items = m.n_items ? pitems : NULL;
	CHECK(orders__v3__order_event__get_packed_size(&m) <= size);
	return orders__v3__order_event__pack(&m, buf);
}

/* xt_put_key - append one decoded-log record with @value as its value and
 * @key of @klen bytes as its Kafka key (NULL: a null key); returns its
 * position. */
static inline struct log_pos xt_put_key(struct log_dir *d, int64_t offset,
					int64_t ts, uint8_t type,
					const void *value, size_t len,
					const void *key, size_t klen)
{
	struct log_pos at;
	struct log_rec rec = {0};

	rec.offset = offset;
	rec.timestamp = ts;
	rec.ts_type = ts < 0 ? 0 : 1;
	rec.type = type;
	rec.key = key;
	rec.key_len = key ? (uint32_t)klen : LOG_REC_NULL;
	rec.value = value;
	rec.value_len = (uint32_t)len;
	CHECK_OK(log_dir_append(d, &rec, 1, &at));
	return at;
}

/* xt_put - xt_put_key with the key "k<offset>". */
static inline struct log_pos xt_put(struct log_dir *d, int64_t offset,
				    int64_t ts, uint8_t type, const void *value,
				    size_t len)
{
	char key[32];

	snprintf(key, sizeof(key), "k%lld", (long long)offset);
	return xt_put_key(d, offset, ts, type, value, len, key, strlen(key));
}

/* xt_ok - append a LOG_DEC_OK outcome of @ev (schema @schema_id). */
static inline struct log_pos xt_ok(struct log_dir *d, int64_t offset,
				   int64_t ts, uint32_t schema_id,
				   const struct xt_ev *ev)
{
	uint8_t body[1024], val[1200];
	size_t blen = xt_pack(ev, body, sizeof(body));
	size_t vlen = log_dec_ok_size(sizeof(XT_MSG) - 1, blen);

	CHECK(vlen <= sizeof(val));
	log_dec_ok_put(val, schema_id, XT_MSG, sizeof(XT_MSG) - 1, body, blen);
	return xt_put(d, offset, ts, LOG_DEC_OK, val, vlen);
}

/* xt_q - append a LOG_DEC_QUARANTINED outcome. */
static inline struct log_pos xt_q(struct log_dir *d, int64_t offset, int64_t ts,
				  unsigned reason, bool has_schema_id,
				  uint32_t schema_id, const char *detail)
{
	struct log_dec_quarantine q = {
		.schema_id = schema_id,
		.has_schema_id = has_schema_id,
		.reason = (uint8_t)reason,
		.detail = detail,
		.detail_len = (uint16_t)strlen(detail),
	};
	uint8_t val[1024];
	size_t vlen = log_dec_q_size(q.detail_len, 0);

	CHECK(vlen <= sizeof(val));
	log_dec_q_put(val, &q, false);
	return xt_put(d, offset, ts, LOG_DEC_QUARANTINED, val, vlen);
}

/* xt_frontier - make @d durable and set decode.ckpt's decoded-log end of
 * (XT_TOPIC, @partition) to its end. */
static inline void xt_topic_frontier(const char *data_dir, const char *topic,
				     struct log_dir *d, int32_t partition)
{
	struct log_ck ck = {0};
	struct log_ck_entry *e;
	struct log_pos end;
	char path[PATH_MAX];
	int ret;

	CHECK_OK(log_dir_sync(d));
	end = log_dir_end(d);
	TEST_FMT(path, "%s/%s", data_dir, LAYOUT_DECODE_CKPT);
	ret = log_ck_load(path, &ck);
	CHECK(ret == 0 || ret == -ENOENT);
	e = log_ck_put(&ck, topic, partition);
	CHECK(e);
	e->v[DEC_CK_OUT_SEG] = end.seg;
	e->v[DEC_CK_OUT_POS] = end.pos;
	CHECK_OK(log_ck_save(path, &ck));
	log_ck_free(&ck);
}

static inline void xt_frontier(const char *data_dir, struct log_dir *d,
			       int32_t partition)
{
	xt_topic_frontier(data_dir, XT_TOPIC, d, partition);
}

/* Generated data: @n outcomes over @nparts partitions (offsets 0.. per
 * partition), events of @norders orders, each order's events spread over a
 * window of @window orders in flight (@window = @norders: uniformly
 * random), a fraction @qfrac quarantined. With @replay, a second pass
 * re-decodes every 5th coordinate of the first half of each partition:
 * every 3rd of those now quarantined, the others with new content (an
 * amount, a time, or another order). Deterministic in @seed. Appends to
 * @logs and sets the frontiers. */
struct xt_gen {
	int nparts;
	uint64_t n;
	uint32_t norders, window;
	double qfrac;
	bool replay;
	uint64_t seed;
};

static inline void xt_gen_ev(uint64_t *rs, uint64_t i, const struct xt_gen *g,
			     struct xt_ev *ev, char *oid, char *cid)
{
	static const char *const cur[] = {"EUR", "USD", "GBP", "JPY"};
	static const char *const chan[] = {"web", "app", "store", ""};
	uint64_t per = g->n / g->norders ? g->n / g->norders : 1;
	uint32_t o =
		(uint32_t)((i / per + test_rand(rs) % g->window) % g->norders);
	int k;

	snprintf(oid, 24, "ord-%07u", o);
	snprintf(cid, 24, "cust-%05u", o % 50000);
	memset(ev, 0, sizeof(*ev));
	ev->order_id = oid;
	ev->customer_id = cid;
	ev->type = 1 + (int)(test_rand(rs) % 4);
	ev->time =
		1700000000000 + (int64_t)i * 3 + (int64_t)(test_rand(rs) % 5);
	ev->currency = cur[o % 4];
	ev->units = (int64_t)(test_rand(rs) % 100000);
	ev->nanos = (int32_t)(test_rand(rs) % 100) * 10000000;
	ev->channel = chan[test_rand(rs) % 4];
	ev->nitems = (int)(test_rand(rs) % 4);
	for (k = 0; k < ev->nitems; k++)
		ev->qty[k] = 1 + (int32_t)(test_rand(rs) % 5);
}

static inline void xt_generate(const char *data_dir, struct log_dir **logs,
			       const struct xt_gen *g)
{
	uint64_t rs = g->seed | 1, i, *next = calloc((size_t)g->nparts, 8);
	char oid[24], cid[24];
	struct xt_ev ev;
	int p;

	CHECK(next);
	for (i = 0; i < g->n; i++) {
		int64_t off;

		p = (int)(test_rand(&rs) % (uint64_t)g->nparts);
		off = (int64_t)next[p]++;
		if ((double)(test_rand(&rs) % 1000000) / 1e6 < g->qfrac) {
			xt_q(logs[p], off, 1700000000000 + (int64_t)i,
			     1 + (unsigned)(i % 5), i % 2 == 0, 3,
			     "generated quarantine");
			continue;
		}
		xt_gen_ev(&rs, i, g, &ev, oid, cid);
		xt_ok(logs[p], off, 1700000000000 + (int64_t)i, 3, &ev);
	}
	for (p = 0; g->replay && p < g->nparts; p++) {
		uint64_t off;

		for (off = 0; off < next[p] / 2; off += 5) {
			i = off * (uint64_t)g->nparts + (uint64_t)p;
			if (off % 3 == 0) {
				xt_q(logs[p], (int64_t)off, 1700000000000,
				     LOG_DEC_MALFORMED, true, 3, "replayed");
				continue;
			}
			xt_gen_ev(&rs, i, g, &ev, oid, cid);
			if (off % 3 == 1)
				ev.time -= 5000;
			xt_ok(logs[p], (int64_t)off, 1700000000000, 3, &ev);
		}
	}
	for (p = 0; p < g->nparts; p++)
		xt_frontier(data_dir, logs[p], p);
	free(next);
}

/* The decode->transform ring of instance xt<pid>, which transform creates
 * when it finds none: removed at exit. */
static inline void xt_ring_unlink(void)
{
	char name[64];

	snprintf(name, sizeof(name), "/rawzone.xt%d.decode-transform",
		 (int)getpid());
	shm_ring_unlink(name);
}

/* xt_conf_sink - a rawzone.conf at @path for @data_dir and the sink URL
 * @sink, with extra "section.key=value" settings (NULL-terminated).
 * Instance xt<pid>. */
static inline void xt_conf_sink(const char *path, const char *data_dir,
				const char *sink, const char *const *extra)
{
	static bool registered;
	FILE *f = fopen(path, "w");

	if (!registered) {
		atexit(xt_ring_unlink);
		registered = true;
	}

	CHECK(f);
	fprintf(f,
		"[pipeline]\ninstance = xt%d\ndata_dir = %s\n"
		"[kafka]\nbootstrap.servers = 127.0.0.1:9\n"
		"[land]\ntopics = orders\n"
		"[transform]\nsink = %s\n",
		(int)getpid(), data_dir, sink);
	for (; extra && *extra; extra++) {
		const char *dot = strchr(*extra, '.');

		CHECK(dot);
		fprintf(f, "[%.*s]\n%s\n", (int)(dot - *extra), *extra,
			dot + 1);
	}
	CHECK(fclose(f) == 0);
}

/* xt_conf - xt_conf_sink into the SQLite database @db. */
static inline void xt_conf(const char *path, const char *data_dir,
			   const char *db, const char *const *extra)
{
	char sink[PATH_MAX + 8];

	TEST_FMT(sink, "sqlite:%s", db);
	xt_conf_sink(path, data_dir, sink, extra);
}

/* xt_run - the transform core over @conf with once (stop when caught
 * up), in-process.
 * Returns xf_run's (or xf_new's) result. */
static inline int xt_run(const char *conf, char *const *overrides,
			 size_t noverrides)
{
	struct cfg *cfg = NULL;
	struct xf *xf = NULL;
	int ret;

	CHECK_OK(cfg_load(conf, overrides, noverrides, &cfg));
	ret = xf_new(cfg, &xf);
	if (ret == 0)
		ret = xf_run(xf, NULL, true);
	xf_free(xf);
	cfg_free(cfg);
	return ret;
}

static inline sqlite3 *xt_db(const char *path)
{
	sqlite3 *db = NULL;

	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
	      SQLITE_OK);
	return db;
}

static inline void xt_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
		exit(1);
	}
}

/* xt_int - the integer answer of @fmt (a query of one value); NULL is
 * INT64_MIN. */
static inline int64_t xt_int(sqlite3 *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int64_t xt_int(sqlite3 *db, const char *fmt, ...)
{
	char sql[1024];
	sqlite3_stmt *st;
	int64_t v = INT64_MIN;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* xt_row - the first row of @fmt as "a|b|c" (NULL as "NULL") into @buf. */
static inline const char *xt_row(sqlite3 *db, char *buf, size_t size,
				 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline const char *xt_row(sqlite3 *db, char *buf, size_t size,
				 const char *fmt, ...)
{
	char sql[1024];
	sqlite3_stmt *st;
	size_t off = 0;
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		for (i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);

			off += (size_t)snprintf(buf + off, size - off, "%s%s",
						i ? "|" : "",
						t ? (const char *)t : "NULL");
			CHECK(off < size);
		}
	else
		snprintf(buf, size, "(no row)");
	sqlite3_finalize(st);
	return buf;
}

/* The rawzone tables in key order (SQLite's BINARY: byte order), for
 * dumps; tests/pg/pg_test.h has the same queries for PostgreSQL. */
static const char *const xt_dump_q[] = {
	"SELECT * FROM order_events ORDER BY topic, kafka_partition, "
	"kafka_offset",
	"SELECT * FROM orders ORDER BY order_id",
	"SELECT * FROM rawzone_quarantine ORDER BY topic, "
	"kafka_partition, kafka_offset",
	"SELECT topic, kafka_partition, segment, position, outcomes, "
	"high_offset FROM rawzone_transform_checkpoint ORDER BY topic, "
	"kafka_partition",
	"SELECT * FROM rawzone_schema ORDER BY component",
};

/* xt_dump_as - every row of every rawzone table of @path, in key order,
 * one line each and "--" after each table, in a malloc'd string: two
 * databases with equal dumps hold the same data. @typed: each value is
 * prefixed by its SQLite type ("1:42"); without, the text is what
 * pt_dump_pg writes for PostgreSQL. */
static inline char *xt_dump_as(const char *path, bool typed)
{
	const char *const *q = xt_dump_q;
	sqlite3 *db = xt_db(path);
	size_t cap = 1 << 16, len = 0, i;
	char *out = malloc(cap);

	CHECK(out);
	out[0] = '\0';
	for (i = 0; i < sizeof(xt_dump_q) / sizeof(xt_dump_q[0]); i++) {
		sqlite3_stmt *st;

		CHECK(sqlite3_prepare_v2(db, q[i], -1, &st, NULL) == SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			int c;

			for (c = 0; c < sqlite3_column_count(st); c++) {
				const unsigned char *t =
					sqlite3_column_text(st, c);
				size_t need =
					(t ? strlen((const char *)t) : 4) + 8;

				while (len + need + 1 > cap) {
					cap *= 2;
					out = realloc(out, cap);
					CHECK(out);
				}
				if (typed)
					len += (size_t)snprintf(
						out + len, cap - len,
						"%s%d:", c ? "|" : "",
						sqlite3_column_type(st, c));
				else if (c)
					out[len++] = '|';
				len += (size_t)snprintf(
					out + len, cap - len, "%s",
					t ? (const char *)t : "NULL");
			}
			CHECK(len + 2 < cap);
			out[len++] = '\n';
			out[len] = '\0';
		}
		sqlite3_finalize(st);
		while (len + 8 > cap) {
			cap *= 2;
			out = realloc(out, cap);
			CHECK(out);
		}
		len += (size_t)snprintf(out + len, cap - len, "--\n");
	}
	sqlite3_close(db);
	return out;
}

/* xt_dump - xt_dump_as with types. */
static inline char *xt_dump(const char *path)
{
	return xt_dump_as(path, true);
}

/* DOMAIN.md's invariants as counts that must be 0, 0 and equal, in SQL
 * that SQLite and PostgreSQL both run: each coordinate in exactly one of
 * order_events and rawzone_quarantine; each order's row its greatest
 * event; one orders row per order with events. */
#define XT_INV_BOTH                                                            \
	"SELECT count(*) FROM order_events e JOIN rawzone_quarantine q "       \
	"USING (topic, kafka_partition, kafka_offset)"
#define XT_INV_GREATEST                                                        \
	"SELECT count(*) FROM (SELECT order_id, customer_id, event_type, "     \
	"amount_cents, currency, item_count, event_time_ms, topic, "           \
	"kafka_partition, kafka_offset FROM (SELECT *, row_number() OVER "     \
	"(PARTITION BY order_id ORDER BY event_time_ms DESC, "                 \
	"kafka_partition DESC, kafka_offset DESC, topic DESC) AS rn FROM "     \
	"order_events) x WHERE rn = 1 EXCEPT SELECT * FROM orders) y"
#define XT_INV_ORDERS "SELECT count(DISTINCT order_id) FROM order_events"
#define XT_INV_ROWS "SELECT count(*) FROM orders"

/* xt_invariant - the invariants above hold in the SQLite database @db. */
static inline void xt_invariant(sqlite3 *db)
{
	CHECK_EQ(xt_int(db, XT_INV_BOTH), 0);
	CHECK_EQ(xt_int(db, XT_INV_GREATEST), 0);
	CHECK_EQ(xt_int(db, XT_INV_ORDERS), xt_int(db, XT_INV_ROWS));
}

/* xt_bin - the path of a stage binary: $RAWZONE_BIN/NAME, else
 * build/bin/NAME. */
static inline const char *xt_bin(const char *name)
{
	static char path[PATH_MAX];
	const char *dir = getenv("RAWZONE_BIN");

	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "build/bin",
		 name);
	return path;
}

/* xt_spawn - start rawzone-transform -c @conf [@arg] with @kill_at in
 * RAWZONE_KILL_AT (NULL: unset), output appended to @log. Returns the
 * pid. */
static inline pid_t xt_spawn(const char *conf, const char *arg,
			     const char *kill_at, const char *log)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		const char *bin = xt_bin("rawzone-transform");
		FILE *f = log ? freopen(log, "a", stderr) : NULL;

		(void)f;
		if (kill_at)
			setenv("RAWZONE_KILL_AT", kill_at, 1);
		else
			unsetenv("RAWZONE_KILL_AT");
		unsetenv("RAWZONE_FAULTS");
		execl(bin, bin, "-c", conf, arg, (char *)NULL);
		perror(bin);
		_exit(127);
	}
	return pid;
}

/* xt_wait - wait for @pid; returns its exit code, or 128 + signal. */
static inline int xt_wait(pid_t pid)
{
	int status;

	CHECK(waitpid(pid, &status, 0) == pid);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

#endif

/* tests/pg/test_pg_transform.c - the orders transform into a real
 * PostgreSQL: the same rows as into SQLite, whatever happens.
 *
 *   - decoded logs with quarantined records and a replay (new content,
 *     OK -> quarantined, another order, an earlier time: the rare paths)
 *     applied in-process into SQLite and into PostgreSQL with big and with
 *     small batches: the same dump, table by table, and DOMAIN.md's
 *     invariants hold in PostgreSQL;
 *   - rawzone-transform, the binary: killed at kill points T1, T2, T3,
 *     then drained: the same database;
 *   - the ambiguous commit (RAWZONE_PG_DROP_AT_COMMIT): transform exits 1
 *     saying so, without guessing; the database has the batch (the server
 *     committed it) and its checkpoint together; the restart resumes after
 *     it: the same database, nothing lost or twice;
 *   - pg_terminate_backend of transform's session mid-run: exit 1, the
 *     restart drains: the same database;
 *   - a database whose default collation is not byte order (ICU en-US):
 *     two topics feeding one order, whose events tie on (time, partition,
 *     offset), give the same orders row whether they arrive in one batch
 *     or two, in either order, as in SQLite (keys and the compared topic
 *     are COLLATE "C"). Skipped when the server has no ICU.
 * TEST_SCALE=N divides the data.
 */
#include "tests/pg/pg_test.h"
#include "tests/transform/xf_test.h"

#include "common/diag.h"

#define NPART 4

static char data_dir[PATH_MAX], logpath[PATH_MAX];
static char *ref_dump;

/* A rawzone.conf for the decoded logs of @dir into @sink (a URL), @batch
 * records per transaction, or fewer after @latency ms; @extra: more
 * "section.key=value" settings (NULL-terminated) or NULL. */
static void conf_lat(const char *path, const char *dir, const char *sink,
		     const char *batch, int latency, const char *const *extra)
{
	char b[64], l[64];
	const char *all[8] = {b, l};
	size_t n = 2;

	TEST_FMT(b, "transform.batch_records=%s", batch);
	TEST_FMT(l, "transform.batch_latency_ms=%d", latency);
	for (; extra && *extra; extra++) {
		CHECK(n < sizeof(all) / sizeof(all[0]) - 1);
		all[n++] = *extra;
	}
	xt_conf_sink(path, dir, sink, all);
}

static void conf_url(const char *path, const char *dir, const char *sink,
		     const char *batch, const char *const *extra)
{
	conf_lat(path, dir, sink, batch, 20, extra);
}

static void show_log(void)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "tail -n 20 '%s' >&2", logpath);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log)\n");
}

static void expect_exit(pid_t pid, int want)
{
	int rc = xt_wait(pid);

	if (rc != want) {
		fprintf(stderr, "rawzone-transform exited %d, expected %d\n",
			rc, want);
		show_log();
		exit(1);
	}
}

static void check_pg(const char *url, const char *what)
{
	PGconn *c = pt_connect(url);
	char *d;

	CHECK_EQ(pt_int(c, XT_INV_BOTH), 0);
	CHECK_EQ(pt_int(c, XT_INV_GREATEST), 0);
	CHECK_EQ(pt_int(c, XT_INV_ORDERS), pt_int(c, XT_INV_ROWS));
	PQfinish(c);
	d = pt_dump_pg(url);
	if (!test_same(ref_dump, d)) {
		fprintf(stderr, "%s: PostgreSQL differs from SQLite\n", what);
		exit(1);
	}
	free(d);
}

/* In-process runs, several batch sizes. */
static void same_rows(void)
{
	static const char *const batches[] = {"50000", "97", NULL};
	char conf[PATH_MAX], url[600], name[32];
	size_t i;

	for (i = 0; batches[i]; i++) {
		TEST_FMT(name, "inproc%zu", i);
		pt_schema_url(name, url, sizeof(url));
		TEST_FMT(conf, "%s/%s.conf", data_dir, name);
		conf_url(conf, data_dir, url, batches[i], NULL);
		CHECK_OK(xt_run(conf, NULL, 0));
		check_pg(url, name);
		/* Applied again from the checkpoint: nothing to do. */
		CHECK_OK(xt_run(conf, NULL, 0));
		check_pg(url, name);
	}
	printf("in-process, batches of 50000 and 97: the same rows as "
	       "SQLite\n");
}

static void kill_points(void)
{
	static const char *const points[] = {"T1", "T2", "T3"};
	static const int nth[] = {1, 4};
	char conf[PATH_MAX], url[600], name[32], at[16];
	size_t i, j;

	for (i = 0; i < 3; i++)
		for (j = 0; j < 2; j++) {
			TEST_FMT(name, "kp_%s_%d", points[i], nth[j]);
			TEST_FMT(at, "%s:%d", points[i], nth[j]);
			pt_schema_url(name, url, sizeof(url));
			TEST_FMT(conf, "%s/%s.conf", data_dir, name);
			conf_url(conf, data_dir, url, "700", NULL);
			expect_exit(xt_spawn(conf, "--once", at, logpath),
				    128 + SIGKILL);
			expect_exit(xt_spawn(conf, "--once", NULL, logpath), 0);
			check_pg(url, name);
		}
	printf("kill points T1, T2, T3 x 1st, 4th: the same rows\n");
}

static bool log_has(const char *needle)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen(logpath, "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return found;
}

static void ambiguous(void)
{
	/* 3 schema transactions at start-up, then the batches */
	static const int nth[] = {4, 7};
	char conf[PATH_MAX], url[600], name[32], env[16];
	size_t j;

	for (j = 0; j < 2; j++) {
		PGconn *c;
		int64_t outcomes, rows;

		TEST_FMT(name, "amb_%d", nth[j]);
		pt_schema_url(name, url, sizeof(url));
		TEST_FMT(conf, "%s/%s.conf", data_dir, name);
		/* full batches: the count says which committed */
		conf_lat(conf, data_dir, url, "1000", 600000, NULL);
		CHECK(truncate(logpath, 0) == 0);
		TEST_FMT(env, "%d", nth[j]);
		setenv("RAWZONE_PG_DROP_AT_COMMIT", env, 1);
		expect_exit(xt_spawn(conf, "--once", NULL, logpath), 1);
		unsetenv("RAWZONE_PG_DROP_AT_COMMIT");
		CHECK(log_has("may or may not be committed"));
		/* The server had the COMMIT: the batch and its checkpoint
		 * are there, together. */
		c = pt_connect(url);
		pt_wait_sessions_gone(c);
		outcomes = pt_int(c, "SELECT sum(outcomes) FROM "
				     "rawzone_transform_checkpoint");
		CHECK_EQ(outcomes, (nth[j] - 3) * 1000);
		/* One row per coordinates: as many as the outcomes applied,
		 * fewer when the reader's batches (their order across
		 * partitions depends on timing) already held replayed ones. */
		rows = pt_int(c, "SELECT count(*) FROM order_events") +
		       pt_int(c, "SELECT count(*) FROM rawzone_quarantine");
		CHECK(rows > 0 && rows <= outcomes);
		PQfinish(c);
		expect_exit(xt_spawn(conf, "--once", NULL, logpath), 0);
		CHECK(log_has("outcomes applied)"));
		check_pg(url, name);
	}
	printf("ambiguous commit at the 1st and 4th batch: exit 1 without "
	       "guessing; committed with its checkpoint; the restart "
	       "resumes after it\n");
}

static void terminated(void)
{
	char conf[PATH_MAX], url[600];
	PGconn *c;
	pid_t pid;
	int i, rc;

	pt_schema_url("term", url, sizeof(url));
	TEST_FMT(conf, "%s/term.conf", data_dir);
	/* Small batches: the run lasts many transactions, even at
	 * TEST_SCALE=10, so the first commit comes well before the last. */
	conf_url(conf, data_dir, url, "50", NULL);
	c = pt_connect(pt_url);
	pid = xt_spawn(conf, "--once", NULL, logpath);
	/* Mid-run: some batches committed, not all. */
	for (i = 0; i < 2000; i++) {
		int64_t n =
			pt_int(c, "SELECT count(*) FROM pg_tables WHERE "
				  "schemaname = 'term' AND tablename = "
				  "'rawzone_transform_checkpoint'") > 0
				? pt_int(c, "SELECT coalesce(sum(outcomes), "
					    "0) FROM term."
					    "rawzone_transform_checkpoint")
				: 0;

		if (n > 0)
			break;
		usleep(5000);
	}
	CHECK(i < 2000); /* it committed a first batch within 10 s */
	CHECK_EQ(pt_int(c, "SELECT count(*) FROM (SELECT "
			   "pg_terminate_backend(pid) FROM pg_stat_activity "
			   "WHERE datname = 'rawzone' AND usename = 'rawzone' "
			   "AND pid <> pg_backend_pid()) t"),
		 1);
	rc = xt_wait(pid);
	if (rc != 1 && rc != 0) {
		fprintf(stderr,
			"transform exited %d after its session was "
			"terminated\n",
			rc);
		show_log();
		exit(1);
	}
	CHECK(rc == 1); /* it was mid-run: it noticed */
	expect_exit(xt_spawn(conf, "--once", NULL, logpath), 0);
	check_pg(url, "terminated");
	PQfinish(c);
	printf("pg_terminate_backend mid-run: exit 1, the restart drains: "
	       "the same rows\n");
}

/* --- collation ----------------------------------------------------------- */

/* The orders row of "tie" after applying topics @first then @second
 * (each in its own run: its own batch), or both at once (@second NULL),
 * into @sink. */
static void collation_run(const char *name, const char *sink, const char *first,
			  const char *second, char *row, size_t size, bool pg)
{
	static const char *const extra[] = {"land.topics=a,B",
					    "transform.topics.a=orders",
					    "transform.topics.B=orders", NULL};
	struct xt_ev ea = {"tie", "ca", 1,	  1000, false, "EUR",
			   1,	  0,	"from-a", 0,	{0}};
	struct xt_ev eb = {"tie", "cb", 2,	  1000, false, "USD",
			   2,	  0,	"from-B", 0,	{0}};
	char dir[PATH_MAX], conf[PATH_MAX];
	struct log_dir *da, *db;

	TEST_FMT(dir, "%s/%s", data_dir, name);
	CHECK(mkdir(dir, 0700) == 0);
	TEST_FMT(conf, "%s/c.conf", dir);
	conf_url(conf, dir, sink, "1000", extra);
	da = xt_topic_open(dir, "a", 0, 1 << 20);
	db = xt_topic_open(dir, "B", 0, 1 << 20);
	xt_ok(da, 5, 1700000000000, 3, &ea);
	xt_ok(db, 5, 1700000000000, 3, &eb);
	xt_topic_frontier(dir, first, strcmp(first, "a") == 0 ? da : db, 0);
	if (second) {
		CHECK_OK(xt_run(conf, NULL, 0));
		xt_topic_frontier(dir, second,
				  strcmp(second, "a") == 0 ? da : db, 0);
	} else {
		xt_topic_frontier(dir, strcmp(first, "a") == 0 ? "B" : "a",
				  strcmp(first, "a") == 0 ? db : da, 0);
	}
	CHECK_OK(xt_run(conf, NULL, 0));
	log_dir_close(da);
	log_dir_close(db);
	if (pg) {
		PGconn *c = pt_connect(sink);
		PGresult *r = PQexec(c, "SELECT topic || '|' || customer_id "
					"FROM orders");

		CHECK(PQresultStatus(r) == PGRES_TUPLES_OK &&
		      PQntuples(r) == 1);
		snprintf(row, size, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *h = xt_db(sink + strlen("sqlite:"));

		xt_row(h, row, size,
		       "SELECT topic || '|' || customer_id FROM orders");
		sqlite3_close(h);
	}
}

static void collation(void)
{
	static const char *const orders[][2] = {
		{"a", "B"}, {"B", "a"}, {"a", NULL}};
	char url[600], sq[PATH_MAX + 8], want[64], got[64], name[32];
	size_t i;

	if (!pt_newdb("rz_icu",
		      "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
		      "TEMPLATE template0",
		      url, sizeof(url))) {
		printf("collation: skipped (no ICU in this server)\n");
		return;
	}
	/* SQLite (byte order): the greater topic, "a" > "B", wins. */
	TEST_FMT(sq, "sqlite:%s/coll.db", data_dir);
	collation_run("coll-sqlite", sq, "a", NULL, want, sizeof(want), false);
	CHECK(strcmp(want, "a|ca") == 0);
	for (i = 0; i < 3; i++) {
		TEST_FMT(name, "coll%zu", i);
		CHECK(pt_newdb("rz_icu",
			       "LOCALE_PROVIDER icu ICU_LOCALE "
			       "'en-US' TEMPLATE template0",
			       url, sizeof(url)));
		collation_run(name, url, orders[i][0], orders[i][1], got,
			      sizeof(got), true);
		if (strcmp(got, want) != 0) {
			fprintf(stderr,
				"collation: topics %s then %s gave %s, "
				"expected %s\n",
				orders[i][0],
				orders[i][1] ? orders[i][1] : "(same batch)",
				got, want);
			exit(1);
		}
	}
	printf("collation: an ICU en-US database orders ties as SQLite "
	       "does, in one batch or two, either way\n");
}

int main(void)
{
	const char *scale_s = getenv("TEST_SCALE");
	long scale = scale_s ? atol(scale_s) : 1;
	struct log_dir *logs[NPART];
	struct xt_gen g = {
		.nparts = NPART,
		.norders = 2000,
		.window = 200,
		.qfrac = 0.05,
		.replay = true,
		.seed = 7,
	};
	char conf[PATH_MAX], sq[PATH_MAX + 8];
	int p;

	if (access(xt_bin("rawzone-transform"), X_OK) != 0) {
		fprintf(stderr, "%s: not built\n", xt_bin("rawzone-transform"));
		return 1;
	}
	if (scale < 1)
		scale = 1;
	diag_init("test_pg_transform", DIAG_WARN);
	snprintf(data_dir, sizeof(data_dir), "%s", test_tmpdir("pg-xf"));
	pt_server(data_dir);
	TEST_FMT(logpath, "%s/transform.log", data_dir);
	g.n = 40000 / (uint64_t)scale;
	for (p = 0; p < NPART; p++)
		logs[p] = xt_part_open(data_dir, p, 256 << 10);
	xt_generate(data_dir, logs, &g);
	for (p = 0; p < NPART; p++)
		log_dir_close(logs[p]);

	/* The reference: SQLite. */
	TEST_FMT(sq, "sqlite:%s/ref.db", data_dir);
	TEST_FMT(conf, "%s/ref.conf", data_dir);
	conf_url(conf, data_dir, sq, "50000", NULL);
	CHECK_OK(xt_run(conf, NULL, 0));
	ref_dump = xt_dump_as(sq + strlen("sqlite:"), false);

	same_rows();
	kill_points();
	ambiguous();
	terminated();
	collation();
	free(ref_dump);
	return 0;
}

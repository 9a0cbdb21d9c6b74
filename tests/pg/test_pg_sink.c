/* tests/pg/test_pg_sink.c - the PostgreSQL sink through the sink interface,
 * against a real server:
 *   - URLs: a password never reaches a message (url_redact, a failed
 *     connect, the sink's name); postgres:// is the same sink;
 *   - statements: '?' renumbered (not inside quotes), bigint/int/text/NULL
 *     binds and reads, text given with a length and no NUL, text for a
 *     non-text parameter, a bind to a parameter that does not exist;
 *   - the queue: no-row statements in a transaction are queued, a row
 *     query after them sees them, more than XF_PG_MAX_QUEUED are fine, an
 *     error of a queued one (a duplicate key) comes back - with its
 *     statement and SQLSTATE - from a later step or from COMMIT, the
 *     transaction is then rolled back and the next one works;
 *   - xf_sink_schema: created once, checked after, another version and a
 *     table rawzone did not make refused; schemas (search_path) keep
 *     databases apart;
 *   - a lost connection (pg_terminate_backend): the next call fails and
 *     says so, rollback returns;
 *   - the ambiguous commit (RAWZONE_PG_DROP_AT_COMMIT, in a child): COMMIT
 *     reports failure with "may or may not", and the server did commit.
 */
#include "tests/pg/pg_test.h"

#include "common/diag.h"
#include "common/err.h"
#include "common/url.h"
#include "transform/postgres.h"
#include "transform/sink.h"

static char tmp[PATH_MAX];

static void redact(void)
{
	static const char *const cases[][2] = {
		{"sqlite:/a/b.db", "sqlite:/a/b.db"},
		{"postgresql://u:secret@h:5432/db", "postgresql://u@h:5432/db"},
		{"postgresql://u@h/db", "postgresql://u@h/db"},
		{"postgresql://h/db?password=secret&sslmode=require",
		 "postgresql://h/db?password=***&sslmode=require"},
		{"postgresql://u:p%40ss@h1:1,h2:2/db?sslpassword=x",
		 "postgresql://u@h1:1,h2:2/db?sslpassword=***"},
		{"postgres://:pw@/db?host=/tmp", "postgres://@/db?host=/tmp"},
		{"postgresql://u:pw@h", "postgresql://u@h"},
		{"postgresql://u:p?x#y@h/db", "postgresql://u@h/db"},
		/* An '@' in the query of a URL without a path. */
		{"postgresql://host?password=ab@cd", "postgresql://host@cd"},
		{"postgresql://u@host?password=x:y@z", "postgresql://u@host@z"},
	};
	char buf[256], small[12];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		url_redact(cases[i][0], buf, sizeof(buf));
		if (strcmp(buf, cases[i][1]) != 0) {
			fprintf(stderr, "url_redact(%s) = %s, want %s\n",
				cases[i][0], buf, cases[i][1]);
			exit(1);
		}
	}
	url_redact("postgresql://u:secret@host/db", small, sizeof(small));
	CHECK(strcmp(small, "postgresql:") == 0);
	printf("url_redact: %zu cases\n", i);
}

/* A connection that fails names the URL, never its password. */
static void bad_connect(void)
{
	struct xf_sink *s = (struct xf_sink *)1;
	char *err;

	pt_capture_begin(tmp);
	CHECK_EQ(xf_sink_open("postgresql://rawzone:hunter2@127.0.0.1:1/x", &s),
		 -ERR_DB);
	err = pt_capture_end();
	CHECK(s == NULL);
	CHECK(strstr(err, "postgresql://rawzone@127.0.0.1:1/x ([transform] "
			  "sink): cannot connect"));
	CHECK(!strstr(err, "hunter2"));
	free(err);
	printf("a failed connect names the URL without its password\n");
}

static struct xf_sink *open_sink(const char *url)
{
	struct xf_sink *s = NULL;

	CHECK_OK(xf_sink_open(url, &s));
	return s;
}

static void stmts(const char *url)
{
	struct xf_sink *s = open_sink(url);
	struct xf_stmt *st = NULL;
	const char *t;
	size_t len;

	CHECK(strcmp(xf_sink_dialect(s)->int64, "BIGINT") == 0);
	CHECK_OK(xf_sink_exec(s, "DROP TABLE IF EXISTS t; CREATE TABLE t ("
				 "k BIGINT PRIMARY KEY, i INTEGER, "
				 "v TEXT COLLATE \"C\", n NUMERIC)"));
	/* '?' inside quotes is no parameter. */
	CHECK_OK(xf_stmt_prepare(s,
				 "INSERT INTO t (k, i, v, n) VALUES (?, ?, "
				 "? || '?', ?) -- a comment with ?\n",
				 &st));
	xf_stmt_int64(st, 1, INT64_MAX);
	xf_stmt_int64(st, 2, -7);
	xf_stmt_text(st, 3, "abcdef", 3); /* no NUL after "abc" */
	xf_stmt_text(st, 4, "12.50", 5);  /* text for a numeric */
	CHECK_OK(xf_stmt_exec(st));
	xf_stmt_int64(st, 1, INT64_MIN);
	xf_stmt_null(st, 2);
	xf_stmt_text(st, 3, "", 0);
	xf_stmt_int64(st, 4, -3); /* an integer for a numeric */
	CHECK_OK(xf_stmt_exec(st));
	xf_stmt_int64(st, 1, 5);
	xf_stmt_int64(st, 2, (int64_t)1 << 40); /* too big for an int */
	xf_stmt_text(st, 3, "x", 1);
	xf_stmt_null(st, 4);
	pt_capture_begin(tmp);
	CHECK_EQ(xf_stmt_exec(st), -ERR_DB);
	free(pt_capture_end());
	/* A bind to a parameter that does not exist fails the next exec. */
	xf_stmt_int64(st, 5, 1);
	pt_capture_begin(tmp);
	CHECK_EQ(xf_stmt_exec(st), -ERR_DB);
	t = pt_capture_end();
	CHECK(strstr(t, "binding parameter 5"));
	free((void *)t);
	xf_stmt_free(st);

	CHECK_OK(
		xf_stmt_prepare(s, "SELECT k, i, v, n FROM t ORDER BY k", &st));
	CHECK_EQ(xf_stmt_step(st), 1);
	CHECK(xf_col_int64(st, 0) == INT64_MIN);
	CHECK(xf_col_null(st, 1));
	t = xf_col_text(st, 2, &len);
	CHECK(len == 1 && strcmp(t, "?") == 0);
	CHECK(strcmp(xf_col_text(st, 3, &len), "-3") == 0);
	CHECK_EQ(xf_stmt_step(st), 1);
	CHECK(xf_col_int64(st, 0) == INT64_MAX);
	CHECK_EQ(xf_col_int64(st, 1), -7);
	t = xf_col_text(st, 2, &len);
	CHECK(len == 4 && strcmp(t, "abc?") == 0);
	CHECK(strcmp(xf_col_text(st, 3, &len), "12.50") == 0);
	CHECK_EQ(xf_stmt_step(st), 0);
	/* done: the statement runs again from the start */
	CHECK_EQ(xf_stmt_step(st), 1);
	xf_stmt_reset(st);
	xf_stmt_free(st);

	/* A parameter of a type the server infers from context. */
	CHECK_OK(xf_stmt_prepare(s, "SELECT ?::int4 + 1, ?::text", &st));
	xf_stmt_int64(st, 1, 41);
	xf_stmt_int64(st, 2, 99);
	CHECK_EQ(xf_stmt_step(st), 1);
	CHECK_EQ(xf_col_int64(st, 0), 42);
	CHECK(strcmp(xf_col_text(st, 1, &len), "99") == 0);
	xf_stmt_reset(st);
	xf_stmt_free(st);
	xf_sink_close(s);
	printf("statements: renumbering, binds and reads of each type\n");
}

static void queue(const char *url)
{
	struct xf_sink *s = open_sink(url);
	struct xf_stmt *ins = NULL, *cnt = NULL;
	char *err;
	int i;

	CHECK_OK(xf_sink_exec(s, "DROP TABLE IF EXISTS q; CREATE TABLE q ("
				 "k BIGINT PRIMARY KEY, v TEXT)"));
	CHECK_OK(
		xf_stmt_prepare(s, "INSERT INTO q (k, v) VALUES (?, ?)", &ins));
	CHECK_OK(xf_stmt_prepare(s, "SELECT count(*) FROM q", &cnt));

	/* More than the queue holds, then a query that sees them all. */
	CHECK_OK(xf_sink_begin(s));
	for (i = 0; i < 3 * XF_PG_MAX_QUEUED + 5; i++) {
		xf_stmt_int64(ins, 1, i);
		xf_stmt_text(ins, 2, "v", 1);
		CHECK_OK(xf_stmt_exec(ins));
	}
	CHECK_EQ(xf_stmt_step(cnt), 1);
	CHECK_EQ(xf_col_int64(cnt, 0), 3 * XF_PG_MAX_QUEUED + 5);
	xf_stmt_reset(cnt);
	CHECK_OK(xf_sink_commit(s));

	/* A duplicate key in the queue: reported by COMMIT, with the
	 * statement and SQLSTATE 23505, and nothing of it commits. */
	CHECK_OK(xf_sink_begin(s));
	for (i = 0; i < 10; i++) {
		xf_stmt_int64(ins, 1, 100000 + i);
		xf_stmt_text(ins, 2, "w", 1);
		CHECK_OK(xf_stmt_exec(ins));
	}
	xf_stmt_int64(ins, 1, 7);    /* exists */
	CHECK_OK(xf_stmt_exec(ins)); /* queued: no answer yet */
	xf_stmt_int64(ins, 1, 200000);
	CHECK_OK(xf_stmt_exec(ins));
	pt_capture_begin(tmp);
	CHECK_EQ(xf_sink_commit(s), -ERR_DB);
	err = pt_capture_end();
	CHECK(strstr(err, "SQLSTATE 23505"));
	CHECK(strstr(err, "INSERT INTO q"));
	free(err);
	CHECK_OK(xf_sink_rollback(s));
	CHECK_EQ(xf_stmt_step(cnt), 1);
	CHECK_EQ(xf_col_int64(cnt, 0), 3 * XF_PG_MAX_QUEUED + 5);
	xf_stmt_reset(cnt);

	/* ... or by the next statement that returns rows. */
	CHECK_OK(xf_sink_begin(s));
	xf_stmt_int64(ins, 1, 8);
	CHECK_OK(xf_stmt_exec(ins));
	pt_capture_begin(tmp);
	CHECK_EQ(xf_stmt_step(cnt), -ERR_DB);
	free(pt_capture_end());
	CHECK_OK(xf_sink_rollback(s));

	/* The connection works on. */
	CHECK_OK(xf_sink_begin(s));
	xf_stmt_int64(ins, 1, -1);
	CHECK_OK(xf_stmt_exec(ins));
	CHECK_OK(xf_sink_commit(s));
	CHECK_EQ(xf_stmt_step(cnt), 1);
	CHECK_EQ(xf_col_int64(cnt, 0), 3 * XF_PG_MAX_QUEUED + 6);
	xf_stmt_reset(cnt);
	xf_stmt_free(ins);
	xf_stmt_free(cnt);
	xf_sink_close(s);
	printf("the queue: %d statements in flight at most, errors come "
	       "back with their statement\n",
	       XF_PG_MAX_QUEUED);
}

static int schema_of(struct xf_sink *s, int64_t version)
{
	static const char *const tables[] = {"tbl_a", "tbl_b", NULL};
	static const char *const ddl[] = {
		"CREATE TABLE tbl_a (k BIGINT PRIMARY KEY)",
		"CREATE TABLE tbl_b (k BIGINT PRIMARY KEY)", NULL};

	return xf_sink_schema(s, "comp", version, tables, ddl);
}

static void schema(void)
{
	char u1[600], u2[600];
	struct xf_sink *s;
	PGconn *c;

	pt_schema_url("sch1", u1, sizeof(u1));
	pt_schema_url("sch2", u2, sizeof(u2));
	s = open_sink(u1);
	CHECK_OK(schema_of(s, 1));
	CHECK_OK(schema_of(s, 1)); /* checked, not created again */
	CHECK_EQ(xf_sink_table_exists(s, "tbl_a"), 1);
	CHECK_EQ(xf_sink_table_exists(s, "nope"), 0);
	pt_capture_begin(tmp);
	CHECK_EQ(schema_of(s, 2), -ERR_FORMAT);
	free(pt_capture_end());
	xf_sink_close(s);

	/* Another schema of the same database is another database. */
	c = pt_connect(pt_url);
	pt_exec(c, "CREATE TABLE sch2.tbl_b (x TEXT)");
	s = open_sink(u2);
	CHECK_EQ(xf_sink_table_exists(s, "tbl_a"), 0);
	pt_capture_begin(tmp);
	CHECK_EQ(schema_of(s, 1), -ERR_FORMAT); /* tbl_b is not ours */
	free(pt_capture_end());
	xf_sink_close(s);
	CHECK_EQ(pt_int(c, "SELECT count(*) FROM pg_tables WHERE schemaname "
			   "= 'sch2'"),
		 1);
	CHECK_EQ(pt_int(c, "SELECT version FROM sch1.rawzone_schema"), 1);
	PQfinish(c);
	printf("schema versions: created, checked, refused; search_path "
	       "keeps schemas apart\n");
}

static void lost(const char *url)
{
	struct xf_sink *s = open_sink(url);
	struct xf_stmt *ins = NULL, *pid = NULL;
	PGconn *c = pt_connect(pt_url);
	char *err;
	int64_t backend;

	CHECK_OK(xf_sink_exec(s, "DROP TABLE IF EXISTS l; CREATE TABLE l ("
				 "k BIGINT PRIMARY KEY)"));
	CHECK_OK(xf_stmt_prepare(s, "INSERT INTO l (k) VALUES (?)", &ins));
	CHECK_OK(xf_stmt_prepare(s, "SELECT pg_backend_pid()", &pid));
	CHECK_EQ(xf_stmt_step(pid), 1);
	backend = xf_col_int64(pid, 0);
	xf_stmt_reset(pid);
	CHECK_OK(xf_sink_begin(s));
	xf_stmt_int64(ins, 1, 1);
	CHECK_OK(xf_stmt_exec(ins));
	CHECK_EQ(pt_int(c, "SELECT count(*) FROM pg_terminate_backend(%lld)",
			(long long)backend),
		 1);
	usleep(100000);
	pt_capture_begin(tmp);
	CHECK_EQ(xf_sink_commit(s), -ERR_DB);
	err = pt_capture_end();
	CHECK(strstr(err, "SQLSTATE 57P01") || strstr(err, "lost"));
	free(err);
	CHECK_OK(xf_sink_rollback(s));
	CHECK_EQ(pt_int(c, "SELECT count(*) FROM l"), 0);
	xf_stmt_free(ins);
	xf_stmt_free(pid);
	xf_sink_close(s);
	PQfinish(c);
	printf("a terminated backend: the next call fails and says so\n");
}

/* The ambiguous commit, in a child (the hook is read once a process). */
static void ambiguous(const char *url)
{
	PGconn *c = pt_connect(pt_url);
	pid_t pid;
	int status;

	pt_exec(c, "DROP TABLE IF EXISTS a; CREATE TABLE a (k BIGINT)");
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct xf_sink *s;
		char *err;

		pt_dir[0] = '\0'; /* the server is the parent's to destroy */
		setenv("RAWZONE_PG_DROP_AT_COMMIT", "2", 1);
		s = open_sink(url);
		CHECK_OK(xf_sink_begin(s));
		CHECK_OK(xf_sink_exec(s, "INSERT INTO a VALUES (1)"));
		CHECK_OK(xf_sink_commit(s)); /* the 1st */
		CHECK_OK(xf_sink_begin(s));
		CHECK_OK(xf_sink_exec(s, "INSERT INTO a VALUES (2)"));
		pt_capture_begin(tmp);
		CHECK_EQ(xf_sink_commit(s), -ERR_DB); /* the 2nd: cut */
		err = pt_capture_end();
		CHECK(strstr(err, "may or may not be committed"));
		CHECK_OK(xf_sink_rollback(s));
		CHECK_EQ(xf_sink_begin(s), -ERR_DB); /* no connection */
		xf_sink_close(s);
		free(err);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The child's backend may still be committing: wait for it to end
	 * (so would a restarted transform that reads its checkpoint too
	 * early: rows keyed by coordinates make that harmless). */
	pt_wait_sessions_gone(c);
	/* The server had the COMMIT: row 2 is there. */
	CHECK_EQ(pt_int(c, "SELECT count(*) FROM a"), 2);
	PQfinish(c);
	printf("ambiguous commit: reported as unknown; the server had "
	       "committed it\n");
}

int main(void)
{
	char alias[600];
	const char *url;

	diag_init("test_pg_sink", DIAG_INFO);
	snprintf(tmp, sizeof(tmp), "%s", test_tmpdir("pg-sink"));
	redact();
	url = pt_server(tmp);
	bad_connect();
	stmts(url);
	queue(url);
	/* postgres:// is the same sink */
	TEST_FMT(alias, "postgres://%s", url + strlen("postgresql://"));
	queue(alias);
	schema();
	lost(url);
	ambiguous(url);
	return 0;
}

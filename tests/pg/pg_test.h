/* tests/pg/pg_test.h - what the PostgreSQL test programs share: a real
 * server (tests/pg/pg.sh, started for the program and destroyed at its
 * exit, or the one RAWZONE_PG_URL names), fresh databases and schemas in
 * it, libpq helpers to read what the sink wrote - an outside view - and a
 * dump of the derived tables that reads the same from SQLite and from
 * PostgreSQL, so two databases of either kind can be compared as text.
 *
 * A program whose server cannot start exits 77 (skip) when Debian's
 * postgresql package is missing, as pg.sh available says.
 */
#ifndef RZ_TESTS_PG_TEST_H
#define RZ_TESTS_PG_TEST_H

#include "tests/check.h"

#include <fcntl.h>
#include <limits.h>
#include <postgresql/libpq-fe.h>
#include <sqlite3.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char pt_dir[PATH_MAX]; /* the server's directory, ours to destroy */
static char pt_url[512];      /* postgresql://rawzone@127.0.0.1:PORT/rawzone */
static char pt_admin[512];    /* the same server as postgres, db postgres */

static inline void pt_destroy(void)
{
	char cmd[PATH_MAX + 64];

	if (!pt_dir[0])
		return;
	snprintf(cmd, sizeof(cmd),
		 "tests/pg/pg.sh destroy '%s' >/dev/null 2>&1", pt_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not destroy %s\n", pt_dir);
	pt_dir[0] = '\0';
}

/* The part of @url after "postgresql://rawzone@" up to '/', into @hp. */
static inline void pt_hostport(const char *url, char *hp, size_t size)
{
	const char *at = strchr(url, '@');

	CHECK(at);
	snprintf(hp, size, "%.*s", (int)strcspn(at + 1, "/"), at + 1);
}

/* A test stopped by a signal (tests/run's timeout, an ASan abort) does
 * not reach atexit: destroy the server on the way out all the same. */
static inline void pt_on_signal(int sig)
{
	pt_destroy();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* pt_server - the URL of a running server for database rawzone, as role
 * rawzone (started here unless RAWZONE_PG_URL is set). Skips (exit 77)
 * without a server installed. Call once, at the start. */
static inline const char *pt_server(const char *tmp)
{
	const char *env = getenv("RAWZONE_PG_URL");
	char cmd[PATH_MAX + 128], hp[256];
	FILE *p;
	int rc;

	if (env && *env) {
		TEST_FMT(pt_url, "%s", env);
	} else {
		rc = system("tests/pg/pg.sh available >/dev/null 2>&1");
		if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) {
			printf("skipped: no PostgreSQL server installed\n");
			exit(TEST_SKIP);
		}
		CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
		TEST_FMT(pt_dir, "%s/pg", tmp);
		atexit(pt_destroy);
		signal(SIGTERM, pt_on_signal);
		signal(SIGINT, pt_on_signal);
		signal(SIGABRT, pt_on_signal);
		TEST_FMT(cmd, "tests/pg/pg.sh start '%s' 2>&1 | tail -n 1",
			 pt_dir);
		p = popen(cmd, "r");
		CHECK(p);
		if (!fgets(pt_url, sizeof(pt_url), p))
			pt_url[0] = '\0';
		pclose(p);
		pt_url[strcspn(pt_url, "\n")] = '\0';
		if (strncmp(pt_url, "postgresql://", 13) != 0) {
			fprintf(stderr, "pg.sh start: %s\n", pt_url);
			exit(1);
		}
	}
	pt_hostport(pt_url, hp, sizeof(hp));
	TEST_FMT(pt_admin, "postgresql://postgres@%s/postgres", hp);
	return pt_url;
}

static inline PGconn *pt_connect(const char *url)
{
	PGconn *c = PQconnectdb(url);

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "%s: %s", url, PQerrorMessage(c));
		exit(1);
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	return c;
}

/* pt_exec - run @fmt (no rows wanted) on @c; fails the test on error. */
static inline void pt_exec(PGconn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void pt_exec(PGconn *c, const char *fmt, ...)
{
	char sql[2048];
	PGresult *r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
		exit(1);
	}
	PQclear(r);
}

/* pt_int - the integer answer of @fmt; NULL (or no row) is INT64_MIN. */
static inline int64_t pt_int(PGconn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int64_t pt_int(PGconn *c, const char *fmt, ...)
{
	char sql[2048];
	PGresult *r;
	int64_t v = INT64_MIN;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
		exit(1);
	}
	if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

/* pt_newdb - a fresh database @name owned by rawzone (dropped first if it
 * exists), with @opts added to CREATE DATABASE; its URL into @url.
 * Returns false when the server refuses (@opts it does not support). */
static inline bool pt_newdb(const char *name, const char *opts, char *url,
			    size_t size)
{
	PGconn *a = pt_connect(pt_admin);
	char sql[512], hp[256];
	PGresult *r;
	bool ok;

	pt_exec(a, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	TEST_FMT(sql, "CREATE DATABASE %s OWNER rawzone %s", name,
		 opts ? opts : "");
	r = PQexec(a, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "(%s: %s)", sql, PQerrorMessage(a));
	PQclear(r);
	PQfinish(a);
	pt_hostport(pt_url, hp, sizeof(hp));
	CHECK(snprintf(url, size, "postgresql://rawzone@%s/%s", hp, name) <
	      (int)size);
	return ok;
}

/* pt_schema_url - a fresh schema @name in database rawzone (dropped first
 * with what is in it) and the URL that makes it the current schema. */
static inline void pt_schema_url(const char *name, char *url, size_t size)
{
	PGconn *c = pt_connect(pt_url);

	pt_exec(c, "DROP SCHEMA IF EXISTS %s CASCADE", name);
	pt_exec(c, "CREATE SCHEMA %s", name);
	PQfinish(c);
	CHECK(snprintf(url, size, "%s?options=-csearch_path%%3D%s", pt_url,
		       name) < (int)size);
}

/* pt_wait_sessions_gone - wait (10 s at most, else fail) until no other
 * client session of role rawzone is left on the server: a session cut or
 * killed by a test may still be ending (committing) for a moment. */
static inline void pt_wait_sessions_gone(PGconn *c)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (pt_int(c, "SELECT count(*) FROM pg_stat_activity WHERE "
			      "usename = 'rawzone' AND backend_type = "
			      "'client backend' AND pid <> "
			      "pg_backend_pid()") == 0)
			return;
		usleep(50000);
	}
	fprintf(stderr, "a session of role rawzone did not end in 10 s\n");
	exit(1);
}

/* --- dumps ----------------------------------------------------------------- */

/* xt_dump_q of tests/transform/xf_test.h for PostgreSQL, in the same
 * order: byte order for text keys (COLLATE "C", SQLite's BINARY), so
 * pt_dump_pg and xt_dump_as(path, false) write the same text for the same
 * data. */
static const char *const pt_dump_q[] = {
	"SELECT * FROM order_events ORDER BY topic COLLATE \"C\", "
	"kafka_partition, kafka_offset",
	"SELECT * FROM orders ORDER BY order_id COLLATE \"C\"",
	"SELECT * FROM rawzone_quarantine ORDER BY topic COLLATE \"C\", "
	"kafka_partition, kafka_offset",
	"SELECT topic, kafka_partition, segment, position, outcomes, "
	"high_offset FROM rawzone_transform_checkpoint ORDER BY topic "
	"COLLATE \"C\", kafka_partition",
	"SELECT * FROM rawzone_schema ORDER BY component COLLATE \"C\"",
};

struct pt_buf {
	char *p;
	size_t len, cap;
};

static inline void pt_put(struct pt_buf *b, const char *s, size_t n)
{
	while (b->len + n + 1 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1 << 16;
		b->p = realloc(b->p, b->cap);
		CHECK(b->p);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* pt_dump_pg - the dump of the PostgreSQL database at @url. */
static inline char *pt_dump_pg(const char *url)
{
	PGconn *c = pt_connect(url);
	struct pt_buf b = {0};
	size_t i;

	pt_put(&b, "", 0);
	for (i = 0; i < sizeof(pt_dump_q) / sizeof(pt_dump_q[0]); i++) {
		PGresult *r = PQexec(c, pt_dump_q[i]);
		int row, col;

		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "%s: %s", pt_dump_q[i],
				PQerrorMessage(c));
			exit(1);
		}
		for (row = 0; row < PQntuples(r); row++) {
			for (col = 0; col < PQnfields(r); col++) {
				const char *t =
					PQgetisnull(r, row, col)
						? "NULL"
						: PQgetvalue(r, row, col);

				if (col)
					pt_put(&b, "|", 1);
				pt_put(&b, t, strlen(t));
			}
			pt_put(&b, "\n", 1);
		}
		PQclear(r);
		pt_put(&b, "--\n", 3);
	}
	PQfinish(c);
	return b.p;
}

/* --- capturing what a call reports ------------------------------------------ */

static int pt_saved_fd = -1;
static char pt_capture_path[PATH_MAX];

/* pt_capture_begin - stderr into a file until pt_capture_end. */
static inline void pt_capture_begin(const char *tmp)
{
	int fd;

	TEST_FMT(pt_capture_path, "%s/stderr.txt", tmp);
	fflush(stderr);
	pt_saved_fd = dup(2);
	fd = open(pt_capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(pt_saved_fd >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
}

/* pt_capture_end - stderr back; what was written, malloc'd (and echoed). */
static inline char *pt_capture_end(void)
{
	struct pt_buf b = {0};
	char line[4096];
	FILE *f;

	fflush(stderr);
	dup2(pt_saved_fd, 2);
	close(pt_saved_fd);
	pt_put(&b, "", 0);
	f = fopen(pt_capture_path, "r");
	CHECK(f);
	while (fgets(line, sizeof(line), f))
		pt_put(&b, line, strlen(line));
	fclose(f);
	fprintf(stderr, "%s", b.p);
	return b.p;
}

#endif

/* transform/sqlite.c - the SQLite sink.
 *
 * Statements bind text with SQLITE_STATIC: the caller keeps the bytes
 * until the step that uses them returns (sink.h), so nothing is copied on
 * the hot path. A bind that SQLite refuses (a bug: a parameter out of range,
 * a string over INT_MAX bytes) is kept in the statement and reported by the
 * next step.
 */
#include "transform/sqlite.h"

#include "common/diag.h"
#include "common/err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sq_stmt {
	sqlite3_stmt *st;
	sqlite3 *db;
	int bind_rc; /* the first failed bind since the last step */
	int bind_i;
};

static const char *db_file(sqlite3 *db)
{
	const char *f = sqlite3_db_filename(db, "main");

	return f && *f ? f : "(sqlite)";
}

static int sq_report(sqlite3 *db, const char *what, const char *sql)
{
	diag_err("%s: %s%s%.*s%s", db_file(db), what, sql ? " (in: " : "",
		 sql ? 120 : 0, sql ? sql : "", sql ? ")" : "");
	return -ERR_DB;
}

/* Create the database file 0600 unless it exists; warn about a file others
 * may read (the rows are the business's data). Returns 0 or -errno. */
static int prepare_file(const char *path)
{
	struct stat sb;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EEXIST) {
		int ret = -errno;

		diag_err("%s: cannot create the database: %s", path,
			 strerror(-ret));
		return ret;
	}
	if (stat(path, &sb) < 0) {
		int ret = -errno;

		diag_err("%s: %s", path, strerror(-ret));
		return ret;
	}
	if (!S_ISREG(sb.st_mode)) {
		diag_err("%s: not a regular file", path);
		return -EINVAL;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO))
		diag_warn("%s: mode %04o lets other users read the database "
			  "(chmod 600 it)",
			  path, (unsigned)(sb.st_mode & ALLPERMS));
	return 0;
}

static int sq_exec(void *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		int ret = sq_report(db, msg ? msg : sqlite3_errstr(rc), sql);

		sqlite3_free(msg);
		return ret;
	}
	return 0;
}

/* PRAGMA @sql, which answers one text value: it must be @want. */
static int pragma_expect(sqlite3 *db, const char *sql, const char *want)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_report(db, sqlite3_errmsg(db), sql);
	rc = sqlite3_step(st);
	v = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = sq_report(db, sqlite3_errmsg(db), sql);
	else if (!v || strcmp((const char *)v, want) != 0) {
		diag_err("%s: %s answered '%s', expected '%s'", db_file(db),
			 sql, v ? (const char *)v : "", want);
		ret = -ERR_DB;
	}
	sqlite3_finalize(st);
	return ret;
}

static int sq_open(const char *url, void **out)
{
	const char *target = url + strlen("sqlite:"); /* sink.c matched it */
	sqlite3 *db = NULL;
	char pragmas[256];
	int rc, ret;

	*out = NULL;
	if (target[0] == '\0') {
		diag_err("[transform] sink = sqlite: names no file "
			 "(expected sqlite:PATH)");
		return -ERR_CONFIG;
	}
	/* No memory statistics: they take a global mutex on every
	 * allocation. Refused (harmlessly) once SQLite is initialized. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	ret = prepare_file(target);
	if (ret < 0)
		return ret;
	rc = sqlite3_open_v2(target, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		diag_err("%s: cannot open the database: %s", target,
			 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -ERR_DB;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, XF_SQLITE_BUSY_MS);
	/* WAL first: the only journal mode that lets readers run beside the
	 * writer; synchronous=NORMAL (sqlite.h says why that is enough). */
	/* A new database gets larger pages: fewer b-tree levels and splits
	 * for the append-mostly event tables (measured: +10% rows/s). A
	 * no-op once the database has a table. */
	snprintf(pragmas, sizeof(pragmas), "PRAGMA page_size=%d",
		 XF_SQLITE_PAGE_SIZE);
	ret = sq_exec(db, pragmas);
	if (ret < 0)
		goto out_close;
	ret = pragma_expect(db, "PRAGMA journal_mode=WAL", "wal");
	if (ret < 0)
		goto out_close;
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; "
		 "PRAGMA cache_size=-%d; PRAGMA foreign_keys=OFF",
		 XF_SQLITE_CACHE_KIB);
	ret = sq_exec(db, pragmas);
	if (ret < 0)
		goto out_close;
	ret = pragma_expect(db, "PRAGMA synchronous", "1");
	if (ret < 0)
		goto out_close;
	*out = db;
	return 0;

out_close:
	sqlite3_close(db);
	return ret;
}

static void sq_close(void *db)
{
	if (db && sqlite3_close(db) != SQLITE_OK)
		diag_warn("%s: close: %s (statements left open: a bug)",
			  db_file(db), sqlite3_errmsg(db));
}

static int sq_begin(void *db)
{
	return sq_exec(db, "BEGIN IMMEDIATE");
}

static int sq_commit(void *db)
{
	return sq_exec(db, "COMMIT");
}

static int sq_rollback(void *db)
{
	if (sqlite3_get_autocommit(db))
		return 0; /* nothing open (SQLite may have rolled back) */
	return sq_exec(db, "ROLLBACK");
}

static void sq_interrupt(void *db)
{
	sqlite3_interrupt(db);
}

static int sq_prepare(void *db, const char *sql, void **out)
{
	struct sq_stmt *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st,
				NULL);
	if (rc != SQLITE_OK) {
		free(s);
		return sq_report(db, sqlite3_errmsg(db), sql);
	}
	s->db = db;
	*out = s;
	return 0;
}

static void sq_finalize(void *stmt)
{
	struct sq_stmt *s = stmt;

	if (!s)
		return;
	sqlite3_finalize(s->st);
	free(s);
}

static void bind_rc(struct sq_stmt *s, int i, int rc)
{
	if (rc != SQLITE_OK && s->bind_rc == SQLITE_OK) {
		s->bind_rc = rc;
		s->bind_i = i;
	}
}

static void sq_bind_int64(void *stmt, int i, int64_t v)
{
	struct sq_stmt *s = stmt;

	bind_rc(s, i, sqlite3_bind_int64(s->st, i, v));
}

static void sq_bind_text(void *stmt, int i, const char *str, size_t len)
{
	struct sq_stmt *s = stmt;

	/* A NULL pointer would bind SQL NULL, not an empty string. */
	bind_rc(s, i,
		len > INT_MAX ? SQLITE_TOOBIG
			      : sqlite3_bind_text(s->st, i, str ? str : "",
						  (int)len, SQLITE_STATIC));
}

static void sq_bind_null(void *stmt, int i)
{
	struct sq_stmt *s = stmt;

	bind_rc(s, i, sqlite3_bind_null(s->st, i));
}

static int sq_step(void *stmt)
{
	struct sq_stmt *s = stmt;
	int rc;

	if (s->bind_rc != SQLITE_OK) {
		char what[96];

		snprintf(what, sizeof(what), "binding parameter %d: %s",
			 s->bind_i, sqlite3_errstr(s->bind_rc));
		s->bind_rc = SQLITE_OK;
		sqlite3_reset(s->st);
		return sq_report(s->db, what, sqlite3_sql(s->st));
	}
	rc = sqlite3_step(s->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s->st);
		return 0;
	}
	sqlite3_reset(s->st);
	return sq_report(s->db, sqlite3_errmsg(s->db), sqlite3_sql(s->st));
}

static void sq_reset(void *stmt)
{
	struct sq_stmt *s = stmt;

	s->bind_rc = SQLITE_OK;
	sqlite3_reset(s->st);
}

static int64_t sq_col_int64(void *stmt, int col)
{
	return sqlite3_column_int64(((struct sq_stmt *)stmt)->st, col);
}

static const char *sq_col_text(void *stmt, int col, size_t *len)
{
	sqlite3_stmt *st = ((struct sq_stmt *)stmt)->st;
	const char *t = (const char *)sqlite3_column_text(st, col);

	*len = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
	return t ? t : "";
}

static bool sq_col_null(void *stmt, int col)
{
	return sqlite3_column_type(((struct sq_stmt *)stmt)->st, col) ==
	       SQLITE_NULL;
}

static int sq_table_exists(void *db, const char *table)
{
	void *st = NULL;
	int ret;

	ret = sq_prepare(db,
			 "SELECT 1 FROM sqlite_master "
			 "WHERE type = 'table' AND name = ?",
			 &st);
	if (ret < 0)
		return ret;
	sq_bind_text(st, 1, table, strlen(table));
	ret = sq_step(st);
	sq_finalize(st);
	return ret;
}

const struct xf_sink_ops xf_sqlite_ops = {
	.scheme = "sqlite",
	.dialect = {.int64 = "INTEGER",
		    .keyed = " WITHOUT ROWID",
		    .text = "TEXT"},
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.interrupt = sq_interrupt,
	.table_exists = sq_table_exists,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.bind_int64 = sq_bind_int64,
	.bind_text = sq_bind_text,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.reset = sq_reset,
	.col_int64 = sq_col_int64,
	.col_text = sq_col_text,
	.col_null = sq_col_null,
};

/* transform/postgres.c - the PostgreSQL sink (see postgres.h).
 *
 * A statement is prepared under its own name (rz1, rz2, ...) and described
 * at once: the parameter types decide how each bind is sent, and whether
 * it has result columns decides whether a step may be queued. Bound values
 * are pointers into the caller's memory (sink.h: valid until the step that
 * uses it returns) or into the statement's own small buffers; libpq copies
 * them into its output buffer while the step sends, so a queued statement
 * holds nothing of the caller's.
 *
 * The queue (pipeline mode) exists only inside a transaction and only
 * while no-row statements follow each other: any other call first syncs
 * it (PQpipelineSync, read every result, leave pipeline mode), so the
 * rest of the file speaks plain synchronous libpq. The queue is bounded
 * because the connection is blocking: the server's answers to queued
 * statements wait in socket buffers until read, and a client that only
 * writes while the server can only write would wait forever.
 *
 * Results are read in text form: reads are rare (checkpoints at start,
 * the rare paths of a replay), and text needs no type knowledge.
 */
#include "transform/postgres.h"

#include "common/diag.h"
#include "common/err.h"
#include "common/url.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <postgresql/libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Type OIDs of the parameters sent in binary (fixed since PostgreSQL 7;
 * catalog/pg_type_d.h is a server header). */
#define PG_INT8 20
#define PG_INT2 21
#define PG_INT4 23
#define PG_TEXT 25
#define PG_BPCHAR 1042
#define PG_VARCHAR 1043

struct pg_stmt;

struct pg_db {
	PGconn *conn;
	char name[512];	 /* the URL without secrets, for messages */
	unsigned nnames; /* statement names given */
	bool in_tx;
	long commits;	     /* COMMITs sent */
	long drop_at_commit; /* RAWZONE_PG_DROP_AT_COMMIT, 0 unset */
	struct pg_stmt *queued[XF_PG_MAX_QUEUED]; /* in flight, in order */
	int nqueued;
};

struct pg_stmt {
	struct pg_db *db;
	char name[16];
	char *sql; /* as given, for messages */
	int nparams;
	Oid *types;
	const char **values; /* NULL: SQL NULL */
	int *lengths;
	int *formats;
	char (*num)[24]; /* per parameter: an integer's bytes */
	char **owned;	 /* per parameter: text copied to send as text */
	bool rows;	 /* has result columns */
	int bind_i;	 /* the first failed bind since the last step, 0 none */
	const char *bind_what;
	PGresult *res; /* the rows of the query being stepped */
	int row, nrows;
};

/* --- messages ------------------------------------------------------------ */

/* @msg on one line (libpq's end with a newline, some have several). */
static const char *trim(const char *msg, char *buf, size_t size)
{
	size_t n = 0;
	bool space = false;

	for (; msg && *msg && n + 1 < size; msg++) {
		if (*msg == '\n' || *msg == '\t' || *msg == ' ') {
			space = n > 0;
			continue;
		}
		if (space && n + 2 < size)
			buf[n++] = ' ';
		space = false;
		buf[n++] = *msg;
	}
	buf[n] = '\0';
	return buf;
}

/* Report the error of @res (NULL: the connection's) with @what and @sql
 * (either may be NULL). Returns -ERR_DB. */
static int report(struct pg_db *db, const PGresult *res, const char *what,
		  const char *sql)
{
	const char *state =
		res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg =
		res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail =
		res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	char m[512], d[512], q[256];
	bool lost = PQstatus(db->conn) == CONNECTION_BAD;

	if (!msg)
		msg = res && *PQresultErrorMessage(res)
			      ? PQresultErrorMessage(res)
			      : PQerrorMessage(db->conn);
	diag_err("%s: %s%s%s (SQLSTATE %s)%s%s%s%s%s%s", db->name,
		 what ? what : "", what ? ": " : "", trim(msg, m, sizeof(m)),
		 state ? state : "none", detail ? "; " : "",
		 detail ? trim(detail, d, sizeof(d)) : "",
		 lost ? "; the connection to the server is lost" : "",
		 sql ? " (in: " : "", sql ? trim(sql, q, 160) : "",
		 sql ? ")" : "");
	return -ERR_DB;
}

/* 0 if @res (cleared here) has status @want, else the error reported. */
static int check(struct pg_db *db, PGresult *res, ExecStatusType want,
		 const char *what, const char *sql)
{
	int ret = 0;

	if (!res || PQresultStatus(res) != want)
		ret = report(db, res, what, sql);
	PQclear(res);
	return ret;
}

static void on_notice(void *arg, const char *msg)
{
	char m[512];

	diag_warn("%s: %s", (const char *)arg, trim(msg, m, sizeof(m)));
}

/* --- the queue --------------------------------------------------------------- */

/* Read the results of every queued statement and leave pipeline mode.
 * Returns 0, or the first error (reported with its statement). */
static int sync_queue(struct pg_db *db)
{
	PGconn *conn = db->conn;
	PGresult *res;
	int ret = 0, i = 0, nulls = 0;

	if (PQpipelineStatus(conn) == PQ_PIPELINE_OFF)
		return 0;
	if (!PQpipelineSync(conn)) {
		ret = report(db, NULL, "sending queued statements", NULL);
		goto out;
	}
	/* Per statement its result, then NULL; at the end the sync's. After
	 * a failure the server skips to the sync: PGRES_PIPELINE_ABORTED. */
	for (;;) {
		res = PQgetResult(conn);
		if (!res) {
			if (PQstatus(conn) == CONNECTION_BAD ||
			    ++nulls > db->nqueued + 1) {
				if (ret == 0)
					ret = report(db, NULL,
						     "reading the results of "
						     "queued statements",
						     NULL);
				goto out;
			}
			i++;
			continue;
		}
		switch (PQresultStatus(res)) {
		case PGRES_PIPELINE_SYNC:
			PQclear(res);
			goto out;
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
		case PGRES_PIPELINE_ABORTED:
			break;
		default:
			if (ret == 0)
				ret = report(db, res, NULL,
					     i < db->nqueued
						     ? db->queued[i]->sql
						     : NULL);
			break;
		}
		PQclear(res);
	}
out:
	db->nqueued = 0;
	if (PQstatus(conn) != CONNECTION_BAD && !PQexitPipelineMode(conn) &&
	    ret == 0)
		ret = report(db, NULL, "leaving pipeline mode", NULL);
	return ret;
}

/* --- the connection ---------------------------------------------------------- */

static int pg_open_url(const char *url, void **out)
{
	/* Keywords before dbname are defaults the URL may override; those
	 * after it are not (libpq processes them in order). Without a
	 * connect_timeout a server that accepts and never answers holds the
	 * start (and its SIGTERM) for good. */
	const char *const keys[] = {
		"keepalives_idle",  "keepalives_interval",
		"keepalives_count", "connect_timeout",
		"dbname",	    "fallback_application_name",
		"client_encoding",  NULL};
	const char *const vals[] = {
		XF_PG_KEEPALIVE_S,   "10",   "3", XF_PG_CONNECT_TIMEOUT_S, url,
		"rawzone-transform", "UTF8", NULL};
	struct pg_db *db;
	char m[512];
	const char *env;
	int ret;

	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	env = getenv("RAWZONE_PG_DROP_AT_COMMIT");
	db->drop_at_commit = env ? strtol(env, NULL, 10) : 0;
	url_redact(url, db->name, sizeof(db->name));
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (!db->conn) {
		free(db);
		return -ENOMEM;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		diag_err("%s ([transform] sink): cannot connect: %s", db->name,
			 trim(PQerrorMessage(db->conn), m, sizeof(m)));
		ret = -ERR_DB;
		goto out_finish;
	}
	if (PQserverVersion(db->conn) < 90500) {
		diag_err("%s: PostgreSQL %d.%d is too old (INSERT ... ON "
			 "CONFLICT needs 9.5 or newer)",
			 db->name, PQserverVersion(db->conn) / 10000,
			 PQserverVersion(db->conn) / 100 % 100);
		ret = -ERR_CONFIG;
		goto out_finish;
	}
	PQsetNoticeProcessor(db->conn, on_notice, db->name);
	/* CREATE ... IF NOT EXISTS says NOTICE when it exists: not news. */
	ret = check(db, PQexec(db->conn, "SET client_min_messages = warning"),
		    PGRES_COMMAND_OK, NULL, "SET client_min_messages");
	if (ret < 0)
		goto out_finish;
	*out = db;
	return 0;

out_finish:
	PQfinish(db->conn);
	free(db);
	return ret;
}

static void pg_close(void *vdb)
{
	struct pg_db *db = vdb;

	if (!db)
		return;
	PQfinish(db->conn); /* an open transaction rolls back */
	free(db);
}

static int pg_exec(void *vdb, const char *sql)
{
	struct pg_db *db = vdb;
	int ret = sync_queue(db);

	if (ret < 0)
		return ret;
	return check(db, PQexec(db->conn, sql), PGRES_COMMAND_OK, NULL, sql);
}

static int pg_begin(void *vdb)
{
	struct pg_db *db = vdb;
	int ret = pg_exec(db, "BEGIN");

	if (ret == 0)
		db->in_tx = true;
	return ret;
}

/* Shutting the socket down wakes the thread blocked in libpq on it, and
 * fails its call: the server sees the connection end and rolls back
 * whatever it had not committed. */
static void pg_interrupt(void *vdb)
{
	struct pg_db *db = vdb;
	int fd = PQsocket(db->conn);

	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

/* Cut the connection after COMMIT was sent (the test hook). */
static void maybe_drop(struct pg_db *db)
{
	if (db->drop_at_commit <= 0 || db->commits != db->drop_at_commit)
		return;
	diag_warn("%s: RAWZONE_PG_DROP_AT_COMMIT=%ld: shutting the "
		  "connection down after sending COMMIT",
		  db->name, db->drop_at_commit);
	pg_interrupt(db);
}

static int pg_commit(void *vdb)
{
	struct pg_db *db = vdb;
	PGresult *res, *last = NULL;
	bool sent, ok;
	int ret;

	ret = sync_queue(db);
	if (ret < 0)
		return ret; /* the server has aborted the transaction */
	db->commits++;
	sent = PQsendQuery(db->conn, "COMMIT");
	if (sent)
		maybe_drop(db);
	while (sent && (res = PQgetResult(db->conn))) {
		PQclear(last);
		last = res;
	}
	ok = last && PQresultStatus(last) == PGRES_COMMAND_OK;
	if (ok && strcmp(PQcmdStatus(last), "COMMIT") != 0) {
		/* COMMIT of a transaction an error aborted answers
		 * ROLLBACK. */
		diag_err("%s: COMMIT answered %s: the transaction was rolled "
			 "back",
			 db->name, PQcmdStatus(last));
		ret = -ERR_DB;
	} else if (!ok && PQstatus(db->conn) == CONNECTION_BAD) {
		char m[512];

		/* The ambiguous commit: the server may have committed. */
		diag_err("%s: the connection was lost with COMMIT in flight "
			 "(%s): the batch may or may not be committed. Not "
			 "guessing: stopping, and the restart reads the "
			 "checkpoint back from the database, which has it "
			 "exactly when it has the batch's rows",
			 db->name,
			 trim(last ? PQresultErrorMessage(last)
				   : PQerrorMessage(db->conn),
			      m, sizeof(m)));
		ret = -ERR_DB;
	} else if (!ok) {
		ret = report(db, last, "COMMIT", NULL);
	}
	PQclear(last);
	db->in_tx = false;
	return ret;
}

static int pg_rollback(void *vdb)
{
	struct pg_db *db = vdb;

	if (!db->in_tx)
		return 0;
	db->in_tx = false;
	if (PQstatus(db->conn) == CONNECTION_BAD)
		return 0; /* the server rolls back what it had */
	sync_queue(db);	  /* its error was reported, or will not matter */
	return check(db, PQexec(db->conn, "ROLLBACK"), PGRES_COMMAND_OK, NULL,
		     "ROLLBACK");
}

static int pg_table_exists(void *vdb, const char *table)
{
	struct pg_db *db = vdb;
	const char *const sql =
		"SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = "
		"current_schema() AND tablename = $1";
	PGresult *res;
	int ret = sync_queue(db);

	if (ret < 0)
		return ret;
	res = PQexecParams(db->conn, sql, 1, NULL, &table, NULL, NULL, 0);
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		ret = report(db, res, NULL, sql);
		PQclear(res);
		return ret;
	}
	ret = PQntuples(res) > 0;
	PQclear(res);
	return ret;
}

/* --- statements ---------------------------------------------------------- */

/* @sql with each '?' outside quotes and comments numbered $1, $2, ...,
 * malloc'd; *n the count. NULL without memory. */
static char *renumber(const char *sql, int *n)
{
	size_t len = strlen(sql), q = 0, i;
	char *out, *p;
	char quote = 0;

	for (i = 0; i < len; i++)
		q += sql[i] == '?';
	out = malloc(len + q * 6 + 1);
	if (!out)
		return NULL;
	*n = 0;
	for (i = 0, p = out; i < len; i++) {
		char c = sql[i];

		if (quote) {
			if (c == quote)
				quote = 0;
			*p++ = c;
		} else if (c == '\'' || c == '"') {
			quote = c;
			*p++ = c;
		} else if (c == '-' && sql[i + 1] == '-') {
			size_t e = i + strcspn(sql + i, "\n");

			memcpy(p, sql + i, e - i);
			p += e - i;
			i = e - 1;
		} else if (c == '?') {
			p += sprintf(p, "$%d", ++*n);
		} else {
			*p++ = c;
		}
	}
	*p = '\0';
	return out;
}

static void pg_finalize(void *vst)
{
	struct pg_stmt *st = vst;
	int i;

	if (!st)
		return;
	PQclear(st->res);
	/* The server forgets the statement with the session anyway; when the
	 * session goes on, forget it now (never inside a transaction, which
	 * could be an aborted one). */
	if (st->name[0] && !st->db->in_tx &&
	    PQstatus(st->db->conn) == CONNECTION_OK &&
	    PQpipelineStatus(st->db->conn) == PQ_PIPELINE_OFF) {
		char sql[32];

		snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
		PQclear(PQexec(st->db->conn, sql));
	}
	for (i = 0; st->owned && i < st->nparams; i++)
		free(st->owned[i]);
	free(st->owned);
	free(st->num);
	free(st->formats);
	free(st->lengths);
	free(st->values);
	free(st->types);
	free(st->sql);
	free(st);
}

static int pg_prepare(void *vdb, const char *sql, void **out)
{
	struct pg_db *db = vdb;
	struct pg_stmt *st;
	PGresult *desc = NULL;
	char *num = NULL;
	int ret, n = 0, i;

	*out = NULL;
	ret = sync_queue(db);
	if (ret < 0)
		return ret;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->db = db;
	st->sql = strdup(sql);
	num = renumber(sql, &n);
	if (!st->sql || !num) {
		ret = -ENOMEM;
		goto out_free;
	}
	snprintf(st->name, sizeof(st->name), "rz%u", ++db->nnames);
	ret = check(db, PQprepare(db->conn, st->name, num, 0, NULL),
		    PGRES_COMMAND_OK, NULL, sql);
	if (ret < 0) {
		st->name[0] = '\0'; /* nothing to deallocate */
		goto out_free;
	}
	desc = PQdescribePrepared(db->conn, st->name);
	if (!desc || PQresultStatus(desc) != PGRES_COMMAND_OK) {
		ret = report(db, desc, "describing a prepared statement", sql);
		goto out_free;
	}
	st->nparams = PQnparams(desc);
	st->rows = PQnfields(desc) > 0;
	if (st->nparams != n) {
		diag_err("%s: %d parameters counted, %d described (in: %.160s)",
			 db->name, n, st->nparams, sql);
		ret = -ERR_DB;
		goto out_free;
	}
	if (n) {
		st->types = calloc((size_t)n, sizeof(*st->types));
		st->values = calloc((size_t)n, sizeof(*st->values));
		st->lengths = calloc((size_t)n, sizeof(*st->lengths));
		st->formats = calloc((size_t)n, sizeof(*st->formats));
		st->num = calloc((size_t)n, sizeof(*st->num));
		st->owned = calloc((size_t)n, sizeof(*st->owned));
		if (!st->types || !st->values || !st->lengths || !st->formats ||
		    !st->num || !st->owned) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	for (i = 0; i < n; i++)
		st->types[i] = PQparamtype(desc, i);
	PQclear(desc);
	free(num);
	*out = st;
	return 0;

out_free:
	PQclear(desc);
	free(num);
	pg_finalize(st);
	return ret;
}

/* Keep the first failed bind for the next step to report. */
static void bind_fail(struct pg_stmt *st, int i, const char *what)
{
	if (!st->bind_i) {
		st->bind_i = i;
		st->bind_what = what;
	}
}

/* Parameter @i (from 1) as an index, or -1 after keeping the failure. */
static int param(struct pg_stmt *st, int i)
{
	if (i >= 1 && i <= st->nparams)
		return i - 1;
	bind_fail(st, i, "no such parameter");
	return -1;
}

static void disown(struct pg_stmt *st, int k)
{
	free(st->owned[k]);
	st->owned[k] = NULL;
}

static void pg_bind_int64(void *vst, int i, int64_t v)
{
	struct pg_stmt *st = vst;
	int k = param(st, i);
	char *b;

	if (k < 0)
		return;
	disown(st, k);
	b = st->num[k];
	st->values[k] = b;
	st->formats[k] = 1;
	switch (st->types[k]) {
	case PG_INT8: {
		uint64_t be = htobe64((uint64_t)v);

		memcpy(b, &be, 8);
		st->lengths[k] = 8;
		return;
	}
	case PG_INT4:
		if (v >= INT32_MIN && v <= INT32_MAX) {
			uint32_t be = htobe32((uint32_t)(int32_t)v);

			memcpy(b, &be, 4);
			st->lengths[k] = 4;
			return;
		}
		break;
	case PG_INT2:
		if (v >= INT16_MIN && v <= INT16_MAX) {
			uint16_t be = htobe16((uint16_t)(int16_t)v);

			memcpy(b, &be, 2);
			st->lengths[k] = 2;
			return;
		}
		break;
	}
	/* Another type (or out of its range: the server says so): text. */
	snprintf(b, sizeof(st->num[k]), "%" PRId64, v);
	st->formats[k] = 0;
}

static void pg_bind_text(void *vst, int i, const char *s, size_t len)
{
	struct pg_stmt *st = vst;
	int k = param(st, i);

	if (k < 0)
		return;
	disown(st, k);
	if (!s)
		s = ""; /* (then len is 0) */
	if (len > INT_MAX) {
		bind_fail(st, i, "text longer than 2 GiB");
		return;
	}
	switch (st->types[k]) {
	case PG_TEXT:
	case PG_VARCHAR:
	case PG_BPCHAR:
		/* The binary form of text is its bytes: no copy. */
		st->values[k] = s;
		st->lengths[k] = (int)len;
		st->formats[k] = 1;
		return;
	}
	/* Another type: text form, which must end in a NUL. */
	if (memchr(s, '\0', len)) {
		bind_fail(st, i, "a NUL byte in text for a non-text parameter");
		return;
	}
	st->owned[k] = malloc(len + 1);
	if (!st->owned[k]) {
		bind_fail(st, i, "out of memory");
		st->values[k] = NULL;
		return;
	}
	memcpy(st->owned[k], s, len);
	st->owned[k][len] = '\0';
	st->values[k] = st->owned[k];
	st->formats[k] = 0;
}

static void pg_bind_null(void *vst, int i)
{
	struct pg_stmt *st = vst;
	int k = param(st, i);

	if (k < 0)
		return;
	disown(st, k);
	st->values[k] = NULL;
}

/* Queue @st (a no-row statement, inside a transaction). */
static int enqueue(struct pg_stmt *st)
{
	struct pg_db *db = st->db;
	int ret;

	if (db->nqueued == XF_PG_MAX_QUEUED) {
		ret = sync_queue(db);
		if (ret < 0)
			return ret;
	}
	if (PQpipelineStatus(db->conn) == PQ_PIPELINE_OFF &&
	    !PQenterPipelineMode(db->conn))
		return report(db, NULL, "entering pipeline mode", NULL);
	if (!PQsendQueryPrepared(db->conn, st->name, st->nparams, st->values,
				 st->lengths, st->formats, 0))
		return report(db, NULL, NULL, st->sql);
	db->queued[db->nqueued++] = st;
	return 0;
}

static int pg_step(void *vst)
{
	struct pg_stmt *st = vst;
	struct pg_db *db = st->db;
	PGresult *res;
	int ret;

	if (st->bind_i) {
		char what[96], q[160];

		snprintf(what, sizeof(what), "binding parameter %d: %s",
			 st->bind_i, st->bind_what);
		st->bind_i = 0;
		PQclear(st->res);
		st->res = NULL;
		diag_err("%s: %s (in: %s)", db->name, what,
			 trim(st->sql, q, sizeof(q)));
		return -ERR_DB;
	}
	if (st->res) {
		if (++st->row < st->nrows)
			return 1;
		PQclear(st->res);
		st->res = NULL;
		return 0;
	}
	if (!st->rows && db->in_tx)
		return enqueue(st);
	ret = sync_queue(db);
	if (ret < 0)
		return ret;
	res = PQexecPrepared(db->conn, st->name, st->nparams, st->values,
			     st->lengths, st->formats, 0);
	if (!res || (PQresultStatus(res) != PGRES_TUPLES_OK &&
		     PQresultStatus(res) != PGRES_COMMAND_OK)) {
		ret = report(db, res, NULL, st->sql);
		PQclear(res);
		return ret;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	st->res = res;
	st->row = 0;
	st->nrows = PQntuples(res);
	return 1;
}

static void pg_reset(void *vst)
{
	struct pg_stmt *st = vst;

	st->bind_i = 0;
	PQclear(st->res);
	st->res = NULL;
}

static int64_t pg_col_int64(void *vst, int col)
{
	struct pg_stmt *st = vst;

	if (!st->res || PQgetisnull(st->res, st->row, col))
		return 0;
	return strtoll(PQgetvalue(st->res, st->row, col), NULL, 10);
}

static const char *pg_col_text(void *vst, int col, size_t *len)
{
	struct pg_stmt *st = vst;

	if (!st->res) {
		*len = 0;
		return "";
	}
	*len = (size_t)PQgetlength(st->res, st->row, col);
	return PQgetvalue(st->res, st->row, col); /* "" for NULL */
}

static bool pg_col_null(void *vst, int col)
{
	struct pg_stmt *st = vst;

	return !st->res || PQgetisnull(st->res, st->row, col);
}

#define PG_OPS(scheme_, open_)                                                 \
	{                                                                      \
		.scheme = scheme_,                                             \
		.dialect = {.int64 = "BIGINT",                                 \
			    .text = "TEXT COLLATE \"C\"",                      \
			    .keyed = ""},                                      \
		.open = open_, .close = pg_close, .exec = pg_exec,             \
		.begin = pg_begin, .commit = pg_commit,                        \
		.rollback = pg_rollback, .interrupt = pg_interrupt,            \
		.table_exists = pg_table_exists, .prepare = pg_prepare,        \
		.finalize = pg_finalize, .bind_int64 = pg_bind_int64,          \
		.bind_text = pg_bind_text, .bind_null = pg_bind_null,          \
		.step = pg_step, .reset = pg_reset, .col_int64 = pg_col_int64, \
		.col_text = pg_col_text, .col_null = pg_col_null,              \
	}

/* libpq reads both schemes itself. */
const struct xf_sink_ops xf_pg_ops = PG_OPS("postgresql", pg_open_url);
const struct xf_sink_ops xf_pg_alias_ops = PG_OPS("postgres", pg_open_url);

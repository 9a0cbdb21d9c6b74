/* transform/sink.h - the database boundary: a connection, its transactions,
 * prepared statements, and the little that differs between databases.
 *
 * Transforms and the transform core speak one portable subset of SQL
 * through this interface, so a new transform never touches a sink and a new
 * sink never touches a transform:
 *   - parameters are '?', numbered from 1 in order of appearance;
 *   - upserts are INSERT ... ON CONFLICT (key) DO UPDATE SET c = excluded.c
 *     [WHERE ...], comparisons may use row values (a, b) >= (c, d);
 *   - 64-bit integer columns use the dialect's int64 type name, text
 *     columns that are compared or sorted its text type name (byte order),
 *     and tables keyed by a primary key may add the dialect's keyed suffix
 *     (" WITHOUT ROWID" in SQLite: the table is its primary-key b-tree).
 * A sink implements struct xf_sink_ops and is chosen by the scheme of
 * [transform] sink: "sqlite:PATH" (transform/sqlite.c) or
 * "postgresql://..." (transform/postgres.c: prepare maps to PQprepare with
 * '?' renumbered to $n, and xf_stmt_exec of statements that return no rows
 * may be queued in libpq's pipeline mode and checked at commit, which is
 * why an exec's error may surface only at xf_sink_commit()).
 *
 * Errors: every function that can fail reports the database's message
 * (naming the sink and the statement) and returns -ERR_DB, or -errno.
 * Binding never fails by itself: a failed bind is kept in the statement
 * and returned by the next exec or step. After any error inside a
 * transaction the caller rolls back (or exits: an open transaction is
 * rolled back by the database when the process dies).
 *
 * One connection, one thread (but xf_sink_interrupt()).
 */
#ifndef RZ_TRANSFORM_SINK_H
#define RZ_TRANSFORM_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xf_sink;
struct xf_stmt;

/* What a transform's DDL needs to know about the database. */
struct xf_dialect {
	const char *int64; /* type name of 64-bit integer columns */
	const char *keyed; /* suffix of a CREATE TABLE with a primary key */
	/* type of text columns that are compared or sorted (keys, and what
	 * a conditional upsert compares): byte order, as the transforms
	 * compare in C, whatever the database's default collation */
	const char *text;
};

/* The implementation of one kind of database. @db and @stmt are the
 * sink's own handles. step returns 1 with a row, 0 when done (the
 * statement is then reset), or -ERR_DB after reporting. */
struct xf_sink_ops {
	const char *scheme; /* "sqlite" in "sqlite:PATH" */
	struct xf_dialect dialect;
	int (*open)(const char *url, void **db); /* the whole sink URL */
	void (*close)(void *db);
	int (*exec)(void *db, const char *sql);
	int (*begin)(void *db);
	int (*commit)(void *db);
	int (*rollback)(void *db);
	/* From any thread: make the call in progress on @db, and those
	 * after it, fail soon (the connection is of no more use). */
	void (*interrupt)(void *db);
	int (*table_exists)(void *db, const char *table);
	int (*prepare)(void *db, const char *sql, void **stmt);
	void (*finalize)(void *stmt);
	void (*bind_int64)(void *stmt, int i, int64_t v);
	void (*bind_text)(void *stmt, int i, const char *s, size_t len);
	void (*bind_null)(void *stmt, int i);
	int (*step)(void *stmt);
	void (*reset)(void *stmt);
	int64_t (*col_int64)(void *stmt, int col);
	const char *(*col_text)(void *stmt, int col, size_t *len);
	bool (*col_null)(void *stmt, int col);
};

/* xf_sink_url - the sink URL of [transform] @url: @url itself, or when it
 * is empty "sqlite:<@data_dir>/rawzone.db". A relative sqlite path is
 * taken as given (from the working directory), as the rawzone CLI takes
 * it. Written into @buf; returns 0 or -ENAMETOOLONG. */
int xf_sink_url(char *buf, size_t size, const char *url, const char *data_dir);

/* xf_sink_open - connect to @url. An unknown scheme is -ERR_CONFIG (after
 * a message naming the schemes built in). Returns 0 or an error; on error
 * *out is NULL. */
int xf_sink_open(const char *url, struct xf_sink **out);

/* xf_sink_close - close the connection (an open transaction rolls back).
 * Every statement of @s must be freed first. NULL is accepted. */
void xf_sink_close(struct xf_sink *s);

/* xf_sink_name - the URL without its password, for messages. */
const char *xf_sink_name(const struct xf_sink *s);

const struct xf_dialect *xf_sink_dialect(const struct xf_sink *s);

/* xf_sink_exec - run @sql (one or more statements, no parameters, rows
 * ignored): DDL. */
int xf_sink_exec(struct xf_sink *s, const char *sql);

/* Transactions: one at a time, not nested. */
int xf_sink_begin(struct xf_sink *s);
int xf_sink_commit(struct xf_sink *s);
int xf_sink_rollback(struct xf_sink *s);
/* xf_sink_interrupt - from another thread than the one using @s: make the
 * database call in progress fail soon, and every later one; the open
 * transaction is not committed (unless COMMIT had already reached the
 * database). For a stop that a database which does not answer holds. */
void xf_sink_interrupt(struct xf_sink *s);

/* xf_sink_table_exists - 1 if table @table exists, 0 if not, or an
 * error. */
int xf_sink_table_exists(struct xf_sink *s, const char *table);

/* xf_sink_schema - make the tables of @component (a transform, or
 * "rawzone" for the core's) exist at @version, inside one transaction:
 * - rawzone_schema(component, version) records the version of each;
 * - a component recorded at @version: every one of @tables must exist
 *   (a table missing from a database that says it has it is refused);
 * - a component recorded at another version is refused;
 * - a component not recorded: if none of @tables exists, each of @ddl
 *   (NULL-terminated) is run and the version recorded; if some exists, it
 *   was not made by rawzone-transform, and is refused.
 * Refusals are reported (naming the database, component and versions) and
 * return -ERR_FORMAT; nothing is changed then. */
int xf_sink_schema(struct xf_sink *s, const char *component, int64_t version,
		   const char *const *tables, const char *const *ddl);

/* xf_stmt_prepare - prepare @sql for repeated use. Returns 0 or an
 * error; on error *out is NULL. */
int xf_stmt_prepare(struct xf_sink *s, const char *sql, struct xf_stmt **out);

/* xf_stmt_prepare_insert - prepare "INSERT INTO @table (@cols) VALUES
 * (?, ...) x @rows @tail": @ncols parameters per row, @rows rows in one
 * statement (the transforms' multi-row inserts), @tail ("" or an ON
 * CONFLICT clause) appended. */
int xf_stmt_prepare_insert(struct xf_sink *s, const char *table,
			   const char *cols, int ncols, int rows,
			   const char *tail, struct xf_stmt **out);

/* Rows written with as few statements as the sizes allow: one INSERT
 * of XF_ROWS_CHUNK rows while there are that many, then of XF_ROWS_TAIL,
 * then single rows (SQLite runs a multi-row INSERT about twice as fast as
 * as many single ones). */
#define XF_ROWS_CHUNK 128
#define XF_ROWS_TAIL 16

struct xf_rows {
	struct xf_stmt *s[3]; /* XF_ROWS_CHUNK, XF_ROWS_TAIL, 1 rows */
	int ncols;
};

/* xf_rows_prepare - the three INSERTs into @table (@ncols columns @cols,
 * @tail appended to each, as xf_stmt_prepare_insert). */
int xf_rows_prepare(struct xf_sink *s, const char *table, const char *cols,
		    int ncols, const char *tail, struct xf_rows *out);
void xf_rows_free(struct xf_rows *r);

/* xf_rows_write - write @n rows: @bind(@ctx, stmt, first, i) binds row @i
 * to the parameters from @first (1-based) of stmt. */
int xf_rows_write(struct xf_rows *r, size_t n,
		  void (*bind)(void *ctx, struct xf_stmt *st, int first,
			       size_t i),
		  void *ctx);

/* xf_stmt_free - NULL is accepted. */
void xf_stmt_free(struct xf_stmt *st);

/* Binding: parameter @i counts from 1. Text is not copied: @str must stay
 * valid until the exec or step that uses it has returned. */
void xf_stmt_int64(struct xf_stmt *st, int i, int64_t v);
void xf_stmt_text(struct xf_stmt *st, int i, const char *str, size_t len);
void xf_stmt_null(struct xf_stmt *st, int i);

/* xf_stmt_exec - run a statement that returns no rows (or whose rows are
 * of no interest) to completion, and reset it. 0 or an error. */
int xf_stmt_exec(struct xf_stmt *st);

/* xf_stmt_step - the next row of a query: 1 with a row (read it with the
 * col functions), 0 when there are no more (the statement is reset), or an
 * error. xf_stmt_reset() abandons the remaining rows. */
int xf_stmt_step(struct xf_stmt *st);
void xf_stmt_reset(struct xf_stmt *st);

/* Columns of the current row, counted from 0. Text stays valid until the
 * next step or reset. */
int64_t xf_col_int64(struct xf_stmt *st, int col);
const char *xf_col_text(struct xf_stmt *st, int col, size_t *len);
bool xf_col_null(struct xf_stmt *st, int col);

#endif

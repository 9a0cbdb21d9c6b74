/* transform/sink.c - the sink boundary: the table of sinks built in, the
 * thin layer that dispatches to a sink's functions, and the schema-version
 * check every component's tables go through.
 */
#include "transform/sink.h"

#include "common/diag.h"
#include "common/err.h"
#include "common/url.h"
#include "log/layout.h"
#include "transform/postgres.h"
#include "transform/sqlite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every sink built in. A new one is one row here and its own .c file. */
static const struct xf_sink_ops *const sinks[] = {
	&xf_sqlite_ops,
	&xf_pg_ops,
	&xf_pg_alias_ops,
};

#define NSINKS (sizeof(sinks) / sizeof(sinks[0]))

struct xf_sink {
	const struct xf_sink_ops *ops;
	void *db;
	char *url; /* without its password (url_redact) */
};

struct xf_stmt {
	const struct xf_sink_ops *ops;
	void *impl;
};

int xf_sink_url(char *buf, size_t size, const char *url, const char *data_dir)
{
	int n;

	if (!url || url[0] == '\0')
		n = snprintf(buf, size, "sqlite:%s/%s", data_dir,
			     LAYOUT_DEFAULT_DB);
	else
		n = snprintf(buf, size, "%s", url);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int xf_sink_open(const char *url, struct xf_sink **out)
{
	const char *colon = strchr(url, ':');
	char name[1024];
	struct xf_sink *s;
	size_t i, len = colon ? (size_t)(colon - url) : 0;
	int ret;

	*out = NULL;
	for (i = 0; i < NSINKS; i++)
		if (colon && strlen(sinks[i]->scheme) == len &&
		    memcmp(sinks[i]->scheme, url, len) == 0)
			break;
	if (i == NSINKS) {
		diag_err("[transform] sink = %s: unknown kind of database "
			 "(expected sqlite:PATH or postgresql://...)",
			 url_redact(url, name, sizeof(name)));
		return -ERR_CONFIG;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->url = strdup(url_redact(url, name, sizeof(name))))) {
		free(s);
		return -ENOMEM;
	}
	s->ops = sinks[i];
	ret = s->ops->open(url, &s->db);
	if (ret < 0) {
		free(s->url);
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void xf_sink_close(struct xf_sink *s)
{
	if (!s)
		return;
	s->ops->close(s->db);
	free(s->url);
	free(s);
}

const char *xf_sink_name(const struct xf_sink *s)
{
	return s->url;
}

const struct xf_dialect *xf_sink_dialect(const struct xf_sink *s)
{
	return &s->ops->dialect;
}

int xf_sink_exec(struct xf_sink *s, const char *sql)
{
	return s->ops->exec(s->db, sql);
}

int xf_sink_begin(struct xf_sink *s)
{
	return s->ops->begin(s->db);
}

int xf_sink_commit(struct xf_sink *s)
{
	return s->ops->commit(s->db);
}

int xf_sink_rollback(struct xf_sink *s)
{
	return s->ops->rollback(s->db);
}

void xf_sink_interrupt(struct xf_sink *s)
{
	s->ops->interrupt(s->db);
}

int xf_sink_table_exists(struct xf_sink *s, const char *table)
{
	return s->ops->table_exists(s->db, table);
}

int xf_stmt_prepare(struct xf_sink *s, const char *sql, struct xf_stmt **out)
{
	struct xf_stmt *st = calloc(1, sizeof(*st));
	int ret;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	st->ops = s->ops;
	ret = s->ops->prepare(s->db, sql, &st->impl);
	if (ret < 0) {
		free(st);
		return ret;
	}
	*out = st;
	return 0;
}

/* "INSERT INTO @table (@cols) VALUES (?, ...) x @rows @tail" into a
 * malloc'd string. */
static char *insert_sql(const char *table, const char *cols, int ncols,
			int rows, const char *tail)
{
	size_t size = strlen(table) + strlen(cols) + strlen(tail) + 64 +
		      (size_t)rows * ((size_t)ncols * 3 + 4);
	char *sql = malloc(size), *p;
	int r, c;

	if (!sql)
		return NULL;
	p = sql + sprintf(sql, "INSERT INTO %s (%s) VALUES ", table, cols);
	for (r = 0; r < rows; r++) {
		*p++ = r ? ',' : ' ';
		*p++ = '(';
		for (c = 0; c < ncols; c++)
			p += sprintf(p, c ? ", ?" : "?");
		*p++ = ')';
	}
	strcpy(p, tail);
	return sql;
}

int xf_stmt_prepare_insert(struct xf_sink *sink, const char *table,
			   const char *cols, int ncols, int rows,
			   const char *tail, struct xf_stmt **out)
{
	char *sql = insert_sql(table, cols, ncols, rows, tail);
	int ret;

	if (!sql)
		return -ENOMEM;
	ret = xf_stmt_prepare(sink, sql, out);
	free(sql);
	return ret;
}

static const int rows_sizes[] = {XF_ROWS_CHUNK, XF_ROWS_TAIL, 1};

int xf_rows_prepare(struct xf_sink *s, const char *table, const char *cols,
		    int ncols, const char *tail, struct xf_rows *out)
{
	size_t i;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->ncols = ncols;
	for (i = 0; i < 3 && ret == 0; i++)
		ret = xf_stmt_prepare_insert(s, table, cols, ncols,
					     rows_sizes[i], tail, &out->s[i]);
	if (ret < 0)
		xf_rows_free(out);
	return ret;
}

void xf_rows_free(struct xf_rows *r)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		xf_stmt_free(r->s[i]);
		r->s[i] = NULL;
	}
}

int xf_rows_write(struct xf_rows *r, size_t n,
		  void (*bind)(void *ctx, struct xf_stmt *st, int first,
			       size_t i),
		  void *ctx)
{
	size_t done = 0, k, rows;
	int sz, ret = 0;

	for (sz = 0; sz < 3 && ret == 0; sz++) {
		rows = (size_t)rows_sizes[sz];
		while (n - done >= rows && ret == 0) {
			for (k = 0; k < rows; k++)
				bind(ctx, r->s[sz], 1 + (int)k * r->ncols,
				     done + k);
			ret = xf_stmt_exec(r->s[sz]);
			done += rows;
		}
	}
	return ret;
}

void xf_stmt_free(struct xf_stmt *st)
{
	if (!st)
		return;
	st->ops->finalize(st->impl);
	free(st);
}

void xf_stmt_int64(struct xf_stmt *st, int i, int64_t v)
{
	st->ops->bind_int64(st->impl, i, v);
}

void xf_stmt_text(struct xf_stmt *st, int i, const char *str, size_t len)
{
	st->ops->bind_text(st->impl, i, str, len);
}

void xf_stmt_null(struct xf_stmt *st, int i)
{
	st->ops->bind_null(st->impl, i);
}

int xf_stmt_exec(struct xf_stmt *st)
{
	int ret;

	while ((ret = st->ops->step(st->impl)) > 0)
		;
	return ret;
}

int xf_stmt_step(struct xf_stmt *st)
{
	return st->ops->step(st->impl);
}

void xf_stmt_reset(struct xf_stmt *st)
{
	st->ops->reset(st->impl);
}

int64_t xf_col_int64(struct xf_stmt *st, int col)
{
	return st->ops->col_int64(st->impl, col);
}

const char *xf_col_text(struct xf_stmt *st, int col, size_t *len)
{
	return st->ops->col_text(st->impl, col, len);
}

bool xf_col_null(struct xf_stmt *st, int col)
{
	return st->ops->col_null(st->impl, col);
}

/* The version recorded for @component: 1 and *version, 0 if none. */
static int recorded_version(struct xf_sink *s, const char *component,
			    int64_t *version)
{
	struct xf_stmt *st = NULL;
	int ret;

	ret = xf_stmt_prepare(s,
			      "SELECT version FROM rawzone_schema "
			      "WHERE component = ?",
			      &st);
	if (ret < 0)
		return ret;
	xf_stmt_text(st, 1, component, strlen(component));
	ret = xf_stmt_step(st);
	if (ret == 1) {
		*version = xf_col_int64(st, 0);
		xf_stmt_reset(st);
	}
	xf_stmt_free(st);
	return ret;
}

static int check_or_create(struct xf_sink *s, const char *component,
			   int64_t version, const char *const *tables,
			   const char *const *ddl)
{
	struct xf_stmt *st = NULL;
	int64_t have = 0;
	size_t i;
	int ret;

	ret = recorded_version(s, component, &have);
	if (ret < 0)
		return ret;
	if (ret == 1 && have != version) {
		diag_err("%s: the %s tables are at schema version %lld; this "
			 "rawzone-transform writes version %lld. Rebuild into "
			 "a new database (rawzone rebuild) or point "
			 "[transform] sink elsewhere",
			 s->url, component, (long long)have,
			 (long long)version);
		return -ERR_FORMAT;
	}
	for (i = 0; tables[i]; i++) {
		int exists = xf_sink_table_exists(s, tables[i]);

		if (exists < 0)
			return exists;
		if (ret == 1 && !exists) {
			diag_err("%s: table %s is missing, though the "
				 "database records the %s tables at version "
				 "%lld: rows were lost; rebuild into a new "
				 "database",
				 s->url, tables[i], component,
				 (long long)version);
			return -ERR_FORMAT;
		}
		if (ret == 0 && exists) {
			diag_err("%s: table %s exists but was not created by "
				 "rawzone-transform (no %s entry in "
				 "rawzone_schema); refusing to write into it",
				 s->url, tables[i], component);
			return -ERR_FORMAT;
		}
	}
	if (ret == 1)
		return 0;
	for (i = 0; ddl[i]; i++) {
		ret = xf_sink_exec(s, ddl[i]);
		if (ret < 0)
			return ret;
	}
	ret = xf_stmt_prepare(s,
			      "INSERT INTO rawzone_schema (component, version) "
			      "VALUES (?, ?)",
			      &st);
	if (ret < 0)
		return ret;
	xf_stmt_text(st, 1, component, strlen(component));
	xf_stmt_int64(st, 2, version);
	ret = xf_stmt_exec(st);
	xf_stmt_free(st);
	if (ret == 0)
		diag_info("%s: created the tables of %s (schema version %lld)",
			  s->url, component, (long long)version);
	return ret;
}

int xf_sink_schema(struct xf_sink *s, const char *component, int64_t version,
		   const char *const *tables, const char *const *ddl)
{
	char sql[256];
	int ret;

	ret = xf_sink_begin(s);
	if (ret < 0)
		return ret;
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE IF NOT EXISTS rawzone_schema ("
		 "component TEXT NOT NULL PRIMARY KEY, "
		 "version %s NOT NULL)",
		 s->ops->dialect.int64);
	ret = xf_sink_exec(s, sql);
	if (ret == 0)
		ret = check_or_create(s, component, version, tables, ddl);
	if (ret < 0) {
		xf_sink_rollback(s);
		return ret;
	}
	return xf_sink_commit(s);
}

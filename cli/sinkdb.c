/* cli/sinkdb.c - read-only queries of transform's database: SQLite
 * (a read-only connection) or PostgreSQL (libpq, its statements read
 * only). */
#include "cli/sinkdb.h"

#include "common/diag.h"
#include "log/decoded.h"
#include "log/layout.h"
#include "transform/postgres.h"

#include <errno.h>
#include <inttypes.h>
#include <postgresql/libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cli_db {
	sqlite3 *db;
	sqlite3_stmt *applied;
	PGconn *pg; /* instead of @db: a PostgreSQL sink */
};

static bool is_pg(const char *sink)
{
	return sink && (strncmp(sink, "postgresql://", 13) == 0 ||
			strncmp(sink, "postgres://", 11) == 0);
}

/* A PostgreSQL sink, read-only for this session. */
static int pg_open(const char *url, struct cli_db **out)
{
	struct cli_db *db = calloc(1, sizeof(*db));
	PGresult *r;

	if (!db)
		return -ENOMEM;
	/* A server that accepts and never answers must not hold the
	 * command: connect_timeout unless the URL sets one. */
	db->pg = PQconnectdbParams(
		(const char *const[]){"connect_timeout", "dbname", NULL},
		(const char *const[]){XF_PG_CONNECT_TIMEOUT_S, url, NULL}, 1);
	if (!db->pg || PQstatus(db->pg) != CONNECTION_OK) {
		/* libpq's message names host and port, never a password */
		diag_err("[transform] sink: cannot connect to PostgreSQL: %s",
			 db->pg ? PQerrorMessage(db->pg) : "out of memory");
		cli_db_close(db);
		return -EIO;
	}
	r = PQexec(db->pg, "SET SESSION CHARACTERISTICS AS TRANSACTION "
			   "READ ONLY");
	PQclear(r);
	*out = db;
	return 0;
}

/* The one-row-per-call PostgreSQL query @sql with text parameters. */
static PGresult *pg_query(struct cli_db *db, const char *sql, int n,
			  const char *const *params)
{
	PGresult *r = PQexecParams(db->pg, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return NULL;
	}
	return r;
}

int cli_db_path(const struct cfg *cfg, const char *sink, char *buf, size_t size)
{
	int n;

	if (!sink || !*sink)
		n = snprintf(buf, size, "%s/%s", cfg->data_dir,
			     LAYOUT_DEFAULT_DB);
	else if (strncmp(sink, "sqlite:", 7) == 0)
		n = snprintf(buf, size, "%s", sink + 7);
	else
		return -EINVAL;
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int cli_db_open(const struct cfg *cfg, struct cli_db **out)
{
	char path[4096];
	struct cli_db *db;
	int ret;

	*out = NULL;
	if (is_pg(cfg->xf_sink))
		return pg_open(cfg->xf_sink, out);
	ret = cli_db_path(cfg, cfg->xf_sink, path, sizeof(path));
	if (ret < 0) {
		diag_err("[transform] sink: expected sqlite:PATH or "
			 "postgresql://...");
		return ret;
	}
	if (access(path, F_OK) != 0)
		return -ENOENT;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		diag_err("%s: %s", path, sqlite3_errmsg(db->db));
		cli_db_close(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db->db, 5000);
	*out = db;
	return 0;
}

void cli_db_close(struct cli_db *db)
{
	if (!db)
		return;
	sqlite3_finalize(db->applied);
	sqlite3_close(db->db);
	PQfinish(db->pg);
	free(db);
}

bool cli_db_applied(struct cli_db *db, const char *instance, const char *topic,
		    int32_t partition, struct log_pos *pos)
{
	bool found = false;

	if (db->pg) {
		char part[16];
		const char *params[] = {instance, topic, part};
		PGresult *r;

		snprintf(part, sizeof(part), "%" PRId32, partition);
		r = pg_query(db,
			     "SELECT segment, position FROM "
			     "rawzone_transform_checkpoint WHERE "
			     "instance = $1 AND topic = $2 AND "
			     "kafka_partition = $3::bigint",
			     3, params);
		if (r && PQntuples(r) == 1) {
			pos->seg = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
			pos->pos = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
			found = true;
		}
		PQclear(r);
		return found;
	}
	if (!db->applied &&
	    sqlite3_prepare_v2(
		    db->db,
		    "SELECT segment, position FROM "
		    "rawzone_transform_checkpoint WHERE instance = ? "
		    "AND topic = ? AND kafka_partition = ?",
		    -1, &db->applied, NULL) != SQLITE_OK)
		return false;
	sqlite3_reset(db->applied);
	sqlite3_bind_text(db->applied, 1, instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(db->applied, 2, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int(db->applied, 3, partition);
	if (sqlite3_step(db->applied) == SQLITE_ROW) {
		pos->seg = (uint64_t)sqlite3_column_int64(db->applied, 0);
		pos->pos = (uint64_t)sqlite3_column_int64(db->applied, 1);
		found = true;
	}
	sqlite3_reset(db->applied);
	return found;
}

bool cli_db_caught_up(struct cli_db *db, const char *instance,
		      const char *topic, int32_t partition, struct log_pos out)
{
	struct log_pos applied;

	if (out.pos == 0)
		return true;
	return db && cli_db_applied(db, instance, topic, partition, &applied) &&
	       log_pos_cmp(applied, out) >= 0;
}

int64_t cli_db_quarantined(struct cli_db *db, const char *topic,
			   int32_t partition, int64_t by[8])
{
	sqlite3_stmt *st = NULL;
	int64_t total = 0;
	int i;

	for (i = 0; i < 8; i++)
		by[i] = 0;
	if (db->pg) {
		char part[16];
		const char *params[] = {topic, part};
		PGresult *r;
		int row;

		snprintf(part, sizeof(part), "%" PRId32, partition);
		r = pg_query(db,
			     "SELECT reason, count(*) FROM "
			     "rawzone_quarantine WHERE ($1::text IS NULL "
			     "OR topic = $1) AND ($2::bigint < 0 OR "
			     "kafka_partition = $2::bigint) GROUP BY reason",
			     2, params);
		if (!r)
			return -1;
		for (row = 0; row < PQntuples(r); row++) {
			unsigned k =
				log_dec_reason_parse(PQgetvalue(r, row, 0));
			int64_t n = strtoll(PQgetvalue(r, row, 1), NULL, 10);

			if (k < 8)
				by[k] += n;
			total += n;
		}
		PQclear(r);
		return total;
	}
	if (sqlite3_prepare_v2(
		    db->db,
		    "SELECT reason, count(*) FROM rawzone_quarantine "
		    "WHERE (?1 IS NULL OR topic = ?1) AND "
		    "(?2 < 0 OR kafka_partition = ?2) GROUP BY reason",
		    -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (topic)
		sqlite3_bind_text(st, 1, topic, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_int(st, 2, partition);
	while (sqlite3_step(st) == SQLITE_ROW) {
		unsigned r = log_dec_reason_parse(
			(const char *)sqlite3_column_text(st, 0));
		int64_t n = sqlite3_column_int64(st, 1);

		if (r < 8)
			by[r] += n;
		total += n;
	}
	sqlite3_finalize(st);
	return total;
}

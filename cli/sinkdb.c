/* cli/sinkdb.c - read-only queries of transform's SQLite database. */
#include "cli/sinkdb.h"

#include "common/diag.h"
#include "log/decoded.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cli_db {
	sqlite3 *db;
	sqlite3_stmt *applied;
};

int cli_db_path(const struct cfg *cfg, const char *sink, char *buf, size_t size)
{
	int n;

	if (!sink || !*sink)
		n = snprintf(buf, size, "%s/rawzone.db", cfg->data_dir);
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
	ret = cli_db_path(cfg, cfg->xf_sink, path, sizeof(path));
	if (ret < 0) {
		diag_err("[transform] sink = %s: the CLI reads SQLite sinks "
			 "only",
			 cfg->xf_sink);
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
	free(db);
}

bool cli_db_applied(struct cli_db *db, const char *instance, const char *topic,
		    int32_t partition, struct log_pos *pos)
{
	bool found = false;

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

int64_t cli_db_quarantined(struct cli_db *db, const char *topic,
			   int32_t partition, int64_t by[8])
{
	sqlite3_stmt *st = NULL;
	int64_t total = 0;
	int i;

	for (i = 0; i < 8; i++)
		by[i] = 0;
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

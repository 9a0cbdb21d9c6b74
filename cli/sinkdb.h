/* cli/sinkdb.h - what the CLI reads from transform's database: its
 * checkpoint (how far each partition's decoded log is applied) and the
 * quarantine table. Read-only; SQLite and PostgreSQL sinks (rebuild and
 * diff, which use cli_db_path, SQLite only). The table names are the
 * transform's (DOMAIN.md and transform/checkpoint.h).
 */
#ifndef RZ_CLI_SINKDB_H
#define RZ_CLI_SINKDB_H

#include "common/config.h"
#include "log/segment.h"

#include <stdbool.h>
#include <stdint.h>

struct cli_db;

/* cli_db_path - the SQLite file of @sink ("sqlite:PATH", or "" for
 * <data_dir>/rawzone.db) into @buf. -EINVAL for another kind of URL. */
int cli_db_path(const struct cfg *cfg, const char *sink, char *buf,
		size_t size);

/* cli_db_open - open @cfg's sink read-only. An SQLite database that does
 * not exist yet is -ENOENT (transform has not run). Errors are printed. */
int cli_db_open(const struct cfg *cfg, struct cli_db **out);
void cli_db_close(struct cli_db *db);

/* cli_db_applied - where transform stands for (@topic, @partition): the
 * decoded-log position applied up to. false if it has applied nothing. */
bool cli_db_applied(struct cli_db *db, const char *instance, const char *topic,
		    int32_t partition, struct log_pos *pos);

/* cli_db_caught_up - whether transform has applied (@topic, @partition)'s
 * decoded log up to @out, decode's durable end (position 0: decode wrote
 * nothing, so there is nothing to apply). @db NULL: transform has not
 * made its database yet. */
bool cli_db_caught_up(struct cli_db *db, const char *instance,
		      const char *topic, int32_t partition, struct log_pos out);

/* cli_db_quarantined - rows of rawzone_quarantine for (@topic,
 * @partition) (@partition < 0: every partition; @topic NULL: every topic),
 * by reason (indexed by enum log_dec_reason; @by has 8 slots). Returns the
 * total, or -1 if the table cannot be read. */
int64_t cli_db_quarantined(struct cli_db *db, const char *topic,
			   int32_t partition, int64_t by[8]);

#endif

/* transform/sqlite.h - the SQLite sink: [transform] sink = sqlite:PATH.
 *
 * The database file is created 0600 (SQLite gives its -wal and -shm files
 * the mode of the database file), opened in WAL mode, so readers (rawzone
 * status, the sqlite3 shell) never block the writer, with
 * synchronous=NORMAL: a COMMIT is atomic and survives a crash of the
 * process; a power loss may take the last transactions back, and with
 * them the transform checkpoint they hold (it lives in the same
 * transactions), so transform applies them again - the database is a
 * derived view and exactly once in effect still holds. It saves one
 * fsync of the WAL per transaction (measured: +10-15% outcomes/s).
 * Transactions
 * are BEGIN IMMEDIATE: the write lock is taken at the start, so a batch
 * never fails half-way on a lock another writer holds; a busy database is
 * waited for up to XF_SQLITE_BUSY_MS. A database it creates gets
 * XF_SQLITE_PAGE_SIZE pages (the append-mostly event tables insert faster
 * with fewer, larger pages); the connection keeps up to
 * XF_SQLITE_CACHE_KIB of pages in memory.
 */
#ifndef RZ_TRANSFORM_SQLITE_H
#define RZ_TRANSFORM_SQLITE_H

#include "transform/sink.h"

#define XF_SQLITE_BUSY_MS 10000
#define XF_SQLITE_CACHE_KIB (32 * 1024) /* page cache of the connection */
#define XF_SQLITE_PAGE_SIZE 16384	/* of a database transform creates */

extern const struct xf_sink_ops xf_sqlite_ops;

#endif

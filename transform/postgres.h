/* transform/postgres.h - the PostgreSQL sink:
 *   [transform] sink = postgresql://[user[:password]@][host][:port][/db][?k=v&...]
 * (libpq's connection URI, given to libpq as it is; "postgres://" is the
 * same). The transform's SQL (sink.h's portable subset) runs unchanged:
 * '?' parameters become $1..$n, 64-bit columns are BIGINT, text columns
 * that are compared or sorted are COLLATE "C" (byte order, as SQLite's
 * BINARY and the transforms' own comparisons), and tables have no keyed
 * suffix.
 *
 * The connection: client_encoding UTF8 always (decode guarantees UTF-8
 * without NUL bytes); TCP keepalives of XF_PG_KEEPALIVE_S unless the URL
 * sets its own, so a peer that vanished is noticed; a connect_timeout of
 * XF_PG_CONNECT_TIMEOUT_S unless the URL sets one; application_name
 * rawzone-transform unless the URL names one. Statements are prepared once
 * (PQprepare) and described, so each parameter is sent in the form its
 * type takes best: bigint (and int, smallint) as binary integers, text as
 * raw bytes without a copy, anything else as text.
 *
 * Inside a transaction, statements that return no rows are queued in
 * libpq's pipeline mode, up to XF_PG_MAX_QUEUED at a time, and their
 * results read at the next statement that returns rows, at COMMIT, or
 * when the queue is full: an error of a queued statement is reported (with
 * that statement) by a later call, at the latest by xf_sink_commit(), and
 * the transaction is then aborted on the server.
 *
 * Failures: every error names the URL without its password, PostgreSQL's
 * message and SQLSTATE; a lost connection says so. Nothing is retried and
 * nothing reconnects: the caller rolls back and rawzone-transform exits
 * non-zero, and its restart reads its checkpoint back from the database.
 * That is also the answer to the ambiguous commit - the connection lost
 * after COMMIT was sent and before its answer came, when the batch may or
 * may not be committed: the sink does not guess, it reports the commit as
 * failed and unknown, and the checkpoint committed (or not) with the rows
 * decides where the restart resumes.
 *
 * Test hook (like RAWZONE_FAULTS in common/io.h; production never sets
 * it):
 *   RAWZONE_PG_DROP_AT_COMMIT=N
 *       at the N-th COMMIT of a connection (rawzone-transform has one;
 *       start-up's schema transactions count: 3 for the orders example),
 *       shut the connection's socket down right after the COMMIT is sent,
 *       before its answer is read: an ambiguous commit on demand. The
 *       server has the COMMIT and normally commits it.
 */
#ifndef RZ_TRANSFORM_POSTGRES_H
#define RZ_TRANSFORM_POSTGRES_H

#include "transform/sink.h"

#define XF_PG_MAX_QUEUED 256	     /* no-row statements in flight, at most */
#define XF_PG_KEEPALIVE_S "30"	     /* idle seconds before TCP keepalives */
#define XF_PG_CONNECT_TIMEOUT_S "10" /* seconds a connect may take */

extern const struct xf_sink_ops xf_pg_ops;	 /* postgresql://... */
extern const struct xf_sink_ops xf_pg_alias_ops; /* postgres://... */

#endif

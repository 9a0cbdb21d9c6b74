/* transform/quarantine.c - the rawzone_quarantine table. */
#include "transform/quarantine.h"

#include "common/diag.h"
#include "common/err.h"
#include "log/decoded.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xf_quar {
	struct xf_stmt *put, *del;
};

void xf_quar_close(struct xf_quar *q)
{
	if (!q)
		return;
	xf_stmt_free(q->put);
	xf_stmt_free(q->del);
	free(q);
}

int xf_quar_open(struct xf_sink *sink, struct xf_quar **out)
{
	static const char *const tables[] = {XF_Q_TABLE, NULL};
	const struct xf_dialect *d = xf_sink_dialect(sink);
	char create[512];
	const char *ddl[] = {create, NULL};
	struct xf_quar *q;
	int ret;

	*out = NULL;
	snprintf(create, sizeof(create),
		 "CREATE TABLE " XF_Q_TABLE " ("
		 "topic TEXT NOT NULL, "
		 "kafka_partition %1$s NOT NULL, "
		 "kafka_offset %1$s NOT NULL, "
		 "reason TEXT NOT NULL, "
		 "schema_id %1$s, "
		 "detail TEXT NOT NULL, "
		 "PRIMARY KEY (topic, kafka_partition, kafka_offset))%2$s",
		 d->int64, d->keyed);
	ret = xf_sink_schema(sink, XF_Q_TABLE, XF_Q_SCHEMA_VERSION, tables,
			     ddl);
	if (ret < 0)
		return ret;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	ret = xf_stmt_prepare(sink,
			      "INSERT INTO " XF_Q_TABLE " (topic, "
			      "kafka_partition, kafka_offset, reason, "
			      "schema_id, detail) VALUES (?, ?, ?, ?, ?, ?) "
			      "ON CONFLICT (topic, kafka_partition, "
			      "kafka_offset) DO UPDATE SET "
			      "reason = excluded.reason, "
			      "schema_id = excluded.schema_id, "
			      "detail = excluded.detail",
			      &q->put);
	if (ret == 0)
		ret = xf_prepare_delete(sink, XF_Q_TABLE, &q->del);
	if (ret < 0) {
		xf_quar_close(q);
		return ret;
	}
	*out = q;
	return 0;
}

int xf_quar_put(struct xf_quar *q, const struct xf_outcome *o)
{
	const char *reason = log_dec_reason_name(o->reason);
	char where[512];

	if (!reason) {
		diag_err("%s: quarantine reason %u is unknown to this build "
			 "(a newer rawzone-decode?)",
			 xf_where(o, where, sizeof(where)), o->reason);
		return -ERR_FORMAT;
	}
	xf_bind_key(q->put, 1, o);
	xf_stmt_text(q->put, 4, reason, strlen(reason));
	if (o->has_schema_id)
		xf_stmt_int64(q->put, 5, o->schema_id);
	else
		xf_stmt_null(q->put, 5);
	xf_stmt_text(q->put, 6, o->data, o->len);
	return xf_stmt_exec(q->put);
}

int xf_quar_del(struct xf_quar *q, const struct xf_outcome *o)
{
	xf_bind_key(q->del, 1, o);
	return xf_stmt_exec(q->del);
}

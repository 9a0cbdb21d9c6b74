/* transform/checkpoint.c - the checkpoint table (see checkpoint.h). */
#include "transform/checkpoint.h"

#include "common/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xf_ckpt {
	char *instance;
	struct xf_stmt *get, *high, *put;
};

void xf_ckpt_close(struct xf_ckpt *c)
{
	if (!c)
		return;
	xf_stmt_free(c->get);
	xf_stmt_free(c->high);
	xf_stmt_free(c->put);
	free(c->instance);
	free(c);
}

int xf_ckpt_open(struct xf_sink *sink, const char *instance,
		 struct xf_ckpt **out)
{
	static const char *const tables[] = {XF_CK_TABLE, NULL};
	const struct xf_dialect *d = xf_sink_dialect(sink);
	char create[640];
	const char *ddl[] = {create, NULL};
	struct xf_ckpt *c;
	int ret;

	*out = NULL;
	snprintf(create, sizeof(create),
		 "CREATE TABLE " XF_CK_TABLE " ("
		 "instance TEXT NOT NULL, "
		 "topic TEXT NOT NULL, "
		 "kafka_partition %1$s NOT NULL, "
		 "segment %1$s NOT NULL, "
		 "position %1$s NOT NULL, "
		 "outcomes %1$s NOT NULL, "
		 "high_offset %1$s NOT NULL, "
		 "PRIMARY KEY (instance, topic, kafka_partition))%2$s",
		 d->int64, d->keyed);
	ret = xf_sink_schema(sink, XF_CK_TABLE, XF_CK_SCHEMA_VERSION, tables,
			     ddl);
	if (ret < 0)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->instance = strdup(instance))) {
		free(c);
		return -ENOMEM;
	}
	ret = xf_stmt_prepare(sink,
			      "SELECT segment, position, outcomes "
			      "FROM " XF_CK_TABLE " WHERE instance = ? "
			      "AND topic = ? AND kafka_partition = ?",
			      &c->get);
	if (ret == 0)
		ret = xf_stmt_prepare(sink,
				      "SELECT max(high_offset) "
				      "FROM " XF_CK_TABLE " WHERE topic = ? "
				      "AND kafka_partition = ?",
				      &c->high);
	if (ret == 0)
		ret = xf_stmt_prepare(
			sink,
			"INSERT INTO " XF_CK_TABLE " (instance, topic, "
			"kafka_partition, segment, position, outcomes, "
			"high_offset) VALUES (?, ?, ?, ?, ?, ?, ?) "
			"ON CONFLICT (instance, topic, kafka_partition) "
			"DO UPDATE SET segment = excluded.segment, "
			"position = excluded.position, "
			"outcomes = excluded.outcomes, "
			"high_offset = excluded.high_offset",
			&c->put);
	if (ret < 0) {
		xf_ckpt_close(c);
		return ret;
	}
	*out = c;
	return 0;
}

int xf_ckpt_load(struct xf_ckpt *c, const char *topic, int32_t partition,
		 struct xf_ck *ck)
{
	int ret;

	memset(ck, 0, sizeof(*ck));
	ck->high = -1;
	xf_stmt_text(c->get, 1, c->instance, strlen(c->instance));
	xf_stmt_text(c->get, 2, topic, strlen(topic));
	xf_stmt_int64(c->get, 3, partition);
	ret = xf_stmt_step(c->get);
	if (ret < 0)
		return ret;
	if (ret == 1) {
		ck->found = true;
		ck->pos.seg = (uint64_t)xf_col_int64(c->get, 0);
		ck->pos.pos = (uint64_t)xf_col_int64(c->get, 1);
		ck->outcomes = (uint64_t)xf_col_int64(c->get, 2);
		xf_stmt_reset(c->get);
	}
	xf_stmt_text(c->high, 1, topic, strlen(topic));
	xf_stmt_int64(c->high, 2, partition);
	ret = xf_stmt_step(c->high);
	if (ret < 0)
		return ret;
	if (ret == 1) {
		if (!xf_col_null(c->high, 0))
			ck->high = xf_col_int64(c->high, 0);
		xf_stmt_reset(c->high);
	}
	return 0;
}

int xf_ckpt_save(struct xf_ckpt *c, const char *topic, int32_t partition,
		 const struct xf_ck *ck)
{
	xf_stmt_text(c->put, 1, c->instance, strlen(c->instance));
	xf_stmt_text(c->put, 2, topic, strlen(topic));
	xf_stmt_int64(c->put, 3, partition);
	xf_stmt_int64(c->put, 4, (int64_t)ck->pos.seg);
	xf_stmt_int64(c->put, 5, (int64_t)ck->pos.pos);
	xf_stmt_int64(c->put, 6, (int64_t)ck->outcomes);
	xf_stmt_int64(c->put, 7, ck->high);
	return xf_stmt_exec(c->put);
}

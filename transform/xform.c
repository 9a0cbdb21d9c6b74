/* transform/xform.c - the registry of transforms built in. */
#include "transform/xform.h"

#include "common/arena.h"
#include "common/diag.h"
#include "common/err.h"
#include "transform/json.h"
#include "transform/orders.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Every transform built in. A new one is one row here and its own .c
 * file; the sinks do not change. */
static const struct xf_ops *const transforms[] = {
	&xf_orders_ops,
	&xf_json_ops,
};

#define NTRANSFORMS (sizeof(transforms) / sizeof(transforms[0]))

const struct xf_ops *xf_find(const char *name)
{
	size_t i;

	for (i = 0; i < NTRANSFORMS; i++)
		if (strcmp(transforms[i]->name, name) == 0)
			return transforms[i];
	return NULL;
}

/* [transform] topics.<topic>, or NULL. */
static const char *configured(const struct cfg *cfg, const char *topic)
{
	size_t i;

	for (i = 0; i < cfg->nxf_topics; i++)
		if (strcmp(cfg->xf_topics[i].key, topic) == 0)
			return cfg->xf_topics[i].value;
	return NULL;
}

const char *xf_topic_transform(const struct cfg *cfg, const char *topic)
{
	const char *name = configured(cfg, topic);

	if (name)
		return name;
	return strcmp(topic, "orders") == 0 ? "orders" : "json";
}

int xf_resolve(const struct cfg *cfg, const char *topic,
	       const struct xf_ops **out)
{
	const char *name = xf_topic_transform(cfg, topic);

	*out = xf_find(name);
	if (*out)
		return 0;
	diag_err("topic %s maps to transform '%s', which is not built", topic,
		 name);
	return -ERR_CONFIG;
}

const char *xf_where(const struct xf_outcome *o, char *buf, size_t size)
{
	snprintf(buf, size,
		 "%s/%020" PRIu64 ".log position %" PRIu64 " (%s/%d offset "
		 "%" PRId64 ")",
		 o->src->dir, o->at.seg, o->at.pos, o->src->topic,
		 (int)o->src->partition, o->offset);
	return buf;
}

void xf_bind_key(struct xf_stmt *s, int first, const struct xf_outcome *o)
{
	xf_stmt_text(s, first, o->src->topic, o->src->topic_len);
	xf_stmt_int64(s, first + 1, o->src->partition);
	xf_stmt_int64(s, first + 2, o->offset);
}

int xf_prepare_delete(struct xf_sink *sink, const char *table,
		      struct xf_stmt **out)
{
	char sql[256];

	if (snprintf(sql, sizeof(sql),
		     "DELETE FROM %s WHERE topic = ? AND kafka_partition = ? "
		     "AND kafka_offset = ?",
		     table) >= (int)sizeof(sql))
		return -ENAMETOOLONG;
	return xf_stmt_prepare(sink, sql, out);
}

ProtobufCMessage *xf_unpack(struct arena *a,
			    const ProtobufCMessageDescriptor *desc,
			    const struct xf_outcome *o)
{
	ProtobufCMessage *m;
	char where[512];

	arena_reset(a, ARENA_UNCAPPED);
	m = protobuf_c_message_unpack(desc, arena_allocator(a), o->len,
				      o->data);
	if (!m)
		diag_err("%s: the canonical %s bytes decode wrote do not "
			 "unpack: the decoded log is corrupt",
			 xf_where(o, where, sizeof(where)), desc->name);
	return m;
}

/* transform/json.c - any canonical message into rawzone_events, as JSON.
 *
 * prepare (no database; the reader thread): each OK outcome's message is
 * looked up by its full name among the descriptors this build has, unpacked
 * (into an arena reset per record: no malloc) and written as JSON by
 * descriptor (common/pbjson.h); its key column is encoded beside it
 * (xf_json_key). Every body and key of the batch goes into one buffer of
 * the prepared batch, kept with its capacity from batch to batch, and rows
 * refer to it by offset (the buffer moves while it grows).
 *
 * apply (the writer thread, in the transaction):
 *   - an OK outcome is queued for multi-row upserts (xf_rows_write; ON
 *     CONFLICT DO UPDATE: a reapplied one's row may exist, and so may a
 *     new one's when the checkpoint was reset or another instance wrote
 *     it; an upsert that finds no row costs what an INSERT does). A
 *     statement never holds the same coordinates twice, which PostgreSQL
 *     would refuse;
 *   - a reapplied quarantined outcome deletes its row, if any (the core
 *     writes its rawzone_quarantine row in the same transaction).
 * Nothing is derived from rawzone_events, so no replay needs more than its
 * own row. Coordinates are unique within a batch (xform.h): a queued row
 * cannot be made stale by a later outcome of the same batch.
 *
 * Descriptors: the table below lists the canonical messages of the schemas
 * this build has, as decode's schema table (decode/schemas.c) does; stages
 * do not include each other's headers, so it is kept here until the
 * generated schema code offers one catalog both can use.
 */
#include "transform/json.h"

#include "common/diag.h"
#include "common/err.h"
#include "common/pbjson.h"
#include "common/utf8.h"
#include "log/decoded.h"
#include "log/reader.h"
#include "common/arena.h"

#include "proto/orders/v1/order_event.pb-c.h"
#include "proto/orders/v2/order_event.pb-c.h"
#include "proto/orders/v3/order_event.pb-c.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JS_COMPONENT "json"

#define JS_COLS                                                                \
	"topic, kafka_partition, kafka_offset, schema_id, message_type, key, " \
	"kafka_timestamp_ms, body"
#define JS_NCOLS 8
#define JS_UPDATE                                                              \
	" ON CONFLICT (topic, kafka_partition, kafka_offset) "                 \
	"DO UPDATE SET schema_id = excluded.schema_id, "                       \
	"message_type = excluded.message_type, key = excluded.key, "           \
	"kafka_timestamp_ms = excluded.kafka_timestamp_ms, "                   \
	"body = excluded.body"

/* The messages this build can write: every message a topic may have as its
 * canonical form, each with its own full name (desc->name). */
static const ProtobufCMessageDescriptor *const messages[] = {
	&orders__v1__order_event__descriptor,
	&orders__v2__order_event__descriptor,
	&orders__v3__order_event__descriptor,
};

#define NMESSAGES (sizeof(messages) / sizeof(messages[0]))

/* One outcome's work: a row to write, or (del) a row to delete. Offsets
 * are into the prepared batch's text. */
struct row {
	const struct xf_outcome *o;
	bool del;
	bool key_null;
	size_t body, body_len;
	size_t key, key_len;
};

/* What prepare makes of a batch. */
struct prep {
	struct prep *next; /* the free list */
	struct row *rows;  /* in batch order */
	size_t nrows, cap;
	struct jbuf text; /* every body and key */
};

struct js_state {
	/* apply's: the statements */
	struct xf_rows put;  /* upserts */
	struct xf_stmt *del; /* a row, by key */
	/* prepare's and release's */
	struct arena *msg; /* one record's unpacked message */
	struct prep *free;
};

const ProtobufCMessageDescriptor *xf_json_descriptor(const char *name,
						     size_t len)
{
	size_t i;

	for (i = 0; i < NMESSAGES; i++)
		if (strlen(messages[i]->name) == len &&
		    memcmp(messages[i]->name, name, len) == 0)
			return messages[i];
	return NULL;
}

/* --- keys ---------------------------------------------------------------- */

void xf_json_key(struct jbuf *b, const void *key, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = key;
	char buf[256];
	size_t i, n = 0;

	if (utf8_valid(s, len, NULL) && !memchr(s, '\0', len) &&
	    !(len >= 2 && s[0] == '\\' && s[1] == 'x')) {
		jbuf_put(b, s, len);
		return;
	}
	jbuf_put(b, "\\x", 2);
	for (i = 0; i < len; i++) {
		buf[n++] = hex[s[i] >> 4];
		buf[n++] = hex[s[i] & 15];
		if (n == sizeof(buf)) {
			jbuf_put(b, buf, n);
			n = 0;
		}
	}
	jbuf_put(b, buf, n);
}

/* --- prepare ------------------------------------------------------------- */

/* The row of OK outcome @o: its body and key into @pp's text. */
static int make_row(struct js_state *st, struct prep *pp,
		    const struct xf_outcome *o, struct row *r)
{
	const ProtobufCMessageDescriptor *desc;
	ProtobufCMessage *m;
	char where[512];
	int ret;

	desc = xf_json_descriptor(o->message, o->message_len);
	if (!desc) {
		diag_err("%s: a %.*s, a message this rawzone-transform is not "
			 "built with: build it with the schemas decode has",
			 xf_where(o, where, sizeof(where)), (int)o->message_len,
			 o->message);
		return -ERR_CONFIG;
	}
	m = xf_unpack(st->msg, desc, o);
	if (!m)
		return -ERR_CORRUPT;
	r->body = pp->text.len;
	ret = pbjson_message(&pp->text, m);
	if (ret == -ELOOP) {
		diag_err("%s: a %s nested deeper than common/pbjson writes: "
			 "the json transform does not take it",
			 xf_where(o, where, sizeof(where)), desc->name);
		return -ERR_CONFIG;
	}
	r->body_len = pp->text.len - r->body;
	r->key_null = !o->key;
	r->key = pp->text.len;
	if (o->key)
		xf_json_key(&pp->text, o->key, o->key_len);
	r->key_len = pp->text.len - r->key;
	return pp->text.oom ? -ENOMEM : 0;
}

static void prep_free(struct prep *pp)
{
	if (!pp)
		return;
	free(pp->rows);
	jbuf_free(&pp->text);
	free(pp);
}

/* A prepared batch, recycled when one is free, emptied. */
static struct prep *prep_get(struct js_state *st)
{
	struct prep *pp = st->free;

	if (pp) {
		st->free = pp->next;
	} else {
		pp = calloc(1, sizeof(*pp));
		if (!pp)
			return NULL;
	}
	pp->next = NULL;
	pp->nrows = 0;
	jbuf_reset(&pp->text);
	return pp;
}

static void js_release(void *state, void *prep)
{
	struct js_state *st = state;
	struct prep *pp = prep;

	if (!pp)
		return;
	pp->next = st->free;
	st->free = pp;
}

static int js_prepare(void *state, const struct xf_batch *b, void **out)
{
	struct js_state *st = state;
	struct prep *pp = prep_get(st);
	size_t i;
	int ret = 0;

	*out = NULL;
	if (!pp) {
		diag_err("json transform: out of memory");
		return -ENOMEM;
	}
	if (b->n > pp->cap) {
		struct row *nr = realloc(pp->rows, b->n * sizeof(*nr));

		if (!nr) {
			ret = -ENOMEM;
			goto out_release;
		}
		pp->rows = nr;
		pp->cap = b->n;
	}
	for (i = 0; i < b->n; i++) {
		const struct xf_outcome *o = &b->v[i];
		struct row *r = &pp->rows[pp->nrows];

		memset(r, 0, sizeof(*r));
		r->o = o;
		if (o->type != LOG_DEC_OK) {
			/* A replay quarantined what may have a row. */
			if (o->reapplied) {
				r->del = true;
				pp->nrows++;
			}
			continue;
		}
		ret = make_row(st, pp, o, r);
		if (ret < 0)
			break;
		pp->nrows++;
	}
	arena_reset(st->msg, ARENA_UNCAPPED);
	if (ret < 0)
		goto out_release;
	*out = pp;
	return 0;

out_release:
	if (ret == -ENOMEM)
		diag_err("json transform: out of memory");
	js_release(st, pp);
	return ret;
}

/* --- apply --------------------------------------------------------------- */

static void bind_row(struct xf_stmt *s, int b, const struct prep *pp,
		     const struct row *r)
{
	const struct xf_outcome *o = r->o;

	xf_bind_key(s, b + 1, o);
	xf_stmt_int64(s, b + 4, o->schema_id);
	xf_stmt_text(s, b + 5, o->message, o->message_len);
	if (r->key_null)
		xf_stmt_null(s, b + 6);
	else
		xf_stmt_text(s, b + 6, pp->text.p + r->key, r->key_len);
	if (o->timestamp < 0)
		xf_stmt_null(s, b + 7);
	else
		xf_stmt_int64(s, b + 7, o->timestamp);
	xf_stmt_text(s, b + 8, pp->text.p + r->body, r->body_len);
}

/* Rows queued for the upserts. */
struct queue {
	struct xf_rows *rows;
	const struct prep *pp;
	const struct row *q[XF_ROWS_CHUNK];
	size_t n;
};

static void bind_queued(void *qu, struct xf_stmt *s, int first, size_t i)
{
	const struct queue *q = qu;

	bind_row(s, first - 1, q->pp, q->q[i]);
}

/* Write the rows of @qu and empty it. */
static int flush(struct queue *qu)
{
	int ret = xf_rows_write(qu->rows, qu->n, bind_queued, qu);

	qu->n = 0;
	return ret;
}

static int js_apply(void *state, void *prep)
{
	struct js_state *st = state;
	const struct prep *pp = prep;
	struct queue qu = {.rows = &st->put, .pp = pp};
	size_t i;
	int ret = 0;

	for (i = 0; i < pp->nrows && ret == 0; i++) {
		const struct row *r = &pp->rows[i];

		if (r->del) {
			xf_bind_key(st->del, 1, r->o);
			ret = xf_stmt_exec(st->del);
			continue;
		}
		qu.q[qu.n++] = r;
		if (qu.n == XF_ROWS_CHUNK)
			ret = flush(&qu);
	}
	if (ret == 0)
		ret = flush(&qu);
	return ret;
}

/* --- life ---------------------------------------------------------------- */

static void js_close(void *state)
{
	struct js_state *st = state;
	struct prep *pp;

	if (!st)
		return;
	xf_rows_free(&st->put);
	xf_stmt_free(st->del);
	arena_free(st->msg);
	while ((pp = st->free)) {
		st->free = pp->next;
		prep_free(pp);
	}
	free(st);
}

static int create_table(struct xf_sink *sink)
{
	static const char *const tables[] = {XF_JSON_TABLE, NULL};
	const struct xf_dialect *d = xf_sink_dialect(sink);
	char events[768];
	const char *ddl[] = {events, NULL};

	/* json.h: what each column holds. The key's topic is of the
	 * dialect's text type (byte order), as in every rawzone table. */
	snprintf(events, sizeof(events),
		 "CREATE TABLE " XF_JSON_TABLE " ("
		 "topic %3$s NOT NULL, "
		 "kafka_partition %1$s NOT NULL, "
		 "kafka_offset %1$s NOT NULL, "
		 "schema_id %1$s NOT NULL, "
		 "message_type TEXT NOT NULL, "
		 "key TEXT, "
		 "kafka_timestamp_ms %1$s, "
		 "body TEXT NOT NULL, "
		 "PRIMARY KEY (topic, kafka_partition, kafka_offset))%2$s",
		 d->int64, d->keyed, d->text);
	return xf_sink_schema(sink, JS_COMPONENT, XF_JSON_SCHEMA_VERSION,
			      tables, ddl);
}

static int js_open(struct xf_sink *sink, void **state)
{
	struct js_state *st;
	int ret;

	*state = NULL;
	ret = create_table(sink);
	if (ret < 0)
		return ret;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	ret = arena_new(&st->msg, ARENA_UNCAPPED);
	if (ret < 0) {
		diag_err("json transform: out of memory");
		goto out_close;
	}
	ret = xf_rows_prepare(sink, XF_JSON_TABLE, JS_COLS, JS_NCOLS, JS_UPDATE,
			      &st->put);
	if (ret == 0)
		ret = xf_prepare_delete(sink, XF_JSON_TABLE, &st->del);
	if (ret < 0)
		goto out_close;
	*state = st;
	return 0;

out_close:
	js_close(st);
	return ret;
}

const struct xf_ops xf_json_ops = {
	.name = "json",
	.open = js_open,
	.prepare = js_prepare,
	.apply = js_apply,
	.release = js_release,
	.close = js_close,
};

/* transform/orders.c - orders.v3.OrderEvent into order_events and orders.
 *
 * prepare (no database; the reader thread): each OK outcome is unpacked
 * (into an arena reset per record: no malloc), its columns kept (strings
 * copied into the prepared batch's arena), and offered to the coalescing
 * table as its order's candidate: per order, the greatest event of the
 * batch.
 *
 * apply (the writer thread, in the transaction):
 *   1. the events in order: outcomes above their partition's high offset
 *      go into multi-row upserts (xf_rows_write: a row of theirs exists
 *      only if the checkpoint was reset or another instance wrote the
 *      same record, and an upsert that finds none costs what an INSERT
 *      does); a reapplied outcome (xform.h) is upserted at once instead,
 *      after looking up the row it replaces: if that row was
 *      the source of its order's orders row and the new outcome may no
 *      longer be the greatest - it is quarantined, belongs to another
 *      order, or moved back in time - the order is marked for
 *      recomputation;
 *   2. the coalesced orders, sorted by order_id (neighbouring keys share
 *      b-tree pages), in multi-row conditional upserts; the orders marked
 *      for recomputation are derived again instead, by one query over
 *      order_events for all of them, after step 1 so this batch's events
 *      are among the candidates.
 * Coordinates are unique within a batch (xform.h), so neither a queued row
 * nor a candidate can be made stale by a later outcome of the same batch.
 *
 * order_events has no index on order_id: maintaining one makes the inserts
 * two to three times slower (random keys; bench_transform -L), and only the
 * rare recomputation needs it, which scans instead. An operator who queries
 * events by order can create one (CREATE INDEX ... ON order_events
 * (order_id)); the recomputation then uses it too.
 */
#include "transform/orders.h"

#include "common/diag.h"
#include "common/err.h"
#include "log/decoded.h"
#include "common/arena.h"

#include "proto/orders/v3/order_event.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORD_COMPONENT "orders"
#define ORD_RECOMPUTE "rawzone_orders_recompute" /* a temporary table */

#define EVENT_COLS                                                             \
	"topic, kafka_partition, kafka_offset, order_id, customer_id, "        \
	"event_type, amount_cents, currency, item_count, channel, "            \
	"event_time_ms, schema_id, kafka_timestamp_ms"
#define EVENT_NCOLS 13
#define EVENT_UPDATE                                                           \
	" ON CONFLICT (topic, kafka_partition, kafka_offset) "                 \
	"DO UPDATE SET order_id = excluded.order_id, "                         \
	"customer_id = excluded.customer_id, "                                 \
	"event_type = excluded.event_type, "                                   \
	"amount_cents = excluded.amount_cents, "                               \
	"currency = excluded.currency, item_count = excluded.item_count, "     \
	"channel = excluded.channel, "                                         \
	"event_time_ms = excluded.event_time_ms, "                             \
	"schema_id = excluded.schema_id, "                                     \
	"kafka_timestamp_ms = excluded.kafka_timestamp_ms"

/* The orders columns; the recomputation's query returns them in this
 * order too. */
#define ORDER_COLS                                                             \
	"order_id, customer_id, status, amount_cents, currency, "              \
	"item_count, updated_ms, topic, kafka_partition, kafka_offset"
#define ORDER_NCOLS 10
#define ORDER_UPDATE                                                           \
	" ON CONFLICT (order_id) DO UPDATE SET "                               \
	"customer_id = excluded.customer_id, status = excluded.status, "       \
	"amount_cents = excluded.amount_cents, "                               \
	"currency = excluded.currency, item_count = excluded.item_count, "     \
	"updated_ms = excluded.updated_ms, topic = excluded.topic, "           \
	"kafka_partition = excluded.kafka_partition, "                         \
	"kafka_offset = excluded.kafka_offset"
/* ... only when the new row's event is not smaller: >= so that the same
 * coordinates with new content overwrite; and only when something
 * changes (a replay mostly offers the row that is there: no write, no
 * new row version in PostgreSQL). */
#define ORDER_WHERE                                                            \
	" WHERE (excluded.updated_ms, excluded.kafka_partition, "              \
	"excluded.kafka_offset, excluded.topic) >= (orders.updated_ms, "       \
	"orders.kafka_partition, orders.kafka_offset, orders.topic) AND "      \
	"(excluded.customer_id, excluded.status, excluded.amount_cents, "      \
	"excluded.currency, excluded.item_count, excluded.updated_ms, "        \
	"excluded.topic, excluded.kafka_partition, excluded.kafka_offset) "    \
	"IS DISTINCT FROM "                                                    \
	"(orders.customer_id, orders.status, orders.amount_cents, "            \
	"orders.currency, orders.item_count, orders.updated_ms, "              \
	"orders.topic, orders.kafka_partition, orders.kafka_offset)"

/* A string with its length. */
struct str {
	const char *s;
	size_t len;
};

#define STR(lit)                                                               \
	{                                                                      \
		lit, sizeof(lit) - 1                                           \
	}

/* Event types by value; TYPE_UNSPECIFIED has none (NULL). */
static const struct str type_names[] = {
	[ORDERS__V3__ORDER_EVENT__TYPE__CREATED] = STR("CREATED"),
	[ORDERS__V3__ORDER_EVENT__TYPE__PAID] = STR("PAID"),
	[ORDERS__V3__ORDER_EVENT__TYPE__SHIPPED] = STR("SHIPPED"),
	[ORDERS__V3__ORDER_EVENT__TYPE__CANCELLED] = STR("CANCELLED"),
};

#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

/* The values of an orders row, and the key (updated_ms, partition,
 * offset, topic) that decides between two candidates. */
struct cand {
	struct str customer, status, currency, topic;
	bool amount_null;
	int64_t amount, items, time, offset;
	int32_t partition;
};

/* One order of the batch. Strings live in the prepared batch's arena. */
struct ord {
	struct str id;
	uint64_t hash;
	bool has;	/* a candidate */
	bool recompute; /* the row's source changed: derive it again */
	struct cand c;
};

/* One OK outcome's order_events row. */
struct ev {
	const struct xf_outcome *o;
	struct str order_id, customer, currency, channel;
	int type;
	bool amount_null;
	int64_t amount, items, time;
};

/* What prepare makes of a batch. */
struct prep {
	struct prep *next;  /* the free list */
	struct xf_batch b;  /* the outcomes, valid until release */
	struct arena *rows; /* every string below */
	struct ev *evs;	    /* one per OK outcome, in order */
	size_t nevs, evcap;
	struct ord *ords;
	size_t nords, cap;
	uint32_t *slots; /* open addressing: index + 1 into ords, 0 empty */
	size_t nslots;	 /* a power of two, >= 2 x cap */
	struct ord **sorted;
	uint32_t *sorted_idx; /* prepare's orders, by order_id */
	size_t nsorted;
	size_t nrecompute;
};

struct ord_state {
	/* apply's: the statements */
	struct xf_rows put_events; /* order_events upserts */
	struct xf_stmt *old_event; /* the row of a key (same_event) */
	struct xf_stmt *del_event; /* delete a row, by key */
	struct xf_stmt *is_source; /* is this key the source of the order? */
	struct xf_rows put_orders; /* conditional orders upserts */
	struct xf_stmt *set_order; /* unconditional upsert of orders */
	struct xf_stmt *del_order; /* delete an orders row */
	struct xf_stmt *rc_clear;  /* empty the recomputation table */
	struct xf_stmt *rc_add;	   /* add an order_id to it */
	struct xf_stmt *rc_scan;   /* the events of its orders */
	/* prepare's and release's */
	struct arena *msg; /* one record's unpacked message */
	struct prep *free;
};

bool xf_orders_amount(int64_t units, int32_t nanos, int64_t *cents)
{
	int64_t c;

	if (__builtin_mul_overflow(units, (int64_t)100, &c) ||
	    __builtin_add_overflow(c, (int64_t)(nanos / 10000000), &c))
		return false;
	*cents = c;
	return true;
}

static struct str str_of(const char *s)
{
	return (struct str){s ? s : "", s ? strlen(s) : 0};
}

static void bind_str(struct xf_stmt *s, int i, struct str v)
{
	xf_stmt_text(s, i, v.s, v.len);
}

static int copy_str(struct arena *a, struct str *v)
{
	char *d = arena_strdup(a, v->s, v->len);

	if (!d)
		return -ENOMEM;
	v->s = d;
	return 0;
}

/* --- the coalescing table ---------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

static int grow(struct prep *pp)
{
	size_t cap = pp->cap ? pp->cap * 2 : 4096, nslots = cap * 2, i;
	struct ord *no;
	struct ord **ns;
	uint32_t *sl, *si;

	if (cap > UINT32_MAX / 2)
		return -ENOMEM;
	no = realloc(pp->ords, cap * sizeof(*no));
	if (!no)
		return -ENOMEM;
	pp->ords = no;
	ns = realloc(pp->sorted, cap * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	pp->sorted = ns;
	si = realloc(pp->sorted_idx, cap * sizeof(*si));
	if (!si)
		return -ENOMEM;
	pp->sorted_idx = si;
	sl = calloc(nslots, sizeof(*sl));
	if (!sl)
		return -ENOMEM;
	free(pp->slots);
	pp->slots = sl;
	pp->nslots = nslots;
	pp->cap = cap;
	for (i = 0; i < pp->nords; i++) {
		size_t j = pp->ords[i].hash & (nslots - 1);

		while (sl[j])
			j = (j + 1) & (nslots - 1);
		sl[j] = (uint32_t)(i + 1);
	}
	return 0;
}

/* The order @id of the batch, added (with no candidate) if new; @copy:
 * @id does not outlive the call (a database row), keep a copy (else it is
 * the batch's own). NULL when memory runs out; pointers to entries die
 * with the next call. */
static struct ord *ord_get(struct prep *pp, struct str id, bool copy)
{
	uint64_t h = hash_bytes(id.s, id.len);
	struct ord *o;
	size_t j;

	if (pp->nords == pp->cap && grow(pp) < 0)
		return NULL;
	for (j = h & (pp->nslots - 1); pp->slots[j];
	     j = (j + 1) & (pp->nslots - 1)) {
		o = &pp->ords[pp->slots[j] - 1];
		if (o->hash == h && o->id.len == id.len &&
		    memcmp(o->id.s, id.s, id.len) == 0)
			return o;
	}
	o = &pp->ords[pp->nords];
	memset(o, 0, sizeof(*o));
	o->id = id;
	if (copy && copy_str(pp->rows, &o->id) < 0)
		return NULL;
	o->hash = h;
	pp->slots[j] = (uint32_t)(++pp->nords);
	return o;
}

/* Whether candidate @a is smaller than @b by (time, partition, offset,
 * topic): the order of DOMAIN.md, then the topic when several topics feed
 * this transform. */
static bool cand_less(const struct cand *a, const struct cand *b)
{
	int c;

	if (a->time != b->time)
		return a->time < b->time;
	if (a->partition != b->partition)
		return a->partition < b->partition;
	if (a->offset != b->offset)
		return a->offset < b->offset;
	c = memcmp(a->topic.s, b->topic.s,
		   a->topic.len < b->topic.len ? a->topic.len : b->topic.len);
	return c < 0 || (c == 0 && a->topic.len < b->topic.len);
}

/* Offer @c as the row of order @o. With @copy its strings are copied into
 * @pp's arena if it wins (else they must live as long as @pp). */
static int offer(struct prep *pp, struct ord *o, const struct cand *c,
		 bool copy)
{
	if (o->has && cand_less(c, &o->c))
		return 0;
	o->c = *c;
	o->has = true;
	if (copy && (copy_str(pp->rows, &o->c.customer) < 0 ||
		     copy_str(pp->rows, &o->c.currency) < 0 ||
		     copy_str(pp->rows, &o->c.status) < 0 ||
		     copy_str(pp->rows, &o->c.topic) < 0))
		return -ENOMEM;
	return 0;
}

static int cmp_ord(const void *a, const void *b)
{
	const struct ord *x = *(struct ord *const *)a;
	const struct ord *y = *(struct ord *const *)b;
	size_t n = x->id.len < y->id.len ? x->id.len : y->id.len;
	int c = memcmp(x->id.s, y->id.s, n);

	if (c)
		return c;
	return x->id.len < y->id.len ? -1 : x->id.len > y->id.len;
}

/* --- prepare ------------------------------------------------------------ */

/* Unpack OK outcome @o into @ev, its strings copied into @pp. */
static int parse_event(struct ord_state *st, struct prep *pp,
		       const struct xf_outcome *o, struct ev *ev)
{
	static const char want[] = "orders.v3.OrderEvent";
	Orders__V3__OrderEvent *m;
	char where[512];
	size_t i;

	if (o->message_len != sizeof(want) - 1 ||
	    memcmp(o->message, want, sizeof(want) - 1) != 0) {
		diag_err("%s: a %.*s, but topic %s is mapped to the orders "
			 "transform, which takes %s: fix [transform] "
			 "topics.%s",
			 xf_where(o, where, sizeof(where)), (int)o->message_len,
			 o->message, o->src->topic, want, o->src->topic);
		return -ERR_CONFIG;
	}
	m = (Orders__V3__OrderEvent *)xf_unpack(
		st->msg, &orders__v3__order_event__descriptor, o);
	if (!m)
		return -ERR_CORRUPT;
	if (!m->order_id || !m->order_id[0] || m->type <= 0 ||
	    (size_t)m->type >= NTYPES) {
		diag_err("%s: an invalid %s (empty order_id or type %d) that "
			 "decode should have quarantined: the decoded log is "
			 "corrupt",
			 xf_where(o, where, sizeof(where)), want, (int)m->type);
		return -ERR_CORRUPT;
	}
	ev->o = o;
	ev->order_id = str_of(m->order_id);
	ev->customer = str_of(m->customer_id);
	ev->type = (int)m->type;
	ev->time = m->event_time_ms;
	ev->channel = str_of(m->channel);
	ev->currency = str_of(m->total ? m->total->currency_code : NULL);
	ev->amount = 0;
	ev->amount_null =
		m->total && !xf_orders_amount(m->total->units, m->total->nanos,
					      &ev->amount);
	ev->items = 0;
	for (i = 0; i < m->n_items; i++)
		if (m->items[i])
			ev->items += m->items[i]->quantity;
	if (copy_str(pp->rows, &ev->order_id) < 0 ||
	    copy_str(pp->rows, &ev->customer) < 0 ||
	    copy_str(pp->rows, &ev->currency) < 0 ||
	    copy_str(pp->rows, &ev->channel) < 0)
		return -ENOMEM;
	return 0;
}

static void prep_free(struct prep *pp)
{
	if (!pp)
		return;
	arena_free(pp->rows);
	free(pp->evs);
	free(pp->ords);
	free(pp->sorted);
	free(pp->sorted_idx);
	free(pp->slots);
	free(pp);
}

/* A prepared batch, recycled when one is free, emptied. */
static struct prep *prep_get(struct ord_state *st)
{
	struct prep *pp = st->free;

	if (pp) {
		st->free = pp->next;
	} else {
		pp = calloc(1, sizeof(*pp));
		if (!pp || arena_new(&pp->rows, ARENA_UNCAPPED) < 0 ||
		    grow(pp) < 0) {
			prep_free(pp);
			return NULL;
		}
	}
	if (pp->nords)
		memset(pp->slots, 0, pp->nslots * sizeof(*pp->slots));
	pp->nords = 0;
	pp->nevs = 0;
	pp->nsorted = 0;
	pp->nrecompute = 0;
	pp->next = NULL;
	arena_reset(pp->rows, ARENA_UNCAPPED);
	return pp;
}

static int ord_prepare(void *state, const struct xf_batch *b, void **out)
{
	struct ord_state *st = state;
	struct prep *pp = prep_get(st);
	size_t i;
	int ret = 0;

	*out = NULL;
	if (!pp) {
		diag_err("orders transform: out of memory");
		return -ENOMEM;
	}
	pp->b = *b;
	if (b->n > pp->evcap) {
		struct ev *ne = realloc(pp->evs, b->n * sizeof(*ne));

		if (!ne) {
			ret = -ENOMEM;
			goto out_release;
		}
		pp->evs = ne;
		pp->evcap = b->n;
	}
	for (i = 0; i < b->n && ret == 0; i++) {
		const struct xf_outcome *o = &b->v[i];
		struct ev *ev = &pp->evs[pp->nevs];
		struct ord *c;

		if (o->type != LOG_DEC_OK)
			continue;
		ret = parse_event(st, pp, o, ev);
		if (ret < 0)
			break;
		pp->nevs++;
		c = ord_get(pp, ev->order_id, false); /* in pp->rows */
		if (!c) {
			ret = -ENOMEM;
			break;
		}
		ret = offer(pp, c,
			    &(struct cand){
				    .customer = ev->customer,
				    .status = type_names[ev->type],
				    .currency = ev->currency,
				    .topic = {o->src->topic, o->src->topic_len},
				    .amount_null = ev->amount_null,
				    .amount = ev->amount,
				    .items = ev->items,
				    .time = ev->time,
				    .offset = o->offset,
				    .partition = o->src->partition,
			    },
			    false);
	}
	arena_reset(st->msg, ARENA_UNCAPPED);
	if (ret < 0)
		goto out_release;
	/* The order of the upserts, sorted here, off the writer's thread. */
	for (i = 0; i < pp->nords; i++)
		pp->sorted[i] = &pp->ords[i];
	pp->nsorted = pp->nords;
	qsort(pp->sorted, pp->nsorted, sizeof(*pp->sorted), cmp_ord);
	for (i = 0; i < pp->nsorted; i++)
		pp->sorted_idx[i] = (uint32_t)(pp->sorted[i] - pp->ords);
	*out = pp;
	return 0;

out_release:
	if (ret == -ENOMEM)
		diag_err("orders transform: out of memory");
	pp->next = st->free;
	st->free = pp;
	return ret;
}

static void ord_release(void *state, void *prep)
{
	struct ord_state *st = state;
	struct prep *pp = prep;

	if (!pp)
		return;
	pp->next = st->free;
	st->free = pp;
}

/* --- apply: order_events ------------------------------------------------ */

static void bind_event(struct xf_stmt *s, int b, const struct ev *ev)
{
	const struct xf_outcome *o = ev->o;

	xf_bind_key(s, b + 1, o);
	bind_str(s, b + 4, ev->order_id);
	bind_str(s, b + 5, ev->customer);
	xf_stmt_text(s, b + 6, type_names[ev->type].s,
		     type_names[ev->type].len);
	if (ev->amount_null)
		xf_stmt_null(s, b + 7);
	else
		xf_stmt_int64(s, b + 7, ev->amount);
	bind_str(s, b + 8, ev->currency);
	xf_stmt_int64(s, b + 9, ev->items);
	bind_str(s, b + 10, ev->channel);
	xf_stmt_int64(s, b + 11, ev->time);
	xf_stmt_int64(s, b + 12, o->schema_id);
	if (o->timestamp < 0)
		xf_stmt_null(s, b + 13);
	else
		xf_stmt_int64(s, b + 13, o->timestamp);
}

/* xf_rows_write's binder of the @i-th queued event. */
static void bind_queued_event(void *q, struct xf_stmt *s, int first, size_t i)
{
	bind_event(s, first - 1, ((const struct ev *const *)q)[i]);
}

static bool col_is(struct xf_stmt *s, int col, struct str v)
{
	size_t len;
	const char *t = xf_col_text(s, col, &len);

	return len == v.len && memcmp(t, v.s, len) == 0;
}

static bool col_is_int(struct xf_stmt *s, int col, bool null, int64_t v)
{
	if (xf_col_null(s, col))
		return null;
	return !null && xf_col_int64(s, col) == v;
}

/* Does the row old_event found hold exactly @ev? (A replay mostly
 * decodes records to what they were.) */
static bool same_event(struct xf_stmt *s, const struct ev *ev)
{
	const struct xf_outcome *o = ev->o;

	return col_is(s, 0, ev->order_id) &&
	       col_is_int(s, 1, false, ev->time) &&
	       col_is(s, 2, ev->customer) &&
	       col_is(s, 3, type_names[ev->type]) &&
	       col_is_int(s, 4, ev->amount_null, ev->amount) &&
	       col_is(s, 5, ev->currency) &&
	       col_is_int(s, 6, false, ev->items) &&
	       col_is(s, 7, ev->channel) &&
	       col_is_int(s, 8, false, o->schema_id) &&
	       col_is_int(s, 9, o->timestamp < 0, o->timestamp);
}

/* A reapplied outcome @o replaces the row its coordinates had, if any. If
 * that row was its order's source and @ev (NULL: @o is quarantined) may no
 * longer be the greatest of the order, mark the order for recomputation.
 * A quarantined outcome's row is deleted.
 * Returns 1 when the row already holds @ev exactly: nothing to write, and
 * the orders row, derived from it, already reflects it. */
static int replace_old(struct ord_state *st, struct prep *pp,
		       const struct xf_outcome *o, const struct ev *ev)
{
	struct ord *c = NULL;
	struct str id;
	int64_t time;
	int ret, src;

	xf_bind_key(st->old_event, 1, o);
	ret = xf_stmt_step(st->old_event);
	if (ret <= 0)
		return ret; /* no row: nothing derived from it */
	if (ev && same_event(st->old_event, ev)) {
		xf_stmt_reset(st->old_event);
		return 1;
	}
	id.s = xf_col_text(st->old_event, 0, &id.len);
	time = xf_col_int64(st->old_event, 1);
	if (ev && ev->order_id.len == id.len &&
	    memcmp(ev->order_id.s, id.s, id.len) == 0 && ev->time >= time) {
		/* Still the greatest if it was: the conditional upsert of
		 * the order's candidate suffices. */
		xf_stmt_reset(st->old_event);
		return 0;
	}
	bind_str(st->is_source, 1, id);
	xf_bind_key(st->is_source, 2, o);
	src = xf_stmt_step(st->is_source);
	if (src == 1) {
		xf_stmt_reset(st->is_source);
		c = ord_get(pp, id, true);
	}
	xf_stmt_reset(st->old_event); /* @id is no longer valid */
	if (src < 0)
		return src;
	if (src == 1 && !c)
		return -ENOMEM;
	if (c && !c->recompute) {
		c->recompute = true;
		pp->nrecompute++;
	}
	if (ev)
		return 0;
	xf_bind_key(st->del_event, 1, o);
	return xf_stmt_exec(st->del_event);
}

/* The events in order (step 1 above). */
static int write_events(struct ord_state *st, struct prep *pp)
{
	const struct ev *q[XF_ROWS_CHUNK];
	size_t i, k = 0, nq = 0;
	int ret = 0;

	for (i = 0; i < pp->b.n && ret == 0; i++) {
		const struct xf_outcome *o = &pp->b.v[i];
		const struct ev *ev;

		if (o->type != LOG_DEC_OK) {
			if (o->reapplied)
				ret = replace_old(st, pp, o, NULL);
			continue;
		}
		ev = &pp->evs[k++];
		if (!o->reapplied) {
			q[nq++] = ev;
			if (nq == XF_ROWS_CHUNK) {
				ret = xf_rows_write(&st->put_events, nq,
						    bind_queued_event, q);
				nq = 0;
			}
			continue;
		}
		/* A replay: the row may exist. Look at what it replaces,
		 * then upsert. */
		ret = replace_old(st, pp, o, ev);
		if (ret == 0) {
			const struct ev *one = ev;

			ret = xf_rows_write(&st->put_events, 1,
					    bind_queued_event, &one);
		} else if (ret == 1) {
			ret = 0; /* the same row: nothing to write */
		}
	}
	if (ret == 0)
		ret = xf_rows_write(&st->put_events, nq, bind_queued_event, q);
	return ret;
}

/* --- apply: orders ------------------------------------------------------ */

static void bind_order(struct xf_stmt *s, int b, const struct ord *o)
{
	const struct cand *c = &o->c;

	bind_str(s, b + 1, o->id);
	bind_str(s, b + 2, c->customer);
	bind_str(s, b + 3, c->status);
	if (c->amount_null)
		xf_stmt_null(s, b + 4);
	else
		xf_stmt_int64(s, b + 4, c->amount);
	bind_str(s, b + 5, c->currency);
	xf_stmt_int64(s, b + 6, c->items);
	xf_stmt_int64(s, b + 7, c->time);
	bind_str(s, b + 8, c->topic);
	xf_stmt_int64(s, b + 9, c->partition);
	xf_stmt_int64(s, b + 10, c->offset);
}

/* xf_rows_write's binder of the @i-th sorted order. */
static void bind_sorted_order(void *sorted, struct xf_stmt *s, int first,
			      size_t i)
{
	bind_order(s, first - 1, ((struct ord *const *)sorted)[i]);
}

/* Derive the rows of the orders marked for recomputation again from all
 * their events in order_events (this batch's included): one query. */
static int recompute(struct ord_state *st, struct prep *pp)
{
	struct xf_stmt *s = st->rc_scan;
	size_t i;
	int ret;

	ret = xf_stmt_exec(st->rc_clear);
	for (i = 0; i < pp->nords && ret == 0; i++) {
		struct ord *o = &pp->ords[i];

		if (!o->recompute)
			continue;
		o->has = false; /* the scan sees this batch's events too */
		bind_str(st->rc_add, 1, o->id);
		ret = xf_stmt_exec(st->rc_add);
	}
	while (ret == 0 && (ret = xf_stmt_step(s)) == 1) {
		struct cand c;
		struct str id;
		struct ord *o;

		id.s = xf_col_text(s, 0, &id.len);
		c.customer.s = xf_col_text(s, 1, &c.customer.len);
		c.status.s = xf_col_text(s, 2, &c.status.len);
		c.amount_null = xf_col_null(s, 3);
		c.amount = xf_col_int64(s, 3);
		c.currency.s = xf_col_text(s, 4, &c.currency.len);
		c.items = xf_col_int64(s, 5);
		c.time = xf_col_int64(s, 6);
		c.topic.s = xf_col_text(s, 7, &c.topic.len);
		c.partition = (int32_t)xf_col_int64(s, 8);
		c.offset = xf_col_int64(s, 9);
		o = ord_get(pp, id, true);
		ret = !o ? -ENOMEM : offer(pp, o, &c, true);
		if (ret < 0) {
			xf_stmt_reset(s);
			return ret;
		}
		ret = 0;
	}
	if (ret < 0)
		return ret;
	for (i = 0; i < pp->nords && ret == 0; i++) {
		struct ord *o = &pp->ords[i];

		if (!o->recompute)
			continue;
		if (o->has) {
			bind_order(st->set_order, 0, o);
			ret = xf_stmt_exec(st->set_order);
		} else {
			bind_str(st->del_order, 1, o->id);
			ret = xf_stmt_exec(st->del_order);
		}
	}
	return ret;
}

/* The coalesced orders of prepare, in order_id order, in multi-row
 * conditional upserts; the orders marked for recomputation, derived
 * again. The ords array may have grown since prepare (recomputation adds
 * entries): sorted[] is rebuilt from indices, not pointers. */
static int write_orders(struct ord_state *st, struct prep *pp)
{
	size_t i, n = 0;
	int ret = 0;

	if (pp->nrecompute) {
		ret = recompute(st, pp);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < pp->nsorted; i++) {
		struct ord *o = &pp->ords[pp->sorted_idx[i]];

		if (o->has && !o->recompute)
			pp->sorted[n++] = o;
	}
	return xf_rows_write(&st->put_orders, n, bind_sorted_order, pp->sorted);
}

static int ord_apply(void *state, void *prep)
{
	struct ord_state *st = state;
	struct prep *pp = prep;
	int ret;

	ret = write_events(st, pp);
	if (ret == 0)
		ret = write_orders(st, pp);
	if (ret == -ENOMEM)
		diag_err("orders transform: out of memory");
	return ret;
}

/* --- life --------------------------------------------------------------- */

static void ord_close(void *state)
{
	struct ord_state *st = state;
	struct prep *pp;

	if (!st)
		return;
	xf_rows_free(&st->put_events);
	xf_stmt_free(st->old_event);
	xf_stmt_free(st->del_event);
	xf_stmt_free(st->is_source);
	xf_rows_free(&st->put_orders);
	xf_stmt_free(st->set_order);
	xf_stmt_free(st->del_order);
	xf_stmt_free(st->rc_clear);
	xf_stmt_free(st->rc_add);
	xf_stmt_free(st->rc_scan);
	arena_free(st->msg);
	while ((pp = st->free)) {
		st->free = pp->next;
		prep_free(pp);
	}
	free(st);
}

static int create_tables(struct xf_sink *sink)
{
	static const char *const tables[] = {"order_events", "orders", NULL};
	const struct xf_dialect *d = xf_sink_dialect(sink);
	char events[1024], orders[768];
	const char *ddl[] = {events, orders, NULL};

	/* DOMAIN.md: column names, meanings and keys are the contract.
	 * Keys and the topic that ORDER_WHERE compares are of the dialect's
	 * text type: compared in byte order, as cand_less() does.
	 * amount_cents is NULL only when units * 100 + nanos / 10^7 does not
	 * fit in 64 bits; kafka_timestamp_ms when the record had none. */
	snprintf(events, sizeof(events),
		 "CREATE TABLE order_events ("
		 "topic %3$s NOT NULL, "
		 "kafka_partition %1$s NOT NULL, "
		 "kafka_offset %1$s NOT NULL, "
		 "order_id TEXT NOT NULL, "
		 "customer_id TEXT NOT NULL, "
		 "event_type TEXT NOT NULL, "
		 "amount_cents %1$s, "
		 "currency TEXT NOT NULL, "
		 "item_count %1$s NOT NULL, "
		 "channel TEXT NOT NULL, "
		 "event_time_ms %1$s NOT NULL, "
		 "schema_id %1$s NOT NULL, "
		 "kafka_timestamp_ms %1$s, "
		 "PRIMARY KEY (topic, kafka_partition, kafka_offset))%2$s",
		 d->int64, d->keyed, d->text);
	snprintf(orders, sizeof(orders),
		 "CREATE TABLE orders ("
		 "order_id %3$s NOT NULL PRIMARY KEY, "
		 "customer_id TEXT NOT NULL, "
		 "status TEXT NOT NULL, "
		 "amount_cents %1$s, "
		 "currency TEXT NOT NULL, "
		 "item_count %1$s NOT NULL, "
		 "updated_ms %1$s NOT NULL, "
		 "topic %3$s NOT NULL, "
		 "kafka_partition %1$s NOT NULL, "
		 "kafka_offset %1$s NOT NULL)%2$s",
		 d->int64, d->keyed, d->text);
	return xf_sink_schema(sink, ORD_COMPONENT, XF_ORDERS_SCHEMA_VERSION,
			      tables, ddl);
}

static int ord_open(struct xf_sink *sink, void **state)
{
	struct ord_state *st;
	int ret;

	*state = NULL;
	ret = create_tables(sink);
	if (ret == 0)
		ret = xf_sink_exec(
			sink, "CREATE TEMP TABLE IF NOT EXISTS " ORD_RECOMPUTE
			      " (order_id TEXT NOT NULL "
			      "PRIMARY KEY)");
	if (ret < 0)
		return ret;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	ret = arena_new(&st->msg, ARENA_UNCAPPED);
	if (ret < 0) {
		diag_err("orders transform: out of memory");
		goto out_close;
	}
	ret = xf_rows_prepare(sink, "order_events", EVENT_COLS, EVENT_NCOLS,
			      EVENT_UPDATE, &st->put_events);
	if (ret == 0)
		ret = xf_rows_prepare(sink, "orders", ORDER_COLS, ORDER_NCOLS,
				      ORDER_UPDATE ORDER_WHERE,
				      &st->put_orders);
	if (ret == 0)
		ret = xf_stmt_prepare_insert(sink, "orders", ORDER_COLS,
					     ORDER_NCOLS, 1, ORDER_UPDATE,
					     &st->set_order);
	if (ret == 0)
		ret = xf_stmt_prepare(sink,
				      "SELECT order_id, event_time_ms, "
				      "customer_id, event_type, amount_cents, "
				      "currency, item_count, channel, "
				      "schema_id, kafka_timestamp_ms "
				      "FROM order_events WHERE topic = ? AND "
				      "kafka_partition = ? AND "
				      "kafka_offset = ?",
				      &st->old_event);
	if (ret == 0)
		ret = xf_prepare_delete(sink, "order_events", &st->del_event);
	if (ret == 0)
		ret = xf_stmt_prepare(sink,
				      "SELECT 1 FROM orders WHERE order_id = ? "
				      "AND topic = ? AND kafka_partition = ? "
				      "AND kafka_offset = ?",
				      &st->is_source);
	if (ret == 0)
		ret = xf_stmt_prepare(sink,
				      "DELETE FROM orders WHERE order_id = ?",
				      &st->del_order);
	if (ret == 0)
		ret = xf_stmt_prepare(sink, "DELETE FROM " ORD_RECOMPUTE,
				      &st->rc_clear);
	if (ret == 0)
		ret = xf_stmt_prepare(sink,
				      "INSERT INTO " ORD_RECOMPUTE
				      " (order_id) VALUES (?)",
				      &st->rc_add);
	if (ret == 0)
		ret = xf_stmt_prepare(
			sink,
			"SELECT order_id, customer_id, event_type, "
			"amount_cents, currency, item_count, event_time_ms, "
			"topic, kafka_partition, kafka_offset "
			"FROM order_events WHERE order_id IN "
			"(SELECT order_id FROM " ORD_RECOMPUTE ")",
			&st->rc_scan);
	if (ret < 0)
		goto out_close;
	*state = st;
	return 0;

out_close:
	ord_close(st);
	return ret;
}

const struct xf_ops xf_orders_ops = {
	.name = "orders",
	.open = ord_open,
	.prepare = ord_prepare,
	.apply = ord_apply,
	.release = ord_release,
	.close = ord_close,
};

/* transform/transform.c - the transform core (see transform.h).
 *
 * Two threads, so that both cores work (the machine has two):
 *   reader (the caller of xf_run): reads decode.ckpt and the decoded logs,
 *     fills a batch, reduces it to one outcome per coordinate, has each
 *     transform prepare its share (parse, coalesce), and hands it over;
 *   writer: applies a handed-over batch in one transaction and commits.
 * Two batches rotate between them: while the writer applies one, the
 * reader fills the other; a reader ahead of the writer waits for the
 * batch it needs (backpressure), a writer ahead of the reader waits for
 * work. The database connection belongs to the writer, except when the
 * reader has made the writer idle (quiesce) to load a new partition's
 * checkpoint or open a transform: then the reader uses it, the writer
 * being parked on the condition variable.
 *
 * Invariants:
 *   - per partition, committed <= read <= frontier (log positions): read
 *     is the end of the last outcome taken into any batch, frontier
 *     decode's durable end;
 *   - part->high is the greatest offset taken into a batch already handed
 *     over; batches commit in the order they are handed over (or the
 *     process stops), so an outcome above it has no rows yet by the time
 *     its batch applies (the transforms' fast path), and one at or below
 *     it is "reapplied";
 *   - within a batch, coordinates that occur twice (a replay caught inside
 *     one batch) are reduced to their last outcome before the batch is
 *     prepared, so transforms see each coordinate once;
 *   - mu guards full, spare, busy, done, werr and st; everything in a
 *     batch belongs to the thread that holds it, and passes between them
 *     under mu (which orders the writes of one before the reads of the
 *     other).
 */
#include "transform/transform.h"

#include "common/clock.h"
#include "common/diag.h"
#include "common/err.h"
#include "common/io.h"
#include "log/checkpoint.h"
#include "log/decoded.h"
#include "log/layout.h"
#include "log/reader.h"
#include "shm/ring.h"
#include "common/arena.h"
#include "transform/checkpoint.h"
#include "transform/quarantine.h"
#include "transform/sink.h"
#include "transform/xform.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A transform in use. */
struct route {
	const struct xf_ops *ops;
	void *state;
	size_t idx; /* in xf->routes and in every batch's rb */
};

/* A route's share of a batch. */
struct rbatch {
	struct route *route;
	struct xf_outcome *v;
	size_t n, cap;
	void *prep; /* prepared, until released */
};

/* A partition's share of a batch, and its checkpoint row after it. */
struct pbatch {
	struct part *p;
	size_t n;    /* outcomes taken */
	int64_t max; /* their greatest offset */
	bool dups;   /* an offset came twice, or went back */
	struct xf_ck ck;
};

struct batch {
	struct rbatch *rb; /* indexed by route idx */
	size_t nrb;
	struct pbatch *pb;
	size_t npb, pbcap;
	struct arena *bytes; /* the record values */
	size_t n;	     /* outcomes taken */
	int64_t start_ms;    /* when the first was */
	uint64_t ok, quarantined;
};

struct part {
	struct xf_source src; /* outcomes point here */
	char topic[LOG_CK_TOPIC_MAX + 1];
	char dir[PATH_MAX];
	uint32_t topic_id;
	struct route *route;
	struct log_rd *rd;
	struct log_pos frontier; /* decode's durable end */
	struct log_pos read;	 /* after the last outcome taken */
	uint64_t outcomes;	 /* taken, ever (what the row will say) */
	int64_t high;		 /* see the invariants; -1 none */
	bool at_frontier;	 /* the last read found nothing more */
	size_t bi;		 /* + 1: its pbatch in the reader's batch */
};

struct xf {
	const struct cfg *cfg;
	char ck_path[PATH_MAX]; /* decode.ckpt */
	struct xf_sink *sink;
	struct xf_ckpt *ckpt;
	struct xf_quar *quar;
	struct route **routes;
	size_t nroutes;
	struct part **parts;
	size_t nparts;
	size_t rr; /* the partition a fill starts with */
	struct log_ck dck;
	struct shm_ring *ring;
	char ring_name[128];
	int64_t ring_retry_ms;
	size_t batch_max;
	uint32_t max_record;
	struct batch bufs[2];
	struct batch *cur; /* the reader's */
	/* the hand-over */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t writer;
	bool writer_up;
	struct batch *full;  /* handed over, not yet taken */
	struct batch *spare; /* given back */
	bool busy;	     /* the writer is applying */
	bool done;	     /* no more batches: the writer ends when idle */
	int werr;	     /* the writer's fatal error */
	struct xf_stats st;  /* committed */
	/* a stop asked (xf_run's flag), since when, and whether the
	 * writer's connection has been cut for it (wait_writer) */
	const volatile sig_atomic_t *stop;
	int64_t stop_seen_ms;
	bool cut;
};

/* Wait on cv for the writer (mu held), a tick at a time. Once a stop is
 * asked, a writer still busy [transform] stop_timeout_ms later has its
 * database connection cut: a database that does not answer (a server
 * stopped, a network that drops everything) would otherwise hold the stop
 * for good. The transaction in flight then fails; the checkpoint is in it,
 * so the next start applies it again. */
static void wait_writer(struct xf *xf)
{
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += 100 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&xf->cv, &xf->mu, &ts);
	if (!xf->stop || !*xf->stop || xf->cut || !xf->busy)
		return;
	now = clock_ms();
	if (!xf->stop_seen_ms)
		xf->stop_seen_ms = now;
	if (now - xf->stop_seen_ms < xf->cfg->xf_stop_timeout_ms)
		return;
	diag_warn("%s has not answered for %lld ms since the stop "
		  "([transform] stop_timeout_ms): cutting the connection; "
		  "the transaction in flight is not committed, and the next "
		  "start applies it again",
		  xf_sink_name(xf->sink), (long long)(now - xf->stop_seen_ms));
	xf->cut = true;
	xf_sink_interrupt(xf->sink);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL); /* a signal cuts it short: that is wanted */
}

/* A position that names no data: decode has written nothing yet. */
static bool pos_none(struct log_pos p)
{
	return p.pos < LOG_SEG_HDR_SIZE;
}

/* --- the hand-over ------------------------------------------------------ */

/* Wait until the writer is idle with nothing handed over: the reader may
 * then use the database. Returns 0 or the writer's error. */
static int quiesce(struct xf *xf)
{
	int ret;

	pthread_mutex_lock(&xf->mu);
	while ((xf->full || xf->busy) && !xf->werr)
		wait_writer(xf);
	ret = xf->werr;
	pthread_mutex_unlock(&xf->mu);
	return ret;
}

static void batch_reset(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->nrb; i++) {
		struct rbatch *rb = &b->rb[i];

		if (rb->prep)
			rb->route->ops->release(rb->route->state, rb->prep);
		rb->prep = NULL;
		rb->n = 0;
	}
	b->npb = 0;
	b->n = 0;
	b->ok = b->quarantined = 0;
	if (b->bytes) /* (an xf_new that failed before making it) */
		arena_reset(b->bytes, ARENA_UNCAPPED);
}

static void batch_free(struct batch *b)
{
	size_t i;

	batch_reset(b);
	for (i = 0; i < b->nrb; i++)
		free(b->rb[i].v);
	free(b->rb);
	free(b->pb);
	arena_free(b->bytes);
}

/* --- routes ---------------------------------------------------------------- */

static int route_get(struct xf *xf, const struct xf_ops *ops,
		     struct route **out)
{
	struct route *r, **nr;
	size_t i;
	int ret;

	for (i = 0; i < xf->nroutes; i++)
		if (xf->routes[i]->ops == ops) {
			*out = xf->routes[i];
			return 0;
		}
	nr = realloc(xf->routes, (xf->nroutes + 1) * sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	xf->routes = nr;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ops = ops;
	r->idx = xf->nroutes;
	ret = quiesce(xf);
	if (ret == 0)
		ret = ops->open(xf->sink, &r->state);
	if (ret < 0) {
		free(r);
		return ret;
	}
	xf->routes[xf->nroutes++] = r;
	*out = r;
	return 0;
}

static int route_for_topic(struct xf *xf, const char *topic, struct route **out)
{
	const struct xf_ops *ops;
	int ret = xf_resolve(xf->cfg, topic, &ops);

	return ret < 0 ? ret : route_get(xf, ops, out);
}

/* --- partitions ------------------------------------------------------------ */

static struct part *part_find(struct xf *xf, const char *topic,
			      int32_t partition)
{
	size_t i;

	for (i = 0; i < xf->nparts; i++)
		if (xf->parts[i]->src.partition == partition &&
		    strcmp(xf->parts[i]->topic, topic) == 0)
			return xf->parts[i];
	return NULL;
}

static void part_free(struct part *p)
{
	if (!p)
		return;
	log_rd_close(p->rd);
	free(p);
}

/* A partition seen for the first time in decode.ckpt: its transform, its
 * reader, and where the database says it was applied up to. */
static int part_add(struct xf *xf, const char *topic, int32_t partition,
		    struct log_pos frontier)
{
	struct part *p, **np;
	struct xf_ck ck;
	int ret;

	np = realloc(xf->parts, (xf->nparts + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	xf->parts = np;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->topic, sizeof(p->topic), "%s", topic);
	p->src.topic = p->topic;
	p->src.topic_len = strlen(p->topic);
	p->src.partition = partition;
	p->src.dir = p->dir;
	p->topic_id = shm_topic_id(topic);
	p->high = -1;
	ret = layout_part_dir(p->dir, sizeof(p->dir), xf->cfg->data_dir,
			      LAYOUT_DECODED, topic, partition);
	if (ret < 0) {
		diag_err("%s/%s/%s/%d: path too long", xf->cfg->data_dir,
			 LAYOUT_DECODED, topic, (int)partition);
		goto out_free;
	}
	ret = route_for_topic(xf, topic, &p->route);
	if (ret == 0)
		ret = quiesce(xf);
	if (ret == 0)
		ret = xf_ckpt_load(xf->ckpt, topic, partition, &ck);
	if (ret < 0)
		goto out_free;
	ret = log_rd_open(p->dir, LOG_ZONE_DECODED, xf->max_record, &p->rd);
	if (ret < 0) {
		diag_err("%s: cannot read the decoded log: %s", p->dir,
			 err_str(ret));
		goto out_free;
	}
	p->high = ck.high;
	if (ck.found) {
		if (pos_none(ck.pos) || log_rd_seek(p->rd, ck.pos) < 0) {
			diag_err("%s: %s row of %s/%d names position %" PRIu64
				 " of segment %" PRIu64
				 ", which is no record boundary",
				 xf_sink_name(xf->sink), XF_CK_TABLE, topic,
				 (int)partition, ck.pos.pos, ck.pos.seg);
			ret = -ERR_CORRUPT;
			goto out_free;
		}
		if (log_pos_cmp(ck.pos, frontier) > 0) {
			diag_err("%s: the database has %s/%d applied up to "
				 "segment %" PRIu64 " position %" PRIu64
				 ", past decode's durable end (segment %" PRIu64
				 " position %" PRIu64 ") in %s: the database "
				 "belongs to another data directory, or the "
				 "decoded log was removed",
				 xf_sink_name(xf->sink), topic, (int)partition,
				 ck.pos.seg, ck.pos.pos, frontier.seg,
				 frontier.pos, p->dir);
			ret = -ERR_CORRUPT;
			goto out_free;
		}
		p->read = ck.pos;
		p->outcomes = ck.outcomes;
		diag_info("%s/%d: resuming at segment %" PRIu64
			  " position %" PRIu64 " (%" PRIu64
			  " outcomes applied)",
			  topic, (int)partition, ck.pos.seg, ck.pos.pos,
			  ck.outcomes);
	} else {
		diag_info("%s/%d: starting at the beginning of %s", topic,
			  (int)partition, p->dir);
	}
	p->frontier = frontier;
	xf->parts[xf->nparts++] = p;
	return 0;

out_free:
	part_free(p);
	return ret;
}

/* decode.ckpt, as decode last saved it (log_ck_load is read-only and
 * looks again when a save tears both slots under it). */
static int load_decode_ckpt(struct xf *xf)
{
	int ret;

	log_ck_free(&xf->dck);
	memset(&xf->dck, 0, sizeof(xf->dck));
	ret = log_ck_load(xf->ck_path, &xf->dck);
	if (ret < 0 && ret != -ENOENT && ret != -ERR_CORRUPT &&
	    ret != -ERR_FORMAT)
		diag_err("%s: %s", xf->ck_path, err_str(ret));
	return ret;
}

/* Read decode.ckpt: find new partitions and move frontiers. */
static int reload(struct xf *xf)
{
	size_t i;
	int ret;

	ret = load_decode_ckpt(xf);
	if (ret == -ENOENT)
		return 0; /* decode has not checkpointed yet */
	if (ret < 0)
		return ret;
	for (i = 0; i < xf->dck.n; i++) {
		const struct log_ck_entry *e = &xf->dck.e[i];
		struct log_pos f = {e->v[DEC_CK_OUT_SEG], e->v[DEC_CK_OUT_POS]};
		struct part *p = part_find(xf, e->topic, e->partition);

		if (!p) {
			ret = part_add(xf, e->topic, e->partition, f);
			if (ret < 0)
				return ret;
			continue;
		}
		if (log_pos_cmp(f, p->frontier) == 0)
			continue;
		if (log_pos_cmp(f, p->read) < 0) {
			diag_err(
				"%s: decode's durable end of %s/%d went back "
				"to segment %" PRIu64 " position %" PRIu64
				", behind what transform read (segment %" PRIu64
				" position %" PRIu64 ")",
				xf->ck_path, p->topic, (int)p->src.partition,
				f.seg, f.pos, p->read.seg, p->read.pos);
			return -ERR_CORRUPT;
		}
		p->frontier = f;
		p->at_frontier = false;
	}
	return 0;
}

/* --- reading ----------------------------------------------------------- */

static int corrupt_at(const struct xf_outcome *o, const char *what)
{
	char where[512];

	diag_err("%s: %s", xf_where(o, where, sizeof(where)), what);
	return -ERR_CORRUPT;
}

/* The reader's batch's share of @p, added if new; NULL without memory. */
static struct pbatch *pbatch_of(struct batch *b, struct part *p)
{
	struct pbatch *pb;

	if (p->bi)
		return &b->pb[p->bi - 1];
	if (b->npb == b->pbcap) {
		size_t cap = b->pbcap ? b->pbcap * 2 : 16;
		struct pbatch *n = realloc(b->pb, cap * sizeof(*n));

		if (!n)
			return NULL;
		b->pb = n;
		b->pbcap = cap;
	}
	pb = &b->pb[b->npb++];
	memset(pb, 0, sizeof(*pb));
	pb->p = p;
	p->bi = b->npb;
	return pb;
}

/* The reader's batch's share of route @r, with room for one more. */
static struct rbatch *rbatch_of(struct xf *xf, struct batch *b, struct route *r)
{
	struct rbatch *rb;

	if (r->idx >= b->nrb) {
		struct rbatch *n = realloc(b->rb, xf->nroutes * sizeof(*n));

		if (!n)
			return NULL;
		memset(n + b->nrb, 0, (xf->nroutes - b->nrb) * sizeof(*n));
		b->rb = n;
		b->nrb = xf->nroutes;
	}
	rb = &b->rb[r->idx];
	rb->route = r;
	if (rb->n == rb->cap) {
		size_t cap = rb->cap ? rb->cap * 2 : 1024;
		struct xf_outcome *nv;

		if (cap > xf->batch_max)
			cap = xf->batch_max;
		nv = realloc(rb->v, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		rb->v = nv;
		rb->cap = cap;
	}
	return rb;
}

/* Take the record @rec at @at of @p into the reader's batch. */
static int take(struct xf *xf, struct part *p, const struct log_rec *rec,
		struct log_pos at)
{
	struct batch *b = xf->cur;
	struct pbatch *pb = pbatch_of(b, p);
	struct rbatch *rb = rbatch_of(xf, b, p->route);
	struct xf_outcome *o;
	unsigned char *copy;

	if (!pb || !rb)
		return -ENOMEM;
	o = &rb->v[rb->n];
	memset(o, 0, sizeof(*o));
	o->src = &p->src;
	o->offset = rec->offset;
	o->timestamp = rec->timestamp;
	o->at = at;
	o->type = rec->type;
	if (!rec->value)
		return corrupt_at(o, "a decoded record with no value");
	/* The reader's buffer moves on with the next record: keep a copy
	 * for the transaction. */
	copy = arena_alloc(b->bytes, rec->value_len + rec->key_len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, rec->value, rec->value_len);
	if (rec->key) {
		memcpy(copy + rec->value_len, rec->key, rec->key_len);
		o->key = copy + rec->value_len;
		o->key_len = rec->key_len;
	}
	if (rec->type == LOG_DEC_OK) {
		struct log_dec_ok ok;

		if (log_dec_ok_parse(copy, rec->value_len, &ok) < 0)
			return corrupt_at(o, "a decoded outcome whose lengths "
					     "do not add up");
		o->schema_id = ok.schema_id;
		o->has_schema_id = true;
		o->message = ok.message;
		o->message_len = ok.message_len;
		o->data = ok.body;
		o->len = ok.body_len;
	} else if (rec->type == LOG_DEC_QUARANTINED) {
		struct log_dec_quarantine q;

		if (log_dec_q_parse(copy, rec->value_len, false, &q) < 0)
			return corrupt_at(o, "a quarantine outcome whose "
					     "lengths do not add up");
		o->schema_id = q.schema_id;
		o->has_schema_id = q.has_schema_id;
		o->reason = q.reason;
		o->data = q.detail;
		o->len = q.detail_len;
	} else {
		char what[96];

		snprintf(what, sizeof(what),
			 "decoded record of type %u, unknown to this build",
			 rec->type);
		corrupt_at(o, what);
		return -ERR_FORMAT;
	}
	o->reapplied = rec->offset <= p->high;
	if (pb->n && rec->offset <= pb->max)
		pb->dups = true;
	if (!pb->n || rec->offset > pb->max)
		pb->max = rec->offset;
	pb->n++;
	rb->n++;
	if (b->n++ == 0)
		b->start_ms = clock_ms();
	return 0;
}

/* Read @p up to its frontier or until the batch is full. */
static int read_part(struct xf *xf, struct part *p)
{
	struct log_rec rec;
	struct log_pos at, end;
	int ret;

	while (xf->cur->n < xf->batch_max) {
		ret = log_rd_next(p->rd, p->frontier, &rec, &at);
		if (ret < 0) {
			end = log_rd_pos(p->rd);
			diag_err("%s position %" PRIu64 ": %s, below decode's "
				 "durable end (segment %" PRIu64
				 " position %" PRIu64 "): the decoded log is "
				 "damaged",
				 log_rd_path(p->rd), end.pos, err_str(ret),
				 p->frontier.seg, p->frontier.pos);
			return ret == -ENODATA ? -ERR_CORRUPT : ret;
		}
		if (ret == 0) {
			end = log_rd_pos(p->rd);
			if (!pos_none(p->frontier) &&
			    log_pos_cmp(end, p->frontier) != 0) {
				diag_err(
					"%s: the decoded log of %s/%d ends at "
					"segment %" PRIu64 " position %" PRIu64
					", before decode's durable end "
					"(segment %" PRIu64 " position %" PRIu64
					"): acknowledged data is missing",
					p->dir, p->topic, (int)p->src.partition,
					end.seg, end.pos, p->frontier.seg,
					p->frontier.pos);
				return -ERR_CORRUPT;
			}
			/* Everything up to the frontier is taken, also when
			 * the reader stands at the start of a new segment. */
			if (!pos_none(p->frontier))
				p->read = end;
			p->at_frontier = true;
			return 0;
		}
		ret = take(xf, p, &rec, at);
		if (ret < 0)
			return ret;
		p->read = log_rd_pos(p->rd);
	}
	return 0;
}

/* Fill the reader's batch from every partition in turn. *caught_up: every
 * partition is at its frontier. */
static int fill(struct xf *xf, bool *caught_up)
{
	size_t k, n = xf->nparts;
	int ret;

	*caught_up = true;
	for (k = 0; k < n; k++) {
		struct part *p = xf->parts[(xf->rr + k) % n];

		if (!p->at_frontier && xf->cur->n < xf->batch_max) {
			ret = read_part(xf, p);
			if (ret < 0)
				return ret;
		}
		if (!p->at_frontier)
			*caught_up = false;
	}
	xf->rr++;
	return 0;
}

/* --- sealing a batch (reader) ---------------------------------------------- */

struct dup {
	int64_t offset;
	size_t idx;
};

static int cmp_dup(const void *a, const void *b)
{
	const struct dup *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Keep only the last outcome of each coordinate of @pb's partition: the
 * others are marked (src = NULL) for compact(). */
static int dedup_part(struct batch *b, const struct pbatch *pb)
{
	struct rbatch *rb = &b->rb[pb->p->route->idx];
	struct dup *d = malloc(pb->n * sizeof(*d));
	size_t i, n = 0;

	if (!d)
		return -ENOMEM;
	for (i = 0; i < rb->n; i++)
		if (rb->v[i].src == &pb->p->src)
			d[n++] = (struct dup){rb->v[i].offset, i};
	qsort(d, n, sizeof(*d), cmp_dup);
	for (i = 0; i + 1 < n; i++)
		if (d[i].offset == d[i + 1].offset)
			rb->v[d[i].idx].src = NULL;
	free(d);
	return 0;
}

static void compact(struct rbatch *rb)
{
	size_t i, j = 0;

	for (i = 0; i < rb->n; i++)
		if (rb->v[i].src)
			rb->v[j++] = rb->v[i];
	rb->n = j;
}

/* Make the reader's batch ready for the writer: one outcome per
 * coordinate, each route's share prepared, the checkpoint rows it will
 * write. Moves the partitions' high offsets past it. */
static int seal(struct xf *xf)
{
	struct batch *b = xf->cur;
	bool dups = false;
	size_t i, j;
	int ret;

	for (i = 0; i < b->npb; i++)
		if (b->pb[i].dups) {
			ret = dedup_part(b, &b->pb[i]);
			if (ret < 0)
				return ret;
			dups = true;
		}
	for (i = 0; i < b->nrb; i++) {
		struct rbatch *rb = &b->rb[i];
		struct xf_batch xb;

		if (dups)
			compact(rb);
		if (!rb->n)
			continue;
		for (j = 0; j < rb->n; j++)
			if (rb->v[j].type == LOG_DEC_QUARANTINED)
				b->quarantined++;
			else
				b->ok++;
		xb = (struct xf_batch){rb->v, rb->n};
		ret = rb->route->ops->prepare(rb->route->state, &xb, &rb->prep);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < b->npb; i++) {
		struct pbatch *pb = &b->pb[i];
		struct part *p = pb->p;

		p->outcomes += pb->n;
		if (pb->max > p->high)
			p->high = pb->max;
		pb->ck = (struct xf_ck){
			.pos = p->read,
			.outcomes = p->outcomes,
			.high = p->high,
		};
		p->bi = 0;
	}
	return 0;
}

/* Seal the reader's batch, hand it to the writer, and take the other one
 * back (waiting for the writer to be done with it). Returns 0 or an error
 * of either side. */
static int hand_over(struct xf *xf)
{
	int ret = seal(xf);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&xf->mu);
	while (xf->full && !xf->werr)
		wait_writer(xf);
	if (!xf->werr) {
		xf->full = xf->cur;
		xf->cur = NULL;
		pthread_cond_broadcast(&xf->cv);
		while (!xf->spare && !xf->werr)
			wait_writer(xf);
		if (xf->spare) {
			xf->cur = xf->spare;
			xf->spare = NULL;
		}
	}
	ret = xf->werr;
	pthread_mutex_unlock(&xf->mu);
	if (xf->cur)
		batch_reset(xf->cur);
	return ret;
}

/* The writer's fatal error, or 0. The reader otherwise learns of it at its
 * next hand-over, which a caught-up reader may never reach: it would stay
 * up with its lock held and apply nothing. */
static int writer_error(struct xf *xf)
{
	int ret;

	pthread_mutex_lock(&xf->mu);
	ret = xf->werr;
	pthread_mutex_unlock(&xf->mu);
	return ret;
}

/* --- the transaction (writer) ---------------------------------------------- */

static int apply_route(struct xf *xf, struct rbatch *rb)
{
	size_t i;
	int ret;

	for (i = 0; i < rb->n; i++) {
		const struct xf_outcome *o = &rb->v[i];

		if (o->type == LOG_DEC_QUARANTINED)
			ret = xf_quar_put(xf->quar, o);
		else
			ret = o->reapplied ? xf_quar_del(xf->quar, o) : 0;
		if (ret < 0)
			return ret;
	}
	return rb->route->ops->apply(rb->route->state, rb->prep);
}

/* Apply batch @b in one transaction (see transform.h). */
static int commit(struct xf *xf, struct batch *b)
{
	size_t i;
	int ret;

	ret = xf_sink_begin(xf->sink);
	if (ret < 0)
		return ret;
	for (i = 0; i < b->nrb && ret == 0; i++)
		if (b->rb[i].n)
			ret = apply_route(xf, &b->rb[i]);
	if (ret < 0)
		goto out_rollback;
	io_kill_point("T1");
	for (i = 0; i < b->npb; i++) {
		const struct pbatch *pb = &b->pb[i];

		ret = xf_ckpt_save(xf->ckpt, pb->p->topic, pb->p->src.partition,
				   &pb->ck);
		if (ret < 0)
			goto out_rollback;
	}
	io_kill_point("T2");
	ret = xf_sink_commit(xf->sink);
	if (ret < 0)
		goto out_rollback;
	io_kill_point("T3");
	return 0;

out_rollback:
	if (ret == -ENOMEM)
		diag_err("transform: out of memory");
	xf_sink_rollback(xf->sink);
	return ret;
}

static void *writer_main(void *arg)
{
	struct xf *xf = arg;
	struct batch *b;
	int ret;

	pthread_mutex_lock(&xf->mu);
	for (;;) {
		while (!xf->full && !xf->done)
			pthread_cond_wait(&xf->cv, &xf->mu);
		if (!xf->full)
			break;
		b = xf->full;
		xf->full = NULL;
		xf->busy = true;
		pthread_cond_broadcast(&xf->cv);
		pthread_mutex_unlock(&xf->mu);

		ret = commit(xf, b);

		pthread_mutex_lock(&xf->mu);
		xf->busy = false;
		xf->spare = b;
		if (ret < 0) {
			xf->werr = ret;
		} else {
			if (xf->st.batches == 0)
				xf->st.first_ms = b->start_ms;
			xf->st.last_ms = clock_ms();
			xf->st.outcomes += b->n;
			xf->st.ok += b->ok;
			xf->st.quarantined += b->quarantined;
			xf->st.batches++;
		}
		pthread_cond_broadcast(&xf->cv);
		if (ret < 0)
			break;
	}
	pthread_mutex_unlock(&xf->mu);
	return NULL;
}

static int writer_start(struct xf *xf)
{
	sigset_t block, old;
	int ret;

	xf->full = xf->spare = NULL;
	xf->busy = xf->done = false;
	xf->werr = 0;
	xf->cur = &xf->bufs[0];
	xf->spare = &xf->bufs[1];
	/* Signals go to the reader, which sleeps in the ring's futex or in
	 * nanosleep and is woken by them. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	ret = -pthread_create(&xf->writer, NULL, writer_main, xf);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret < 0) {
		diag_err("transform: cannot start the writer thread: %s",
			 err_str(ret));
		return ret;
	}
	xf->writer_up = true;
	return 0;
}

/* Let the writer finish what it was given, and end. Returns its error. */
static int writer_stop(struct xf *xf)
{
	int ret;

	if (!xf->writer_up)
		return 0;
	pthread_mutex_lock(&xf->mu);
	xf->done = true;
	pthread_cond_broadcast(&xf->cv);
	while ((xf->full || xf->busy) && !xf->werr)
		wait_writer(xf);
	pthread_mutex_unlock(&xf->mu);
	pthread_join(xf->writer, NULL);
	xf->writer_up = false;
	ret = xf->werr;
	/* A batch handed over but never taken (the writer failed first). */
	if (xf->full)
		batch_reset(xf->full);
	xf->full = NULL;
	return ret;
}

/* --- waiting ---------------------------------------------------------------- */

static void ring_open(struct xf *xf, bool quiet)
{
	int ret = shm_ring_open(xf->ring_name,
				(uint32_t)xf->cfg->dec_ring_capacity,
				SHM_RING_CONSUMER, &xf->ring);

	if (ret < 0) {
		xf->ring = NULL;
		if (!quiet)
			diag_warn("ring %s unavailable (%s): reading %s every "
				  "%d ms instead",
				  xf->ring_name, err_str(ret), xf->ck_path,
				  XF_POLL_MS);
	}
	xf->ring_retry_ms = clock_ms() + XF_RING_RETRY_MS;
}

/* Whether ring entries announce a frontier past the one known (or a
 * partition not known): then decode.ckpt is worth reading at once. */
static bool hints(struct xf *xf, const struct shm_ring_entry *e, int n)
{
	bool news = false;
	int i;

	for (i = 0; i < n; i++) {
		struct log_pos f = {e[i].seg, (uint64_t)e[i].pos + e[i].len};
		size_t j;
		bool known = false;

		for (j = 0; j < xf->nparts; j++) {
			struct part *p = xf->parts[j];

			if (p->topic_id != e[i].topic_id ||
			    p->src.partition != e[i].partition)
				continue;
			known = true;
			if (log_pos_cmp(f, p->frontier) > 0)
				news = true;
		}
		if (!known)
			news = true;
	}
	return news;
}

/* Sleep until decode announces something or @timeout_ms passes. Returns
 * true when decode.ckpt should be read at once. */
static bool wait_news(struct xf *xf, int timeout_ms)
{
	struct shm_ring_entry e[64];
	bool news = false;
	int n;

	if (!xf->ring && clock_ms() >= xf->ring_retry_ms)
		ring_open(xf, true);
	if (xf->ring && shm_ring_stale(xf->ring)) {
		shm_ring_close(xf->ring);
		ring_open(xf, false);
	}
	if (!xf->ring) {
		sleep_ms(timeout_ms);
		return false;
	}
	n = shm_ring_consume(xf->ring, e, 64);
	if (n == 0 && shm_ring_wait(xf->ring, timeout_ms))
		n = shm_ring_consume(xf->ring, e, 64);
	while (n > 0) {
		news |= hints(xf, e, n);
		n = n == 64 ? shm_ring_consume(xf->ring, e, 64) : 0;
	}
	if (n < 0) {
		diag_warn("ring %s: indices do not verify; reopening",
			  xf->ring_name);
		shm_ring_close(xf->ring);
		ring_open(xf, false);
		return true;
	}
	return news;
}

static void report(struct xf *xf, int64_t *last_ms, uint64_t *last_outcomes)
{
	int64_t now = clock_ms();
	double secs = (double)(now - *last_ms) / 1000.0;
	struct xf_stats st;

	xf_get_stats(xf, &st);
	diag_info("applied %" PRIu64 " outcomes (%" PRIu64 " ok, %" PRIu64
		  " quarantined) in %" PRIu64 " transactions, %.0f "
		  "records/s, %zu partitions",
		  st.outcomes, st.ok, st.quarantined, st.batches,
		  secs > 0 ? (double)(st.outcomes - *last_outcomes) / secs
			   : 0.0,
		  st.partitions);
	*last_ms = now;
	*last_outcomes = st.outcomes;
}

/* The reader's loop (see xf_run). */
static int run(struct xf *xf, const volatile sig_atomic_t *stop, bool once)
{
	int64_t last_load, last_report = clock_ms(), now;
	uint64_t last_outcomes = xf->st.outcomes;
	bool caught_up;
	int ret;

	ret = reload(xf);
	if (ret < 0)
		return ret;
	last_load = clock_ms();
	while (!(stop && *stop)) {
		ret = fill(xf, &caught_up);
		if (ret < 0)
			return ret;
		now = clock_ms();
		if (xf->cur->n &&
		    (xf->cur->n >= xf->batch_max || (caught_up && once) ||
		     now - xf->cur->start_ms >= xf->cfg->xf_batch_latency_ms)) {
			ret = hand_over(xf);
			if (ret < 0)
				return ret;
		} else if (caught_up && once) {
			break;
		} else if (caught_up) {
			int64_t t = XF_POLL_MS;

			ret = writer_error(xf);
			if (ret < 0)
				return ret;
			if (xf->cur->n)
				t = xf->cur->start_ms +
				    xf->cfg->xf_batch_latency_ms - now;
			if (t > XF_POLL_MS)
				t = XF_POLL_MS;
			if (t < 1)
				t = 1;
			if (wait_news(xf, (int)t) ||
			    clock_ms() - last_load >= XF_POLL_MS) {
				ret = reload(xf);
				if (ret < 0)
					return ret;
				last_load = clock_ms();
			}
		}
		if (clock_ms() - last_report >= XF_REPORT_MS)
			report(xf, &last_report, &last_outcomes);
	}
	/* Stopped: what is in hand is committed too. */
	if (xf->cur->n)
		ret = hand_over(xf);
	if (ret == 0 && !once)
		report(xf, &last_report, &last_outcomes);
	return ret;
}

int xf_run(struct xf *xf, const volatile sig_atomic_t *stop, bool once)
{
	int ret, wret;

	xf->stop = stop;
	xf->stop_seen_ms = 0;
	xf->cut = false;
	ret = writer_start(xf);
	if (ret < 0)
		return ret;
	ret = run(xf, stop, once);
	wret = writer_stop(xf);
	if (xf->cur)
		batch_reset(xf->cur);
	if (xf->st.batches) {
		double secs = (double)(xf->st.last_ms - xf->st.first_ms) / 1e3;

		diag_info("totals: %" PRIu64 " outcomes applied in %.2f s of "
			  "applying (%.0f records/s)",
			  xf->st.outcomes, secs,
			  secs > 0 ? (double)xf->st.outcomes / secs : 0.0);
	}
	return ret < 0 ? ret : wret;
}

/* --- life ---------------------------------------------------------------------- */

int xf_new(const struct cfg *cfg, struct xf **out)
{
	char url[PATH_MAX + 16];
	struct route *r;
	struct xf *xf;
	size_t i;
	int ret;

	*out = NULL;
	xf = calloc(1, sizeof(*xf));
	if (!xf)
		return -ENOMEM;
	pthread_mutex_init(&xf->mu, NULL);
	{
		pthread_condattr_t ca;

		/* wait_writer() ticks on the monotonic clock. */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&xf->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	xf->cfg = cfg;
	xf->batch_max = (size_t)cfg->xf_batch_records;
	xf->max_record = (uint32_t)cfg->max_record_bytes + LOG_DEC_SLACK;
	if (snprintf(xf->ck_path, sizeof(xf->ck_path), "%s/%s", cfg->data_dir,
		     LAYOUT_DECODE_CKPT) >= (int)sizeof(xf->ck_path) ||
	    xf_sink_url(url, sizeof(url), cfg->xf_sink, cfg->data_dir) < 0) {
		diag_err("%s: path too long", cfg->data_dir);
		ret = -ENAMETOOLONG;
		goto out_free;
	}
	for (i = 0; i < 2; i++) {
		ret = arena_new(&xf->bufs[i].bytes, ARENA_UNCAPPED);
		if (ret < 0)
			goto out_free;
	}
	/* Configuration first: a topic without a transform built is an
	 * error before anything is opened. */
	for (i = 0; i < cfg->nland_topics; i++) {
		const struct xf_ops *ops;

		ret = xf_resolve(cfg, cfg->land_topics[i], &ops);
		if (ret < 0)
			goto out_free;
	}
	for (i = 0; i < cfg->nxf_topics; i++) {
		const struct xf_ops *ops;

		ret = xf_resolve(cfg, cfg->xf_topics[i].key, &ops);
		if (ret < 0)
			goto out_free;
	}
	ret = xf_sink_open(url, &xf->sink);
	if (ret < 0)
		goto out_free;
	ret = xf_ckpt_open(xf->sink, cfg->instance, &xf->ckpt);
	if (ret == 0)
		ret = xf_quar_open(xf->sink, &xf->quar);
	for (i = 0; ret == 0 && i < cfg->nland_topics; i++)
		ret = route_for_topic(xf, cfg->land_topics[i], &r);
	if (ret < 0)
		goto out_free;
	ret = shm_ring_name(xf->ring_name, sizeof(xf->ring_name), cfg->instance,
			    "decode", "transform");
	if (ret < 0)
		goto out_free;
	ring_open(xf, false);
	diag_info("transforming %s/%s into %s", cfg->data_dir, LAYOUT_DECODED,
		  xf_sink_name(xf->sink));
	*out = xf;
	return 0;

out_free:
	xf_free(xf);
	return ret;
}

void xf_get_stats(struct xf *xf, struct xf_stats *st)
{
	pthread_mutex_lock(&xf->mu);
	*st = xf->st;
	pthread_mutex_unlock(&xf->mu);
	st->partitions = xf->nparts;
}

void xf_free(struct xf *xf)
{
	size_t i;

	if (!xf)
		return;
	writer_stop(xf);
	/* Prepared batches go back to their transforms before those
	 * close. */
	for (i = 0; i < 2; i++)
		batch_free(&xf->bufs[i]);
	for (i = 0; i < xf->nparts; i++)
		part_free(xf->parts[i]);
	free(xf->parts);
	for (i = 0; i < xf->nroutes; i++) {
		xf->routes[i]->ops->close(xf->routes[i]->state);
		free(xf->routes[i]);
	}
	free(xf->routes);
	xf_quar_close(xf->quar);
	xf_ckpt_close(xf->ckpt);
	xf_sink_close(xf->sink);
	shm_ring_close(xf->ring);
	log_ck_free(&xf->dck);
	pthread_cond_destroy(&xf->cv);
	pthread_mutex_destroy(&xf->mu);
	free(xf);
}

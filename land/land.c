/* land/land.c - records to the raw zone: framing into chunks, epochs of
 * group commit, checkpoint, ring, Kafka commit (the protocol is described
 * in land/land.h).
 *
 * Invariants:
 *  - a partition's records are framed in offset order, each offset greater
 *    than the last landed (redelivered ones are skipped);
 *  - a chunk belongs to the epoch that was open when it was submitted; the
 *    closing epoch's fsyncs are queued only once all of its writes are done,
 *    and its checkpoint, ring entries and commit follow only its fsyncs;
 *  - after a fatal error (l->fatal) no epoch completes again.
 */
#include "land/land.h"
#include "land/headers.h"

#include "common/clock.h"
#include "common/diag.h"
#include "common/err.h"
#include "common/io.h"
#include "land/memory.h"
#include "land/pool.h"
#include "land/uring.h"
#include "log/checkpoint.h"
#include "log/dir.h"
#include "log/layout.h"
#include "log/record.h"
#include "shm/ring.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK_BYTES (256u * 1024) /* the largest chunk: see fit_chunks() */
#define CHUNK_NOTES 256		  /* index notes per chunk at most */
#define URING_DEPTH 256
#define PART_HASH 256

enum ep_state { EP_OPEN, EP_WRITING, EP_SYNCING };

struct land_part;
struct epoch;

/* A chunk's buffer holds, from its start: @lead bytes already in the log
 * (the partial block before where its records go, which an O_DIRECT write
 * rewrites), the framed records, then LOG_DIR_SLACK bytes of room (see
 * log_dir_align()). */
struct chunk {
	struct chunk *next; /* free descriptors, or the partition's queue of
			       writes waiting for the one in flight */
	char *buf;
	uint32_t lead;
	uint32_t len; /* lead + records */
	uint32_t cap; /* what len may reach */
	int big;      /* malloc'd for one record larger than a pool chunk */
	struct land_part *p;
	int64_t first;
	uint64_t seg; /* its segment (for messages) */
	int wfd;      /* the write: fd, file position, length */
	uint64_t woff;
	uint32_t wlen;
	uint32_t align; /* 1, or the O_DIRECT block */
	struct epoch *ep;
	/* records to note in the index, taken while framing (the frame is
	 * in cache then): (offset, position after the lead) */
	struct chunk_note {
		int64_t offset;
		uint32_t rel;
	} notes[CHUNK_NOTES];
	unsigned nnotes;
	int64_t last;	   /* offset of the last record framed */
	uint32_t last_rel; /* and its position in the chunk */
};

struct land_part {
	struct land_part *hnext;
	char topic[LOG_CK_TOPIC_MAX + 1];
	int32_t partition;
	uint32_t topic_id;
	struct log_dir *d;
	int assigned;
	struct chunk *chunk; /* open: framed records not yet written */
	int have_next;
	int64_t next;	      /* the offset after the last record framed */
	uint64_t mark;	      /* id of the open epoch it is listed in */
	int64_t durable_next; /* the offset after the last durable record */
	int64_t committed;    /* last offset committed to Kafka, or -1 */
	/* O_DIRECT writes go one at a time (consecutive ones share a
	 * block): the one in flight, and those waiting for it. */
	bool writing;
	struct chunk *wq_head, *wq_tail;
};

struct ep_entry {
	struct land_part *p;
	struct log_pos start, end;
	int64_t next;
};

struct epoch {
	struct land *l;
	uint64_t id;
	enum ep_state state;
	unsigned writes; /* submitted, not completed */
	unsigned syncs;	 /* fsyncs in flight */
	struct ep_entry *e;
	size_t n, cap;
	uint64_t bytes;
	int64_t opened_ms;
};

struct land {
	const struct cfg *cfg;
	rd_kafka_t *rk;
	struct land_io *io;
	struct land_pool *pool;
	struct chunk *free_desc;
	struct log_dir_opts dopts;
	struct log_ck ck;
	char ck_path[PATH_MAX];
	struct shm_ring *ring;
	struct land_part *hash[PART_HASH];
	struct land_part **parts;
	size_t nparts, capparts;
	struct epoch eps[2];
	struct epoch *open, *closing;
	uint64_t epoch_ids;
	int fatal;
	struct land_stats st;
	/* the last topic and partition seen, to skip hashing and comparing
	 * names per record (partitions live as long as land) */
	const rd_kafka_topic_t *last_rkt;
	uint32_t last_topic_id;
	const char *last_topic;
	struct land_part *last_part;
	int64_t skip_warned_ms;
	bool settle;	   /* caught up: close the open epoch now */
	int64_t commit_ms; /* the last asynchronous commit */
	bool commit_due;   /* durable offsets not committed since */
	int64_t stop_by;   /* 0, or since land_stop(): the end of every wait
			      for Kafka */
};

static int set_fatal(struct land *l, int err)
{
	if (!l->fatal)
		l->fatal = err ? err : -EIO;
	return l->fatal;
}

/* --- partitions ----------------------------------------------------------- */

static struct land_part *part_find(struct land *l, uint32_t topic_id,
				   const char *topic, int32_t partition)
{
	struct land_part *p;

	for (p = l->hash[(topic_id ^ (uint32_t)partition) % PART_HASH]; p;
	     p = p->hnext)
		if (p->partition == partition && p->topic_id == topic_id &&
		    strcmp(p->topic, topic) == 0)
			return p;
	return NULL;
}

static struct land_part *part_get(struct land *l, const char *topic,
				  int32_t partition)
{
	uint32_t id = shm_topic_id(topic);
	struct land_part *p = part_find(l, id, topic, partition);
	size_t h;

	if (p)
		return p;
	if (strlen(topic) > LOG_CK_TOPIC_MAX)
		return NULL;
	if (l->nparts == l->capparts) {
		size_t cap = l->capparts ? l->capparts * 2 : 64;
		struct land_part **np = realloc(l->parts, cap * sizeof(*np));

		if (!np)
			return NULL;
		l->parts = np;
		l->capparts = cap;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->topic, sizeof(p->topic), "%s", topic);
	p->partition = partition;
	p->topic_id = id;
	p->committed = -1;
	h = (id ^ (uint32_t)partition) % PART_HASH;
	p->hnext = l->hash[h];
	l->hash[h] = p;
	l->parts[l->nparts++] = p;
	return p;
}

/* --- epochs --------------------------------------------------------------- */

static void epoch_open(struct land *l, struct epoch *ep)
{
	ep->id = ++l->epoch_ids;
	ep->state = EP_OPEN;
	ep->writes = ep->syncs = 0;
	ep->n = 0;
	ep->bytes = 0;
	ep->opened_ms = 0;
}

/* List @p in the open epoch (once), noting where its bytes start. */
static int epoch_mark(struct land *l, struct land_part *p)
{
	struct epoch *ep = l->open;

	if (p->mark == ep->id)
		return 0;
	if (ep->n == ep->cap) {
		size_t cap = ep->cap ? ep->cap * 2 : 64;
		struct ep_entry *ne = realloc(ep->e, cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		ep->e = ne;
		ep->cap = cap;
	}
	if (ep->n == 0)
		ep->opened_ms = clock_ms();
	ep->e[ep->n++] = (struct ep_entry){.p = p, .start = log_dir_end(p->d)};
	p->mark = ep->id;
	return 0;
}

static void chunk_release(struct land *l, struct chunk *c)
{
	if (c->big)
		free(c->buf);
	else
		land_pool_put(l->pool, c->buf);
	c->next = l->free_desc;
	l->free_desc = c;
}

static void start_sync(struct land *l, struct epoch *ep);
static void complete_epoch(struct land *l, struct epoch *ep);

static void chunk_done(void *arg, int res);

static void write_chunk(struct land *l, struct chunk *c)
{
	int ret = land_io_write(l->io, c->wfd, c->buf, c->wlen, c->woff,
				c->align, chunk_done, c);

	if (ret < 0)
		set_fatal(l, ret); /* the epoch waits for it: it never ends */
}

static void chunk_done(void *arg, int res)
{
	struct chunk *c = arg;
	struct land_part *p = c->p;
	struct epoch *ep = c->ep;
	struct land *l = ep->l;

	if (res < 0) {
		diag_err("%s/%020llu.log: write of %u bytes at position %llu "
			 "failed: %s; nothing past the last checkpoint is "
			 "committed",
			 log_dir_path(p->d), (unsigned long long)c->seg,
			 c->wlen, (unsigned long long)c->woff, err_str(res));
		set_fatal(l, res);
	}
	if (c->align > 1) {
		struct chunk *n = p->wq_head;

		p->writing = n != NULL;
		if (n) {
			p->wq_head = n->next;
			if (!p->wq_head)
				p->wq_tail = NULL;
			write_chunk(l, n);
		}
	}
	ep->writes--;
	chunk_release(l, c);
	if (!l->fatal && ep->state == EP_WRITING && ep->writes == 0)
		start_sync(l, ep);
}

/* Write @c to its partition's log, as part of the open epoch. */
static int submit_chunk(struct land *l, struct chunk *c)
{
	struct land_part *p = c->p;
	uint32_t records = c->len - c->lead;
	struct log_span sp;
	int ret;

	p->chunk = NULL;
	ret = log_dir_reserve(p->d, c->first, records, &sp);
	if (ret == 0)
		ret = log_dir_align(p->d, &sp, c->buf, &c->lead, records);
	if (ret < 0) {
		diag_err("%s: cannot place %u bytes of records from offset "
			 "%lld: %s",
			 log_dir_path(p->d), records, (long long)c->first,
			 err_str(ret));
		chunk_release(l, c);
		return set_fatal(l, ret);
	}
	{
		unsigned i;

		for (i = 0; i < c->nnotes; i++)
			log_dir_note(p->d, c->notes[i].offset,
				     sp.pos + c->notes[i].rel);
		log_dir_note(p->d, c->last, sp.pos + c->last_rel);
	}
	c->len = c->lead + records;
	c->seg = sp.seg;
	c->wfd = sp.align > 1 ? sp.dfd : sp.fd;
	c->woff = sp.pos - c->lead;
	c->wlen = (uint32_t)ret;
	c->align = sp.align;
	c->ep = l->open;
	l->open->writes++;
	if (c->align > 1 && p->writing) {
		c->next = NULL;
		if (p->wq_tail)
			p->wq_tail->next = c;
		else
			p->wq_head = c;
		p->wq_tail = c;
		return 0;
	}
	if (c->align > 1)
		p->writing = true;
	write_chunk(l, c);
	return l->fatal;
}

static void sync_done(void *arg, int res)
{
	struct epoch *ep = arg;
	struct land *l = ep->l;

	if (res < 0) {
		diag_err("fdatasync of the raw zone failed: %s; the data may "
			 "be lost, so nothing is checkpointed or committed",
			 err_str(res));
		set_fatal(l, res);
	}
	ep->syncs--;
	if (!l->fatal && ep->syncs == 0)
		complete_epoch(l, ep);
}

static void start_sync(struct land *l, struct epoch *ep)
{
	size_t i;

	io_kill_point("K1");
	ep->state = EP_SYNCING;
	for (i = 0; i < ep->n; i++) {
		struct log_dir *d = ep->e[i].p->d;
		int fds[2], n, j, ret;

		ret = log_dir_seal(d);
		if (ret < 0) {
			diag_err("%s: cannot cut a finished segment back to "
				 "its records: %s",
				 log_dir_path(d), err_str(ret));
			set_fatal(l, ret);
			return;
		}
		n = log_dir_unsynced(d, fds);
		for (j = 0; j < n; j++) {
			if (land_io_fsync(l->io, fds[j], sync_done, ep) < 0) {
				set_fatal(l, -ENOMEM);
				return;
			}
			ep->syncs++;
		}
	}
	if (ep->syncs == 0)
		complete_epoch(l, ep);
}

/* Commit @list and wait for the broker's answer: until the stop's
 * deadline when stopping, else for [land] stop_timeout_ms. Returns the
 * answer, or RD_KAFKA_RESP_ERR__TIMED_OUT when none came in time (an
 * unreachable broker: librdkafka may still deliver the commit later). */
static rd_kafka_resp_err_t commit_wait(struct land *l,
				       rd_kafka_topic_partition_list_t *list)
{
	int64_t by = l->stop_by ? l->stop_by
				: clock_ms() + l->cfg->land_stop_timeout_ms;
	rd_kafka_queue_t *q = rd_kafka_queue_new(l->rk);
	rd_kafka_resp_err_t err;
	bool answered = false;

	if (!q)
		return RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE;
	err = rd_kafka_commit_queue(l->rk, list, q, NULL, NULL);
	while (!err && !answered) {
		int64_t left = by - clock_ms();
		rd_kafka_event_t *ev =
			rd_kafka_queue_poll(q, left > 0 ? (int)left : 0);

		if (ev &&
		    rd_kafka_event_type(ev) == RD_KAFKA_EVENT_OFFSET_COMMIT) {
			err = rd_kafka_event_error(ev);
			answered = true;
		}
		if (ev)
			rd_kafka_event_destroy(ev);
		else if (left <= 0)
			err = RD_KAFKA_RESP_ERR__TIMED_OUT;
	}
	rd_kafka_queue_destroy(q);
	return err;
}

/* Commit durable offsets of assigned partitions that moved. @wait waits
 * for the broker's answer (commit_wait()); returns the answer, or
 * RD_KAFKA_RESP_ERR_NO_ERROR when not waiting. A failed commit is not
 * fatal: the local checkpoint rules, and the next commit supersedes it. */
static rd_kafka_resp_err_t commit_offsets(struct land *l, bool wait)
{
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
	size_t i;

	if (!l->rk)
		return err;
	list = rd_kafka_topic_partition_list_new(
		(int)(l->nparts ? l->nparts : 1));
	for (i = 0; i < l->nparts; i++) {
		struct land_part *p = l->parts[i];

		if (!p->assigned || !p->have_next ||
		    p->durable_next <= p->committed)
			continue;
		rd_kafka_topic_partition_list_add(list, p->topic, p->partition)
			->offset = p->durable_next;
		p->committed = p->durable_next;
	}
	if (list->cnt) {
		err = wait ? commit_wait(l, list)
			   : rd_kafka_commit(l->rk, list, 1);
		if (err == RD_KAFKA_RESP_ERR__TIMED_OUT && wait)
			diag_warn("offset commit of %d partitions not "
				  "confirmed within [land] stop_timeout_ms = "
				  "%lld (is the broker reachable?); land's "
				  "checkpoint keeps the place",
				  list->cnt,
				  (long long)l->cfg->land_stop_timeout_ms);
		else if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
			diag_warn("offset commit of %d partitions failed: %s "
				  "(superseded by the next one)",
				  list->cnt, rd_kafka_err2str(err));
	}
	rd_kafka_topic_partition_list_destroy(list);
	return err;
}

/* The asynchronous commit, once LAND_COMMIT_MS have passed since the last
 * one: a commit per epoch (every 20 ms) would only load the broker. */
static void maybe_commit(struct land *l)
{
	int64_t now;

	if (!l->commit_due)
		return;
	now = clock_ms();
	if (now - l->commit_ms < LAND_COMMIT_MS)
		return;
	commit_offsets(l, false);
	l->commit_ms = now;
	l->commit_due = false;
}

void land_commit_result(struct land *l, rd_kafka_resp_err_t err,
			const rd_kafka_topic_partition_list_t *offsets)
{
	int i, failed = 0;

	if (!offsets)
		return;
	for (i = 0; i < offsets->cnt; i++) {
		const rd_kafka_topic_partition_t *t = &offsets->elems[i];
		struct land_part *p;

		if (!err && !t->err)
			continue;
		/* Never creates one: a partition given up meanwhile is its
		 * next owner's to commit. */
		p = part_find(l, shm_topic_id(t->topic), t->topic,
			      t->partition);
		if (p && p->committed == t->offset) {
			p->committed = -1; /* send it again */
			l->commit_due = true;
		}
		failed++;
	}
	if (failed && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
		diag_warn("the broker refused the offset commit of %d "
			  "partitions (%s): sent again with the next one",
			  failed,
			  rd_kafka_err2str(err ? err : offsets->elems[0].err));
}

static void complete_epoch(struct land *l, struct epoch *ep)
{
	struct shm_ring_entry re[64];
	uint32_t nre = 0;
	size_t i;
	int ret;

	io_kill_point("K2");
	for (i = 0; i < ep->n; i++) {
		struct ep_entry *e = &ep->e[i];
		struct log_ck_entry *ce;

		ret = log_dir_durable(e->p->d, e->end);
		if (ret < 0) {
			diag_err("%s: index write failed: %s",
				 log_dir_path(e->p->d), err_str(ret));
			set_fatal(l, ret);
			return;
		}
		ce = log_ck_put(&l->ck, e->p->topic, e->p->partition);
		if (!ce) {
			set_fatal(l, -ENOMEM);
			return;
		}
		ce->v[LAND_CK_NEXT] = (uint64_t)e->next;
		ce->v[LAND_CK_SEG] = e->end.seg;
		ce->v[LAND_CK_POS] = e->end.pos;
		e->p->durable_next = e->next;
	}
	ret = log_ck_save(l->ck_path, &l->ck);
	if (ret < 0) {
		diag_err("%s: checkpoint save failed: %s", l->ck_path,
			 err_str(ret));
		set_fatal(l, ret);
		return;
	}
	io_kill_point("K3");
	for (i = 0; l->ring && i < ep->n; i++) {
		struct ep_entry *e = &ep->e[i];
		uint64_t pos = e->start.seg == e->end.seg ? e->start.pos
							  : LOG_SEG_HDR_SIZE;

		re[nre++] = (struct shm_ring_entry){
			.topic_id = e->p->topic_id,
			.partition = e->p->partition,
			.offset = e->next - 1,
			.seg = e->end.seg,
			.pos = (uint32_t)pos,
			.len = (uint32_t)(e->end.pos - pos),
		};
		if (nre == 64 || i + 1 == ep->n) {
			shm_ring_publish(l->ring, re, nre);
			nre = 0;
		}
	}
	io_kill_point("K4");
	l->commit_due = true;
	maybe_commit(l);
	io_kill_point("K5");
	l->st.epochs++;
	if (l->closing == ep)
		l->closing = NULL;
	epoch_open(l, ep); /* the spare, until the open one closes */
}

/* Close the open epoch: its chunks go to disk and it starts to sync. */
static int close_epoch(struct land *l)
{
	struct epoch *ep = l->open;
	size_t i;
	int ret;

	if (l->closing || ep->n == 0)
		return 0;
	for (i = 0; i < ep->n; i++) {
		struct land_part *p = ep->e[i].p;

		if (p->chunk) {
			ret = submit_chunk(l, p->chunk);
			if (ret < 0)
				return ret;
		}
		ep->e[i].end = log_dir_end(p->d);
		ep->e[i].next = p->next;
	}
	ep->state = EP_WRITING;
	l->closing = ep;
	l->settle = false;
	l->open = ep == &l->eps[0] ? &l->eps[1] : &l->eps[0];
	epoch_open(l, l->open);
	ret = land_io_submit(l->io);
	if (ret < 0)
		return set_fatal(l, ret);
	if (ep->writes == 0)
		start_sync(l, ep);
	return l->fatal;
}

/* --- framing -------------------------------------------------------------- */

/* A chunk for @p with room for @need bytes of records after its lead. */
static struct chunk *chunk_new(struct land *l, struct land_part *p, size_t need)
{
	struct chunk *c;
	void *buf = NULL;
	size_t cap = land_pool_chunk_size(l->pool) - LOG_DIR_SLACK;
	int big = need + LOG_DIR_ALIGN_MAX > cap;

	if (big) {
		cap = need + LOG_DIR_ALIGN_MAX;
		if (posix_memalign(&buf, LOG_DIR_ALIGN_MAX,
				   cap + LOG_DIR_SLACK))
			buf = NULL;
	} else {
		while (!(buf = land_pool_get(l->pool))) {
			size_t i;

			/* Every buffer is in use: write out the open
			 * chunks and wait for writes to free some. */
			for (i = 0; i < l->nparts; i++)
				if (l->parts[i]->chunk &&
				    submit_chunk(l, l->parts[i]->chunk) < 0)
					return NULL;
			if (land_io_reap(l->io, 1) < 0 || l->fatal)
				return NULL;
		}
	}
	if (!buf)
		return NULL;
	/* Only now: waiting for buffers released descriptors too. */
	c = l->free_desc;
	if (c)
		l->free_desc = c->next;
	else if (!(c = malloc(sizeof(*c)))) {
		if (big)
			free(buf);
		else
			land_pool_put(l->pool, buf);
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->buf = buf;
	c->cap = (uint32_t)cap;
	c->big = big;
	c->p = p;
	c->lead = c->len = log_dir_lead(p->d, c->buf);
	return c;
}

/* The partition @m belongs to, or NULL when land does not know it. A
 * fetch hands over runs of one partition's records: the last one found
 * answers most lookups by two comparisons. */
static struct land_part *part_of(struct land *l, const rd_kafka_message_t *m)
{
	if (m->rkt == l->last_rkt && l->last_part &&
	    l->last_part->partition == m->partition)
		return l->last_part;
	if (m->rkt != l->last_rkt) {
		l->last_rkt = m->rkt;
		l->last_topic = rd_kafka_topic_name(m->rkt);
		l->last_topic_id = shm_topic_id(l->last_topic);
	}
	l->last_part =
		part_find(l, l->last_topic_id, l->last_topic, m->partition);
	return l->last_part;
}

int land_add(struct land *l, const rd_kafka_message_t *m)
{
	rd_kafka_headers_t *hdrs = NULL;
	struct land_part *p;
	struct log_rec rec;
	rd_kafka_timestamp_type_t tstype;
	uint32_t vlen;
	const char *topic;
	size_t hcount = 0, hlen = 0, size, i;
	char *dst;
	int ret;

	if (l->fatal)
		return l->fatal;
	p = part_of(l, m);
	if (!p || !p->assigned)
		return 0; /* revoked meanwhile: its next owner lands it */
	topic = p->topic;
	if (p->have_next && m->offset < p->next) {
		int64_t t = clock_ms();

		l->st.skipped++;
		if (t - l->skip_warned_ms > 10000) {
			l->skip_warned_ms = t;
			diag_info("%s [%d]: skipping redelivered offset %lld "
				  "(landed up to %lld)",
				  topic, (int)m->partition,
				  (long long)m->offset, (long long)p->next - 1);
		}
		return 0;
	}

	if (!land_headers_none(m) &&
	    rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		const char *name;
		const void *val;
		size_t vsize;

		while (rd_kafka_header_get_all(hdrs, hcount, &name, &val,
					       &vsize) ==
		       RD_KAFKA_RESP_ERR_NO_ERROR) {
			hlen += LOG_REC_HDR_ENTRY_SIZE + strlen(name) +
				(val ? vsize : 0);
			hcount++;
		}
	}
	rec = (struct log_rec){
		.offset = m->offset,
		.key = m->key,
		.key_len = (uint32_t)m->key_len,
		.hdr_count = (uint32_t)hcount,
		.hdrs_len = (uint32_t)hlen,
	};
	vlen = m->payload ? (uint32_t)m->len : LOG_REC_NULL;
	size = log_rec_frame_size(&rec, vlen);
	if (size > (size_t)l->cfg->max_record_bytes) {
		diag_err("%s [%d] offset %lld: a record of %zu bytes is over "
			 "[pipeline] max_record_bytes = %lld; raise it to land "
			 "this record (nothing was skipped)",
			 topic, (int)m->partition, (long long)m->offset, size,
			 (long long)l->cfg->max_record_bytes);
		return set_fatal(l, -ERR_TOO_LARGE);
	}

	if (p->chunk && p->chunk->len + size > p->chunk->cap) {
		ret = submit_chunk(l, p->chunk);
		if (ret < 0)
			return ret;
	}
	ret = epoch_mark(l, p);
	if (ret < 0)
		return set_fatal(l, ret);
	if (!p->chunk) {
		p->chunk = chunk_new(l, p, size);
		if (!p->chunk)
			return set_fatal(l, l->fatal ? l->fatal : -ENOMEM);
		p->chunk->first = m->offset;
	}

	dst = p->chunk->buf + p->chunk->len;
	rec.timestamp = rd_kafka_message_timestamp(m, &tstype);
	rec.ts_type = (uint8_t)tstype;
	log_rec_put_head(dst, &rec, vlen);
	dst += LOG_REC_HDR_SIZE;
	if (m->key && m->key_len) {
		memcpy(dst, m->key, m->key_len);
		dst += m->key_len;
	}
	for (i = 0; i < hcount; i++) {
		const char *name;
		const void *val;
		size_t vsize;

		rd_kafka_header_get_all(hdrs, i, &name, &val, &vsize);
		dst = log_rec_hdr_put(dst, name, (uint32_t)strlen(name), val,
				      (uint32_t)vsize);
	}
	if (m->payload && m->len)
		memcpy(dst, m->payload, m->len);
	log_rec_seal(p->chunk->buf + p->chunk->len);

	{
		struct chunk *c = p->chunk;
		uint32_t rel = c->len - c->lead;

		/* Index notes every index interval of chunk bytes. */
		if (c->nnotes < CHUNK_NOTES &&
		    (c->nnotes == 0 || rel - c->notes[c->nnotes - 1].rel >=
					       l->dopts.index_interval))
			c->notes[c->nnotes++] =
				(struct chunk_note){m->offset, rel};
		c->last = m->offset;
		c->last_rel = rel;
		c->len += (uint32_t)size;
	}
	p->next = m->offset + 1;
	p->have_next = 1;
	l->open->bytes += size;
	l->st.records++;
	l->st.bytes += size;
	/* A clock read per chunk, not per record, is precise enough. */
	if (!l->st.first_ms || p->chunk->len - p->chunk->lead == size) {
		l->st.last_ms = clock_ms();
		if (!l->st.first_ms)
			l->st.first_ms = l->st.last_ms;
	}
	/* A full chunk goes to disk now; the epoch may still be open. */
	if (p->chunk->cap - p->chunk->len < LOG_REC_HDR_SIZE)
		return submit_chunk(l, p->chunk);
	return 0;
}

/* --- the loop's side ------------------------------------------------------ */

static bool epoch_due(const struct land *l)
{
	const struct epoch *ep = l->open;

	if (ep->n == 0 || l->closing)
		return false;
	return l->settle || ep->bytes >= (uint64_t)l->cfg->land_fsync_bytes ||
	       clock_ms() - ep->opened_ms >= l->cfg->land_fsync_interval_ms;
}

int land_tick(struct land *l)
{
	int ret;

	if (l->fatal)
		return l->fatal;
	ret = land_io_reap(l->io, 0);
	if (ret < 0)
		return set_fatal(l, ret);
	if (!l->fatal && epoch_due(l))
		close_epoch(l);
	if (!l->fatal)
		maybe_commit(l);
	return l->fatal;
}

void land_settle(struct land *l)
{
	l->settle = l->open->n > 0;
}

int land_timeout_ms(const struct land *l)
{
	int64_t left = INT64_MAX, now = clock_ms(), t;

	if (l->closing)
		return 5; /* completions wake the caller through the fd */
	if (l->open->n)
		left = l->settle ? 0
				 : l->open->opened_ms +
					   l->cfg->land_fsync_interval_ms - now;
	if (l->commit_due) {
		t = l->commit_ms + LAND_COMMIT_MS - now;
		if (t < left)
			left = t;
	}
	if (left == INT64_MAX)
		return -1; /* nothing due: until records or completions */
	return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

int land_wait_fd(const struct land *l)
{
	return land_io_eventfd(l->io);
}

int land_flush(struct land *l)
{
	int ret;

	while (!l->fatal && (l->closing || l->open->n)) {
		if (!l->closing) {
			ret = close_epoch(l);
			if (ret < 0)
				return ret;
			continue;
		}
		ret = land_io_reap(l->io, 1);
		if (ret < 0)
			return set_fatal(l, ret);
	}
	return l->fatal;
}

int land_stop(struct land *l, int64_t *deadline_ms)
{
	size_t i;
	int ret;

	ret = land_flush(l);
	if (ret < 0)
		return ret;
	l->stop_by = clock_ms() + l->cfg->land_stop_timeout_ms;
	*deadline_ms = l->stop_by;
	/* Recommit what an asynchronous commit may not have delivered. */
	for (i = 0; i < l->nparts; i++)
		l->parts[i]->committed = -1;
	return commit_offsets(l, true) == RD_KAFKA_RESP_ERR__TIMED_OUT;
}

/* --- assignment ----------------------------------------------------------- */

static int open_part(struct land *l, struct land_part *p, bool *ck_dirty)
{
	struct log_ck_entry *ce = log_ck_find(&l->ck, p->topic, p->partition);
	struct log_recovery r;
	struct log_pos durable;
	char path[PATH_MAX];
	int ret;

	ret = layout_part_dir(path, sizeof(path), l->cfg->data_dir, LAYOUT_RAW,
			      p->topic, p->partition);
	if (ret < 0)
		return ret;
	l->dopts.partition = p->partition;
	ret = log_dir_open(path, &l->dopts, &p->d);
	if (ret < 0) {
		diag_err("%s: cannot open: %s", path, err_str(ret));
		return ret;
	}
	if (ce) {
		durable.seg = ce->v[LAND_CK_SEG];
		durable.pos = ce->v[LAND_CK_POS];
	}
	ret = log_dir_recover(p->d, ce ? &durable : NULL, &r);
	if (ret < 0) {
		diag_err("%s: recovery failed: %s; land refuses to start "
			 "rather than lose or skip checkpointed records",
			 path, err_str(ret));
		return ret;
	}
	p->have_next = 0;
	if (ce) {
		p->next = (int64_t)ce->v[LAND_CK_NEXT];
		p->have_next = 1;
	}
	if (r.have_last && (!p->have_next || r.last_offset + 1 > p->next)) {
		p->next = r.last_offset + 1;
		p->have_next = 1;
	}
	if (r.truncated_bytes || r.removed_segments)
		diag_info("%s: recovery cut a torn tail of %llu bytes and %u "
			  "segment(s)",
			  path, (unsigned long long)r.truncated_bytes,
			  r.removed_segments);
	if (r.records) {
		/* Records past the checkpoint survived (and recovery made
		 * them durable): checkpoint them, so they are not fetched
		 * again and decode sees them. */
		ce = log_ck_put(&l->ck, p->topic, p->partition);
		if (!ce)
			return -ENOMEM;
		ce->v[LAND_CK_NEXT] = (uint64_t)p->next;
		ce->v[LAND_CK_SEG] = r.end.seg;
		ce->v[LAND_CK_POS] = r.end.pos;
		*ck_dirty = true;
		diag_info("%s: kept %llu records landed past the checkpoint, "
			  "up to offset %lld",
			  path, (unsigned long long)r.records,
			  (long long)r.last_offset);
	}
	p->durable_next = p->have_next ? p->next : 0;
	return 0;
}

/* Move each partition's start past what another instance has landed and
 * committed since this one last held it: the committed offset is ahead
 * of the local one only if another instance made that range durable. */
static void skip_landed_elsewhere(struct land *l,
				  rd_kafka_topic_partition_list_t *parts)
{
	rd_kafka_topic_partition_list_t *q;
	rd_kafka_resp_err_t err;
	int i;

	/* A cooperative rebalance assigns nothing new as often as not. */
	if (!l->rk || parts->cnt == 0)
		return;
	q = rd_kafka_topic_partition_list_copy(parts);
	err = rd_kafka_committed(l->rk, q, 10000);
	if (err) {
		diag_warn("cannot read committed offsets (%s): resuming from "
			  "the local checkpoint",
			  rd_kafka_err2str(err));
		rd_kafka_topic_partition_list_destroy(q);
		return;
	}
	for (i = 0; i < q->cnt; i++) {
		struct land_part *p =
			part_get(l, q->elems[i].topic, q->elems[i].partition);

		if (!p || !p->have_next || q->elems[i].err ||
		    q->elems[i].offset <= p->next)
			continue;
		diag_info("%s [%d]: the committed offset %lld is past the "
			  "local %lld: another instance landed that range; "
			  "resuming after it",
			  p->topic, (int)p->partition,
			  (long long)q->elems[i].offset, (long long)p->next);
		p->next = q->elems[i].offset;
		p->durable_next = p->next;
	}
	rd_kafka_topic_partition_list_destroy(q);
}

/* Size the chunks to the assignment: as large as CHUNK_BYTES, as small as
 * it takes for two to fit per assigned partition (one being filled, one
 * being written), down to LAND_POOL_CHUNK_MIN. With fewer than that, the
 * partitions take turns for buffers: each time none is free every open
 * chunk is written out part-full and land waits. Measured with 128
 * partitions under the default bound, for 2M records: 64 chunks of 256
 * KiB, 3,143 such waits and 15,554 writes of 34 KB on average; 256 of 64
 * KiB, 40-162 waits and about 12,800 writes. Re-cutting needs every chunk
 * back: what is in flight is written and synced first. */
static int fit_chunks(struct land *l)
{
	size_t n = 0, i, bytes, want = CHUNK_BYTES;
	int ret;

	for (i = 0; i < l->nparts; i++)
		n += l->parts[i]->assigned != 0;
	if (n == 0)
		return 0; /* nothing to land: the next assignment decides */
	land_pool_region(l->pool, &bytes);
	while (want > LAND_POOL_CHUNK_MIN && want * 2 * n > bytes)
		want /= 2;
	if (want == land_pool_chunk_size(l->pool))
		return 0;
	ret = land_flush(l);
	if (ret < 0)
		return ret;
	ret = land_pool_recut(l->pool, want);
	if (ret < 0) {
		diag_err("cannot cut the write buffers into %zu KiB chunks: %s",
			 want / 1024, err_str(ret));
		return set_fatal(l, ret);
	}
	diag_info("write buffers: %zu chunks of %zu KiB for %zu assigned "
		  "partitions%s",
		  land_pool_count(l->pool), want / 1024, n,
		  want * 2 * n > bytes ? " (fewer than two each: raise [land] "
					 "memory_bytes)"
				       : "");
	return 0;
}

int land_assign(struct land *l, rd_kafka_topic_partition_list_t *parts)
{
	bool ck_dirty = false;
	int i, ret;

	if (l->fatal)
		return l->fatal;
	for (i = 0; i < parts->cnt; i++) {
		struct land_part *p = part_get(l, parts->elems[i].topic,
					       parts->elems[i].partition);

		if (!p)
			return set_fatal(l, -ENOMEM);
		if (!p->d) {
			ret = open_part(l, p, &ck_dirty);
			if (ret < 0)
				return set_fatal(l, ret);
		}
	}
	skip_landed_elsewhere(l, parts);
	for (i = 0; i < parts->cnt; i++) {
		rd_kafka_topic_partition_t *tp = &parts->elems[i];
		struct land_part *p = part_get(l, tp->topic, tp->partition);

		p->assigned = 1;
		p->committed = -1;
		tp->offset = p->have_next ? p->next : RD_KAFKA_OFFSET_INVALID;
		if (p->have_next)
			diag_info("assigned %s [%d]: landing from local offset "
				  "%lld",
				  tp->topic, (int)tp->partition,
				  (long long)p->next);
		else
			diag_info("assigned %s [%d]: no local data; landing "
				  "from the committed offset, else "
				  "auto.offset.reset",
				  tp->topic, (int)tp->partition);
	}
	if (ck_dirty) {
		ret = log_ck_save(l->ck_path, &l->ck);
		if (ret < 0) {
			diag_err("%s: checkpoint save failed: %s", l->ck_path,
				 err_str(ret));
			return set_fatal(l, ret);
		}
	}
	return fit_chunks(l);
}

int land_revoke(struct land *l, rd_kafka_topic_partition_list_t *parts,
		bool lost)
{
	int i, ret;

	ret = land_flush(l);
	if (ret < 0)
		return ret;
	if (!lost && l->rk) {
		rd_kafka_topic_partition_list_t *list =
			rd_kafka_topic_partition_list_new(parts->cnt);
		rd_kafka_resp_err_t err;

		for (i = 0; i < parts->cnt; i++) {
			struct land_part *p =
				part_get(l, parts->elems[i].topic,
					 parts->elems[i].partition);

			if (p && p->assigned && p->have_next)
				rd_kafka_topic_partition_list_add(
					list, p->topic, p->partition)
					->offset = p->durable_next;
		}
		if (list->cnt) {
			err = commit_wait(l, list);
			/* Their next owner starts from an older commit
			 * and lands again what this instance landed.
			 * librdkafka holds the hand-over until a commit
			 * still pending ends, so one not answered yet may
			 * still arrive in time. */
			if (err == RD_KAFKA_RESP_ERR__TIMED_OUT)
				diag_warn("commit of %d revoked partitions "
					  "not confirmed within [land] "
					  "stop_timeout_ms = %lld; should it "
					  "fail, their next owner lands again "
					  "from the last commit that succeeded",
					  list->cnt,
					  (long long)
						  l->cfg->land_stop_timeout_ms);
			else if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
				diag_err("commit of %d revoked partitions "
					 "failed: %s; their next owner lands "
					 "again from the last commit that "
					 "succeeded",
					 list->cnt, rd_kafka_err2str(err));
		}
		rd_kafka_topic_partition_list_destroy(list);
	}
	for (i = 0; i < parts->cnt; i++) {
		struct land_part *p = part_get(l, parts->elems[i].topic,
					       parts->elems[i].partition);

		if (!p)
			continue;
		diag_info("revoked %s [%d]%s: durable up to offset %lld",
			  p->topic, (int)p->partition, lost ? " (lost)" : "",
			  (long long)p->durable_next - 1);
		p->assigned = 0;
		log_dir_close(p->d);
		p->d = NULL;
	}
	return fit_chunks(l);
}

/* --- life cycle ----------------------------------------------------------- */

int land_new(const struct cfg *cfg, struct land **out)
{
	struct land *l = calloc(1, sizeof(*l));
	char name[128];
	void *region;
	size_t region_len;
	int ret;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->cfg = cfg;
	l->dopts = (struct log_dir_opts){
		.zone = LOG_ZONE_RAW,
		.segment_bytes = (uint64_t)cfg->segment_bytes,
		.index_interval = (uint32_t)cfg->index_interval_bytes,
		.max_record = (uint32_t)cfg->max_record_bytes,
		.keyed = true,
		.direct = cfg->land_direct_io != 0,
	};
	land_headers_init();
	snprintf(l->ck_path, sizeof(l->ck_path), "%s/%s", cfg->data_dir,
		 LAYOUT_LAND_CKPT);
	ret = log_ck_load_owned(l->ck_path, &l->ck);
	if (ret == -ENOENT) {
		diag_info("%s: no checkpoint yet: a first start", l->ck_path);
	} else if (ret < 0) {
		diag_err("%s: cannot load the land checkpoint: %s", l->ck_path,
			 err_str(ret));
		goto out_free;
	}
	ret = land_pool_new((size_t)land_buffer_bytes(cfg), CHUNK_BYTES,
			    &l->pool);
	if (ret < 0)
		goto out_free;
	if (cfg->land_memory_bytes)
		diag_info("[land] memory_bytes: buffer_bytes = %lld",
			  (long long)land_buffer_bytes(cfg));
	region = land_pool_region(l->pool, &region_len);
	ret = land_io_new(URING_DEPTH, region, region_len, &l->io);
	if (ret < 0)
		goto out_free;
	l->open = &l->eps[0];
	l->eps[0].l = l->eps[1].l = l;
	epoch_open(l, &l->eps[0]);
	epoch_open(l, &l->eps[1]);

	ret = shm_ring_name(name, sizeof(name), cfg->instance, "land",
			    "decode");
	if (ret == 0)
		ret = shm_ring_open(name, (uint32_t)cfg->land_ring_capacity,
				    SHM_RING_PRODUCER, &l->ring);
	if (ret < 0) {
		diag_warn("ring %s unavailable (%s): decode will find new "
			  "records by reading the land checkpoint",
			  name, err_str(ret));
		l->ring = NULL;
	}
	*out = l;
	return 0;

out_free:
	land_free(l);
	return ret;
}

void land_get_stats(const struct land *l, struct land_stats *st)
{
	*st = l->st;
	st->ring_overflows = l->ring ? shm_ring_overflows(l->ring) : 0;
}

bool land_behind(const struct land *l)
{
	size_t i;

	for (i = 0; i < l->nparts; i++) {
		const struct land_part *p = l->parts[i];
		int64_t lo, hi;

		if (p->assigned && p->have_next &&
		    !rd_kafka_get_watermark_offsets(l->rk, p->topic,
						    p->partition, &lo, &hi) &&
		    hi > p->next)
			return true;
	}
	return false;
}

void land_set_kafka(struct land *l, rd_kafka_t *rk)
{
	l->rk = rk;
}

void land_free(struct land *l)
{
	size_t i;

	if (!l)
		return;
	if (l->io) {
		/* Let in-flight writes finish before their buffers go. */
		while (land_io_inflight(l->io) && land_io_reap(l->io, 1) >= 0)
			;
	}
	for (i = 0; i < l->nparts; i++) {
		if (l->parts[i]->chunk)
			chunk_release(l, l->parts[i]->chunk);
		log_dir_close(l->parts[i]->d);
		free(l->parts[i]);
	}
	while (l->free_desc) {
		struct chunk *c = l->free_desc;

		l->free_desc = c->next;
		free(c);
	}
	free(l->parts);
	free(l->eps[0].e);
	free(l->eps[1].e);
	land_io_free(l->io);
	land_pool_free(l->pool);
	shm_ring_close(l->ring);
	log_ck_free(&l->ck);
	free(l);
}

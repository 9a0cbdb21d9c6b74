/* decode/replay.c - replay requests (rawzone replay) and the quarantine
 * re-drive.
 *
 * A request (LAYOUT_REPLAY_REQUEST, written atomically by the CLI) names
 * partitions and where to replay them from. decode applies it with nothing
 * pending: it moves each partition's raw position back (or, for a
 * quarantined-only replay, starts a cursor over its quarantine log) and
 * saves its checkpoint, carrying the request id, in one atomic save; only
 * then is the request file removed. A crash before the save leaves the old
 * positions and the request (applied again at the next start); after it,
 * the new positions (the request is then seen as applied and removed).
 *
 * Outcomes of a replay are appended to the decoded log like any others;
 * transform overwrites rows by their Kafka coordinates.
 */
#include "decode/stage_impl.h"

#include "common/clock.h"
#include "common/diag.h"
#include "common/err.h"
#include "common/io.h"
#include "log/decoded.h"
#include "log/layout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first raw record at or after @r's mode and argument: its position
 * and offset. Positions at the frontier when there is none. */
static int find_start(struct dec_stage *s, struct dec_part *p, unsigned mode,
		      int64_t arg, struct log_pos *pos, int64_t *offset)
{
	char dir[PATH_MAX];
	struct log_rd *rd = NULL;
	struct log_rec rec;
	struct log_pos at;
	int ret;

	*pos = p->frontier;
	*offset = p->next;
	ret = layout_part_dir(dir, sizeof(dir), s->cfg->data_dir, LAYOUT_RAW,
			      p->topic, p->partition);
	if (ret == 0)
		ret = log_rd_open(dir, LOG_ZONE_RAW,
				  (uint32_t)s->cfg->max_record_bytes, &rd);
	if (ret < 0)
		return ret;
	if (mode == REPLAY_FROM_OFFSET) {
		ret = log_rd_seek_offset(rd, arg);
		if (ret < 0)
			goto out;
	}
	for (;;) {
		ret = log_rd_next(rd, p->frontier, &rec, &at);
		if (ret <= 0)
			break;
		if (mode == REPLAY_FROM_TIME && rec.timestamp < arg)
			continue;
		*pos = at;
		*offset = rec.offset;
		ret = 0;
		break;
	}
out:
	if (ret < 0)
		diag_err(
			"%s: finding where to replay from: %s at position %llu",
			log_rd_path(rd), err_str(ret),
			(unsigned long long)log_rd_pos(rd).pos);
	log_rd_close(rd);
	return ret;
}

/* The start of @p's quarantine log, or {0, 0} if it has none. */
static struct log_pos q_start(struct dec_part *p)
{
	uint64_t *bases = NULL;
	struct log_pos start = {0, 0};
	size_t n = 0;

	if (log_seg_list(log_dir_path(p->q), &bases, &n) == 0 && n)
		start = (struct log_pos){bases[0], LOG_SEG_HDR_SIZE};
	free(bases);
	return start;
}

/* Add @off to @p's set of re-driven offsets (open addressing, linear
 * probing). Returns true if it was there already; false (and no error) if
 * memory runs out - the record is then decoded again, harmlessly. */
static bool seen_before(struct dec_part *p, int64_t off)
{
	size_t mask, i;

	if (2 * (p->qr_seen_n + 1) > p->qr_seen_cap) {
		size_t cap = p->qr_seen_cap ? p->qr_seen_cap * 2 : 1024, k;
		int64_t *ns = malloc(cap * sizeof(*ns));

		if (!ns)
			return false;
		for (k = 0; k < cap; k++)
			ns[k] = -1;
		for (k = 0; k < p->qr_seen_cap; k++) {
			int64_t v = p->qr_seen[k];

			if (v < 0)
				continue;
			for (i = (size_t)v * 0x9e3779b97f4a7c15ull & (cap - 1);
			     ns[i] >= 0; i = (i + 1) & (cap - 1))
				;
			ns[i] = v;
		}
		free(p->qr_seen);
		p->qr_seen = ns;
		p->qr_seen_cap = cap;
	}
	mask = p->qr_seen_cap - 1;
	for (i = (size_t)off * 0x9e3779b97f4a7c15ull & mask; p->qr_seen[i] >= 0;
	     i = (i + 1) & mask)
		if (p->qr_seen[i] == off)
			return true;
	p->qr_seen[i] = off;
	p->qr_seen_n++;
	return false;
}

static void seen_clear(struct dec_part *p)
{
	free(p->qr_seen);
	p->qr_seen = NULL;
	p->qr_seen_n = p->qr_seen_cap = 0;
}

static int apply_one(struct dec_stage *s, const struct log_ck_entry *e)
{
	struct dec_part *p = dec_part_find(s, shm_topic_id(e->topic), e->topic,
					   e->partition);
	unsigned mode = (unsigned)e->v[REPLAY_RQ_MODE];
	int64_t arg = (int64_t)e->v[REPLAY_RQ_ARG], from;
	struct log_pos start;
	int ret;

	if (!p) {
		diag_warn(
			"replay request %llu names %s [%d], which land has not "
			"landed anything of: skipped",
			(unsigned long long)e->v[REPLAY_RQ_ID], e->topic,
			(int)e->partition);
		return 0;
	}
	if (mode < REPLAY_FROM_BEGINNING || mode > REPLAY_FROM_TIME) {
		diag_err("replay request: unknown mode %u for %s [%d]", mode,
			 e->topic, (int)e->partition);
		return -ERR_FORMAT;
	}
	ret = find_start(s, p, mode, arg, &start, &from);
	if (ret < 0)
		return ret;
	p->replay_id = e->v[REPLAY_RQ_ID];
	p->replay_done = 0;
	if (e->v[REPLAY_RQ_QONLY]) {
		/* Decode again what the quarantine log holds, from offset
		 * @from on, up to its end now. */
		log_rd_close(p->qrd);
		p->qrd = NULL;
		seen_clear(p);
		p->qr = q_start(p);
		p->qr_end = log_dir_end(p->q);
		if (p->qr.pos == 0)
			p->qr_end = p->qr;
		p->replay_from = from;
		p->replay_to = p->next;
		diag_info(
			"%s [%d]: replay %llu: quarantined records from offset "
			"%lld",
			p->topic, (int)p->partition,
			(unsigned long long)p->replay_id, (long long)from);
		return 0;
	}
	p->replay_from = from;
	p->replay_to = p->next;
	if (log_pos_cmp(start, p->pos) >= 0) {
		/* Nothing decoded from there yet: nothing to replay. */
		p->replay_to = p->replay_from;
		return 0;
	}
	ret = log_rd_seek(p->rd, start);
	if (ret < 0)
		return ret;
	p->pos = start;
	p->next = from;
	diag_info("%s [%d]: replay %llu: decoding again from offset %lld up "
		  "to %lld (raw %020llu.log position %llu)",
		  p->topic, (int)p->partition, (unsigned long long)p->replay_id,
		  (long long)from, (long long)p->replay_to,
		  (unsigned long long)start.seg, (unsigned long long)start.pos);
	return 0;
}

int dec_replay_apply(struct dec_stage *s)
{
	struct log_ck rq = {0};
	size_t i;
	bool applied = true;
	int ret;

	ret = log_ck_load(s->replay_path, &rq);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0) {
		diag_err("%s: unreadable replay request (%s); remove it and "
			 "ask again",
			 s->replay_path, err_str(ret));
		return ret;
	}
	ret = dec_read_land_ckpt(s);
	if (ret < 0)
		goto out;
	for (i = 0; i < rq.n; i++) {
		struct dec_part *p =
			dec_part_find(s, shm_topic_id(rq.e[i].topic),
				      rq.e[i].topic, rq.e[i].partition);

		if (p && p->replay_id != rq.e[i].v[REPLAY_RQ_ID])
			applied = false;
	}
	if (!applied) {
		for (i = 0; i < rq.n; i++) {
			ret = apply_one(s, &rq.e[i]);
			if (ret < 0)
				goto out;
		}
		io_kill_point("RP1");
		ret = dec_save_checkpoint(s);
		if (ret < 0)
			goto out;
		diag_info("replay request %llu applied to %zu partition(s)",
			  rq.n ? (unsigned long long)rq.e[0].v[REPLAY_RQ_ID]
			       : 0ULL,
			  rq.n);
	}
	io_kill_point("RP2");
	/* Applied and durable: the request has done its work. */
	ret = io_unlink(s->replay_path);
	if (ret == 0 || ret == -ENOENT)
		ret = io_fsync_dir(s->cfg->data_dir);
out:
	log_ck_free(&rq);
	return ret;
}

int dec_replay_redrive(struct dec_stage *s, struct dec_part *p, unsigned max)
{
	struct log_rec q, raw;
	struct log_dec_quarantine qv;
	struct log_pos at;
	struct dec_out o;
	unsigned n = 0;
	int ret;

	if (log_pos_cmp(p->qr, p->qr_end) >= 0) {
		/* Done: the last round wrote outcomes, so it kept them. */
		if (p->qrd) {
			log_rd_close(p->qrd);
			p->qrd = NULL;
			seen_clear(p);
		}
		return 0;
	}
	if (!p->qrd) {
		ret = log_rd_open(log_dir_path(p->q), LOG_ZONE_QUARANTINE,
				  s->qopts.max_record, &p->qrd);
		if (ret == 0)
			ret = log_rd_seek(p->qrd, p->qr);
		if (ret < 0)
			return ret;
	}
	dec_frames_reset(s);
	while (n < max && dec_frames_bytes(s) < READ_BYTES) {
		ret = log_rd_next(p->qrd, p->qr_end, &q, &at);
		if (ret == 0) {
			p->qr = p->qr_end; /* done */
			break;
		}
		if (ret < 0 || (ret = log_dec_q_parse(q.value, q.value_len,
						      true, &qv)) < 0) {
			diag_err("%s: position %llu: %s in the quarantine log",
				 log_rd_path(p->qrd),
				 (unsigned long long)log_rd_pos(p->qrd).pos,
				 err_str(ret));
			return ret;
		}
		p->qr = log_rd_pos(p->qrd);
		if (q.offset < p->replay_from || q.offset < 0 ||
		    seen_before(p, q.offset))
			continue;
		/* The record as it was received, rebuilt from its copy. */
		raw = q;
		raw.type = 0;
		raw.value = qv.value_null ? NULL : qv.value;
		raw.value_len = (uint32_t)qv.value_len;
		ret = dec_decode_unpacked(s->ctx, &raw, &o);
		if (ret == 0)
			ret = dec_frame_outcome(s, &raw, &o);
		if (ret < 0)
			return ret;
		if (o.reason && o.reason < 8)
			s->st.quarantined[o.reason]++;
		p->replay_done++;
		n++;
	}
	if (n == 0 && log_pos_cmp(p->qr, p->qr_end) >= 0) {
		/* Done, with nothing written: save the cursor with the next
		 * commit. */
		log_rd_close(p->qrd);
		p->qrd = NULL;
		seen_clear(p);
		p->dirty = true;
		if (!s->pending)
			s->pending_since = clock_ms();
		s->pending++;
		return 0;
	}
	return dec_frames_write(s, p, n);
}

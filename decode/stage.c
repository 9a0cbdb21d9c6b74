/* decode/stage.c - the decode stage's loop: partitions found through land's
 * checkpoint, raw records read up to land's frontier, outcomes framed into
 * the decoded and quarantine logs, batches committed (D1-D4, stage.h).
 *
 * Invariants:
 *  - per partition, p->pos is the raw position of the next record to
 *    decode; everything before it has an outcome in the decoded log, and
 *    what the checkpoint says of it is durable;
 *  - outcome frames are written in raw order, so the decoded log of a
 *    partition is the sequence of its decode outcomes;
 *  - the raw reader never passes p->frontier, land's durable end.
 */
#include "decode/stage.h"

#include "decode/stage_impl.h"

#include "common/clock.h"
#include "common/diag.h"
#include "common/err.h"
#include "common/io.h"
#include "decode/decoder.h"
#include "decode/registry.h"
#include "log/checkpoint.h"
#include "log/decoded.h"
#include "log/dir.h"
#include "log/layout.h"
#include "log/reader.h"
#include "shm/ring.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- frames --------------------------------------------------------------- */

static void *frames_room(struct frames *f, size_t n)
{
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap : 1 << 20;
		unsigned char *np;

		while (cap < f->len + n)
			cap *= 2;
		np = realloc(f->p, cap);
		if (!np)
			return NULL;
		f->p = np;
		f->cap = cap;
	}
	return f->p + f->len;
}

/* A first guess at a canonical message's size beyond its raw value's (an
 * upcast adds a few fields); a pack that needs more asks again. */
#define PACK_SLACK 256u

/* Frame the outcome @o of raw record @raw into @fo (and a copy of the raw
 * record into @fq when quarantined). @o comes from dec_decode_unpacked():
 * a decoded one is packed here, and may turn out quarantined (@o says so
 * afterwards). Returns 0 or -ENOMEM. */
int dec_frame_outcome(struct dec_stage *s, const struct log_rec *raw,
		      struct dec_out *o)
{
	struct log_rec meta = {
		.offset = raw->offset,
		.timestamp = raw->timestamp,
		.ts_type = raw->ts_type,
		.key = raw->key,
		.key_len = raw->key_len,
	};
	struct log_dec_quarantine q = {0};
	size_t vlen, flen;
	int ret;
	unsigned char *dst, *v;

	if (o->reason == 0) {
		/* The value starts after the header and key, whatever its
		 * length: the canonical message is packed there first, and
		 * the header written around it. */
		size_t at = log_rec_frame_size(&meta, 0) +
			    log_dec_ok_size(o->message_len, 0),
		       guess = raw->value_len + PACK_SLACK;

		meta.type = LOG_DEC_OK;
		for (;;) {
			dst = frames_room(&s->fo, at + guess);
			if (!dst)
				return -ENOMEM;
			ret = dec_out_pack(s->ctx, o, dst + at,
					   s->fo.cap - s->fo.len - at);
			if (ret == 0)
				break;
			if (ret != -ENOSPC)
				return ret;
			guess = 2 * (s->fo.cap - s->fo.len);
		}
		if (o->reason) /* a string or the validator refused it */
			return dec_frame_outcome(s, raw, o);
		vlen = log_dec_ok_size(o->message_len, o->body_len);
		flen = log_rec_frame_size(&meta, (uint32_t)vlen);
		v = log_rec_begin(dst, &meta, (uint32_t)vlen);
		log_dec_ok_put(v, o->schema_id, o->message, o->message_len,
			       NULL, 0);
		log_rec_seal(dst);
		s->fo.len += flen;
		s->fo.n++;
		return 0;
	}

	q.schema_id = o->schema_id;
	q.has_schema_id = o->has_schema_id;
	q.reason = (uint8_t)o->reason;
	q.detail = o->detail;
	q.detail_len = o->detail_len;
	meta.type = LOG_DEC_QUARANTINED;
	vlen = log_dec_q_size(q.detail_len, 0);
	flen = log_rec_frame_size(&meta, (uint32_t)vlen);
	dst = frames_room(&s->fo, flen);
	if (!dst)
		return -ENOMEM;
	v = log_rec_begin(dst, &meta, (uint32_t)vlen);
	log_dec_q_put(v, &q, false);
	log_rec_seal(dst);
	s->fo.len += flen;
	s->fo.n++;

	/* The quarantine zone keeps the record as received - key, headers,
	 * value - with the reason, so it can be inspected and re-driven
	 * without the raw zone. */
	meta.type = (uint8_t)o->reason;
	meta.hdrs = raw->hdrs;
	meta.hdrs_len = raw->hdrs_len;
	meta.hdr_count = raw->hdr_count;
	q.value_null = !raw->value;
	q.value = raw->value;
	q.value_len = raw->value ? raw->value_len : 0;
	vlen = log_dec_q_size(q.detail_len, q.value_len);
	flen = log_rec_frame_size(&meta, (uint32_t)vlen);
	dst = frames_room(&s->fq, flen);
	if (!dst)
		return -ENOMEM;
	v = log_rec_begin(dst, &meta, (uint32_t)vlen);
	log_dec_q_put(v, &q, true);
	log_rec_seal(dst);
	s->fq.len += flen;
	s->fq.n++;
	return 0;
}

/* --- partitions ----------------------------------------------------------- */

struct dec_part *dec_part_find(struct dec_stage *s, uint32_t topic_id,
			       const char *topic, int32_t partition)
{
	size_t i;

	for (i = 0; i < s->nparts; i++) {
		struct dec_part *p = s->parts[i];

		if (p->partition == partition && p->topic_id == topic_id &&
		    (!topic || strcmp(p->topic, topic) == 0))
			return p;
	}
	return NULL;
}

/* Remove every segment (and index) of the log in @path, if any, durably. */
static int remove_segments(const char *path)
{
	uint64_t *bases = NULL;
	char f[PATH_MAX];
	size_t n = 0, i;
	int ret;

	ret = log_seg_list(path, &bases, &n);
	for (i = 0; ret == 0 && i < n; i++) {
		log_seg_path(f, sizeof(f), path, bases[i], ".index");
		ret = io_unlink(f);
		if (ret == -ENOENT)
			ret = 0;
		log_seg_path(f, sizeof(f), path, bases[i], ".log");
		if (ret == 0)
			ret = io_unlink(f);
	}
	if (ret == 0 && n) {
		ret = io_fsync_dir(path);
		diag_info("%s: removed %zu segment(s) written before the first "
			  "checkpoint; they are decoded again",
			  path, n);
	}
	free(bases);
	return ret;
}

static int open_log(struct dec_stage *s, struct dec_part *p, const char *zone,
		    struct log_dir_opts *o, uint64_t seg, uint64_t pos,
		    bool have_ck, struct log_dir **out)
{
	struct log_pos durable = {seg, pos};
	struct log_recovery r;
	char path[PATH_MAX];
	int ret;

	ret = layout_part_dir(path, sizeof(path), s->cfg->data_dir, zone,
			      p->topic, p->partition);
	if (ret < 0) {
		diag_err("%s/%s/%s/%d: %s", s->cfg->data_dir, zone, p->topic,
			 (int)p->partition, err_str(ret));
		return ret;
	}
	o->partition = p->partition;
	if (!have_ck) {
		/* Nothing written without a checkpoint was acknowledged (a
		 * run that died before its first commit): start afresh. */
		ret = remove_segments(path);
		if (ret < 0) {
			diag_err("%s: cannot clear uncommitted segments: %s",
				 path, err_str(ret));
			return ret;
		}
	}
	ret = log_dir_open(path, o, out);
	if (ret < 0) {
		diag_err("%s: cannot open: %s", path, err_str(ret));
		return ret;
	}
	ret = log_dir_recover(*out, have_ck ? &durable : NULL, &r);
	if (ret < 0) {
		diag_err("%s: recovery failed: %s; decode refuses to start "
			 "rather than lose checkpointed outcomes",
			 path, err_str(ret));
		return ret;
	}
	if (r.truncated_bytes || r.removed_segments)
		diag_info("%s: cut %llu bytes and %u segment(s) past the "
			  "checkpoint; they are decoded again",
			  path, (unsigned long long)r.truncated_bytes,
			  r.removed_segments);
	return 0;
}

/* Add (@topic, @partition) to @s: its logs recovered, its raw zone opened
 * at the checkpoint. Failures are reported, naming the file; returns 0 or
 * the error. */
static int part_add(struct dec_stage *s, const char *topic, int32_t partition,
		    struct dec_part **out)
{
	struct log_ck_entry *ce = log_ck_find(&s->ck, topic, partition);
	char path[PATH_MAX];
	struct dec_part *p;
	int ret;

	if (s->nparts == s->capparts) {
		size_t cap = s->capparts ? s->capparts * 2 : 64;
		struct dec_part **np = realloc(s->parts, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		s->parts = np;
		s->capparts = cap;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->topic, sizeof(p->topic), "%s", topic);
	p->partition = partition;
	p->topic_id = shm_topic_id(topic);
	p->next = -1;
	p->last_offset = -1;

	ret = open_log(s, p, LAYOUT_DECODED, &s->oopts,
		       ce ? ce->v[DEC_CK_OUT_SEG] : 0,
		       ce ? ce->v[DEC_CK_OUT_POS] : 0,
		       ce && ce->v[DEC_CK_OUT_POS] != 0, &p->out);
	if (ret == 0)
		ret = open_log(s, p, LAYOUT_QUARANTINE, &s->qopts,
			       ce ? ce->v[DEC_CK_Q_SEG] : 0,
			       ce ? ce->v[DEC_CK_Q_POS] : 0,
			       ce && ce->v[DEC_CK_Q_POS] != 0, &p->q);
	if (ret == 0) {
		ret = layout_part_dir(path, sizeof(path), s->cfg->data_dir,
				      LAYOUT_RAW, topic, partition);
		if (ret < 0)
			diag_err("%s/%s/%s/%d: %s", s->cfg->data_dir,
				 LAYOUT_RAW, topic, (int)partition,
				 err_str(ret));
	}
	if (ret == 0) {
		ret = log_rd_open(path, LOG_ZONE_RAW,
				  (uint32_t)s->cfg->max_record_bytes, &p->rd);
		if (ret < 0)
			diag_err("%s: cannot read the raw zone: %s", path,
				 err_str(ret));
	}
	if (ret == 0 && ce) {
		p->pos.seg = ce->v[DEC_CK_RAW_SEG];
		p->pos.pos = ce->v[DEC_CK_RAW_POS];
		p->next = (int64_t)ce->v[DEC_CK_RAW_NEXT];
		p->outcomes = ce->v[DEC_CK_OUTCOMES];
		p->replay_id = ce->v[DEC_CK_REPLAY_ID];
		p->replay_from = (int64_t)ce->v[DEC_CK_REPLAY_FROM];
		p->replay_to = (int64_t)ce->v[DEC_CK_REPLAY_TO];
		p->replay_done = ce->v[DEC_CK_REPLAY_DONE];
		p->qr.seg = ce->v[DEC_CK_QR_SEG];
		p->qr.pos = ce->v[DEC_CK_QR_POS];
		p->qr_end.seg = ce->v[DEC_CK_QR_END_SEG];
		p->qr_end.pos = ce->v[DEC_CK_QR_END_POS];
		ret = log_rd_seek(p->rd, p->pos);
		if (ret < 0)
			diag_err("%s: segment %020llu.log position %llu, named "
				 "by %s: %s",
				 path, (unsigned long long)p->pos.seg,
				 (unsigned long long)p->pos.pos,
				 LAYOUT_DECODE_CKPT, err_str(ret));
	} else if (ret == 0) {
		p->pos = log_rd_pos(p->rd);
	}
	if (ret < 0) {
		log_dir_close(p->out);
		log_dir_close(p->q);
		log_rd_close(p->rd);
		free(p);
		return ret;
	}
	s->parts[s->nparts++] = p;
	diag_info("%s [%d]: decoding from raw %020llu.log position %llu%s",
		  topic, (int)partition, (unsigned long long)p->pos.seg,
		  (unsigned long long)p->pos.pos,
		  ce ? "" : " (no checkpoint: from the start)");
	*out = p;
	return 0;
}

/* Re-read land's checkpoint: new partitions, new frontiers. */
int dec_read_land_ckpt(struct dec_stage *s)
{
	struct log_ck lck = {0};
	size_t i;
	int ret;

	ret = log_ck_load(s->land_ck_path, &lck);
	if (ret == -ENOENT)
		return 0; /* land has not landed anything yet */
	if (ret < 0)
		return ret;
	for (i = 0; i < lck.n; i++) {
		const struct log_ck_entry *e = &lck.e[i];
		struct dec_part *p = dec_part_find(s, shm_topic_id(e->topic),
						   e->topic, e->partition);
		struct log_pos f = {e->v[LAND_CK_SEG], e->v[LAND_CK_POS]};

		if (!p) {
			ret = part_add(s, e->topic, e->partition, &p);
			if (ret < 0)
				break;
		}
		if (log_pos_cmp(f, p->frontier) > 0)
			p->frontier = f;
	}
	log_ck_free(&lck);
	return ret;
}

/* Apply ring entries (hints of new frontiers). Returns true if any named a
 * partition this stage does not know yet. */
static bool drain_ring(struct dec_stage *s)
{
	struct shm_ring_entry e[256];
	bool unknown = false;
	int n, i;

	if (!s->in)
		return false;
	while ((n = shm_ring_consume(s->in, e, 256)) > 0)
		for (i = 0; i < n; i++) {
			struct dec_part *p = dec_part_find(
				s, e[i].topic_id, NULL, e[i].partition);
			struct log_pos f = {e[i].seg,
					    (uint64_t)e[i].pos + e[i].len};

			if (!p)
				unknown = true;
			else if (log_pos_cmp(f, p->frontier) > 0)
				p->frontier = f;
		}
	if (n < 0) {
		diag_warn(
			"land->decode ring: impossible indices; reopening it");
		shm_ring_close(s->in);
		s->in = NULL;
		s->in_retry_ms = 0; /* at the next idle moment */
	}
	return unknown;
}

/* --- decoding and committing ---------------------------------------------- */

void dec_frames_reset(struct dec_stage *s)
{
	s->fo.len = s->fq.len = 0;
	s->fo.n = s->fq.n = 0;
}

size_t dec_frames_bytes(const struct dec_stage *s)
{
	return s->fo.len + s->fq.len;
}

int dec_frames_write(struct dec_stage *s, struct dec_part *p, unsigned n)
{
	int ret;

	if (n == 0)
		return 0;
	if (!p->dirty) {
		p->out_start = log_dir_end(p->out);
		p->dirty = true;
	}
	ret = log_dir_write(p->out, s->fo.p, s->fo.len, NULL);
	if (ret == 0 && s->fq.len)
		ret = log_dir_write(p->q, s->fq.p, s->fq.len, NULL);
	if (ret < 0) {
		diag_err("%s: write failed: %s", log_dir_path(p->out),
			 err_str(ret));
		return ret;
	}
	p->outcomes += n;
	s->st.decoded += n;
	s->st.last_ms = clock_ms();
	if (!s->st.first_ms)
		s->st.first_ms = s->st.last_ms;
	if (!s->pending)
		s->pending_since = clock_ms();
	s->pending += n;
	return (int)n;
}

static int decode_some(struct dec_stage *s, struct dec_part *p, unsigned max)
{
	struct log_rec raw;
	struct log_pos at;
	struct dec_out o;
	unsigned n = 0;
	int ret;

	dec_frames_reset(s);
	while (n < max && dec_frames_bytes(s) < READ_BYTES) {
		ret = log_rd_next(p->rd, p->frontier, &raw, &at);
		if (ret == 0)
			break;
		if (ret < 0) {
			diag_err("%s: position %llu: %s, below land's "
				 "checkpoint: decode stops rather than skip "
				 "acknowledged data (rawzone cat --zone raw "
				 "shows the records before it)",
				 log_rd_path(p->rd),
				 (unsigned long long)log_rd_pos(p->rd).pos,
				 err_str(ret));
			return ret;
		}
		ret = dec_decode_unpacked(s->ctx, &raw, &o);
		if (ret < 0) {
			diag_err("%s [%d] offset %lld: out of memory decoding",
				 p->topic, (int)p->partition,
				 (long long)raw.offset);
			return ret;
		}
		ret = dec_frame_outcome(s, &raw, &o);
		if (ret < 0)
			return ret;
		if (o.reason && o.reason < 8)
			s->st.quarantined[o.reason]++;
		if (raw.offset < p->replay_to)
			p->replay_done++;
		p->last_offset = raw.offset;
		n++;
	}
	ret = dec_frames_write(s, p, n);
	if (ret > 0) {
		p->pos = log_rd_pos(p->rd);
		p->next = p->last_offset + 1;
	}
	return ret;
}

static void report(struct dec_stage *s, int64_t *last_ms, uint64_t *last_n)
{
	int64_t now = clock_ms();
	double secs = (double)(now - *last_ms) / 1000.0;
	const uint64_t *q = s->st.quarantined;

	diag_info("decoded %llu records, %.0f records/s; quarantined: "
		  "bad_framing %llu, unknown_schema %llu, malformed %llu, "
		  "invalid %llu, too_large %llu",
		  (unsigned long long)s->st.decoded,
		  secs > 0 ? (double)(s->st.decoded - *last_n) / secs : 0.0,
		  (unsigned long long)q[LOG_DEC_BAD_FRAMING],
		  (unsigned long long)q[LOG_DEC_UNKNOWN_SCHEMA],
		  (unsigned long long)q[LOG_DEC_MALFORMED],
		  (unsigned long long)q[LOG_DEC_INVALID],
		  (unsigned long long)q[LOG_DEC_TOO_LARGE]);
	*last_ms = now;
	*last_n = s->st.decoded;
}

static struct shm_ring *open_ring(const struct cfg *cfg, const char *from,
				  const char *to, uint32_t cap,
				  enum shm_ring_role role, bool quiet)
{
	struct shm_ring *r = NULL;
	char name[128];
	int ret;

	ret = shm_ring_name(name, sizeof(name), cfg->instance, from, to);
	if (ret == 0)
		ret = shm_ring_open(name, cap, role, &r);
	if (ret < 0) {
		if (!quiet)
			diag_warn("ring %s unavailable (%s): falling back to "
				  "reading checkpoints",
				  name, err_str(ret));
		return NULL;
	}
	return r;
}

/* The land->decode ring as land has it now: opened again when it failed
 * (every RING_RETRY_MS) or when land made a new one (stale). */
static void in_refresh(struct dec_stage *s)
{
	bool stale = s->in && shm_ring_stale(s->in);

	if (stale) {
		shm_ring_close(s->in);
		s->in = NULL;
	}
	if (!s->in && (stale || clock_ms() >= s->in_retry_ms)) {
		s->in = open_ring(s->cfg, "land", "decode",
				  (uint32_t)s->cfg->land_ring_capacity,
				  SHM_RING_CONSUMER, !stale);
		s->in_retry_ms = clock_ms() + RING_RETRY_MS;
	}
}

int dec_stage_run(struct dec_stage *s, volatile sig_atomic_t *stop, int once)
{
	int64_t last_report = clock_ms(), last_ck_read = 0;
	uint64_t last_n = 0;
	int ret;

	ret = dec_read_land_ckpt(s);
	if (ret < 0)
		return ret;
	last_ck_read = clock_ms();
	while (!*stop) {
		bool worked = false;
		size_t i;

		if (drain_ring(s) || clock_ms() - last_ck_read > 1000) {
			ret = dec_read_land_ckpt(s);
			if (ret < 0)
				return ret;
			last_ck_read = clock_ms();
		}
		if (!s->pending &&
		    clock_ms() - s->replay_checked_ms >= REPLAY_CHECK_MS) {
			ret = dec_replay_apply(s);
			if (ret < 0)
				return ret;
			s->replay_checked_ms = clock_ms();
		}
		for (i = 0; i < s->nparts && !*stop; i++) {
			ret = decode_some(s, s->parts[i], READ_CHUNK);
			if (ret < 0)
				return ret;
			if (ret > 0)
				worked = true;
			ret = dec_replay_redrive(s, s->parts[i], READ_CHUNK);
			if (ret < 0)
				return ret;
			if (ret > 0)
				worked = true;
			if (s->pending >= (uint64_t)s->cfg->dec_batch_records) {
				ret = dec_commit(s);
				if (ret < 0)
					return ret;
			}
		}
		/* Commit when caught up (latency) or when the interval has
		 * passed (a steady trickle). */
		if (s->pending &&
		    (!worked || clock_ms() - s->pending_since >=
					s->cfg->dec_fsync_interval_ms)) {
			ret = dec_commit(s);
			if (ret < 0)
				return ret;
		}
		if (clock_ms() - last_report >= 10000)
			report(s, &last_report, &last_n);
		if (worked)
			continue;
		if (once) {
			/* Caught up with the frontier as last read: read it
			 * once more to be sure, then stop. */
			ret = dec_read_land_ckpt(s);
			if (ret < 0)
				return ret;
			for (i = 0; i < s->nparts; i++)
				if (log_pos_cmp(s->parts[i]->pos,
						s->parts[i]->frontier) < 0 ||
				    log_pos_cmp(s->parts[i]->qr,
						s->parts[i]->qr_end) < 0)
					break;
			if (i == s->nparts)
				break;
			continue;
		}
		in_refresh(s);
		if (s->in) {
			if (shm_ring_wait(s->in, IDLE_WAIT_MS) == 0) {
				ret = dec_read_land_ckpt(s);
				if (ret < 0)
					return ret;
				last_ck_read = clock_ms();
			}
		} else {
			struct timespec ts = {0, 50 * 1000000L};

			nanosleep(&ts, NULL);
		}
	}
	ret = dec_commit(s);
	if (ret == 0)
		ret = dec_commit_wait(s);
	report(s, &last_report, &last_n);
	{
		double secs = (double)(s->st.last_ms - s->st.first_ms) / 1000.0;

		diag_info("totals: %llu records decoded in %.2f s of decoding "
			  "(%.0f records/s)",
			  (unsigned long long)s->st.decoded, secs,
			  secs > 0 ? (double)s->st.decoded / secs : 0.0);
	}
	return ret;
}

/* --- life cycle ----------------------------------------------------------- */

int dec_stage_new(const struct cfg *cfg, struct dec_stage **out)
{
	struct dec_stage *s = calloc(1, sizeof(*s));
	int ret;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->oopts = (struct log_dir_opts){
		.zone = LOG_ZONE_DECODED,
		.segment_bytes = (uint64_t)cfg->segment_bytes,
		.max_record = (uint32_t)cfg->max_record_bytes + LOG_DEC_SLACK,
		.cut_past_durable = true,
	};
	s->qopts = s->oopts;
	s->qopts.zone = LOG_ZONE_QUARANTINE;
	snprintf(s->ck_path, sizeof(s->ck_path), "%s/%s", cfg->data_dir,
		 LAYOUT_DECODE_CKPT);
	snprintf(s->land_ck_path, sizeof(s->land_ck_path), "%s/%s",
		 cfg->data_dir, LAYOUT_LAND_CKPT);
	snprintf(s->replay_path, sizeof(s->replay_path), "%s/%s", cfg->data_dir,
		 LAYOUT_REPLAY_REQUEST);

	ret = dec_registry_load(cfg->dec_registry, &s->reg);
	if (ret < 0) {
		if (ret != -ERR_CONFIG)
			diag_err("%s: cannot read the registry: %s",
				 cfg->dec_registry, err_str(ret));
		goto out_free;
	}
	diag_info("registry %s: %zu schema ids", cfg->dec_registry,
		  dec_registry_count(s->reg));
	ret = dec_ctx_new(s->reg, (size_t)cfg->dec_max_message_bytes, &s->ctx);
	if (ret < 0)
		goto out_free;
	ret = log_ck_load_owned(s->ck_path, &s->ck);
	if (ret == -ENOENT) {
		diag_info("%s: no checkpoint yet: a first start", s->ck_path);
	} else if (ret < 0) {
		diag_err("%s: cannot load the decode checkpoint: %s",
			 s->ck_path, err_str(ret));
		goto out_free;
	}
	s->in = open_ring(cfg, "land", "decode",
			  (uint32_t)cfg->land_ring_capacity, SHM_RING_CONSUMER,
			  false);
	s->in_retry_ms = clock_ms() + RING_RETRY_MS;
	s->out = open_ring(cfg, "decode", "transform",
			   (uint32_t)cfg->dec_ring_capacity, SHM_RING_PRODUCER,
			   false);
	ret = dec_commit_start(s);
	if (ret < 0)
		goto out_free;
	*out = s;
	return 0;

out_free:
	dec_stage_free(s);
	return ret;
}

void dec_stage_get_stats(const struct dec_stage *s, struct dec_stage_stats *st)
{
	*st = s->st;
}

void dec_stage_free(struct dec_stage *s)
{
	size_t i;

	if (!s)
		return;
	dec_commit_stop(s);
	for (i = 0; i < s->nparts; i++) {
		log_rd_close(s->parts[i]->rd);
		log_rd_close(s->parts[i]->qrd);
		free(s->parts[i]->qr_seen);
		log_dir_close(s->parts[i]->out);
		log_dir_close(s->parts[i]->q);
		free(s->parts[i]);
	}
	free(s->parts);
	free(s->fo.p);
	free(s->fq.p);
	shm_ring_close(s->in);
	shm_ring_close(s->out);
	dec_ctx_free(s->ctx);
	dec_registry_free(s->reg);
	log_ck_free(&s->ck);
	free(s);
}

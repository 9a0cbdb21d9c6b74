/* decode/commit.c - decode's commit protocol (D1-D4, decode/stage.h), with
 * the waiting done by a thread of its own.
 *
 * At a commit the loop hands over a job - the fds holding outcomes not yet
 * durable, a copy of the checkpoint they make true, the ring entries that
 * announce them - and goes on decoding into the same logs. The commit
 * thread fdatasyncs the fds (D2), saves the checkpoint (D3) and publishes
 * the entries (D4). One job at a time: the next commit first waits for the
 * one before, so checkpoints are saved in order, and a failed sync stops
 * everything after it. The logs themselves are the loop's alone; the
 * thread touches only fds, its job and the ring (whose producer it is).
 */
#include "decode/stage_impl.h"

#include "common/array.h"
#include "common/diag.h"
#include "common/err.h"
#include "common/io.h"
#include "log/layout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void ck_store(struct log_ck_entry *ce, const struct dec_part *p)
{
	struct log_pos oe = log_dir_end(p->out), qe = log_dir_end(p->q);

	ce->v[DEC_CK_RAW_SEG] = p->pos.seg;
	ce->v[DEC_CK_RAW_POS] = p->pos.pos;
	ce->v[DEC_CK_RAW_NEXT] = (uint64_t)p->next;
	ce->v[DEC_CK_OUT_SEG] = oe.seg;
	ce->v[DEC_CK_OUT_POS] = oe.pos;
	ce->v[DEC_CK_Q_SEG] = qe.seg;
	ce->v[DEC_CK_Q_POS] = qe.pos;
	ce->v[DEC_CK_OUTCOMES] = p->outcomes;
	ce->v[DEC_CK_REPLAY_ID] = p->replay_id;
	ce->v[DEC_CK_REPLAY_FROM] = (uint64_t)p->replay_from;
	ce->v[DEC_CK_REPLAY_TO] = (uint64_t)p->replay_to;
	ce->v[DEC_CK_REPLAY_DONE] = p->replay_done;
	ce->v[DEC_CK_QR_SEG] = p->qr.seg;
	ce->v[DEC_CK_QR_POS] = p->qr.pos;
	ce->v[DEC_CK_QR_END_SEG] = p->qr_end.seg;
	ce->v[DEC_CK_QR_END_POS] = p->qr_end.pos;
}

/* Bring every partition's entry in s->ck up to date. */
static int ck_store_all(struct dec_stage *s)
{
	size_t i;

	for (i = 0; i < s->nparts; i++) {
		struct log_ck_entry *ce = log_ck_put(&s->ck, s->parts[i]->topic,
						     s->parts[i]->partition);

		if (!ce)
			return -ENOMEM;
		ck_store(ce, s->parts[i]);
	}
	return 0;
}

static void run_job(struct dec_committer *c, struct dec_sync_job *job)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < job->nfds && ret == 0; i++) {
		ret = io_fdatasync(job->fds[i]);
		if (ret < 0)
			diag_err("fdatasync of the decoded log failed: %s; "
				 "nothing is checkpointed",
				 err_str(ret));
	}
	if (ret == 0) {
		io_kill_point("D2");
		ret = log_ck_save(c->ck_path, &job->ck);
		if (ret < 0)
			diag_err("%s: checkpoint save failed: %s", c->ck_path,
				 err_str(ret));
	}
	if (ret == 0) {
		io_kill_point("D3");
		if (c->out && job->nre)
			shm_ring_publish(c->out, job->re, (uint32_t)job->nre);
		io_kill_point("D4");
	}
	job->result = ret;
}

static void *commit_thread(void *arg)
{
	struct dec_committer *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->stop && !(c->queued && !c->done))
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop && !(c->queued && !c->done))
			break;
		pthread_mutex_unlock(&c->mu);
		run_job(c, &c->job);
		pthread_mutex_lock(&c->mu);
		c->done = true;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int dec_commit_start(struct dec_stage *s)
{
	struct dec_committer *c = &s->commit;

	c->ck_path = s->ck_path;
	c->out = s->out;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, commit_thread, c) != 0)
		return -EAGAIN;
	c->started = true;
	return 0;
}

int dec_commit_wait(struct dec_stage *s)
{
	struct dec_committer *c = &s->commit;
	struct dec_sync_job *job = &c->job;
	size_t i;
	int ret;

	if (!c->queued)
		return 0;
	pthread_mutex_lock(&c->mu);
	while (!c->done)
		pthread_cond_wait(&c->cv, &c->mu);
	c->queued = false; /* under mu: the commit thread reads it */
	pthread_mutex_unlock(&c->mu);
	if (job->result < 0)
		return job->result;
	/* Durable now: the logs may close segments left by a roll. */
	for (i = 0; i < job->nends; i++) {
		ret = log_dir_durable(job->ends[i].p->out, job->ends[i].out);
		if (ret == 0)
			ret = log_dir_durable(job->ends[i].p->q,
					      job->ends[i].q);
		if (ret < 0)
			return ret;
	}
	s->ck.seq = job->ck.seq;
	s->st.batches++;
	return 0;
}

int dec_commit(struct dec_stage *s)
{
	struct dec_committer *c = &s->commit;
	struct dec_sync_job *job = &c->job;
	size_t i;
	int ret;

	if (!s->pending)
		return 0;
	ret = dec_commit_wait(s);
	if (ret < 0)
		return ret;
	io_kill_point("D1");
	job->nfds = job->nre = job->nends = 0;
	for (i = 0; i < s->nparts; i++) {
		struct dec_part *p = s->parts[i];
		struct log_pos oe;
		uint64_t start;
		int fds[4], n;

		if (!p->dirty)
			continue;
		p->dirty = false;
		n = log_dir_unsynced(p->out, fds);
		n += log_dir_unsynced(p->q, fds + n);
		oe = log_dir_end(p->out);
		if (array_grow((void **)&job->fds, &job->capfds,
			       job->nfds + (size_t)n, sizeof(int)) < 0 ||
		    array_grow((void **)&job->ends, &job->capends,
			       job->nends + 1, sizeof(*job->ends)) < 0 ||
		    array_grow((void **)&job->re, &job->capre, job->nre + 1,
			       sizeof(*job->re)) < 0)
			return -ENOMEM;
		memcpy(job->fds + job->nfds, fds, (size_t)n * sizeof(int));
		job->nfds += (size_t)n;
		job->ends[job->nends].p = p;
		job->ends[job->nends].out = oe;
		job->ends[job->nends].q = log_dir_end(p->q);
		job->nends++;
		start = p->out_start.seg == oe.seg ? p->out_start.pos
						   : LOG_SEG_HDR_SIZE;
		job->re[job->nre++] = (struct shm_ring_entry){
			.topic_id = p->topic_id,
			.partition = p->partition,
			.offset = p->last_offset,
			.seg = oe.seg,
			.pos = (uint32_t)start,
			.len = (uint32_t)(oe.pos - start),
		};
	}
	/* The checkpoint these syncs make true, as a copy the thread saves
	 * while the loop goes on. */
	ret = ck_store_all(s);
	if (ret < 0)
		return ret;
	if (array_grow((void **)&job->ck.e, &job->ck.cap, s->ck.n,
		       sizeof(*job->ck.e)) < 0)
		return -ENOMEM;
	memcpy(job->ck.e, s->ck.e, s->ck.n * sizeof(*s->ck.e));
	job->ck.n = s->ck.n;
	job->ck.seq = s->ck.seq;
	job->result = 0;
	s->pending = 0;

	pthread_mutex_lock(&c->mu);
	c->queued = true;
	c->done = false;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return 0;
}

int dec_save_checkpoint(struct dec_stage *s)
{
	int ret;

	ret = dec_commit_wait(s);
	if (ret < 0)
		return ret;
	ret = ck_store_all(s);
	if (ret < 0)
		return ret;
	ret = log_ck_save(s->ck_path, &s->ck);
	if (ret < 0)
		diag_err("%s: checkpoint save failed: %s", s->ck_path,
			 err_str(ret));
	return ret;
}

void dec_commit_stop(struct dec_stage *s)
{
	struct dec_committer *c = &s->commit;

	if (!c->started)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	c->started = false;
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c->job.fds);
	free(c->job.re);
	free(c->job.ends);
	free(c->job.ck.e);
}

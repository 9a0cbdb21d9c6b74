/* decode/stage_impl.h - the decode stage's state, shared by its files
 * (stage.c: the loop and the commit; replay.c: replay requests and the
 * quarantine re-drive). Not for other folders.
 */
#ifndef RZ_DECODE_STAGE_IMPL_H
#define RZ_DECODE_STAGE_IMPL_H

#include "decode/decoder.h"

#include "common/clock.h"
#include "decode/registry.h"
#include "decode/stage.h"
#include "log/checkpoint.h"
#include "log/dir.h"
#include "log/reader.h"
#include "shm/ring.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define READ_CHUNK 4096 /* raw records per partition per round */
/* ... and bytes of output per round: a round of large records stops
 * early rather than hold READ_CHUNK x max_record_bytes in memory */
#define READ_BYTES (32u << 20)
#define RING_RETRY_MS 5000  /* a land->decode ring that failed: try again */
#define IDLE_WAIT_MS 200    /* ring wait before re-reading land.ckpt */
#define REPLAY_CHECK_MS 200 /* how often to look for a replay request */

/* A growable buffer of complete frames for one log. */
struct frames {
	unsigned char *p;
	size_t len, cap;
	uint32_t n;
};

struct dec_part {
	char topic[LOG_CK_TOPIC_MAX + 1];
	int32_t partition;
	uint32_t topic_id;
	struct log_rd *rd;	 /* the raw zone */
	struct log_pos pos;	 /* the next raw record to decode */
	int64_t next;		 /* its offset, or -1 if not known yet */
	struct log_pos frontier; /* land's durable end */
	struct log_dir *out;	 /* decoded log */
	struct log_dir *q;	 /* quarantine log */
	uint64_t outcomes;
	bool dirty; /* outcomes written since the last commit */
	struct log_pos out_start;
	int64_t last_offset;
	/* replay (decode.ckpt DEC_CK_REPLAY_*, DEC_CK_QR_*) */
	uint64_t replay_id;
	int64_t replay_from, replay_to;
	uint64_t replay_done;
	struct log_pos qr, qr_end; /* quarantine re-drive cursor and end */
	struct log_rd *qrd;	   /* reader at qr while a re-drive runs */
	/* offsets the running re-drive has decoded: the quarantine log may
	 * hold a record several times (once per quarantine); decoding one
	 * copy is enough */
	int64_t *qr_seen;
	size_t qr_seen_n, qr_seen_cap;
};

/* A commit handed to the commit thread (commit.c). */
struct dec_sync_job {
	int *fds; /* to fdatasync */
	size_t nfds, capfds;
	struct log_ck ck;	   /* then this checkpoint to save */
	struct shm_ring_entry *re; /* then these entries to publish */
	size_t nre, capre;
	struct dec_job_end {
		struct dec_part *p;
		struct log_pos out, q; /* the logs' ends it makes durable */
	} * ends;
	size_t nends, capends;
	int result;
};

struct dec_committer {
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool queued, done, stop; /* under mu */
	struct dec_sync_job job;
	const char *ck_path;
	struct shm_ring *out;
};

struct dec_stage {
	const struct cfg *cfg;
	struct dec_registry *reg;
	struct dec_ctx *ctx;
	struct log_ck ck;
	char ck_path[PATH_MAX];
	char land_ck_path[PATH_MAX];
	struct dec_part **parts;
	size_t nparts, capparts;
	struct shm_ring *in;  /* land -> decode; NULL: polling land.ckpt */
	int64_t in_retry_ms;  /* when to try opening it again */
	struct shm_ring *out; /* decode -> transform */
	struct frames fo, fq;
	uint64_t pending; /* outcomes not yet committed */
	int64_t pending_since;
	struct dec_stage_stats st;
	struct log_dir_opts oopts, qopts;
	char replay_path[PATH_MAX];
	int64_t replay_checked_ms;
	struct dec_committer commit;
};

/* Partitions (stage.c). */
struct dec_part *dec_part_find(struct dec_stage *s, uint32_t topic_id,
			       const char *topic, int32_t partition);
int dec_read_land_ckpt(struct dec_stage *s);

/* Outcomes (stage.c): frame the outcome of @raw into the stage's buffers,
 * then write the buffers to @p's logs. */
int dec_frame_outcome(struct dec_stage *s, const struct log_rec *raw,
		      struct dec_out *o);
void dec_frames_reset(struct dec_stage *s);
/* dec_frames_bytes - bytes framed since the reset, both logs. */
size_t dec_frames_bytes(const struct dec_stage *s);
int dec_frames_write(struct dec_stage *s, struct dec_part *p, unsigned n);

/* The commit protocol (commit.c). dec_commit hands the outcomes written
 * so far to the commit thread (after waiting for the previous commit);
 * dec_commit_wait waits until everything handed over is durable and
 * checkpointed (or returns the error that stopped it). */
int dec_commit_start(struct dec_stage *s);
int dec_commit(struct dec_stage *s);
int dec_commit_wait(struct dec_stage *s);
void dec_commit_stop(struct dec_stage *s);

/* dec_save_checkpoint - wait for the commit thread, then store every
 * partition's state in decode.ckpt now (the logs must be durable up to
 * their ends: nothing pending). 0 or -errno. */
int dec_save_checkpoint(struct dec_stage *s);

/* Replay (replay.c). */

/* dec_replay_apply - apply a pending replay request, if any: rewind the
 * partitions it names (or start their quarantine re-drive) and save the
 * checkpoint, then remove the request. Call with nothing pending. */
int dec_replay_apply(struct dec_stage *s);

/* dec_replay_redrive - decode again up to @max records of @p's quarantine
 * log under an active quarantined-only replay. Returns the outcomes
 * written, 0 when there is nothing to do, or an error. */
int dec_replay_redrive(struct dec_stage *s, struct dec_part *p, unsigned max);

#endif

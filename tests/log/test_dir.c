/* tests/log/test_dir.c - a partition's log: append, read, roll, index,
 * and recovery from torn tails, garbage, bit flips and torn headers. */
#include "common/err.h"
#include "common/io.h"
#include "log/dir.h"
#include "log/reader.h"
#include "tests/check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXREC (1u << 20)

static char dir[PATH_MAX];
static uint64_t seed = 7;

static struct log_dir_opts opts(uint64_t segment_bytes)
{
	return (struct log_dir_opts){
		.zone = LOG_ZONE_RAW,
		.partition = 3,
		.segment_bytes = segment_bytes,
		.index_interval = 512,
		.max_record = MAXREC,
		.keyed = true,
	};
}

/* Record @i's content is a function of @i, so any read can be checked. */
static void make_rec(int64_t off, struct log_rec *rec, unsigned char *val,
		     char *key)
{
	size_t len = (size_t)(off * 37 % 300), j;

	for (j = 0; j < len; j++)
		val[j] = (unsigned char)(off + (int64_t)j);
	snprintf(key, 32, "k%lld", (long long)off);
	memset(rec, 0, sizeof(*rec));
	rec->offset = off;
	rec->timestamp = 1000 + off;
	rec->ts_type = 1;
	rec->key = off % 5 ? key : NULL;
	rec->key_len = off % 5 ? (uint32_t)strlen(key) : 0;
	rec->value = off % 11 ? val : NULL;
	rec->value_len = off % 11 ? (uint32_t)len : 0;
}

static void check_rec(const struct log_rec *rec, int64_t off)
{
	unsigned char val[400];
	char key[32];
	struct log_rec want;

	make_rec(off, &want, val, key);
	CHECK_EQ(rec->offset, off);
	CHECK_EQ(rec->timestamp, 1000 + off);
	CHECK_EQ(!rec->key, !want.key);
	CHECK_EQ(rec->key_len, want.key_len);
	CHECK(!rec->key_len || memcmp(rec->key, want.key, want.key_len) == 0);
	CHECK_EQ(!rec->value, !want.value);
	CHECK_EQ(rec->value_len, want.value_len);
	CHECK(!rec->value_len ||
	      memcmp(rec->value, want.value, want.value_len) == 0);
}

/* Append offsets [from, to) stepping by 2 (offsets need not be
 * contiguous), a few per call, then sync. */
static void append_range(struct log_dir *d, int64_t from, int64_t to)
{
	struct log_rec recs[8];
	unsigned char vals[8][400];
	char keys[8][32];
	int64_t off = from;

	while (off < to) {
		size_t n = 0;

		while (n < 8 && off < to) {
			make_rec(off, &recs[n], vals[n], keys[n]);
			n++;
			off += 2;
		}
		CHECK_OK(log_dir_append(d, recs, n, NULL));
		CHECK_OK(log_dir_sync(d)); /* segments roll at syncs */
	}
}

/* Read everything from the start; check offsets from..to step 2. */
static int64_t read_all(int64_t from, int64_t to)
{
	struct log_rd *rd;
	struct log_rec rec;
	struct log_pos at;
	int64_t want = from;
	int ret;

	CHECK_OK(log_rd_open(dir, LOG_ZONE_RAW, MAXREC, &rd));
	while ((ret = log_rd_next(rd, LOG_POS_END, &rec, &at)) == 1) {
		check_rec(&rec, want);
		want += 2;
	}
	CHECK_EQ(ret, 0);
	CHECK_EQ(want, to);
	log_rd_close(rd);
	return want;
}

static struct log_dir *reopen(struct log_dir *d, const struct log_pos *ck,
			      struct log_recovery *r, uint64_t segment_bytes)
{
	struct log_dir_opts o = opts(segment_bytes);

	log_dir_close(d);
	CHECK_OK(log_dir_open(dir, &o, &d));
	CHECK_OK(log_dir_recover(d, ck, r));
	return d;
}

static void seg_truncate(uint64_t base, uint64_t len)
{
	char path[PATH_MAX];

	log_seg_path(path, sizeof(path), dir, base, ".log");
	CHECK(truncate(path, (off_t)len) == 0);
}

static void seg_poke(uint64_t base, uint64_t pos, const void *buf, size_t n)
{
	char path[PATH_MAX];
	int fd;

	log_seg_path(path, sizeof(path), dir, base, ".log");
	fd = open(path, O_WRONLY);
	CHECK(fd >= 0);
	CHECK(pwrite(fd, buf, n, (off_t)pos) == (ssize_t)n);
	close(fd);
}

static void seg_flip(uint64_t base, uint64_t pos, int bit)
{
	char path[PATH_MAX];
	unsigned char b;
	int fd;

	log_seg_path(path, sizeof(path), dir, base, ".log");
	fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	CHECK(pread(fd, &b, 1, (off_t)pos) == 1);
	b ^= (unsigned char)(1u << bit);
	CHECK(pwrite(fd, &b, 1, (off_t)pos) == 1);
	close(fd);
}

static void test_seek_offsets(int64_t last)
{
	struct log_rd *rd;
	struct log_rec rec;
	struct log_pos at;
	int64_t off;

	CHECK_OK(log_rd_open(dir, LOG_ZONE_RAW, MAXREC, &rd));
	for (off = -3; off <= last + 3; off += 7) {
		int ret;

		CHECK_OK(log_rd_seek_offset(rd, off));
		ret = log_rd_next(rd, LOG_POS_END, &rec, &at);
		if (off > last) {
			CHECK_EQ(ret, 0);
			continue;
		}
		CHECK_EQ(ret, 1);
		/* The first record at or after @off (offsets are even). */
		check_rec(&rec, off <= 0 ? 0 : off + (off & 1));
	}
	log_rd_close(rd);
}

int main(void)
{
	struct log_dir_opts o = opts(64 * 1024);
	struct log_dir *d = NULL;
	struct log_recovery r;
	struct log_pos end, before_last, ck;
	uint64_t *bases, nb_before;
	size_t nb;
	int64_t last_off;
	char path[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/raw/orders/3", test_tmpdir("dir"));

	/* A new log: recovery finds nothing, appends create segments. */
	CHECK_OK(log_dir_open(dir, &o, &d));
	CHECK_OK(log_dir_recover(d, NULL, &r));
	CHECK(!r.have_last);
	append_range(d, 0, 4000); /* 2000 records, several segments */
	CHECK(log_dir_last_offset(d, &last_off) && last_off == 3998);
	CHECK_EQ(log_dir_append(d,
				&(struct log_rec){.offset = 3998, .value = ""},
				1, NULL),
		 -ERR_ORDER);
	end = log_dir_end(d);
	CHECK_OK(log_seg_list(dir, &bases, &nb));
	CHECK(nb >= 3);
	CHECK_EQ(bases[0], 0);
	nb_before = nb;
	free(bases);
	read_all(0, 4000);
	test_seek_offsets(3998);

	/* Clean reopen from the checkpoint: nothing changes. */
	d = reopen(d, &end, &r, 64 * 1024);
	CHECK(!r.have_last && r.truncated_bytes == 0);
	CHECK_EQ(log_pos_cmp(r.end, end), 0);
	/* And from no checkpoint: everything verifies. */
	d = reopen(d, NULL, &r, 64 * 1024);
	CHECK_EQ(r.records, 2000);
	CHECK(r.have_last && r.last_offset == 3998);
	CHECK_EQ(log_pos_cmp(r.end, end), 0);
	/* Records past the checkpoint are made durable in every segment
	 * that holds them, not only the last: the second sync of this
	 * recovery (the second of >= 3 segments) fails, and says so. */
	log_dir_close(d);
	setenv("RAWZONE_FAULTS", "sync:2=EIO", 1);
	io_faults_reset();
	CHECK_OK(log_dir_open(dir, &o, &d));
	CHECK_EQ(log_dir_recover(d, NULL, &r), -EIO);
	unsetenv("RAWZONE_FAULTS");
	io_faults_reset();
	d = reopen(d, NULL, &r, 64 * 1024);
	CHECK_EQ(log_pos_cmp(r.end, end), 0);

	/* The index: deleted, truncated, garbage - lookups stay right. */
	log_seg_path(path, sizeof(path), dir, end.seg, ".index");
	CHECK(truncate(path, 24) == 0);
	test_seek_offsets(3998);
	CHECK(unlink(path) == 0);
	test_seek_offsets(3998);
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
		unsigned char junk[160];
		size_t i;

		for (i = 0; i < sizeof(junk); i++)
			junk[i] = (unsigned char)test_rand(&seed);
		CHECK(fd >= 0 && write(fd, junk, sizeof(junk)) == 160);
		close(fd);
	}
	test_seek_offsets(3998);
	/* Recovery rewrites a valid index prefix; appends extend it. */
	d = reopen(d, &end, &r, 64 * 1024);
	append_range(d, 4000, 4100);
	end = log_dir_end(d);
	test_seek_offsets(4098);

	/* A torn tail cut at every byte of the last record. */
	{
		struct log_rd *rd;
		struct log_rec rec;
		struct log_pos at;
		uint64_t cut, len;

		CHECK_OK(log_rd_open(dir, LOG_ZONE_RAW, MAXREC, &rd));
		CHECK_OK(log_rd_seek_offset(rd, 4098));
		CHECK_EQ(log_rd_next(rd, LOG_POS_END, &rec, &at), 1);
		before_last = at;
		len = log_rd_pos(rd).pos - at.pos;
		log_rd_close(rd);
		CHECK_EQ(before_last.seg, end.seg);
		for (cut = 0; cut < len; cut++) {
			seg_truncate(end.seg, before_last.pos + cut);
			ck = (struct log_pos){end.seg, LOG_SEG_HDR_SIZE};
			d = reopen(d, &ck, &r, 64 * 1024);
			CHECK_EQ(log_pos_cmp(r.end, before_last), 0);
			CHECK_EQ(r.truncated_bytes, cut);
			CHECK(r.have_last && r.last_offset == 4096);
			CHECK_EQ(test_seg_size(dir, end.seg), before_last.pos);
			append_range(d, 4098, 4100);
			CHECK_EQ(log_pos_cmp(log_dir_end(d), end), 0);
		}
		read_all(0, 4100);
	}

	/* Random garbage appended: cut exactly at the end. */
	{
		unsigned char junk[1024];
		int round;

		for (round = 0; round < 10; round++) {
			size_t n = 1 + test_rand(&seed) % sizeof(junk), i;

			for (i = 0; i < n; i++)
				junk[i] = (unsigned char)test_rand(&seed);
			if (round == 0)
				memset(junk, 0, n); /* a zero-filled tail */
			seg_poke(end.seg, end.pos, junk, n);
			d = reopen(d, &end, &r, 64 * 1024);
			CHECK_EQ(r.truncated_bytes, n);
			CHECK_EQ(log_pos_cmp(r.end, end), 0);
		}
		read_all(0, 4100);
	}

	/* A bit flipped beyond the checkpoint: cut there. */
	seg_flip(end.seg, before_last.pos + 30, 2);
	ck = (struct log_pos){end.seg, LOG_SEG_HDR_SIZE};
	d = reopen(d, &ck, &r, 64 * 1024);
	CHECK_EQ(log_pos_cmp(r.end, before_last), 0);
	append_range(d, 4098, 4100);

	/* A bit flipped inside the checkpointed region: recovery does not
	 * touch it, and a reader stops there with an error naming the
	 * place, never skipping it. */
	seg_flip(end.seg, before_last.pos + 60, 5);
	d = reopen(d, &end, &r, 64 * 1024);
	CHECK_EQ(r.truncated_bytes, 0);
	CHECK_EQ(test_seg_size(dir, end.seg), end.pos);
	{
		struct log_rd *rd;
		struct log_rec rec;
		struct log_pos at;
		int ret;

		CHECK_OK(log_rd_open(dir, LOG_ZONE_RAW, MAXREC, &rd));
		while ((ret = log_rd_next(rd, end, &rec, &at)) == 1)
			CHECK(rec.offset < 4098);
		CHECK_EQ(ret, -ERR_CORRUPT);
		CHECK_EQ(log_pos_cmp(log_rd_pos(rd), before_last), 0);
		log_rd_close(rd);
	}
	seg_flip(end.seg, before_last.pos + 60, 5);

	/* A checkpoint past the file's end, or naming a missing segment, is
	 * corruption of acknowledged data: refused, nothing changed. */
	ck = (struct log_pos){end.seg, end.pos + 1};
	log_dir_close(d);
	CHECK_OK(log_dir_open(dir, &o, &d));
	CHECK_EQ(log_dir_recover(d, &ck, &r), -ERR_CORRUPT);
	ck = (struct log_pos){end.seg + 1, LOG_SEG_HDR_SIZE};
	CHECK_EQ(log_dir_recover(d, &ck, &r), -ERR_CORRUPT);
	CHECK_EQ(test_seg_size(dir, end.seg), end.pos);

	/* A segment whose creation was torn (header short or garbage, or
	 * none at all: its header is synced only with its first records)
	 * is removed; the one before stays active. */
	{
		char p2[PATH_MAX];
		int fd;

		log_seg_path(p2, sizeof(p2), dir, 5000, ".log");
		fd = open(p2, O_WRONLY | O_CREAT, 0640);
		CHECK(fd >= 0 && write(fd, "RZSEG", 5) == 5);
		close(fd);
		d = reopen(d, &end, &r, 64 * 1024);
		CHECK_EQ(r.removed_segments, 1);
		CHECK(access(p2, F_OK) != 0);
		CHECK_EQ(log_pos_cmp(r.end, end), 0);

		fd = open(p2, O_WRONLY | O_CREAT, 0640);
		CHECK(fd >= 0);
		close(fd);
		d = reopen(d, &end, &r, 64 * 1024);
		CHECK_EQ(r.removed_segments, 1);
		CHECK(access(p2, F_OK) != 0);
		CHECK_EQ(log_pos_cmp(r.end, end), 0);
	}

	/* A segment created past the last record and the checkpoint, left
	 * without records by a crash (its writes never done): its header was
	 * not synced (log_seg_create leaves it to the first sync), and in
	 * this keyed log its name says 5000 while the next record is 4100.
	 * Recovery removes it, with or without a checkpoint, and the next
	 * records go where they belong. */
	{
		char p2[PATH_MAX];
		const struct log_pos *cks[2] = {&end, NULL};
		int k, fd;

		log_seg_path(p2, sizeof(p2), dir, 5000, ".log");
		for (k = 0; k < 2; k++) {
			fd = log_seg_create(dir, 5000, LOG_ZONE_RAW, 3);
			CHECK(fd >= 0);
			close(fd);
			d = reopen(d, cks[k], &r, 64 * 1024);
			CHECK_EQ(r.removed_segments, 1);
			CHECK(access(p2, F_OK) != 0);
			CHECK_EQ(log_pos_cmp(r.end, end), 0);
		}
	}

	/* A log whose every segment is empty (created, then a crash before
	 * any write completed) and no checkpoint: an empty log, which takes
	 * records from any offset. */
	{
		char d2[PATH_MAX];
		struct log_dir *e = NULL;
		uint64_t *b2;
		size_t n2;
		int fd;

		snprintf(d2, sizeof(d2), "%s/raw/orders/4", test_tmpdir("dir"));
		CHECK_OK(io_mkdir_p(d2, 0750));
		fd = log_seg_create(d2, 0, LOG_ZONE_RAW, 3);
		CHECK(fd >= 0);
		close(fd);
		fd = log_seg_create(d2, 7628, LOG_ZONE_RAW, 3);
		CHECK(fd >= 0);
		close(fd);
		CHECK_OK(log_dir_open(d2, &o, &e));
		CHECK_OK(log_dir_recover(e, NULL, &r));
		CHECK_EQ(r.removed_segments, 2);
		CHECK(!r.have_last);
		append_range(e, 0, 200);
		CHECK_OK(log_seg_list(d2, &b2, &n2));
		CHECK(n2 >= 1 && b2[0] == 0);
		free(b2);
		log_dir_close(e);
	}

	/* A crash right after a roll left an empty new segment: it stays and
	 * takes the next records. */
	d = reopen(d, &end, &r, 4096);
	append_range(d, 4100, 4102); /* rolls: the active one is big */
	CHECK_OK(log_seg_list(dir, &bases, &nb));
	CHECK_EQ(nb, nb_before + 1);
	CHECK_EQ(bases[nb - 1], 4100);
	free(bases);
	read_all(0, 4102);

	/* A reader with a limit never returns a record at or past it. */
	{
		struct log_rd *rd;
		struct log_rec rec;
		struct log_pos at;
		int n = 0;

		CHECK_OK(log_rd_open(dir, LOG_ZONE_RAW, MAXREC, &rd));
		while (log_rd_next(rd, before_last, &rec, &at) == 1) {
			CHECK(log_pos_cmp(at, before_last) < 0);
			n++;
		}
		CHECK_EQ(n, 2049);
		/* A limit inside a frame: the frame crosses it. */
		CHECK_EQ(log_rd_next(rd,
				     (struct log_pos){before_last.seg,
						      before_last.pos + 10},
				     &rec, &at),
			 -ERR_CORRUPT);
		log_rd_close(rd);
	}
	log_dir_close(d);
	return 0;
}

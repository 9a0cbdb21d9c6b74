/* tests/log/test_dir_direct.c - O_DIRECT appends as land makes them: a
 * lead rewritten from log_dir_lead()/log_dir_align(), zero padding to a
 * whole block, segment rolls sealed back to their records, a reader that
 * follows the durable frontier without keeping padding it read, and
 * recovery after a crash and after a clean close. */
#include "common/err.h"
#include "common/io.h"
#include "log/dir.h"
#include "log/reader.h"
#include "tests/check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXREC (1u << 16)
#define BUF (256u * 1024)

static char dir[PATH_MAX];
static uint64_t seed = 11;
static char *buf;	/* the writer's chunk, aligned */
static bool saw_direct; /* a write went through dfd */
static unsigned padded; /* writes that ended inside a block */

static struct log_dir_opts opts(void)
{
	return (struct log_dir_opts){
		.zone = LOG_ZONE_RAW,
		.partition = 0,
		.segment_bytes = 64 * 1024,
		.index_interval = 1024,
		.max_record = MAXREC,
		.keyed = true,
		.direct = true,
	};
}

/* Record @off's content is a function of @off. */
static void make_rec(int64_t off, struct log_rec *rec, unsigned char *val)
{
	size_t len = (size_t)(off * 53 % 700), j;

	for (j = 0; j < len; j++)
		val[j] = (unsigned char)(off * 7 + (int64_t)j);
	memset(rec, 0, sizeof(*rec));
	rec->offset = off;
	rec->timestamp = 5000 + off;
	rec->value = val;
	rec->value_len = (uint32_t)len;
}

static void check_rec(const struct log_rec *rec, int64_t off)
{
	unsigned char val[700];
	struct log_rec want;

	make_rec(off, &want, val);
	CHECK_EQ(rec->offset, off);
	CHECK_EQ(rec->timestamp, 5000 + off);
	CHECK_EQ(rec->value_len, want.value_len);
	CHECK(memcmp(rec->value, want.value, want.value_len) == 0);
}

/* Append records [from, from + n) the way land does: frames after the
 * lead, reserve, align, one write through dfd (or a plain one). */
static void append(struct log_dir *d, int64_t from, unsigned n)
{
	unsigned char val[700];
	struct log_rec rec;
	struct log_span sp;
	uint32_t lead = log_dir_lead(d, buf), records = 0;
	uint32_t rel[64];
	unsigned i;
	int w;

	CHECK(n <= 64);
	for (i = 0; i < n; i++) {
		make_rec(from + i, &rec, val);
		rel[i] = records;
		records += (uint32_t)log_rec_encode(&rec, buf + lead + records);
	}
	CHECK_OK(log_dir_reserve(d, from, records, &sp));
	for (i = 0; i < n; i++)
		log_dir_note(d, from + i, sp.pos + rel[i]);
	w = log_dir_align(d, &sp, buf, &lead, records);
	CHECK(w > 0 && (uint32_t)w % sp.align == 0);
	CHECK_EQ((sp.pos - lead) % sp.align, 0);
	CHECK(lead < sp.align && (uint32_t)w >= lead + records &&
	      (uint32_t)w < lead + records + sp.align);
	if (sp.align == 1) { /* no O_DIRECT: the records alone, in place */
		CHECK_EQ(sp.dfd, -1);
		CHECK_OK(io_pwrite_all(sp.fd, buf, records, sp.pos));
		return;
	}
	saw_direct = true;
	padded += (uint32_t)w != lead + records;
	CHECK(pwrite(sp.dfd, buf, (size_t)w, (off_t)(sp.pos - lead)) == w);
}

static void sync_dir(struct log_dir *d)
{
	CHECK_OK(log_dir_sync(d));
}

/* Read what a fresh reader sees to the very end: @n records from 0, then
 * the end of the data (0, or -ENODATA at padding). */
static int read_end(int64_t n)
{
	struct log_rd *rd;
	struct log_rec rec;
	struct log_pos at;
	int64_t off = 0;
	int ret;

	CHECK_OK(log_rd_open(dir, LOG_ZONE_RAW, MAXREC, &rd));
	while ((ret = log_rd_next(rd, LOG_POS_END, &rec, &at)) == 1)
		check_rec(&rec, off++);
	CHECK_EQ(off, n);
	log_rd_close(rd);
	return ret;
}

int main(void)
{
	struct log_dir_opts o = opts();
	struct log_dir *d = NULL;
	struct log_recovery r;
	struct log_rd *follow;
	struct log_rec rec;
	struct log_pos at, end;
	uint64_t *bases;
	size_t nb, i;
	int64_t next = 0, read = 0;
	unsigned round;
	int ret;

	snprintf(dir, sizeof(dir), "%s/raw/orders/0", test_tmpdir("direct"));
	CHECK(posix_memalign((void **)&buf, LOG_DIR_ALIGN_MAX,
			     BUF + LOG_DIR_SLACK) == 0);

	/* Appends of 1-40 records, synced now and then, over many rolls; a
	 * reader follows the durable end as decode does, and reads across
	 * blocks that were padded when it first read them. */
	CHECK_OK(log_dir_open(dir, &o, &d));
	CHECK_OK(log_dir_recover(d, NULL, &r));
	CHECK_OK(log_rd_open(dir, LOG_ZONE_RAW, MAXREC, &follow));
	for (round = 0; round < 600; round++) {
		unsigned n = 1 + (unsigned)(test_rand(&seed) % 40);

		append(d, next, n);
		next += n;
		if (test_rand(&seed) % 3)
			continue;
		sync_dir(d);
		end = log_dir_end(d);
		while ((ret = log_rd_next(follow, end, &rec, &at)) == 1)
			check_rec(&rec, read++);
		CHECK_EQ(ret, 0);
		CHECK_EQ(read, next);
	}
	log_rd_close(follow);
	if (!saw_direct)
		printf("# O_DIRECT is not available under %s: only the "
		       "fallback to the page cache was tested\n",
		       dir);
	else
		CHECK(padded > 0);
	CHECK_OK(log_seg_list(dir, &bases, &nb));
	CHECK(nb >= 5);

	/* As land interleaves them: an epoch's end is taken and synced, a
	 * roll comes before that epoch is declared durable, and the segment
	 * the roll left is still cut before a later sync lets it go. */
	{
		struct log_pos e1;
		uint64_t seg1;
		int fds[2], n, j;

		while (log_dir_end(d).pos < o.segment_bytes) {
			append(d, next, 20);
			next += 20;
		}
		e1 = log_dir_end(d);
		seg1 = e1.seg;
		CHECK_OK(log_dir_seal(d));
		n = log_dir_unsynced(d, fds);
		for (j = 0; j < n; j++)
			CHECK_OK(io_fdatasync(fds[j]));
		append(d, next, 4); /* rolls */
		next += 4;
		CHECK(log_dir_end(d).seg > seg1);
		CHECK_OK(log_dir_durable(d, e1));
		CHECK_OK(log_dir_sync(d));
		CHECK_EQ(test_seg_size(dir, seg1), e1.pos);
	}
	/* A roll's segment was cut back to its records: every segment but
	 * the last reads to its end, and a reader sees every record. */
	sync_dir(d);
	end = log_dir_end(d);
	ret = read_end(next);
	CHECK(ret == 0 || (saw_direct && ret == -ENODATA));

	/* A crash after a padded write that was not synced: recovery keeps
	 * the whole records and cuts the padding as a torn tail. */
	append(d, next, 3);
	next += 3;
	log_dir_close(d); /* not synced: the padding stays */
	CHECK_OK(log_dir_open(dir, &o, &d));
	CHECK_OK(log_dir_recover(d, &end, &r));
	CHECK_EQ(r.records, 3);
	CHECK(r.have_last && r.last_offset == next - 1);
	CHECK_EQ(r.end.seg, end.seg);
	CHECK_EQ(test_seg_size(dir, r.end.seg), r.end.pos);
	CHECK_EQ(read_end(next), 0);

	/* Writing on after recovery reads the lead back; a clean close
	 * leaves the active segment exactly as long as its records. */
	append(d, next, 5);
	next += 5;
	sync_dir(d);
	end = log_dir_end(d);
	log_dir_close(d);
	CHECK_EQ(test_seg_size(dir, end.seg), end.pos);
	CHECK_EQ(read_end(next), 0);
	CHECK_OK(log_dir_open(dir, &o, &d));
	CHECK_OK(log_dir_recover(d, &end, &r));
	CHECK(r.truncated_bytes == 0 && r.records == 0);
	log_dir_close(d);

	for (i = 0; i + 1 < nb; i++)
		CHECK(test_seg_size(dir, bases[i]) <= o.segment_bytes + BUF);
	free(bases);
	free(buf);
	return 0;
}

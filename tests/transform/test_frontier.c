/* tests/transform/test_frontier.c - transform reads up to decode's durable
 * frontier and not one byte further, and stops on damage below it.
 *
 * Records appended to the decoded log without advancing decode.ckpt are not
 * applied (even when one of them is garbage); once the checkpoint covers
 * them they are. A flipped byte below the frontier, a frontier that names
 * a segment that is not there, or a frontier that went back behind what the
 * database holds are fatal errors that change nothing in the database.
 * Segments are small, so every read crosses segment boundaries.
 */
#include "tests/transform/xf_test.h"

#include "log/reader.h"

#include <fcntl.h>

static char data_dir[1024];
static char conf[PATH_MAX], db[PATH_MAX];

static struct log_pos add(struct log_dir *d, int64_t off)
{
	struct xt_ev ev = {NULL, "cust", 1,	1000 + off, false, "EUR",
			   off,	 0,	 "web", 0,	    {0}};
	struct log_pos at;
	char oid[32];

	snprintf(oid, sizeof(oid), "order-%lld", (long long)off);
	ev.order_id = oid;
	at = xt_ok(d, off, 1700000000000 + off, 3, &ev);
	CHECK_OK(log_dir_sync(d)); /* so that segments roll */
	return at;
}

static int64_t count(void)
{
	sqlite3 *h = xt_db(db);
	int64_t n = xt_int(h, "SELECT count(*) FROM order_events");

	xt_invariant(h);
	sqlite3_close(h);
	return n;
}

/* XOR byte @at + @delta of segment @pos.seg of partition 0. */
static void flip(struct log_pos pos, uint64_t delta)
{
	char dir[PATH_MAX], path[PATH_MAX];
	unsigned char b;
	int fd;

	CHECK_OK(layout_part_dir(dir, sizeof(dir), data_dir, LAYOUT_DECODED,
				 XT_TOPIC, 0));
	CHECK_OK(log_seg_path(path, sizeof(path), dir, pos.seg, ".log"));
	fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	CHECK(pread(fd, &b, 1, (off_t)(pos.pos + delta)) == 1);
	b ^= 0x40;
	CHECK(pwrite(fd, &b, 1, (off_t)(pos.pos + delta)) == 1);
	close(fd);
}

static void set_frontier(int32_t partition, struct log_pos f)
{
	char path[PATH_MAX];
	struct log_ck ck = {0};
	struct log_ck_entry *e;

	TEST_FMT(path, "%s/%s", data_dir, LAYOUT_DECODE_CKPT);
	CHECK_OK(log_ck_load(path, &ck));
	e = log_ck_put(&ck, XT_TOPIC, partition);
	CHECK(e);
	e->v[DEC_CK_OUT_SEG] = f.seg;
	e->v[DEC_CK_OUT_POS] = f.pos;
	CHECK_OK(log_ck_save(path, &ck));
	log_ck_free(&ck);
}

static struct log_pos applied_pos(void)
{
	sqlite3 *h = xt_db(db);
	struct log_pos p;

	p.seg = (uint64_t)xt_int(h, "SELECT segment FROM "
				    "rawzone_transform_checkpoint WHERE "
				    "kafka_partition = 0");
	p.pos = (uint64_t)xt_int(h, "SELECT position FROM "
				    "rawzone_transform_checkpoint WHERE "
				    "kafka_partition = 0");
	sqlite3_close(h);
	return p;
}

int main(void)
{
	struct log_dir *d = NULL, *d1 = NULL;
	struct log_pos f10, f15, last, bad;
	int64_t off;

	snprintf(data_dir, sizeof(data_dir), "%s", test_tmpdir("xf-frontier"));
	TEST_FMT(conf, "%s/rawzone.conf", data_dir);
	TEST_FMT(db, "%s/rawzone.db", data_dir);
	xt_conf(conf, data_dir, db, NULL);

	/* No decode.ckpt yet: nothing to do, and no error. */
	CHECK_OK(xt_run(conf, NULL, 0));
	CHECK_EQ(count(), 0);

	d = xt_part_open(data_dir, 0, 300);
	for (off = 0; off < 10; off++)
		add(d, off);
	xt_frontier(data_dir, d, 0);
	f10 = log_dir_end(d);
	CHECK(f10.seg >= 2); /* several segments */
	for (off = 10; off < 15; off++)
		last = add(d, off);
	CHECK_OK(log_dir_sync(d));
	f15 = log_dir_end(d);
	/* Beyond the frontier, even garbage is none of transform's
	 * business. */
	flip(last, 60);
	CHECK_OK(xt_run(conf, NULL, 0));
	CHECK_EQ(count(), 10);
	CHECK(log_pos_cmp(applied_pos(), f10) == 0);
	flip(last, 60);

	/* The frontier moves: now they are applied. A new partition in
	 * decode.ckpt is found. */
	xt_frontier(data_dir, d, 0);
	d1 = xt_part_open(data_dir, 1, 512);
	add(d1, 100);
	xt_frontier(data_dir, d1, 1);
	CHECK_OK(xt_run(conf, NULL, 0));
	CHECK_EQ(count(), 16);
	CHECK(log_pos_cmp(applied_pos(), f15) == 0);

	/* Damage below the frontier: fatal, and nothing of the batch is
	 * committed (records before the damaged one included). */
	for (off = 15; off < 20; off++) {
		struct log_pos at = add(d, off);

		if (off == 17)
			bad = at;
	}
	xt_frontier(data_dir, d, 0);
	flip(bad, 60);
	CHECK_EQ(xt_run(conf, NULL, 0), -ERR_CORRUPT);
	CHECK_EQ(count(), 16);
	flip(bad, 60);
	CHECK_OK(xt_run(conf, NULL, 0));
	CHECK_EQ(count(), 21);

	/* A frontier naming a segment that is not there. */
	last = log_dir_end(d);
	set_frontier(0, (struct log_pos){last.seg + 3, 200});
	CHECK_EQ(xt_run(conf, NULL, 0), -ERR_CORRUPT);
	/* A frontier past the end of the last segment. */
	set_frontier(0, (struct log_pos){last.seg, last.pos + 100});
	CHECK_EQ(xt_run(conf, NULL, 0), -ERR_CORRUPT);
	/* A frontier behind what the database holds. */
	set_frontier(0, f10);
	CHECK_EQ(xt_run(conf, NULL, 0), -ERR_CORRUPT);
	CHECK_EQ(count(), 21);
	set_frontier(0, last);
	CHECK_OK(xt_run(conf, NULL, 0));
	CHECK_EQ(count(), 21);

	log_dir_close(d);
	log_dir_close(d1);
	printf("frontier: not past decode's checkpoint, damage below it is "
	       "fatal\n");
	return 0;
}

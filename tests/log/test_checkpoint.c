/* tests/log/test_checkpoint.c - checkpoints: round trip, alternation of
 * slots, torn saves, damaged, truncated, empty and missing files, a stale
 * temporary file, regrowth; never a checkpoint that moves by itself. */
#include "common/err.h"
#include "common/io.h"
#include "log/checkpoint.h"
#include "tests/check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[PATH_MAX];

static void fill(struct log_ck *ck, int parts, uint64_t stamp)
{
	int p;

	for (p = 0; p < parts; p++) {
		struct log_ck_entry *e = log_ck_put(ck, "orders", p);
		int f;

		CHECK(e);
		for (f = 0; f < LOG_CK_FIELDS; f++)
			e->v[f] = stamp * 1000 + (uint64_t)p * 10 + (uint64_t)f;
	}
}

static void check_stamp(int parts, uint64_t stamp)
{
	struct log_ck ck = {0};
	int p;

	CHECK_OK(log_ck_load(path, &ck));
	CHECK_EQ(ck.n, parts);
	for (p = 0; p < parts; p++) {
		struct log_ck_entry *e = log_ck_find(&ck, "orders", p);

		CHECK(e);
		CHECK_EQ(e->v[0], stamp * 1000 + (uint64_t)p * 10);
		CHECK_EQ(e->v[7], stamp * 1000 + (uint64_t)p * 10 + 7);
	}
	log_ck_free(&ck);
}

static void corrupt_at(off_t off, size_t n)
{
	int fd = open(path, O_RDWR);
	unsigned char junk[64];

	memset(junk, 0x5a, sizeof(junk));
	CHECK(fd >= 0);
	CHECK(pwrite(fd, junk, n, off) == (ssize_t)n);
	close(fd);
}

int main(void)
{
	struct log_ck ck = {0}, got = {0};
	char tmp[PATH_MAX + 8];
	uint64_t stamp;
	int fd;

	snprintf(path, sizeof(path), "%s/land.ckpt", test_tmpdir("ckpt"));

	/* Missing: a first start. */
	CHECK_EQ(log_ck_load(path, &got), -ENOENT);

	/* Saves alternate slots; each load returns the last save. */
	for (stamp = 1; stamp <= 5; stamp++) {
		fill(&ck, 8, stamp);
		CHECK_OK(log_ck_save(path, &ck));
		CHECK_EQ(ck.seq, stamp);
		check_stamp(8, stamp);
	}

	/* A save torn by a crash (the slot of version 6 is garbage): the
	 * load returns version 5, the last acknowledged, and a save after
	 * that goes on from there. */
	fill(&ck, 8, 6);
	CHECK_OK(log_ck_save(path, &ck)); /* version 6 -> slot 0 */
	corrupt_at(4096 + 40, 32);
	check_stamp(8, 5);
	{
		struct log_ck again = {0};

		CHECK_OK(log_ck_load(path, &again));
		CHECK_EQ(again.seq, 5);
		fill(&again, 8, 7);
		CHECK_OK(log_ck_save(path, &again));
		CHECK_EQ(again.seq, 6);
		check_stamp(8, 7);
		log_ck_free(&again);
	}

	/* Both slots damaged: refused, not silently empty. */
	corrupt_at(4096 + 30, 8);
	corrupt_at(4096 + 4096 + 30, 8); /* slots are 4 KiB here */
	{
		struct stat st;

		CHECK(stat(path, &st) == 0);
	}
	CHECK_EQ(log_ck_load(path, &got), -ERR_CORRUPT);
	log_ck_free(&got);

	/* A damaged header: refused. */
	unlink(path);
	log_ck_free(&ck);
	ck.seq = 0;
	fill(&ck, 3, 9);
	CHECK_OK(log_ck_save(path, &ck));
	corrupt_at(2, 4);
	CHECK_EQ(log_ck_load(path, &got), -ERR_CORRUPT);

	/* Truncated and empty files: refused. */
	unlink(path);
	log_ck_free(&ck);
	ck.seq = 0;
	CHECK_OK(log_ck_save(path, &ck));
	CHECK(truncate(path, 4096 + 10) == 0);
	CHECK_EQ(log_ck_load(path, &got), -ERR_CORRUPT);
	CHECK(truncate(path, 0) == 0);
	CHECK_EQ(log_ck_load(path, &got), -ERR_CORRUPT);

	/* A stale temporary file from a create that did not finish: a reader
	 * leaves it alone (it may be the owner's save in progress); the owner
	 * removes it at start, and the checkpoint in place is the one
	 * loaded. */
	unlink(path);
	log_ck_free(&ck);
	ck.seq = 0;
	fill(&ck, 3, 11);
	CHECK_OK(log_ck_save(path, &ck));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT, 0640);
	CHECK(fd >= 0 && write(fd, "partial", 7) == 7);
	close(fd);
	check_stamp(3, 11);
	CHECK(access(tmp, F_OK) == 0);
	{
		struct log_ck owned = {0};

		CHECK_OK(log_ck_load_owned(path, &owned));
		CHECK_EQ(owned.n, 3);
		log_ck_free(&owned);
	}
	CHECK(access(tmp, F_OK) != 0);

	/* Regrowth: a table larger than a slot moves to a new file with
	 * bigger slots; versions keep counting. */
	log_ck_free(&ck);
	ck.seq = 0;
	unlink(path);
	fill(&ck, 2, 12);
	CHECK_OK(log_ck_save(path, &ck));
	fill(&ck, 300, 13);
	CHECK_OK(log_ck_save(path, &ck));
	check_stamp(300, 13);
	fill(&ck, 300, 14);
	CHECK_OK(log_ck_save(path, &ck));
	check_stamp(300, 14);
	CHECK_EQ(ck.seq, 3);

	/* A failed sync: the save fails and the file still holds the
	 * previous version. */
	setenv("RAWZONE_FAULTS", "sync:1=EIO", 1);
	io_faults_reset();
	fill(&ck, 300, 15);
	CHECK_EQ(log_ck_save(path, &ck), -EIO);
	unsetenv("RAWZONE_FAULTS");
	io_faults_reset();
	CHECK_EQ(ck.seq, 3);
	/* (the bytes of version 4 may be in the page cache; what a reload
	 * shows is either 14 or 15, but the caller never acknowledged 15
	 * and exits; a reload returning 15 is the torn-save case) */

	/* Parsing rejects malformed payloads. */
	{
		unsigned char b[64] = {0};
		struct log_ck t = {0};

		CHECK_EQ(log_ck_parse(b, 0, 1, &t), -ERR_CORRUPT);
		b[0] = 200; /* topic length past the end */
		CHECK_EQ(log_ck_parse(b, sizeof(b), 1, &t), -ERR_CORRUPT);
		CHECK_EQ(log_ck_parse(b, 3, 0, &t), -ERR_CORRUPT);
		log_ck_free(&t);
	}
	log_ck_free(&ck);
	log_ck_free(&got);
	return 0;
}

/* log/checkpoint.c - two-slot checkpoint files.
 *
 * The slots are 4 KiB-aligned so a torn write of one never touches the
 * other's sectors. The file has its full size from creation, so a save is
 * an overwrite: fdatasync need not persist any metadata.
 */
#include "log/checkpoint.h"

#include "common/diag.h"
#include "common/err.h"
#include "common/io.h"
#include "log/crc32c.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CK_MAGIC 0x31544b435a52ull /* "RZCKT1" */
#define CK_VERSION 1u
#define CK_SLOT_MAGIC 0x544f4c53u /* "SLOT" */
#define CK_HDR_SIZE 24u
#define CK_SLOTS_AT 4096u
#define CK_SLOT_HDR 24u
#define CK_SLOT_MIN 4096u

struct ck_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t slot_size;
	uint32_t reserved;
	uint32_t crc;
};
_Static_assert(sizeof(struct ck_hdr) == CK_HDR_SIZE, "ck hdr");

struct ck_slot {
	uint32_t magic;
	uint32_t crc; /* of bytes [8, CK_SLOT_HDR + len) */
	uint64_t seq;
	uint32_t len;
	uint32_t entries;
};
_Static_assert(sizeof(struct ck_slot) == CK_SLOT_HDR, "ck slot");

void log_ck_free(struct log_ck *ck)
{
	free(ck->e);
	ck->e = NULL;
	ck->n = ck->cap = 0;
}

struct log_ck_entry *log_ck_find(struct log_ck *ck, const char *topic,
				 int32_t partition)
{
	size_t i;

	for (i = 0; i < ck->n; i++)
		if (ck->e[i].partition == partition &&
		    strcmp(ck->e[i].topic, topic) == 0)
			return &ck->e[i];
	return NULL;
}

struct log_ck_entry *log_ck_put(struct log_ck *ck, const char *topic,
				int32_t partition)
{
	struct log_ck_entry *e = log_ck_find(ck, topic, partition);

	if (e)
		return e;
	if (strlen(topic) > LOG_CK_TOPIC_MAX)
		return NULL;
	if (ck->n == ck->cap) {
		size_t cap = ck->cap ? ck->cap * 2 : 16;
		struct log_ck_entry *ne = realloc(ck->e, cap * sizeof(*ne));

		if (!ne)
			return NULL;
		ck->e = ne;
		ck->cap = cap;
	}
	e = &ck->e[ck->n++];
	memset(e, 0, sizeof(*e));
	strcpy(e->topic, topic);
	e->partition = partition;
	return e;
}

/* Fields stored for @e: up to its last non-zero one. */
static uint8_t nfields(const struct log_ck_entry *e)
{
	uint8_t nf = LOG_CK_FIELDS;

	while (nf > 0 && e->v[nf - 1] == 0)
		nf--;
	return nf;
}

static size_t encoded_size(const struct log_ck *ck)
{
	size_t sz = 0, i;

	for (i = 0; i < ck->n; i++)
		sz += 2 + strlen(ck->e[i].topic) + 4 + 1 +
		      8 * (size_t)nfields(&ck->e[i]);
	return sz;
}

static void encode(const struct log_ck *ck, unsigned char *p)
{
	size_t i;

	for (i = 0; i < ck->n; i++) {
		uint16_t tl = (uint16_t)strlen(ck->e[i].topic);
		uint8_t nf = nfields(&ck->e[i]);

		memcpy(p, &tl, 2);
		memcpy(p + 2, ck->e[i].topic, tl);
		p += 2 + tl;
		memcpy(p, &ck->e[i].partition, 4);
		memcpy(p + 4, &nf, 1);
		memcpy(p + 5, ck->e[i].v, 8 * (size_t)nf);
		p += 5 + 8 * (size_t)nf;
	}
}

int log_ck_parse(const void *buf, size_t len, uint32_t entries,
		 struct log_ck *ck)
{
	const unsigned char *p = buf, *end = p + len;
	uint32_t i;

	ck->n = 0;
	for (i = 0; i < entries; i++) {
		struct log_ck_entry *e;
		char topic[LOG_CK_TOPIC_MAX + 1];
		int32_t partition;
		uint16_t tl;
		uint8_t nf;

		if (end - p < 2)
			return -ERR_CORRUPT;
		memcpy(&tl, p, 2);
		if (tl == 0 || tl > LOG_CK_TOPIC_MAX || end - p < 2 + tl + 5)
			return -ERR_CORRUPT;
		memcpy(topic, p + 2, tl);
		topic[tl] = '\0';
		if (memchr(topic, '\0', tl))
			return -ERR_CORRUPT;
		p += 2 + tl;
		memcpy(&partition, p, 4);
		memcpy(&nf, p + 4, 1);
		p += 5;
		if (nf > LOG_CK_FIELDS || end - p < 8 * nf)
			return -ERR_CORRUPT;
		if (log_ck_find(ck, topic, partition))
			return -ERR_CORRUPT; /* one entry per partition */
		e = log_ck_put(ck, topic, partition);
		if (!e)
			return -ENOMEM;
		memcpy(e->v, p, 8 * (size_t)nf);
		p += 8 * (size_t)nf;
	}
	return p == end ? 0 : -ERR_CORRUPT;
}

static void tmp_path(char *buf, size_t size, const char *path)
{
	snprintf(buf, size, "%s.tmp", path);
}

int log_ck_load_owned(const char *path, struct log_ck *ck)
{
	char tmp[PATH_MAX];

	/* A temporary file is a create or regrow that did not finish: the
	 * checkpoint it was to replace is still in place. Only the owner
	 * may say so: for anyone else it may be a save in progress. */
	tmp_path(tmp, sizeof(tmp), path);
	if (unlink(tmp) == 0)
		diag_info("%s: removed a stale temporary file", tmp);
	return log_ck_load(path, ck);
}

/* One attempt; @quiet: a failure of both slots is not reported (the
 * caller will look again). */
static int load_once(const char *path, struct log_ck *ck, bool quiet)
{
	unsigned char *slot = NULL;
	struct ck_hdr h;
	uint64_t best_seq = 0;
	int best = -1, fd, ret, i;
	ssize_t n;

	fd = io_open(path, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	n = io_pread_full(fd, &h, sizeof(h), 0);
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	if (n != sizeof(h) || h.magic != CK_MAGIC ||
	    h.crc != crc32c(0, &h, offsetof(struct ck_hdr, crc)) ||
	    h.slot_size < CK_SLOT_MIN || h.slot_size > (64u << 20) ||
	    h.slot_size % 4096) {
		diag_err("%s: checkpoint header does not verify", path);
		ret = -ERR_CORRUPT;
		goto out;
	}
	if (h.version != CK_VERSION) {
		diag_err("%s: checkpoint format version %u is not %u", path,
			 h.version, CK_VERSION);
		ret = -ERR_FORMAT;
		goto out;
	}
	/* Both slots are kept: the one chosen is parsed from the bytes that
	 * verified, not read again - a writer may be rewriting it by then. */
	slot = malloc(2 * (size_t)h.slot_size);
	if (!slot) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < 2; i++) {
		unsigned char *sl = slot + (size_t)i * h.slot_size;
		struct ck_slot s;

		n = io_pread_full(fd, sl, h.slot_size,
				  CK_SLOTS_AT + (uint64_t)i * h.slot_size);
		if (n < 0) {
			ret = (int)n;
			goto out;
		}
		if ((size_t)n < CK_SLOT_HDR)
			continue;
		memcpy(&s, sl, sizeof(s));
		if (s.magic != CK_SLOT_MAGIC ||
		    s.len > h.slot_size - CK_SLOT_HDR ||
		    (size_t)n < CK_SLOT_HDR + s.len ||
		    s.crc != crc32c(0, sl + 8, CK_SLOT_HDR - 8 + s.len))
			continue;
		if (best < 0 || s.seq > best_seq) {
			best = i;
			best_seq = s.seq;
		}
	}
	if (best < 0) {
		if (!quiet)
			diag_err("%s: neither checkpoint slot verifies", path);
		ret = quiet ? -EAGAIN : -ERR_CORRUPT; /* (see log_ck_load) */
		goto out;
	}
	{
		unsigned char *sl = slot + (size_t)best * h.slot_size;
		struct ck_slot s;

		memcpy(&s, sl, sizeof(s));
		ret = log_ck_parse(sl + CK_SLOT_HDR, s.len, s.entries, ck);
		if (ret < 0) {
			diag_err("%s: checkpoint slot %d verifies but does not "
				 "parse",
				 path, best);
			goto out;
		}
		ck->seq = s.seq;
	}
	ret = 0;
out:
	free(slot);
	close(fd);
	return ret;
}

int log_ck_load(const char *path, struct log_ck *ck)
{
	struct timespec pause = {0, 2 * 1000000L};
	int tries, ret;

	/* A reader that meets both slots torn met two saves during its read
	 * (each save rewrites one slot and leaves the other valid): a second
	 * look finds a verified one. A damaged file fails every time. */
	for (tries = 0;; tries++) {
		/* -EAGAIN: only "neither slot verifies", the one failure two
		 * saves can cause; a bad header or an unparsable slot is not
		 * retried. The last try reports it as -ERR_CORRUPT. */
		ret = load_once(path, ck, tries < 2);
		if (ret != -EAGAIN)
			return ret;
		log_ck_free(ck);
		nanosleep(&pause, NULL);
	}
}

static void fill_slot(unsigned char *slot, const struct log_ck *ck,
		      uint64_t seq, size_t len)
{
	struct ck_slot s = {
		.magic = CK_SLOT_MAGIC,
		.seq = seq,
		.len = (uint32_t)len,
		.entries = (uint32_t)ck->n,
	};

	encode(ck, slot + CK_SLOT_HDR);
	memcpy(slot, &s, sizeof(s));
	s.crc = crc32c(0, slot + 8, CK_SLOT_HDR - 8 + len);
	memcpy(slot + 4, &s.crc, 4);
}

/* Write a whole new file through a temporary one: the slot of @seq holds
 * @ck, the other is empty. */
static int create_file(const char *path, const struct log_ck *ck, uint64_t seq,
		       size_t len)
{
	uint32_t slot_size = CK_SLOT_MIN;
	struct ck_hdr h = {.magic = CK_MAGIC, .version = CK_VERSION};
	unsigned char *img;
	size_t total;
	char tmp[PATH_MAX];
	int fd, ret;

	while (slot_size < CK_SLOT_HDR + len)
		slot_size *= 2;
	/* Room to grow before the next regrow. */
	if (slot_size < 2 * (CK_SLOT_HDR + len))
		slot_size *= 2;
	h.slot_size = slot_size;
	h.crc = crc32c(0, &h, offsetof(struct ck_hdr, crc));
	total = CK_SLOTS_AT + 2 * (size_t)slot_size;
	img = calloc(1, total);
	if (!img)
		return -ENOMEM;
	memcpy(img, &h, sizeof(h));
	fill_slot(img + CK_SLOTS_AT + (seq & 1) * (size_t)slot_size, ck, seq,
		  len);

	tmp_path(tmp, sizeof(tmp), path);
	fd = io_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		ret = fd;
		goto out_free;
	}
	ret = io_pwrite_all(fd, img, total, 0);
	if (ret == 0)
		ret = io_fsync(fd);
	close(fd);
	if (ret < 0)
		goto out_unlink;
	io_kill_point("CK1");
	ret = io_rename(tmp, path);
	if (ret < 0)
		goto out_unlink;
	io_kill_point("CK2");
	ret = io_fsync_parent(path);
	goto out_free;

out_unlink:
	unlink(tmp);
out_free:
	free(img);
	return ret;
}

int log_ck_save(const char *path, struct log_ck *ck)
{
	size_t len = encoded_size(ck);
	unsigned char *slot = NULL;
	struct ck_hdr h;
	int fd, ret, target;
	ssize_t n;

	fd = io_open(path, O_RDWR | O_NOFOLLOW, 0);
	if (fd == -ENOENT) {
		ret = create_file(path, ck, ck->seq + 1, len);
		if (ret == 0)
			ck->seq++;
		return ret;
	}
	if (fd < 0)
		return fd;
	n = io_pread_full(fd, &h, sizeof(h), 0);
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	if (n != sizeof(h) || h.magic != CK_MAGIC ||
	    h.crc != crc32c(0, &h, offsetof(struct ck_hdr, crc))) {
		diag_err("%s: checkpoint header does not verify", path);
		ret = -ERR_CORRUPT;
		goto out;
	}
	if (CK_SLOT_HDR + len > h.slot_size) {
		close(fd);
		ret = create_file(path, ck, ck->seq + 1, len);
		if (ret == 0)
			ck->seq++;
		return ret;
	}
	/* The slot of version seq+1: versions alternate between slots, so
	 * this is never the slot holding the newest valid version. */
	target = (int)((ck->seq + 1) & 1);
	slot = calloc(1, CK_SLOT_HDR + len);
	if (!slot) {
		ret = -ENOMEM;
		goto out;
	}
	fill_slot(slot, ck, ck->seq + 1, len);
	ret = io_pwrite_all(fd, slot, CK_SLOT_HDR + len,
			    CK_SLOTS_AT + (uint64_t)target * h.slot_size);
	if (ret < 0)
		goto out;
	ret = io_fdatasync(fd);
	if (ret < 0)
		goto out;
	ck->seq++;
out:
	free(slot);
	close(fd);
	return ret;
}

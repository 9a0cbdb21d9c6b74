/* log/segment.c - segment files: names, listing, header, index entries. */
#include "log/segment.h"

#include "common/err.h"
#include "common/io.h"
#include "log/crc32c.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(struct log_seg_hdr) == LOG_SEG_HDR_SIZE, "seg hdr");
_Static_assert(offsetof(struct log_seg_hdr, version) == 8, "version");
_Static_assert(offsetof(struct log_seg_hdr, zone) == 12, "zone");
_Static_assert(offsetof(struct log_seg_hdr, base) == 16, "base");
_Static_assert(offsetof(struct log_seg_hdr, partition) == 24, "partition");
_Static_assert(offsetof(struct log_seg_hdr, created_ms) == 32, "created");
_Static_assert(offsetof(struct log_seg_hdr, crc) == 60, "crc");
_Static_assert(sizeof(struct log_idx_entry) == 16, "index entry");

int log_pos_cmp(struct log_pos a, struct log_pos b)
{
	if (a.seg != b.seg)
		return a.seg < b.seg ? -1 : 1;
	if (a.pos != b.pos)
		return a.pos < b.pos ? -1 : 1;
	return 0;
}

int log_seg_path(char *buf, size_t size, const char *dir, uint64_t base,
		 const char *ext)
{
	int n = snprintf(buf, size, "%s/%020llu%s", dir,
			 (unsigned long long)base, ext);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int log_seg_list(const char *dir, uint64_t **bases, size_t *n)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	uint64_t *v = NULL;
	size_t cnt = 0, cap = 0;

	*bases = NULL;
	*n = 0;
	if (!dh)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dh))) {
		const char *s = de->d_name;
		uint64_t base = 0;
		int i;

		if (strlen(s) != LOG_SEG_NAME_DIGITS + 4 ||
		    strcmp(s + LOG_SEG_NAME_DIGITS, ".log") != 0)
			continue;
		for (i = 0; i < LOG_SEG_NAME_DIGITS; i++) {
			if (s[i] < '0' || s[i] > '9')
				break;
			base = base * 10 + (uint64_t)(s[i] - '0');
		}
		if (i < LOG_SEG_NAME_DIGITS)
			continue;
		if (cnt == cap) {
			uint64_t *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(dh);
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt++] = base;
	}
	closedir(dh);
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_u64);
	*bases = v;
	*n = cnt;
	return 0;
}

int log_seg_create(const char *dir, uint64_t base, enum log_zone zone,
		   int32_t partition)
{
	struct log_seg_hdr h = {
		.magic = LOG_SEG_MAGIC,
		.version = LOG_SEG_VERSION,
		.hdr_size = LOG_SEG_HDR_SIZE,
		.zone = (uint32_t)zone,
		.base = base,
		.partition = partition,
	};
	char path[PATH_MAX];
	struct timespec ts;
	int fd, ret;

	ret = log_seg_path(path, sizeof(path), dir, base, ".log");
	if (ret < 0)
		return ret;
	clock_gettime(CLOCK_REALTIME, &ts);
	h.created_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	h.crc = crc32c(0, &h, offsetof(struct log_seg_hdr, crc));

	fd = io_open(path, O_RDWR | O_CREAT | O_EXCL, 0640);
	if (fd < 0)
		return fd;
	/* The header is not synced here: it becomes durable with the
	 * segment's first records, by the sync that must precede any
	 * checkpoint naming them (log_dir counts it unsynced). A crash
	 * before that may leave a torn header, which recovery removes. */
	ret = io_pwrite_all(fd, &h, sizeof(h), 0);
	if (ret < 0)
		goto out_unlink;
	io_kill_point("R1");
	ret = io_fsync_dir(dir);
	if (ret < 0)
		goto out_unlink;
	io_kill_point("R2");
	return fd;

out_unlink:
	close(fd);
	unlink(path);
	return ret;
}

int log_seg_check_hdr(const void *buf, uint64_t base, enum log_zone zone)
{
	struct log_seg_hdr h;

	memcpy(&h, buf, sizeof(h));
	if (h.magic != LOG_SEG_MAGIC)
		return -ERR_CORRUPT;
	if (crc32c(0, &h, offsetof(struct log_seg_hdr, crc)) != h.crc)
		return -ERR_CORRUPT;
	if (h.version > LOG_SEG_VERSION || h.hdr_size != LOG_SEG_HDR_SIZE)
		return -ERR_FORMAT;
	if (h.base != base || h.zone != (uint32_t)zone)
		return -ERR_CORRUPT;
	return 0;
}

int log_seg_open(const char *dir, uint64_t base, enum log_zone zone, int flags)
{
	unsigned char hdr[LOG_SEG_HDR_SIZE];
	char path[PATH_MAX];
	ssize_t n;
	int fd, ret;

	ret = log_seg_path(path, sizeof(path), dir, base, ".log");
	if (ret < 0)
		return ret;
	fd = io_open(path, flags, 0);
	if (fd < 0)
		return fd;
	n = io_pread_full(fd, hdr, sizeof(hdr), 0);
	if (n < 0) {
		close(fd);
		return (int)n;
	}
	ret = n < (ssize_t)sizeof(hdr) ? -ERR_CORRUPT
				       : log_seg_check_hdr(hdr, base, zone);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

int log_idx_load(const char *dir, uint64_t base, uint64_t limit,
		 struct log_idx_entry **out, size_t *n)
{
	char path[PATH_MAX];
	struct log_idx_entry *e = NULL;
	struct stat st;
	size_t cnt, i;
	ssize_t got;
	int fd, ret;

	*out = NULL;
	*n = 0;
	ret = log_seg_path(path, sizeof(path), dir, base, ".index");
	if (ret < 0)
		return ret;
	fd = io_open(path, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out_close;
	}
	cnt = (size_t)st.st_size / sizeof(*e);
	if (cnt == 0)
		goto out_close;
	e = malloc(cnt * sizeof(*e));
	if (!e) {
		ret = -ENOMEM;
		goto out_close;
	}
	got = io_pread_full(fd, e, cnt * sizeof(*e), 0);
	if (got < 0) {
		ret = (int)got;
		free(e);
		e = NULL;
		goto out_close;
	}
	cnt = (size_t)got / sizeof(*e);
	/* Keep the prefix that checks out; the rest is a torn or stale
	 * tail of derived data. */
	for (i = 0; i < cnt; i++) {
		if (e[i].pos < LOG_SEG_HDR_SIZE || e[i].pos >= limit ||
		    e[i].offset < (int64_t)base)
			break;
		if (i && (e[i].offset <= e[i - 1].offset ||
			  e[i].pos <= e[i - 1].pos))
			break;
	}
	*out = e;
	*n = i;
out_close:
	close(fd);
	return ret;
}

uint64_t log_idx_lookup(const struct log_idx_entry *e, size_t n, int64_t offset)
{
	size_t lo = 0, hi = n;

	/* Find the first entry with offset > @offset; the one before it is
	 * the answer. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e[mid].offset <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? e[lo - 1].pos : LOG_SEG_HDR_SIZE;
}

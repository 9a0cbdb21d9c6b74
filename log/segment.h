/* log/segment.h - one segment file of a partition's log, its header, its
 * name, and its sparse offset index.
 *
 * A partition's log is a directory of segments named by a 20-digit base,
 * Kafka-style: 00000000000000004096.log. In the raw zone the base is the
 * Kafka offset of the segment's first record; in logs whose offsets are not
 * monotonic (the decoded log, which a replay rewinds) it is an ordinal.
 * Bases strictly increase along the log.
 *
 * A segment starts with a 64-byte header (little-endian):
 *   0 u64 magic LOG_SEG_MAGIC   8 u16 version   10 u16 header size (64)
 *  12 u32 zone                 16 u64 base     24 i32 partition
 *  28 u32 flags (0)            32 i64 created, ms since the epoch
 *  40 reserved (zero)          60 u32 CRC32C of bytes [0, 60)
 * then framed records (log/record.h) back to back.
 *
 * The .index beside a raw segment holds (i64 offset, u64 position) pairs,
 * one per index interval of log bytes, increasing in both. It is derived
 * data: never fsynced, checked before use, rebuilt from the .log whenever
 * it is missing or does not check out.
 */
#ifndef RZ_LOG_SEGMENT_H
#define RZ_LOG_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#define LOG_SEG_MAGIC 0x474f4c4745535a52ull /* "RZSEGLOG" */
#define LOG_SEG_VERSION 1
#define LOG_SEG_HDR_SIZE 64u
#define LOG_SEG_NAME_DIGITS 20

enum log_zone {
	LOG_ZONE_RAW = 1,
	LOG_ZONE_DECODED = 2,
	LOG_ZONE_QUARANTINE = 3,
};

struct log_seg_hdr {
	uint64_t magic;
	uint16_t version;
	uint16_t hdr_size;
	uint32_t zone;
	uint64_t base;
	int32_t partition;
	uint32_t flags;
	int64_t created_ms;
	uint8_t reserved[20];
	uint32_t crc;
};

/* A byte position in a log: a segment (by base) and a file position in it.
 * Positions compare by segment, then position. */
struct log_pos {
	uint64_t seg;
	uint64_t pos;
};

#define LOG_POS_END ((struct log_pos){UINT64_MAX, UINT64_MAX})

int log_pos_cmp(struct log_pos a, struct log_pos b);

/* log_seg_path - "<dir>/<20-digit base><ext>" into @buf. Returns 0 or
 * -ENAMETOOLONG. */
int log_seg_path(char *buf, size_t size, const char *dir, uint64_t base,
		 const char *ext);

/* log_seg_list - the bases of @dir's segments (*.log with a 20-digit
 * name), sorted ascending, in a malloc'd array the caller frees. A missing
 * directory is an empty list. Returns 0 or -errno. */
int log_seg_list(const char *dir, uint64_t **bases, size_t *n);

/* log_seg_create - create segment @base in @dir (exclusive, 0640), write
 * its header, then fsync @dir so the new entry is durable. The header is
 * left for the caller's next fdatasync of the segment, which must come
 * before anything refers to it. Returns the fd (read-write) or -errno. */
int log_seg_create(const char *dir, uint64_t base, enum log_zone zone,
		   int32_t partition);

/* log_seg_check_hdr - verify the 64 header bytes at @buf against @base
 * and @zone. Returns 0, -ERR_CORRUPT (magic, CRC, base or zone) or
 * -ERR_FORMAT (a newer version). */
int log_seg_check_hdr(const void *buf, uint64_t base, enum log_zone zone);

/* log_seg_open - open segment @base of @dir (O_RDONLY or O_RDWR in
 * @flags) and verify its header. Returns the fd, or -errno, -ERR_CORRUPT,
 * -ERR_FORMAT; a file shorter than the header is -ERR_CORRUPT. */
int log_seg_open(const char *dir, uint64_t base, enum log_zone zone, int flags);

/* Index entries. */
struct log_idx_entry {
	int64_t offset;
	uint64_t pos;
};

/* log_idx_load - read the index of segment @base, keeping the longest
 * prefix of entries that increase, lie past the header and below @limit
 * (the verified end of the .log). Returns 0 and a malloc'd array, or
 * -errno (-ENOENT when there is no index). */
int log_idx_load(const char *dir, uint64_t base, uint64_t limit,
		 struct log_idx_entry **out, size_t *n);

/* log_idx_lookup - the position of the last entry with offset <= @offset,
 * or the first record's position (the header's end) if none. */
uint64_t log_idx_lookup(const struct log_idx_entry *e, size_t n,
			int64_t offset);

#endif

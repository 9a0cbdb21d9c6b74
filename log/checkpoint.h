/* log/checkpoint.h - a stage's durable checkpoint: a small table of
 * per-partition positions, stored atomically.
 *
 * The file holds a header and two slots. A save writes the slot not holding
 * the newest version, with a sequence number one higher and a CRC, then
 * fdatasyncs: one write and one sync per save, and a save torn by a crash
 * leaves the other slot - the previous version, the last one acknowledged -
 * intact. Load takes the valid slot with the higher sequence number.
 * The file is created, or regrown when a table outgrows a slot, by writing a
 * temporary file, fsyncing it, renaming it into place and fsyncing the
 * directory. A checkpoint never moves by itself: load returns exactly the
 * last save that returned 0 or, if a crash tore the next save, that one.
 *
 * Layout (little-endian): header at 0 (u64 magic, u32 version, u32 slot
 * size, u32 reserved, u32 CRC of the first 20 bytes), slot i at
 * 4096 + i * slot_size. Slot: u32 magic, u32 CRC of the rest of the used
 * slot, u64 sequence, u32 payload length, u32 entries, then the entries:
 * u16 topic length, topic, i32 partition, u8 field count, u64 fields
 * (trailing zero fields are not stored; missing ones read as zero).
 */
#ifndef RZ_LOG_CHECKPOINT_H
#define RZ_LOG_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#define LOG_CK_TOPIC_MAX 249 /* Kafka's limit on topic names */
#define LOG_CK_FIELDS 16

/* One partition's entry; the stage gives the fields their meaning. */
struct log_ck_entry {
	char topic[LOG_CK_TOPIC_MAX + 1];
	int32_t partition;
	uint64_t v[LOG_CK_FIELDS];
};

struct log_ck {
	struct log_ck_entry *e;
	size_t n;
	size_t cap;
	uint64_t seq; /* of the version loaded or last saved */
};

/* log_ck_load - read the checkpoint at @path into @ck (initialised by the
 * caller to zeroes). A missing file is -ENOENT (a first start). A file
 * whose header or both slots fail verification is -ERR_CORRUPT, reported
 * with the file named. Read-only: safe for any process while the owner
 * saves (a slot torn under the reader fails its CRC and the other slot is
 * used, as after a crash; both torn - two saves during one read - makes it
 * look again, up to three times). */
int log_ck_load(const char *path, struct log_ck *ck);

/* log_ck_load_owned - log_ck_load() for the checkpoint's owner (the one
 * process that saves it, under its stage lock), at start: a stale
 * temporary file beside it, left by a create or regrow that crashed, is
 * removed first. */
int log_ck_load_owned(const char *path, struct log_ck *ck);

/* log_ck_save - store @ck durably at @path (see above). Returns 0 once it
 * is durable, or -errno (a sync error is final: do not retry, exit). */
int log_ck_save(const char *path, struct log_ck *ck);

/* log_ck_find - the entry of (@topic, @partition), or NULL. */
struct log_ck_entry *log_ck_find(struct log_ck *ck, const char *topic,
				 int32_t partition);

/* log_ck_put - the entry of (@topic, @partition), added with zero fields
 * if missing. NULL on allocation failure or a topic name too long. */
struct log_ck_entry *log_ck_put(struct log_ck *ck, const char *topic,
				int32_t partition);

/* log_ck_free - release the table (not @ck itself). */
void log_ck_free(struct log_ck *ck);

/* log_ck_parse - decode a slot payload (exposed for fuzzing). Returns 0 or
 * -ERR_CORRUPT. */
int log_ck_parse(const void *buf, size_t len, uint32_t entries,
		 struct log_ck *ck);

#endif

/* log/record.h - the framed record: one Kafka record, exactly as received,
 * with its coordinates. The unit of every zone (raw, decoded, quarantine).
 *
 * On disk, little-endian, a 48-byte header then three byte strings:
 *
 *   0  u32 magic       LOG_REC_MAGIC
 *   4  u32 length      of the whole frame, this header included
 *   8  u32 crc         CRC32C of bytes [12, length)
 *  12  u8  ts_type     0 none, 1 create time, 2 log-append time
 *  13  u8  type        zone-defined kind of record (0 in the raw zone)
 *  14  u16 flags       0 (anything else is a newer format)
 *  16  i64 offset      Kafka offset
 *  24  i64 timestamp   Kafka timestamp, ms since the epoch (-1 if none)
 *  32  u32 key_len     LOG_REC_NULL for a null key
 *  36  u32 value_len   LOG_REC_NULL for a null value
 *  40  u32 hdr_count   Kafka headers
 *  44  u32 hdr_len     bytes of the header block
 *  48  key, header block, value
 *
 * The header block holds hdr_count entries of (u32 name_len, u32 value_len
 * or LOG_REC_NULL, name bytes, value bytes). Every length is checked against
 * the frame before use; length is checked against a caller's maximum before
 * anything is read past the header.
 */
#ifndef RZ_LOG_RECORD_H
#define RZ_LOG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define LOG_REC_MAGIC 0x31525a52u /* "RZR1" */
#define LOG_REC_HDR_SIZE 48u
#define LOG_REC_NULL 0xffffffffu
#define LOG_REC_HDR_ENTRY_SIZE 8u

struct log_rec_hdr {
	uint32_t magic;
	uint32_t length;
	uint32_t crc;
	uint8_t ts_type;
	uint8_t type;
	uint16_t flags;
	int64_t offset;
	int64_t timestamp;
	uint32_t key_len;
	uint32_t value_len;
	uint32_t hdr_count;
	uint32_t hdr_len;
};

/* A view of one record. Pointers refer to the caller's buffer; key or value
 * NULL means a null key or value (distinct from empty). */
struct log_rec {
	int64_t offset;
	int64_t timestamp;
	uint8_t ts_type;
	uint8_t type;
	const void *key;
	uint32_t key_len;
	const void *value;
	uint32_t value_len;
	const void *hdrs; /* the encoded header block */
	uint32_t hdrs_len;
	uint32_t hdr_count;
};

/* log_rec_size - bytes of @rec's frame. */
size_t log_rec_size(const struct log_rec *rec);

/* log_rec_encode - write @rec's frame, CRC included, to @dst, which holds
 * log_rec_size(@rec) bytes. Returns the bytes written. */
size_t log_rec_encode(const struct log_rec *rec, void *dst);

/* log_rec_begin - write the header, key and header block of @rec's frame
 * at @dst, for a value of @value_len bytes (LOG_REC_NULL: null) that the
 * caller then writes at the returned address, before log_rec_seal(@dst).
 * @rec's value fields are ignored. */
void *log_rec_begin(void *dst, const struct log_rec *rec, uint32_t value_len);

/* log_rec_put_head - write only the fixed LOG_REC_HDR_SIZE bytes of
 * @rec's frame at @dst (what log_rec_begin writes first), for a writer
 * that copies the key, a header block of @rec->hdr_count entries and
 * @rec->hdrs_len bytes, and a value of @value_len bytes after it itself
 * (land, from librdkafka's buffers), before log_rec_seal(@dst). */
void log_rec_put_head(void *dst, const struct log_rec *rec, uint32_t value_len);

/* log_rec_frame_size - bytes of a frame of @rec with a value of
 * @value_len bytes (LOG_REC_NULL: null) instead of @rec's value. */
size_t log_rec_frame_size(const struct log_rec *rec, uint32_t value_len);

/* log_rec_seal - compute and store the CRC of a frame whose header and
 * bytes are in place at @frame (for writers that fill a frame field by
 * field). */
void log_rec_seal(void *frame);

/* log_rec_decode - parse the frame at @buf, of which @avail bytes are at
 * hand, into @rec (pointing into @buf), verifying magic, lengths and CRC.
 * Returns the frame length (> 0), or:
 *   -ENODATA       fewer than the whole frame is at hand (*need says how
 *                  many bytes the frame needs, when known);
 *   -ERR_TOO_LARGE the frame says it is longer than @max_len;
 *   -ERR_CORRUPT   bad magic, lengths that do not add up, or a bad CRC;
 *   -ERR_FORMAT    flags of a newer format.
 * A zero magic (a preallocated or zero-filled tail) is -ERR_CORRUPT. */
int log_rec_decode(const void *buf, size_t avail, uint32_t max_len,
		   struct log_rec *rec, size_t *need);

/* Header block: iteration and construction. */
struct log_rec_hdr_it {
	const unsigned char *p, *end;
	uint32_t left;
};

void log_rec_hdr_iter(const struct log_rec *rec, struct log_rec_hdr_it *it);

/* log_rec_hdr_next - the next header: 1 and the fields set, 0 at the end,
 * -ERR_CORRUPT if the block is malformed. A null value has *value NULL. */
int log_rec_hdr_next(struct log_rec_hdr_it *it, const char **name,
		     uint32_t *name_len, const void **value,
		     uint32_t *value_len);

/* log_rec_hdr_put - append one header entry at @dst; returns the byte after
 * it. @value NULL writes a null value. The caller sized @dst with
 * LOG_REC_HDR_ENTRY_SIZE + name_len + value_len per entry. */
void *log_rec_hdr_put(void *dst, const char *name, uint32_t name_len,
		      const void *value, uint32_t value_len);

/* log_rec_hdr_find - the value of the first header named @name (of
 * @name_len bytes). Returns 1 and sets @value/@value_len, 0 if absent,
 * -ERR_CORRUPT on a malformed block. */
int log_rec_hdr_find(const struct log_rec *rec, const char *name,
		     uint32_t name_len, const void **value,
		     uint32_t *value_len);

#endif

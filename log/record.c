/* log/record.c - encoding and verified decoding of framed records.
 *
 * Invariant: log_rec_decode() never reads a byte beyond @avail, and never
 * trusts a length before checking it against both the frame and the bytes
 * at hand. The host is little-endian (asserted), so the on-disk header is
 * the struct itself, read with memcpy (frames are not aligned).
 */
#include "log/record.h"

#include "common/err.h"
#include "log/crc32c.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the on-disk formats are little-endian structs");
_Static_assert(sizeof(struct log_rec_hdr) == LOG_REC_HDR_SIZE, "hdr size");
_Static_assert(offsetof(struct log_rec_hdr, length) == 4, "length");
_Static_assert(offsetof(struct log_rec_hdr, crc) == 8, "crc");
_Static_assert(offsetof(struct log_rec_hdr, ts_type) == 12, "ts_type");
_Static_assert(offsetof(struct log_rec_hdr, type) == 13, "type");
_Static_assert(offsetof(struct log_rec_hdr, flags) == 14, "flags");
_Static_assert(offsetof(struct log_rec_hdr, offset) == 16, "offset");
_Static_assert(offsetof(struct log_rec_hdr, timestamp) == 24, "timestamp");
_Static_assert(offsetof(struct log_rec_hdr, key_len) == 32, "key_len");
_Static_assert(offsetof(struct log_rec_hdr, value_len) == 36, "value_len");
_Static_assert(offsetof(struct log_rec_hdr, hdr_count) == 40, "hdr_count");
_Static_assert(offsetof(struct log_rec_hdr, hdr_len) == 44, "hdr_len");

#define CRC_FROM 12u /* the CRC covers the frame from ts_type on */

static uint32_t len_or_zero(const void *p, uint32_t len)
{
	return p ? len : 0;
}

size_t log_rec_size(const struct log_rec *rec)
{
	return log_rec_frame_size(rec,
				  rec->value ? rec->value_len : LOG_REC_NULL);
}

size_t log_rec_encode(const struct log_rec *rec, void *dst)
{
	uint32_t vlen = rec->value ? rec->value_len : LOG_REC_NULL;
	unsigned char *v = log_rec_begin(dst, rec, vlen);

	if (rec->value && rec->value_len)
		memcpy(v, rec->value, rec->value_len);
	log_rec_seal(dst);
	return log_rec_frame_size(rec, vlen);
}

size_t log_rec_frame_size(const struct log_rec *rec, uint32_t value_len)
{
	return LOG_REC_HDR_SIZE + (size_t)len_or_zero(rec->key, rec->key_len) +
	       rec->hdrs_len + (value_len == LOG_REC_NULL ? 0 : value_len);
}

void log_rec_put_head(void *dst, const struct log_rec *rec, uint32_t value_len)
{
	struct log_rec_hdr h = {
		.magic = LOG_REC_MAGIC,
		.length = (uint32_t)log_rec_frame_size(rec, value_len),
		.ts_type = rec->ts_type,
		.type = rec->type,
		.offset = rec->offset,
		.timestamp = rec->timestamp,
		.key_len = rec->key ? rec->key_len : LOG_REC_NULL,
		.value_len = value_len,
		.hdr_count = rec->hdr_count,
		.hdr_len = rec->hdrs_len,
	};

	memcpy(dst, &h, sizeof(h));
}

void *log_rec_begin(void *dst, const struct log_rec *rec, uint32_t value_len)
{
	unsigned char *p = dst;
	size_t off = LOG_REC_HDR_SIZE;

	log_rec_put_head(dst, rec, value_len);
	if (rec->key && rec->key_len) {
		memcpy(p + off, rec->key, rec->key_len);
		off += rec->key_len;
	}
	if (rec->hdrs_len) {
		memcpy(p + off, rec->hdrs, rec->hdrs_len);
		off += rec->hdrs_len;
	}
	return p + off;
}

void log_rec_seal(void *frame)
{
	unsigned char *p = frame;
	uint32_t length, crc;

	memcpy(&length, p + offsetof(struct log_rec_hdr, length), 4);
	crc = crc32c(0, p + CRC_FROM, length - CRC_FROM);
	memcpy(p + offsetof(struct log_rec_hdr, crc), &crc, 4);
}

int log_rec_decode(const void *buf, size_t avail, uint32_t max_len,
		   struct log_rec *rec, size_t *need)
{
	const unsigned char *p = buf;
	struct log_rec_hdr h;
	uint64_t sum;
	uint32_t klen, vlen;

	if (need)
		*need = LOG_REC_HDR_SIZE;
	if (avail < 4)
		return -ENODATA;
	memcpy(&h.magic, p, 4);
	if (h.magic != LOG_REC_MAGIC)
		return -ERR_CORRUPT;
	if (avail < 8)
		return -ENODATA;
	memcpy(&h.length, p + 4, 4);
	if (h.length < LOG_REC_HDR_SIZE)
		return -ERR_CORRUPT;
	if (h.length > max_len)
		return -ERR_TOO_LARGE;
	if (need)
		*need = h.length;
	if (avail < h.length)
		return -ENODATA;
	memcpy(&h, p, sizeof(h));

	klen = h.key_len == LOG_REC_NULL ? 0 : h.key_len;
	vlen = h.value_len == LOG_REC_NULL ? 0 : h.value_len;
	sum = (uint64_t)LOG_REC_HDR_SIZE + klen + h.hdr_len + vlen;
	if (sum != h.length)
		return -ERR_CORRUPT;
	if ((uint64_t)h.hdr_count * LOG_REC_HDR_ENTRY_SIZE > h.hdr_len)
		return -ERR_CORRUPT;
	if (crc32c(0, p + CRC_FROM, h.length - CRC_FROM) != h.crc)
		return -ERR_CORRUPT;
	if (h.flags != 0)
		return -ERR_FORMAT;

	rec->offset = h.offset;
	rec->timestamp = h.timestamp;
	rec->ts_type = h.ts_type;
	rec->type = h.type;
	rec->key = h.key_len == LOG_REC_NULL ? NULL : p + LOG_REC_HDR_SIZE;
	rec->key_len = klen;
	rec->hdrs = p + LOG_REC_HDR_SIZE + klen;
	rec->hdrs_len = h.hdr_len;
	rec->hdr_count = h.hdr_count;
	rec->value = h.value_len == LOG_REC_NULL
			     ? NULL
			     : p + LOG_REC_HDR_SIZE + klen + h.hdr_len;
	rec->value_len = vlen;
	return (int)h.length;
}

void log_rec_hdr_iter(const struct log_rec *rec, struct log_rec_hdr_it *it)
{
	it->p = rec->hdrs;
	it->end = it->p + rec->hdrs_len;
	it->left = rec->hdr_count;
}

int log_rec_hdr_next(struct log_rec_hdr_it *it, const char **name,
		     uint32_t *name_len, const void **value,
		     uint32_t *value_len)
{
	uint32_t nl, vl, vbytes;
	size_t room;

	if (it->left == 0)
		return it->p == it->end ? 0 : -ERR_CORRUPT;
	room = (size_t)(it->end - it->p);
	if (room < LOG_REC_HDR_ENTRY_SIZE)
		return -ERR_CORRUPT;
	memcpy(&nl, it->p, 4);
	memcpy(&vl, it->p + 4, 4);
	vbytes = vl == LOG_REC_NULL ? 0 : vl;
	if ((uint64_t)nl + vbytes > room - LOG_REC_HDR_ENTRY_SIZE)
		return -ERR_CORRUPT;
	*name = (const char *)it->p + LOG_REC_HDR_ENTRY_SIZE;
	*name_len = nl;
	*value =
		vl == LOG_REC_NULL ? NULL : it->p + LOG_REC_HDR_ENTRY_SIZE + nl;
	*value_len = vbytes;
	it->p += LOG_REC_HDR_ENTRY_SIZE + nl + vbytes;
	it->left--;
	return 1;
}

void *log_rec_hdr_put(void *dst, const char *name, uint32_t name_len,
		      const void *value, uint32_t value_len)
{
	unsigned char *p = dst;
	uint32_t vl = value ? value_len : LOG_REC_NULL;

	memcpy(p, &name_len, 4);
	memcpy(p + 4, &vl, 4);
	p += LOG_REC_HDR_ENTRY_SIZE;
	memcpy(p, name, name_len);
	p += name_len;
	if (value && value_len) {
		memcpy(p, value, value_len);
		p += value_len;
	}
	return p;
}

int log_rec_hdr_find(const struct log_rec *rec, const char *name,
		     uint32_t name_len, const void **value, uint32_t *value_len)
{
	struct log_rec_hdr_it it;
	const char *n;
	uint32_t nl;
	int ret;

	log_rec_hdr_iter(rec, &it);
	while ((ret = log_rec_hdr_next(&it, &n, &nl, value, value_len)) == 1)
		if (nl == name_len && memcmp(n, name, nl) == 0)
			return 1;
	return ret;
}

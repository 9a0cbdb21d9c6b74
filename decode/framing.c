/* decode/framing.c - the Confluent wire format and the schema-id header.
 *
 * Invariant: no byte outside raw->value[0, value_len) and the header block
 * is read; every varint is read with dec_wire_varint(), which is bounded by
 * the bytes left and by 10 bytes. Details quote record bytes only through
 * dec_text_quote(), which escapes anything but printable ASCII.
 */
#include "decode/framing.h"

#include "common/err.h"
#include "decode/text.h"
#include "decode/wire.h"

#include <inttypes.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * The schema-id header
 * ------------------------------------------------------------------------ */

/* Parse the header value: digits only, at most UINT32_MAX. */
static int header_value(const void *val, uint32_t len, uint32_t *id,
			char *detail, size_t size)
{
	char q[DEC_TEXT_QUOTE_SIZE];
	int ret;

	if (len == 0) {
		snprintf(detail, size, "schema-id header is empty");
		return -ERR_FORMAT;
	}
	ret = dec_text_u32(val, len, id);
	if (ret == -EINVAL) {
		dec_text_quote(q, sizeof(q), val, len);
		snprintf(detail, size, "schema-id header '%s' is not a number",
			 q);
		return -ERR_FORMAT;
	}
	if (ret == -ERANGE) {
		/* Digits only up to there: the rest may still be junk, but
		 * the value is already out of range. */
		dec_text_quote(q, sizeof(q), val, len);
		snprintf(detail, size, "schema-id header '%s' is over %" PRIu32,
			 q, UINT32_MAX);
		return -ERR_FORMAT;
	}
	return 0;
}

/* 1 with fr set when the record has a schema-id header, 0 when it has
 * none, -ERR_FORMAT with @detail set when it has a bad one. */
static int header_id(const struct log_rec *raw, struct dec_frame *fr,
		     char *detail, size_t size)
{
	const size_t nlen = sizeof(DEC_FRAME_HEADER) - 1;
	struct log_rec_hdr_it it;
	const char *name;
	const void *val;
	uint32_t nl, vl, id;
	int ret, found = 0;

	if (raw->hdr_count == 0)
		return 0;
	log_rec_hdr_iter(raw, &it);
	while ((ret = log_rec_hdr_next(&it, &name, &nl, &val, &vl)) == 1) {
		if (nl != nlen || memcmp(name, DEC_FRAME_HEADER, nlen) != 0)
			continue;
		if (!val) {
			snprintf(detail, size, "schema-id header is null");
			return -ERR_FORMAT;
		}
		ret = header_value(val, vl, &id, detail, size);
		if (ret < 0)
			return ret;
		if (found && id != fr->schema_id) {
			snprintf(detail, size,
				 "schema-id headers disagree: %" PRIu32
				 " and %" PRIu32,
				 fr->schema_id, id);
			return -ERR_FORMAT;
		}
		found = 1;
		fr->schema_id = id;
	}
	if (ret < 0) {
		snprintf(detail, size, "the Kafka header block is malformed");
		return -ERR_FORMAT;
	}
	if (found) {
		fr->has_schema_id = true;
		fr->from_header = true;
	}
	return found;
}

/* ------------------------------------------------------------------------
 * The wire format
 * ------------------------------------------------------------------------ */

static void path_str(char *dst, size_t size, const int64_t *idx, size_t n)
{
	size_t i, off = 0;
	int m;

	m = snprintf(dst, size, "[");
	off = m < 0 ? 0 : (size_t)m;
	for (i = 0; i < n && off < size; i++) {
		m = snprintf(dst + off, size - off, "%s%" PRId64, i ? ", " : "",
			     idx[i]);
		off += m < 0 ? 0 : (size_t)m;
	}
	if (off < size)
		snprintf(dst + off, size - off, "]");
}

static int framed(const struct log_rec *raw, struct dec_frame *fr, char *detail,
		  size_t size)
{
	const uint8_t *v = raw->value, *p, *end = v + raw->value_len;
	int64_t count, idx[DEC_FRAME_PATH_MAX];
	char ps[DEC_FRAME_PATH_MAX * 24 + 4];
	uint64_t u;
	size_t i;
	int n;

	if (v[0] != DEC_FRAME_MAGIC) {
		snprintf(detail, size, "magic byte 0x%02x is not 0x00", v[0]);
		return -ERR_FORMAT;
	}
	if (raw->value_len < 5) {
		snprintf(detail, size,
			 "value of %" PRIu32 " bytes ends inside the 4-byte "
			 "schema id",
			 raw->value_len);
		return -ERR_FORMAT;
	}
	fr->schema_id = (uint32_t)v[1] << 24 | (uint32_t)v[2] << 16 |
			(uint32_t)v[3] << 8 | v[4];
	fr->has_schema_id = true;

	p = v + 5;
	n = dec_wire_varint(p, (size_t)(end - p), &u);
	if (n == 0) {
		snprintf(detail, size,
			 p == end ? "no message-index path after "
				    "the schema id"
				  : "message-index count varint "
				    "is truncated");
		return -ERR_FORMAT;
	}
	if (n < 0) {
		snprintf(detail, size,
			 "message-index count varint is longer than 10 bytes");
		return -ERR_FORMAT;
	}
	p += n;
	count = dec_wire_unzigzag(u);
	if (count == 0) { /* the short form of [0] */
		fr->body = p;
		fr->body_len = (size_t)(end - p);
		return 0;
	}
	if (count < 0 || count > (int64_t)DEC_FRAME_PATH_MAX) {
		snprintf(detail, size,
			 "message-index count %" PRId64 " is not in 0..%u",
			 count, DEC_FRAME_PATH_MAX);
		return -ERR_FORMAT;
	}
	for (i = 0; i < (size_t)count; i++) {
		n = dec_wire_varint(p, (size_t)(end - p), &u);
		if (n == 0) {
			snprintf(detail, size,
				 "message-index path runs past the end of the "
				 "value after %zu of %" PRId64 " indexes",
				 i, count);
			return -ERR_FORMAT;
		}
		if (n < 0) {
			snprintf(detail, size,
				 "message-index varint %zu is longer than 10 "
				 "bytes",
				 i);
			return -ERR_FORMAT;
		}
		p += n;
		idx[i] = dec_wire_unzigzag(u);
	}
	if (count != 1 || idx[0] != 0) {
		path_str(ps, sizeof(ps), idx, (size_t)count);
		snprintf(detail, size,
			 "message-index path %s does not name the schema's "
			 "first message ([0])",
			 ps);
		return -ERR_FORMAT;
	}
	fr->body = p;
	fr->body_len = (size_t)(end - p);
	return 0;
}

int dec_frame_parse(const struct log_rec *raw, struct dec_frame *fr,
		    char *detail, size_t size)
{
	int ret;

	fr->schema_id = 0;
	fr->has_schema_id = false;
	fr->from_header = false;
	fr->body = NULL;
	fr->body_len = 0;
	if (size)
		detail[0] = '\0';

	ret = header_id(raw, fr, detail, size);
	if (ret < 0)
		return ret;
	if (!raw->value) {
		snprintf(detail, size, "value is null");
		return -ERR_FORMAT;
	}
	if (raw->value_len == 0) {
		snprintf(detail, size, "value is empty");
		return -ERR_FORMAT;
	}
	if (ret == 1) {
		fr->body = raw->value;
		fr->body_len = raw->value_len;
		return 0;
	}
	return framed(raw, fr, detail, size);
}

/* decode/framing.h - from a raw Kafka record's value to (schema id,
 * protobuf bytes), per DOMAIN.md "Wire".
 *
 * Two forms are accepted:
 *
 *   Confluent wire format: byte 0 = 0x00 (magic), bytes 1-4 the schema id
 *   (big-endian u32), then the message-index path as zigzag varints - the
 *   count, then each index - then the protobuf bytes. The path must be [0]
 *   (the first message of the schema, which every registered message is):
 *   written as the single byte 0x00 (count 0, Confluent's short form for
 *   [0]) or as count 1, index 0 (bytes 0x02 0x00). Counts above
 *   DEC_FRAME_PATH_MAX, truncated or overlong (> 10 bytes) varints, and any
 *   other path are bad framing.
 *
 *   A Kafka header "schema-id" holding the id in ASCII decimal (digits
 *   only, no sign or spaces, at most UINT32_MAX): the value is then the
 *   bare protobuf message, not framed.
 *
 * The header wins. A record with a schema-id header is taken as bare
 * protobuf even when its value starts with 0x00: the header is explicit
 * metadata a producer set on purpose, while a leading 0x00 could be either.
 * A protobuf message cannot start with 0x00 (field number 0 is invalid), so
 * a value that is framed AND has the header fails to unpack and is
 * quarantined as malformed under the header's id - never silently decoded
 * with a guess. If several schema-id headers are present they must agree.
 *
 * A null or empty value is bad framing in both forms.
 */
#ifndef RZ_DECODE_FRAMING_H
#define RZ_DECODE_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log/record.h"

#define DEC_FRAME_MAGIC 0x00
#define DEC_FRAME_HEADER "schema-id"
#define DEC_FRAME_PATH_MAX 16u /* message-index path entries */

struct dec_frame {
	uint32_t schema_id;
	bool has_schema_id;  /* set as soon as the id is read, even on error */
	bool from_header;    /* the id came from the schema-id header */
	const uint8_t *body; /* the protobuf bytes, inside @raw's value */
	size_t body_len;
};

/* dec_frame_parse - find the schema id and the protobuf bytes of @raw.
 * Returns 0 with @fr set, or -ERR_FORMAT when the record is not framed as
 * above (its reason is bad_framing) with a one-line reason in @detail (of
 * @size bytes, NUL-terminated, ASCII: bytes from the record are escaped)
 * and fr->schema_id/has_schema_id set if the id was read before the
 * problem. A malformed Kafka header block is bad framing too. Reads
 * nothing outside @raw's value and header block. */
int dec_frame_parse(const struct log_rec *raw, struct dec_frame *fr,
		    char *detail, size_t size);

#endif

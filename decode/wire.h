/* decode/wire.h - the protobuf wire format, read by hand: varints, and a
 * walk of a message's bytes against its descriptor that says what is wrong
 * with them.
 *
 * protobuf-c's unpack says only "failed"; the walk exists to turn that into
 * a quarantine detail a person can act on ("byte 17 (items): length 40 runs
 * past the end, 23 bytes left"), and to find what unpack accepts but decode
 * must not (a NUL byte inside a string, which protobuf-c's NUL-terminated
 * strings would silently cut). Nothing here allocates; every read is
 * bounds-checked against the bytes given.
 */
#ifndef RZ_DECODE_WIRE_H
#define RZ_DECODE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define DEC_WIRE_VARINT_MAX 10u /* bytes of the longest (64-bit) varint */

/* dec_wire_varint - read the base-128 varint at @p, of which @avail bytes
 * are at hand, into *@v. Returns its length in bytes (1..10), or:
 *   0  the bytes end before the varint does (truncated);
 *  -1  it is longer than 10 bytes, or its 10th byte carries bits beyond
 *      the 64th (overlong).
 * Overlong-but-short encodings (0x80 0x00 for 0) are valid varints. */
int dec_wire_varint(const uint8_t *p, size_t avail, uint64_t *v);

/* dec_wire_unzigzag - the signed value of a zigzag-encoded varint. */
static inline int64_t dec_wire_unzigzag(uint64_t v)
{
	return (int64_t)((v >> 1) ^ -(v & 1));
}

/* What dec_wire_check() reports. */
enum {
	/* structure: truncation, bad tags and lengths, wire types that do not
	 * fit the descriptor's field, nesting deeper than DEC_WIRE_DEPTH_MAX */
	DEC_WIRE_STRUCTURE = 1 << 0,
	/* a NUL byte inside a known string field */
	DEC_WIRE_NUL = 1 << 1,
};

#define DEC_WIRE_DEPTH_MAX 32u

/* dec_wire_check - walk the @len bytes at @data as a message of @desc,
 * descending into known message fields, and report the first problem of
 * the kinds @what selects. Returns 0 when none is found; 1 with a one-line
 * description in @detail (of @size bytes, always NUL-terminated, ASCII)
 * naming the byte offset in @data and the field path. A walk that meets a
 * structural problem it was not asked about stops there and returns 0. */
int dec_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
		   size_t len, unsigned what, char *detail, size_t size);

#endif

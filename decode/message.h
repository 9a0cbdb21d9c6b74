/* decode/message.h - a generic walk over an unpacked protobuf-c message,
 * driven by its descriptor, so it holds for every schema version.
 *
 * It descends into message fields, singular and repeated, at most
 * DEC_MSG_DEPTH_MAX levels, as dec_pack() does (the shipped schemas are 2
 * deep; protobuf-c itself has no depth limit, so a recursive schema must be
 * refused before it is registered - tests/decode/test_schemas checks the
 * table).
 */
#ifndef RZ_DECODE_MESSAGE_H
#define RZ_DECODE_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#define DEC_MSG_DEPTH_MAX 32u

/* dec_msg_check_strings - 0 when every string field of @msg is valid
 * UTF-8 (proto3 requires it, and the database columns they end in reject
 * anything else); 1 otherwise, with "FIELD.PATH: ..." in @detail (of @size
 * bytes, NUL-terminated, ASCII), or when messages nest deeper than
 * DEC_MSG_DEPTH_MAX. */
int dec_msg_check_strings(const ProtobufCMessage *msg, char *detail,
			  size_t size);

#endif

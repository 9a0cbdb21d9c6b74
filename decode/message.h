/* decode/message.h - generic walks over an unpacked protobuf-c message,
 * driven by its descriptor, so they hold for every schema version.
 *
 * Both walks descend into message fields, singular and repeated, at most
 * DEC_MSG_DEPTH_MAX levels (the shipped schemas are 2 deep; protobuf-c
 * itself has no depth limit, so a recursive schema must be refused before
 * it is registered - tests/decode/test_schemas checks the table).
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

/* dec_msg_canonicalize - make @msg ready to pack as canonical bytes, in
 * one pass: forget the unknown fields of @msg and of every message in it
 * (so the pack emits only fields its descriptor knows; their memory is not
 * freed - it belongs to the arena that unpacked them), check that every
 * string is valid UTF-8, and store in *@pack_max a bound of what
 * protobuf_c_message_pack() then writes (every field at its largest
 * encoding: a pack needs no protobuf_c_message_get_packed_size() pass,
 * which costs as much as the pack). Returns 0, or 1 at the first string
 * that is not valid (or when messages nest deeper than DEC_MSG_DEPTH_MAX):
 * describe it with dec_msg_check_strings(). The hot path of decode: no
 * detail is built. */
int dec_msg_canonicalize(ProtobufCMessage *msg, size_t *pack_max);

#endif

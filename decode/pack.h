/* decode/pack.h - the canonical bytes of an unpacked message, in the one
 * pass that also checks its strings.
 *
 * dec_pack() writes what protobuf-c 1.4's protobuf_c_message_pack() writes
 * for the message once its unknown fields are dropped: fields in the
 * descriptor's order (field number order), proto3 fields at their zero
 * value left out, shortest varints, packed repeated scalars where the
 * field says so (tests/decode/test_pack checks it byte for byte against
 * protobuf-c, for every field type and label). On the way it checks that
 * every string is valid UTF-8 - the checks decode needs before the bytes
 * can go out - so a decoded record costs one walk of its message, where
 * protobuf-c takes two (a size pass, then the pack) and decode's checks a
 * third. The bytes depend only on this code and the message, not on the
 * protobuf-c version installed.
 */
#ifndef RZ_DECODE_PACK_H
#define RZ_DECODE_PACK_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* What dec_pack() may return besides 0. */
#define DEC_PACK_ROOM 1 /* @room is too small: pack again into more */
#define DEC_PACK_BAD                                                           \
	2 /* a string is not valid UTF-8, or messages nest
			 * deeper than DEC_MSG_DEPTH_MAX */

/* A message type made ready for dec_pack(): per field, what the walk
 * needs (kind, presence, the tag encoded). Read-only once made. */
struct dec_pack_plan;

/* The plans made so far, each type's once: a decoding context keeps one
 * set for the few canonical types of its registry. */
struct dec_pack_plans;

/* dec_pack_plans_new - an empty set. 0 or -ENOMEM. */
int dec_pack_plans_new(struct dec_pack_plans **out);
void dec_pack_plans_free(struct dec_pack_plans *pp);

/* dec_pack_plan_of - the plan of @desc in @pp, made the first time it is
 * asked for (with the plans of the types its fields nest). NULL: out of
 * memory (nothing is kept of it: ask again later). */
const struct dec_pack_plan *dec_pack_plan_of(
	struct dec_pack_plans *pp, const ProtobufCMessageDescriptor *desc);

/* dec_pack - pack @msg, a message of @plan's type, into the @room bytes at
 * @dst and store their count in *@len. Returns 0, DEC_PACK_ROOM or
 * DEC_PACK_BAD (explain it with dec_msg_check_strings(); also for a @msg
 * of another type); @msg is not changed, so a pack that ran out of room
 * can be run again. */
int dec_pack(const struct dec_pack_plan *plan, const ProtobufCMessage *msg,
	     uint8_t *dst, size_t room, size_t *len);

#endif

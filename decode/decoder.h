/* decode/decoder.h - one raw-zone record in, one decode outcome out.
 *
 * dec_decode() turns a raw record into either the packed canonical message
 * (OK) or a quarantine reason with a detail, checking in this order - the
 * first that applies is the outcome:
 *
 *   bad_framing     the value is null, empty or not framed (framing.h);
 *   unknown_schema  the schema id is not in the registry;
 *   too_large       the protobuf bytes are over max_message_bytes;
 *   malformed       protobuf-c cannot unpack them as the registered message
 *                   (truncated, a wire type that does not fit the field,
 *                   a bad tag or length...), or their decoded form needs
 *                   more memory than the arena cap, or a string is not
 *                   valid UTF-8 or holds a NUL byte (proto3 requires UTF-8;
 *                   protobuf-c's C strings would cut at the NUL);
 *   invalid         the canonical form fails its validator (schemas.h).
 *
 * The canonical bytes are always a re-pack of the canonical message
 * (decode/pack.h), never the input passed through, with unknown fields
 * dropped: so they depend only on what the message means, and decoding a
 * record again gives the same bytes (tests/decode/test_versions checks it).
 * Passing v3 bytes through would save the pack but is right only for input
 * already in the canonical encoding - field order, shortest varints, no
 * defaults, duplicates or unknown fields - which nothing short of the
 * re-pack itself can tell.
 *
 * Memory: protobuf-c unpacks into a per-context arena reset per record and
 * capped at DEC_ARENA_FACTOR x the message's bytes + DEC_ARENA_SLACK, so no
 * length or count in the input can make it allocate more; the upcaster may
 * then use as much again as the unpack did (its output mirrors the unpacked
 * structure), so one record never takes more than twice the cap. The
 * decoded form of realistic messages is 3-10x their wire size; messages
 * dense in empty repeated elements or unknown fields (up to ~60x) go over
 * the cap and are malformed. The arena and the pack buffer are kept between
 * records: the steady state calls no malloc.
 */
#ifndef RZ_DECODE_DECODER_H
#define RZ_DECODE_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/registry.h"
#include "log/decoded.h"
#include "log/record.h"

#define DEC_MAX_MESSAGE_DEFAULT (4u << 20) /* [decode] max_message_bytes */
#define DEC_ARENA_FACTOR 16u
#define DEC_ARENA_SLACK (64u << 10)

struct dec_ctx;

/* One outcome. Pointers are owned by the context (or static) and valid
 * until the next dec_decode() on it or dec_ctx_free(). */
struct dec_out {
	unsigned reason; /* 0: decoded; else enum log_dec_reason */
	uint32_t schema_id;
	bool has_schema_id;		 /* false only for some bad_framing */
	const struct dec_schema *schema; /* the row, when the id is known */
	/* reason 0 */
	const char *message; /* canonical full name, NUL-terminated */
	uint16_t message_len;
	const void *body; /* packed canonical protobuf; NULL from
			   * dec_decode_unpacked() until dec_out_pack() */
	size_t body_len;  /* its size */
	const struct ProtobufCMessage *canon; /* the canonical message */
	/* reason != 0: NUL-terminated ASCII, detail_len <= LOG_DEC_DETAIL_MAX */
	const char *detail;
	uint16_t detail_len;
};

/* dec_ctx_new - a decoding context over @reg (borrowed: it must outlive
 * the context), quarantining protobuf messages over @max_message_bytes
 * (> 0) as too_large. Returns 0 or -ENOMEM, -EINVAL. One context, one
 * thread. */
int dec_ctx_new(const struct dec_registry *reg, size_t max_message_bytes,
		struct dec_ctx **out);

/* dec_ctx_free - release @ctx; NULL is accepted. */
void dec_ctx_free(struct dec_ctx *ctx);

/* dec_decode - decode @raw (a raw-zone record; only its value and Kafka
 * headers are read) into @out. Returns 0 when @out holds an outcome,
 * decoded or quarantined; -ENOMEM when memory ran out below the cap - an
 * outcome that would depend on the machine, so none is given: the caller
 * must stop (or retry), not quarantine. Deterministic: the same record and
 * registry give the same outcome and bytes. */
int dec_decode(struct dec_ctx *ctx, const struct log_rec *raw,
	       struct dec_out *out);

/* dec_decode_unpacked - the first half of dec_decode(): up to the
 * canonical message, unpacked. An outcome quarantined so far is final; one
 * with reason 0 still has its strings and validator to pass, in
 * dec_out_pack(), which packs it straight where the caller wants it
 * (decode's stage: into the frame, saving a copy). */
int dec_decode_unpacked(struct dec_ctx *ctx, const struct log_rec *raw,
			struct dec_out *out);

/* dec_out_pack - the second half: pack the canonical message of a reason-0
 * outcome of dec_decode_unpacked() on @ctx into the @room bytes at @dst -
 * setting body and body_len, the bytes dec_decode() gives - or quarantine
 * it as malformed (a string) or invalid (its validator). Returns 0,
 * -ENOSPC when @room is too small: call again with more (nothing changed),
 * or -ENOMEM (no memory for the pack plan of a canonical type met the
 * first time). */
int dec_out_pack(struct dec_ctx *ctx, struct dec_out *out, void *dst,
		 size_t room);

/* dec_ctx_arena_cap - the unpack's arena cap for a protobuf message of
 * @len bytes: DEC_ARENA_FACTOR x @len + DEC_ARENA_SLACK. */
size_t dec_ctx_arena_cap(size_t len);

/* dec_ctx_arena_peak - the most arena bytes any record decoded on @ctx
 * has used (its high-water mark): for a record of @len protobuf bytes, at
 * most dec_ctx_arena_cap(@len) when it was refused in unpack, at most twice
 * that otherwise. */
size_t dec_ctx_arena_peak(const struct dec_ctx *ctx);

#endif

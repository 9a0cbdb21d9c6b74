/* decode/decoder.c - framing, lookup, unpack, checks, upcast, validate,
 * pack: the per-record path.
 *
 * Hot-path cost is kept to what protobuf-c must do plus one pass over the
 * canonical message: the unpack goes to the arena (a bump, no malloc), the
 * pack (decode/pack.c, which checks the strings on its way) to a buffer
 * that is reused or straight into the caller's frame, and the walks that
 * explain a failure run only on failure. The NUL-in-string check walks the
 * wire only when the bytes hold a 0x00 at all, which a proto3 encoder
 * writes only for zero-length fields and zero values in repeated or
 * fixed-width fields - rare in practice.
 */
#include "decode/decoder.h"

#include "common/arena.h"
#include "decode/framing.h"
#include "decode/message.h"
#include "decode/pack.h"
#include "decode/wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACK_MIN 4096u

struct dec_ctx {
	const struct dec_registry *reg;
	size_t max_message_bytes;
	struct arena *arena;
	ProtobufCMessage *msg; /* the record's message, as unpacked */
	uint8_t *pack;	       /* the canonical bytes of the last OK outcome */
	size_t pack_size, pack_used;
	char detail[LOG_DEC_DETAIL_MAX + 1];
	/* a walk's finding, before it is prefixed into @detail */
	char why[LOG_DEC_DETAIL_MAX + 1];
	struct dec_pack_plans *plans; /* of the canonical types met */
};

int dec_ctx_new(const struct dec_registry *reg, size_t max_message_bytes,
		struct dec_ctx **out)
{
	struct dec_ctx *ctx;
	int ret;

	*out = NULL;
	if (!reg || max_message_bytes == 0)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->reg = reg;
	ctx->max_message_bytes = max_message_bytes;
	ret = arena_new(&ctx->arena, 0);
	if (ret < 0)
		goto out_free_ctx;
	ctx->pack = malloc(PACK_MIN);
	if (!ctx->pack) {
		ret = -ENOMEM;
		goto out_free_arena;
	}
	ctx->pack_size = PACK_MIN;
	ret = dec_pack_plans_new(&ctx->plans);
	if (ret < 0)
		goto out_free_pack;
	*out = ctx;
	return 0;

out_free_pack:
	free(ctx->pack);
out_free_arena:
	arena_free(ctx->arena);
out_free_ctx:
	free(ctx);
	return ret;
}

void dec_ctx_free(struct dec_ctx *ctx)
{
	if (!ctx)
		return;
	arena_free(ctx->arena);
	free(ctx->pack);
	dec_pack_plans_free(ctx->plans);
	free(ctx);
}

size_t dec_ctx_arena_cap(size_t len)
{
	return DEC_ARENA_FACTOR * len + DEC_ARENA_SLACK;
}

size_t dec_ctx_arena_peak(const struct dec_ctx *ctx)
{
	return arena_peak(ctx->arena);
}

/* ------------------------------------------------------------------------
 * Outcomes
 * ------------------------------------------------------------------------ */

static int quarantine(struct dec_ctx *ctx, struct dec_out *out, unsigned reason,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int quarantine(struct dec_ctx *ctx, struct dec_out *out, unsigned reason,
		      const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ctx->detail, sizeof(ctx->detail), fmt, ap);
	va_end(ap);
	if (n < 0) {
		ctx->detail[0] = '\0';
		n = 0;
	}
	if ((size_t)n >= sizeof(ctx->detail))
		n = (int)sizeof(ctx->detail) - 1;
	out->reason = reason;
	out->detail = ctx->detail;
	out->detail_len = (uint16_t)n;
	return 0;
}

/* The arena refused a request: for lack of memory (no outcome: it would
 * depend on the machine) or for the cap (malformed: its decoded form is
 * out of proportion with its size - see decoder.h). The number is the cap
 * in force: dec_ctx_arena_cap() in unpack, raised in the upcast. */
static int arena_refused(struct dec_ctx *ctx, struct dec_out *out,
			 const struct dec_schema *s, size_t len)
{
	if (arena_oom(ctx->arena))
		return -ENOMEM;
	return quarantine(ctx, out, LOG_DEC_MALFORMED,
			  "%s: decoding needs more than %zu bytes of memory, "
			  "the cap for a %zu-byte message (%u x size + %u)",
			  s->name, arena_cap(ctx->arena), len, DEC_ARENA_FACTOR,
			  DEC_ARENA_SLACK);
}

static int unpack_failed(struct dec_ctx *ctx, struct dec_out *out,
			 const struct dec_schema *s, const struct dec_frame *fr)
{
	if (arena_oom(ctx->arena) || arena_over_cap(ctx->arena))
		return arena_refused(ctx, out, s, fr->body_len);
	if (dec_wire_check(s->desc, fr->body, fr->body_len, DEC_WIRE_STRUCTURE,
			   ctx->why, sizeof(ctx->why)))
		return quarantine(ctx, out, LOG_DEC_MALFORMED, "%s: %s",
				  s->name, ctx->why);
	return quarantine(ctx, out, LOG_DEC_MALFORMED,
			  "%s: protobuf-c cannot unpack it", s->name);
}

/* A string is not UTF-8: name it by the version's field path (the
 * upcasters share strings), else by the canonical one. */
static int bad_string(struct dec_ctx *ctx, struct dec_out *out,
		      const struct dec_schema *s, const ProtobufCMessage *msg,
		      const ProtobufCMessage *canon)
{
	if (dec_msg_check_strings(msg, ctx->why, sizeof(ctx->why)))
		return quarantine(ctx, out, LOG_DEC_MALFORMED, "%s: %s",
				  s->name, ctx->why);
	if (dec_msg_check_strings(canon, ctx->why, sizeof(ctx->why)))
		return quarantine(ctx, out, LOG_DEC_MALFORMED, "%s: %s: %s",
				  s->name, s->canon_name, ctx->why);
	return quarantine(ctx, out, LOG_DEC_MALFORMED,
			  "%s: a string is not valid UTF-8", s->name);
}

/* Twice the room for the canonical bytes, after a pack ran out of it. */
static int pack_grow(struct dec_ctx *ctx)
{
	uint8_t *p = realloc(ctx->pack, ctx->pack_size * 2);

	if (!p)
		return -ENOMEM;
	ctx->pack = p;
	ctx->pack_size *= 2;
	return 0;
}

/* A buffer grown past ARENA_KEEP by a large record is given back after a
 * small one (before the next pack: the last outcome's body is in it). */
static void pack_shrink(struct dec_ctx *ctx)
{
	uint8_t *p;

	if (ctx->pack_size <= ARENA_KEEP || ctx->pack_used > ARENA_KEEP / 2)
		return;
	p = realloc(ctx->pack, ARENA_KEEP);
	if (p) {
		ctx->pack = p;
		ctx->pack_size = ARENA_KEEP;
	}
}

/* ------------------------------------------------------------------------
 * The path
 * ------------------------------------------------------------------------ */

int dec_decode_unpacked(struct dec_ctx *ctx, const struct log_rec *raw,
			struct dec_out *out)
{
	const struct dec_schema *s;
	ProtobufCMessage *msg, *canon;
	struct dec_frame fr;

	memset(out, 0, sizeof(*out));
	if (dec_frame_parse(raw, &fr, ctx->why, sizeof(ctx->why)) < 0) {
		out->schema_id = fr.schema_id;
		out->has_schema_id = fr.has_schema_id;
		return quarantine(ctx, out, LOG_DEC_BAD_FRAMING, "%s",
				  ctx->why);
	}
	out->schema_id = fr.schema_id;
	out->has_schema_id = true;

	s = dec_registry_find(ctx->reg, fr.schema_id);
	if (!s)
		return quarantine(ctx, out, LOG_DEC_UNKNOWN_SCHEMA,
				  "schema id %" PRIu32
				  " is not in the registry",
				  fr.schema_id);
	out->schema = s;

	if (fr.body_len > ctx->max_message_bytes)
		return quarantine(ctx, out, LOG_DEC_TOO_LARGE,
				  "%s of %zu bytes is over max_message_bytes "
				  "(%zu)",
				  s->name, fr.body_len, ctx->max_message_bytes);

	arena_reset(ctx->arena, dec_ctx_arena_cap(fr.body_len));
	msg = protobuf_c_message_unpack(s->desc, arena_allocator(ctx->arena),
					fr.body_len, fr.body);
	if (!msg)
		return unpack_failed(ctx, out, s, &fr);
	/* What the upcaster allocates mirrors the unpacked structure (one
	 * canonical element per unpacked one, each no larger): allow as much
	 * again as unpack used, so a record never takes over 2 x the cap. */
	arena_raise(ctx->arena, arena_used(ctx->arena));

	if (memchr(fr.body, 0, fr.body_len) &&
	    dec_wire_check(s->desc, fr.body, fr.body_len, DEC_WIRE_NUL,
			   ctx->why, sizeof(ctx->why)))
		return quarantine(ctx, out, LOG_DEC_MALFORMED, "%s: %s",
				  s->name, ctx->why);

	if (s->upcast) {
		canon = arena_alloc(ctx->arena, s->canon_desc->sizeof_message);
		if (!canon)
			return arena_refused(ctx, out, s, fr.body_len);
		protobuf_c_message_init(s->canon_desc, canon);
		if (s->upcast(msg, canon, ctx->arena) < 0)
			return arena_refused(ctx, out, s, fr.body_len);
	} else {
		canon = msg;
	}
	ctx->msg = msg;
	out->canon = canon;
	out->message = s->canon_name;
	out->message_len = (uint16_t)strlen(s->canon_name);
	return 0;
}

int dec_out_pack(struct dec_ctx *ctx, struct dec_out *out, void *dst,
		 size_t room)
{
	const struct dec_schema *s = out->schema;
	const struct dec_pack_plan *plan =
		dec_pack_plan_of(ctx->plans, out->canon->descriptor);
	size_t len;

	if (!plan)
		return -ENOMEM;
	/* Strings are checked where they go out, in the canonical message;
	 * unknown fields are left out: the canonical bytes must not depend
	 * on what this version does not define. */
	switch (dec_pack(plan, out->canon, dst, room, &len)) {
	case DEC_PACK_ROOM:
		return -ENOSPC;
	case DEC_PACK_BAD:
		return bad_string(ctx, out, s, ctx->msg, out->canon);
	default:
		break;
	}
	if (s->validate(out->canon, ctx->why, sizeof(ctx->why)) < 0)
		return quarantine(ctx, out, LOG_DEC_INVALID, "%s", ctx->why);
	out->body = dst;
	out->body_len = len;
	return 0;
}

int dec_decode(struct dec_ctx *ctx, const struct log_rec *raw,
	       struct dec_out *out)
{
	int ret;

	pack_shrink(ctx);
	ret = dec_decode_unpacked(ctx, raw, out);
	while (ret == 0 && !out->reason && !out->body) {
		ret = dec_out_pack(ctx, out, ctx->pack, ctx->pack_size);
		if (ret == -ENOSPC)
			ret = pack_grow(ctx);
	}
	if (ret == 0 && !out->reason)
		ctx->pack_used = out->body_len;
	return ret;
}

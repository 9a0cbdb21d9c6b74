/* decode/pack.c - see pack.h.
 *
 * Field access follows protobuf-c's layout rules (decode/message.c says
 * them). A plan holds, per field, what the descriptor says in the form the
 * walk uses: its kind, how its presence is told, its tag already encoded.
 * A length-prefixed message or packed field is written with one byte kept
 * for its length; when the length needs more, the bytes move up, as
 * protobuf-c does: small messages, the common case, never move.
 */
#include "decode/pack.h"

#include "common/array.h"
#include "common/utf8.h"
#include "decode/message.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct out {
	uint8_t *p, *end;
};

/* The largest scalar field: a 5-byte tag and a 10-byte varint. */
#define SCALAR_MAX 15u
#define VARINT_MAX 10u

#define WIRE_VARINT 0u
#define WIRE_64BIT 1u
#define WIRE_LEN 2u
#define WIRE_32BIT 5u

static inline size_t left(const struct out *o)
{
	return (size_t)(o->end - o->p);
}

static inline void varint(struct out *o, uint64_t v)
{
	while (v >= 0x80) {
		*o->p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*o->p++ = (uint8_t)v;
}

static inline size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline uint32_t zigzag32(int32_t v)
{
	return v < 0 ? ~((uint32_t)v << 1) : (uint32_t)v << 1;
}

static inline uint64_t zigzag64(int64_t v)
{
	return v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
}

static inline void fixed(struct out *o, const void *v, size_t n)
{
	memcpy(o->p, v, n); /* little-endian, as x86 and protobuf */
	o->p += n;
}

/* What a field type is written as: one switch per field. */
enum kind {
	K_INT32, /* and enum: a negative one is 10 bytes, as an int64 */
	K_SINT32,
	K_UINT32,
	K_UINT64, /* and int64 */
	K_SINT64,
	K_FIXED32, /* and sfixed32, float */
	K_FIXED64, /* and sfixed64, double */
	K_FLOAT,   /* as fixed32, but zero is a float compare (-0.0) */
	K_DOUBLE,
	K_BOOL,
	K_STRING,
	K_BYTES,
	K_MESSAGE,
};

static const uint8_t kind_of[] = {
	[PROTOBUF_C_TYPE_INT32] = K_INT32,
	[PROTOBUF_C_TYPE_SINT32] = K_SINT32,
	[PROTOBUF_C_TYPE_SFIXED32] = K_FIXED32,
	[PROTOBUF_C_TYPE_INT64] = K_UINT64,
	[PROTOBUF_C_TYPE_SINT64] = K_SINT64,
	[PROTOBUF_C_TYPE_SFIXED64] = K_FIXED64,
	[PROTOBUF_C_TYPE_UINT32] = K_UINT32,
	[PROTOBUF_C_TYPE_FIXED32] = K_FIXED32,
	[PROTOBUF_C_TYPE_UINT64] = K_UINT64,
	[PROTOBUF_C_TYPE_FIXED64] = K_FIXED64,
	[PROTOBUF_C_TYPE_FLOAT] = K_FLOAT,
	[PROTOBUF_C_TYPE_DOUBLE] = K_DOUBLE,
	[PROTOBUF_C_TYPE_BOOL] = K_BOOL,
	[PROTOBUF_C_TYPE_ENUM] = K_INT32,
	[PROTOBUF_C_TYPE_STRING] = K_STRING,
	[PROTOBUF_C_TYPE_BYTES] = K_BYTES,
	[PROTOBUF_C_TYPE_MESSAGE] = K_MESSAGE,
};

/* The size of one element of a repeated field's array. */
static const uint8_t elem_size[] = {
	[K_INT32] = 4,
	[K_SINT32] = 4,
	[K_UINT32] = 4,
	[K_UINT64] = 8,
	[K_SINT64] = 8,
	[K_FIXED32] = 4,
	[K_FIXED64] = 8,
	[K_FLOAT] = 4,
	[K_DOUBLE] = 8,
	[K_BOOL] = sizeof(protobuf_c_boolean),
	[K_STRING] = sizeof(void *),
	[K_BYTES] = sizeof(ProtobufCBinaryData),
	[K_MESSAGE] = sizeof(void *),
};

static inline unsigned kind(const ProtobufCFieldDescriptor *f)
{
	return (unsigned)f->type < sizeof(kind_of) ? kind_of[f->type]
						   : K_UINT64;
}

/* How a field's presence is told. */
enum mode {
	M_REPEATED, /* a count at the quantifier offset */
	M_REQUIRED, /* always there */
	M_ONEOF,    /* the case at the quantifier offset is its id */
	M_OPTIONAL, /* proto2: a has_ flag, or a pointer other than NULL and
		       the default */
	M_PROTO3,   /* no label: left out at zero or empty */
};

struct dec_pack_plan;

struct plan_field {
	uint32_t off, qoff; /* member, quantifier */
	uint32_t id;
	uint8_t kind, mode;
	bool packed;	/* repeated scalar, written as one LEN field */
	uint8_t taglen; /* bytes of tag[]: the tag of one value, with its
			    wire type (LEN for strings, bytes, messages) */
	uint8_t tag[5];
	uint8_t ltaglen; /* packed: the tag of the LEN field */
	uint8_t ltag[5];
	const void *default_value;	 /* strings and messages */
	const struct dec_pack_plan *sub; /* messages */
};

struct dec_pack_plan {
	const ProtobufCMessageDescriptor *desc;
	size_t n;
	struct plan_field *f;
};

/* The message types planned so far, each once: those asked for and
 * every type their fields nest. */
struct dec_pack_plans {
	struct dec_pack_plan **p;
	size_t n, cap;
};

static inline bool scalar_zero(unsigned k, const void *v)
{
	switch (k) {
	case K_INT32:
	case K_SINT32:
	case K_UINT32:
	case K_FIXED32:
		return !*(const uint32_t *)v;
	case K_UINT64:
	case K_SINT64:
	case K_FIXED64:
		return !*(const uint64_t *)v;
	case K_FLOAT:
		return *(const float *)v == 0;
	case K_DOUBLE:
		return *(const double *)v == 0;
	default: /* K_BOOL */
		return !*(const protobuf_c_boolean *)v;
	}
}

/* A scalar's value (no tag). Room for VARINT_MAX is there. */
static inline void scalar(struct out *o, unsigned k, const void *v)
{
	switch (k) {
	case K_INT32:
		varint(o, (uint64_t)(int64_t) * (const int32_t *)v);
		break;
	case K_SINT32:
		varint(o, zigzag32(*(const int32_t *)v));
		break;
	case K_UINT32:
		varint(o, *(const uint32_t *)v);
		break;
	case K_UINT64:
		varint(o, *(const uint64_t *)v);
		break;
	case K_SINT64:
		varint(o, zigzag64(*(const int64_t *)v));
		break;
	case K_FIXED32:
	case K_FLOAT:
		fixed(o, v, 4);
		break;
	case K_FIXED64:
	case K_DOUBLE:
		fixed(o, v, 8);
		break;
	default: /* K_BOOL */
		*o->p++ = *(const protobuf_c_boolean *)v ? 1 : 0;
		break;
	}
}

static inline void put_tag(struct out *o, const uint8_t *tag, unsigned n)
{
	if (n == 1) { /* field numbers 1-15 */
		*o->p++ = tag[0];
		return;
	}
	memcpy(o->p, tag, n);
	o->p += n;
}

/* A scalar field: its tag and value. */
static inline int scalar_field(struct out *o, const struct plan_field *pf,
			       const void *v)
{
	if (left(o) < SCALAR_MAX)
		return DEC_PACK_ROOM;
	put_tag(o, pf->tag, pf->taglen);
	scalar(o, pf->kind, v);
	return 0;
}

/* Put the length of the @n bytes written from @start + 1 on, at @start,
 * where one byte was kept for it. */
static int close_len(struct out *o, uint8_t *start)
{
	size_t n = (size_t)(o->p - start - 1), k;
	struct out at;

	if (n < 0x80) {
		*start = (uint8_t)n;
		return 0;
	}
	k = varint_size(n);
	if (left(o) < k - 1)
		return DEC_PACK_ROOM;
	memmove(start + k, start + 1, n);
	o->p += k - 1;
	at = (struct out){start, start + k};
	varint(&at, n);
	return 0;
}

static int pack_msg(struct out *o, const struct dec_pack_plan *pl,
		    const ProtobufCMessage *m, unsigned depth);

/* A string, bytes or message value with its tag: a singular field's, or
 * one element of a repeated field. @v points at it (the member, or the
 * element). */
static int len_field(struct out *o, const struct plan_field *pf, const void *v,
		     unsigned depth)
{
	const uint8_t *src;
	uint8_t *start;
	size_t len = 0;
	int ret;

	if (pf->kind == K_MESSAGE) {
		const ProtobufCMessage *sub =
			*(const ProtobufCMessage *const *)v;

		if (left(o) < 5 + 1)
			return DEC_PACK_ROOM;
		put_tag(o, pf->tag, pf->taglen);
		start = o->p++;
		if (sub) { /* NULL: an empty message, as protobuf-c */
			ret = pack_msg(o, pf->sub, sub, depth + 1);
			if (ret)
				return ret;
		}
		return close_len(o, start);
	}
	if (pf->kind == K_STRING) {
		const char *str = *(const char *const *)v;

		/* NULL: an empty string, as protobuf-c */
		if (str && !utf8_valid_cstr(str, &len))
			return DEC_PACK_BAD;
		src = (const uint8_t *)str;
	} else {
		len = ((const ProtobufCBinaryData *)v)->len;
		src = ((const ProtobufCBinaryData *)v)->data;
	}
	if (left(o) < 2 * 5 + len)
		return DEC_PACK_ROOM;
	put_tag(o, pf->tag, pf->taglen);
	if (len < 0x80)
		*o->p++ = (uint8_t)len;
	else
		varint(o, len);
	if (len)
		memcpy(o->p, src, len);
	o->p += len;
	return 0;
}

static int pack_repeated(struct out *o, const struct plan_field *pf, size_t n,
			 const char *arr, unsigned depth)
{
	size_t size = elem_size[pf->kind], i;
	uint8_t *start;
	int ret;

	if (n == 0)
		return 0;
	if (!pf->packed) {
		for (i = 0; i < n; i++) {
			ret = pf->kind >= K_STRING
				      ? len_field(o, pf, arr + i * size, depth)
				      : scalar_field(o, pf, arr + i * size);
			if (ret)
				return ret;
		}
		return 0;
	}
	if (left(o) < 5 + 1)
		return DEC_PACK_ROOM;
	put_tag(o, pf->ltag, pf->ltaglen);
	start = o->p++;
	for (i = 0; i < n; i++) {
		if (left(o) < VARINT_MAX)
			return DEC_PACK_ROOM;
		scalar(o, pf->kind, arr + i * size);
	}
	return close_len(o, start);
}

/* A string or message member that is unset: NULL, or the default. */
static inline bool unset_ptr(const struct plan_field *pf, const void *v)
{
	const void *ptr = *(const void *const *)v;

	return !ptr || ptr == pf->default_value;
}

static int pack_msg(struct out *o, const struct dec_pack_plan *pl,
		    const ProtobufCMessage *m, unsigned depth)
{
	const struct plan_field *pf = pl->f, *end = pf + pl->n;
	const char *base = (const char *)m;
	int ret;

	if (depth == DEC_MSG_DEPTH_MAX)
		return DEC_PACK_BAD;
	for (; pf < end; pf++) {
		const void *v = base + pf->off;
		unsigned k = pf->kind;

		switch (pf->mode) {
		case M_REPEATED:
			ret = pack_repeated(o, pf,
					    *(const size_t *)(base + pf->qoff),
					    *(const char *const *)v, depth);
			if (ret)
				return ret;
			continue;
		case M_REQUIRED:
			break;
		case M_ONEOF:
			if (*(const uint32_t *)(base + pf->qoff) != pf->id ||
			    ((k == K_STRING || k == K_MESSAGE) &&
			     unset_ptr(pf, v)))
				continue;
			break;
		case M_OPTIONAL:
			if (k == K_STRING || k == K_MESSAGE
				    ? unset_ptr(pf, v)
				    : !*(const protobuf_c_boolean *)(base +
								     pf->qoff))
				continue;
			break;
		default: /* M_PROTO3: zero and empty are left out */
			if (k < K_STRING) {
				if (scalar_zero(k, v))
					continue;
			} else if (k == K_STRING) {
				const char *str = *(const char *const *)v;

				if (!str || !*str)
					continue;
			} else if (k == K_BYTES
					   ? !((const ProtobufCBinaryData *)v)
						      ->len
					   : !*(const void *const *)v) {
				continue;
			}
			break;
		}
		ret = k < K_STRING ? scalar_field(o, pf, v)
				   : len_field(o, pf, v, depth);
		if (ret)
			return ret;
	}
	return 0;
}

/* --- plans ---------------------------------------------------------------- */

static unsigned wire_of(unsigned k)
{
	switch (k) {
	case K_FIXED32:
	case K_FLOAT:
		return WIRE_32BIT;
	case K_FIXED64:
	case K_DOUBLE:
		return WIRE_64BIT;
	case K_STRING:
	case K_BYTES:
	case K_MESSAGE:
		return WIRE_LEN;
	default:
		return WIRE_VARINT;
	}
}

static uint8_t encode_tag(uint8_t tag[5], uint32_t id, unsigned wire)
{
	struct out o = {tag, tag + 5};

	varint(&o, (uint64_t)id << 3 | wire);
	return (uint8_t)(o.p - tag);
}

static inline const struct dec_pack_plan *find(
	const struct dec_pack_plans *pp, const ProtobufCMessageDescriptor *desc)
{
	size_t i;

	for (i = 0; i < pp->n; i++)
		if (pp->p[i]->desc == desc)
			return pp->p[i];
	return NULL;
}

/* The plan of @desc in @pp: found, or added (and the plans of its message
 * fields after it). NULL: out of memory, with a partial plan left listed:
 * dec_pack_plan_of() takes it out again. */
static const struct dec_pack_plan *plan_of(
	struct dec_pack_plans *pp, const ProtobufCMessageDescriptor *desc)
{
	const struct dec_pack_plan *found = find(pp, desc);
	struct dec_pack_plan *pl;
	size_t i;

	if (found)
		return found;
	if (array_grow((void **)&pp->p, &pp->cap, pp->n + 1, sizeof(*pp->p)))
		return NULL;
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return NULL;
	pp->p[pp->n++] = pl; /* listed first: a type may nest itself */
	pl->desc = desc;
	pl->f = calloc(desc->n_fields ? desc->n_fields : 1, sizeof(*pl->f));
	if (!pl->f)
		return NULL;
	pl->n = desc->n_fields;
	for (i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &desc->fields[i];
		struct plan_field *pf = &pl->f[i];

		pf->off = fd->offset;
		pf->qoff = fd->quantifier_offset;
		pf->kind = (uint8_t)kind(fd);
		pf->default_value = fd->default_value;
		if (fd->label == PROTOBUF_C_LABEL_REPEATED)
			pf->mode = M_REPEATED;
		else if (fd->label == PROTOBUF_C_LABEL_REQUIRED)
			pf->mode = M_REQUIRED;
		else if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
			pf->mode = M_ONEOF;
		else if (fd->label == PROTOBUF_C_LABEL_OPTIONAL)
			pf->mode = M_OPTIONAL;
		else
			pf->mode = M_PROTO3;
		pf->packed = pf->mode == M_REPEATED && pf->kind < K_STRING &&
			     (fd->flags & PROTOBUF_C_FIELD_FLAG_PACKED);
		pf->id = fd->id;
		pf->taglen = encode_tag(pf->tag, fd->id, wire_of(pf->kind));
		pf->ltaglen = encode_tag(pf->ltag, fd->id, WIRE_LEN);
		if (pf->kind == K_MESSAGE &&
		    !(pf->sub = plan_of(pp, fd->descriptor)))
			return NULL;
	}
	return pl;
}

static void plan_free(struct dec_pack_plan *pl)
{
	free(pl->f);
	free(pl);
}

int dec_pack_plans_new(struct dec_pack_plans **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void dec_pack_plans_free(struct dec_pack_plans *pp)
{
	if (!pp)
		return;
	while (pp->n)
		plan_free(pp->p[--pp->n]);
	free(pp->p);
	free(pp);
}

const struct dec_pack_plan *dec_pack_plan_of(
	struct dec_pack_plans *pp, const ProtobufCMessageDescriptor *desc)
{
	const struct dec_pack_plan *pl = find(pp, desc);
	size_t n = pp->n;

	if (pl) /* every record but a type's first */
		return pl;
	pl = plan_of(pp, desc);
	/* A plan left half made would pack its type wrong for good. */
	if (!pl)
		while (pp->n > n)
			plan_free(pp->p[--pp->n]);
	return pl;
}

int dec_pack(const struct dec_pack_plan *pl, const ProtobufCMessage *msg,
	     uint8_t *dst, size_t room, size_t *len)
{
	struct out o = {dst, dst + room};
	int ret = msg->descriptor == pl->desc ? pack_msg(&o, pl, msg, 0)
					      : DEC_PACK_BAD;

	*len = ret ? 0 : (size_t)(o.p - dst);
	return ret;
}

/* decode/pack.c - see pack.h.
 *
 * Field access follows protobuf-c's layout rules (decode/message.c says
 * them). A length-prefixed message or packed field is written with one
 * byte kept for its length; when the length needs more, the bytes move up,
 * as protobuf-c does: small messages, the common case, never move.
 */
#include "decode/pack.h"

#include "common/utf8.h"
#include "decode/message.h"

#include <stdbool.h>
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

static inline void tag(struct out *o, uint32_t id, unsigned wire)
{
	varint(o, (uint64_t)id << 3 | wire);
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

/* A scalar's value (no tag), unless @skip_zero and it is zero (a proto3
 * field: left out). Room for VARINT_MAX is there. Returns the wire type
 * written, or -1 when left out. */
static inline int scalar(struct out *o, unsigned k, const void *v,
			 bool skip_zero)
{
	switch (k) {
	case K_INT32: {
		int32_t x = *(const int32_t *)v;

		if (skip_zero && !x)
			return -1;
		varint(o, (uint64_t)(int64_t)x);
		return WIRE_VARINT;
	}
	case K_SINT32: {
		int32_t x = *(const int32_t *)v;

		if (skip_zero && !x)
			return -1;
		varint(o, zigzag32(x));
		return WIRE_VARINT;
	}
	case K_UINT32: {
		uint32_t x = *(const uint32_t *)v;

		if (skip_zero && !x)
			return -1;
		varint(o, x);
		return WIRE_VARINT;
	}
	case K_UINT64: {
		uint64_t x = *(const uint64_t *)v;

		if (skip_zero && !x)
			return -1;
		varint(o, x);
		return WIRE_VARINT;
	}
	case K_SINT64: {
		int64_t x = *(const int64_t *)v;

		if (skip_zero && !x)
			return -1;
		varint(o, zigzag64(x));
		return WIRE_VARINT;
	}
	case K_FIXED32:
		if (skip_zero && !*(const uint32_t *)v)
			return -1;
		fixed(o, v, 4);
		return WIRE_32BIT;
	case K_FLOAT:
		if (skip_zero && *(const float *)v == 0)
			return -1;
		fixed(o, v, 4);
		return WIRE_32BIT;
	case K_FIXED64:
		if (skip_zero && !*(const uint64_t *)v)
			return -1;
		fixed(o, v, 8);
		return WIRE_64BIT;
	case K_DOUBLE:
		if (skip_zero && *(const double *)v == 0)
			return -1;
		fixed(o, v, 8);
		return WIRE_64BIT;
	default: /* K_BOOL */
		if (skip_zero && !*(const protobuf_c_boolean *)v)
			return -1;
		*o->p++ = *(const protobuf_c_boolean *)v ? 1 : 0;
		return WIRE_VARINT;
	}
}

/* A scalar field with its tag, unless left out (see scalar()). The tag is
 * written first and taken back when the value is left out. */
static inline int scalar_field(struct out *o, const ProtobufCFieldDescriptor *f,
			       unsigned k, const void *v, bool skip_zero)
{
	uint8_t *start = o->p;
	int wire;

	if (left(o) < SCALAR_MAX)
		return DEC_PACK_ROOM;
	tag(o, f->id, 0);
	wire = scalar(o, k, v, skip_zero);
	if (wire < 0)
		o->p = start;
	else
		*start |= (uint8_t)
			wire; /* the low bits of the tag's first byte */
	return 0;
}

/* Put the length of the @n bytes written from @start + 1 on, at @start,
 * where one byte was kept for it. */
static int close_len(struct out *o, uint8_t *start)
{
	size_t n = (size_t)(o->p - start - 1), k = varint_size(n);
	struct out at = {start, start + k};

	if (k > 1) {
		if (left(o) < k - 1)
			return DEC_PACK_ROOM;
		memmove(start + k, start + 1, n);
		o->p += k - 1;
	}
	varint(&at, n);
	return 0;
}

static int pack_msg(struct out *o, const ProtobufCMessage *m, unsigned depth);

/* A string, bytes or message value with its tag: a singular field's, or
 * one element of a repeated field. @v points at it (the member, or the
 * element). */
static int len_field(struct out *o, const ProtobufCFieldDescriptor *f,
		     unsigned k, const void *v, unsigned depth)
{
	const uint8_t *src;
	uint8_t *start;
	size_t len = 0;
	int ret;

	if (k == K_MESSAGE) {
		const ProtobufCMessage *sub =
			*(const ProtobufCMessage *const *)v;

		if (left(o) < 5 + 1)
			return DEC_PACK_ROOM;
		tag(o, f->id, WIRE_LEN);
		start = o->p++;
		if (sub) { /* NULL: an empty message, as protobuf-c */
			ret = pack_msg(o, sub, depth + 1);
			if (ret)
				return ret;
		}
		return close_len(o, start);
	}
	if (k == K_STRING) {
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
	tag(o, f->id, WIRE_LEN);
	varint(o, len);
	if (len)
		memcpy(o->p, src, len);
	o->p += len;
	return 0;
}

static int pack_repeated(struct out *o, const ProtobufCFieldDescriptor *f,
			 unsigned k, size_t n, const char *arr, unsigned depth)
{
	size_t size = elem_size[k], i;
	uint8_t *start;
	int ret;

	if (n == 0)
		return 0;
	if (k >= K_STRING || !(f->flags & PROTOBUF_C_FIELD_FLAG_PACKED)) {
		for (i = 0; i < n; i++) {
			ret = k >= K_STRING
				      ? len_field(o, f, k, arr + i * size,
						  depth)
				      : scalar_field(o, f, k, arr + i * size,
						     false);
			if (ret)
				return ret;
		}
		return 0;
	}
	if (left(o) < 5 + 1)
		return DEC_PACK_ROOM;
	tag(o, f->id, WIRE_LEN);
	start = o->p++;
	for (i = 0; i < n; i++) {
		if (left(o) < VARINT_MAX)
			return DEC_PACK_ROOM;
		scalar(o, k, arr + i * size, false);
	}
	return close_len(o, start);
}

/* A string or message member that is unset: NULL, or the default. */
static inline bool unset_ptr(const ProtobufCFieldDescriptor *f, const void *v)
{
	const void *ptr = *(const void *const *)v;

	return !ptr || ptr == f->default_value;
}

static int pack_msg(struct out *o, const ProtobufCMessage *m, unsigned depth)
{
	const ProtobufCMessageDescriptor *desc = m->descriptor;
	const ProtobufCFieldDescriptor *f = desc->fields,
				       *end = f + desc->n_fields;
	const char *base = (const char *)m;
	int ret;

	if (depth == DEC_MSG_DEPTH_MAX)
		return DEC_PACK_BAD;
	for (; f < end; f++) {
		const void *v = base + f->offset;
		const void *q = base + f->quantifier_offset;
		unsigned k = kind(f);
		bool skip_zero = false;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			ret = pack_repeated(o, f, k, *(const size_t *)q,
					    *(const char *const *)v, depth);
			if (ret)
				return ret;
			continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REQUIRED) {
			/* always there */
		} else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(const uint32_t *)q != f->id ||
			    ((k == K_STRING || k == K_MESSAGE) &&
			     unset_ptr(f, v)))
				continue;
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
			if (k == K_STRING || k == K_MESSAGE
				    ? unset_ptr(f, v)
				    : !*(const protobuf_c_boolean *)q)
				continue;
		} else if (k < K_STRING) {
			skip_zero = true; /* proto3: zero is left out */
		} else if (k == K_STRING) {
			const char *str = *(const char *const *)v;

			if (!str || !*str)
				continue;
		} else if (k == K_BYTES ? !((const ProtobufCBinaryData *)v)->len
					: !*(const void *const *)v) {
			continue;
		}
		ret = k < K_STRING ? scalar_field(o, f, k, v, skip_zero)
				   : len_field(o, f, k, v, depth);
		if (ret)
			return ret;
	}
	return 0;
}

int dec_pack(const ProtobufCMessage *msg, uint8_t *dst, size_t room,
	     size_t *len)
{
	struct out o = {dst, dst + room};
	int ret = pack_msg(&o, msg, 0);

	*len = ret ? 0 : (size_t)(o.p - dst);
	return ret;
}

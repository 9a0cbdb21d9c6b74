/* decode/wire.c - varints, and the walk that explains a message's bytes.
 *
 * The walk accepts exactly what protobuf-c 1.4's unpack accepts: tags of
 * at most 5 bytes and not a one-byte field number 0, length prefixes of at
 * most 5 bytes and at most INT_MAX, value varints of at most 10 bytes, no
 * group wire types, and a known field's wire type must fit its type (a
 * repeated scalar may also come packed; bool is not checked, as protobuf-c
 * does not). So when unpack fails, the first problem the walk finds is the
 * reason, except for the failures it cannot see (allocation), which the
 * caller tells apart. tests/decode/test_wire checks the two agree on every
 * truncation, byte change and 200,000 random inputs.
 */
#include "decode/wire.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int dec_wire_varint(const uint8_t *p, size_t avail, uint64_t *v)
{
	uint64_t r = 0;
	unsigned i;

	for (i = 0; i < DEC_WIRE_VARINT_MAX; i++) {
		if (i == avail)
			return 0;
		/* The 10th byte holds bit 63 alone: more is overflow, and a
		 * continuation bit there would make an 11-byte varint. */
		if (i == DEC_WIRE_VARINT_MAX - 1 && p[i] > 1)
			return -1;
		r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = r;
			return (int)i + 1;
		}
	}
	return -1;
}

/* ------------------------------------------------------------------------
 * The walk
 * ------------------------------------------------------------------------ */

struct walk {
	const uint8_t *base; /* offsets are reported from here */
	unsigned what;
	char *detail;
	size_t size;
	unsigned depth;
	/* the field names down to here, outermost first */
	const char *path[DEC_WIRE_DEPTH_MAX + 1];
};

static const char *const wire_type_names[8] = {
	[PROTOBUF_C_WIRE_TYPE_VARINT] = "varint",
	[PROTOBUF_C_WIRE_TYPE_64BIT] = "fixed64",
	[PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED] = "length-delimited",
	[3] = "start-group",
	[4] = "end-group",
	[PROTOBUF_C_WIRE_TYPE_32BIT] = "fixed32",
	[6] = "6 (none)",
	[7] = "7 (none)",
};

/* Write "byte N (a.b): " then the message, into the caller's buffer. */
static int report(struct walk *w, const uint8_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int report(struct walk *w, const uint8_t *at, const char *fmt, ...)
{
	size_t n, i;
	va_list ap;
	int m;

	m = snprintf(w->detail, w->size, "byte %zu", (size_t)(at - w->base));
	n = m < 0 ? 0 : (size_t)m;
	for (i = 0; i < w->depth && n < w->size; i++) {
		m = snprintf(w->detail + n, w->size - n, "%s%s",
			     i ? "." : " (in ", w->path[i]);
		n += m < 0 ? 0 : (size_t)m;
	}
	if (w->depth && n < w->size) {
		m = snprintf(w->detail + n, w->size - n, ")");
		n += m < 0 ? 0 : (size_t)m;
	}
	if (n < w->size) {
		m = snprintf(w->detail + n, w->size - n, ": ");
		n += m < 0 ? 0 : (size_t)m;
	}
	if (n < w->size) {
		va_start(ap, fmt);
		vsnprintf(w->detail + n, w->size - n, fmt, ap);
		va_end(ap);
	}
	return 1;
}

/* A structural problem: reported if asked for, else the walk just stops. */
#define BAD(w, at, ...)                                                        \
	((w)->what & DEC_WIRE_STRUCTURE ? report((w), (at), __VA_ARGS__) : -1)

static bool is_packable(ProtobufCType type)
{
	return type != PROTOBUF_C_TYPE_STRING &&
	       type != PROTOBUF_C_TYPE_BYTES && type != PROTOBUF_C_TYPE_MESSAGE;
}

static unsigned wire_type_of(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return PROTOBUF_C_WIRE_TYPE_32BIT;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return PROTOBUF_C_WIRE_TYPE_64BIT;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
	default:
		return PROTOBUF_C_WIRE_TYPE_VARINT;
	}
}

/* The length of the value varint at @p as protobuf-c reads it: up to 10
 * bytes, whatever the 10th holds. 0 if it does not end in time. */
static size_t value_varint_len(const uint8_t *p, size_t avail)
{
	size_t i,
		max = avail < DEC_WIRE_VARINT_MAX ? avail : DEC_WIRE_VARINT_MAX;

	for (i = 0; i < max; i++)
		if (!(p[i] & 0x80))
			return i + 1;
	return 0;
}

/* "field N (name)" into @buf: formatted only when a problem is reported
 * (FN in BAD's arguments), not for every field walked. */
static const char *field_name(char *buf, size_t size, unsigned fno,
			      const ProtobufCFieldDescriptor *f)
{
	if (f)
		snprintf(buf, size, "field %u (%s)", fno, f->name);
	else
		snprintf(buf, size, "field %u", fno);
	return buf;
}

#define FN field_name(fn, sizeof(fn), fno, f)

/* The contents of a packed repeated scalar field must hold whole values. */
static int check_packed(struct walk *w, unsigned fno,
			const ProtobufCFieldDescriptor *f, const uint8_t *p,
			size_t len)
{
	const uint8_t *end = p + len;
	char fn[96];
	size_t n;

	switch (wire_type_of(f->type)) {
	case PROTOBUF_C_WIRE_TYPE_32BIT:
		if (len % 4)
			return BAD(w, p,
				   "%s: packed length %zu is not a "
				   "multiple of 4",
				   FN, len);
		return 0;
	case PROTOBUF_C_WIRE_TYPE_64BIT:
		if (len % 8)
			return BAD(w, p,
				   "%s: packed length %zu is not a "
				   "multiple of 8",
				   FN, len);
		return 0;
	default:
		while (p < end) {
			n = value_varint_len(p, (size_t)(end - p));
			if (!n)
				return BAD(w, p,
					   "%s: packed varint runs past "
					   "the end",
					   FN);
			p += n;
		}
		return 0;
	}
}

static int walk_msg(struct walk *w, const ProtobufCMessageDescriptor *desc,
		    const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len, *at;
	const ProtobufCFieldDescriptor *f;
	uint64_t key, vlen;
	unsigned wt, fno;
	char fn[96];
	size_t skip;
	int n, ret;

	while (p < end) {
		at = p;
		n = dec_wire_varint(p, (size_t)(end - p), &key);
		if (n == 0)
			return BAD(w, at, "field tag runs past the end");
		if (n < 0 || n > 5)
			return BAD(w, at, "field tag is longer than 5 bytes");
		/* protobuf-c refuses number 0 only in a one-byte tag; an
		 * overlong 0 (0x80 0x00) is an unknown field to it. */
		if (p[0] < 8)
			return BAD(w, at, "field number 0 is not allowed");
		wt = (unsigned)(key & 7);
		fno = (unsigned)(key >> 3);
		p += n;
		f = fno <= INT_MAX
			    ? protobuf_c_message_descriptor_get_field(desc, fno)
			    : NULL;
		switch (wt) {
		case PROTOBUF_C_WIRE_TYPE_VARINT:
			skip = value_varint_len(p, (size_t)(end - p));
			if (!skip)
				return BAD(w, at, "%s: varint %s", FN,
					   (size_t)(end - p) <
							   DEC_WIRE_VARINT_MAX
						   ? "runs past the end"
						   : "is longer than 10 bytes");
			break;
		case PROTOBUF_C_WIRE_TYPE_64BIT:
		case PROTOBUF_C_WIRE_TYPE_32BIT:
			skip = wt == PROTOBUF_C_WIRE_TYPE_64BIT ? 8 : 4;
			if ((size_t)(end - p) < skip)
				return BAD(w, at,
					   "%s: %s value runs past "
					   "the end, %zu bytes left",
					   FN, wire_type_names[wt],
					   (size_t)(end - p));
			break;
		case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
			n = dec_wire_varint(p, (size_t)(end - p), &vlen);
			if (n == 0)
				return BAD(w, at,
					   "%s: length runs past the end", FN);
			if (n < 0 || n > 5 || vlen > INT_MAX)
				return BAD(w, at,
					   "%s: length prefix is too long", FN);
			if (vlen > (uint64_t)(end - p - n))
				return BAD(w, at,
					   "%s: length %" PRIu64
					   " runs past the end, %zu bytes left",
					   FN, vlen, (size_t)(end - p - n));
			skip = (size_t)n + (size_t)vlen;
			break;
		default:
			return BAD(w, at, "%s: wire type %s is not supported",
				   FN, wire_type_names[wt]);
		}

		if (f && f->type != PROTOBUF_C_TYPE_BOOL &&
		    wt != wire_type_of(f->type) &&
		    !(f->label == PROTOBUF_C_LABEL_REPEATED &&
		      wt == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED &&
		      is_packable(f->type)))
			return BAD(w, at,
				   "%s: wire type %s where %s is "
				   "expected",
				   FN, wire_type_names[wt],
				   wire_type_names[wire_type_of(f->type)]);

		if (f && wt == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED) {
			const uint8_t *body = p + n;

			ret = 0;
			if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
				if (w->depth == DEC_WIRE_DEPTH_MAX)
					return BAD(w, at,
						   "messages nest deeper "
						   "than %u",
						   DEC_WIRE_DEPTH_MAX);
				w->path[w->depth++] = f->name;
				ret = walk_msg(w, f->descriptor, body,
					       (size_t)vlen);
				w->depth--;
			} else if (f->type == PROTOBUF_C_TYPE_STRING) {
				const uint8_t *nul;

				nul = (w->what & DEC_WIRE_NUL)
					      ? memchr(body, 0, (size_t)vlen)
					      : NULL;
				if (nul)
					ret = report(w, at,
						     "%s: string holds "
						     "a NUL byte at byte %zu",
						     FN,
						     (size_t)(nul - w->base));
			} else if (is_packable(f->type)) {
				ret = check_packed(w, fno, f, body,
						   (size_t)vlen);
			}
			if (ret)
				return ret;
		}
		p += skip;
	}
	return 0;
}

int dec_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
		   size_t len, unsigned what, char *detail, size_t size)
{
	struct walk w = {
		.base = data,
		.what = what,
		.detail = detail,
		.size = size,
	};

	if (size)
		detail[0] = '\0';
	return walk_msg(&w, desc, data, len) > 0;
}

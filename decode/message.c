/* decode/message.c - UTF-8 checks, unknown-field stripping and a bound of
 * the packed size over unpacked messages.
 *
 * Field access follows protobuf-c's layout rules: a field's value lives at
 * its descriptor's offset; a repeated field's count (size_t) at its
 * quantifier_offset and its value is a pointer to the array; strings are
 * char * (NULL or NUL-terminated) and messages are ProtobufCMessage *.
 */
#include "decode/message.h"

#include "common/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MEMBER(msg, off) ((const void *)((const char *)(msg) + (off)))

/* ------------------------------------------------------------------------
 * String check
 * ------------------------------------------------------------------------ */

struct path {
	const char *name[DEC_MSG_DEPTH_MAX + 1];
	unsigned depth;
};

static int report(const struct path *pp, const char *field, char *detail,
		  size_t size, const char *what)
{
	size_t n = 0, i;
	int m;

	for (i = 0; i < pp->depth && n < size; i++) {
		m = snprintf(detail + n, size - n, "%s.", pp->name[i]);
		n += m < 0 ? 0 : (size_t)m;
	}
	if (n < size)
		snprintf(detail + n, size - n, "%s: %s", field, what);
	return 1;
}

static int check_string(const struct path *pp,
			const ProtobufCFieldDescriptor *f, const char *s,
			char *detail, size_t size)
{
	size_t bad;
	char what[64];

	if (!s || utf8_valid(s, strlen(s), &bad))
		return 0;
	snprintf(what, sizeof(what), "not valid UTF-8 (byte 0x%02x at %zu)",
		 (unsigned char)s[bad], bad);
	return report(pp, f->name, detail, size, what);
}

static int check_msg(struct path *pp, const ProtobufCMessage *msg, char *detail,
		     size_t size)
{
	const ProtobufCMessageDescriptor *desc = msg->descriptor;
	const ProtobufCFieldDescriptor *f;
	size_t n, j;
	unsigned i;
	int ret = 0;

	if (pp->depth == DEC_MSG_DEPTH_MAX)
		return report(pp, "", detail, size, "messages nest too deep");
	for (i = 0; i < desc->n_fields && !ret; i++) {
		f = &desc->fields[i];
		if (f->type != PROTOBUF_C_TYPE_STRING &&
		    f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			const void *const *arr =
				*(const void *const *const *)MEMBER(msg,
								    f->offset);

			n = *(const size_t *)MEMBER(msg, f->quantifier_offset);
			for (j = 0; j < n && !ret; j++) {
				if (f->type == PROTOBUF_C_TYPE_STRING) {
					ret = check_string(pp, f, arr[j],
							   detail, size);
				} else {
					pp->name[pp->depth++] = f->name;
					ret = check_msg(pp, arr[j], detail,
							size);
					pp->depth--;
				}
			}
		} else {
			const void *v =
				*(const void *const *)MEMBER(msg, f->offset);

			if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF &&
			    *(const uint32_t *)MEMBER(
				    msg, f->quantifier_offset) != f->id)
				continue;
			if (f->type == PROTOBUF_C_TYPE_STRING) {
				ret = check_string(pp, f, v, detail, size);
			} else if (v) {
				pp->name[pp->depth++] = f->name;
				ret = check_msg(pp, v, detail, size);
				pp->depth--;
			}
		}
	}
	return ret;
}

int dec_msg_check_strings(const ProtobufCMessage *msg, char *detail,
			  size_t size)
{
	struct path pp = {.depth = 0};

	if (size)
		detail[0] = '\0';
	return check_msg(&pp, msg, detail, size);
}

/* ------------------------------------------------------------------------
 * Canonicalize: strip unknown fields, check strings, bound the pack
 * ------------------------------------------------------------------------ */

/* The most bytes protobuf-c's pack writes for a field, beyond what its
 * value adds: a tag (field numbers < 2^29: at most 5 bytes) and a length
 * (at most 5: a uint32 varint). A scalar value takes at most 10 (a
 * negative int32 or enum is a 10-byte varint), so a scalar field, or one
 * element of a repeated scalar field, packed or not, takes at most 15. */
#define TAG_LEN_MAX 10u
#define SCALAR_MAX 15u

static int canon_msg(ProtobufCMessage *msg, unsigned depth, size_t *max);

/* Strings, bytes and messages: the types after every scalar one. */
#define IS_SCALAR(type) ((type) < PROTOBUF_C_TYPE_STRING)

/* One field's string, message or bytes value (@v points at the member or
 * the array element): checked, stripped, bounded into *@max. */
static inline int canon_value(const ProtobufCFieldDescriptor *f, const void *v,
			      unsigned depth, size_t *max)
{
	size_t len = 0;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *str = *(const char *const *)v;

		if (str && !utf8_valid_cstr(str, &len))
			return 1;
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		ProtobufCMessage *sub = *(ProtobufCMessage *const *)v;

		if (sub && canon_msg(sub, depth + 1, &len))
			return 1;
		break;
	}
	default: /* PROTOBUF_C_TYPE_BYTES */
		len = ((const ProtobufCBinaryData *)v)->len;
		break;
	}
	*max += TAG_LEN_MAX + len;
	return 0;
}

static int canon_msg(ProtobufCMessage *msg, unsigned depth, size_t *max)
{
	const ProtobufCMessageDescriptor *desc = msg->descriptor;
	const ProtobufCFieldDescriptor *f = desc->fields,
				       *end = f + desc->n_fields;
	char *m = (char *)msg;
	size_t n, j, size;

	msg->n_unknown_fields = 0;
	msg->unknown_fields = NULL;
	*max = 0;
	if (depth == DEC_MSG_DEPTH_MAX)
		return 1;
	for (; f < end; f++) {
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF &&
		    *(uint32_t *)(m + f->quantifier_offset) != f->id)
			continue; /* not the member set: packs nothing */
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			if (IS_SCALAR(f->type))
				*max += SCALAR_MAX;
			else if (canon_value(f, m + f->offset, depth, max))
				return 1;
			continue;
		}
		n = *(size_t *)(m + f->quantifier_offset);
		if (IS_SCALAR(f->type)) {
			/* packed: one tag and length, then the values */
			*max += TAG_LEN_MAX + n * SCALAR_MAX;
			continue;
		}
		size = f->type == PROTOBUF_C_TYPE_BYTES
			       ? sizeof(ProtobufCBinaryData)
			       : sizeof(void *);
		for (j = 0; j < n; j++)
			if (canon_value(f, *(char **)(m + f->offset) + j * size,
					depth, max))
				return 1;
	}
	return 0;
}

int dec_msg_canonicalize(ProtobufCMessage *msg, size_t *pack_max)
{
	return canon_msg(msg, 0, pack_max);
}

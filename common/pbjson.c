/* common/pbjson.c - protobuf-c messages to JSON by descriptor walk. */
#include "common/pbjson.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define PBJSON_MAX_DEPTH 64

static int message(struct jbuf *b, const ProtobufCMessage *msg, int depth);

static size_t elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		return 4; /* 32-bit integers, float, enum */
	}
}

/* @v with @digits significant digits: the fewest that give back the same
 * double (17) or float (9). */
static void put_double(struct jbuf *b, double v, int digits)
{
	if (isnan(v))
		jbuf_puts(b, "\"NaN\"");
	else if (isinf(v))
		jbuf_puts(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	else
		jbuf_printf(b, "%.*g", digits, v);
}

static int value(struct jbuf *b, const ProtobufCFieldDescriptor *f,
		 const void *p, int depth)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		jbuf_printf(b, "%d", *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		jbuf_printf(b, "%u", *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		json_i64(b, *(const int64_t *)p, 1);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		json_u64(b, *(const uint64_t *)p, 1);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		put_double(b, *(const float *)p, 9);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		put_double(b, *(const double *)p, 17);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		jbuf_puts(b, *(const protobuf_c_boolean *)p ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)p;
		const ProtobufCEnumValue *ev =
			protobuf_c_enum_descriptor_get_value(f->descriptor, v);

		if (ev)
			json_str(b, ev->name, strlen(ev->name));
		else
			jbuf_printf(b, "%d", v);
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)p;

		json_str(b, s ? s : "", s ? strlen(s) : 0);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *bd = p;

		json_b64(b, bd->data, bd->len);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *m = *(const ProtobufCMessage *const *)p;

		if (!m) {
			jbuf_puts(b, "null");
			break;
		}
		return message(b, m, depth + 1);
	}
	}
	return 0;
}

static int message(struct jbuf *b, const ProtobufCMessage *msg, int depth)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const char *base = (const char *)msg;
	unsigned i;
	int first = 1, ret;

	if (depth > PBJSON_MAX_DEPTH)
		return -ELOOP;
	jbuf_puts(b, "{");
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *p = base + f->offset;

		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			/* Only the member the oneof holds. */
			if (*(const uint32_t *)(base + f->quantifier_offset) !=
			    f->id)
				continue;
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
			   f->type != PROTOBUF_C_TYPE_MESSAGE &&
			   f->type != PROTOBUF_C_TYPE_STRING &&
			   !*(const protobuf_c_boolean
				      *)(base + f->quantifier_offset)) {
			continue; /* proto2/explicit optional, absent */
		}
		if (!first)
			jbuf_puts(b, ",");
		first = 0;
		/* A field name is an identifier: nothing to escape. */
		jbuf_puts(b, "\"");
		jbuf_puts(b, f->name);
		jbuf_puts(b, "\":");
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n =
				*(const size_t *)(base + f->quantifier_offset);
			const char *arr = *(const char *const *)p;
			size_t k, sz = elem_size(f->type);

			jbuf_puts(b, "[");
			for (k = 0; k < n; k++) {
				if (k)
					jbuf_puts(b, ",");
				ret = value(b, f, arr + k * sz, depth);
				if (ret < 0)
					return ret;
			}
			jbuf_puts(b, "]");
		} else {
			ret = value(b, f, p, depth);
			if (ret < 0)
				return ret;
		}
	}
	jbuf_puts(b, "}");
	return 0;
}

int pbjson_message(struct jbuf *b, const ProtobufCMessage *msg)
{
	return message(b, msg, 0);
}

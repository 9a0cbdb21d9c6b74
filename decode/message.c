/* decode/message.c - where in an unpacked message a string is not UTF-8.
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

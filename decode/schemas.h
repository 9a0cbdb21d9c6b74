/* decode/schemas.h - every message version decode is built with, in one
 * const table.
 *
 * A row names a message version (its full name and protobuf-c descriptor),
 * the canonical message its topic upcasts to (the newest shape, which
 * transform sees), the upcaster from the one to the other, and the
 * validator of the canonical form. The registry file maps schema ids to
 * rows by full name; a name with no row is a start-up error.
 *
 * Adding a version of an existing message = one row + its upcaster (see
 * docs/SCHEMAS.md). Rows are compiled in; nothing here changes at run time.
 */
#ifndef RZ_DECODE_SCHEMAS_H
#define RZ_DECODE_SCHEMAS_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "common/arena.h"

/* dec_upcast_fn - fill @out, a canonical message already initialized with
 * protobuf_c_message_init(), from @in, an unpacked message of the row's
 * version. @out may point into @in (strings, submessages of the same type):
 * both live in @arena until its next reset, and so does whatever the
 * upcaster allocates from @arena. Pure: the same @in gives the same @out.
 * Returns 0, or -ENOMEM when @arena refuses an allocation (the caller tells
 * the cap from real lack of memory with arena_over_cap()). */
typedef int (*dec_upcast_fn)(const ProtobufCMessage *in, ProtobufCMessage *out,
			     struct arena *arena);

/* dec_validate_fn - 0 when the canonical message @msg may go to transform;
 * -EINVAL when not, with a one-line reason in @detail (of @size bytes,
 * NUL-terminated, ASCII). */
typedef int (*dec_validate_fn)(const ProtobufCMessage *msg, char *detail,
			       size_t size);

struct dec_schema {
	const char *name; /* full name, "orders.v1.OrderEvent" */
	const ProtobufCMessageDescriptor *desc;
	const char *canon_name; /* "orders.v3.OrderEvent" */
	const ProtobufCMessageDescriptor *canon_desc;
	dec_upcast_fn upcast; /* NULL: this version is the canonical one */
	dec_validate_fn validate;
};

/* The table, in name order of topic then version. */
extern const struct dec_schema dec_schemas[];
extern const size_t dec_nschemas;

/* dec_schema_find - the row of the message named @name (@len bytes, not
 * necessarily NUL-terminated), or NULL if decode is not built with it. */
const struct dec_schema *dec_schema_find(const char *name, size_t len);

#endif

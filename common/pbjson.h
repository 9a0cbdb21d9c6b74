/* common/pbjson.h - a protobuf-c message as JSON, driven by its descriptor:
 * field names as in the .proto, 64-bit integers as strings, bytes as
 * base64, enums by name (by number when the value has no name), nested
 * messages as objects, repeated fields as arrays. Every field is written,
 * proto3 defaults included (an absent message as null), except the oneof
 * members not set and explicit-optional fields that are absent, which are
 * left out as in protobuf's own JSON mapping. The json transform's
 * rawzone_events.body.
 */
#ifndef RZ_COMMON_PBJSON_H
#define RZ_COMMON_PBJSON_H

#include "common/json.h"

#include <protobuf-c/protobuf-c.h>

/* pbjson_message - append @msg as a JSON object to @b. Returns 0, or
 * -ELOOP past a nesting depth of 64 (the output is then incomplete). */
int pbjson_message(struct jbuf *b, const ProtobufCMessage *msg);

#endif

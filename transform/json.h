/* transform/json.h - the generic transform: any canonical message, as JSON,
 * into the table rawzone_events (the DDL is at the top of json.c).
 *
 * It is the transform of every topic without a typed one ([transform]
 * topics.<topic> = json, the default). One row per decoded record, keyed
 * by its Kafka coordinates, so a re-decoded record overwrites its row in
 * place and a record a replay quarantines loses it (in the batch's
 * transaction, beside the core's rawzone_quarantine row):
 *
 *   rawzone_events (topic, kafka_partition, kafka_offset,
 *     schema_id           the registry id the record was written with
 *     message_type        the canonical message's full name
 *                         ("orders.v3.OrderEvent")
 *     key                 the Kafka key (see xf_json_key); NULL: no key
 *     kafka_timestamp_ms  NULL when the record had none
 *     body                the canonical message as JSON (common/pbjson.h:
 *                         field names as in the .proto, every field
 *                         written, 64-bit integers as strings, bytes as
 *                         base64, enums by name)
 *     PRIMARY KEY (topic, kafka_partition, kafka_offset))
 *
 * With rawzone_quarantine it keeps DOMAIN.md's invariant for its topics:
 * every landed record is in exactly one of the two tables.
 */
#ifndef RZ_TRANSFORM_JSON_H
#define RZ_TRANSFORM_JSON_H

#include "common/json.h"
#include "transform/xform.h"

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#define XF_JSON_SCHEMA_VERSION 1
#define XF_JSON_TABLE "rawzone_events"

extern const struct xf_ops xf_json_ops;

/* xf_json_key - append the key column's text for the Kafka key of @len
 * bytes at @key (not NULL: a null key is the SQL NULL, decided by the
 * caller) to @b:
 *   - the key itself when it is valid UTF-8 (RFC 3629: no overlong forms,
 *     no surrogates, nothing above U+10FFFF) with no NUL byte and does not
 *     begin with the two characters \x;
 *   - else \x and the lowercase hex of its bytes, the way PostgreSQL
 *     prints a bytea. Found by its bytes with key = '\x' ||
 *     lower(hex(X'...')) in SQLite, key = '\x' || encode(..., 'hex') in
 *     PostgreSQL; the bytes are decode(substr(key, 3), 'hex') there and
 *     unhex(substr(key, 3)) in SQLite 3.41 or later.
 * So a value beginning with \x is always hex, text keys read and compare
 * as themselves, and every key fits a TEXT column of either database
 * (PostgreSQL refuses NUL and invalid UTF-8 in text). The empty key is
 * the empty string. On allocation failure @b->oom is set. */
void xf_json_key(struct jbuf *b, const void *key, size_t len);

/* xf_json_descriptor - the protobuf-c descriptor of the message whose full
 * name is the @len bytes at @name, or NULL when this build does not have
 * it. */
const ProtobufCMessageDescriptor *xf_json_descriptor(const char *name,
						     size_t len);

#endif

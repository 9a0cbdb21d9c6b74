/* log/decoded.h - what decode writes and transform reads: the value layouts
 * of the decoded zone and of the quarantine zone. Both zones use the framed
 * record of log/record.h; these are the bytes of its value.
 *
 * Decoded zone, decoded/<topic>/<partition>/, one record per decode outcome,
 * in the order decode produced them (a replay appends outcomes again, so
 * offsets are not monotonic there). The frame keeps the Kafka offset,
 * timestamp, timestamp type and key; it carries no Kafka headers.
 *   type LOG_DEC_OK:      value = u32 schema id, u16 name length, the
 *                         canonical message's full name, then its packed
 *                         protobuf bytes (the canonical, newest shape).
 *   type LOG_DEC_QUARANTINED: value = u32 schema id, u8 has schema id,
 *                         u8 reason (enum log_dec_reason), u16 detail
 *                         length, the detail text (UTF-8, no NUL).
 *
 * Quarantine zone, quarantine/<topic>/<partition>/: a copy of each raw
 * record decode could not decode - key and Kafka headers as received -
 * with type = the reason, and value = u32 schema id, u8 has schema id,
 * u8 value is null, u16 detail length, the detail, then the raw value
 * bytes exactly as received.
 *
 * All integers little-endian; every length is checked before use.
 */
#ifndef RZ_LOG_DECODED_H
#define RZ_LOG_DECODED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_dec_type {
	LOG_DEC_OK = 1,
	LOG_DEC_QUARANTINED = 2,
};

/* Why a record was quarantined (DOMAIN.md; stable numbers on disk). */
enum log_dec_reason {
	LOG_DEC_BAD_FRAMING = 1,
	LOG_DEC_UNKNOWN_SCHEMA = 2,
	LOG_DEC_MALFORMED = 3,
	LOG_DEC_INVALID = 4,
	LOG_DEC_TOO_LARGE = 5,
};

#define LOG_DEC_DETAIL_MAX 512u

/* What a decoded or quarantine frame may add to the record it came from
 * ([pipeline] max_record_bytes): its own fields, the detail, a canonical
 * message somewhat larger than its input. Writers and readers of those
 * logs allow max_record_bytes + this, the same on both sides. */
#define LOG_DEC_SLACK (64u << 10)

/* log_dec_reason_name - "bad_framing", ...; NULL for an unknown value. */
const char *log_dec_reason_name(unsigned reason);

/* log_dec_reason_parse - the reason named @name, or 0. */
unsigned log_dec_reason_parse(const char *name);

/* A decoded outcome, as a view into a record's value. */
struct log_dec_ok {
	uint32_t schema_id;
	const char *message; /* canonical full name, not NUL-terminated */
	uint16_t message_len;
	const void *body; /* packed canonical protobuf */
	size_t body_len;
};

struct log_dec_quarantine {
	uint32_t schema_id;
	bool has_schema_id;
	uint8_t reason;
	const char *detail; /* not NUL-terminated */
	uint16_t detail_len;
	/* quarantine zone only: the raw value */
	bool value_null;
	const void *value;
	size_t value_len;
};

/* Sizes and encoders: @dst holds the size the _size function gave. */
size_t log_dec_ok_size(uint16_t message_len, size_t body_len);
void log_dec_ok_put(void *dst, uint32_t schema_id, const char *message,
		    uint16_t message_len, const void *body, size_t body_len);
size_t log_dec_q_size(uint16_t detail_len, size_t value_len);
/* @with_value false: the decoded-zone form (no value flag, no bytes). */
void log_dec_q_put(void *dst, const struct log_dec_quarantine *q,
		   bool with_value);

/* Parsers: 0, or -ERR_CORRUPT if the lengths do not fit @len. */
int log_dec_ok_parse(const void *buf, size_t len, struct log_dec_ok *out);
int log_dec_q_parse(const void *buf, size_t len, bool with_value,
		    struct log_dec_quarantine *out);

#endif

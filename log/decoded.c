/* log/decoded.c - value layouts of the decoded and quarantine zones. */
#include "log/decoded.h"

#include "common/err.h"

#include <string.h>

static const char *const reason_names[] = {
	[LOG_DEC_BAD_FRAMING] = "bad_framing",
	[LOG_DEC_UNKNOWN_SCHEMA] = "unknown_schema",
	[LOG_DEC_MALFORMED] = "malformed",
	[LOG_DEC_INVALID] = "invalid",
	[LOG_DEC_TOO_LARGE] = "too_large",
};

#define NREASONS (sizeof(reason_names) / sizeof(reason_names[0]))

const char *log_dec_reason_name(unsigned reason)
{
	return reason < NREASONS ? reason_names[reason] : NULL;
}

unsigned log_dec_reason_parse(const char *name)
{
	unsigned i;

	for (i = 1; i < NREASONS; i++)
		if (strcmp(name, reason_names[i]) == 0)
			return i;
	return 0;
}

size_t log_dec_ok_size(uint16_t message_len, size_t body_len)
{
	return 4 + 2 + (size_t)message_len + body_len;
}

void log_dec_ok_put(void *dst, uint32_t schema_id, const char *message,
		    uint16_t message_len, const void *body, size_t body_len)
{
	unsigned char *p = dst;

	memcpy(p, &schema_id, 4);
	memcpy(p + 4, &message_len, 2);
	memcpy(p + 6, message, message_len);
	if (body_len)
		memcpy(p + 6 + message_len, body, body_len);
}

int log_dec_ok_parse(const void *buf, size_t len, struct log_dec_ok *out)
{
	const unsigned char *p = buf;

	if (len < 6)
		return -ERR_CORRUPT;
	memcpy(&out->schema_id, p, 4);
	memcpy(&out->message_len, p + 4, 2);
	if ((size_t)out->message_len > len - 6)
		return -ERR_CORRUPT;
	out->message = (const char *)p + 6;
	out->body = p + 6 + out->message_len;
	out->body_len = len - 6 - out->message_len;
	return 0;
}

size_t log_dec_q_size(uint16_t detail_len, size_t value_len)
{
	return 4 + 1 + 1 + 2 + (size_t)detail_len + value_len;
}

void log_dec_q_put(void *dst, const struct log_dec_quarantine *q,
		   bool with_value)
{
	unsigned char *p = dst;
	uint8_t has = q->has_schema_id;
	uint8_t flag = with_value ? q->value_null : q->reason;

	/* Decoded zone: schema id, has, reason, detail. Quarantine zone:
	 * schema id, has, value-is-null, detail, value (the reason is the
	 * frame's type there). */
	memcpy(p, &q->schema_id, 4);
	p[4] = has;
	p[5] = flag;
	memcpy(p + 6, &q->detail_len, 2);
	memcpy(p + 8, q->detail, q->detail_len);
	if (with_value && q->value_len)
		memcpy(p + 8 + q->detail_len, q->value, q->value_len);
}

int log_dec_q_parse(const void *buf, size_t len, bool with_value,
		    struct log_dec_quarantine *out)
{
	const unsigned char *p = buf;

	memset(out, 0, sizeof(*out));
	if (len < 8)
		return -ERR_CORRUPT;
	memcpy(&out->schema_id, p, 4);
	if (p[4] > 1)
		return -ERR_CORRUPT;
	out->has_schema_id = p[4];
	memcpy(&out->detail_len, p + 6, 2);
	if ((size_t)out->detail_len > len - 8)
		return -ERR_CORRUPT;
	out->detail = (const char *)p + 8;
	if (with_value) {
		if (p[5] > 1)
			return -ERR_CORRUPT;
		out->value_null = p[5];
		out->value = p + 8 + out->detail_len;
		out->value_len = len - 8 - out->detail_len;
		if (out->value_null && out->value_len)
			return -ERR_CORRUPT;
	} else {
		out->reason = p[5];
		if (!log_dec_reason_name(out->reason) ||
		    len != 8 + (size_t)out->detail_len)
			return -ERR_CORRUPT;
	}
	return 0;
}

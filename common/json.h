/* common/json.h - a growable byte buffer and the few JSON writers rawzone
 * needs (strings escaped per RFC 8259, base64 per RFC 4648). Output only:
 * rawzone writes JSON (cat --json, status --json, the json transform) and
 * never parses it.
 */
#ifndef RZ_COMMON_JSON_H
#define RZ_COMMON_JSON_H

#include <stddef.h>
#include <stdint.h>

struct jbuf {
	char *p;
	size_t len;
	size_t cap;
	int oom; /* an allocation failed; the content is incomplete */
};

void jbuf_reset(struct jbuf *b);
void jbuf_free(struct jbuf *b);
void jbuf_put(struct jbuf *b, const void *data, size_t n);
void jbuf_puts(struct jbuf *b, const char *s);
void jbuf_printf(struct jbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* json_str - a JSON string of the @n bytes at @s (invalid UTF-8 bytes are
 * written as \u00XX of their value, so the output is always valid JSON). */
void json_str(struct jbuf *b, const char *s, size_t n);

/* json_b64 - a JSON string holding the base64 of @n bytes at @p. */
void json_b64(struct jbuf *b, const void *p, size_t n);

/* json_i64 - an integer, as a number, or as a string when @quoted (64-bit
 * integers do not survive JSON parsers that use doubles). */
void json_i64(struct jbuf *b, int64_t v, int quoted);
void json_u64(struct jbuf *b, uint64_t v, int quoted);

#endif

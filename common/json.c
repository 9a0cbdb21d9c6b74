/* common/json.c - a growable buffer and JSON string, base64 and integer
 * writers. */
#include "common/json.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(struct jbuf *b, size_t more)
{
	size_t cap;
	char *np;

	if (b->oom)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np) {
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

void jbuf_reset(struct jbuf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->p)
		b->p[0] = '\0';
}

void jbuf_free(struct jbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void jbuf_put(struct jbuf *b, const void *data, size_t n)
{
	if (grow(b, n) < 0)
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void jbuf_puts(struct jbuf *b, const char *s)
{
	jbuf_put(b, s, strlen(s));
}

void jbuf_printf(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at @s (of @n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void json_str(struct jbuf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	jbuf_put(b, "\"", 1);
	while (i < n) {
		unsigned char c = p[i];
		size_t ul;
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			jbuf_put(b, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			const char *named = c == '\n'	? "\\n"
					    : c == '\t' ? "\\t"
					    : c == '\r' ? "\\r"
							: NULL;

			if (named) {
				jbuf_put(b, named, 2);
			} else {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				jbuf_put(b, esc, 6);
			}
			i++;
		} else if ((ul = utf8_len(p + i, n - i)) > 0) {
			jbuf_put(b, p + i, ul);
			i += ul;
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			jbuf_put(b, esc, 6);
			i++;
		}
	}
	jbuf_put(b, "\"", 1);
}

void json_b64(struct jbuf *b, const void *data, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr"
				  "stuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t i, out = 4 * ((n + 2) / 3);
	char *d;

	if (grow(b, out + 2) < 0)
		return;
	d = b->p + b->len;
	*d++ = '"';
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
			     p[i + 2];

		*d++ = tab[v >> 18];
		*d++ = tab[(v >> 12) & 63];
		*d++ = tab[(v >> 6) & 63];
		*d++ = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 |
			     (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);

		*d++ = tab[v >> 18];
		*d++ = tab[(v >> 12) & 63];
		*d++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*d++ = '=';
	}
	*d++ = '"';
	b->len = (size_t)(d - b->p);
	b->p[b->len] = '\0';
}

void json_i64(struct jbuf *b, int64_t v, int quoted)
{
	jbuf_printf(b, quoted ? "\"%" PRId64 "\"" : "%" PRId64, v);
}

void json_u64(struct jbuf *b, uint64_t v, int quoted)
{
	jbuf_printf(b, quoted ? "\"%" PRIu64 "\"" : "%" PRIu64, v);
}

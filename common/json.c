/* common/json.c - a growable buffer and JSON string, base64 and integer
 * writers. */
#include "common/json.h"

#include "common/utf8.h"

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

	/* Format once into the room there is; only text that does not fit
	 * is formatted again, after growing. */
	if (grow(b, 32) < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->p[b->len] = '\0';
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (grow(b, (size_t)n) < 0) {
			b->p[b->len] = '\0';
			return;
		}
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void json_str(struct jbuf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	jbuf_put(b, "\"", 1);
	while (i < n) {
		unsigned char c = p[i];
		size_t ul, run;
		char esc[8];

		/* A run of printable ASCII needing no escape: one copy. */
		for (run = i; run < n && p[run] >= 0x20 && p[run] < 0x7f &&
			      p[run] != '"' && p[run] != '\\';
		     run++)
			;
		if (run > i) {
			jbuf_put(b, p + i, run - i);
			i = run;
			continue;
		}
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
		} else if ((ul = utf8_seq_len(p + i, n - i)) > 0) {
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

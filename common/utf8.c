/* common/utf8.c - see utf8.h. Nearly every string is ASCII, so
 * utf8_valid looks at eight bytes at a time until one is not. */
#include "common/utf8.h"

#include <stdint.h>
#include <string.h>

#define HIGH 0x8080808080808080ull

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, k;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0; /* a continuation, 0xc0-0xc1, 0xf5-0xff */
	}
	if (n <= need || s[1] < lo || s[1] > hi)
		return 0;
	for (k = 2; k <= need; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return need + 1;
}

bool utf8_valid(const void *s, size_t len, size_t *bad_at)
{
	const unsigned char *p = s, *end = p + len;
	uint64_t w;
	size_t n;

	for (;;) {
		for (; (size_t)(end - p) >= 8; p += 8) {
			memcpy(&w, p, 8);
			if (w & HIGH)
				break;
		}
		if (p == end)
			return true;
		n = utf8_seq_len(p, (size_t)(end - p));
		if (n == 0) {
			if (bad_at)
				*bad_at =
					(size_t)(p - (const unsigned char *)s);
			return false;
		}
		p += n;
	}
}

bool utf8_valid_cstr(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	/* Byte by byte: the strings are short, and reading words past the
	 * NUL would read beyond what the caller owns. */
	for (;;) {
		while (*p && *p < 0x80)
			p++;
		if (*p == '\0') {
			if (len)
				*len = (size_t)(p - (const unsigned char *)s);
			return true;
		}
		n = utf8_seq_len(p, SIZE_MAX);
		if (n == 0)
			return false;
		p += n;
	}
}

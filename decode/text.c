/* decode/text.c - escaping untrusted bytes for details and messages. */
#include "decode/text.h"

#include <errno.h>

#include <stdio.h>
#include <string.h>

char *dec_text_quote(char *dst, size_t size, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i, n = 0;
	size_t shown = len > DEC_TEXT_QUOTE_MAX ? DEC_TEXT_QUOTE_MAX : len;

	if (!size)
		return dst;
	/* Stop at the first byte whose form (1 or 4 chars) would not fit
	 * whole before the NUL. */
	for (i = 0; i < shown; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\' &&
		    s[i] != '\'') {
			if (n + 1 >= size)
				break;
			dst[n++] = (char)s[i];
		} else {
			if (n + 4 >= size)
				break;
			snprintf(dst + n, size - n, "\\x%02x", s[i]);
			n += 4;
		}
	}
	if (i < len && n + 3 < size) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n < size ? n : size - 1] = '\0';
	return dst;
}

int dec_text_u32(const void *s, size_t len, uint32_t *out)
{
	const unsigned char *p = s;
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

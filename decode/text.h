/* decode/text.h - untrusted bytes shown in details and messages.
 *
 * Quarantine details are UTF-8 text that ends up in a database column and
 * in an operator's terminal; bytes that came from a record or a file are
 * shown only through dec_text_quote().
 */
#ifndef RZ_DECODE_TEXT_H
#define RZ_DECODE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define DEC_TEXT_QUOTE_MAX 32u /* input bytes shown before "..." */

/* Room for a quote of DEC_TEXT_QUOTE_MAX bytes, all escaped, and "...". */
#define DEC_TEXT_QUOTE_SIZE (DEC_TEXT_QUOTE_MAX * 4 + 4)

/* dec_text_quote - write the @len bytes at @p into @dst (of @size bytes,
 * always NUL-terminated) as printable ASCII: '\xNN' for bytes outside
 * 0x20..0x7e and for '\\' and '\'', and "..." after DEC_TEXT_QUOTE_MAX
 * bytes. Returns @dst. */
char *dec_text_quote(char *dst, size_t size, const void *p, size_t len);

/* dec_text_u32 - the @len bytes at @s as a decimal u32, digits only (a
 * schema id in a header or in the registry). 0, -EINVAL when a byte is not
 * a digit or @len is 0, -ERANGE as soon as the digits so far pass
 * UINT32_MAX. */
int dec_text_u32(const void *s, size_t len, uint32_t *out);

#endif

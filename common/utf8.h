/* common/utf8.h - well-formed UTF-8 (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF. One definition for every stage: what
 * decode accepts as a string, the JSON it escapes, the keys transform
 * writes as text. */
#ifndef RZ_COMMON_UTF8_H
#define RZ_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* utf8_seq_len - the length (1-4) of the well-formed sequence that starts
 * at @s, of which @n bytes are readable (n >= 1), or 0 if none does. Reads
 * byte by byte and stops at the first that does not fit, so a NUL ends it
 * (a C string may be given with n = SIZE_MAX). ASCII, NUL included, is 1. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* utf8_valid - whether the @len bytes at @s are well-formed UTF-8 (NUL
 * bytes are allowed); if not and @bad_at is not NULL, the offset of the
 * first byte that is not. */
bool utf8_valid(const void *s, size_t len, size_t *bad_at);

/* utf8_valid_cstr - whether the NUL-terminated @s is well-formed UTF-8:
 * one pass, where strlen() and utf8_valid() would be two. When it is and
 * @len is not NULL, its length (strlen) is stored there. */
bool utf8_valid_cstr(const char *s, size_t *len);

#endif

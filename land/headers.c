/* land/headers.c - see headers.h. */
#include "land/headers.h"

#include <stdint.h>

/* The k bytes before a v0/v1 value are the last k of its length as a
 * big-endian int32, and they never equal the varint of a length from 1 to
 * 2^27 - 1: a 1-byte varint is 2 x len against len; a longer one has the
 * high bit in every byte but its last, where the int32 has bytes of the
 * length's top 11 bits or fewer, all below 0x80. From 2^27 on the varint
 * takes 5 bytes, more than the int32: those records go to librdkafka. */
#define VARINT4_MAX ((size_t)1 << 27)

static bool in_place;

void land_headers_init(void)
{
	in_place = rd_kafka_version() >> 24 == 2;
}

/* The @k bytes at @a and @b are equal (k <= 4: a loop the compiler
 * unrolls, where memcmp would be a call). */
static bool same(const uint8_t *a, const uint8_t *b, size_t k)
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < k; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

bool land_headers_none(const rd_kafka_message_t *m)
{
	const uint8_t *v = m->payload;
	uint8_t varint[4];
	uint64_t zz;
	size_t k = 0;

	if (!in_place || !v || m->len == 0 || m->len >= VARINT4_MAX)
		return false;
	for (zz = (uint64_t)m->len << 1; zz >= 0x80; zz >>= 7)
		varint[k++] = (uint8_t)(zz | 0x80);
	varint[k++] = (uint8_t)zz;
	if (!same(v - k, varint, k))
		return false; /* not a v2 record, or a longer varint */
	return v[m->len] == 0x00;
}

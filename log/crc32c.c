/* log/crc32c.c - CRC32C: SSE4.2 instruction with three interleaved streams
 * on x86-64, slice-by-8 tables elsewhere.
 *
 * The hardware path splits long buffers into three lanes to hide the
 * instruction's 3-cycle latency and recombines the lane CRCs by shifting
 * them through zeros: crc(A|B) = crc(A) * x^(8|B|) mod P, xor crc(B).
 */
#include "log/crc32c.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#define POLY 0x82f63b78u /* reflected Castagnoli polynomial */

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
		table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			table[j][i] = (table[j - 1][i] >> 8) ^
				      table[0][table[j - 1][i] & 0xff];
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	pthread_once(&table_once, table_init);
	crc = ~crc;
	while (len && ((uintptr_t)p & 7)) {
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
		len--;
	}
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		w ^= crc;
		crc = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^
		      table[5][(w >> 16) & 0xff] ^ table[4][(w >> 24) & 0xff] ^
		      table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^
		      table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

/* Multiply a and b modulo the CRC polynomial (reflected bit order). */
static uint32_t gf2_mul(uint32_t a, uint32_t b)
{
	uint32_t prod = 0;
	int i;

	for (i = 0; i < 32; i++) {
		if (a & 0x80000000u)
			prod ^= b;
		a <<= 1;
		b = b & 1 ? (b >> 1) ^ POLY : b >> 1;
	}
	return prod;
}

/* x^(8*n) mod P, in the reflected representation. */
static uint32_t x8n_mod(size_t n)
{
	uint32_t result = 0x80000000u; /* x^0 */
	uint32_t sq = 0x00800000u;     /* x^8 */

	while (n) {
		if (n & 1)
			result = gf2_mul(result, sq);
		sq = gf2_mul(sq, sq);
		n >>= 1;
	}
	return result;
}

#define LANE 4096 /* bytes per lane per round of the three-way loop */

static uint32_t lane_shift_k; /* x^(8*LANE) mod P, computed once */
static pthread_once_t lane_once = PTHREAD_ONCE_INIT;

static void lane_init(void)
{
	lane_shift_k = x8n_mod(LANE);
}

__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc,
							    const void *buf,
							    size_t len)
{
	const unsigned char *p = buf;
	uint64_t c0 = ~crc;

	while (len && ((uintptr_t)p & 7)) {
		c0 = _mm_crc32_u8((uint32_t)c0, *p++);
		len--;
	}
	if (len >= 3 * LANE) {
		pthread_once(&lane_once, lane_init);
		while (len >= 3 * LANE) {
			uint64_t c1 = 0, c2 = 0, w0, w1, w2;
			size_t i;

			for (i = 0; i < LANE; i += 8) {
				memcpy(&w0, p + i, 8);
				memcpy(&w1, p + LANE + i, 8);
				memcpy(&w2, p + 2 * LANE + i, 8);
				c0 = _mm_crc32_u64(c0, w0);
				c1 = _mm_crc32_u64(c1, w1);
				c2 = _mm_crc32_u64(c2, w2);
			}
			/* crc(A|B) = shift(crc(A), |B|) ^ crc0(B) where
			 * crc0 starts from zero: linearity of the CRC. */
			c0 = gf2_mul((uint32_t)c0, lane_shift_k) ^ c1;
			c0 = gf2_mul((uint32_t)c0, lane_shift_k) ^ c2;
			p += 3 * LANE;
			len -= 3 * LANE;
		}
	}
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		c0 = _mm_crc32_u64(c0, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c0 = _mm_crc32_u8((uint32_t)c0, *p++);
	return ~(uint32_t)c0;
}

static bool hw_checked, hw_ok;

int crc32c_hw_available(void)
{
	if (!hw_checked) {
		__builtin_cpu_init();
		hw_ok = __builtin_cpu_supports("sse4.2");
		hw_checked = true;
	}
	return hw_ok;
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	if (crc32c_hw_available())
		return crc32c_hw(crc, buf, len);
	return crc32c_sw(crc, buf, len);
}

#else
int crc32c_hw_available(void)
{
	return 0;
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	return crc32c_sw(crc, buf, len);
}
#endif

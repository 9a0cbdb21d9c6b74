/* log/crc32c.c - CRC32C: the SSE4.2 instruction over three interleaved
 * streams joined by carry-less multiplication (PCLMULQDQ) on x86-64,
 * slice-by-8 tables elsewhere.
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
#include <wmmintrin.h>

/* Multiply a and b modulo the CRC polynomial (reflected bit order: bit 31
 * is x^0). */
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

/* A buffer is cut into three lanes of equal length, a multiple of 8 bytes
 * and at most LANE (long buffers, segment scans: many rounds of LANE),
 * else as long as the buffer allows (a record: one round, whatever its
 * size), and the lanes run as three independent streams. The lane CRCs
 * are joined by shifting through zeros: crc(A|B|C) = crc(A) x^(16 n) +
 * crc(B) x^(8 n) + crc(C) mod P for lanes of n bytes, B and C started
 * from zero. A shift by 8 m bytes is one carry-less multiply and one crc32
 * instruction: clmul(c, k) is x c k as a reflected 64-bit value, and
 * crc32(0, v) is v x^32 mod P, so with k = x^(64 m - 33) mod P the result
 * is c x^(64 m) mod P. Below THREE bytes one stream is faster. */
#define LANE 4096
#define THREE 48

/* kshift[m] = x^(64 m - 33) mod P: a shift by 8 m bytes, m <= 2 LANE/8;
 * built by hw_init(), before crc32c() first takes this path. */
static uint32_t kshift[2 * LANE / 8 + 1];

static void kshift_init(void)
{
	uint32_t x64 = 0x80000000u; /* x^0 ... */
	size_t m;

	for (m = 0; m < 64; m++)
		x64 = gf2_mul(x64, 0x40000000u); /* ... times x, 64 times */
	kshift[1] = 0x00000001u;		 /* x^31 */
	for (m = 2; m < sizeof(kshift) / sizeof(kshift[0]); m++)
		kshift[m] = gf2_mul(kshift[m - 1], x64);
}

__attribute__((target("sse4.2,pclmul"))) static inline uint64_t shift(
	uint64_t c, uint32_t k)
{
	__m128i v = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)c),
					 _mm_cvtsi32_si128((int)k), 0);

	return _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(v));
}

__attribute__((target("sse4.2,pclmul"))) static uint32_t crc32c_hw(
	uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t c0 = ~crc, c1, c2, w0, w1, w2;
	uint32_t w4;
	uint16_t w2s;
	size_t lane, i;

	/* Unaligned loads cost nothing extra here. */
	while (len >= THREE) {
		lane = len >= 3 * LANE ? LANE : len / 24 * 8;
		c1 = c2 = 0;
		for (i = 0; i < lane; i += 8) {
			memcpy(&w0, p + i, 8);
			memcpy(&w1, p + lane + i, 8);
			memcpy(&w2, p + 2 * lane + i, 8);
			c0 = _mm_crc32_u64(c0, w0);
			c1 = _mm_crc32_u64(c1, w1);
			c2 = _mm_crc32_u64(c2, w2);
		}
		c0 = shift(c0, kshift[2 * lane / 8]) ^
		     shift(c1, kshift[lane / 8]) ^ c2;
		p += 3 * lane;
		len -= 3 * lane;
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w0, p, 8);
		c0 = _mm_crc32_u64(c0, w0);
	}
	if (len >= 4) {
		memcpy(&w4, p, 4);
		c0 = _mm_crc32_u32((uint32_t)c0, w4);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w2s, p, 2);
		c0 = _mm_crc32_u16((uint32_t)c0, w2s);
		p += 2;
		len -= 2;
	}
	if (len)
		c0 = _mm_crc32_u8((uint32_t)c0, *p);
	return ~(uint32_t)c0;
}

/* Whether the CPU has both instructions, decided once with the tables
 * they need (crc32c() then reads both without synchronizing). */
static bool hw_ok;
static pthread_once_t hw_once = PTHREAD_ONCE_INIT;

static void hw_init(void)
{
	__builtin_cpu_init();
	hw_ok = __builtin_cpu_supports("sse4.2") &&
		__builtin_cpu_supports("pclmul");
	if (hw_ok)
		kshift_init();
}

int crc32c_hw_available(void)
{
	pthread_once(&hw_once, hw_init);
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

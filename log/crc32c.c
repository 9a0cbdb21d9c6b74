/* log/crc32c.c - CRC32C: SSE4.2 instruction with three interleaved streams
 * on x86-64, slice-by-8 tables elsewhere.
 *
 * The hardware path splits buffers of 144 bytes and more into three lanes
 * to hide the instruction's 3-cycle latency and recombines the lane CRCs
 * by shifting them through zeros: crc(A|B) = crc(A) * x^(8|B|) mod P, xor
 * crc(B), the multiplication done by byte tables.
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

/* Lanes: records are mostly a few hundred bytes, so a buffer of 3 * SHORT
 * bytes and up already runs three streams; long ones (segment scans)
 * use long lanes, so that the recombination is rare. */
#define LANE 4096
#define SHORT 48

/* Shifting a CRC through n zero bytes is multiplying it by x^(8n) mod P,
 * a linear map: four byte tables hold it for a fixed n. */
struct shift {
	uint32_t t[4][256];
};

static struct shift shift_long, shift_short;
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

static void shift_table(struct shift *s, size_t n)
{
	uint32_t k = x8n_mod(n), v;
	int b;

	for (b = 0; b < 4; b++)
		for (v = 0; v < 256; v++)
			s->t[b][v] = gf2_mul(v << (8 * b), k);
}

static void shift_init(void)
{
	shift_table(&shift_long, LANE);
	shift_table(&shift_short, SHORT);
}

static inline uint32_t shift(const struct shift *s, uint32_t c)
{
	return s->t[0][c & 0xff] ^ s->t[1][(c >> 8) & 0xff] ^
	       s->t[2][(c >> 16) & 0xff] ^ s->t[3][c >> 24];
}

/* Three streams over lanes of @lane bytes at @p, @p + lane, @p + 2 lane,
 * combined: crc(A|B) = shift(crc(A), |B|) ^ crc(B) with crc(B) started
 * from zero (the CRC is linear). */
#define THREE_LANES(c0, p, lane, tab)                                          \
	do {                                                                   \
		uint64_t c1_ = 0, c2_ = 0, w0_, w1_, w2_;                      \
		size_t i_;                                                     \
		for (i_ = 0; i_ < (lane); i_ += 8) {                           \
			memcpy(&w0_, (p) + i_, 8);                             \
			memcpy(&w1_, (p) + (lane) + i_, 8);                    \
			memcpy(&w2_, (p) + 2 * (lane) + i_, 8);                \
			c0 = _mm_crc32_u64(c0, w0_);                           \
			c1_ = _mm_crc32_u64(c1_, w1_);                         \
			c2_ = _mm_crc32_u64(c2_, w2_);                         \
		}                                                              \
		c0 = shift(tab, (uint32_t)c0) ^ c1_;                           \
		c0 = shift(tab, (uint32_t)c0) ^ c2_;                           \
	} while (0)

__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc,
							    const void *buf,
							    size_t len)
{
	const unsigned char *p = buf;
	uint64_t c0 = ~crc;
	uint32_t w4;
	uint16_t w2;

	if (len >= 3 * SHORT) {
		pthread_once(&shift_once, shift_init);
		for (; len >= 3 * LANE; p += 3 * LANE, len -= 3 * LANE)
			THREE_LANES(c0, p, LANE, &shift_long);
		for (; len >= 3 * SHORT; p += 3 * SHORT, len -= 3 * SHORT)
			THREE_LANES(c0, p, SHORT, &shift_short);
	}
	/* Unaligned loads cost nothing extra here. */
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		c0 = _mm_crc32_u64(c0, w);
	}
	if (len >= 4) {
		memcpy(&w4, p, 4);
		c0 = _mm_crc32_u32((uint32_t)c0, w4);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w2, p, 2);
		c0 = _mm_crc32_u16((uint32_t)c0, w2);
		p += 2;
		len -= 2;
	}
	if (len)
		c0 = _mm_crc32_u8((uint32_t)c0, *p);
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

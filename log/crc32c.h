/* log/crc32c.h - CRC32C (Castagnoli), the checksum of every framed record,
 * segment header and checkpoint slot.
 *
 * Uses the SSE4.2 crc32 and PCLMULQDQ instructions when the CPU has them
 * and a slice-by-8 table otherwise; both give the same values (checked by
 * the tests).
 */
#ifndef RZ_LOG_CRC32C_H
#define RZ_LOG_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* crc32c - extend @crc (0 to start) over @len bytes at @buf. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* crc32c_sw - the table implementation, always available (for tests). */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);

/* crc32c_hw_available - true when crc32c() uses the CPU instruction. */
int crc32c_hw_available(void);

#endif

/* tests/log/test_crc32c.c - CRC32C: known vectors, and the hardware path
 * equal to the table path on every length and alignment that matters. */
#include "common/err.h"
#include "log/crc32c.h"
#include "tests/check.h"

#include <stdint.h>

int main(void)
{
	static unsigned char buf[70000];
	unsigned char zeros[32] = {0}, ones[32];
	uint64_t seed = 42;
	size_t len, off, i;

	/* RFC 3720 B.4 and the usual check value. */
	memset(ones, 0xff, sizeof(ones));
	CHECK_EQ(crc32c(0, "123456789", 9), 0xe3069283u);
	CHECK_EQ(crc32c_sw(0, "123456789", 9), 0xe3069283u);
	CHECK_EQ(crc32c(0, zeros, 32), 0x8a9136aau);
	CHECK_EQ(crc32c(0, ones, 32), 0x62a8ab43u);
	CHECK_EQ(crc32c(0, "", 0), 0);

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)test_rand(&seed);
	/* Every length up to 1000 (three lanes from 48 bytes), then around the
	 * long lanes (3 * 4096) and their multiples. */
	for (len = 0; len < 40000; len += (len < 1000 ? 1 : 997))
		for (off = 0; off < 8; off++)
			CHECK_EQ(crc32c(0, buf + off, len),
				 crc32c_sw(0, buf + off, len));
	for (len = 12280; len < 12300; len++)
		CHECK_EQ(crc32c(0, buf + 3, len), crc32c_sw(0, buf + 3, len));
	CHECK_EQ(crc32c(0, buf, sizeof(buf)), crc32c_sw(0, buf, sizeof(buf)));
	/* Extending a CRC equals computing it in one go. */
	CHECK_EQ(crc32c(crc32c(0, buf, 1000), buf + 1000, 30000),
		 crc32c(0, buf, 31000));
	printf("crc32c: hardware path %s\n",
	       crc32c_hw_available() ? "used and checked" : "not available");
	return 0;
}

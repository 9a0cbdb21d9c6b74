/* tests/land/test_headers.c - land_headers_none() says "no headers" only
 * for a Kafka v2 record whose header count is 0x00, and never reads past a
 * v0/v1 message: each value below sits in a buffer that ends where the
 * record ends, so the address sanitizer (make SAN=asan test) sees any
 * read beyond it. */
#include "land/headers.h"
#include "tests/check.h"

#include <stdint.h>

/* A buffer laid out like librdkafka's receive buffer around one record:
 * @pre bytes, the value's length as the format writes it, the value,
 * then @post bytes (the v2 header count and headers; nothing for v0/v1). */
struct rec {
	uint8_t *buf;
	rd_kafka_message_t m;
};

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t k = 0;

	for (; v >= 0x80; v >>= 7)
		p[k++] = (uint8_t)(v | 0x80);
	p[k++] = (uint8_t)v;
	return k;
}

static struct rec v2(size_t len, const uint8_t *post, size_t npost,
		     bool long_varint)
{
	struct rec r = {0};
	size_t n = 0, k;

	r.buf = malloc(16 + len + npost);
	CHECK(r.buf);
	memset(r.buf, 0x55, 8); /* attributes, deltas, key */
	n = 8;
	k = put_varint(r.buf + n, (uint64_t)len << 1);
	if (long_varint) { /* the same number, one byte longer */
		r.buf[n + k - 1] |= 0x80;
		r.buf[n + k] = 0x00;
		k++;
	}
	n += k;
	memset(r.buf + n, 0xab, len);
	r.m.payload = r.buf + n;
	r.m.len = len;
	memcpy(r.buf + n + len, post, npost);
	return r;
}

static struct rec v1(size_t len)
{
	struct rec r = {0};

	/* value last: the byte after it is past the buffer */
	r.buf = malloc(12 + len);
	CHECK(r.buf);
	memset(r.buf, 0x00, 8);
	r.buf[8] = (uint8_t)(len >> 24);
	r.buf[9] = (uint8_t)(len >> 16);
	r.buf[10] = (uint8_t)(len >> 8);
	r.buf[11] = (uint8_t)len;
	memset(r.buf + 12, 0x00, len);
	r.m.payload = len ? r.buf + 12 : NULL;
	r.m.len = len;
	return r;
}

int main(void)
{
	/* around every varint length: 1, 2, 3, 4 bytes */
	static const size_t lens[] = {
		1,    5,     63,      64,      200,	260,	      8191,
		8192, 65536, 1048575, 1048576, 1 << 26, (1 << 27) - 1};
	const uint8_t none[] = {0x00}, two[] = {0x04, 0x02, 'k', 0x00},
		      long_none[] = {0x80, 0x00};
	struct rec r;
	size_t i;

	land_headers_init();
	CHECK(rd_kafka_version() >> 24 == 2); /* what land is built with */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		r = v2(lens[i], none, sizeof(none), false);
		CHECK(land_headers_none(&r.m));
		free(r.buf);
		r = v2(lens[i], two, sizeof(two), false);
		CHECK(!land_headers_none(&r.m));
		free(r.buf);
		/* a header count written as a longer varint: librdkafka tells */
		r = v2(lens[i], long_none, sizeof(long_none), false);
		CHECK(!land_headers_none(&r.m));
		free(r.buf);
		/* a value length written as a longer varint: librdkafka tells */
		r = v2(lens[i], none, sizeof(none), true);
		CHECK(!land_headers_none(&r.m));
		free(r.buf);
		/* v0/v1: never "none", and nothing read after the value */
		r = v1(lens[i]);
		CHECK(!land_headers_none(&r.m));
		free(r.buf);
	}
	/* Null and empty values: librdkafka tells. */
	r = v1(0);
	CHECK(!land_headers_none(&r.m));
	free(r.buf);
	r = v2(0, none, sizeof(none), false);
	CHECK(!land_headers_none(&r.m));
	free(r.buf);
	printf("land headers: v2 without headers told from the record; "
	       "headers, v0/v1, long varints and empty values left to "
	       "librdkafka\n");
	return 0;
}

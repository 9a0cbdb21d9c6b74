/* tests/log/test_record.c - framing: round trips with and without keys and
 * headers, null versus empty, the size limit, every truncation, every
 * single-bit flip. */
#include "common/err.h"
#include "log/record.h"
#include "tests/check.h"

#include <errno.h>
#include <stdlib.h>

static void check_same(const struct log_rec *a, const struct log_rec *b)
{
	CHECK_EQ(a->offset, b->offset);
	CHECK_EQ(a->timestamp, b->timestamp);
	CHECK_EQ(a->ts_type, b->ts_type);
	CHECK_EQ(a->type, b->type);
	CHECK_EQ(!a->key, !b->key);
	CHECK_EQ(a->key_len, b->key_len);
	if (a->key_len)
		CHECK(memcmp(a->key, b->key, a->key_len) == 0);
	CHECK_EQ(!a->value, !b->value);
	CHECK_EQ(a->value_len, b->value_len);
	if (a->value_len)
		CHECK(memcmp(a->value, b->value, a->value_len) == 0);
	CHECK_EQ(a->hdr_count, b->hdr_count);
	CHECK_EQ(a->hdrs_len, b->hdrs_len);
	if (a->hdrs_len)
		CHECK(memcmp(a->hdrs, b->hdrs, a->hdrs_len) == 0);
}

static void round_trip(const struct log_rec *in, uint32_t max)
{
	size_t size = log_rec_size(in), need;
	unsigned char *buf = malloc(size + 16);
	struct log_rec out;

	CHECK(buf);
	CHECK_EQ(log_rec_encode(in, buf), size);
	CHECK_EQ(log_rec_decode(buf, size, max, &out, &need), size);
	check_same(in, &out);
	/* More bytes after the frame do not matter. */
	memset(buf + size, 0xab, 16);
	CHECK_EQ(log_rec_decode(buf, size + 16, max, &out, NULL), size);
	/* The frame is over a smaller limit. */
	CHECK_EQ(log_rec_decode(buf, size, (uint32_t)size - 1, &out, NULL),
		 -ERR_TOO_LARGE);
	free(buf);
}

int main(void)
{
	unsigned char hdrs[256], *p, frame[512];
	struct log_rec rec = {0}, out;
	const char *name;
	const void *val;
	uint32_t nl, vl;
	struct log_rec_hdr_it it;
	size_t size, cut, bit, need;
	unsigned char *big;

	/* No key, no headers, null value. */
	rec.offset = 0;
	rec.timestamp = -1;
	round_trip(&rec, 1u << 20);

	/* Empty key and empty value are not null. */
	rec.key = "";
	rec.value = "";
	rec.offset = 7;
	rec.timestamp = 1700000000000;
	rec.ts_type = 1;
	round_trip(&rec, 1u << 20);

	/* Key, headers (one with a null value), value. */
	p = hdrs;
	p = log_rec_hdr_put(p, "schema-id", 9, "3", 1);
	p = log_rec_hdr_put(p, "trace", 5, NULL, 0);
	p = log_rec_hdr_put(p, "", 0, "x", 1);
	rec.key = "order-1";
	rec.key_len = 7;
	rec.value = "\x00\x00\x00\x00\x03\x00payload";
	rec.value_len = 13;
	rec.hdrs = hdrs;
	rec.hdrs_len = (uint32_t)(p - hdrs);
	rec.hdr_count = 3;
	rec.offset = INT64_MAX;
	rec.type = 2;
	round_trip(&rec, 1u << 20);

	size = log_rec_encode(&rec, frame);
	CHECK_EQ(log_rec_decode(frame, size, 1u << 20, &out, NULL), size);
	log_rec_hdr_iter(&out, &it);
	CHECK_EQ(log_rec_hdr_next(&it, &name, &nl, &val, &vl), 1);
	CHECK(nl == 9 && memcmp(name, "schema-id", 9) == 0);
	CHECK(vl == 1 && memcmp(val, "3", 1) == 0);
	CHECK_EQ(log_rec_hdr_next(&it, &name, &nl, &val, &vl), 1);
	CHECK(nl == 5 && val == NULL && vl == 0);
	CHECK_EQ(log_rec_hdr_next(&it, &name, &nl, &val, &vl), 1);
	CHECK(nl == 0 && vl == 1);
	CHECK_EQ(log_rec_hdr_next(&it, &name, &nl, &val, &vl), 0);
	CHECK_EQ(log_rec_hdr_find(&out, "trace", 5, &val, &vl), 1);
	CHECK(val == NULL);
	CHECK_EQ(log_rec_hdr_find(&out, "nope", 4, &val, &vl), 0);

	/* Every truncation of the frame is incomplete, never a record. */
	for (cut = 0; cut < size; cut++) {
		int ret = log_rec_decode(frame, cut, 1u << 20, &out, &need);

		CHECK_EQ(ret, -ENODATA);
		CHECK(need > cut);
	}
	/* Every single-bit flip is caught (magic, lengths or CRC). */
	for (bit = 0; bit < size * 8; bit++) {
		int ret;

		frame[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		ret = log_rec_decode(frame, size, 1u << 20, &out, NULL);
		CHECK(ret < 0);
		frame[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	CHECK_EQ(log_rec_decode(frame, size, 1u << 20, &out, NULL), size);

	/* A header count the block cannot hold is corrupt, even with a
	 * correct CRC. */
	rec.hdr_count = 40;
	size = log_rec_encode(&rec, frame);
	CHECK_EQ(log_rec_decode(frame, size, 1u << 20, &out, NULL),
		 -ERR_CORRUPT);
	rec.hdr_count = 3;

	/* A zero-filled tail is corrupt, not a record. */
	memset(frame, 0, sizeof(frame));
	CHECK_EQ(log_rec_decode(frame, sizeof(frame), 1u << 20, &out, NULL),
		 -ERR_CORRUPT);

	/* The largest payload the limit allows, and one byte more. */
	big = malloc(1u << 20);
	CHECK(big);
	memset(big, 'v', 1u << 20);
	rec.hdrs = NULL;
	rec.hdrs_len = 0;
	rec.hdr_count = 0;
	rec.key = NULL;
	rec.key_len = 0;
	rec.value = big;
	rec.value_len = (1u << 20) - LOG_REC_HDR_SIZE;
	round_trip(&rec, 1u << 20);
	rec.value_len++;
	{
		unsigned char *f = malloc(log_rec_size(&rec));

		CHECK(f);
		size = log_rec_encode(&rec, f);
		CHECK_EQ(log_rec_decode(f, size, 1u << 20, &out, NULL),
			 -ERR_TOO_LARGE);
		free(f);
	}
	free(big);
	return 0;
}

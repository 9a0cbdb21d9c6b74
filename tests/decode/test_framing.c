/* tests/decode/test_framing.c - the Confluent wire format and the
 * schema-id header: every edge of DOMAIN.md "Wire", and the details. */
#include "common/err.h"
#include "decode/framing.h"
#include "tests/check.h"
#include "tests/decode/decode_test.h"

static struct td_rec r;
static struct dec_frame fr;
static char detail[LOG_DEC_DETAIL_MAX + 1];

/* Parse @len bytes at @v (no headers); returns dec_frame_parse's result. */
static int parse(const void *v, size_t len)
{
	return dec_frame_parse(td_rec_set(&r, v, len), &fr, detail,
			       sizeof(detail));
}

static int parse_rec(void)
{
	return dec_frame_parse(&r.rec, &fr, detail, sizeof(detail));
}

#define BAD(ret, text)                                                         \
	do {                                                                   \
		CHECK_EQ((ret), -ERR_FORMAT);                                  \
		if (!strstr(detail, (text))) {                                 \
			fprintf(stderr, "%s:%d: detail '%s' lacks '%s'\n",     \
				__FILE__, __LINE__, detail, (text));           \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* The body must be the bytes of @v from @off on. */
static void body_is(const uint8_t *v, size_t len, size_t off)
{
	CHECK(fr.body == r.value + off);
	CHECK_EQ(fr.body_len, len - off);
	CHECK(memcmp(fr.body, v + off, len - off) == 0);
}

static void test_value(void)
{
	static const uint8_t one[] = {0x00};
	static const uint8_t brace[] = {'{', '"', 'a', '"', '}'};
	size_t n;

	BAD(parse(NULL, 0), "value is null");
	CHECK(!fr.has_schema_id);
	BAD(parse("", 0), "value is empty");
	CHECK(!fr.has_schema_id);
	BAD(parse(brace, sizeof(brace)), "magic byte 0x7b is not 0x00");
	CHECK(!fr.has_schema_id);
	BAD(parse("\x01\0\0\0\x03\0", 6), "magic byte 0x01 is not 0x00");

	/* Too short for the 4-byte id: 1 to 4 bytes. */
	for (n = 1; n <= 4; n++) {
		uint8_t v[4] = {0, 0, 0, 3};

		BAD(parse(v, n), "ends inside the 4-byte schema id");
		CHECK(!fr.has_schema_id);
	}
	BAD(parse(one, 1), "value of 1 bytes");
}

static void test_path(void)
{
	/* The id is big-endian, and is known even when the path is bad. */
	static const uint8_t no_path[] = {0, 1, 2, 3, 4};
	static const uint8_t short0[] = {0, 0, 0, 0, 3, 0x00, 0x0a, 0x01, 'x'};
	static const uint8_t long0[] = {
		0, 0, 0, 0, 3, 0x02, 0x00, 0x0a, 0x01, 'x',
	};
	static const uint8_t overlong_ok[] = {0, 0, 0, 0, 3, 0x82, 0x00, 0x00};
	static const uint8_t empty_body[] = {0, 0, 0, 0, 2, 0x00};
	static const uint8_t path1[] = {0, 0, 0, 0, 3, 0x02, 0x02, 0x0a};
	static const uint8_t path00[] = {0, 0, 0, 0, 3, 0x04, 0x00, 0x00};
	static const uint8_t path_neg[] = {0, 0, 0, 0, 3, 0x02, 0x01};
	static const uint8_t count_neg[] = {0, 0, 0, 0, 3, 0x01, 0x00};
	static const uint8_t count17[] = {0, 0, 0, 0, 3, 0x22};
	static const uint8_t count1000[] = {0, 0, 0, 0, 3, 0xd0, 0x0f};
	static const uint8_t count_past[] = {0, 0, 0, 0, 3, 0x06, 0x00};
	static const uint8_t count_trunc[] = {0, 0, 0, 0, 3, 0x82};
	static const uint8_t idx_trunc[] = {0, 0, 0, 0, 3, 0x02, 0x80};
	uint8_t v[64];
	size_t i;

	BAD(parse(no_path, sizeof(no_path)), "no message-index path");
	CHECK(fr.has_schema_id);
	CHECK_EQ(fr.schema_id, 0x01020304);

	/* [0] as the single byte 0x00 and as count 1, index 0. */
	CHECK_OK(parse(short0, sizeof(short0)));
	CHECK(fr.has_schema_id && !fr.from_header);
	CHECK_EQ(fr.schema_id, 3);
	body_is(short0, sizeof(short0), 6);
	CHECK_OK(parse(long0, sizeof(long0)));
	CHECK_EQ(fr.schema_id, 3);
	body_is(long0, sizeof(long0), 7);
	/* An overlong but terminated varint is still a varint (count 1). */
	CHECK_OK(parse(overlong_ok, sizeof(overlong_ok)));
	body_is(overlong_ok, sizeof(overlong_ok), 8);
	/* Framing and nothing else: an empty protobuf message, which is
	 * framed correctly (what it decodes to is not framing's call). */
	CHECK_OK(parse(empty_body, sizeof(empty_body)));
	CHECK_EQ(fr.schema_id, 2);
	CHECK_EQ(fr.body_len, 0);
	/* The largest id. */
	memcpy(v, "\0\xff\xff\xff\xff\0", 6);
	CHECK_OK(parse(v, 6));
	CHECK_EQ(fr.schema_id, UINT32_MAX);

	BAD(parse(path1, sizeof(path1)),
	    "message-index path [1] does not name the schema's first message");
	CHECK(fr.has_schema_id);
	CHECK_EQ(fr.schema_id, 3);
	BAD(parse(path00, sizeof(path00)), "message-index path [0, 0] does");
	BAD(parse(path_neg, sizeof(path_neg)), "message-index path [-1] does");
	BAD(parse(count_neg, sizeof(count_neg)),
	    "message-index count -1 is not in 0..16");
	BAD(parse(count17, sizeof(count17)),
	    "message-index count 17 is not in 0..16");
	BAD(parse(count1000, sizeof(count1000)),
	    "message-index count 1000 is not in 0..16");
	BAD(parse(count_past, sizeof(count_past)),
	    "runs past the end of the value after 1 of 3 indexes");
	BAD(parse(count_trunc, sizeof(count_trunc)),
	    "message-index count varint is truncated");
	BAD(parse(idx_trunc, sizeof(idx_trunc)),
	    "runs past the end of the value after 0 of 1 indexes");

	/* Count 16 (the most allowed): read, then refused as a path. */
	memcpy(v, "\0\0\0\0\x03\x20", 6);
	memset(v + 6, 0, 16);
	BAD(parse(v, 22), "message-index path [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "
			  "0, 0, 0, 0, 0, 0] does");
	/* ... with one index missing. */
	BAD(parse(v, 21), "after 15 of 16 indexes");

	/* Varints: 11 bytes, and 10 bytes whose last holds bits past 64. */
	memcpy(v, "\0\0\0\0\x03", 5);
	memset(v + 5, 0x80, 10);
	v[15] = 0x00;
	BAD(parse(v, 16), "message-index count varint is longer than 10 bytes");
	memset(v + 5, 0xff, 9);
	v[14] = 0x02;
	BAD(parse(v, 15), "message-index count varint is longer than 10 bytes");
	/* The same for an index. */
	memcpy(v, "\0\0\0\0\x03\x02", 6);
	memset(v + 6, 0x80, 11);
	v[17] = 0;
	BAD(parse(v, 18), "message-index varint 0 is longer than 10 bytes");
	/* The largest 10-byte varint is a (huge, negative) count. */
	memcpy(v, "\0\0\0\0\x03", 5);
	memset(v + 5, 0xff, 9);
	v[14] = 0x01;
	BAD(parse(v, 15), "message-index count -9223372036854775808 is not");

	/* Every truncation of a path of length 2 fails or is exact. */
	for (i = 5; i < sizeof(long0); i++) {
		int ret = parse(long0, i);

		if (i >= 7)
			CHECK_OK(ret);
		else
			CHECK_EQ(ret, -ERR_FORMAT);
	}
}

static void test_header(void)
{
	static const uint8_t bare[] = {0x0a, 0x01, 'x', 0x18, 0x01};
	static const uint8_t framed[] = {0, 0, 0, 0, 3, 0x00, 0x0a, 0x01, 'x'};
	static const uint8_t junk[] = {0x03, 0xff};

	/* Valid: the value is the bare protobuf, however it starts. */
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "trace-id", "abc", 3);
	td_rec_hdr(&r, "schema-id", "2", 1);
	CHECK_OK(parse_rec());
	CHECK(fr.has_schema_id && fr.from_header);
	CHECK_EQ(fr.schema_id, 2);
	body_is(bare, sizeof(bare), 0);

	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "4294967295", 10);
	CHECK_OK(parse_rec());
	CHECK_EQ(fr.schema_id, UINT32_MAX);

	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "007", 3);
	CHECK_OK(parse_rec());
	CHECK_EQ(fr.schema_id, 7);

	/* Both a header and framing: the header wins, and the value is
	 * taken whole, 0x00 included (it will not unpack: malformed). */
	td_rec_set(&r, framed, sizeof(framed));
	td_rec_hdr(&r, "schema-id", "1", 1);
	CHECK_OK(parse_rec());
	CHECK(fr.from_header);
	CHECK_EQ(fr.schema_id, 1);
	body_is(framed, sizeof(framed), 0);

	/* Two that agree are fine; two that do not are bad framing. */
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "3", 1);
	td_rec_hdr(&r, "schema-id", "003", 3);
	CHECK_OK(parse_rec());
	CHECK_EQ(fr.schema_id, 3);
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "3", 1);
	td_rec_hdr(&r, "schema-id", "2", 1);
	BAD(parse_rec(), "schema-id headers disagree: 3 and 2");

	/* Names are case-sensitive: this record is framed. */
	td_rec_set(&r, framed, sizeof(framed));
	td_rec_hdr(&r, "Schema-Id", "1", 1);
	CHECK_OK(parse_rec());
	CHECK(!fr.from_header);
	CHECK_EQ(fr.schema_id, 3);

	/* Bad values. */
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "abc", 3);
	BAD(parse_rec(), "schema-id header 'abc' is not a number");
	CHECK(!fr.has_schema_id);
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "", 0);
	BAD(parse_rec(), "schema-id header is empty");
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", NULL, 0);
	BAD(parse_rec(), "schema-id header is null");
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "4294967296", 10);
	BAD(parse_rec(), "schema-id header '4294967296' is over 4294967295");
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "99999999999999999999999", 23);
	BAD(parse_rec(), "is over 4294967295");
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "-3", 2);
	BAD(parse_rec(), "schema-id header '-3' is not a number");
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "+3", 2);
	BAD(parse_rec(), "'+3' is not a number");
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", " 3", 2);
	BAD(parse_rec(), "' 3' is not a number");
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "3 ", 2);
	BAD(parse_rec(), "'3 ' is not a number");
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "0x3", 3);
	BAD(parse_rec(), "'0x3' is not a number");
	/* Bytes from the record are escaped in the detail. */
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", junk, sizeof(junk));
	BAD(parse_rec(), "schema-id header '\\x03\\xff' is not a number");
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "12345678901234567890123456789012345abc",
		   38);
	BAD(parse_rec(), "is over 4294967295");
	td_rec_set(&r, bare, sizeof(bare));
	td_rec_hdr(&r, "schema-id", "1x345678901234567890123456789012345abc",
		   38);
	BAD(parse_rec(), "'1x345678901234567890123456789012...' is not");

	/* The header does not excuse a null or empty value; its id is
	 * known all the same. */
	td_rec_set(&r, NULL, 0);
	td_rec_hdr(&r, "schema-id", "2", 1);
	BAD(parse_rec(), "value is null");
	CHECK(fr.has_schema_id);
	CHECK_EQ(fr.schema_id, 2);
	td_rec_set(&r, "", 0);
	td_rec_hdr(&r, "schema-id", "2", 1);
	BAD(parse_rec(), "value is empty");

	/* A header block that does not hold what it says. */
	td_rec_set(&r, framed, sizeof(framed));
	td_rec_hdr(&r, "x", "y", 1);
	r.rec.hdr_count = 2;
	BAD(parse_rec(), "the Kafka header block is malformed");
	td_rec_set(&r, framed, sizeof(framed));
	td_rec_hdr(&r, "schema-id", "1", 1);
	r.rec.hdrs_len -= 1;
	BAD(parse_rec(), "the Kafka header block is malformed");
}

int main(void)
{
	test_value();
	test_path();
	test_header();
	td_rec_free(&r);
	return 0;
}

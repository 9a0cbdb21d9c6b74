/* tests/decode/test_wire.c - the hand-written readers: varints and zigzag,
 * the wire walk (it agrees with protobuf-c on every truncation and on
 * random bytes), UTF-8 validation, and escaping for details. */
#include "common/utf8.h"
#include "decode/message.h"
#include "decode/text.h"
#include "decode/wire.h"
#include "proto/orders/v2/order_event.pb-c.h"
#include "tests/check.h"

#include <stdint.h>

static void test_varint(void)
{
	static const struct {
		const char *bytes;
		size_t len;
		int ret;
		uint64_t v;
	} cases[] = {
		{"\x00", 1, 1, 0},
		{"\x01", 1, 1, 1},
		{"\x7f", 1, 1, 127},
		{"\x80\x01", 2, 2, 128},
		{"\x80\x00", 2, 2, 0}, /* overlong but terminated: valid */
		{"\xac\x02", 2, 2, 300},
		{"\xff\xff\xff\xff\x0f", 5, 5, 0xffffffffu},
		{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, 10,
		 UINT64_MAX},
		{"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 10, 10,
		 1ull << 63},
		{"", 0, 0, 0},
		{"\x80", 1, 0, 0},
		{"\xff\xff", 2, 0, 0},
		{"\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9, 0, 0},
		{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10, -1, 0},
		{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10, -1, 0},
		{"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 11, -1, 0},
	};
	size_t i;
	uint64_t v;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 12345;
		CHECK_EQ(dec_wire_varint((const uint8_t *)cases[i].bytes,
					 cases[i].len, &v),
			 cases[i].ret);
		if (cases[i].ret > 0)
			CHECK(v == cases[i].v);
	}
	/* The bytes after the varint are not read; before the end, a
	 * shorter @avail truncates. */
	CHECK_EQ(dec_wire_varint((const uint8_t *)"\xac\x02\xff", 3, &v), 2);
	CHECK_EQ(dec_wire_varint((const uint8_t *)"\xac\x02", 1, &v), 0);

	CHECK_EQ(dec_wire_unzigzag(0), 0);
	CHECK_EQ(dec_wire_unzigzag(1), -1);
	CHECK_EQ(dec_wire_unzigzag(2), 1);
	CHECK_EQ(dec_wire_unzigzag(3), -2);
	CHECK_EQ(dec_wire_unzigzag(4294967294u), 2147483647);
	CHECK_EQ(dec_wire_unzigzag(UINT64_MAX), INT64_MIN);
	CHECK_EQ(dec_wire_unzigzag(UINT64_MAX - 1), INT64_MAX);
}

/* The walk and protobuf-c agree: bytes unpack iff the walk finds no
 * structural problem (the walk mirrors protobuf-c's rules). */
static void agree(const uint8_t *p, size_t len)
{
	char detail[256];
	ProtobufCMessage *m;
	int found;

	m = protobuf_c_message_unpack(&orders__v2__order_event__descriptor,
				      NULL, len, p);
	found = dec_wire_check(&orders__v2__order_event__descriptor, p, len,
			       DEC_WIRE_STRUCTURE, detail, sizeof(detail));
	if ((m != NULL) == found) {
		size_t i;

		fprintf(stderr,
			"unpack %s, walk: %s; bytes:", m ? "ok" : "failed",
			found ? detail : "(nothing)");
		for (i = 0; i < len; i++)
			fprintf(stderr, " %02x", p[i]);
		fprintf(stderr, "\n");
		exit(1);
	}
	if (found)
		CHECK(strncmp(detail, "byte ", 5) == 0);
	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
}

static void test_walk(void)
{
	Orders__V2__OrderEvent v = ORDERS__V2__ORDER_EVENT__INIT;
	Orders__V2__OrderEvent__LineItem a =
		ORDERS__V2__ORDER_EVENT__LINE_ITEM__INIT;
	Orders__V2__OrderEvent__LineItem *items[] = {&a, &a};
	uint8_t buf[512], r[64];
	char detail[8];
	uint64_t seed = 1;
	size_t len, cut, i, j;

	a.sku = "SKU";
	a.quantity = 3;
	a.unit_price_cents = -5;
	v.order_id = "order";
	v.customer_id = "c";
	v.type = 2;
	v.amount_cents = -123456789;
	v.currency = "EUR";
	v.event_time_ms = 1700000000000;
	v.n_items = 2;
	v.items = items;
	v.channel = "web";
	len = orders__v2__order_event__pack(&v, buf);
	CHECK_EQ(dec_wire_check(&orders__v2__order_event__descriptor, buf, len,
				DEC_WIRE_STRUCTURE | DEC_WIRE_NUL, detail,
				sizeof(detail)),
		 0);
	CHECK_EQ(detail[0], '\0');
	for (cut = 0; cut <= len; cut++)
		agree(buf, cut);
	/* Single-byte changes of the good message. */
	for (i = 0; i < len; i++) {
		uint8_t old = buf[i];

		for (j = 0; j < 256; j += 7) {
			buf[i] = (uint8_t)j;
			agree(buf, len);
		}
		buf[i] = old;
	}
	/* Random bytes, mostly small values so that tags are plausible. */
	for (i = 0; i < 200000; i++) {
		size_t n = (size_t)(test_rand(&seed) % sizeof(r));

		for (j = 0; j < n; j++) {
			uint64_t x = test_rand(&seed);

			r[j] = (uint8_t)(x % 4 ? x % 0x40 : x >> 8);
		}
		agree(r, n);
	}
	/* A small @size truncates the detail, NUL-terminated. */
	CHECK_EQ(dec_wire_check(&orders__v2__order_event__descriptor,
				(const uint8_t *)"\x00", 1, DEC_WIRE_STRUCTURE,
				detail, sizeof(detail)),
		 1);
	CHECK(strcmp(detail, "byte 0:") == 0);
	/* Not asked for structure: nothing reported, the walk stops. */
	CHECK_EQ(dec_wire_check(&orders__v2__order_event__descriptor,
				(const uint8_t *)"\x00", 1, DEC_WIRE_NUL,
				detail, sizeof(detail)),
		 0);
}

static void test_utf8(void)
{
	static const struct {
		const char *s;
		size_t len;
		int ok;
		size_t bad;
	} cases[] = {
		{"", 0, 1, 0},
		{"plain ascii, long enough for words", 34, 1, 0},
		{"\x7f", 1, 1, 0},
		{"\xc2\x80", 2, 1, 0},	       /* U+0080 */
		{"\xdf\xbf", 2, 1, 0},	       /* U+07FF */
		{"\xe0\xa0\x80", 3, 1, 0},     /* U+0800 */
		{"\xed\x9f\xbf", 3, 1, 0},     /* U+D7FF */
		{"\xee\x80\x80", 3, 1, 0},     /* U+E000 */
		{"\xef\xbf\xbf", 3, 1, 0},     /* U+FFFF */
		{"\xf0\x90\x80\x80", 4, 1, 0}, /* U+10000 */
		{"\xf4\x8f\xbf\xbf", 4, 1, 0}, /* U+10FFFF */
		{"abcdefgh\xc3\xa9z", 11, 1, 0},
		{"\x80", 1, 0, 0},	       /* lone continuation */
		{"\xc0\x80", 2, 0, 0},	       /* overlong NUL */
		{"\xc1\xbf", 2, 0, 0},	       /* overlong */
		{"\xe0\x9f\xbf", 3, 0, 0},     /* overlong */
		{"\xed\xa0\x80", 3, 0, 0},     /* surrogate */
		{"\xf0\x8f\xbf\xbf", 4, 0, 0}, /* overlong */
		{"\xf4\x90\x80\x80", 4, 0, 0}, /* above U+10FFFF */
		{"\xf5\x80\x80\x80", 4, 0, 0},
		{"\xff", 1, 0, 0},
		{"ab\xc3", 3, 0, 2}, /* truncated */
		{"abcdefghij\xe2\x82", 12, 0, 10},
		{"abcdefghij\xe2\x28\xa1", 13, 0, 10},
		{"\xc3\xa9\xc3", 3, 0, 2},
	};
	size_t i, bad;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bad = 999;
		if (utf8_valid(cases[i].s, cases[i].len, &bad) != cases[i].ok) {
			fprintf(stderr, "utf8 case %zu\n", i);
			exit(1);
		}
		if (!cases[i].ok)
			CHECK_EQ(bad, cases[i].bad);
		/* The C-string form agrees, where the bytes hold no NUL. */
		if (!memchr(cases[i].s, 0, cases[i].len)) {
			char c[256];

			CHECK(cases[i].len < sizeof(c));
			memcpy(c, cases[i].s, cases[i].len);
			c[cases[i].len] = '\0';
			CHECK_EQ(utf8_valid_cstr(c, NULL), cases[i].ok);
			if (cases[i].ok) {
				size_t n = 0;

				CHECK(utf8_valid_cstr(c, &n));
				CHECK_EQ(n, cases[i].len);
			}
		}
	}
	CHECK(!utf8_valid("\xff", 1, NULL));
}

static void test_quote(void)
{
	char q[DEC_TEXT_QUOTE_SIZE], small[6];
	char in[40];

	CHECK(strcmp(dec_text_quote(q, sizeof(q), "abc", 3), "abc") == 0);
	CHECK(strcmp(dec_text_quote(q, sizeof(q), "", 0), "") == 0);
	CHECK(strcmp(dec_text_quote(q, sizeof(q), "a'b\\c\n\xff", 7),
		     "a\\x27b\\x5cc\\x0a\\xff") == 0);
	memset(in, 'x', sizeof(in));
	dec_text_quote(q, sizeof(q), in, sizeof(in));
	CHECK_EQ(strlen(q), DEC_TEXT_QUOTE_MAX + 3);
	CHECK(strcmp(q + DEC_TEXT_QUOTE_MAX, "...") == 0);
	/* The largest quote fits DEC_TEXT_QUOTE_SIZE. */
	memset(in, 0xff, sizeof(in));
	dec_text_quote(q, sizeof(q), in, sizeof(in));
	CHECK_EQ(strlen(q), DEC_TEXT_QUOTE_MAX * 4 + 3);
	/* A small buffer: whole escapes only, always terminated. */
	dec_text_quote(small, sizeof(small), "\xff\xff", 2);
	CHECK(strcmp(small, "\\xff") == 0);
	dec_text_quote(small, sizeof(small), "abcdefgh", 8);
	CHECK(strcmp(small, "abcde") == 0);
	dec_text_quote(small, sizeof(small), "ab", 2);
	CHECK(strcmp(small, "ab") == 0);
}

int main(void)
{
	test_varint();
	test_walk();
	test_utf8();
	test_quote();
	return 0;
}

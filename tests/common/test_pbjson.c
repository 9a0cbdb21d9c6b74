/* tests/common/test_pbjson.c - protobuf-c messages as JSON: every field,
 * nested messages, repeated fields, enums by name (and by number when
 * unnamed), 64-bit integers as strings, escaping. */
#include "common/err.h"
#include "common/pbjson.h"
#include "proto/orders/v3/order_event.pb-c.h"
#include "tests/check.h"

static void expect(const ProtobufCMessage *m, const char *want)
{
	struct jbuf b = {0};

	CHECK_OK(pbjson_message(&b, m));
	if (strcmp(b.p, want) != 0) {
		fprintf(stderr, "got:  %s\nwant: %s\n", b.p, want);
		exit(1);
	}
	jbuf_free(&b);
}

/* jbuf_printf: text that fits the room there is, and text that does not
 * (formatted again after growing), appended intact. */
static void check_printf(void)
{
	struct jbuf b = {0};
	char want[2048];
	size_t i;

	for (i = 0; i < 600; i++)
		jbuf_printf(&b, "%zu,", i);
	jbuf_printf(&b, "%s|%0700d|", "x", 7);
	CHECK(!b.oom);
	CHECK_EQ(b.len, strlen(b.p));
	CHECK(strncmp(b.p, "0,1,2,", 6) == 0);
	CHECK(strstr(b.p, ",598,599,x|0000") != NULL);
	snprintf(want, sizeof(want), "%0700d|", 7);
	CHECK_EQ(strcmp(b.p + b.len - strlen(want), want), 0);
	jbuf_free(&b);
}

int main(void)
{
	Orders__V3__OrderEvent ev = ORDERS__V3__ORDER_EVENT__INIT;
	Orders__V3__OrderEvent__Money total =
		ORDERS__V3__ORDER_EVENT__MONEY__INIT;
	Orders__V3__OrderEvent__LineItem it[2] = {
		ORDERS__V3__ORDER_EVENT__LINE_ITEM__INIT,
		ORDERS__V3__ORDER_EVENT__LINE_ITEM__INIT};
	Orders__V3__OrderEvent__LineItem *items[2] = {&it[0], &it[1]};

	check_printf();
	/* Defaults: every field present, the absent message null. */
	expect(&ev.base, "{\"order_id\":\"\",\"customer_id\":\"\","
			 "\"type\":\"TYPE_UNSPECIFIED\","
			 "\"event_time_ms\":\"0\",\"items\":[],"
			 "\"channel\":\"\",\"total\":null}");

	ev.order_id = "o-1\"\n\xc3\xa9";
	ev.customer_id = "c-9";
	ev.type = ORDERS__V3__ORDER_EVENT__TYPE__PAID;
	ev.event_time_ms = 9007199254740993LL; /* not exact as a double */
	it[0].sku = "SKU-1";
	it[0].quantity = 2;
	it[0].unit_price_cents = -150;
	it[1].sku = "SKU-2";
	it[1].quantity = 1;
	ev.n_items = 2;
	ev.items = items;
	ev.channel = "web";
	total.currency_code = "EUR";
	total.units = 12;
	total.nanos = -340000000;
	ev.total = &total;
	expect(&ev.base,
	       "{\"order_id\":\"o-1\\\"\\n\xc3\xa9\",\"customer_id\":\"c-9\","
	       "\"type\":\"PAID\",\"event_time_ms\":\"9007199254740993\","
	       "\"items\":[{\"sku\":\"SKU-1\",\"quantity\":2,"
	       "\"unit_price_cents\":\"-150\"},{\"sku\":\"SKU-2\","
	       "\"quantity\":1,\"unit_price_cents\":\"0\"}],"
	       "\"channel\":\"web\",\"total\":{\"currency_code\":\"EUR\","
	       "\"units\":\"12\",\"nanos\":-340000000}}");

	/* An enum value without a name is written as its number. */
	ev.type = 42;
	ev.n_items = 0;
	ev.total = NULL;
	expect(&ev.base, "{\"order_id\":\"o-1\\\"\\n\xc3\xa9\","
			 "\"customer_id\":\"c-9\",\"type\":42,"
			 "\"event_time_ms\":\"9007199254740993\",\"items\":[],"
			 "\"channel\":\"web\",\"total\":null}");
	return 0;
}

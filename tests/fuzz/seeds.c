/* tests/fuzz/seeds.c - writes the seed corpora of the fuzz targets:
 * valid messages of every version in every presentation fuzz_decode knows,
 * a few near misses, and registry files. Run by `tests/fuzz/run --seed`;
 * the output is committed (tests/fuzz/corpus/), so this runs only when the
 * seeds should change.
 *
 *   seeds DIR      writes DIR/decode/ and DIR/registry/
 */
#include "proto/orders/v1/order_event.pb-c.h"
#include "proto/orders/v2/order_event.pb-c.h"
#include "proto/orders/v3/order_event.pb-c.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;

static void put(const char *sub, const char *name, const void *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void put_str(const char *sub, const char *name, const char *text)
{
	put(sub, name, text, strlen(text));
}

/* A fuzz_decode input: @mode byte, then Confluent framing of @body under
 * @id (mode 0) or @body bare (others). */
static void seed(const char *name, uint8_t mode, uint32_t id, int path_long,
		 const uint8_t *body, size_t len)
{
	uint8_t buf[4096];
	size_t n = 0;

	buf[n++] = mode;
	if ((mode & 3) == 0) {
		buf[n++] = 0;
		buf[n++] = (uint8_t)(id >> 24);
		buf[n++] = (uint8_t)(id >> 16);
		buf[n++] = (uint8_t)(id >> 8);
		buf[n++] = (uint8_t)id;
		if (path_long)
			buf[n++] = 0x02; /* count 1 */
		buf[n++] = 0x00;
	}
	memcpy(buf + n, body, len);
	put("decode", name, buf, n + len);
}

int main(int argc, char **argv)
{
	Orders__V1__OrderEvent v1 = ORDERS__V1__ORDER_EVENT__INIT;
	Orders__V2__OrderEvent v2 = ORDERS__V2__ORDER_EVENT__INIT;
	Orders__V2__OrderEvent__LineItem i2 =
		ORDERS__V2__ORDER_EVENT__LINE_ITEM__INIT;
	Orders__V2__OrderEvent__LineItem *items2[] = {&i2, &i2};
	Orders__V3__OrderEvent v3 = ORDERS__V3__ORDER_EVENT__INIT;
	Orders__V3__OrderEvent__LineItem i3 =
		ORDERS__V3__ORDER_EVENT__LINE_ITEM__INIT;
	Orders__V3__OrderEvent__LineItem *items3[] = {&i3};
	Orders__V3__OrderEvent__Money total =
		ORDERS__V3__ORDER_EVENT__MONEY__INIT;
	uint8_t b1[512], b2[512], b3[512], hv[600];
	size_t l1, l2, l3;

	if (argc != 2) {
		fprintf(stderr, "usage: seeds DIR\n");
		return 2;
	}
	dir = argv[1];

	v1.order_id = "order-000001";
	v1.customer_id = "customer-17";
	v1.type = 1;
	v1.amount_cents = -199;
	v1.currency = "EUR";
	v1.event_time_ms = 1700000000000;
	l1 = orders__v1__order_event__pack(&v1, b1);

	i2.sku = "SKU-42";
	i2.quantity = 3;
	i2.unit_price_cents = 1999;
	v2.order_id = "order-000002";
	v2.customer_id = "customer-18";
	v2.type = 2;
	v2.amount_cents = 5997;
	v2.currency = "USD";
	v2.event_time_ms = 1700000000001;
	v2.n_items = 2;
	v2.items = items2;
	v2.channel = "web";
	l2 = orders__v2__order_event__pack(&v2, b2);

	i3.sku = "SKU-\xc3\xa9";
	i3.quantity = 1;
	i3.unit_price_cents = 250;
	total.currency_code = "CHF";
	total.units = 2;
	total.nanos = 500000000;
	v3.order_id = "order-000003";
	v3.customer_id = "customer-19";
	v3.type = 3;
	v3.event_time_ms = 1700000000002;
	v3.n_items = 1;
	v3.items = items3;
	v3.channel = "app";
	v3.total = &total;
	l3 = orders__v3__order_event__pack(&v3, b3);

	seed("v1", 0, 1, 0, b1, l1);
	seed("v2", 0, 2, 0, b2, l2);
	seed("v3", 0, 3, 0, b3, l3);
	seed("v2_long_path", 0, 2, 1, b2, l2);
	seed("v1_as_v3", 0, 3, 0, b1, l1);
	seed("v3_unknown_id", 0, 99, 0, b3, l3);
	seed("v1_header", 1 | 1 << 2, 0, 0, b1, l1);
	seed("v3_header", 1 | 3 << 2, 0, 0, b3, l3);
	hv[0] = 2;
	memcpy(hv + 1, "02", 2);
	memcpy(hv + 3, b2, l2);
	seed("v2_header_value", 2, 0, 0, hv, 3 + l2);
	seed("null_value", 3, 0, 0, (const uint8_t *)"3", 1);

	v1.type = 0;
	v1.order_id = "";
	l1 = orders__v1__order_event__pack(&v1, b1);
	seed("v1_invalid", 0, 1, 0, b1, l1);
	/* Not framed: JSON, and a path that is not [0]. */
	{
		static const char json[] = "\x00{\"order_id\":\"x\"}";
		static const char path1[] =
			"\x00\x00\x00\x00\x00\x03\x02\x02\x0a\x01x";

		put("decode", "json", json, sizeof(json) - 1);
		put("decode", "path_1", path1, sizeof(path1) - 1);
	}

	put_str("registry", "shipped",
		"# the registry\n1 orders.v1.OrderEvent\n"
		"2 orders.v2.OrderEvent\n3 orders.v3.OrderEvent\n");
	put_str("registry", "forms",
		"  # comment\n\n\t7\torders.v3.OrderEvent # note\r\n"
		"4294967295 orders.v1.OrderEvent\n0 orders.v2.OrderEvent");
	put_str("registry", "errors",
		"1 orders.v1.OrderEvent\n1 orders.v2.OrderEvent\nx y\n"
		"2 orders.v9.OrderEvent\n3 orders.v3.OrderEvent extra\n");
	return 0;
}

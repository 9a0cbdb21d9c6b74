/* decode/schemas.c - the schema table, the upcasters and the validators.
 *
 * Upcasters build the canonical message around the unpacked one: strings
 * are shared, not copied, and whatever is new (the Money total, v3 line
 * items) comes from the record's arena. They never fail on content - what
 * is acceptable is the validator's call, made on the canonical form, so one
 * rule set covers every version.
 */
#include "decode/schemas.h"

#include "proto/orders/v1/order_event.pb-c.h"
#include "proto/orders/v2/order_event.pb-c.h"
#include "proto/orders/v3/order_event.pb-c.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * orders: v1 and v2 -> v3
 * ------------------------------------------------------------------------ */

/* DOMAIN.md: total = { currency, amount_cents / 100,
 * (amount_cents % 100) * 10000000 }, C division: a negative amount gives
 * negative units and nanos (-199 -> -1 units, -990000000 nanos). */
static Orders__V3__OrderEvent__Money *orders_money(struct arena *arena,
						   char *currency,
						   int64_t amount_cents)
{
	Orders__V3__OrderEvent__Money *m = arena_alloc(arena, sizeof(*m));

	if (!m)
		return NULL;
	orders__v3__order_event__money__init(m);
	m->currency_code = currency;
	m->units = amount_cents / 100;
	m->nanos = (int32_t)(amount_cents % 100 * 10000000);
	return m;
}

static int orders_v1_to_v3(const ProtobufCMessage *msg, ProtobufCMessage *canon,
			   struct arena *arena)
{
	const Orders__V1__OrderEvent *in = (const Orders__V1__OrderEvent *)msg;
	Orders__V3__OrderEvent *out = (Orders__V3__OrderEvent *)canon;

	out->total = orders_money(arena, in->currency, in->amount_cents);
	if (!out->total)
		return -ENOMEM;
	out->order_id = in->order_id;
	out->customer_id = in->customer_id;
	out->type = (Orders__V3__OrderEvent__Type)in->type;
	out->event_time_ms = in->event_time_ms;
	return 0;
}

static int orders_v2_to_v3(const ProtobufCMessage *msg, ProtobufCMessage *canon,
			   struct arena *arena)
{
	const Orders__V2__OrderEvent *in = (const Orders__V2__OrderEvent *)msg;
	Orders__V3__OrderEvent *out = (Orders__V3__OrderEvent *)canon;
	Orders__V3__OrderEvent__LineItem **items = NULL, *item;
	size_t i, n = in->n_items;

	if (n) {
		/* n <= the message's bytes / 2, far from overflow; the check
		 * keeps that true for any caller. */
		if (n > SIZE_MAX / (sizeof(*items) + sizeof(*item)))
			return -ENOMEM;
		items = arena_alloc(arena, n * sizeof(*items));
		item = arena_alloc(arena, n * sizeof(*item));
		if (!items || !item)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			orders__v3__order_event__line_item__init(&item[i]);
			item[i].sku = in->items[i]->sku;
			item[i].quantity = in->items[i]->quantity;
			item[i].unit_price_cents =
				in->items[i]->unit_price_cents;
			items[i] = &item[i];
		}
	}
	out->total = orders_money(arena, in->currency, in->amount_cents);
	if (!out->total)
		return -ENOMEM;
	out->order_id = in->order_id;
	out->customer_id = in->customer_id;
	out->type = (Orders__V3__OrderEvent__Type)in->type;
	out->event_time_ms = in->event_time_ms;
	out->n_items = n;
	out->items = items;
	out->channel = in->channel;
	return 0;
}

/* DOMAIN.md: empty order_id, or a type other than CREATED, PAID, SHIPPED,
 * CANCELLED, is invalid. */
static int orders_v3_validate(const ProtobufCMessage *msg, char *detail,
			      size_t size)
{
	const Orders__V3__OrderEvent *m = (const Orders__V3__OrderEvent *)msg;
	const ProtobufCEnumValue *ev;

	if (!m->order_id || !m->order_id[0]) {
		snprintf(detail, size, "order_id is empty");
		return -EINVAL;
	}
	switch (m->type) {
	case ORDERS__V3__ORDER_EVENT__TYPE__CREATED:
	case ORDERS__V3__ORDER_EVENT__TYPE__PAID:
	case ORDERS__V3__ORDER_EVENT__TYPE__SHIPPED:
	case ORDERS__V3__ORDER_EVENT__TYPE__CANCELLED:
		return 0;
	default:
		break;
	}
	ev = protobuf_c_enum_descriptor_get_value(
		&orders__v3__order_event__type__descriptor, (int)m->type);
	if (ev)
		snprintf(detail, size,
			 "type %s (%d) is not one of CREATED, PAID, SHIPPED, "
			 "CANCELLED",
			 ev->name, (int)m->type);
	else
		snprintf(detail, size,
			 "type %d is not one of CREATED, PAID, SHIPPED, "
			 "CANCELLED",
			 (int)m->type);
	return -EINVAL;
}

/* ------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------ */

#define ORDERS_V3 "orders.v3.OrderEvent", &orders__v3__order_event__descriptor

const struct dec_schema dec_schemas[] = {
	{"orders.v1.OrderEvent", &orders__v1__order_event__descriptor,
	 ORDERS_V3, orders_v1_to_v3, orders_v3_validate},
	{"orders.v2.OrderEvent", &orders__v2__order_event__descriptor,
	 ORDERS_V3, orders_v2_to_v3, orders_v3_validate},
	{"orders.v3.OrderEvent", &orders__v3__order_event__descriptor,
	 ORDERS_V3, NULL, orders_v3_validate},
};

const size_t dec_nschemas = sizeof(dec_schemas) / sizeof(dec_schemas[0]);

const struct dec_schema *dec_schema_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < dec_nschemas; i++)
		if (strlen(dec_schemas[i].name) == len &&
		    memcmp(dec_schemas[i].name, name, len) == 0)
			return &dec_schemas[i];
	return NULL;
}

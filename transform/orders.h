/* transform/orders.h - the typed transform of the example domain: canonical
 * orders.v3.OrderEvent outcomes into the tables order_events and orders
 * (DOMAIN.md is the contract; the DDL is at the top of orders.c).
 *
 * order_events holds one row per decoded record, keyed by its Kafka
 * coordinates: a re-decoded record overwrites its row in place. orders
 * holds one row per order_id: the order's event with the greatest
 * (event_time_ms, kafka_partition, kafka_offset) - then topic, when several
 * topics feed this transform - so the row is the same whatever order events
 * are applied or re-applied in. Per batch, the events of each order are
 * coalesced in memory to the greatest, then one conditional upsert per
 * order, in order_id order; the condition uses >= so that the same
 * coordinates with new content (a decoder fix) overwrite.
 *
 * The rare path: a reapplied outcome (a replay) whose coordinates were the
 * source of an order's row - it is now quarantined, belongs to another
 * order, or moved back in time - makes that order's row be derived again
 * from its remaining events, or deleted when none is left. order_events
 * has no index on order_id (it would cost more than the inserts; see
 * orders.c), so that is one scan of order_events per batch that needs it -
 * or an index lookup, if the operator created the index.
 */
#ifndef RZ_TRANSFORM_ORDERS_H
#define RZ_TRANSFORM_ORDERS_H

#include "transform/xform.h"

#include <stdbool.h>
#include <stdint.h>

#define XF_ORDERS_SCHEMA_VERSION 1

extern const struct xf_ops xf_orders_ops;

/* xf_orders_amount - units * 100 + nanos / 10000000 (C integer division)
 * into *cents. False when the result does not fit in 64 bits (the column
 * is then NULL). */
bool xf_orders_amount(int64_t units, int32_t nanos, int64_t *cents);

#endif

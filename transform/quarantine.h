/* transform/quarantine.h - the rawzone_quarantine table: one row per
 * record decode could not decode, for every topic whatever its transform.
 *
 *   rawzone_quarantine (topic, kafka_partition, kafka_offset,
 *     reason     bad_framing | unknown_schema | malformed | invalid |
 *                too_large (DOMAIN.md)
 *     schema_id  NULL when unknown
 *     detail     decode's one-line explanation
 *     PRIMARY KEY (topic, kafka_partition, kafka_offset))
 *
 * With the transforms' tables it keeps DOMAIN.md's invariant: every landed
 * record is in exactly one of its transform's event table and this one. The
 * core writes a quarantined outcome's row and deletes the row of a
 * reapplied OK outcome in the batch's transaction; the transform removes its
 * own rows of a reapplied quarantined outcome (xform.h).
 */
#ifndef RZ_TRANSFORM_QUARANTINE_H
#define RZ_TRANSFORM_QUARANTINE_H

#include "transform/sink.h"
#include "transform/xform.h"

#define XF_Q_TABLE "rawzone_quarantine"
#define XF_Q_SCHEMA_VERSION 1

struct xf_quar;

/* xf_quar_open - make the table exist and prepare its statements. */
int xf_quar_open(struct xf_sink *sink, struct xf_quar **out);

/* xf_quar_put - upsert the row of quarantined outcome @o. A reason number
 * this build does not know is -ERR_FORMAT (reported with @o's place). */
int xf_quar_put(struct xf_quar *q, const struct xf_outcome *o);

/* xf_quar_del - delete the row of @o's coordinates, if any. */
int xf_quar_del(struct xf_quar *q, const struct xf_outcome *o);

/* xf_quar_close - NULL is accepted. */
void xf_quar_close(struct xf_quar *q);

#endif

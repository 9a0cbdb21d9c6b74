/* transform/xform.h - what a transform is: a table of functions the core
 * calls with batches of decoded outcomes, and the registry of transforms
 * built in.
 *
 * A transform turns the outcomes of the topics mapped to it ([transform]
 * topics.<topic> = NAME) into rows of its own tables, through the sink
 * interface only (transform/sink.h), so every transform works with every
 * sink. The core owns the rest: reading the decoded log, batching, the
 * transaction, the checkpoint, and the rawzone_quarantine table.
 *
 * Call order: open once at start (create or check the tables, prepare
 * statements); per batch that holds outcomes of its topics, prepare, then
 * apply inside the core's open transaction, then release; close at exit.
 */
#ifndef RZ_TRANSFORM_XFORM_H
#define RZ_TRANSFORM_XFORM_H

#include "common/config.h"
#include "log/segment.h"
#include "transform/sink.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A partition an outcome comes from. */
struct xf_source {
	const char *topic;
	size_t topic_len;
	int32_t partition;
	const char *dir; /* its decoded log, for messages */
};

/* One record of the decoded log (log/decoded.h), as a view. Pointers stay
 * valid until the batch is released. */
struct xf_outcome {
	const struct xf_source *src;
	int64_t offset;	   /* Kafka coordinates: (src->topic, src->partition,
			      offset) is the key of every row */
	int64_t timestamp; /* Kafka timestamp in ms; < 0: none */
	struct log_pos at; /* where it lies in the decoded log */
	uint8_t type;	   /* LOG_DEC_OK or LOG_DEC_QUARANTINED */
	/* An earlier batch may have applied these coordinates (a replay
	 * re-decoded them): rows for them may exist and must be made to
	 * reflect this outcome. False: no row for them exists yet. */
	bool reapplied;
	uint32_t schema_id;
	bool has_schema_id;  /* always true for LOG_DEC_OK */
	uint8_t reason;	     /* LOG_DEC_QUARANTINED: enum log_dec_reason */
	const char *message; /* LOG_DEC_OK: canonical full name */
	uint16_t message_len;
	const void *data; /* LOG_DEC_OK: packed message; else the detail */
	size_t len;
	const void *key; /* the Kafka key; NULL: a null key */
	uint32_t key_len;
};

/* xf_bind_key - bind @o's coordinates (topic, kafka_partition,
 * kafka_offset), the key of every row, to parameters @first..@first+2. */
void xf_bind_key(struct xf_stmt *s, int first, const struct xf_outcome *o);

/* xf_prepare_delete - "DELETE FROM @table WHERE <the coordinates>", the
 * parameters bound with xf_bind_key(s, 1, o). */
int xf_prepare_delete(struct xf_sink *sink, const char *table,
		      struct xf_stmt **out);

/* The outcomes of one transaction for one transform, in decoded-log order
 * per partition. Coordinates are unique within a batch: when a replay put
 * the same coordinates twice into one batch, only the later outcome is
 * given. */
struct xf_batch {
	const struct xf_outcome *v;
	size_t n;
};

/* A transform works in two steps, so that the core can run them on two
 * threads at once (two cores: one reads and prepares batch N+1 while the
 * other writes batch N):
 *   prepare  everything that needs no database: parse the messages,
 *            compute the columns, coalesce; on the reader thread;
 *   apply    the writes, inside the core's open transaction; on the
 *            writer thread.
 * prepare and apply of different batches run concurrently; prepare,
 * release and open/close are only ever called from one thread at a time,
 * and so is apply. A transform keeps what prepare makes in the prepared
 * object it returns, never in state that apply reads. */
struct xf_ops {
	const char *name; /* as in topics.<topic> = NAME */
	/* open - make the tables exist (xf_sink_schema), prepare statements.
	 * Returns 0 and *state, or an error (reported). */
	int (*open)(struct xf_sink *sink, void **state);
	/* prepare - the database-free work of @b into *prep. The outcomes
	 * @b points to stay valid until release; @b itself only during the
	 * call. Returns 0, or an error reported with the
	 * outcome's file and position: -ERR_CORRUPT for bytes that do not
	 * parse, -ERR_CONFIG for a message this transform does not take. */
	int (*prepare)(void *state, const struct xf_batch *b, void **prep);
	/* apply - write the rows of @prep. For an OK outcome, its rows; for
	 * a quarantined one nothing, except that a reapplied one must leave
	 * no row of its coordinates behind (and whatever was derived from
	 * such a row must be derived again). Returns 0 or an error
	 * (reported); the caller rolls back on error. */
	int (*apply)(void *state, void *prep);
	/* release - @prep is done with (applied, or abandoned). */
	void (*release)(void *state, void *prep);
	/* close - free statements and state; NULL is accepted. */
	void (*close)(void *state);
};

/* xf_find - the transform named @name, or NULL. */
const struct xf_ops *xf_find(const char *name);

/* xf_topic_transform - the transform name for @topic: [transform]
 * topics.<topic>, else "orders" for the topic orders, else "json". */
const char *xf_topic_transform(const struct cfg *cfg, const char *topic);

/* xf_resolve - the transform of @topic into *out. A name with no transform
 * built is -ERR_CONFIG, reported. */
int xf_resolve(const struct cfg *cfg, const char *topic,
	       const struct xf_ops **out);

/* xf_where - "FILE position N (topic/partition offset O)" of @o into
 * @buf, for messages. Returns @buf. */
const char *xf_where(const struct xf_outcome *o, char *buf, size_t size);

struct arena;
struct ProtobufCMessage;
struct ProtobufCMessageDescriptor;

/* xf_unpack - reset @a and unpack the canonical bytes of OK outcome @o as
 * a @desc into it. Returns the message, or NULL after saying the decoded
 * log is corrupt (the caller returns -ERR_CORRUPT). */
struct ProtobufCMessage *xf_unpack(
	struct arena *a, const struct ProtobufCMessageDescriptor *desc,
	const struct xf_outcome *o);

#endif

/* land/headers.h - whether a consumed record has Kafka headers, told
 * without librdkafka's parse where the record's own bytes tell it.
 *
 * librdkafka 2.x parses a record's headers on the first
 * rd_kafka_message_headers() call, and for a record without any it still
 * allocates and frees a parse buffer (512 bytes, zeroed) before it answers
 * "none", every time: on records of a few hundred bytes that was the
 * largest single cost of land's polling thread (docs/BENCHMARKS.md, "Where
 * land's time goes"). The answer is written in the record, one byte after
 * the value: in a Kafka v2 record the value is followed by the header
 * count, a zig-zag varint that is the single byte 0x00 when there are
 * none.
 *
 * That byte may be read only when the record is a v2 record: in the older
 * v0/v1 message sets (data written by Kafka < 0.11 and kept by brokers
 * before 4.0) the value is the last field of a message and the byte after
 * it may lie past librdkafka's buffer. The bytes before the value tell the
 * formats apart: v2 precedes the value with its length as a zig-zag
 * varint, v0/v1 with its length as a big-endian int32, and for a length
 * from 1 to 2^27 - 1 the varint's bytes never equal the int32's last ones
 * (headers.c). When the varint is there, the record is a v2 record, and
 * the byte after the value is inside it. In every other case - a null or
 * empty value, a value of 128 MiB or more, a varint written in a longer
 * form than needed, a header count other than 0x00 - land asks
 * librdkafka.
 *
 * This reads librdkafka's receive buffer around the payload, which holds
 * for every librdkafka that parses records in place (all of 2.x): it is
 * used only with librdkafka 2.x, checked at run time. t_land_exact checks
 * the result byte for byte against the broker, with and without headers
 * and compression, under the address sanitizer too.
 */
#ifndef RZ_LAND_HEADERS_H
#define RZ_LAND_HEADERS_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>

/* land_headers_init - decide, from the librdkafka linked in, whether
 * land_headers_none() may look at the record's bytes. */
void land_headers_init(void);

/* land_headers_none - true when @m certainly has no headers; false when it
 * has some or the bytes do not tell (then rd_kafka_message_headers()
 * answers). */
bool land_headers_none(const rd_kafka_message_t *m);

#endif

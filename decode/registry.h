/* decode/registry.h - the schema registry file: schema id -> message.
 *
 * Format (proto/registry.conf): one entry per line, "ID MESSAGE_FULL_NAME",
 * fields separated by spaces or tabs; ID is a decimal u32 (digits only);
 * MESSAGE_FULL_NAME must be a row of the schema table (decode/schemas.h).
 * Lines whose first non-blank character is '#' are comments, as is
 * anything after a '#' that follows the name; blank lines are ignored;
 * CRLF line ends are accepted. The file is read once, at start-up, through
 * the I/O seam (common/io.h); it may be at most DEC_REGISTRY_FILE_MAX bytes.
 */
#ifndef RZ_DECODE_REGISTRY_H
#define RZ_DECODE_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "decode/schemas.h"

#define DEC_REGISTRY_FILE_MAX (1u << 20)

struct dec_registry;

/* dec_registry_load - read the registry file @path into a new registry.
 * Returns 0, or:
 *   -ERR_CONFIG  after printing every problem found, each as
 *                "PATH:LINE: ..." (a bad or duplicate id, a message decode
 *                is not built with - the message lists those it is built
 *                with - or a line that is not "ID NAME"); also a file over
 *                DEC_REGISTRY_FILE_MAX or holding a NUL byte;
 *   -errno       the file cannot be read (printed, naming the file);
 *   -ENOMEM.
 * On error *out is NULL. */
int dec_registry_load(const char *path, struct dec_registry **out);

/* dec_registry_free - release @reg; NULL is accepted. */
void dec_registry_free(struct dec_registry *reg);

/* dec_registry_find - the schema row of @id, or NULL when the registry has
 * no such id (its records are unknown_schema). O(log n). The row is
 * static: it outlives @reg. */
const struct dec_schema *dec_registry_find(const struct dec_registry *reg,
					   uint32_t id);

/* dec_registry_count - the number of ids in @reg. */
size_t dec_registry_count(const struct dec_registry *reg);

/* dec_registry_entry - the @i-th id (0 <= i < count) in increasing order,
 * and its row in *@schema. */
uint32_t dec_registry_entry(const struct dec_registry *reg, size_t i,
			    const struct dec_schema **schema);

#endif

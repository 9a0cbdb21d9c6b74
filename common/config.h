/* common/config.h - rawzone.conf, the one INI file every process reads.
 *
 * Every key is declared in one table (common/config.c) with its type, range
 * and default; an unknown key, a bad value, a missing required key or a
 * missing file is an error naming the file, line and key. The [kafka]
 * section is not interpreted: its pairs go to librdkafka unchanged, in file
 * order. Relative paths are taken from the directory of the config file.
 */
#ifndef RZ_COMMON_CONFIG_H
#define RZ_COMMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct cfg_kv {
	char *key;
	char *value;
};

struct cfg {
	char *path; /* the file read, or "(defaults)" */

	/* [pipeline] */
	char *instance;
	char *data_dir;
	int64_t max_record_bytes;
	int64_t segment_bytes;
	int64_t index_interval_bytes;

	/* [kafka]: passed to librdkafka as they are */
	struct cfg_kv *kafka;
	size_t nkafka;

	/* [land] */
	char **land_topics;
	size_t nland_topics;
	int64_t land_fsync_interval_ms;
	int64_t land_fsync_bytes;
	int64_t land_batch_records;
	int64_t land_buffer_bytes;
	int64_t land_memory_bytes; /* 0: no bound (see land/memory.h) */
	int64_t land_ring_capacity;
	int land_static_membership;
	int land_direct_io;
	int64_t land_stop_timeout_ms;

	/* [decode] */
	char *dec_registry;
	int64_t dec_max_message_bytes;
	int64_t dec_batch_records;
	int64_t dec_fsync_interval_ms;
	int64_t dec_ring_capacity;

	/* [transform] */
	char *xf_sink;
	int64_t xf_batch_records;
	int64_t xf_batch_latency_ms;
	int64_t xf_stop_timeout_ms;
	struct cfg_kv *xf_topics; /* topics.<topic> = <transform> */
	size_t nxf_topics;
};

/* The -X SECTION.KEY=VALUE arguments of a command line, in order, for
 * cfg_load(): cfg_overrides_add() each (0, or -ENOMEM), pass v and n,
 * cfg_overrides_free() at the end. The strings are the caller's. */
struct cfg_overrides {
	char **v;
	size_t n;
};

int cfg_overrides_add(struct cfg_overrides *o, char *assignment);
void cfg_overrides_free(struct cfg_overrides *o);

/* cfg_load - read @path into a new struct cfg, then apply the @noverrides
 * assignments "section.key=value" of @overrides (the -X options of every
 * command) on top, with the same checks, then check required keys.
 * Returns 0, or -ERR_CONFIG after printing every problem found
 * (file:line: [section] key: reason), or -errno. On error *out is NULL. */
int cfg_load(const char *path, char *const *overrides, size_t noverrides,
	     struct cfg **out);

/* cfg_kafka_get - the [kafka] value of @key, or NULL. */
const char *cfg_kafka_get(const struct cfg *cfg, const char *key);

/* cfg_free - release @cfg; NULL is accepted. */
void cfg_free(struct cfg *cfg);

/* cfg_print_keys - print every key with its type, default and meaning
 * (for --help and docs). */
void cfg_print_keys(void);

#endif

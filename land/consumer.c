/* land/consumer.c - the librdkafka consumer of rawzone-land. */
#include "land/consumer.h"

#include "common/clock.h"
#include "common/diag.h"
#include "land/memory.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Tuned for landing: large prefetch, short broker waits (the mock broker
 * waits all of fetch.wait.max.ms on an empty fetch even when data
 * arrives), large fetches. [kafka] overrides any of them; [land]
 * memory_bytes (128M by default) sizes the three "bytes" ones instead, so
 * these hold with memory_bytes = 0. */
static const char *const tuned[][2] = {
	{"auto.offset.reset", "earliest"},
	{"queued.min.messages", "5000000"},
	/* land's memory for records fetched ahead; tailing, it stays
	 * nearly empty. */
	{"queued.max.messages.kbytes", "262144"},
	/* While the queue is over that, librdkafka fetches again only after
	 * this; its default (1000) leaves a land that drains a bounded
	 * prefetch in milliseconds idle for most of each second. */
	{"fetch.queue.backoff.ms", "10"},
	{"fetch.wait.max.ms", "10"},
	{"fetch.max.bytes", "52428800"},
	{"max.partition.fetch.bytes", "4194304"},
	{"enable.partition.eof", "false"},
	{"session.timeout.ms", "45000"},
};

/* What land's guarantees depend on: [kafka] may not change these. */
static const char *const required[][2] = {
	{"enable.auto.commit", "false"},
	{"enable.auto.offset.store", "false"},
};

void land_consumer_print_defaults(void)
{
	size_t i;

	printf("librdkafka settings land uses unless [kafka] sets them:\n");
	for (i = 0; i < sizeof(tuned) / sizeof(tuned[0]); i++)
		printf("  %s = %s%s\n", tuned[i][0], tuned[i][1],
		       land_memory_derives(tuned[i][0])
			       ? " (with [land] memory_bytes = 0)"
			       : "");
	printf("  with [land] memory_bytes = M (default 128M): "
	       "queued.max.messages.kbytes = M/8 in KiB, fetch.max.bytes = "
	       "M/16, max.partition.fetch.bytes = M/128 (64K-4M)\n");
	printf("  group.instance.id = <[pipeline] instance> (static "
	       "membership; [land] static_membership = false turns it off)\n"
	       "  client.id = rawzone-land-<instance>\n");
	printf("settings land requires ([kafka] may not change them):\n");
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		printf("  %s = %s\n", required[i][0], required[i][1]);
}

/* Whether @rk's assignor is cooperative. Read from its configuration, not
 * asked of librdkafka: the callback must ask librdkafka nothing that waits
 * for its group thread, because when the close (land_consumer_close())
 * serves an assignment that arrives during it, such a call
 * (rd_kafka_rebalance_protocol(), for one) waits for it forever (librdkafka
 * issue 4041). librdkafka refuses to mix cooperative and eager assignors. */
static bool cooperative(rd_kafka_t *rk)
{
	char strategy[256];
	size_t size = sizeof(strategy);

	return rd_kafka_conf_get(rd_kafka_conf(rk),
				 "partition.assignment.strategy", strategy,
				 &size) == RD_KAFKA_CONF_OK &&
	       strstr(strategy, "cooperative") != NULL;
}

/* Eager rebalances revoke every partition and assign a whole new set;
 * cooperative ones revoke and assign only the partitions that move, while
 * the others go on landing. Either way, land makes each revoked partition
 * durable and commits it before librdkafka gives it up, and seeks each
 * assigned one to its own next offset (land_assign). */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct land *l = opaque;
	bool incremental = cooperative(rk);
	rd_kafka_error_t *ierr = NULL;
	rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		/* A fatal error here is seen by the main loop through
		 * land_tick(); assign anyway so librdkafka stays sane. */
		land_assign(l, parts);
		if (incremental)
			ierr = rd_kafka_incremental_assign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, parts);
	} else {
		if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
			diag_err("rebalance failed: %s", rd_kafka_err2str(err));
		land_revoke(l, parts,
			    err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS ||
				    rd_kafka_assignment_lost(rk));
		if (incremental)
			ierr = rd_kafka_incremental_unassign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, NULL);
	}
	if (ierr) {
		diag_err("assignment failed: %s", rd_kafka_error_string(ierr));
		rd_kafka_error_destroy(ierr);
	}
	if (aerr)
		diag_err("assignment failed: %s", rd_kafka_err2str(aerr));
}

bool land_consumer_close(rd_kafka_t *rk, rd_kafka_queue_t *q,
			 int64_t deadline_ms)
{
	rd_kafka_error_t *err = rd_kafka_consumer_close_queue(rk, q);

	if (err) {
		diag_warn("cannot leave the consumer group: %s",
			  rd_kafka_error_string(err));
		rd_kafka_error_destroy(err);
		return false;
	}
	while (!rd_kafka_consumer_closed(rk)) {
		int64_t left = deadline_ms - clock_ms();
		rd_kafka_message_t *m;

		if (left <= 0) {
			diag_warn("the consumer group was not left within "
				  "[land] stop_timeout_ms (is the broker "
				  "reachable?): stopping without; the group "
				  "reassigns the partitions after "
				  "session.timeout.ms");
			return false;
		}
		m = rd_kafka_consume_queue(q, left < 100 ? (int)left : 100);
		if (m)
			rd_kafka_message_destroy(m);
	}
	return true;
}

static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
		      rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
	(void)rk;
	land_commit_result(opaque, err, offsets);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	static int64_t last;
	int64_t now = clock_ms() / 1000;

	(void)rk;
	(void)opaque;
	/* Broker-down errors repeat every retry: say it, not a flood. */
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
	    err == RD_KAFKA_RESP_ERR__TRANSPORT ||
	    err == RD_KAFKA_RESP_ERR__RESOLVE) {
		if (now - last < 10)
			return;
		last = now;
		diag_warn("Kafka: %s (retrying; landing resumes when the "
			  "broker is back)",
			  reason);
		return;
	}
	diag_warn("Kafka: %s: %s", rd_kafka_err2name(err), reason);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	(void)rk;
	diag(level <= 3	  ? DIAG_ERR
	     : level <= 4 ? DIAG_WARN
	     : level <= 6 ? DIAG_INFO
			  : DIAG_DEBUG,
	     "librdkafka %s: %s", fac, buf);
}

/* Whether @key's value is a credential: never printed, in an error or by
 * --kafka-settings. (Paths to key files are not.) */
static bool secret(const char *key)
{
	return strstr(key, "password") || strstr(key, "secret") ||
	       strcmp(key, "ssl.key.pem") == 0 ||
	       strcmp(key, "sasl.oauthbearer.config") == 0 ||
	       strstr(key, "jaas");
}

static int set(rd_kafka_conf_t *conf, const char *key, const char *value,
	       const char *where)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK) {
		diag_err("%s: [kafka] %s = %s: %s", where, key,
			 secret(key) ? "(hidden)" : value, errstr);
		return -1;
	}
	return 0;
}

/* The configuration land consumes with: its tuned defaults, then what
 * [land] memory_bytes derives, static membership and client.id, then
 * [kafka], then what land requires. NULL after saying why, naming the
 * key at fault. */
static rd_kafka_conf_t *conf_new(const struct cfg *cfg)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char client_id[128];
	struct land_setting mem[LAND_MEMORY_KAFKA];
	size_t i, j, n;

	for (i = 0; i < sizeof(tuned) / sizeof(tuned[0]); i++)
		if (set(conf, tuned[i][0], tuned[i][1], "land default") < 0)
			goto out_conf;
	/* [land] memory_bytes: over the tuned defaults, under [kafka]. */
	n = land_memory_kafka(cfg, mem);
	for (i = 0; i < n; i++) {
		if (cfg_kafka_get(cfg, mem[i].key))
			continue;
		if (set(conf, mem[i].key, mem[i].value, "[land] memory_bytes") <
		    0)
			goto out_conf;
		diag_info("[land] memory_bytes: %s = %s", mem[i].key,
			  mem[i].value);
	}
	if (cfg->land_static_membership &&
	    set(conf, "group.instance.id", cfg->instance, "land default") < 0)
		goto out_conf;
	snprintf(client_id, sizeof(client_id), "rawzone-land-%s",
		 cfg->instance);
	if (set(conf, "client.id", client_id, "land default") < 0)
		goto out_conf;
	for (i = 0; i < cfg->nkafka; i++) {
		for (j = 0; j < sizeof(required) / sizeof(required[0]); j++)
			if (strcmp(cfg->kafka[i].key, required[j][0]) == 0 &&
			    strcmp(cfg->kafka[i].value, required[j][1]) != 0) {
				diag_err("%s: [kafka] %s = %s: land requires "
					 "%s (offsets are committed only "
					 "after fsync)",
					 cfg->path, required[j][0],
					 cfg->kafka[i].value, required[j][1]);
				goto out_conf;
			}
		if (set(conf, cfg->kafka[i].key, cfg->kafka[i].value,
			cfg->path) < 0)
			goto out_conf;
	}
	if (!cfg_kafka_get(cfg, "group.id")) {
		diag_err("%s: [kafka] group.id: required by land (the consumer "
			 "group)",
			 cfg->path);
		goto out_conf;
	}
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (set(conf, required[i][0], required[i][1], "land") < 0)
			goto out_conf;
	/* KIP-848's protocol assigns on the broker and takes neither
	 * session.timeout.ms nor an assignor from the client: land's
	 * handover is tested with the classic protocol only. The value as
	 * librdkafka took it, whatever its spelling in [kafka]. */
	{
		char gp[32];
		size_t size = sizeof(gp);

		if (rd_kafka_conf_get(conf, "group.protocol", gp, &size) ==
			    RD_KAFKA_CONF_OK &&
		    strcmp(gp, "classic") != 0) {
			diag_err("%s: [kafka] group.protocol = %s: land "
				 "supports the classic group protocol only "
				 "(eager or cooperative-sticky assignors)",
				 cfg->path, gp);
			goto out_conf;
		}
	}
	return conf;

out_conf:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

rd_kafka_t *land_consumer_new(const struct cfg *cfg, struct land *l)
{
	rd_kafka_conf_t *conf = conf_new(cfg);
	rd_kafka_topic_partition_list_t *topics;
	rd_kafka_resp_err_t err;
	char errstr[512];
	rd_kafka_t *rk;
	size_t i;

	if (!conf)
		return NULL;
	rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	rd_kafka_conf_set_opaque(conf, l);

	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk) {
		diag_err("cannot create the Kafka consumer: %s", errstr);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	/* conf is owned by rk now */
	rd_kafka_poll_set_consumer(rk);

	topics = rd_kafka_topic_partition_list_new((int)cfg->nland_topics);
	for (i = 0; i < cfg->nland_topics; i++)
		rd_kafka_topic_partition_list_add(topics, cfg->land_topics[i],
						  RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (err) {
		diag_err("cannot subscribe to [land] topics: %s",
			 rd_kafka_err2str(err));
		rd_kafka_destroy(rk);
		return NULL;
	}
	return rk;
}

/* Whether @key is among the first @n of @keys. */
static bool listed(const char *const *keys, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(keys[i], key) == 0)
			return true;
	return false;
}

/* One KEY=VALUE line: the value whole, whatever its length, with newlines
 * (PEM certificates) and backslashes escaped so that it stays one line. */
static int print_setting(rd_kafka_conf_t *conf, const char *key)
{
	char small[256], *value = small;
	size_t size = sizeof(small);
	const char *c;

	if (secret(key)) {
		printf("%s=(hidden)\n", key);
		return 0;
	}
	if (rd_kafka_conf_get(conf, key, value, &size) != RD_KAFKA_CONF_OK)
		goto out_unread;
	if (size > sizeof(small)) { /* cut short: size is what it needs */
		value = malloc(size);
		if (!value) {
			diag_err("out of memory");
			return -1;
		}
		if (rd_kafka_conf_get(conf, key, value, &size) !=
		    RD_KAFKA_CONF_OK) {
			free(value);
			goto out_unread;
		}
	}
	printf("%s=", key);
	for (c = value; *c; c++) {
		if (*c == '\n')
			fputs("\\n", stdout);
		else if (*c == '\\')
			fputs("\\\\", stdout);
		else
			putchar(*c);
	}
	putchar('\n');
	if (value != small)
		free(value);
	return 0;

out_unread:
	diag_err("cannot read back the librdkafka setting %s", key);
	return -1;
}

int land_consumer_print_settings(const struct cfg *cfg)
{
	enum {
		NTUNED = sizeof(tuned) / sizeof(tuned[0]),
		NREQUIRED = sizeof(required) / sizeof(required[0])
	};
	rd_kafka_conf_t *conf = conf_new(cfg);
	const char **keys;
	size_t n = 0, i;
	int ret = 0;

	if (!conf)
		return -1;
	keys = calloc(NTUNED + cfg->nkafka + NREQUIRED + 2, sizeof(*keys));
	if (!keys) {
		rd_kafka_conf_destroy(conf);
		diag_err("out of memory");
		return -1;
	}
	/* Every key land sets, in the order it sets them, each once. */
	for (i = 0; i < NTUNED; i++)
		keys[n++] = tuned[i][0];
	if (cfg->land_static_membership)
		keys[n++] = "group.instance.id";
	keys[n++] = "client.id";
	for (i = 0; i < cfg->nkafka; i++)
		if (!listed(keys, n, cfg->kafka[i].key))
			keys[n++] = cfg->kafka[i].key;
	for (i = 0; i < NREQUIRED; i++)
		if (!listed(keys, n, required[i][0]))
			keys[n++] = required[i][0];
	for (i = 0; i < n && ret == 0; i++)
		ret = print_setting(conf, keys[i]);
	if (ret == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
		diag_err("cannot write the settings to standard output");
		ret = -1;
	}
	free(keys);
	rd_kafka_conf_destroy(conf);
	return ret;
}

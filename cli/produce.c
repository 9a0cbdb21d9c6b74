/* cli/produce.c - `rawzone produce`: the load generator of the example
 * topic. Produces orders events (cli/orders_gen.c) to Kafka, waits for every
 * delivery report, prints one summary line, and optionally writes a manifest
 * of what each delivered record should become.
 *
 * The producer is tuned for throughput (linger, large batches, a deep
 * queue) and is idempotent with acks=all, so librdkafka's retries never
 * duplicate or reorder a record within a partition: the manifest's
 * (partition, offset) pairs are exactly the records in the topic.
 *
 * Threads: everything here runs on the main thread; librdkafka calls the
 * delivery report, error and log callbacks from rd_kafka_poll()/flush() on
 * this thread (the log callback may also run on librdkafka's threads: it
 * only writes through diag, which is thread-safe). SIGINT/SIGTERM only set
 * a flag.
 */
#include "cli/cli.h"
#include "cli/orders_gen.h"

#include "common/clock.h"
#include "common/config.h"
#include "common/diag.h"
#include "common/err.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#define CLI_PRODUCE_MAX_X 256
#define CLI_PRODUCE_POLL_EVERY 1024 /* records between two rd_kafka_poll */
#define CLI_PRODUCE_PROGRESS_NS (5 * 1000000000LL)
#define CLI_PRODUCE_MAX_REPORTED 10 /* delivery errors logged one by one */

/* Producer settings that make the load generator fast and exact; [kafka]
 * and -X may override any of them. */
static const struct {
	const char *key, *value;
} cli_produce_defaults[] = {
	{"client.id", "rawzone-produce"},
	{"enable.idempotence", "true"}, /* retries never duplicate */
	{"acks", "all"},
	{"linger.ms", "10"},
	{"batch.size", "1000000"},
	{"batch.num.messages", "100000"},
	{"compression.codec", "none"},
	{"queue.buffering.max.messages", "2000000"},
	{"queue.buffering.max.kbytes", "1048576"},
	/* Where a Java client would put each key. */
	{"partitioner", "murmur2_random"},
};

/* Consumer-only properties of librdkafka 2.12.1 (CONFIGURATION.md, "C"):
 * the [kafka] section of rawzone.conf is land's, and a producer given one of
 * these only warns that it ignores it. We skip them quietly instead. */
static const char *const cli_produce_consumer_keys[] = {
	"auto.commit.enable",
	"auto.commit.interval.ms",
	"auto.offset.reset",
	"check.crcs",
	"consume.callback.max.messages",
	"coordinator.query.interval.ms",
	"enable.auto.commit",
	"enable.auto.offset.store",
	"enable.partition.eof",
	"fetch.error.backoff.ms",
	"fetch.max.bytes",
	"fetch.message.max.bytes",
	"fetch.min.bytes",
	"fetch.queue.backoff.ms",
	"fetch.wait.max.ms",
	"group.id",
	"group.instance.id",
	"group.protocol",
	"group.protocol.type",
	"group.remote.assignor",
	"heartbeat.interval.ms",
	"isolation.level",
	"max.partition.fetch.bytes",
	"max.poll.interval.ms",
	"offset.store.method",
	"offset.store.path",
	"offset.store.sync.interval.ms",
	"partition.assignment.strategy",
	"queued.max.messages.kbytes",
	"queued.min.messages",
	"session.timeout.ms",
};

struct cli_produce {
	rd_kafka_t *rk;
	FILE *manifest;
	const char *manifest_path;
	int manifest_errno; /* first write error, 0 if none */
	bool warned_offset;
	bool fatal;
	uint64_t produced, delivered, failed, bytes;
	uint64_t outcomes[GEN_NOUTCOMES];
};

static volatile sig_atomic_t cli_produce_signals;

static void cli_produce_on_signal(int sig)
{
	(void)sig;
	if (cli_produce_signals < 100)
		cli_produce_signals++;
}

static void cli_produce_usage(FILE *out)
{
	fprintf(out,
		"usage: rawzone produce (-b BOOTSTRAP | -c CONF) [-t TOPIC] "
		"[--count N]\n"
		"         [--rate R] [--seed S] [--versions 1,2,3 | --mix "
		"30,30,40]\n"
		"         [--bad-fraction F] [--orders K] [--manifest FILE]\n"
		"         [-X kafka.KEY=VALUE ...] [--help]\n"
		"\n"
		"Produces events of the example topic (orders, DOMAIN.md) in "
		"the Confluent\n"
		"wire format: key = order_id; value = 0x00, big-endian schema "
		"id (1, 2, 3 for\n"
		"orders.v1/v2/v3.OrderEvent), the message-index path (mostly "
		"0x00, 10%% the long\n"
		"form 0x02 0x00), the protobuf. 5%% of good records carry a "
		"schema-id header\n"
		"and a bare protobuf value instead. Orders follow CREATED -> "
		"PAID -> SHIPPED,\n"
		"CREATED -> CANCELLED or CREATED -> PAID -> CANCELLED, with "
		"event times\n"
		"increasing per order. Waits for every delivery report, then "
		"prints one line:\n"
		"  produced=N delivered=N failed=N seconds=S "
		"records_per_s=R bytes=B ok=N\n"
		"  bad_framing=N unknown_schema=N malformed=N invalid=N\n"
		"(outcome counts are of the records produced). Exits 0 when "
		"every record\n"
		"produced was delivered, 1 otherwise, 2 on a usage error. "
		"SIGINT or SIGTERM\n"
		"stops producing and waits for the deliveries; a second one "
		"gives up on them.\n"
		"\n"
		"  -b, --bootstrap BOOTSTRAP  Kafka bootstrap servers "
		"(host:port,...)\n"
		"  -c, --config CONF          rawzone.conf: its [kafka] "
		"section configures the\n"
		"                             producer (consumer-only "
		"properties such as\n"
		"                             group.id are skipped)\n"
		"  -t, --topic TOPIC          topic (default orders)\n"
		"      --count N              records to produce (default "
		"100000; 0: until\n"
		"                             SIGINT or SIGTERM)\n"
		"      --rate R               records per second, token "
		"bucket (default 0: as\n"
		"                             fast as possible)\n"
		"      --seed S               random seed (default 1); the "
		"same seed and\n"
		"                             options give the same records in "
		"the same order\n"
		"      --versions LIST        schema versions to use, evenly "
		"(default 1,2,3)\n"
		"      --mix W1,W2,W3         relative weights of versions 1, "
		"2, 3 instead\n"
		"      --bad-fraction F       fraction of records replaced by "
		"bad ones, 0 to 1\n"
		"                             (default 0), spread evenly over: "
		"JSON text and\n"
		"                             empty value (bad_framing), "
		"schema id %d\n"
		"                             (unknown_schema), protobuf cut "
		"inside a field\n"
		"                             (malformed), empty order_id or "
		"type\n"
		"                             TYPE_UNSPECIFIED (invalid)\n"
		"      --orders K             orders open at once, "
		"interleaved (default 1000)\n"
		"      --manifest FILE        write one JSON line per "
		"delivered record, in\n"
		"                             delivery order: partition, "
		"offset, order_id\n"
		"                             (the key), schema_id (null when "
		"none), outcome\n"
		"                             (ok, bad_framing, "
		"unknown_schema, malformed,\n"
		"                             invalid), kind (bad records) "
		"and, for ok\n"
		"                             records, the order_events "
		"columns:\n"
		"                             customer_id, event_type, "
		"amount_cents,\n"
		"                             currency, item_count, channel, "
		"event_time_ms\n"
		"  -X kafka.KEY=VALUE         a librdkafka property; "
		"repeatable. With -c, any\n"
		"                             section.key=value of the config "
		"file\n"
		"  -h, --help                 this text\n"
		"\n"
		"Producer defaults (override with [kafka] or -X): "
		"enable.idempotence=true,\n"
		"acks=all, linger.ms=10, batch.size=1000000, "
		"batch.num.messages=100000,\n"
		"compression.codec=none, queue.buffering.max.messages="
		"2000000,\n"
		"partitioner=murmur2_random (Java-compatible key "
		"placement).\n",
		GEN_SCHEMA_ID_UNKNOWN);
}

/* Parse an unsigned decimal in [@min, @max]; reports and returns -EINVAL. */
static int cli_produce_parse_u64(const char *opt, const char *arg, uint64_t min,
				 uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (arg[0] == '-' || arg[0] == '\0')
		goto bad;
	v = strtoull(arg, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	diag_err("%s %s: expected an integer from %" PRIu64 " to %" PRIu64, opt,
		 arg, min, max);
	return -EINVAL;
}

static int cli_produce_parse_double(const char *opt, const char *arg,
				    double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= min && v <= max)) {
		diag_err("%s %s: expected a number from %g to %g", opt, arg,
			 min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* --versions 1,3 (each listed version weight 1) or --mix 30,30,40. */
static int cli_produce_parse_mix(const char *opt, const char *arg, bool weights,
				 uint32_t mix[3])
{
	const char *p = arg;
	int n = 0;

	mix[0] = mix[1] = mix[2] = 0;
	for (;;) {
		unsigned long v;
		char *end;

		errno = 0;
		if (*p < '0' || *p > '9')
			goto bad;
		v = strtoul(p, &end, 10);
		if (errno || (*end != ',' && *end != '\0'))
			goto bad;
		if (weights) {
			if (n == 3 || v > 1000000)
				goto bad;
			mix[n++] = (uint32_t)v;
		} else {
			if (v < 1 || v > 3 || mix[v - 1])
				goto bad;
			mix[v - 1] = 1;
			n++;
		}
		if (*end == '\0')
			break;
		p = end + 1;
	}
	if ((weights && n != 3) || mix[0] + mix[1] + mix[2] == 0)
		goto bad;
	return 0;
bad:
	diag_err("%s %s: expected %s", opt, arg,
		 weights ? "three weights W1,W2,W3 (not all 0)"
			 : "a list of distinct versions from 1,2,3");
	return -EINVAL;
}

static bool cli_produce_consumer_only(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(cli_produce_consumer_keys) /
				sizeof(cli_produce_consumer_keys[0]);
	     i++)
		if (strcmp(key, cli_produce_consumer_keys[i]) == 0)
			return true;
	return false;
}

/* Set @key=@value on @conf; @where names the source for the message.
 * Returns 0 or -ERR_CONFIG (reported). */
static int cli_produce_conf_set(rd_kafka_conf_t *conf, const char *where,
				const char *key, const char *value)
{
	char errstr[512];

	if (cli_produce_consumer_only(key)) {
		diag_debug("%s: skipping consumer property %s", where, key);
		return 0;
	}
	if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK) {
		diag_err("%s: [kafka] %s = %s: %s", where, key, value, errstr);
		return -ERR_CONFIG;
	}
	return 0;
}

static void cli_produce_log_cb(const rd_kafka_t *rk, int level, const char *fac,
			       const char *buf)
{
	(void)rk;
	/* Connection failures also come to the error callback. */
	if (level <= LOG_ERR && strcmp(fac, "FAIL") != 0)
		diag_err("librdkafka %s: %s", fac, buf);
	else if (level == LOG_WARNING)
		diag_warn("librdkafka %s: %s", fac, buf);
	else
		diag_debug("librdkafka %s: %s", fac, buf);
}

static void cli_produce_error_cb(rd_kafka_t *rk, int err, const char *reason,
				 void *opaque)
{
	struct cli_produce *p = opaque;
	char fatal[512];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
		diag_err("Kafka: fatal error, stopping: %s", fatal);
		p->fatal = true;
		return;
	}
	diag_warn("Kafka: %s: %s", rd_kafka_err2name(err), reason);
}

/* A delivery report: count it, and for a delivered record with a manifest
 * tail (its _private), write the manifest line. Owns the tail. */
static void cli_produce_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
			      void *opaque)
{
	struct cli_produce *p = opaque;
	char *tail = m->_private;

	(void)rk;
	if (m->err) {
		if (p->failed < CLI_PRODUCE_MAX_REPORTED)
			diag_err("delivery failed: %s [%" PRId32 "] key %.*s: "
				 "%s",
				 rd_kafka_topic_name(m->rkt), m->partition,
				 (int)m->key_len, (const char *)m->key,
				 rd_kafka_err2str(m->err));
		else if (p->failed == CLI_PRODUCE_MAX_REPORTED)
			diag_err("more deliveries failed; counting them");
		p->failed++;
		free(tail);
		return;
	}
	p->delivered++;
	if (!tail)
		return;
	if (m->offset < 0 && !p->warned_offset) {
		diag_warn("%s: the broker returned no offsets (acks=0?): "
			  "offsets are null",
			  p->manifest_path);
		p->warned_offset = true;
	}
	if (m->offset >= 0) {
		if (fprintf(p->manifest,
			    "{\"partition\":%" PRId32 ",\"offset\":%" PRId64
			    ",%s\n",
			    m->partition, m->offset, tail) < 0 &&
		    !p->manifest_errno)
			p->manifest_errno = errno ? errno : EIO;
	} else if (fprintf(p->manifest,
			   "{\"partition\":%" PRId32 ",\"offset\":null,%s\n",
			   m->partition, tail) < 0 &&
		   !p->manifest_errno) {
		p->manifest_errno = errno ? errno : EIO;
	}
	free(tail);
}

/* Build the producer configuration: defaults, then the [kafka] section of
 * @cfg (if any), then @bootstrap and the -X @xs (without a config file).
 * Returns the conf, or NULL (reported). */
static rd_kafka_conf_t *cli_produce_conf(const struct cfg *cfg,
					 const char *bootstrap, char *const *xs,
					 size_t nx, struct cli_produce *p)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	size_t i;
	int errors = 0;

	for (i = 0;
	     i < sizeof(cli_produce_defaults) / sizeof(cli_produce_defaults[0]);
	     i++)
		if (cli_produce_conf_set(conf, "built-in default",
					 cli_produce_defaults[i].key,
					 cli_produce_defaults[i].value))
			errors++;
	if (cfg) {
		/* -X were folded into cfg by cfg_load. */
		char where[PATH_MAX + 16];

		snprintf(where, sizeof(where), "%s%s", cfg->path,
			 nx ? " (or -X)" : "");
		for (i = 0; i < cfg->nkafka; i++)
			if (cli_produce_conf_set(conf, where, cfg->kafka[i].key,
						 cfg->kafka[i].value))
				errors++;
	} else {
		if (cli_produce_conf_set(conf, "-b", "bootstrap.servers",
					 bootstrap))
			errors++;
		for (i = 0; i < nx; i++) {
			char key[256];
			const char *eq = strchr(xs[i], '=');
			size_t klen;

			if (strncmp(xs[i], "kafka.", 6) != 0 || !eq ||
			    eq == xs[i] + 6 ||
			    (klen = (size_t)(eq - xs[i] - 6)) >= sizeof(key)) {
				diag_err("-X %s: expected kafka.KEY=VALUE "
					 "(other sections need -c)",
					 xs[i]);
				errors++;
				continue;
			}
			memcpy(key, xs[i] + 6, klen);
			key[klen] = '\0';
			if (cli_produce_conf_set(conf, "-X", key, eq + 1))
				errors++;
		}
	}
	if (errors) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_opaque(conf, p);
	rd_kafka_conf_set_dr_msg_cb(conf, cli_produce_dr_cb);
	rd_kafka_conf_set_error_cb(conf, cli_produce_error_cb);
	rd_kafka_conf_set_log_cb(conf, cli_produce_log_cb);
	return conf;
}

/* Wait until the token bucket holds one token, then take it. Serves
 * delivery reports while waiting. */
static void cli_produce_throttle(struct cli_produce *p, double rate,
				 double *tokens, int64_t *last_ns)
{
	double burst = rate / 100 > 1 ? rate / 100 : 1; /* 10 ms worth */

	for (;;) {
		int64_t now = clock_ns();
		int wait_ms;

		*tokens += (double)(now - *last_ns) * rate / 1e9;
		*last_ns = now;
		if (*tokens > burst)
			*tokens = burst;
		if (*tokens >= 1 || cli_produce_signals || p->fatal)
			break;
		wait_ms = (int)((1 - *tokens) * 1000 / rate) + 1;
		rd_kafka_poll(p->rk, wait_ms);
	}
	*tokens -= 1;
}

/* Enqueue @rec (copied) with @tail as its opaque. Returns librdkafka's
 * error; on error @tail is still the caller's. */
static rd_kafka_resp_err_t cli_produce_send(rd_kafka_t *rk,
					    rd_kafka_topic_t *rkt,
					    const struct gen_record *rec,
					    char *tail)
{
	rd_kafka_vu_t vu[6];
	rd_kafka_error_t *error;
	rd_kafka_resp_err_t err;
	size_t n = 0;

	vu[n].vtype = RD_KAFKA_VTYPE_RKT;
	vu[n++].u.rkt = rkt;
	vu[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
	vu[n++].u.i = RD_KAFKA_MSG_F_COPY;
	vu[n].vtype = RD_KAFKA_VTYPE_KEY;
	vu[n].u.mem.ptr = (void *)rec->key;
	vu[n++].u.mem.size = rec->key_len;
	vu[n].vtype = RD_KAFKA_VTYPE_VALUE;
	vu[n].u.mem.ptr = (void *)rec->value;
	vu[n++].u.mem.size = rec->value_len;
	vu[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
	vu[n++].u.ptr = tail;
	if (rec->header_schema_id) {
		vu[n].vtype = RD_KAFKA_VTYPE_HEADER;
		vu[n].u.header.name = "schema-id";
		vu[n].u.header.val = rec->header_schema_id;
		vu[n++].u.header.size = (ssize_t)strlen(rec->header_schema_id);
	}
	error = rd_kafka_produceva(rk, vu, n);
	if (!error)
		return RD_KAFKA_RESP_ERR_NO_ERROR;
	err = rd_kafka_error_code(error);
	rd_kafka_error_destroy(error);
	return err;
}

static void cli_produce_progress(const struct cli_produce *p, int64_t start)
{
	double secs = (double)(clock_ns() - start) / 1e9;

	diag_info("produced %" PRIu64 ", delivered %" PRIu64 ", failed %" PRIu64
		  " in %.1f s (%.0f records/s)",
		  p->produced, p->delivered, p->failed, secs,
		  secs > 0 ? (double)p->delivered / secs : 0.0);
}

int cmd_produce(int argc, char **argv)
{
	enum {
		OPT_COUNT = 256,
		OPT_RATE,
		OPT_SEED,
		OPT_VERSIONS,
		OPT_MIX,
		OPT_BAD,
		OPT_ORDERS,
		OPT_MANIFEST,
	};
	static const struct option longopts[] = {
		{"bootstrap", required_argument, NULL, 'b'},
		{"config", required_argument, NULL, 'c'},
		{"topic", required_argument, NULL, 't'},
		{"count", required_argument, NULL, OPT_COUNT},
		{"rate", required_argument, NULL, OPT_RATE},
		{"seed", required_argument, NULL, OPT_SEED},
		{"versions", required_argument, NULL, OPT_VERSIONS},
		{"mix", required_argument, NULL, OPT_MIX},
		{"bad-fraction", required_argument, NULL, OPT_BAD},
		{"orders", required_argument, NULL, OPT_ORDERS},
		{"manifest", required_argument, NULL, OPT_MANIFEST},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cli_produce p = {0};
	struct gen_opts gopts;
	struct gen *gen = NULL;
	struct cfg *cfg = NULL;
	rd_kafka_conf_t *conf = NULL;
	rd_kafka_topic_t *rkt = NULL;
	struct sigaction sa, old_int, old_term;
	const char *bootstrap = NULL, *conf_path = NULL, *topic = "orders";
	char *xs[CLI_PRODUCE_MAX_X];
	size_t nx = 0;
	uint64_t count = 100000, u;
	double rate = 0, tokens = 1, secs;
	int64_t start, last_ns, last_progress;
	bool have_mix = false;
	char errstr[512];
	int opt, rc, ret = 1;

	gen_opts_default(&gopts);
	while ((opt = getopt_long(argc, argv, "b:c:t:X:h", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'b':
			bootstrap = optarg;
			break;
		case 'c':
			conf_path = optarg;
			break;
		case 't':
			if (optarg[0] == '\0') {
				diag_err("-t: empty topic name");
				return 2;
			}
			topic = optarg;
			break;
		case 'X':
			if (nx == CLI_PRODUCE_MAX_X) {
				diag_err("-X: at most %d", CLI_PRODUCE_MAX_X);
				return 2;
			}
			xs[nx++] = optarg;
			break;
		case OPT_COUNT:
			if (cli_produce_parse_u64("--count", optarg, 0,
						  UINT64_MAX / 2, &count))
				return 2;
			break;
		case OPT_RATE:
			if (cli_produce_parse_double("--rate", optarg, 0, 1e9,
						     &rate))
				return 2;
			break;
		case OPT_SEED:
			if (cli_produce_parse_u64("--seed", optarg, 0,
						  UINT64_MAX, &gopts.seed))
				return 2;
			break;
		case OPT_VERSIONS:
		case OPT_MIX:
			if (have_mix) {
				diag_err("give --versions or --mix once");
				return 2;
			}
			have_mix = true;
			if (cli_produce_parse_mix(
				    opt == OPT_MIX ? "--mix" : "--versions",
				    optarg, opt == OPT_MIX, gopts.mix))
				return 2;
			break;
		case OPT_BAD:
			if (cli_produce_parse_double("--bad-fraction", optarg,
						     0, 1, &gopts.bad_fraction))
				return 2;
			break;
		case OPT_ORDERS:
			if (cli_produce_parse_u64("--orders", optarg, 1,
						  10000000, &u))
				return 2;
			gopts.open_orders = (uint32_t)u;
			break;
		case OPT_MANIFEST:
			p.manifest_path = optarg;
			break;
		case 'h':
			cli_produce_usage(stdout);
			return 0;
		default:
			cli_produce_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		diag_err("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (!bootstrap == !conf_path) {
		diag_err("give either -b BOOTSTRAP or -c CONF");
		cli_produce_usage(stderr);
		return 2;
	}

	/* From here on ret stays 1 until the summary. */
	if (conf_path) {
		rc = cfg_load(conf_path, xs, nx, &cfg);
		if (rc < 0) {
			if (rc != -ERR_CONFIG)
				diag_err("%s: %s", conf_path, err_str(rc));
			return 1;
		}
	}
	conf = cli_produce_conf(cfg, bootstrap, xs, nx, &p);
	if (!conf)
		goto out_cfg;
	rc = gen_new(&gopts, &gen);
	if (rc < 0) {
		diag_err("cannot create the record generator: %s", err_str(rc));
		goto out_conf;
	}
	if (p.manifest_path) {
		/* 0640, as every file rawzone writes */
		int fd = open(p.manifest_path,
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

		p.manifest = fd < 0 ? NULL : fdopen(fd, "w");
		if (!p.manifest) {
			if (fd >= 0)
				close(fd);
			diag_err("%s: cannot create the manifest: %s",
				 p.manifest_path, strerror(errno));
			goto out_gen;
		}
		setvbuf(p.manifest, NULL, _IOFBF, 1 << 20);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_produce_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	/* On success the handle owns @conf; on failure it is still ours. */
	p.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!p.rk) {
		diag_err("cannot create the Kafka producer: %s", errstr);
		goto out_signals;
	}
	conf = NULL;
	rkt = rd_kafka_topic_new(p.rk, topic, NULL);
	if (!rkt) {
		diag_err("topic %s: %s", topic,
			 rd_kafka_err2str(rd_kafka_last_error()));
		goto out_rk;
	}

	diag_info("producing %s%" PRIu64 " records to %s at %s (seed %" PRIu64
		  ", %s)",
		  count ? "" : "until stopped, not ", count, topic,
		  cfg ? cfg_kafka_get(cfg, "bootstrap.servers") : bootstrap,
		  gopts.seed,
		  rate > 0 ? "rate-limited" : "as fast as possible");
	start = last_ns = last_progress = clock_ns();
	while ((count == 0 || p.produced < count) && !cli_produce_signals &&
	       !p.fatal) {
		struct gen_record rec;
		rd_kafka_resp_err_t err;
		char *tail = NULL;

		if (rate > 0) {
			cli_produce_throttle(&p, rate, &tokens, &last_ns);
			if (cli_produce_signals || p.fatal)
				break;
		}
		rc = gen_next(gen, &rec);
		if (rc < 0) {
			diag_err("record generator: %s", err_str(rc));
			p.fatal = true;
			break;
		}
		if (p.manifest) {
			char buf[512];
			int n = gen_expect_json(&rec, buf, sizeof(buf));

			if (n < 0 || !(tail = strdup(buf))) {
				diag_err("manifest: out of memory");
				p.fatal = true;
				break;
			}
		}
		while ((err = cli_produce_send(p.rk, rkt, &rec, tail)) ==
		       RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(p.rk, 10); /* let deliveries drain */
		if (err) {
			diag_err("cannot produce to %s: %s", topic,
				 rd_kafka_err2str(err));
			free(tail);
			p.fatal = true;
			break;
		}
		p.produced++;
		p.bytes += rec.key_len + rec.value_len;
		p.outcomes[rec.outcome]++;
		if (p.produced % CLI_PRODUCE_POLL_EVERY == 0) {
			int64_t now;

			rd_kafka_poll(p.rk, 0);
			now = clock_ns();
			if (now - last_progress >= CLI_PRODUCE_PROGRESS_NS) {
				cli_produce_progress(&p, start);
				last_progress = now;
			}
		}
	}
	if (cli_produce_signals)
		diag_info("stop requested: waiting for the %d records in "
			  "flight (again to give up on them)",
			  rd_kafka_outq_len(p.rk));

	/* Wait for every delivery report. A second signal (or a fatal error)
	 * purges what is left; the purged records fail. */
	while (rd_kafka_flush(p.rk, 250) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
		if (cli_produce_signals >= 2 || p.fatal) {
			diag_warn("giving up on %d records not yet delivered",
				  rd_kafka_outq_len(p.rk));
			rd_kafka_purge(p.rk, RD_KAFKA_PURGE_F_QUEUE |
						     RD_KAFKA_PURGE_F_INFLIGHT);
			rd_kafka_flush(p.rk, 5000);
			break;
		}
		if (clock_ns() - last_progress >= CLI_PRODUCE_PROGRESS_NS) {
			cli_produce_progress(&p, start);
			last_progress = clock_ns();
		}
	}
	secs = (double)(clock_ns() - start) / 1e9;

	printf("produced=%" PRIu64 " delivered=%" PRIu64 " failed=%" PRIu64
	       " seconds=%.3f records_per_s=%.0f bytes=%" PRIu64 " ok=%" PRIu64
	       " bad_framing=%" PRIu64 " unknown_schema=%" PRIu64
	       " malformed=%" PRIu64 " invalid=%" PRIu64 "\n",
	       p.produced, p.delivered, p.failed, secs,
	       secs > 0 ? (double)p.delivered / secs : 0.0, p.bytes,
	       p.outcomes[GEN_OK], p.outcomes[GEN_BAD_FRAMING],
	       p.outcomes[GEN_UNKNOWN_SCHEMA], p.outcomes[GEN_MALFORMED],
	       p.outcomes[GEN_INVALID]);
	fflush(stdout);
	ret = 0;
	if (p.fatal) {
		diag_err("stopped on an error after %" PRIu64 " records",
			 p.produced);
		ret = 1;
	}
	if (p.failed || p.delivered != p.produced) {
		diag_err("%" PRIu64 " of %" PRIu64 " records not delivered",
			 p.produced - p.delivered, p.produced);
		ret = 1;
	}

	rd_kafka_topic_destroy(rkt);
out_rk:
	rd_kafka_destroy(p.rk);
out_signals:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (p.manifest) {
		if (fclose(p.manifest) != 0 && !p.manifest_errno)
			p.manifest_errno = errno ? errno : EIO;
		if (p.manifest_errno) {
			diag_err("%s: cannot write the manifest: %s",
				 p.manifest_path, strerror(p.manifest_errno));
			ret = 1;
		}
	}
out_gen:
	gen_free(gen);
out_conf:
	if (conf)
		rd_kafka_conf_destroy(conf);
out_cfg:
	cfg_free(cfg);
	return ret;
}

/* cli/broker.c - `rawzone broker`: librdkafka's mock Kafka cluster, run as
 * a process, for demos and quick tests.
 *
 * The mock cluster (librdkafka/rdkafka_mock.h) lives inside a librdkafka
 * handle: we create a producer handle that never produces and start the
 * cluster on it. Every mock broker listens on 127.0.0.1 (the mock binds
 * INADDR_LOOPBACK, port 0: a fresh port per broker per run); the bootstrap
 * list is printed as the first line of stdout so a script can read it.
 *
 * What the mock is, in librdkafka 2.12.1 (read in src/rdkafka_mock.c and
 * src/rdkafka_mock_handlers.c, and observed):
 *  - data lives in this process's memory and is lost when it stops;
 *  - each partition keeps at most 5 MiB and 100,000 message batches; beyond
 *    that the oldest batches are dropped silently (hard-coded, no knob), so
 *    the log start offset moves and a slow consumer gets
 *    OFFSET_OUT_OF_RANGE;
 *  - a topic unknown to the mock is auto-created (4 partitions, replication
 *    min(3, brokers)) by a Metadata request that names it and allows
 *    creation: a producer's does (allow.auto.create.topics is true for
 *    producers), a consumer's does not (false by default);
 *  - a consumer group's first join waits group.initial.rebalance.delay.ms
 *    (3 s unless set, as on a real broker): --group-delay-ms;
 *  - a broker set down closes its connections and its listener, keeping the
 *    port, so clients get "connection refused" until it is set up again.
 *
 * Signals: the main thread blocks SIGINT, SIGTERM, SIGUSR1, SIGUSR2 before
 * librdkafka starts its threads (which block every signal anyway) and takes
 * them synchronously with sigwaitinfo(): no work runs in a signal handler.
 */
#include "cli/cli.h"

#include "common/diag.h"
#include "common/err.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define CLI_BROKER_MAX_BROKERS 32
#define CLI_BROKER_MAX_PARTITIONS 10000
#define CLI_BROKER_MAX_TOPICS 64
#define CLI_BROKER_MAX_DELAY_MS 300000

struct cli_broker_topic {
	char name[250]; /* Kafka's limit is 249 characters */
	int partitions;
};

static void cli_broker_usage(FILE *out)
{
	fprintf(out,
		"usage: rawzone broker [--brokers N] [--topic NAME:PARTITIONS "
		"...]\n"
		"                      [--group-delay-ms MS] [--help]\n"
		"\n"
		"Runs an embedded Kafka for demos and quick tests: "
		"librdkafka's "
		"mock cluster,\n"
		"listening on 127.0.0.1 only, on fresh ports each run. Prints "
		"the bootstrap\n"
		"servers (127.0.0.1:PORT,...) as the first line on stdout, "
		"then "
		"runs until\n"
		"SIGTERM or SIGINT.\n"
		"\n"
		"  --brokers N              number of brokers, 1 to %d "
		"(default 3)\n"
		"  --topic NAME:PARTITIONS  create a topic; repeat for more. "
		"Default: orders:8.\n"
		"                           Replication factor: min(3, "
		"brokers).\n"
		"  --group-delay-ms MS      how long a consumer group's first "
		"join waits\n"
		"                           for more members (a broker's\n"
		"                           group.initial.rebalance.delay.ms; "
		"Kafka's\n"
		"                           default is 3000). Default 0, 0 to "
		"%d.\n"
		"  -h, --help               this text\n"
		"\n"
		"Signals:\n"
		"  SIGTERM, SIGINT  destroy the cluster and exit 0\n"
		"  SIGUSR1          set every broker down: connections are "
		"closed and new\n"
		"                   ones refused (ports are kept)\n"
		"  SIGUSR2          set every broker up again\n"
		"\n"
		"Limits (librdkafka's mock, hard-coded):\n"
		"  - data lives in memory only; it is lost when the broker "
		"stops;\n"
		"  - each partition keeps at most 5 MiB and 100,000 batches; "
		"older records\n"
		"    are dropped silently (the log start offset moves);\n"
		"  - a topic that does not exist is auto-created, empty, with "
		"4 partitions,\n"
		"    when a producer names it (a consumer does not create "
		"topics).\n",
		CLI_BROKER_MAX_BROKERS, CLI_BROKER_MAX_DELAY_MS);
}

/* librdkafka's log lines, through diag. The handle's own notices (it has no
 * bootstrap.servers: it never connects anywhere) are debug. */
static void cli_broker_log_cb(const rd_kafka_t *rk, int level, const char *fac,
			      const char *buf)
{
	(void)rk;
	if (level <= LOG_ERR)
		diag_err("librdkafka %s: %s", fac, buf);
	else if (level == LOG_WARNING)
		diag_warn("librdkafka %s: %s", fac, buf);
	else
		diag_debug("librdkafka %s: %s", fac, buf);
}

/* Parse the value of --@name into @out: an integer from @min to @max.
 * Returns 0 or -EINVAL (reported). */
static int cli_broker_parse_int(const char *name, const char *arg, long min,
				long max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < min || n > max) {
		diag_err("--%s %s: must be %ld to %ld", name, arg, min, max);
		return -EINVAL;
	}
	*out = (int)n;
	return 0;
}

/* Parse "NAME:PARTITIONS" into @t. Returns 0 or -EINVAL (reported). */
static int cli_broker_parse_topic(const char *arg, struct cli_broker_topic *t)
{
	const char *colon = strrchr(arg, ':'), *c;
	size_t len;
	char *end;
	long n;

	if (!colon || colon == arg) {
		diag_err("--topic %s: expected NAME:PARTITIONS", arg);
		return -EINVAL;
	}
	len = (size_t)(colon - arg);
	if (len >= sizeof(t->name)) {
		diag_err("--topic %s: a topic name has at most %zu characters",
			 arg, sizeof(t->name) - 1);
		return -EINVAL;
	}
	for (c = arg; c < colon; c++)
		if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
		    !(*c >= '0' && *c <= '9') && *c != '.' && *c != '_' &&
		    *c != '-') {
			diag_err("--topic %s: a topic name is made of "
				 "[A-Za-z0-9._-]",
				 arg);
			return -EINVAL;
		}
	errno = 0;
	n = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || n < 1 ||
	    n > CLI_BROKER_MAX_PARTITIONS) {
		diag_err("--topic %s: PARTITIONS must be 1 to %d", arg,
			 CLI_BROKER_MAX_PARTITIONS);
		return -EINVAL;
	}
	memcpy(t->name, arg, len);
	t->name[len] = '\0';
	t->partitions = (int)n;
	return 0;
}

/* Set every broker of @mcluster up or down. Returns 0 or -ERR_KAFKA
 * (reported). */
static int cli_broker_set_all(rd_kafka_mock_cluster_t *mcluster, int nbrokers,
			      bool up)
{
	rd_kafka_resp_err_t err;
	int id, ret = 0;

	/* Broker ids are 1..nbrokers (rdkafka_mock.h). */
	for (id = 1; id <= nbrokers; id++) {
		err = up ? rd_kafka_mock_broker_set_up(mcluster, id)
			 : rd_kafka_mock_broker_set_down(mcluster, id);
		if (err) {
			diag_err("mock broker %d: cannot set it %s: %s", id,
				 up ? "up" : "down", rd_kafka_err2str(err));
			ret = -ERR_KAFKA;
		}
	}
	return ret;
}

int cmd_broker(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"brokers", required_argument, NULL, 'n'},
		{"topic", required_argument, NULL, 't'},
		{"group-delay-ms", required_argument, NULL, 'g'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cli_broker_topic topics[CLI_BROKER_MAX_TOPICS];
	rd_kafka_mock_cluster_t *mcluster = NULL;
	rd_kafka_conf_t *conf = NULL;
	rd_kafka_t *rk = NULL;
	int ntopics = 0, nbrokers = 3, delay_ms = 0, opt, i, ret = 1;
	sigset_t sigs, oldsigs;
	char errstr[512];
	bool down = false;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (cli_broker_parse_int("brokers", optarg, 1,
						 CLI_BROKER_MAX_BROKERS,
						 &nbrokers))
				return 2;
			break;
		case 'g':
			if (cli_broker_parse_int("group-delay-ms", optarg, 0,
						 CLI_BROKER_MAX_DELAY_MS,
						 &delay_ms))
				return 2;
			break;
		case 't':
			if (ntopics == CLI_BROKER_MAX_TOPICS) {
				diag_err("--topic: at most %d topics",
					 CLI_BROKER_MAX_TOPICS);
				return 2;
			}
			if (cli_broker_parse_topic(optarg, &topics[ntopics]))
				return 2;
			for (i = 0; i < ntopics; i++)
				if (!strcmp(topics[i].name,
					    topics[ntopics].name)) {
					diag_err("--topic %s: topic given "
						 "twice",
						 optarg);
					return 2;
				}
			ntopics++;
			break;
		case 'h':
			cli_broker_usage(stdout);
			return 0;
		default:
			cli_broker_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		diag_err("unexpected argument '%s'", argv[optind]);
		cli_broker_usage(stderr);
		return 2;
	}
	if (ntopics == 0) {
		snprintf(topics[0].name, sizeof(topics[0].name), "orders");
		topics[0].partitions = 8;
		ntopics = 1;
	}

	/* Blocked before librdkafka creates a thread, so that every one of
	 * them inherits the mask and the signals wait for sigwaitinfo(). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	if (pthread_sigmask(SIG_BLOCK, &sigs, &oldsigs)) {
		diag_err("cannot block signals");
		return 1;
	}

	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, cli_broker_log_cb);
	if (rd_kafka_conf_set(conf, "client.id", "rawzone-broker", errstr,
			      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		diag_err("librdkafka configuration: %s", errstr);
		goto out_conf;
	}
	/* The handle the cluster lives in; on success it owns @conf. */
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		diag_err("cannot create the librdkafka handle: %s", errstr);
		goto out_conf;
	}
	conf = NULL;

	mcluster = rd_kafka_mock_cluster_new(rk, nbrokers);
	if (!mcluster) {
		diag_err("cannot start the mock cluster of %d brokers on "
			 "127.0.0.1 (see the librdkafka lines above)",
			 nbrokers);
		goto out_rk;
	}
	rd_kafka_mock_group_initial_rebalance_delay_ms(mcluster, delay_ms);
	for (i = 0; i < ntopics; i++) {
		int rf = nbrokers < 3 ? nbrokers : 3;
		rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
			mcluster, topics[i].name, topics[i].partitions, rf);

		if (err) {
			diag_err("cannot create topic %s (%d partitions, "
				 "replication %d): %s",
				 topics[i].name, topics[i].partitions, rf,
				 rd_kafka_err2str(err));
			goto out_cluster;
		}
	}

	/* The contract with scripts: the first stdout line, alone. */
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
	if (fflush(stdout) == EOF) {
		diag_err("cannot write the bootstrap servers to stdout: %s",
			 strerror(errno));
		goto out_cluster;
	}
	for (i = 0; i < ntopics; i++)
		diag_info("topic %s: %d partitions", topics[i].name,
			  topics[i].partitions);
	diag_info("mock Kafka cluster of %d brokers at %s; a group's first "
		  "join waits %d ms",
		  nbrokers, rd_kafka_mock_cluster_bootstraps(mcluster),
		  delay_ms);
	diag_info("NOTE: data lives in memory only and is lost when this "
		  "broker stops");
	diag_info("NOTE: librdkafka's mock keeps at most 5 MiB and "
		  "100,000 batches per partition and silently drops older "
		  "records (hard-coded)");
	diag_info("SIGTERM/SIGINT stop; SIGUSR1 sets every broker down, "
		  "SIGUSR2 up again");

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&sigs, &si);

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			diag_err("sigwaitinfo: %s", strerror(errno));
			goto out_cluster;
		}
		if (sig == SIGINT || sig == SIGTERM) {
			diag_info("%s: stopping; the data is discarded",
				  sig == SIGINT ? "SIGINT" : "SIGTERM");
			break;
		}
		if (sig == SIGUSR1) {
			if (cli_broker_set_all(mcluster, nbrokers, false) == 0)
				diag_info("SIGUSR1: every broker is down%s",
					  down ? " (already)" : "");
			down = true;
		} else {
			if (cli_broker_set_all(mcluster, nbrokers, true) == 0)
				diag_info("SIGUSR2: every broker is up%s",
					  down ? "" : " (already)");
			down = false;
		}
	}
	ret = 0;

out_cluster:
	rd_kafka_mock_cluster_destroy(mcluster);
	diag_debug("mock cluster destroyed");
out_rk:
	rd_kafka_destroy(rk);
	diag_debug("librdkafka handle destroyed");
out_conf:
	if (conf)
		rd_kafka_conf_destroy(conf);
	pthread_sigmask(SIG_SETMASK, &oldsigs, NULL);
	return ret;
}

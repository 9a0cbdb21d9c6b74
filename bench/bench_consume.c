/* bench/bench_consume.c - the bare consumer: rawzone-land's librdkafka
 * settings and batch loop with the landing taken out.
 *
 * It subscribes to one topic in a consumer group (a fresh one per run, so it
 * reads from auto.offset.reset = earliest), takes batches with
 * rd_kafka_consume_batch_queue() from the consumer queue without blocking,
 * sleeps in poll(2) on the queue's I/O event pipe when it is empty - the
 * loop of land/main.c - and counts and discards every record. It stops at
 * the record that brings the count to N and prints, measured from the start
 * of main() to that record:
 *
 *   bench_consume: records=N bytes=B seconds=S cpu_s=C maxrss_kib=K
 *                  first_s=F end_unix=E threads=NAME/CPU,...
 *
 * bytes are payload bytes; end_unix is the wall-clock time of that record
 * (seconds since 1970, as bash's $EPOCHREALTIME: a script measures from
 * before it starts the program, the program's own start included); cpu_s
 * is user + system time of all threads;
 * first_s is when the first record arrived (group join and first fetch);
 * threads is the CPU time of each thread (the main one is "bench_consume",
 * librdkafka's fetchers "rdk:brokerN").
 * Exit 0 on success; 1 when a record carries an error, the client fails,
 * or N records do not arrive within the time limit; 2 on bad usage.
 *
 * For the analysis of where land's time goes, -W adds land's per-record
 * work back, one piece at a time, still without any I/O:
 *   -W touch    read every byte of each record's key and value, and
 *               nothing else: the least any consumer that keeps the
 *               bytes pays over one that counts them;
 *   -W headers  ask librdkafka for each record's headers and timestamp
 *               (headers are parsed on first access), as land would
 *               without land/headers.h;
 *   -W frame    what land_add() does, without the write: headers as land
 *               tells them (land_headers_none(), librdkafka only where the
 *               record's bytes do not tell), the timestamp, and the frame
 *               (log/record.h, with its CRC32C) into a 256 KiB buffer that
 *               is reused when full.
 * The default (-W none) is the bare consumer of the benchmark.
 *
 * The settings below are land's (land/consumer.c, tuned and required) and
 * must stay in step with them: bench/land.sh compares `--settings` with
 * `rawzone-land --help` and refuses to run when they differ. -X overrides
 * apply after them, as land's [kafka] section does.
 */
#include "bench/bench.h"

#include "land/headers.h"
#include "log/record.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* land/consumer.c: tuned[] */
static const char *const tuned[][2] = {
	{"auto.offset.reset", "earliest"},
	{"queued.min.messages", "5000000"},
	{"queued.max.messages.kbytes", "262144"},
	{"fetch.queue.backoff.ms", "10"},
	{"fetch.wait.max.ms", "10"},
	{"fetch.max.bytes", "52428800"},
	{"max.partition.fetch.bytes", "4194304"},
	{"enable.partition.eof", "false"},
	{"session.timeout.ms", "45000"},
};

/* land/consumer.c: required[] */
static const char *const required[][2] = {
	{"enable.auto.commit", "false"},
	{"enable.auto.offset.store", "false"},
};

#define NTUNED (sizeof(tuned) / sizeof(tuned[0]))
#define NREQUIRED (sizeof(required) / sizeof(required[0]))

enum work { WORK_NONE, WORK_TOUCH, WORK_HEADERS, WORK_FRAME };

#define FRAME_BUF (256u * 1024)

/* Folded into the result so the compiler keeps the reads of -W touch. */
static volatile uint64_t touched;

/* Every byte of @len at @p read once, 8 at a time. */
static uint64_t touch(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t x = 0, w;
	size_t i;

	if (!b)
		return 0;
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, b + i, 8);
		x ^= w;
	}
	for (; i < len; i++)
		x ^= b[i];
	return x;
}

/* What land_add() does with a record, to the level of @w. Returns the
 * framed size (0 below WORK_FRAME); -1 if the record does not fit. */
static long do_work(enum work w, const rd_kafka_message_t *m, char *buf,
		    size_t *used)
{
	rd_kafka_headers_t *hdrs = NULL;
	rd_kafka_timestamp_type_t tstype;
	struct log_rec rec = {0};
	size_t size;
	int64_t ts;

	if (w == WORK_NONE)
		return 0;
	if (w == WORK_TOUCH) {
		touched ^=
			touch(m->key, m->key_len) ^ touch(m->payload, m->len);
		return 0;
	}
	/* No record of the benchmark has headers: a count of 0 is all
	 * there is to find. */
	if ((w == WORK_HEADERS || !land_headers_none(m)) &&
	    rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
	    rd_kafka_header_cnt(hdrs) > 0)
		return -1;
	ts = rd_kafka_message_timestamp(m, &tstype);
	if (w == WORK_HEADERS)
		return 0;
	rec.offset = m->offset;
	rec.timestamp = ts;
	rec.ts_type = (uint8_t)tstype;
	rec.key = m->key;
	rec.key_len = (uint32_t)m->key_len;
	rec.value = m->payload;
	rec.value_len = (uint32_t)m->len;
	size = log_rec_size(&rec);
	if (size > FRAME_BUF)
		return -1;
	if (*used + size > FRAME_BUF)
		*used = 0;
	log_rec_encode(&rec, buf + *used);
	*used += size;
	return (long)size;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench_consume -b BOOTSTRAP -t TOPIC -n RECORDS "
		"[-g GROUP] [-B BATCH]\n"
		"                     [-T SECONDS] [-X KEY=VALUE ...]\n"
		"       bench_consume --settings\n"
		"\n"
		"Consumes RECORDS records of TOPIC in consumer group GROUP "
		"(default: a fresh\n"
		"one) with rawzone-land's librdkafka settings and batch loop, "
		"counting and\n"
		"discarding them, and prints records, payload bytes, seconds, "
		"CPU seconds and\n"
		"peak RSS.\n"
		"\n"
		"  -B BATCH     records per rd_kafka_consume_batch_queue() "
		"(default 10000,\n"
		"               land's [land] batch_records)\n"
		"  -T SECONDS   give up after this long (default 600)\n"
		"  -W WORK      none (default), touch, headers or frame: "
		"land's "
		"per-record work\n"
		"               without I/O, for profiling (see the source)\n"
		"  -X KEY=VALUE a librdkafka property, applied after land's "
		"(repeatable)\n"
		"  --settings   print land's settings as rawzone-land --help "
		"does, and exit\n");
}

static void print_settings(void)
{
	size_t i;

	for (i = 0; i < NTUNED; i++)
		printf("  %s = %s\n", tuned[i][0], tuned[i][1]);
	for (i = 0; i < NREQUIRED; i++)
		printf("  %s = %s\n", required[i][0], required[i][1]);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk;
	(void)opaque;
	fprintf(stderr, "bench_consume: Kafka: %s: %s\n",
		rd_kafka_err2name(err), reason);
}

static rd_kafka_t *consumer_new(const char *bootstrap, const char *group,
				char **xs, size_t nx)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512];
	rd_kafka_t *rk;
	size_t i, j;

	for (i = 0; i < NTUNED; i++)
		if (bench_conf_set(conf, tuned[i][0], tuned[i][1]) < 0)
			goto out_conf;
	if (bench_conf_set(conf, "bootstrap.servers", bootstrap) < 0 ||
	    bench_conf_set(conf, "group.id", group) < 0 ||
	    bench_conf_set(conf, "client.id", "bench_consume") < 0)
		goto out_conf;
	for (i = 0; i < nx; i++) {
		for (j = 0; j < NREQUIRED; j++) {
			size_t kl = strlen(required[j][0]);

			if (strncmp(xs[i], required[j][0], kl) == 0 &&
			    xs[i][kl] == '=') {
				fprintf(stderr,
					"-X %s: land requires %s = %s\n", xs[i],
					required[j][0], required[j][1]);
				goto out_conf;
			}
		}
		if (bench_conf_kv(conf, xs[i]) < 0)
			goto out_conf;
	}
	for (i = 0; i < NREQUIRED; i++)
		if (bench_conf_set(conf, required[i][0], required[i][1]) < 0)
			goto out_conf;
	rd_kafka_conf_set_error_cb(conf, error_cb);

	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "bench_consume: rd_kafka_new: %s\n", errstr);
		goto out_conf;
	}
	/* conf is owned by rk now */
	rd_kafka_poll_set_consumer(rk);
	return rk;

out_conf:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"settings", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *bootstrap = NULL, *topic = NULL, *group = NULL;
	char group_buf[128], reason[512], threads[1024];
	char **xs = NULL;
	size_t nx = 0, batch = 10000;
	uint64_t target = 0, records = 0, bytes = 0;
	double t0 = bench_now(), limit = 600, secs = 0, cpu = 0, first = -1,
	       end_unix;
	rd_kafka_t *rk = NULL;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_message_t **msgs = NULL;
	rd_kafka_topic_partition_list_t *topics;
	rd_kafka_resp_err_t err;
	long rss = 0;
	int pipefd[2] = {-1, -1};
	int opt, status = 1;
	enum work work = WORK_NONE;
	char *frame_buf = NULL;
	size_t frame_used = 0;

	while ((opt = getopt_long(argc, argv, "b:t:n:g:B:T:W:X:h", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'b':
			bootstrap = optarg;
			break;
		case 't':
			topic = optarg;
			break;
		case 'n':
			target = strtoull(optarg, NULL, 10);
			break;
		case 'g':
			group = optarg;
			break;
		case 'B':
			batch = strtoul(optarg, NULL, 10);
			break;
		case 'T':
			limit = strtod(optarg, NULL);
			break;
		case 'W':
			if (strcmp(optarg, "none") == 0)
				work = WORK_NONE;
			else if (strcmp(optarg, "headers") == 0)
				work = WORK_HEADERS;
			else if (strcmp(optarg, "touch") == 0)
				work = WORK_TOUCH;
			else if (strcmp(optarg, "frame") == 0)
				work = WORK_FRAME;
			else {
				usage(stderr);
				return 2;
			}
			break;
		case 'X':
			xs = realloc(xs, (nx + 1) * sizeof(*xs));
			if (!xs)
				return 1;
			xs[nx++] = optarg;
			break;
		case 'S':
			print_settings();
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!bootstrap || !topic || target == 0 || batch == 0 ||
	    batch > 1000000 || limit <= 0 || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!group) {
		snprintf(group_buf, sizeof(group_buf), "bench_consume-%d-%.0f",
			 (int)getpid(), t0 * 1e3);
		group = group_buf;
	}

	rk = consumer_new(bootstrap, group, xs, nx);
	if (!rk)
		goto out;
	topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (err) {
		fprintf(stderr, "bench_consume: subscribe %s: %s\n", topic,
			rd_kafka_err2str(err));
		goto out;
	}
	q = rd_kafka_queue_get_consumer(rk);
	msgs = malloc(batch * sizeof(*msgs));
	land_headers_init();
	frame_buf = malloc(FRAME_BUF);
	if (!q || !msgs || !frame_buf ||
	    pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) < 0)
		goto out;
	/* As land: librdkafka writes to the pipe when the queue turns
	 * non-empty, and the loop sleeps in poll() on it. */
	rd_kafka_queue_io_event_enable(q, pipefd[1], "1", 1);

	while (records < target) {
		ssize_t n, i;

		n = rd_kafka_consume_batch_queue(q, 0, msgs, batch);
		for (i = 0; i < n; i++) {
			rd_kafka_message_t *m = msgs[i];

			if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
				if (first < 0)
					first = bench_now() - t0;
				if (do_work(work, m, frame_buf, &frame_used) <
				    0) {
					fprintf(stderr, "bench_consume: -W: "
							"unexpected record\n");
					for (; i < n; i++)
						rd_kafka_message_destroy(
							msgs[i]);
					goto out;
				}
				if (records < target) {
					records++;
					bytes += m->len;
				}
			} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				fprintf(stderr,
					"bench_consume: %s [%d]: %s (the run "
					"does not count)\n",
					m->rkt ? rd_kafka_topic_name(m->rkt)
					       : "?",
					(int)m->partition,
					rd_kafka_message_errstr(m));
				for (; i < n; i++)
					rd_kafka_message_destroy(msgs[i]);
				goto out;
			}
			rd_kafka_message_destroy(m);
		}
		if (records >= target)
			break;
		if (rd_kafka_fatal_error(rk, reason, sizeof(reason))) {
			fprintf(stderr, "bench_consume: fatal: %s\n", reason);
			goto out;
		}
		if (bench_now() - t0 > limit) {
			fprintf(stderr,
				"bench_consume: only %" PRIu64 " of %" PRIu64
				" records after %.0f s\n",
				records, target, limit);
			goto out;
		}
		if (n <= 0) {
			struct pollfd pfd = {pipefd[0], POLLIN, 0};
			char drain[64];

			poll(&pfd, 1, 1000);
			while (read(pipefd[0], drain, sizeof(drain)) > 0)
				;
		}
	}
	end_unix = bench_unix_now();
	secs = bench_now() - t0;
	cpu = bench_cpu_s();
	rss = bench_maxrss_kib();
	bench_threads(0, threads, sizeof(threads));
	printf("bench_consume: records=%" PRIu64 " bytes=%" PRIu64
	       " seconds=%.3f cpu_s=%.3f maxrss_kib=%ld first_s=%.3f "
	       "end_unix=%.6f threads=%s\n",
	       records, bytes, secs, cpu, rss, first, end_unix, threads);
	fflush(stdout);
	status = 0;

out:
	if (q)
		rd_kafka_queue_destroy(q);
	if (rk) {
		/* Leave the group at once; nothing was committed. */
		rd_kafka_consumer_close(rk);
		rd_kafka_destroy(rk);
	}
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	free(msgs);
	free(frame_buf);
	free(xs);
	return status;
}

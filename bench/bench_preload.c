/* bench/bench_preload.c - fill a topic with N records of a fixed-size value
 * for the consume benchmarks.
 *
 * Record i (0 <= i < N) goes to partition i % P, where P is the topic's
 * partition count read from the broker, so every partition gets N / P
 * records (the mock broker keeps at most 5 MiB per partition: size N and P
 * to fit). Its key is "k%011" PRIu64 of i (12 bytes); its value is exactly
 * VALUE_BYTES bytes (default 200): "%012" PRIu64 "|" of i followed by
 * letters a-p drawn from a xorshift generator seeded with i. The content depends on
 * i alone: two preloads write the same records.
 *
 * The producer is idempotent (acks=all, no duplicates or reordering on
 * retry), uncompressed, and waits for the delivery report of every record.
 * Prints
 *
 *   bench_preload: records=N bytes=B seconds=S
 *
 * (bytes: value bytes). Exit 0 when every record was acknowledged; 1 when
 * any delivery failed or the time limit passed; 2 on bad usage.
 */
#include "bench/bench.h"

#include <getopt.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct preload {
	uint64_t acked;
	uint64_t failed;
	rd_kafka_resp_err_t first_err;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench_preload -b BOOTSTRAP -t TOPIC -n RECORDS "
		"[-s VALUE_BYTES] [-T SECONDS]\n"
		"                     [-X KEY=VALUE ...]\n"
		"\n"
		"Produces RECORDS records of exactly VALUE_BYTES bytes "
		"(default 200) to TOPIC,\n"
		"record i to partition i %% partitions, idempotent and "
		"acks=all, and waits for\n"
		"every delivery report. -X sets a producer property (after "
		"the defaults);\n"
		"-T gives up after SECONDS (default 600).\n");
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct preload *pl = opaque;

	(void)rk;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		pl->acked++;
		return;
	}
	if (pl->failed++ == 0) {
		pl->first_err = m->err;
		fprintf(stderr, "bench_preload: delivery to [%d] failed: %s\n",
			(int)m->partition, rd_kafka_err2str(m->err));
	}
}

/* The value of record @i: @len bytes, a function of @i alone. */
static void fill_value(char *v, size_t len, uint64_t i)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ull + 1;
	char head[32];
	size_t j, hl;

	hl = (size_t)snprintf(head, sizeof(head), "%012" PRIu64 "|", i);
	if (hl > len)
		hl = len;
	memcpy(v, head, hl);
	for (j = hl; j < len;) {
		uint64_t r;
		int k;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* 16 letters a-p from each draw, 4 bits each. */
		for (r = x, k = 0; k < 16 && j < len; k++, j++, r >>= 4)
			v[j] = (char)('a' + (r & 15));
	}
}

static int topic_partitions(rd_kafka_t *rk, const char *topic)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	rd_kafka_resp_err_t err;
	int n = -1;

	if (!rkt)
		return -1;
	err = rd_kafka_metadata(rk, 0, rkt, &md, 30000);
	if (err) {
		fprintf(stderr, "bench_preload: metadata of %s: %s\n", topic,
			rd_kafka_err2str(err));
	} else if (md->topic_cnt != 1 || md->topics[0].err) {
		fprintf(stderr, "bench_preload: topic %s: %s\n", topic,
			md->topic_cnt ? rd_kafka_err2str(md->topics[0].err)
				      : "not in metadata");
	} else {
		n = md->topics[0].partition_cnt;
	}
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return n;
}

int main(int argc, char **argv)
{
	const char *bootstrap = NULL, *topic = NULL;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	struct preload pl = {0};
	uint64_t target = 0, i;
	size_t vlen = 200;
	double t0, limit = 600;
	char errstr[512], key[32], *val = NULL;
	rd_kafka_t *rk = NULL;
	int opt, nparts, status = 1;

	/* Idempotent, acks=all; large batches, no compression (consumers
	 * are measured on the bytes as they are). */
	if (bench_conf_set(conf, "enable.idempotence", "true") < 0 ||
	    bench_conf_set(conf, "acks", "all") < 0 ||
	    bench_conf_set(conf, "compression.codec", "none") < 0 ||
	    bench_conf_set(conf, "linger.ms", "20") < 0 ||
	    bench_conf_set(conf, "batch.num.messages", "10000") < 0 ||
	    bench_conf_set(conf, "batch.size", "1000000") < 0 ||
	    bench_conf_set(conf, "queue.buffering.max.messages", "1000000") <
		    0 ||
	    bench_conf_set(conf, "queue.buffering.max.kbytes", "1048576") < 0 ||
	    bench_conf_set(conf, "client.id", "bench_preload") < 0)
		goto out_conf;
	while ((opt = getopt(argc, argv, "b:t:n:s:T:X:h")) != -1) {
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
		case 's':
			vlen = strtoul(optarg, NULL, 10);
			break;
		case 'T':
			limit = strtod(optarg, NULL);
			break;
		case 'X':
			if (bench_conf_kv(conf, optarg) < 0)
				goto out_conf;
			break;
		case 'h':
			usage(stdout);
			status = 0;
			goto out_conf;
		default:
			usage(stderr);
			status = 2;
			goto out_conf;
		}
	}
	if (!bootstrap || !topic || target == 0 || vlen == 0 ||
	    vlen > (1u << 20) || limit <= 0 || optind != argc) {
		usage(stderr);
		status = 2;
		goto out_conf;
	}
	if (bench_conf_set(conf, "bootstrap.servers", bootstrap) < 0)
		goto out_conf;
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	rd_kafka_conf_set_opaque(conf, &pl);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "bench_preload: rd_kafka_new: %s\n", errstr);
		goto out_conf;
	}
	conf = NULL; /* owned by rk now */

	nparts = topic_partitions(rk, topic);
	if (nparts <= 0)
		goto out;
	val = malloc(vlen);
	if (!val)
		goto out;
	t0 = bench_now();
	for (i = 0; i < target && !pl.failed; i++) {
		rd_kafka_resp_err_t err;

		fill_value(val, vlen, i);
		snprintf(key, sizeof(key), "k%011" PRIu64, i);
		for (;;) {
			err = rd_kafka_producev(
				rk, RD_KAFKA_V_TOPIC(topic),
				RD_KAFKA_V_PARTITION(
					(int32_t)(i % (uint64_t)nparts)),
				RD_KAFKA_V_KEY(key, 12),
				RD_KAFKA_V_VALUE(val, vlen),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_END);
			if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
				break;
			rd_kafka_poll(rk, 10); /* serve delivery reports */
			if (bench_now() - t0 > limit)
				break;
		}
		if (err) {
			fprintf(stderr,
				"bench_preload: produce record %" PRIu64
				": %s\n",
				i, rd_kafka_err2str(err));
			goto out;
		}
		if (i % 1024 == 0)
			rd_kafka_poll(rk, 0);
	}
	while (rd_kafka_outq_len(rk) > 0 && bench_now() - t0 <= limit)
		rd_kafka_flush(rk, 1000);
	if (pl.failed || pl.acked != target) {
		fprintf(stderr,
			"bench_preload: %" PRIu64 " of %" PRIu64
			" records acknowledged, %" PRIu64 " failed%s%s\n",
			pl.acked, target, pl.failed, pl.failed ? ": " : "",
			pl.failed ? rd_kafka_err2str(pl.first_err) : "");
		goto out;
	}
	printf("bench_preload: records=%" PRIu64 " bytes=%" PRIu64
	       " seconds=%.3f partitions=%d\n",
	       pl.acked, pl.acked * (uint64_t)vlen, bench_now() - t0, nparts);
	fflush(stdout);
	status = 0;

out:
	free(val);
	if (rk) {
		rd_kafka_flush(rk, 5000);
		rd_kafka_destroy(rk);
	}
	return status;

out_conf:
	if (conf)
		rd_kafka_conf_destroy(conf);
	return status;
}

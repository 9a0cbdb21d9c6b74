/* tests/tools/kread.c - an independent reader of a topic, for checking the
 * raw zone against the broker: reads every partition from the beginning to
 * its high watermark with librdkafka's simple assign API and prints one JSON
 * line per record, in the format of `rawzone cat --json`. Deliberately uses
 * none of rawzone's code.
 *
 *   kread -b BOOTSTRAP -t TOPIC
 * Exit 0, or 1 with a message.
 */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void b64(const unsigned char *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
				"uvwxyz0123456789+/";
	size_t i;

	putchar('"');
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 |
			     p[i + 2];

		printf("%c%c%c%c", t[v >> 18], t[(v >> 12) & 63],
		       t[(v >> 6) & 63], t[v & 63]);
	}
	if (i < n) {
		unsigned v = (unsigned)p[i] << 16 |
			     (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);

		printf("%c%c%c=", t[v >> 18], t[(v >> 12) & 63],
		       i + 1 < n ? t[(v >> 6) & 63] : '=');
	}
	putchar('"');
}

static void str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

int main(int argc, char **argv)
{
	const char *bootstrap = NULL, *topic = NULL;
	char err[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	const rd_kafka_metadata_t *md;
	rd_kafka_topic_partition_list_t *list;
	int64_t *hw;
	int64_t left = 0;
	int opt, i, np;

	while ((opt = getopt(argc, argv, "b:t:")) != -1) {
		if (opt == 'b')
			bootstrap = optarg;
		else if (opt == 't')
			topic = optarg;
		else
			return 2;
	}
	if (!bootstrap || !topic) {
		fprintf(stderr, "usage: kread -b BOOTSTRAP -t TOPIC\n");
		return 2;
	}
	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err,
			      sizeof(err)) ||
	    rd_kafka_conf_set(conf, "group.id", "kread", err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err,
			      sizeof(err))) {
		fprintf(stderr, "kread: %s\n", err);
		return 1;
	}
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "kread: %s\n", err);
		return 1;
	}
	{
		rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);

		if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) ||
		    md->topic_cnt != 1 || md->topics[0].err) {
			fprintf(stderr, "kread: no metadata for %s\n", topic);
			return 1;
		}
		rd_kafka_topic_destroy(rkt);
	}
	np = md->topics[0].partition_cnt;
	hw = calloc((size_t)np, sizeof(*hw));
	list = rd_kafka_topic_partition_list_new(np);
	for (i = 0; i < np; i++) {
		int64_t lo, hi;

		if (rd_kafka_query_watermark_offsets(rk, topic, i, &lo, &hi,
						     10000)) {
			fprintf(stderr,
				"kread: no watermarks for partition %d\n", i);
			return 1;
		}
		hw[i] = hi;
		if (hi > lo) {
			rd_kafka_topic_partition_list_add(list, topic, i)
				->offset = lo;
			left += hi - lo;
		}
	}
	rd_kafka_metadata_destroy(md);
	if (rd_kafka_assign(rk, list)) {
		fprintf(stderr, "kread: assign failed\n");
		return 1;
	}
	while (left > 0) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 5000);
		rd_kafka_headers_t *hdrs;
		rd_kafka_timestamp_type_t tt;
		int64_t ts;
		const char *name;
		const void *val;
		size_t vs, h;

		if (!m) {
			fprintf(stderr,
				"kread: timed out with %" PRId64
				" records left\n",
				left);
			return 1;
		}
		if (m->err) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				fprintf(stderr, "kread: %s\n",
					rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		if (m->offset >= hw[m->partition]) {
			rd_kafka_message_destroy(m);
			continue;
		}
		ts = rd_kafka_message_timestamp(m, &tt);
		printf("{\"topic\":");
		str(topic);
		printf(",\"partition\":%d,\"offset\":%" PRId64
		       ",\"timestamp_ms\":%" PRId64
		       ",\"timestamp_type\":\"%s\",\"key\":",
		       (int)m->partition, m->offset, ts,
		       tt == RD_KAFKA_TIMESTAMP_CREATE_TIME	  ? "create"
		       : tt == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? "log_append"
								  : "none");
		if (m->key)
			b64(m->key, m->key_len);
		else
			printf("null");
		printf(",\"headers\":[");
		if (rd_kafka_message_headers(m, &hdrs) == 0)
			for (h = 0; rd_kafka_header_get_all(hdrs, h, &name,
							    &val, &vs) == 0;
			     h++) {
				printf(h ? ",{\"key\":" : "{\"key\":");
				str(name);
				printf(",\"value\":");
				if (val)
					b64(val, vs);
				else
					printf("null");
				printf("}");
			}
		printf("],\"value\":");
		if (m->payload)
			b64(m->payload, m->len);
		else
			printf("null");
		printf("}\n");
		left--;
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return 0;
}

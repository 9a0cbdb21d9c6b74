/* cli/status.c - `rawzone status`: where every partition stands, stage by
 * stage, from the files the stages write (checkpoints) and, unless
 * --offline, the broker's high watermarks.
 */
#include "cli/cli.h"

#include "cli/sinkdb.h"
#include "common/config.h"
#include "common/diag.h"
#include "common/err.h"
#include "common/json.h"
#include "log/checkpoint.h"
#include "log/layout.h"
#include "log/segment.h"

#include <errno.h>
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct st_row {
	char topic[LOG_CK_TOPIC_MAX + 1];
	int32_t partition;
	int64_t high;	   /* broker high watermark, -1 unknown */
	int64_t committed; /* the group's committed offset, -1 none */
	int64_t landed;	   /* next offset to land, -1 none */
	uint64_t land_seg, land_pos;
	int64_t decoded;	   /* next offset to decode, -1 none */
	uint64_t dec_seg, dec_pos; /* raw position decoded up to */
	uint64_t out_seg, out_pos; /* decoded log's durable end */
	int64_t outcomes;	   /* outcomes decode has written, ever */
	bool xf_caught_up;	   /* transform has applied all decode wrote */
};

struct st_table {
	struct st_row *r;
	size_t n, cap;
};

static struct st_row *row(struct st_table *t, const char *topic, int32_t p)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->r[i].partition == p && strcmp(t->r[i].topic, topic) == 0)
			return &t->r[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct st_row *nr = realloc(t->r, cap * sizeof(*nr));

		if (!nr)
			return NULL;
		t->r = nr;
		t->cap = cap;
	}
	memset(&t->r[t->n], 0, sizeof(t->r[0]));
	snprintf(t->r[t->n].topic, sizeof(t->r[0].topic), "%s", topic);
	t->r[t->n].partition = p;
	t->r[t->n].high = -1;
	t->r[t->n].committed = -1;
	t->r[t->n].landed = -1;
	t->r[t->n].decoded = -1;
	return &t->r[t->n++];
}

static int cmp_row(const void *a, const void *b)
{
	const struct st_row *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);

	return c ? c
		 : (x->partition > y->partition) -
			       (x->partition < y->partition);
}

/* Ask the broker for each configured topic's partitions and high
 * watermarks. Best effort: a broker that does not answer leaves -1. */
static int query_broker(const struct cfg *cfg, struct st_table *t,
			int timeout_ms)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const rd_kafka_metadata_t *md = NULL;
	char errstr[256];
	rd_kafka_t *rk;
	size_t i;
	int j, ret = 0;
	bool down = false;

	for (i = 0; i < cfg->nkafka; i++) {
		/* Only what a metadata client needs: connection and
		 * security settings; consumer tuning would only warn. */
		const char *k = cfg->kafka[i].key;

		if (strncmp(k, "bootstrap.", 10) &&
		    strncmp(k, "security.", 9) && strncmp(k, "sasl.", 5) &&
		    strncmp(k, "ssl.", 4) && strncmp(k, "socket.", 7) &&
		    strncmp(k, "client.", 7) && strncmp(k, "broker.", 7) &&
		    strcmp(k, "group.id"))
			continue;
		if (rd_kafka_conf_set(conf, k, cfg->kafka[i].value, errstr,
				      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
			diag_err("%s: [kafka] %s: %s", cfg->path, k, errstr);
			rd_kafka_conf_destroy(conf);
			return -ERR_CONFIG;
		}
	}
	rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		diag_err("cannot create a Kafka client: %s", errstr);
		return -ERR_KAFKA;
	}
	/* A question the broker does not answer leaves its cells empty and
	 * makes the result -ERR_KAFKA; the others are still asked, unless
	 * it does not answer for metadata (then each would wait too). */
	for (i = 0; i < cfg->nland_topics && !down; i++) {
		rd_kafka_topic_t *rkt =
			rd_kafka_topic_new(rk, cfg->land_topics[i], NULL);

		if (rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms) ||
		    md->topic_cnt != 1 || md->topics[0].err) {
			diag_warn("broker: no metadata for topic %s",
				  cfg->land_topics[i]);
			ret = -ERR_KAFKA;
			down = true;
		} else {
			for (j = 0; j < md->topics[0].partition_cnt; j++) {
				int64_t lo, hi;
				struct st_row *r =
					row(t, cfg->land_topics[i], j);

				if (!r)
					continue;
				if (rd_kafka_query_watermark_offsets(
					    rk, cfg->land_topics[i], j, &lo,
					    &hi, timeout_ms) == 0)
					r->high = hi;
				else
					ret = -ERR_KAFKA;
			}
		}
		if (md)
			rd_kafka_metadata_destroy(md);
		md = NULL;
		rd_kafka_topic_destroy(rkt);
	}
	/* The group's committed offsets (land commits them after fsync). A
	 * client that never subscribes does not join the group. */
	if (!down && t->n && cfg_kafka_get(cfg, "group.id")) {
		rd_kafka_topic_partition_list_t *list =
			rd_kafka_topic_partition_list_new((int)t->n);

		for (i = 0; i < t->n; i++)
			rd_kafka_topic_partition_list_add(list, t->r[i].topic,
							  t->r[i].partition);
		if (rd_kafka_committed(rk, list, timeout_ms) != 0)
			ret = -ERR_KAFKA;
		else
			for (j = 0; j < list->cnt; j++) {
				struct st_row *r =
					row(t, list->elems[j].topic,
					    list->elems[j].partition);

				if (r && !list->elems[j].err &&
				    list->elems[j].offset >= 0)
					r->committed = list->elems[j].offset;
			}
		rd_kafka_topic_partition_list_destroy(list);
	}
	rd_kafka_destroy(rk);
	return ret;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rawzone status -c CONF [--json] [--offline] "
		"[--caught-up]\n"
		"                      [-X SECTION.KEY=VALUE ...]\n"
		"\n"
		"Shows where each topic and partition stands, stage by stage, "
		"from the\n"
		"checkpoints under [pipeline] data_dir (no stage needs to be "
		"running):\n"
		"\n"
		"  HIGH-WATERMARK  the broker's end offset\n"
		"  COMMITTED       the offset the group [kafka] group.id has "
		"committed\n"
		"  LANDED          the next offset land will land: everything "
		"before it is\n"
		"                  durable in the raw zone\n"
		"  LAND-LAG        HIGH-WATERMARK - LANDED\n"
		"  DECODED         the next offset decode will decode\n"
		"  DEC-LAG         LANDED - DECODED\n"
		"  TRANSFORMED     whether transform has applied everything "
		"decode made durable\n"
		"\n"
		"  -c, --config CONF     the rawzone.conf\n"
		"  --json                one JSON document instead of a table\n"
		"  --offline             do not ask the broker (no high "
		"watermarks, no lag)\n"
		"  --caught-up           print nothing; exit 0 if every stage "
		"has caught up with\n"
		"                        its upstream (land with the broker "
		"unless --offline),\n"
		"                        else 3\n"
		"  -X SECTION.KEY=VALUE  override a config value\n"
		"\n"
		"Exit: 0; 1 if a checkpoint cannot be read; 2 on bad usage; 3 "
		"with --caught-up\n"
		"when a stage is behind.\n");
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"offline", no_argument, NULL, 'o'},
		{"caught-up", no_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *conf = NULL;
	struct cfg_overrides ov = {0};
	char path[PATH_MAX];
	size_t i;
	bool json = false, offline = false, caught_up = false;
	struct cfg *cfg = NULL;
	struct st_table t = {0};
	struct log_ck ck = {0};
	int opt, ret, status = 0, broker = 0;

	while ((opt = getopt_long(argc, argv, "c:X:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'o':
			offline = true;
			break;
		case 'u':
			caught_up = true;
			break;
		case 'X':
			if (cfg_overrides_add(&ov, optarg) < 0)
				return 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!conf || optind != argc) {
		usage(stderr);
		cfg_overrides_free(&ov);
		return 2;
	}
	ret = cfg_load(conf, ov.v, ov.n, &cfg);
	cfg_overrides_free(&ov);
	if (ret < 0)
		return 2;

	snprintf(path, sizeof(path), "%s/%s", cfg->data_dir, LAYOUT_LAND_CKPT);
	ret = log_ck_load(path, &ck);
	if (ret < 0 && ret != -ENOENT) {
		diag_err("%s: %s", path, err_str(ret));
		status = 1;
	}
	for (i = 0; i < ck.n; i++) {
		struct st_row *r = row(&t, ck.e[i].topic, ck.e[i].partition);

		if (!r)
			break;
		r->landed = (int64_t)ck.e[i].v[LAND_CK_NEXT];
		r->land_seg = ck.e[i].v[LAND_CK_SEG];
		r->land_pos = ck.e[i].v[LAND_CK_POS];
	}
	log_ck_free(&ck);
	snprintf(path, sizeof(path), "%s/%s", cfg->data_dir,
		 LAYOUT_DECODE_CKPT);
	ret = log_ck_load(path, &ck);
	if (ret < 0 && ret != -ENOENT) {
		diag_err("%s: %s", path, err_str(ret));
		status = 1;
	}
	for (i = 0; i < ck.n; i++) {
		struct st_row *r = row(&t, ck.e[i].topic, ck.e[i].partition);

		if (!r)
			break;
		r->decoded = (int64_t)ck.e[i].v[DEC_CK_RAW_NEXT];
		r->dec_seg = ck.e[i].v[DEC_CK_RAW_SEG];
		r->dec_pos = ck.e[i].v[DEC_CK_RAW_POS];
		r->out_seg = ck.e[i].v[DEC_CK_OUT_SEG];
		r->out_pos = ck.e[i].v[DEC_CK_OUT_POS];
		r->outcomes = (int64_t)ck.e[i].v[DEC_CK_OUTCOMES];
	}
	{
		struct cli_db *db = NULL;

		cli_db_open(cfg, &db); /* NULL: transform has not run yet */
		for (i = 0; i < t.n; i++)
			t.r[i].xf_caught_up = cli_db_caught_up(
				db, cfg->instance, t.r[i].topic,
				t.r[i].partition,
				(struct log_pos){t.r[i].out_seg,
						 t.r[i].out_pos});
		cli_db_close(db);
	}
	if (!offline)
		broker = query_broker(cfg, &t, 5000);
	if (caught_up) {
		/* A broker that did not answer every question: not known to
		 * be caught up. */
		if (broker < 0)
			status = 3;
		/* Every stage is at its upstream's durable end: land at the
		 * broker's high watermark (unless --offline), decode at
		 * land's checkpoint, transform at decode's. */
		for (i = 0; i < t.n && status == 0; i++) {
			struct st_row *r = &t.r[i];
			struct log_pos lp = {r->land_seg, r->land_pos};
			struct log_pos dp = {r->dec_seg, r->dec_pos};

			if (!offline && r->high > 0 && r->landed < r->high)
				status = 3;
			else if (r->landed >= 0 &&
				 (r->decoded < 0 || log_pos_cmp(dp, lp) != 0))
				status = 3;
			else if (!r->xf_caught_up)
				status = 3;
		}
		if (!offline) {
			for (i = 0; i < t.n; i++)
				if (t.r[i].high > 0 && t.r[i].landed < 0)
					status = 3;
		}
		log_ck_free(&ck);
		free(t.r);
		cfg_free(cfg);
		return status;
	}
	if (t.n > 1)
		qsort(t.r, t.n, sizeof(*t.r), cmp_row);

	if (json) {
		struct jbuf b = {0};

		jbuf_puts(&b, "{\"partitions\":[");
		for (i = 0; i < t.n; i++) {
			struct st_row *r = &t.r[i];

			jbuf_puts(&b, i ? ",{\"topic\":" : "{\"topic\":");
			json_str(&b, r->topic, strlen(r->topic));
			jbuf_printf(&b, ",\"partition\":%d", (int)r->partition);
			jbuf_printf(
				&b,
				",\"high_watermark\":%lld,\"committed\":%lld",
				(long long)r->high, (long long)r->committed);
			jbuf_printf(&b,
				    ",\"landed\":%lld,\"land_segment\":%llu"
				    ",\"land_position\":%llu",
				    (long long)r->landed,
				    (unsigned long long)r->land_seg,
				    (unsigned long long)r->land_pos);
			jbuf_printf(&b,
				    ",\"decoded\":%lld,\"outcomes\":%lld,"
				    "\"transform_caught_up\":%s",
				    (long long)r->decoded,
				    (long long)r->outcomes,
				    r->xf_caught_up ? "true" : "false");
			if (r->landed >= 0 && r->decoded >= 0)
				jbuf_printf(
					&b, ",\"decode_lag\":%lld",
					(long long)(r->landed - r->decoded));
			if (r->high >= 0 && r->landed >= 0)
				jbuf_printf(&b, ",\"land_lag\":%lld",
					    (long long)(r->high - r->landed));
			jbuf_puts(&b, "}");
		}
		jbuf_puts(&b, "]}\n");
		fwrite(b.p, 1, b.len, stdout);
		jbuf_free(&b);
	} else {
		printf("%-16s %4s %13s %13s %13s %9s %13s %9s %11s\n", "TOPIC",
		       "PART", "HIGH-WATERMARK", "COMMITTED", "LANDED",
		       "LAND-LAG", "DECODED", "DEC-LAG", "TRANSFORMED");
		for (i = 0; i < t.n; i++) {
			struct st_row *r = &t.r[i];
			char high[32] = "-", landed[32] = "-", lag[32] = "-";
			char committed[32] = "-", decoded[32] = "-";
			char dlag[32] = "-";

			if (r->high >= 0)
				snprintf(high, sizeof(high), "%lld",
					 (long long)r->high);
			if (r->committed >= 0)
				snprintf(committed, sizeof(committed), "%lld",
					 (long long)r->committed);
			if (r->landed >= 0)
				snprintf(landed, sizeof(landed), "%lld",
					 (long long)r->landed);
			if (r->high >= 0 && r->landed >= 0)
				snprintf(lag, sizeof(lag), "%lld",
					 (long long)(r->high - r->landed));
			if (r->decoded >= 0)
				snprintf(decoded, sizeof(decoded), "%lld",
					 (long long)r->decoded);
			if (r->decoded >= 0 && r->landed >= 0)
				snprintf(dlag, sizeof(dlag), "%lld",
					 (long long)(r->landed - r->decoded));
			printf("%-16s %4d %13s %13s %13s %9s %13s %9s %11s\n",
			       r->topic, (int)r->partition, high, committed,
			       landed, lag, decoded, dlag,
			       r->out_pos == 0	 ? "-"
			       : r->xf_caught_up ? "caught up"
						 : "behind");
		}
	}
	log_ck_free(&ck);
	free(t.r);
	cfg_free(cfg);
	return status;
}

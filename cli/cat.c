/* cli/cat.c - `rawzone cat`: print the records of a zone, kcat-like or as
 * JSON lines.
 *
 * Reads the zone's files directly (log/reader.h), verifying every record;
 * never needs a running stage. A record that fails verification stops the
 * output with an error naming the file and position.
 */
#include "cli/cli.h"

#include "common/config.h"
#include "common/diag.h"
#include "common/err.h"
#include "common/json.h"
#include "log/decoded.h"
#include "log/layout.h"
#include "log/reader.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cat_opts {
	const char *zone_name;
	enum log_zone zone;
	const char *topic;
	int32_t partition; /* -1: all */
	bool have_offset;
	int64_t offset;
	int64_t count; /* -1: no limit */
	bool json;
	uint32_t max_record;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rawzone cat -c CONF [--zone raw|decoded|quarantine] "
		"[-t TOPIC] [-p PARTITION]\n"
		"                   [-o OFFSET] [-n COUNT] [--json] "
		"[-X SECTION.KEY=VALUE ...]\n"
		"\n"
		"Prints the records of a zone under [pipeline] data_dir, in "
		"partition order,\n"
		"verifying each one. Without -t, every topic of the zone; "
		"without -p, every\n"
		"partition.\n"
		"\n"
		"  -c, --config CONF    the rawzone.conf (for data_dir)\n"
		"  --zone ZONE          raw (default), decoded or quarantine\n"
		"  -t, --topic TOPIC    only this topic\n"
		"  -p, --partition P    only this partition\n"
		"  -o, --offset OFFSET  from this Kafka offset on (an offset "
		"not landed yet\n"
		"                       prints nothing)\n"
		"  -n, --count COUNT    at most COUNT records in all\n"
		"  --json               one JSON object per line: topic, "
		"partition, offset,\n"
		"                       timestamp_ms, timestamp_type, key "
		"(base64 or null),\n"
		"                       headers [{key, value (base64 or "
		"null)}], value (base64\n"
		"                       or null); decoded and quarantine zones "
		"add outcome,\n"
		"                       schema_id, message or reason and "
		"detail\n"
		"  -X SECTION.KEY=VALUE override a config value\n"
		"\n"
		"The plain form is one line per record:\n"
		"  TOPIC [PARTITION] @OFFSET TIMESTAMP key=KEY headers=N "
		"value=VALUE\n"
		"with bytes outside printable ASCII written as \\xHH.\n"
		"Exit: 0, 1 on a record that fails verification, 2 on bad "
		"usage.\n");
}

static const char *ts_type_name(uint8_t t)
{
	return t == 1 ? "create" : t == 2 ? "log_append" : "none";
}

static void put_escaped(FILE *out, const void *p, size_t n, size_t max)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n && i < max; i++) {
		if (isprint(s[i]) && s[i] != '\\')
			fputc(s[i], out);
		else
			fprintf(out, "\\x%02x", s[i]);
	}
	if (n > max)
		fprintf(out, "...(%zu bytes)", n);
}

static void print_plain(const char *topic, int32_t part,
			const struct cat_opts *o, const struct log_rec *rec)
{
	struct log_dec_ok ok;
	struct log_dec_quarantine q;

	printf("%s [%d] @%lld %lld key=", topic, (int)part,
	       (long long)rec->offset, (long long)rec->timestamp);
	if (rec->key)
		put_escaped(stdout, rec->key, rec->key_len, 200);
	else
		fputs("(null)", stdout);
	if (o->zone == LOG_ZONE_DECODED && rec->type == LOG_DEC_OK &&
	    log_dec_ok_parse(rec->value, rec->value_len, &ok) == 0) {
		printf(" decoded schema_id=%u message=%.*s bytes=%zu\n",
		       ok.schema_id, (int)ok.message_len, ok.message,
		       ok.body_len);
		return;
	}
	if (o->zone != LOG_ZONE_RAW &&
	    log_dec_q_parse(rec->value, rec->value_len,
			    o->zone == LOG_ZONE_QUARANTINE, &q) == 0) {
		unsigned reason =
			o->zone == LOG_ZONE_QUARANTINE ? rec->type : q.reason;

		printf(" quarantined reason=%s",
		       log_dec_reason_name(reason) ? log_dec_reason_name(reason)
						   : "?");
		if (q.has_schema_id)
			printf(" schema_id=%u", q.schema_id);
		printf(" detail=\"%.*s\"", (int)q.detail_len, q.detail);
		if (o->zone == LOG_ZONE_QUARANTINE) {
			fputs(" value=", stdout);
			if (q.value_null)
				fputs("(null)", stdout);
			else
				put_escaped(stdout, q.value, q.value_len, 400);
		}
		fputc('\n', stdout);
		return;
	}
	printf(" headers=%u value=", rec->hdr_count);
	if (rec->value)
		put_escaped(stdout, rec->value, rec->value_len, 400);
	else
		fputs("(null)", stdout);
	fputc('\n', stdout);
}

static void print_json(struct jbuf *b, const char *topic, int32_t part,
		       const struct cat_opts *o, const struct log_rec *rec)
{
	struct log_rec_hdr_it it;
	struct log_dec_ok ok;
	struct log_dec_quarantine q;
	const char *name;
	const void *val, *value = rec->value;
	uint32_t nl, vl;
	size_t value_len = rec->value_len;
	bool first = true, value_null = !rec->value;

	jbuf_reset(b);
	jbuf_puts(b, "{\"topic\":");
	json_str(b, topic, strlen(topic));
	jbuf_printf(b,
		    ",\"partition\":%d,\"offset\":%lld,\"timestamp_ms\":%lld,"
		    "\"timestamp_type\":\"%s\",\"key\":",
		    (int)part, (long long)rec->offset,
		    (long long)rec->timestamp, ts_type_name(rec->ts_type));
	if (rec->key)
		json_b64(b, rec->key, rec->key_len);
	else
		jbuf_puts(b, "null");
	jbuf_puts(b, ",\"headers\":[");
	log_rec_hdr_iter(rec, &it);
	while (log_rec_hdr_next(&it, &name, &nl, &val, &vl) == 1) {
		jbuf_puts(b, first ? "{\"key\":" : ",{\"key\":");
		first = false;
		json_str(b, name, nl);
		jbuf_puts(b, ",\"value\":");
		if (val)
			json_b64(b, val, vl);
		else
			jbuf_puts(b, "null");
		jbuf_puts(b, "}");
	}
	jbuf_puts(b, "]");
	if (o->zone == LOG_ZONE_DECODED && rec->type == LOG_DEC_OK &&
	    log_dec_ok_parse(rec->value, rec->value_len, &ok) == 0) {
		jbuf_printf(b,
			    ",\"outcome\":\"decoded\",\"schema_id\":%u,"
			    "\"message\":",
			    ok.schema_id);
		json_str(b, ok.message, ok.message_len);
		value = ok.body;
		value_len = ok.body_len;
	} else if (o->zone != LOG_ZONE_RAW &&
		   log_dec_q_parse(rec->value, rec->value_len,
				   o->zone == LOG_ZONE_QUARANTINE, &q) == 0) {
		unsigned reason =
			o->zone == LOG_ZONE_QUARANTINE ? rec->type : q.reason;
		const char *rn = log_dec_reason_name(reason);

		jbuf_puts(b, ",\"outcome\":\"quarantined\",\"reason\":");
		json_str(b, rn ? rn : "?", strlen(rn ? rn : "?"));
		if (q.has_schema_id)
			jbuf_printf(b, ",\"schema_id\":%u", q.schema_id);
		else
			jbuf_puts(b, ",\"schema_id\":null");
		jbuf_puts(b, ",\"detail\":");
		json_str(b, q.detail, q.detail_len);
		value = q.value;
		value_len = q.value_len;
		value_null =
			o->zone == LOG_ZONE_QUARANTINE ? q.value_null : true;
	}
	jbuf_puts(b, ",\"value\":");
	if (value_null)
		jbuf_puts(b, "null");
	else
		json_b64(b, value, value_len);
	jbuf_puts(b, "}\n");
	fwrite(b->p, 1, b->len, stdout);
}

/* Names in @dir: topics (any name) or partitions (numbers), sorted. */
static int list_dir(const char *dir, bool numeric, char ***out, size_t *n)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0;

	*out = NULL;
	*n = 0;
	if (!dh)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dh))) {
		char **nv;
		size_t i;

		if (de->d_name[0] == '.')
			continue;
		if (numeric) {
			for (i = 0; de->d_name[i]; i++)
				if (!isdigit((unsigned char)de->d_name[i]))
					break;
			if (de->d_name[i])
				continue;
		}
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[cnt] = strdup(de->d_name);
		if (v[cnt])
			cnt++;
	}
	closedir(dh);
	/* Partitions in numeric order, topics by name. */
	for (size_t i = 1; i < cnt; i++)
		for (size_t j = i; j > 0; j--) {
			bool swap = numeric ? atol(v[j - 1]) > atol(v[j])
					    : strcmp(v[j - 1], v[j]) > 0;
			char *t;

			if (!swap)
				break;
			t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*out = v;
	*n = cnt;
	return 0;
}

static void free_list(char **v, size_t n)
{
	while (n)
		free(v[--n]);
	free(v);
}

/* Print one partition's records. Returns 0, 1 when the count is reached,
 * or -1 after reporting a bad record. */
static int cat_partition(const char *dir, const char *topic, int32_t part,
			 struct cat_opts *o, struct jbuf *b)
{
	struct log_rd *rd = NULL;
	struct log_rec rec;
	struct log_pos at;
	int ret;

	ret = log_rd_open(dir, o->zone, o->max_record, &rd);
	if (ret < 0) {
		diag_err("%s: %s", dir, err_str(ret));
		return -1;
	}
	if (o->have_offset && o->zone == LOG_ZONE_RAW) {
		ret = log_rd_seek_offset(rd, o->offset);
		if (ret < 0)
			goto bad;
	}
	while (o->count != 0) {
		ret = log_rd_next(rd, LOG_POS_END, &rec, &at);
		if (ret == 0)
			break;
		if (ret == -ENODATA) {
			diag_info("%s: an incomplete record at position %llu "
				  "ends the data (a torn tail, cut at land's "
				  "next start)",
				  log_rd_path(rd),
				  (unsigned long long)log_rd_pos(rd).pos);
			break;
		}
		if (ret < 0)
			goto bad;
		/* The decoded zone is not in offset order: filter. */
		if (o->have_offset && rec.offset < o->offset)
			continue;
		if (o->json)
			print_json(b, topic, part, o, &rec);
		else
			print_plain(topic, part, o, &rec);
		if (o->count > 0)
			o->count--;
	}
	log_rd_close(rd);
	return o->count == 0 ? 1 : 0;
bad:
	diag_err("%s: position %llu: %s", log_rd_path(rd),
		 (unsigned long long)log_rd_pos(rd).pos, err_str(ret));
	log_rd_close(rd);
	return -1;
}

int cmd_cat(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"zone", required_argument, NULL, 'z'},
		{"topic", required_argument, NULL, 't'},
		{"partition", required_argument, NULL, 'p'},
		{"offset", required_argument, NULL, 'o'},
		{"count", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cat_opts o = {.zone_name = LAYOUT_RAW,
			     .zone = LOG_ZONE_RAW,
			     .partition = -1,
			     .count = -1};
	const char *conf = NULL;
	struct cfg_overrides ov = {0};
	char **topics = NULL, zdir[PATH_MAX];
	size_t ntopics = 0, i;
	struct cfg *cfg = NULL;
	struct jbuf b = {0};
	int opt, status = 0;

	while ((opt = getopt_long(argc, argv, "c:t:p:o:n:X:h", longopts,
				  NULL)) != -1) {
		char *end;

		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'z':
			o.zone_name = optarg;
			if (strcmp(optarg, "raw") == 0)
				o.zone = LOG_ZONE_RAW;
			else if (strcmp(optarg, "decoded") == 0)
				o.zone = LOG_ZONE_DECODED;
			else if (strcmp(optarg, "quarantine") == 0)
				o.zone = LOG_ZONE_QUARANTINE;
			else {
				fprintf(stderr,
					"rawzone cat: --zone %s: "
					"expected raw, decoded or "
					"quarantine\n",
					optarg);
				return 2;
			}
			break;
		case 't':
			o.topic = optarg;
			break;
		case 'p':
			o.partition = (int32_t)strtol(optarg, &end, 10);
			if (*end || o.partition < 0) {
				fprintf(stderr,
					"rawzone cat: -p %s: not a "
					"partition number\n",
					optarg);
				return 2;
			}
			break;
		case 'o':
			o.offset = strtoll(optarg, &end, 10);
			if (*end || o.offset < 0) {
				fprintf(stderr,
					"rawzone cat: -o %s: not an "
					"offset\n",
					optarg);
				return 2;
			}
			o.have_offset = true;
			break;
		case 'n':
			o.count = strtoll(optarg, &end, 10);
			if (*end || o.count < 0) {
				fprintf(stderr,
					"rawzone cat: -n %s: not a "
					"count\n",
					optarg);
				return 2;
			}
			break;
		case 'j':
			o.json = true;
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
	if (cfg_load(conf, ov.v, ov.n, &cfg) < 0) {
		cfg_overrides_free(&ov);
		return 2;
	}
	cfg_overrides_free(&ov);
	o.max_record = (uint32_t)cfg->max_record_bytes;
	if (o.zone != LOG_ZONE_RAW) /* decode's outcome adds a little */
		o.max_record += LOG_DEC_SLACK;
	snprintf(zdir, sizeof(zdir), "%s/%s", cfg->data_dir, o.zone_name);
	if (o.topic) {
		topics = malloc(sizeof(*topics));
		if (topics && (topics[0] = strdup(o.topic)))
			ntopics = 1;
	} else if (list_dir(zdir, false, &topics, &ntopics) < 0) {
		diag_err("%s: cannot list: %s", zdir, strerror(errno));
		status = 1;
		goto out;
	}
	for (i = 0; i < ntopics && status == 0; i++) {
		char tdir[PATH_MAX], pdir[PATH_MAX], **parts = NULL;
		size_t nparts = 0, j;

		if (snprintf(tdir, sizeof(tdir), "%s/%s", zdir, topics[i]) >=
		    (int)sizeof(tdir))
			continue;
		if (o.partition >= 0) {
			parts = malloc(sizeof(*parts));
			if (parts &&
			    asprintf(&parts[0], "%d", (int)o.partition) > 0)
				nparts = 1;
		} else if (list_dir(tdir, true, &parts, &nparts) < 0) {
			diag_err("%s: cannot list: %s", tdir, strerror(errno));
			status = 1;
		}
		for (j = 0; j < nparts && status == 0; j++) {
			int r;

			if (snprintf(pdir, sizeof(pdir), "%s/%s", tdir,
				     parts[j]) >= (int)sizeof(pdir))
				continue;
			r = cat_partition(pdir, topics[i],
					  (int32_t)atol(parts[j]), &o, &b);
			if (r < 0)
				status = 1;
			else if (r == 1)
				break;
		}
		free_list(parts, nparts);
		if (o.count == 0)
			break;
	}
out:
	fflush(stdout);
	free_list(topics, ntopics);
	jbuf_free(&b);
	cfg_free(cfg);
	return status;
}

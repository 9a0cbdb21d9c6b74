/* cli/replay.c - `rawzone replay`: ask decode to decode partitions again
 * from an offset, a time or the beginning (or only their quarantined
 * records), and follow it until the database reflects the result.
 *
 * The request is a file decode reads at a batch boundary (log/layout.h:
 * replay.request), written atomically; decode applies it in one checkpoint
 * save, so a crash of either side leaves the old positions or the new ones.
 * land keeps landing and transform keeps running throughout.
 */
#include "cli/cli.h"
#include "cli/progress.h"

#include "cli/sinkdb.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/diag.h"
#include "common/err.h"
#include "common/lock.h"
#include "log/checkpoint.h"
#include "log/decoded.h"
#include "log/layout.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_TARGETS 4096

struct target {
	char topic[LOG_CK_TOPIC_MAX + 1];
	int32_t partition;
	int64_t arg; /* per-partition offset (--from-offset) */
};

struct replay_opts {
	unsigned mode;
	int64_t arg;
	bool qonly, wait, replace;
	const char *topic;
	int32_t parts[256];
	int nparts;
	struct target offsets[256]; /* --from-offset P:O */
	int noffsets;
};

static volatile sig_atomic_t interrupted;

static void on_int(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rawzone replay -c CONF (--from-beginning | --from-time "
		"ISO8601 |\n"
		"                      --from-offset PARTITION:OFFSET ...) "
		"[--topic TOPIC]\n"
		"                      [--partition P ...] "
		"[--quarantined-only] "
		"[--no-wait]\n"
		"                      [--replace] [-X SECTION.KEY=VALUE ...]\n"
		"\n"
		"Decodes records of the raw zone again - after a schema fix, a "
		"registry change\n"
		"or a decoder fix - while land keeps landing and transform "
		"keeps running.\n"
		"Rows keyed by Kafka coordinates are overwritten in place; "
		"quarantine rows go\n"
		"when their record now decodes. Works with decode running "
		"(picked up at its\n"
		"next batch) or stopped (applied when it starts).\n"
		"\n"
		"  --from-beginning        every landed record of the chosen "
		"partitions\n"
		"  --from-time ISO8601     from the first record whose Kafka "
		"timestamp is at or\n"
		"                          after the time "
		"(2026-11-26T17:00:00Z,"
		" +01:00 offsets,\n"
		"                          or a date)\n"
		"  --from-offset P:O       partition P from offset O "
		"(repeatable)\n"
		"  --topic TOPIC           the topic (default: every [land] "
		"topic; required with\n"
		"                          --from-offset when there are "
		"several)\n"
		"  --partition P           only these partitions (repeatable; "
		"default: all)\n"
		"  --quarantined-only      only the records whose outcome was "
		"a "
		"quarantine, found\n"
		"                          through the quarantine log\n"
		"  --no-wait               write the request and return\n"
		"  --replace               replace a request decode has not "
		"applied yet\n"
		"\n"
		"Without --no-wait, shows progress until decode has worked "
		"back "
		"to where it was\n"
		"and transform has applied it (a bar on a terminal, a line "
		"every 5 s otherwise),\n"
		"then a summary: records decoded again, newly decoded, still "
		"quarantined by\n"
		"reason. Interrupting the command does not stop the replay.\n"
		"Exit: 0; 1 on an error; 2 on bad usage.\n");
}

/* ISO 8601 date-time (or date) to ms since the epoch; -1 if unparsable. */
static int64_t parse_time(const char *s)
{
	static const char *const fmts[] = {"%Y-%m-%dT%H:%M:%S",
					   "%Y-%m-%d %H:%M:%S",
					   "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
	struct tm tm;
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		const char *rest;
		long ms = 0, off = 0;

		memset(&tm, 0, sizeof(tm));
		rest = strptime(s, fmts[i], &tm);
		if (!rest)
			continue;
		if (*rest == '.') {
			long scale = 100;

			for (rest++; *rest >= '0' && *rest <= '9'; rest++) {
				ms += (*rest - '0') * scale;
				scale /= 10;
			}
		}
		if (*rest == 'Z') {
			rest++;
		} else if (*rest == '+' || *rest == '-') {
			int h, m;

			if (sscanf(rest + 1, "%2d:%2d", &h, &m) != 2)
				continue;
			off = (h * 60L + m) * 60L * (*rest == '-' ? -1 : 1);
			rest += 6;
		}
		if (*rest)
			continue;
		return ((int64_t)timegm(&tm) - off) * 1000 + ms;
	}
	return -1;
}

static bool part_wanted(const struct replay_opts *o, int32_t p)
{
	int i;

	if (o->nparts == 0)
		return true;
	for (i = 0; i < o->nparts; i++)
		if (o->parts[i] == p)
			return true;
	return false;
}

/* The partitions to replay: what land has landed, filtered. */
static int targets(const struct cfg *cfg, const struct replay_opts *o,
		   struct target *t, size_t *n)
{
	char path[PATH_MAX];
	struct log_ck ck = {0};
	size_t i;
	int ret, j;

	*n = 0;
	if (o->noffsets) {
		for (j = 0; j < o->noffsets; j++)
			t[(*n)++] = o->offsets[j];
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s", cfg->data_dir, LAYOUT_LAND_CKPT);
	ret = log_ck_load(path, &ck);
	if (ret < 0) {
		diag_err("%s: %s", path,
			 ret == -ENOENT ? "land has landed nothing yet"
					: err_str(ret));
		return ret;
	}
	for (i = 0; i < ck.n && *n < MAX_TARGETS; i++) {
		if (o->topic && strcmp(o->topic, ck.e[i].topic) != 0)
			continue;
		if (!part_wanted(o, ck.e[i].partition))
			continue;
		snprintf(t[*n].topic, sizeof(t[*n].topic), "%s", ck.e[i].topic);
		t[*n].partition = ck.e[i].partition;
		t[*n].arg = o->arg;
		(*n)++;
	}
	log_ck_free(&ck);
	return 0;
}

struct progress {
	int applied;	 /* partitions that have the request applied */
	int decoded;	 /* ...and have decoded up to where they were */
	int transformed; /* ...and transform has applied */
	uint64_t done;	 /* records decoded again */
	double fraction; /* of the work, 0..1 */
};

static void measure(const struct cfg *cfg, const struct target *t, size_t n,
		    uint64_t id, struct cli_db **db, struct progress *pg)
{
	char path[PATH_MAX];
	struct log_ck ck = {0};
	double num = 0, den = 0;
	size_t i;

	memset(pg, 0, sizeof(*pg));
	snprintf(path, sizeof(path), "%s/%s", cfg->data_dir,
		 LAYOUT_DECODE_CKPT);
	if (log_ck_load(path, &ck) < 0)
		return;
	if (!*db && cli_db_open(cfg, db) < 0)
		*db = NULL;
	for (i = 0; i < n; i++) {
		struct log_ck_entry *e =
			log_ck_find(&ck, t[i].topic, t[i].partition);
		uint64_t *v;
		bool qonly, done;
		struct log_pos out;

		if (!e || e->v[DEC_CK_REPLAY_ID] != id)
			continue;
		v = e->v;
		pg->applied++;
		pg->done += v[DEC_CK_REPLAY_DONE];
		qonly = v[DEC_CK_QR_END_POS] != 0;
		if (qonly) {
			double total = (double)(v[DEC_CK_QR_END_POS]) +
				       (double)(v[DEC_CK_QR_END_SEG] -
						v[DEC_CK_QR_SEG]) *
					       1e9;
			done = v[DEC_CK_QR_SEG] == v[DEC_CK_QR_END_SEG] &&
			       v[DEC_CK_QR_POS] >= v[DEC_CK_QR_END_POS];
			num += done ? 1.0
				    : (double)v[DEC_CK_QR_POS] /
					       (total > 0 ? total : 1);
			den += 1.0;
		} else {
			int64_t from = (int64_t)v[DEC_CK_REPLAY_FROM];
			int64_t to = (int64_t)v[DEC_CK_REPLAY_TO];
			int64_t at = (int64_t)v[DEC_CK_RAW_NEXT];

			done = at >= to;
			if (to > from) {
				num += (double)((at < to ? at : to) - from);
				den += (double)(to - from);
			}
		}
		if (!done)
			continue;
		pg->decoded++;
		out.seg = v[DEC_CK_OUT_SEG];
		out.pos = v[DEC_CK_OUT_POS];
		if (cli_db_caught_up(*db, cfg->instance, t[i].topic,
				     t[i].partition, out))
			pg->transformed++;
	}
	pg->fraction = den > 0 ? num / den : (pg->decoded == (int)n ? 1 : 0);
	log_ck_free(&ck);
}

static void show(bool tty, double elapsed, size_t n, const struct progress *pg,
		 uint64_t id)
{
	const char *phase = pg->applied < (int)n   ? "waiting for decode"
			    : pg->decoded < (int)n ? "decoding"
						   : "waiting for transform";
	char what[48];

	snprintf(what, sizeof(what), "replay %llu", (unsigned long long)id);
	cli_progress(tty, what, pg->fraction, pg->done, elapsed, phase);
}

static int64_t quarantined(const struct cfg *cfg, const struct target *t,
			   size_t n, int64_t by[8])
{
	struct cli_db *db = NULL;
	int64_t total = 0, part[8];
	size_t i;
	int r;

	for (r = 0; r < 8; r++)
		by[r] = 0;
	if (cli_db_open(cfg, &db) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		int64_t k = cli_db_quarantined(db, t[i].topic, t[i].partition,
					       part);

		if (k < 0) {
			total = -1;
			break;
		}
		total += k;
		for (r = 0; r < 8; r++)
			by[r] += part[r];
	}
	cli_db_close(db);
	return total;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"from-beginning", no_argument, NULL, 'b'},
		{"from-time", required_argument, NULL, 't'},
		{"from-offset", required_argument, NULL, 'o'},
		{"topic", required_argument, NULL, 'T'},
		{"partition", required_argument, NULL, 'p'},
		{"quarantined-only", no_argument, NULL, 'q'},
		{"no-wait", no_argument, NULL, 'n'},
		{"replace", no_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct replay_opts o = {.wait = true};
	struct target *t = NULL;
	struct log_ck rq = {0};
	struct cli_db *db = NULL;
	struct cfg *cfg = NULL;
	const char *conf = NULL;
	struct cfg_overrides ov = {0};
	char path[PATH_MAX];
	size_t n = 0, i;
	int64_t qbefore, qafter, byb[8], bya[8];
	uint64_t id;
	double t0, last_line = 0;
	int opt, ret, modes = 0, status = 1;
	bool tty = isatty(STDOUT_FILENO);

	while ((opt = getopt_long(argc, argv, "c:X:h", longopts, NULL)) != -1) {
		char *end;

		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'b':
			o.mode = REPLAY_FROM_BEGINNING;
			modes++;
			break;
		case 't':
			o.mode = REPLAY_FROM_TIME;
			o.arg = parse_time(optarg);
			modes++;
			if (o.arg < 0) {
				fprintf(stderr,
					"rawzone replay: --from-time "
					"%s: not an ISO 8601 time\n",
					optarg);
				return 2;
			}
			break;
		case 'o': {
			struct target *x = &o.offsets[o.noffsets];

			if (o.noffsets == 256)
				return 2;
			if (o.mode != REPLAY_FROM_OFFSET)
				modes++;
			o.mode = REPLAY_FROM_OFFSET;
			x->partition = (int32_t)strtol(optarg, &end, 10);
			if (*end != ':' || x->partition < 0) {
				fprintf(stderr,
					"rawzone replay: --from-offset "
					"%s: expected PARTITION:OFFSET\n",
					optarg);
				return 2;
			}
			x->arg = strtoll(end + 1, &end, 10);
			if (*end || x->arg < 0) {
				fprintf(stderr,
					"rawzone replay: --from-offset "
					"%s: expected PARTITION:OFFSET\n",
					optarg);
				return 2;
			}
			o.noffsets++;
			break;
		}
		case 'T':
			o.topic = optarg;
			break;
		case 'p':
			if (o.nparts == 256)
				return 2;
			o.parts[o.nparts++] = (int32_t)strtol(optarg, &end, 10);
			if (*end) {
				fprintf(stderr,
					"rawzone replay: --partition "
					"%s: not a number\n",
					optarg);
				return 2;
			}
			break;
		case 'q':
			o.qonly = true;
			break;
		case 'n':
			o.wait = false;
			break;
		case 'r':
			o.replace = true;
			break;
		case 'X':
			if (cfg_overrides_add(&ov, optarg) < 0)
				return 1;
			break;
		case 'h':
			usage(stdout);
			cfg_overrides_free(&ov);
			return 0;
		default:
			usage(stderr);
			cfg_overrides_free(&ov);
			return 2;
		}
	}
	if (!conf || optind != argc || modes != 1) {
		if (modes != 1)
			fprintf(stderr, "rawzone replay: give exactly one of "
					"--from-beginning, --from-time, "
					"--from-offset\n");
		usage(stderr);
		cfg_overrides_free(&ov);
		return 2;
	}
	ret = cfg_load(conf, ov.v, ov.n, &cfg);
	cfg_overrides_free(&ov);
	if (ret < 0)
		return 2;
	if (o.noffsets) {
		int j;

		if (!o.topic && cfg->nland_topics > 1) {
			fprintf(stderr, "rawzone replay: --from-offset needs "
					"--topic: [land] topics has several\n");
			status = 2;
			goto out;
		}
		for (j = 0; j < o.noffsets; j++)
			snprintf(o.offsets[j].topic, sizeof(o.offsets[j].topic),
				 "%s", o.topic ? o.topic : cfg->land_topics[0]);
	}
	t = calloc(MAX_TARGETS, sizeof(*t));
	if (!t || targets(cfg, &o, t, &n) < 0)
		goto out;
	if (n == 0) {
		diag_err("no landed partition matches the request");
		goto out;
	}

	snprintf(path, sizeof(path), "%s/%s", cfg->data_dir,
		 LAYOUT_REPLAY_REQUEST);
	if (access(path, F_OK) == 0) {
		if (!o.replace) {
			diag_err("%s: a replay request is pending (decode has "
				 "not applied it yet; is decode running?); "
				 "--replace replaces it",
				 path);
			goto out;
		}
		unlink(path);
	}
	/* Ids increase with time, so a request is never mistaken for an
	 * older one already applied. */
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		id = (uint64_t)ts.tv_sec * 1000 +
		     (uint64_t)ts.tv_nsec / 1000000;
	}
	qbefore = quarantined(cfg, t, n, byb);
	for (i = 0; i < n; i++) {
		struct log_ck_entry *e =
			log_ck_put(&rq, t[i].topic, t[i].partition);

		if (!e)
			goto out;
		e->v[REPLAY_RQ_ID] = id;
		e->v[REPLAY_RQ_MODE] = o.mode;
		e->v[REPLAY_RQ_ARG] = (uint64_t)t[i].arg;
		e->v[REPLAY_RQ_QONLY] = o.qonly;
	}
	ret = log_ck_save(path, &rq);
	if (ret < 0) {
		diag_err("%s: cannot write the replay request: %s", path,
			 err_str(ret));
		goto out;
	}
	printf("replay %llu requested for %zu partition(s)%s; %s\n",
	       (unsigned long long)id, n,
	       o.qonly ? " (quarantined records only)" : "",
	       lock_holder(cfg->data_dir, "decode")
		       ? "decode applies it at its next batch"
		       : "decode is not running: it applies the "
			 "request when it starts");
	fflush(stdout);
	if (!o.wait) {
		status = 0;
		goto out;
	}

	signal(SIGINT, on_int);
	t0 = clock_s();
	for (;;) {
		struct progress pg;
		double el = clock_s() - t0;

		measure(cfg, t, n, id, &db, &pg);
		if (tty || el - last_line >= 5) {
			show(tty, el, n, &pg, id);
			last_line = el;
		}
		if (pg.transformed == (int)n) {
			if (tty)
				printf("\n");
			qafter = quarantined(cfg, t, n, bya);
			printf("replay %llu done in %.1f s: %llu records "
			       "decoded again (%.0f records/s)",
			       (unsigned long long)id, el,
			       (unsigned long long)pg.done,
			       el > 0 ? (double)pg.done / el : 0);
			if (qbefore >= 0 && qafter >= 0) {
				int r;

				printf("; newly decoded: %lld; still "
				       "quarantined: %lld (",
				       (long long)(qbefore - qafter),
				       (long long)qafter);
				for (r = 1; r < 6; r++)
					printf("%s%s %lld", r > 1 ? ", " : "",
					       log_dec_reason_name((unsigned)r),
					       (long long)bya[r]);
				printf(")");
			}
			printf("\n");
			status = 0;
			break;
		}
		if (interrupted) {
			printf("\nstopped following replay %llu; it goes on "
			       "(rawzone status shows where it is)\n",
			       (unsigned long long)id);
			status = 0;
			break;
		}
		usleep(tty ? 200000 : 500000);
	}
out:
	cli_db_close(db);
	log_ck_free(&rq);
	free(t);
	cfg_free(cfg);
	return status;
}

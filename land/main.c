/* land/main.c - rawzone-land: Kafka to the raw zone.
 *
 * The main loop takes batches of records from librdkafka without blocking,
 * frames them, lets the land core close epochs as they fall due, and sleeps
 * in poll(2) on librdkafka's queue and io_uring's completions when there is
 * nothing to do. SIGTERM or SIGINT: stop fetching, land what is in flight,
 * fsync, checkpoint, commit, leave the group, exit 0 (Kafka is waited for
 * [land] stop_timeout_ms at most).
 */
#include "common/clock.h"
#include "common/config.h"
#include "common/diag.h"
#include "common/err.h"
#include "common/io.h"
#include "common/lock.h"
#include "common/stage.h"
#include "land/consumer.h"
#include "land/memory.h"
#include "land/land.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rawzone-land -c CONF [-X SECTION.KEY=VALUE ...]\n"
		"       rawzone-land -c CONF [-X ...] --kafka-settings\n"
		"\n"
		"Consumes the topics of [land] topics in the consumer group "
		"[kafka] group.id and\n"
		"writes every record's bytes, exactly as received, with its "
		"topic, partition,\n"
		"offset, timestamp, key and headers, to the raw zone under "
		"[pipeline] data_dir.\n"
		"Offsets are committed to Kafka only after the records are "
		"fsync'd and\n"
		"checkpointed. Restarts resume from the local checkpoint.\n"
		"\n"
		"  -c, --config CONF    the rawzone.conf to read (required)\n"
		"  -X SECTION.KEY=VALUE override one config value "
		"(repeatable)\n"
		"  --kafka-settings     print every librdkafka setting land "
		"would consume with\n"
		"                       under CONF (KEY=VALUE a line, "
		"credentials hidden) and exit;\n"
		"                       it takes no lock and may run beside "
		"a running land\n"
		"  -h, --help           this text\n"
		"\n"
		"Signals: SIGTERM or SIGINT land what is in flight, "
		"checkpoint, commit, exit 0;\n"
		"Kafka is waited for [land] stop_timeout_ms at most "
		"(10 s), then land exits 0 anyway.\n"
		"Exit: 0 after a clean stop; 1 on a fatal error (named in "
		"the message: an fsync\n"
		"or write failure, a full disk, corruption in checkpointed "
		"data); 2 on bad usage\n"
		"or configuration; %d when another rawzone-land holds "
		"<data_dir>/land.lock.\n\n",
		LOCK_EXIT_BUSY);
	land_consumer_print_defaults();
}

/* What an empty queue means while land takes a backlog (a full batch
 * within the last second); tailing, it means nothing and the epoch's
 * interval decides.
 *
 * Either land has caught up with the broker: then it makes what it holds
 * durable at once (land_settle), not at the end of [land]
 * fsync_interval_ms, so a backlog is checkpointed as soon as it is landed
 * (and committed to Kafka within LAND_COMMIT_MS, as always). A partition
 * that has landed nothing yet, or whose broker end is not known, counts
 * as caught up: at worst an epoch closes early.
 *
 * Or librdkafka has not fetched the rest yet; it will within
 * fetch.queue.backoff.ms (land/consumer.c), and the epoch waits. */
static void queue_dry(struct land *l, int64_t full_ms)
{
	if (clock_ms() - full_ms <= 1000 && !land_behind(l))
		land_settle(l);
}

static void report(const struct land *l, int64_t *last_ms,
		   struct land_stats *last)
{
	struct land_stats st;
	int64_t now = clock_ms();
	double secs = (double)(now - *last_ms) / 1000.0;

	land_get_stats(l, &st);
	diag_info("landed %llu records (%.1f MB), %.0f records/s, %llu "
		  "epochs, %llu redelivered skipped, %llu ring overflows",
		  (unsigned long long)st.records, (double)st.bytes / 1e6,
		  secs > 0 ? (double)(st.records - last->records) / secs : 0.0,
		  (unsigned long long)st.epochs, (unsigned long long)st.skipped,
		  (unsigned long long)st.ring_overflows);
	*last = st;
	*last_ms = now;
}

int main(int argc, char **argv)
{
	struct stage_args args = {
		.name = "land", .has_settings = true, .usage = usage};
	struct cfg *cfg;
	struct land *l = NULL;
	rd_kafka_t *rk = NULL;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_message_t **msgs = NULL;
	struct land_stats last = {0};
	int64_t last_report;
	int64_t full_ms = INT64_MIN / 2; /* the last full batch */
	int64_t start_ms = clock_ms();
	bool first_told = false;
	bool abandon = false; /* Kafka unreachable at the stop */
	int64_t stop_by;
	int ret, pipefd[2] = {-1, -1};
	int status;

	status = stage_begin(&args, argc, argv);
	if (status >= 0)
		return status;
	status = 1;
	cfg = args.cfg;

	if (land_memory_check(cfg) < 0)
		goto out;
	if (args.settings) {
		status = land_consumer_print_settings(cfg) < 0 ? 2 : 0;
		goto out;
	}
	ret = land_new(cfg, &l);
	if (ret < 0)
		goto out;
	rk = land_consumer_new(cfg, l);
	if (!rk) {
		status = 2;
		goto out;
	}
	land_set_kafka(l, rk);
	q = rd_kafka_queue_get_consumer(rk);
	msgs = malloc((size_t)cfg->land_batch_records * sizeof(*msgs));
	if (!q || !msgs || pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) < 0)
		goto out;
	/* librdkafka writes to the pipe when its queue turns non-empty, so
	 * the loop can sleep in poll() on it and on io_uring at once. */
	rd_kafka_queue_io_event_enable(q, pipefd[1], "1", 1);
	diag_info("landing [land] topics into %s/raw (instance %s)",
		  cfg->data_dir, cfg->instance);

	last_report = clock_ms();
	while (!stage_stop) {
		ssize_t n, i;

		n = rd_kafka_consume_batch_queue(
			q, 0, msgs, (size_t)cfg->land_batch_records);
		for (i = 0; i < n; i++) {
			rd_kafka_message_t *m = msgs[i];

			if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
				ret = land_add(l, m);
			else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				diag_warn("consume: %s%s%s [%d]: %s",
					  rd_kafka_err2name(m->err),
					  m->rkt ? " on " : "",
					  m->rkt ? rd_kafka_topic_name(m->rkt)
						 : "",
					  (int)m->partition,
					  rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
		}
		ret = land_tick(l);
		if (ret < 0)
			goto out_fatal;
		if (!first_told && n > 0) {
			struct land_stats st;

			land_get_stats(l, &st);
			if (st.first_ms) {
				/* Mostly the group join: the time before a
				 * stage runs at full speed. */
				diag_info("first record framed %.3f s after "
					  "the start",
					  (double)(st.first_ms - start_ms) /
						  1000.0);
				first_told = true;
			}
		}
		{
			char reason[256];

			if (rd_kafka_fatal_error(rk, reason, sizeof(reason))) {
				diag_err("Kafka client fatal error: %s",
					 reason);
				goto out_fatal;
			}
		}
		if (clock_ms() - last_report >= 10000)
			report(l, &last_report, &last);
		if (n == cfg->land_batch_records)
			full_ms = clock_ms();
		if (n <= 0) {
			struct pollfd pfd[2] = {
				{pipefd[0], POLLIN, 0},
				{land_wait_fd(l), POLLIN, 0},
			};
			char drain[64];
			int t;

			queue_dry(l, full_ms);
			t = land_timeout_ms(l);
			if (t < 0 || t > 1000)
				t = 1000;
			poll(pfd, pfd[1].fd >= 0 ? 2 : 1, t);
			while (read(pipefd[0], drain, sizeof(drain)) > 0)
				;
		}
	}

	diag_info("stopping: landing what is in flight");
	/* Kafka is waited for at most [land] stop_timeout_ms in all, from
	 * when what was landed is durable and checkpointed. */
	ret = land_stop(l, &stop_by);
	if (ret < 0)
		goto out_fatal;
	/* Closing revokes the assignment (the rebalance callback flushes
	 * and commits again: nothing is left by then). A broker that did
	 * not answer the commit is not waited for again. */
	abandon = ret > 0 || !land_consumer_close(rk, q, stop_by);
	report(l, &last_report, &last);
	{
		struct land_stats st;
		double secs;

		land_get_stats(l, &st);
		secs = (double)(st.last_ms - st.first_ms) / 1000.0;
		diag_info("totals: %llu records landed in %.2f s of landing "
			  "(%.0f records/s, %.1f MB/s)",
			  (unsigned long long)st.records, secs,
			  secs > 0 ? (double)st.records / secs : 0.0,
			  secs > 0 ? (double)st.bytes / secs / 1e6 : 0.0);
	}
	status = 0;
	if (abandon)
		diag_info("stopped: every record landed is durable and "
			  "checkpointed, but Kafka did not answer in time "
			  "(above); the next start resumes from land's "
			  "checkpoint");
	else
		diag_info("stopped cleanly");
	goto out;

out_fatal:
	diag_err("stopping after a fatal error; nothing past the last "
		 "checkpoint was committed");
	/* Exit without closing the consumer: closing would revoke and try
	 * to commit; the next start resumes from the checkpoint. */
	_exit(1);

out:
	/* librdkafka's threads outlive what follows when abandoning: no
	 * more wake-ups into the pipe, whose descriptor closes. */
	if (q && abandon)
		rd_kafka_queue_io_event_enable(q, -1, NULL, 0);
	else if (q)
		rd_kafka_queue_destroy(q);
	if (rk && !abandon)
		rd_kafka_destroy(rk);
	land_free(l);
	free(msgs);
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	cfg_free(cfg);
	if (abandon) {
		/* librdkafka's teardown would wait for the group coordinator
		 * it cannot reach (up to session.timeout.ms). Exiting ends its
		 * threads instead, as a crash would: the group reassigns the
		 * partitions, and the next start resumes from the checkpoint
		 * land has just written. */
		fflush(NULL);
		_exit(status);
	}
	return status;
}

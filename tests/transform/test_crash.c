/* tests/transform/test_crash.c - rawzone-transform, the binary, killed
 * and restarted: the database it ends with is the one a clean run makes.
 *
 *   - kill points T1 (rows written, checkpoint not), T2 (checkpoint
 *     written, not committed) and T3 (committed), at several occurrences:
 *     killed there, restarted, drained: the same database, integrity ok;
 *   - kill -9 at random moments of a run, over and over (and sometimes
 *     right after a start), then drained: the same database;
 *   - SIGTERM mid-run and when idle: exit 0, the batch in hand committed;
 *   - the stage lock: a second transform exits 75 and touches nothing;
 *   - the ring: an announcement wakes transform at once; a bogus one
 *     (past what decode.ckpt says) changes nothing.
 * The data has quarantined records and a replay, so the rare paths are
 * crossed by the kills too. TEST_SCALE=N divides the data.
 */
#include "tests/transform/xf_test.h"

#include "common/lock.h"
#include "shm/ring.h"

#include <time.h>

#define NPART 4

static char data_dir[1024], logpath[PATH_MAX];
static char *clean_dump;
static uint64_t total;
static pid_t running; /* a transform in the background, killed at exit */

static void kill_running(void)
{
	if (running > 0)
		kill(running, SIGKILL);
}

static pid_t start(const char *conf)
{
	running = xt_spawn(conf, NULL, NULL, logpath);
	return running;
}

static void msleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void show_log(void)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "tail -n 20 '%s' >&2", logpath);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log)\n");
}

/* A config for database @name with @batch records per transaction. */
/* Wait until transform @pid has started (its signal handlers and lock
 * are in place once it says what it transforms). */
static void wait_started(pid_t pid)
{
	char want[64], line[1024];
	int i;

	snprintf(want, sizeof(want), "rawzone-transform[%d] info: transforming",
		 (int)pid);
	for (i = 0; i < 1000; i++) {
		FILE *f = fopen(logpath, "r");
		bool found = false;

		while (f && !found && fgets(line, sizeof(line), f))
			found = strstr(line, want) != NULL;
		if (f)
			fclose(f);
		if (found)
			return;
		msleep(10);
	}
	fprintf(stderr, "transform %d did not start\n", (int)pid);
	show_log();
	exit(1);
}

static void conf_for(const char *name, const char *batch, char *conf,
		     size_t csize, char *db, size_t dsize)
{
	char kv[64], lat[64];
	const char *extra[] = {kv, lat, NULL};

	CHECK(snprintf(conf, csize, "%s/%s.conf", data_dir, name) < (int)csize);
	CHECK(snprintf(db, dsize, "%s/%s.db", data_dir, name) < (int)dsize);
	snprintf(kv, sizeof(kv), "transform.batch_records = %s", batch);
	snprintf(lat, sizeof(lat), "transform.batch_latency_ms = 20");
	xt_conf(conf, data_dir, db, extra);
}

static void expect_exit(pid_t pid, int want)
{
	int rc = xt_wait(pid);

	if (pid == running)
		running = 0;
	if (rc != want) {
		fprintf(stderr, "rawzone-transform exited %d, expected %d\n",
			rc, want);
		show_log();
		exit(1);
	}
}

static void drain(const char *conf)
{
	expect_exit(xt_spawn(conf, "--once", NULL, logpath), 0);
}

static void check_same(const char *db)
{
	sqlite3 *h = xt_db(db);
	char ok[64];
	char *d;

	xt_row(h, ok, sizeof(ok), "PRAGMA integrity_check");
	CHECK(strcmp(ok, "ok") == 0);
	xt_invariant(h);
	sqlite3_close(h);
	d = xt_dump(db);
	if (!test_same(clean_dump, d))
		exit(1);
	free(d);
}

static uint64_t applied(const char *db)
{
	sqlite3 *h;
	int64_t n;

	if (access(db, F_OK) != 0)
		return 0; /* not created yet */
	h = xt_db(db);

	sqlite3_busy_timeout(h, 5000);
	/* A transform killed between creating the file and its tables. */
	n = xt_int(h, "SELECT count(*) FROM sqlite_master WHERE name = "
		      "'rawzone_transform_checkpoint'");
	if (n > 0)
		n = xt_int(h, "SELECT coalesce(sum(outcomes), 0) FROM "
			      "rawzone_transform_checkpoint");
	sqlite3_close(h);
	return n < 0 ? 0 : (uint64_t)n;
}

static void kill_points(void)
{
	static const char *const points[] = {"T1", "T2", "T3"};
	static const int nth[] = {1, 3, 7};
	char conf[PATH_MAX], db[PATH_MAX], name[32], at[16];
	size_t i, j;

	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			snprintf(name, sizeof(name), "kp-%s-%d", points[i],
				 nth[j]);
			snprintf(at, sizeof(at), "%s:%d", points[i], nth[j]);
			conf_for(name, "500", conf, sizeof(conf), db,
				 sizeof(db));
			expect_exit(xt_spawn(conf, "--once", at, logpath),
				    128 + SIGKILL);
			drain(conf);
			check_same(db);
		}
	printf("kill points T1, T2, T3 x 1st, 3rd, 7th: same database\n");
}

static void kill_loop(void)
{
	char conf[PATH_MAX], db[PATH_MAX], batch[32];
	uint64_t rs = 12345, before = 0, now;
	int i, kills = 0, mid = 0, rounds = 30;

	/* ~250 transactions, whatever the scale: the run lasts long enough
	 * for kills to land inside it */
	snprintf(batch, sizeof(batch), "%llu",
		 (unsigned long long)(total / 250 + 1));
	conf_for("loop", batch, conf, sizeof(conf), db, sizeof(db));
	for (i = 0; i < rounds; i++) {
		pid_t pid = start(conf);
		int delay = i % 5 == 4 ? (int)(test_rand(&rs) % 10)
				       : 5 + (int)(test_rand(&rs) % 80);

		msleep(delay);
		kill(pid, SIGKILL);
		expect_exit(pid, 128 + SIGKILL);
		kills++;
		now = applied(db);
		if (now > before && now < total)
			mid++;
		before = now;
		if (now == total && i >= 10)
			break;
	}
	drain(conf);
	check_same(db);
	printf("kill -9 loop: %d kills (%d with progress mid-run): same "
	       "database\n",
	       kills, mid);
	CHECK(mid >= 3);
}

static void sigterm(void)
{
	char conf[PATH_MAX], db[PATH_MAX];
	pid_t pid;
	int i;

	conf_for("term", "200", conf, sizeof(conf), db, sizeof(db));
	pid = start(conf);
	wait_started(pid);
	msleep(20);
	kill(pid, SIGTERM);
	expect_exit(pid, 0);
	/* idle: caught up, then asked to stop */
	pid = start(conf);
	wait_started(pid);
	for (i = 0; i < 300 && applied(db) < total; i++)
		msleep(50);
	CHECK_EQ(applied(db), total);
	kill(pid, SIGTERM);
	expect_exit(pid, 0);
	check_same(db);
	printf("SIGTERM mid-run and idle: exit 0, same database\n");
}

static void lock(void)
{
	char conf[PATH_MAX], db[PATH_MAX];
	int fd, holder;
	pid_t pid;

	conf_for("lock", "500", conf, sizeof(conf), db, sizeof(db));
	fd = lock_stage(data_dir, "transform", &holder);
	CHECK(fd >= 0);
	expect_exit(xt_spawn(conf, NULL, NULL, logpath), LOCK_EXIT_BUSY);
	CHECK(access(db, F_OK) != 0); /* touched nothing */
	close(fd);
	/* and against a real one */
	pid = start(conf);
	wait_started(pid);
	expect_exit(xt_spawn(conf, "--once", NULL, logpath), LOCK_EXIT_BUSY);
	kill(pid, SIGTERM);
	expect_exit(pid, 0);
	printf("lock: a second transform exits %d\n", LOCK_EXIT_BUSY);
}

static void ring(struct log_dir **logs)
{
	char conf[PATH_MAX], db[PATH_MAX], name[128], inst[32];
	struct shm_ring *r = NULL;
	struct shm_ring_entry e;
	struct xt_ev ev = {"ring-order", "c", 1,  5, false, "EUR", 1, 0,
			   NULL,	 0,   {0}};
	struct log_pos end;
	int64_t t0;
	struct timespec ts;
	pid_t pid;
	int i, k;

	snprintf(inst, sizeof(inst), "xt%d", (int)getpid());
	CHECK_OK(
		shm_ring_name(name, sizeof(name), inst, "decode", "transform"));
	CHECK_OK(shm_ring_open(name, 65536, SHM_RING_PRODUCER, &r));
	conf_for("ring", "1000", conf, sizeof(conf), db, sizeof(db));
	pid = start(conf);
	wait_started(pid);
	for (i = 0; i < 300 && applied(db) < total; i++)
		msleep(50);
	CHECK_EQ(applied(db), total);
	msleep(300); /* asleep on the ring now */

	/* A bogus announcement: far past decode.ckpt. Only a hint. */
	e = (struct shm_ring_entry){
		shm_topic_id(XT_TOPIC), 0, 0, 999, 64, 1 << 20};
	CHECK_EQ(shm_ring_publish(r, &e, 1), 1);
	msleep(100);
	CHECK_EQ(applied(db), total);

	/* A real one wakes transform before its poll of decode.ckpt
	 * (every XF_POLL_MS) would: applied within half that, three times
	 * out of three (a poll alone would manage it about once in sixteen
	 * tries; batch_latency_ms is 20). */
	for (k = 0; k < 3; k++) {
		int64_t ms;

		xt_ok(logs[0], 1000000 + k, 1700000000000, 3, &ev);
		xt_frontier(data_dir, logs[0], 0);
		end = log_dir_end(logs[0]);
		e = (struct shm_ring_entry){
			shm_topic_id(XT_TOPIC),
			0,
			1000000 + k,
			end.seg,
			LOG_SEG_HDR_SIZE,
			(uint32_t)(end.pos - LOG_SEG_HDR_SIZE)};
		msleep(300); /* asleep on the ring again */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t0 = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		CHECK_EQ(shm_ring_publish(r, &e, 1), 1);
		for (i = 0; i < 400 && applied(db) < total + 1 + k; i++)
			msleep(2);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		CHECK_EQ(applied(db), total + 1 + k);
		ms = ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - t0;
		printf("ring: applied %lld ms after the announcement\n",
		       (long long)ms);
		CHECK(ms < XF_POLL_MS / 2);
	}
	kill(pid, SIGTERM);
	expect_exit(pid, 0);
	shm_ring_close(r);
	shm_ring_unlink(name);
}

int main(void)
{
	const char *scale_s = getenv("TEST_SCALE");
	long scale = scale_s ? atol(scale_s) : 1;
	struct log_dir *logs[NPART];
	struct xt_gen g = {
		.nparts = NPART,
		.norders = 3000,
		.window = 300,
		.qfrac = 0.05,
		.replay = true,
		.seed = 42,
	};
	char conf[PATH_MAX], db[PATH_MAX];
	int p;

	if (access(xt_bin("rawzone-transform"), X_OK) != 0) {
		fprintf(stderr, "%s: not built\n", xt_bin("rawzone-transform"));
		return 1;
	}
	if (scale < 1)
		scale = 1;
	atexit(kill_running);
	snprintf(data_dir, sizeof(data_dir), "%s", test_tmpdir("xf-crash"));
	TEST_FMT(logpath, "%s/transform.log", data_dir);
	g.n = 100000 / (uint64_t)scale;
	for (p = 0; p < NPART; p++)
		logs[p] = xt_part_open(data_dir, p, 256 << 10);
	xt_generate(data_dir, logs, &g);
	{
		/* outcomes in the decoded logs, replays included */
		sqlite3 *h;

		conf_for("clean", "50000", conf, sizeof(conf), db, sizeof(db));
		drain(conf);
		h = xt_db(db);
		total = (uint64_t)xt_int(h, "SELECT sum(outcomes) FROM "
					    "rawzone_transform_checkpoint");
		CHECK(total > g.n);
		printf("clean run: %llu outcomes, %lld events, %lld "
		       "quarantined, %lld orders\n",
		       (unsigned long long)total,
		       (long long)xt_int(h,
					 "SELECT count(*) FROM order_events"),
		       (long long)xt_int(h, "SELECT count(*) FROM "
					    "rawzone_quarantine"),
		       (long long)xt_int(h, "SELECT count(*) FROM orders"));
		xt_invariant(h);
		sqlite3_close(h);
		clean_dump = xt_dump(db);
	}
	kill_points();
	kill_loop();
	sigterm();
	lock();
	ring(logs);
	for (p = 0; p < NPART; p++)
		log_dir_close(logs[p]);
	free(clean_dump);
	return 0;
}

/* cli/rebuild.c - `rawzone rebuild`: a fresh database from the raw zone
 * alone, by running decode and transform as processes in a scratch
 * directory beside the data (the live pipeline is untouched).
 *
 * The scratch directory holds a link to the raw zone, a copy of land's
 * checkpoint (the frontier to rebuild up to: what is durable now), and the
 * scratch decode's own logs and checkpoint; it is removed on success. The
 * stages run under another instance name, so their rings are not the live
 * pipeline's.
 */
#include "cli/cli.h"
#include "cli/progress.h"

#include "cli/sinkdb.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/diag.h"
#include "common/url.h"
#include "common/err.h"
#include "log/checkpoint.h"
#include "log/layout.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_int(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rawzone rebuild -c CONF --sink URL [--topic TOPIC] "
		"[--force]\n"
		"                       [-X SECTION.KEY=VALUE ...]\n"
		"\n"
		"Builds a fresh database from the raw zone alone: decode and "
		"transform run as\n"
		"processes over everything land has made durable, in a "
		"scratch directory\n"
		"beside the data, into --sink. The live pipeline keeps running "
		"and is not\n"
		"touched. Use it for a new derived view, or to check the live "
		"one (then\n"
		"`rawzone diff --sink LIVE --sink REBUILT`).\n"
		"\n"
		"  -c, --config CONF  the rawzone.conf of the pipeline\n"
		"  --sink URL         the database to build: sqlite:PATH\n"
		"  --topic TOPIC      only this topic (default: every landed "
		"topic)\n"
		"  --force            replace a database that is not empty "
		"(refused otherwise)\n"
		"\n"
		"Shows progress (a bar on a terminal, a line every 5 s "
		"otherwise).\n"
		"Exit: 0; 1 on an error (the stage's log is shown and the "
		"scratch directory\n"
		"kept); 2 on bad usage.\n");
}

/* A database with rows in any table is not empty. */
static bool db_has_rows(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	bool rows = false;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		return true; /* unreadable: not ours to replace quietly */
	}
	if (sqlite3_prepare_v2(db,
			       "SELECT name FROM sqlite_master WHERE type = "
			       "'table'",
			       -1, &st, NULL) == SQLITE_OK) {
		while (!rows && sqlite3_step(st) == SQLITE_ROW) {
			char sql[300];
			sqlite3_stmt *c = NULL;

			snprintf(sql, sizeof(sql),
				 "SELECT 1 FROM \"%s\" LIMIT 1",
				 (const char *)sqlite3_column_text(st, 0));
			if (sqlite3_prepare_v2(db, sql, -1, &c, NULL) ==
				    SQLITE_OK &&
			    sqlite3_step(c) == SQLITE_ROW)
				rows = true;
			sqlite3_finalize(c);
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rows;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Remove @dir and what is in it, never following links (raw is one). */
static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Remove scratch directories of rebuilds that died (no process holds
 * their rebuild.lock any more). */
static void remove_stale(const char *data_dir)
{
	char pattern[PATH_MAX];
	DIR *dh = opendir(data_dir);
	struct dirent *de;

	if (!dh)
		return;
	while ((de = readdir(dh))) {
		char lock[PATH_MAX + 300];
		int fd;

		if (strncmp(de->d_name, "rebuild.", 8) != 0)
			continue;
		snprintf(pattern, sizeof(pattern), "%s/%s", data_dir,
			 de->d_name);
		snprintf(lock, sizeof(lock), "%s/rebuild.lock", pattern);
		fd = open(lock, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd); /* a rebuild running now */
			continue;
		}
		if (fd >= 0)
			close(fd);
		diag_info("removing %s, left by a rebuild that did not finish",
			  pattern);
		rm_tree(pattern);
	}
	closedir(dh);
}

/* Start rawzone-@stage -c @conf with every assignment of @x as -X. */
static pid_t run_stage(const char *bin, const char *stage, const char *conf,
		       const struct cfg_overrides *x, bool once,
		       const char *log)
{
	char path[PATH_MAX];
	char **argv = calloc(2 * x->n + 5, sizeof(*argv));
	size_t n = 0, i;
	pid_t pid;

	if (!argv)
		return -1;
	snprintf(path, sizeof(path), "%s/rawzone-%s", bin, stage);
	argv[n++] = path;
	argv[n++] = "-c";
	argv[n++] = (char *)conf;
	for (i = 0; i < x->n; i++) {
		argv[n++] = "-X";
		argv[n++] = x->v[i];
	}
	if (once)
		argv[n++] = "--once";
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			      0640);

		/* The stages die with the rebuild, however it dies: an
		 * orphan must not write into a database being replaced. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(path, argv);
		_exit(127);
	}
	free(argv);
	return pid;
}

static void tail_log(const char *log)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "tail -n 15 '%s' >&2", log);
	if (system(cmd) != 0)
		diag_err("see %s", log);
}

int cmd_rebuild(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"sink", required_argument, NULL, 's'},
		{"topic", required_argument, NULL, 't'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *conf = NULL, *sink = NULL, *topic = NULL;
	struct cfg_overrides ov = {0};
	char xbuf[4][PATH_MAX + 64];
	char bin[PATH_MAX], scratch[PATH_MAX] = "", path[PATH_MAX];
	char dbpath[PATH_MAX];
	char dlog[PATH_MAX + 16], tlog[PATH_MAX + 16];
	struct log_ck lck = {0}, keep = {0};
	struct cfg *cfg = NULL, *scfg = NULL;
	struct cli_db *db = NULL;
	bool force = false, tty = isatty(STDOUT_FILENO), keep_scratch = false;
	size_t i;
	pid_t dec = -1, xf = -1;
	uint64_t total = 0;
	double t0, last_line = -10;
	int opt, ret, status = 1, dec_status = -1;
	ssize_t n;

	while ((opt = getopt_long(argc, argv, "c:X:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 's':
			sink = optarg;
			break;
		case 't':
			topic = optarg;
			break;
		case 'f':
			force = true;
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
	if (!conf || !sink || optind != argc) {
		usage(stderr);
		cfg_overrides_free(&ov);
		return 2;
	}
	ret = cfg_load(conf, ov.v, ov.n, &cfg);
	if (ret < 0) {
		cfg_overrides_free(&ov);
		return 2;
	}
	if (cli_db_path(cfg, sink, dbpath, sizeof(dbpath)) < 0 ||
	    strncmp(sink, "sqlite:", 7) != 0) {
		char shown[1024];

		fprintf(stderr,
			"rawzone rebuild: --sink %s: expected "
			"sqlite:PATH\n",
			url_redact(sink, shown, sizeof(shown)));
		status = 2;
		goto out;
	}
	if (access(dbpath, F_OK) == 0) {
		if (db_has_rows(dbpath) && !force) {
			diag_err("%s is not empty; --force replaces it",
				 dbpath);
			goto out;
		}
		static const char *const ext[] = {"", "-wal", "-shm"};

		for (i = 0; i < 3; i++)
			if (snprintf(path, sizeof(path), "%s%s", dbpath,
				     ext[i]) < (int)sizeof(path))
				unlink(path);
	}

	/* The frontier: land's checkpoint as it is now, for the topic. */
	snprintf(path, sizeof(path), "%s/%s", cfg->data_dir, LAYOUT_LAND_CKPT);
	ret = log_ck_load(path, &lck);
	if (ret < 0) {
		diag_err("%s: %s", path,
			 ret == -ENOENT ? "land has landed nothing yet"
					: err_str(ret));
		goto out;
	}
	for (i = 0; i < lck.n; i++) {
		struct log_ck_entry *e;

		if (topic && strcmp(topic, lck.e[i].topic) != 0)
			continue;
		e = log_ck_put(&keep, lck.e[i].topic, lck.e[i].partition);
		if (!e)
			goto out;
		memcpy(e->v, lck.e[i].v, sizeof(e->v));
		total += lck.e[i].v[LAND_CK_NEXT];
	}
	if (keep.n == 0) {
		diag_err("no landed partition%s%s", topic ? " of topic " : "",
			 topic ? topic : "");
		goto out;
	}

	remove_stale(cfg->data_dir);
	snprintf(scratch, sizeof(scratch), "%s/rebuild.%d", cfg->data_dir,
		 (int)getpid());
	if (mkdir(scratch, 0750) < 0) {
		diag_err("%s: %s", scratch, strerror(errno));
		goto out;
	}
	keep_scratch = true; /* until the stages have run */
	{
		char lock[PATH_MAX + 16];
		int fd;

		/* Held for the rebuild's life: tells a later rebuild this
		 * directory is in use. */
		snprintf(lock, sizeof(lock), "%s/rebuild.lock", scratch);
		fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
			diag_err("%s: %s", lock, strerror(errno));
			goto out;
		}
	}
	snprintf(path, sizeof(path), "%s/%s", cfg->data_dir, LAYOUT_RAW);
	{
		char link[PATH_MAX + 8];

		snprintf(link, sizeof(link), "%s/%s", scratch, LAYOUT_RAW);
		if (symlink(path, link) < 0) {
			diag_err("%s: %s", link, strerror(errno));
			goto out;
		}
	}
	snprintf(path, sizeof(path), "%s/%s", scratch, LAYOUT_LAND_CKPT);
	ret = log_ck_save(path, &keep);
	if (ret < 0) {
		diag_err("%s: %s", path, err_str(ret));
		goto out;
	}

	n = readlink("/proc/self/exe", bin, sizeof(bin) - 1);
	if (n <= 0) {
		diag_err("cannot find the rawzone binaries: %s",
			 strerror(errno));
		goto out;
	}
	bin[n] = '\0';
	*strrchr(bin, '/') = '\0';

	snprintf(xbuf[0], sizeof(xbuf[0]), "pipeline.data_dir=%s", scratch);
	snprintf(xbuf[1], sizeof(xbuf[1]), "pipeline.instance=rebuild%d",
		 (int)getpid());
	snprintf(xbuf[2], sizeof(xbuf[2]), "transform.sink=%s", sink);
	snprintf(xbuf[3], sizeof(xbuf[3]), "decode.registry=%s",
		 cfg->dec_registry);
	/* The operator's -X first, the rebuild's own last: they win. */
	for (i = 0; i < 4; i++)
		if (cfg_overrides_add(&ov, xbuf[i]) < 0)
			goto out;
	if (cfg_load(conf, ov.v, ov.n, &scfg) < 0)
		goto out;
	snprintf(dlog, sizeof(dlog), "%s/decode.log", scratch);
	snprintf(tlog, sizeof(tlog), "%s/transform.log", scratch);
	printf("rebuilding %s from %zu partition(s), %llu records, of %s/raw\n",
	       dbpath, keep.n, (unsigned long long)total, cfg->data_dir);
	fflush(stdout);

	signal(SIGINT, on_int);
	signal(SIGTERM, on_int);
	t0 = clock_s();
	dec = run_stage(bin, "decode", conf, &ov, true, dlog);
	xf = run_stage(bin, "transform", conf, &ov, false, tlog);
	if (dec < 0 || xf < 0) {
		diag_err("cannot start the rebuild's stages: %s",
			 strerror(errno));
		goto out_kill;
	}
	for (;;) {
		struct log_ck dck = {0};
		uint64_t decoded = 0;
		size_t caught = 0;
		double el = clock_s() - t0, frac;
		int st;

		if (dec > 0 && waitpid(dec, &st, WNOHANG) == dec) {
			dec = -1;
			dec_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
			if (dec_status != 0) {
				diag_err("decode failed (exit %d):",
					 dec_status);
				tail_log(dlog);
				goto out_kill;
			}
		}
		if (xf > 0 && waitpid(xf, &st, WNOHANG) == xf) {
			xf = -1;
			diag_err("transform stopped (exit %d):",
				 WIFEXITED(st) ? WEXITSTATUS(st) : 128);
			tail_log(tlog);
			goto out_kill;
		}
		snprintf(path, sizeof(path), "%s/%s", scratch,
			 LAYOUT_DECODE_CKPT);
		if (log_ck_load(path, &dck) == 0) {
			if (!db)
				cli_db_open(scfg, &db);
			for (i = 0; i < dck.n; i++) {
				struct log_pos out = {
					dck.e[i].v[DEC_CK_OUT_SEG],
					dck.e[i].v[DEC_CK_OUT_POS]};

				decoded += dck.e[i].v[DEC_CK_RAW_NEXT];
				if (cli_db_caught_up(db, scfg->instance,
						     dck.e[i].topic,
						     dck.e[i].partition, out))
					caught++;
			}
		}
		frac = total ? (double)decoded / (double)total : 1;
		if (tty || el - last_line >= 5) {
			cli_progress(tty, "rebuild", frac, decoded, el, NULL);
			last_line = el;
		}
		log_ck_free(&dck);
		if (dec_status == 0 && caught == keep.n)
			break;
		if (interrupted) {
			diag_err("interrupted: %s is incomplete", dbpath);
			goto out_kill;
		}
		usleep(200000);
	}
	kill(xf, SIGTERM);
	{
		int st;

		waitpid(xf, &st, 0);
		xf = -1;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			diag_err("transform did not stop cleanly:");
			tail_log(tlog);
			goto out;
		}
	}
	if (tty)
		printf("\n");
	{
		double el = clock_s() - t0;

		printf("rebuilt %s: %llu records in %.1f s (%.0f records/s)\n",
		       dbpath, (unsigned long long)total, el,
		       el > 0 ? (double)total / el : 0);
	}
	keep_scratch = false;
	status = 0;
	goto out;

out_kill:
	if (dec > 0) {
		kill(dec, SIGKILL);
		waitpid(dec, NULL, 0);
	}
	if (xf > 0) {
		kill(xf, SIGKILL);
		waitpid(xf, NULL, 0);
	}
	diag_err("the scratch directory %s is kept for inspection", scratch);
out:
	cli_db_close(db);
	if (!keep_scratch && scratch[0] && status == 0)
		rm_tree(scratch);
	log_ck_free(&lck);
	log_ck_free(&keep);
	cfg_free(scfg);
	cfg_free(cfg);
	cfg_overrides_free(&ov);
	return status;
}

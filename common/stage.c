/* common/stage.c - a stage process's start: signals, arguments, config,
 * data directory, lock. */
#include "common/stage.h"

#include "common/diag.h"
#include "common/err.h"
#include "common/io.h"
#include "common/lock.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

volatile sig_atomic_t stage_stop;

static void on_stop(int sig)
{
	(void)sig;
	stage_stop = 1;
}

int stage_begin(struct stage_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"once", no_argument, NULL, 'o'},
		{"kafka-settings", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *conf = NULL;
	struct cfg_overrides ov = {0};
	char prog[64];
	struct sigaction sa;
	int opt, ret, holder;

	snprintf(prog, sizeof(prog), "rawzone-%s", a->name);
	diag_init(strdup(prog), DIAG_INFO);
	/* First of all: a stop asked for during start-up is a clean stop. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	a->cfg = NULL;
	a->once = false;
	a->settings = false;
	a->lock_fd = -1;
	while ((opt = getopt_long(argc, argv, "c:X:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'X':
			if (cfg_overrides_add(&ov, optarg) < 0) {
				cfg_overrides_free(&ov);
				return 1;
			}
			break;
		case 'o': /* --once and --kafka-settings: some stages only */
			if (!a->has_once)
				goto out_usage;
			a->once = true;
			break;
		case 'k':
			if (!a->has_settings)
				goto out_usage;
			a->settings = true;
			break;
		case 'h':
			cfg_overrides_free(&ov);
			a->usage(stdout);
			return 0;
		default:
			goto out_usage;
		}
	}
	if (!conf || optind != argc)
		goto out_usage;
	ret = cfg_load(conf, ov.v, ov.n, &a->cfg);
	cfg_overrides_free(&ov);
	if (ret < 0)
		return 2;
	if (a->settings)
		return -1;

	ret = io_mkdir_p(a->cfg->data_dir, 0750);
	if (ret < 0) {
		diag_err("%s: cannot create the data directory: %s",
			 a->cfg->data_dir, err_str(ret));
		goto out_cfg;
	}
	a->lock_fd = lock_stage(a->cfg->data_dir, a->name, &holder);
	if (a->lock_fd == -ERR_LOCKED) {
		diag_err("%s/%s.lock is held by another %s (pid %d): one %s "
			 "per data directory",
			 a->cfg->data_dir, a->name, prog, holder, a->name);
		cfg_free(a->cfg);
		a->cfg = NULL;
		return LOCK_EXIT_BUSY;
	}
	if (a->lock_fd < 0) {
		diag_err("%s/%s.lock: %s", a->cfg->data_dir, a->name,
			 err_str(a->lock_fd));
		goto out_cfg;
	}
	return -1;

out_cfg:
	cfg_free(a->cfg);
	a->cfg = NULL;
	return 1;

out_usage:
	cfg_overrides_free(&ov);
	a->usage(stderr);
	return 2;
}

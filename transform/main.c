/* transform/main.c - rawzone-transform: the decoded log into the database.
 *
 * Takes the stage lock, opens the sink and the transforms, then lets the
 * core apply batches, sleeping on the decode->transform ring (or polling
 * decode.ckpt) when there is nothing to do. SIGTERM or SIGINT: commit the
 * batch in hand, exit 0. --once: apply everything decode has made durable
 * so far, then exit 0 (like rawzone-decode --once; for rebuilds and
 * tests).
 */
#include "common/config.h"
#include "common/diag.h"
#include "common/err.h"
#include "common/io.h"
#include "common/lock.h"
#include "transform/transform.h"

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rawzone-transform -c CONF [-X SECTION.KEY=VALUE ...] "
		"[--once]\n"
		"\n"
		"Reads the decoded log under [pipeline] data_dir up to what "
		"rawzone-decode has\n"
		"made durable, and writes it into the database of [transform] "
		"sink (default\n"
		"sqlite:<data_dir>/rawzone.db): the tables of each topic's "
		"transform ([transform]\n"
		"topics.<topic>; orders for the topic orders) and "
		"rawzone_quarantine. Each batch\n"
		"is one transaction holding its rows and transform's "
		"checkpoint, so a restart\n"
		"after any crash applies every record once in effect.\n"
		"\n"
		"  -c, --config CONF    the rawzone.conf to read (required)\n"
		"  -X SECTION.KEY=VALUE override one config value "
		"(repeatable)\n"
		"      --once           stop once everything decode made "
		"durable so far is applied\n"
		"  -h, --help           this text\n"
		"\n"
		"Signals: SIGTERM or SIGINT commit the batch in hand, exit "
		"0.\n"
		"Exit: 0 after a clean stop; 1 on a fatal error (named in the "
		"message: damaged\n"
		"decoded data below decode's checkpoint, a database error); 2 "
		"on bad usage or\n"
		"configuration (a topic without a transform built, an "
		"incompatible database);\n"
		"%d when another rawzone-transform holds "
		"<data_dir>/transform.lock.\n\n",
		LOCK_EXIT_BUSY);
	cfg_print_keys();
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"once", no_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *conf_path = NULL;
	char **overrides = NULL, **no;
	size_t noverrides = 0;
	struct cfg *cfg = NULL;
	struct xf *xf = NULL;
	struct sigaction sa;
	bool once = false;
	int opt, ret, lock_fd, holder;
	int status = 1;

	diag_init("rawzone-transform", DIAG_INFO);
	/* First of all: a stop requested during start-up is a clean stop. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt_long(argc, argv, "c:X:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'X':
			no = realloc(overrides,
				     (noverrides + 1) * sizeof(char *));
			if (!no) {
				free(overrides);
				return 1;
			}
			overrides = no;
			overrides[noverrides++] = optarg;
			break;
		case 'o':
			once = true;
			break;
		case 'h':
			free(overrides);
			usage(stdout);
			return 0;
		default:
			free(overrides);
			usage(stderr);
			return 2;
		}
	}
	if (!conf_path || optind != argc) {
		free(overrides);
		usage(stderr);
		return 2;
	}
	ret = cfg_load(conf_path, overrides, noverrides, &cfg);
	free(overrides);
	if (ret < 0)
		return 2;

	ret = io_mkdir_p(cfg->data_dir, 0750);
	if (ret < 0) {
		diag_err("%s: cannot create the data directory: %s",
			 cfg->data_dir, err_str(ret));
		goto out;
	}
	lock_fd = lock_stage(cfg->data_dir, "transform", &holder);
	if (lock_fd == -ERR_LOCKED) {
		diag_err("%s/transform.lock is held by another "
			 "rawzone-transform (pid %d): one transform per data "
			 "directory",
			 cfg->data_dir, holder);
		status = LOCK_EXIT_BUSY;
		goto out;
	}
	if (lock_fd < 0) {
		diag_err("%s/transform.lock: %s", cfg->data_dir,
			 err_str(lock_fd));
		goto out;
	}

	ret = xf_new(cfg, &xf);
	if (ret < 0) {
		status = ret == -ERR_CONFIG || ret == -ERR_FORMAT ? 2 : 1;
		goto out;
	}
	ret = xf_run(xf, &stop_requested, once);
	if (ret < 0) {
		status = ret == -ERR_CONFIG ? 2 : 1;
		diag_err("stopping after a fatal error (%s); the database "
			 "holds every batch committed before it",
			 err_str(ret));
		goto out;
	}
	status = 0;
	diag_info(once ? "caught up: everything decode had made durable is "
			 "applied"
		       : "stopped cleanly");

out:
	xf_free(xf);
	cfg_free(cfg);
	return status;
}

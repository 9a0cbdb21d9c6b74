/* decode/main.c - rawzone-decode: the raw zone to decoded outcomes. */
#include "common/config.h"
#include "common/diag.h"
#include "common/err.h"
#include "common/io.h"
#include "common/lock.h"
#include "decode/stage.h"

#include <getopt.h>
#include <signal.h>
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
		"usage: rawzone-decode -c CONF [--once] [-X SECTION.KEY=VALUE "
		"...]\n"
		"\n"
		"Reads the raw zone up to land's durable checkpoint, decodes "
		"each record with\n"
		"the versioned protobuf-c decoders of the registry ([decode] "
		"registry), and\n"
		"appends the outcome - the canonical message, or a quarantine "
		"reason - to the\n"
		"decoded log; a record it cannot decode is also copied, as "
		"received, to the\n"
		"quarantine log. Nothing is lost and no partition stops on a "
		"bad record.\n"
		"\n"
		"  -c, --config CONF     the rawzone.conf to read (required)\n"
		"  --once                stop once everything landed so far is "
		"decoded\n"
		"  -X SECTION.KEY=VALUE  override one config value "
		"(repeatable)\n"
		"  -h, --help            this text\n"
		"\n"
		"Exit: 0 after a clean stop (SIGTERM or SIGINT: commit, then "
		"exit); 1 on a fatal\n"
		"error (named in the message); 2 on bad usage or "
		"configuration (a registry\n"
		"naming a message decode is not built with); %d when another "
		"rawzone-decode\n"
		"holds <data_dir>/decode.lock.\n",
		LOCK_EXIT_BUSY);
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
	char **overrides = NULL;
	size_t noverrides = 0;
	struct cfg *cfg = NULL;
	struct dec_stage *s = NULL;
	struct sigaction sa;
	int opt, ret, lock_fd, holder, once = 0, status = 1;

	diag_init("rawzone-decode", DIAG_INFO);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while ((opt = getopt_long(argc, argv, "c:X:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'o':
			once = 1;
			break;
		case 'X':
			overrides = realloc(overrides,
					    (noverrides + 1) * sizeof(char *));
			if (!overrides)
				return 1;
			overrides[noverrides++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!conf_path || optind != argc) {
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
	lock_fd = lock_stage(cfg->data_dir, "decode", &holder);
	if (lock_fd == -ERR_LOCKED) {
		diag_err("%s/decode.lock is held by another rawzone-decode "
			 "(pid %d): one decode per data directory",
			 cfg->data_dir, holder);
		status = LOCK_EXIT_BUSY;
		goto out;
	}
	if (lock_fd < 0) {
		diag_err("%s/decode.lock: %s", cfg->data_dir, err_str(lock_fd));
		goto out;
	}
	ret = dec_stage_new(cfg, &s);
	if (ret < 0) {
		status = ret == -ERR_CONFIG ? 2 : 1;
		goto out;
	}
	ret = dec_stage_run(s, &stop_requested, once);
	if (ret < 0) {
		diag_err("stopping after a fatal error: %s; the checkpoint "
			 "stays at the last commit",
			 err_str(ret));
		goto out;
	}
	diag_info("stopped cleanly");
	status = 0;
out:
	dec_stage_free(s);
	cfg_free(cfg);
	return status;
}

/* decode/main.c - rawzone-decode: the raw zone to decoded outcomes. */
#include "common/config.h"
#include "common/diag.h"
#include "common/err.h"
#include "common/io.h"
#include "common/lock.h"
#include "common/stage.h"
#include "decode/stage.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	struct stage_args args = {
		.name = "decode", .has_once = true, .usage = usage};
	struct dec_stage *s = NULL;
	int ret, status;

	status = stage_begin(&args, argc, argv);
	if (status >= 0)
		return status;
	status = 1;
	ret = dec_stage_new(args.cfg, &s);
	if (ret < 0) {
		status = ret == -ERR_CONFIG ? 2 : 1;
		goto out;
	}
	ret = dec_stage_run(s, &stage_stop, args.once);
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
	cfg_free(args.cfg);
	return status;
}

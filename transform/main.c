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
#include "common/stage.h"
#include "transform/transform.h"

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		"0; a database that\n"
		"does not answer for [transform] stop_timeout_ms after the "
		"signal has its\n"
		"connection cut (nothing of that transaction is committed), "
		"exit 1.\n"
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
	struct stage_args args = {
		.name = "transform", .has_once = true, .usage = usage};
	struct xf *xf = NULL;
	int ret, status;

	status = stage_begin(&args, argc, argv);
	if (status >= 0)
		return status;
	status = 1;
	ret = xf_new(args.cfg, &xf);
	if (ret < 0) {
		status = ret == -ERR_CONFIG || ret == -ERR_FORMAT ? 2 : 1;
		goto out;
	}
	ret = xf_run(xf, &stage_stop, args.once);
	if (ret < 0) {
		status = ret == -ERR_CONFIG ? 2 : 1;
		diag_err("stopping after a fatal error (%s); the database "
			 "holds every batch committed before it",
			 err_str(ret));
		goto out;
	}
	status = 0;
	diag_info(args.once ? "caught up: everything decode had made durable "
			      "is applied"
			    : "stopped cleanly");

out:
	xf_free(xf);
	cfg_free(args.cfg);
	return status;
}

/* common/stage.h - what every stage process does before its work: stop
 * signals handled first of all, the command line (-c CONF, -X overrides,
 * --once and --kafka-settings where the stage has them, --help), the
 * config, the data directory and the stage lock - each failure with its
 * message and exit code.
 */
#ifndef RZ_COMMON_STAGE_H
#define RZ_COMMON_STAGE_H

#include "common/config.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

/* Set by SIGTERM and SIGINT once stage_begin() has run. */
extern volatile sig_atomic_t stage_stop;

struct stage_args {
	const char *name;  /* "land": rawzone-land, <data_dir>/land.lock */
	bool has_once;	   /* the stage takes --once */
	bool has_settings; /* the stage takes --kafka-settings */
	void (*usage)(FILE *out); /* its --help text */
	/* filled in by stage_begin() */
	struct cfg *cfg;
	bool once;
	bool settings; /* --kafka-settings: the config is loaded, nothing
			* else is done (no data directory, no lock) */
	int lock_fd;
};

/* stage_begin - install the stop handlers, parse @argv, load the config,
 * create the data directory and take the stage's lock (with
 * --kafka-settings only the first three: a->settings is set and a->lock_fd
 * stays -1). Returns -1 when the stage should go on (a->cfg then holds the
 * config; cfg_free it at the end), or the status to exit with: 0 after
 * --help, 2 on bad usage or configuration, LOCK_EXIT_BUSY when another
 * process holds the lock, 1 on another error. Every failure is reported. */
int stage_begin(struct stage_args *a, int argc, char **argv);

#endif

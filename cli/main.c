/* cli/main.c - `rawzone SUBCOMMAND ...`: dispatch and the overall help. */
#include "cli/cli.h"

#include "common/diag.h"

#include <stdio.h>
#include <string.h>

const struct cli_cmd cli_cmds[] = {
	{"broker", cmd_broker, "embedded in-memory Kafka for demos and tests"},
	{"produce", cmd_produce, "produce example orders events (load test)"},
	{"status", cmd_status,
	 "where each partition stands: broker, landed, decoded, transformed"},
	{"cat", cmd_cat,
	 "print the records of a zone (raw, decoded, quarantine)"},
	{"config", cmd_config,
	 "check a config file, print a value or every key"},
	{"rebuild", cmd_rebuild,
	 "build a fresh database from the raw zone alone"},
	{"diff", cmd_diff, "compare two databases row by row"},
	{"replay", cmd_replay,
	 "decode partitions again (after a schema fix) while the pipeline "
	 "runs"},
	{NULL, NULL, NULL},
};

static void usage(FILE *out)
{
	const struct cli_cmd *c;

	fprintf(out, "usage: rawzone SUBCOMMAND [OPTIONS]\n\n"
		     "The operator's command of rawzone, a raw-first Kafka "
		     "ingestion pipeline.\n\nSubcommands:\n");
	for (c = cli_cmds; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\n'rawzone SUBCOMMAND --help' describes each one.\n");
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (c = cli_cmds; c->name; c++)
		if (strcmp(argv[1], c->name) == 0) {
			char prog[64];

			snprintf(prog, sizeof(prog), "rawzone %s", c->name);
			diag_init(strdup(prog), DIAG_INFO);
			return c->run(argc - 1, argv + 1);
		}
	fprintf(stderr, "rawzone: unknown subcommand '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}

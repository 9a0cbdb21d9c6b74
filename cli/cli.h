/* cli/cli.h - the subcommands of `rawzone`, the operator's command.
 *
 * Each subcommand is one cli/<name>.c with one entry point taking the
 * arguments after the subcommand name (argv[0] is the subcommand) and
 * returning the process exit code. The CLI never links a stage's code: it
 * reads what stages write (through log/ and shm/), writes requests they
 * read, and runs stage binaries as processes where it needs them.
 */
#ifndef RZ_CLI_CLI_H
#define RZ_CLI_CLI_H

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* The table of subcommands, NULL-terminated (cli/main.c). */
extern const struct cli_cmd cli_cmds[];

/* `rawzone broker`: librdkafka's mock cluster as a process (cli/broker.c). */
int cmd_broker(int argc, char **argv);

/* `rawzone produce`: the orders load generator (cli/produce.c). */
int cmd_produce(int argc, char **argv);

/* `rawzone status`: per-partition positions of every stage (cli/status.c). */
int cmd_status(int argc, char **argv);

/* `rawzone cat`: print a zone's records (cli/cat.c). */
int cmd_cat(int argc, char **argv);
/* `rawzone config`: check a config, print values and keys (cli/config.c). */
int cmd_config(int argc, char **argv);
/* `rawzone replay`: re-decode from an offset, time or the beginning
 * (cli/replay.c). */
int cmd_replay(int argc, char **argv);
/* `rawzone diff`: compare two databases (cli/diff.c). */
int cmd_diff(int argc, char **argv);
/* `rawzone rebuild`: a fresh database from the raw zone (cli/rebuild.c). */
int cmd_rebuild(int argc, char **argv);

#endif

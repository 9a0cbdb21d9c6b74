/* cli/config.c - `rawzone config`: check a config file, print one value,
 * or list every key with its default (scripts such as the supervisor read
 * values through this, so one parser serves every reader). */
#include "cli/cli.h"

#include "common/config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rawzone config -c CONF [--get SECTION.KEY] "
		"[-X SECTION.KEY=VALUE ...]\n"
		"       rawzone config --keys\n"
		"\n"
		"Checks CONF (every problem is reported with its file, line "
		"and key) and prints\n"
		"\"ok\", or with --get prints the effective value of one key "
		"(defaults applied,\n"
		"relative paths resolved against the config file's "
		"directory). --keys lists\n"
		"every key with its type, default and meaning.\n"
		"Exit: 0; 1 for an unknown --get key; 2 for a bad config or "
		"usage.\n");
}

static int print_value(const struct cfg *cfg, const char *key)
{
	const char *dot = strchr(key, '.');
	size_t i;

	if (!dot)
		return -1;
	if (strncmp(key, "kafka.", 6) == 0) {
		const char *v = cfg_kafka_get(cfg, dot + 1);

		if (!v)
			return -1;
		printf("%s\n", v);
		return 0;
	}
	if (strcmp(key, "pipeline.data_dir") == 0)
		printf("%s\n", cfg->data_dir);
	else if (strcmp(key, "pipeline.instance") == 0)
		printf("%s\n", cfg->instance);
	else if (strcmp(key, "decode.registry") == 0)
		printf("%s\n", cfg->dec_registry);
	else if (strcmp(key, "transform.sink") == 0)
		printf("%s\n", cfg->xf_sink);
	else if (strcmp(key, "land.topics") == 0)
		for (i = 0; i < cfg->nland_topics; i++)
			printf("%s%s", cfg->land_topics[i],
			       i + 1 < cfg->nland_topics ? "," : "\n");
	else
		return -1;
	return 0;
}

int cmd_config(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"get", required_argument, NULL, 'g'},
		{"keys", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *conf = NULL, *get = NULL;
	struct cfg_overrides ov = {0};
	struct cfg *cfg;
	int opt, status = 0;

	while ((opt = getopt_long(argc, argv, "c:X:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'g':
			get = optarg;
			break;
		case 'k':
			cfg_print_keys();
			cfg_overrides_free(&ov);
			return 0;
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
	if (!conf || optind != argc) {
		usage(stderr);
		cfg_overrides_free(&ov);
		return 2;
	}
	if (cfg_load(conf, ov.v, ov.n, &cfg) < 0) {
		cfg_overrides_free(&ov);
		return 2;
	}
	cfg_overrides_free(&ov);
	if (!get) {
		printf("ok\n");
	} else if (print_value(cfg, get) < 0) {
		fprintf(stderr,
			"rawzone config: --get %s: not a key this command "
			"prints (kafka.*, pipeline.data_dir, "
			"pipeline.instance, decode.registry, transform.sink, "
			"land.topics)\n",
			get);
		status = 1;
	}
	cfg_free(cfg);
	return status;
}

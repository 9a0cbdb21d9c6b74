/* tests/common/test_config.c - rawzone.conf: values, defaults, relative
 * paths, overrides, and errors that name the file, line and key. */
#include "common/config.h"
#include "common/err.h"
#include "tests/check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[PATH_MAX], conf[PATH_MAX + 16], errs[PATH_MAX + 16];

static void write_conf(const char *text)
{
	FILE *f = fopen(conf, "w");

	CHECK(f);
	fputs(text, f);
	fclose(f);
}

/* Load with stderr captured; returns the result, errs holds the text. */
static int load(char *const *ov, size_t n, struct cfg **cfg)
{
	int saved = dup(2), fd, ret;

	fd = open(errs, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && saved >= 0);
	dup2(fd, 2);
	ret = cfg_load(conf, ov, n, cfg);
	dup2(saved, 2);
	close(fd);
	close(saved);
	return ret;
}

static int errs_has(const char *s)
{
	char buf[8192];
	FILE *f = fopen(errs, "r");
	size_t n;

	CHECK(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (!strstr(buf, s)) {
		fprintf(stderr, "expected '%s' in:\n%s\n", s, buf);
		return 0;
	}
	return 1;
}

int main(void)
{
	struct cfg *cfg;
	char *ov[4];

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("config"));
	snprintf(conf, sizeof(conf), "%s/rawzone.conf", dir);
	snprintf(errs, sizeof(errs), "%s/errs", dir);

	write_conf("; a comment\n"
		   "[pipeline]\n"
		   "instance = prod-1\n"
		   "data_dir = data\n"
		   "segment_bytes = 64M\n"
		   "[kafka]\n"
		   "bootstrap.servers = 127.0.0.1:9092\n"
		   "group.id = rz\n"
		   "fetch.wait.max.ms = 10\n"
		   "[land]\n"
		   "topics = orders, payments ,\n"
		   "fsync_interval_ms = 5\n"
		   "[transform]\n"
		   "topics.payments = json\n");
	CHECK_OK(load(NULL, 0, &cfg));
	CHECK(strcmp(cfg->instance, "prod-1") == 0);
	CHECK(strncmp(cfg->data_dir, dir, strlen(dir)) == 0);
	CHECK(strcmp(cfg->data_dir + strlen(dir), "/data") == 0);
	CHECK_EQ(cfg->segment_bytes, 64LL << 20);
	CHECK_EQ(cfg->max_record_bytes, 16LL << 20); /* default */
	CHECK_EQ(cfg->nland_topics, 2);
	CHECK(strcmp(cfg->land_topics[1], "payments") == 0);
	CHECK_EQ(cfg->land_fsync_interval_ms, 5);
	CHECK_EQ(cfg->nkafka, 3);
	CHECK(strcmp(cfg->kafka[2].key, "fetch.wait.max.ms") == 0);
	CHECK(strcmp(cfg_kafka_get(cfg, "group.id"), "rz") == 0);
	CHECK_EQ(cfg->nxf_topics, 1);
	CHECK(strcmp(cfg->xf_topics[0].key, "payments") == 0);
	/* The default registry path is relative to the config file. */
	CHECK(strncmp(cfg->dec_registry, dir, strlen(dir)) == 0);
	cfg_free(cfg);

	/* Overrides: -X section.key=value, checked the same way. */
	ov[0] = "kafka.bootstrap.servers=127.0.0.1:1234";
	ov[1] = "land.fsync_bytes=1M";
	ov[2] = "pipeline.data_dir=/var/tmp/x";
	CHECK_OK(load(ov, 3, &cfg));
	CHECK(strcmp(cfg_kafka_get(cfg, "bootstrap.servers"),
		     "127.0.0.1:1234") == 0);
	CHECK_EQ(cfg->land_fsync_bytes, 1LL << 20);
	CHECK(strcmp(cfg->data_dir, "/var/tmp/x") == 0);
	cfg_free(cfg);
	/* An override longer than any line buffer is kept whole. */
	{
		static char longv[5000];
		const char *v;

		memcpy(longv, "kafka.ssl.ca.pem=", 17);
		memset(longv + 17, 'c', sizeof(longv) - 18);
		ov[0] = longv;
		CHECK_OK(load(ov, 1, &cfg));
		v = cfg_kafka_get(cfg, "ssl.ca.pem");
		CHECK(v && strlen(v) == sizeof(longv) - 18);
		cfg_free(cfg);
	}
	ov[0] = "land.fsync_bytes=lots";
	CHECK_EQ(load(ov, 1, &cfg), -ERR_CONFIG);
	CHECK(errs_has("fsync_bytes"));
	CHECK(cfg == NULL);

	/* Unknown key: file, line and key named. */
	write_conf("[pipeline]\ndata_dir = /x\n[kafka]\n"
		   "bootstrap.servers = h:1\n[land]\ntopics = t\n"
		   "fsync_intervl_ms = 5\n");
	CHECK_EQ(load(NULL, 0, &cfg), -ERR_CONFIG);
	CHECK(errs_has("rawzone.conf:7: [land] fsync_intervl_ms: unknown key"));

	/* Unknown section, bad values, out of range, not a power of two. */
	write_conf("[pipeline]\ndata_dir = /x\nsegment_bytes = 12Q\n"
		   "[kafka]\nbootstrap.servers = h:1\n[land]\ntopics = t\n"
		   "batch_records = 0\nring_capacity = 1000\n[lnd]\na = b\n");
	CHECK_EQ(load(NULL, 0, &cfg), -ERR_CONFIG);
	CHECK(errs_has(":3: [pipeline] segment_bytes: '12Q' is not a size"));
	CHECK(errs_has(":8: [land] batch_records: 0 is out of range"));
	CHECK(errs_has(":9: [land] ring_capacity: must be a power of two"));
	CHECK(errs_has(":11: [lnd] a: unknown section"));

	/* Required keys. */
	write_conf("[pipeline]\ninstance = a b\n");
	CHECK_EQ(load(NULL, 0, &cfg), -ERR_CONFIG);
	CHECK(errs_has("[pipeline] instance: must be"));
	CHECK(errs_has("[pipeline] data_dir: required, not set"));
	CHECK(errs_has("[land] topics: required, not set"));
	CHECK(errs_has("[kafka] bootstrap.servers: required, not set"));

	/* Not an INI line. */
	write_conf("[pipeline]\ndata_dir = /x\njust words\n");
	CHECK_EQ(load(NULL, 0, &cfg), -ERR_CONFIG);
	CHECK(errs_has(":3: not an INI line"));

	/* A missing file. */
	unlink(conf);
	CHECK_EQ(load(NULL, 0, &cfg), -ENOENT);
	CHECK(errs_has("cannot read the config file"));
	return 0;
}

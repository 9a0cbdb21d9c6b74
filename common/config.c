/* common/config.c - rawzone.conf: the key table, the INI reader (libinih)
 * and the checks.
 *
 * libinih does the lexing; this file owns the meaning. Lines are counted by
 * our own reader callback because the handler is not told its line number.
 */
#include "common/config.h"

#include "common/diag.h"
#include "common/err.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cfg_type { CFG_STR, CFG_PATH, CFG_INT, CFG_SIZE, CFG_LIST, CFG_BOOL };

struct cfg_key {
	const char *section;
	const char *name;
	enum cfg_type type;
	size_t off;  /* of the field in struct cfg */
	size_t cnt;  /* CFG_LIST: of the count field */
	int64_t min; /* CFG_INT, CFG_SIZE */
	int64_t max;
	const char *def; /* NULL: required */
	const char *doc;
};

#define F(field) offsetof(struct cfg, field)
#define MiB (1024LL * 1024)
#define GiB (1024LL * MiB)

static const struct cfg_key keys[] = {
	{"pipeline", "instance", CFG_STR, F(instance), 0, 0, 0, "main",
	 "name of this instance: names its shared-memory rings and is the "
	 "default group.instance.id"},
	{"pipeline", "data_dir", CFG_PATH, F(data_dir), 0, 0, 0, NULL,
	 "directory of the raw zone, the decoded log, checkpoints and locks"},
	{"pipeline", "max_record_bytes", CFG_SIZE, F(max_record_bytes), 0, 1024,
	 256 * MiB, "16M", "largest record any zone accepts"},
	{"pipeline", "segment_bytes", CFG_SIZE, F(segment_bytes), 0, 1 * MiB,
	 2 * GiB, "256M", "a segment rolls once it is this large"},
	{"pipeline", "index_interval_bytes", CFG_SIZE, F(index_interval_bytes),
	 0, 256, 16 * MiB, "4K",
	 "bytes of log between two sparse index entries"},

	{"land", "topics", CFG_LIST, F(land_topics), F(nland_topics), 0, 0,
	 NULL, "comma-separated topics to land"},
	{"land", "fsync_interval_ms", CFG_INT, F(land_fsync_interval_ms), 0, 1,
	 60000, "20", "group commit: fdatasync at least this often"},
	{"land", "fsync_bytes", CFG_SIZE, F(land_fsync_bytes), 0, 4096, 1 * GiB,
	 "16M", "group commit: fdatasync once this much is written"},
	{"land", "batch_records", CFG_INT, F(land_batch_records), 0, 1, 1000000,
	 "10000", "records taken from librdkafka per poll"},
	{"land", "buffer_bytes", CFG_SIZE, F(land_buffer_bytes), 0, 1 * MiB,
	 4 * GiB, "64M", "write buffers in flight between two group commits"},
	{"land", "memory_bytes", CFG_SIZE, F(land_memory_bytes), 0, 0, 64 * GiB,
	 "128M",
	 "bound land's memory: write buffers and librdkafka's prefetch are "
	 "sized from it (0: no bound, sized for throughput; README \"land's "
	 "memory\")"},
	{"land", "direct_io", CFG_BOOL, F(land_direct_io), 0, 0, 0, "true",
	 "write the raw zone with O_DIRECT from land's buffers, past the "
	 "page cache, where the file system takes it (false: through the "
	 "page cache)"},
	{"land", "ring_capacity", CFG_INT, F(land_ring_capacity), 0, 64,
	 1 << 24, "65536", "entries of the land->decode ring (power of two)"},
	{"land", "stop_timeout_ms", CFG_INT, F(land_stop_timeout_ms), 0, 100,
	 600000, "10000",
	 "a stop waits at most this long in all for Kafka, once what it "
	 "landed is durable: to confirm the last offset commit and to leave "
	 "the group (a revoke's commit too); past it land goes on without, "
	 "its checkpoint keeping the place"},
	{"land", "static_membership", CFG_BOOL, F(land_static_membership), 0, 0,
	 0, "true",
	 "join with group.instance.id = [pipeline] instance, so a restart "
	 "gets its partitions back at once (false for the embedded broker, "
	 "which does not support it)"},

	{"decode", "registry", CFG_PATH, F(dec_registry), 0, 0, 0,
	 "proto/registry.conf", "schema registry file: schema id -> message"},
	{"decode", "max_message_bytes", CFG_SIZE, F(dec_max_message_bytes), 0,
	 64, 256 * MiB, "4M",
	 "larger protobuf messages are quarantined as too_large"},
	{"decode", "batch_records", CFG_INT, F(dec_batch_records), 0, 1,
	 1000000, "20000", "records decoded per fdatasync at most"},
	{"decode", "fsync_interval_ms", CFG_INT, F(dec_fsync_interval_ms), 0, 1,
	 60000, "20", "decoded log: fdatasync at least this often"},
	{"decode", "ring_capacity", CFG_INT, F(dec_ring_capacity), 0, 64,
	 1 << 24, "65536", "entries of the decode->transform ring"},

	{"transform", "sink", CFG_STR, F(xf_sink), 0, 0, 0, "",
	 "database URL: sqlite:PATH or postgresql://...; default "
	 "sqlite:<data_dir>/rawzone.db"},
	{"transform", "batch_records", CFG_INT, F(xf_batch_records), 0, 1,
	 10000000, "50000", "records per database transaction at most"},
	{"transform", "batch_latency_ms", CFG_INT, F(xf_batch_latency_ms), 0, 1,
	 600000, "100", "a transaction commits at least this often"},
	{"transform", "stop_timeout_ms", CFG_INT, F(xf_stop_timeout_ms), 0, 100,
	 600000, "10000",
	 "after a stop is asked, how long a database that does not answer "
	 "may hold it; then the connection is cut, nothing of the "
	 "transaction in flight is committed, and transform exits 1"},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct parse {
	struct cfg *cfg;
	const char *file;
	const char *dir; /* of the file, for relative paths */
	int line;
	int errors;
	bool seen[NKEYS];
	FILE *fp;
};

static void *field(struct cfg *cfg, size_t off)
{
	return (char *)cfg + off;
}

static int parse_int(const char *s, int64_t *out, bool size)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (size) {
		long long mul = 1;

		switch (toupper((unsigned char)*end)) {
		case 'K':
			mul = 1024LL;
			break;
		case 'M':
			mul = MiB;
			break;
		case 'G':
			mul = GiB;
			break;
		default:
			break;
		}
		if (mul != 1) {
			end++;
			if (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0)
				end += strlen(end);
			if (v > LLONG_MAX / mul)
				return -ERANGE;
			v *= mul;
		}
	}
	if (*end != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static bool valid_instance(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 32)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

static void report(struct parse *p, const char *section, const char *key,
		   const char *what)
{
	if (p->line > 0)
		diag_err("%s:%d: [%s] %s: %s", p->file, p->line, section, key,
			 what);
	else
		diag_err("%s: [%s] %s: %s", p->file, section, key, what);
	p->errors++;
}

static int kv_add(struct cfg_kv **v, size_t *n, const char *key,
		  const char *value)
{
	struct cfg_kv *nv;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].key, key) == 0) {
			char *dup = strdup(value);

			if (!dup)
				return -ENOMEM;
			free((*v)[i].value);
			(*v)[i].value = dup;
			return 0;
		}
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n].key = strdup(key);
	nv[*n].value = strdup(value);
	if (!nv[*n].key || !nv[*n].value) {
		free(nv[*n].key);
		free(nv[*n].value);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

static void list_free(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* Store @value into the field of @k. Returns 0, -EINVAL (reported) or
 * -ENOMEM. */
static int set_value(struct parse *p, const struct cfg_key *k,
		     const char *value)
{
	char msg[160], *dup = NULL;
	int64_t v;

	switch (k->type) {
	case CFG_STR:
		if (strcmp(k->name, "instance") == 0 &&
		    !valid_instance(value)) {
			report(p, k->section, k->name,
			       "must be 1 to 32 of [A-Za-z0-9_-]");
			return -EINVAL;
		}
		dup = strdup(value);
		break;
	case CFG_PATH:
		if (value[0] == '\0') {
			report(p, k->section, k->name, "must not be empty");
			return -EINVAL;
		}
		if (value[0] == '/' || !p->dir) {
			dup = strdup(value);
		} else {
			size_t n = strlen(p->dir) + strlen(value) + 2;

			dup = malloc(n);
			if (dup)
				snprintf(dup, n, "%s/%s", p->dir, value);
		}
		break;
	case CFG_INT:
	case CFG_SIZE:
		if (parse_int(value, &v, k->type == CFG_SIZE) < 0) {
			snprintf(msg, sizeof(msg), "'%s' is not %s", value,
				 k->type == CFG_SIZE
					 ? "a size (bytes, or with K, M, G)"
					 : "an integer");
			report(p, k->section, k->name, msg);
			return -EINVAL;
		}
		if (v < k->min || v > k->max) {
			snprintf(msg, sizeof(msg),
				 "%lld is out of range [%lld, %lld]",
				 (long long)v, (long long)k->min,
				 (long long)k->max);
			report(p, k->section, k->name, msg);
			return -EINVAL;
		}
		if (strcmp(k->name, "ring_capacity") == 0 && (v & (v - 1))) {
			report(p, k->section, k->name,
			       "must be a power of two");
			return -EINVAL;
		}
		*(int64_t *)field(p->cfg, k->off) = v;
		return 0;
	case CFG_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "1") == 0) {
			*(int *)field(p->cfg, k->off) = 1;
		} else if (strcmp(value, "false") == 0 ||
			   strcmp(value, "no") == 0 ||
			   strcmp(value, "0") == 0) {
			*(int *)field(p->cfg, k->off) = 0;
		} else {
			snprintf(msg, sizeof(msg), "'%s' is not true or false",
				 value);
			report(p, k->section, k->name, msg);
			return -EINVAL;
		}
		return 0;
	case CFG_LIST: {
		char **list = NULL, *copy = strdup(value), *tok, *save = NULL;
		size_t n = 0;

		if (!copy)
			return -ENOMEM;
		for (tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			char **nl;

			tok = trim(tok);
			if (*tok == '\0')
				continue;
			nl = realloc(list, (n + 1) * sizeof(*list));
			if (!nl || !(nl[n] = strdup(tok))) {
				list_free(nl ? nl : list, n);
				free(copy);
				return -ENOMEM;
			}
			list = nl;
			n++;
		}
		free(copy);
		if (n == 0) {
			report(p, k->section, k->name, "the list is empty");
			return -EINVAL;
		}
		list_free(*(char ***)field(p->cfg, k->off),
			  *(size_t *)field(p->cfg, k->cnt));
		*(char ***)field(p->cfg, k->off) = list;
		*(size_t *)field(p->cfg, k->cnt) = n;
		return 0;
	}
	}
	if (!dup)
		return -ENOMEM;
	free(*(char **)field(p->cfg, k->off));
	*(char **)field(p->cfg, k->off) = dup;
	return 0;
}

static bool valid_transform_name(const char *s)
{
	return strcmp(s, "orders") == 0 || strcmp(s, "json") == 0;
}

/* Handle one section/key/value; returns 0, -EINVAL (reported) or -ENOMEM. */
static int assign(struct parse *p, const char *section, const char *name,
		  const char *value)
{
	size_t i;

	if (strcmp(section, "kafka") == 0) {
		if (*value == '\0') {
			report(p, section, name, "empty value");
			return -EINVAL;
		}
		return kv_add(&p->cfg->kafka, &p->cfg->nkafka, name, value);
	}
	if (strcmp(section, "transform") == 0 &&
	    strncmp(name, "topics.", 7) == 0) {
		if (name[7] == '\0' || !valid_transform_name(value)) {
			report(p, section, name,
			       "expected topics.<topic> = orders | json");
			return -EINVAL;
		}
		return kv_add(&p->cfg->xf_topics, &p->cfg->nxf_topics, name + 7,
			      value);
	}
	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0) {
			p->seen[i] = true;
			return set_value(p, &keys[i], value);
		}
	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0)
			break;
	report(p, section, name,
	       i == NKEYS ? "unknown section" : "unknown key");
	return -EINVAL;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse *p = user;

	if (assign(p, section, name, value) == -ENOMEM)
		return 0;
	return 1; /* keep going: report every problem at once */
}

static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char *r = fgets(str, num, p->fp);

	if (r)
		p->line++;
	return r;
}

static int set_defaults(struct parse *p)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const char *saved_dir = p->dir;
		int ret;

		if (!keys[i].def)
			continue;
		/* A default path stays relative to the config file too. */
		ret = set_value(p, &keys[i], keys[i].def);
		p->dir = saved_dir;
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int check_required(struct parse *p)
{
	size_t i;

	p->line = 0;
	for (i = 0; i < NKEYS; i++)
		if (!keys[i].def && !p->seen[i])
			report(p, keys[i].section, keys[i].name,
			       "required, not set");
	if (p->cfg->nkafka == 0 || !cfg_kafka_get(p->cfg, "bootstrap.servers"))
		report(p, "kafka", "bootstrap.servers", "required, not set");
	return p->errors ? -ERR_CONFIG : 0;
}

int cfg_overrides_add(struct cfg_overrides *o, char *assignment)
{
	char **v = realloc(o->v, (o->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	o->v = v;
	o->v[o->n++] = assignment;
	return 0;
}

void cfg_overrides_free(struct cfg_overrides *o)
{
	free(o->v);
	o->v = NULL;
	o->n = 0;
}

int cfg_load(const char *path, char *const *overrides, size_t noverrides,
	     struct cfg **out)
{
	struct parse p = {0};
	char dir[PATH_MAX], *slash;
	size_t i;
	int ret;

	*out = NULL;
	p.cfg = calloc(1, sizeof(*p.cfg));
	if (!p.cfg)
		return -ENOMEM;
	p.cfg->path = strdup(path);
	p.file = path;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		p.dir = dir[0] ? dir : "/";
	} else {
		p.dir = ".";
	}
	ret = set_defaults(&p);
	if (ret < 0)
		goto out_free;

	p.fp = fopen(path, "re");
	if (!p.fp) {
		ret = -errno;
		diag_err("%s: cannot read the config file: %s", path,
			 strerror(errno));
		goto out_free;
	}
	ini_use_stack = 0;
	ini_allow_realloc = 1;
	ini_max_line = 1 << 16;
	ini_allow_multiline = 0;
	ret = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.fp);
	if (ret > 0) {
		diag_err("%s:%d: not an INI line (expected [section] or "
			 "key = value)",
			 path, ret);
		p.errors++;
	} else if (ret < 0) {
		ret = -ENOMEM;
		goto out_free;
	}

	p.line = 0;
	p.file = "command line (-X)";
	for (i = 0; i < noverrides; i++) {
		char *buf = strdup(overrides[i]), *eq, *dot;

		/* A copy as long as the value: a certificate or a long
		 * broker list is not cut short. */
		if (!buf) {
			ret = -ENOMEM;
			goto out_free;
		}
		eq = strchr(buf, '=');
		dot = strchr(buf, '.');
		if (!eq || !dot || dot > eq) {
			diag_err("-X %s: expected section.key=value",
				 overrides[i]);
			p.errors++;
			free(buf);
			continue;
		}
		*dot = '\0';
		*eq = '\0';
		p.dir = NULL; /* paths on the command line: as given */
		ret = assign(&p, trim(buf), trim(dot + 1), trim(eq + 1));
		free(buf);
		if (ret == -ENOMEM)
			goto out_free;
	}
	p.file = path;
	ret = check_required(&p);
	if (ret < 0)
		goto out_free;
	*out = p.cfg;
	return 0;

out_free:
	if (p.errors && ret != -ENOMEM)
		ret = -ERR_CONFIG;
	cfg_free(p.cfg);
	return ret;
}

const char *cfg_kafka_get(const struct cfg *cfg, const char *key)
{
	size_t i;

	for (i = 0; i < cfg->nkafka; i++)
		if (strcmp(cfg->kafka[i].key, key) == 0)
			return cfg->kafka[i].value;
	return NULL;
}

static void kv_free(struct cfg_kv *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

void cfg_free(struct cfg *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < NKEYS; i++) {
		void *f = field(cfg, keys[i].off);

		if (keys[i].type == CFG_STR || keys[i].type == CFG_PATH)
			free(*(char **)f);
		else if (keys[i].type == CFG_LIST)
			list_free(*(char ***)f,
				  *(size_t *)field(cfg, keys[i].cnt));
	}
	kv_free(cfg->kafka, cfg->nkafka);
	kv_free(cfg->xf_topics, cfg->nxf_topics);
	free(cfg->path);
	free(cfg);
}

void cfg_print_keys(void)
{
	static const char *const types[] = {"string", "path", "integer",
					    "size",   "list", "boolean"};
	const char *section = "";
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if (strcmp(section, keys[i].section) != 0) {
			section = keys[i].section;
			printf("[%s]\n", section);
		}
		printf("  %-22s %-8s %-12s %s\n", keys[i].name,
		       types[keys[i].type],
		       keys[i].def ? (keys[i].def[0] ? keys[i].def : "\"\"")
				   : "(required)",
		       keys[i].doc);
	}
	printf("[kafka]\n  any librdkafka property, passed on unchanged "
	       "(bootstrap.servers is required)\n");
	printf("[transform]\n  topics.<topic>         orders | json   "
	       "the transform of a topic (json for topics without a typed "
	       "one)\n");
}

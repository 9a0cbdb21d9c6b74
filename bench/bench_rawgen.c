/* bench/bench_rawgen.c - writes a raw zone of example orders records
 * directly, as land would have landed them, for the benchmarks of decode
 * and of replays (no broker needed): N records over P partitions of topic
 * orders (key hashed to its partition), mixed schema versions, a fraction
 * of bad records, and a land checkpoint covering them.
 *
 *   bench_rawgen DATA_DIR [-n N] [-p P] [-q BAD_FRACTION] [-s SEED]
 * Prints "bench_rawgen: records=N bytes=B seconds=S".
 */
#include "bench/bench.h"
#include "cli/orders_gen.h"
#include "common/err.h"
#include "log/checkpoint.h"
#include "log/dir.h"
#include "log/layout.h"
#include "log/record.h"
#include "shm/ring.h"

#include <getopt.h>
#include <limits.h>

#define MAXP 1024
#define BATCH 512

int main(int argc, char **argv)
{
	struct log_dir *d[MAXP] = {0};
	struct log_rec *recs[MAXP];
	unsigned char *store[MAXP];
	size_t nrec[MAXP] = {0}, used[MAXP] = {0};
	int64_t next[MAXP] = {0};
	struct gen_opts go;
	struct gen *gen;
	struct log_ck ck = {0};
	uint64_t n = 2000000, i, bytes = 0;
	unsigned p = 8, k;
	double t0;
	const char *dir;
	char path[PATH_MAX];
	int opt;

	gen_opts_default(&go);
	go.bad_fraction = 0.01;
	go.open_orders = 20000;
	while ((opt = getopt(argc, argv, "n:p:q:s:")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'p':
			p = (unsigned)atoi(optarg);
			break;
		case 'q':
			go.bad_fraction = atof(optarg);
			break;
		case 's':
			go.seed = strtoull(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc || p == 0 || p > MAXP) {
		fprintf(stderr, "usage: bench_rawgen DATA_DIR [-n N] [-p P] "
				"[-q BAD] [-s SEED]\n");
		return 2;
	}
	dir = argv[optind];
	if (gen_new(&go, &gen) < 0)
		return 1;
	t0 = bench_now();
	for (k = 0; k < p; k++) {
		struct log_dir_opts o = {.zone = LOG_ZONE_RAW,
					 .partition = (int32_t)k,
					 .segment_bytes = 256u << 20,
					 .index_interval = 4096,
					 .max_record = 1u << 20,
					 .keyed = true};
		struct log_recovery r;

		layout_part_dir(path, sizeof(path), dir, LAYOUT_RAW, "orders",
				(int32_t)k);
		if (log_dir_open(path, &o, &d[k]) < 0 ||
		    log_dir_recover(d[k], NULL, &r) < 0)
			return 1;
		recs[k] = calloc(BATCH, sizeof(struct log_rec));
		store[k] = malloc(BATCH * 1200);
	}
	for (i = 0; i < n; i++) {
		struct gen_record g;
		struct log_rec *rec;
		unsigned char *s;
		size_t h = 0;

		if (gen_next(gen, &g) < 0)
			return 1;
		k = shm_topic_id(g.key) % p;
		rec = &recs[k][nrec[k]];
		s = store[k] + used[k];
		memcpy(s, g.key, g.key_len);
		memcpy(s + g.key_len, g.value, g.value_len);
		used[k] += g.key_len + g.value_len;
		if (g.header_schema_id) {
			unsigned char *hp = store[k] + used[k];
			unsigned char *e = log_rec_hdr_put(
				hp, "schema-id", 9, g.header_schema_id,
				(uint32_t)strlen(g.header_schema_id));

			h = (size_t)(e - hp);
			used[k] += h;
			rec->hdrs = hp;
			rec->hdr_count = 1;
		} else {
			rec->hdrs = NULL;
			rec->hdr_count = 0;
		}
		rec->hdrs_len = (uint32_t)h;
		rec->offset = next[k]++;
		rec->timestamp = 1790000000000LL + (int64_t)i;
		rec->ts_type = 1;
		rec->key = s;
		rec->key_len = (uint32_t)g.key_len;
		rec->value = s + g.key_len;
		rec->value_len = (uint32_t)g.value_len;
		bytes += log_rec_size(rec);
		if (++nrec[k] == BATCH) {
			if (log_dir_append(d[k], recs[k], nrec[k], NULL) < 0)
				return 1;
			nrec[k] = used[k] = 0;
		}
	}
	for (k = 0; k < p; k++) {
		struct log_ck_entry *e;
		struct log_pos end;

		if (nrec[k] && log_dir_append(d[k], recs[k], nrec[k], NULL) < 0)
			return 1;
		if (log_dir_sync(d[k]) < 0)
			return 1;
		end = log_dir_end(d[k]);
		e = log_ck_put(&ck, "orders", (int32_t)k);
		e->v[LAND_CK_NEXT] = (uint64_t)next[k];
		e->v[LAND_CK_SEG] = end.seg;
		e->v[LAND_CK_POS] = end.pos;
		log_dir_close(d[k]);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, LAYOUT_LAND_CKPT);
	if (log_ck_save(path, &ck) < 0)
		return 1;
	printf("bench_rawgen: records=%llu bytes=%llu seconds=%.2f\n",
	       (unsigned long long)n, (unsigned long long)bytes,
	       bench_now() - t0);
	gen_free(gen);
	return 0;
}

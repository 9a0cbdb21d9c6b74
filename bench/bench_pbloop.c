/* bench/bench_pbloop.c - the baseline of the decode benchmark: a bare loop
 * that unpacks each framed protobuf payload of a raw zone with protobuf-c
 * and packs it again, on one thread - the least any decoder of these
 * records does. The payloads are read into memory first (not timed);
 * records decode would quarantine (no framing, unknown id) are left out.
 *
 *   bench_pbloop DATA_DIR [-r ROUNDS]
 * Prints "bench_pbloop: records=N seconds=S records_per_s=R" (median).
 */
#include "bench/bench.h"
#include "log/layout.h"
#include "log/reader.h"
#include "proto/orders/v1/order_event.pb-c.h"
#include "proto/orders/v2/order_event.pb-c.h"
#include "proto/orders/v3/order_event.pb-c.h"

#include <getopt.h>
#include <limits.h>

struct payload {
	const ProtobufCMessageDescriptor *desc;
	const uint8_t *p;
	size_t len;
};

static const ProtobufCMessageDescriptor *by_id(unsigned id)
{
	switch (id) {
	case 1:
		return &orders__v1__order_event__descriptor;
	case 2:
		return &orders__v2__order_event__descriptor;
	case 3:
		return &orders__v3__order_event__descriptor;
	default:
		return NULL;
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct payload *pl = NULL;
	size_t n = 0, cap = 0, i;
	uint8_t *packbuf = malloc(1 << 20);
	double secs[16];
	int rounds = 3, r, part, opt;
	char path[PATH_MAX];

	while ((opt = getopt(argc, argv, "r:")) != -1)
		if (opt == 'r')
			rounds = atoi(optarg);
	if (optind + 1 != argc || rounds < 1 || rounds > 16) {
		fprintf(stderr, "usage: bench_pbloop DATA_DIR [-r ROUNDS]\n");
		return 2;
	}
	for (part = 0;; part++) {
		struct log_rd *rd;
		struct log_rec rec;
		struct log_pos at;

		layout_part_dir(path, sizeof(path), argv[optind], LAYOUT_RAW,
				"orders", part);
		if (access(path, F_OK) != 0)
			break;
		if (log_rd_open(path, LOG_ZONE_RAW, 1u << 24, &rd) < 0)
			return 1;
		while (log_rd_next(rd, LOG_POS_END, &rec, &at) == 1) {
			const uint8_t *v = rec.value;
			const void *hv;
			uint32_t hl;
			unsigned id = 0;
			size_t skip = 0;
			uint8_t *copy;

			if (!v || rec.value_len < 6)
				continue;
			if (log_rec_hdr_find(&rec, "schema-id", 9, &hv, &hl) ==
			    1) {
				id = (unsigned)atoi((const char *)hv);
			} else if (v[0] == 0) {
				id = (unsigned)v[1] << 24 |
				     (unsigned)v[2] << 16 |
				     (unsigned)v[3] << 8 | v[4];
				skip = v[5] == 0 ? 6 : 7;
			}
			if (!by_id(id) || skip > rec.value_len)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 1 << 16;
				pl = realloc(pl, cap * sizeof(*pl));
			}
			copy = malloc(rec.value_len - skip);
			memcpy(copy, v + skip, rec.value_len - skip);
			pl[n].desc = by_id(id);
			pl[n].p = copy;
			pl[n].len = rec.value_len - skip;
			n++;
		}
		log_rd_close(rd);
	}
	for (r = 0; r < rounds; r++) {
		double t0 = bench_now();
		size_t ok = 0;

		for (i = 0; i < n; i++) {
			ProtobufCMessage *m = protobuf_c_message_unpack(
				pl[i].desc, NULL, pl[i].len, pl[i].p);

			if (!m)
				continue;
			ok += protobuf_c_message_pack(m, packbuf) > 0;
			protobuf_c_message_free_unpacked(m, NULL);
		}
		secs[r] = bench_now() - t0;
		if (ok < n / 2)
			return 1;
	}
	qsort(secs, (size_t)rounds, sizeof(double), cmp);
	printf("bench_pbloop: records=%zu seconds=%.3f records_per_s=%.0f\n", n,
	       secs[rounds / 2], (double)n / secs[rounds / 2]);
	return 0;
}

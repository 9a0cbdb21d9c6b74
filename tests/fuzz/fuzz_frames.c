/* tests/fuzz/fuzz_frames.c - libFuzzer target: the on-disk parsers. The
 * input is read as a stream of framed records (log/record.h), as a
 * decoded-zone or quarantine-zone value (log/decoded.h) and as a checkpoint
 * slot payload (log/checkpoint.h). None may crash, read out of bounds or
 * accept a frame whose lengths do not add up; a frame that decodes must
 * re-encode to the same bytes. */
#include "common/err.h"
#include "log/checkpoint.h"
#include "log/decoded.h"
#include "log/record.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENSURE(cond)                                                           \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_frames: %s:%d: %s\n", __FILE__,  \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

static void frames(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct log_rec rec;
		struct log_rec_hdr_it it;
		const char *name;
		const void *val;
		uint32_t nl, vl;
		size_t need = 0;
		int ret = log_rec_decode(data + off, size - off, 1u << 20, &rec,
					 &need);

		if (ret <= 0) {
			ENSURE(ret == -ENODATA || ret == -ERR_CORRUPT ||
			       ret == -ERR_TOO_LARGE || ret == -ERR_FORMAT);
			if (ret == -ENODATA)
				ENSURE(need > size - off);
			return;
		}
		ENSURE((size_t)ret <= size - off);
		ENSURE(log_rec_size(&rec) == (size_t)ret);
		log_rec_hdr_iter(&rec, &it);
		while (log_rec_hdr_next(&it, &name, &nl, &val, &vl) == 1)
			ENSURE((const uint8_t *)name >= data &&
			       (const uint8_t *)name + nl <= data + size);
		{
			uint8_t *copy = malloc((size_t)ret);

			ENSURE(copy);
			ENSURE(log_rec_encode(&rec, copy) == (size_t)ret);
			ENSURE(memcmp(copy, data + off, (size_t)ret) == 0);
			free(copy);
		}
		off += (size_t)ret;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log_dec_ok ok;
	struct log_dec_quarantine q;
	struct log_ck ck = {0};

	frames(data, size);
	if (log_dec_ok_parse(data, size, &ok) == 0)
		ENSURE(6 + (size_t)ok.message_len + ok.body_len == size);
	if (log_dec_q_parse(data, size, true, &q) == 0)
		ENSURE(8 + (size_t)q.detail_len + q.value_len == size);
	if (log_dec_q_parse(data, size, false, &q) == 0)
		ENSURE(log_dec_reason_name(q.reason) != NULL);
	if (size >= 4) {
		uint32_t entries;

		memcpy(&entries, data, 4);
		(void)log_ck_parse(data + 4, size - 4, entries % 4096, &ck);
	}
	log_ck_free(&ck);
	return 0;
}

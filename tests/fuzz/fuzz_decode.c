/* tests/fuzz/fuzz_decode.c - libFuzzer target: one raw Kafka record value
 * through dec_decode().
 *
 * The first input byte picks how the rest is presented:
 *   bits 0-1 = 0  the rest is the value, as landed (Confluent framing);
 *            = 1  the rest is the value, with a schema-id header holding
 *                 the id (first byte >> 2) % 5, in decimal;
 *            = 2  the rest starts with a length n (< 64), then n bytes of
 *                 schema-id header value, then the value;
 *            = 3  a null value with a schema-id header of the rest.
 * Besides the sanitizers, it checks what must hold for any input: an
 * outcome is always given (memory never runs out here), decoding is
 * deterministic, quarantine details are printable ASCII within
 * LOG_DEC_DETAIL_MAX, and canonical bytes are a fixed point (decoded again
 * as orders.v3.OrderEvent they come back unchanged).
 */
#include "common/diag.h"
#include "decode/decoder.h"
#include "decode/registry.h"
#include "log/record.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MESSAGE (1u << 20)

static struct dec_registry *reg;
static struct dec_ctx *ctx, *ctx2;
static uint8_t *copy, *canon;

#define ENSURE(cond)                                                           \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_decode: %s:%d: %s\n", __FILE__,  \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char text[] = "1 orders.v1.OrderEvent\n"
				   "2 orders.v2.OrderEvent\n"
				   "3 orders.v3.OrderEvent\n";
	char path[] = "/tmp/rawzone-fuzz-registry-XXXXXX";
	int fd;

	(void)argc;
	(void)argv;
	diag_init("fuzz_decode", DIAG_ERR);
	fd = mkstemp(path);
	ENSURE(fd >= 0);
	ENSURE(write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1);
	close(fd);
	ENSURE(dec_registry_load(path, &reg) == 0);
	unlink(path);
	ENSURE(dec_ctx_new(reg, MAX_MESSAGE, &ctx) == 0);
	ENSURE(dec_ctx_new(reg, MAX_MESSAGE, &ctx2) == 0);
	copy = malloc(MAX_MESSAGE + 6);
	canon = malloc(MAX_MESSAGE + 6);
	ENSURE(copy && canon);
	return 0;
}

static int same(const struct dec_out *a, const struct dec_out *b)
{
	if (a->reason != b->reason || a->schema_id != b->schema_id ||
	    a->has_schema_id != b->has_schema_id)
		return 0;
	if (a->reason == 0)
		return a->body_len == b->body_len &&
		       memcmp(a->body, b->body, a->body_len) == 0;
	return a->detail_len == b->detail_len &&
	       memcmp(a->detail, b->detail, a->detail_len) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t hdrs[256], *hend;
	struct log_rec rec = {0}, again = {0};
	struct dec_out out, out2, fixed;
	char id[8];
	size_t i, n;

	if (size < 1 || size > MAX_MESSAGE)
		return 0;
	/* The value gets a buffer of its own, exactly its size, so a read
	 * past its end is caught. */
	n = size - 1;
	memcpy(copy, data + 1, n);
	rec.value = copy;
	rec.value_len = (uint32_t)n;
	hend = hdrs;
	switch (data[0] & 3) {
	case 0:
		break;
	case 1:
		snprintf(id, sizeof(id), "%u", (unsigned)(data[0] >> 2) % 5);
		hend = log_rec_hdr_put(hdrs, "schema-id", 9, id,
				       (uint32_t)strlen(id));
		rec.hdr_count = 1;
		break;
	case 2:
		if (n == 0 || (size_t)(copy[0] % 64) > n - 1)
			return 0;
		hend = log_rec_hdr_put(hdrs, "schema-id", 9, copy + 1,
				       copy[0] % 64);
		rec.hdr_count = 1;
		rec.value = copy + 1 + copy[0] % 64;
		rec.value_len = (uint32_t)(n - 1 - copy[0] % 64);
		break;
	case 3:
		if (n > 64)
			return 0;
		hend = log_rec_hdr_put(hdrs, "schema-id", 9, copy, (uint32_t)n);
		rec.hdr_count = 1;
		rec.value = NULL;
		rec.value_len = 0;
		break;
	}
	rec.hdrs = hdrs;
	rec.hdrs_len = (uint32_t)(hend - hdrs);
	if (rec.value && rec.value_len) {
		/* Move the value to the end of its buffer. */
		memmove(copy + MAX_MESSAGE + 6 - rec.value_len, rec.value,
			rec.value_len);
		rec.value = copy + MAX_MESSAGE + 6 - rec.value_len;
	}

	ENSURE(dec_decode(ctx, &rec, &out) == 0);
	ENSURE(dec_decode(ctx2, &rec, &out2) == 0);
	ENSURE(same(&out, &out2));
	if (out.reason) {
		ENSURE(out.reason >= 1 && out.reason <= 5);
		ENSURE(out.detail_len > 0 &&
		       out.detail_len <= LOG_DEC_DETAIL_MAX);
		for (i = 0; i < out.detail_len; i++)
			ENSURE(out.detail[i] >= 0x20 && out.detail[i] < 0x7f);
		return 0;
	}

	/* Canonical bytes, framed under id 3, decode to themselves. */
	ENSURE(out.body_len <= MAX_MESSAGE);
	canon[0] = 0;
	canon[1] = canon[2] = canon[3] = 0;
	canon[4] = 3;
	canon[5] = 0;
	memcpy(canon + 6, out.body, out.body_len);
	again.value = canon;
	again.value_len = (uint32_t)(out.body_len + 6);
	ENSURE(dec_decode(ctx2, &again, &fixed) == 0);
	ENSURE(fixed.reason == 0);
	ENSURE(fixed.body_len == out.body_len);
	ENSURE(memcmp(fixed.body, out.body, out.body_len) == 0);
	return 0;
}

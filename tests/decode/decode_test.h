/* tests/decode/decode_test.h - what the decode tests share: records built
 * from values and headers, registries written to scratch files, and a
 * decode that checks its own determinism.
 *
 * Values are copied into buffers of exactly their size, so AddressSanitizer
 * catches any read past the end.
 */
#ifndef RZ_TESTS_DECODE_TEST_H
#define RZ_TESTS_DECODE_TEST_H

#include "common/err.h"
#include "decode/decoder.h"
#include "decode/registry.h"
#include "log/record.h"
#include "tests/check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define TD_FULL_REGISTRY                                                       \
	"1 orders.v1.OrderEvent\n2 orders.v2.OrderEvent\n"                     \
	"3 orders.v3.OrderEvent\n"

/* A record owning its value (exact size) and header block. */
struct td_rec {
	struct log_rec rec;
	uint8_t *value;
	uint8_t hdrs[512];
};

/* td_rec_set - @rec with a copy of @value (NULL: a null value) and no
 * headers. */
static inline struct log_rec *td_rec_set(struct td_rec *r, const void *value,
					 size_t len)
{
	free(r->value);
	memset(&r->rec, 0, sizeof(r->rec));
	r->value = NULL;
	if (value) {
		r->value = malloc(len ? len : 1);
		CHECK(r->value);
		if (len)
			memcpy(r->value, value, len);
		r->rec.value = r->value;
		r->rec.value_len = (uint32_t)len;
	}
	return &r->rec;
}

/* td_rec_hdr - add a header (value NULL: a null value). */
static inline void td_rec_hdr(struct td_rec *r, const char *name,
			      const void *value, size_t len)
{
	uint8_t *end;

	CHECK(r->rec.hdrs_len + 8 + strlen(name) + len <= sizeof(r->hdrs));
	end = log_rec_hdr_put(r->hdrs + r->rec.hdrs_len, name,
			      (uint32_t)strlen(name), value, (uint32_t)len);
	r->rec.hdrs = r->hdrs;
	r->rec.hdrs_len = (uint32_t)(end - r->hdrs);
	r->rec.hdr_count++;
}

static inline void td_rec_free(struct td_rec *r)
{
	free(r->value);
	r->value = NULL;
}

/* td_frame - the Confluent framing of @body under @id with path [0] in its
 * short form, into @dst. Returns the bytes written. */
static inline size_t td_frame(uint8_t *dst, uint32_t id, const void *body,
			      size_t len)
{
	dst[0] = 0;
	dst[1] = (uint8_t)(id >> 24);
	dst[2] = (uint8_t)(id >> 16);
	dst[3] = (uint8_t)(id >> 8);
	dst[4] = (uint8_t)id;
	dst[5] = 0;
	if (len)
		memcpy(dst + 6, body, len);
	return 6 + len;
}

/* td_registry - a registry loaded from @text written to a scratch file. */
static inline struct dec_registry *td_registry(const char *text)
{
	static unsigned n;
	char path[PATH_MAX];
	struct dec_registry *reg;
	const char *base = getenv("TMPDIR");
	int fd;

	snprintf(path, sizeof(path), "%s/rawzone-reg-%d-%u.conf",
		 base && *base ? base : "/tmp", (int)getpid(), n++);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	CHECK_OK(dec_registry_load(path, &reg));
	unlink(path);
	return reg;
}

/* td_same_out - two outcomes are the same (reason, id, bytes, detail). */
static inline int td_same_out(const struct dec_out *a, const struct dec_out *b)
{
	if (a->reason != b->reason || a->schema_id != b->schema_id ||
	    a->has_schema_id != b->has_schema_id || a->schema != b->schema)
		return 0;
	if (a->reason == 0)
		return a->body_len == b->body_len &&
		       memcmp(a->body, b->body, a->body_len) == 0 &&
		       a->message_len == b->message_len &&
		       memcmp(a->message, b->message, a->message_len) == 0;
	return a->detail_len == b->detail_len &&
	       memcmp(a->detail, b->detail, a->detail_len) == 0;
}

/* A copy of an outcome that survives the next decode. */
struct td_out {
	struct dec_out out;
	uint8_t body[1 << 16];
	char detail[LOG_DEC_DETAIL_MAX + 1];
};

static inline void td_keep(struct td_out *k, const struct dec_out *o)
{
	k->out = *o;
	if (o->reason == 0) {
		CHECK(o->body_len <= sizeof(k->body));
		if (o->body_len)
			memcpy(k->body, o->body, o->body_len);
		k->out.body = k->body;
	} else {
		memcpy(k->detail, o->detail, o->detail_len);
		k->detail[o->detail_len] = '\0';
		k->out.detail = k->detail;
	}
}

/* td_decode - dec_decode @rec on @ctx, then again on a fresh context over
 * the same registry (and unpacked, then packed by dec_out_pack), and check
 * all give the same outcome; also check the outcome's own invariants
 * (detail length and text, name). */
static inline void td_decode(struct dec_ctx *ctx,
			     const struct dec_registry *reg, size_t max,
			     const struct log_rec *rec, struct dec_out *out)
{
	static struct td_out first;
	struct dec_ctx *other;
	struct dec_out again;
	size_t i;

	CHECK_OK(dec_decode(ctx, rec, out));
	td_keep(&first, out);
	CHECK_OK(dec_ctx_new(reg, max, &other));
	CHECK_OK(dec_decode(other, rec, &again));
	CHECK(td_same_out(&first.out, &again));
	dec_ctx_free(other);
	/* Unpacked, then packed where the caller wants it (decode's stage
	 * packs into the frame): the same outcome and bytes. */
	CHECK_OK(dec_ctx_new(reg, max, &other));
	CHECK_OK(dec_decode_unpacked(other, rec, &again));
	if (again.reason == 0) {
		static uint8_t packed[1 << 16];

		int ret;

		CHECK(again.body == NULL);
		/* No room first: nothing changes, ask again - unless the
		 * outcome needs none (quarantined, or no field to pack). */
		ret = dec_out_pack(other, &again, packed, 0);
		if (ret == -ENOSPC) {
			CHECK(again.reason == 0 && again.body == NULL);
			CHECK_OK(dec_out_pack(other, &again, packed,
					      sizeof(packed)));
		} else {
			CHECK_OK(ret);
			CHECK(again.reason || again.body_len == 0);
		}
	}
	CHECK(td_same_out(&first.out, &again));
	dec_ctx_free(other);
	/* And again on @ctx, whose arena and buffers are now warm. */
	CHECK_OK(dec_decode(ctx, rec, out));
	CHECK(td_same_out(&first.out, out));
	if (out->reason) {
		CHECK(out->reason >= LOG_DEC_BAD_FRAMING &&
		      out->reason <= LOG_DEC_TOO_LARGE);
		CHECK(out->detail && out->detail_len > 0);
		CHECK(out->detail_len <= LOG_DEC_DETAIL_MAX);
		CHECK(strlen(out->detail) == out->detail_len);
		for (i = 0; i < out->detail_len; i++)
			CHECK(out->detail[i] >= 0x20 && out->detail[i] < 0x7f);
	} else {
		CHECK(out->has_schema_id);
		CHECK(out->message_len == strlen(out->message));
	}
}

/* td_expect - fail unless @out is the quarantine @reason and its detail
 * holds @text. */
#define td_expect(out, want_reason, text)                                      \
	do {                                                                   \
		if ((out)->reason != (want_reason) ||                          \
		    !strstr((out)->detail ? (out)->detail : "", (text))) {     \
			fprintf(stderr,                                        \
				"%s:%d: expected %s with '%s', got %s: "       \
				"'%s'\n",                                      \
				__FILE__, __LINE__,                            \
				log_dec_reason_name(want_reason), (text),      \
				(out)->reason                                  \
					? log_dec_reason_name((out)->reason)   \
					: "ok",                                \
				(out)->detail ? (out)->detail : "");           \
			exit(1);                                               \
		}                                                              \
	} while (0)

#endif

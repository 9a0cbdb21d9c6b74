/* tests/decode/test_pack.c - dec_pack() writes what protobuf-c's
 * protobuf_c_message_pack() writes, byte for byte, for every field type
 * and label protobuf-c knows, at their largest and smallest encodings: a
 * negative int32 and enum (10-byte varints), the extremes of every 64-bit
 * type, field numbers up to 2^29 - 1 (5-byte tags), packed and unpacked
 * repeated fields, strings, bytes, nested and repeated messages of 1-, 2-
 * and 3-byte lengths, a proto2 optional with and without its has flag and
 * default, a oneof, and proto3 fields at their zero values (left out). It
 * never writes past the room it is given, and says when that is too small;
 * it finds a string that is not UTF-8 at any depth. The orders schemas use
 * only a few of these types, so the message here is described by hand. */
#include "decode/pack.h"
#include "tests/check.h"

#include <float.h>
#include <stddef.h>
#include <stdint.h>

struct all {
	ProtobufCMessage base;
	int32_t i32, s32, sf32, e, oi32;
	uint32_t u32, f32, one_case;
	int64_t i64, s64, sf64;
	uint64_t u64, f64;
	float fl;
	double db;
	protobuf_c_boolean b, has_oi32;
	char *str, *req_str, *opt_str;
	ProtobufCBinaryData by;
	struct all *sub;
	union {
		int32_t o_i;
		char *o_s;
	};
	size_t n_ri32, n_ru64, n_rs64, n_rb, n_rd, n_rf, n_rstr, n_rby, n_rsub;
	int32_t *ri32;
	uint64_t *ru64;
	int64_t *rs64;
	protobuf_c_boolean *rb;
	double *rd;
	float *rf;
	char **rstr;
	ProtobufCBinaryData *rby;
	struct all **rsub;
};

extern const ProtobufCMessageDescriptor all_desc;

#define BIG 536870911u /* 2^29 - 1, the largest field number: 5-byte tags */
static char OPT_DEFAULT[] = "the default";
#define F(nm, num, lab, ty, member, q, fl)                                     \
	{                                                                      \
		.name = nm, .id = num, .label = PROTOBUF_C_LABEL_##lab,        \
		.type = PROTOBUF_C_TYPE_##ty, .quantifier_offset = q,          \
		.offset = offsetof(struct all, member),                        \
		.descriptor = PROTOBUF_C_TYPE_##ty == PROTOBUF_C_TYPE_MESSAGE  \
				      ? &all_desc                              \
				      : NULL,                                  \
		.flags = fl,                                                   \
	}
#define Q(member) offsetof(struct all, member)
#define PACKED PROTOBUF_C_FIELD_FLAG_PACKED
#define ONEOF PROTOBUF_C_FIELD_FLAG_ONEOF

/* In field-number order, as protoc-c writes them. */
static const ProtobufCFieldDescriptor all_fields[] = {
	F("i32", 1, NONE, INT32, i32, 0, 0),
	F("s32", 2, NONE, SINT32, s32, 0, 0),
	F("sf32", 3, NONE, SFIXED32, sf32, 0, 0),
	F("e", 4, NONE, ENUM, e, 0, 0),
	F("oi32", 5, OPTIONAL, INT32, oi32, Q(has_oi32), 0),
	F("u32", 6, NONE, UINT32, u32, 0, 0),
	F("f32", 7, NONE, FIXED32, f32, 0, 0),
	F("i64", 8, NONE, INT64, i64, 0, 0),
	F("s64", 9, NONE, SINT64, s64, 0, 0),
	F("sf64", 10, NONE, SFIXED64, sf64, 0, 0),
	F("u64", 11, NONE, UINT64, u64, 0, 0),
	F("f64", 12, NONE, FIXED64, f64, 0, 0),
	F("fl", 13, NONE, FLOAT, fl, 0, 0),
	F("db", 14, NONE, DOUBLE, db, 0, 0),
	F("b", 15, NONE, BOOL, b, 0, 0),
	F("str", 16, NONE, STRING, str, 0, 0),
	F("req_str", 17, REQUIRED, STRING, req_str, 0, 0),
	F("by", 18, NONE, BYTES, by, 0, 0),
	F("sub", 19, NONE, MESSAGE, sub, 0, 0),
	F("o_i", 20, NONE, INT32, o_i, Q(one_case), ONEOF),
	F("o_s", 21, NONE, STRING, o_s, Q(one_case), ONEOF),
	F("ri32", 22, REPEATED, INT32, ri32, Q(n_ri32), PACKED),
	F("ru64", 23, REPEATED, UINT64, ru64, Q(n_ru64), 0),
	F("rs64", 24, REPEATED, SINT64, rs64, Q(n_rs64), PACKED),
	F("rb", 25, REPEATED, BOOL, rb, Q(n_rb), PACKED),
	F("rd", 26, REPEATED, DOUBLE, rd, Q(n_rd), PACKED),
	F("rf", 27, REPEATED, FLOAT, rf, Q(n_rf), 0),
	F("rstr", 28, REPEATED, STRING, rstr, Q(n_rstr), 0),
	F("rby", 29, REPEATED, BYTES, rby, Q(n_rby), 0),
	F("rsub", 30, REPEATED, MESSAGE, rsub, Q(n_rsub), 0),
	{.name = "opt_str",
	 .id = BIG,
	 .label = PROTOBUF_C_LABEL_OPTIONAL,
	 .type = PROTOBUF_C_TYPE_STRING,
	 .offset = offsetof(struct all, opt_str),
	 .default_value = OPT_DEFAULT},
};

const ProtobufCMessageDescriptor all_desc = {
	.magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
	.name = "test.All",
	.short_name = "All",
	.c_name = "All",
	.package_name = "test",
	.sizeof_message = sizeof(struct all),
	.n_fields = sizeof(all_fields) / sizeof(all_fields[0]),
	.fields = all_fields,
};

static void fill(struct all *m, struct all *sub, struct all **subs)
{
	static int32_t ri32[300];
	static uint64_t ru64[3] = {UINT64_MAX, 0, 1};
	static int64_t rs64[3] = {INT64_MIN, INT64_MAX, -1};
	static protobuf_c_boolean rb[5] = {1, 0, 7, 1, 1};
	static double rd[2] = {-DBL_MAX, 0.0};
	static float rf[2] = {FLT_MAX, -0.0f};
	static char *rstr[3] = {"", "\xc3\xa9t\xc3\xa9", NULL};
	static uint8_t bytes[200];
	static ProtobufCBinaryData rby[2] = {{0, NULL}, {200, bytes}};
	size_t i;

	for (i = 0; i < 300; i++)
		ri32[i] = INT32_MIN + (int32_t)i; /* 10 bytes each */
	memset(m, 0, sizeof(*m));
	m->base.descriptor = &all_desc;
	m->i32 = INT32_MIN;
	m->s32 = INT32_MIN;
	m->sf32 = -1;
	m->e = -1;
	m->has_oi32 = 1;
	m->oi32 = -5;
	m->u32 = UINT32_MAX;
	m->f32 = UINT32_MAX;
	m->i64 = INT64_MIN;
	m->s64 = INT64_MIN;
	m->sf64 = INT64_MIN;
	m->u64 = UINT64_MAX;
	m->f64 = UINT64_MAX;
	m->fl = -FLT_MAX;
	m->db = DBL_MAX;
	m->b = 1;
	m->str = "a string of some length, \xe2\x82\xac 1";
	m->req_str = NULL; /* required: packed as empty */
	m->by = (ProtobufCBinaryData){sizeof(bytes), bytes};
	m->sub = sub;
	m->one_case = 21;
	m->o_s = "the oneof's string";
	m->n_ri32 = 300;
	m->ri32 = ri32;
	m->n_ru64 = 3;
	m->ru64 = ru64;
	m->n_rs64 = 3;
	m->rs64 = rs64;
	m->n_rb = 5;
	m->rb = rb;
	m->n_rd = 2;
	m->rd = rd;
	m->n_rf = 2;
	m->rf = rf;
	m->n_rstr = 2; /* the NULL is not counted */
	m->rstr = rstr;
	m->n_rby = 2;
	m->rby = rby;
	m->n_rsub = subs ? 2 : 0;
	m->rsub = subs;
}

/* dec_pack() of @m equals protobuf-c's pack; with any less room it says
 * so and writes nothing past the room. */
static const struct dec_pack_plan *plan;

static void same_as_protobuf_c(const struct all *m)
{
	static uint8_t want[1 << 17], got[(1 << 17) + 64];
	size_t n, len, r, step;

	n = protobuf_c_message_pack(&m->base, want);
	CHECK(n <= sizeof(want));
	CHECK_EQ(protobuf_c_message_get_packed_size(&m->base), n);
	CHECK_EQ(dec_pack(plan, &m->base, got, sizeof(got), &len), 0);
	CHECK_EQ(len, n);
	CHECK(memcmp(got, want, n) == 0);
	/* Room is checked for the largest encoding of the field at hand:
	 * 15 bytes more than the message needs always do. */
	CHECK_EQ(dec_pack(plan, &m->base, got, n + 15, &len), 0);
	CHECK(memcmp(got, want, n) == 0);
	step = n > 4096 ? 61 : 1;
	for (r = 0; r < n; r += step) {
		memset(got, 0xee, r + 64);
		CHECK_EQ(dec_pack(plan, &m->base, got, r, &len), DEC_PACK_ROOM);
		for (size_t i = r; i < r + 64; i++)
			CHECK(got[i] == 0xee);
	}
}

int main(void)
{
	static char long_str[20000];
	struct dec_pack_plans *plans;
	struct all top, sub, leaf, *subs[2];
	size_t len;

	/* One plan for the type, which nests itself, made once. */
	CHECK_OK(dec_pack_plans_new(&plans));
	plan = dec_pack_plan_of(plans, &all_desc);
	CHECK(plan != NULL);
	CHECK(dec_pack_plan_of(plans, &all_desc) == plan);

	/* Three levels: top has sub and two repeated subs, each with a leaf;
	 * top packs to over 16 KiB, its subs to over 128 bytes. */
	fill(&leaf, NULL, NULL);
	fill(&sub, &leaf, NULL);
	subs[0] = subs[1] = &sub;
	fill(&top, &sub, subs);
	same_as_protobuf_c(&top);
	same_as_protobuf_c(&leaf);

	/* proto3 fields at their zero values are left out: all of them,
	 * with an empty string, bytes with data but no length, -0.0. */
	memset(&leaf, 0, sizeof(leaf));
	leaf.base.descriptor = &all_desc;
	same_as_protobuf_c(&leaf);
	leaf.str = "";
	leaf.by.data = (uint8_t *)"x";
	leaf.fl = -0.0f;
	leaf.db = -0.0;
	same_as_protobuf_c(&leaf);
	/* ... but an empty message is there, and NaN is not zero. */
	memset(&sub, 0, sizeof(sub));
	sub.base.descriptor = &all_desc;
	leaf.sub = &sub;
	leaf.fl = __builtin_nanf("");
	same_as_protobuf_c(&leaf);

	/* proto2 optional: a string at its default pointer is left out, the
	 * same text elsewhere is not; a scalar needs its has flag. */
	fill(&leaf, NULL, NULL);
	leaf.opt_str = OPT_DEFAULT;
	leaf.has_oi32 = 0;
	same_as_protobuf_c(&leaf);
	leaf.opt_str = "the default";
	same_as_protobuf_c(&leaf);

	/* The oneof's int member; none of its members. */
	fill(&leaf, NULL, NULL);
	leaf.one_case = 20;
	leaf.o_i = -1;
	same_as_protobuf_c(&leaf);
	leaf.one_case = 0;
	same_as_protobuf_c(&leaf);

	/* A long string, and a message holding it: 3-byte lengths. */
	memset(long_str, 'a', sizeof(long_str) - 1);
	leaf.str = long_str;
	same_as_protobuf_c(&leaf);
	fill(&sub, &leaf, NULL);
	same_as_protobuf_c(&sub);

	/* A string that is not UTF-8 is found, at any depth. */
	fill(&leaf, NULL, NULL);
	leaf.str = "bad \xff";
	fill(&sub, &leaf, NULL);
	CHECK_EQ(
		dec_pack(plan, &sub.base, (uint8_t[1 << 16]){0}, 1 << 16, &len),
		DEC_PACK_BAD);
	/* A message of another type than the plan's is refused. */
	{
		ProtobufCMessageDescriptor other = all_desc;

		leaf.base.descriptor = &other;
		CHECK_EQ(dec_pack(plan, &leaf.base, (uint8_t[1 << 16]){0},
				  1 << 16, &len),
			 DEC_PACK_BAD);
		leaf.base.descriptor = &all_desc;
	}
	dec_pack_plans_free(plans);
	printf("pack: equal to protobuf-c for every field type and label\n");
	return 0;
}

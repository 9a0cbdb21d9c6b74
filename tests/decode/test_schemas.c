/* tests/decode/test_schemas.c - the schema table is consistent: names match
 * descriptors, each canonical message has its own row without an upcaster,
 * every other row has one, no message type can nest itself (protobuf-c's
 * unpack has no depth limit), and lookups by name are exact. */
#include "decode/message.h"
#include "decode/schemas.h"
#include "tests/check.h"

#include <string.h>

/* Whether @desc reaches @target through message fields, within @depth. */
static int reaches(const ProtobufCMessageDescriptor *desc,
		   const ProtobufCMessageDescriptor *target, unsigned depth)
{
	unsigned i;

	if (depth == 0)
		return 1; /* too deep counts as recursive */
	for (i = 0; i < desc->n_fields; i++) {
		const ProtobufCMessageDescriptor *sub;

		if (desc->fields[i].type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		sub = desc->fields[i].descriptor;
		if (sub == target || reaches(sub, target, depth - 1))
			return 1;
	}
	return 0;
}

static void no_recursion(const ProtobufCMessageDescriptor *desc, unsigned depth)
{
	unsigned i;

	CHECK(depth < 8);
	CHECK(!reaches(desc, desc, DEC_MSG_DEPTH_MAX));
	for (i = 0; i < desc->n_fields; i++)
		if (desc->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
			no_recursion(desc->fields[i].descriptor, depth + 1);
}

int main(void)
{
	size_t i, j, canon = 0;

	CHECK(dec_nschemas >= 3);
	for (i = 0; i < dec_nschemas; i++) {
		const struct dec_schema *s = &dec_schemas[i];
		const struct dec_schema *c;

		CHECK(s->name && s->desc && s->canon_name && s->canon_desc &&
		      s->validate);
		CHECK_EQ(s->desc->magic, PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
		CHECK(strcmp(s->name, s->desc->name) == 0);
		CHECK(strcmp(s->canon_name, s->canon_desc->name) == 0);
		/* The canonical message is a row of its own, with no
		 * upcaster; the other rows have one. */
		c = dec_schema_find(s->canon_name, strlen(s->canon_name));
		CHECK(c);
		CHECK(c->desc == s->canon_desc && c->upcast == NULL);
		CHECK(c->canon_desc == s->canon_desc);
		if (s->desc == s->canon_desc) {
			CHECK(s->upcast == NULL);
			canon++;
		} else {
			CHECK(s->upcast != NULL);
		}
		/* Names are unique and found exactly. */
		for (j = 0; j < dec_nschemas; j++)
			if (j != i)
				CHECK(strcmp(s->name, dec_schemas[j].name) !=
				      0);
		CHECK(dec_schema_find(s->name, strlen(s->name)) == s);
		CHECK(dec_schema_find(s->name, strlen(s->name) - 1) == NULL);
		no_recursion(s->desc, 0);
	}
	CHECK(canon >= 1);
	CHECK(dec_schema_find("orders.v3.OrderEvent", 20)->upcast == NULL);
	CHECK(dec_schema_find("orders.v1.OrderEvent", 20)->upcast != NULL);
	CHECK(dec_schema_find("orders.v2.OrderEvent", 20)->upcast != NULL);
	CHECK(dec_schema_find("orders.v3.OrderEventX", 21) == NULL);
	CHECK(dec_schema_find("orders.v4.OrderEvent", 20) == NULL);
	CHECK(dec_schema_find("", 0) == NULL);
	/* Not NUL-terminated names are compared by length. */
	CHECK(dec_schema_find("orders.v1.OrderEvent trailing", 20) ==
	      &dec_schemas[0]);
	return 0;
}

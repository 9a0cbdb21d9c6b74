/* tests/decode/test_registry.c - the registry file: a good file in every
 * allowed form, the shipped proto/registry.conf, lookups over many ids,
 * and each error with the file and line in its message. */
#include "common/err.h"
#include "decode/registry.h"
#include "decode/schemas.h"
#include "tests/check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[PATH_MAX], path[PATH_MAX + 16], errs[PATH_MAX + 16];
static char errtext[16384];

static void write_file(const void *text, size_t len)
{
	FILE *f = fopen(path, "w");

	CHECK(f);
	CHECK(fwrite(text, 1, len, f) == len);
	fclose(f);
}

/* Load the @len bytes at @text with stderr captured into errtext. */
static int load_n(const void *text, size_t len, struct dec_registry **reg)
{
	int saved = dup(2), fd, ret;
	FILE *f;
	size_t n;

	write_file(text, len);
	fd = open(errs, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && saved >= 0);
	dup2(fd, 2);
	ret = dec_registry_load(path, reg);
	dup2(saved, 2);
	close(fd);
	close(saved);
	f = fopen(errs, "r");
	CHECK(f);
	n = fread(errtext, 1, sizeof(errtext) - 1, f);
	errtext[n] = '\0';
	fclose(f);
	return ret;
}

static int load(const char *text, struct dec_registry **reg)
{
	return load_n(text, strlen(text), reg);
}

/* errtext holds "PATH:LINE: what". */
static void has_err(unsigned line, const char *what)
{
	char want[PATH_MAX + 512];

	snprintf(want, sizeof(want), "%s:%u: %s", path, line, what);
	if (!strstr(errtext, want)) {
		fprintf(stderr, "expected '%s' in:\n%s\n", want, errtext);
		exit(1);
	}
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* @text must fail with exactly one error, at @line, saying @what. */
static void bad(const char *text, unsigned line, const char *what)
{
	struct dec_registry *reg = (struct dec_registry *)&reg;

	CHECK_EQ(load(text, &reg), -ERR_CONFIG);
	CHECK(reg == NULL);
	has_err(line, what);
	CHECK_EQ(count_lines(errtext), 1);
}

static void test_good(void)
{
	struct dec_registry *reg;
	const struct dec_schema *s;

	CHECK_OK(load("# the registry\n"
		      "\n"
		      "   # indented comment\n"
		      "3 orders.v3.OrderEvent\n"
		      "\t1\torders.v1.OrderEvent   \n"
		      "2 orders.v2.OrderEvent # trailing comment\r\n"
		      "4294967295 orders.v1.OrderEvent\r\n"
		      "0 orders.v2.OrderEvent\n"
		      "   \t \n"
		      "00017 orders.v3.OrderEvent",
		      &reg));
	CHECK_EQ(errtext[0], '\0');
	CHECK_EQ(dec_registry_count(reg), 6);
	CHECK(dec_registry_find(reg, 1) ==
	      dec_schema_find("orders.v1.OrderEvent", 20));
	CHECK(dec_registry_find(reg, 2) ==
	      dec_schema_find("orders.v2.OrderEvent", 20));
	CHECK(dec_registry_find(reg, 3) ==
	      dec_schema_find("orders.v3.OrderEvent", 20));
	CHECK(dec_registry_find(reg, 0) ==
	      dec_schema_find("orders.v2.OrderEvent", 20));
	CHECK(dec_registry_find(reg, 17) ==
	      dec_schema_find("orders.v3.OrderEvent", 20));
	CHECK(dec_registry_find(reg, UINT32_MAX) ==
	      dec_schema_find("orders.v1.OrderEvent", 20));
	CHECK(dec_registry_find(reg, 4) == NULL);
	CHECK(dec_registry_find(reg, 16) == NULL);
	CHECK(dec_registry_find(reg, UINT32_MAX - 1) == NULL);
	/* Entries come in id order. */
	CHECK_EQ(dec_registry_entry(reg, 0, &s), 0);
	CHECK(strcmp(s->name, "orders.v2.OrderEvent") == 0);
	CHECK_EQ(dec_registry_entry(reg, 3, NULL), 3);
	CHECK_EQ(dec_registry_entry(reg, 5, NULL), UINT32_MAX);
	dec_registry_free(reg);

	/* An empty registry is valid: every record is unknown_schema. */
	CHECK_OK(load("# nothing registered yet\n", &reg));
	CHECK_EQ(dec_registry_count(reg), 0);
	CHECK(dec_registry_find(reg, 1) == NULL);
	dec_registry_free(reg);
	CHECK_OK(load("", &reg));
	CHECK_EQ(dec_registry_count(reg), 0);
	dec_registry_free(reg);
	dec_registry_free(NULL);

	/* The shipped file (tests run from the top of the tree). */
	CHECK_OK(dec_registry_load("proto/registry.conf", &reg));
	CHECK_EQ(dec_registry_count(reg), 3);
	CHECK(dec_registry_find(reg, 1) == &dec_schemas[0]);
	CHECK(dec_registry_find(reg, 2) == &dec_schemas[1]);
	CHECK(dec_registry_find(reg, 3) == &dec_schemas[2]);
	CHECK(strcmp(dec_schemas[2].name, "orders.v3.OrderEvent") == 0);
	dec_registry_free(reg);
}

/* Many ids in a scrambled order: every one is found, nothing else. */
static void test_many(void)
{
	enum { N = 5000 };
	static uint32_t ids[N];
	static char text[N * 40];
	struct dec_registry *reg;
	uint64_t seed = 42;
	size_t i, off = 0, j;
	uint32_t t;

	for (i = 0; i < N; i++)
		ids[i] = (uint32_t)(i * 7919u + 3u); /* distinct */
	for (i = N - 1; i > 0; i--) {
		j = (size_t)(test_rand(&seed) % (i + 1));
		t = ids[i];
		ids[i] = ids[j];
		ids[j] = t;
	}
	for (i = 0; i < N; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"%u orders.v%u.OrderEvent\n", ids[i],
					1 + ids[i] % 3);
	CHECK_OK(load(text, &reg));
	CHECK_EQ(dec_registry_count(reg), N);
	for (i = 0; i < N; i++) {
		const struct dec_schema *s = dec_registry_find(reg, ids[i]);

		CHECK(s);
		CHECK_EQ(s->name[8] - '0', 1 + ids[i] % 3);
		CHECK(dec_registry_find(reg, ids[i] + 1) == NULL);
	}
	for (i = 1; i < N; i++)
		CHECK(dec_registry_entry(reg, i - 1, NULL) <
		      dec_registry_entry(reg, i, NULL));
	dec_registry_free(reg);
}

static void test_errors(void)
{
	struct dec_registry *reg;
	static char big[(1u << 20) + 2];

	bad("1 orders.v1.OrderEvent\n"
	    "2 orders.v2.OrderEvent\n"
	    "3 orders.v3.OrderEvent\n"
	    "9 orders.v9.OrderEvent\n",
	    4,
	    "orders.v9.OrderEvent: decode is not built with this message; "
	    "built: orders.v1.OrderEvent, orders.v2.OrderEvent, "
	    "orders.v3.OrderEvent");
	bad("1 orders.v1.OrderEvent\n# c\n1 orders.v2.OrderEvent\n", 3,
	    "schema id 1 is already given at line 1");
	/* A duplicate with the same message is a duplicate all the same. */
	bad("5 orders.v1.OrderEvent\n05 orders.v1.OrderEvent\n", 2,
	    "schema id 5 is already given at line 1");
	bad("x1 orders.v1.OrderEvent\n", 1,
	    "'x1' is not a schema id (a decimal number from 0 to 4294967295)");
	bad("\n-1 orders.v1.OrderEvent\n", 2, "'-1' is not a schema id");
	bad("+1 orders.v1.OrderEvent\n", 1, "'+1' is not a schema id");
	bad("1.0 orders.v1.OrderEvent\n", 1, "'1.0' is not a schema id");
	bad("4294967296 orders.v1.OrderEvent\n", 1,
	    "'4294967296' is not a schema id");
	bad("orders.v1.OrderEvent 1\n", 1,
	    "'orders.v1.OrderEvent' is not a schema id");
	bad("1\n", 1, "schema id 1 has no message name");
	bad("1 # orders.v1.OrderEvent\n", 1, "schema id 1 has no message name");
	bad("1 orders.v1.OrderEvent extra\n", 1,
	    "'extra' after the message name");
	bad("1 orders.v1.OrderEvent;\n", 1,
	    "orders.v1.OrderEvent;: decode is not built with this message");
	bad("1 OrderEvent\n", 1, "OrderEvent: decode is not built");
	bad("1 orders.v1.OrderEvent\n2 orders.v2.orderevent\n", 2,
	    "orders.v2.orderevent: decode is not built");
	/* File bytes are escaped in messages. */
	bad("1 orders.v1.Order\x1b[31mEvent\n", 1,
	    "orders.v1.Order\\x1b[31mEvent: decode is not built");
	{
		static const char nul[] =
			"1 orders.v1.OrderEvent\n2 orders\0\n";

		CHECK_EQ(load_n(nul, sizeof(nul) - 1, &reg), -ERR_CONFIG);
		has_err(2, "the line holds a NUL byte");
		CHECK_EQ(count_lines(errtext), 1);
	}

	/* Every problem is reported, not just the first. */
	CHECK_EQ(load("1 orders.v1.OrderEvent\n"
		      "zz orders.v1.OrderEvent\n"
		      "1 orders.v3.OrderEvent\n"
		      "2 orders.v4.OrderEvent\n"
		      "3 orders.v3.OrderEvent junk\n",
		      &reg),
		 -ERR_CONFIG);
	has_err(2, "'zz' is not a schema id");
	has_err(3, "schema id 1 is already given at line 1");
	has_err(4, "orders.v4.OrderEvent: decode is not built");
	has_err(5, "'junk' after the message name");
	CHECK_EQ(count_lines(errtext), 4);

	/* At the size limit it loads; over it, it does not. */
	memset(big, '#', (1u << 20) - 1);
	big[(1u << 20) - 1] = '\n';
	big[1u << 20] = '\0';
	CHECK_OK(load(big, &reg));
	dec_registry_free(reg);
	big[1u << 20] = '\n';
	big[(1u << 20) + 1] = '\0';
	CHECK_EQ(load(big, &reg), -ERR_CONFIG);
	CHECK(strstr(errtext, "the registry file is over 1048576 bytes"));

	/* A missing file is -errno, and named. */
	snprintf(big, sizeof(big), "%s/nope.conf", dir);
	reg = (struct dec_registry *)big;
	CHECK_EQ(dec_registry_load(big, &reg), -ENOENT);
	CHECK(reg == NULL);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s", test_tmpdir("registry"));
	snprintf(path, sizeof(path), "%s/registry.conf", dir);
	snprintf(errs, sizeof(errs), "%s/errs", dir);
	test_good();
	test_many();
	test_errors();
	return 0;
}

/* tests/check.h - the few assertions every test program uses.
 *
 * A test is one program: exit 0 when every check held, 1 at the first that
 * did not (with file, line and the failed expression), 77 to skip.
 */
#ifndef RZ_TESTS_CHECK_H
#define RZ_TESTS_CHECK_H

#include "common/err.h" /* CHECK_OK names the error */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SKIP 77

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_) {                                                \
			fprintf(stderr,                                        \
				"%s:%d: CHECK_EQ failed: %s == %s "            \
				"(%lld != %lld)\n",                            \
				__FILE__, __LINE__, #a, #b, a_, b_);           \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define CHECK_OK(expr)                                                         \
	do {                                                                   \
		long long r_ = (long long)(expr);                              \
		if (r_ < 0) {                                                  \
			fprintf(stderr, "%s:%d: %s failed: %lld (%s)\n",       \
				__FILE__, __LINE__, #expr, r_,                 \
				err_str((int)r_));                             \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* A scratch directory under $TMPDIR (or /tmp), removed by test_cleanup. */
char *test_tmpdir(const char *name);
void test_cleanup(void);

/* test_seg_size - the size of segment @base's .log in @dir (the test fails
 * when it cannot stat it). */
uint64_t test_seg_size(const char *dir, uint64_t base);

/* TEST_FMT - snprintf into the array @buf, failing the test on truncation. */
#define TEST_FMT(buf, ...)                                                     \
	CHECK(snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

/* test_same - whether the texts @a and @b (dumps of two databases, say)
 * are equal; prints the first line that differs when not. */
static inline int test_same(const char *a, const char *b)
{
	size_t line = 1;
	const char *pa = a, *pb = b;

	if (strcmp(a, b) == 0)
		return 1;
	while (*pa && *pa == *pb) {
		if (*pa == '\n') {
			line++;
			a = pa + 1;
			b = pb + 1;
		}
		pa++;
		pb++;
	}
	fprintf(stderr, "dumps differ at line %zu:\n  %.*s\n  %.*s\n", line,
		(int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
	return 0;
}

/* xorshift64*: deterministic pseudo-random numbers for tests. */
static inline uint64_t test_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

#endif

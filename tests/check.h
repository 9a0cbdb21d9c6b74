/* tests/check.h - the few assertions every test program uses.
 *
 * A test is one program: exit 0 when every check held, 1 at the first that
 * did not (with file, line and the failed expression), 77 to skip.
 */
#ifndef RZ_TESTS_CHECK_H
#define RZ_TESTS_CHECK_H

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

/* xorshift64*: deterministic pseudo-random numbers for tests. */
static inline uint64_t test_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

#endif

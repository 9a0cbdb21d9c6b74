/* common/clock.h - the monotonic clock, for intervals and rates (never for
 * timestamps that leave the process). */
#ifndef RZ_COMMON_CLOCK_H
#define RZ_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t clock_ms(void)
{
	return clock_ns() / 1000000;
}

static inline double clock_s(void)
{
	return (double)clock_ns() / 1e9;
}

#endif

/* common/diag.c - timestamped diagnostic lines on stderr. */
#include "common/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *diag_prog = "rawzone";
static enum diag_level diag_min = DIAG_INFO;

void diag_init(const char *prog, enum diag_level min)
{
	const char *dbg = getenv("RAWZONE_DEBUG");

	diag_prog = prog;
	diag_min = min;
	if (dbg && dbg[0] == '1')
		diag_min = DIAG_DEBUG;
}

void diag(enum diag_level level, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	char line[2048];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	if (level < diag_min)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, diag_prog,
		     (int)getpid(), names[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line so lines of concurrent threads never interleave. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

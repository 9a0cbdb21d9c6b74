/* common/diag.h - diagnostics: timestamped lines on stderr.
 *
 * Every line reads "TIME PROGRAM[PID] LEVEL: message". Messages about a file
 * name the file and the byte position; about a record, its topic, partition
 * and offset. Safe to call from any thread (one write(2) per line).
 */
#ifndef RZ_COMMON_DIAG_H
#define RZ_COMMON_DIAG_H

enum diag_level { DIAG_DEBUG, DIAG_INFO, DIAG_WARN, DIAG_ERR };

/* diag_init - name the program in every line; lines below @min are dropped.
 * The environment variable RAWZONE_DEBUG=1 lowers @min to DIAG_DEBUG. */
void diag_init(const char *prog, enum diag_level min);

void diag(enum diag_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define diag_debug(...) diag(DIAG_DEBUG, __VA_ARGS__)
#define diag_info(...) diag(DIAG_INFO, __VA_ARGS__)
#define diag_warn(...) diag(DIAG_WARN, __VA_ARGS__)
#define diag_err(...) diag(DIAG_ERR, __VA_ARGS__)

#endif

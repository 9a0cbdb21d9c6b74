/* bench/bench.h - small helpers shared by the bench programs.
 *
 * Each bench/bench_*.c is linked on its own (one object per program, see
 * the Makefile), so what they share lives here as static inline functions.
 * Every program prints its result as one line of key=value pairs on stdout
 * ("bench_consume: records=... seconds=..."), for the bench scripts to parse;
 * diagnostics go to stderr.
 */
#ifndef RZ_BENCH_BENCH_H
#define RZ_BENCH_BENCH_H

#include <dirent.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* bench_clock - seconds of clock @id, with fractions. */
static inline double bench_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bench_now - monotonic seconds. */
static inline double bench_now(void)
{
	return bench_clock(CLOCK_MONOTONIC);
}

/* bench_unix_now - wall-clock seconds since 1970, with fractions: the
 * scale of bash's $EPOCHREALTIME, so that a script can measure from just
 * before it starts a program to a moment the program reports. */
static inline double bench_unix_now(void)
{
	return bench_clock(CLOCK_REALTIME);
}

/* bench_cpu_s - user + system seconds of this process, all threads. */
static inline double bench_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* bench_maxrss_kib - peak resident set of this process, KiB. */
static inline long bench_maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* bench_threads - CPU seconds of each live thread of @pid (0: this
 * process), summed by name with trailing digits of worker names dropped
 * ("iou-wrk-1234" -> "iou-wrk"), written to @buf as
 * "name/seconds,name/seconds,...". Threads that have already exited are
 * not listed (their time is in the process total). */
static inline void bench_threads(int pid, char *buf, size_t size)
{
	struct {
		char name[32];
		unsigned long long ticks;
	} t[32];
	char path[320], line[512], *p, *q;
	size_t nt = 0, i, len = 0;
	struct dirent *de;
	DIR *dir;
	double tck = (double)sysconf(_SC_CLK_TCK);

	buf[0] = '\0';
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/task");
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		unsigned long long ut, st;
		FILE *f;
		size_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat",
			 pid ? pid : (int)getpid(), de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(line, 1, sizeof(line) - 1, f);
		fclose(f);
		line[n] = '\0';
		p = strchr(line, '(');
		q = strrchr(line, ')');
		if (!p || !q || q < p ||
		    sscanf(q + 2,
			   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			   "%llu %llu",
			   &ut, &st) != 2)
			continue;
		*q = '\0';
		if (strncmp(p + 1, "iou-", 4) == 0 ||
		    strncmp(p + 1, "kworker", 7) == 0)
			while (q > p + 1 &&
			       ((q[-1] >= '0' && q[-1] <= '9') || q[-1] == '-'))
				*--q = '\0';
		for (i = 0; i < nt; i++)
			if (strcmp(t[i].name, p + 1) == 0)
				break;
		if (i == nt) {
			if (nt == sizeof(t) / sizeof(t[0]))
				continue;
			snprintf(t[nt].name, sizeof(t[nt].name), "%s", p + 1);
			t[nt++].ticks = 0;
		}
		t[i].ticks += ut + st;
	}
	closedir(dir);
	for (i = 0; i < nt && len + 48 < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s/%.2f",
					i ? "," : "", t[i].name,
					(double)t[i].ticks / tck);
}

/* bench_conf_set - set one librdkafka property. Returns 0, or -1 with the
 * reason printed. */
static inline int bench_conf_set(rd_kafka_conf_t *conf, const char *key,
				 const char *value)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK) {
		fprintf(stderr, "%s = %s: %s\n", key, value, errstr);
		return -1;
	}
	return 0;
}

/* bench_conf_kv - set "key=value" (a -X option). Returns 0 or -1. */
static inline int bench_conf_kv(rd_kafka_conf_t *conf, const char *kv)
{
	char key[256];
	const char *eq = strchr(kv, '=');

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
		fprintf(stderr, "-X %s: expected KEY=VALUE\n", kv);
		return -1;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	return bench_conf_set(conf, key, eq + 1);
}

#endif

/* common/io.c - the I/O seam: syscalls behind a table, counted by kind, with
 * the fault plan of RAWZONE_FAULTS and RAWZONE_KILL_AT applied.
 *
 * The plan is parsed once, at the first operation. Counters are atomic so
 * that any thread may do I/O, but the plan is meant for tests: a bad plan
 * is reported and ignored, never fatal.
 */
#include "common/io.h"

#include "common/diag.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct io_sys io_sys = {
	.open = open,
	.pwrite = pwrite,
	.pread = pread,
	.fdatasync = fdatasync,
	.fsync = fsync,
	.rename = rename,
	.unlink = unlink,
	.ftruncate = ftruncate,
	.mkdir = mkdir,
};

enum { FAULT_SHORT = -1, FAULT_KILL = -2 };

struct fault_rule {
	enum io_op op;
	unsigned long n;
	bool persistent;
	int what; /* errno > 0, FAULT_SHORT or FAULT_KILL */
};

#define FAULT_RULES_MAX 16

static struct {
	atomic_int state; /* 0 unparsed, 1 parsing, 2 ready */
	int nrules;
	struct fault_rule rules[FAULT_RULES_MAX];
	char kill_name[64];
	unsigned long kill_n;
	atomic_ulong kill_hits;
	atomic_ulong count[IO_OP_COUNT];
} plan;

static const char *const op_names[IO_OP_COUNT] = {
	"open",	  "write",    "read",  "sync",	      "rename",
	"unlink", "truncate", "mkdir", "open_direct",
};

static const struct {
	const char *name;
	int err;
} errno_names[] = {
	{"EIO", EIO},	    {"ENOSPC", ENOSPC}, {"EINTR", EINTR},
	{"EAGAIN", EAGAIN}, {"EROFS", EROFS},	{"EDQUOT", EDQUOT},
	{"EBADF", EBADF},   {"ENOMEM", ENOMEM}, {"EMFILE", EMFILE},
	{"EINVAL", EINVAL},
};

static int parse_rule(const char *s, struct fault_rule *r)
{
	char opname[16], what[16], *end;
	const char *colon = strchr(s, ':'), *eq = strchr(s, '=');
	size_t i, len;

	if (!colon || !eq || eq < colon)
		return -EINVAL;
	len = (size_t)(colon - s);
	if (len == 0 || len >= sizeof(opname))
		return -EINVAL;
	memcpy(opname, s, len);
	opname[len] = '\0';
	for (i = 0; i < IO_OP_COUNT; i++)
		if (strcmp(opname, op_names[i]) == 0)
			break;
	if (i == IO_OP_COUNT)
		return -EINVAL;
	r->op = (enum io_op)i;
	errno = 0;
	r->n = strtoul(colon + 1, &end, 10);
	if (errno || r->n == 0 ||
	    (end != eq && !(*end == '+' && end + 1 == eq)))
		return -EINVAL;
	r->persistent = *end == '+';
	snprintf(what, sizeof(what), "%s", eq + 1);
	if (strcmp(what, "short") == 0) {
		r->what = FAULT_SHORT;
		return 0;
	}
	if (strcmp(what, "KILL") == 0) {
		r->what = FAULT_KILL;
		return 0;
	}
	for (i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (strcmp(what, errno_names[i].name) == 0) {
			r->what = errno_names[i].err;
			return 0;
		}
	return -EINVAL;
}

static void plan_parse(void)
{
	const char *faults = getenv("RAWZONE_FAULTS");
	const char *kill = getenv("RAWZONE_KILL_AT");
	char buf[512], *tok, *save = NULL;

	plan.nrules = 0;
	if (faults && *faults) {
		snprintf(buf, sizeof(buf), "%s", faults);
		for (tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			struct fault_rule r;

			if (parse_rule(tok, &r) < 0 ||
			    plan.nrules == FAULT_RULES_MAX) {
				diag_warn("RAWZONE_FAULTS: ignoring '%s'", tok);
				continue;
			}
			plan.rules[plan.nrules++] = r;
		}
	}
	plan.kill_name[0] = '\0';
	if (kill && *kill) {
		const char *colon = strrchr(kill, ':');
		size_t len = colon ? (size_t)(colon - kill) : strlen(kill);

		if (len < sizeof(plan.kill_name)) {
			memcpy(plan.kill_name, kill, len);
			plan.kill_name[len] = '\0';
			plan.kill_n = colon ? strtoul(colon + 1, NULL, 10) : 1;
			if (plan.kill_n == 0)
				plan.kill_n = 1;
		}
	}
}

static void plan_ready(void)
{
	int expect = 0;

	if (atomic_load_explicit(&plan.state, memory_order_acquire) == 2)
		return;
	if (atomic_compare_exchange_strong(&plan.state, &expect, 1)) {
		plan_parse();
		/* Pairs with the acquire load above: the rules are visible to
		 * every thread that sees state 2. */
		atomic_store_explicit(&plan.state, 2, memory_order_release);
		return;
	}
	while (atomic_load_explicit(&plan.state, memory_order_acquire) != 2)
		;
}

void io_faults_reset(void)
{
	int i;

	for (i = 0; i < IO_OP_COUNT; i++)
		atomic_store(&plan.count[i], 0);
	atomic_store(&plan.kill_hits, 0);
	atomic_store(&plan.state, 0);
}

/* Count one operation of kind @op; return 0, or the fault to apply. */
static int plan_check(enum io_op op)
{
	unsigned long n;
	int i;

	plan_ready();
	n = atomic_fetch_add(&plan.count[op], 1) + 1;
	for (i = 0; i < plan.nrules; i++) {
		const struct fault_rule *r = &plan.rules[i];

		if (r->op != op)
			continue;
		if (n == r->n || (r->persistent && n > r->n)) {
			if (r->what == FAULT_KILL) {
				diag_warn("fault plan: SIGKILL at %s #%lu",
					  op_names[op], n);
				raise(SIGKILL);
			}
			diag_warn("fault plan: %s #%lu gets %s", op_names[op],
				  n,
				  r->what == FAULT_SHORT ? "a short transfer"
							 : strerror(r->what));
			return r->what == FAULT_SHORT ? FAULT_SHORT : -r->what;
		}
	}
	return 0;
}

int io_fault(enum io_op op, int res, unsigned unit)
{
	int f = plan_check(op);

	if (f == 0)
		return res;
	if (f == FAULT_SHORT) {
		int units = res / (int)unit;

		return units > 1 ? units / 2 * (int)unit : res;
	}
	return f;
}

void io_kill_point(const char *name)
{
	plan_ready();
	if (plan.kill_name[0] == '\0' || strcmp(name, plan.kill_name) != 0)
		return;
	if (atomic_fetch_add(&plan.kill_hits, 1) + 1 == plan.kill_n) {
		diag_warn("fault plan: SIGKILL at kill point %s #%lu", name,
			  plan.kill_n);
		raise(SIGKILL);
	}
}

int io_open(const char *path, int flags, mode_t mode)
{
	int f = plan_check(flags & O_DIRECT ? IO_OPEN_DIRECT : IO_OPEN), fd;

	if (f < 0 && f != FAULT_SHORT)
		return f;
	do
		fd = io_sys.open(path, flags | O_CLOEXEC, mode);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

void io_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

int io_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;

	while (len > 0) {
		int f = plan_check(IO_WRITE);
		size_t want = len;
		ssize_t n;

		if (f < 0 && f != FAULT_SHORT)
			return f;
		if (f == FAULT_SHORT && want > 1)
			want /= 2;
		n = io_sys.pwrite(fd, p, want, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t io_pread(int fd, void *buf, size_t len, uint64_t off)
{
	int f = plan_check(IO_READ);
	ssize_t n;

	if (f < 0 && f != FAULT_SHORT)
		return f;
	if (f == FAULT_SHORT && len > 1)
		len /= 2;
	do
		n = io_sys.pread(fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t io_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = io_pread(fd, (char *)buf + done, len - done,
				     off + done);

		if (n < 0)
			return n;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int io_fdatasync(int fd)
{
	int f = plan_check(IO_SYNC);

	if (f < 0 && f != FAULT_SHORT)
		return f;
	return io_sys.fdatasync(fd) < 0 ? -errno : 0;
}

int io_fsync(int fd)
{
	int f = plan_check(IO_SYNC);

	if (f < 0 && f != FAULT_SHORT)
		return f;
	return io_sys.fsync(fd) < 0 ? -errno : 0;
}

int io_fsync_dir(const char *dir)
{
	int fd = io_open(dir, O_RDONLY | O_DIRECTORY, 0), ret;

	if (fd < 0)
		return fd;
	ret = io_fsync(fd);
	close(fd);
	return ret;
}

int io_fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash)
		return io_fsync_dir(".");
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return io_fsync_dir(dir);
}

int io_rename(const char *from, const char *to)
{
	int f = plan_check(IO_RENAME);

	if (f < 0 && f != FAULT_SHORT)
		return f;
	return io_sys.rename(from, to) < 0 ? -errno : 0;
}

int io_unlink(const char *path)
{
	int f = plan_check(IO_UNLINK);

	if (f < 0 && f != FAULT_SHORT)
		return f;
	return io_sys.unlink(path) < 0 ? -errno : 0;
}

int io_ftruncate(int fd, uint64_t len)
{
	int f = plan_check(IO_TRUNCATE);

	if (f < 0 && f != FAULT_SHORT)
		return f;
	return io_sys.ftruncate(fd, (off_t)len) < 0 ? -errno : 0;
}

int io_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	struct stat st;
	char *p;
	int ret;

	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = strchr(buf + 1, '/');; p = strchr(p + 1, '/')) {
		int f;

		if (p)
			*p = '\0';
		if (stat(buf, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				return -ENOTDIR;
		} else {
			f = plan_check(IO_MKDIR);
			if (f < 0 && f != FAULT_SHORT)
				return f;
			if (io_sys.mkdir(buf, mode) < 0 && errno != EEXIST)
				return -errno;
			/* The new entry is durable only once its parent is. */
			ret = io_fsync_parent(buf);
			if (ret < 0)
				return ret;
		}
		if (!p)
			break;
		*p = '/';
	}
	return 0;
}

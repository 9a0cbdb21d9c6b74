/* shm/ring.c - the SPSC ring in shared memory.
 *
 * Layout: a 192-byte header of three cache lines, then capacity entries.
 *   line 0  written once by the creator: magic, version, entry size,
 *           capacity, creator uid, boot id, generation; producer_pid
 *   line 1  the producer's: head (next slot to fill), overflow count
 *   line 2  the consumer's: tail (next slot to read), sleeping flag
 * head and tail are free-running 32-bit counters; slot = index & mask, the
 * fill is head - tail (unsigned), which is never above capacity.
 *
 * Protocol (labels name each acquire/release pair):
 *   producer:
 *     A1  t = load_acquire(tail)    pairs with C2: the consumer is done
 *                                   reading the slots it released
 *         write entries into slots [head, head + k)
 *     P2  store_release(head, head + k)   pairs with C1: the entries are
 *                                   visible before the new head
 *     F1  fence(seq_cst); if load(sleeping): futex_wake(head)
 *   consumer:
 *     C1  h = load_acquire(head)    pairs with P2
 *         copy entries [tail, h)
 *     C2  store_release(tail, h)    pairs with A1
 *   consumer sleeping:
 *         store(sleeping, 1); F2 fence(seq_cst); if head == tail:
 *         futex_wait(head, tail)
 *     F1 and F2 order each side's store before its load, so either the
 *     producer sees sleeping = 1 and wakes, or the consumer sees the new
 *     head and does not sleep; futex_wait itself rechecks head in the
 *     kernel, so a wake cannot be lost between the check and the sleep.
 *
 * Everything read from the header is untrusted (another process, maybe
 * another build, maybe a crash mid-write): loaded once, checked, then used.
 */
#include "shm/ring.h"

#include "common/diag.h"
#include "common/err.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct ring_hdr {
	/* line 0 */
	uint64_t magic;
	uint32_t version;
	uint32_t entry_size;
	uint32_t capacity;
	uint32_t creator_uid;
	uint8_t boot_id[16];
	uint64_t generation;
	_Atomic int32_t producer_pid;
	uint8_t pad0[64 - 52];
	/* line 1: producer */
	_Atomic uint32_t head;
	uint32_t pad1a;
	_Atomic uint64_t overflows;
	uint8_t pad1[48];
	/* line 2: consumer */
	_Atomic uint32_t tail;
	_Atomic uint32_t sleeping;
	uint8_t pad2[56];
};

_Static_assert(sizeof(struct shm_ring_entry) == 32, "ring entry");
_Static_assert(sizeof(struct ring_hdr) == SHM_RING_HDR_SIZE, "ring header");
_Static_assert(offsetof(struct ring_hdr, head) == 64, "head line");
_Static_assert(offsetof(struct ring_hdr, tail) == 128, "tail line");
_Static_assert(sizeof(_Atomic uint32_t) == 4 && sizeof(_Atomic uint64_t) == 8,
	       "lock-free atomics of plain size");

struct shm_ring {
	char name[128];
	struct ring_hdr *h;
	struct shm_ring_entry *slots;
	size_t map_len;
	uint32_t mask;
	uint32_t capacity;
	enum shm_ring_role role;
	dev_t dev;
	ino_t ino;
};

uint32_t shm_topic_id(const char *topic)
{
	uint32_t h = 2166136261u;

	while (*topic)
		h = (h ^ (uint8_t)*topic++) * 16777619u;
	return h;
}

int shm_ring_name(char *buf, size_t size, const char *instance,
		  const char *from, const char *to)
{
	int n = snprintf(buf, size, "/rawzone.%s.%s-%s", instance, from, to);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static void read_boot_id(uint8_t out[16])
{
	char s[64];
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	size_t i, j = 0;

	memset(out, 0, 16);
	if (!f)
		return;
	if (fgets(s, sizeof(s), f)) {
		for (i = 0; s[i] && j < 32; i++) {
			int v;

			if (s[i] >= '0' && s[i] <= '9')
				v = s[i] - '0';
			else if (s[i] >= 'a' && s[i] <= 'f')
				v = s[i] - 'a' + 10;
			else
				continue;
			out[j / 2] = (uint8_t)(out[j / 2] << 4 | v);
			j++;
		}
	}
	fclose(f);
}

static size_t map_size(uint32_t capacity)
{
	return SHM_RING_HDR_SIZE +
	       (size_t)capacity * sizeof(struct shm_ring_entry);
}

static long futex(_Atomic uint32_t *addr, int op, uint32_t val,
		  const struct timespec *ts)
{
	/* Not FUTEX_PRIVATE: the word is shared between processes. */
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

/* Validate the object behind @fd. 0 if usable; -EPERM if foreign or too
 * open; -ERR_CORRUPT / -ERR_FORMAT if it must be recreated; -EAGAIN if it
 * is still being initialised by its creator. */
static int validate(int fd, uint32_t capacity, const char *name,
		    struct ring_hdr **hp, size_t *lenp, struct stat *st)
{
	struct ring_hdr *h;
	uint8_t boot[16];
	uint64_t magic;
	size_t len = map_size(capacity);

	if (fstat(fd, st) < 0)
		return -errno;
	if (st->st_uid != geteuid() || (st->st_mode & (S_IRWXG | S_IRWXO))) {
		diag_err("shared memory %s: owned by uid %u with mode %04o; "
			 "refusing it (expected uid %u, mode 0600)",
			 name, (unsigned)st->st_uid,
			 (unsigned)(st->st_mode & ALLPERMS),
			 (unsigned)geteuid());
		return -EPERM;
	}
	if ((size_t)st->st_size < SHM_RING_HDR_SIZE)
		return st->st_size == 0 ? -EAGAIN : -ERR_CORRUPT;
	if ((size_t)st->st_size != len)
		return -ERR_FORMAT;
	h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		return -errno;
	/* Pairs with the creator's release store of the magic: the rest of
	 * line 0 is in place once the magic is seen. */
	magic = atomic_load_explicit((_Atomic uint64_t *)&h->magic,
				     memory_order_acquire);
	read_boot_id(boot);
	if (magic == 0) {
		munmap(h, len);
		return -EAGAIN;
	}
	if (magic != SHM_RING_MAGIC || h->version != SHM_RING_VERSION ||
	    h->entry_size != sizeof(struct shm_ring_entry) ||
	    h->capacity != capacity || memcmp(h->boot_id, boot, 16) != 0) {
		munmap(h, len);
		return -ERR_FORMAT;
	}
	*hp = h;
	*lenp = len;
	return 0;
}

static int create(const char *name, uint32_t capacity, struct ring_hdr **hp,
		  size_t *lenp, struct stat *st)
{
	size_t len = map_size(capacity);
	struct ring_hdr *h;
	struct timespec ts;
	int fd, ret;

	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	/* The umask can only narrow 0600; make it exact anyway. */
	if (fchmod(fd, 0600) < 0 || ftruncate(fd, (off_t)len) < 0 ||
	    fstat(fd, st) < 0) {
		ret = -errno;
		goto out_unlink;
	}
	h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		ret = -errno;
		goto out_unlink;
	}
	close(fd);
	clock_gettime(CLOCK_REALTIME, &ts);
	h->version = SHM_RING_VERSION;
	h->entry_size = sizeof(struct shm_ring_entry);
	h->capacity = capacity;
	h->creator_uid = (uint32_t)geteuid();
	read_boot_id(h->boot_id);
	h->generation =
		((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) ^
		((uint64_t)getpid() << 40);
	/* Pairs with validate()'s acquire load of the magic. */
	atomic_store_explicit((_Atomic uint64_t *)&h->magic, SHM_RING_MAGIC,
			      memory_order_release);
	*hp = h;
	*lenp = len;
	return 0;

out_unlink:
	close(fd);
	shm_unlink(name);
	return ret;
}

int shm_ring_open(const char *name, uint32_t capacity, enum shm_ring_role role,
		  struct shm_ring **out)
{
	struct shm_ring *r;
	struct stat st;
	int attempt, ret = -EAGAIN;

	*out = NULL;
	if (capacity < 2 || (capacity & (capacity - 1)))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->capacity = capacity;
	r->mask = capacity - 1;
	r->role = role;

	for (attempt = 0; attempt < 50; attempt++) {
		int fd = shm_open(name, O_RDWR | O_NOFOLLOW, 0);

		if (fd < 0 && errno == ENOENT) {
			ret = create(name, capacity, &r->h, &r->map_len, &st);
			if (ret == -EEXIST)
				continue; /* the other side just made it */
			break;
		}
		if (fd < 0) {
			ret = -errno;
			break;
		}
		ret = validate(fd, capacity, name, &r->h, &r->map_len, &st);
		close(fd);
		if (ret == 0 || ret == -EPERM || ret == -ENOMEM)
			break;
		if (ret == -EAGAIN && attempt < 20) {
			/* Being created by the other side right now. */
			usleep(5000);
			continue;
		}
		diag_warn("shared memory %s: %s; recreating it", name,
			  ret == -EAGAIN ? "left uninitialised"
					 : "stale or of another format");
		shm_unlink(name);
	}
	if (ret < 0) {
		free(r);
		return ret;
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->slots = (struct shm_ring_entry *)((char *)r->h + SHM_RING_HDR_SIZE);
	if (role == SHM_RING_PRODUCER)
		atomic_store(&r->h->producer_pid, (int32_t)getpid());
	*out = r;
	return 0;
}

void shm_ring_close(struct shm_ring *r)
{
	if (!r)
		return;
	if (r->h)
		munmap(r->h, r->map_len);
	free(r);
}

int shm_ring_unlink(const char *name)
{
	return shm_unlink(name) < 0 ? -errno : 0;
}

uint32_t shm_ring_publish(struct shm_ring *r, const struct shm_ring_entry *e,
			  uint32_t n)
{
	struct ring_hdr *h = r->h;
	uint32_t head, tail, used, room, k, i;

	head = atomic_load_explicit(&h->head, memory_order_relaxed);
	tail = atomic_load_explicit(&h->tail, memory_order_acquire); /* A1 */
	used = head - tail;
	room = used > r->capacity ? 0 : r->capacity - used;
	k = n < room ? n : room;
	for (i = 0; i < k; i++)
		r->slots[(head + i) & r->mask] = e[i];
	if (k < n)
		atomic_fetch_add_explicit(&h->overflows, n - k,
					  memory_order_relaxed);
	if (k == 0)
		return 0;
	atomic_store_explicit(&h->head, head + k,
			      memory_order_release); /* P2 */
	atomic_thread_fence(memory_order_seq_cst);   /* F1 */
	if (atomic_load_explicit(&h->sleeping, memory_order_relaxed))
		futex(&h->head, FUTEX_WAKE, 1, NULL);
	return k;
}

int shm_ring_consume(struct shm_ring *r, struct shm_ring_entry *out,
		     uint32_t max)
{
	struct ring_hdr *h = r->h;
	uint32_t head, tail, avail, k, i;

	tail = atomic_load_explicit(&h->tail, memory_order_relaxed);
	head = atomic_load_explicit(&h->head, memory_order_acquire); /* C1 */
	avail = head - tail;
	if (avail > r->capacity)
		return -ERR_CORRUPT;
	k = avail < max ? avail : max;
	for (i = 0; i < k; i++)
		out[i] = r->slots[(tail + i) & r->mask];
	if (k)
		atomic_store_explicit(&h->tail, tail + k,
				      memory_order_release); /* C2 */
	return (int)k;
}

int shm_ring_wait(struct shm_ring *r, int timeout_ms)
{
	struct ring_hdr *h = r->h;
	struct timespec ts = {timeout_ms / 1000,
			      (long)(timeout_ms % 1000) * 1000000L};
	uint32_t tail = atomic_load_explicit(&h->tail, memory_order_relaxed);
	uint32_t head;

	int spin;

	/* A short spin first: a producer in full flow refills the ring within
	 * microseconds, and a sleep costs both sides a system call. */
	for (spin = 0; spin < 2000; spin++) {
		head = atomic_load_explicit(&h->head, memory_order_acquire);
		if (head != tail)
			return 1;
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
	atomic_store_explicit(&h->sleeping, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst); /* F2 */
	head = atomic_load_explicit(&h->head, memory_order_acquire);
	if (head == tail)
		futex(&h->head, FUTEX_WAIT, tail, &ts);
	atomic_store_explicit(&h->sleeping, 0, memory_order_relaxed);
	head = atomic_load_explicit(&h->head, memory_order_acquire);
	return head != tail;
}

bool shm_ring_stale(const struct shm_ring *r)
{
	struct stat st;
	int fd = shm_open(r->name, O_RDONLY | O_NOFOLLOW, 0);
	bool stale;

	if (fd < 0)
		return true;
	stale = fstat(fd, &st) < 0 || st.st_dev != r->dev ||
		st.st_ino != r->ino;
	close(fd);
	return stale;
}

uint64_t shm_ring_overflows(const struct shm_ring *r)
{
	return atomic_load_explicit(&r->h->overflows, memory_order_relaxed);
}

uint32_t shm_ring_fill(const struct shm_ring *r)
{
	uint32_t head = atomic_load_explicit(&r->h->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->h->tail, memory_order_relaxed);
	uint32_t used = head - tail;

	return used > r->capacity ? r->capacity : used;
}

uint32_t shm_ring_capacity(const struct shm_ring *r)
{
	return r->capacity;
}

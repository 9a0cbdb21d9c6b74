/* shm/ring.h - single-producer single-consumer ring of record positions in
 * POSIX shared memory, between two stages of one instance.
 *
 * The ring carries positions, never payloads: an entry says "partition P of
 * topic T has durable records up to here". The truth is in the logs, so a
 * ring that is full, lost, stale or corrupt costs only a re-read: a producer
 * never waits (it skips what does not fit and counts the overflow), and a
 * consumer that finds a gap or no ring at all reads the log and the
 * upstream checkpoint. The protocol is written at the top of shm/ring.c.
 *
 * Object: /dev/shm/rawzone.<instance>.<from>-<to>, mode 0600, created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, owned by the stages' user.
 */
#ifndef RZ_SHM_RING_H
#define RZ_SHM_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHM_RING_MAGIC 0x474e49525a5752ull /* "RWZRING" */
#define SHM_RING_VERSION 1u
#define SHM_RING_HDR_SIZE 192u

/* One entry: 32 bytes, fixed. */
struct shm_ring_entry {
	uint32_t topic_id; /* shm_topic_id() of the topic name */
	int32_t partition;
	int64_t offset; /* Kafka offset of the last record covered */
	uint64_t seg;	/* segment base of the covered bytes */
	uint32_t pos;	/* file position where they start */
	uint32_t len;	/* and their length; pos + len is the frontier */
};

enum shm_ring_role { SHM_RING_PRODUCER, SHM_RING_CONSUMER };

struct shm_ring;

/* shm_topic_id - the 32-bit id of a topic name in ring entries (FNV-1a).
 * Stages map ids back to names through their own topic tables. */
uint32_t shm_topic_id(const char *topic);

/* shm_ring_name - "/rawzone.<instance>.<from>-<to>" into @buf. */
int shm_ring_name(char *buf, size_t size, const char *instance,
		  const char *from, const char *to);

/* shm_ring_open - attach to ring @name as @role, creating it with
 * @capacity entries (a power of two) if it does not exist. An existing ring
 * that fails validation - magic, version, entry size, capacity, size, boot
 * id - is reported, removed and recreated. One owned by another user or
 * with a mode wider than 0600 is refused (-EPERM), since /dev/shm is
 * world-writable and such an object may be planted. Returns 0 or -errno. */
int shm_ring_open(const char *name, uint32_t capacity, enum shm_ring_role role,
		  struct shm_ring **out);

/* shm_ring_close - unmap; the object stays for the other side and for the
 * next start. NULL is accepted. */
void shm_ring_close(struct shm_ring *r);

/* shm_ring_unlink - remove ring @name (tests, and `rawzone` tools). */
int shm_ring_unlink(const char *name);

/* shm_ring_publish - producer only. Append up to @n entries; never waits.
 * Returns how many were published; the rest did not fit and are counted in
 * the overflow counter. Wakes a sleeping consumer. */
uint32_t shm_ring_publish(struct shm_ring *r, const struct shm_ring_entry *e,
			  uint32_t n);

/* shm_ring_consume - consumer only. Take up to @max entries into @out.
 * Returns the count, or -ERR_CORRUPT if the shared indices are impossible
 * (the ring must then be reopened). */
int shm_ring_consume(struct shm_ring *r, struct shm_ring_entry *out,
		     uint32_t max);

/* shm_ring_wait - consumer only. Sleep until entries are available or
 * @timeout_ms passes, without spinning. Returns 1 if entries are there,
 * 0 on timeout or a signal. */
int shm_ring_wait(struct shm_ring *r, int timeout_ms);

/* shm_ring_stale - true if @name no longer names the object mapped (it
 * was removed or recreated): the caller should reopen. */
bool shm_ring_stale(const struct shm_ring *r);

/* Counters for status. */
uint64_t shm_ring_overflows(const struct shm_ring *r);
uint32_t shm_ring_fill(const struct shm_ring *r);
uint32_t shm_ring_capacity(const struct shm_ring *r);

#endif

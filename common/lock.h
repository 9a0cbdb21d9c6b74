/* common/lock.h - one instance of a stage per data directory.
 *
 * An exclusive, non-blocking flock(2) on <data_dir>/<stage>.lock. The kernel
 * drops it when the holder dies, however it dies, so a restart after
 * kill -9 takes it at once; nothing stale is left to clean up.
 */
#ifndef RZ_COMMON_LOCK_H
#define RZ_COMMON_LOCK_H

/* Exit code of a stage that finds its lock taken: distinct from failures so
 * a supervisor does not restart it in a loop. */
#define LOCK_EXIT_BUSY 75

/* lock_stage - take <data_dir>/<stage>.lock (created 0600 if missing).
 * Returns the fd to keep open for the process's life, -ERR_LOCKED if
 * another process holds it (its pid, when known, goes to *holder), or
 * -errno. Touches nothing else in @data_dir. */
int lock_stage(const char *data_dir, const char *stage, int *holder);

/* lock_holder - the pid written in <data_dir>/<stage>.lock if that process
 * is alive, else 0. It never takes the lock (probing with flock would make
 * a stage starting at that instant find it held and exit): a hint for
 * messages, not a guarantee - a pid can be reused. */
int lock_holder(const char *data_dir, const char *stage);

#endif

/* tests/tsan/c11_threads.c - C11 threads over pthreads, linked into every
 * binary of `make SAN=tsan` only.
 *
 * librdkafka starts its threads with C11 thrd_create(). The
 * ThreadSanitizer of GCC 12 intercepts pthread_create() but not
 * thrd_create(), which glibc implements without calling it: librdkafka's
 * threads then run unknown to the sanitizer, which crashes at their first
 * instrumented access (every program linking librdkafka died at start).
 * Defined in the executable, these take the place of glibc's for
 * librdkafka, and go through the calls the sanitizer sees.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

struct start {
	thrd_start_t fn;
	void *arg;
};

static void *run(void *p)
{
	struct start s = *(struct start *)p;

	free(p);
	return (void *)(intptr_t)s.fn(s.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
	struct start *s = malloc(sizeof(*s));
	int ret;

	if (!s)
		return thrd_nomem;
	s->fn = fn;
	s->arg = arg;
	ret = pthread_create((pthread_t *)thr, NULL, run, s);
	if (ret) {
		free(s);
		return ret == EAGAIN ? thrd_nomem : thrd_error;
	}
	return thrd_success;
}

int thrd_join(thrd_t thr, int *res)
{
	void *r;

	if (pthread_join((pthread_t)thr, &r))
		return thrd_error;
	if (res)
		*res = (int)(intptr_t)r;
	return thrd_success;
}

int thrd_detach(thrd_t thr)
{
	return pthread_detach((pthread_t)thr) ? thrd_error : thrd_success;
}

/* common/array.h - room in a growing array, doubling. */
#ifndef RZ_COMMON_ARRAY_H
#define RZ_COMMON_ARRAY_H

#include <stddef.h>

/* array_grow - make the array at *@v, of *@cap elements of @size bytes,
 * hold at least @need: its capacity doubles (from 16) until it does, and
 * *@v and *@cap are updated. Elements already there are kept. Returns 0,
 * or -ENOMEM with *@v and *@cap unchanged. */
int array_grow(void **v, size_t *cap, size_t need, size_t size);

#endif

/* common/array.c - see array.h. */
#include "common/array.h"

#include <errno.h>
#include <stdlib.h>

int array_grow(void **v, size_t *cap, size_t need, size_t size)
{
	void *nv;
	size_t c;

	if (need <= *cap)
		return 0;
	c = *cap ? *cap : 16;
	while (c < need)
		c *= 2;
	nv = realloc(*v, c * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

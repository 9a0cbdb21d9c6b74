/* common/err.c - descriptions of rawzone's error codes. */
#include "common/err.h"

#include <errno.h>
#include <string.h>

static const char *const err_names[ERR_LAST - ERR_FIRST] = {
	[ERR_CORRUPT - ERR_FIRST] = "data failed verification (corrupt)",
	[ERR_TOO_LARGE - ERR_FIRST] = "length over its limit",
	[ERR_FORMAT - ERR_FIRST] = "unknown format or version",
	[ERR_CONFIG - ERR_FIRST] = "configuration error",
	[ERR_KAFKA - ERR_FIRST] = "Kafka client error",
	[ERR_LOCKED - ERR_FIRST] = "locked by another process",
	[ERR_ORDER - ERR_FIRST] = "record out of order",
	[ERR_DB - ERR_FIRST] = "database error",
	[ERR_STOP - ERR_FIRST] = "stop requested",
};

const char *err_str(int err)
{
	int e = err < 0 ? -err : err;

	if (e == 0)
		return "success";
	/* What an operator needs to read, wherever the write failed. */
	if (e == ENOSPC)
		return "No space left on device (the disk is full)";
	if (e > ERR_FIRST && e < ERR_LAST && err_names[e - ERR_FIRST])
		return err_names[e - ERR_FIRST];
	if (e < ERR_FIRST)
		return strerror(e);
	return "unknown error";
}

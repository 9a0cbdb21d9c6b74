/* common/err.h - rawzone's error codes beyond errno.
 *
 * Actions return 0 or a negative code: -errno for what errno can say, and
 * -ERR_* below for what it cannot. err_str() names either kind.
 */
#ifndef RZ_COMMON_ERR_H
#define RZ_COMMON_ERR_H

enum {
	ERR_FIRST = 4096, /* above every errno value */
	ERR_CORRUPT,	  /* bytes failed verification: magic, length or CRC */
	ERR_TOO_LARGE,	  /* a length is over its configured or format limit */
	ERR_FORMAT,	  /* a file or entry of an unknown kind or version */
	ERR_CONFIG,	  /* a configuration error (already reported) */
	ERR_KAFKA,	  /* librdkafka reported an error (already reported) */
	ERR_LOCKED,	  /* another process holds the stage lock */
	ERR_ORDER,	  /* a record out of order (offset not increasing) */
	ERR_DB,	  /* the database reported an error (already reported) */
	ERR_STOP, /* a stop was requested (not a failure) */
	ERR_LAST
};

/* err_str - a static description of @err: 0, -errno or -ERR_*.
 * Never returns NULL. */
const char *err_str(int err);

#endif

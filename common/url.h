/* common/url.h - database URLs as they may be shown: without secrets.
 *
 * A sink URL ([transform] sink, rawzone rebuild/diff --sink) may carry a
 * password, "postgresql://user:secret@host/db" or "...?password=secret".
 * Messages and logs name the database by its URL, so the stages and the CLI
 * print it through url_redact() only.
 */
#ifndef RZ_COMMON_URL_H
#define RZ_COMMON_URL_H

#include <stddef.h>

/* url_redact - @url without its secrets into @buf: the password of the
 * user information ("//user:secret@" becomes "//user@") and the values of
 * the query parameters password and sslpassword (replaced by "***"). A URL
 * without "//" (sqlite:PATH) is copied as it is. Always NUL-terminates
 * (@size > 0); a result that does not fit is cut short. Returns @buf. */
char *url_redact(const char *url, char *buf, size_t size);

#endif

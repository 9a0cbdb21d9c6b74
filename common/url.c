/* common/url.c - database URLs without secrets (see url.h). */
#include "common/url.h"

#include <stdbool.h>
#include <string.h>

/* Append @n bytes of @s to @buf (of @size, @len used), cutting short. */
static void put(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len + 1 >= size)
		return;
	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

/* Whether the query parameter @p (up to '=', '&' or the end) is a
 * secret. */
static bool secret_param(const char *p)
{
	static const char *const names[] = {"password=", "sslpassword="};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(p, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

char *url_redact(const char *url, char *buf, size_t size)
{
	const char *auth = strstr(url, "://"), *end, *at, *colon, *q, *p;
	size_t len = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (!auth) {
		put(buf, size, &len, url, strlen(url));
		return buf;
	}
	auth += 3;
	/* The user information ends at the last '@' before the first '/',
	 * as libpq reads it: a password may hold '?' or '#' (and '@', which
	 * should be percent-encoded, but be lenient). */
	end = auth + strcspn(auth, "/");
	at = NULL;
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	p = at ? at + 1 : auth;
	end = p + strcspn(p, "/?#");
	put(buf, size, &len, url, (size_t)(auth - url));
	if (at) {
		/* Only the user name shows: it ends at ':' (a password
		 * follows), or at '?' or '#' when the '@' stands in a query
		 * of a URL without a path - there a password may hold it. */
		colon = auth + strcspn(auth, ":?#");
		put(buf, size, &len, auth,
		    (size_t)((colon < at ? colon : at) - auth));
		put(buf, size, &len, at, (size_t)(end - at));
	} else {
		put(buf, size, &len, auth, (size_t)(end - auth));
	}
	q = strchr(end, '?');
	if (!q) {
		put(buf, size, &len, end, strlen(end));
		return buf;
	}
	put(buf, size, &len, end, (size_t)(q + 1 - end));
	for (p = q + 1; *p;) {
		size_t n = strcspn(p, "&#");

		if (secret_param(p)) {
			const char *eq = strchr(p, '=');

			put(buf, size, &len, p, (size_t)(eq + 1 - p));
			put(buf, size, &len, "***", 3);
		} else {
			put(buf, size, &len, p, n);
		}
		p += n;
		if (*p == '#') {
			put(buf, size, &len, p, strlen(p));
			break;
		}
		if (*p == '&')
			put(buf, size, &len, p++, 1);
	}
	return buf;
}

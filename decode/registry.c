/* decode/registry.c - loading the registry file into a sorted id table.
 *
 * The whole file is read into memory (it is small and bounded), parsed
 * line by line, every problem reported; then the entries are sorted by id
 * (line as tie-break, so a duplicate is reported at its later line) and
 * looked up by binary search.
 */
#include "decode/registry.h"

#include "common/diag.h"
#include "common/err.h"
#include "common/io.h"
#include "decode/text.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dec_reg_entry {
	uint32_t id;
	unsigned line;
	const struct dec_schema *schema;
};

struct dec_registry {
	struct dec_reg_entry *e; /* sorted by id, no duplicates */
	size_t n;
};

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

/* The file at @path into a new NUL-terminated buffer. */
static int read_file(const char *path, char **out, size_t *len)
{
	char *buf = NULL;
	ssize_t n;
	int fd, ret;

	*out = NULL;
	fd = io_open(path, O_RDONLY, 0);
	if (fd < 0) {
		diag_err("%s: cannot open the registry file: %s", path,
			 err_str(fd));
		return fd;
	}
	buf = malloc(DEC_REGISTRY_FILE_MAX + 2);
	if (!buf) {
		ret = -ENOMEM;
		goto out_close_fd;
	}
	/* One byte more than allowed tells "at the limit" from "over it". */
	n = io_pread_full(fd, buf, DEC_REGISTRY_FILE_MAX + 1, 0);
	if (n < 0) {
		ret = (int)n;
		diag_err("%s: cannot read the registry file: %s", path,
			 err_str(ret));
		goto out_free_buf;
	}
	if ((size_t)n > DEC_REGISTRY_FILE_MAX) {
		diag_err("%s: the registry file is over %u bytes", path,
			 DEC_REGISTRY_FILE_MAX);
		ret = -ERR_CONFIG;
		goto out_free_buf;
	}
	buf[n] = '\0';
	io_close(fd);
	*out = buf;
	*len = (size_t)n;
	return 0;

out_free_buf:
	free(buf);
out_close_fd:
	io_close(fd);
	return ret;
}

/* ------------------------------------------------------------------------
 * Parsing
 * ------------------------------------------------------------------------ */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void print_built(char *dst, size_t size)
{
	size_t i, off = 0;
	int m;

	dst[0] = '\0';
	for (i = 0; i < dec_nschemas && off < size; i++) {
		m = snprintf(dst + off, size - off, "%s%s", i ? ", " : "",
			     dec_schemas[i].name);
		off += m < 0 ? 0 : (size_t)m;
	}
}

/* Parse the line @s of @len bytes (no line end). Returns 1 with @e set for
 * an entry, 0 for a blank or comment line, -1 after reporting a problem. */
static int parse_line(const char *path, unsigned line, const char *s,
		      size_t len, struct dec_reg_entry *e)
{
	const char *end = s + len, *id, *name, *rest;
	size_t id_len, name_len;
	char q[DEC_TEXT_QUOTE_SIZE], q2[DEC_TEXT_QUOTE_SIZE], built[1024];

	if (len && s[len - 1] == '\r')
		end--;
	while (s < end && is_blank(*s))
		s++;
	if (s == end || *s == '#')
		return 0;

	id = s;
	while (s < end && !is_blank(*s))
		s++;
	id_len = (size_t)(s - id);
	while (s < end && is_blank(*s))
		s++;
	name = s;
	while (s < end && !is_blank(*s))
		s++;
	name_len = (size_t)(s - name);
	while (s < end && is_blank(*s))
		s++;
	rest = s;

	if (dec_text_u32(id, id_len, &e->id) < 0) {
		diag_err("%s:%u: '%s' is not a schema id (a decimal number "
			 "from 0 to %" PRIu32 ")",
			 path, line, dec_text_quote(q, sizeof(q), id, id_len),
			 UINT32_MAX);
		return -1;
	}
	if (name_len == 0 || name[0] == '#') {
		diag_err("%s:%u: schema id %" PRIu32 " has no message name "
			 "(expected 'ID MESSAGE_FULL_NAME')",
			 path, line, e->id);
		return -1;
	}
	if (rest < end && *rest != '#') {
		diag_err("%s:%u: '%s' after the message name (expected 'ID "
			 "MESSAGE_FULL_NAME')",
			 path, line,
			 dec_text_quote(q, sizeof(q), rest,
					(size_t)(end - rest)));
		return -1;
	}
	e->schema = dec_schema_find(name, name_len);
	if (!e->schema) {
		print_built(built, sizeof(built));
		diag_err("%s:%u: %s: decode is not built with this message; "
			 "built: %s",
			 path, line,
			 dec_text_quote(q2, sizeof(q2), name, name_len), built);
		return -1;
	}
	e->line = line;
	return 1;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct dec_reg_entry *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

int dec_registry_load(const char *path, struct dec_registry **out)
{
	struct dec_registry *reg = NULL;
	char *buf = NULL, *s, *nl, *end;
	size_t len = 0, cap = 0, i, j;
	unsigned line = 0;
	int ret, bad = 0;

	*out = NULL;
	ret = read_file(path, &buf, &len);
	if (ret < 0)
		return ret;
	reg = calloc(1, sizeof(*reg));
	if (!reg) {
		ret = -ENOMEM;
		goto out_free_buf;
	}

	end = buf + len;
	for (s = buf; s < end; s = nl + 1) {
		struct dec_reg_entry e;

		line++;
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		if (memchr(s, '\0', (size_t)(nl - s))) {
			diag_err("%s:%u: the line holds a NUL byte", path,
				 line);
			bad++;
			continue;
		}
		ret = parse_line(path, line, s, (size_t)(nl - s), &e);
		if (ret < 0)
			bad++;
		if (ret <= 0)
			continue;
		if (reg->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct dec_reg_entry *ne =
				realloc(reg->e, ncap * sizeof(*ne));

			if (!ne) {
				ret = -ENOMEM;
				goto out_free_reg;
			}
			reg->e = ne;
			cap = ncap;
		}
		reg->e[reg->n++] = e;
	}

	if (reg->n)
		qsort(reg->e, reg->n, sizeof(*reg->e), cmp_entry);
	for (i = 1, j = 0; i < reg->n; i++) {
		if (reg->e[i].id == reg->e[j].id) {
			diag_err("%s:%u: schema id %" PRIu32 " is already "
				 "given at line %u",
				 path, reg->e[i].line, reg->e[i].id,
				 reg->e[j].line);
			bad++;
			continue;
		}
		reg->e[++j] = reg->e[i];
	}
	if (reg->n)
		reg->n = j + 1;
	if (bad) {
		ret = -ERR_CONFIG;
		goto out_free_reg;
	}
	free(buf);
	*out = reg;
	return 0;

out_free_reg:
	dec_registry_free(reg);
out_free_buf:
	free(buf);
	return ret;
}

void dec_registry_free(struct dec_registry *reg)
{
	if (!reg)
		return;
	free(reg->e);
	free(reg);
}

/* ------------------------------------------------------------------------
 * Lookup
 * ------------------------------------------------------------------------ */

const struct dec_schema *dec_registry_find(const struct dec_registry *reg,
					   uint32_t id)
{
	size_t lo = 0, hi = reg->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (reg->e[mid].id == id)
			return reg->e[mid].schema;
		if (reg->e[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t dec_registry_count(const struct dec_registry *reg)
{
	return reg->n;
}

uint32_t dec_registry_entry(const struct dec_registry *reg, size_t i,
			    const struct dec_schema **schema)
{
	if (schema)
		*schema = reg->e[i].schema;
	return reg->e[i].id;
}

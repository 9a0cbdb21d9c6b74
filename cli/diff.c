/* cli/diff.c - `rawzone diff`: compare two databases table by table and
 * print the rows that differ. The tables compared are the derived view -
 * order_events, orders, rawzone_quarantine, rawzone_events - never the
 * transform's own checkpoint, which names its instance.
 */
#include "cli/cli.h"

#include "common/diag.h"
#include "common/url.h"

#include <getopt.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const tables[] = {"order_events", "orders",
				     "rawzone_quarantine", "rawzone_events"};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rawzone diff [--max-rows N] --sink URL --sink URL\n"
		"\n"
		"Compares the derived tables of two databases (order_events, "
		"orders,\n"
		"rawzone_quarantine, rawzone_events) row by row and prints "
		"each row found in\n"
		"only one of them (- first, + second), at most N per table and "
		"side (default\n"
		"10). A URL is sqlite:PATH. Use it to check a live database "
		"against one that\n"
		"`rawzone rebuild` made from the raw zone.\n"
		"Exit: 0 when they hold the same rows, 1 when they differ, 2 "
		"on an error.\n");
}

static const char *sqlite_path(const char *url)
{
	return strncmp(url, "sqlite:", 7) == 0 ? url + 7 : NULL;
}

static bool has_table(sqlite3 *db, const char *schema, const char *table)
{
	char sql[256];
	sqlite3_stmt *st;
	bool found = false;

	snprintf(sql, sizeof(sql),
		 "SELECT 1 FROM %s.sqlite_master WHERE type = 'table' AND "
		 "name = ?",
		 schema);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static void print_row(sqlite3_stmt *st, char sign)
{
	int i, n = sqlite3_column_count(st);

	printf("  %c (", sign);
	for (i = 0; i < n; i++) {
		const unsigned char *v = sqlite3_column_text(st, i);

		printf("%s%s", i ? ", " : "",
		       sqlite3_column_type(st, i) == SQLITE_NULL
			       ? "NULL"
			       : (const char *)v);
	}
	printf(")\n");
}

/* Rows of @from not in @other; prints up to @max. Returns the count or
 * -1 on an error. */
static long one_side(sqlite3 *db, const char *table, const char *from,
		     const char *other, char sign, long max)
{
	char sql[512];
	sqlite3_stmt *st;
	long n = 0;
	int rc;

	snprintf(
		sql, sizeof(sql),
		"SELECT * FROM %s.%s EXCEPT SELECT * FROM %s.%s ORDER BY 1, 2, "
		"3",
		from, table, other, table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		diag_err("%s: %s", table, sqlite3_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n < max)
			print_row(st, sign);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		diag_err("%s: %s", table, sqlite3_errmsg(db));
		return -1;
	}
	return n;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"sink", required_argument, NULL, 's'},
		{"max-rows", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *url[2] = {NULL, NULL};
	sqlite3 *db = NULL;
	long max = 10;
	int nurl = 0, opt, status = 0;
	size_t i;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (nurl == 2) {
				usage(stderr);
				return 2;
			}
			url[nurl++] = optarg;
			break;
		case 'm':
			max = atol(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (nurl != 2 || optind != argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < 2; i++) {
		const char *p = sqlite_path(url[i]);

		if (!p || access(p, R_OK) != 0) {
			char shown[1024];

			diag_err("--sink %s: %s",
				 url_redact(url[i], shown, sizeof(shown)),
				 p ? "cannot read the database"
				   : "expected sqlite:PATH");
			return 2;
		}
	}
	if (sqlite3_open_v2(sqlite_path(url[0]), &db, SQLITE_OPEN_READONLY,
			    NULL) != SQLITE_OK) {
		diag_err("%s: %s", url[0], sqlite3_errmsg(db));
		sqlite3_close(db);
		return 2;
	}
	{
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(db, "ATTACH DATABASE ? AS b", -1, &st,
				       NULL) != SQLITE_OK) {
			sqlite3_close(db);
			return 2;
		}
		sqlite3_bind_text(st, 1, sqlite_path(url[1]), -1,
				  SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			diag_err("%s: %s", url[1], sqlite3_errmsg(db));
			sqlite3_finalize(st);
			sqlite3_close(db);
			return 2;
		}
		sqlite3_finalize(st);
	}
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		bool ha = has_table(db, "main", tables[i]);
		bool hb = has_table(db, "b", tables[i]);
		long a, b;

		if (!ha && !hb)
			continue;
		if (ha != hb) {
			printf("%s: only in %s\n", tables[i],
			       ha ? url[0] : url[1]);
			status = 1;
			continue;
		}
		printf("%s:\n", tables[i]);
		a = one_side(db, tables[i], "main", "b", '-', max);
		b = one_side(db, tables[i], "b", "main", '+', max);
		if (a < 0 || b < 0) {
			status = 2;
			break;
		}
		printf("  %ld row(s) only in the first, %ld only in the "
		       "second\n",
		       a, b);
		if (a || b)
			status = status ? status : 1;
	}
	sqlite3_close(db);
	if (status == 0)
		printf("same rows\n");
	return status;
}

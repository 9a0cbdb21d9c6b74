/* cli/progress.h - the progress of a long command (replay, rebuild): on a
 * terminal a bar redrawn in place with records, records/s and ETA; else a
 * plain line per call, for logs. */
#ifndef RZ_CLI_PROGRESS_H
#define RZ_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

/* cli_progress - show that @what ("replay 7", "rebuild") is @fraction
 * (0..1) done after @elapsed seconds, @done records so far, now in @phase
 * (NULL: none). @tty: draw the bar (end it with a newline when done);
 * else print one line. */
void cli_progress(bool tty, const char *what, double fraction, uint64_t done,
		  double elapsed, const char *phase);

#endif

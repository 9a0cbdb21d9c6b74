/* cli/progress.c - see progress.h. */
#include "cli/progress.h"

#include <stdio.h>

#define BAR 30

void cli_progress(bool tty, const char *what, double fraction, uint64_t done,
		  double elapsed, const char *phase)
{
	double rate = elapsed > 0 ? (double)done / elapsed : 0;

	if (fraction < 0)
		fraction = 0;
	if (fraction > 1)
		fraction = 1;
	if (tty) {
		double eta = fraction > 0.001 && fraction < 1
				     ? elapsed * (1 - fraction) / fraction
				     : 0;
		char bar[BAR + 1];
		int fill = (int)(fraction * BAR), i;

		for (i = 0; i < BAR; i++)
			bar[i] = i < fill ? '#' : '-';
		bar[BAR] = '\0';
		printf("\r%s [%s] %3.0f%% %llu records %.0f/s ETA %.0fs%s%s%s  "
		       " ",
		       what, bar, fraction * 100, (unsigned long long)done,
		       rate, eta, phase ? " (" : "", phase ? phase : "",
		       phase ? ")" : "");
	} else {
		printf("%s: %.0f%%, %llu records, %.0f records/s%s%s\n", what,
		       fraction * 100, (unsigned long long)done, rate,
		       phase ? ", " : "", phase ? phase : "");
	}
	fflush(stdout);
}

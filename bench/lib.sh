# bench/lib.sh - what the benchmark scripts share (sourced).

# median - the median of the numbers on stdin, one per line (the mean of
# the two middle ones for an even count).
median() {
	sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
		else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

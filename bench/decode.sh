#!/usr/bin/env bash
# bench/decode.sh - rawzone-decode alone over a preloaded raw zone, against
# a bare protobuf-c unpack+pack loop over the same payloads, in one run.
#
# Writes a raw zone of RECORDS (default 2,000,000) example orders records
# over 8 partitions - mixed schema versions, 1% bad - with bench_rawgen,
# then alternates ROUNDS (default 3) times: bench_pbloop (one thread,
# payloads in memory) and `rawzone-decode --once` pinned to one CPU on a
# fresh output (decoded and quarantine logs, fsync on). Prints a markdown
# table of medians: records/s (wall), records/s per CPU second, peak RSS,
# and the ratios to the bare loop, both of the medians and the median of
# each round's own ratio (bare and decode back to back: the steadier
# figure on a machine whose speed drifts between rounds).
#
#   RECORDS=2000000 ROUNDS=3 bench/decode.sh
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
BIN=$O/bin
B=$O/bench
RECORDS=${RECORDS:-2000000}
ROUNDS=${ROUNDS:-3}
CPU=${BENCH_CPU:-1}
W=$(mktemp -d "${TMPDIR:-/tmp}/rawzone-bench-decode.XXXXXX")
trap 'rm -rf "$W"' EXIT

cat >"$W/rz.conf" <<EOF
[pipeline]
instance = benchdec$$
data_dir = $W/data
[kafka]
bootstrap.servers = unused:9092
group.id = unused
[land]
topics = orders
[decode]
registry = $PWD/proto/registry.conf
EOF
mkdir -p "$W/data"
"$B/bench_rawgen" "$W/data" -n "$RECORDS" -p 8 -q 0.01 >"$W/gen.out"
echo "raw zone: $(cat "$W/gen.out")" >&2

. bench/lib.sh
: >"$W/bare" ; : >"$W/dec" ; : >"$W/deccpu" ; : >"$W/rss" ; : >"$W/rwall" ; : >"$W/rcpu"
for r in $(seq 1 "$ROUNDS"); do
	taskset -c "$CPU" "$B/bench_pbloop" "$W/data" -r 1 >"$W/pb.out"
	sed -n 's/.*records_per_s=\([0-9]*\).*/\1/p' "$W/pb.out" >>"$W/bare"
	rm -rf "$W/data/decoded" "$W/data/quarantine" "$W/data/decode.ckpt"
	/usr/bin/time -f '%e %U %S %M' -o "$W/time" taskset -c "$CPU" \
		"$BIN/rawzone-decode" -c "$W/rz.conf" --once 2>"$W/decode.log"
	grep -q "totals: $RECORDS records decoded" "$W/decode.log" || {
		echo "decode did not decode $RECORDS records:" >&2
		tail -n 5 "$W/decode.log" >&2
		exit 1
	}
	read -r wall user sys rss <"$W/time"
	awk -v n="$RECORDS" -v w="$wall" 'BEGIN {printf "%.0f\n", n / w}' >>"$W/dec"
	awk -v n="$RECORDS" -v u="$user" -v s="$sys" 'BEGIN {printf "%.0f\n", n / (u + s)}' >>"$W/deccpu"
	echo "$rss" >>"$W/rss"
	# The round's own ratios: bare and decode ran back to back, so they
	# shared the machine's state of the moment.
	awk -v a="$(tail -n 1 "$W/dec")" -v b="$(tail -n 1 "$W/bare")" 'BEGIN {print a / b}' >>"$W/rwall"
	awk -v a="$(tail -n 1 "$W/deccpu")" -v b="$(tail -n 1 "$W/bare")" 'BEGIN {print a / b}' >>"$W/rcpu"
	echo "round $r: bare $(tail -n 1 "$W/bare")/s, decode $(tail -n 1 "$W/dec")/s wall ($wall s, cpu $user+$sys s)" >&2
done
bare=$(median <"$W/bare")
dec=$(median <"$W/dec")
deccpu=$(median <"$W/deccpu")
rss=$(median <"$W/rss")
echo "decode: $RECORDS records, 8 partitions, mixed v1/v2/v3 with 1% bad, one CPU, medians of $ROUNDS"
echo
echo "| | records/s | records/s per CPU s | peak RSS MiB | ratio of the medians | median of the rounds' ratios |"
echo "|---|---:|---:|---:|---:|---:|"
printf '| bare unpack+pack loop | %.0f | %.0f | - | 1.00 | 1.00 |\n' "$bare" "$bare"
printf '| rawzone-decode --once (fsync on) | %.0f | %.0f | %.0f | %.2f (wall), %.2f (CPU) | %.2f (wall), %.2f (CPU) |\n' \
	"$dec" "$deccpu" "$(awk -v r="$rss" 'BEGIN {print r / 1024}')" \
	"$(awk -v a="$dec" -v b="$bare" 'BEGIN {print a / b}')" \
	"$(awk -v a="$deccpu" -v b="$bare" 'BEGIN {print a / b}')" \
	"$(median <"$W/rwall")" "$(median <"$W/rcpu")"

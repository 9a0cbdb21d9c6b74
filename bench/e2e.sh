#!/usr/bin/env bash
# bench/e2e.sh - the whole pipeline on a real Kafka broker, then a replay.
#
# Preloads RECORDS (default 2,000,000) example orders events (mixed schema
# versions, 1% bad) into a real Apache Kafka (tests/kafka/kafka.sh, topic
# orders:8), then starts land, decode and transform together on a fresh
# data directory (SQLite sink, defaults, fsync on) and measures:
#   end to end: from the start of the stages until every stage has caught
#               up with the broker (rawzone status --caught-up), events/s;
#   peak RSS of each stage (VmHWM), and the CPU seconds each has used by
#               then;
#   replay:     `rawzone replay --from-beginning` of everything, from the
#               request until the database reflects it, records/s.
# ROUNDS (default 1) repeats it on fresh data directories; medians are
# printed as a markdown table. KAFKA_CONF and LAND_CONF add lines to the
# [kafka] and [land] sections (land's memory bounds, say; README "land's
# memory"); newlines as \n.
#
#   RECORDS=2000000 ROUNDS=1 bench/e2e.sh
#   KAFKA_CONF='queued.max.messages.kbytes = 16384' \
#   LAND_CONF='buffer_bytes = 16M' bench/e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
O=${O:-build}
BIN=$TOP/$O/bin
RECORDS=${RECORDS:-2000000}
ROUNDS=${ROUNDS:-1}
W=$(mktemp -d "${TMPDIR:-/tmp}/rawzone-bench-e2e.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	"$TOP/tests/kafka/kafka.sh" destroy "$W/kafka" >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT

tests/kafka/kafka.sh available >/dev/null 2>&1 || {
	echo "e2e benchmark: no Java/Maven for the real Kafka broker" >&2
	exit 77
}
tests/kafka/kafka.sh fetch >/dev/null
boot=$(tests/kafka/kafka.sh start "$W/kafka" orders:8 2>"$W/kafka.log" | tail -n 1)
echo "Kafka at $boot; preloading $RECORDS events..." >&2
"$BIN/rawzone" produce -b "$boot" --count "$RECORDS" --bad-fraction 0.01 --seed 7 \
	>"$W/produce.out" 2>&1 || {
	tail -n 3 "$W/produce.out" >&2
	exit 1
}
grep -q "delivered=$RECORDS failed=0" "$W/produce.out" || exit 1
# A fresh broker creates its group-offsets topic on the first group
# request (a second or more); production brokers have it. Create it now,
# outside the measured time: rawzone status asks for committed offsets.
printf '[pipeline]\ndata_dir = %s/warm\n[kafka]\nbootstrap.servers = %s\ngroup.id = warm\n[land]\ntopics = orders\n' \
	"$W" "$boot" >"$W/warm.conf"
"$BIN/rawzone" status -c "$W/warm.conf" >/dev/null 2>&1 || true

now() { date +%s.%N; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
. "$TOP/bench/lib.sh"
for f in eps replay land decode transform land.cpu decode.cpu transform.cpu; do : >"$W/$f"; done

for r in $(seq 1 "$ROUNDS"); do
	d=$W/round$r
	mkdir -p "$d"
	cat >"$d/rz.conf" <<EOF
[pipeline]
instance = benche2e$r
data_dir = $d/data
[kafka]
bootstrap.servers = $boot
group.id = bench-e2e-$r-$$
$(printf '%b' "${KAFKA_CONF:-}")
[land]
topics = orders
$(printf '%b' "${LAND_CONF:-}")
[decode]
registry = $TOP/proto/registry.conf
EOF
	t0=$(now)
	declare -A pid=()
	for s in land decode transform; do
		"$BIN/rawzone-$s" -c "$d/rz.conf" >"$d/$s.log" 2>&1 &
		pid[$s]=$!
		pids+=($!)
	done
	# The probe shares the two cores with the stages: the local check
	# (checkpoints and the database) every 0.2 s, the broker asked only
	# once that one passes; VmHWM keeps the peak, so it is read at the
	# end.
	until "$BIN/rawzone" status -c "$d/rz.conf" --caught-up --offline 2>/dev/null &&
		"$BIN/rawzone" status -c "$d/rz.conf" --caught-up 2>/dev/null; do
		for s in land decode transform; do
			kill -0 "${pid[$s]}" 2>/dev/null || { echo "$s died:" >&2; tail -n 5 "$d/$s.log" >&2; exit 1; }
		done
		sleep 0.2
	done
	t1=$(now)
	for s in land decode transform; do
		hwm "${pid[$s]}" >"$d/$s.hwm"
		cpu "${pid[$s]}" >>"$W/$s.cpu"
	done
	got=$(sqlite3 "$d/data/rawzone.db" "SELECT (SELECT count(*) FROM order_events) + (SELECT count(*) FROM rawzone_quarantine)")
	[ "$got" -eq "$RECORDS" ] || { echo "the database holds $got of $RECORDS records" >&2; exit 1; }
	awk -v n="$RECORDS" -v a="$t0" -v b="$t1" 'BEGIN {print n / (b - a)}' >>"$W/eps"
	for s in land decode transform; do
		awk '{print $1 / 1024}' "$d/$s.hwm" >>"$W/$s"
	done

	# The replay: everything again, from the request to the database.
	t2=$(now)
	"$BIN/rawzone" replay -c "$d/rz.conf" --from-beginning >"$d/replay.out" 2>&1 || {
		tail -n 3 "$d/replay.out" >&2
		exit 1
	}
	t3=$(now)
	awk -v n="$RECORDS" -v a="$t2" -v b="$t3" 'BEGIN {print n / (b - a)}' >>"$W/replay"
	for s in land decode transform; do kill -TERM "${pid[$s]}"; wait "${pid[$s]}" || true; done
	echo "round $r: end to end $(tail -n 1 "$W/eps")/s; replay $(tail -n 1 "$W/replay")/s; RSS MiB land $(tail -n 1 "$W/land"), decode $(tail -n 1 "$W/decode"), transform $(tail -n 1 "$W/transform"); CPU s to the end land $(tail -n 1 "$W/land.cpu"), decode $(tail -n 1 "$W/decode.cpu"), transform $(tail -n 1 "$W/transform.cpu")" >&2
	rm -rf "$d"
done

echo "end to end on Kafka 4.4.0 (orders:8): $RECORDS events, 1% bad, SQLite, fsync on, medians of $ROUNDS"
echo
echo "| measure | value |"
echo "|---|---:|"
printf '| end to end, events/s (start of the stages to everything in the database) | %.0f |\n' "$(median <"$W/eps")"
printf '| replay --from-beginning, records/s (request to the database caught up) | %.0f |\n' "$(median <"$W/replay")"
for s in land decode transform; do
	printf '| peak RSS of rawzone-%s, MiB | %.0f |\n' "$s" "$(median <"$W/$s")"
done
for s in land decode transform; do
	printf '| CPU s of rawzone-%s, start to end to end | %.2f |\n' "$s" "$(median <"$W/$s.cpu")"
done

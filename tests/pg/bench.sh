#!/usr/bin/env bash
# tests/pg/bench.sh - rawzone-transform's throughput into PostgreSQL (and,
# for comparison, SQLite) on the orders example. Run by hand, not by
# tests/run:
#
#   RECORDS=2000000 tests/pg/bench.sh      (default 2,000,000; O=build)
#
# A real Kafka broker (tests/kafka/kafka.sh) gets RECORDS events of the
# example topic (mixed versions, 1% bad) from `rawzone produce`; land and
# decode turn them into the decoded log once; then rawzone-transform --once
# applies that same decoded log into a fresh database of each kind, and the
# time of each run gives outcomes/s. The PostgreSQL server is the tests'
# (tests/pg/pg.sh: fsync on, default settings otherwise) on 127.0.0.1.
# Prints one markdown table.
. "$(dirname "$0")/../lib.sh"

N=${RECORDS:-2000000}
kafka_start bench orders:8
pg_start bench
write_conf "$T/rz.conf" bench "$T/data"
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count "$N" --bad-fraction 0.01 --seed 5 \
	>"$T/produce.log" 2>&1 || fail "produce: $(tail -n 3 "$T/produce.log")"
start_stage land "$T/rz.conf"
land=$STAGE_PID
wait_until 900 "land to land $N records" landed_at_least "$T/rz.conf" "$N"
stop_stage "$land"
"$BIN/rawzone-decode" -c "$T/rz.conf" --once >"$T/decode.log" 2>&1 ||
	fail "decode: $(tail -n 3 "$T/decode.log")"

# run NAME SINK: transform --once into SINK; prints a table row.
run() {
	local name=$1 sink=$2 t0 t1
	t0=$(date +%s%N)
	"$BIN/rawzone-transform" -c "$T/rz.conf" -X "transform.sink=$sink" --once \
		>"$T/transform-$name.log" 2>&1 || fail "transform into $name: $(tail -n 3 "$T/transform-$name.log")"
	t1=$(date +%s%N)
	awk -v n="$N" -v ns=$((t1 - t0)) -v name="$name" \
		'BEGIN { printf "| %s | %d | %.1f | %.0f |\n", name, n, ns / 1e9, n / (ns / 1e9) }'
}

echo
echo "| sink | outcomes | seconds | outcomes/s |"
echo "| --- | ---: | ---: | ---: |"
run postgresql "$PG_URL"
rm -f "$T/data/rawzone.db"*
run sqlite "sqlite:$T/data/bench.db"

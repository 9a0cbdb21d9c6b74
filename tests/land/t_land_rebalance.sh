# tests/land/t_land_rebalance.sh - with a real Kafka broker: a second land
# instance (its own data directory) joins the group mid-run and leaves
# again. Every record lands exactly once across the two raw zones, and each
# revoked partition was made durable and committed before it was given up:
# the instance that took it over starts exactly after the offset the
# revoking instance logged as durable. With STRATEGY set (the cooperative
# variant sets cooperative-sticky) both instances use that assignor.
. "$(dirname "$0")/../lib.sh"

kafka_start rebalance orders:8
export GROUP=g-rebalance-$$
strategy=${STRATEGY:+kafka.partition.assignment.strategy=$STRATEGY}
write_conf "$T/a.conf" land-a "$T/a" $strategy
write_conf "$T/b.conf" land-b "$T/b" $strategy
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 200000 --rate 15000 \
	--seed 3 >"$T/produce.log" 2>&1 &
producer=$!
at_exit "kill $producer"

"$BIN/rawzone-land" -c "$T/a.conf" >"$T/a.log" 2>&1 &
a=$!
at_exit "kill -9 $a"
wait_until 30 "land-a to land records" landed_at_least "$T/a.conf" 1
sleep 2
"$BIN/rawzone-land" -c "$T/b.conf" >"$T/b.log" 2>&1 &
b=$!
at_exit "kill -9 $b"
wait_until 30 "land-b to be assigned partitions" grep -q assigned "$T/b.log"
wait_until 30 "land-b to land records" landed_at_least "$T/b.conf" 1
sleep 3
stop_stage "$b"
note "land-b left after landing $(landed_total "$T/b.conf") records"
wait "$producer" || fail "produce: $(tail -n 3 "$T/produce.log")"

# land-a takes every partition back (after the static member's session
# times out) and catches up to the end of every partition.
caught_up() {
	"$BIN/rawzone" status -c "$T/a.conf" --json |
		awk -v RS='},' '/"high_watermark"/ {
			match($0, /"high_watermark":[0-9]+/); h = substr($0, RSTART + 17, RLENGTH - 17)
			match($0, /"landed":-?[0-9]+/); l = substr($0, RSTART + 9, RLENGTH - 9)
			if (l + 0 < h + 0) bad = 1 } END { exit bad }'
}
wait_until 120 "land-a to reach every high watermark" caught_up
stop_stage "$a"

grep -q 'revoked orders' "$T/a.log" || fail "land-a never gave a partition up"
# Cooperative: land-a gives up only what land-b takes and keeps landing
# the rest (eager revokes all 8 when land-b joins), counted up to its stop.
if [ "${STRATEGY:-}" = cooperative-sticky ]; then
	revoked=$(awk '/stopping:/ {exit} /revoked orders/ {n++} END {print n + 0}' "$T/a.log")
	[ "$revoked" -ge 1 ] && [ "$revoked" -lt 8 ] ||
		fail "cooperative: land-a revoked $revoked partitions before its stop: $(grep 'revoked orders' "$T/a.log")"
	note "cooperative: land-a revoked $revoked partitions and kept the rest"
fi

# Exactly once across the two raw zones, byte for byte.
"$TOOLS/kread" -b "$BOOTSTRAP" -t orders | sort >"$T/broker.jsonl"
{ "$BIN/rawzone" cat -c "$T/a.conf" --json; "$BIN/rawzone" cat -c "$T/b.conf" --json; } |
	sort >"$T/both.jsonl"
if ! cmp -s "$T/broker.jsonl" "$T/both.jsonl"; then
	note "broker $(wc -l <"$T/broker.jsonl"), raw zones $(wc -l <"$T/both.jsonl") (duplicates: $(uniq -d "$T/both.jsonl" | wc -l))"
	fail "the two raw zones together are not the broker's records exactly once"
fi
note "the two raw zones hold each of $(wc -l <"$T/both.jsonl") records exactly once"

# Handover: for each partition land-b started on, its first offset is the
# one after what land-a logged durable when it revoked the partition.
checked=0
for p in $(seq 0 7); do
	first_b=$("$BIN/rawzone" cat -c "$T/b.conf" -p "$p" -n 1 --json | grep -o '"offset":[0-9]*' | cut -d: -f2)
	[ -n "$first_b" ] || continue
	durable_a=$(grep "revoked orders \[$p\]" "$T/a.log" | head -n 1 | grep -o 'offset -\?[0-9]*' | cut -d' ' -f2)
	[ -n "$durable_a" ] || fail "partition $p: land-b landed it but land-a never revoked it"
	[ "$first_b" -eq $((durable_a + 1)) ] ||
		fail "partition $p: land-a revoked at durable offset $durable_a, land-b started at $first_b"
	checked=$((checked + 1))
done
[ "$checked" -gt 0 ] || fail "land-b landed nothing"
note "$checked partitions handed over at exactly the revoked durable offset"

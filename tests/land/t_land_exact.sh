# tests/land/t_land_exact.sh - with a real Kafka broker: 500,000 records
# over 8 partitions, plus records with null and empty keys and values and
# with headers, landed and compared byte for byte with an independent read
# of the broker; offsets contiguous, nothing missing, nothing twice.
. "$(dirname "$0")/../lib.sh"

N=${LAND_EXACT_RECORDS:-500000}
kafka_start exact orders:8
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count "$N" --bad-fraction 0.01 \
	--seed 11 >"$T/produce.log" 2>&1 || fail "produce: $(tail -n 3 "$T/produce.log")"
# The edge cases of a record: null value, empty value, null key, headers
# (one with an empty value), a binary value, compressed batches.
printf 'nullvalue\t\n' | kcat -P -b "$BOOTSTRAP" -t orders -K '\t' -Z || fail kcat
printf 'emptyvalue\t\n' | kcat -P -b "$BOOTSTRAP" -t orders -K '\t' || fail kcat
printf 'no key at all\n' | kcat -P -b "$BOOTSTRAP" -t orders || fail kcat
printf 'hk\thv\n' | kcat -P -b "$BOOTSTRAP" -t orders -K '\t' -H trace=abc -H empty= -H schema-id=3 || fail kcat
head -c 3000 /dev/urandom >"$T/binary"
kcat -P -b "$BOOTSTRAP" -t orders -p 5 "$T/binary" || fail kcat
# land tells a record without headers from its own bytes (land/headers.h):
# headers on values whose length is a 1-, 2- and 3-byte varint, and
# compressed batches with and without headers.
printf '%0200d' 0 | kcat -P -b "$BOOTSTRAP" -t orders -p 2 -H h=200 || fail kcat
head -c 20000 /dev/urandom >"$T/big"
kcat -P -b "$BOOTSTRAP" -t orders -p 2 -H h=20000 -H e= "$T/big" || fail kcat
seq 1 20 | kcat -P -b "$BOOTSTRAP" -t orders -p 4 -z lz4 || fail kcat
seq 21 40 | kcat -P -b "$BOOTSTRAP" -t orders -p 4 -z gzip -H z=1 || fail kcat

write_conf "$T/rz.conf" exact "$T/data"
want=$(high_total "$T/rz.conf")
[ "$want" -eq $((N + 47)) ] || fail "broker holds $want records, expected $((N + 47))"
start_stage land "$T/rz.conf"
land=$STAGE_PID
wait_until 120 "land to land $want records" landed_at_least "$T/rz.conf" "$want"
stop_stage "$land"
[ "$(landed_total "$T/rz.conf")" -eq "$want" ] || fail "landed $(landed_total "$T/rz.conf"), expected $want"
raw_equals_broker "$T/rz.conf" || fail "the raw zone differs from the broker"
grep -q 'stopped cleanly' "$T/land.log" || fail "land did not stop cleanly"
# Lookups by offset go through the sparse index land wrote while landing:
# each must find exactly the broker's record.
RANDOM=3
for p in 0 3 5 7; do
	off=$((RANDOM * 2 % 60000))
	got=$("$BIN/rawzone" cat -c "$T/rz.conf" -p "$p" -o "$off" -n 1 --json)
	want=$(grep "\"partition\":$p,\"offset\":$off," "$T/broker.jsonl")
	[ -n "$want" ] && [ "$got" = "$want" ] || fail "partition $p offset $off: cat -o found '$got'"
done
note "offset lookups through land's index found the right records"

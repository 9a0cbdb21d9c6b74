# tests/decode/t_decode_crash.sh - decode killed with SIGKILL at random
# moments and at each named point of its commit protocol (D1-D4) produces,
# after restarts, exactly the decoded and quarantine logs of a run that was
# never interrupted: the tail past the checkpoint is cut and decoded again,
# and decoding is deterministic. Also: a second decode is refused (75), and
# a registry naming a message decode is not built with stops it at start
# with the file and line.
. "$(dirname "$0")/../lib.sh"

mock_start orders:4
write_conf "$T/rz.conf" dcrash "$T/data" land.static_membership=false decode.batch_records=3000
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 120000 --bad-fraction 0.02 --seed 4 \
	>"$T/produce.log" 2>&1 || fail "produce"
start_stage land "$T/rz.conf"
land=$STAGE_PID
wait_until 60 "land" landed_at_least "$T/rz.conf" 120000
stop_stage "$land"

# The reference: one uninterrupted decode of a copy of the raw zone.
mkdir -p "$T/ref"
cp -a "$T/data/raw" "$T/data/land.ckpt" "$T/ref/"
write_conf "$T/ref.conf" dref "$T/ref"
"$BIN/rawzone-decode" -c "$T/ref.conf" --once >"$T/ref.log" 2>&1 || fail "reference decode: $(tail -n 3 "$T/ref.log")"

# Kill points, then random kills, each followed by more decoding.
for point in D1 D2 D3 D4; do
	RAWZONE_KILL_AT="$point:2" timeout 60 "$BIN/rawzone-decode" -c "$T/rz.conf" >>"$T/decode.log" 2>&1
	rc=$?
	[ $rc -eq 137 ] || fail "kill point $point: decode exited $rc, expected 137"
done
RANDOM=7
for i in $(seq 1 "$(soak 100 10)"); do
	start_stage decode "$T/rz.conf"
	sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
	kill -9 "$STAGE_PID"
	wait "$STAGE_PID" 2>/dev/null
done
"$BIN/rawzone-decode" -c "$T/rz.conf" --once >>"$T/decode.log" 2>&1 || fail "final decode: $(tail -n 3 "$T/decode.log")"
cuts=$(grep -c 'they are decoded again' "$T/decode.log")
note "restarts cut uncommitted outcomes $cuts times"
[ "$cuts" -ge 1 ] || fail "no restart found outcomes past the checkpoint: the test did not test recovery"

for zone in decoded quarantine; do
	"$BIN/rawzone" cat -c "$T/ref.conf" --zone "$zone" --json >"$T/ref-$zone.jsonl" || fail "cat ref $zone"
	"$BIN/rawzone" cat -c "$T/rz.conf" --zone "$zone" --json >"$T/got-$zone.jsonl" || fail "cat $zone"
	cmp -s "$T/ref-$zone.jsonl" "$T/got-$zone.jsonl" ||
		fail "the $zone zone after kills differs from an uninterrupted run ($(wc -l <"$T/got-$zone.jsonl") vs $(wc -l <"$T/ref-$zone.jsonl") records)"
	note "$zone zone identical to the uninterrupted run: $(wc -l <"$T/got-$zone.jsonl") records"
done
[ "$(wc -l <"$T/got-decoded.jsonl")" -eq 120000 ] || fail "decoded zone does not hold one outcome per record"
q=$(wc -l <"$T/got-quarantine.jsonl")
[ "$q" -ge 2000 ] && [ "$q" -le 2800 ] || fail "quarantined $q of 120000 at a 2% bad fraction"

# One decode per data directory.
start_stage decode "$T/rz.conf"
# This decode's own line (decode.log holds earlier runs' too): it logs
# it after taking the lock.
wait_until 10 "decode to take its lock" grep -q "rawzone-decode\[$STAGE_PID\] info: registry" "$T/decode.log"
timeout 20 "$BIN/rawzone-decode" -c "$T/rz.conf" >"$T/second.log" 2>&1
[ $? -eq 75 ] || fail "a second decode was not refused with 75"
kill -9 "$STAGE_PID"

# A registry naming a message decode is not built with.
printf '1 orders.v1.OrderEvent\n7 orders.v9.OrderEvent\n' >"$T/bad-registry.conf"
"$BIN/rawzone-decode" -c "$T/rz.conf" -X decode.registry="$T/bad-registry.conf" --once >"$T/badreg.log" 2>&1
[ $? -eq 2 ] || fail "a bad registry did not stop decode with exit 2"
grep -q 'bad-registry.conf:2: .*orders.v9.OrderEvent' "$T/badreg.log" || fail "no file:line in: $(cat "$T/badreg.log")"

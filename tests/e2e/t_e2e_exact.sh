# tests/e2e/t_e2e_exact.sh - with a real Kafka broker: 300,000 events of
# mixed schema versions with 1% deliberately bad records, through land,
# decode and transform under the supervisor; the database must match the
# producer's manifest exactly - every good record in order_events with the
# right values, every bad one in rawzone_quarantine with the right reason,
# orders by its rule, nothing else (checked by tests/tools/check_db.py,
# which shares no code with rawzone).
. "$(dirname "$0")/../lib.sh"

N=${E2E_RECORDS:-300000}
kafka_start e2e orders:8
write_conf "$T/rz.conf" e2e "$T/data"
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count "$N" --bad-fraction 0.01 --seed 21 \
	--manifest "$T/manifest.jsonl" >"$T/produce.log" 2>&1 ||
	fail "produce: $(tail -n 3 "$T/produce.log")"
grep -q "delivered=$N failed=0" "$T/produce.log" || fail "not every record was delivered"

timeout 300 "$TOP/deploy/rawzone-supervise" -c "$T/rz.conf" --once --bin "$BIN" \
	>"$T/supervise.out" 2>&1 || fail "the supervisor: $(tail -n 5 "$T/supervise.out")"
grep -q 'every stage has caught up' "$T/supervise.out" || fail "the supervisor stopped before catching up"
python3 "$TOP/tests/tools/check_db.py" "$T/data/rawzone.db" "$T/manifest.jsonl" ||
	fail "the database does not match the manifest"
for s in land decode transform; do
	grep -q 'stopped cleanly' "$T/data/log/$s.log" || fail "$s did not stop cleanly"
done
# Nothing rawzone wrote is readable by other users.
for f in "$T/manifest.jsonl" "$T/data/log/land.log" "$T/data/log/supervise.log" "$T/data/land.ckpt"; do
	[ "$(stat -c %a "$f")" = 640 ] || fail "$f has mode $(stat -c %a "$f"), expected 640"
done
[ "$(stat -c %a "$T/data/log")" = 750 ] || fail "$T/data/log has mode $(stat -c %a "$T/data/log"), expected 750"

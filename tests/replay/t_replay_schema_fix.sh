# tests/replay/t_replay_schema_fix.sh - the schema-fix story, end to end,
# with a real Kafka broker: decode runs with a registry that lacks id 3, so
# v3 records land and are quarantined as unknown_schema while land keeps
# running; id 3 is added, decode restarted, and `rawzone replay
# --from-beginning` run while a producer keeps producing. Afterwards the
# database is what a clean run with the full registry gives (the manifest,
# and a `rawzone rebuild` of the raw zone), and rawzone_quarantine holds
# only the deliberately bad records. Then the same with --quarantined-only.
. "$(dirname "$0")/../lib.sh"

kafka_start fix orders:4
grep -v '^3 ' "$TOP/proto/registry.conf" >"$T/registry.conf"
write_conf "$T/rz.conf" fix "$T/data" decode.registry="$T/registry.conf"
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 60000 --bad-fraction 0.01 --seed 31 \
	--manifest "$T/m1.jsonl" >"$T/p1.log" 2>&1 || fail "produce"
start_pipeline "$T/rz.conf"
drained() { "$BIN/rawzone" status -c "$T/rz.conf" --caught-up; }
wait_until 120 "the pipeline to catch up" drained
unknown=$(sqlite3 "$T/data/rawzone.db" "SELECT count(*) FROM rawzone_quarantine WHERE reason = 'unknown_schema' AND schema_id = 3")
[ "$unknown" -gt 10000 ] || fail "v3 records were not quarantined as unknown_schema ($unknown)"
note "$unknown v3 records quarantined as unknown_schema without id 3"

# The fix: id 3 in the registry, decode restarted, replay from the start
# while more records arrive.
cp "$TOP/proto/registry.conf" "$T/registry.conf"
stop_stage "${pid[decode]}"
start_stage decode "$T/rz.conf"
pid[decode]=$STAGE_PID
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 30000 --rate 10000 --bad-fraction 0.01 --seed 32 \
	--manifest "$T/m2.jsonl" >"$T/p2.log" 2>&1 &
producer=$!
at_exit "kill $producer"
timeout 300 "$BIN/rawzone" replay -c "$T/rz.conf" --from-beginning >"$T/replay.out" 2>&1 ||
	fail "replay: $(tail -n 5 "$T/replay.out")"
grep -q 'done in' "$T/replay.out" || fail "replay gave no summary: $(cat "$T/replay.out")"
note "$(grep 'done in' "$T/replay.out")"
wait "$producer" || fail "produce while replaying"
wait_until 120 "the pipeline to catch up after the replay" drained
kill -0 "${pid[land]}" || fail "land stopped during the replay"
cat "$T/m1.jsonl" "$T/m2.jsonl" >"$T/manifest.jsonl"
python3 "$TOP/tests/tools/check_db.py" "$T/data/rawzone.db" "$T/manifest.jsonl" ||
	fail "after the replay the database is not what the full registry gives"
left=$(sqlite3 "$T/data/rawzone.db" "SELECT count(*) FROM rawzone_quarantine WHERE reason = 'unknown_schema'")
bad=$(grep -c '"outcome":"unknown_schema"' "$T/manifest.jsonl")
[ "$left" -eq "$bad" ] || fail "$left unknown_schema rows left, the producer made $bad"

# A clean run with the full registry, from the raw zone alone.
# Five -X as an operator may give (they reach the rebuild's own stages).
"$BIN/rawzone" rebuild -c "$T/rz.conf" --sink "sqlite:$T/rebuilt.db" \
	-X decode.batch_records=20000 -X decode.fsync_interval_ms=20 -X transform.batch_records=50000 \
	-X transform.batch_latency_ms=100 -X land.fsync_interval_ms=10 >"$T/rebuild.out" 2>&1 ||
	fail "rebuild: $(tail -n 5 "$T/rebuild.out")"
"$BIN/rawzone" diff --sink "sqlite:$T/data/rawzone.db" --sink "sqlite:$T/rebuilt.db" >"$T/diff.out" ||
	fail "the replayed database differs from a rebuild: $(head -n 20 "$T/diff.out")"
note "replayed database = rebuilt database"

# --quarantined-only: take id 3 away and back again, re-driving only what
# the quarantine log holds.
grep -v '^3 ' "$TOP/proto/registry.conf" >"$T/registry.conf"
stop_stage "${pid[decode]}"
start_stage decode "$T/rz.conf"
pid[decode]=$STAGE_PID
timeout 300 "$BIN/rawzone" replay -c "$T/rz.conf" --from-beginning >"$T/replay2.out" 2>&1 ||
	fail "replay without id 3: $(tail -n 5 "$T/replay2.out")"
cp "$TOP/proto/registry.conf" "$T/registry.conf"
stop_stage "${pid[decode]}"
start_stage decode "$T/rz.conf"
pid[decode]=$STAGE_PID
timeout 300 "$BIN/rawzone" replay -c "$T/rz.conf" --from-beginning --quarantined-only >"$T/replay3.out" 2>&1 ||
	fail "replay --quarantined-only: $(tail -n 5 "$T/replay3.out")"
note "$(grep 'done in' "$T/replay3.out")"
python3 "$TOP/tests/tools/check_db.py" "$T/data/rawzone.db" "$T/manifest.jsonl" ||
	fail "after --quarantined-only the database is not what the full registry gives"
for s in land decode transform; do stop_stage "${pid[$s]}"; done

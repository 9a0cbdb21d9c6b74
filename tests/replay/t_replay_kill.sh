# tests/replay/t_replay_kill.sh - replay and rebuild interrupted by SIGKILL
# at random moments, then resumed, give the same final database: decode is
# killed during a replay (and at the two points of applying a request),
# the replay command itself is killed (the request is durable), and a
# rebuild is killed and run again.
. "$(dirname "$0")/../lib.sh"

mock_start orders:4
write_conf "$T/rz.conf" rkill "$T/data" land.static_membership=false decode.batch_records=2000
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 60000 --bad-fraction 0.02 --seed 51 \
	--manifest "$T/manifest.jsonl" >"$T/produce.log" 2>&1 || fail "produce"
start_pipeline "$T/rz.conf"
drained() { "$BIN/rawzone" status -c "$T/rz.conf" --offline --caught-up; }
wait_until 60 "land" landed_at_least "$T/rz.conf" 60000
wait_until 60 "the pipeline to catch up" drained

replayed() { [ ! -e "$T/data/replay.request" ] && drained; }

restart_decode() {
	start_stage decode "$T/rz.conf" "$@"
	pid[decode]=$STAGE_PID
}

# Killed between applying a request and saving, and between saving and
# removing the request: the next start applies it exactly once.
for point in RP1 RP2; do
	kill -TERM "${pid[decode]}"
	wait "${pid[decode]}"
	"$BIN/rawzone" replay -c "$T/rz.conf" --from-beginning --no-wait >/dev/null || fail "replay request"
	RAWZONE_KILL_AT="$point:1" timeout 30 "$BIN/rawzone-decode" -c "$T/rz.conf" >>"$T/decode.log" 2>&1
	[ $? -eq 137 ] || fail "decode did not die at $point"
	restart_decode
	wait_until 60 "the replay after a kill at $point" replayed
done

# A replay followed by its command, which is killed; decode killed at
# random moments while it works back.
"$BIN/rawzone" replay -c "$T/rz.conf" --from-beginning >"$T/replay.out" 2>&1 &
replay=$!
sleep 0.5
kill -9 $replay
wait $replay 2>/dev/null
RANDOM=99
for i in $(seq 1 8); do
	sleep "0.$((RANDOM % 5))"
	kill -9 "${pid[decode]}"
	wait "${pid[decode]}" 2>/dev/null
	restart_decode
done
wait_until 120 "the replay to finish after the kills" replayed
python3 "$TOP/tests/tools/check_db.py" "$T/data/rawzone.db" "$T/manifest.jsonl" ||
	fail "after the interrupted replays the database is wrong"

# A rebuild killed midway, then run again.
"$BIN/rawzone" rebuild -c "$T/rz.conf" --sink "sqlite:$T/rebuilt.db" >"$T/rebuild1.out" 2>&1 &
rb=$!
sleep 0.3
kill -9 $rb
wait $rb 2>/dev/null
"$BIN/rawzone" rebuild -c "$T/rz.conf" --sink "sqlite:$T/rebuilt.db" --force >"$T/rebuild2.out" 2>&1 ||
	fail "rebuild after a kill: $(tail -n 5 "$T/rebuild2.out")"
grep -q 'left by a rebuild that did not finish' "$T/rebuild2.out" ||
	note "(the first rebuild finished or never made its scratch directory before the kill)"
[ -z "$(ls -d "$T/data"/rebuild.* 2>/dev/null)" ] || fail "a rebuild's scratch directory was left behind"
"$BIN/rawzone" diff --sink "sqlite:$T/data/rawzone.db" --sink "sqlite:$T/rebuilt.db" >"$T/diff.out" ||
	fail "the rebuilt database differs: $(head -n 20 "$T/diff.out")"
for s in land decode transform; do stop_stage "${pid[$s]}"; done

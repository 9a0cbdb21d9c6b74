# tests/e2e/t_e2e_kill.sh - with a real Kafka broker: the pipeline runs while
# a producer writes 300,000 events, and 30 times a random stage (land,
# decode or transform) is killed with SIGKILL at a random moment and
# restarted. Afterwards the database equals, row for row, the database of a
# clean run over the same topic, and both match the manifest.
. "$(dirname "$0")/../lib.sh"

KILLS=${E2E_KILLS:-$(soak 200 30)}
kafka_start e2ekill orders:8
write_conf "$T/rz.conf" kill "$T/data"
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 300000 --rate 25000 --bad-fraction 0.01 \
	--seed 22 --manifest "$T/manifest.jsonl" >"$T/produce.log" 2>&1 &
producer=$!
at_exit "kill $producer"

start_pipeline "$T/rz.conf"
RANDOM=1234
stages=(land decode transform)
declare -A kills=([land]=0 [decode]=0 [transform]=0)
for i in $(seq 1 "$KILLS"); do
	sleep "0.$((RANDOM % 9 + 1))"
	s=${stages[RANDOM % 3]}
	kill -9 "${pid[$s]}" 2>/dev/null
	wait "${pid[$s]}" 2>/dev/null
	kills[$s]=$((kills[$s] + 1))
	# Restart after 0-300 ms; sometimes kill the same stage again while
	# it recovers.
	sleep "0.$((RANDOM % 3))"
	start_stage "$s" "$T/rz.conf"
	pid[$s]=$STAGE_PID
done
note "kills: land ${kills[land]}, decode ${kills[decode]}, transform ${kills[transform]}"
wait "$producer" || fail "produce: $(tail -n 3 "$T/produce.log")"

drained() { "$BIN/rawzone" status -c "$T/rz.conf" --caught-up; }
wait_until 180 "every stage to catch up after the kills" drained
for s in land decode transform; do stop_stage "${pid[$s]}"; done
python3 "$TOP/tests/tools/check_db.py" "$T/data/rawzone.db" "$T/manifest.jsonl" ||
	fail "after $KILLS kills the database does not match the manifest"

# A clean run over the same topic, in its own group and data directory.
export GROUP=g-clean-$$
write_conf "$T/clean.conf" clean "$T/clean"
timeout 300 "$TOP/deploy/rawzone-supervise" -c "$T/clean.conf" --once --bin "$BIN" \
	>"$T/supervise.out" 2>&1 || fail "the clean run: $(tail -n 5 "$T/supervise.out")"
"$BIN/rawzone" diff --sink "sqlite:$T/data/rawzone.db" --sink "sqlite:$T/clean/rawzone.db" \
	>"$T/diff.out" || fail "the killed run's database differs from a clean run's: $(head -n 20 "$T/diff.out")"
note "the database after $KILLS kills equals a clean run's, row for row"

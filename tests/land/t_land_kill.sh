# tests/land/t_land_kill.sh - with a real Kafka broker: land killed with
# SIGKILL 20 times at random moments while a producer runs; after the last
# restart the raw zone equals the broker's content exactly: nothing missing,
# nothing twice (recovery cuts torn tails, and landing resumes after the
# last durable record).
. "$(dirname "$0")/../lib.sh"

KILLS=${LAND_KILLS:-$(soak 200 20)}
kafka_start kill orders:8
write_conf "$T/rz.conf" kill "$T/data"
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 300000 --rate 20000 \
	--seed 5 >"$T/produce.log" 2>&1 &
producer=$!
at_exit "kill $producer"

RANDOM=42
for i in $(seq 1 "$KILLS"); do
	start_stage land "$T/rz.conf"
	sleep "$((RANDOM % 15 / 10)).$((RANDOM % 10))"
	kill -9 "$STAGE_PID"
	wait "$STAGE_PID" 2>/dev/null
done
note "killed land $KILLS times; $(landed_total "$T/rz.conf") records landed so far"
wait "$producer" || fail "produce: $(tail -n 3 "$T/produce.log")"

want=$(high_total "$T/rz.conf")
start_stage land "$T/rz.conf"
land=$STAGE_PID
wait_until 120 "land to catch up to $want records" landed_at_least "$T/rz.conf" "$want"
stop_stage "$land"
note "recoveries: $(grep -c 'torn tail' "$T/land.log") torn tails cut, $(grep -c 'kept' "$T/land.log") kept past the checkpoint"
raw_equals_broker "$T/rz.conf" || fail "the raw zone differs from the broker after $KILLS kills"

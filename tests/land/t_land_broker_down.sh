# tests/land/t_land_broker_down.sh - the broker goes away mid-run and comes
# back: land keeps running without burning a core while it is gone, then
# resumes, and nothing is lost. Once with a real Kafka broker (its process
# stopped and restarted) and once with the embedded broker (all brokers set
# down and up).
. "$(dirname "$0")/../lib.sh"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# down_up KIND CONF DOWN_CMD UP_CMD
down_up() {
	local kind=$1 conf=$2 down=$3 up=$4 land t0 t1 used
	"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 40000 --seed 1 >"$T/p1.log" 2>&1 ||
		fail "$kind: produce: $(tail -n 2 "$T/p1.log")"
	start_stage land "$conf"
	land=$STAGE_PID
	wait_until 60 "$kind: land to land 40000" landed_at_least "$conf" 40000
	eval "$down"
	note "$kind: broker down"
	t0=$(cpu_ticks "$land")
	sleep 8
	kill -0 "$land" 2>/dev/null || fail "$kind: land died while the broker was down"
	t1=$(cpu_ticks "$land")
	used=$((t1 - t0)) # clock ticks (1/100 s) in 8 s
	note "$kind: land used $used ticks of CPU in 8 s while the broker was down"
	[ "$used" -lt 160 ] || fail "$kind: land busy while the broker is down ($used ticks in 8 s)"
	eval "$up"
	note "$kind: broker up"
	"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 40000 --seed 2 >"$T/p2.log" 2>&1 ||
		fail "$kind: produce after restart: $(tail -n 2 "$T/p2.log")"
	wait_until 120 "$kind: land to resume" landed_at_least "$conf" 80000
	stop_stage "$land"
	raw_equals_broker "$conf" || fail "$kind: records lost across the outage"
}

kafka_start down orders:4
write_conf "$T/real.conf" down "$T/real"
down_up "real Kafka" "$T/real.conf" \
	"'$KAFKA_SH' stop '$KAFKA_DIR' >/dev/null 2>&1" \
	"'$KAFKA_SH' start '$KAFKA_DIR' orders:4 >/dev/null 2>&1"

mock_start orders:4
write_conf "$T/mock.conf" mockdown "$T/mock" land.static_membership=false
down_up "embedded broker" "$T/mock.conf" "kill -USR1 $MOCK_PID" "kill -USR2 $MOCK_PID"

# tests/land/t_land_broker_down.sh - the broker goes away mid-run and comes
# back: land keeps running without burning a core while it is gone, then
# resumes, and nothing is lost. Then land is stopped while the broker is
# down: the stop must not wait for Kafka longer than [land] stop_timeout_ms
# (here 2 s, against a session.timeout.ms of 45 s that librdkafka would
# otherwise wait out), and the next start resumes without a gap or a
# duplicate. Once with a real Kafka broker (its process stopped and
# restarted) and once with the embedded broker (all brokers set down and
# up).
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

# stop_while_down KIND CONF DOWN_CMD UP_CMD [ARGS...]: after down_up, 80000
# records landed. The land stopped while the broker is down does not leave
# the group: the next one starts with ARGS.
stop_while_down() {
	local kind=$1 conf=$2 down=$3 up=$4 land n0 t0 took
	shift 4
	"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 20000 --seed 3 >"$T/p3.log" 2>&1 ||
		fail "$kind: produce: $(tail -n 2 "$T/p3.log")"
	start_stage land "$conf" -X kafka.session.timeout.ms=45000 -X land.stop_timeout_ms=2000
	land=$STAGE_PID
	wait_until 60 "$kind: land to land 100000" landed_at_least "$conf" 100000
	eval "$down"
	note "$kind: broker down, stopping land"
	n0=$(wc -l <"$T/land.log")
	t0=$EPOCHREALTIME
	stop_stage "$land"
	took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	note "$kind: land stopped in $took s with the broker down"
	awk -v t="$took" 'BEGIN { exit !(t < 10) }' ||
		fail "$kind: the stop took $took s with the broker down ([land] stop_timeout_ms = 2000)"
	tail -n +$((n0 + 1)) "$T/land.log" | grep -q "within \[land\] stop_timeout_ms" ||
		fail "$kind: land's log does not say that Kafka did not answer in time"
	tail -n +$((n0 + 1)) "$T/land.log" | grep -q "stopped: every record landed is durable" ||
		fail "$kind: land's last line does not say the stop did without Kafka"
	eval "$up"
	note "$kind: broker up"
	"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 20000 --seed 4 >"$T/p4.log" 2>&1 ||
		fail "$kind: produce after restart: $(tail -n 2 "$T/p4.log")"
	start_stage land "$conf" "$@"
	land=$STAGE_PID
	wait_until 120 "$kind: land to resume after the stop" landed_at_least "$conf" 120000
	n0=$(wc -l <"$T/land.log")
	stop_stage "$land"
	# With the broker up, the stop commits and leaves the group.
	tail -n +$((n0 + 1)) "$T/land.log" | grep -q "stopped cleanly" ||
		fail "$kind: with the broker up, land did not stop cleanly: $(tail -n 3 "$T/land.log")"
	raw_equals_broker "$conf" || fail "$kind: a stop with the broker down lost or doubled records"
}

kafka_start down orders:4
write_conf "$T/real.conf" down "$T/real"
down="'$KAFKA_SH' stop '$KAFKA_DIR' >/dev/null 2>&1"
up="'$KAFKA_SH' start '$KAFKA_DIR' orders:4 >/dev/null 2>&1"
down_up "real Kafka" "$T/real.conf" "$down" "$up"
# With static membership (land's default) the next land takes the stopped
# one's place in the group at once.
stop_while_down "real Kafka" "$T/real.conf" "$down" "$up"

mock_start orders:4
write_conf "$T/mock.conf" mockdown "$T/mock" land.static_membership=false
down_up "embedded broker" "$T/mock.conf" "kill -USR1 $MOCK_PID" "kill -USR2 $MOCK_PID"
# Without it (the mock has none), the group would hold the partitions for
# the stopped member until it expires: the next land joins another group,
# and resumes from land's checkpoint all the same.
stop_while_down "embedded broker" "$T/mock.conf" "kill -USR1 $MOCK_PID" "kill -USR2 $MOCK_PID" \
	-X kafka.group.id="g-$(basename "$T")-after-stop"

# tests/land/t_land_restart.sh - clean shutdowns (SIGTERM) in the middle of
# a run, each followed by a restart: no gap and no duplicate; each stop
# exits 0 after landing what was in flight; a second land on the same data
# directory is refused (exit 75) without touching anything. Runs 2 and 4
# write through the page cache ([land] direct_io = false), the others with
# O_DIRECT where /tmp takes it, so each continues segments the other mode
# wrote, across 1M segment rolls. The last run lands under [land]
# memory_bytes. Bad settings (a memory bound too small, eager and
# cooperative assignors mixed, KIP-848's group protocol) are refused with
# the key named.
. "$(dirname "$0")/../lib.sh"

mock_start orders:4
write_conf "$T/rz.conf" restart "$T/data" land.static_membership=false \
	pipeline.segment_bytes=1M
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 150000 --rate 30000 \
	--seed 9 >"$T/produce.log" 2>&1 &
producer=$!
at_exit "kill $producer"

for i in 1 2 3 4; do
	start_stage land "$T/rz.conf" -X land.direct_io=$([ $((i % 2)) -eq 0 ] && echo false || echo true)
	land=$STAGE_PID
	sleep 1
	if [ "$i" -eq 2 ]; then
		# A second land on the same data dir: refused before it
		# touches anything (it never gets as far as its first step).
		# This land's own line says it holds the lock.
		wait_until 10 "land to take its lock" grep -q "rawzone-land\[$land\] info: landing" "$T/land.log"
		timeout 20 "$BIN/rawzone-land" -c "$T/rz.conf" >"$T/second.log" 2>&1
		rc=$?
		[ $rc -eq 75 ] || fail "a second land exited $rc, expected 75"
		grep -q 'held by another rawzone-land' "$T/second.log" || fail "no clear message: $(cat "$T/second.log")"
		! grep -q 'checkpoint\|landing' "$T/second.log" || fail "the second land went on: $(cat "$T/second.log")"
	fi
	stop_stage "$land"
done
wait "$producer" || fail "produce failed"
want=$(high_total "$T/rz.conf")
# A memory bound under 32M is refused, naming the key, before anything.
timeout 20 "$BIN/rawzone-land" -c "$T/rz.conf" -X land.memory_bytes=16M >"$T/small.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "memory_bytes = 16M: land exited $rc, expected 1"
grep -q 'memory_bytes = 16777216: at least 32M' "$T/small.log" || fail "no clear message: $(cat "$T/small.log")"
! grep -q 'checkpoint\|landing' "$T/small.log" || fail "land went on: $(cat "$T/small.log")"
# Eager and cooperative assignors cannot be mixed: refused before a join.
timeout 20 "$BIN/rawzone-land" -c "$T/rz.conf" \
	-X kafka.partition.assignment.strategy=range,cooperative-sticky >"$T/mix.log" 2>&1
rc=$?
[ $rc -ne 0 ] || fail "range,cooperative-sticky: land exited 0"
grep -q 'partition.assignment.strategy' "$T/mix.log" ||
	fail "no clear message: $(cat "$T/mix.log")"
! grep -q 'landing' "$T/mix.log" || fail "land went on: $(cat "$T/mix.log")"
# KIP-848's group protocol is refused, naming the key.
timeout 20 "$BIN/rawzone-land" -c "$T/rz.conf" \
	-X kafka.group.protocol=consumer >"$T/kip848.log" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "group.protocol = consumer: land exited $rc, expected 2"
grep -q 'group.protocol = consumer: land supports the classic group protocol only' "$T/kip848.log" ||
	fail "no clear message: $(cat "$T/kip848.log")"
# The catch-up runs under a 48M bound: buffers and prefetch sized from it.
start_stage land "$T/rz.conf" -X land.memory_bytes=48M
land=$STAGE_PID
# --kafka-settings prints what land consumes with, beside a running land
# (it takes no lock): the bound's settings, a [kafka] key over one of
# them, the required ones; a credential never.
# A value longer than any buffer is printed whole.
rack=$(printf 'rack%.0s' $(seq 300))
"$BIN/rawzone-land" -c "$T/rz.conf" -X land.memory_bytes=48M \
	-X kafka.fetch.max.bytes=4000000 -X kafka.sasl.password=s3cret \
	-X kafka.client.rack="$rack" \
	--kafka-settings >"$T/settings.out" 2>"$T/settings.err" ||
	fail "--kafka-settings failed: $(cat "$T/settings.err")"
for line in queued.max.messages.kbytes=6144 fetch.max.bytes=4000000 \
	max.partition.fetch.bytes=393216 enable.auto.commit=false \
	enable.auto.offset.store=false 'sasl.password=(hidden)' \
	"client.rack=$rack"; do
	grep -qxF "$line" "$T/settings.out" || fail "--kafka-settings: no ${line:0:80} in $(cut -c1-100 "$T/settings.out")"
done
! grep -q s3cret "$T/settings.out" "$T/settings.err" || fail "--kafka-settings printed a password"
# It creates no data directory; the stages without a consumer refuse it.
"$BIN/rawzone-land" -c "$T/rz.conf" -X pipeline.data_dir="$T/nodir" \
	--kafka-settings >/dev/null 2>&1 || fail "--kafka-settings failed on a new data_dir"
[ ! -e "$T/nodir" ] || fail "--kafka-settings created the data directory"
for stage in decode transform; do
	"$BIN/rawzone-$stage" -c "$T/rz.conf" --kafka-settings >/dev/null 2>&1
	rc=$?
	[ $rc -eq 2 ] || fail "rawzone-$stage --kafka-settings exited $rc, expected 2"
done
wait_until 60 "land to catch up" landed_at_least "$T/rz.conf" "$want"
stop_stage "$land"
[ "$(grep -c 'stopped cleanly' "$T/land.log")" -eq 5 ] || fail "not every stop was clean"
for line in 'buffer_bytes = 6291456' 'queued.max.messages.kbytes = 6144' \
	'fetch.max.bytes = 3145728' 'max.partition.fetch.bytes = 393216'; do
	grep -q "memory_bytes: $line" "$T/land.log" || fail "memory_bytes = 48M did not set $line"
done
raw_equals_broker "$T/rz.conf" || fail "gap or duplicate after clean restarts"

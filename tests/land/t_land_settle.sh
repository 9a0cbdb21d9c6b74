# tests/land/t_land_settle.sh - a backlog is durable as soon as it is
# landed: once land has caught up after taking full batches, it closes the
# open epoch at once (land_settle) instead of at the end of [land]
# fsync_interval_ms. With an interval of a minute (the most it takes) and
# an fsync_bytes no run reaches, only that early close can make the
# records durable within the test's wait; tailing records afterwards
# still wait for the interval. Against the embedded broker.
. "$(dirname "$0")/../lib.sh"

mock_start orders:4
write_conf "$T/rz.conf" settle "$T/data" land.static_membership=false \
	land.fsync_interval_ms=60000 land.fsync_bytes=1G land.batch_records=500
# A backlog of many full batches.
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 60000 --rate 0 --seed 5 \
	>"$T/produce.log" 2>&1 || fail "produce: $(tail -n 3 "$T/produce.log")"
want=$(high_total "$T/rz.conf")
start_stage land "$T/rz.conf"
land=$STAGE_PID
wait_until 20 "the backlog of $want records to be durable" landed_at_least "$T/rz.conf" "$want"
# Tailing: a few records more, and no full batch for over a second. They
# are landed but stay in the open epoch, which the interval closes.
sleep 2
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 100 --rate 0 --seed 6 \
	>>"$T/produce.log" 2>&1 || fail "produce: $(tail -n 3 "$T/produce.log")"
more=$(high_total "$T/rz.conf")
sleep 3
landed_at_least "$T/rz.conf" "$more" && fail "tailing records were made durable before the interval"
# A clean stop makes them durable.
stop_stage "$land"
landed_at_least "$T/rz.conf" "$more" || fail "the stop did not make the tail durable"
raw_equals_broker "$T/rz.conf" || fail "the raw zone differs from the broker"
echo "ok: $want records durable once caught up; the tail of $((more - want)) waited for the stop"

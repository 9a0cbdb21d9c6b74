# tests/land/t_land_many_partitions.sh - 64 partitions under small memory
# bounds: land cuts its write buffers to the assignment (two chunks per
# partition where they fit, from 256 KiB down to 64 KiB, and says so when
# fewer than two fit), and lands every record exactly either way. Against
# the embedded broker, landing while the producer runs.
. "$(dirname "$0")/../lib.sh"

mock_start orders:64
write_conf "$T/rz.conf" manyparts "$T/data" land.static_membership=false

produce() { # COUNT SEED
	"$BIN/rawzone" produce -b "$BOOTSTRAP" --count "$1" --rate 0 \
		--seed "$2" >>"$T/produce.log" 2>&1 || fail "produce: $(tail -n 3 "$T/produce.log")"
}

# 64M: 8 MiB of buffers, two 64 KiB chunks for each of 64 partitions.
start_stage land "$T/rz.conf" -X land.memory_bytes=64M
land=$STAGE_PID
produce 40000 21
want=$(high_total "$T/rz.conf")
wait_until 60 "land to catch up to $want records" landed_at_least "$T/rz.conf" "$want"
stop_stage "$land"
grep -q 'write buffers: 128 chunks of 64 KiB for 64 assigned partitions$' "$T/land.log" ||
	fail "no re-cut to 64 KiB chunks: $(grep 'write buffers' "$T/land.log")"

# The default bound: 16 MiB, 128 KiB chunks.
start_stage land "$T/rz.conf"
land=$STAGE_PID
produce 20000 22
want=$(high_total "$T/rz.conf")
wait_until 60 "land to catch up to $want records" landed_at_least "$T/rz.conf" "$want"
stop_stage "$land"
grep -q 'write buffers: 128 chunks of 128 KiB for 64 assigned partitions$' "$T/land.log" ||
	fail "no re-cut to 128 KiB chunks: $(grep 'write buffers' "$T/land.log")"

# 32M: 4 MiB, one 64 KiB chunk each: partitions take turns, and land says
# which key gives them more.
start_stage land "$T/rz.conf" -X land.memory_bytes=32M
land=$STAGE_PID
produce 40000 23
want=$(high_total "$T/rz.conf")
wait_until 60 "land to catch up to $want records" landed_at_least "$T/rz.conf" "$want"
stop_stage "$land"
grep -q 'write buffers: 64 chunks of 64 KiB for 64 assigned partitions (fewer than two each: raise \[land\] memory_bytes)' "$T/land.log" ||
	fail "no warning for one chunk each: $(grep 'write buffers' "$T/land.log")"

[ "$(grep -c 'stopped cleanly' "$T/land.log")" -eq 3 ] || fail "not every stop was clean"
raw_equals_broker "$T/rz.conf" || fail "the raw zone differs from the broker"

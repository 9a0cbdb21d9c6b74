# tests/land/t_land_many_partitions.sh - 64 partitions under small memory
# bounds: land cuts its write buffers to the assignment (two chunks per
# partition where they fit, from 256 KiB down to 64 KiB, and says so when
# fewer than two fit), and lands every record exactly either way. Against
# the embedded broker, landing while the producer runs.
. "$(dirname "$0")/../lib.sh"

mock_start orders:64
write_conf "$T/rz.conf" manyparts "$T/data" land.static_membership=false

# land_run COUNT SEED [LAND ARGS...]: land while COUNT records are produced,
# until it has caught up, then stop it.
land_run() {
	local count=$1 seed=$2 land want
	shift 2
	start_stage land "$T/rz.conf" "$@"
	land=$STAGE_PID
	"$BIN/rawzone" produce -b "$BOOTSTRAP" --count "$count" --rate 0 \
		--seed "$seed" >>"$T/produce.log" 2>&1 || fail "produce: $(tail -n 3 "$T/produce.log")"
	want=$(high_total "$T/rz.conf")
	wait_until 60 "land to catch up to $want records" landed_at_least "$T/rz.conf" "$want"
	stop_stage "$land"
}

# expect_buffers LINE: land's last run logged this cut of its buffers.
expect_buffers() {
	[ "$(grep 'write buffers' "$T/land.log" | tail -n 1 | sed 's/.*info: //')" = "$1" ] ||
		fail "expected \"$1\", land said: $(grep 'write buffers' "$T/land.log" | tail -n 1)"
}

# 64M: 8 MiB of buffers, two 64 KiB chunks for each of 64 partitions.
land_run 40000 21 -X land.memory_bytes=64M
expect_buffers 'write buffers: 128 chunks of 64 KiB for 64 assigned partitions'

# The default bound: 16 MiB, 128 KiB chunks.
land_run 20000 22
expect_buffers 'write buffers: 128 chunks of 128 KiB for 64 assigned partitions'

# 32M: 4 MiB, one 64 KiB chunk each: partitions take turns, and land says
# which key gives them more.
land_run 40000 23 -X land.memory_bytes=32M
expect_buffers 'write buffers: 64 chunks of 64 KiB for 64 assigned partitions (fewer than two each: raise [land] memory_bytes)'

[ "$(grep -c 'stopped cleanly' "$T/land.log")" -eq 3 ] || fail "not every stop was clean"
raw_equals_broker "$T/rz.conf" || fail "the raw zone differs from the broker"

# tests/land/t_land_faults.sh - faults injected at land's I/O seam (the only
# place io_uring completions can be reached): a failed fdatasync, a full
# disk, short writes, SIGKILL at each named point of the commit protocol,
# and O_DIRECT refused at a segment roll. A failed sync or write stops land
# with a message naming the cause and advances nothing: no checkpoint and
# no Kafka commit past durable bytes. After every fault a clean restart
# lands everything, and the raw zone equals the broker.
. "$(dirname "$0")/../lib.sh"

mock_start orders:8 # 8 partitions keep 170,000 records within the mock's limits
write_conf "$T/rz.conf" faults "$T/data" land.static_membership=false
total=0

# committed_within_landed: the group's committed offset never exceeds the
# landed (durable) offset of any partition.
committed_within_landed() {
	"$BIN/rawzone" status -c "$T/rz.conf" --json | awk -v RS='},' '/"committed"/ {
		match($0, /"committed":-?[0-9]+/); c = substr($0, RSTART + 12, RLENGTH - 12)
		match($0, /"landed":-?[0-9]+/); l = substr($0, RSTART + 9, RLENGTH - 9)
		if (c + 0 > l + 0) { print "committed " c " > landed " l; bad = 1 } } END { exit bad }'
}

produce() {
	"$BIN/rawzone" produce -b "$BOOTSTRAP" --count "$1" --seed "$2" >"$T/produce.log" 2>&1 ||
		fail "produce: $(tail -n 2 "$T/produce.log")"
	total=$((total + $1))
}

catch_up() {
	start_stage land "$T/rz.conf"
	wait_until 60 "land to catch up to $total after $1" landed_at_least "$T/rz.conf" "$total"
	stop_stage "$STAGE_PID"
	committed_within_landed || fail "$1: a committed offset is past durable data"
}

# expect_fatal NAME FAULTS MESSAGE [still]: land under a fault plan exits 1
# with MESSAGE in its output, and nothing committed is past durable data;
# with "still", its checkpoint has not moved at all.
expect_fatal() {
	local name=$1 plan=$2 msg=$3 still=${4:-} before after rc
	produce 20000 "$((total + 1))"
	before=$(landed_total "$T/rz.conf")
	timeout 60 env RAWZONE_FAULTS="$plan" "$BIN/rawzone-land" -c "$T/rz.conf" >"$T/$name.log" 2>&1
	rc=$?
	[ $rc -eq 1 ] || fail "$name: land exited $rc under $plan, expected 1"
	grep -q "$msg" "$T/$name.log" || fail "$name: no '$msg' in: $(grep error "$T/$name.log")"
	after=$(landed_total "$T/rz.conf")
	[ -z "$still" ] || [ "$after" -eq "$before" ] ||
		fail "$name: the first sync failed, yet the checkpoint moved $before -> $after"
	committed_within_landed || fail "$name: a committed offset is past durable data"
	note "$name: exit 1 ('$msg'); checkpoint moved $before -> $after of $total"
	catch_up "$name"
}

# A first run creates the directories and segments, so that below the
# first sync of a run is the raw zone's group commit.
produce 20000 1
catch_up "the first run"
expect_fatal fsync-eio 'sync:1=EIO' 'fdatasync of the raw zone failed: Input/output error' still
expect_fatal fsync-eio-persistent 'sync:2+=EIO' 'failed: Input/output error'
expect_fatal disk-full 'write:3=ENOSPC' 'the disk is full'
expect_fatal later-sync-eio 'sync:5=EIO' 'Input/output error'

# Short writes are finished, not fatal, and leave no half-framed record.
produce 20000 77
RAWZONE_FAULTS='write:2=short,write:5+=short' start_stage land "$T/rz.conf"
wait_until 60 "land under short writes" landed_at_least "$T/rz.conf" "$total"
stop_stage "$STAGE_PID"
grep -q 'a short transfer' "$T/land.log" || fail "no short write was injected"
raw_equals_broker "$T/rz.conf" || fail "short writes corrupted the raw zone"

# SIGKILL at every named point of the commit protocol (K1-K5), at the
# first epoch of a run, with the catch-up after each.
for point in K1 K2 K3 K4 K5; do
	produce 10000 "$((total + 100))"
	RAWZONE_KILL_AT="$point:1" timeout 60 "$BIN/rawzone-land" -c "$T/rz.conf" \
		>"$T/kill-$point.log" 2>&1
	rc=$?
	[ $rc -eq 137 ] || fail "kill point $point: land exited $rc, expected 137 (SIGKILL)"
	committed_within_landed || fail "kill point $point: committed past durable data"
	catch_up "kill point $point"
done
raw_equals_broker "$T/rz.conf" || fail "the raw zone differs from the broker after the faults"

# And at each point of a segment roll (R1 created, R2 directory synced, R3
# first bytes placed): a fresh land, with 1 MiB segments, of a topic of
# 2.4 MB per partition, which rolls every partition twice.
"$BIN/rawzone" produce -b "$BOOTSTRAP" -t rolls --count 60000 --seed 8 >"$T/produce.log" 2>&1 ||
	fail "produce rolls"
for point in R1 R2 R3; do
	export GROUP=g-roll-$point-$$
	write_conf "$T/roll-$point.conf" "roll$point" "$T/roll-$point" \
		land.static_membership=false pipeline.segment_bytes=1M land.topics=rolls
	RAWZONE_KILL_AT="$point:6" timeout 60 "$BIN/rawzone-land" -c "$T/roll-$point.conf" \
		>"$T/kill-$point.log" 2>&1
	rc=$?
	[ $rc -eq 137 ] || fail "kill point $point: land exited $rc, expected 137 (SIGKILL)"
	start_stage land "$T/roll-$point.conf"
	wait_until 60 "land to catch up after $point" landed_at_least "$T/roll-$point.conf" 60000
	stop_stage "$STAGE_PID"
	raw_equals_broker "$T/roll-$point.conf" rolls || fail "kill point $point: the raw zone differs"
done
note "killed at K1-K5 and R1-R3, recovered each time"

# O_DIRECT refused after the first segment (a file system that refuses it,
# or no file descriptors left): the segment that one partition rolls into
# is written through the page cache, and its chunks must not carry the
# previous segment's last block.
export GROUP=g-roll-direct-$$
write_conf "$T/roll-direct.conf" rolldirect "$T/roll-direct" \
	land.static_membership=false pipeline.segment_bytes=1M land.topics=rolls
RAWZONE_FAULTS='open_direct:2+=EMFILE' start_stage land "$T/roll-direct.conf"
wait_until 60 "land to land the rolls topic" landed_at_least "$T/roll-direct.conf" 60000
stop_stage "$STAGE_PID"
grep -q 'cannot open with O_DIRECT' "$T/land.log" || fail "no O_DIRECT open was refused"
raw_equals_broker "$T/roll-direct.conf" rolls || fail "O_DIRECT refused at a roll: the raw zone differs"

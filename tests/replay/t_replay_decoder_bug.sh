# tests/replay/t_replay_decoder_bug.sh - a decoder bug fixed: a build of
# decode whose v2 upcaster is deliberately wrong writes wrong amount_cents;
# a replay with the correct build restores the right values, with no row
# duplicated. The wrong build is made here from a patched copy of
# decode/schemas.c: nothing in rawzone itself knows of it.
. "$(dirname "$0")/../lib.sh"

# The buggy decode: the v2 upcast doubles the amount.
awk '/orders_money\(arena, in->currency, in->amount_cents\)/ { n++; if (n == 2) sub(/in->amount_cents\)/, "in->amount_cents * 2)") } { print }' \
	"$TOP/decode/schemas.c" >"$T/schemas_bug.c"
grep -q 'amount_cents \* 2' "$T/schemas_bug.c" || fail "could not plant the bug"
# Built as the tree under test was (make SAN=asan|tsan links the runtime).
case ${SAN:-} in
asan) san=(-fsanitize=address,undefined) ;;
tsan) san=(-fsanitize=thread) ;;
*) san=() ;;
esac
cc -std=c11 -D_GNU_SOURCE -O2 "${san[@]}" -I"$TOP" -I"$TOP/$O/gen" -c "$T/schemas_bug.c" -o "$T/schemas_bug.o" &&
	cc -pthread "${san[@]}" "$T/schemas_bug.o" "$TOP/$O/decode/main.o" "$TOP/$O/librawzone-decode.a" \
		"$TOP/$O/librawzone-proto.a" "$TOP/$O/librawzone-core.a" -lprotobuf-c -linih -lrt \
		-o "$T/rawzone-decode-buggy" || fail "could not build the buggy decode"

mock_start orders:4
write_conf "$T/rz.conf" bug "$T/data" land.static_membership=false
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count 40000 --bad-fraction 0.01 --seed 41 \
	--manifest "$T/manifest.jsonl" >"$T/produce.log" 2>&1 || fail "produce"
start_stage land "$T/rz.conf"
land=$STAGE_PID
start_stage transform "$T/rz.conf"
transform=$STAGE_PID
"$T/rawzone-decode-buggy" -c "$T/rz.conf" >"$T/buggy.log" 2>&1 &
buggy=$!
at_exit "kill -9 $buggy"
drained() { "$BIN/rawzone" status -c "$T/rz.conf" --offline --caught-up; }
wait_until 60 "land" landed_at_least "$T/rz.conf" 40000
wait_until 60 "the buggy pipeline to catch up" drained
if python3 "$TOP/tests/tools/check_db.py" "$T/data/rawzone.db" "$T/manifest.jsonl" >"$T/check1.out"; then
	fail "the planted bug changed nothing"
fi
wrong=$(sqlite3 "$T/data/rawzone.db" "SELECT count(*) FROM order_events WHERE schema_id = 2")
note "with the bug: $(grep '^order_events' "$T/check1.out")"

# The fix: the correct build, and a replay from the beginning.
kill -TERM $buggy
wait $buggy || fail "the buggy decode did not stop cleanly"
start_stage decode "$T/rz.conf"
decode=$STAGE_PID
timeout 120 "$BIN/rawzone" replay -c "$T/rz.conf" --from-beginning >"$T/replay.out" 2>&1 ||
	fail "replay: $(tail -n 3 "$T/replay.out")"
python3 "$TOP/tests/tools/check_db.py" "$T/data/rawzone.db" "$T/manifest.jsonl" ||
	fail "the replay did not restore the right values"
[ "$(sqlite3 "$T/data/rawzone.db" "SELECT count(*) FROM order_events WHERE schema_id = 2")" -eq "$wrong" ] ||
	fail "the number of v2 rows changed: rows were duplicated or lost"
for p in $land $decode $transform; do stop_stage "$p"; done

# tests/transform/t_transform_db_down.sh - transform and a PostgreSQL
# server that goes away (a real server, tests/pg/pg.sh; the embedded
# broker):
#   - the server stops while transform is caught up; records arrive, the
#     batch they make fails, and there is nothing more to read: transform
#     exits 1 within seconds, saying why, and frees its lock for the
#     supervisor's restart (it used to stay up, lock held, applying
#     nothing until another record came);
#   - started while the server is down, transform exits 1 naming the sink
#     and the key [transform] sink;
#   - the server stops answering (its processes SIGSTOPped) while a batch
#     is in transform's transaction, and transform is asked to stop: it
#     cuts the connection after [transform] stop_timeout_ms (2 s here) and
#     exits 1 (it used to wait as long as the server did);
#   - once the server is back, a new transform applies everything, and
#     PostgreSQL holds exactly the producer's manifest (through a rebuild
#     into SQLite, as t_e2e_postgres checks it).
. "$(dirname "$0")/../lib.sh"

outcomes_are() { [ "$(status_total "$1" outcomes)" -eq "$2" ]; }
decoded_are() { [ "$(status_total "$1" decoded)" -eq "$2" ]; }
exited() { ! kill -0 "$1" 2>/dev/null; }
# exits_1 PID WHAT: PID exits within 15 s, with status 1.
exits_1() {
	local rc
	wait_until 15 "transform to exit $2" exited "$1"
	wait "$1"
	rc=$?
	[ $rc -eq 1 ] || fail "transform exited $rc $2, not 1"
}

mock_start orders:4
pg_start down
# A batch waits 3 s for records, so the 100 records produced while the
# server is down make one batch, and nothing comes after it.
write_conf "$T/rz.conf" xfdown "$T/data" "land.static_membership=false" \
	"transform.sink=$PG_URL" "transform.batch_latency_ms=3000"
produce() { # COUNT SEED
	"$BIN/rawzone" produce -b "$BOOTSTRAP" --count "$1" --bad-fraction 0.01 --seed "$2" \
		--manifest "$T/manifest.$2" >"$T/produce.$2.log" 2>&1 ||
		fail "produce: $(tail -n 3 "$T/produce.$2.log")"
}

produce 20000 31
start_pipeline "$T/rz.conf"
wait_until 120 "transform to apply 20000 records" outcomes_are "$T/rz.conf" 20000

"$TOP/tests/pg/pg.sh" stop "$PG_DIR" >/dev/null 2>&1 || fail "pg.sh stop"
note "PostgreSQL stopped; 100 more records"
produce 100 32
wait_until 60 "decode to decode 20100 records" decoded_are "$T/rz.conf" 20100
exits_1 "${pid[transform]}" "after its batch failed with the database gone"
grep -q 'stopping after a fatal error' "$T/transform.log" ||
	fail "transform's log does not say why it stopped: $(tail -n 3 "$T/transform.log")"

"$BIN/rawzone-transform" -c "$T/rz.conf" >"$T/transform-down.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "transform started with the database down exited $rc, not 1"
grep -q "\[transform\] sink.*cannot connect" "$T/transform-down.log" ||
	fail "the connect error does not name [transform] sink: $(tail -n 2 "$T/transform-down.log")"

"$TOP/tests/pg/pg.sh" start "$PG_DIR" >/dev/null 2>&1 || fail "pg.sh start"
note "PostgreSQL started again"
start_stage transform "$T/rz.conf" -X transform.stop_timeout_ms=2000 \
	-X transform.batch_latency_ms=5000
pid[transform]=$STAGE_PID
wait_until 120 "the new transform to apply 20100 records" outcomes_are "$T/rz.conf" 20100

# pg_signal SIG: SIG to the server and every backend.
pg_signal() {
	local pm
	pm=$(head -n 1 "$PG_DIR/data/postmaster.pid")
	kill "-$1" "$pm" $(pgrep -P "$pm") 2>/dev/null
}
at_exit 'pg_signal CONT'
# 100 more records make one batch, handed over 5 s after transform reads
# the first; the server stops answering before then (rawzone status,
# which reads the database, is not asked while it does not answer).
produce 100 33
wait_until 60 "decode to decode 20200 records" decoded_are "$T/rz.conf" 20200
pg_signal STOP
note "PostgreSQL stopped answering"
sleep 6 # the batch is handed over: its BEGIN goes unanswered
kill -TERM "${pid[transform]}"
exits_1 "${pid[transform]}" "after a stop the database held"
grep -q "has not answered for .* since the stop" "$T/transform.log" ||
	fail "transform's log does not say it cut the connection: $(tail -n 3 "$T/transform.log")"
pg_signal CONT
note "PostgreSQL answering again"
start_stage transform "$T/rz.conf"
pid[transform]=$STAGE_PID
wait_until 120 "the new transform to apply 20200 records" outcomes_are "$T/rz.conf" 20200
for s in land decode transform; do stop_stage "${pid[$s]}"; done

cat "$T/manifest.31" "$T/manifest.32" "$T/manifest.33" >"$T/manifest.jsonl"
pg_equals_manifest "$T/rz.conf" "$T/manifest.jsonl"
note "PostgreSQL: $(wc -l <"$T/pg.order_events") events; equal to the rebuild and the manifest"

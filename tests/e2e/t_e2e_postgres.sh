# tests/e2e/t_e2e_postgres.sh - the pipeline into a real PostgreSQL server
# ([transform] sink = postgresql://...) under the supervisor, on the
# embedded broker: 40,000 events with 1% bad records.
#   - `deploy/rawzone-supervise --once` finishes: rawzone status reads
#     transform's checkpoint from PostgreSQL and sees every stage caught up;
#   - `rawzone status` shows the partitions transformed, and `rawzone replay
#     --quarantined-only --no-wait` takes a request with a PostgreSQL sink;
#   - the PostgreSQL tables equal, row for row, a `rawzone rebuild` of the
#     same raw zone into SQLite, and that SQLite database matches the
#     producer's manifest (tests/tools/check_db.py): PostgreSQL holds
#     exactly what the manifest says.
. "$(dirname "$0")/../lib.sh"

N=${E2E_PG_RECORDS:-40000}
mock_start orders:8
pg_start e2e
write_conf "$T/rz.conf" e2epg "$T/data" "land.static_membership=false" \
	"transform.sink=$PG_URL"
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count "$N" --bad-fraction 0.01 --seed 23 \
	--manifest "$T/manifest.jsonl" >"$T/produce.log" 2>&1 ||
	fail "produce: $(tail -n 3 "$T/produce.log")"

timeout 300 "$TOP/deploy/rawzone-supervise" -c "$T/rz.conf" --once --bin "$BIN" \
	>"$T/supervise.out" 2>&1 || fail "the supervisor: $(tail -n 5 "$T/supervise.out")"
grep -q 'every stage has caught up' "$T/supervise.out" || fail "the supervisor stopped before catching up"
grep -q 'into postgresql://' "$T/data/log/transform.log" || fail "transform did not write to PostgreSQL"

"$BIN/rawzone" status -c "$T/rz.conf" --offline >"$T/status.out" 2>&1 ||
	fail "status: $(tail -n 3 "$T/status.out")"
[ "$(grep -c ' caught up$' "$T/status.out")" -eq 8 ] ||
	fail "status does not show the 8 partitions transformed: $(cat "$T/status.out")"

bad=$(psql "$PG_URL" -Atc "SELECT count(*) FROM rawzone_quarantine")
[ "$bad" -gt 0 ] || fail "no quarantined records in PostgreSQL"
"$BIN/rawzone" replay -c "$T/rz.conf" --from-beginning --quarantined-only --no-wait \
	>"$T/replay.out" 2>&1 || fail "replay: $(tail -n 3 "$T/replay.out")"

pg_equals_manifest "$T/rz.conf" "$T/manifest.jsonl"
note "PostgreSQL: $(wc -l <"$T/pg.order_events") events, $(wc -l <"$T/pg.orders") orders, $bad quarantined; equal to the rebuild"

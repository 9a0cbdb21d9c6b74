# tests/transform/t_json_topic.sh - a topic without a typed transform, end
# to end on the embedded broker: orders events produced to both orders and
# payments (2% bad records in each), landed, decoded and transformed with
# [transform] topics.payments = json. rawzone_events must then hold exactly
# one row per good payments record - the key, the schema id, the message
# type and every field of the JSON body checked against the producer's
# manifest by a script that shares no code with rawzone - the bad ones must
# be in rawzone_quarantine, and the orders tables must be exactly what the
# orders topic alone gives (tests/tools/check_db.py). Then a replay from the
# beginning re-applies everything: nothing changes, and the database equals
# a `rawzone rebuild` of the raw zone (`rawzone diff` covers rawzone_events).
. "$(dirname "$0")/../lib.sh"

command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

NO=${JSON_ORDERS:-6000}
NP=${JSON_PAYMENTS:-8000}
mock_start orders:2 payments:2
write_conf "$T/rz.conf" json "$T/data" land.static_membership=false \
	land.topics=orders,payments transform.topics.payments=json
"$BIN/rawzone" produce -b "$BOOTSTRAP" --count "$NO" --bad-fraction 0.02 --seed 51 \
	--manifest "$T/m-orders.jsonl" >"$T/p-orders.log" 2>&1 || fail "produce to orders"
"$BIN/rawzone" produce -b "$BOOTSTRAP" -t payments --count "$NP" --bad-fraction 0.02 \
	--seed 52 --manifest "$T/m-payments.jsonl" >"$T/p-payments.log" 2>&1 ||
	fail "produce to payments"
grep -q "delivered=$NP failed=0" "$T/p-payments.log" || fail "not every payments record was delivered"

start_pipeline "$T/rz.conf"
drained() { "$BIN/rawzone" status -c "$T/rz.conf" --offline --caught-up; }
wait_until 60 "land" landed_at_least "$T/rz.conf" $((NO + NP))
wait_until 60 "the pipeline to catch up" drained
DB=$T/data/rawzone.db

# check_payments: rawzone_events and the payments quarantine rows against
# the manifest, field by field.
check_payments() {
	python3 - "$DB" "$T/m-payments.jsonl" <<'EOF'
import json, sqlite3, sys

db, manifest = sys.argv[1], sys.argv[2]
want_ev, want_q = {}, {}
for line in open(manifest):
    m = json.loads(line)
    k = ("payments", m["partition"], m["offset"])
    if m["outcome"] == "ok":
        want_ev[k] = m
    else:
        want_q[k] = (m["outcome"], m["schema_id"])

def cents(total):
    if total is None:
        return 0
    n = total["nanos"]
    q = abs(n) // 10**7
    return int(total["units"]) * 100 + (-q if n < 0 else q)

con = sqlite3.connect(db)
got_ev = {}
bad = []
for r in con.execute("SELECT topic, kafka_partition, kafka_offset, schema_id,"
                     " message_type, key, kafka_timestamp_ms, body"
                     " FROM rawzone_events WHERE topic = 'payments'"):
    k = tuple(r[:3])
    got_ev[k] = r
    m = want_ev.get(k)
    if m is None:
        continue
    b = json.loads(r[7])
    total = b["total"]
    got = (r[3], r[4], r[5], r[6] is not None, b["order_id"],
           b["customer_id"], b["type"], int(b["event_time_ms"]),
           cents(total), total["currency_code"] if total else "",
           sum(i["quantity"] for i in b["items"]), b["channel"],
           sorted(b.keys()))
    want = (m["schema_id"], "orders.v3.OrderEvent", m["order_id"], True,
            m["order_id"], m["customer_id"], m["event_type"],
            m["event_time_ms"], m["amount_cents"], m["currency"],
            m["item_count"], m["channel"],
            sorted(["order_id", "customer_id", "type", "event_time_ms",
                    "items", "channel", "total"]))
    if got != want:
        bad.append((k, want, got))
got_q = {(r[0], r[1], r[2]): (r[3], r[4]) for r in con.execute(
    "SELECT topic, kafka_partition, kafka_offset, reason, schema_id"
    " FROM rawzone_quarantine WHERE topic = 'payments'")}
lost = [k for k in want_ev if k not in got_ev]
extra = [k for k in got_ev if k not in want_ev]
qdiff = [k for k in set(want_q) | set(got_q) if want_q.get(k) != got_q.get(k)]
both = set(got_ev) & set(got_q)
print(f"rawzone_events: {len(got_ev)} rows; lost {len(lost)}, unexpected "
      f"{len(extra)}, mismatched {len(bad)}; rawzone_quarantine "
      f"(payments): {len(got_q)} rows, {len(qdiff)} differ; in both: "
      f"{len(both)}")
for x in (lost[:3] + extra[:3] + bad[:3] + qdiff[:3]):
    print("  ", x)
sys.exit(1 if lost or extra or bad or qdiff or both or not want_q else 0)
EOF
}

check_all() {
	check_payments || fail "rawzone_events does not match the payments manifest"
	python3 "$TOP/tests/tools/check_db.py" "$DB" "$T/m-orders.jsonl" --topic orders ||
		fail "the orders tables are not what the orders topic gives"
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM order_events WHERE topic <> 'orders'")" = 0 ] ||
		fail "order_events holds rows of another topic"
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM rawzone_events WHERE topic <> 'payments'")" = 0 ] ||
		fail "rawzone_events holds rows of another topic"
	# the brief's sample check, in SQL: the body's order_id is the key
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM rawzone_events WHERE json_extract(body, '$.order_id') IS NOT key")" = 0 ] ||
		fail "a body whose order_id is not its key"
}

check_all
note "$(sqlite3 "$DB" "SELECT count(*) FROM rawzone_events") rawzone_events rows, $(sqlite3 "$DB" "SELECT count(*) FROM rawzone_quarantine WHERE topic = 'payments'") payments records quarantined"
sqlite3 "$DB" "SELECT key, message_type, substr(body, 1, 60) FROM rawzone_events ORDER BY kafka_partition, kafka_offset LIMIT 1" |
	sed 's/^/# sample: /'

# Everything again: a replay re-applies every coordinate in place.
timeout 120 "$BIN/rawzone" replay -c "$T/rz.conf" --from-beginning >"$T/replay.out" 2>&1 ||
	fail "replay: $(tail -n 3 "$T/replay.out")"
wait_until 60 "the pipeline to catch up after the replay" drained
applied=$(sqlite3 "$DB" "SELECT sum(outcomes) FROM rawzone_transform_checkpoint WHERE topic = 'payments'")
[ "$applied" -ge $((2 * NP)) ] || fail "the replay was not applied ($applied outcomes of payments)"
check_all
note "after a replay from the beginning: unchanged"
"$BIN/rawzone" rebuild -c "$T/rz.conf" --sink "sqlite:$T/rebuilt.db" >"$T/rebuild.out" 2>&1 ||
	fail "rebuild: $(tail -n 5 "$T/rebuild.out")"
"$BIN/rawzone" diff --sink "sqlite:$DB" --sink "sqlite:$T/rebuilt.db" >"$T/diff.out" ||
	fail "the database differs from a rebuild: $(head -n 20 "$T/diff.out")"
[ "$(sqlite3 "$T/rebuilt.db" "SELECT count(*) FROM rawzone_events")" = \
	"$(sqlite3 "$DB" "SELECT count(*) FROM rawzone_events")" ] || fail "the rebuild has another rawzone_events"
note "database = rebuild"
for s in land decode transform; do
	stop_stage "${pid[$s]}"
	grep -q 'stopped cleanly' "$T/$s.log" || fail "$s did not stop cleanly"
done

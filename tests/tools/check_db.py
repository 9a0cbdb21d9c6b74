#!/usr/bin/env python3
"""tests/tools/check_db.py - the database against the producer's manifest.

The manifest (rawzone produce --manifest) says, for every delivered record,
its partition and offset, what decode must make of it (ok or a quarantine
reason) and, for ok records, the row transform must write. This script
computes the expected contents of order_events, orders and
rawzone_quarantine from it - independently of rawzone's code - and compares
them with the database row by row.

    check_db.py DB MANIFEST [--topic orders]

Prints one line per category (lost, unexpected, mismatched, per table) and
exits 0 only if every count is zero and every landed record is in exactly
one of order_events and rawzone_quarantine.
"""
import json
import sqlite3
import sys


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    db, manifest = sys.argv[1], sys.argv[2]
    topic = "orders"
    if "--topic" in sys.argv:
        topic = sys.argv[sys.argv.index("--topic") + 1]

    want_ev, want_q, events_by_order = {}, {}, {}
    with open(manifest) as f:
        for line in f:
            m = json.loads(line)
            key = (topic, m["partition"], m["offset"])
            if m["outcome"] == "ok":
                row = (m["order_id"], m["customer_id"], m["event_type"],
                       m["amount_cents"], m["currency"], m["item_count"],
                       m["channel"], m["event_time_ms"], m["schema_id"])
                want_ev[key] = row
                events_by_order.setdefault(m["order_id"], []).append(
                    (m["event_time_ms"], m["partition"], m["offset"], m))
            else:
                want_q[key] = (m["outcome"], m["schema_id"])

    # orders: the event with the greatest (event_time_ms, partition, offset).
    want_orders = {}
    for oid, evs in events_by_order.items():
        t, p, o, m = max(evs, key=lambda e: e[:3])
        want_orders[oid] = (m["customer_id"], m["event_type"],
                            m["amount_cents"], m["currency"],
                            m["item_count"], m["event_time_ms"], topic, p, o)

    con = sqlite3.connect(db)
    got_ev = {(r[0], r[1], r[2]): tuple(r[3:]) for r in con.execute(
        "SELECT topic, kafka_partition, kafka_offset, order_id, customer_id,"
        " event_type, amount_cents, currency, item_count, channel,"
        " event_time_ms, schema_id FROM order_events WHERE topic = ?",
        (topic,))}
    got_q = {(r[0], r[1], r[2]): (r[3], r[4]) for r in con.execute(
        "SELECT topic, kafka_partition, kafka_offset, reason, schema_id"
        " FROM rawzone_quarantine WHERE topic = ?", (topic,))}
    got_orders = {r[0]: tuple(r[1:]) for r in con.execute(
        "SELECT order_id, customer_id, status, amount_cents, currency,"
        " item_count, updated_ms, topic, kafka_partition, kafka_offset"
        " FROM orders")}
    dup_ev = con.execute(
        "SELECT count(*) - count(DISTINCT topic || '/' || kafka_partition"
        " || '/' || kafka_offset) FROM order_events").fetchone()[0]

    failures = 0

    def report(name, want, got):
        nonlocal failures
        lost = [k for k in want if k not in got]
        unexpected = [k for k in got if k not in want]
        mismatched = [k for k in want if k in got and want[k] != got[k]]
        n = len(lost) + len(unexpected) + len(mismatched)
        failures += n
        print(f"{name}: {len(got)} rows; lost {len(lost)}, unexpected "
              f"{len(unexpected)}, mismatched {len(mismatched)}")
        for k in (lost[:3] + unexpected[:3] + mismatched[:3]):
            print(f"  {k}: want {want.get(k)} got {got.get(k)}")

    report("order_events", want_ev, got_ev)
    report("rawzone_quarantine", want_q, got_q)
    report("orders", want_orders, got_orders)
    both = set(got_ev) & set(got_q)
    if both or dup_ev:
        failures += len(both) + dup_ev
        print(f"in both tables: {len(both)}; duplicate keys: {dup_ev}")
    print("database matches the manifest" if failures == 0 else
          f"{failures} differences")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

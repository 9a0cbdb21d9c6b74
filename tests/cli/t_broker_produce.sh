#!/usr/bin/env bash
# tests/cli/t_broker_produce.sh - `rawzone broker` and `rawzone produce` end
# to end, checked with kcat: the first stdout line, produce with a manifest,
# manifest == topic (partition, offset, key), the bad-record mix, the same
# seed giving the same bytes, brokers down and up by SIGUSR1/SIGUSR2 with a
# producer running through it, the config file path, usage errors, a
# group's first join at once by default and after --group-delay-ms when
# given, and a clean exit on SIGTERM. Skips (77) without kcat.
set -uo pipefail

RZ=${RAWZONE_BIN:-build/bin}/rawzone
command -v kcat >/dev/null || { echo "kcat is not installed: skipping"; exit 77; }
[ -x "$RZ" ] || { echo "FAIL: $RZ not built"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rawzone-t_broker_produce.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# forget PID: a process waited for; never signal its (reusable) pid again.
forget() {
	local p keep=()
	for p in "${pids[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

fail() {
	echo "FAIL: $*" >&2
	for f in "$tmp"/*.err; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
	done
	exit 1
}
say() { echo "== $*"; }

# start_broker NAME ARGS...: sets BOOT and BPID.
start_broker() {
	local name=$1
	shift
	"$RZ" broker "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	BPID=$!
	pids+=("$BPID")
	for _ in $(seq 1 100); do
		[ -s "$tmp/$name.out" ] && break
		kill -0 "$BPID" 2>/dev/null || fail "broker $name exited early"
		sleep 0.1
	done
	BOOT=$(head -n 1 "$tmp/$name.out")
	[ -n "$BOOT" ] || fail "broker $name printed no bootstrap line"
}

# pairs_of_manifest FILE: "partition offset" per line, sorted.
pairs_of_manifest() {
	sed -n 's/^{"partition":\([0-9]*\),"offset":\([0-9]*\),.*/\1 \2/p' "$1" |
		sort
}

# dump_topic TOPIC PARTITIONS OUT: every record, byte-exact, partition by
# partition in offset order.
dump_topic() {
	local p
	: >"$3"
	for p in $(seq 0 $(($2 - 1))); do
		kcat -C -b "$BOOT" -t "$1" -p "$p" -o beginning -e -q \
			-f '%p|%o|%k|%h|%S|%s\n' >>"$3" ||
			fail "kcat cannot read $1 [$p]"
	done
}

# summary_field FILE KEY: the value of KEY=... in produce's summary line.
summary_field() {
	sed -n "s/.*\\b$2=\\([0-9.]*\\).*/\\1/p" "$1" | tail -n 1
}

# in_range VALUE LOW HIGH WHAT
in_range() {
	if [ "$1" -lt "$2" ] || [ "$1" -gt "$3" ]; then
		fail "$4: $1 not in [$2, $3]"
	fi
}

say "broker: first line, address, notes"
start_broker b1 --topic orders:4
echo "bootstrap: $BOOT"
[[ $BOOT =~ ^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$ ]] ||
	fail "first line is not three 127.0.0.1:PORT: '$BOOT'"
[ "$(wc -l <"$tmp/b1.out")" -eq 1 ] || fail "more than one line on stdout"
grep -q 'lost when this broker stops' "$tmp/b1.err" || fail "no in-memory note"
grep -q '5 MiB and 100,000 batches' "$tmp/b1.err" || fail "no limits note"
if command -v ss >/dev/null; then
	for port in $(echo "$BOOT" | tr ',' '\n' | cut -d: -f2); do
		ss -Hltn "sport = :$port" >"$tmp/ss"
		grep -q '127.0.0.1:' "$tmp/ss" ||
			fail "port $port is not listening on 127.0.0.1"
		grep -vq '127.0.0.1:' "$tmp/ss" &&
			fail "port $port listens beyond 127.0.0.1"
	done
fi
kcat -L -b "$BOOT" >"$tmp/meta" 2>&1 || fail "kcat -L failed"
grep -q '3 brokers' "$tmp/meta" || fail "not 3 brokers: $(cat "$tmp/meta")"
grep -q 'topic "orders" with 4 partitions' "$tmp/meta" ||
	fail "orders has not 4 partitions: $(cat "$tmp/meta")"

say "produce 20000 records, 2% bad, with a manifest"
"$RZ" produce -b "$BOOT" --count 20000 --seed 11 --bad-fraction 0.02 \
	--manifest "$tmp/m1.jsonl" >"$tmp/p1.sum" 2>"$tmp/p1.err" ||
	fail "produce exited $?"
cat "$tmp/p1.sum"
[ "$(summary_field "$tmp/p1.sum" produced)" = 20000 ] || fail "produced != 20000"
[ "$(summary_field "$tmp/p1.sum" delivered)" = 20000 ] || fail "delivered != 20000"
[ "$(summary_field "$tmp/p1.sum" failed)" = 0 ] || fail "failed != 0"
[ "$(wc -l <"$tmp/m1.jsonl")" -eq 20000 ] || fail "manifest has not 20000 lines"

say "manifest (partition, offset, key) == the topic's"
kcat -C -b "$BOOT" -t orders -o beginning -e -q -f '%p %o %k\n' |
	sort >"$tmp/k1" || fail "kcat -C failed"
sed -n 's/^{"partition":\([0-9]*\),"offset":\([0-9]*\),"order_id":"\([^"]*\)".*/\1 \2 \3/p' \
	"$tmp/m1.jsonl" | sort >"$tmp/mk1"
[ "$(wc -l <"$tmp/k1")" -eq 20000 ] || fail "topic has $(wc -l <"$tmp/k1") records"
cmp -s "$tmp/k1" "$tmp/mk1" || fail "manifest and topic differ: $(diff "$tmp/k1" "$tmp/mk1" | head -5)"
# partitions 0..3 all used, offsets dense from 0 in each
for p in 0 1 2 3; do
	n=$(grep -c "^$p " "$tmp/k1")
	last=$(awk -v p="$p" '$1 == p { if ($2 > m) m = $2 } END { print m + 0 }' "$tmp/k1")
	[ "$n" -gt 2000 ] || fail "partition $p has only $n records"
	[ "$last" -eq $((n - 1)) ] || fail "partition $p offsets not dense"
done

say "the outcome mix"
count() { grep -c "\"outcome\":\"$1\"" "$tmp/m1.jsonl"; }
ok=$(count ok) bf=$(count bad_framing) us=$(count unknown_schema)
mf=$(count malformed) inv=$(count invalid)
echo "ok=$ok bad_framing=$bf unknown_schema=$us malformed=$mf invalid=$inv"
[ $((ok + bf + us + mf + inv)) -eq 20000 ] || fail "outcomes do not add up"
in_range $((bf + us + mf + inv)) 300 500 "bad records (2% of 20000)"
in_range "$bf" 120 200 "bad_framing (2 of 5 kinds)"
for v in "$us" "$mf" "$inv"; do in_range "$v" 60 100 "a bad kind"; done
[ "$(summary_field "$tmp/p1.sum" ok)" = "$ok" ] || fail "summary ok != manifest"
grep '"outcome":"ok"' "$tmp/m1.jsonl" >"$tmp/m1.ok"
grep -v '"customer_id":"cust-[0-9]*","event_type":"[A-Z]*","amount_cents":[0-9]*,"currency":"[A-Z]\{3\}","item_count":[0-9]*,"channel":"[a-z]*","event_time_ms":[0-9]*}$' \
	"$tmp/m1.ok" >"$tmp/m1.ok.bad"
[ -s "$tmp/m1.ok.bad" ] && fail "ok lines without the row fields: $(head -3 "$tmp/m1.ok.bad")"
[ "$(grep -c '"schema_id":null,"outcome":"bad_framing"' "$tmp/m1.jsonl")" -eq "$bf" ] ||
	fail "bad_framing records without schema_id null"
grep -q '"schema_id":99,"outcome":"unknown_schema"' "$tmp/m1.jsonl" ||
	fail "no unknown_schema record with id 99"
for t in CREATED PAID SHIPPED CANCELLED; do
	grep -q "\"event_type\":\"$t\"" "$tmp/m1.jsonl" || fail "no $t event"
done

say "wire: headers, empty values, framing"
dump_topic orders 4 "$tmp/d1"
nhdr=$(grep -ac '|schema-id=[123]|' "$tmp/d1")
in_range "$nhdr" 500 1500 "records with a schema-id header (~5%)"
nempty=$(grep -c '"kind":"empty_value"' "$tmp/m1.jsonl")
nzero=$(kcat -C -b "$BOOT" -t orders -o beginning -e -q -f '%S\n' | grep -c '^0$' || true)
[ "$nempty" -eq "$nzero" ] || fail "$nempty empty_value records but $nzero empty values"
njson=$(grep -c '"kind":"json"' "$tmp/m1.jsonl")
[ "$(grep -ac '|{"order_id":' "$tmp/d1")" -eq "$njson" ] || fail "JSON values != json kinds"

say "same seed, same bytes; another seed, other bytes"
for t in det1 det2; do
	"$RZ" produce -b "$BOOT" -t "$t" --count 20000 --seed 11 \
		--bad-fraction 0.02 >"$tmp/$t.sum" 2>"$tmp/$t.err" ||
		fail "produce to $t exited $?"
done
"$RZ" produce -b "$BOOT" -t det3 --count 20000 --seed 12 \
	--bad-fraction 0.02 >"$tmp/det3.sum" 2>"$tmp/det3.err" ||
	fail "produce to det3 exited $?"
kcat -L -b "$BOOT" -t det1 >"$tmp/meta.det1" 2>&1
grep -q 'topic "det1" with 4 partitions' "$tmp/meta.det1" ||
	fail "auto-created det1 has not 4 partitions"
dump_topic det1 4 "$tmp/ddet1"
dump_topic det2 4 "$tmp/ddet2"
dump_topic det3 4 "$tmp/ddet3"
cmp -s "$tmp/ddet1" "$tmp/ddet2" || fail "seed 11 twice gave different records"
cmp -s "$tmp/d1" "$tmp/ddet1" || fail "seed 11 to orders and det1 differ"
cmp -s "$tmp/ddet1" "$tmp/ddet3" && fail "seeds 11 and 12 gave the same records"
[ "$(wc -c <"$tmp/ddet1")" -gt 1000000 ] || fail "dump suspiciously small"

say "SIGUSR1: brokers down; SIGUSR2: up again; a producer runs through it"
"$RZ" produce -b "$BOOT" -t downup --count 12000 --rate 4000 --seed 5 \
	--bad-fraction 0.01 --manifest "$tmp/mdu.jsonl" >"$tmp/pdu.sum" 2>"$tmp/pdu.err" &
ppid=$!
pids+=("$ppid")
sleep 1
kill -USR1 "$BPID"
sleep 0.5
if kcat -L -b "$BOOT" -m 2 >"$tmp/down.meta" 2>&1; then
	fail "kcat -L succeeded while every broker is down"
fi
sleep 1.5
kill -USR2 "$BPID"
up=0
for _ in $(seq 1 20); do
	kcat -L -b "$BOOT" -m 2 >/dev/null 2>&1 && { up=1; break; }
	sleep 0.5
done
[ $up = 1 ] || fail "kcat -L still fails after SIGUSR2"
wait "$ppid"
rc=$?
forget "$ppid"
cat "$tmp/pdu.sum"
[ $rc -eq 0 ] || fail "produce across the outage exited $rc"
grep -q '_ALL_BROKERS_DOWN\|Connection refused' "$tmp/pdu.err" ||
	fail "the producer never saw the brokers down"
[ "$(summary_field "$tmp/pdu.sum" delivered)" = 12000 ] || fail "delivered != 12000"
kcat -C -b "$BOOT" -t downup -o beginning -e -q -f '%p %o\n' | sort >"$tmp/kdu"
pairs_of_manifest "$tmp/mdu.jsonl" >"$tmp/mpdu"
[ "$(wc -l <"$tmp/kdu")" -eq 12000 ] || fail "downup has $(wc -l <"$tmp/kdu") records (duplicates or loss)"
cmp -s "$tmp/kdu" "$tmp/mpdu" || fail "downup manifest != topic"
grep -q 'SIGUSR1: every broker is down' "$tmp/b1.err" || fail "no down note"
grep -q 'SIGUSR2: every broker is up' "$tmp/b1.err" || fail "no up note"
[ "$(kcat -C -b "$BOOT" -t orders -o beginning -e -q -f '%o\n' | wc -l)" = 20000 ] ||
	fail "orders lost records across down/up"

say "produce -c rawzone.conf: [kafka] used, consumer keys skipped"
cat >"$tmp/rawzone.conf" <<EOF
[pipeline]
data_dir = data
[kafka]
bootstrap.servers = $BOOT
group.id = rawzone
auto.offset.reset = earliest
fetch.wait.max.ms = 10
linger.ms = 5
[land]
topics = orders
EOF
"$RZ" produce -c "$tmp/rawzone.conf" -t cfg --count 3000 \
	-X kafka.client.id=t-cfg >"$tmp/pc.sum" 2>"$tmp/pc.err" ||
	fail "produce -c exited $?"
[ "$(summary_field "$tmp/pc.sum" delivered)" = 3000 ] || fail "produce -c: delivered != 3000"
grep -q 'consumer property' "$tmp/pc.err" && fail "librdkafka warned about consumer properties"
"$RZ" produce -c "$tmp/rawzone.conf" --count 10 -X kafka.linger.ms=abc \
	>/dev/null 2>"$tmp/pbad.err" && fail "a bad -X value was accepted"
grep -q 'linger.ms' "$tmp/pbad.err" || fail "the error does not name linger.ms"
"$RZ" produce -c "$tmp/nonexistent.conf" --count 10 >/dev/null 2>"$tmp/pnf.err" &&
	fail "a missing config file was accepted"
grep -q 'nonexistent.conf' "$tmp/pnf.err" || fail "the error does not name the file"

say "produce --count 0 runs until SIGINT, then drains and exits 0"
"$RZ" produce -b "$BOOT" -t endless --count 0 --rate 20000 \
	--manifest "$tmp/mend.jsonl" >"$tmp/pend.sum" 2>"$tmp/pend.err" &
ppid=$!
pids+=("$ppid")
sleep 1
kill -INT "$ppid"
wait "$ppid"
rc=$?
forget "$ppid"
cat "$tmp/pend.sum"
[ $rc -eq 0 ] || fail "produce --count 0 exited $rc on SIGINT"
n=$(summary_field "$tmp/pend.sum" produced)
[ "${n:-0}" -gt 1000 ] || fail "produce --count 0 produced '$n'"
[ "$(summary_field "$tmp/pend.sum" delivered)" = "$n" ] || fail "not all delivered after SIGINT"
[ "$(wc -l <"$tmp/mend.jsonl")" -eq "$n" ] || fail "manifest lines != produced after SIGINT"

say "usage errors"
"$RZ" produce --count 10 >/dev/null 2>&1
[ $? -eq 2 ] || fail "produce without -b/-c did not exit 2"
"$RZ" produce -b "$BOOT" --bad-fraction 2 >/dev/null 2>&1
[ $? -eq 2 ] || fail "--bad-fraction 2 did not exit 2"
"$RZ" produce -b "$BOOT" --versions 1,4 >/dev/null 2>&1
[ $? -eq 2 ] || fail "--versions 1,4 did not exit 2"
"$RZ" broker --topic nopartitions >/dev/null 2>&1
[ $? -eq 2 ] || fail "broker --topic without :N did not exit 2"
"$RZ" broker --brokers 0 >/dev/null 2>&1
[ $? -eq 2 ] || fail "broker --brokers 0 did not exit 2"
"$RZ" broker --help >"$tmp/bh" || fail "broker --help exited $?"
grep -q SIGUSR1 "$tmp/bh" || fail "broker --help does not document SIGUSR1"
"$RZ" produce --help >"$tmp/ph" || fail "produce --help exited $?"
for o in -b -c -t --count --rate --seed --versions --mix --bad-fraction \
	--orders --manifest -X --help; do
	grep -q -- "$o " "$tmp/ph" || fail "produce --help lacks $o"
done

say "SIGTERM: the broker exits 0 and its ports close"
kill -TERM "$BPID"
for _ in $(seq 1 100); do
	kill -0 "$BPID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$BPID" 2>/dev/null && fail "broker still running 10 s after SIGTERM"
wait "$BPID"
rc=$?
forget "$BPID"
[ $rc -eq 0 ] || fail "broker exited $rc on SIGTERM"
kcat -L -b "$BOOT" -m 1 >/dev/null 2>&1 && fail "ports still answer after exit"

say "broker --brokers 1 --topic a:2 --topic b:3"
start_broker b2 --brokers 1 --topic a:2 --topic b:3
[[ $BOOT =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "one broker, one address: '$BOOT'"
kcat -L -b "$BOOT" >"$tmp/meta2" 2>&1 || fail "kcat -L failed"
grep -q 'topic "a" with 2 partitions' "$tmp/meta2" || fail "topic a"
grep -q 'topic "b" with 3 partitions' "$tmp/meta2" || fail "topic b"

# join_ms GROUP: how long kcat, the group's only member, takes to join
# and read one record of topic a, in milliseconds.
# Prints nothing when kcat read nothing in 20 s.
join_ms() {
	local start=${EPOCHREALTIME/[.,]/}
	timeout 20 kcat -b "$BOOT" -G "g-$1" -X auto.offset.reset=earliest \
		-c 1 -q a >/dev/null 2>&1 || return 0
	echo $(((${EPOCHREALTIME/[.,]/} - start) / 1000))
}
say "a group's first join: at once by default"
echo x | kcat -P -b "$BOOT" -t a 2>/dev/null || fail "kcat -P to topic a"
ms=$(join_ms nodelay)
[ -n "$ms" ] || fail "kcat -G g-nodelay: no record in 20 s"
[ "$ms" -lt 2000 ] || fail "the first join took $ms ms (expected no delay)"
kill -INT "$BPID"
wait "$BPID"
rc=$?
forget "$BPID"
[ $rc -eq 0 ] || fail "broker exited $rc on SIGINT"

say "--group-delay-ms 3000: the first join waits 3 s"
start_broker b3 --brokers 1 --topic a:1 --group-delay-ms 3000
echo x | kcat -P -b "$BOOT" -t a 2>/dev/null || fail "kcat -P to topic a"
ms=$(join_ms delay)
[ -n "$ms" ] || fail "kcat -G g-delay: no record in 20 s"
[ "$ms" -ge 2900 ] || fail "the first join took $ms ms (expected 3 s)"
grep -q "a group's first join waits 3000 ms" "$tmp/b3.err" || fail "no log line of the delay"
"$RZ" broker --group-delay-ms -1 2>"$tmp/bad_delay" && fail "--group-delay-ms -1 accepted"
grep -q -- '--group-delay-ms -1: must be 0 to 300000' "$tmp/bad_delay" || fail "no clear message: $(cat "$tmp/bad_delay")"
kill -TERM "$BPID"
wait "$BPID"
rc=$?
forget "$BPID"
[ $rc -eq 0 ] || fail "broker exited $rc on SIGTERM"

echo "PASS"

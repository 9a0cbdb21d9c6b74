#!/usr/bin/env bash
# selftest.sh - end-to-end check of tests/kafka/kafka.sh with kcat:
# start (orders:8), produce/consume 1000 messages, consumer group commit,
# stop + restart (data kept), kill + restart (crash), destroy.
# Exit 0 ok, 1 failure, 77 skipped (no java/mvn/kcat, unless CI=true).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
K=$here/kafka.sh
rc=0
"$K" available || rc=$?
((rc == 0)) || exit "$rc"
if ! command -v kcat >/dev/null 2>&1; then
  echo "selftest: kcat not found (apt-get install kcat)" >&2
  [[ ${CI:-} == true ]] && exit 1
  exit 77
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/rawzone-kafka-selftest.XXXXXX")
trap '"$K" destroy "$dir" >/dev/null 2>&1 || true' EXIT

fail() { echo "selftest: FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
count() { kcat -C -e -q -b "$bs" -t orders -o beginning | wc -l; }
group() { timeout 60 kcat -G selftest -b "$bs" -e -q -X auto.offset.reset=earliest orders | wc -l; }

t=$(now); "$K" fetch; echo "selftest: fetch: $(since "$t")"

t=$(now); bs=$("$K" start "$dir" orders:8 | tail -n 1)
echo "selftest: first start (format + orders:8): $(since "$t"), bootstrap $bs"
[[ $(<"$dir/bootstrap") == "$bs" ]] || fail "DIR/bootstrap differs from stdout"

seq 1 1000 | sed 's/^/msg-/' | kcat -P -b "$bs" -t orders
n=$(count); [[ $n == 1000 ]] || fail "consumed $n of 1000"
n=$(group); [[ $n == 1000 ]] || fail "consumer group read $n of 1000"
seq 1 7 | kcat -P -b "$bs" -t orders -X enable.idempotence=true
n=$(group); [[ $n == 7 ]] || fail "consumer group read $n after commit, want 7"
echo "selftest: produce/consume/group ok; broker RSS $(ps -o rss= -p "$(<"$dir/pid")" | awk '{printf "%d MiB", $1 / 1024}')"

t=$(now); "$K" stop "$dir"; echo "selftest: stop: $(since "$t")"
t=$(now); bs2=$("$K" start "$dir" orders:8 | tail -n 1)
echo "selftest: restart: $(since "$t")"
[[ $bs2 == "$bs" ]] || fail "restart moved from $bs to $bs2"
n=$(count); [[ $n == 1007 ]] || fail "after restart: $n messages, want 1007"
seq 1 5 | kcat -P -b "$bs" -t orders
n=$(group); [[ $n == 5 ]] || fail "after restart the group read $n, want 5"

"$K" kill "$dir"
t=$(now); bs3=$("$K" start "$dir" orders:8 | tail -n 1)
echo "selftest: restart after kill -9: $(since "$t")"
[[ $bs3 == "$bs" ]] || fail "crash restart moved from $bs to $bs3"
n=$(count); [[ $n == 1012 ]] || fail "after crash restart: $n messages, want 1012"

"$K" create-topic "$dir" more:3
kcat -L -b "$bs" -t more | grep -q 'topic "more" with 3 partitions' || fail "create-topic more:3"

"$K" destroy "$dir"
[[ ! -e $dir ]] || fail "destroy left $dir"
echo "selftest: all ok"

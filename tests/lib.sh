# tests/lib.sh - shared by the scripted tests (tests/*/t_*.sh); source it.
#
# Gives each test a scratch directory ($T), brokers that stop by themselves
# (a real Apache Kafka, or the embedded mock), config files, waits with
# time limits, and the exit convention: 0 pass, 1 fail, 77 skip.
# Everything started here binds to 127.0.0.1 and is stopped at exit.

set -u
set -o pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
O=${O:-build}
BIN=${RAWZONE_BIN:-$TOP/$O/bin}
TOOLS=$TOP/$O/tests/tools
KAFKA_SH=$TOP/tests/kafka/kafka.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/rawzone-t.XXXXXX")
_exit_cmds=()

at_exit() { _exit_cmds+=("$*"); }

_run_exit() {
	local rc=$? i
	for ((i = ${#_exit_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_exit_cmds[i]}" >/dev/null 2>&1 || true
	done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "${RAWZONE_KEEP:-}" ]; then
		echo "# kept $T for inspection"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap _run_exit EXIT
trap 'exit 130' INT TERM

note() { echo "# $*"; }

# soak LONG SHORT: LONG under `make soak` (RAWZONE_SOAK set), else SHORT.
soak() { if [ -n "${RAWZONE_SOAK:-}" ]; then echo "$1"; else echo "$2"; fi; }
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
skip() {
	echo "skipped: $*"
	exit 77
}

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.2 s.
wait_until() {
	local limit=$1 what=$2 end
	shift 2
	end=$(($(date +%s) + limit))
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$end" ]; then
			show_logs
			fail "timed out after ${limit}s waiting for $what"
		fi
		sleep 0.2
	done
}

# show_logs: the last lines of every log of the test, to explain a failure.
show_logs() {
	local f
	for f in "$T"/*.log "$T"/*/log/*.log; do
		[ -s "$f" ] || continue
		echo "--- ${f#"$T"/} (last lines)"
		tail -n 8 "$f"
	done
}

# kafka_start NAME TOPIC:PARTS...: a real Apache Kafka broker; sets
# BOOTSTRAP and KAFKA_DIR. Skips the test when Java or Maven is missing
# (except with CI=true, where kafka.sh available fails instead).
kafka_start() {
	local name=$1 rc
	shift
	"$KAFKA_SH" available >"$T/kafka-available.log" 2>&1
	rc=$?
	[ $rc -eq 77 ] && skip "real Kafka broker: $(tail -n 1 "$T/kafka-available.log")"
	[ $rc -ne 0 ] && fail "real Kafka broker unavailable: $(tail -n 3 "$T/kafka-available.log")"
	"$KAFKA_SH" fetch >"$T/kafka-fetch.log" 2>&1 || fail "fetching Kafka jars: $(tail -n 5 "$T/kafka-fetch.log")"
	KAFKA_DIR=$T/kafka-$name
	at_exit "'$KAFKA_SH' destroy '$KAFKA_DIR'"
	BOOTSTRAP=$("$KAFKA_SH" start "$KAFKA_DIR" "$@" 2>"$T/kafka-start-$name.log" | tail -n 1) ||
		fail "starting Kafka: $(tail -n 20 "$T/kafka-start-$name.log")"
	note "Kafka $name at $BOOTSTRAP"
}

# mock_start TOPIC:PARTS...: the embedded broker (rawzone broker); sets
# BOOTSTRAP and MOCK_PID.
mock_start() {
	local args=() t
	for t in "$@"; do args+=(--topic "$t"); done
	"$BIN/rawzone" broker "${args[@]}" >"$T/mock.out" 2>"$T/mock.err" &
	MOCK_PID=$!
	at_exit "kill $MOCK_PID; wait $MOCK_PID"
	wait_until 10 "the embedded broker" test -s "$T/mock.out"
	BOOTSTRAP=$(head -n 1 "$T/mock.out")
	note "embedded broker at $BOOTSTRAP"
}

# pg_start NAME: a real PostgreSQL server (tests/pg/pg.sh); sets PG_URL and
# PG_DIR. Skips the test when the server is not installed (fails in CI).
pg_start() {
	local rc
	"$TOP/tests/pg/pg.sh" available >"$T/pg-available.log" 2>&1
	rc=$?
	[ $rc -eq 77 ] && skip "PostgreSQL: $(tail -n 1 "$T/pg-available.log")"
	[ $rc -ne 0 ] && fail "PostgreSQL unavailable: $(tail -n 2 "$T/pg-available.log")"
	PG_DIR=$T/pg-$1
	at_exit "'$TOP/tests/pg/pg.sh' destroy '$PG_DIR'"
	PG_URL=$("$TOP/tests/pg/pg.sh" start "$PG_DIR" 2>"$T/pg-start.log" | tail -n 1) ||
		fail "starting PostgreSQL: $(tail -n 10 "$T/pg-start.log")"
	note "PostgreSQL at $PG_URL"
}

# write_conf FILE INSTANCE DATA_DIR [SECTION.KEY=VALUE ...]: a rawzone.conf
# for BOOTSTRAP, topic orders, group "g-INSTANCE-<test>", fast commits.
write_conf() {
	local file=$1 inst=$2 data=$3 kv sec key val
	shift 3
	{
		echo "[pipeline]"
		echo "instance = $inst"
		echo "data_dir = $data"
		echo "[kafka]"
		echo "bootstrap.servers = $BOOTSTRAP"
		echo "group.id = ${GROUP:-g-$(basename "$T")}"
		echo "session.timeout.ms = 3000"
		echo "heartbeat.interval.ms = 300"
		echo "[land]"
		echo "topics = orders"
		echo "fsync_interval_ms = 10"
		echo "[decode]"
		echo "registry = $TOP/proto/registry.conf"
	} >"$file"
	# Extra settings are appended under their section headers.
	for kv in "$@"; do
		sec=${kv%%.*}
		key=${kv#*.}
		val=${key#*=}
		key=${key%%=*}
		printf '[%s]\n%s = %s\n' "$sec" "$key" "$val" >>"$file"
	done
}

# status_total CONF KEY: the sum over partitions of KEY (a count) in
# rawzone status --offline --json.
status_total() {
	"$BIN/rawzone" status -c "$1" --offline --json 2>/dev/null |
		grep -o "\"$2\":[0-9-]*" | awk -F: '$2 > 0 {s += $2} END {print s + 0}'
}

# landed_total CONF: the sum over partitions of the next offset to land.
landed_total() { status_total "$1" landed; }

# high_total CONF: the sum of the broker's high watermarks.
high_total() {
	"$BIN/rawzone" status -c "$1" --json 2>/dev/null |
		grep -o '"high_watermark":[0-9-]*' | awk -F: '$2 > 0 {s += $2} END {print s + 0}'
}

# landed_at_least CONF N: true once N records are landed.
landed_at_least() { [ "$(landed_total "$1")" -ge "$2" ]; }

# start_stage NAME CONF [ARGS...]: run a stage in the background, output to
# $T/NAME.log (appended), pid in STAGE_PID; stopped at exit.
start_stage() {
	local name=$1 conf=$2
	shift 2
	"$BIN/rawzone-$name" -c "$conf" "$@" >>"$T/$name.log" 2>&1 &
	STAGE_PID=$!
	catches_sigterm "$STAGE_PID" "$BIN/rawzone-$name"
	# Once: at exit, kill what of this shell's jobs still runs (not a
	# list of pids, which the kernel may have given to others since).
	if [ -z "${_stages_reaped:-}" ]; then
		_stages_reaped=1
		at_exit 'kill -9 $(jobs -pr) 2>/dev/null'
	fi
}

# catches_sigterm PID PROGRAM: wait (10 s at most) until PID runs PROGRAM
# and has its SIGTERM handler in place, or has exited. A stage stopped
# before then would die of the signal (exit 143) instead of stopping
# cleanly: a test whose condition already holds stops it at once.
catches_sigterm() {
	local pid=$1 prog i mask
	prog=$(readlink -f "$2")
	for ((i = 0; i < 1000; i++)); do
		[ -d "/proc/$pid" ] || return 0
		if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$prog" ]; then
			mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
			[ -n "$mask" ] && (((16#$mask >> 14) & 1)) && return 0
		fi
		sleep 0.01
	done
	fail "$2 (pid $pid) did not set up its SIGTERM handler within 10 s"
}

# start_pipeline CONF: land, decode and transform on CONF (start_stage
# each), their pids in the array pid[land], pid[decode], pid[transform].
start_pipeline() {
	declare -gA pid
	local s
	for s in land decode transform; do
		start_stage "$s" "$1"
		pid[$s]=$STAGE_PID
	done
}

# stop_stage PID: SIGTERM and wait; fails the test on a non-zero exit.
# A stage that has not exited 60 s after the signal hangs: its threads'
# stacks are shown (gdb: deploy/install-deps installs it) and the test fails.
stop_stage() {
	local pid=$1 rc i
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		command -v gdb >/dev/null &&
			timeout 60 gdb -p "$pid" -batch -ex 'thread apply all bt 20' 2>/dev/null |
			grep -E '^(Thread|#)'
		kill -9 "$pid" 2>/dev/null
		fail "stage $pid did not stop within 60 s of SIGTERM"
	fi
	wait "$pid"
	rc=$?
	[ $rc -eq 0 ] || fail "stage $pid exited $rc on SIGTERM"
}

# raw_equals_broker CONF [TOPIC]: the raw zone holds exactly the broker's
# records of TOPIC (default orders), byte for byte (key, headers, value,
# timestamp), checked against kread, a reader that shares no code with
# rawzone.
raw_equals_broker() {
	local conf=$1 topic=${2:-orders}
	"$TOOLS/kread" -b "$BOOTSTRAP" -t "$topic" | sort >"$T/broker.jsonl" ||
		fail "kread could not read the topic"
	"$BIN/rawzone" cat -c "$conf" -t "$topic" --json | sort >"$T/raw.jsonl" ||
		fail "rawzone cat failed"
	if ! cmp -s "$T/broker.jsonl" "$T/raw.jsonl"; then
		note "broker: $(wc -l <"$T/broker.jsonl") records; raw zone: $(wc -l <"$T/raw.jsonl")"
		diff "$T/broker.jsonl" "$T/raw.jsonl" | head -n 10
		return 1
	fi
	note "raw zone = broker: $(wc -l <"$T/raw.jsonl") records, byte for byte"
}

# pg_equals_manifest CONF MANIFEST: PostgreSQL ([transform] sink = PG_URL)
# holds exactly what the producer's MANIFEST says: a `rawzone rebuild` of
# the raw zone into SQLite matches MANIFEST (tests/tools/check_db.py), and
# PostgreSQL's tables equal the rebuild's row for row. Leaves each table's
# sorted rows in $T/pg.TABLE.
pg_equals_manifest() {
	local conf=$1 manifest=$2 t
	"$BIN/rawzone" rebuild -c "$conf" --sink "sqlite:$T/rebuilt.db" >"$T/rebuild.out" 2>&1 ||
		fail "rebuild: $(tail -n 3 "$T/rebuild.out")"
	python3 "$TOP/tests/tools/check_db.py" "$T/rebuilt.db" "$manifest" ||
		fail "the rebuilt database does not match the manifest"
	for t in order_events orders rawzone_quarantine; do
		psql "$PG_URL" -AtF'|' -c "SELECT * FROM $t" | LC_ALL=C sort >"$T/pg.$t"
		sqlite3 -separator '|' "$T/rebuilt.db" "SELECT * FROM $t" | LC_ALL=C sort >"$T/sq.$t"
		[ -s "$T/pg.$t" ] || fail "PostgreSQL table $t is empty"
		cmp -s "$T/pg.$t" "$T/sq.$t" ||
			fail "table $t differs between PostgreSQL and the rebuild: $(diff "$T/pg.$t" "$T/sq.$t" | head -n 5)"
	done
}

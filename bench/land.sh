#!/usr/bin/env bash
# bench/land.sh - rawzone-land against its baselines, on a real Kafka and on
# the embedded (mock) broker.  Results and method: docs/BENCHMARKS.md.
#
# For each broker kind it starts the broker, preloads RECORDS records with
# 200-byte values once (bench_preload), reads them once unmeasured (a warm
# broker: the JVM's JIT, caches), then runs ROUNDS rounds, each one
# running in turn:
#   bare  bench_consume: the same consumer settings as land (every
#         librdkafka setting land runs with, read from rawzone-land
#         --kafka-settings under the run's config: its tuned defaults and
#         what [land] memory_bytes, 128M by default, derives) and land's
#         batch loop, with the records counted and discarded; a fresh
#         consumer group. The target land / bare is against this one.
#   bare_unbounded  the same with land's settings for throughput and no
#         memory bound ([land] memory_bytes = 0: a 256 MiB prefetch, 4
#         MiB fetches per partition): what librdkafka gives with all the
#         memory it wants, reported beside the target
#   frame bench_consume -W frame: bare with land's per-record work added
#         (headers, timestamp, the frame with its CRC32C, into a reused
#         buffer) and no write: what land would reach if its writes and
#         syncs cost nothing, reported beside the target
#   kcat  kcat -C -e -o beginning -q, to a file in the work directory (on
#         the disk land writes to), deleted afterwards
#   land  rawzone-land with its default config (fsync on), a fresh data_dir
#         and group, until its checkpoint covers every record
#         (bench_ckpt_sum); then SIGTERM, and it must stop cleanly. Its
#         data_dir is kept until the benchmark ends (about RECORDS x 280
#         B a run; the free space is checked first)
# and prints a markdown table of the medians and the ratios land/bare and
# land/kcat (by records/s) against the targets (>= 0.9 and >= 1.5), and
# land/bare_unbounded and land/frame beside them (no target); then where
# the CPU went (below).
#
# What is measured, per run:
#   wall    from just before the process is started (its exec and
#           dynamic linking included) to - bare: the N-th record; kcat:
#           its exit (it exits at the end of every partition); land: the
#           read of its checkpoint that sees every record durable
#           (bench_ckpt_sum reads it whenever its directory changes)
#   CPU     user + system seconds of the process (all threads), at the same
#           end point (kcat: /usr/bin/time)
#   RSS     peak resident set (bare: ru_maxrss; kcat: /usr/bin/time %M;
#           land: VmHWM at the end point)
#   MB/s    payload bytes (RECORDS x 200) / wall, 10^6 bytes
#   streaming  records/s from the first record on: wall less the time to
#           the first record (bare: its first_s; land: "first record
#           framed" in its log; both from their main(), so both keep their
#           exec in; kcat, which joins no group: its whole life, startup
#           included). It leaves out the group join; both brokers are
#           started without a wait for more members before a group's
#           first join (the mock: rawzone broker's default
#           --group-delay-ms 0; the real broker:
#           group.initial.rebalance.delay.ms = 0).
#   broker CPU  what the broker process spent meanwhile (not counted in
#           CPU: it shares the machine's cores)
#   threads  CPU of bare, frame and land split by thread: the consumer's
#           own thread (the one that frames), librdkafka's threads, and
#           the rest: io_uring's workers (land's writes and fdatasyncs),
#           which may have exited when the threads are read; cores busy
#           is (CPU + broker CPU) / wall. Where that nears the machine's
#           cores, records/s follow CPU per record, and the table gives
#           the bound on land/bare that framing and writing alone set:
#           (bare's CPU + broker) / (frame's CPU + broker + land's
#           io_uring workers)
# Each run also notes the CPU that other processes used meanwhile (from
# /proc/stat); a run where they used more than 20% of a core is flagged
# on stderr and counted in a warning under the table (or, with
# RETRY_NOISY, discarded and run again).
#
# usage: bench/land.sh [-r ROUNDS] [-n RECORDS] [-k KINDS] [-X KEY=VALUE]...
#                      [-L SECTION.KEY=VALUE]...
#   -r ROUNDS   rounds (default 3, or $ROUNDS)
#   -n RECORDS  records preloaded and consumed per run (default 2000000, or
#               $RECORDS); the mock keeps 5 MiB per partition and drops
#               older records silently: at about 240 B a record on the
#               wire, 128 partitions hold 2.7M (checked before the start)
#   -k KINDS    comma-separated: kafka (tests/kafka/kafka.sh, orders:8),
#               mock (rawzone broker, orders:128); default "kafka,mock", or
#               $KINDS
#   -X KEY=VALUE  a librdkafka consumer property for bare AND land (land
#               gets it as -X kafka.KEY=VALUE): the same settings for both
#   -L SECTION.KEY=VALUE  a rawzone.conf override for land only (e.g.
#               land.fsync_interval_ms=50); the default config is the one
#               the targets are about
# Env: O (build dir, default build), RAWZONE_BIN (stage binaries, default
# $O/bin), RAWZONE_BROKER (a program that runs `rawzone broker`'s
# arguments, default $RAWZONE_BIN/rawzone broker), MOCK_PARTITIONS (128),
# KAFKA_PARTITIONS (8), RUN_TIMEOUT (seconds per run, default 600),
# BENCH_DIR (where the work directory goes, default ${TMPDIR:-/tmp}),
# QUIET_WAIT (seconds: before each run, wait up to this long for a second
# in which other processes use less than 15% of a core; default 0, no
# wait; on a shared machine 300 helps), RETRY_NOISY (run a flagged run
# again, up to this many times, before keeping it; default 0).
#
# Exit 0 when every run succeeded (a missed target is reported, not an
# error); 1 when anything failed (no result of a failed run is printed);
# 2 on bad usage; 77 when a requested broker kind cannot run here.
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C

O=${O:-build}
BIN=${RAWZONE_BIN:-$O/bin}
BBIN=$O/bench
ROUNDS=${ROUNDS:-3}
RECORDS=${RECORDS:-2000000}
KINDS=${KINDS:-kafka,mock}
MOCK_PARTITIONS=${MOCK_PARTITIONS:-128}
KAFKA_PARTITIONS=${KAFKA_PARTITIONS:-8}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
QUIET_WAIT=${QUIET_WAIT:-0}
RETRY_NOISY=${RETRY_NOISY:-0}
VALUE_BYTES=200
TOPIC=orders
KAFKA_SH=tests/kafka/kafka.sh
XS=()      # librdkafka overrides, bare and land
LS=()      # rawzone.conf overrides, land only

say() { printf 'land.sh: %s\n' "$*" >&2; }
die() { printf 'land.sh: error: %s\n' "$*" >&2; exit 1; }
usage() { # $1 = exit status (0: asked for with -h, to stdout)
	sed -n '/^# usage:/,/^# 2 on bad usage/p' "$0" | sed 's/^# \{0,1\}//' >&$(( ${1:-2} ? 2 : 1 ))
	exit "${1:-2}"
}

while getopts "r:n:k:X:L:h" opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	n) RECORDS=$OPTARG ;;
	k) KINDS=$OPTARG ;;
	X) XS+=("$OPTARG") ;;
	L) LS+=("$OPTARG") ;;
	h) usage 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
(($# == 0)) || usage
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $RECORDS =~ ^[1-9][0-9]*$ ]] || usage
for x in "${XS[@]}"; do [[ $x == ?*=* ]] || usage; done
for x in "${LS[@]}"; do [[ $x == ?*.?*=* ]] || usage; done
IFS=, read -r -a kinds <<<"$KINDS"
for k in "${kinds[@]}"; do [[ $k == kafka || $k == mock ]] || usage; done
for k in "${kinds[@]}"; do
	# The mock would drop the oldest records and no run would finish.
	if [[ $k == mock ]] && ((RECORDS * 240 / MOCK_PARTITIONS > 5 * 1024 * 1024)); then
		die "$RECORDS records do not fit the mock's 5 MiB per partition in $MOCK_PARTITIONS partitions: raise MOCK_PARTITIONS"
	fi
done

# ------------------------------------------------------------ prerequisites

for b in "$BBIN/bench_consume" "$BBIN/bench_preload" "$BBIN/bench_ckpt_sum" \
	"$BIN/rawzone-land"; do
	[[ -x $b ]] || die "$b not built (make)"
done
if [[ -n ${RAWZONE_BROKER:-} ]]; then
	read -r -a BROKER_CMD <<<"$RAWZONE_BROKER"
else
	BROKER_CMD=("$BIN/rawzone" broker)
fi
command -v kcat >/dev/null || { say "kcat not found (apt-get install kcat)"; exit 77; }
[[ -x /usr/bin/time ]] || { say "/usr/bin/time not found (apt-get install time)"; exit 77; }
for k in "${kinds[@]}"; do
	if [[ $k == mock && ! -x ${BROKER_CMD[0]} ]]; then
		say "${BROKER_CMD[0]} not built: set RAWZONE_BROKER or use -k kafka"
		exit 77
	fi
	if [[ $k == kafka ]]; then
		rc=0
		$KAFKA_SH available || rc=$?
		((rc == 0)) || { say "real Kafka not available here: use -k mock"; exit "$rc"; }
	fi
done
# bench_consume's own defaults are land's settings for throughput (those
# of [land] memory_bytes = 0), which bare_unbounded runs with: refuse to
# compare if they drifted. (bare takes land's settings from land itself.)
if ! diff <("$BIN/rawzone-land" --help | grep -E '^  [a-z.]+ = ' |
	grep -vE '^  (group\.instance\.id|client\.id) ' |
	sed 's/ (with \[land\] memory_bytes = 0)$//') \
	<("$BBIN/bench_consume" --settings) >&2; then
	die "bench_consume's settings differ from rawzone-land's (land/consumer.c): update bench/bench_consume.c"
fi

# ------------------------------------------------------------ clean-up

work=""
mock_pid=""
kafka_dir=""
land_pid=""
tag="bl$$"

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [[ -n $land_pid ]]; then
		kill -KILL "$land_pid" 2>/dev/null || true
		wait "$land_pid" 2>/dev/null || true
	fi
	stop_mock
	if [[ -n $kafka_dir ]]; then
		$KAFKA_SH destroy "$kafka_dir" >/dev/null 2>&1 || true
	fi
	rm -f /dev/shm/rawzone."$tag"-*
	[[ -n $work ]] && rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM HUP

stop_mock() {
	if [[ -n $mock_pid ]]; then
		kill -TERM "$mock_pid" 2>/dev/null || true
		wait "$mock_pid" 2>/dev/null || true
		mock_pid=""
	fi
}

work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/rawzone-bench-land.XXXXXX")

# ------------------------------------------------------------ helpers

kv() { # $1 = "prog: k=v k=v ...", $2 = key; prints the value
	sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"
}

. bench/lib.sh
median_of() { printf '%s\n' "$@" | median; } # numbers...

since() { # $1 = start, $2 = end ($EPOCHREALTIME, end_unix): seconds
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'
}

# LAND_ARGS: land's command-line overrides for this run: -X as
# kafka.KEY=VALUE, -L as given.
land_args() {
	LAND_ARGS=()
	for x in "${XS[@]}"; do LAND_ARGS+=(-X "kafka.$x"); done
	for x in "${LS[@]}"; do LAND_ARGS+=(-X "$x"); done
}

fmt() { # $1 = printf format, $2 = number
	awk -v f="$1" -v x="$2" 'BEGIN { printf f, x }'
}

declare -A R # R[kind.who.metric] = space-separated values, one per round
declare -A EPOCHS

TCK=$(getconf CLK_TCK)
busy_ticks() { # CPU ticks the whole machine has spent busy
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}
proc_ticks() { # $1 = pid; its user + system ticks (a comm without spaces)
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
broker_pid() {
	if [[ -n $kafka_dir ]]; then cat "$kafka_dir/pid"; else echo "$mock_pid"; fi
}
wait_quiet() { # up to QUIET_WAIT seconds for a quiet second
	local deadline=$((SECONDS + QUIET_WAIT)) a b pa pb
	((QUIET_WAIT > 0)) || return 0
	while :; do
		a=$(busy_ticks) pa=$(proc_ticks "$(broker_pid)")
		sleep 1
		b=$(busy_ticks) pb=$(proc_ticks "$(broker_pid)")
		(((b - a) - (pb - pa) < TCK * 15 / 100)) && return 0
		if ((SECONDS >= deadline)); then
			say "the machine did not become quiet in $QUIET_WAIT s; running anyway"
			return 0
		fi
	done
}
sample_start() { # before a run: machine and broker CPU
	wait_quiet
	s_busy=$(busy_ticks)
	s_broker=$(proc_ticks "$(broker_pid)")
}
sample_end() { # at the run's end point
	e_busy=$(busy_ticks)
	e_broker=$(proc_ticks "$(broker_pid)")
}

# "name/cpu,name/cpu,..." (bench_threads) -> "own librdkafka rest": CPU
# s of the thread named $2, of librdkafka's threads, and the rest of the
# process's $3 CPU s: io_uring's workers, counted whether or not they are
# still alive (bench_threads lists only live threads)
split_threads() { # $1 = threads, $2 = the consumer thread's name, $3 = CPU s
	tr ',' '\n' <<<"$1" | awk -F/ -v own="$2" -v all="$3" '
		$1 == own { o += $2 } $1 ~ /^rdk:/ { r += $2 }
		END { u = all - o - r; printf "%.2f %.2f %.2f", o, r, u < 0 ? 0 : u }'
}

note() { # kind who wall cpu rss_kib first [threads name]; uses the samples
	local key=$1.$2 rate srate bcpu other split
	rate=$(awk -v n="$RECORDS" -v s="$3" 'BEGIN { printf "%.0f", n / s }')
	srate=$(awk -v n="$RECORDS" -v s="$3" -v f="$6" 'BEGIN { printf "%.0f", n / (s - f) }')
	bcpu=$(awk -v a="$s_broker" -v b="$e_broker" -v t="$TCK" 'BEGIN { printf "%.2f", (b - a) / t }')
	# Whatever else ran on the machine meanwhile (other users, the
	# kernel's flusher threads): a busy machine makes the run noisy.
	other=$(awk -v a="$s_busy" -v b="$e_busy" -v t="$TCK" -v c="$4" -v k="$bcpu" \
		'BEGIN { o = (b - a) / t - c - k; printf "%.2f", o < 0 ? 0 : o }')
	say "$(printf '%-5s %-14s round %d: %8.3f s %9s records/s (%9s after %6.3f s) %6.2f CPU s %5.0f MiB; broker %5.2f CPU s, others %5.2f CPU s' \
		"$1" "$2" "$round" "$3" "$rate" "$srate" "$6" "$4" "$(awk -v k="$5" 'BEGIN { print k / 1024 }')" "$bcpu" "$other")"
	if awk -v o="$other" -v w="$3" 'BEGIN { exit !(o > 0.2 * w) }'; then
		if ((attempt < RETRY_NOISY)); then
			say "other processes used $other CPU s during this ${3} s run: discarded, running it again"
			retry=1
			return 0
		fi
		say "warning: other processes used $other CPU s during this ${3} s run: the machine was not quiet"
		noisy=$((noisy + 1))
	fi
	R[$key.wall]+="$3 "
	R[$key.rate]+="$rate "
	R[$key.srate]+="$srate "
	R[$key.cpu]+="$4 "
	R[$key.rss]+="$5 "
	R[$key.bcpu]+="$bcpu "
	if (($# > 6)); then
		read -r -a split <<<"$(split_threads "$7" "$8" "$4")"
		R[$key.town]+="${split[0]} "
		R[$key.trdk]+="${split[1]} "
		R[$key.tiou]+="${split[2]} "
	fi
	R[$key.other]+="$other "
	[[ $2 == land ]] && EPOCHS[$1]+="$land_epochs "
	return 0
}
noisy=0
retry=0
attempt=0

start_broker() { # $1 = kind; sets bs
	local deadline
	if [[ $1 == kafka ]]; then
		kafka_dir=$work/kafka
		$KAFKA_SH fetch >&2
		bs=$($KAFKA_SH start "$kafka_dir" "$TOPIC:$KAFKA_PARTITIONS" | tail -n 1)
		parts=$KAFKA_PARTITIONS
	else
		"${BROKER_CMD[@]}" --topic "$TOPIC:$MOCK_PARTITIONS" \
			>"$work/mock.out" 2>"$work/mock.err" &
		mock_pid=$!
		deadline=$((SECONDS + 20))
		until [[ -s $work/mock.out ]]; do
			kill -0 "$mock_pid" 2>/dev/null ||
				{ cat "$work/mock.err" >&2; die "the mock broker exited"; }
			((SECONDS < deadline)) || die "the mock broker printed no bootstrap in 20 s"
			sleep 0.1
		done
		bs=$(head -n 1 "$work/mock.out")
		parts=$MOCK_PARTITIONS
	fi
	[[ $bs == *:* ]] || die "no bootstrap address from the $1 broker"
}

stop_broker() { # $1 = kind
	if [[ $1 == kafka ]]; then
		$KAFKA_SH destroy "$kafka_dir" >/dev/null 2>&1 || die "kafka.sh destroy failed"
		kafka_dir=""
	else
		stop_mock
	fi
}

run_bare() { # $1 = kind, $2 = bare (land's settings, the default), bare_unbounded or frame
	local out xargs=() who=${2:-bare} t0
	case $who in
	bare) xargs=("${LAND_XS[@]}") ;;
	frame) xargs=("${LAND_XS[@]}" -W frame) ;;
	*) for x in "${XS[@]}"; do xargs+=(-X "$x"); done ;;
	esac
	sample_start
	t0=$EPOCHREALTIME
	out=$("$BBIN/bench_consume" -b "$bs" -t "$TOPIC" -n "$RECORDS" \
		-g "$tag-$who-$1-$round-$attempt" -T "$RUN_TIMEOUT" "${xargs[@]}" \
		2>"$work/bare.err") || { cat "$work/bare.err" >&2; die "$1: bench_consume failed"; }
	sample_end
	[[ $(kv "$out" records) == "$RECORDS" &&
		$(kv "$out" bytes) == $((RECORDS * VALUE_BYTES)) ]] ||
		die "$1: bench_consume: unexpected result: $out"
	note "$1" "$who" "$(since "$t0" "$(kv "$out" end_unix)")" "$(kv "$out" cpu_s)" "$(kv "$out" maxrss_kib)" \
		"$(kv "$out" first_s)" "$(kv "$out" threads)" bench_consume
}
run_bare_unbounded() { run_bare "$1" bare_unbounded; }
run_frame() { run_bare "$1" frame; }

run_kcat() { # $1 = kind
	local f=$work/kcat.out t size
	rm -f "$f"
	sample_start
	timeout --kill-after=5 "$RUN_TIMEOUT" /usr/bin/time -o "$work/kcat.time" \
		-f '%e %U %S %M' kcat -C -b "$bs" -t "$TOPIC" -e -o beginning -q \
		>"$f" 2>"$work/kcat.err" || { cat "$work/kcat.err" >&2; die "$1: kcat failed"; }
	sample_end
	size=$(stat -c %s "$f")
	rm -f "$f"
	# kcat prints each value and a newline.
	((size == RECORDS * (VALUE_BYTES + 1))) ||
		die "$1: kcat wrote $size bytes, not $((RECORDS * (VALUE_BYTES + 1)))"
	read -r -a t <"$work/kcat.time"
	note "$1" kcat "${t[0]}" "$(awk -v u="${t[1]}" -v s="${t[2]}" 'BEGIN { print u + s }')" "${t[3]}" 0
}

land_conf() { # $1 = kind, $2 = instance, $3 = its directory; prints it
	cat <<-EOF
		# bench/land.sh: land's defaults (fsync on) but for what a run needs
		[pipeline]
		instance = $2
		data_dir = $3/data
		[kafka]
		bootstrap.servers = $bs
		group.id = $2-land
		[land]
		topics = $TOPIC
	EOF
	# The mock does not support static membership.
	[[ $1 == mock ]] && printf 'static_membership = false\n'
	return 0
}

# LAND_XS: -X KEY=VALUE for bench_consume, for every librdkafka setting
# land consumes with on broker $1 (rawzone-land --kafka-settings: its
# defaults, what [land] memory_bytes derives, -X and -L), but for the
# group, the client's names and what bench_consume sets itself.
land_settings() { # $1 = kind
	local line
	LAND_XS=()
	land_conf "$1" "$tag-settings" "$work/settings" >"$work/settings.conf"
	land_args
	"$BIN/rawzone-land" -c "$work/settings.conf" "${LAND_ARGS[@]}" --kafka-settings \
		>"$work/settings.out" 2>"$work/settings.err" ||
		{ cat "$work/settings.err" >&2; die "rawzone-land --kafka-settings failed"; }
	while IFS= read -r line; do
		case ${line%%=*} in
		bootstrap.servers | group.id | group.instance.id | client.id | \
			enable.auto.commit | enable.auto.offset.store) ;;
		*) [[ $line == *=\(hidden\) ]] || LAND_XS+=(-X "$line") ;;
		esac
	done <"$work/settings.out"
	say "$1: bare consumes with land's settings:$(printf ' %s' "${LAND_XS[@]}" | sed 's/ -X / /g')"
	# Credentials are printed hidden: bare takes them from -X as given.
	for x in "${XS[@]}"; do LAND_XS+=(-X "$x"); done
}

run_land() { # $1 = kind
	local inst="$tag-$1-$round-$attempt" d=$work/land-$1-$round-$attempt out t0 rc=0 last first
	mkdir -p "$d"
	land_conf "$1" "$inst" "$d" >"$d/rawzone.conf"
	land_args
	sample_start
	t0=$EPOCHREALTIME
	"$BIN/rawzone-land" -c "$d/rawzone.conf" "${LAND_ARGS[@]}" 2>"$d/land.log" &
	land_pid=$!
	out=$("$BBIN/bench_ckpt_sum" -w "$RECORDS" -p "$land_pid" -T "$RUN_TIMEOUT" \
		"$d/data/land.ckpt") || rc=$?
	sample_end
	kill -TERM "$land_pid" 2>/dev/null || true
	wait "$land_pid" || rc=$((rc ? rc : $?))
	land_pid=""
	if ((rc)) || [[ $(kv "$out" records) != "$RECORDS" ]]; then
		tail -n 20 "$d/land.log" >&2
		die "$1: land did not land $RECORDS records and stop cleanly"
	fi
	# "landed N records (X MB), R records/s, E epochs, ..." at the stop
	last=$(grep -E 'info: landed [0-9]+ records' "$d/land.log" | tail -n 1)
	[[ $last =~ landed\ ([0-9]+)\ records.*\ ([0-9]+)\ epochs ]] ||
		die "$1: no final \"landed\" line in land's log"
	((BASH_REMATCH[1] == RECORDS)) ||
		die "$1: land's final line says ${BASH_REMATCH[1]} records, not $RECORDS"
	land_epochs=${BASH_REMATCH[2]}
	[[ $(grep -m 1 'info: first record framed' "$d/land.log") =~ framed\ ([0-9.]+)\ s ]] ||
		die "$1: no \"first record framed\" line in land's log"
	first=${BASH_REMATCH[1]}
	cp "$d/land.log" "$work/land-$1-last.log"
	# The raw zone stays until the end (see LAND_KEEP_BYTES).
	rm -f "/dev/shm/rawzone.$inst.land-decode"
	note "$1" land "$(since "$t0" "$(kv "$out" end_unix)")" \
		"$(kv "$out" cpu_s)" "$(kv "$out" maxrss_kib)" "$first" \
		"$(kv "$out" threads)" rawzone-land
}

# ------------------------------------------------------------ the runs

say "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), Linux $(uname -r)"
say "work directory $work ($(df -PT "$work" | awk 'NR == 2 { print $2 " on " $1 }'))"
say "$RECORDS records x $VALUE_BYTES B, $ROUNDS round(s), brokers: ${kinds[*]}"
# Every land run's raw zone stays on disk until the end. On ext4 without a
# journal (this machine's root) a new file skips every inode freed in the
# last 60-300 s (the kernel's recently_deleted()): deleting a run's 256
# files made the next run's land scan past them all as it created its own:
# 11% of its polling thread's samples (perf record) after a few runs, a
# cost of the benchmark's cleanup and not of landing.
# Each raw zone takes about 280 B a record; kcat's file, one at a time,
# VALUE_BYTES + 1.
LAND_KEEP_BYTES=$((RECORDS * (VALUE_BYTES + 80) * ROUNDS * ${#kinds[@]}))
need=$((LAND_KEEP_BYTES + RECORDS * (VALUE_BYTES + 1)))
avail=$(df -PB1 "$work" | awk 'NR == 2 { print $4 }')
((avail > need)) ||
	die "work directory $work: $((avail >> 20)) MiB free, the runs need $((need >> 20)) MiB (set BENCH_DIR elsewhere or fewer -r rounds)"
((${#XS[@]})) && say "librdkafka overrides (bare and land): ${XS[*]}"
((${#LS[@]})) && say "land config overrides: ${LS[*]}"

for kind in "${kinds[@]}"; do
	start_broker "$kind"
	say "$kind: broker at $bs, topic $TOPIC with $parts partitions"
	land_settings "$kind"
	out=$("$BBIN/bench_preload" -b "$bs" -t "$TOPIC" -n "$RECORDS" \
		-s "$VALUE_BYTES" -T "$RUN_TIMEOUT" 2>"$work/preload.err") ||
		{ cat "$work/preload.err" >&2; die "$kind: preload failed"; }
	[[ $(kv "$out" records) == "$RECORDS" ]] || die "$kind: preload: $out"
	say "$kind: preloaded $RECORDS records in $(kv "$out" seconds) s"
	# One unmeasured read of everything: the broker's JIT and caches
	# warm up here, not in the first round.
	"$BBIN/bench_consume" -b "$bs" -t "$TOPIC" -n "$RECORDS" -g "$tag-warmup-$kind" \
		-T "$RUN_TIMEOUT" >/dev/null 2>"$work/warmup.err" ||
		{ cat "$work/warmup.err" >&2; die "$kind: warm-up read failed"; }
	for ((round = 1; round <= ROUNDS; round++)); do
		for who in bare bare_unbounded frame kcat land; do
			attempt=0
			while :; do
				retry=0
				"run_$who" "$kind"
				((retry)) || break
				attempt=$((attempt + 1))
			done
		done
	done
	stop_broker "$kind"
done

# ------------------------------------------------------------ the table

desc() { # $1 = kind
	if [[ $1 == kafka ]]; then
		echo "Kafka ${RAWZONE_KAFKA_VERSION:-4.4.0}, $KAFKA_PARTITIONS partitions"
	else
		echo "mock, $MOCK_PARTITIONS partitions"
	fi
}

echo
echo "land: $RECORDS records x $VALUE_BYTES B, median of $ROUNDS round(s)$(
	((${#XS[@]})) && printf ', -X %s' "${XS[@]}")$(
	((${#LS[@]})) && printf ', land -X %s' "${LS[@]}")"
echo
echo "| broker | consumer | records/s | MB/s | wall s | CPU s | peak RSS MiB | broker CPU s | streaming records/s |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
declare -A MED
for kind in "${kinds[@]}"; do
	for who in bare bare_unbounded frame kcat land; do
		k=$kind.$who
		# shellcheck disable=SC2086 # word splitting wanted
		{
			MED[$k.rate]=$(median_of ${R[$k.rate]})
			MED[$k.srate]=$(median_of ${R[$k.srate]})
			MED[$k.wall]=$(median_of ${R[$k.wall]})
			MED[$k.cpu]=$(median_of ${R[$k.cpu]})
			MED[$k.rss]=$(median_of ${R[$k.rss]})
			MED[$k.bcpu]=$(median_of ${R[$k.bcpu]})
			if [[ -n ${R[$k.town]:-} ]]; then
				MED[$k.town]=$(median_of ${R[$k.town]})
				MED[$k.trdk]=$(median_of ${R[$k.trdk]})
				MED[$k.tiou]=$(median_of ${R[$k.tiou]})
			fi
		}
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(desc "$kind")" "$who" \
			"$(fmt %.0f "${MED[$k.rate]}")" \
			"$(fmt %.1f "$(awk -v r="${MED[$k.rate]}" -v b="$VALUE_BYTES" 'BEGIN { print r * b / 1e6 }')")" \
			"$(fmt %.2f "${MED[$k.wall]}")" "$(fmt %.2f "${MED[$k.cpu]}")" \
			"$(fmt %.0f "$(awk -v k="${MED[$k.rss]}" 'BEGIN { print k / 1024 }')")" \
			"$(fmt %.2f "${MED[$k.bcpu]}")" "$(fmt %.0f "${MED[$k.srate]}")"
	done
done
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "| broker | measured | land / bare | target >= 0.9 | land / kcat | target >= 1.5 | land / bare_unbounded | land / frame | land epochs |"
echo "| --- | --- | ---: | --- | ---: | --- | ---: | ---: | --- |"
for kind in "${kinds[@]}"; do
	for m in rate srate; do
		rb=$(ratio "${MED[$kind.land.$m]}" "${MED[$kind.bare.$m]}")
		rk=$(ratio "${MED[$kind.land.$m]}" "${MED[$kind.kcat.$m]}")
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(desc "$kind")" \
			"$([[ $m == rate ]] && echo "whole run" || echo "from the first record")" \
			"$rb" "$(awk -v r="$rb" 'BEGIN { print (r >= 0.9) ? "met" : "MISSED" }')" \
			"$rk" "$(awk -v r="$rk" 'BEGIN { print (r >= 1.5) ? "met" : "MISSED" }')" \
			"$(ratio "${MED[$kind.land.$m]}" "${MED[$kind.bare_unbounded.$m]}")" \
			"$(ratio "${MED[$kind.land.$m]}" "${MED[$kind.frame.$m]}")" "${EPOCHS[$kind]% }"
	done
done
echo
echo "Where the CPU went (CPU s, medians; cores busy = (CPU + broker CPU) / wall, of $(nproc)):"
echo
echo "| broker | consumer | own thread | librdkafka threads | the rest (io_uring workers) | all threads | broker | cores busy |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for kind in "${kinds[@]}"; do
	for who in bare frame land; do
		k=$kind.$who
		printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(desc "$kind")" "$who" \
			"${MED[$k.town]}" "${MED[$k.trdk]}" "${MED[$k.tiou]}" \
			"$(fmt %.2f "${MED[$k.cpu]}")" "$(fmt %.2f "${MED[$k.bcpu]}")" \
			"$(awk -v c="${MED[$k.cpu]}" -v b="${MED[$k.bcpu]}" -v w="${MED[$k.wall]}" 'BEGIN { printf "%.2f", (c + b) / w }')"
	done
done
echo
for kind in "${kinds[@]}"; do
	echo "$(desc "$kind"): framing and writing alone bound land / bare to $(awk \
		-v b="${MED[$kind.bare.cpu]}" -v bb="${MED[$kind.bare.bcpu]}" \
		-v f="${MED[$kind.frame.cpu]}" -v fb="${MED[$kind.frame.bcpu]}" \
		-v u="${MED[$kind.land.tiou]}" 'BEGIN { printf "%.2f", (b + bb) / (f + fb + u) }') where the cores are busy."
done
if ((noisy)); then
	echo
	echo "Warning: in $noisy run(s) other processes used more than 20% of a core: the machine was not quiet (see the log on stderr)."
fi

#!/usr/bin/env bash
# kafka.sh - run a real single-node Apache Kafka broker (KRaft, combined
# broker+controller) on 127.0.0.1 for rawzone's tests, from jars fetched
# from Maven Central with mvn.  See tests/kafka/README.md and --help.
set -euo pipefail

PROG=kafka.sh
KAFKA_VERSION=${RAWZONE_KAFKA_VERSION:-4.4.0}
CACHE_ROOT=${RAWZONE_CACHE:-$HOME/.cache/rawzone}
KHOME=$CACHE_ROOT/kafka-$KAFKA_VERSION
LIBS=$KHOME/libs
MARKER=$KHOME/.complete
DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
START_TIMEOUT=${RAWZONE_KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=30

if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
  JAVA=$JAVA_HOME/bin/java
else
  JAVA=java
fi

# Broker JVM: small heap, G1 with few threads (2-core machine).
BROKER_JVM_OPTS=(-Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20
  -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
  -XX:ParallelGCThreads=2 -XX:ConcGCThreads=1 -XX:+ExitOnOutOfMemoryError
  -Djava.awt.headless=true)
# Short-lived tool JVMs (storage format, topic tool): start fast.
TOOL_JVM_OPTS=(-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
  -Djava.awt.headless=true)

usage() {
  cat <<EOF
usage: $PROG COMMAND [ARGS]

Runs a real single-node Kafka $KAFKA_VERSION broker (KRaft) on 127.0.0.1.

  fetch                         fetch the Kafka jars into
                                \${RAWZONE_CACHE:-\$HOME/.cache/rawzone}/kafka-$KAFKA_VERSION/libs
  start DIR [TOPIC:PARTS ...]   format (first time) and start a broker in DIR,
                                create the topics; prints 127.0.0.1:PORT last
                                on stdout and writes it to DIR/bootstrap
  create-topic DIR TOPIC:PARTS ...
                                create topics on the running broker in DIR
  stop DIR                      SIGTERM (SIGKILL after ${STOP_TIMEOUT}s); keeps the data
  kill DIR                      SIGKILL at once (crash test); keeps the data
  destroy DIR                   stop if running, then delete DIR
  available                     exit 0 if java 17+ and mvn are present,
                                else 77 (skip), or 1 when CI=true
  --help                        this text

Env: RAWZONE_CACHE, RAWZONE_KAFKA_VERSION (default 4.4.0), JAVA_HOME,
     RAWZONE_KAFKA_START_TIMEOUT (seconds, default 90),
     RAWZONE_KAFKA_REQUEST_LOG=1 (log every request, with API versions).
Logs: DIR/broker.log (log4j), DIR/broker.out (stdout/stderr).
EOF
}

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

# ---------------------------------------------------------------- checks

java_major() { # prints the major version of $JAVA, or nothing
  local v
  v=$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1) || true
  [[ -n $v ]] || return 0
  if [[ $v == 1.* ]]; then v=${v#1.}; fi
  printf '%s\n' "${v%%[.+-]*}"
}

check_java() { # prints a reason and fails if java 17+ is missing
  local m
  if ! command -v "$JAVA" >/dev/null 2>&1; then
    echo "java not found (need Java 17+; set JAVA_HOME or install openjdk-17-jre-headless)"
    return 1
  fi
  m=$(java_major)
  if [[ ! $m =~ ^[0-9]+$ ]] || ((m < 17)); then
    echo "java is version '${m:-unknown}', Kafka $KAFKA_VERSION needs Java 17+"
    return 1
  fi
}

cache_complete() { [[ -f $MARKER && -d $LIBS ]]; }

cmd_available() {
  local why=""
  why=$(check_java) || true
  if [[ -z $why ]] && ! cache_complete && ! command -v mvn >/dev/null 2>&1; then
    why="mvn not found (needed once to fetch the Kafka jars; install maven)"
  fi
  if [[ -n $why ]]; then
    if [[ ${CI:-} == true ]]; then
      say "not available: $why (CI=true: failing instead of skipping)"
      exit 1
    fi
    say "not available: $why (skipping)"
    exit 77
  fi
  return 0
}

# ---------------------------------------------------------------- fetch

write_pom() { # $1 = file
  cat >"$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>rawzone.test</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$KAFKA_VERSION</version>
      <exclusions>
        <!-- Connect (Jetty, Jersey...) is not needed by the topic tool -->
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
        <exclusion><groupId>com.fasterxml.jackson.jakarta.rs</groupId><artifactId>jackson-jakarta-rs-json-provider</artifactId></exclusion>
      </exclusions>
    </dependency>
  </dependencies>
</project>
EOF
}

jar_version() { # $1 = libs dir, $2 = artifact name; prints the version
  local f
  for f in "$1/$2"-[0-9]*.jar; do
    [[ -e $f ]] || continue
    f=${f##*/}; f=${f#"$2"-}; printf '%s\n' "${f%.jar}"
    return 0
  done
  return 1
}

FETCH_TMP=""
MVN_PID=""

fetch_cleanup() {
  if [[ -n $MVN_PID ]]; then kill "$MVN_PID" 2>/dev/null || true; fi
  if [[ -n $FETCH_TMP ]]; then rm -rf "$FETCH_TMP"; fi
  MVN_PID="" FETCH_TMP=""
}

run_mvn() { # mvn args; output to $FETCH_TMP/mvn.log, printed on failure
  local rc try extra=()
  for try in 1 2; do
    ((try == 1)) || extra=(-U)
    # In the background so a signal to this script can stop it
    # (fetch_cleanup); fd 9 (the fetch lock) is not handed on.  The retry
    # uses -U: Maven caches a failed download and would not try it again.
    (cd "$FETCH_TMP" && exec mvn -q -B -Dstyle.color=never "${extra[@]}" "$@") \
      </dev/null >"$FETCH_TMP/mvn.log" 2>&1 9>&- &
    MVN_PID=$!
    rc=0
    wait "$MVN_PID" || rc=$?
    MVN_PID=""
    ((rc == 0)) && return 0
  done
  sed 's/\x1b\[[0-9;]*m//g' "$FETCH_TMP/mvn.log" | grep -v '^\[ERROR\] *$' | tail -n 20 >&2
  return "$rc"
}

do_fetch() {
  local log4j slf4j binding a
  command -v mvn >/dev/null 2>&1 || die "fetch: mvn not found (install maven)"
  mkdir -p "$KHOME"
  trap fetch_cleanup EXIT
  trap 'say "fetch interrupted"; exit 130' INT TERM HUP
  FETCH_TMP=$(mktemp -d "$KHOME/fetch.XXXXXX")
  write_pom "$FETCH_TMP/pom.xml"
  say "fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION and dependencies with mvn"
  run_mvn "$DEP_PLUGIN:copy-dependencies" -DincludeScope=runtime -DoutputDirectory="$FETCH_TMP/libs" ||
    die "fetch: mvn dependency:copy-dependencies failed for org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
  # Logging binding so broker logs go through log4j2 to a file; it must
  # match the log4j-api version Kafka brings, and the slf4j major version.
  # (Kafka 4.0.x does not bring log4j-core itself: then use 2.24.3, as its
  # binary distribution does.)
  slf4j=$(jar_version "$FETCH_TMP/libs" slf4j-api) || die "fetch: no slf4j-api jar among Kafka's dependencies"
  if [[ $slf4j == 1.* ]]; then binding="log4j-slf4j-impl"; else binding="log4j-slf4j2-impl"; fi
  log4j=$(jar_version "$FETCH_TMP/libs" log4j-api) || log4j=2.24.3
  for a in log4j-api log4j-core "$binding"; do
    jar_version "$FETCH_TMP/libs" "$a" >/dev/null && continue
    run_mvn "$DEP_PLUGIN:copy" -Dartifact="org.apache.logging.log4j:$a:$log4j" \
        -DoutputDirectory="$FETCH_TMP/libs" ||
      die "fetch: mvn could not fetch org.apache.logging.log4j:$a:$log4j"
  done
  [[ -f $FETCH_TMP/libs/kafka_2.13-$KAFKA_VERSION.jar ]] ||
    die "fetch: kafka_2.13-$KAFKA_VERSION.jar missing after mvn"
  rm -rf "$LIBS"
  mv "$FETCH_TMP/libs" "$LIBS"
  # The marker is written last: a partial fetch never looks complete.
  printf 'kafka_2.13 %s, %s jars, fetched %s\n' "$KAFKA_VERSION" \
    "$(find "$LIBS" -name '*.jar' | wc -l)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$MARKER.tmp"
  mv "$MARKER.tmp" "$MARKER"
  fetch_cleanup
  trap - EXIT INT TERM HUP
  say "fetched Kafka $KAFKA_VERSION into $LIBS"
}

cmd_fetch() {
  cache_complete && return 0
  mkdir -p "$CACHE_ROOT" || die "fetch: cannot create $CACHE_ROOT"
  if command -v flock >/dev/null 2>&1; then
    # Serialise concurrent fetches of the same version.
    exec 9>"$CACHE_ROOT/kafka-$KAFKA_VERSION.lock"
    flock 9
    if cache_complete; then exec 9>&-; return 0; fi
    rm -rf "$MARKER" "$KHOME"/fetch.* # leftovers of an interrupted fetch
    do_fetch
    exec 9>&-
  else
    rm -f "$MARKER"
    do_fetch
  fi
}

# ---------------------------------------------------------------- helpers

absdir() { # $1 = dir (created); prints its absolute path
  mkdir -p "$1" || die "cannot create directory '$1'"
  (cd "$1" && pwd -P)
}

prop() { # $1 = properties file, $2 = key
  sed -n "s/^$2=//p" "$1" | tail -n1
}

is_alive() { # $1 = pid: the process exists and is not a zombie (a killed
  # broker whose parent has gone may stay a zombie if nothing reaps it)
  local state
  [[ $1 =~ ^[0-9]+$ && -r /proc/$1/status ]] || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

is_ours() { # $1 = pid, $2 = dir: pid is a live broker of that dir
  local pid=$1 dir=$2
  is_alive "$pid" || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$dir/server.properties"
}

broker_pid() { # $1 = dir; prints the pid of its running broker, or fails
  local pid
  [[ -f $1/pid ]] || return 1
  pid=$(<"$1/pid")
  is_ours "$pid" "$1" || return 1
  printf '%s\n' "$pid"
}

port_busy() { # $1 = port: something listens on / holds it
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
  if command -v ss >/dev/null 2>&1; then
    ss -Htan "( sport = :$1 )" 2>/dev/null | grep -q . && return 0
  fi
  return 1
}

pick_port() { # $1 = a port to avoid; prints a free port below the ephemeral range
  local lo=32768 p i
  if [[ -r /proc/sys/net/ipv4/ip_local_port_range ]]; then
    read -r lo _ </proc/sys/net/ipv4/ip_local_port_range || lo=32768
  fi
  ((lo > 12000)) || lo=32768
  for ((i = 0; i < 200; i++)); do
    p=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
    [[ $p != "${1:-}" ]] || continue
    port_busy "$p" || { printf '%s\n' "$p"; return 0; }
  done
  return 1
}

write_config() { # $1 = dir, $2 = broker port, $3 = controller port
  local d=$1 bp=$2 cp=$3
  cat >"$d/server.properties.tmp" <<EOF
# Written by tests/kafka/kafka.sh: single-node KRaft broker for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cp
listeners=PLAINTEXT://127.0.0.1:$bp,CONTROLLER://127.0.0.1:$cp
advertised.listeners=PLAINTEXT://127.0.0.1:$bp
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$d/data
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
# Tests kill consumers and wait for their sessions to expire: allow short
# sessions (the default minimum is 6 s).
group.min.session.timeout.ms=1000
# After a crash (kill) the controller refuses the new broker incarnation
# until the old registration's session expires (default 9 s): shorten it.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
log.retention.ms=-1
log.retention.bytes=-1
EOF
  mv "$d/server.properties.tmp" "$d/server.properties"
}

write_log4j() { # $1 = dir
  local reqlevel=WARN
  [[ ${RAWZONE_KAFKA_REQUEST_LOG:-0} == 1 ]] && reqlevel="DEBUG"
  cat >"$1/log4j2.properties" <<EOF
# broker logging (tests/kafka/kafka.sh)
status = warn
shutdownHook = disable
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $1/broker.log
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = $reqlevel
EOF
  cat >"$1/tools-log4j2.properties" <<EOF
# tool logging (tests/kafka/kafka.sh): warnings to stderr
status = warn
shutdownHook = disable
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF
}

run_tool() { # $1 = dir, rest = main class and args
  local d=$1; shift
  "$JAVA" "${TOOL_JVM_OPTS[@]}" -Dlog4j2.configurationFile="$d/tools-log4j2.properties" \
    -cp "$LIBS/*" "$@"
}

random_cluster_id() { # 16 random bytes, URL-safe base64 without padding,
  # not starting with '-' (it would be taken for an option; Kafka's own
  # Uuid.randomUuid() avoids it too)
  local id="-"
  while [[ $id == -* ]]; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  done
  printf '%s\n' "$id"
}

log_tail() { # $1 = dir
  local f
  for f in "$1/broker.log" "$1/broker.out"; do
    if [[ -s $f ]]; then
      printf -- '--- last lines of %s ---\n' "$f" >&2
      tail -n 30 "$f" >&2
    fi
  done
}

bootstrap_of() { # $1 = dir
  local p
  p=$(prop "$1/server.properties" advertised.listeners)
  p=${p#PLAINTEXT://}
  [[ -n $p ]] || return 1
  printf '%s\n' "$p"
}

# ------------------------------------------------------ broker & topic probes

have_kcat() { command -v kcat >/dev/null 2>&1; }

broker_ready() { # $1 = dir, $2 = bootstrap
  # cheap check first: is the listener open at all?
  (exec 3<>"/dev/tcp/${2%:*}/${2##*:}") 2>/dev/null || return 1
  if have_kcat; then
    kcat -b "$2" -L -t __rawzone_probe -m 3 2>/dev/null | grep -q '^ *1 brokers:'
  else
    grep -q 'Kafka Server started' "$1/broker.log" 2>/dev/null &&
      run_tool "$1" org.apache.kafka.tools.TopicCommand --bootstrap-server "$2" --list >/dev/null 2>&1
  fi
}

topic_state() { # $1 = dir, $2 = bootstrap, $3 = topic
  # prints "missing", or "PARTITIONS LEADERS" (partitions that have a leader)
  local out n l
  if have_kcat; then
    out=$(kcat -b "$2" -L -t "$3" -m 5 2>&1) || true
    if grep -q 'Unknown topic' <<<"$out"; then echo missing; return 0; fi
    n=$(sed -n 's/^ *topic "[^"]*" with \([0-9]*\) partitions.*/\1/p' <<<"$out" | head -n1)
    [[ -n $n ]] || return 1
    l=$(grep -cE '^ *partition [0-9]+, leader [0-9]+,' <<<"$out" || true)
  else
    out=$(run_tool "$1" org.apache.kafka.tools.TopicCommand --bootstrap-server "$2" \
            --describe --topic "$3" 2>&1) || true
    if grep -q 'does not exist' <<<"$out"; then echo missing; return 0; fi
    n=$(sed -n 's/.*PartitionCount: *\([0-9]*\).*/\1/p' <<<"$out" | head -n1)
    [[ -n $n ]] || return 1
    l=$(grep -cE 'Partition: [0-9]+.*Leader: [0-9]+' <<<"$out" || true)
  fi
  printf '%s %s\n' "$n" "$l"
}

parse_spec() { # $1 = TOPIC:PARTITIONS; sets SPEC_T, SPEC_N
  SPEC_T=${1%:*}
  SPEC_N=${1##*:}
  [[ $1 == *:* && -n $SPEC_T && $SPEC_N =~ ^[1-9][0-9]*$ ]] ||
    die "bad topic spec '$1' (want TOPIC:PARTITIONS, e.g. orders:8)"
  [[ $SPEC_T =~ ^[A-Za-z0-9._-]+$ ]] || die "bad topic name '$SPEC_T'"
}

ensure_topics() { # $1 = dir, $2 = bootstrap, rest = specs; returns 1 on failure
  local d=$1 bs=$2 spec st deadline out
  shift 2
  for spec in "$@"; do
    parse_spec "$spec"
    st=$(topic_state "$d" "$bs" "$SPEC_T") || { say "cannot read metadata of topic $SPEC_T from $bs"; return 1; }
    if [[ $st == missing ]]; then
      if ! out=$(run_tool "$d" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" \
                   --create --if-not-exists --topic "$SPEC_T" --partitions "$SPEC_N" \
                   --replication-factor 1 2>&1); then
        printf '%s\n' "$out" >&2
        say "creating topic $SPEC_T failed"
        return 1
      fi
      say "created topic $SPEC_T ($SPEC_N partitions)"
    fi
    deadline=$((SECONDS + 60))
    while :; do
      st=$(topic_state "$d" "$bs" "$SPEC_T") || st="? ?"
      if [[ $st != missing && ${st% *} != "$SPEC_N" && ${st% *} != "?" && ${st% *} != 0 ]]; then
        say "topic $SPEC_T exists with ${st% *} partitions, not $SPEC_N"
        return 1
      fi
      [[ $st == "$SPEC_N $SPEC_N" ]] && break
      if ((SECONDS >= deadline)); then
        say "topic $SPEC_T: not every partition has a leader after 60s (state: $st)"
        return 1
      fi
      sleep 0.2
    done
  done
}

# ---------------------------------------------------------------- start

STARTED_PID=""
START_DIR=""

abort_start() { # kill a broker this invocation started
  if [[ -n $STARTED_PID ]] && is_ours "$STARTED_PID" "$START_DIR"; then
    kill -KILL "$STARTED_PID" 2>/dev/null || true
    say "killed broker pid $STARTED_PID (start failed)"
    rm -f "$START_DIR/pid"
  fi
  STARTED_PID=""
}

fail_start() { # $1 = message
  say "error: $1"
  log_tail "$START_DIR"
  abort_start
  exit 1
}

launch() { # $1 = dir; starts the broker, sets STARTED_PID
  local d=$1
  {
    printf -- '--- %s starting Kafka %s ---\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$KAFKA_VERSION"
  } >>"$d/broker.out"
  "$JAVA" "${BROKER_JVM_OPTS[@]}" \
    -Dlog4j2.configurationFile="$d/log4j2.properties" -Dkafka.logs.dir="$d" \
    -cp "$LIBS/*" kafka.Kafka "$d/server.properties" \
    </dev/null >>"$d/broker.out" 2>&1 &
  STARTED_PID=$!
  echo "$STARTED_PID" >"$d/pid"
}

wait_ready() { # $1 = dir, $2 = bootstrap, $3 = pid; 0 ready, 1 timeout, 2 died
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    # (not is_ours: right after the fork the child is not java yet)
    is_alive "$3" || return 2
    broker_ready "$1" "$2" && return 0
    sleep 0.3
  done
  return 1
}

format_fresh() { # $1 = dir; new ports, config and formatted storage
  local d=$1 bp cp id out
  bp=$(pick_port "") || fail_start "no free TCP port found on 127.0.0.1"
  cp=$(pick_port "$bp") || fail_start "no free TCP port found on 127.0.0.1"
  rm -rf "$d/data" "$d/bootstrap"
  write_config "$d" "$bp" "$cp"
  id=$(random_cluster_id)
  if ! out=$(run_tool "$d" kafka.tools.StorageTool format -t "$id" -c "$d/server.properties" 2>&1); then
    printf '%s\n' "$out" >&2
    fail_start "formatting storage in $d/data failed (kafka.tools.StorageTool format)"
  fi
}

cmd_start() {
  (($# >= 1)) || die "start: missing DIR"
  local d pid bs rc attempt spec fresh=0
  for spec in "${@:2}"; do parse_spec "$spec"; done
  d=$(absdir "$1"); shift
  START_DIR=$d
  touch "$d/.rawzone-kafka"
  local why
  why=$(check_java) || die "start: $why"
  cmd_fetch
  trap 'say "interrupted"; abort_start; exit 130' INT TERM HUP

  if pid=$(broker_pid "$d"); then
    say "broker already running in $d (pid $pid)"
    bs=$(bootstrap_of "$d") || die "start: no advertised.listeners in $d/server.properties"
    wait_ready "$d" "$bs" "$pid" || fail_start "running broker in $d does not answer on $bs"
  else
    if [[ ! -f $d/data/meta.properties || ! -f $d/server.properties ]]; then
      fresh=1
      format_fresh "$d"
    else
      # Restart: same ports and data; refresh the rest of the config.
      local bp cp
      bp=$(bootstrap_of "$d") && bp=${bp##*:}
      cp=$(prop "$d/server.properties" controller.quorum.voters) && cp=${cp##*:}
      [[ $bp =~ ^[0-9]+$ && $cp =~ ^[0-9]+$ ]] || fail_start "cannot read the ports from $d/server.properties"
      write_config "$d" "$bp" "$cp"
    fi
    write_log4j "$d"
    for attempt in 1 2 3; do
      bs=$(bootstrap_of "$d") || fail_start "no advertised.listeners in $d/server.properties"
      say "starting Kafka $KAFKA_VERSION broker on $bs (dir $d)"
      launch "$d"
      rc=0
      wait_ready "$d" "$bs" "$STARTED_PID" || rc=$?
      ((rc == 0)) && break
      if ((rc == 2)) && ((fresh)) && ((attempt < 3)) &&
         grep -qiE 'Address already in use|BindException' "$d/broker.log" 2>/dev/null; then
        say "port clash on first start, retrying on new ports"
        STARTED_PID=""
        format_fresh "$d"
        : >"$d/broker.log"
        continue
      fi
      if ((rc == 2)); then fail_start "broker process exited during startup"; fi
      fail_start "broker not ready on $bs after ${START_TIMEOUT}s"
    done
  fi
  ensure_topics "$d" "$bs" "$@" || fail_start "topic setup failed"
  echo "$bs" >"$d/bootstrap"
  trap - INT TERM HUP
  STARTED_PID=""
  say "broker ready on $bs"
  printf '%s\n' "$bs"
}

cmd_create_topic() {
  (($# >= 2)) || die "create-topic: usage: create-topic DIR TOPIC:PARTITIONS ..."
  local d bs spec
  for spec in "${@:2}"; do parse_spec "$spec"; done
  [[ -d $1 ]] || die "create-topic: no broker directory '$1'"
  d=$(absdir "$1"); shift
  broker_pid "$d" >/dev/null || die "create-topic: no broker running in $d"
  [[ -f $LIBS/kafka_2.13-$KAFKA_VERSION.jar ]] || die "create-topic: Kafka $KAFKA_VERSION not fetched"
  bs=$(bootstrap_of "$d") || die "create-topic: no advertised.listeners in $d/server.properties"
  ensure_topics "$d" "$bs" "$@" || die "create-topic: topic setup failed"
}

# ---------------------------------------------------------------- stop

wait_gone() { # $1 = pid, $2 = dir, $3 = seconds
  local deadline=$((SECONDS + $3))
  while is_ours "$1" "$2"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

cmd_stop() { # $1 = dir, $2 = TERM|KILL
  local what=stop
  [[ ${2:-TERM} == KILL ]] && what="kill"
  [[ -n ${1:-} ]] || die "$what: missing DIR"
  local d pid
  [[ -d $1 ]] || { say "no broker directory '$1'"; return 0; }
  d=$(absdir "$1")
  if ! pid=$(broker_pid "$d"); then
    rm -f "$d/pid"
    say "no broker running in $d"
    return 0
  fi
  if [[ ${2:-TERM} == KILL ]]; then
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" "$d" 10 || die "$what: broker pid $pid still alive"
    say "killed broker pid $pid"
  else
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "$d" "$STOP_TIMEOUT"; then
      say "broker pid $pid ignored SIGTERM for ${STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" "$d" 10 || die "$what: broker pid $pid still alive"
    fi
    say "stopped broker pid $pid"
  fi
  rm -f "$d/pid"
}

cmd_destroy() {
  [[ -n ${1:-} ]] || die "destroy: missing DIR"
  local d
  [[ -e $1 ]] || return 0
  [[ -d $1 ]] || die "destroy: '$1' is not a directory"
  d=$(absdir "$1")
  if [[ ! -f $d/.rawzone-kafka ]] && [[ -n $(ls -A "$d") ]]; then
    die "destroy: $d was not made by $PROG start; not deleting it"
  fi
  cmd_stop "$d" TERM
  rm -rf "$d"
  say "destroyed $d"
}

# ---------------------------------------------------------------- main

cmd=${1:-}
(($# > 0)) && shift
case $cmd in
  fetch) cmd_fetch ;;
  start) cmd_start "$@" ;;
  create-topic) cmd_create_topic "$@" ;;
  stop) cmd_stop "${1:-}" TERM ;;
  kill) cmd_stop "${1:-}" KILL ;;
  destroy) cmd_destroy "$@" ;;
  available) cmd_available ;;
  -h | --help | help) usage ;;
  "") usage >&2; exit 2 ;;
  *) say "unknown command '$cmd'"; usage >&2; exit 2 ;;
esac

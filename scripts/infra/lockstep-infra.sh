#!/usr/bin/env bash
# Lockstep local infrastructure: a private MariaDB (binlog/GTID, for the outbox
# tailer) and a single-node KRaft Apache Kafka, both run as plain processes
# (no Docker on the dev/CI machines).
#
# Usage: scripts/infra/lockstep-infra.sh up|down|status|logs [kafka|mariadb]|env [--export]
#
# State lives in $LOCKSTEP_HOME (default <repo>/.lockstep, git-ignored). The
# Kafka jars are fetched from Maven Central once into $LOCKSTEP_CACHE (outside
# the repo, so fresh clones reuse them).
#
# External servers: if LOCKSTEP_MYSQL_URL is set we do not start MariaDB; if
# LOCKSTEP_KAFKA_BROKERS is set we do not start Kafka.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

LOCKSTEP_HOME="${LOCKSTEP_HOME:-$REPO_ROOT/.lockstep}"
LOCKSTEP_CACHE="${LOCKSTEP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lockstep}"

MYSQL_PORT="${LOCKSTEP_LOCAL_MYSQL_PORT:-3307}"
# LOCKSTEP_LOCAL_MYSQL_TLS=1: the private MariaDB also serves TLS, with a throw-away CA made by
# openssl on first start (CA file: $LOCKSTEP_HOME/mariadb/tls/ca.pem). For trying LOCKSTEP_MYSQL_SSL.
MYSQL_TLS="${LOCKSTEP_LOCAL_MYSQL_TLS:-}"
MYSQL_PASSWORD="${LOCKSTEP_LOCAL_MYSQL_PASSWORD:-lockstep}"
KAFKA_PORT="${LOCKSTEP_LOCAL_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${LOCKSTEP_LOCAL_KAFKA_CONTROLLER_PORT:-9093}"
# Optional second listener with SASL/SCRAM-SHA-256 (tests of the clients' SASL settings): set the
# port and the one user's name and password; they are fixed when the storage is formatted.
KAFKA_SASL_PORT="${LOCKSTEP_LOCAL_KAFKA_SASL_PORT:-}"
KAFKA_SCRAM_USER="${LOCKSTEP_LOCAL_KAFKA_SCRAM_USER:-}"
KAFKA_SCRAM_PASSWORD="${LOCKSTEP_LOCAL_KAFKA_SCRAM_PASSWORD:-}"
# Default Kafka version: newest 4.x on Maven Central that passed our checks
# (kcat + kafkajs 2.2.4 idempotent/transactional/read_committed); see
# scripts/infra/KAFKA_VERSION.md.
KAFKA_VERSION="${LOCKSTEP_KAFKA_VERSION:-4.4.0}"
# SLF4J 1.x binding for log4j2 (Kafka 4.x uses slf4j-api 1.7 + log4j2 core but
# its Maven POMs ship no binding; the binary distribution bundles one).
LOG4J_VERSION="${LOCKSTEP_LOG4J_VERSION:-2.25.5}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
UP_TIMEOUT="${LOCKSTEP_UP_TIMEOUT:-90}"     # seconds per component health wait
DOWN_TIMEOUT="${LOCKSTEP_DOWN_TIMEOUT:-30}" # seconds before SIGKILL

MARIADB_DIR="$LOCKSTEP_HOME/mariadb"
MARIADB_DATA="$MARIADB_DIR/data"
MARIADB_SOCK="$MARIADB_DIR/mysqld.sock"
MARIADB_CNF="$MARIADB_DIR/my.cnf"
MARIADB_TLS="$MARIADB_DIR/tls"
KAFKA_DIR="$LOCKSTEP_HOME/kafka"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_LOG4J="$KAFKA_DIR/log4j2.properties"
LOG_DIR="$LOCKSTEP_HOME/logs"
RUN_DIR="$LOCKSTEP_HOME/run"
KAFKA_CACHE="$LOCKSTEP_CACHE/kafka-$KAFKA_VERSION"

log() { printf '[lockstep-infra] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- helpers ---

pidfile() { echo "$RUN_DIR/$1.pid"; }

# Prints the pid of component $1 if its pid file points at a live process whose
# command line contains marker $2 (our datadir/config), else nothing. This is
# what keeps us from ever touching the machine's own MariaDB or a stale pid
# that the OS has recycled.
our_pid() {
  local f pid
  f="$(pidfile "$1")"
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2"; then
    echo "$pid"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until <seconds> <description> <logfile> <cmd...>
wait_until() {
  local timeout="$1" what="$2" logfile="$3"; shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "$what did not become healthy within ${timeout}s; last log lines ($logfile):"
      tail -n 40 "$logfile" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

# stop_pid <name> <pid>: SIGTERM, wait with deadline, then SIGKILL.
stop_pid() {
  local name="$1" pid="$2" deadline=$((SECONDS + DOWN_TIMEOUT))
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "$name did not exit within ${DOWN_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
}

ensure_apt_pkg() { # ensure_apt_pkg <binary> <debian-package>
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing $2 via apt (missing $1)"
  # policy-rc.d 101 keeps the package's own service from being started.
  local prc=/usr/sbin/policy-rc.d created=0
  if [[ ! -e "$prc" ]]; then printf '#!/bin/sh\nexit 101\n' >"$prc"; chmod +x "$prc"; created=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  ((created)) && rm -f "$prc"
  command -v "$1" >/dev/null 2>&1 || die "$2 installed but $1 still not found"
}

# KEY=VALUE lines (dotenv style); "export " prefix with env --export.
EXPORT_PREFIX=""
mysql_env_line() {
  echo "${EXPORT_PREFIX}LOCKSTEP_MYSQL_URL=${LOCKSTEP_MYSQL_URL:-mysql://lockstep:$MYSQL_PASSWORD@127.0.0.1:$MYSQL_PORT/lockstep}"
}
kafka_env_line() {
  echo "${EXPORT_PREFIX}LOCKSTEP_KAFKA_BROKERS=${LOCKSTEP_KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
}

# ---------------------------------------------------------------- MariaDB ---

mariadb_pid() { our_pid mariadb "--datadir=$MARIADB_DATA"; }

mariadb_ping() {
  mariadb-admin --no-defaults --protocol=socket --socket="$MARIADB_SOCK" -uroot ping
}

write_mariadb_cnf() {
  # Durable binlog settings: the outbox relies on "committed == in binlog".
  # gtid_strict_mode + server_id give stable GTIDs for resumable positions.
  cat >"$MARIADB_CNF" <<EOF
[mariadbd]
datadir=$MARIADB_DATA
socket=$MARIADB_SOCK
pid-file=$RUN_DIR/mariadb.server.pid
port=$MYSQL_PORT
bind-address=127.0.0.1
user=root
skip-name-resolve
log_error=$LOG_DIR/mariadb.log
server_id=1
log_bin=$MARIADB_DIR/data/binlog
binlog_format=ROW
binlog_row_image=FULL
binlog_row_metadata=FULL
gtid_strict_mode=ON
log_slave_updates=ON
expire_logs_days=2
max_allowed_packet=64M
innodb_flush_log_at_trx_commit=1
sync_binlog=1
innodb_buffer_pool_size=128M
max_connections=300
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
EOF
  if [[ "$MYSQL_TLS" == "1" ]]; then
    make_mariadb_tls
    printf 'ssl_ca=%s\nssl_cert=%s\nssl_key=%s\n' "$MARIADB_TLS/ca.pem" "$MARIADB_TLS/server-cert.pem" "$MARIADB_TLS/server-key.pem" >>"$MARIADB_CNF"
  fi
}

# A CA and a server certificate for 127.0.0.1, once; kept with the datadir.
make_mariadb_tls() {
  [[ -f "$MARIADB_TLS/server-cert.pem" ]] && return 0
  command -v openssl >/dev/null 2>&1 || die "openssl not found (needed for LOCKSTEP_LOCAL_MYSQL_TLS=1)"
  mkdir -p "$MARIADB_TLS"
  (
    cd "$MARIADB_TLS"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=lockstep-local-ca" -keyout ca-key.pem -out ca.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server-key.pem -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -extfile san.ext -out server-cert.pem
  ) >"$LOG_DIR/mariadb-tls.log" 2>&1 || { tail -n 20 "$LOG_DIR/mariadb-tls.log" >&2; die "making the TLS certificates failed"; }
  log "MariaDB TLS certificates made (CA: $MARIADB_TLS/ca.pem)"
}

mariadb_up() {
  if [[ -n "${LOCKSTEP_MYSQL_URL:-}" ]]; then
    log "LOCKSTEP_MYSQL_URL is set; not starting a local MariaDB"
    return 0
  fi
  local pid; pid="$(mariadb_pid)"
  if [[ -n "$pid" ]]; then
    log "mariadb already running (pid $pid)"
    return 0
  fi
  ensure_apt_pkg mariadbd mariadb-server
  port_in_use "$MYSQL_PORT" && die "port $MYSQL_PORT is taken by something else (set LOCKSTEP_LOCAL_MYSQL_PORT)"
  mkdir -p "$MARIADB_DIR" "$LOG_DIR" "$RUN_DIR"
  write_mariadb_cnf
  local fresh=0
  if [[ ! -d "$MARIADB_DATA/mysql" ]]; then
    log "initialising MariaDB datadir $MARIADB_DATA"
    rm -rf "$MARIADB_DATA"; mkdir -p "$MARIADB_DATA"
    mariadb-install-db --defaults-file="$MARIADB_CNF" --user=root \
      --auth-root-authentication-method=socket --skip-test-db \
      >"$LOG_DIR/mariadb-install.log" 2>&1 \
      || { tail -n 40 "$LOG_DIR/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
    fresh=1
  fi
  log "starting MariaDB on 127.0.0.1:$MYSQL_PORT"
  # setsid: detach from our process group so Ctrl-C / job control of the
  # caller does not kill it.
  setsid mariadbd --defaults-file="$MARIADB_CNF" --datadir="$MARIADB_DATA" \
    </dev/null >>"$LOG_DIR/mariadb.log" 2>&1 &
  echo $! >"$(pidfile mariadb)"
  if ! wait_until "$UP_TIMEOUT" mariadb "$LOG_DIR/mariadb.log" mariadb_ping; then
    mariadb_down # don't leave a half-started server that a rerun would skip
    die "mariadb failed to start"
  fi
  # Idempotent bootstrap (cheap, so run it on every start, not only fresh).
  mariadb --no-defaults --protocol=socket --socket="$MARIADB_SOCK" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS lockstep CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'lockstep'@'%' IDENTIFIED BY '$MYSQL_PASSWORD';
CREATE USER IF NOT EXISTS 'lockstep'@'127.0.0.1' IDENTIFIED BY '$MYSQL_PASSWORD';
CREATE USER IF NOT EXISTS 'lockstep'@'localhost' IDENTIFIED BY '$MYSQL_PASSWORD';
ALTER USER 'lockstep'@'%' IDENTIFIED BY '$MYSQL_PASSWORD';
ALTER USER 'lockstep'@'127.0.0.1' IDENTIFIED BY '$MYSQL_PASSWORD';
ALTER USER 'lockstep'@'localhost' IDENTIFIED BY '$MYSQL_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'lockstep'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'lockstep'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'lockstep'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  ((fresh)) && log "MariaDB initialised (database lockstep, user lockstep)"
  log "mariadb up (pid $(cat "$(pidfile mariadb)"))"
}

mariadb_down() {
  local pid; pid="$(mariadb_pid)"
  if [[ -z "$pid" ]]; then log "mariadb not running (by us)"; rm -f "$(pidfile mariadb)"; return 0; fi
  stop_pid mariadb "$pid"
  rm -f "$(pidfile mariadb)"
}

# ------------------------------------------------------------------ Kafka ---

kafka_pid() { our_pid kafka "$KAFKA_PROPS"; }

# Downloads the broker jars from Maven Central once per version. A marker file
# records completion so later runs (and fresh clones) do no network I/O.
kafka_fetch() {
  local marker="$KAFKA_CACHE/.complete"
  [[ -f "$marker" ]] && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch Kafka $KAFKA_VERSION)"
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_CACHE (one-off)"
  mkdir -p "$KAFKA_CACHE"
  # kafka_2.13 brings kafka-server, raft, metadata, storage, coordinators and
  # log4j-core; we add the SLF4J->log4j2 binding. kafka-tools is left out on
  # purpose (it drags in connect-runtime/jetty); topics are created by clients.
  cat >"$KAFKA_CACHE/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>lockstep.infra</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  rm -rf "$KAFKA_CACHE/libs"
  (cd "$KAFKA_CACHE" && mvn -q -B dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$KAFKA_CACHE/libs") \
    >"$KAFKA_CACHE/mvn.log" 2>&1 \
    || { tail -n 40 "$KAFKA_CACHE/mvn.log" >&2; die "maven fetch of Kafka $KAFKA_VERSION failed"; }
  date -u +%FT%TZ >"$marker"
}

write_kafka_config() {
  local listeners="PLAINTEXT://127.0.0.1:$KAFKA_PORT" protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT" sasl=""
  if [[ -n "$KAFKA_SASL_PORT" ]]; then
    [[ -n "$KAFKA_SCRAM_USER" && -n "$KAFKA_SCRAM_PASSWORD" ]] \
      || die "LOCKSTEP_LOCAL_KAFKA_SASL_PORT needs LOCKSTEP_LOCAL_KAFKA_SCRAM_USER and LOCKSTEP_LOCAL_KAFKA_SCRAM_PASSWORD"
    listeners="$listeners,SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PORT"
    protocols="$protocols,SASL_PLAINTEXT:SASL_PLAINTEXT"
    sasl="sasl.enabled.mechanisms=SCRAM-SHA-256
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
  fi
  # auto.create.topics.enable=false: Lockstep creates topics explicitly, so a
  # typo'd topic name fails loudly instead of silently creating a topic.
  cat >"$KAFKA_PROPS" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=$listeners,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=$listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
$sasl
log.dirs=$KAFKA_DATA
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
log.retention.hours=48
EOF
  # log4j2: everything into one file; keep it quiet enough to read.
  cat >"$KAFKA_LOG4J" <<EOF
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $LOG_DIR/kafka.log
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.kafkaclients.name = org.apache.kafka
logger.kafkaclients.level = INFO
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

kafka_java() { # kafka_java <main-class> <args...>
  # shellcheck disable=SC2086
  java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_LOG4J" \
    -cp "$KAFKA_CACHE/libs/*" "$@"
}

kafka_ping() {
  kcat -b "127.0.0.1:$KAFKA_PORT" -L -m 3 | grep -q "broker 1 at"
}

kafka_up() {
  if [[ -n "${LOCKSTEP_KAFKA_BROKERS:-}" ]]; then
    log "LOCKSTEP_KAFKA_BROKERS is set; not starting a local Kafka"
    return 0
  fi
  local pid; pid="$(kafka_pid)"
  if [[ -n "$pid" ]]; then
    log "kafka already running (pid $pid)"
    return 0
  fi
  command -v java >/dev/null 2>&1 || die "java not found (Kafka needs Java 17+)"
  port_in_use "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by something else (set LOCKSTEP_LOCAL_KAFKA_PORT)"
  port_in_use "$KAFKA_CONTROLLER_PORT" && die "port $KAFKA_CONTROLLER_PORT is taken (set LOCKSTEP_LOCAL_KAFKA_CONTROLLER_PORT)"
  [[ -n "$KAFKA_SASL_PORT" ]] && port_in_use "$KAFKA_SASL_PORT" && die "port $KAFKA_SASL_PORT is taken (set LOCKSTEP_LOCAL_KAFKA_SASL_PORT)"
  mkdir -p "$KAFKA_DATA" "$LOG_DIR" "$RUN_DIR"
  kafka_fetch
  write_kafka_config
  # Format once: meta.properties in the log dir means "already formatted".
  # A datadir formatted by a different Kafka version is kept as is (KRaft
  # storage is forward compatible); wipe $LOCKSTEP_HOME/kafka to start over.
  if [[ ! -f "$KAFKA_DATA/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
    [[ -n "$cluster_id" ]] || die "could not generate a cluster id"
    log "formatting KRaft storage (cluster id $cluster_id)"
    local scram=()
    [[ -n "$KAFKA_SASL_PORT" ]] && scram=(--add-scram "SCRAM-SHA-256=[name=$KAFKA_SCRAM_USER,password=$KAFKA_SCRAM_PASSWORD]")
    kafka_java kafka.tools.StorageTool format --config "$KAFKA_PROPS" \
      --cluster-id "$cluster_id" --standalone "${scram[@]}" >"$LOG_DIR/kafka-format.log" 2>&1 \
      || { tail -n 40 "$LOG_DIR/kafka-format.log" >&2; die "kafka storage format failed"; }
  fi
  log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)"
  # stdout/err (JVM crashes, early log4j errors) go to a side file; the broker
  # log proper is written by log4j2 to logs/kafka.log.
  # shellcheck disable=SC2086
  setsid java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$KAFKA_LOG4J" \
    -Dkafka.logs.dir="$LOG_DIR" -cp "$KAFKA_CACHE/libs/*" kafka.Kafka "$KAFKA_PROPS" \
    </dev/null >>"$LOG_DIR/kafka.stdout.log" 2>&1 &
  echo $! >"$(pidfile kafka)"
  if ! wait_until "$UP_TIMEOUT" kafka "$LOG_DIR/kafka.log" kafka_ping; then
    tail -n 20 "$LOG_DIR/kafka.stdout.log" >&2 || true
    kafka_down # don't leave a half-started broker that a rerun would skip
    die "kafka failed to start"
  fi
  log "kafka up (pid $(cat "$(pidfile kafka)"))"
}

kafka_down() {
  local pid; pid="$(kafka_pid)"
  if [[ -z "$pid" ]]; then log "kafka not running (by us)"; rm -f "$(pidfile kafka)"; return 0; fi
  stop_pid kafka "$pid"
  rm -f "$(pidfile kafka)"
}

# ------------------------------------------------------------- commands ---

cmd_up() {
  ensure_apt_pkg kcat kcat   # health check + handy CLI
  mariadb_up
  kafka_up
  echo "# Lockstep infra is up. Client environment:"
  mysql_env_line
  kafka_env_line
}

cmd_down() {
  # Kafka first: it does not depend on MariaDB, but stopping the heavier JVM
  # first frees memory sooner.
  kafka_down
  mariadb_down
}

cmd_status() {
  local pid
  if [[ -n "${LOCKSTEP_MYSQL_URL:-}" ]]; then
    echo "mariadb: external ($LOCKSTEP_MYSQL_URL)"
  else
    pid="$(mariadb_pid)"
    if [[ -n "$pid" ]] && mariadb_ping >/dev/null 2>&1; then
      echo "mariadb: up   pid=$pid port=127.0.0.1:$MYSQL_PORT socket=$MARIADB_SOCK"
    elif [[ -n "$pid" ]]; then
      echo "mariadb: starting/unhealthy pid=$pid port=127.0.0.1:$MYSQL_PORT"
    else
      echo "mariadb: down port=127.0.0.1:$MYSQL_PORT$(port_in_use "$MYSQL_PORT" && echo ' (port busy: NOT our process)')"
    fi
  fi
  if [[ -n "${LOCKSTEP_KAFKA_BROKERS:-}" ]]; then
    echo "kafka:   external ($LOCKSTEP_KAFKA_BROKERS)"
  else
    pid="$(kafka_pid)"
    if [[ -n "$pid" ]] && kafka_ping >/dev/null 2>&1; then
      echo "kafka:   up   pid=$pid port=127.0.0.1:$KAFKA_PORT controller=127.0.0.1:$KAFKA_CONTROLLER_PORT version=$KAFKA_VERSION"
    elif [[ -n "$pid" ]]; then
      echo "kafka:   starting/unhealthy pid=$pid port=127.0.0.1:$KAFKA_PORT"
    else
      echo "kafka:   down port=127.0.0.1:$KAFKA_PORT$(port_in_use "$KAFKA_PORT" && echo ' (port busy: NOT our process)')"
    fi
  fi
}

cmd_logs() {
  case "${1:-}" in
    "") echo "mariadb: $LOG_DIR/mariadb.log"
        echo "kafka:   $LOG_DIR/kafka.log (JVM stdout/stderr: $LOG_DIR/kafka.stdout.log)" ;;
    mariadb) tail -n "${LINES_TO_SHOW:-100}" "$LOG_DIR/mariadb.log" ;;
    kafka) tail -n "${LINES_TO_SHOW:-100}" "$LOG_DIR/kafka.log" ;;
    *) die "unknown component '$1' (kafka|mariadb)" ;;
  esac
}

usage() {
  cat <<EOF
usage: $(basename "$0") <command>
  up                 start private MariaDB (:$MYSQL_PORT) and Kafka (:$KAFKA_PORT); idempotent
  down               stop only the processes this script started
  status             show each component's pid/port/health
  logs [kafka|mariadb]  print log paths, or tail one log
  env [--export]     print the client environment (LOCKSTEP_MYSQL_URL, LOCKSTEP_KAFKA_BROKERS);
                     e.g. eval "\$($(basename "$0") env --export)"
state: $LOCKSTEP_HOME   cache: $LOCKSTEP_CACHE
EOF
}

main() {
  local cmd="${1:-}"; shift || true
  case "$cmd" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    env) [[ "${1:-}" == --export ]] && EXPORT_PREFIX="export "
         mysql_env_line; kafka_env_line ;;
    -h|--help|help|"") usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"

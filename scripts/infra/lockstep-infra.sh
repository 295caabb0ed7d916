#!/usr/bin/env bash
# Lockstep local infrastructure: a private MariaDB (binlog/GTID, for the outbox
# tailer) and KRaft Apache Kafka (one node, or a small cluster with
# LOCKSTEP_LOCAL_KAFKA_NODES), all run as plain processes (no Docker on the
# dev/CI machines).
#
# Usage: scripts/infra/lockstep-infra.sh up|down|status [kafka|mariadb] | logs [kafka [<node>]|mariadb] | env [--export]
#        scripts/infra/lockstep-infra.sh promote-replica
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
# Absolute, because the paths end up in the servers' command lines, which is how
# our_pid recognises our processes from any working directory.
[[ "$LOCKSTEP_HOME" == /* ]] || LOCKSTEP_HOME="$PWD/$LOCKSTEP_HOME"
LOCKSTEP_CACHE="${LOCKSTEP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lockstep}"

MYSQL_PORT="${LOCKSTEP_LOCAL_MYSQL_PORT:-3307}"
# LOCKSTEP_LOCAL_MYSQL_TLS=1: the private MariaDB also serves TLS, with a throw-away CA made by
# openssl on first start (CA file: $LOCKSTEP_HOME/mariadb/tls/ca.pem). For trying LOCKSTEP_MYSQL_SSL.
MYSQL_TLS="${LOCKSTEP_LOCAL_MYSQL_TLS:-}"
MYSQL_PASSWORD="${LOCKSTEP_LOCAL_MYSQL_PASSWORD:-lockstep}"
# LOCKSTEP_LOCAL_MYSQL_REPLICA=1: `up` also starts a MariaDB replica of the private primary on the
# next port (GTID replication, log_slave_updates, read_only until `promote-replica`). Its datadir
# is $LOCKSTEP_HOME/mariadb-replica; `status` and `down` cover it whenever it exists.
MYSQL_REPLICA="${LOCKSTEP_LOCAL_MYSQL_REPLICA:-}"
REPLICA_PORT=$((MYSQL_PORT + 1))
# The replica's connection to the primary: REPLICATION SLAVE only, from 127.0.0.1 only.
REPL_USER=lockstep_repl
REPL_PASSWORD="${LOCKSTEP_LOCAL_MYSQL_REPL_PASSWORD:-lockstep-repl}"
KAFKA_PORT="${LOCKSTEP_LOCAL_KAFKA_PORT:-9092}"
# Kafka nodes (each broker+controller): node i listens on KAFKA_PORT+i-1, its
# controller on KAFKA_CONTROLLER_PORT+i-1. The count is remembered by the home,
# so KAFKA_NODES and the controller port's default
# (KAFKA_PORT+nodes: 9093 for one node) are settled below, once paths are known.
KAFKA_NODES_ASKED="${LOCKSTEP_LOCAL_KAFKA_NODES:-}"
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
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:-}" # default per node count, below
UP_TIMEOUT="${LOCKSTEP_UP_TIMEOUT:-90}"     # seconds per component health wait
DOWN_TIMEOUT="${LOCKSTEP_DOWN_TIMEOUT:-30}" # seconds before SIGKILL

MARIADB_DIR="$LOCKSTEP_HOME/mariadb"
MARIADB_DATA="$MARIADB_DIR/data"
MARIADB_SOCK="$MARIADB_DIR/mysqld.sock"
MARIADB_CNF="$MARIADB_DIR/my.cnf"
MARIADB_TLS="$MARIADB_DIR/tls"
REPLICA_DIR="$LOCKSTEP_HOME/mariadb-replica"
REPLICA_DATA="$REPLICA_DIR/data"
REPLICA_SOCK="$REPLICA_DIR/mysqld.sock"
REPLICA_CNF="$REPLICA_DIR/my.cnf"
REPLICA_PROMOTED="$REPLICA_DIR/promoted" # present once promote-replica ran: no longer read-only
KAFKA_DIR="$LOCKSTEP_HOME/kafka"
LOG_DIR="$LOCKSTEP_HOME/logs"
RUN_DIR="$LOCKSTEP_HOME/run"
KAFKA_CACHE="$LOCKSTEP_CACHE/kafka-$KAFKA_VERSION"

log() { printf '[lockstep-infra] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# How many Kafka nodes this home has. A cluster home says so in kafka/nodes
# (written at its first up); a formatted one-node home (kafka/data, the layout
# from before clusters) counts as 1 and gets no such file, so existing homes
# stay exactly as they were. `up` refuses another count than the home was
# formatted for (the quorum's voters are fixed at format time); the other
# commands act on what the home holds.
KAFKA_NODES_HELD=""
if [[ -f "$KAFKA_DIR/nodes" ]]; then KAFKA_NODES_HELD="$(<"$KAFKA_DIR/nodes")"
elif [[ -f "$KAFKA_DIR/data/meta.properties" ]]; then KAFKA_NODES_HELD=1; fi
[[ -z "$KAFKA_NODES_ASKED" || "$KAFKA_NODES_ASKED" =~ ^[1-9][0-9]*$ ]] \
  || die "LOCKSTEP_LOCAL_KAFKA_NODES must be a whole number >= 1 (got '$KAFKA_NODES_ASKED')"
KAFKA_NODES_CONFLICT=""
if [[ -n "$KAFKA_NODES_HELD" && -n "$KAFKA_NODES_ASKED" && "$KAFKA_NODES_ASKED" != "$KAFKA_NODES_HELD" ]]; then
  KAFKA_NODES_CONFLICT="$KAFKA_DIR is formatted for $KAFKA_NODES_HELD Kafka node(s), not LOCKSTEP_LOCAL_KAFKA_NODES=$KAFKA_NODES_ASKED: set it to $KAFKA_NODES_HELD (or leave it unset), or run down and remove $KAFKA_DIR to start a new cluster"
fi
KAFKA_NODES="${KAFKA_NODES_HELD:-${KAFKA_NODES_ASKED:-1}}"
KAFKA_CONTROLLER_PORT="${LOCKSTEP_LOCAL_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + KAFKA_NODES))}"
# Three copies with two in sync, when there are that many nodes: any one node
# can die without losing an acknowledged write or refusing acks=all writes.
KAFKA_RF=$((KAFKA_NODES < 3 ? KAFKA_NODES : 3))
KAFKA_MIN_ISR=$((KAFKA_NODES < 2 ? KAFKA_NODES : 2))
if [[ -z "$KAFKA_HEAP_OPTS" ]]; then # a cluster is N JVMs on one small machine
  if ((KAFKA_NODES == 1)); then KAFKA_HEAP_OPTS="-Xms256m -Xmx512m"; else KAFKA_HEAP_OPTS="-Xms128m -Xmx384m"; fi
fi

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
    # Killed (SIGKILL pending) but not gone yet: a big JVM takes a moment to
    # exit and still holds its ports. Wait for it, so `kill -9` followed at
    # once by `up` starts a new process instead of finding the old one running.
    if sigkill_pending "$pid"; then
      local deadline=$((SECONDS + 10))
      while [[ -s "/proc/$pid/cmdline" ]] && ((SECONDS < deadline)); do sleep 0.1; done
      return 0
    fi
    echo "$pid"
  fi
}

# SIGKILL (signal 9, bit 8 of the pending masks) has been sent to process $1.
sigkill_pending() {
  local mask
  for mask in $(awk '/^(ShdPnd|SigPnd):/ {print $2}' "/proc/$1/status" 2>/dev/null); do
    (((16#$mask >> 8) & 1)) && return 0
  done
  return 1
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

# stop_pids <name> <pid> [<name> <pid>...]: SIGTERM to all at once, wait with
# one deadline, then SIGKILL. All at once because a KRaft node shuts down
# through the active controller: stopped one after another, the last nodes of
# a cluster would wait for a quorum that is already gone.
stop_pids() {
  local deadline=$((SECONDS + DOWN_TIMEOUT)) names=() pids=() i alive
  while (($# >= 2)); do names+=("$1"); pids+=("$2"); shift 2; done
  for i in "${!pids[@]}"; do
    log "stopping ${names[$i]} (pid ${pids[$i]})"
    kill -TERM "${pids[$i]}" 2>/dev/null || true
  done
  while :; do
    alive=()
    for i in "${!pids[@]}"; do kill -0 "${pids[$i]}" 2>/dev/null && alive+=("$i"); done
    ((${#alive[@]})) || return 0
    if ((SECONDS >= deadline)); then
      for i in "${alive[@]}"; do
        log "${names[$i]} did not exit within ${DOWN_TIMEOUT}s; sending SIGKILL"
        kill -KILL "${pids[$i]}" 2>/dev/null || true
      done
      sleep 0.5
      return 0
    fi
    sleep 0.2
  done
}
stop_pid() { stop_pids "$1" "$2"; }

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
  echo "${EXPORT_PREFIX}LOCKSTEP_KAFKA_BROKERS=${LOCKSTEP_KAFKA_BROKERS:-$(kafka_brokers)}"
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

# --------------------------------------------------------- MariaDB replica ---
#
# A GTID replica of the private primary, for failover tests: `up` (with
# LOCKSTEP_LOCAL_MYSQL_REPLICA=1) starts it on MYSQL_PORT+1, `promote-replica`
# turns it into a writable primary. MariaDB-only SQL below (marked): on MySQL 8
# (docker-compose) the same is gtid_mode=ON + enforce_gtid_consistency=ON,
# CHANGE REPLICATION SOURCE TO ... SOURCE_AUTO_POSITION=1, START/STOP REPLICA,
# RESET REPLICA ALL, super_read_only, WAIT_FOR_EXECUTED_GTID_SET().

replica_pid() { our_pid mariadb-replica "--datadir=$REPLICA_DATA"; }

replica_sql() { # replica_sql <sql...>: as root over the replica's socket, tab-separated, no header
  mariadb --no-defaults --protocol=socket --socket="$REPLICA_SOCK" -uroot -N -B -e "$*"
}
replica_slave_status() { # SHOW SLAVE STATUS as "Field: value" lines (MariaDB-only name; MySQL 8: SHOW REPLICA STATUS)
  mariadb --no-defaults --protocol=socket --socket="$REPLICA_SOCK" -uroot -e 'SHOW SLAVE STATUS\G'
}
primary_sql() {
  mariadb --no-defaults --protocol=socket --socket="$MARIADB_SOCK" -uroot -N -B -e "$*"
}

replica_ping() {
  mariadb-admin --no-defaults --protocol=socket --socket="$REPLICA_SOCK" -uroot ping
}

write_replica_cnf() {
  # The primary's binlog settings (write_mariadb_cnf: keep the two in step), its own
  # server_id, and log_slave_updates so that what it replicates is in its own binlog
  # with the primary's GTIDs: a relay can tail it, and after a promotion its history
  # continues the primary's. read_only until promoted (root, with READ_ONLY ADMIN, and
  # the replication thread still write; the lockstep user does not: see replica_up).
  local read_only=ON
  [[ -f "$REPLICA_PROMOTED" ]] && read_only=OFF
  cat >"$REPLICA_CNF" <<EOF
[mariadbd]
datadir=$REPLICA_DATA
socket=$REPLICA_SOCK
pid-file=$RUN_DIR/mariadb-replica.server.pid
port=$REPLICA_PORT
bind-address=127.0.0.1
user=root
skip-name-resolve
log_error=$LOG_DIR/mariadb-replica.log
server_id=2
log_bin=$REPLICA_DATA/binlog
relay_log=$REPLICA_DATA/relay
binlog_format=ROW
binlog_row_image=FULL
binlog_row_metadata=FULL
gtid_strict_mode=ON
log_slave_updates=ON
read_only=$read_only
expire_logs_days=2
max_allowed_packet=64M
innodb_flush_log_at_trx_commit=1
sync_binlog=1
sync_relay_log=1
sync_master_info=1
relay_log_recovery=ON
innodb_buffer_pool_size=128M
max_connections=300
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
EOF
}

# Whether the primary's binlog still holds its whole history: its first binlog file
# starts with an empty Gtid_list (nothing was logged before it). mariadb-install-db
# writes no binlog, so everything since (database, users, grants) is in there.
primary_binlog_complete() {
  local first
  first="$(primary_sql "SHOW BINARY LOGS" | head -n1 | cut -f1)"
  [[ -n "$first" ]] || return 1
  # MariaDB-only: the Gtid_list event (MySQL 8: Previous_gtids).
  primary_sql "SHOW BINLOG EVENTS IN '$first' LIMIT 4" | awk -F'\t' '$3 == "Gtid_list" { found = 1; exit !($6 == "[]") } END { if (!found) exit 1 }'
}

# Seeds a fresh replica and points it at the primary. From an empty GTID position when
# the primary's binlog holds its whole history (the usual case: a private primary's
# binlogs expire after 2 days); otherwise from a consistent dump that records the
# primary's GTID position (mariadb-dump --gtid --master-data), users included.
replica_seed() {
  local dump="$REPLICA_DIR/seed.sql"
  # sql_log_bin=0 on the replica: its own writes must not enter its binlog as GTIDs of
  # server 2, which would fork the history it replicates (gtid_strict_mode).
  if primary_binlog_complete; then
    log "replica: replicating the primary's whole binlog history (from an empty GTID position)"
    replica_sql "SET GLOBAL gtid_slave_pos = ''" || die "replica: SET GLOBAL gtid_slave_pos failed" # MariaDB-only
  else
    log "replica: the primary's binlog no longer holds its whole history; seeding from mariadb-dump --gtid --master-data"
    local dbs
    dbs="$(primary_sql "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ('mysql','information_schema','performance_schema','sys')" | tr '\n' ' ')"
    # The data, consistent at the GTID position it records (SET GLOBAL gtid_slave_pos).
    # shellcheck disable=SC2086
    mariadb-dump --no-defaults --protocol=socket --socket="$MARIADB_SOCK" -uroot \
      --single-transaction --gtid --master-data=1 --routines --events --triggers \
      --databases $dbs >"$dump" 2>"$LOG_DIR/mariadb-replica-seed.log" \
      || { tail -n 20 "$LOG_DIR/mariadb-replica-seed.log" >&2; die "replica: mariadb-dump of the primary failed"; }
    # Then the users and grants (CREATE USER IF NOT EXISTS + GRANT: a change made after the
    # data dump replicates again harmlessly). utf8mb3: mariadb-dump 10.11's user query fails
    # with "Illegal mix of collations" under collation-server=utf8mb4_unicode_ci.
    mariadb-dump --no-defaults --protocol=socket --socket="$MARIADB_SOCK" -uroot \
      --default-character-set=utf8mb3 --system=users --insert-ignore >>"$dump" 2>>"$LOG_DIR/mariadb-replica-seed.log" \
      || { tail -n 20 "$LOG_DIR/mariadb-replica-seed.log" >&2; die "replica: mariadb-dump --system=users of the primary failed"; }
    mariadb --no-defaults --protocol=socket --socket="$REPLICA_SOCK" -uroot --init-command="SET SESSION sql_log_bin=0" \
      <"$dump" >>"$LOG_DIR/mariadb-replica-seed.log" 2>&1 \
      || { tail -n 20 "$LOG_DIR/mariadb-replica-seed.log" >&2; die "replica: loading the primary's dump failed"; }
    rm -f "$dump"
    # Its own binlog starts where the primary's was (not empty), so that a promotion with
    # nothing replicated yet still continues the primary's GTID sequence. MariaDB-only.
    local pos; pos="$(replica_sql "SELECT @@gtid_slave_pos")" || die "replica: reading gtid_slave_pos failed"
    replica_sql "RESET MASTER; SET GLOBAL gtid_binlog_state = '$pos'" || die "replica: setting gtid_binlog_state to $pos failed"
  fi
  # MariaDB-only: MASTER_USE_GTID=slave_pos (MySQL 8: SOURCE_AUTO_POSITION=1).
  replica_sql "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$MYSQL_PORT, MASTER_USER='$REPL_USER', MASTER_PASSWORD='$REPL_PASSWORD', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE" \
    || die "replica: CHANGE MASTER / START SLAVE failed"
}

# replica_catch_up: waits (deadline UP_TIMEOUT) until the replica has applied everything
# the primary has logged so far; on a replication error, dies with it.
replica_catch_up() {
  local target reached status
  target="$(primary_sql "SELECT @@gtid_binlog_pos")"
  # MariaDB-only: MASTER_GTID_WAIT (MySQL 8: WAIT_FOR_EXECUTED_GTID_SET). -1 = timed out.
  reached="$(replica_sql "SELECT MASTER_GTID_WAIT('$target', $UP_TIMEOUT)")" || reached=-1
  [[ "$reached" == 0 ]] && return 0
  status="$(replica_slave_status 2>&1 | grep -E 'Slave_(IO|SQL)_Running:|Last_(IO|SQL)_Error:|Gtid_IO_Pos:' || true)"
  log "replica did not reach the primary's GTID position $target within ${UP_TIMEOUT}s:"
  printf '%s\n' "$status" >&2
  die "replica is not replicating (if the primary was re-created since, run down and remove $REPLICA_DIR to seed a new replica)"
}

replica_up() {
  [[ -z "${LOCKSTEP_MYSQL_URL:-}" ]] || die "LOCKSTEP_LOCAL_MYSQL_REPLICA=1 replicates the local MariaDB; unset LOCKSTEP_MYSQL_URL"
  local pid; pid="$(replica_pid)"
  if [[ -n "$pid" ]]; then
    log "mariadb-replica already running (pid $pid)"
    [[ -f "$REPLICA_PROMOTED" ]] || replica_catch_up
    return 0
  fi
  port_in_use "$REPLICA_PORT" && die "port $REPLICA_PORT (the replica's: LOCKSTEP_LOCAL_MYSQL_PORT + 1) is taken by something else (set LOCKSTEP_LOCAL_MYSQL_PORT)"
  mkdir -p "$REPLICA_DIR" "$LOG_DIR" "$RUN_DIR"
  write_replica_cnf
  local fresh=0
  if [[ ! -d "$REPLICA_DATA/mysql" ]]; then
    log "initialising MariaDB replica datadir $REPLICA_DATA"
    rm -rf "$REPLICA_DATA"; mkdir -p "$REPLICA_DATA"
    mariadb-install-db --defaults-file="$REPLICA_CNF" --user=root \
      --auth-root-authentication-method=socket --skip-test-db \
      >"$LOG_DIR/mariadb-replica-install.log" 2>&1 \
      || { tail -n 40 "$LOG_DIR/mariadb-replica-install.log" >&2; die "mariadb-install-db (replica) failed"; }
    fresh=1
  fi
  log "starting MariaDB replica on 127.0.0.1:$REPLICA_PORT"
  setsid mariadbd --defaults-file="$REPLICA_CNF" --datadir="$REPLICA_DATA" \
    </dev/null >>"$LOG_DIR/mariadb-replica.log" 2>&1 &
  echo $! >"$(pidfile mariadb-replica)"
  if ! wait_until "$UP_TIMEOUT" mariadb-replica "$LOG_DIR/mariadb-replica.log" replica_ping; then
    replica_down
    die "mariadb-replica failed to start"
  fi
  if [[ -f "$REPLICA_PROMOTED" ]]; then
    log "mariadb-replica up (pid $(cat "$(pidfile mariadb-replica)")), promoted: a primary of its own, not replicating"
    return 0
  fi
  # The replication user, on the primary (it replicates to the replica like every user).
  # And the app user loses READ_ONLY ADMIN (part of ALL PRIVILEGES on MariaDB >= 10.11,
  # MariaDB-only), or read_only would not stop it: a write on the replica would log a
  # GTID of server 2 and break replication (gtid_strict_mode). Harmless on the writable
  # primary; the primary's bootstrap grants it again at each start, so this runs each up.
  # (MySQL 8: super_read_only=ON stops even SUPER.)
  primary_sql "CREATE USER IF NOT EXISTS '$REPL_USER'@'127.0.0.1' IDENTIFIED BY '$REPL_PASSWORD';
ALTER USER '$REPL_USER'@'127.0.0.1' IDENTIFIED BY '$REPL_PASSWORD';
GRANT REPLICATION SLAVE ON *.* TO '$REPL_USER'@'127.0.0.1';
REVOKE READ_ONLY ADMIN ON *.* FROM 'lockstep'@'%', 'lockstep'@'127.0.0.1', 'lockstep'@'localhost'" \
    || die "could not create the replication user on the primary"
  if ((fresh)); then
    if ! (replica_seed); then replica_down; rm -rf "$REPLICA_DATA"; die "seeding the replica failed (nothing kept; the next up starts afresh)"; fi
  fi
  replica_catch_up
  log "mariadb-replica up (pid $(cat "$(pidfile mariadb-replica)")), replicating 127.0.0.1:$MYSQL_PORT at GTID $(replica_sql "SELECT @@gtid_slave_pos")"
}

replica_down() {
  local pid; pid="$(replica_pid)"
  if [[ -z "$pid" ]]; then
    [[ -d "$REPLICA_DIR" ]] && log "mariadb-replica not running (by us)"
    rm -f "$(pidfile mariadb-replica)"; return 0
  fi
  stop_pid mariadb-replica "$pid"
  rm -f "$(pidfile mariadb-replica)"
}

replica_status() {
  [[ -d "$REPLICA_DIR" || -n "$MYSQL_REPLICA" ]] || return 0
  local pid role=replica
  [[ -f "$REPLICA_PROMOTED" ]] && role=promoted
  pid="$(replica_pid)"
  if [[ -n "$pid" ]] && replica_ping >/dev/null 2>&1; then
    local detail
    if [[ "$role" == replica ]]; then
      detail="$(replica_slave_status | awk '$1 == "Slave_IO_Running:" { io = $2 } $1 == "Slave_SQL_Running:" { sql = $2 } END { printf "io=%s sql=%s", io, sql }')"
      detail+=" gtid_slave_pos=$(replica_sql "SELECT @@gtid_slave_pos")"
    else
      detail="gtid_binlog_pos=$(replica_sql "SELECT @@gtid_binlog_pos")"
    fi
    echo "mariadb-replica: up   pid=$pid port=127.0.0.1:$REPLICA_PORT role=$role read_only=$(replica_sql "SELECT IF(@@read_only, 'ON', 'OFF')") $detail"
  elif [[ -n "$pid" ]]; then
    echo "mariadb-replica: starting/unhealthy pid=$pid port=127.0.0.1:$REPLICA_PORT"
  else
    echo "mariadb-replica: down port=127.0.0.1:$REPLICA_PORT role=$role$(port_in_use "$REPLICA_PORT" && echo ' (port busy: NOT our process)')"
  fi
}

# promote-replica: the replica becomes a writable primary (after the primary died, or
# to move writers deliberately). It first applies everything it has received.
cmd_promote_replica() {
  [[ -n "$(replica_pid)" ]] || die "no running replica in $LOCKSTEP_HOME (start one with LOCKSTEP_LOCAL_MYSQL_REPLICA=1 $(basename "$0") up)"
  replica_ping >/dev/null 2>&1 || die "the replica (127.0.0.1:$REPLICA_PORT) does not answer; see $LOG_DIR/mariadb-replica.log"
  if [[ -f "$REPLICA_PROMOTED" ]]; then
    log "mariadb-replica is already promoted"
    return 0
  fi
  # MariaDB-only (MySQL 8: STOP REPLICA IO_THREAD, WAIT_FOR_EXECUTED_GTID_SET, RESET REPLICA ALL).
  local io_pos applied
  replica_sql "STOP SLAVE IO_THREAD" || die "replica: STOP SLAVE IO_THREAD failed"
  io_pos="$(replica_slave_status | awk '$1 == "Gtid_IO_Pos:" { print $2 }')"
  if [[ -n "$io_pos" ]]; then
    applied="$(replica_sql "SELECT MASTER_GTID_WAIT('$io_pos', $UP_TIMEOUT)")" || applied=-1
    [[ "$applied" == 0 ]] || die "replica: the relay log (up to GTID $io_pos) was not applied within ${UP_TIMEOUT}s; $(replica_slave_status | grep -E 'Last_SQL_Error:' | sed 's/^ *//')"
  fi
  replica_sql "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = OFF" || die "replica: promotion failed"
  touch "$REPLICA_PROMOTED"
  log "mariadb-replica promoted: 127.0.0.1:$REPLICA_PORT is writable (read_only=OFF), not replicating; gtid_binlog_pos $(replica_sql "SELECT @@gtid_binlog_pos")"
  echo "${EXPORT_PREFIX}LOCKSTEP_MYSQL_URL=mysql://lockstep:$MYSQL_PASSWORD@127.0.0.1:$REPLICA_PORT/lockstep"
}

# ------------------------------------------------------------------ Kafka ---

# Node i's files and ports. One node keeps the layout from before clusters
# (kafka/server.properties, kafka/data, run/kafka.pid, logs/kafka.log), so
# existing homes and whatever reads those paths keep working; node i of a
# cluster lives in kafka/node-<i>/ with run/kafka-<i>.pid, logs/kafka-<i>.log.
kafka_name() { if ((KAFKA_NODES == 1)); then echo kafka; else echo "kafka-$1"; fi; }
kafka_node_dir() { if ((KAFKA_NODES == 1)); then echo "$KAFKA_DIR"; else echo "$KAFKA_DIR/node-$1"; fi; }
kafka_props() { echo "$(kafka_node_dir "$1")/server.properties"; }
kafka_data() { echo "$(kafka_node_dir "$1")/data"; }
kafka_log4j() { echo "$(kafka_node_dir "$1")/log4j2.properties"; }
kafka_log() { echo "$LOG_DIR/$(kafka_name "$1").log"; }
kafka_port() { echo $((KAFKA_PORT + $1 - 1)); }
kafka_controller_port() { echo $((KAFKA_CONTROLLER_PORT + $1 - 1)); }
kafka_pid() { our_pid "$(kafka_name "$1")" "$(kafka_props "$1")"; }
kafka_nodes() { seq 1 "$KAFKA_NODES"; }
kafka_brokers() { # 127.0.0.1:<port> of every node, comma-joined
  local i out=""
  for i in $(kafka_nodes); do out+="${out:+,}127.0.0.1:$(kafka_port "$i")"; done
  echo "$out"
}
kafka_controllers() {
  local i out=""
  for i in $(kafka_nodes); do out+="${out:+,}127.0.0.1:$(kafka_controller_port "$i")"; done
  echo "$out"
}

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

write_kafka_config() { # write_kafka_config <node>
  local i="$1" props listeners protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT" sasl=""
  props="$(kafka_props "$i")"
  listeners="PLAINTEXT://127.0.0.1:$(kafka_port "$i")"
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
  # Internal topics get one partition per node, so the group and transaction
  # coordinators of a cluster spread over its brokers (one node: 1, as always).
  cat >"$props" <<EOF
process.roles=broker,controller
node.id=$i
controller.quorum.bootstrap.servers=$(kafka_controllers)
listeners=$listeners,CONTROLLER://127.0.0.1:$(kafka_controller_port "$i")
advertised.listeners=$listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
$sasl
log.dirs=$(kafka_data "$i")
num.partitions=1
default.replication.factor=$KAFKA_RF
min.insync.replicas=$KAFKA_MIN_ISR
offsets.topic.replication.factor=$KAFKA_RF
offsets.topic.num.partitions=$KAFKA_NODES
transaction.state.log.replication.factor=$KAFKA_RF
transaction.state.log.min.isr=$KAFKA_MIN_ISR
transaction.state.log.num.partitions=$KAFKA_NODES
share.coordinator.state.topic.replication.factor=$KAFKA_RF
share.coordinator.state.topic.min.isr=$KAFKA_MIN_ISR
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
log.retention.hours=48
EOF
  # Cluster-only lines, so a one-node server.properties is what it always was.
  if ((KAFKA_NODES > 1)); then
    cat >>"$props" <<EOF
share.coordinator.state.topic.num.partitions=$KAFKA_NODES
unclean.leader.election.enable=false
EOF
  fi
  # log4j2: everything into one file per node; keep it quiet enough to read.
  cat >"$(kafka_log4j "$i")" <<EOF
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $(kafka_log "$i")
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

kafka_java() { # kafka_java <node> <main-class> <args...>
  local log4j; log4j="$(kafka_log4j "$1")"; shift
  # shellcheck disable=SC2086
  java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$log4j" \
    -cp "$KAFKA_CACHE/libs/*" "$@"
}

# A Kafka Uuid (cluster id, directory id): 22 characters of URL-safe base64.
kafka_uuid() {
  local out
  out="$(kafka_java 1 kafka.tools.StorageTool random-uuid 2>&1)" || { tail -n 20 <<<"$out" >&2; return 1; }
  out="$(tail -n1 <<<"$out")"
  [[ "$out" =~ ^[A-Za-z0-9_-]{22}$ ]] || { log "unexpected random-uuid output: $out"; return 1; }
  echo "$out"
}

# Formats the nodes' storage once: meta.properties in a log dir means "already
# formatted". A datadir formatted by a different Kafka version is kept as is
# (KRaft storage is forward compatible); wipe $LOCKSTEP_HOME/kafka to start over.
#
# One node: a single-voter dynamic quorum (--standalone). A cluster: every
# node is formatted before any starts, with the same cluster id and the same
# --initial-controllers list (id@host:port:directory-id of all N controllers),
# so all N are voters of one dynamic (KIP-853) quorum from the first start.
# All or nothing: a voter cannot just be re-formatted later (the others know
# its directory id), so a half-formatted cluster is wiped or refused.
kafka_format() {
  local i formatted=0 cluster_id
  for i in $(kafka_nodes); do [[ -f "$(kafka_data "$i")/meta.properties" ]] && formatted=$((formatted + 1)); done
  ((formatted == KAFKA_NODES)) && return 0
  ((formatted == 0)) || die "only $formatted of the $KAFKA_NODES Kafka nodes in $KAFKA_DIR have formatted storage, and a quorum voter cannot be re-formatted on its own; run down and remove $KAFKA_DIR to start over"
  cluster_id="$(kafka_uuid)" || die "could not generate a cluster id"
  if ((KAFKA_NODES == 1)); then
    log "formatting KRaft storage (cluster id $cluster_id)"
    local scram=()
    [[ -n "$KAFKA_SASL_PORT" ]] && scram=(--add-scram "SCRAM-SHA-256=[name=$KAFKA_SCRAM_USER,password=$KAFKA_SCRAM_PASSWORD]")
    kafka_java 1 kafka.tools.StorageTool format --config "$(kafka_props 1)" \
      --cluster-id "$cluster_id" --standalone "${scram[@]}" >"$LOG_DIR/kafka-format.log" 2>&1 \
      || { tail -n 40 "$LOG_DIR/kafka-format.log" >&2; die "kafka storage format failed"; }
    return 0
  fi
  local voters="" dir_id pids=() failed=0
  for i in $(kafka_nodes); do
    dir_id="$(kafka_uuid)" || die "could not generate a directory id"
    voters+="${voters:+,}$i@127.0.0.1:$(kafka_controller_port "$i"):$dir_id"
  done
  log "formatting KRaft storage of $KAFKA_NODES nodes (cluster id $cluster_id, initial controllers $voters)"
  for i in $(kafka_nodes); do
    kafka_java "$i" kafka.tools.StorageTool format --config "$(kafka_props "$i")" \
      --cluster-id "$cluster_id" --initial-controllers "$voters" >"$LOG_DIR/$(kafka_name "$i")-format.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed=1; done
  if ((failed)); then
    for i in $(kafka_nodes); do tail -n 20 "$LOG_DIR/$(kafka_name "$i")-format.log" >&2 || true; done
    for i in $(kafka_nodes); do rm -rf "$(kafka_data "$i")"; done
    die "kafka storage format failed (nothing kept; the next up formats afresh)"
  fi
}

kafka_launch() { # kafka_launch <node>: starts it in the background, pid into its pid file
  local i="$1" name; name="$(kafka_name "$1")"
  if ((KAFKA_NODES == 1)); then
    log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)"
  else
    log "starting Kafka $KAFKA_VERSION node $i on 127.0.0.1:$(kafka_port "$i") (controller :$(kafka_controller_port "$i"))"
  fi
  # stdout/err (JVM crashes, early log4j errors) go to a side file; the broker
  # log proper is written by log4j2 to logs/<name>.log.
  # shellcheck disable=SC2086
  setsid java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$(kafka_log4j "$i")" \
    -Dkafka.logs.dir="$LOG_DIR" -cp "$KAFKA_CACHE/libs/*" kafka.Kafka "$(kafka_props "$i")" \
    </dev/null >>"$LOG_DIR/$name.stdout.log" 2>&1 &
  echo $! >"$(pidfile "$name")"
}

# kafka_ping <node> [<brokers>]: the node answers a metadata request listing
# itself (so it is registered and unfenced) and at least <brokers> brokers.
kafka_ping() {
  local out
  out="$(kcat -b "127.0.0.1:$(kafka_port "$1")" -L -m 3 2>/dev/null)" || return 1
  grep -q "broker $1 at" <<<"$out" || return 1
  (($(grep -c "broker [0-9]* at" <<<"$out") >= ${2:-1}))
}

# kafka_alive <node>: the process we just launched has not exited. (Not
# kafka_pid: right after the fork its command line is still ours, not java's.)
kafka_alive() {
  local pid state
  pid="$(cat "$(pidfile "$(kafka_name "$1")")" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  state="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)" || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# kafka_wait <node...>: until each answers with all N brokers in its metadata
# (a restarted node has caught up with the quorum and the others see it), one
# deadline for all; fails at once if one of them exits.
kafka_wait() {
  local deadline=$((SECONDS + UP_TIMEOUT)) i waiting=("$@") left failed=()
  while ((${#waiting[@]})); do
    left=()
    for i in "${waiting[@]}"; do
      if ! kafka_alive "$i"; then failed+=("$i")
      elif ! kafka_ping "$i" "$KAFKA_NODES"; then left+=("$i"); fi
    done
    waiting=("${left[@]}")
    if ((${#failed[@]})) || { ((${#waiting[@]})) && ((SECONDS >= deadline)); }; then
      for i in "${failed[@]}"; do log "$(kafka_name "$i") exited while starting; last log lines ($(kafka_log "$i")):"; done
      for i in "${waiting[@]}"; do
        if ((${#failed[@]})); then log "$(kafka_name "$i") not healthy yet; last log lines ($(kafka_log "$i")):"
        else log "$(kafka_name "$i") did not become healthy (metadata listing all $KAFKA_NODES brokers) within ${UP_TIMEOUT}s; last log lines ($(kafka_log "$i")):"; fi
      done
      for i in "${failed[@]}" "${waiting[@]}"; do
        tail -n 40 "$(kafka_log "$i")" >&2 || true
        tail -n 20 "$LOG_DIR/$(kafka_name "$i").stdout.log" >&2 || true
      done
      return 1
    fi
    ((${#waiting[@]})) && sleep 0.5
  done
  return 0
}

# kafka_await_exit <node>: a node killed a moment ago holds its ports for a
# little while after its command line is gone (the JVM's other threads are
# still exiting), so `kill -9` followed at once by `up` would find its port
# "taken by something else". If the pid in its pid file still exists without a
# command line (exiting, or a zombie), wait for the ports, bounded.
kafka_await_exit() {
  local pid deadline=$((SECONDS + 10))
  pid="$(cat "$(pidfile "$(kafka_name "$1")")" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ && -e "/proc/$pid" && ! -s "/proc/$pid/cmdline" ]] || return 0
  while { port_in_use "$(kafka_port "$1")" || port_in_use "$(kafka_controller_port "$1")"; } && ((SECONDS < deadline)); do
    sleep 0.05
  done
}

# Starts every node that is not running (all of them, or the one an outside
# script killed); nodes already running are left alone. They start in
# parallel: a cluster node waits for a majority of the quorum.
kafka_up() {
  if [[ -n "${LOCKSTEP_KAFKA_BROKERS:-}" ]]; then
    log "LOCKSTEP_KAFKA_BROKERS is set; not starting a local Kafka"
    return 0
  fi
  [[ -z "$KAFKA_NODES_CONFLICT" ]] || die "$KAFKA_NODES_CONFLICT"
  ((KAFKA_NODES == 1)) || [[ -z "$KAFKA_SASL_PORT" ]] \
    || die "LOCKSTEP_LOCAL_KAFKA_SASL_PORT is for a one-node Kafka only (LOCKSTEP_LOCAL_KAFKA_NODES=$KAFKA_NODES)"
  local i pid down=()
  for i in $(kafka_nodes); do
    pid="$(kafka_pid "$i")"
    if [[ -n "$pid" ]]; then log "$(kafka_name "$i") already running (pid $pid)"; else down+=("$i"); fi
  done
  ((${#down[@]})) || return 0
  command -v java >/dev/null 2>&1 || die "java not found (Kafka needs Java 17+)"
  for i in "${down[@]}"; do
    kafka_await_exit "$i"
    port_in_use "$(kafka_port "$i")" && die "port $(kafka_port "$i") is taken by something else (set LOCKSTEP_LOCAL_KAFKA_PORT)"
    port_in_use "$(kafka_controller_port "$i")" && die "port $(kafka_controller_port "$i") is taken (set LOCKSTEP_LOCAL_KAFKA_CONTROLLER_PORT)"
  done
  [[ -n "$KAFKA_SASL_PORT" ]] && port_in_use "$KAFKA_SASL_PORT" && die "port $KAFKA_SASL_PORT is taken (set LOCKSTEP_LOCAL_KAFKA_SASL_PORT)"
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  for i in "${down[@]}"; do mkdir -p "$(kafka_data "$i")"; done
  kafka_fetch
  for i in "${down[@]}"; do write_kafka_config "$i"; done
  kafka_format
  # Formatted: from now on this home is a cluster of this many nodes (read back at the top).
  ((KAFKA_NODES == 1)) || echo "$KAFKA_NODES" >"$KAFKA_DIR/nodes"
  for i in "${down[@]}"; do kafka_launch "$i"; done
  if ! kafka_wait "${down[@]}"; then
    kafka_stop "${down[@]}" # don't leave half-started nodes that a rerun would skip
    die "kafka failed to start"
  fi
  for i in "${down[@]}"; do log "$(kafka_name "$i") up (pid $(cat "$(pidfile "$(kafka_name "$i")")"))"; done
}

kafka_stop() { # kafka_stop <node...>: the ones of them that are ours and running
  local i pid to_stop=()
  for i in "$@"; do
    pid="$(kafka_pid "$i")"
    if [[ -n "$pid" ]]; then to_stop+=("$(kafka_name "$i")" "$pid")
    else log "$(kafka_name "$i") not running (by us)"; rm -f "$(pidfile "$(kafka_name "$i")")"; fi
  done
  ((${#to_stop[@]})) || return 0
  stop_pids "${to_stop[@]}"
  for i in "$@"; do rm -f "$(pidfile "$(kafka_name "$i")")"; done
}

kafka_down() {
  # shellcheck disable=SC2046
  kafka_stop $(kafka_nodes)
}

kafka_status() {
  local i pid
  if [[ -n "${LOCKSTEP_KAFKA_BROKERS:-}" ]]; then
    echo "kafka:   external ($LOCKSTEP_KAFKA_BROKERS)"
    return 0
  fi
  if ((KAFKA_NODES == 1)); then
    pid="$(kafka_pid 1)"
    if [[ -n "$pid" ]] && kafka_ping 1 >/dev/null 2>&1; then
      echo "kafka:   up   pid=$pid port=127.0.0.1:$KAFKA_PORT controller=127.0.0.1:$KAFKA_CONTROLLER_PORT version=$KAFKA_VERSION"
    elif [[ -n "$pid" ]]; then
      echo "kafka:   starting/unhealthy pid=$pid port=127.0.0.1:$KAFKA_PORT"
    else
      echo "kafka:   down port=127.0.0.1:$KAFKA_PORT$(port_in_use "$KAFKA_PORT" && echo ' (port busy: NOT our process)')"
    fi
    return 0
  fi
  echo "kafka:   $KAFKA_NODES-node cluster version=$KAFKA_VERSION brokers=$(kafka_brokers) (replication $KAFKA_RF, min ISR $KAFKA_MIN_ISR)"
  for i in $(kafka_nodes); do
    local port controller
    port="$(kafka_port "$i")"; controller="$(kafka_controller_port "$i")"
    pid="$(kafka_pid "$i")"
    if [[ -n "$pid" ]] && kafka_ping "$i" >/dev/null 2>&1; then
      echo "kafka-$i: up   pid=$pid port=127.0.0.1:$port controller=127.0.0.1:$controller"
    elif [[ -n "$pid" ]]; then
      echo "kafka-$i: starting/unhealthy pid=$pid port=127.0.0.1:$port controller=127.0.0.1:$controller"
    else
      echo "kafka-$i: down port=127.0.0.1:$port controller=127.0.0.1:$controller$(port_in_use "$port" && echo ' (port busy: NOT our process)')"
    fi
  done
}

# ------------------------------------------------------------- commands ---

# Commands take an optional component (kafka|mariadb); none means both. A test
# can then restart a killed broker (`up kafka`) without touching MariaDB.
cmd_up() {
  ensure_apt_pkg kcat kcat   # health check + handy CLI
  [[ "$1" == kafka ]] || mariadb_up
  [[ "$1" == kafka || "$MYSQL_REPLICA" != 1 ]] || replica_up
  [[ "$1" == mariadb ]] || kafka_up
  echo "# Lockstep infra is up. Client environment:"
  [[ "$1" == kafka ]] || mysql_env_line
  [[ "$1" == kafka || "$MYSQL_REPLICA" != 1 ]] || echo "# replica: mysql://lockstep:$MYSQL_PASSWORD@127.0.0.1:$REPLICA_PORT/lockstep"

  [[ "$1" == mariadb ]] || kafka_env_line
}

cmd_down() {
  # Kafka first: it does not depend on MariaDB, but stopping the heavier JVM
  # first frees memory sooner.
  [[ "$1" == mariadb ]] || kafka_down
  [[ "$1" == kafka ]] || replica_down
  [[ "$1" == kafka ]] || mariadb_down
}

mariadb_status() {
  local pid
  if [[ -n "${LOCKSTEP_MYSQL_URL:-}" ]]; then
    echo "mariadb: external ($LOCKSTEP_MYSQL_URL)"
    return 0
  fi
  pid="$(mariadb_pid)"
  if [[ -n "$pid" ]] && mariadb_ping >/dev/null 2>&1; then
    echo "mariadb: up   pid=$pid port=127.0.0.1:$MYSQL_PORT socket=$MARIADB_SOCK"
  elif [[ -n "$pid" ]]; then
    echo "mariadb: starting/unhealthy pid=$pid port=127.0.0.1:$MYSQL_PORT"
  else
    echo "mariadb: down port=127.0.0.1:$MYSQL_PORT$(port_in_use "$MYSQL_PORT" && echo ' (port busy: NOT our process)')"
  fi
}

cmd_status() {
  [[ "$1" == kafka ]] || mariadb_status
  [[ "$1" == kafka ]] || replica_status
  [[ "$1" == mariadb ]] || kafka_status
}

cmd_logs() { # cmd_logs [mariadb | kafka [<node>]]
  local i logs=()
  case "${1:-}" in
    "") echo "mariadb: $LOG_DIR/mariadb.log"
        for i in $(kafka_nodes); do
          printf '%-8s %s (JVM stdout/stderr: %s)\n' "$(kafka_name "$i"):" "$(kafka_log "$i")" "$LOG_DIR/$(kafka_name "$i").stdout.log"
        done ;;
    mariadb) tail -n "${LINES_TO_SHOW:-100}" "$LOG_DIR/mariadb.log" ;;
    kafka)
      if [[ -n "${2:-}" ]]; then
        [[ "$2" =~ ^[0-9]+$ ]] && (($2 >= 1 && $2 <= KAFKA_NODES)) || die "no Kafka node '$2' (1..$KAFKA_NODES)"
        logs=("$(kafka_log "$2")")
      else
        for i in $(kafka_nodes); do logs+=("$(kafka_log "$i")"); done
      fi
      tail -n "${LINES_TO_SHOW:-100}" "${logs[@]}" ;;
    *) die "unknown component '$1' (kafka|mariadb)" ;;
  esac
}

usage() {
  cat <<EOF
usage: $(basename "$0") <command> [kafka|mariadb]
  up                 start private MariaDB (:$MYSQL_PORT) and Kafka ($(kafka_brokers)); idempotent:
                     starts whatever is down (e.g. one killed node of a cluster), leaves the rest
  down               stop only the processes this script started
  promote-replica    make the replica (LOCKSTEP_LOCAL_MYSQL_REPLICA=1 up: :$REPLICA_PORT, GTID replica of
                     :$MYSQL_PORT) a writable primary: STOP SLAVE; RESET SLAVE ALL; read_only=OFF
  status             show each component's (each Kafka node's) pid/port/health
  logs [kafka [<node>]|mariadb]  print log paths, or tail logs
  env [--export]     print the client environment (LOCKSTEP_MYSQL_URL, LOCKSTEP_KAFKA_BROKERS);
                     e.g. eval "\$($(basename "$0") env --export)"
Kafka nodes: LOCKSTEP_LOCAL_KAFKA_NODES (default 1; 3 = a three-node KRaft cluster on
consecutive ports from LOCKSTEP_LOCAL_KAFKA_PORT); this home: $KAFKA_NODES.
state: $LOCKSTEP_HOME   cache: $LOCKSTEP_CACHE
EOF
}

main() {
  local cmd="${1:-}"; shift || true
  case "$cmd" in
    up|down|status)
      case "${1:-}" in ""|kafka|mariadb) ;; *) die "unknown component '$1' (kafka|mariadb)" ;; esac
      if [[ -n "$KAFKA_NODES_CONFLICT" && "$cmd" != up ]]; then
        log "warning: $KAFKA_NODES_CONFLICT (acting on the $KAFKA_NODES_HELD node(s) it holds)"
      fi ;;
  esac
  case "$cmd" in
    up) cmd_up "${1:-}" ;;
    down) cmd_down "${1:-}" ;;
    status) cmd_status "${1:-}" ;;
    promote-replica) cmd_promote_replica ;;
    logs) cmd_logs "$@" ;;
    env) [[ "${1:-}" == --export ]] && EXPORT_PREFIX="export "
         mysql_env_line; kafka_env_line ;;
    -h|--help|help|"") usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"

#!/usr/bin/env bash
# Throwaway Redis 7 and PostgreSQL 15 servers for Parmana's tests, CI and demos.
#
#   eval "$(scripts/services.sh start)"      # both; or: start redis | start postgres
#   scripts/services.sh env                  # re-print the export lines
#   scripts/services.sh stop-redis           # stop, keep data + state (also stop-postgres)
#   scripts/services.sh restart-redis        # same port, same data (also restart-postgres)
#   scripts/services.sh stop                 # stop everything, delete the temp dirs
#
# Installs redis-server / postgresql with apt-get when missing (sudo only when not root),
# runs each server as an unprivileged user (as root: system user "parmana-svc") in a fresh
# temp dir, on a free port, bound to 127.0.0.1. Only the `export PARMANA_TEST_...=` lines go
# to stdout (and to ${PARMANA_SERVICES_DIR:-/tmp/parmana-services}/env); progress and errors
# go to stderr. `start` while services are recorded in the state file stops those first and
# starts fresh ones (new ports, new passwords, empty data). Run with --help for details.
set -euo pipefail

STATE_DIR="${PARMANA_SERVICES_DIR:-/tmp/parmana-services}"
ENV_FILE="$STATE_DIR/env"
TIMEOUT="${PARMANA_SERVICES_TIMEOUT:-30}"          # seconds to wait for a server
SVC_NAME="${PARMANA_SERVICE_USER:-parmana-svc}"     # used only when run as root
PG_BIN="${PARMANA_PG_BIN:-/usr/lib/postgresql/15/bin}"
REDIS_SERVER_BIN=/usr/bin/redis-server
REDIS_CLI_BIN=/usr/bin/redis-cli

usage() {
  cat <<'EOF'
Usage: scripts/services.sh COMMAND

  start [redis] [postgres]  Install if missing, then start the given servers (default: both)
                            on free 127.0.0.1 ports in fresh temp dirs. Services already
                            recorded in the state file are stopped and deleted first.
                            Prints `export PARMANA_TEST_...=...` lines on stdout:
                              eval "$(scripts/services.sh start)"
  env                       Re-print the export lines of the recorded services.
  stop                      Stop everything `start` started, delete temp dirs and state.
                            Idempotent; succeeds when nothing runs.
  stop-redis|stop-postgres  Stop one server, keeping its data, port and state.
  restart-redis|restart-postgres
                            Stop (if running) and start that server again with the SAME
                            port, config, password and data.
  -h, --help                This text.

Environment:
  PARMANA_SERVICES_DIR      State directory (default /tmp/parmana-services; env file inside)
  PARMANA_SERVICES_TIMEOUT  Seconds to wait for a server to answer (default 30)
  PARMANA_SERVICE_USER      User the servers run as when invoked as root (default parmana-svc)

Exported variables: PARMANA_TEST_REDIS_URL, PARMANA_TEST_REDIS_ACL_URL (user "parmana"),
PARMANA_TEST_REDIS_PID, PARMANA_TEST_REDIS_CONF, PARMANA_TEST_REDIS_SERVER,
PARMANA_TEST_POSTGRES_URL (superuser "parmana", database "parmana"), PARMANA_TEST_POSTGRES_PID,
PARMANA_TEST_POSTGRES_DATA, PARMANA_TEST_PG_CTL, PARMANA_TEST_SERVICE_USER.
Ports, URLs, passwords and paths stay the same across stop-*/restart-*; the PIDs change
(re-read them with `scripts/services.sh env`, which also rewrites the env file).

To restart a server by hand as the same user (as root):
  setpriv --reuid=$PARMANA_TEST_SERVICE_USER --regid=$PARMANA_TEST_SERVICE_USER --init-groups \
    $PARMANA_TEST_PG_CTL -D $PARMANA_TEST_POSTGRES_DATA -l $PARMANA_TEST_POSTGRES_DATA/../postgres.log -w start
EOF
}

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- users & privileges
IS_ROOT=0; [ "$(id -u)" -eq 0 ] && IS_ROOT=1
RUNAS=()      # command prefix that drops to the service user (empty when not root)
SVC_USER=""

setup_service_user() {
  if [ "$IS_ROOT" -eq 1 ]; then
    SVC_USER="$SVC_NAME"
    if ! id -u "$SVC_USER" >/dev/null 2>&1; then
      log "creating system user $SVC_USER"
      useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$SVC_USER" >&2
    fi
    local uid gid
    uid=$(id -u "$SVC_USER"); gid=$(id -g "$SVC_USER")
    [ "$uid" -ne 0 ] || die "service user $SVC_USER has uid 0; pick another PARMANA_SERVICE_USER"
    if command -v setpriv >/dev/null 2>&1; then
      RUNAS=(setpriv "--reuid=$uid" "--regid=$gid" --init-groups --)
    else
      RUNAS=(runuser -u "$SVC_USER" --)
    fi
  else
    SVC_USER="$(id -un)"
    RUNAS=()
  fi
}

# Run a command as the service user, with HOME and cwd inside directory $1.
as_svc() {
  local dir="$1"; shift
  (cd "$dir" && HOME="$dir" "${RUNAS[@]}" "$@")
}

own_by_svc() { [ "$IS_ROOT" -eq 1 ] && chown -R "$SVC_USER:$(id -gn "$SVC_USER")" "$@"; return 0; }

# ---------------------------------------------------------------- packages
apt_retry() {  # apt-get with a wait on the dpkg lock and a few retries for the lists lock
  local sudo=() out attempt
  [ "$IS_ROOT" -eq 1 ] || sudo=(sudo)
  out=$(mktemp)
  for attempt in 1 2 3 4 5 6; do
    if "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=60 \
        "$@" >"$out" 2>&1; then
      rm -f "$out"; return 0
    fi
    if grep -qiE 'lock|Could not get lock|is another process using it' "$out" && [ "$attempt" -lt 6 ]; then
      log "apt/dpkg lock is held; retrying in 5s ($attempt/6)"; sleep 5; continue
    fi
    tail -n 20 "$out" >&2; rm -f "$out"; return 1
  done
}

ensure_packages() {  # $@: redis postgres
  local need=() what
  for what in "$@"; do
    case "$what" in
      redis) [ -x "$REDIS_SERVER_BIN" ] && [ -x "$REDIS_CLI_BIN" ] || need+=(redis-server redis-tools) ;;
      postgres) [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/pg_isready" ] \
                  && command -v psql >/dev/null 2>&1 || need+=(postgresql postgresql-client) ;;
    esac
  done
  [ ${#need[@]} -gt 0 ] || return 0
  log "installing ${need[*]} (apt-get)"
  apt_retry update || die "apt-get update failed"
  apt_retry install -y --no-install-recommends "${need[@]}" || die "apt-get install ${need[*]} failed"
  for what in "$@"; do
    case "$what" in
      redis) [ -x "$REDIS_SERVER_BIN" ] || die "$REDIS_SERVER_BIN missing after install" ;;
      postgres) [ -x "$PG_BIN/initdb" ] || die "$PG_BIN/initdb missing after install (not PostgreSQL 15?)" ;;
    esac
  done
}

# ---------------------------------------------------------------- ports, secrets, state
# port_in_use PORT [listen]: is there a TCP socket (v4 or v6) with that local port? With
# "listen", only listening sockets count (TIME_WAIT leftovers don't block a restart: both
# servers bind with SO_REUSEADDR); without it any state counts (conservative, for new picks).
port_in_use() {
  local hex files=() f
  hex=$(printf ':%04X' "$1")
  for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && files+=("$f"); done
  [ ${#files[@]} -gt 0 ] || { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; return $?; }
  awk -v p="$hex" -v only="${2:-}" 'FNR > 1 && substr($2, length($2) - 4) == p && (only == "" || $4 == "0A") { found = 1 }
    END { exit !found }' "${files[@]}"
}

free_port() {  # below the kernel's ephemeral range, so outgoing connections never take it
  local low hi port i
  low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  hi=$(( low > 20000 ? low - 1 : 32767 )); low=15000
  for i in $(seq 1 200); do
    port=$(( low + (RANDOM * 32768 + RANDOM) % (hi - low + 1) ))
    port_in_use "$port" || { echo "$port"; return 0; }
  done
  die "could not find a free TCP port"
}

random_password() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

ensure_state_dir() {
  mkdir -p "$STATE_DIR"
  [ -O "$STATE_DIR" ] || die "$STATE_DIR is not owned by $(id -un); set PARMANA_SERVICES_DIR"
  chmod 700 "$STATE_DIR"
}

# State files hold KEY=VALUE lines; parsed (not sourced), only known keys accepted.
read_state() {  # $1: redis|postgres ; sets <KIND>_* variables; returns 1 if no state
  local file="$STATE_DIR/$1.state" k v
  [ -f "$file" ] || return 1
  [ -O "$file" ] || die "$file is not owned by $(id -un)"
  while IFS='=' read -r k v; do
    case "$k" in
      REDIS_DIR|REDIS_PORT|REDIS_PASSWORD|PG_DIR|PG_PORT|PG_PASSWORD|STATE_SVC_USER) printf -v "$k" '%s' "$v" ;;
    esac
  done <"$file"
}

write_state() {  # $1: kind, rest: KEY=VALUE
  local kind="$1"; shift
  ensure_state_dir
  printf '%s\n' "$@" >"$STATE_DIR/$kind.state.tmp"
  mv "$STATE_DIR/$kind.state.tmp" "$STATE_DIR/$kind.state"
}

pid_matches() {  # $1 pid, $2 substring expected in its command line (zombies don't match)
  local pid="$1"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}

redis_pid() { local p; p=$(cat "$REDIS_DIR/redis.pid" 2>/dev/null || true); pid_matches "$p" redis-server && echo "$p" || true; }
pg_pid() { local p; p=$(head -n1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true); pid_matches "$p" postgres && echo "$p" || true; }

emit_env() {  # prints the export lines of the recorded services and rewrites the env file
  local out="" user=""
  REDIS_DIR=""; PG_DIR=""
  if read_state redis; then
    user="$STATE_SVC_USER"
    [ -n "$(redis_pid)" ] || log "note: redis is not running (restart-redis starts it again)"
    out+=$(printf 'export PARMANA_TEST_REDIS_URL=%q\n' "redis://127.0.0.1:$REDIS_PORT")$'\n'
    out+=$(printf 'export PARMANA_TEST_REDIS_ACL_URL=%q\n' "redis://parmana:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT")$'\n'
    out+=$(printf 'export PARMANA_TEST_REDIS_PID=%q\n' "$(redis_pid)")$'\n'
    out+=$(printf 'export PARMANA_TEST_REDIS_CONF=%q\n' "$REDIS_DIR/redis.conf")$'\n'
    out+=$(printf 'export PARMANA_TEST_REDIS_SERVER=%q\n' "$REDIS_SERVER_BIN")$'\n'
  fi
  if read_state postgres; then
    user="$STATE_SVC_USER"
    [ -n "$(pg_pid)" ] || log "note: postgres is not running (restart-postgres starts it again)"
    out+=$(printf 'export PARMANA_TEST_POSTGRES_URL=%q\n' "postgres://parmana:$PG_PASSWORD@127.0.0.1:$PG_PORT/parmana")$'\n'
    out+=$(printf 'export PARMANA_TEST_POSTGRES_PID=%q\n' "$(pg_pid)")$'\n'
    out+=$(printf 'export PARMANA_TEST_POSTGRES_DATA=%q\n' "$PG_DIR/data")$'\n'
    out+=$(printf 'export PARMANA_TEST_PG_CTL=%q\n' "$PG_BIN/pg_ctl")$'\n'
  fi
  if [ -z "$out" ]; then
    rm -f "$ENV_FILE"
    return 1
  fi
  out+=$(printf 'export PARMANA_TEST_SERVICE_USER=%q\n' "$user")$'\n'
  ensure_state_dir
  printf '%s' "$out" >"$ENV_FILE.tmp"; mv "$ENV_FILE.tmp" "$ENV_FILE"
  printf '%s' "$out"
}

# A killed server stays a zombie until PID 1 reaps it (in some containers/VMs that takes
# ~1-2 s). It no longer runs nor holds its port, so is_alive treats zombies as dead.
is_alive() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# PostgreSQL refuses to start while the PID in postmaster.pid still exists, even as a
# zombie (it uses kill(pid, 0)), so before (re)starting wait for the old PID to vanish.
wait_reaped() {  # $1 pid; bounded, never fails
  local pid="$1" i
  [ -n "$pid" ] || return 0
  for i in $(seq 1 $(( TIMEOUT * 10 ))); do
    kill -0 "$pid" 2>/dev/null || return 0
    is_alive "$pid" && return 0   # a live process (PID reused?): nothing to wait for
    sleep 0.1
  done
}

wait_gone() {  # $1 pid: wait up to TIMEOUT s, then SIGKILL
  local pid="$1" i
  for i in $(seq 1 $(( TIMEOUT * 10 ))); do
    is_alive "$pid" || return 0
    sleep 0.1
  done
  log "pid $pid did not exit after ${TIMEOUT}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}

# ---------------------------------------------------------------- redis
write_redis_conf() {
  cat >"$REDIS_DIR/redis.conf" <<EOF
# Written by scripts/services.sh — throwaway Redis for Parmana tests.
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize no
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
dir $REDIS_DIR/data
appendonly yes
appendfsync always
maxmemory-policy noeviction
save ""
# default user stays usable without a password; "parmana" is for AUTH tests
user default on nopass ~* &* +@all
user parmana on >$REDIS_PASSWORD ~* &* +@all
EOF
}

launch_redis() {  # starts redis from $REDIS_DIR/redis.conf and waits for PING; 0 ok, 1 fail
  local pid i reply
  touch "$REDIS_DIR/redis.log"; own_by_svc "$REDIS_DIR"
  rm -f "$REDIS_DIR/redis.pid"
  (cd "$REDIS_DIR" && HOME="$REDIS_DIR" exec setsid "${RUNAS[@]}" "$REDIS_SERVER_BIN" "$REDIS_DIR/redis.conf" \
      </dev/null >>"$REDIS_DIR/redis.log" 2>&1) &
  pid=$!
  for i in $(seq 1 $(( TIMEOUT * 10 ))); do
    reply=$(timeout 2 "$REDIS_CLI_BIN" -h 127.0.0.1 -p "$REDIS_PORT" PING 2>/dev/null || true)
    [ "$reply" = PONG ] && [ -n "$(redis_pid)" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null && wait_gone "$pid"
  return 1
}

start_redis() {
  local attempt
  REDIS_DIR=$(mktemp -d "${TMPDIR_BASE}/parmana-redis.XXXXXX")
  mkdir -p "$REDIS_DIR/data"
  REDIS_PASSWORD=$(random_password)
  STARTED+=(redis)
  for attempt in 1 2 3; do
    REDIS_PORT=$(free_port)
    write_redis_conf
    write_state redis "REDIS_DIR=$REDIS_DIR" "REDIS_PORT=$REDIS_PORT" \
      "REDIS_PASSWORD=$REDIS_PASSWORD" "STATE_SVC_USER=$SVC_USER"
    log "starting redis on 127.0.0.1:$REDIS_PORT as $SVC_USER (dir $REDIS_DIR)"
    launch_redis && { log "redis is up (pid $(redis_pid))"; return 0; }
    grep -q 'Address already in use' "$REDIS_DIR/redis.log" 2>/dev/null || break
    log "port $REDIS_PORT was taken meanwhile; trying another"
  done
  log "redis did not come up (exited, or no PONG within ${TIMEOUT}s); last lines of $REDIS_DIR/redis.log:"
  tail -n 25 "$REDIS_DIR/redis.log" >&2 || true
  die "redis failed to start"
}

stop_redis_proc() {
  local pid; pid=$(redis_pid)
  [ -n "$pid" ] || return 0
  log "stopping redis (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$pid"
}

# ---------------------------------------------------------------- postgres
launch_pg() {  # starts postgres from $PG_DIR/data and waits for pg_isready; 0 ok, 1 fail
  local i old lines deadline=$(( SECONDS + TIMEOUT ))
  touch "$PG_DIR/postgres.log"; own_by_svc "$PG_DIR/postgres.log"
  # after a crash (kill -9) the old postmaster may linger as a zombie, and its children
  # need a moment to notice and detach from shared memory
  old=$(head -n1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true)
  case "$old" in ''|*[!0-9]*) ;; *) is_alive "$old" || wait_reaped "$old" ;; esac
  while :; do
    lines=$(wc -l <"$PG_DIR/postgres.log")
    as_svc "$PG_DIR" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t "$TIMEOUT" -s start \
      </dev/null >&2 && break
    if [ "$SECONDS" -lt "$deadline" ] && tail -n +"$((lines + 1))" "$PG_DIR/postgres.log" \
        | grep -qE 'lock file "postmaster.pid" already exists|shared memory block is still in use'; then
      log "previous postmaster still winding down; retrying"; sleep 1; continue
    fi
    return 1
  done
  for i in $(seq 1 $(( TIMEOUT * 10 ))); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 && [ -n "$(pg_pid)" ] && return 0
    sleep 0.1
  done
  return 1
}

start_postgres() {
  local attempt pwfile
  PG_DIR=$(mktemp -d "${TMPDIR_BASE}/parmana-pg.XXXXXX")
  mkdir -p "$PG_DIR/sock"
  PG_PASSWORD=$(random_password)
  STARTED+=(postgres)
  pwfile="$PG_DIR/pwfile"
  (umask 077; printf '%s\n' "$PG_PASSWORD" >"$pwfile")
  own_by_svc "$PG_DIR"
  log "initdb $PG_DIR/data as $SVC_USER"
  if ! as_svc "$PG_DIR" "$PG_BIN/initdb" -D "$PG_DIR/data" -U parmana --pwfile="$pwfile" \
        --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1; then
    tail -n 25 "$PG_DIR/initdb.log" >&2
    die "initdb failed"
  fi
  rm -f "$pwfile"
  cat >>"$PG_DIR/data/postgresql.conf" <<EOF

# ---- scripts/services.sh (throwaway server for Parmana tests)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR/sock'
fsync = on
synchronous_commit = on
full_page_writes = on
password_encryption = 'scram-sha-256'
EOF
  for attempt in 1 2 3; do
    PG_PORT=$(free_port)
    echo "port = $PG_PORT" >>"$PG_DIR/data/postgresql.conf"   # last setting wins
    write_state postgres "PG_DIR=$PG_DIR" "PG_PORT=$PG_PORT" \
      "PG_PASSWORD=$PG_PASSWORD" "STATE_SVC_USER=$SVC_USER"
    log "starting postgres on 127.0.0.1:$PG_PORT as $SVC_USER (dir $PG_DIR)"
    if launch_pg; then
      if ! PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=10 "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" \
            -U parmana parmana >&2; then
        die "createdb parmana failed (password auth over TCP)"
      fi
      log "postgres is up (pid $(pg_pid)), database parmana created"
      return 0
    fi
    grep -q 'Address already in use' "$PG_DIR/postgres.log" 2>/dev/null || break
    log "port $PG_PORT was taken meanwhile; trying another"
  done
  log "postgres did not come up (exited, or not ready within ${TIMEOUT}s); last lines of $PG_DIR/postgres.log:"
  tail -n 25 "$PG_DIR/postgres.log" >&2 || true
  die "postgres failed to start"
}

stop_pg_proc() {
  local pid; pid=$(pg_pid)
  [ -n "$pid" ] || return 0
  log "stopping postgres (pid $pid)"
  as_svc "$PG_DIR" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t "$TIMEOUT" -s stop >&2 \
    || { log "pg_ctl stop failed; sending SIGQUIT"; kill -QUIT "$pid" 2>/dev/null || true; }
  wait_gone "$pid"
}

# ---------------------------------------------------------------- teardown helpers
discard() {  # $1 kind: stop its server, delete its temp dir and state
  case "$1" in
    redis)
      read_state redis || return 0
      stop_redis_proc
      case "$REDIS_DIR" in */parmana-redis.*) rm -rf "$REDIS_DIR" ;; esac
      rm -f "$STATE_DIR/redis.state" ;;
    postgres)
      read_state postgres || return 0
      stop_pg_proc
      case "$PG_DIR" in */parmana-pg.*) rm -rf "$PG_DIR" ;; esac
      rm -f "$STATE_DIR/postgres.state" ;;
  esac
}

STARTED=()
STARTING=0
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ "$STARTING" -eq 1 ] && [ ${#STARTED[@]} -gt 0 ]; then
    log "start failed; removing what this run started (${STARTED[*]})"
    local k; for k in "${STARTED[@]}"; do discard "$k" || true; done
    emit_env >/dev/null 2>&1 || rmdir "$STATE_DIR" 2>/dev/null || true
  fi
  return "$rc"
}
trap on_exit EXIT

# ---------------------------------------------------------------- commands
cmd_start() {
  local want=() arg
  for arg in "$@"; do
    case "$arg" in
      redis) want+=(redis) ;;
      postgres|postgresql|pg) want+=(postgres) ;;
      *) die "unknown service '$arg' (expected redis and/or postgres)" ;;
    esac
  done
  [ ${#want[@]} -gt 0 ] || want=(redis postgres)
  ensure_packages "${want[@]}"
  setup_service_user
  ensure_state_dir
  STARTING=1
  for arg in "${want[@]}"; do
    if [ -f "$STATE_DIR/$arg.state" ]; then
      log "replacing the $arg recorded in $STATE_DIR (stopping it, deleting its data)"
      discard "$arg"
    fi
  done
  for arg in "${want[@]}"; do
    case "$arg" in
      redis) start_redis ;;
      postgres) start_postgres ;;
    esac
  done
  STARTING=0
  emit_env
}

cmd_stop() {
  [ -d "$STATE_DIR" ] || { log "nothing to stop"; return 0; }
  [ -O "$STATE_DIR" ] || die "$STATE_DIR is not owned by $(id -un)"
  setup_service_user_from_state
  discard redis
  discard postgres
  rm -f "$ENV_FILE" "$ENV_FILE.tmp"
  rmdir "$STATE_DIR" 2>/dev/null || true
  log "stopped"
}

# restart/stop of one service must reuse the user recorded at start
setup_service_user_from_state() {
  local kind
  for kind in redis postgres; do
    if read_state "$kind" 2>/dev/null; then
      if [ "$IS_ROOT" -eq 1 ] && [ -n "$STATE_SVC_USER" ]; then SVC_NAME="$STATE_SVC_USER"; fi
      break
    fi
  done
  if [ "$IS_ROOT" -eq 1 ] && ! id -u "$SVC_NAME" >/dev/null 2>&1; then
    RUNAS=(); SVC_USER=""; return 0   # user gone: only signals will be used
  fi
  setup_service_user
}

cmd_stop_one() {  # $1 kind
  read_state "$1" || die "no $1 recorded in $STATE_DIR; run: scripts/services.sh start $1"
  setup_service_user_from_state
  read_state "$1"
  case "$1" in redis) stop_redis_proc ;; postgres) stop_pg_proc ;; esac
  log "$1 stopped (data and state kept)"
}

cmd_restart_one() {  # $1 kind
  read_state "$1" || die "no $1 recorded in $STATE_DIR; run: scripts/services.sh start $1"
  setup_service_user_from_state
  read_state "$1"
  case "$1" in
    redis)
      stop_redis_proc
      port_in_use "$REDIS_PORT" listen && die "port $REDIS_PORT is taken by another process; cannot restart redis on it"
      log "restarting redis on 127.0.0.1:$REDIS_PORT"
      if ! launch_redis; then
        tail -n 25 "$REDIS_DIR/redis.log" >&2 || true
        die "redis failed to restart"
      fi
      log "redis is up again (pid $(redis_pid))" ;;
    postgres)
      stop_pg_proc
      port_in_use "$PG_PORT" listen && die "port $PG_PORT is taken by another process; cannot restart postgres on it"
      log "restarting postgres on 127.0.0.1:$PG_PORT"
      if ! launch_pg; then
        tail -n 25 "$PG_DIR/postgres.log" >&2 || true
        die "postgres failed to restart"
      fi
      log "postgres is up again (pid $(pg_pid))" ;;
  esac
  emit_env >/dev/null   # refresh the PIDs in the env file (stdout stays quiet)
}

# Temp dirs: the service user must be able to reach them, so as root always use /tmp.
if [ "$IS_ROOT" -eq 1 ]; then TMPDIR_BASE=/tmp; else TMPDIR_BASE="${TMPDIR:-/tmp}"; fi

cmd="${1:-}"; [ $# -gt 0 ] && shift
case "$cmd" in
  start) cmd_start "$@" ;;
  stop) cmd_stop ;;
  env) emit_env || die "no services recorded in $STATE_DIR; run: scripts/services.sh start" ;;
  stop-redis) cmd_stop_one redis ;;
  stop-postgres|stop-pg) cmd_stop_one postgres ;;
  restart-redis) cmd_restart_one redis ;;
  restart-postgres|restart-pg) cmd_restart_one postgres ;;
  -h|--help|help) usage ;;
  "") usage >&2; exit 2 ;;
  *) log "unknown command '$cmd'"; usage >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests, installed and started by the project itself.
#
#   scripts/postgres.sh [start]   install Debian's postgresql if no server binaries exist, init the
#                                 cluster if needed, start it, ensure role/database; print the
#                                 SQLAlchemy URL as the only line on stdout
#   scripts/postgres.sh stop      stop that cluster (the data directory is kept)
#   scripts/postgres.sh status    exit 0 when the cluster is running, 3 when not
#
# Environment: LEARNSMART_PG_DIR (data directory; default ${TMPDIR:-/tmp}/learnsmart-pg),
# LEARNSMART_PG_PORT (default 55432). The server listens on 127.0.0.1 only and its unix socket
# lives in the data directory. Role `learnsmart` (password `learnsmart`, scram-sha-256 over TCP)
# owns database `learnsmart_test`. fsync/full_page_writes/synchronous_commit are off: a crash can
# lose the cluster, which is fine for a test cluster. Idempotent, and safe to run concurrently
# (flock on "$LEARNSMART_PG_DIR.lock"; a caller already holding that lock sets
# LEARNSMART_PG_LOCK_HELD=1). Postgres refuses to run as root, so as root the cluster is owned by
# and run as the `postgres` OS user (created by the Debian package; a dedicated unprivileged
# `learnsmart-pg` user when it does not exist). Everything but the URL goes to stderr.
set -euo pipefail

ACTION=${1:-start}
PORT=${LEARNSMART_PG_PORT:-55432}
PGDIR=${LEARNSMART_PG_DIR:-${TMPDIR:-/tmp}/learnsmart-pg}
ROLE=learnsmart
PASSWORD=learnsmart
DB=learnsmart_test
SUPERUSER=postgres # the cluster's bootstrap superuser (initdb -U), reached over the unix socket

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

case $ACTION in start | stop | status) ;; *) die "usage: $0 [start|stop|status]" ;; esac
if ! [[ $PORT =~ ^[1-9][0-9]{0,4}$ ]] || ((PORT > 65535)); then die "bad LEARNSMART_PG_PORT: $PORT"; fi
[[ $PGDIR == /* ]] || PGDIR=$PWD/$PGDIR
PGDIR=${PGDIR%/}
# Postgres cannot bind a unix socket whose path is longer than 107 bytes.
SOCKET=$PGDIR/.s.PGSQL.$PORT
((${#SOCKET} <= 107)) || die "socket path too long (${#SOCKET} > 107 bytes): $SOCKET; use a shorter LEARNSMART_PG_DIR"
cd / # the server user may not be allowed into the caller's working directory

SUDO=()
if ((EUID != 0)); then
  command -v sudo >/dev/null 2>&1 && SUDO=(sudo -n)
fi

# Highest-versioned Debian server binaries: /usr/lib/postgresql/<major>/bin. Never $PATH (a stray
# /usr/local/bin/pg_ctl must not decide anything).
find_bindir() {
  local dir
  while read -r dir; do
    if [[ -x $dir/postgres && -x $dir/pg_ctl && -x $dir/initdb ]]; then
      printf '%s\n' "$dir"
      return 0
    fi
  done < <(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -rV)
  return 1
}

install_postgres() {
  ((EUID == 0)) || ((${#SUDO[@]})) || die "PostgreSQL is not installed and installing it needs root (or passwordless sudo)"
  local apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -q)
  log "no PostgreSQL server binaries under /usr/lib/postgresql; installing Debian's postgresql"
  # 9>&-: a service the package's scripts start must not inherit the lock (see start_cluster).
  if ! "${apt[@]}" install --no-install-recommends postgresql >&2 9>&-; then
    log "install failed; running apt-get update and retrying"
    "${apt[@]}" update >&2 9>&-
    "${apt[@]}" install --no-install-recommends postgresql >&2 9>&-
  fi
}

ensure_os_user() {
  if ((EUID != 0)); then
    PGUSER_OS=$(id -un) # not root: postgres runs as the caller
  elif id -u postgres >/dev/null 2>&1; then
    PGUSER_OS=postgres
  else
    PGUSER_OS=learnsmart-pg
    if ! id -u "$PGUSER_OS" >/dev/null 2>&1; then
      log "creating the unprivileged system user $PGUSER_OS"
      useradd --system --user-group --no-create-home --home-dir / --shell /usr/sbin/nologin "$PGUSER_OS"
    fi
  fi
}

# Run a command as the cluster's OS user.
as_pg() {
  if ((EUID == 0)); then
    runuser -u "$PGUSER_OS" -- "$@"
  else
    "$@"
  fi
}

# The postmaster of a cluster whose data directory was deleted under it (it still holds the port
# until it notices, up to a minute later): a postgres process whose cwd is "$PGDIR (deleted)" and
# whose parent is not one of them.
orphan_postmaster() {
  local p pid ppid cwd pids=()
  for p in /proc/[0-9]*; do
    [[ $(cat "$p/comm" 2>/dev/null) == postgres ]] || continue
    cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
    [[ $cwd == "$PGDIR (deleted)" ]] && pids+=("${p#/proc/}")
  done
  for pid in "${pids[@]}"; do
    ppid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null) || continue
    [[ " ${pids[*]} " == *" $ppid "* ]] || {
      printf '%s\n' "$pid"
      return 0
    }
  done
  return 1
}

kill_orphan() {
  local pid
  pid=$(orphan_postmaster) || return 0
  log "stopping postmaster $pid, whose data directory $PGDIR was deleted"
  kill -QUIT "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.5
}

is_running() { [[ -f $PGDIR/PG_VERSION ]] && as_pg "$BIN/pg_ctl" -D "$PGDIR" status >/dev/null 2>&1; }

stop_cluster() {
  if is_running; then
    log "stopping the cluster in $PGDIR"
    as_pg "$BIN/pg_ctl" -D "$PGDIR" -m fast -w -t 60 stop >&2
  fi
  kill_orphan
}

init_cluster() {
  local major
  major=$(basename "$(dirname "$BIN")")
  if [[ -f $PGDIR/PG_VERSION ]]; then
    [[ $(<"$PGDIR/PG_VERSION") == "$major" ]] && return 0
    # A cluster from another major version: throw it away if it is ours, else refuse.
    [[ -f $PGDIR/learnsmart-test-cluster ]] || die "$PGDIR holds a PostgreSQL $(<"$PGDIR/PG_VERSION") cluster, not $major"
    log "discarding the PostgreSQL $(<"$PGDIR/PG_VERSION") test cluster in $PGDIR"
    rm -rf -- "$PGDIR"
  elif [[ -d $PGDIR && -n $(ls -A -- "$PGDIR") ]]; then
    die "$PGDIR exists, is not empty and is not a PostgreSQL cluster; remove it or set LEARNSMART_PG_DIR"
  fi
  mkdir -p -- "$PGDIR"
  if ((EUID == 0)); then chown "$PGUSER_OS:" "$PGDIR"; fi
  chmod 700 "$PGDIR"
  as_pg test -w "$PGDIR" || die "user $PGUSER_OS cannot write $PGDIR (a parent directory is not searchable?); set LEARNSMART_PG_DIR"
  log "initialising a PostgreSQL $major cluster in $PGDIR"
  if ! as_pg "$BIN/initdb" -D "$PGDIR" -U "$SUPERUSER" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >/dev/null 2>"$PGDIR.initdb.log"; then
    cat "$PGDIR.initdb.log" >&2
    die "initdb failed"
  fi
  rm -f -- "$PGDIR.initdb.log"
  # The unix socket lives in the data directory (mode 0700), so `trust` on it admits only the
  # cluster's OS user (and root); TCP on 127.0.0.1 needs the password.
  printf "\ninclude_if_exists = 'learnsmart.conf'\n" | as_pg tee -a "$PGDIR/postgresql.conf" >/dev/null
  as_pg touch "$PGDIR/learnsmart-test-cluster"
}

# Written on every start, so a changed LEARNSMART_PG_PORT takes effect.
write_conf() {
  as_pg tee "$PGDIR/learnsmart.conf" >/dev/null <<CONF
# Written by scripts/postgres.sh on every start: a throw-away test cluster.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '${PGDIR//\'/\'\'}'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
}

start_cluster() {
  if is_running; then
    local running_port
    running_port=$(sed -n 4p "$PGDIR/postmaster.pid")
    [[ $running_port == "$PORT" ]] && return 0
    log "the cluster runs on port $running_port, not $PORT; restarting it"
    as_pg "$BIN/pg_ctl" -D "$PGDIR" -m fast -w -t 60 stop >&2
  fi
  write_conf
  log "starting the cluster in $PGDIR on 127.0.0.1:$PORT"
  # 9>&-: the server must not inherit the lock's descriptor, or it would hold the lock forever.
  if ! as_pg "$BIN/pg_ctl" -D "$PGDIR" -l "$PGDIR/server.log" -w -t 60 -s start >&2 9>&-; then
    tail -n 20 "$PGDIR/server.log" >&2 || true
    die "the server did not start (log: $PGDIR/server.log)"
  fi
}

ensure_role_and_db() {
  as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDIR" -p "$PORT" -U "$SUPERUSER" -d postgres >&2 <<SQL
SELECT 'CREATE ROLE $ROLE' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE')\gexec
ALTER ROLE $ROLE WITH LOGIN CREATEDB PASSWORD '$PASSWORD';
SELECT 'CREATE DATABASE $DB OWNER $ROLE' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB')\gexec
SQL
}

# The URL's credentials work over TCP (what the tests will use).
can_connect_tcp() {
  PGPASSWORD=$PASSWORD PGCONNECT_TIMEOUT=5 "$BIN/psql" -X -q -tA -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DB" \
    -c 'SELECT 1' >/dev/null 2>&1
}

# Serialise concurrent runs (the install included). Not in the server: see start_cluster.
if [[ -z ${LEARNSMART_PG_LOCK_HELD:-} ]]; then
  mkdir -p -- "$(dirname "$PGDIR")"
  exec 9>>"$PGDIR.lock"
  flock 9
fi

BIN=$(find_bindir) || {
  # Nothing installed, so nothing runs: stopped already.
  [[ $ACTION == stop ]] && exit 0
  [[ $ACTION == status ]] && exit 3
  install_postgres
  BIN=$(find_bindir) || die "installed postgresql, but found no server binaries under /usr/lib/postgresql"
}
ensure_os_user

case $ACTION in
  status)
    is_running || exit 3
    exit 0
    ;;
  stop)
    stop_cluster
    exit 0
    ;;
esac

kill_orphan
if ! is_running && "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 3; then
  # Another server (not the cluster in $PGDIR) holds the port: use it if it already has the
  # role and database, since it cannot be administered from here.
  can_connect_tcp || die "another server listens on 127.0.0.1:$PORT and does not accept $ROLE@$DB; set LEARNSMART_PG_PORT"
  log "using the server already listening on 127.0.0.1:$PORT (not the cluster in $PGDIR)"
else
  init_cluster
  start_cluster
  ensure_role_and_db
  can_connect_tcp || die "the cluster runs, but $ROLE cannot connect to $DB over 127.0.0.1:$PORT"
fi
printf 'postgresql+psycopg://%s:%s@127.0.0.1:%s/%s\n' "$ROLE" "$PASSWORD" "$PORT" "$DB"

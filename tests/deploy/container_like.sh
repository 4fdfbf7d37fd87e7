#!/usr/bin/env bash
# Runs the release binary the way the container does (an unprivileged user, a read-only root
# filesystem with only /tmp writable) and checks that it starts, serves, writes its audit log to
# /tmp, and shuts down cleanly on SIGTERM while requests are in flight: every request that got
# an answer succeeded, every created article exists, and no response was cut off.
#
#   tests/deploy/container_like.sh target/release/mcp-markdown-manager
#
# Needs DATABASE_URL (a server where the user may create databases), bubblewrap (`bwrap`), curl
# and psql. Run as root, it runs the server as the system user `mdm-app`.
set -euo pipefail

BINARY="$(realpath "${1:?usage: container_like.sh BINARY}")"
: "${DATABASE_URL:?set DATABASE_URL}"
WORK="$(mktemp -d)"
# The server's user must be able to reach its /tmp inside this directory.
chmod 711 "$WORK"
APP_TMP="$WORK/tmp"
mkdir -p "$APP_TMP"
DB="deploy_test_$RANDOM$RANDOM"
DB_URL="${DATABASE_URL%/*}/$DB"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ADMIN="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
BASE="http://127.0.0.1:$PORT"
SERVER_PID=""

fail() { echo "container_like.sh: FAIL: $*" >&2; exit 1; }

cleanup() {
  [[ -n "$SERVER_PID" ]] && kill -9 "$SERVER_PID" 2>/dev/null || true
  psql "$DATABASE_URL" -qc "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v bwrap >/dev/null || fail "bwrap is missing (apt-get install bubblewrap)"
psql "$DATABASE_URL" -qc "create database $DB" >/dev/null

RUN_AS=()
if [[ "$(id -u)" == "0" ]]; then
  id mdm-app >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin mdm-app
  chown mdm-app "$APP_TMP"
  RUN_AS=(runuser -u mdm-app --)
fi

# The root filesystem is read-only; only the bound directory is writable, mounted at /tmp.
# The binary is mounted at /opt, outside /tmp, which the sandbox replaces (the checkout itself
# may live under /tmp).
APP_BIN="$WORK/bin"
mkdir -p "$APP_BIN"
cp "$BINARY" "$APP_BIN/mcp-markdown-manager"
chmod 755 "$APP_BIN" "$APP_BIN/mcp-markdown-manager"

# The admin token comes from a file, as Docker secrets provide it, so SIGHUP can rotate it.
echo "$ADMIN" > "$APP_TMP/auth_token"
chmod 644 "$APP_TMP/auth_token"
"${RUN_AS[@]}" env -i PATH=/usr/bin:/bin \
  DATABASE_URL="$DB_URL" AUTH_TOKEN_FILE=/tmp/auth_token PORT="$PORT" BIND_ADDRESS=127.0.0.1 \
  LOG_FORMAT=json SECURITY_AUDIT_FILE=true SECURITY_AUDIT_FILE_PATH=/tmp/security-audit.log \
  RATE_LIMIT_REST_PER_WINDOW=100000 \
  bwrap --ro-bind / / --bind "$APP_TMP" /tmp --ro-bind "$APP_BIN" /opt --proc /proc --dev /dev \
  --die-with-parent -- /opt/mcp-markdown-manager serve > "$WORK/server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 100); do
  curl -fsS "$BASE/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; fail "the server exited at startup"; }
  sleep 0.1
done
curl -fsS "$BASE/health" >/dev/null || fail "the server did not become healthy"
[[ "$(stat -c %U /proc/$SERVER_PID 2>/dev/null || echo root)" != "" ]]

TOKEN="$(curl -fsS -X POST "$BASE/api/access-tokens" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: application/json' -d '{"name":"deploy-test","scope":"write"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
# SIGHUP re-reads AUTH_TOKEN_FILE: the old admin token stops working at once.
NEW_ADMIN="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
echo "$NEW_ADMIN" > "$APP_TMP/auth_token"
pkill -HUP -f "^/opt/mcp-markdown-manager serve" || fail "the server process was not found"
sleep 0.5
old_status="$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/access-tokens" -H "Authorization: Bearer $ADMIN")"
new_status="$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/access-tokens" -H "Authorization: Bearer $NEW_ADMIN")"
[[ "$old_status" == 401 ]] || fail "the old admin token still works after SIGHUP ($old_status)"
[[ "$new_status" == 200 ]] || fail "the rotated admin token does not work ($new_status)"

# A failed authentication must reach the audit file.
curl -s -o /dev/null "$BASE/api/articles" -H "Authorization: Bearer wrong"

# An MCP event stream stays open across the shutdown; it must be ended, not left hanging.
SESSION="$(curl -s -D - -o /dev/null -X POST "$BASE/mcp" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"deploy","version":"1"}}}' |
  awk 'tolower($1)=="mcp-session-id:" {print $2}' | tr -d '\r')"
[[ -n "$SESSION" ]] || fail "initialize returned no session id"
curl -s -o /dev/null -X POST "$BASE/mcp" -H "Authorization: Bearer $TOKEN" -H "Mcp-Session-Id: $SESSION" \
  -H 'MCP-Protocol-Version: 2025-11-25' -H 'Content-Type: application/json' \
  -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
curl -sN "$BASE/mcp" -H "Authorization: Bearer $TOKEN" -H "Mcp-Session-Id: $SESSION" \
  -H 'MCP-Protocol-Version: 2025-11-25' -H 'Accept: text/event-stream' > "$WORK/stream.out" 2>/dev/null &
STREAM_PID=$!

# Writers keep creating articles while the server receives SIGTERM.
# Large bodies keep each request in flight for a while.
python3 -c 'import json; print(json.dumps({"title": "TITLE", "content": "x" * 200000}))' > "$WORK/body.json"
writer() {
  local id="$1" i code
  for i in $(seq 1 400); do
    sed "s/TITLE/w$id n$i/" "$WORK/body.json" > "$WORK/body-$id.json"
    code="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/api/articles" \
      -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      --data-binary "@$WORK/body-$id.json" ; echo " $?")"
    echo "$code" >> "$WORK/writer-$id.log"
    [[ "$code" == 000\ * ]] && break
  done
}
for id in 1 2 3 4; do writer "$id" & done
sleep 1.5
START="$(date +%s.%N)"
# SERVER_PID is the wrapper (runuser, bwrap); the signal goes to the server process itself,
# as a container runtime sends it to PID 1.
pkill -TERM -f "^/opt/mcp-markdown-manager serve" || fail "the server process was not found"
wait "$SERVER_PID" && STATUS=0 || STATUS=$?
SERVER_PID=""
ELAPSED="$(python3 -c "print(round($(date +%s.%N) - $START, 2))")"
wait
wait "$STREAM_PID" 2>/dev/null || true

[[ "$STATUS" == 0 ]] || { tail -20 "$WORK/server.log" >&2; fail "the server exited with status $STATUS"; }
grep -q '"reason":"SIGTERM"' "$WORK/server.log" || fail "the log does not say why the server stopped"
grep -q 'server stopped' "$WORK/server.log" || fail "the log has no final stop line"

# Every answer must be a complete 201. Connections the server never accepted (refused, or
# reset in the listen backlog when the listener closed) get no status at all: curl reports
# 000 with exit 7, 52, 55 or 56. A status with a failed transfer means a cut response and fails.
# The count check below catches a request that was processed but not answered.
created=0
while read -r code exit; do
  case "$code $exit" in
    "201 0") created=$((created + 1)) ;;
    "000 7" | "000 52" | "000 55" | "000 56") ;;
    *) fail "a request in flight got '$code' (curl exit $exit)" ;;
  esac
done < <(cat "$WORK"/writer-*.log)
(( created > 0 )) || fail "no article was created before shutdown"
stored="$(psql "$DB_URL" -tAc "select count(*) from articles")"
[[ "$stored" == "$created" ]] || fail "$created creates were answered 201 but $stored articles are stored"

grep -q 'auth_failure' "$APP_TMP/security-audit.log" || fail "the audit log in /tmp has no auth_failure line"
grep -q '"event":"auth_failure"' "$APP_TMP/security-audit.log" && fail "expected the text audit format" || true
grep -q 'retry:' "$WORK/stream.out" || fail "the event stream carried no retry hint"

echo "container_like.sh: ok: read-only root, user ${RUN_AS[2]:-$(id -un)}, $created articles created during shutdown, stopped ${ELAPSED}s after SIGTERM"

#!/usr/bin/env bash
# Checks openapi/openapi.yaml against the router and runs schemathesis against a real server.
#
#   MDM_BINARY=target/debug/mcp-markdown-manager \
#   DATABASE_URL=postgres://user:password@127.0.0.1:54329/mdm \
#   bash tests/openapi/run.sh
#
# Steps: install pinned tools into .local/openapi-tools, validate the document, compare its
# paths with src/rest/mod.rs (check_routes.py), create the database openapi_<random> on the
# cluster of DATABASE_URL, start the server on a free loopback port with a random admin token
# and rate limits high enough not to hide behaviour, create a write token and seed the articles
# that the document's examples name, run schemathesis, then stop the server and drop the database.
#
# Schemathesis first runs with the write token on the admin operations (every response must be
# a documented 403), then with the admin token on every operation except the endless event
# stream. OPENAPI_MAX_EXAMPLES (default 50) bounds the test cases per operation and phase;
# OPENAPI_SEED sets the random seed (default 1, so runs repeat; change it to explore).
# OPENAPI_WORKERS (default 1): CPython 3.11's ast.parse is not thread-safe (python/cpython#106905),
# which with more workers occasionally crashes schemathesis itself. Reports go to test-artifacts/openapi/. The exit code is
# non-zero when a check fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$ROOT/.local/openapi-tools"
DOCUMENT="$ROOT/openapi/openapi.yaml"
REPORTS="$ROOT/test-artifacts/openapi"
SCHEMATHESIS_VERSION="4.32.5"
PYYAML_VERSION="6.0.3"
SPEC_VALIDATOR_VERSION="0.9.0"
MAX_EXAMPLES="${OPENAPI_MAX_EXAMPLES:-50}"
SEED="${OPENAPI_SEED:-1}"
STARTUP_TIMEOUT_SECONDS=60

log() { echo "openapi/run.sh: $*" >&2; }

if [[ -z "${MDM_BINARY:-}" || -z "${DATABASE_URL:-}" ]]; then
  log "set MDM_BINARY (path to the built mcp-markdown-manager) and DATABASE_URL (a PostgreSQL cluster URL where the user may create databases)"
  exit 2
fi
MDM_BINARY="$(realpath "$MDM_BINARY")"
for tool in psql curl; do
  if ! command -v "$tool" >/dev/null; then
    log "$tool is not installed; install it (Debian: apt-get install -y postgresql-client curl)"
    exit 2
  fi
done

install_tools() {
  if [[ ! -x "$TOOLS/bin/python" ]]; then
    log "creating a Python virtual environment in $TOOLS"
    python3 -m venv "$TOOLS"
  fi
  if ! "$TOOLS/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    log "installing schemathesis==$SCHEMATHESIS_VERSION from PyPI"
    "$TOOLS/bin/pip" install --quiet --disable-pip-version-check \
      "schemathesis==$SCHEMATHESIS_VERSION" "pyyaml==$PYYAML_VERSION" \
      "openapi-spec-validator==$SPEC_VALIDATOR_VERSION"
  fi
}

# Prints a port that was free a moment ago. The server fails to start if another process takes
# it first.
free_port() {
  "$TOOLS/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

random_alnum() {
  "$TOOLS/bin/python" -c "import secrets, string, sys; print(''.join(secrets.choice(string.ascii_letters + string.digits) for _ in range(int(sys.argv[1]))))" "$1"
}

install_tools
log "validating $DOCUMENT"
"$TOOLS/bin/openapi-spec-validator" "$DOCUMENT"
"$TOOLS/bin/python" "$ROOT/tests/openapi/check_routes.py" --document "$DOCUMENT"

DB_NAME="openapi_$(random_alnum 12 | tr 'A-Z' 'a-z')"
DB_URL="$("$TOOLS/bin/python" - "$DATABASE_URL" "$DB_NAME" <<'EOF'
import sys
from urllib.parse import urlsplit, urlunsplit
parts = urlsplit(sys.argv[1])
print(urlunsplit(parts._replace(path="/" + sys.argv[2])))
EOF
)"
ADMIN_TOKEN="$(random_alnum 40)"
PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
mkdir -p "$REPORTS"
SERVER_LOG="$REPORTS/server.log"
SERVER_PID=""

cleanup() {
  local status=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  psql "$DATABASE_URL" --no-psqlrc --quiet -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null ||
    log "failed to drop database $DB_NAME; drop it by hand"
  exit "$status"
}
trap cleanup EXIT

psql "$DATABASE_URL" --no-psqlrc --quiet -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB_NAME" >/dev/null
log "starting $MDM_BINARY on $BASE with database $DB_NAME"
env AUTH_TOKEN="$ADMIN_TOKEN" DATABASE_URL="$DB_URL" BIND_ADDRESS=127.0.0.1 PORT="$PORT" \
  RATE_LIMIT_REST_PER_WINDOW=1000000 RATE_LIMIT_AUTH_FAILURES_PER_WINDOW=1000000 \
  RATE_LIMIT_PUBLIC_PER_WINDOW=1000000 SECURITY_AUDIT_FILE=false RUST_BACKTRACE=0 \
  RUST_LOG="${RUST_LOG:-warn}" \
  "$MDM_BINARY" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

deadline=$((SECONDS + STARTUP_TIMEOUT_SECONDS))
until curl -sf -o /dev/null "$BASE/ready"; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "the server exited during startup; its log:"
    tail -n 40 "$SERVER_LOG" >&2
    exit 1
  fi
  if ((SECONDS > deadline)); then
    log "the server was not ready after ${STARTUP_TIMEOUT_SECONDS}s; its log:"
    tail -n 40 "$SERVER_LOG" >&2
    exit 1
  fi
  sleep 0.2
done

# Sends a JSON request with the given bearer token and prints the response body. Fails on a
# status outside 2xx.
api() {
  local method=$1 path=$2 token=$3 body=$4
  curl -sf -X "$method" "$BASE$path" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --data "$body"
}

WRITE_TOKEN="$(api POST /api/access-tokens "$ADMIN_TOKEN" '{"name":"openapi-writer","scope":"write"}' |
  "$TOOLS/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["token"])')"
# The document's examples name these slugs and folders, so example-based cases reach the 200s.
api POST /api/articles "$WRITE_TOKEN" \
  '{"title":"Deploy checklist","content":"# Deploy\n\n- [ ] tag","folder":"ops"}' >/dev/null
api PUT /api/articles/deploy-checklist "$WRITE_TOKEN" '{"content":"# Deploy\n\n- [x] tag"}' >/dev/null
api POST /api/articles "$WRITE_TOKEN" \
  '{"title":"Rust notes","content":"# Rust","folder":"guides/rust","isPublic":true}' >/dev/null

COMMON=(
  "$DOCUMENT" --url "$BASE"
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
  --max-examples "$MAX_EXAMPLES" --seed "$SEED"
  --generation-with-security-parameters false
  --generation-database none
  --request-timeout 10
  --workers "${OPENAPI_WORKERS:-1}"
  --no-color
)
log "schemathesis seed $SEED, at most $MAX_EXAMPLES cases per operation and phase"

status=0
log "pass 1 of 2: write token on the admin operations"
"$TOOLS/bin/schemathesis" run "${COMMON[@]}" \
  -H "Authorization: Bearer $WRITE_TOKEN" \
  --include-path-regex '^/api/(access-tokens|security/(events|rate-limits|sessions)|settings/)' \
  --exclude-path /api/security/events/stream \
  --mode positive --phases examples,coverage,fuzzing \
  --report junit --report-junit-path "$REPORTS/write-token.xml" || status=1

log "pass 2 of 2: admin token on every operation"
"$TOOLS/bin/schemathesis" run "${COMMON[@]}" \
  -H "Authorization: Bearer $ADMIN_TOKEN" \
  --exclude-path /api/security/events/stream \
  --phases examples,coverage,fuzzing,stateful \
  --report junit --report-junit-path "$REPORTS/admin-token.xml" || status=1

if grep -q "panicked at" "$SERVER_LOG"; then
  log "the server panicked during the run:"
  grep -A1 "panicked at" "$SERVER_LOG" | head -n 20 >&2
  status=1
fi
exit "$status"

#!/usr/bin/env bash
# Measures read throughput and latency with wrk: REST GET /api/articles/{slug} and MCP
# tools/call readArticle, against a server and database that this script creates and removes.
#
#   MDM_BINARY=target/release/mcp-markdown-manager \
#   DATABASE_URL=postgres://user:password@127.0.0.1:54329/mdm \
#   scripts/bench.sh
#
# DATABASE_URL names a cluster where the user may create databases; the script creates
# mdm_bench_<random> there and drops it on exit. It builds nothing, so pass a release binary,
# because numbers from a debug build do not describe production speed. Requires wrk (Debian package `wrk`), psql
# and curl. Traffic goes to 127.0.0.1 only.
#
# Optional settings: BENCH_ARTICLES (default 1000), BENCH_DURATION (wrk -d, default 10s),
# BENCH_THREADS (default 2), BENCH_CONNECTIONS (default 32).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LUA_DIR="$ROOT/scripts/bench"
ARTICLES="${BENCH_ARTICLES:-1000}"
DURATION="${BENCH_DURATION:-10s}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
# Roughly 2 KB of markdown body per article.
ARTICLE_BODY_BYTES=2000
STARTUP_TIMEOUT_SECONDS=60

log() { echo "bench.sh: $*" >&2; }
fail() { log "$*"; exit 1; }

[[ -n "${MDM_BINARY:-}" ]] || fail "MDM_BINARY is not set; point it at a release build of mcp-markdown-manager"
[[ -x "$MDM_BINARY" ]] || fail "MDM_BINARY=$MDM_BINARY is not an executable file"
[[ -n "${DATABASE_URL:-}" ]] || fail "DATABASE_URL is not set; point it at a PostgreSQL cluster, e.g. the output of scripts/postgres.sh start"
for tool in wrk psql curl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (Debian: apt-get install -y ${tool/psql/postgresql-client})"
done
[[ "$ARTICLES" =~ ^[0-9]+$ && "$ARTICLES" -ge 1 && "$ARTICLES" -le 9999 ]] \
  || fail "BENCH_ARTICLES=$ARTICLES is invalid; use 1 to 9999 (slugs have four digits)"

CLUSTER_URL="$DATABASE_URL"
DATABASE_NAME="mdm_bench_$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')"
# Replaces the database name, the last path segment, keeping any query string.
BENCH_URL="$(echo "$CLUSTER_URL" | sed -E "s#^([^?]*/)[^/?]*(\\?.*)?\$#\\1${DATABASE_NAME}\\2#")"
WORK_DIR="$(mktemp -d -t mdm-bench-XXXXXX)"
SERVER_PID=""
SESSION_ID=""

cleanup() {
  local status=$?
  if [[ -n "$SESSION_ID" ]]; then
    # An open MCP session keeps a server-sent event stream that delays graceful shutdown.
    curl -s -o /dev/null -X DELETE "$BASE_URL/mcp" \
      -H "Authorization: Bearer $ACCESS_TOKEN" -H "Mcp-Session-Id: $SESSION_ID" || true
  fi
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  psql "$CLUSTER_URL" --no-psqlrc --quiet -c "DROP DATABASE IF EXISTS $DATABASE_NAME WITH (FORCE)" >/dev/null \
    || log "failed to drop database $DATABASE_NAME; drop it by hand"
  rm -rf "$WORK_DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Prints a TCP port on 127.0.0.1 with no listener, found by a failed connect through bash's /dev/tcp.
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  fail "found no free TCP port on 127.0.0.1"
}

# Prints wrk's requests per second and 99th percentile latency from its --latency output.
summarize() {
  local label=$1 output_file=$2
  local rate p99 errors
  rate="$(awk '/^Requests\/sec:/ { print $2 }' "$output_file")"
  p99="$(awk '$1 == "99%" { print $2 }' "$output_file")"
  errors="$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$output_file")"
  printf '%-40s %12s req/s   p99 %10s   non-2xx %s\n' "$label" "${rate:-?}" "${p99:-?}" "${errors:-0}"
}

log "creating database $DATABASE_NAME"
psql "$CLUSTER_URL" --no-psqlrc --quiet -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DATABASE_NAME" >/dev/null

log "writing $ARTICLES articles of about $ARTICLE_BODY_BYTES bytes"
mkdir -p "$WORK_DIR/articles/bench"
PARAGRAPH="Benchmark body text for a markdown article. It has words, **bold**, \`code\` and a [link](https://example.com). "
BODY=""
while ((${#BODY} < ARTICLE_BODY_BYTES)); do
  BODY+="$PARAGRAPH"
done
BODY="${BODY:0:ARTICLE_BODY_BYTES}"
for i in $(seq 1 "$ARTICLES"); do
  printf -v number '%04d' "$i"
  printf '# Bench Article %s\n\n%s\n' "$number" "$BODY" >"$WORK_DIR/articles/bench/article-$number.md"
done

log "importing them"
IMPORT_OUTPUT="$(DATABASE_URL="$BENCH_URL" "$MDM_BINARY" import "$WORK_DIR/articles" 2>"$WORK_DIR/import.err")" \
  || fail "import failed: $(cat "$WORK_DIR/import.err")"
echo "$IMPORT_OUTPUT" | grep -q "scanned $ARTICLES files: $ARTICLES created" \
  || fail "import did not create $ARTICLES articles: $IMPORT_OUTPUT"

PORT="$(free_port)"
BASE_URL="http://127.0.0.1:$PORT"
AUTH_TOKEN="$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')"
log "starting the server on $BASE_URL"
# Rate limits are raised far beyond what wrk can send, so the limiter does not cap the
# measurement and runs only its bookkeeping.
DATABASE_URL="$BENCH_URL" AUTH_TOKEN="$AUTH_TOKEN" PORT="$PORT" BIND_ADDRESS=127.0.0.1 \
  LOG_FORMAT=json RUST_LOG="${RUST_LOG:-warn}" \
  RATE_LIMIT_TOOL_CALLS_PER_WINDOW=1000000000 RATE_LIMIT_REST_PER_WINDOW=1000000000 \
  "$MDM_BINARY" serve >"$WORK_DIR/server.log" 2>&1 &
SERVER_PID=$!

deadline=$((SECONDS + STARTUP_TIMEOUT_SECONDS))
until curl -sf -o /dev/null "$BASE_URL/health"; do
  kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited during startup: $(tail -20 "$WORK_DIR/server.log")"
  ((SECONDS < deadline)) || fail "server did not answer /health within ${STARTUP_TIMEOUT_SECONDS}s"
  sleep 0.1
done

TOKEN_RESPONSE="$(curl -sf -X POST "$BASE_URL/api/access-tokens" \
  -H "Authorization: Bearer $AUTH_TOKEN" -H 'Content-Type: application/json' \
  -d '{"name":"bench","scope":"read-only"}')" || fail "creating an access token failed"
ACCESS_TOKEN="$(echo "$TOKEN_RESPONSE" | sed -n 's/.*"token":"\(sk-md-[0-9a-zA-Z_-]*\)".*/\1/p')"
[[ -n "$ACCESS_TOKEN" ]] || fail "no token in the response: $TOKEN_RESPONSE"

# Every request must succeed before timing starts, or the numbers measure error paths.
curl -sf -o /dev/null -H "Authorization: Bearer $ACCESS_TOKEN" "$BASE_URL/api/articles/bench-article-0001" \
  || fail "GET /api/articles/bench-article-0001 failed"

MCP_HEADERS=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream'
  -H "Authorization: Bearer $ACCESS_TOKEN")
curl -s -o /dev/null -D "$WORK_DIR/initialize.headers" -X POST "$BASE_URL/mcp" "${MCP_HEADERS[@]}" \
  -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench.sh","version":"1"}}}'
SESSION_ID="$(awk 'tolower($1) == "mcp-session-id:" { print $2 }' "$WORK_DIR/initialize.headers" | tr -d '\r')"
[[ -n "$SESSION_ID" ]] || fail "initialize returned no Mcp-Session-Id: $(cat "$WORK_DIR/initialize.headers")"
INITIALIZED_STATUS="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE_URL/mcp" "${MCP_HEADERS[@]}" \
  -H "Mcp-Session-Id: $SESSION_ID" -H 'MCP-Protocol-Version: 2025-11-25' \
  -d '{"jsonrpc":"2.0","method":"notifications/initialized"}')"
[[ "$INITIALIZED_STATUS" == 202 ]] || fail "notifications/initialized returned HTTP $INITIALIZED_STATUS, expected 202"

export MDM_BENCH_TOKEN="$ACCESS_TOKEN" MDM_BENCH_SESSION="$SESSION_ID" MDM_BENCH_ARTICLES="$ARTICLES"
WRK_OPTIONS=(--threads "$THREADS" --connections "$CONNECTIONS" --duration "$DURATION" --latency)

log "wrk: REST GET /api/articles/{slug} (${DURATION}, $THREADS threads, $CONNECTIONS connections)"
wrk "${WRK_OPTIONS[@]}" --script "$LUA_DIR/rest-read-article.lua" "$BASE_URL" | tee "$WORK_DIR/rest.txt"

log "wrk: MCP tools/call readArticle (${DURATION}, $THREADS threads, $CONNECTIONS connections)"
wrk "${WRK_OPTIONS[@]}" --script "$LUA_DIR/mcp-read-article.lua" "$BASE_URL/mcp" | tee "$WORK_DIR/mcp.txt"

echo
echo "Summary ($ARTICLES articles of ~$ARTICLE_BODY_BYTES B, $DURATION, $THREADS threads, $CONNECTIONS connections, $(nproc) CPUs):"
summarize "REST GET /api/articles/{slug}" "$WORK_DIR/rest.txt"
summarize "MCP tools/call readArticle" "$WORK_DIR/mcp.txt"

FAILED_CALLS="$(awk '/^MCP calls without a successful result:/ { print $NF }' "$WORK_DIR/mcp.txt")"
if grep -q 'Non-2xx or 3xx responses' "$WORK_DIR/rest.txt" "$WORK_DIR/mcp.txt" || [[ "${FAILED_CALLS:-0}" != 0 ]]; then
  fail "some requests failed, so the numbers above do not measure successful reads"
fi

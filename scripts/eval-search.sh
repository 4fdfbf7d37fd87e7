#!/usr/bin/env bash
# Measures search quality: recall@5 and MRR@10 of the full-text, semantic and hybrid modes over
# a real markdown corpus, with the queries in tests/eval/search_queries.json.
#
#   scripts/eval-search.sh [CORPUS_DIR]
#
# CORPUS_DIR defaults to tests/clients/node_modules (run `npm ci` in tests/clients first): the
# package READMEs and docs that npm installs, written by their authors, not by this project.
# The script imports the corpus into a fresh database with the release binary, embeds it with
# `reindex`, starts the server on 127.0.0.1, runs every query in every mode, and prints a
# markdown table. Set SEARCH_RRF_K (and other service variables) to try other settings.
# KEEP_DB=1 keeps the database afterwards, and EVAL_DB=<name> evaluates such a kept database
# again without importing and embedding (about 10 minutes on 2 CPUs). Needs python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CORPUS_DIR="${1:-$ROOT/tests/clients/node_modules}"
QUERIES="$ROOT/tests/eval/search_queries.json"
BINARY="$ROOT/target/release/mcp-markdown-manager"

log() { echo "eval-search.sh: $*" >&2; }

if [[ ! -d "$CORPUS_DIR" ]]; then
  log "corpus $CORPUS_DIR not found; run 'npm ci' in tests/clients or pass a directory"
  exit 1
fi

scripts/fetch-model.sh
SERVER_URL="$(scripts/postgres.sh start)"
PATH="$(scripts/postgres.sh bin):$PATH"
log "building the release binary"
SQLX_OFFLINE=true cargo build --release --quiet

DB_NAME="${EVAL_DB:-search_eval_$(python3 -c 'import secrets; print(secrets.token_hex(4))')}"
export DATABASE_URL="${SERVER_URL%/*}/$DB_NAME"
[[ -n "${EVAL_DB:-}" ]] || psql "$SERVER_URL" -qc "create database $DB_NAME"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ "${KEEP_DB:-0}" != "1" && -z "${EVAL_DB:-}" ]]; then
    psql "$SERVER_URL" -qc "drop database if exists $DB_NAME with (force)" >/dev/null
  else
    log "kept database $DB_NAME"
  fi
}
trap cleanup EXIT

export EMBEDDING_MODEL_DIR="${EMBEDDING_MODEL_DIR:-$ROOT/.local/models/all-MiniLM-L6-v2}"
export RUST_LOG="${RUST_LOG:-warn}"
if [[ -z "${EVAL_DB:-}" ]]; then
  log "importing $CORPUS_DIR into $DB_NAME"
  "$BINARY" import "$CORPUS_DIR" --conflict rename >&2
  log "embedding every article"
  "$BINARY" reindex >&2
fi

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
AUTH_TOKEN="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
export AUTH_TOKEN PORT BIND_ADDRESS=127.0.0.1
"$BINARY" serve >/dev/null 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break
  sleep 0.2
done

python3 - "$QUERIES" "http://127.0.0.1:$PORT" "$AUTH_TOKEN" <<'PY'
import json
import sys
import urllib.parse
import urllib.request

queries_path, base, token = sys.argv[1:4]
queries = json.load(open(queries_path))["queries"]
K_RECALL, K_MRR = 5, 10


def search(query, mode):
    params = urllib.parse.urlencode({"query": query, "mode": mode, "k": K_MRR})
    request = urllib.request.Request(
        f"{base}/api/search?{params}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request) as response:
        used = response.headers.get("X-Search-Mode")
        if used != mode:
            sys.exit(f"mode {mode} was answered as {used}: {response.headers.get('X-Search-Notice')}")
        return [hit["slug"] for hit in json.load(response)]


rows = []
misses = {}
for mode in ("fulltext", "semantic", "hybrid"):
    recall_sum = reciprocal_sum = 0.0
    for case in queries:
        relevant = set(case["relevant"])
        found = search(case["query"], mode)
        recall_sum += len(relevant & set(found[:K_RECALL])) / len(relevant)
        rank = next((i + 1 for i, slug in enumerate(found) if slug in relevant), None)
        reciprocal_sum += 1 / rank if rank else 0.0
        if rank is None or rank > K_RECALL:
            misses.setdefault(case["query"], []).append(mode)
    count = len(queries)
    rows.append((mode, recall_sum / count, reciprocal_sum / count))

print(f"{len(queries)} queries\n")
print(f"| mode | recall@{K_RECALL} | MRR@{K_MRR} |")
print("| --- | --- | --- |")
for mode, recall, mrr in rows:
    print(f"| {mode} | {recall:.3f} | {mrr:.3f} |")
print(f"\nqueries without a relevant article in the top {K_RECALL}, by mode:")
for query, modes in misses.items():
    print(f"- {query}: {', '.join(modes)}")
PY

#!/usr/bin/env bash
# Runs every test: Rust unit and API tests, then the MCP client, Inspector and import tests
# with the official SDKs against the real binary. Starts a local PostgreSQL with pgvector
# (scripts/postgres.sh) unless DATABASE_URL is already set.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DATABASE_URL="$(scripts/postgres.sh start)"
export DATABASE_URL
PATH="$(scripts/postgres.sh bin):$PATH"
export PATH

# Test databases are named test_<uuid>; remove those left by earlier, interrupted runs.
psql "$DATABASE_URL" -tAc "select datname from pg_database where datname like 'test\_%' or datname like 'mcp\_client\_test\_%'" |
  while read -r name; do
    [[ -n "$name" ]] && psql "$DATABASE_URL" -qc "drop database if exists \"$name\" with (force)" >/dev/null
  done

# Queries are checked against the committed .sqlx cache, so the build needs no database.
export SQLX_OFFLINE=true

# The embedding tests compare the local model with reference vectors; it is not in git.
scripts/fetch-model.sh

echo "==> Rust unit and API tests"
cargo test --all-targets

echo "==> MCP client, Inspector and import tests"
MDM_BINARY="$ROOT/target/debug/mcp-markdown-manager" bash tests/clients/run.sh

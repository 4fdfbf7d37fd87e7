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

# Installs Debian packages the tests need; the machine may be fresh.
install_packages() {
  if [[ "$(id -u)" != "0" ]]; then
    echo "test.sh: missing $*; install it with apt-get" >&2
    exit 1
  fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Test databases are named test_<uuid>; remove those left by earlier, interrupted runs.
psql "$DATABASE_URL" -tAc "select datname from pg_database where datname like 'test\_%' or datname like 'mcp\_client\_test\_%' or datname like 'deploy\_test\_%' or datname like 'restore\_drill\_%' or datname like 'e2e\_%' or datname like 'openapi\_%'" |
  while read -r name; do
    [[ -n "$name" ]] && psql "$DATABASE_URL" -qc "drop database if exists \"$name\" with (force)" >/dev/null
  done

# Queries are checked against the committed .sqlx cache, so the build needs no database.
export SQLX_OFFLINE=true

echo "==> Web UI build and unit tests"
scripts/build-web.sh
(cd web && npm test --silent)

# The embedding tests compare the local model with reference vectors; it is not in git.
scripts/fetch-model.sh

echo "==> Rust unit and API tests"
cargo test --all-targets

echo "==> MCP client, Inspector and import tests"
MDM_BINARY="$ROOT/target/debug/mcp-markdown-manager" bash tests/clients/run.sh

echo "==> OpenAPI document: routes and schemathesis"
MDM_BINARY="$ROOT/target/debug/mcp-markdown-manager" bash tests/openapi/run.sh

echo "==> Browser tests in Chromium"
if [[ ! -x /usr/bin/chromium ]]; then
  install_packages chromium
fi
MDM_BINARY="$ROOT/target/debug/mcp-markdown-manager" bash tests/e2e/run.sh

echo "==> Backup and restore drill"
bash tests/deploy/restore_drill.sh target/debug/mcp-markdown-manager

echo "==> Release binary run as the container runs it"
if ! command -v bwrap >/dev/null; then
  install_packages bubblewrap
fi
cargo build --release --locked --quiet
bash tests/deploy/container_like.sh target/release/mcp-markdown-manager

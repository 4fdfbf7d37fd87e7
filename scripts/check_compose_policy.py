"""Check the hardening rules of compose.yaml that SECURITY.md promises.

Usage: check_compose_policy.py RESOLVED_COMPOSE_YAML NGINX_CONF

RESOLVED_COMPOSE_YAML is the output of `docker compose config` (v1 or v2), so variables are
already substituted. Prints one line per violated rule and exits 1 if there is any.
"""

import ipaddress
import re
import sys

import yaml

# Bytes the service accepts in a request body beyond MAX_CONTENT_LENGTH (JSON framing, other fields).
BODY_OVERHEAD_BYTES = 64 * 1024
PLAIN_SECRET_VARIABLES = ("AUTH_TOKEN", "DB_PASSWORD", "DATABASE_URL", "POSTGRES_PASSWORD")
SECRET_FILE_VARIABLES = tuple(f"{name}_FILE" for name in PLAIN_SECRET_VARIABLES)


def environment_of(service):
    """Return a service's environment as a dict, from either the map or the list form."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in environment)
    return {name: ("" if value is None else str(value)) for name, value in environment.items()}


def published_host_ips(service):
    """Yield (host_ip, port_text) for every published port, in v1 string or v2 map form."""
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            yield port.get("host_ip", ""), f"{port.get('published')}:{port.get('target')}"
        else:
            text = str(port)
            parts = text.split(":")
            yield (":".join(parts[:-2]) if len(parts) >= 3 else ""), text


def nginx_body_limit_bytes(nginx_conf_path):
    """Return the client_max_body_size of the nginx file in bytes, or None if it has none."""
    with open(nginx_conf_path, encoding="utf-8") as conf:
        match = re.search(r"^\s*client_max_body_size\s+(\d+)([kKmMgG]?)\s*;", conf.read(), re.MULTILINE)
    if not match:
        return None
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    return int(match.group(1)) * factor


def check(config, nginx_conf_path):
    """Return the list of violated rules."""
    errors = []
    services = config.get("services") or {}
    networks = config.get("networks") or {}
    app = services.get("app")
    postgres = services.get("postgres")
    if app is None or postgres is None:
        return ["services `app` and `postgres` must both exist"]

    # Only loopback may be published, so TLS and the proxy cannot be bypassed from outside.
    for name, service in services.items():
        for host_ip, port in published_host_ips(service):
            if host_ip != "127.0.0.1":
                where = host_ip or "all interfaces"
                errors.append(f"service {name}: port {port} is published on {where}, not 127.0.0.1")

    if postgres.get("ports"):
        errors.append("service postgres: must not publish ports")
    for network in postgres.get("networks") or {}:
        if not (networks.get(network) or {}).get("internal"):
            errors.append(f"service postgres: network {network} must be `internal: true`")
    if "pgvector" not in str(postgres.get("image", "")):
        errors.append("service postgres: image must be a pgvector image")
    if "pg_isready" not in str((postgres.get("healthcheck") or {}).get("test", "")):
        errors.append("service postgres: healthcheck must run pg_isready")

    if app.get("read_only") is not True:
        errors.append("service app: read_only must be true")
    if "ALL" not in (app.get("cap_drop") or []):
        errors.append("service app: cap_drop must contain ALL")
    if app.get("cap_add"):
        errors.append("service app: must not add capabilities")
    if not any(str(entry).startswith("/tmp") for entry in app.get("tmpfs") or []):
        errors.append("service app: /tmp must be a tmpfs")
    limits = ((app.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    if not limits.get("cpus") or not limits.get("memory"):
        errors.append("service app: deploy.resources.limits must set cpus and memory")
    if "healthcheck" not in str((app.get("healthcheck") or {}).get("test", "")):
        errors.append("service app: healthcheck must run `mcp-markdown-manager healthcheck`")
    depends_on = app.get("depends_on")
    dependency = depends_on.get("postgres") if isinstance(depends_on, dict) else None
    if not dependency or dependency.get("condition") != "service_healthy":
        errors.append("service app: depends_on postgres must use condition service_healthy")

    for name, service in services.items():
        if "no-new-privileges:true" not in (service.get("security_opt") or []):
            errors.append(f"service {name}: security_opt must contain no-new-privileges:true")
        environment = environment_of(service)
        for variable in PLAIN_SECRET_VARIABLES:
            if environment.get(variable):
                errors.append(
                    f"service {name}: {variable} must come from a secret file ({variable}_FILE), "
                    "not the environment"
                )
        for variable in SECRET_FILE_VARIABLES:
            value = environment.get(variable)
            if value and not value.startswith("/run/secrets/"):
                errors.append(f"service {name}: {variable} must point into /run/secrets/")

    environment = environment_of(app)
    for variable in ("MCP_BIND_SESSION_TO_IP", "SECURITY_AUDIT_ENABLED", "SECURITY_AUDIT_FILE"):
        if environment.get(variable, "").lower() != "true":
            errors.append(f"service app: {variable} must be true")

    # TRUSTED_PROXIES must name exactly the gateway that host connections arrive from.
    gateways = []
    for network in app.get("networks") or {}:
        ipam = (networks.get(network) or {}).get("ipam") or {}
        gateways += [entry["gateway"] for entry in ipam.get("config") or [] if entry.get("gateway")]
    trusted = [item.strip() for item in environment.get("TRUSTED_PROXIES", "").split(",") if item.strip()]
    for item in trusted:
        network = ipaddress.ip_network(item, strict=False)
        if network.num_addresses > 1:
            errors.append(
                f"service app: TRUSTED_PROXIES entry {item} trusts a whole range; name the proxy's address"
            )
    if sorted(trusted) != sorted(gateways):
        errors.append(
            f"service app: TRUSTED_PROXIES {trusted} must equal the edge network gateway {gateways}"
        )

    # nginx must not reject a body that the service accepts.
    body_limit = nginx_body_limit_bytes(nginx_conf_path)
    max_content = int(environment.get("MAX_CONTENT_LENGTH") or 10_485_760)
    if body_limit is None:
        errors.append(f"{nginx_conf_path}: client_max_body_size is missing")
    elif body_limit < max_content + BODY_OVERHEAD_BYTES:
        errors.append(
            f"{nginx_conf_path}: client_max_body_size ({body_limit} bytes) is below "
            f"MAX_CONTENT_LENGTH + 64 KiB ({max_content + BODY_OVERHEAD_BYTES} bytes)"
        )
    return errors


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as resolved:
        config = yaml.safe_load(resolved)
    errors = check(config, sys.argv[2])
    for error in errors:
        print(f"  policy: {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

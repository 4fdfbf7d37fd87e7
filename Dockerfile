# syntax=docker/dockerfile:1
#
# Image of the MCP Markdown Manager service. Build with BuildKit (the default builder since
# Docker Engine 23):
#
#   docker build -t mcp-markdown-manager:local .
#
# The runtime image holds only the binary, the semantic-search model files (if any), CA
# certificates and the C runtime libraries. It runs as the unprivileged user 10001:10001 and
# needs no writable path except /tmp, so it runs with `--read-only --tmpfs /tmp`. The secrets
# come from the environment or `*_FILE` variables at run time and are never part of the image.
#
# The builder and the runtime image are both Debian 12 (bookworm), so the binary links against
# the same glibc that runs it.

# --- Stage 1: the web UI -------------------------------------------------------------------------
FROM node:20-bookworm-slim AS web
WORKDIR /build/web

# `we[b]` is a wildcard, and BuildKit accepts a wildcard COPY that matches nothing, so this
# stage also works while the repository has no web/ directory. It then produces an empty
# web/dist, and the binary embeds no UI.
COPY we[b]/package.json we[b]/package-lock.json* ./
RUN --mount=type=cache,target=/root/.npm \
    if [ -f package.json ]; then npm ci --no-audit --no-fund; fi
COPY we[b] ./
RUN if [ -f package.json ]; then npm run build; fi \
    && mkdir -p dist

# --- Stage 2: the Rust binary, and the semantic-search model files -------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /build

# Queries are checked against the committed .sqlx cache, so the build needs no database.
ENV SQLX_OFFLINE=true \
    CARGO_TERM_COLOR=never

# The whole context is copied (.dockerignore keeps out target/, node_modules/, .git/ and local
# state) so that files read at compile time, such as migrations/, are always present. The web
# UI comes from the first stage, because rust-embed reads web/dist while compiling.
COPY . .
COPY --from=web /build/web/dist ./web/dist

# target/ lives in a cache mount, so the binary is copied out of it within the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/build/target,sharing=locked \
    cargo build --release --locked \
    && mkdir -p /out \
    && cp target/release/mcp-markdown-manager /out/mcp-markdown-manager

# /out/log/mcp-markdown-manager becomes the audit log directory of the runtime image, and
# COPY --from keeps the owner and mode set here.
# NOTE: scripts/fetch-model.sh runs only when the repository contains it. It must work with the
# tools of the rust:1.95-bookworm image, and it writes into EMBEDDING_MODEL_DIR.
RUN mkdir -p /out/model \
    && install -d -o 10001 -g 10001 -m 0700 /out/log/mcp-markdown-manager \
    && if [ -f scripts/fetch-model.sh ]; then \
         EMBEDDING_MODEL_DIR=/out/model bash scripts/fetch-model.sh; \
       fi

# --- Stage 3: the runtime image ------------------------------------------------------------------
# Distroless "cc" contains glibc, libgcc, CA certificates and tzdata, and no shell or package
# manager. The "nonroot" tag sets a non-root default user; USER below pins the numeric one.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime

LABEL org.opencontainers.image.title="mcp-markdown-manager" \
      org.opencontainers.image.description="Markdown article store for AI agents, served over MCP, REST and a browser UI" \
      org.opencontainers.image.licenses="MIT"

# Files are owned by root and read-only for the service user, so a compromised process cannot
# replace its own binary or model files.
COPY --from=builder --chown=0:0 --chmod=0555 \
    /out/mcp-markdown-manager /usr/local/bin/mcp-markdown-manager
COPY --from=builder --chown=0:0 /out/model /opt/mcp-markdown-manager/model
# An empty directory for a persistent audit log. Docker initialises a new named volume mounted
# here with this owner and mode, so the service user can write to it (compose.yaml does this).
COPY --from=builder /out/log/ /var/log/

# BIND_ADDRESS must be 0.0.0.0 in a container, because published ports arrive on the
# container's network interface, not on its loopback. By default the audit log goes to /tmp,
# the only path that must be writable; compose.yaml moves it to a volume.
ENV BIND_ADDRESS=0.0.0.0 \
    PORT=5000 \
    LOG_FORMAT=json \
    SECURITY_AUDIT_FILE_PATH=/tmp/security-audit.log \
    EMBEDDING_MODEL_DIR=/opt/mcp-markdown-manager/model

USER 10001:10001
EXPOSE 5000

# `healthcheck` requests GET http://127.0.0.1:$PORT/health and exits 0 on a 200 response, so the
# image needs no curl or wget, and the check follows a PORT set at run time.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/mcp-markdown-manager", "healthcheck"]

# On SIGTERM the server stops accepting connections and waits up to 30 seconds (the actix-web
# default) for the requests in flight, so give `docker stop` a longer timeout than its 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/mcp-markdown-manager"]
CMD ["serve"]

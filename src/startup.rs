//! Builds the application: database, actors, HTTP server.

use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use actix::{Actor, Addr};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpServer, web};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing_actix_web::TracingLogger;

use crate::auth::hash_token;
use crate::config::{Config, Secret};
use crate::error::{json_error_handler, path_error_handler, query_error_handler};
use crate::search::SearchService;
use crate::security::client_ip;
use crate::security::{Audit, Decision, Level, Limiter, RateLimiter, SecurityEvent};
use crate::sessions::SessionRegistry;
use crate::store::StoreActor;
use crate::web_sessions::WebSessions;
use crate::{http_middleware, mcp, prometheus, rest, store, telemetry, web as web_ui};

/// Shared application state. Mutable security state lives in the actors.
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Addr<StoreActor>,
    pub sessions: Addr<SessionRegistry>,
    pub limiter: Addr<RateLimiter>,
    pub web_sessions: Addr<WebSessions>,
    pub audit: Audit,
    pub mcp_sessions: Arc<LocalSessionManager>,
    /// Article writes, for MCP resource notifications.
    pub changes: tokio::sync::broadcast::Sender<crate::changes::ArticleChange>,
    /// Sessions of the legacy HTTP+SSE transport (`/sse`).
    pub legacy_sessions: Arc<mcp::legacy_sse::LegacySessions>,
    /// Runtime switch of the MCP endpoint (the admin API turns it off and on).
    pub mcp_enabled: AtomicBool,
    /// The admin token; replaced when `AUTH_TOKEN_FILE` is re-read on SIGHUP.
    admin_token: RwLock<Secret>,
    /// Cancelled at shutdown: ends MCP sessions and event streams so the server can stop.
    pub shutdown: CancellationToken,
    /// Full-text, semantic and hybrid search, and the embedding worker.
    pub search: SearchService,
}

impl AppState {
    pub fn client_ip(&self, request: &HttpRequest) -> IpAddr {
        client_ip::of_request(request, &self.config.security.trusted_proxies)
            .unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    pub fn is_admin_token(&self, token: &str) -> bool {
        let admin = self
            .admin_token
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        crate::auth::constant_time_eq(token.as_bytes(), admin.expose().as_bytes())
    }

    pub fn admin_token_hash(&self) -> [u8; 32] {
        let admin = self
            .admin_token
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        hash_token(admin.expose())
    }

    /// Replaces the admin token; the old one stops working at once.
    pub fn rotate_admin_token(&self, token: Secret) {
        let mut admin = self
            .admin_token
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *admin = token;
    }

    pub fn mcp_enabled(&self) -> bool {
        self.mcp_enabled.load(Ordering::Relaxed)
    }

    /// Records a rate-limit refusal: a metric and a `rate_limit_exceeded` event.
    pub fn rate_limited(
        &self,
        limiter: Limiter,
        decision: &Decision,
        ip: IpAddr,
        token: Option<&str>,
    ) {
        metrics::counter!("mcp_rate_limit_exceeded_total", "limiter" => limiter.name())
            .increment(1);
        let mut event = SecurityEvent::new("rate_limit_exceeded", Level::Warning)
            .ip(ip)
            .detail("limiter", limiter.name())
            .detail("limit", decision.limit)
            .detail("retryAfterSeconds", decision.retry_after_secs());
        if let Some(token) = token {
            event = event.token(token);
        }
        self.audit.emit(event);
    }
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Connects to the database, applies migrations, starts the actors and binds the listener.
    /// Must run inside an actix system (for example under `#[actix_web::main]`).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let pool = store::connect(&config.database).await?;
        let listener = TcpListener::bind((config.bind_address, config.port)).map_err(|e| {
            anyhow::anyhow!(
                "failed to bind {}:{}: {e}",
                config.bind_address,
                config.port
            )
        })?;
        Self::with_listener(config, pool, listener)
    }

    pub fn with_listener(
        config: Config,
        pool: PgPool,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        crate::embedding::install_crypto_provider();
        let prometheus = prometheus::install();
        let config = Arc::new(config);
        let audit = Audit::start(&config.security)?;
        let store = StoreActor::new(pool).start();
        let search = SearchService::start(
            &config.semantic,
            store.clone(),
            config.semantic.queue_enabled,
        )?;
        let mcp_sessions = mcp::session_manager(&config);
        let legacy_sessions = Arc::new(mcp::legacy_sse::LegacySessions::default());
        let state = web::Data::new(AppState {
            sessions: SessionRegistry::new(
                config.mcp.clone(),
                mcp_sessions.clone(),
                legacy_sessions.clone(),
                audit.clone(),
                store.clone(),
            )
            .start(),
            legacy_sessions,
            store,
            limiter: RateLimiter::new(config.rate_limits.clone()).start(),
            web_sessions: WebSessions::default().start(),
            audit,
            mcp_sessions,
            mcp_enabled: AtomicBool::new(config.mcp.enabled),
            admin_token: RwLock::new(config.auth_token.clone()),
            shutdown: CancellationToken::new(),
            changes: crate::changes::channel(),
            search,
            config: config.clone(),
        });

        tracing::info!(
            address = %config.bind_address,
            port,
            base_path = %config.base_path,
            mcp = config.mcp.enabled,
            semantic_search = state.search.semantic_enabled(),
            "listening"
        );
        let server_state = state.clone();
        let server = HttpServer::new(move || {
            let state = server_state.clone();
            let base_path = state.config.base_path.clone();
            let mcp_routes = state.config.mcp.enabled;
            App::new()
                .wrap(from_fn(http_middleware::cors))
                .wrap(from_fn(http_middleware::security_headers))
                .wrap(from_fn(http_middleware::audit_rejections))
                .wrap(from_fn(http_middleware::record_metrics))
                .wrap(from_fn(telemetry::request_id))
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .app_data(web::Data::new(prometheus.clone()))
                .app_data(
                    web::JsonConfig::default()
                        .limit(state.config.limits.max_content_length + 64 * 1024)
                        .error_handler(json_error_handler),
                )
                .app_data(web::PayloadConfig::new(
                    state.config.limits.max_content_length + 64 * 1024,
                ))
                .app_data(web::QueryConfig::default().error_handler(query_error_handler))
                .app_data(web::PathConfig::default().error_handler(path_error_handler))
                .service(
                    web::scope(&base_path)
                        .configure(rest::configure)
                        .configure(|config| {
                            if mcp_routes {
                                config.service(mcp::scope(state.clone()));
                                config.configure(mcp::legacy_sse::configure);
                            }
                        })
                        .configure(web_ui::configure),
                )
        })
        // Without TCP_NODELAY every keep-alive MCP call stalls on Nagle plus delayed ACK (~44 ms).
        .tcp_nodelay(true)
        .shutdown_timeout(SHUTDOWN_TIMEOUT.as_secs())
        // Signals are handled in `run_with_signals`, which also ends long-lived streams.
        .disable_signals()
        .listen(listener)?
        .run();
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let state = self.state.clone();
        let result = self.server.await;
        flush(&state).await;
        result
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: stop accepting, let requests
    /// in flight finish, end MCP sessions and event streams (clients reconnect after the
    /// `retry` hint they were given), flush the audit log and the token batch. SIGHUP re-reads
    /// `AUTH_TOKEN_FILE`.
    pub async fn run_with_signals(self) -> std::io::Result<()> {
        use tokio::signal::unix::{SignalKind, signal};

        let handle = self.server.handle();
        let state = self.state.clone();
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut hangup = signal(SignalKind::hangup())?;
        actix_web::rt::spawn(async move {
            let reason = loop {
                tokio::select! {
                    _ = terminate.recv() => break "SIGTERM",
                    _ = interrupt.recv() => break "SIGINT",
                    _ = hangup.recv() => reload_admin_token(&state),
                }
            };
            tracing::info!(
                reason,
                "shutting down: no new connections, finishing requests in flight"
            );
            let stopped = handle.stop(true);
            let shutdown = state.shutdown.clone();
            actix_web::rt::spawn(async move {
                // Plain requests get a moment to finish before streams and sessions are ended.
                actix_web::rt::time::sleep(STREAM_GRACE).await;
                shutdown.cancel();
            });
            stopped.await;
        });
        let state = self.state.clone();
        let result = self.server.await;
        state.shutdown.cancel();
        flush(&state).await;
        tracing::info!("server stopped");
        result
    }
}

/// Longest wait for requests in flight at shutdown.
const SHUTDOWN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Time plain requests get to finish before SSE streams and MCP sessions are closed.
const STREAM_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

async fn flush(state: &AppState) {
    state.search.stop_worker();
    state.audit.flush().await;
    if let Err(error) = state.store.send(store::FlushLastUsed).await {
        tracing::warn!(%error, "failed to flush token last-used times at shutdown");
    }
}

/// Re-reads `AUTH_TOKEN_FILE`; the old admin token stops working at once.
fn reload_admin_token(state: &AppState) {
    let Ok(path) = std::env::var("AUTH_TOKEN_FILE") else {
        tracing::warn!(
            "SIGHUP received but AUTH_TOKEN_FILE is not set; the admin token is unchanged"
        );
        return;
    };
    let token = match std::fs::read_to_string(&path) {
        Ok(contents) => contents.trim_end_matches(['\n', '\r']).to_owned(),
        Err(error) => {
            tracing::error!(%error, path, "failed to re-read AUTH_TOKEN_FILE; the admin token is unchanged");
            return;
        }
    };
    let long_enough = token.chars().count() >= crate::config::MIN_AUTH_TOKEN_LENGTH
        || state.config.insecure_dev_mode;
    if token.trim().is_empty() || !long_enough {
        tracing::error!(
            path,
            "the new admin token is empty or too short; the admin token is unchanged"
        );
        return;
    }
    state.rotate_admin_token(Secret::new(token));
    state
        .audit
        .emit(SecurityEvent::new("admin_token_rotated", Level::Warning).detail("source", "SIGHUP"));
}

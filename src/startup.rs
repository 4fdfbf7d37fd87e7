//! Builds the application: database, actors, HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix::{Actor, Addr};
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use sqlx::PgPool;
use tracing_actix_web::TracingLogger;

use crate::config::Config;
use crate::error::{json_error_handler, path_error_handler, query_error_handler};
use crate::sessions::SessionRegistry;
use crate::store::StoreActor;
use crate::{mcp, rest, store, telemetry};

/// Shared, read-only application state. Mutable state lives in the actors.
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Addr<StoreActor>,
    pub sessions: Addr<SessionRegistry>,
    pub mcp_sessions: Arc<LocalSessionManager>,
}

pub struct Application {
    port: u16,
    server: Server,
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
        let config = Arc::new(config);
        let mcp_sessions = mcp::session_manager(&config);
        let state = web::Data::new(AppState {
            store: StoreActor::new(pool).start(),
            sessions: SessionRegistry::new(config.mcp.clone(), mcp_sessions.clone()).start(),
            mcp_sessions,
            config: config.clone(),
        });

        tracing::info!(
            address = %config.bind_address,
            port,
            mcp = config.mcp.enabled,
            "listening"
        );
        let server = HttpServer::new(move || {
            let app = App::new()
                .wrap(security_headers())
                .wrap(from_fn(telemetry::request_id))
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(state.config.limits.max_content_length + 64 * 1024)
                        .error_handler(json_error_handler),
                )
                .app_data(web::QueryConfig::default().error_handler(query_error_handler))
                .app_data(web::PathConfig::default().error_handler(path_error_handler))
                .configure(rest::configure);
            if state.config.mcp.enabled {
                app.service(mcp::scope(state.clone()))
            } else {
                app
            }
        })
        // Without TCP_NODELAY every keep-alive MCP call stalls on Nagle plus delayed ACK (~44 ms).
        .tcp_nodelay(true)
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
             connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
             frame-ancestors 'none'",
        ))
}

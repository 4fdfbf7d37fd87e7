//! The MCP endpoint at `/mcp` (Streamable HTTP). rmcp, through rmcp-actix-web, speaks the
//! protocol; the gate in front of it authenticates the caller and applies the session policy.

pub mod gate;
pub mod legacy_sse;
pub mod session_store;
pub mod tools;

use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{HttpMessage, web};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp_actix_web::transport::StreamableHttpService;

use crate::config::Config;
use crate::startup::AppState;
use tools::{ArticleTools, McpCaller};

/// Builds the session manager that rmcp uses. The registry actor enforces idle and absolute
/// expiry itself; rmcp's own keep-alive only backs it up, a minute later.
pub fn session_manager(config: &Config) -> Arc<LocalSessionManager> {
    let mut manager = LocalSessionManager::default();
    manager.session_config.keep_alive =
        Some(Duration::from_millis(config.mcp.session_idle_ms) + Duration::from_secs(60));
    Arc::new(manager)
}

/// Returns the `/mcp` scope, wrapped in the gate.
pub fn scope(
    state: web::Data<AppState>,
) -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let factory_state = state.clone();
    let mcp = &state.config.mcp;
    let session_store = Arc::new(session_store::PgSessionStore::new(state.store.clone()));
    StreamableHttpService::builder()
        .service_factory(Arc::new(move || {
            Ok(ArticleTools::for_state(&factory_state))
        }))
        .session_manager(state.mcp_sessions.clone())
        .session_store(session_store)
        .sse_keep_alive(Duration::from_millis(mcp.sse_keep_alive_ms))
        .cancellation_token(state.shutdown.child_token())
        .stateful_mode(true)
        .allowed_hosts(mcp.allowed_hosts.clone())
        .maybe_allowed_origins(
            (!mcp.allowed_origins.is_empty()).then(|| mcp.allowed_origins.clone()),
        )
        .max_request_body_bytes(mcp.max_request_size_bytes)
        .on_request_fn(|request, extensions| {
            if let Some(caller) = request.extensions().get::<McpCaller>() {
                extensions.insert(caller.clone());
            }
        })
        .build()
        .scope_with_path("/mcp")
        .wrap(from_fn(gate::mcp_gate))
}

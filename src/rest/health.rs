//! Liveness and readiness probes, and the public article route.

use actix_web::{HttpResponse, web};

use crate::domain::Slug;
use crate::error::ApiError;
use crate::startup::AppState;
use crate::store;
use crate::views::PublicArticleView;

/// Liveness: the process serves HTTP. Reveals nothing about configuration.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "timestamp": chrono::Utc::now(),
    }))
}

/// Readiness: the database answers.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match store::ask(&state.store, store::Ping {}).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({
            "status": "ready",
            "database": { "healthy": true },
        })),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({
                "status": "unavailable",
                "database": { "healthy": false },
            }))
        }
    }
}

pub async fn public_article(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = Slug::parse(&path).map_err(|_| ApiError::NotFound("article not found".into()))?;
    let article = store::ask(&state.store, store::GetPublicArticle { slug })
        .await
        .map_err(|error| match error {
            store::StoreError::ArticleNotFound(_) => ApiError::NotFound("article not found".into()),
            other => other.into(),
        })?;
    Ok(HttpResponse::Ok().json(PublicArticleView::from(article)))
}

/// OAuth 2.0 protected-resource metadata (RFC 9728) for `/mcp`, so clients that receive a 401
/// learn that a bearer token in the `Authorization` header is expected.
pub async fn resource_metadata(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
) -> HttpResponse {
    let base = crate::mcp::gate::public_base_url(&state, &request);
    HttpResponse::Ok()
        .insert_header(("access-control-allow-origin", "*"))
        .json(serde_json::json!({
            "resource": format!("{base}/mcp"),
            "resource_name": "MCP Markdown Manager",
            "authorization_servers": [],
            "bearer_methods_supported": ["header"],
            "scopes_supported": ["read-only", "write"],
        }))
}

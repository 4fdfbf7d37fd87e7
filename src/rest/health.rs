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
    request: actix_web::HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ip = state.client_ip(&request);
    let decision = state
        .limiter
        .send(crate::security::rate_limit::Acquire {
            limiter: crate::security::Limiter::Public,
            key: ip.to_string(),
        })
        .await
        .map_err(ApiError::internal)?;
    if !decision.allowed {
        state.rate_limited(crate::security::Limiter::Public, &decision, ip, None);
        return Err(ApiError::RateLimited {
            limiter: crate::security::Limiter::Public,
            decision,
        });
    }
    let slug = Slug::parse(&path).map_err(|_| ApiError::NotFound("article not found".into()))?;
    let article = store::ask(&state.store, store::GetPublicArticle { slug })
        .await
        .map_err(|error| match error {
            store::StoreError::ArticleNotFound(_) => ApiError::NotFound("article not found".into()),
            other => other.into(),
        })?;
    Ok(HttpResponse::Ok().json(PublicArticleView::from(article)))
}

/// The OpenAPI document, kept by hand in `openapi/openapi.yaml` and checked against the router
/// by `tests/openapi/check_routes.py`.
const OPENAPI_YAML: &str = include_str!("../../openapi/openapi.yaml");

pub async fn openapi_yaml() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml; charset=utf-8")
        .body(OPENAPI_YAML)
}

/// Serves the document as JSON, with `servers` pointing at the address the request reached.
pub async fn openapi_json(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    static PARSED: std::sync::OnceLock<Result<serde_json::Value, String>> =
        std::sync::OnceLock::new();
    let parsed =
        PARSED.get_or_init(|| yaml_serde::from_str(OPENAPI_YAML).map_err(|e| e.to_string()));
    let mut document = parsed.clone().map_err(|error| {
        ApiError::internal(anyhow::anyhow!(
            "the embedded OpenAPI document is invalid: {error}"
        ))
    })?;
    let base = crate::mcp::gate::public_base_url(&state, &request);
    document["servers"] = serde_json::json!([{ "url": base }]);
    Ok(HttpResponse::Ok().json(document))
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

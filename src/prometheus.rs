//! Prometheus metrics, served at `/metrics` to the admin token or `METRICS_TOKEN`.

use std::sync::OnceLock;

use actix_web::{HttpRequest, HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub use ::metrics::{counter, gauge, histogram};

use crate::auth::{bearer_token, constant_time_eq};
use crate::error::ApiError;
use crate::startup::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the global recorder once per process (tests start several applications).
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("duration_seconds".to_owned()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        10.0,
                    ],
                )
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => Some(handle),
                Err(error) => {
                    tracing::warn!(%error, "metrics recorder not installed");
                    None
                }
            }
        })
        .clone()
}

pub async fn render(
    state: web::Data<AppState>,
    handle: web::Data<Option<PrometheusHandle>>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ip = state.client_ip(&request);
    crate::auth::check_lockout(&state, ip).await?;
    let token = bearer_token(&request).unwrap_or("");
    let metrics_token = state.config.security.metrics_token.as_ref();
    let allowed = state.is_admin_token(token)
        || metrics_token
            .is_some_and(|secret| constant_time_eq(token.as_bytes(), secret.expose().as_bytes()));
    if !allowed {
        crate::auth::record_failure(
            &state,
            ip,
            "metrics",
            if token.is_empty() {
                "missing_token"
            } else {
                "invalid_token"
            },
        )
        .await;
        return Err(ApiError::Unauthorized);
    }
    gauge!("mcp_audit_events_dropped").set(state.audit.dropped() as f64);
    let body = handle
        .as_ref()
        .as_ref()
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}

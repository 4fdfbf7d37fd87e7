//! Middleware for every response: security headers, metrics, and audit events for rejected
//! input.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use actix_web::HttpMessage;

use crate::error::ErrorCode;

/// Name of the authenticated principal, recorded by the authentication layers for the request log.
#[derive(Debug, Clone)]
pub struct RequestPrincipal(pub String);
use crate::security::client_ip;
use crate::security::{Level, SecurityEvent};
use crate::startup::AppState;

/// The content security policy of every response: no inline script or style, no `eval`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: https:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

const HEADERS: [(&str, &str); 7] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=()",
    ),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
];

pub async fn security_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = request
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| {
            client_ip::is_https(request.request(), &state.config.security.trusted_proxies)
        });
    let mut response = next.call(request).await?;
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if https {
        headers.insert(
            HeaderName::from_static("strict-transport-security"),
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    Ok(response)
}

/// Records `validation_failure` and `oversized_request` events for rejected requests.
pub async fn audit_rejections(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let response = next.call(request).await?;
    let code = response.response().extensions().get::<ErrorCode>().copied();
    let Some(ErrorCode(code)) = code else {
        return Ok(response);
    };
    let status = response.status().as_u16();
    let event = match status {
        413 => "oversized_request",
        400 | 422 if code != "suspicious_input" => "validation_failure",
        _ => return Ok(response),
    };
    if let Some(state) = response.request().app_data::<web::Data<AppState>>() {
        if event == "validation_failure" {
            metrics::counter!("mcp_validation_failures_total", "code" => code).increment(1);
        }
        state.audit.emit(
            SecurityEvent::new(event, Level::Info)
                .ip(state.client_ip(response.request()))
                .detail("code", code)
                .detail("path", response.request().path()),
        );
    }
    Ok(response)
}

/// Counts requests and their duration by route template (never the raw path).
pub async fn record_metrics(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().to_string();
    let response = next.call(request).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status_code = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let token = response
        .request()
        .extensions()
        .get::<RequestPrincipal>()
        .map(|principal| principal.0.clone());
    let request_id = crate::telemetry::current_request_id();
    // One line per request: the route template (never the raw path, which may carry slugs),
    // status, duration, request id and token name (never the token).
    if route == "/health" && status_code == 200 {
        tracing::debug!(target: "http", %method, %route, status = status_code, duration_ms, request_id, token, "request");
    } else {
        tracing::info!(target: "http", %method, %route, status = status_code, duration_ms, request_id, token, "request");
    }
    let status = status_code.to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    Ok(response)
}

/// CORS for the REST API, only for origins listed in `CORS_ORIGINS` (none by default). The
/// preflight is answered before authentication; other origins get no CORS headers, so browsers
/// keep their responses from scripts.
pub async fn cors(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let origin = request
        .headers()
        .get(actix_web::http::header::ORIGIN)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let allowed = match (&origin, request.app_data::<web::Data<AppState>>()) {
        (Some(origin), Some(state)) => state
            .config
            .security
            .cors_origins
            .iter()
            .any(|o| o == origin),
        _ => false,
    };
    let is_api = request.path().contains("/api/");
    if !(allowed && is_api) {
        return Ok(next.call(request).await?.map_into_boxed_body());
    }
    let origin = origin.unwrap_or_default();
    if request.method() == actix_web::http::Method::OPTIONS {
        let response = actix_web::HttpResponse::NoContent()
            .insert_header(("access-control-allow-origin", origin))
            .insert_header((
                "access-control-allow-methods",
                "GET, POST, PUT, PATCH, DELETE, OPTIONS",
            ))
            .insert_header((
                "access-control-allow-headers",
                "authorization, content-type, if-match, x-csrf-token",
            ))
            .insert_header(("access-control-max-age", "600"))
            .insert_header(("vary", "Origin"))
            .finish();
        return Ok(request.into_response(response));
    }
    let mut response = next.call(request).await?.map_into_boxed_body();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&origin) {
        headers.insert(
            HeaderName::from_static("access-control-allow-origin"),
            value,
        );
    }
    headers.insert(
        HeaderName::from_static("vary"),
        HeaderValue::from_static("Origin"),
    );
    headers.insert(
        HeaderName::from_static("access-control-expose-headers"),
        HeaderValue::from_static(
            "ETag, X-Total-Count, Link, Retry-After, RateLimit, RateLimit-Policy, X-Request-Id",
        ),
    );
    Ok(response)
}

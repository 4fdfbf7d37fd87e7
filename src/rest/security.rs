//! Admin endpoints for operators: security events (list and live stream), rate-limit buckets,
//! MCP sessions, and the MCP on/off switch.

use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_lab::sse;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Deserialize;

use crate::auth::AdminAccess;
use crate::error::ApiError;
use crate::security::audit::EventFilter;
use crate::security::rate_limit::Snapshot;
use crate::security::{Level, SecurityEvent};
use crate::sessions::{ListSessions, RevokeSessions, RevokeTarget};
use crate::startup::AppState;

const DEFAULT_EVENT_LIMIT: usize = 100;
const MAX_EVENT_LIMIT: usize = 5000;

#[derive(Debug, Deserialize)]
pub struct EventQuery {
    /// Event name, e.g. `auth_failure`.
    r#type: Option<String>,
    /// Minimum level: debug, info, warning, error, critical.
    level: Option<String>,
    ip: Option<String>,
    since: Option<DateTime<Utc>>,
    limit: Option<usize>,
}

impl EventQuery {
    fn filter(&self) -> Result<EventFilter, ApiError> {
        let min_level = match self.level.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(Level::parse(raw).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_level",
                    format!(
                        "level {raw:?} is invalid; use debug, info, warning, error or critical"
                    ),
                )
            })?),
        };
        let ip = match self.ip.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(raw.parse().map_err(|_| {
                ApiError::bad_request("invalid_ip", format!("ip {raw:?} is not an IP address"))
            })?),
        };
        let limit = self.limit.unwrap_or(DEFAULT_EVENT_LIMIT);
        if !(1..=MAX_EVENT_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(
                "invalid_limit",
                format!("limit must be between 1 and {MAX_EVENT_LIMIT}, got {limit}"),
            ));
        }
        Ok(EventFilter {
            event: self.r#type.clone().filter(|name| !name.is_empty()),
            min_level,
            ip,
            since: self.since,
            limit,
        })
    }
}

pub async fn events(
    _access: AdminAccess,
    state: web::Data<AppState>,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let events = state.audit.query(query.filter()?).await;
    Ok(HttpResponse::Ok().json(events))
}

/// Streams new events as server-sent events, filtered like the list.
pub async fn event_stream(
    _access: AdminAccess,
    state: web::Data<AppState>,
    query: web::Query<EventQuery>,
) -> Result<impl actix_web::Responder, ApiError> {
    let filter = query.filter()?;
    let receiver = state.audit.subscribe();
    let stream = tokio_stream_from(receiver)
        .take_until(state.shutdown.clone().cancelled_owned())
        .filter_map(move |event| {
            let filter = filter.clone();
            async move {
                let matches = filter
                    .event
                    .as_deref()
                    .is_none_or(|name| event.event == name)
                    && filter.min_level.is_none_or(|level| event.level >= level)
                    && filter.ip.is_none_or(|ip| event.ip == Some(ip));
                if !matches {
                    return None;
                }
                let data = sse::Data::new_json(&event).ok()?.event("security");
                Some(Ok::<_, std::convert::Infallible>(sse::Event::Data(data)))
            }
        });
    Ok(sse::Sse::from_stream(stream).with_keep_alive(Duration::from_secs(15)))
}

/// Adapts a broadcast receiver into a stream; a lagging subscriber skips what it missed.
fn tokio_stream_from(
    receiver: tokio::sync::broadcast::Receiver<SecurityEvent>,
) -> impl futures::Stream<Item = SecurityEvent> {
    futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => return Some((event, receiver)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

pub async fn rate_limits(
    _access: AdminAccess,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let buckets = state
        .limiter
        .send(Snapshot)
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(buckets))
}

pub async fn sessions(
    _access: AdminAccess,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let sessions = state
        .sessions
        .send(ListSessions)
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(sessions))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokeQuery {
    token_id: Option<i64>,
}

async fn revoke(
    state: &AppState,
    request: &HttpRequest,
    access: &AdminAccess,
    target: RevokeTarget,
) -> Result<HttpResponse, ApiError> {
    let description = format!("{target:?}");
    let revoked = state
        .sessions
        .send(RevokeSessions {
            target,
            reason: "admin",
        })
        .await
        .map_err(ApiError::internal)?;
    state.audit.emit(
        SecurityEvent::new("admin_sessions_revoked", Level::Warning)
            .ip(state.client_ip(request))
            .token(access.principal.name())
            .detail("target", description)
            .detail("revoked", revoked),
    );
    Ok(HttpResponse::Ok().json(serde_json::json!({ "revoked": revoked })))
}

pub async fn revoke_sessions(
    access: AdminAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<RevokeQuery>,
) -> Result<HttpResponse, ApiError> {
    let target = match query.token_id {
        Some(id) => RevokeTarget::Token(id),
        None => RevokeTarget::All,
    };
    revoke(&state, &request, &access, target).await
}

pub async fn revoke_session(
    access: AdminAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let handle = path.into_inner();
    if handle.len() != 24 || !handle.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::bad_request(
            "invalid_session_id",
            "a session id is the 24-character hex id from GET /api/security/sessions",
        ));
    }
    revoke(
        &state,
        &request,
        &access,
        RevokeTarget::Handle(handle.to_ascii_lowercase()),
    )
    .await
}

pub async fn mcp_setting(_access: AdminAccess, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "enabled": state.mcp_enabled(),
        "available": state.config.mcp.enabled,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpSettingBody {
    enabled: bool,
}

/// Turns the MCP endpoint off (revoking every session) or back on, without a restart.
pub async fn set_mcp_setting(
    access: AdminAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<McpSettingBody>,
) -> Result<HttpResponse, ApiError> {
    if body.enabled && !state.config.mcp.enabled {
        return Err(ApiError::Conflict(
            "MCP_SERVER_ENABLED=false removed the MCP routes at startup; change it and restart"
                .to_owned(),
        ));
    }
    state.mcp_enabled.store(body.enabled, Ordering::Relaxed);
    let mut revoked = 0;
    if !body.enabled {
        revoked = state
            .sessions
            .send(RevokeSessions {
                target: RevokeTarget::All,
                reason: "mcp_disabled",
            })
            .await
            .map_err(ApiError::internal)?;
    }
    state.audit.emit(
        SecurityEvent::new(
            if body.enabled {
                "mcp_enabled"
            } else {
                "mcp_disabled"
            },
            Level::Warning,
        )
        .ip(state.client_ip(&request))
        .token(access.principal.name())
        .detail("sessionsRevoked", revoked),
    );
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "enabled": body.enabled, "sessionsRevoked": revoked })))
}

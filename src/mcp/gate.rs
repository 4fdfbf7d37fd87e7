//! Middleware in front of rmcp: the runtime switch, `Origin` checks, authentication with
//! brute-force lockout, session ownership and caps, request size, and the per-token rate
//! limit on tool calls. It reads the (bounded) body once to learn the JSON-RPC method, then
//! hands the same bytes on to rmcp.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::auth::{self, AuthError, Principal, principal_key};
use crate::security::rate_limit::Acquire;
use crate::security::{Level, Limiter, SecurityEvent};
use crate::sessions::{CheckCaps, ForgetSession, RegisterSession, SessionRejection, UseSession};
use crate::startup::AppState;

use super::tools::McpCaller;

const SESSION_HEADER: &str = "mcp-session-id";
const PROTOCOL_HEADER: &str = "mcp-protocol-version";
/// JSON-RPC error code for a refused tool call because of the rate limit.
pub const RATE_LIMITED_CODE: i64 = -32029;

/// A JSON-RPC error response with an HTTP status.
fn rpc_error(
    status: StatusCode,
    id: &Value,
    code: i64,
    message: &str,
    data: Option<Value>,
) -> HttpResponse {
    let mut error = json!({ "code": code, "message": message });
    if let Some(data) = data {
        error["data"] = data;
    }
    HttpResponse::build(status).json(json!({ "jsonrpc": "2.0", "id": id, "error": error }))
}

fn unauthorized(state: &AppState) -> HttpResponse {
    let mut response = rpc_error(
        StatusCode::UNAUTHORIZED,
        &Value::Null,
        -32001,
        "authentication required: send `Authorization: Bearer <access token>`",
        None,
    );
    let metadata = format!(
        "Bearer realm=\"mcp-markdown-manager\", resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
        state.config.base_path
    );
    if let Ok(value) = HeaderValue::from_str(&metadata) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// What the gate learned from the JSON-RPC body.
struct RpcSummary {
    id: Value,
    method: Option<String>,
    tool: Option<String>,
}

fn summarise(body: &[u8]) -> RpcSummary {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return RpcSummary {
            id: Value::Null,
            method: None,
            tool: None,
        };
    };
    RpcSummary {
        id: value.get("id").cloned().unwrap_or(Value::Null),
        method: value
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_owned),
        tool: value
            .pointer("/params/name")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

pub async fn mcp_gate(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "application state is missing",
        ));
    };
    if !state.mcp_enabled() {
        return Ok(request.into_response(rpc_error(
            StatusCode::NOT_FOUND,
            &Value::Null,
            -32601,
            "the MCP server is switched off",
            None,
        )));
    }
    let ip = state.client_ip(request.request());

    // 1. Browsers send Origin; only configured origins may call MCP (DNS rebinding, CSRF).
    if let Some(origin) = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        && !state
            .config
            .mcp
            .allowed_origins
            .iter()
            .any(|allowed| allowed == origin)
    {
        state.audit.emit(
            SecurityEvent::new("origin_rejected", Level::Warning)
                .ip(ip)
                .detail("origin", origin),
        );
        return Ok(request.into_response(rpc_error(
            StatusCode::FORBIDDEN,
            &Value::Null,
            -32600,
            "requests from this Origin are not allowed; add it to MCP_ALLOWED_ORIGINS",
            None,
        )));
    }

    // 2. Tokens in the query string leak into logs and history; refuse them outright.
    let query = request.query_string();
    if query.split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        matches!(name, "access_token" | "token" | "auth" | "api_key")
    }) {
        return Ok(request.into_response(rpc_error(
            StatusCode::BAD_REQUEST,
            &Value::Null,
            -32600,
            "credentials in the query string are not accepted; send `Authorization: Bearer <token>`",
            None,
        )));
    }

    // 3. Authenticate. MCP accepts access tokens only, never the admin token.
    let principal = match auth::authenticate(
        &state,
        auth::bearer_token(request.request()),
        ip,
        "mcp",
    )
    .await
    {
        Ok(Principal::Admin) => {
            return Ok(request.into_response(rpc_error(
                StatusCode::FORBIDDEN,
                &Value::Null,
                -32001,
                "the admin token cannot be used for MCP; create an access token with POST /api/access-tokens",
                None,
            )));
        }
        Ok(principal) => principal,
        Err(AuthError::Missing | AuthError::Invalid) => {
            return Ok(request.into_response(unauthorized(&state)));
        }
        Err(AuthError::LockedOut(decision)) => {
            let mut response = rpc_error(
                StatusCode::TOO_MANY_REQUESTS,
                &Value::Null,
                RATE_LIMITED_CODE,
                "too many failed authentications from this address; retry later",
                Some(json!({ "retryAfterSeconds": decision.retry_after_secs() })),
            );
            insert_retry_after(&mut response, decision.retry_after_secs());
            return Ok(request.into_response(response));
        }
        Err(AuthError::Internal(error)) => {
            tracing::error!(%ip, error = %error, "MCP authentication could not be checked");
            return Ok(request.into_response(rpc_error(
                StatusCode::SERVICE_UNAVAILABLE,
                &Value::Null,
                -32603,
                "authentication is temporarily unavailable; retry later",
                None,
            )));
        }
    };
    let Some(token_id) = principal.token_id() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "token principal without id",
        ));
    };
    let token_name = principal.name().to_owned();

    // 4. Read the body (bounded by bytes actually received) to learn the method.
    let summary = if request.method() == Method::POST {
        let limit = state.config.mcp.max_request_size_bytes;
        let mut payload = request.take_payload();
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > limit {
                state.audit.emit(
                    SecurityEvent::new("oversized_request", Level::Warning)
                        .ip(ip)
                        .token(token_name.clone())
                        .detail("limit", limit)
                        .detail("path", request.path()),
                );
                return Ok(request.into_response(rpc_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &Value::Null,
                    -32600,
                    &format!("request body is larger than the limit of {limit} bytes"),
                    None,
                )));
            }
            body.extend_from_slice(&chunk);
        }
        let body = body.freeze();
        let summary = summarise(&body);
        let (_, mut replay) = actix_http::h1::Payload::create(true);
        replay.unread_data(body);
        request.set_payload(replay.into());
        summary
    } else {
        RpcSummary {
            id: Value::Null,
            method: None,
            tool: None,
        }
    };

    let session_id = request
        .headers()
        .get(SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let stateless = request
        .headers()
        .get(PROTOCOL_HEADER)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|version| version >= "2026-07-28");

    // 5. A request in a session must come from the session's token (and IP, when bound).
    //    Closing a session is always allowed to its owner, even when rate limited.
    if let Some(id) = &session_id {
        let verdict = state
            .sessions
            .send(UseSession {
                id: id.clone(),
                token_id,
                token_name: token_name.clone(),
                ip,
            })
            .await
            .map_err(actix_web::error::ErrorInternalServerError)?;
        match verdict {
            Ok(()) => {}
            Err(SessionRejection::NotFound) => {
                return Ok(request.into_response(rpc_error(
                    StatusCode::NOT_FOUND,
                    &summary.id,
                    -32001,
                    "session not found or expired; send a new initialize request",
                    None,
                )));
            }
            Err(SessionRejection::TokenMismatch | SessionRejection::IpMismatch) => {
                return Ok(request.into_response(rpc_error(
                    StatusCode::FORBIDDEN,
                    &summary.id,
                    -32001,
                    "this session belongs to another client; send a new initialize request",
                    None,
                )));
            }
        }
    } else if summary.method.as_deref() == Some("initialize") && !stateless {
        // 6. Caps are checked before rmcp creates a session, and the session is registered
        //    only once rmcp answered with its id, so a failed initialize never holds a slot.
        let caps = state
            .sessions
            .send(CheckCaps {
                token_id,
                token_name: token_name.clone(),
                ip,
            })
            .await
            .map_err(actix_web::error::ErrorInternalServerError)?;
        if let Err(exceeded) = caps {
            return Ok(request.into_response(rpc_error(
                StatusCode::TOO_MANY_REQUESTS,
                &summary.id,
                -32001,
                &exceeded.to_string(),
                None,
            )));
        }
    }

    // 7. Tool calls count against the token's limit, shared by all of its sessions.
    if summary.method.as_deref() == Some("tools/call") {
        let decision = state
            .limiter
            .send(Acquire {
                limiter: Limiter::McpToolCalls,
                key: principal_key(&principal),
            })
            .await
            .map_err(actix_web::error::ErrorInternalServerError)?;
        let tool = summary.tool.clone().unwrap_or_default();
        if !decision.allowed {
            state.rate_limited(Limiter::McpToolCalls, &decision, ip, Some(&token_name));
            metrics::counter!("mcp_tool_calls_total", "tool" => tool, "outcome" => "rate_limited")
                .increment(1);
            let mut response = rpc_error(
                StatusCode::TOO_MANY_REQUESTS,
                &summary.id,
                RATE_LIMITED_CODE,
                &format!(
                    "rate limit of {} tool calls per {} s reached; retry after {} s",
                    decision.limit,
                    decision.window.as_secs(),
                    decision.retry_after_secs()
                ),
                Some(json!({
                    "retryAfterSeconds": decision.retry_after_secs(),
                    "limit": decision.limit,
                    "windowSeconds": decision.window.as_secs(),
                })),
            );
            insert_retry_after(&mut response, decision.retry_after_secs());
            return Ok(request.into_response(response));
        }
        metrics::counter!("mcp_tool_calls_total", "tool" => tool, "outcome" => "called")
            .increment(1);
    }

    let is_delete = request.method() == Method::DELETE;
    request.extensions_mut().insert(McpCaller { principal, ip });
    let response = next.call(request).await?.map_into_boxed_body();

    match (&session_id, response.status().is_success()) {
        (Some(id), true) if is_delete => {
            state.sessions.do_send(ForgetSession { id: id.clone() });
        }
        (None, true) => {
            if let Some(created) = response
                .headers()
                .get(SESSION_HEADER)
                .and_then(|value| value.to_str().ok())
            {
                state.audit.emit(
                    SecurityEvent::new("auth_success", Level::Debug)
                        .ip(ip)
                        .token(token_name.clone())
                        .detail("channel", "mcp"),
                );
                state.sessions.do_send(RegisterSession {
                    id: created.to_owned(),
                    token_id,
                    token_name,
                    ip,
                });
            }
        }
        _ => {}
    }
    Ok(response)
}

fn insert_retry_after(response: &mut HttpResponse, seconds: u64) {
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
}

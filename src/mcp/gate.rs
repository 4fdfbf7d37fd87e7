//! Middleware in front of rmcp: CORS, the runtime switch, `Origin` checks, authentication with
//! brute-force lockout, session ownership and caps, request size, and the per-token rate
//! limit on tool calls. It reads the (bounded) body once to learn the JSON-RPC method, then
//! hands the same bytes on to rmcp. The legacy HTTP+SSE transport uses the same checks.

use std::net::IpAddr;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::auth::{self, AuthError, Principal, principal_key};
use crate::security::rate_limit::Acquire;
use crate::security::{Level, Limiter, SecurityEvent};
use crate::sessions::{CheckCaps, ForgetSession, RegisterSession, SessionRejection, UseSession};
use crate::startup::AppState;

use super::tools::McpCaller;

pub const SESSION_HEADER: &str = "mcp-session-id";
const PROTOCOL_HEADER: &str = "mcp-protocol-version";
/// JSON-RPC error code for a tool call refused by the rate limit.
pub const RATE_LIMITED_CODE: i64 = -32029;

/// A JSON-RPC error response with an HTTP status.
pub fn rpc_error(
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

/// Returns the absolute URL of this service (scheme, host and base path), for metadata.
pub fn public_base_url(state: &AppState, request: &HttpRequest) -> String {
    if let Some(url) = &state.config.public_base_url {
        return url.clone();
    }
    // Forwarded host and scheme are believed only from trusted proxies; otherwise the Host
    // header of the request is used, restricted to characters a host name can contain.
    let trusted = request.peer_addr().is_some_and(|peer| {
        let ip = peer.ip();
        state
            .config
            .security
            .trusted_proxies
            .iter()
            .any(|network| network.contains(&ip))
    });
    let (scheme, host) = if trusted {
        let info = request.connection_info();
        (info.scheme().to_owned(), info.host().to_owned())
    } else {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("localhost");
        ("http".to_owned(), host.to_owned())
    };
    let host_is_clean = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    let host = if host_is_clean {
        host
    } else {
        "localhost".to_owned()
    };
    let scheme = if scheme == "https" { "https" } else { "http" };
    format!("{scheme}://{host}{}", state.config.base_path)
}

fn unauthorized(state: &AppState, request: &HttpRequest) -> HttpResponse {
    let mut response = rpc_error(
        StatusCode::UNAUTHORIZED,
        &Value::Null,
        -32001,
        "authentication required: send `Authorization: Bearer <access token>`",
        None,
    );
    let metadata = format!(
        "Bearer realm=\"mcp-markdown-manager\", resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
        public_base_url(state, request)
    );
    if let Ok(value) = HeaderValue::from_str(&metadata) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// Who is calling, once admitted.
#[derive(Debug, Clone)]
pub struct Admitted {
    pub principal: Principal,
    pub token_id: i64,
    pub token_name: String,
    pub ip: IpAddr,
}

impl Admitted {
    pub fn caller(&self) -> McpCaller {
        McpCaller {
            principal: self.principal.clone(),
            ip: self.ip,
        }
    }
}

fn allowed_origin<'a>(
    state: &AppState,
    headers: &'a HeaderMap,
) -> Result<Option<&'a str>, &'a str> {
    // A page served from this very host (same origin) is as trusted as the Host check makes it.
    let same_origin = |origin: &str| {
        let host = headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok());
        let origin_host = origin.split_once("://").map(|(_, rest)| rest);
        host.is_some() && origin_host == host
    };
    match headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
    {
        None => Ok(None),
        Some(origin) if same_origin(origin) => Ok(Some(origin)),
        Some(origin)
            if state
                .config
                .mcp
                .allowed_origins
                .iter()
                .any(|allowed| allowed == origin) =>
        {
            Ok(Some(origin))
        }
        Some(origin) => Err(origin),
    }
}

/// Adds CORS headers for an allow-listed browser origin.
pub fn add_cors_headers(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Mcp-Session-Id, WWW-Authenticate, Retry-After"),
    );
}

/// Answers a CORS preflight before any authentication: allowed origins get the grant,
/// others a 403.
pub fn preflight(state: &AppState, request: &HttpRequest) -> HttpResponse {
    match allowed_origin(state, request.headers()) {
        Ok(Some(origin)) => {
            let mut response = HttpResponse::NoContent();
            response
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    "GET, POST, DELETE, OPTIONS",
                ))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "accept, authorization, content-type, mcp-protocol-version, mcp-session-id, \
                     last-event-id, mcp-method, mcp-name",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
            let mut response = response.finish();
            add_cors_headers(response.headers_mut(), origin);
            response
        }
        Ok(None) => HttpResponse::NoContent()
            .insert_header((header::ALLOW, "GET, POST, DELETE, OPTIONS"))
            .finish(),
        Err(_) => HttpResponse::Forbidden().finish(),
    }
}

/// Applies the checks every MCP request passes: the switch, Origin, no query-string tokens,
/// and authentication with an access token.
pub async fn admit(state: &AppState, request: &HttpRequest) -> Result<Admitted, HttpResponse> {
    if !state.mcp_enabled() {
        return Err(rpc_error(
            StatusCode::NOT_FOUND,
            &Value::Null,
            -32601,
            "the MCP server is switched off",
            None,
        ));
    }
    let ip = state.client_ip(request);

    // DNS rebinding: the Host must be one this deployment answers to (an empty list disables
    // the check, as it does in rmcp for /mcp).
    let hosts = &state.config.mcp.allowed_hosts;
    if !hosts.is_empty() {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        let name = host
            .strip_prefix('[')
            .and_then(|rest| rest.split_once(']').map(|(name, _)| name))
            .unwrap_or_else(|| host.rsplit_once(':').map_or(host, |(name, _)| name));
        if !hosts
            .iter()
            .any(|allowed| allowed == host || allowed == name)
        {
            state.audit.emit(
                SecurityEvent::new("host_rejected", Level::Warning)
                    .ip(ip)
                    .detail("host", host),
            );
            return Err(rpc_error(
                StatusCode::FORBIDDEN,
                &Value::Null,
                -32600,
                "this Host is not allowed; add it to MCP_ALLOWED_HOSTS",
                None,
            ));
        }
    }

    // Browsers send Origin; only configured origins may call MCP (DNS rebinding, CSRF).
    if let Err(origin) = allowed_origin(state, request.headers()) {
        state.audit.emit(
            SecurityEvent::new("origin_rejected", Level::Warning)
                .ip(ip)
                .detail("origin", origin),
        );
        return Err(rpc_error(
            StatusCode::FORBIDDEN,
            &Value::Null,
            -32600,
            "requests from this Origin are not allowed; add it to MCP_ALLOWED_ORIGINS",
            None,
        ));
    }

    // Tokens in the query string leak into logs and browser history; reject them outright.
    if request.query_string().split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        matches!(name, "access_token" | "token" | "auth" | "api_key")
    }) {
        return Err(rpc_error(
            StatusCode::BAD_REQUEST,
            &Value::Null,
            -32600,
            "credentials in the query string are not accepted; send `Authorization: Bearer <token>`",
            None,
        ));
    }

    // MCP accepts access tokens only, never the admin token.
    let principal = match auth::authenticate(state, auth::bearer_token(request), ip, "mcp").await {
        Ok(Principal::Admin) => {
            return Err(rpc_error(
                StatusCode::FORBIDDEN,
                &Value::Null,
                -32001,
                "the admin token cannot be used for MCP; create an access token with POST /api/access-tokens",
                None,
            ));
        }
        Ok(principal) => principal,
        Err(AuthError::Missing | AuthError::Invalid) => return Err(unauthorized(state, request)),
        Err(AuthError::LockedOut(decision)) => {
            let mut response = rpc_error(
                StatusCode::TOO_MANY_REQUESTS,
                &Value::Null,
                RATE_LIMITED_CODE,
                "too many failed authentications from this address; retry later",
                Some(json!({ "retryAfterSeconds": decision.retry_after_secs() })),
            );
            insert_retry_after(&mut response, decision.retry_after_secs());
            return Err(response);
        }
        Err(AuthError::Internal(error)) => {
            tracing::error!(%ip, error = %error, "MCP authentication could not be checked");
            return Err(rpc_error(
                StatusCode::SERVICE_UNAVAILABLE,
                &Value::Null,
                -32603,
                "authentication is temporarily unavailable; retry later",
                None,
            ));
        }
    };
    let Some(token_id) = principal.token_id() else {
        return Err(rpc_error(
            StatusCode::FORBIDDEN,
            &Value::Null,
            -32001,
            "an access token is required",
            None,
        ));
    };
    request
        .extensions_mut()
        .insert(crate::http_middleware::RequestPrincipal(
            principal.name().to_owned(),
        ));
    Ok(Admitted {
        token_name: principal.name().to_owned(),
        principal,
        token_id,
        ip,
    })
}

/// Checks that the session belongs to this caller (token, and IP when bound).
pub async fn use_session(
    state: &AppState,
    admitted: &Admitted,
    id: &str,
    rpc_id: &Value,
) -> Result<(), HttpResponse> {
    let verdict = state
        .sessions
        .send(UseSession {
            id: id.to_owned(),
            token_id: admitted.token_id,
            token_name: admitted.token_name.clone(),
            ip: admitted.ip,
        })
        .await
        .map_err(|_| {
            rpc_error(
                StatusCode::SERVICE_UNAVAILABLE,
                rpc_id,
                -32603,
                "session registry unavailable",
                None,
            )
        })?;
    match verdict {
        Ok(()) => Ok(()),
        Err(SessionRejection::NotFound) => Err(rpc_error(
            StatusCode::NOT_FOUND,
            rpc_id,
            -32001,
            "session not found or expired; send a new initialize request",
            None,
        )),
        Err(SessionRejection::TokenMismatch | SessionRejection::IpMismatch) => Err(rpc_error(
            StatusCode::FORBIDDEN,
            rpc_id,
            -32001,
            "this session belongs to another client; send a new initialize request",
            None,
        )),
    }
}

/// Checks the session caps before a new session is created.
pub async fn check_caps(
    state: &AppState,
    admitted: &Admitted,
    rpc_id: &Value,
) -> Result<(), HttpResponse> {
    let caps = state
        .sessions
        .send(CheckCaps {
            token_id: admitted.token_id,
            token_name: admitted.token_name.clone(),
            ip: admitted.ip,
        })
        .await
        .map_err(|_| {
            rpc_error(
                StatusCode::SERVICE_UNAVAILABLE,
                rpc_id,
                -32603,
                "session registry unavailable",
                None,
            )
        })?;
    caps.map_err(|exceeded| {
        rpc_error(
            StatusCode::TOO_MANY_REQUESTS,
            rpc_id,
            -32001,
            &exceeded.to_string(),
            None,
        )
    })
}

/// Counts a tool call against the token's limit, shared by all of its sessions.
pub async fn check_tool_call(
    state: &AppState,
    admitted: &Admitted,
    summary: &RpcSummary,
) -> Result<(), HttpResponse> {
    if summary.method.as_deref() != Some("tools/call") {
        return Ok(());
    }
    let decision = state
        .limiter
        .send(Acquire {
            limiter: Limiter::McpToolCalls,
            key: principal_key(&admitted.principal),
        })
        .await
        .map_err(|_| {
            rpc_error(
                StatusCode::SERVICE_UNAVAILABLE,
                &summary.id,
                -32603,
                "rate limiter unavailable",
                None,
            )
        })?;
    let tool = summary.tool.clone().unwrap_or_default();
    if decision.allowed {
        metrics::counter!("mcp_tool_calls_total", "tool" => tool, "outcome" => "called")
            .increment(1);
        return Ok(());
    }
    state.rate_limited(
        Limiter::McpToolCalls,
        &decision,
        admitted.ip,
        Some(&admitted.token_name),
    );
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
    Err(response)
}

/// What the gate learned from a JSON-RPC body.
#[derive(Debug, Clone, Default)]
pub struct RpcSummary {
    pub id: Value,
    pub method: Option<String>,
    pub tool: Option<String>,
    pub batch: bool,
    pub valid_json: bool,
}

pub fn summarise(body: &[u8]) -> RpcSummary {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return RpcSummary::default();
    };
    if value.is_array() {
        return RpcSummary {
            batch: true,
            valid_json: true,
            ..RpcSummary::default()
        };
    }
    RpcSummary {
        id: value.get("id").cloned().unwrap_or(Value::Null),
        method: value
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_owned),
        valid_json: true,
        tool: value
            .pointer("/params/name")
            .and_then(Value::as_str)
            .map(str::to_owned),
        batch: false,
    }
}

/// Reads a request body up to `limit` bytes actually received (chunked bodies included).
pub async fn read_body(
    state: &AppState,
    admitted: &Admitted,
    payload: &mut actix_web::dev::Payload,
    path: &str,
) -> Result<web::Bytes, HttpResponse> {
    let limit = state.config.mcp.max_request_size_bytes;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            rpc_error(
                StatusCode::BAD_REQUEST,
                &Value::Null,
                -32700,
                "the request body could not be read",
                None,
            )
        })?;
        if body.len() + chunk.len() > limit {
            state.audit.emit(
                SecurityEvent::new("oversized_request", Level::Warning)
                    .ip(admitted.ip)
                    .token(admitted.token_name.clone())
                    .detail("limit", limit)
                    .detail("path", path),
            );
            return Err(rpc_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &Value::Null,
                -32600,
                &format!("request body is larger than the limit of {limit} bytes"),
                None,
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn accepts(headers: &HeaderMap, media: &str) -> bool {
    headers
        .get_all(header::ACCEPT)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            item.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case(media)
        })
}

/// Decides how to answer a POST, given its `Accept`: both media types (standard), JSON only
/// (the reply is converted from SSE to JSON), or anything else (no `Accept`, `*/*`), treated
/// as accepting both. Returns `None` when the client accepts neither.
fn negotiate(headers: &HeaderMap) -> Option<bool> {
    let json = accepts(headers, "application/json");
    let sse = accepts(headers, "text/event-stream");
    let any = !headers.contains_key(header::ACCEPT)
        || accepts(headers, "*/*")
        || accepts(headers, "application/*");
    match (json, sse) {
        (true, false) if !any => Some(true),
        (false, false) if !any => None,
        _ => Some(false),
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
    if request.method() == Method::OPTIONS {
        let response = preflight(&state, request.request());
        return Ok(request.into_response(response));
    }
    let cors_origin = allowed_origin(&state, request.headers())
        .ok()
        .flatten()
        .map(str::to_owned);
    let admitted = match admit(&state, request.request()).await {
        Ok(admitted) => admitted,
        Err(mut response) => {
            // A browser client must be able to read the 401 to start discovery.
            if let Some(origin) = &cors_origin {
                add_cors_headers(response.headers_mut(), origin);
            }
            return Ok(request.into_response(response));
        }
    };

    // Read the body (bounded) to learn the method, and decide how to answer.
    let mut json_only = false;
    let summary = if request.method() == Method::POST {
        match negotiate(request.headers()) {
            None => {
                return Ok(request.into_response(rpc_error(
                    StatusCode::NOT_ACCEPTABLE,
                    &Value::Null,
                    -32600,
                    "Accept must include application/json or text/event-stream",
                    None,
                )));
            }
            Some(only_json) => json_only = only_json,
        }
        // rmcp requires both media types; the gate already decided how to answer.
        request.headers_mut().insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
        let mut payload = request.take_payload();
        let path = request.path().to_owned();
        let body = match read_body(&state, &admitted, &mut payload, &path).await {
            Ok(body) => body,
            Err(response) => return Ok(request.into_response(response)),
        };
        let summary = summarise(&body);
        if !summary.valid_json {
            return Ok(request.into_response(rpc_error(
                StatusCode::BAD_REQUEST,
                &Value::Null,
                -32700,
                "the request body is not valid JSON",
                None,
            )));
        }
        if summary.batch {
            return Ok(request.into_response(rpc_error(
                StatusCode::BAD_REQUEST,
                &Value::Null,
                -32600,
                "JSON-RPC batches are not supported; send one message per request",
                None,
            )));
        }
        let (_, mut replay) = actix_http::h1::Payload::create(true);
        replay.unread_data(body);
        request.set_payload(replay.into());
        summary
    } else {
        RpcSummary::default()
    };

    // Protocol 2026-07-28 has no initialize: such a request is answered method-not-found and
    // never creates a session (which would also bypass the session caps).
    let modern_header = request
        .headers()
        .get(PROTOCOL_HEADER)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|version| version == "2026-07-28");
    if summary.method.as_deref() == Some("initialize") && modern_header {
        return Ok(request.into_response(rpc_error(
            StatusCode::NOT_FOUND,
            &summary.id,
            -32601,
            "initialize is not part of protocol 2026-07-28; use server/discover",
            None,
        )));
    }
    // An initialize always starts a new session: a stale session id or a protocol-version
    // header on it must not make it fail (the version is negotiated in the body).
    if summary.method.as_deref() == Some("initialize") {
        request.headers_mut().remove(SESSION_HEADER);
        request.headers_mut().remove(PROTOCOL_HEADER);
    }
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
    let needs_session = request.method() == Method::POST
        && session_id.is_none()
        && !stateless
        && summary.id != Value::Null
        && !matches!(
            summary.method.as_deref(),
            Some("initialize" | "server/discover")
        );
    if needs_session {
        return Ok(request.into_response(rpc_error(
            StatusCode::BAD_REQUEST,
            &summary.id,
            -32600,
            "Mcp-Session-Id is missing; send an initialize request first",
            None,
        )));
    }

    // A request in a session must come from its owner. Closing a session is always allowed to
    // the owner, even when rate limited.
    if let Some(id) = &session_id {
        if let Err(response) = use_session(&state, &admitted, id, &summary.id).await {
            return Ok(request.into_response(response));
        }
    } else if summary.method.as_deref() == Some("initialize") {
        // Caps are checked before rmcp creates a session, and the session is registered only
        // once rmcp answered with its id, so a failed initialize never holds a slot.
        if let Err(response) = check_caps(&state, &admitted, &summary.id).await {
            return Ok(request.into_response(response));
        }
    }
    if let Err(response) = check_tool_call(&state, &admitted, &summary).await {
        return Ok(request.into_response(response));
    }

    let is_delete = request.method() == Method::DELETE;
    request.extensions_mut().insert(admitted.caller());
    let mut response = next.call(request).await?.map_into_boxed_body();

    match (&session_id, response.status().is_success()) {
        (Some(id), true) if is_delete => {
            state.sessions.do_send(ForgetSession { id: id.clone() });
            // rmcp answers 202; some clients treat anything but 200/204 as a failed close.
            response.response_mut().head_mut().status = StatusCode::OK;
        }
        (None, true) => {
            if let Some(created) = response
                .headers()
                .get(SESSION_HEADER)
                .and_then(|value| value.to_str().ok())
            {
                state.audit.emit(
                    SecurityEvent::new("auth_success", Level::Debug)
                        .ip(admitted.ip)
                        .token(admitted.token_name.clone())
                        .detail("channel", "mcp"),
                );
                state.sessions.do_send(RegisterSession {
                    id: created.to_owned(),
                    token_id: admitted.token_id,
                    token_name: admitted.token_name.clone(),
                    ip: admitted.ip,
                });
            }
        }
        _ => {}
    }
    if let Some(origin) = &cors_origin {
        add_cors_headers(response.headers_mut(), origin);
    }
    if json_only {
        response = sse_to_json(response).await?;
    }
    Ok(response)
}

/// Turns an SSE reply into the single JSON-RPC message a JSON-only client expects: the last
/// message with an `id` (the response). Notifications sent before it are dropped, because such
/// a client has no way to receive them.
async fn sse_to_json(
    response: ServiceResponse<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let is_sse = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"));
    if !is_sse {
        return Ok(response);
    }
    let (request, response) = response.into_parts();
    let status = response.status();
    let headers = response.headers().clone();
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("failed to read the MCP reply"))?;
    let text = String::from_utf8_lossy(&body);
    let message = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .rfind(|value| value.get("id").is_some());
    let mut builder = HttpResponse::build(status);
    for (name, value) in headers.iter() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && name != "x-accel-buffering"
        {
            builder.insert_header((name.clone(), value.clone()));
        }
    }
    let reply = match message {
        Some(message) => builder.json(message),
        None => builder.status(StatusCode::ACCEPTED).finish(),
    };
    Ok(ServiceResponse::new(request, reply))
}

pub fn insert_retry_after(response: &mut HttpResponse, seconds: u64) {
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
}

//! Middleware in front of rmcp: authentication, session ownership and session caps.

use std::net::IpAddr;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use serde_json::json;

use crate::auth::{self, AuthFailureOr, Principal};
use crate::sessions::{CheckCaps, ForgetSession, RegisterSession, SessionRejection, UseSession};
use crate::startup::AppState;

use super::tools::McpCaller;

const SESSION_HEADER: &str = "mcp-session-id";
const PROTOCOL_HEADER: &str = "mcp-protocol-version";

/// A JSON-RPC error response outside any request (`id` is null), with an HTTP status.
fn rpc_error(status: StatusCode, code: i64, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": code, "message": message },
    }))
}

fn unauthorized(message: &str) -> HttpResponse {
    let mut response = rpc_error(StatusCode::UNAUTHORIZED, -32001, message);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"mcp-markdown-manager\""),
    );
    response
}

fn client_ip(request: &ServiceRequest) -> Option<IpAddr> {
    request.peer_addr().map(|addr| addr.ip())
}

pub async fn mcp_gate(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "application state is missing",
        ));
    };
    let Some(ip) = client_ip(&request) else {
        return Ok(request.into_response(rpc_error(
            StatusCode::BAD_REQUEST,
            -32600,
            "client address is unknown",
        )));
    };

    // 1. Authenticate. MCP accepts access tokens only, never the admin token.
    let principal = match auth::authenticate(&state, auth::bearer_token(request.request())).await {
        Ok(Principal::Admin) => {
            return Ok(request.into_response(rpc_error(
                StatusCode::FORBIDDEN,
                -32001,
                "the admin token cannot be used for MCP; create an access token with POST /api/access-tokens",
            )));
        }
        Ok(principal) => principal,
        Err(AuthFailureOr::Failure(failure)) => {
            tracing::warn!(%ip, ?failure, "MCP authentication failed");
            return Ok(request.into_response(unauthorized(
                "authentication required: send `Authorization: Bearer <access token>`",
            )));
        }
        Err(AuthFailureOr::Store(error)) => {
            tracing::error!(%ip, error = %error, "MCP authentication could not be checked");
            return Ok(request.into_response(rpc_error(
                StatusCode::SERVICE_UNAVAILABLE,
                -32603,
                "authentication is temporarily unavailable; retry later",
            )));
        }
    };
    let Some(token_id) = principal.token_id() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "token principal without id",
        ));
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

    // 2. A request in a session must come from the session's token (and IP, when bound).
    if let Some(id) = &session_id {
        let verdict = state
            .sessions
            .send(UseSession {
                id: id.clone(),
                token_id,
                ip,
            })
            .await
            .map_err(actix_web::error::ErrorInternalServerError)?;
        match verdict {
            Ok(()) => {}
            Err(SessionRejection::NotFound) => {
                return Ok(request.into_response(rpc_error(
                    StatusCode::NOT_FOUND,
                    -32001,
                    "session not found or expired; send a new initialize request",
                )));
            }
            Err(SessionRejection::TokenMismatch | SessionRejection::IpMismatch) => {
                return Ok(request.into_response(rpc_error(
                    StatusCode::FORBIDDEN,
                    -32001,
                    "this session belongs to another client; send a new initialize request",
                )));
            }
        }
    } else if request.method() == Method::POST && !stateless {
        // 3. A POST without a session may be an initialize: check the caps before rmcp creates
        // a session. The session is registered only once rmcp answered with its id, so a
        // failed initialize never holds a slot.
        let caps = state
            .sessions
            .send(CheckCaps { token_id, ip })
            .await
            .map_err(actix_web::error::ErrorInternalServerError)?;
        if let Err(exceeded) = caps {
            tracing::warn!(%ip, token = principal.name(), %exceeded, "MCP session cap reached");
            return Ok(request.into_response(rpc_error(
                StatusCode::TOO_MANY_REQUESTS,
                -32001,
                &exceeded.to_string(),
            )));
        }
    }

    let token_name = principal.name().to_owned();
    let is_delete = request.method() == Method::DELETE;
    request.extensions_mut().insert(McpCaller(principal));
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

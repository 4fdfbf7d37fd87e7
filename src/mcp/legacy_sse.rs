//! The HTTP+SSE transport of protocol 2024-11-05: `GET /sse` opens an event stream whose first
//! event (`endpoint`) names the URL to POST messages to, `/messages?sessionId=…`. Clients
//! that predate Streamable HTTP still use it. It applies the same authentication, session
//! binding, caps and rate limits as `/mcp`; rmcp runs the protocol over a pair of channels.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_lab::sse;
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use rmcp::model::{ClientJsonRpcMessage, GetExtensions};
use serde::Deserialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::gate::{self, rpc_error};
use super::tools::ArticleTools;
use crate::security::{Level, SecurityEvent};
use crate::sessions::RegisterSession;
use crate::startup::AppState;

/// Messages a client may have in flight before its POSTs wait.
const CHANNEL_CAPACITY: usize = 32;

struct LegacySession {
    to_server: mpsc::Sender<ClientJsonRpcMessage>,
    cancel: CancellationToken,
}

/// Open legacy sessions by id. Their security state lives in the session registry.
#[derive(Default)]
pub struct LegacySessions {
    sessions: Mutex<HashMap<String, LegacySession>>,
}

impl LegacySessions {
    fn sender(&self, id: &str) -> Option<mpsc::Sender<ClientJsonRpcMessage>> {
        let sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        sessions.get(id).map(|session| session.to_server.clone())
    }

    /// Ends a session's stream and its protocol task.
    pub fn close(&self, id: &str) {
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(session) = sessions.remove(id) {
            session.cancel.cancel();
        }
    }

    fn insert(&self, id: String, session: LegacySession) {
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        sessions.insert(id, session);
    }
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/sse", web::get().to(open_stream))
        .route(
            "/sse",
            web::method(actix_web::http::Method::OPTIONS).to(options),
        )
        .route("/messages", web::post().to(post_message))
        .route(
            "/messages",
            web::method(actix_web::http::Method::OPTIONS).to(options),
        );
}

async fn options(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    gate::preflight(&state, &request)
}

async fn open_stream(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    let admitted = match gate::admit(&state, &request).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    if let Err(response) = gate::check_caps(&state, &admitted, &Value::Null).await {
        return response;
    }

    let id = uuid::Uuid::new_v4().simple().to_string();
    let (to_server, from_client) = mpsc::channel::<ClientJsonRpcMessage>(CHANNEL_CAPACITY);
    let (to_client, from_server) = mpsc::channel(CHANNEL_CAPACITY);
    let cancel = state.shutdown.child_token();
    state.legacy_sessions.insert(
        id.clone(),
        LegacySession {
            to_server,
            cancel: cancel.clone(),
        },
    );
    state.sessions.do_send(RegisterSession {
        id: id.clone(),
        token_id: admitted.token_id,
        token_name: admitted.token_name.clone(),
        ip: admitted.ip,
    });
    state.audit.emit(
        SecurityEvent::new("auth_success", Level::Debug)
            .ip(admitted.ip)
            .token(admitted.token_name.clone())
            .detail("channel", "mcp-sse"),
    );

    let handler = ArticleTools::for_state(&state);
    let task_cancel = cancel.clone();
    let task_id = id.clone();
    let task_state = state.clone();
    actix_web::rt::spawn(async move {
        match rmcp::service::serve_server_with_ct(handler, (to_client, from_client), task_cancel)
            .await
        {
            Ok(running) => {
                let _ = running.waiting().await;
            }
            Err(error) => tracing::info!(%error, "legacy SSE session ended before initialization"),
        }
        task_state.legacy_sessions.close(&task_id);
        task_state
            .sessions
            .do_send(crate::sessions::ForgetSession { id: task_id });
    });

    let endpoint = format!("{}/messages?sessionId={id}", state.config.base_path);
    let first = futures::stream::once(async move {
        Ok::<_, std::convert::Infallible>(sse::Event::Data(
            sse::Data::new(endpoint).event("endpoint"),
        ))
    });
    let messages = from_server.take_until(cancel.cancelled_owned()).filter_map(
        |message: rmcp::model::ServerJsonRpcMessage| async move {
            let data = sse::Data::new_json(&message).ok()?.event("message");
            Some(Ok(sse::Event::Data(data)))
        },
    );
    let response = actix_web::Responder::customize(
        sse::Sse::from_stream(first.chain(messages))
            .with_keep_alive(Duration::from_millis(state.config.mcp.sse_keep_alive_ms))
            .with_retry_duration(Duration::from_secs(3)),
    )
    .insert_header(("x-accel-buffering", "no"))
    .insert_header(("cache-control", "no-cache"));
    let mut response = actix_web::Responder::respond_to(response, &request);
    if let Ok(Some(origin)) = request
        .headers()
        .get(actix_web::http::header::ORIGIN)
        .map(|value| value.to_str().map(str::to_owned))
        .transpose()
    {
        gate::add_cors_headers(response.headers_mut(), &origin);
    }
    response.map_into_boxed_body()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageQuery {
    session_id: String,
}

async fn post_message(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<MessageQuery>,
    payload: web::Payload,
) -> HttpResponse {
    let admitted = match gate::admit(&state, &request).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let mut payload = payload.into_inner();
    let body = match gate::read_body(&state, &admitted, &mut payload, request.path()).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let summary = gate::summarise(&body);
    if let Err(response) =
        gate::use_session(&state, &admitted, &query.session_id, &summary.id).await
    {
        return response;
    }
    let Some(mut sender) = state.legacy_sessions.sender(&query.session_id) else {
        return rpc_error(
            StatusCode::NOT_FOUND,
            &summary.id,
            -32001,
            "session not found or closed",
            None,
        );
    };
    let mut message: ClientJsonRpcMessage = match serde_json::from_slice(&body) {
        Ok(message) => message,
        Err(error) if error.is_syntax() || error.is_eof() => {
            return rpc_error(
                StatusCode::BAD_REQUEST,
                &Value::Null,
                -32700,
                "the body is not valid JSON",
                None,
            );
        }
        Err(error) => {
            return rpc_error(
                StatusCode::BAD_REQUEST,
                &summary.id,
                -32600,
                &format!("the body is not a valid JSON-RPC message: {error}"),
                None,
            );
        }
    };
    if let Err(response) = gate::check_tool_call(&state, &admitted, &summary).await {
        return response;
    }
    if let ClientJsonRpcMessage::Request(request) = &mut message {
        request.request.extensions_mut().insert(admitted.caller());
    }
    match sender.send(message).await {
        Ok(()) => HttpResponse::Accepted().finish(),
        Err(_) => rpc_error(
            StatusCode::NOT_FOUND,
            &summary.id,
            -32001,
            "session not found or closed",
            None,
        ),
    }
}

/// Keeps the type in one place for the registry, which closes legacy sessions on expiry.
pub type SharedLegacySessions = Arc<LegacySessions>;

//! `/api/search`, `/api/rag/*` and `/api/queue/*`: search, the semantic index's status,
//! reindexing, and failed embedding tasks.

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::{ReadAccess, WriteAccess, principal_key};
use crate::domain::{FolderFilter, SearchLimit, SearchMode, SearchQuery};
use crate::error::ApiError;
use crate::security::rate_limit::Acquire;
use crate::security::{Level, Limiter, SecurityEvent};
use crate::startup::AppState;

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    query: Option<String>,
    /// Kept as text so a non-number gets the same `invalid_k` error as an out-of-range value.
    k: Option<String>,
    mode: Option<String>,
    folder: Option<String>,
}

/// `GET /api/search?query=&k=&mode=&folder=`: at most `k` articles, each with its best chunk.
/// The `X-Search-Mode` header names the mode that ranked the results; hybrid search without
/// embeddings falls back to full-text and explains why in `X-Search-Notice`.
pub async fn search(
    access: ReadAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let raw_query = params.query.as_deref().unwrap_or("");
    let query = SearchQuery::parse(raw_query)?;
    let k = match params.k.as_deref().map(str::trim) {
        None | Some("") => SearchLimit::parse(None)?,
        Some(raw) => {
            let k = raw.parse::<i64>().map_err(|_| {
                ApiError::bad_request(
                    "invalid_k",
                    format!(
                        "invalid k: {raw:?} is not a whole number between 1 and {}",
                        SearchLimit::MAX
                    ),
                )
            })?;
            SearchLimit::parse(Some(k))?
        }
    };
    let mode = SearchMode::parse(params.mode.as_deref())?;
    let folder = FolderFilter::parse(params.folder.as_deref(), &state.config.limits)?;
    crate::security::inspect_input(
        &state.audit,
        state.config.security.suspicious_input_action,
        &[("query", query.as_ref())],
        Some(state.client_ip(&request)),
        access.principal.name(),
        "rest",
    )
    .map_err(ApiError::SuspiciousInput)?;

    let outcome = state.search.search(&query, mode, k, &folder).await?;
    let mut response = HttpResponse::Ok();
    response.insert_header(("X-Search-Mode", outcome.mode.as_str()));
    if let Some(value) = outcome
        .notice
        .as_deref()
        .and_then(|notice| HeaderValue::from_str(notice).ok())
    {
        response.insert_header(("X-Search-Notice", value));
    }
    Ok(response.json(outcome.results))
}

/// `GET /api/rag/status`: index coverage, queue depth by status, reindex progress, and (for
/// tokens with write access) the newest task errors.
pub async fn status(
    access: ReadAccess,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let status = state.search.status(access.principal.can_write()).await?;
    Ok(HttpResponse::Ok().json(status))
}

/// `POST /api/rag/reindex`: queues every article for a full re-embedding and returns at once
/// (202); `GET /api/rag/status` reports the progress. Counts against the expensive-operation
/// limit.
pub async fn reindex(
    access: WriteAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ip = state.client_ip(&request);
    let decision = state
        .limiter
        .send(Acquire {
            limiter: Limiter::Expensive,
            key: principal_key(&access.principal),
        })
        .await
        .map_err(ApiError::internal)?;
    if !decision.allowed {
        state.rate_limited(
            Limiter::Expensive,
            &decision,
            ip,
            Some(access.principal.name()),
        );
        return Err(ApiError::RateLimited {
            limiter: Limiter::Expensive,
            decision,
        });
    }
    let started = state.search.reindex().await?;
    state.audit.emit(
        SecurityEvent::new("rag_reindex_started", Level::Info)
            .ip(ip)
            .token(access.principal.name())
            .detail("queued", started.queued)
            .detail("batchId", started.batch_id.to_string()),
    );
    Ok(HttpResponse::build(StatusCode::ACCEPTED).json(started))
}

/// `DELETE /api/queue/tasks/failed`: deletes every failed embedding task.
pub async fn delete_failed(
    access: WriteAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let deleted = state.search.delete_failed(None).await?;
    task_event(
        &state,
        &request,
        &access,
        "embedding_tasks_deleted",
        deleted,
    );
    Ok(HttpResponse::Ok().json(serde_json::json!({ "deleted": deleted })))
}

/// `POST /api/queue/tasks/failed/retry`: queues every failed task again with fresh attempts.
pub async fn retry_failed(
    access: WriteAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let retried = state.search.retry_failed(None).await?;
    task_event(
        &state,
        &request,
        &access,
        "embedding_tasks_retried",
        retried,
    );
    Ok(HttpResponse::Ok().json(serde_json::json!({ "retried": retried })))
}

/// `DELETE /api/queue/tasks/{id}`: deletes one failed task.
pub async fn delete_task(
    access: WriteAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    if state.search.delete_failed(Some(id)).await? == 0 {
        return Err(failed_task_not_found(id));
    }
    task_event(&state, &request, &access, "embedding_tasks_deleted", 1);
    Ok(HttpResponse::Ok().json(serde_json::json!({ "deleted": 1 })))
}

/// `POST /api/queue/tasks/{id}/retry`: queues one failed task again.
pub async fn retry_task(
    access: WriteAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let retried = state.search.retry_failed(Some(id)).await?;
    if retried == 0 {
        return Err(failed_task_not_found(id));
    }
    task_event(
        &state,
        &request,
        &access,
        "embedding_tasks_retried",
        retried,
    );
    Ok(HttpResponse::Ok().json(serde_json::json!({ "retried": retried })))
}

fn failed_task_not_found(id: i64) -> ApiError {
    ApiError::NotFound(format!(
        "no failed embedding task {id}; GET /api/rag/status lists the recent errors"
    ))
}

fn task_event(
    state: &AppState,
    request: &HttpRequest,
    access: &WriteAccess,
    event: &'static str,
    count: u64,
) {
    state.audit.emit(
        SecurityEvent::new(event, Level::Info)
            .ip(state.client_ip(request))
            .token(access.principal.name())
            .detail("count", count),
    );
}

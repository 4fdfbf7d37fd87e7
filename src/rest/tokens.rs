//! `/api/access-tokens`: admin-only management of access tokens.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::auth::{AdminAccess, generate_token};
use crate::domain::TokenName;
use crate::error::ApiError;
use crate::security::{Level, SecurityEvent};
use crate::sessions::{RevokeSessions, RevokeTarget};
use crate::startup::AppState;
use crate::store::model::Scope;
use crate::store::{self, CreateToken, RevokeToken};
use crate::views::TokenView;

pub async fn list(
    _access: AdminAccess,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tokens = store::ask(&state.store, store::ListTokens {}).await?;
    let body: Vec<TokenView> = tokens.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateBody {
    name: String,
    scope: String,
    /// Optional expiry as an RFC 3339 time.
    expires_at: Option<DateTime<Utc>>,
}

pub async fn create(
    access: AdminAccess,
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    let name = TokenName::parse(&body.name)?;
    let scope = Scope::parse(&body.scope).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_scope",
            format!(
                "scope {:?} is invalid; use \"read-only\" or \"write\"",
                body.scope
            ),
        )
    })?;
    if let Some(expires_at) = body.expires_at
        && expires_at <= Utc::now()
    {
        return Err(ApiError::bad_request(
            "invalid_expiry",
            "expiresAt must be in the future",
        ));
    }
    let generated = generate_token();
    let record = store::ask(
        &state.store,
        CreateToken {
            name,
            scope,
            token_hash: generated.hash.to_vec(),
            prefix: generated.display_prefix,
            expires_at: body.expires_at,
        },
    )
    .await?;
    state.audit.emit(
        SecurityEvent::new("token_created", Level::Info)
            .ip(state.client_ip(&request))
            .token(access.principal.name())
            .detail("tokenId", record.id)
            .detail("tokenName", record.name.clone())
            .detail("scope", scope.as_str()),
    );
    let mut body = serde_json::to_value(TokenView::from(record)).map_err(ApiError::internal)?;
    body["token"] = serde_json::Value::String(generated.secret);
    Ok(HttpResponse::Created().json(body))
}

pub async fn revoke(
    access: AdminAccess,
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: i64 = path.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_token_id",
            format!(
                "{:?} is not a token id; use the numeric id from the token list",
                path.as_str()
            ),
        )
    })?;
    let record = store::ask(&state.store, RevokeToken { id }).await?;
    state.audit.emit(
        SecurityEvent::new("token_revoked", Level::Warning)
            .ip(state.client_ip(&request))
            .token(access.principal.name())
            .detail("tokenId", record.id)
            .detail("tokenName", record.name.clone()),
    );
    // Sessions of a revoked token end at once; its next request would fail anyway.
    state.sessions.do_send(RevokeSessions {
        target: RevokeTarget::Token(id),
        reason: "token_revoked",
    });
    Ok(HttpResponse::Ok().json(serde_json::json!({ "success": true })))
}

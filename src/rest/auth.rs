//! Browser sign-in: `/api/auth/login`, `/api/auth/session`, `/api/auth/logout`.
//!
//! A successful login sets an HttpOnly, `SameSite=Strict` cookie (also `Secure` over HTTPS);
//! the token never reaches page scripts. Requests authenticated by the cookie must echo the
//! session's CSRF token in `X-CSRF-Token` unless they are GET, HEAD or OPTIONS.

use std::net::IpAddr;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::{self, AuthError, Principal, constant_time_eq, hash_token};
use crate::error::ApiError;
use crate::security::client_ip;
use crate::security::rate_limit::Acquire;
use crate::security::{Level, Limiter, SecurityEvent};
use crate::startup::AppState;
use crate::store::model::Scope;
use crate::web_sessions::{
    ABSOLUTE_TIMEOUT, COOKIE_NAME, EndWebSession, StartWebSession, TouchWebSession, WebCredential,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    token: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionView {
    name: String,
    scope: Scope,
    admin: bool,
    csrf_token: String,
}

fn session_view(principal: &Principal, csrf_token: String) -> SessionView {
    let scope = match principal {
        Principal::Admin => Scope::Write,
        Principal::Token { scope, .. } => *scope,
    };
    SessionView {
        name: principal.name().to_owned(),
        scope,
        admin: *principal == Principal::Admin,
        csrf_token,
    }
}

fn session_cookie<'a>(state: &AppState, request: &HttpRequest, value: String) -> Cookie<'a> {
    let path = if state.config.base_path.is_empty() {
        "/".to_owned()
    } else {
        state.config.base_path.clone()
    };
    Cookie::build(COOKIE_NAME, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(client_ip::is_https(
            request,
            &state.config.security.trusted_proxies,
        ))
        .max_age(actix_web::cookie::time::Duration::seconds(
            ABSOLUTE_TIMEOUT.as_secs() as i64,
        ))
        .finish()
}

pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let ip = state.client_ip(&request);
    let decision = state
        .limiter
        .send(Acquire {
            limiter: Limiter::Public,
            key: ip.to_string(),
        })
        .await
        .map_err(ApiError::internal)?;
    if !decision.allowed {
        state.rate_limited(Limiter::Public, &decision, ip, None);
        return Err(ApiError::RateLimited {
            limiter: Limiter::Public,
            decision,
        });
    }

    let token = body.token.trim();
    let principal = auth::authenticate(&state, Some(token).filter(|t| !t.is_empty()), ip, "login")
        .await
        .map_err(|error| match error {
            AuthError::Missing => ApiError::bad_request("invalid_body", "token must not be empty"),
            AuthError::Invalid => ApiError::InvalidCredentials,
            other => other.into(),
        })?;
    let credential = match &principal {
        Principal::Admin => WebCredential::Admin {
            admin_hash: hash_token(token),
        },
        Principal::Token { .. } => WebCredential::Token {
            token_hash: hash_token(token),
        },
    };
    let (cookie, csrf_token) = state
        .web_sessions
        .send(StartWebSession { credential })
        .await
        .map_err(ApiError::internal)?;
    state.audit.emit(
        SecurityEvent::new("auth_success", Level::Info)
            .ip(ip)
            .token(principal.name())
            .detail("channel", "login"),
    );
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&state, &request, cookie))
        .json(session_view(&principal, csrf_token)))
}

pub async fn session(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ip = state.client_ip(&request);
    let Some(cookie) = request.cookie(COOKIE_NAME) else {
        return Err(ApiError::Unauthorized);
    };
    let (principal, csrf_token) = resolve_cookie(&state, cookie.value(), ip).await?;
    Ok(HttpResponse::Ok().json(session_view(&principal, csrf_token)))
}

pub async fn logout(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ip = state.client_ip(&request);
    if let Some(cookie) = request.cookie(COOKIE_NAME) {
        // Logging out needs the CSRF token too, or any site could sign the user out. A cookie
        // whose session already ended is simply cleared.
        match cookie_principal_checked(&state, &request, cookie.value(), ip).await {
            Ok((principal, _)) => {
                state.web_sessions.do_send(EndWebSession {
                    cookie: cookie.value().to_owned(),
                });
                state.audit.emit(
                    SecurityEvent::new("logout", Level::Info)
                        .ip(ip)
                        .token(principal.name()),
                );
            }
            Err(ApiError::Unauthorized) => {}
            Err(error) => return Err(error),
        }
    }
    let mut removal = session_cookie(&state, &request, String::new());
    removal.make_removal();
    Ok(HttpResponse::NoContent().cookie(removal).finish())
}

/// Resolves the session cookie of a request into its principal, enforcing CSRF protection.
pub async fn cookie_principal(
    state: &AppState,
    request: &HttpRequest,
    ip: IpAddr,
) -> Result<Principal, ApiError> {
    let Some(cookie) = request.cookie(COOKIE_NAME) else {
        return Err(ApiError::Unauthorized);
    };
    let (principal, _) = cookie_principal_checked(state, request, cookie.value(), ip).await?;
    Ok(principal)
}

async fn cookie_principal_checked(
    state: &AppState,
    request: &HttpRequest,
    cookie: &str,
    ip: IpAddr,
) -> Result<(Principal, String), ApiError> {
    let (principal, csrf_token) = resolve_cookie(state, cookie, ip).await?;
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe {
        let sent = request
            .headers()
            .get("x-csrf-token")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        if !constant_time_eq(sent.as_bytes(), csrf_token.as_bytes()) {
            state.audit.emit(
                SecurityEvent::new("csrf_rejected", Level::Warning)
                    .ip(ip)
                    .token(principal.name())
                    .detail("path", request.path()),
            );
            return Err(ApiError::CsrfFailed);
        }
    }
    Ok((principal, csrf_token))
}

async fn resolve_cookie(
    state: &AppState,
    cookie: &str,
    ip: IpAddr,
) -> Result<(Principal, String), ApiError> {
    auth::check_lockout(state, ip).await?;
    let session = state
        .web_sessions
        .send(TouchWebSession {
            cookie: cookie.to_owned(),
        })
        .await
        .map_err(ApiError::internal)?;
    let Some(session) = session else {
        return Err(ApiError::Unauthorized);
    };
    let principal = match &session.credential {
        WebCredential::Admin { admin_hash } => {
            let current = state.admin_token_hash();
            if !constant_time_eq(admin_hash, &current) {
                // The admin token was rotated: sessions opened with the old one end.
                state.web_sessions.do_send(EndWebSession {
                    cookie: cookie.to_owned(),
                });
                return Err(ApiError::Unauthorized);
            }
            Principal::Admin
        }
        WebCredential::Token { token_hash } => auth::principal_for_hash(state, *token_hash)
            .await
            .map_err(ApiError::from)?,
    };
    Ok((principal, session.csrf_token))
}

//! Bearer authentication for REST and MCP.
//!
//! Two kinds of credential exist. The admin `AUTH_TOKEN` from the environment manages access
//! tokens (and may use the REST API as the identity `admin`). Access tokens (`sk-md-` followed by
//! 64 hex digits) are created through the admin API, shown once, and stored as SHA-256 hashes.
//! The scope a handler needs is part of its signature: it takes a [`ReadAccess`],
//! [`WriteAccess`] or [`AdminAccess`] argument.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use std::net::IpAddr;

use crate::error::ApiError;
use crate::security::rate_limit::{Acquire, Peek};
use crate::security::{Decision, Level, Limiter, SecurityEvent};
use crate::startup::AppState;
use crate::store::model::Scope;
use crate::store::{self, AuthenticateToken};

pub const TOKEN_PREFIX: &str = "sk-md-";
/// Characters of a token kept for display, e.g. `sk-md-3f9a1c`.
const DISPLAY_PREFIX_LENGTH: usize = TOKEN_PREFIX.len() + 6;

/// The identity behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The holder of `AUTH_TOKEN`.
    Admin,
    /// An access token.
    Token { id: i64, name: String, scope: Scope },
}

impl Principal {
    /// Returns the name recorded in `created_by`/`updated_by` and in logs.
    pub fn name(&self) -> &str {
        match self {
            Self::Admin => "admin",
            Self::Token { name, .. } => name,
        }
    }

    pub fn can_write(&self) -> bool {
        match self {
            Self::Admin => true,
            Self::Token { scope, .. } => *scope == Scope::Write,
        }
    }

    pub fn token_id(&self) -> Option<i64> {
        match self {
            Self::Admin => None,
            Self::Token { id, .. } => Some(*id),
        }
    }
}

/// A freshly generated access token: the secret (shown once) and what is stored.
pub struct GeneratedToken {
    pub secret: String,
    pub hash: [u8; 32],
    pub display_prefix: String,
}

pub fn generate_token() -> GeneratedToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    GeneratedToken {
        hash: hash_token(&secret),
        display_prefix: secret[..DISPLAY_PREFIX_LENGTH].to_owned(),
        secret,
    }
}

pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Extracts the credential from `Authorization: Bearer <token>`; the scheme is case-insensitive.
pub fn bearer_token(request: &HttpRequest) -> Option<&str> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(char::is_whitespace)?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Why a request was not authenticated.
#[derive(Debug)]
pub enum AuthError {
    /// No credential was sent.
    Missing,
    /// The credential is unknown, revoked or expired.
    Invalid,
    /// Too many failures from this client IP; nothing is checked until the window passes.
    LockedOut(Decision),
    /// The credential could not be checked.
    Internal(anyhow::Error),
}

impl From<AuthError> for ApiError {
    fn from(value: AuthError) -> Self {
        match value {
            AuthError::Missing | AuthError::Invalid => ApiError::Unauthorized,
            AuthError::LockedOut(decision) => ApiError::RateLimited {
                limiter: Limiter::AuthFailures,
                decision,
            },
            AuthError::Internal(error) => ApiError::Internal(error),
        }
    }
}

/// Returns the rate-limit key of a principal: its token id, or `admin`.
pub fn principal_key(principal: &Principal) -> String {
    match principal {
        Principal::Admin => "admin".to_owned(),
        Principal::Token { id, .. } => format!("token:{id}"),
    }
}

/// Resolves a bearer token to a principal, with brute-force protection per client IP: after
/// too many failures the IP is locked out for the rate-limit window, even with a valid token.
/// The admin comparison runs in constant time, and only well-formed `sk-md-` tokens reach the
/// database. `channel` names the interface (`rest`, `mcp`, `login`) in audit events.
pub async fn authenticate(
    state: &AppState,
    token: Option<&str>,
    ip: IpAddr,
    channel: &'static str,
) -> Result<Principal, AuthError> {
    check_lockout(state, ip).await?;
    let Some(token) = token else {
        return Err(AuthError::Missing);
    };
    let result = resolve_token(state, token).await;
    if let Err(AuthError::Invalid) = &result {
        record_failure(state, ip, channel, "invalid_token").await;
    }
    result
}

/// Fails when the IP has used up its authentication failures.
pub async fn check_lockout(state: &AppState, ip: IpAddr) -> Result<(), AuthError> {
    let decision = state
        .limiter
        .send(Peek {
            limiter: Limiter::AuthFailures,
            key: ip.to_string(),
        })
        .await
        .map_err(|e| AuthError::Internal(e.into()))?;
    if decision.allowed {
        return Ok(());
    }
    metrics::counter!("mcp_rate_limit_exceeded_total", "limiter" => Limiter::AuthFailures.name())
        .increment(1);
    state.audit.emit(
        SecurityEvent::new("rate_limit_exceeded", Level::Warning)
            .ip(ip)
            .detail("limiter", Limiter::AuthFailures.name())
            .detail("retryAfterSeconds", decision.retry_after_secs()),
    );
    Err(AuthError::LockedOut(decision))
}

/// Counts an authentication failure against the IP and records it.
pub async fn record_failure(
    state: &AppState,
    ip: IpAddr,
    channel: &'static str,
    reason: &'static str,
) {
    metrics::counter!("mcp_auth_failures_total", "channel" => channel).increment(1);
    state.limiter.do_send(Acquire {
        limiter: Limiter::AuthFailures,
        key: ip.to_string(),
    });
    state.audit.emit(
        SecurityEvent::new("auth_failure", Level::Warning)
            .ip(ip)
            .detail("channel", channel)
            .detail("reason", reason),
    );
}

async fn resolve_token(state: &AppState, token: &str) -> Result<Principal, AuthError> {
    if state.is_admin_token(token) {
        return Ok(Principal::Admin);
    }
    let well_formed = token.len() == TOKEN_PREFIX.len() + 64
        && token.starts_with(TOKEN_PREFIX)
        && token[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(AuthError::Invalid);
    }
    principal_for_hash(state, hash_token(token)).await
}

/// Looks up an access token by hash; `Invalid` unless it is active.
pub async fn principal_for_hash(
    state: &AppState,
    token_hash: [u8; 32],
) -> Result<Principal, AuthError> {
    let record = store::ask(&state.store, AuthenticateToken { token_hash })
        .await
        .map_err(|error| AuthError::Internal(error.into()))?;
    match record {
        Some(record) => Ok(Principal::Token {
            id: record.id,
            name: record.name,
            scope: record.scope,
        }),
        None => Err(AuthError::Invalid),
    }
}

/// Compares two secrets in constant time (for equal lengths; the length itself may leak).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

/// A permission level that a handler requires.
pub trait Requirement {
    /// Returns `None` when the principal may proceed, else the reason it may not.
    fn check(principal: &Principal) -> Option<String>;
}

/// Any valid credential.
pub struct Read;
/// A `write` access token or the admin token.
pub struct Write;
/// The admin `AUTH_TOKEN` only.
pub struct Admin;

impl Requirement for Read {
    fn check(_: &Principal) -> Option<String> {
        None
    }
}

impl Requirement for Write {
    fn check(principal: &Principal) -> Option<String> {
        (!principal.can_write()).then(|| {
            "this operation requires a token with write scope, but this token is read-only"
                .to_owned()
        })
    }
}

impl Requirement for Admin {
    fn check(principal: &Principal) -> Option<String> {
        (*principal != Principal::Admin)
            .then(|| "this operation requires the admin token (AUTH_TOKEN)".to_owned())
    }
}

/// Extractor that authenticates the request and enforces requirement `R`.
pub struct Authenticated<R> {
    pub principal: Principal,
    requirement: PhantomData<R>,
}

pub type ReadAccess = Authenticated<Read>;
pub type WriteAccess = Authenticated<Write>;
pub type AdminAccess = Authenticated<Admin>;

impl<R> Authenticated<R> {
    pub fn actor(&self) -> String {
        self.principal.name().to_owned()
    }
}

impl<R: Requirement + 'static> FromRequest for Authenticated<R> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let state = request.app_data::<web::Data<AppState>>().ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("application state is missing"))
            })?;
            let ip = state.client_ip(&request);
            let principal = match bearer_token(&request) {
                Some(token) => authenticate(state, Some(token), ip, "rest").await?,
                None => crate::rest::auth::cookie_principal(state, &request, ip).await?,
            };
            if let Some(reason) = R::check(&principal) {
                state.audit.emit(
                    SecurityEvent::new("permission_denied", Level::Warning)
                        .ip(ip)
                        .token(principal.name())
                        .detail("path", request.path()),
                );
                return Err(ApiError::Forbidden(reason));
            }
            let decision = state
                .limiter
                .send(Acquire {
                    limiter: Limiter::Rest,
                    key: principal_key(&principal),
                })
                .await
                .map_err(ApiError::internal)?;
            if !decision.allowed {
                state.rate_limited(Limiter::Rest, &decision, ip, Some(principal.name()));
                return Err(ApiError::RateLimited {
                    limiter: Limiter::Rest,
                    decision,
                });
            }
            request
                .extensions_mut()
                .insert(crate::http_middleware::RequestPrincipal(
                    principal.name().to_owned(),
                ));
            Ok(Self {
                principal,
                requirement: PhantomData,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn generated_tokens_have_the_documented_shape() {
        let token = generate_token();
        assert!(token.secret.starts_with("sk-md-"));
        assert_eq!(token.secret.len(), 6 + 64);
        assert_eq!(token.hash, hash_token(&token.secret));
        assert!(token.secret.starts_with(&token.display_prefix));
        assert_ne!(generate_token().secret, token.secret);
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let request = TestRequest::default()
            .insert_header((AUTHORIZATION, "bEaReR   abc "))
            .to_http_request();
        assert_eq!(bearer_token(&request), Some("abc"));
        let basic = TestRequest::default()
            .insert_header((AUTHORIZATION, "Basic abc"))
            .to_http_request();
        assert_eq!(bearer_token(&basic), None);
        let bare = TestRequest::default()
            .insert_header((AUTHORIZATION, "abc"))
            .to_http_request();
        assert_eq!(bearer_token(&bare), None);
    }

    #[test]
    fn requirements() {
        let reader = Principal::Token {
            id: 1,
            name: "r".into(),
            scope: Scope::ReadOnly,
        };
        let writer = Principal::Token {
            id: 2,
            name: "w".into(),
            scope: Scope::Write,
        };
        assert!(Read::check(&reader).is_none());
        assert!(Write::check(&reader).is_some());
        assert!(Write::check(&writer).is_none());
        assert!(Admin::check(&writer).is_some());
        assert!(Admin::check(&Principal::Admin).is_none());
    }
}

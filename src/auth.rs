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
use actix_web::{FromRequest, HttpRequest, web};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
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

/// Why a credential was not accepted. Kept coarse on purpose: clients only ever see 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    Missing,
    Invalid,
}

/// Resolves a bearer token to a principal. The admin comparison runs in constant time, and
/// only well-formed `sk-md-` tokens reach the database.
pub async fn authenticate(
    state: &AppState,
    token: Option<&str>,
) -> Result<Principal, AuthFailureOr> {
    let Some(token) = token else {
        return Err(AuthFailureOr::Failure(AuthFailure::Missing));
    };
    let admin = state.config.auth_token.expose().as_bytes();
    if bool::from(token.as_bytes().ct_eq(admin)) {
        return Ok(Principal::Admin);
    }
    let well_formed = token.len() == TOKEN_PREFIX.len() + 64
        && token.starts_with(TOKEN_PREFIX)
        && token[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(AuthFailureOr::Failure(AuthFailure::Invalid));
    }
    let record = store::ask(
        &state.store,
        AuthenticateToken {
            token_hash: hash_token(token),
        },
    )
    .await
    .map_err(|error| AuthFailureOr::Store(error.into()))?;
    match record {
        Some(record) => Ok(Principal::Token {
            id: record.id,
            name: record.name,
            scope: record.scope,
        }),
        None => Err(AuthFailureOr::Failure(AuthFailure::Invalid)),
    }
}

/// An authentication failure, or an internal error while checking the credential.
#[derive(Debug)]
pub enum AuthFailureOr {
    Failure(AuthFailure),
    Store(anyhow::Error),
}

impl From<AuthFailureOr> for ApiError {
    fn from(value: AuthFailureOr) -> Self {
        match value {
            AuthFailureOr::Failure(_) => ApiError::Unauthorized,
            AuthFailureOr::Store(error) => ApiError::Internal(error),
        }
    }
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
            let principal = authenticate(state, bearer_token(&request)).await?;
            if let Some(reason) = R::check(&principal) {
                return Err(ApiError::Forbidden(reason));
            }
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

//! Rows and results that the store returns.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A full article as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Article {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub folder: String,
    pub content: String,
    pub is_public: bool,
    pub no_rag: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
}

/// An article without its content, for listings.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArticleSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub folder: String,
    pub is_public: bool,
    pub no_rag: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
}

/// One page of a listing plus the number of matching rows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionSummary {
    pub version: i32,
    pub title: String,
    pub message: String,
    pub content_hash: String,
    pub size: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArticleVersion {
    pub version: i32,
    pub title: String,
    pub folder: String,
    pub content: String,
    pub message: String,
    pub content_hash: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
}

/// The permission an access token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Scope {
    #[serde(rename = "read-only")]
    ReadOnly,
    #[serde(rename = "write")]
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadOnly => "read-only",
            Self::Write => "write",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "read-only" | "read" => Some(Self::ReadOnly),
            "write" => Some(Self::Write),
            _ => None,
        }
    }
}

/// An access token as stored: never the token itself, only its hash and display prefix.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub scope: Scope,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenRecord {
    /// A token is usable while it is neither revoked nor past its expiry.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|expires| expires > now)
    }

    /// Returns `active`, `revoked` or `expired`.
    pub fn status(&self) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.is_active(Utc::now()) {
            "active"
        } else {
            "expired"
        }
    }
}

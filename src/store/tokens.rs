//! Access token queries. Only the SHA-256 hash of a token is stored.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::model::{Scope, TokenRecord};
use crate::domain::TokenName;

struct TokenRow {
    id: i64,
    name: String,
    scope: String,
    prefix: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<TokenRow> for TokenRecord {
    type Error = StoreError;

    fn try_from(row: TokenRow) -> Result<Self, Self::Error> {
        let scope = Scope::parse(&row.scope).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "access token {} has unknown scope {:?}",
                row.id, row.scope
            ))
        })?;
        Ok(Self {
            id: row.id,
            name: row.name,
            scope,
            prefix: row.prefix,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        })
    }
}

pub async fn create(
    pool: &PgPool,
    name: &TokenName,
    scope: Scope,
    token_hash: &[u8],
    prefix: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<TokenRecord, StoreError> {
    let row = sqlx::query_as!(
        TokenRow,
        "insert into access_tokens (name, scope, token_hash, prefix, expires_at)
         values ($1, $2, $3, $4, $5)
         returning id, name, scope, prefix, created_at, last_used_at, expires_at, revoked_at",
        name.as_ref(),
        scope.as_str(),
        token_hash,
        prefix,
        expires_at,
    )
    .fetch_one(pool)
    .await?;
    row.try_into()
}

pub async fn list(pool: &PgPool) -> Result<Vec<TokenRecord>, StoreError> {
    let rows = sqlx::query_as!(
        TokenRow,
        "select id, name, scope, prefix, created_at, last_used_at, expires_at, revoked_at
         from access_tokens order by created_at desc, id desc",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub async fn find_by_hash(
    pool: &PgPool,
    token_hash: &[u8],
) -> Result<Option<TokenRecord>, StoreError> {
    let row = sqlx::query_as!(
        TokenRow,
        "select id, name, scope, prefix, created_at, last_used_at, expires_at, revoked_at
         from access_tokens where token_hash = $1",
        token_hash,
    )
    .fetch_optional(pool)
    .await?;
    row.map(TryInto::try_into).transpose()
}

/// Marks a token revoked; the row stays so audit trails can still name it.
pub async fn revoke(pool: &PgPool, id: i64) -> Result<TokenRecord, StoreError> {
    let row = sqlx::query_as!(
        TokenRow,
        "update access_tokens set revoked_at = coalesce(revoked_at, now())
         where id = $1
         returning id, name, scope, prefix, created_at, last_used_at, expires_at, revoked_at",
        id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(StoreError::TokenNotFound(id))?;
    row.try_into()
}

/// Writes the batched `last_used_at` times in one statement.
pub async fn record_last_used(
    pool: &PgPool,
    used: &HashMap<i64, DateTime<Utc>>,
) -> Result<(), StoreError> {
    if used.is_empty() {
        return Ok(());
    }
    let (ids, times): (Vec<i64>, Vec<DateTime<Utc>>) =
        used.iter().map(|(id, at)| (*id, *at)).unzip();
    sqlx::query!(
        "update access_tokens as t
         set last_used_at = greatest(t.last_used_at, u.used_at)
         from unnest($1::bigint[], $2::timestamptz[]) as u(id, used_at)
         where t.id = u.id",
        &ids,
        &times,
    )
    .execute(pool)
    .await?;
    Ok(())
}

//! Persistence of MCP sessions. Rows are keyed by the SHA-256 of the session id.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;

#[derive(Debug, Clone)]
pub struct StoredSession {
    pub id_hash: Vec<u8>,
    pub token_id: i64,
    pub token_name: String,
    pub ip: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub request_count: i64,
}

pub async fn register(
    pool: &PgPool,
    id_hash: &[u8],
    token_id: i64,
    token_name: &str,
    ip: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "insert into mcp_sessions (id_hash, token_id, token_name, ip, request_count)
         values ($1, $2, $3, $4, 1)
         on conflict (id_hash) do update
         set token_id = excluded.token_id, token_name = excluded.token_name, ip = excluded.ip",
        id_hash,
        token_id,
        token_name,
        ip,
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn save_initialize_params(
    pool: &PgPool,
    id_hash: &[u8],
    params: &serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query!(
        "insert into mcp_sessions (id_hash, initialize_params) values ($1, $2)
         on conflict (id_hash) do update set initialize_params = excluded.initialize_params",
        id_hash,
        params,
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn initialize_params(
    pool: &PgPool,
    id_hash: &[u8],
) -> Result<Option<serde_json::Value>, StoreError> {
    let params = sqlx::query_scalar!(
        "select initialize_params from mcp_sessions where id_hash = $1",
        id_hash,
    )
    .fetch_optional(pool)
    .await?;
    Ok(params.flatten())
}

pub async fn touch(
    pool: &PgPool,
    id_hash: &[u8],
    last_seen_at: DateTime<Utc>,
    request_count: i64,
) -> Result<(), StoreError> {
    sqlx::query!(
        "update mcp_sessions set last_seen_at = $2, request_count = $3 where id_hash = $1",
        id_hash,
        last_seen_at,
        request_count,
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn delete(pool: &PgPool, id_hash: &[u8]) -> Result<(), StoreError> {
    sqlx::query!("delete from mcp_sessions where id_hash = $1", id_hash)
        .execute(pool)
        .await?;
    Ok(())
}

/// Returns registered sessions created after `created_after`, dropping older ones.
pub async fn load_active(
    pool: &PgPool,
    created_after: DateTime<Utc>,
) -> Result<Vec<StoredSession>, StoreError> {
    sqlx::query!(
        "delete from mcp_sessions where created_at <= $1 or token_id is null and created_at <= now() - interval '1 hour'",
        created_after,
    )
    .execute(pool)
    .await?;
    let rows = sqlx::query_as!(
        StoredSession,
        r#"select id_hash, token_id as "token_id!", token_name as "token_name!", ip as "ip!",
                  created_at, last_seen_at, request_count
           from mcp_sessions
           where token_id is not null and token_name is not null and ip is not null"#,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

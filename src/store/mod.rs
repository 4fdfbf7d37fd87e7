//! The store actor: the only owner of the database pool. Handlers send it messages.
//!
//! It also owns two pieces of state that must stay consistent with writes: a short-lived cache
//! of authenticated tokens (dropped on revocation, so revocation is immediate) and the batch of
//! `last_used_at` times, flushed every [`LAST_USED_FLUSH_INTERVAL`] instead of a write per request.

pub mod articles;
pub mod chunks;
pub mod embedding_tasks;
pub mod model;
pub mod sessions;
pub mod tokens;

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use actix::prelude::*;
use chrono::{DateTime, Utc};
use lru::LruCache;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::config::DatabaseConfig;
use crate::domain::{FolderFilter, FolderPath, Slug, TokenName, VersionMessage};
pub use articles::{ArticleChanges, ListFilter, NewArticle};
use model::{Article, ArticleSummary, ArticleVersion, Page, Scope, TokenRecord, VersionSummary};

/// How often batched `last_used_at` times are written.
pub const LAST_USED_FLUSH_INTERVAL: Duration = Duration::from_secs(15);
/// How long an authenticated token is trusted without another database lookup. Revocation
/// through this actor clears the entry at once; expiry is checked on every use.
const AUTH_CACHE_TTL: Duration = Duration::from_secs(30);
const AUTH_CACHE_CAPACITY: usize = 4096;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("article {0:?} not found")]
    ArticleNotFound(String),
    #[error("article {slug:?} has no version {version}")]
    VersionNotFound { slug: String, version: i32 },
    #[error("an article with slug {0:?} already exists")]
    SlugTaken(String),
    #[error("article {slug:?} is at version {current}, not {expected}")]
    VersionMismatch {
        slug: String,
        expected: i32,
        current: i32,
    },
    #[error("folder {0:?} not found")]
    FolderNotFound(String),
    #[error("the move would nest folders {depth} levels deep; the maximum is {max}")]
    FolderTooDeep { depth: usize, max: usize },
    #[error("access token {0} not found")]
    TokenNotFound(i64),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("the store actor is not running")]
    Unavailable(#[from] MailboxError),
}

/// Connects to PostgreSQL and applies pending migrations.
pub async fn connect(config: &DatabaseConfig) -> anyhow::Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(Duration::from_millis(config.connect_timeout_ms))
        .connect(config.url.expose())
        .await
        .map_err(|e| anyhow::anyhow!("failed to connect to PostgreSQL: {e}"))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("failed to apply database migrations: {e}"))?;
    Ok(pool)
}

struct CachedToken {
    record: TokenRecord,
    fetched_at: Instant,
}

pub struct StoreActor {
    pool: PgPool,
    auth_cache: LruCache<[u8; 32], CachedToken>,
    last_used: HashMap<i64, DateTime<Utc>>,
    /// Tokens revoked while this process runs. A lookup that started before a revocation may
    /// finish after it; this set keeps such a stale row out of the cache.
    revoked: HashSet<i64>,
}

impl StoreActor {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            auth_cache: LruCache::new(
                NonZeroUsize::new(AUTH_CACHE_CAPACITY).unwrap_or(NonZeroUsize::MIN),
            ),
            last_used: HashMap::new(),
            revoked: HashSet::new(),
        }
    }

    fn flush_last_used(&mut self, ctx: &mut Context<Self>) {
        if self.last_used.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.last_used);
        let pool = self.pool.clone();
        ctx.spawn(
            async move {
                if let Err(error) = tokens::record_last_used(&pool, &batch).await {
                    tracing::warn!(%error, tokens = batch.len(), "failed to record token last-used times");
                }
            }
            .into_actor(self),
        );
    }
}

impl Actor for StoreActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(LAST_USED_FLUSH_INTERVAL, Self::flush_last_used);
    }

    fn stopping(&mut self, ctx: &mut Self::Context) -> Running {
        self.flush_last_used(ctx);
        Running::Stop
    }
}

/// Sends a message to the store and flattens a stopped mailbox into [`StoreError::Unavailable`].
pub async fn ask<M, T>(store: &Addr<StoreActor>, message: M) -> Result<T, StoreError>
where
    M: Message<Result = Result<T, StoreError>> + Send + 'static,
    T: Send + 'static,
    StoreActor: Handler<M>,
{
    store.send(message).await?
}

/// Declares a message whose handler runs one query function against the pool.
macro_rules! pool_message {
    ($(#[$meta:meta])* $name:ident { $($field:ident : $ty:ty),* $(,)? } -> $out:ty,
     |$pool:ident, $msg:ident| $body:expr) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name { $(pub $field: $ty),* }

        impl Message for $name {
            type Result = Result<$out, StoreError>;
        }

        impl Handler<$name> for StoreActor {
            type Result = ResponseFuture<Result<$out, StoreError>>;

            fn handle(&mut self, $msg: $name, _: &mut Self::Context) -> Self::Result {
                let $pool = self.pool.clone();
                Box::pin(async move { $body })
            }
        }
    };
}

pool_message!(ListArticles { filter: ListFilter } -> Page<ArticleSummary>,
    |pool, msg| articles::list(&pool, &msg.filter).await);
pool_message!(GetArticle { slug: Slug } -> Article,
    |pool, msg| articles::get(&pool, &msg.slug).await);
pool_message!(GetPublicArticle { slug: Slug } -> Article,
    |pool, msg| articles::get_public(&pool, &msg.slug).await);
pool_message!(CreateArticle { article: NewArticle, actor: String } -> Article,
    |pool, msg| articles::create(&pool, msg.article, &msg.actor).await);
pool_message!(UpdateArticle {
    slug: Slug, changes: ArticleChanges, expected_version: Option<i32>, actor: String,
} -> Article,
    |pool, msg| articles::update(&pool, &msg.slug, msg.changes, msg.expected_version, &msg.actor).await);
pool_message!(DeleteArticle { slug: Slug, expected_version: Option<i32> } -> (),
    |pool, msg| articles::delete(&pool, &msg.slug, msg.expected_version).await);
pool_message!(SetPublic { slug: Slug, is_public: bool, actor: String } -> Article,
    |pool, msg| articles::set_public(&pool, &msg.slug, msg.is_public, &msg.actor).await);
pool_message!(RenameSlug { slug: Slug, new_slug: Slug, actor: String } -> Article,
    |pool, msg| articles::rename_slug(&pool, &msg.slug, &msg.new_slug, &msg.actor).await);
pool_message!(ListVersions { slug: Slug } -> Vec<VersionSummary>,
    |pool, msg| articles::list_versions(&pool, &msg.slug).await);
pool_message!(GetVersion { slug: Slug, version: i32 } -> ArticleVersion,
    |pool, msg| articles::get_version(&pool, &msg.slug, msg.version).await);
pool_message!(RestoreVersion {
    slug: Slug, version: i32, message: Option<VersionMessage>, expected_version: Option<i32>,
    actor: String,
} -> Article,
    |pool, msg| articles::restore_version(
        &pool, &msg.slug, msg.version, msg.message, msg.expected_version, &msg.actor).await);
pool_message!(FolderCounts {} -> Vec<(String, i64)>,
    |pool, _msg| articles::folder_counts(&pool).await);
pool_message!(ListFolders {} -> Vec<String>,
    |pool, _msg| articles::list_folders(&pool).await);
pool_message!(RenameFolder { from: FolderPath, to: FolderPath, max_depth: usize } -> u64,
    |pool, msg| articles::rename_folder(&pool, &msg.from, &msg.to, msg.max_depth).await);
pool_message!(DeleteFolder { folder: FolderPath } -> u64,
    |pool, msg| articles::delete_folder(&pool, &msg.folder).await);
pool_message!(CreateToken {
    name: TokenName, scope: Scope, token_hash: Vec<u8>, prefix: String,
    expires_at: Option<DateTime<Utc>>,
} -> TokenRecord,
    |pool, msg| tokens::create(&pool, &msg.name, msg.scope, &msg.token_hash, &msg.prefix, msg.expires_at).await);
pool_message!(ListTokens {} -> Vec<TokenRecord>,
    |pool, _msg| tokens::list(&pool).await);
pool_message!(RegisterStoredSession { id_hash: Vec<u8>, token_id: i64, token_name: String, ip: String } -> (),
    |pool, msg| sessions::register(&pool, &msg.id_hash, msg.token_id, &msg.token_name, &msg.ip).await);
pool_message!(SaveInitializeParams { id_hash: Vec<u8>, params: serde_json::Value } -> (),
    |pool, msg| sessions::save_initialize_params(&pool, &msg.id_hash, &msg.params).await);
pool_message!(LoadInitializeParams { id_hash: Vec<u8> } -> Option<serde_json::Value>,
    |pool, msg| sessions::initialize_params(&pool, &msg.id_hash).await);
pool_message!(TouchStoredSession { id_hash: Vec<u8>, last_seen_at: DateTime<Utc>, request_count: i64 } -> (),
    |pool, msg| sessions::touch(&pool, &msg.id_hash, msg.last_seen_at, msg.request_count).await);
pool_message!(DeleteStoredSession { id_hash: Vec<u8> } -> (),
    |pool, msg| sessions::delete(&pool, &msg.id_hash).await);
pool_message!(LoadActiveSessions { created_after: DateTime<Utc> } -> Vec<sessions::StoredSession>,
    |pool, msg| sessions::load_active(&pool, msg.created_after).await);
pool_message!(ClaimEmbeddingTasks { limit: i64, lease_ms: i64 } -> Vec<embedding_tasks::ClaimedTask>,
    |pool, msg| embedding_tasks::claim(&pool, msg.limit, msg.lease_ms).await);
pool_message!(RenewEmbeddingLeases { ids: Vec<i64>, lease_ms: i64 } -> (),
    |pool, msg| embedding_tasks::renew_leases(&pool, &msg.ids, msg.lease_ms).await);
pool_message!(FailEmbeddingTask {
    task_id: i64, error: String, max_attempts: u32, backoff_base_ms: u64,
} -> embedding_tasks::FailureOutcome,
    |pool, msg| embedding_tasks::fail(
        &pool, msg.task_id, &msg.error, msg.max_attempts, msg.backoff_base_ms).await);
pool_message!(
    /// Queues articles without vectors of the current model; run when the worker starts.
    EnqueueMissingEmbeddings { provider: String, model: String } -> u64,
    |pool, msg| embedding_tasks::enqueue_missing(&pool, &msg.provider, &msg.model).await);
pool_message!(StartReindex {} -> (uuid::Uuid, u64),
    |pool, _msg| embedding_tasks::reindex(&pool).await);
pool_message!(DeleteFailedEmbeddingTasks { id: Option<i64> } -> u64,
    |pool, msg| embedding_tasks::delete_failed(&pool, msg.id).await);
pool_message!(RetryFailedEmbeddingTasks { id: Option<i64> } -> u64,
    |pool, msg| embedding_tasks::retry_failed(&pool, msg.id).await);
pool_message!(DeleteCompletedEmbeddingTasks { before: DateTime<Utc> } -> u64,
    |pool, msg| embedding_tasks::delete_completed_before(&pool, msg.before).await);
pool_message!(EmbeddingQueueCounts {} -> embedding_tasks::QueueCounts,
    |pool, _msg| embedding_tasks::counts(&pool).await);
pool_message!(LatestReindex {} -> Option<embedding_tasks::ReindexProgress>,
    |pool, _msg| embedding_tasks::latest_reindex(&pool).await);
pool_message!(RecentEmbeddingErrors { limit: i64 } -> Vec<embedding_tasks::TaskError>,
    |pool, msg| embedding_tasks::recent_errors(&pool, msg.limit).await);
pool_message!(FindEmbeddingSpace { provider: String, model: String, dimensions: i32 }
    -> Option<chunks::SpaceRef>,
    |pool, msg| chunks::find_space(&pool, &msg.provider, &msg.model, msg.dimensions).await);
pool_message!(
    /// Creates the embedding space and its HNSW index if needed.
    EnsureEmbeddingSpace { provider: String, model: String, dimensions: i32 } -> chunks::SpaceRef,
    |pool, msg| chunks::ensure_space(&pool, &msg.provider, &msg.model, msg.dimensions).await);
pool_message!(GetArticleText { article_id: i64 } -> Option<chunks::ArticleText>,
    |pool, msg| chunks::article_text(&pool, msg.article_id).await);
pool_message!(ChunkVectorsByHash { article_id: i64, provider: String, model: String }
    -> HashMap<String, Vec<f32>>,
    |pool, msg| chunks::vectors_by_hash(&pool, msg.article_id, &msg.provider, &msg.model).await);
pool_message!(ReplaceChunks {
    task_id: i64, article_id: i64, version: i32, space_id: i32, chunks: Vec<chunks::NewChunk>,
} -> chunks::WriteOutcome,
    |pool, msg| chunks::replace_chunks(
        &pool, msg.task_id, msg.article_id, msg.version, msg.space_id, msg.chunks).await);
pool_message!(FulltextSearch { query: String, folder: FolderFilter, limit: i64 }
    -> Vec<chunks::FulltextMatch>,
    |pool, msg| chunks::fulltext(&pool, &msg.query, &msg.folder, msg.limit).await);
pool_message!(NearestChunks {
    space: chunks::SpaceRef, embedding: Vec<f32>, folder: FolderFilter, limit: i64, exact: bool,
} -> Vec<chunks::ChunkMatch>,
    |pool, msg| chunks::nearest_chunks(
        &pool, msg.space, msg.embedding, &msg.folder, msg.limit, msg.exact).await);
pool_message!(BestFulltextChunks { query: String, article_ids: Vec<i64> } -> Vec<chunks::ChunkMatch>,
    |pool, msg| chunks::best_fulltext_chunks(&pool, &msg.query, &msg.article_ids).await);
pool_message!(IndexCounts { provider: String, model: String } -> chunks::IndexCounts,
    |pool, msg| chunks::index_counts(&pool, &msg.provider, &msg.model).await);
pool_message!(UnindexedSlugs { provider: String, model: String, limit: i64 } -> Vec<String>,
    |pool, msg| chunks::unindexed_slugs(&pool, &msg.provider, &msg.model, msg.limit).await);
pool_message!(
    /// Checks that the database answers; used by the readiness probe.
    Ping {} -> (),
    |pool, _msg| { sqlx::query("select 1").execute(&pool).await?; Ok(()) });

/// Looks up an access token by the SHA-256 of its value. Returns only active tokens and
/// records the use for the next `last_used_at` flush.
#[derive(Debug, Message)]
#[rtype(result = "Result<Option<TokenRecord>, StoreError>")]
pub struct AuthenticateToken {
    pub token_hash: [u8; 32],
}

impl Handler<AuthenticateToken> for StoreActor {
    type Result = ResponseActFuture<Self, Result<Option<TokenRecord>, StoreError>>;

    fn handle(&mut self, msg: AuthenticateToken, _: &mut Self::Context) -> Self::Result {
        let now = Utc::now();
        if let Some(cached) = self.auth_cache.get(&msg.token_hash)
            && cached.fetched_at.elapsed() < AUTH_CACHE_TTL
        {
            let record = cached.record.clone();
            let active = record.is_active(now).then_some(record);
            if let Some(record) = &active {
                self.last_used.insert(record.id, now);
            }
            return Box::pin(fut::ready(Ok(active)));
        }

        let pool = self.pool.clone();
        let hash = msg.token_hash;
        Box::pin(
            async move { tokens::find_by_hash(&pool, &hash).await }
                .into_actor(self)
                .map(move |result, actor, _ctx| {
                    let record = result?;
                    match record {
                        Some(mut record) => {
                            if actor.revoked.contains(&record.id) && record.revoked_at.is_none() {
                                record.revoked_at = Some(now);
                            }
                            actor.auth_cache.put(
                                hash,
                                CachedToken {
                                    record: record.clone(),
                                    fetched_at: Instant::now(),
                                },
                            );
                            if record.is_active(now) {
                                actor.last_used.insert(record.id, now);
                                Ok(Some(record))
                            } else {
                                Ok(None)
                            }
                        }
                        None => Ok(None),
                    }
                }),
        )
    }
}

/// Writes the batched `last_used_at` times now and waits for the write; used at shutdown.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct FlushLastUsed;

impl Handler<FlushLastUsed> for StoreActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: FlushLastUsed, _: &mut Self::Context) -> Self::Result {
        let batch = std::mem::take(&mut self.last_used);
        let pool = self.pool.clone();
        Box::pin(async move {
            if let Err(error) = tokens::record_last_used(&pool, &batch).await {
                tracing::warn!(%error, tokens = batch.len(), "failed to record token last-used times");
            }
        })
    }
}

/// Revokes an access token and forgets it in the authentication cache at once.
#[derive(Debug, Message)]
#[rtype(result = "Result<TokenRecord, StoreError>")]
pub struct RevokeToken {
    pub id: i64,
}

impl Handler<RevokeToken> for StoreActor {
    type Result = ResponseActFuture<Self, Result<TokenRecord, StoreError>>;

    fn handle(&mut self, msg: RevokeToken, _: &mut Self::Context) -> Self::Result {
        // Drop the cached entry before the write so no request can be admitted from the cache
        // between the database update and the reply.
        self.revoked.insert(msg.id);
        self.forget_token(msg.id);
        let pool = self.pool.clone();
        Box::pin(
            async move { tokens::revoke(&pool, msg.id).await }
                .into_actor(self)
                .map(move |result, actor, _ctx| {
                    actor.forget_token(msg.id);
                    result
                }),
        )
    }
}

impl StoreActor {
    fn forget_token(&mut self, id: i64) {
        let stale: Vec<[u8; 32]> = self
            .auth_cache
            .iter()
            .filter(|(_, cached)| cached.record.id == id)
            .map(|(hash, _)| *hash)
            .collect();
        for hash in stale {
            self.auth_cache.pop(&hash);
        }
    }
}

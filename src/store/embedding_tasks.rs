//! The embedding queue: one row per request to (re)embed an article.
//!
//! Article writes call [`enqueue_in`] inside their own transaction, so a committed write always
//! has its task. A task moves `pending` → `processing` (claimed with `FOR UPDATE SKIP LOCKED`,
//! under a lease) → `completed`, or back to `pending` with a growing delay after an error, and
//! to `failed` after the last attempt. Deleting an article deletes its chunks and tasks through
//! foreign-key cascades in the same transaction, so deletes need no task.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::StoreError;

/// The reason a task was queued, stored in `embedding_tasks.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskReason {
    Create,
    Update,
    Restore,
    Reindex,
    /// Found without vectors of the current model: a new model, or writes while no worker ran.
    Backfill,
}

impl TaskReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Restore => "restore",
            Self::Reindex => "reindex",
            Self::Backfill => "backfill",
        }
    }
}

/// Queues an article for embedding inside the caller's transaction. A no-RAG article is never
/// queued: its chunks and pending tasks are deleted instead.
pub async fn enqueue_in(
    tx: &mut Transaction<'_, Postgres>,
    article_id: i64,
    no_rag: bool,
    reason: TaskReason,
) -> Result<(), StoreError> {
    if no_rag {
        sqlx::query!("delete from chunks where article_id = $1", article_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query!(
            "delete from embedding_tasks where article_id = $1 and status = 'pending'",
            article_id
        )
        .execute(&mut **tx)
        .await?;
        return Ok(());
    }
    // A pending task for the article is refreshed rather than duplicated; a new write also
    // deserves a fresh set of attempts.
    sqlx::query!(
        "insert into embedding_tasks (article_id, reason) values ($1, $2)
         on conflict (article_id) where status = 'pending'
         do update set reason = excluded.reason, attempts = 0, next_attempt_at = now(),
                       updated_at = now()",
        article_id,
        reason.as_str(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A task the worker has claimed.
#[derive(Debug, Clone)]
pub struct ClaimedTask {
    pub id: i64,
    pub article_id: i64,
    /// Attempts so far, including this one.
    pub attempts: i32,
    /// Embed every chunk again instead of reusing unchanged ones.
    pub force: bool,
}

/// Claims up to `limit` due tasks for `lease_ms`. A task whose article is being processed under
/// a live lease waits, so one article is never embedded twice at the same time. A processing
/// task whose lease expired (its worker stopped) is claimed again.
pub async fn claim(
    pool: &PgPool,
    limit: i64,
    lease_ms: i64,
) -> Result<Vec<ClaimedTask>, StoreError> {
    Ok(sqlx::query_as!(
        ClaimedTask,
        r#"
        with due as (
            select t.id
            from embedding_tasks t
            where ((t.status = 'pending' and t.next_attempt_at <= now())
                   or (t.status = 'processing' and t.locked_until < now()))
              and not exists (
                  select 1 from embedding_tasks busy
                  where busy.article_id = t.article_id
                    and busy.status = 'processing'
                    and busy.locked_until >= now()
                    and busy.id <> t.id)
            order by t.next_attempt_at, t.id
            limit $1
            for update skip locked
        )
        update embedding_tasks t
        set status = 'processing', attempts = t.attempts + 1,
            locked_until = now() + make_interval(secs => $2::float8 / 1000),
            started_at = now(), updated_at = now()
        from due
        where t.id = due.id
        returning t.id, t.article_id, t.attempts, t.force
        "#,
        limit,
        lease_ms as f64,
    )
    .fetch_all(pool)
    .await?)
}

/// Extends the leases of tasks still being processed.
pub async fn renew_leases(pool: &PgPool, ids: &[i64], lease_ms: i64) -> Result<(), StoreError> {
    sqlx::query!(
        "update embedding_tasks
         set locked_until = now() + make_interval(secs => $2::float8 / 1000)
         where id = any($1) and status = 'processing'",
        ids,
        lease_ms as f64,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The state of a task after [`fail`] recorded an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureOutcome {
    /// Back to pending; the next attempt is due at the given time.
    Retrying(DateTime<Utc>),
    /// No attempts left.
    Failed,
    /// A newer pending task for the same article takes over, with this error attached.
    Superseded,
    /// The task no longer exists (its article was deleted).
    Gone,
}

/// Records an error on a processing task: retry after `backoff_base_ms × 2^(attempts − 1)`, or
/// mark it failed once `max_attempts` are used up. The error stays visible in `last_error`.
pub async fn fail(
    pool: &PgPool,
    task_id: i64,
    error: &str,
    max_attempts: u32,
    backoff_base_ms: u64,
) -> Result<FailureOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let Some(task) = sqlx::query!(
        "select article_id, attempts from embedding_tasks
         where id = $1 and status = 'processing' for update",
        task_id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(FailureOutcome::Gone);
    };

    // The unique index allows one pending task per article; if a write queued one meanwhile,
    // that task does the work and carries this error.
    let newer = sqlx::query_scalar!(
        "update embedding_tasks set last_error = $2, updated_at = now()
         where article_id = $1 and status = 'pending'
         returning id",
        task.article_id,
        error,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if newer.is_some() {
        sqlx::query!("delete from embedding_tasks where id = $1", task_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Ok(FailureOutcome::Superseded);
    }

    let attempts = u32::try_from(task.attempts).unwrap_or(0);
    let outcome = if attempts >= max_attempts {
        sqlx::query!(
            "update embedding_tasks
             set status = 'failed', last_error = $2, locked_until = null,
                 finished_at = now(), updated_at = now()
             where id = $1",
            task_id,
            error,
        )
        .execute(&mut *tx)
        .await?;
        FailureOutcome::Failed
    } else {
        let exponent = attempts.saturating_sub(1).min(20);
        let delay_ms = backoff_base_ms.saturating_mul(1u64 << exponent);
        let next = sqlx::query_scalar!(
            r#"update embedding_tasks
               set status = 'pending', last_error = $2, locked_until = null,
                   next_attempt_at = now() + make_interval(secs => $3::float8 / 1000),
                   updated_at = now()
               where id = $1
               returning next_attempt_at as "next_attempt_at!""#,
            task_id,
            error,
            delay_ms as f64,
        )
        .fetch_one(&mut *tx)
        .await?;
        FailureOutcome::Retrying(next)
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Queues every article that is not no-RAG and has no vectors of the current model, unless a
/// task for it is pending, processing or failed (failed tasks wait for an explicit retry).
/// Also deletes chunks of no-RAG articles. Returns how many tasks were queued.
pub async fn enqueue_missing(
    pool: &PgPool,
    provider: &str,
    model: &str,
) -> Result<u64, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query!("delete from chunks c using articles a where a.id = c.article_id and a.no_rag")
        .execute(&mut *tx)
        .await?;
    let queued = sqlx::query!(
        "insert into embedding_tasks (article_id, reason)
         select a.id, $3 from articles a
         where not a.no_rag
           and not exists (
               select 1 from chunks c join embedding_spaces s on s.id = c.space_id
               where c.article_id = a.id and s.provider = $1 and s.model = $2)
           and not exists (
               select 1 from embedding_tasks t
               where t.article_id = a.id and t.status in ('pending', 'processing', 'failed'))
         on conflict do nothing",
        provider,
        model,
        TaskReason::Backfill.as_str(),
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(queued)
}

/// Queues every article that is not no-RAG for a full re-embedding as one batch, and deletes
/// the chunks of no-RAG articles. Returns the batch id and the number of queued articles.
pub async fn reindex(pool: &PgPool) -> Result<(Uuid, u64), StoreError> {
    let batch = Uuid::now_v7();
    let mut tx = pool.begin().await?;
    sqlx::query!("delete from chunks c using articles a where a.id = c.article_id and a.no_rag")
        .execute(&mut *tx)
        .await?;
    let queued = sqlx::query!(
        "insert into embedding_tasks (article_id, reason, force, batch_id)
         select id, $1, true, $2 from articles where not no_rag
         on conflict (article_id) where status = 'pending'
         do update set reason = excluded.reason, force = true, batch_id = excluded.batch_id,
                       attempts = 0, next_attempt_at = now(), updated_at = now()",
        TaskReason::Reindex.as_str(),
        batch,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok((batch, queued))
}

/// Deletes failed tasks: all of them, or the one with `id`. Returns how many were deleted.
pub async fn delete_failed(pool: &PgPool, id: Option<i64>) -> Result<u64, StoreError> {
    Ok(sqlx::query!(
        "delete from embedding_tasks where status = 'failed' and ($1::bigint is null or id = $1)",
        id
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// Puts failed tasks back in the queue with fresh attempts: all of them, or the one with `id`.
/// A failed task whose article already has a pending task, or is now no-RAG, is deleted
/// instead. Returns how many tasks were queued again.
pub async fn retry_failed(pool: &PgPool, id: Option<i64>) -> Result<u64, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "delete from embedding_tasks t
         using articles a
         where a.id = t.article_id and t.status = 'failed' and ($1::bigint is null or t.id = $1)
           and (a.no_rag or exists (
               select 1 from embedding_tasks p
               where p.article_id = t.article_id and p.status = 'pending'))",
        id
    )
    .execute(&mut *tx)
    .await?;

    // Several failed tasks of one article would all become pending, so only the newest stays.
    sqlx::query!(
        "delete from embedding_tasks t
         where t.status = 'failed' and ($1::bigint is null or t.id = $1)
           and exists (
               select 1 from embedding_tasks n
               where n.article_id = t.article_id and n.status = 'failed' and n.id > t.id)",
        id
    )
    .execute(&mut *tx)
    .await?;

    let retried = sqlx::query!(
        "update embedding_tasks
         set status = 'pending', reason = 'retry', attempts = 0, next_attempt_at = now(),
             locked_until = null, finished_at = null, updated_at = now()
         where status = 'failed' and ($1::bigint is null or id = $1)",
        id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(retried)
}

/// Deletes completed tasks that finished before `before`; returns how many.
pub async fn delete_completed_before(
    pool: &PgPool,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(sqlx::query!(
        "delete from embedding_tasks where status = 'completed' and finished_at < $1",
        before
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// Tasks by status.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct QueueCounts {
    pub pending: i64,
    pub processing: i64,
    pub completed: i64,
    pub failed: i64,
}

/// Progress of the most recent reindex.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReindexProgress {
    pub batch_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub total: i64,
    pub tasks: QueueCounts,
}

/// A task that has an error: failed, or pending for a retry.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskError {
    pub task_id: i64,
    pub slug: String,
    pub status: String,
    pub attempts: i32,
    pub error: String,
    pub updated_at: DateTime<Utc>,
}

/// Returns the number of tasks in each status.
pub async fn counts(pool: &PgPool) -> Result<QueueCounts, StoreError> {
    let rows =
        sqlx::query!(r#"select status, count(*) as "count!" from embedding_tasks group by status"#)
            .fetch_all(pool)
            .await?;
    Ok(counts_from(
        rows.into_iter().map(|row| (row.status, row.count)),
    ))
}

fn counts_from(rows: impl Iterator<Item = (String, i64)>) -> QueueCounts {
    let mut counts = QueueCounts::default();
    for (status, count) in rows {
        match status.as_str() {
            "pending" => counts.pending = count,
            "processing" => counts.processing = count,
            "completed" => counts.completed = count,
            "failed" => counts.failed = count,
            _ => {}
        }
    }
    counts
}

/// Returns the progress of the most recent reindex, if any of its tasks remain.
pub async fn latest_reindex(pool: &PgPool) -> Result<Option<ReindexProgress>, StoreError> {
    let Some(latest) = sqlx::query!(
        r#"select batch_id as "batch_id!", min(created_at) as "started_at!"
           from embedding_tasks where batch_id is not null
           group by batch_id order by 2 desc limit 1"#
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let rows = sqlx::query!(
        r#"select status, count(*) as "count!" from embedding_tasks
           where batch_id = $1 group by status"#,
        latest.batch_id
    )
    .fetch_all(pool)
    .await?;
    let tasks = counts_from(rows.into_iter().map(|row| (row.status, row.count)));
    Ok(Some(ReindexProgress {
        batch_id: latest.batch_id,
        started_at: latest.started_at,
        total: tasks.pending + tasks.processing + tasks.completed + tasks.failed,
        tasks,
    }))
}

/// Returns the `limit` most recently updated tasks that carry an error.
pub async fn recent_errors(pool: &PgPool, limit: i64) -> Result<Vec<TaskError>, StoreError> {
    Ok(sqlx::query_as!(
        TaskError,
        r#"select t.id as task_id, a.slug, t.status, t.attempts,
                  t.last_error as "error!", t.updated_at
           from embedding_tasks t join articles a on a.id = t.article_id
           where t.last_error is not null and t.status in ('failed', 'pending')
           order by t.updated_at desc, t.id desc
           limit $1"#,
        limit
    )
    .fetch_all(pool)
    .await?)
}

//! The embedding worker: turns queued articles into chunks with vectors.
//!
//! It polls the `embedding_tasks` queue every `EMBEDDING_QUEUE_WORKER_INTERVAL` (and at once
//! on [`Wake`]) and claims up to `EMBEDDING_QUEUE_CONCURRENCY` tasks under a [`LEASE`]. For
//! each task it reads the article and chunks it. Chunks whose embedded text is unchanged keep
//! their vectors, and the rest are embedded in batches. One transaction then replaces the
//! article's chunks and completes the task. Any error leaves the task pending for a later attempt, or
//! failed after the last one, with the error in `last_error`; a task is never completed
//! without its vectors.
//!
//! A stopped worker loses nothing: its claimed tasks stay `processing` until their lease runs
//! out, and then any worker claims them again. Several processes may run workers at once.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;
use sha2::{Digest, Sha256};

use super::chunker::{self, ChunkSettings};
use crate::config::SemanticConfig;
use crate::embedding::{Embedder, Priority};
use crate::store::chunks::{NewChunk, SpaceRef, WriteOutcome};
use crate::store::embedding_tasks::{ClaimedTask, FailureOutcome};
use crate::store::{self, StoreActor, StoreError};

/// How long a claimed task belongs to this worker without a renewal.
pub const LEASE: Duration = Duration::from_secs(60);
/// How often the leases of tasks in progress are renewed.
const LEASE_RENEWAL: Duration = Duration::from_secs(20);
/// How often articles without vectors of the current model are looked for again. Besides
/// startup, this catches articles that another process embedded with a different model, for
/// example an old replica during a rolling deploy.
const BACKFILL_INTERVAL: Duration = Duration::from_secs(300);
/// How often completed tasks older than [`COMPLETED_RETENTION`] are deleted.
const CLEANUP_INTERVAL: Duration = Duration::from_secs(3600);
/// How long completed tasks are kept, for the status page and reindex progress.
const COMPLETED_RETENTION: chrono::Duration = chrono::Duration::days(7);
/// Shortest gap between two warnings about task errors; the rest are counted.
const ERROR_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// The worker's settings, taken from [`SemanticConfig`].
#[derive(Debug, Clone)]
pub struct Settings {
    pub chunk: ChunkSettings,
    pub poll_interval: Duration,
    pub concurrency: usize,
    pub max_attempts: u32,
    pub retry_backoff_base_ms: u64,
    /// Texts per embedding call.
    pub batch_size: usize,
}

impl From<&SemanticConfig> for Settings {
    fn from(config: &SemanticConfig) -> Self {
        Self {
            chunk: ChunkSettings {
                size: config.chunk_size,
                overlap: config.chunk_overlap,
            },
            poll_interval: Duration::from_millis(config.worker_interval_ms),
            concurrency: config.concurrency,
            max_attempts: config.max_attempts,
            retry_backoff_base_ms: config.retry_backoff_base_ms,
            batch_size: config.batch_size,
        }
    }
}

/// Asks the worker to look for due tasks now.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Wake;

/// Stops the worker: it claims no more tasks. Tasks in progress stay claimed until their
/// lease expires, and then any worker retries them.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Stop;

/// The handles and settings that processing a task needs, cloned into each task's future.
#[derive(Clone)]
struct TaskRunner {
    store: Addr<StoreActor>,
    embedder: Arc<dyn Embedder>,
    settings: Settings,
    /// The current model's space, once known.
    space: Arc<Mutex<Option<SpaceRef>>>,
}

pub struct EmbeddingWorker {
    runner: TaskRunner,
    in_flight: HashSet<i64>,
    claiming: bool,
    last_error_log: Option<Instant>,
    suppressed_errors: u64,
}

impl EmbeddingWorker {
    pub fn new(store: Addr<StoreActor>, embedder: Arc<dyn Embedder>, settings: Settings) -> Self {
        Self {
            runner: TaskRunner {
                store,
                embedder,
                settings,
                space: Arc::new(Mutex::new(None)),
            },
            in_flight: HashSet::new(),
            claiming: false,
            last_error_log: None,
            suppressed_errors: 0,
        }
    }

    /// Claims as many due tasks as there are free slots and starts them.
    fn claim(&mut self, ctx: &mut Context<Self>) {
        let free = self
            .runner
            .settings
            .concurrency
            .saturating_sub(self.in_flight.len());
        if self.claiming || free == 0 {
            return;
        }
        self.claiming = true;
        let store = self.runner.store.clone();
        let claim = async move {
            let message = store::ClaimEmbeddingTasks {
                limit: free as i64,
                lease_ms: LEASE.as_millis() as i64,
            };
            store::ask(&store, message).await
        };
        ctx.spawn(claim.into_actor(self).map(|result, worker, ctx| {
            worker.claiming = false;
            match result {
                Ok(tasks) => {
                    for task in tasks {
                        worker.start(task, ctx);
                    }
                }
                Err(error) => {
                    tracing::error!(error = %error, error.chain = ?error, "failed to claim embedding tasks");
                }
            }
        }));
    }

    fn start(&mut self, task: ClaimedTask, ctx: &mut Context<Self>) {
        if !self.in_flight.insert(task.id) {
            return;
        }
        let runner = self.runner.clone();
        let task_id = task.id;
        ctx.spawn(async move { runner.run(task).await }.into_actor(self).map(
            move |outcome, worker, ctx| {
                worker.in_flight.remove(&task_id);
                if let Some(message) = outcome {
                    worker.log_task_error(message);
                }
                // A slot is free; the queue may hold more due work.
                worker.claim(ctx);
            },
        ));
    }

    /// Logs a task error, at most once per [`ERROR_LOG_INTERVAL`]; the others are counted and
    /// the count is logged with the next one.
    fn log_task_error(&mut self, message: String) {
        let due = self
            .last_error_log
            .is_none_or(|last| last.elapsed() >= ERROR_LOG_INTERVAL);
        if !due {
            self.suppressed_errors += 1;
            return;
        }
        tracing::warn!(suppressed_since_last = self.suppressed_errors, "{message}");
        self.last_error_log = Some(Instant::now());
        self.suppressed_errors = 0;
    }

    /// Queues articles that have no vectors of the current model.
    fn backfill(&mut self, ctx: &mut Context<Self>) {
        let store = self.runner.store.clone();
        let provider = self.runner.embedder.provider().as_str().to_owned();
        let model = self.runner.embedder.model().to_owned();
        let backfill = async move {
            store::ask(&store, store::EnqueueMissingEmbeddings { provider, model }).await
        };
        ctx.spawn(backfill.into_actor(self).map(|result, worker, ctx| {
            match result {
                Ok(0) => {}
                Ok(queued) => tracing::info!(
                    queued,
                    "queued articles without vectors of the current embedding model"
                ),
                Err(error) => {
                    tracing::error!(error = %error, error.chain = ?error, "failed to queue articles without vectors");
                }
            }
            worker.claim(ctx);
        }));
    }

    fn renew_leases(&mut self, ctx: &mut Context<Self>) {
        if self.in_flight.is_empty() {
            return;
        }
        let store = self.runner.store.clone();
        let message = store::RenewEmbeddingLeases {
            ids: self.in_flight.iter().copied().collect(),
            lease_ms: LEASE.as_millis() as i64,
        };
        ctx.spawn(
            async move {
                if let Err(error) = store::ask(&store, message).await {
                    tracing::error!(error = %error, error.chain = ?error, "failed to renew embedding task leases");
                }
            }
            .into_actor(self),
        );
    }

    fn delete_old_tasks(&mut self, ctx: &mut Context<Self>) {
        let store = self.runner.store.clone();
        let message = store::DeleteCompletedEmbeddingTasks {
            before: chrono::Utc::now() - COMPLETED_RETENTION,
        };
        ctx.spawn(
            async move {
                match store::ask(&store, message).await {
                    Ok(0) => {}
                    Ok(deleted) => tracing::info!(deleted, "deleted old completed embedding tasks"),
                    Err(error) => {
                        tracing::error!(error = %error, error.chain = ?error, "failed to delete old embedding tasks");
                    }
                }
            }
            .into_actor(self),
        );
    }
}

impl Actor for EmbeddingWorker {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let provider = self.runner.embedder.provider().as_str().to_owned();
        let model = self.runner.embedder.model().to_owned();
        tracing::info!(
            provider,
            model,
            concurrency = self.runner.settings.concurrency,
            "embedding worker started"
        );
        // Articles written while no worker ran, or embedded with another model, get tasks.
        self.backfill(ctx);
        ctx.run_interval(BACKFILL_INTERVAL, Self::backfill);
        ctx.run_interval(self.runner.settings.poll_interval, Self::claim);
        ctx.run_interval(LEASE_RENEWAL, Self::renew_leases);
        ctx.run_interval(CLEANUP_INTERVAL, Self::delete_old_tasks);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        tracing::info!(
            in_flight = self.in_flight.len(),
            "embedding worker stopped; tasks in progress are retried when their lease expires"
        );
    }
}

impl Handler<Stop> for EmbeddingWorker {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

impl Handler<Wake> for EmbeddingWorker {
    type Result = ();

    fn handle(&mut self, _: Wake, ctx: &mut Self::Context) {
        self.claim(ctx);
    }
}

/// The cause of a task's failure.
#[derive(Debug, thiserror::Error)]
enum TaskError {
    #[error("{0}")]
    Embedding(#[from] crate::embedding::EmbedError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

impl TaskError {
    /// Returns the message stored in `last_error`: the whole chain, because "database error"
    /// alone does not help an operator.
    fn detail(&self) -> String {
        let mut message = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !message.contains(&cause_text) {
                message.push_str(": ");
                message.push_str(&cause_text);
            }
            source = cause.source();
        }
        message
    }
}

impl TaskRunner {
    /// Processes one task and records its outcome; returns a log message when it failed.
    async fn run(self, task: ClaimedTask) -> Option<String> {
        let started = Instant::now();
        match self.embed_article(&task).await {
            Ok(outcome) => {
                tracing::debug!(
                    task_id = task.id,
                    article_id = task.article_id,
                    ?outcome,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "embedding task done"
                );
                None
            }
            Err(error) => {
                let detail = error.detail();
                let recorded = store::ask(
                    &self.store,
                    store::FailEmbeddingTask {
                        task_id: task.id,
                        error: detail.clone(),
                        max_attempts: self.settings.max_attempts,
                        backoff_base_ms: self.settings.retry_backoff_base_ms,
                    },
                )
                .await;
                let next = match recorded {
                    Ok(FailureOutcome::Retrying(at)) => format!("retrying at {at}"),
                    Ok(FailureOutcome::Failed) => "no attempts left; marked failed".to_owned(),
                    Ok(FailureOutcome::Superseded) => {
                        "a newer task for the article takes over".to_owned()
                    }
                    Ok(FailureOutcome::Gone) => "the article was deleted".to_owned(),
                    Err(store_error) => format!("and recording the error failed: {store_error}"),
                };
                Some(format!(
                    "embedding task {} (article {}, attempt {}) failed: {detail}; {next}",
                    task.id, task.article_id, task.attempts
                ))
            }
        }
    }

    async fn embed_article(&self, task: &ClaimedTask) -> Result<WriteOutcome, TaskError> {
        let Some(article) = store::ask(
            &self.store,
            store::GetArticleText {
                article_id: task.article_id,
            },
        )
        .await?
        else {
            return Ok(WriteOutcome::Gone);
        };
        if article.no_rag {
            // replace_chunks reads the flag, deletes the chunks and completes the task.
            return Ok(self.write(task, article.version, 0, Vec::new()).await?);
        }

        // Tokenising a large article takes a while, so it runs off the async threads.
        let counter = self.embedder.token_counter();
        let max_input_tokens = self.embedder.max_input_tokens();
        let chunk_settings = self.settings.chunk;
        let title = article.title.clone();
        let content = article.content;
        let prepared = tokio::task::spawn_blocking(move || {
            chunker::chunk_markdown(&content, chunk_settings, counter.as_ref())
                .into_iter()
                .map(|chunk| {
                    let input = chunker::embedding_input(
                        &title,
                        &chunk,
                        counter.as_ref(),
                        max_input_tokens,
                    );
                    let hash = hex::encode(Sha256::digest(input.as_bytes()));
                    (chunk, input, hash)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| TaskError::Invalid(format!("chunking failed: {e}")))?;

        let mut reusable = if task.force {
            Default::default()
        } else {
            store::ask(
                &self.store,
                store::ChunkVectorsByHash {
                    article_id: task.article_id,
                    provider: self.embedder.provider().as_str().to_owned(),
                    model: self.embedder.model().to_owned(),
                },
            )
            .await?
        };

        let mut vectors: Vec<Option<Vec<f32>>> = prepared
            .iter()
            .map(|(_, _, hash)| reusable.get(hash).cloned())
            .collect();
        reusable.clear();
        let missing: Vec<usize> = (0..prepared.len())
            .filter(|&i| vectors[i].is_none())
            .collect();
        for batch in missing.chunks(self.settings.batch_size.max(1)) {
            let texts = batch.iter().map(|&i| prepared[i].1.clone()).collect();
            let embedded = self.embedder.embed(texts, Priority::Index).await?;
            for (&i, vector) in batch.iter().zip(embedded) {
                vectors[i] = Some(vector);
            }
        }

        let dimensions = vectors.first().and_then(|v| v.as_ref()).map_or(0, Vec::len);
        let mut chunks = Vec::with_capacity(prepared.len());
        for ((chunk, _, hash), vector) in prepared.into_iter().zip(vectors) {
            let vector = vector.ok_or_else(|| {
                TaskError::Invalid(format!("chunk {} has no vector", chunk.index))
            })?;
            if vector.len() != dimensions {
                // A stored vector of an older model version under the same name.
                return Err(TaskError::Invalid(format!(
                    "vectors have {} and {dimensions} dimensions; reindex the article",
                    vector.len()
                )));
            }
            chunks.push(NewChunk {
                index: i32::try_from(chunk.index).unwrap_or(i32::MAX),
                heading_path: chunk.heading_path,
                text: chunk.text,
                content_hash: hash,
                embedding: vector,
            });
        }
        Ok(self
            .write(task, article.version, dimensions, chunks)
            .await?)
    }

    async fn write(
        &self,
        task: &ClaimedTask,
        version: i32,
        dimensions: usize,
        chunks: Vec<NewChunk>,
    ) -> Result<WriteOutcome, StoreError> {
        let space = if chunks.is_empty() {
            // No vectors to store; any space id passes the foreign key untouched.
            SpaceRef {
                id: 0,
                dimensions: 0,
            }
        } else {
            self.space(dimensions).await?
        };
        store::ask(
            &self.store,
            store::ReplaceChunks {
                task_id: task.id,
                article_id: task.article_id,
                version,
                space_id: space.id,
                chunks,
            },
        )
        .await
    }

    async fn space(&self, dimensions: usize) -> Result<SpaceRef, StoreError> {
        let cached = *self
            .space
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(space) = cached
            && space.dimensions as usize == dimensions
        {
            return Ok(space);
        }
        let space = store::ask(
            &self.store,
            store::EnsureEmbeddingSpace {
                provider: self.embedder.provider().as_str().to_owned(),
                model: self.embedder.model().to_owned(),
                dimensions: i32::try_from(dimensions).unwrap_or(i32::MAX),
            },
        )
        .await?;
        *self
            .space
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(space);
        Ok(space)
    }
}

//! `mcp-markdown-manager reindex`: embeds articles in this process, with a progress bar, and
//! returns once the queue is empty. A running server's worker may claim tasks at the same
//! time; both share the work through the queue.

use std::fmt;
use std::time::{Duration, Instant};

use actix::Actor;
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;

use super::SearchService;
use crate::config::SemanticConfig;
use crate::store::{self, StoreActor};

/// How often the progress bar reads the queue.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The result of a reindex run.
#[derive(Debug, Clone)]
pub struct ReindexSummary {
    pub queued: u64,
    pub indexed_articles: i64,
    pub articles: i64,
    pub no_rag: i64,
    pub chunks_written: i64,
    pub failed_tasks: i64,
    pub elapsed: Duration,
}

impl fmt::Display for ReindexSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.elapsed.as_secs_f64();
        write!(
            f,
            "queued {} articles; {} of {} articles indexed ({} no-RAG); {} chunks written in \
             {seconds:.1} s ({:.1} chunks/s); {} failed tasks",
            self.queued,
            self.indexed_articles,
            self.articles,
            self.no_rag,
            self.chunks_written,
            self.chunks_written as f64 / seconds.max(0.001),
            self.failed_tasks,
        )?;
        if self.failed_tasks > 0 {
            write!(
                f,
                "; GET /api/rag/status shows their errors, POST /api/queue/tasks/failed/retry \
                 queues them again"
            )?;
        }
        Ok(())
    }
}

/// Queues articles (all of them, or with `changed_only` those without current vectors), runs
/// the embedding worker until no task is pending or processing, and reports the result.
/// Must run inside an actix system.
pub async fn run(
    pool: PgPool,
    config: &SemanticConfig,
    changed_only: bool,
) -> anyhow::Result<ReindexSummary> {
    let store = StoreActor::new(pool).start();
    let search = SearchService::start(config, store.clone(), true)?;
    if !search.semantic_enabled() {
        anyhow::bail!(
            "semantic search is off (SEMANTIC_SEARCH_ENABLED, or the model files are missing; \
             see the log above), so nothing can be embedded"
        );
    }
    let before = search.status(false).await?;
    let queued = if changed_only {
        // The worker does this too when it starts; doing it here first means the backlog
        // read below already includes these articles.
        store::ask(
            &store,
            store::EnqueueMissingEmbeddings {
                provider: before.provider.clone(),
                model: before.model.clone(),
            },
        )
        .await?;
        let queue = store::ask(&store, store::EmbeddingQueueCounts {}).await?;
        (queue.pending + queue.processing) as u64
    } else {
        search.reindex().await?.queued
    };

    let started = Instant::now();
    let bar = ProgressBar::new(queued.max(1));
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} articles, {elapsed} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut largest_backlog = queued;
    loop {
        actix_web::rt::time::sleep(POLL_INTERVAL).await;
        let queue = store::ask(&store, store::EmbeddingQueueCounts {}).await?;
        let backlog = (queue.pending + queue.processing) as u64;
        largest_backlog = largest_backlog.max(backlog);
        bar.set_length(largest_backlog.max(1));
        bar.set_position(largest_backlog - backlog);
        bar.set_message(format!("{} failed", queue.failed));
        if backlog == 0 {
            break;
        }
    }
    bar.finish_and_clear();

    let after = search.status(false).await?;
    Ok(ReindexSummary {
        queued,
        indexed_articles: after.articles.indexed,
        articles: after.articles.total,
        no_rag: after.articles.no_rag,
        chunks_written: if changed_only {
            after.chunks - before.chunks
        } else {
            after.chunks
        },
        failed_tasks: after.queue.failed,
        elapsed: started.elapsed(),
    })
}

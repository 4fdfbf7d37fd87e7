//! Article search: full-text, semantic and hybrid, plus the RAG index status and reindexing.
//!
//! [`SearchService`] is the handle REST handlers, MCP tools and the CLI share. Full-text search
//! works without an embedding provider. Semantic search embeds the query with the same model
//! that embedded the chunks and queries PostgreSQL for the nearest chunks (HNSW). Hybrid search,
//! the default, merges both rankings with reciprocal rank fusion. Every mode returns one hit
//! per article, with the chunk that matched best.

pub mod chunker;
pub mod reindex;
mod snippet;
pub mod worker;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use actix::{Actor, Addr};
use schemars::JsonSchema;
use serde::Serialize;

use crate::config::SemanticConfig;
use crate::domain::{FolderFilter, SearchLimit, SearchMode, SearchQuery};
use crate::embedding::{self, EmbedError, Embedder, Priority};
use crate::store::chunks::{ChunkMatch, FulltextMatch, SpaceRef};
use crate::store::embedding_tasks::{QueueCounts, ReindexProgress, TaskError};
use crate::store::{self, StoreActor, StoreError};
pub use worker::EmbeddingWorker;

/// Chunks fetched per requested article in semantic search. Several chunks of one article
/// often rank next to each other, and only the best one per article is kept.
const CHUNKS_PER_RESULT: usize = 8;
/// Minimum candidates fetched per ranking, so fusion has material even for small `k`.
const MIN_CANDIDATES: usize = 40;
/// Maximum chunks one semantic query reads from the index.
const MAX_CHUNK_CANDIDATES: usize = 1000;
/// Errors listed in the RAG status.
const STATUS_ERRORS: i64 = 10;
/// Unindexed articles listed in the RAG status.
const STATUS_UNINDEXED: i64 = 50;

/// One search result: an article and its best-matching chunk.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub slug: String,
    /// `<slug>.md`, as the article tools expect it.
    pub filename: String,
    pub title: String,
    /// Folder path; empty for the root folder.
    pub folder: String,
    /// Headings above the matching chunk, outermost first.
    pub heading_path: Vec<String>,
    /// About 240 characters of the matching chunk, around the first query term found.
    pub snippet: String,
    /// Higher is better; compare scores only within one response. Semantic: cosine
    /// similarity. Full-text: PostgreSQL's `ts_rank`. Hybrid: reciprocal-rank-fusion score
    /// scaled so 1 means first in both rankings.
    pub score: f64,
    /// Index of the matching chunk in the article; absent when the article has no chunks yet.
    pub chunk_index: Option<i32>,
}

/// The results of one search and the mode that actually ranked them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchOutcome {
    /// The requested mode, or `fulltext` when hybrid search had to do without embeddings.
    pub mode: SearchMode,
    pub results: Vec<SearchHit>,
    /// The reason the mode differs from the requested one, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(
        "semantic search is not enabled; set SEMANTIC_SEARCH_ENABLED=true and make the \
         embedding model available, or use mode=fulltext"
    )]
    SemanticDisabled,
    #[error("failed to embed the query: {0}")]
    Provider(#[from] EmbedError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SearchError {
    /// Returns the stable error code, shared by REST and MCP.
    pub fn code(&self) -> &'static str {
        match self {
            Self::SemanticDisabled => "semantic_search_disabled",
            Self::Provider(_) => "embedding_provider_unavailable",
            Self::Store(_) => "internal_error",
        }
    }
}

/// Searches `query` in `mode` and returns at most `k` articles. See [`SearchService::search`].
pub async fn search(
    service: &SearchService,
    query: &SearchQuery,
    mode: SearchMode,
    k: SearchLimit,
    folder: &FolderFilter,
) -> Result<SearchOutcome, SearchError> {
    service.search(query, mode, k, folder).await
}

/// Runs several searches and merges their results. See [`SearchService::multi_search`].
pub async fn multi_search(
    service: &SearchService,
    queries: &[SearchQuery],
    mode: SearchMode,
    k: SearchLimit,
    folder: &FolderFilter,
) -> Result<SearchOutcome, SearchError> {
    service.multi_search(queries, mode, k, folder).await
}

/// Counts that describe the semantic index and its queue.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RagStatus {
    pub enabled: bool,
    pub provider: String,
    pub model: String,
    /// Whether this process runs the embedding worker.
    pub worker_running: bool,
    pub articles: ArticleCounts,
    /// Chunks with vectors of the current model.
    pub chunks: i64,
    pub queue: QueueCounts,
    /// Progress of the most recent reindex, while its tasks are kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reindex: Option<ReindexProgress>,
    /// The newest task errors; shown only to callers with write access, because provider
    /// errors can name internal hosts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recent_errors: Option<Vec<TaskError>>,
    /// Slugs of up to 50 articles that are not indexed yet (no-RAG articles are not listed).
    pub unindexed_slugs: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticleCounts {
    pub total: i64,
    /// Articles with vectors of the current model.
    pub indexed: i64,
    /// Articles that should have vectors but do not (yet).
    pub unindexed: i64,
    pub no_rag: i64,
}

/// A reindex that was queued.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReindexStarted {
    pub batch_id: uuid::Uuid,
    /// Articles queued; no-RAG articles are skipped and their chunks deleted.
    pub queued: u64,
}

/// The search handle shared by REST, MCP and the CLI; cheap to clone.
#[derive(Clone)]
pub struct SearchService {
    store: Addr<StoreActor>,
    embedder: Option<Arc<dyn Embedder>>,
    worker: Option<Addr<EmbeddingWorker>>,
    provider: String,
    model: String,
    rrf_k: f64,
    /// The space of the current model, once it exists; spaces are never renumbered.
    space: Arc<Mutex<Option<SpaceRef>>>,
}

impl SearchService {
    /// Builds the embedding provider (none when semantic search is off or the local model is
    /// missing) and, if `run_worker` and a provider exist, starts the embedding worker.
    /// Must run inside an actix system.
    pub fn start(
        config: &SemanticConfig,
        store: Addr<StoreActor>,
        run_worker: bool,
    ) -> anyhow::Result<Self> {
        let embedder = embedding::build(config)?;
        let worker = match (&embedder, run_worker) {
            (Some(embedder), true) => Some(
                EmbeddingWorker::new(
                    store.clone(),
                    embedder.clone(),
                    worker::Settings::from(config),
                )
                .start(),
            ),
            _ => None,
        };
        Ok(Self {
            store,
            worker,
            provider: embedder
                .as_ref()
                .map_or(config.provider, |e| e.provider())
                .as_str()
                .to_owned(),
            model: embedder
                .as_ref()
                .map_or(config.model.clone(), |e| e.model().to_owned()),
            embedder,
            rrf_k: config.rrf_k,
            space: Arc::new(Mutex::new(None)),
        })
    }

    /// Returns whether semantic and hybrid ranking are available; MCP lists the semantic tools
    /// only then.
    pub fn semantic_enabled(&self) -> bool {
        self.embedder.is_some()
    }

    pub fn worker(&self) -> Option<&Addr<EmbeddingWorker>> {
        self.worker.as_ref()
    }

    /// Searches `query` and returns at most `k` articles, best first. No-RAG articles are
    /// never returned. Hybrid search falls back to full-text ranking, with a notice, when
    /// semantic search is off or the provider fails; semantic search fails instead.
    pub async fn search(
        &self,
        query: &SearchQuery,
        mode: SearchMode,
        k: SearchLimit,
        folder: &FolderFilter,
    ) -> Result<SearchOutcome, SearchError> {
        let k = k.get();
        let candidates = (k * 4).max(MIN_CANDIDATES);
        match mode {
            SearchMode::Fulltext => {
                let matches = self.fulltext(query, folder, candidates).await?;
                let results = self.fulltext_hits(query, matches, k).await?;
                Ok(SearchOutcome {
                    mode,
                    results,
                    notice: None,
                })
            }
            SearchMode::Semantic => {
                let chunks = self.semantic(query, folder, k).await?;
                let results = best_chunk_per_article(chunks)
                    .into_iter()
                    .take(k)
                    .map(|chunk| {
                        let score = 1.0 - chunk.distance;
                        hit_from_chunk(query, chunk, score)
                    })
                    .collect();
                Ok(SearchOutcome {
                    mode,
                    results,
                    notice: None,
                })
            }
            SearchMode::Hybrid => self.hybrid(query, folder, k, candidates).await,
        }
    }

    /// Runs each query in `queries` and merges the results: each article once, in the order
    /// first seen (all hits of the first query, then new hits of the second, and so on).
    pub async fn multi_search(
        &self,
        queries: &[SearchQuery],
        mode: SearchMode,
        k: SearchLimit,
        folder: &FolderFilter,
    ) -> Result<SearchOutcome, SearchError> {
        let mut seen = HashSet::new();
        let mut merged = SearchOutcome {
            mode,
            results: Vec::new(),
            notice: None,
        };
        for query in queries {
            let outcome = self.search(query, mode, k, folder).await?;
            merged.mode = outcome.mode;
            merged.notice = merged.notice.or(outcome.notice);
            for hit in outcome.results {
                if seen.insert(hit.slug.clone()) {
                    merged.results.push(hit);
                }
            }
        }
        Ok(merged)
    }

    async fn hybrid(
        &self,
        query: &SearchQuery,
        folder: &FolderFilter,
        k: usize,
        candidates: usize,
    ) -> Result<SearchOutcome, SearchError> {
        let (fulltext, semantic) = futures::join!(
            self.fulltext(query, folder, candidates),
            self.semantic(query, folder, candidates)
        );
        let fulltext = fulltext?;
        let (semantic, notice) = match semantic {
            Ok(chunks) => (best_chunk_per_article(chunks), None),
            Err(SearchError::SemanticDisabled) => (
                Vec::new(),
                Some(
                    "semantic search is not enabled; results are ranked by full-text search only"
                        .to_owned(),
                ),
            ),
            Err(SearchError::Provider(error)) => {
                tracing::warn!(%error, "hybrid search fell back to full-text ranking");
                (
                    Vec::new(),
                    Some(format!(
                        "the embedding provider failed, so results are ranked by full-text search only: {error}"
                    )),
                )
            }
            Err(error) => return Err(error),
        };
        if notice.is_some() {
            let results = self.fulltext_hits(query, fulltext, k).await?;
            return Ok(SearchOutcome {
                mode: SearchMode::Fulltext,
                results,
                notice,
            });
        }

        let fused = reciprocal_rank_fusion(
            &[
                fulltext.iter().map(|m| m.article_id).collect(),
                semantic.iter().map(|c| c.article_id).collect(),
            ],
            self.rrf_k,
        );
        let mut semantic_chunks: HashMap<i64, ChunkMatch> =
            semantic.into_iter().map(|c| (c.article_id, c)).collect();
        let fulltext_matches: HashMap<i64, FulltextMatch> =
            fulltext.into_iter().map(|m| (m.article_id, m)).collect();

        let top: Vec<(i64, f64)> = fused.into_iter().take(k).collect();
        // Articles found only by full-text search get their best full-text chunk.
        let need_chunks: Vec<i64> = top
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !semantic_chunks.contains_key(id))
            .collect();
        let mut fulltext_chunks = self.best_fulltext_chunks(query, need_chunks).await?;

        let mut results = Vec::with_capacity(top.len());
        for (article_id, score) in top {
            if let Some(chunk) = semantic_chunks.remove(&article_id) {
                results.push(hit_from_chunk(query, chunk, score));
            } else if let Some(chunk) = fulltext_chunks.remove(&article_id) {
                results.push(hit_from_chunk(query, chunk, score));
            } else if let Some(matched) = fulltext_matches.get(&article_id) {
                results.push(hit_from_lead(query, matched, score));
            }
        }
        Ok(SearchOutcome {
            mode: SearchMode::Hybrid,
            results,
            notice: None,
        })
    }

    async fn fulltext(
        &self,
        query: &SearchQuery,
        folder: &FolderFilter,
        limit: usize,
    ) -> Result<Vec<FulltextMatch>, SearchError> {
        Ok(store::ask(
            &self.store,
            store::FulltextSearch {
                query: query.to_string(),
                folder: folder.clone(),
                limit: limit as i64,
            },
        )
        .await?)
    }

    /// Turns full-text matches into hits with their best chunk (or the article's first lines).
    async fn fulltext_hits(
        &self,
        query: &SearchQuery,
        matches: Vec<FulltextMatch>,
        k: usize,
    ) -> Result<Vec<SearchHit>, SearchError> {
        let top: Vec<FulltextMatch> = matches.into_iter().take(k).collect();
        let ids = top.iter().map(|m| m.article_id).collect();
        let mut chunks = self.best_fulltext_chunks(query, ids).await?;
        Ok(top
            .into_iter()
            .map(|matched| {
                let score = matched.rank;
                match chunks.remove(&matched.article_id) {
                    Some(chunk) => hit_from_chunk(query, chunk, score),
                    None => hit_from_lead(query, &matched, score),
                }
            })
            .collect())
    }

    async fn best_fulltext_chunks(
        &self,
        query: &SearchQuery,
        article_ids: Vec<i64>,
    ) -> Result<HashMap<i64, ChunkMatch>, SearchError> {
        if article_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let chunks = store::ask(
            &self.store,
            store::BestFulltextChunks {
                query: query.to_string(),
                article_ids,
            },
        )
        .await?;
        Ok(chunks.into_iter().map(|c| (c.article_id, c)).collect())
    }

    /// Returns the chunks nearest to the query, enough for about `articles` distinct articles.
    async fn semantic(
        &self,
        query: &SearchQuery,
        folder: &FolderFilter,
        articles: usize,
    ) -> Result<Vec<ChunkMatch>, SearchError> {
        let embedder = self
            .embedder
            .as_ref()
            .ok_or(SearchError::SemanticDisabled)?;
        let mut vectors = embedder
            .embed(vec![query.to_string()], Priority::Query)
            .await?;
        let vector = vectors.pop().ok_or_else(|| {
            EmbedError::InvalidResponse("no vector returned for the query".to_owned())
        })?;
        let Some(space) = self.current_space(vector.len()).await? else {
            // Nothing has been embedded with this model yet.
            return Ok(Vec::new());
        };
        let limit = (articles * CHUNKS_PER_RESULT).clamp(MIN_CANDIDATES, MAX_CHUNK_CANDIDATES);
        Ok(store::ask(
            &self.store,
            store::NearestChunks {
                space,
                embedding: vector,
                folder: folder.clone(),
                limit: limit as i64,
                exact: false,
            },
        )
        .await?)
    }

    async fn current_space(&self, dimensions: usize) -> Result<Option<SpaceRef>, StoreError> {
        let cached = *self
            .space
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(space) = cached
            && space.dimensions as usize == dimensions
        {
            return Ok(Some(space));
        }
        let found = store::ask(
            &self.store,
            store::FindEmbeddingSpace {
                provider: self.provider.clone(),
                model: self.model.clone(),
                dimensions: i32::try_from(dimensions).unwrap_or(i32::MAX),
            },
        )
        .await?;
        if found.is_some() {
            *self
                .space
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = found;
        }
        Ok(found)
    }

    /// Returns the index and queue status. Task errors are included only when
    /// `include_errors`.
    pub async fn status(&self, include_errors: bool) -> Result<RagStatus, StoreError> {
        let counts = store::ask(
            &self.store,
            store::IndexCounts {
                provider: self.provider.clone(),
                model: self.model.clone(),
            },
        )
        .await?;
        let queue = store::ask(&self.store, store::EmbeddingQueueCounts {}).await?;
        let reindex = store::ask(&self.store, store::LatestReindex {}).await?;
        let recent_errors = if include_errors {
            Some(
                store::ask(
                    &self.store,
                    store::RecentEmbeddingErrors {
                        limit: STATUS_ERRORS,
                    },
                )
                .await?,
            )
        } else {
            None
        };
        let unindexed_slugs = store::ask(
            &self.store,
            store::UnindexedSlugs {
                provider: self.provider.clone(),
                model: self.model.clone(),
                limit: STATUS_UNINDEXED,
            },
        )
        .await?;
        Ok(RagStatus {
            enabled: self.semantic_enabled(),
            provider: self.provider.clone(),
            model: self.model.clone(),
            worker_running: self.worker.is_some(),
            articles: ArticleCounts {
                total: counts.articles,
                indexed: counts.indexed,
                unindexed: (counts.articles - counts.no_rag - counts.indexed).max(0),
                no_rag: counts.no_rag,
            },
            chunks: counts.chunks,
            queue,
            reindex,
            recent_errors,
            unindexed_slugs,
        })
    }

    /// Queues every article for a full re-embedding and wakes the worker.
    pub async fn reindex(&self) -> Result<ReindexStarted, SearchError> {
        if !self.semantic_enabled() {
            return Err(SearchError::SemanticDisabled);
        }
        let (batch_id, queued) = store::ask(&self.store, store::StartReindex {}).await?;
        self.wake_worker();
        Ok(ReindexStarted { batch_id, queued })
    }

    /// Puts failed tasks back in the queue: all, or the one with `id`. Returns how many.
    pub async fn retry_failed(&self, id: Option<i64>) -> Result<u64, StoreError> {
        let retried = store::ask(&self.store, store::RetryFailedEmbeddingTasks { id }).await?;
        self.wake_worker();
        Ok(retried)
    }

    /// Deletes failed tasks: all, or the one with `id`. Returns how many.
    pub async fn delete_failed(&self, id: Option<i64>) -> Result<u64, StoreError> {
        store::ask(&self.store, store::DeleteFailedEmbeddingTasks { id }).await
    }

    /// Stops this process's embedding worker, if it runs; used at shutdown.
    pub fn stop_worker(&self) {
        if let Some(worker) = &self.worker {
            worker.do_send(worker::Stop);
        }
    }

    /// Asks the worker to look for due tasks now instead of at its next poll.
    pub fn wake_worker(&self) {
        if let Some(worker) = &self.worker {
            worker.do_send(worker::Wake);
        }
    }
}

/// Keeps the nearest chunk of each article, in order of distance.
fn best_chunk_per_article(chunks: Vec<ChunkMatch>) -> Vec<ChunkMatch> {
    let mut seen = HashSet::new();
    chunks
        .into_iter()
        .filter(|chunk| seen.insert(chunk.article_id))
        .collect()
}

/// Merges rankings with reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009):
/// score = Σ 1 / (k + rank), rank from 1. Scores are divided by the best possible score
/// (first in every ranking), so they lie in (0, 1]. Ties keep the order of first appearance.
fn reciprocal_rank_fusion(rankings: &[Vec<i64>], k: f64) -> Vec<(i64, f64)> {
    let mut scores: HashMap<i64, f64> = HashMap::new();
    let mut order = Vec::new();
    for ranking in rankings {
        for (position, id) in ranking.iter().enumerate() {
            let score = scores.entry(*id).or_insert_with(|| {
                order.push(*id);
                0.0
            });
            *score += 1.0 / (k + position as f64 + 1.0);
        }
    }
    let best = rankings.len() as f64 / (k + 1.0);
    let mut fused: Vec<(i64, f64)> = order
        .into_iter()
        .map(|id| (id, scores.get(&id).copied().unwrap_or(0.0) / best))
        .collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1));
    fused
}

fn hit_from_chunk(query: &SearchQuery, chunk: ChunkMatch, score: f64) -> SearchHit {
    SearchHit {
        filename: format!("{}.md", chunk.slug),
        snippet: snippet::around_terms(&chunk.text, query.as_ref()),
        slug: chunk.slug,
        title: chunk.title,
        folder: chunk.folder,
        heading_path: chunk.heading_path,
        score,
        chunk_index: Some(chunk.chunk_index),
    }
}

fn hit_from_lead(query: &SearchQuery, matched: &FulltextMatch, score: f64) -> SearchHit {
    SearchHit {
        slug: matched.slug.clone(),
        filename: format!("{}.md", matched.slug),
        title: matched.title.clone(),
        folder: matched.folder.clone(),
        heading_path: Vec::new(),
        snippet: snippet::around_terms(&matched.lead, query.as_ref()),
        score,
        chunk_index: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrf_rewards_agreement() {
        let fused = reciprocal_rank_fusion(&[vec![1, 2, 3], vec![3, 1, 4]], 60.0);
        let order: Vec<i64> = fused.iter().map(|(id, _)| *id).collect();
        assert_eq!(order, vec![1, 3, 2, 4]);
        assert!(fused[0].1 < 1.0, "{fused:?}");
        assert!(fused[0].1 > 0.9, "{fused:?}");
    }

    #[test]
    fn rrf_top_of_both_lists_scores_one() {
        let fused = reciprocal_rank_fusion(&[vec![7, 8], vec![7]], 60.0);
        assert_eq!(fused[0], (7, 1.0));
    }

    #[test]
    fn rrf_single_ranking_keeps_order() {
        let fused = reciprocal_rank_fusion(&[vec![5, 6, 7], vec![]], 60.0);
        let order: Vec<i64> = fused.iter().map(|(id, _)| *id).collect();
        assert_eq!(order, vec![5, 6, 7]);
    }

    #[test]
    fn best_chunk_per_article_keeps_the_first() {
        let chunk = |article_id, chunk_index, distance| ChunkMatch {
            article_id,
            slug: format!("a{article_id}"),
            title: String::new(),
            folder: String::new(),
            chunk_index,
            heading_path: Vec::new(),
            text: String::new(),
            distance,
        };
        let best =
            best_chunk_per_article(vec![chunk(1, 3, 0.1), chunk(2, 0, 0.2), chunk(1, 0, 0.3)]);
        let kept: Vec<(i64, i32)> = best.iter().map(|c| (c.article_id, c.chunk_index)).collect();
        assert_eq!(kept, vec![(1, 3), (2, 0)]);
    }
}

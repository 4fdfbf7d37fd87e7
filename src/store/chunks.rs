//! Embedded chunks, embedding spaces and the search queries over them.
//!
//! The `embedding` column has no fixed dimension, so each embedding space (provider, model,
//! dimensions) gets its own partial HNSW index over `embedding::vector(N)` when it is first
//! used. PostgreSQL picks that index only when the cast and the space id appear in the SQL
//! text, so vector queries are built at run time. Only integers are interpolated into them.

use std::collections::HashMap;

use pgvector::Vector;
use sqlx::{AssertSqlSafe, PgPool, Row};

use super::StoreError;
use super::articles::escape_like;
use crate::domain::FolderFilter;

/// Largest dimension pgvector (0.7 and later) indexes as `vector` with HNSW.
const MAX_VECTOR_INDEX_DIMENSIONS: i32 = 2000;
/// Largest dimension pgvector indexes as `halfvec`.
const MAX_HALFVEC_INDEX_DIMENSIONS: i32 = 4000;
/// Advisory lock keys that serialise index builds: this base plus the space id.
const INDEX_LOCK_BASE: i64 = 0x6d64_6d5f_0000_0000;

/// An embedding space: vectors of one model, comparable with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpaceRef {
    pub id: i32,
    pub dimensions: i32,
}

impl SpaceRef {
    /// Returns the type that the HNSW index and queries cast embeddings to, or `None` when the
    /// dimension is too large to index. Queries then scan every chunk of the space.
    fn index_type(self) -> Option<String> {
        if self.dimensions <= MAX_VECTOR_INDEX_DIMENSIONS {
            Some(format!("vector({})", self.dimensions))
        } else if self.dimensions <= MAX_HALFVEC_INDEX_DIMENSIONS {
            Some(format!("halfvec({})", self.dimensions))
        } else {
            None
        }
    }

    fn index_name(self) -> String {
        format!("chunks_embedding_space_{}_idx", self.id)
    }

    /// Returns the SQL distance expression between chunk `c` and the query vector `$1`.
    fn distance_sql(self) -> String {
        match self.index_type() {
            Some(cast) => format!("(c.embedding::{cast} <=> $1::vector::{cast})"),
            None => "(c.embedding <=> $1::vector)".to_owned(),
        }
    }
}

/// Returns the space of `provider`/`model`/`dimensions`, if any vector was stored in it.
pub async fn find_space(
    pool: &PgPool,
    provider: &str,
    model: &str,
    dimensions: i32,
) -> Result<Option<SpaceRef>, StoreError> {
    Ok(sqlx::query_as!(
        SpaceRef,
        "select id, dimensions from embedding_spaces
         where provider = $1 and model = $2 and dimensions = $3",
        provider,
        model,
        dimensions,
    )
    .fetch_optional(pool)
    .await?)
}

/// Returns the space of `provider`/`model`/`dimensions`, creating it and its HNSW index when
/// needed. Safe to call from several processes at once.
pub async fn ensure_space(
    pool: &PgPool,
    provider: &str,
    model: &str,
    dimensions: i32,
) -> Result<SpaceRef, StoreError> {
    sqlx::query!(
        "insert into embedding_spaces (provider, model, dimensions) values ($1, $2, $3)
         on conflict (provider, model, dimensions) do nothing",
        provider,
        model,
        dimensions,
    )
    .execute(pool)
    .await?;
    let space = find_space(pool, provider, model, dimensions)
        .await?
        .ok_or_else(|| {
            StoreError::Corrupt(format!("embedding space {provider}/{model} vanished"))
        })?;
    ensure_index(pool, space).await?;
    Ok(space)
}

/// Creates the space's HNSW index unless a valid one exists. An advisory lock makes
/// concurrent callers (several tasks, several processes) wait for the first one, which then
/// builds the index alone.
///
/// The build is not `CONCURRENTLY`: two concurrent builds on one table deadlock, and a build
/// waiting on an advisory lock would wait for the other session's snapshot. The plain build
/// blocks chunk writes while it runs, which is short because a new space has few or no rows
/// (rows of other spaces are only scanned, not indexed).
async fn ensure_index(pool: &PgPool, space: SpaceRef) -> Result<(), StoreError> {
    let Some(cast) = space.index_type() else {
        tracing::warn!(
            space_id = space.id,
            dimensions = space.dimensions,
            "embeddings with more than {MAX_HALFVEC_INDEX_DIMENSIONS} dimensions cannot be \
             indexed; semantic search scans every chunk"
        );
        return Ok(());
    };

    let name = space.index_name();
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "select pg_advisory_xact_lock($1)",
        INDEX_LOCK_BASE + i64::from(space.id)
    )
    .execute(&mut *tx)
    .await?;

    let valid = sqlx::query_scalar!(
        "select i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid
         where c.relname = $1",
        name
    )
    .fetch_optional(&mut *tx)
    .await?;
    match valid {
        Some(true) => return Ok(tx.commit().await?),
        // Left by an interrupted concurrent build, for example one made by hand.
        Some(false) => {
            sqlx::query(AssertSqlSafe(format!("drop index if exists {name}")))
                .execute(&mut *tx)
                .await?;
        }
        None => {}
    }

    let operators = if cast.starts_with("halfvec") {
        "halfvec_cosine_ops"
    } else {
        "vector_cosine_ops"
    };
    sqlx::query(AssertSqlSafe(format!(
        "create index if not exists {name} on chunks \
         using hnsw ((embedding::{cast}) {operators}) where space_id = {}",
        space.id
    )))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(
        index = name,
        space_id = space.id,
        dimensions = space.dimensions,
        "created HNSW index"
    );
    Ok(())
}

/// An article's text and flags, as the worker reads them to embed it.
#[derive(Debug, Clone)]
pub struct ArticleText {
    pub id: i64,
    pub title: String,
    pub content: String,
    pub version: i32,
    pub no_rag: bool,
}

pub async fn article_text(
    pool: &PgPool,
    article_id: i64,
) -> Result<Option<ArticleText>, StoreError> {
    Ok(sqlx::query_as!(
        ArticleText,
        "select id, title, content, version, no_rag from articles where id = $1",
        article_id
    )
    .fetch_optional(pool)
    .await?)
}

/// Returns the stored vectors of an article's chunks in any space of `provider`/`model`, by
/// content hash, so unchanged chunks need no new embedding.
pub async fn vectors_by_hash(
    pool: &PgPool,
    article_id: i64,
    provider: &str,
    model: &str,
) -> Result<HashMap<String, Vec<f32>>, StoreError> {
    let rows = sqlx::query!(
        r#"select c.content_hash, c.embedding as "embedding: Vector"
           from chunks c join embedding_spaces s on s.id = c.space_id
           where c.article_id = $1 and s.provider = $2 and s.model = $3"#,
        article_id,
        provider,
        model,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.content_hash, row.embedding.to_vec()))
        .collect())
}

/// A chunk ready to be stored.
#[derive(Debug, Clone)]
pub struct NewChunk {
    pub index: i32,
    pub heading_path: Vec<String>,
    pub text: String,
    pub content_hash: String,
    pub embedding: Vec<f32>,
}

/// The result of [`replace_chunks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The chunks were stored and the task completed.
    Written(usize),
    /// The article became no-RAG: its chunks were deleted and the task completed.
    NoRag,
    /// The article changed after it was read; a newer task embeds it, and this one completed
    /// without writing.
    Superseded,
    /// The article, and with it the task, was deleted.
    Gone,
}

/// Replaces all chunks of an article with `chunks` and completes the task, in one
/// transaction. The article row is locked and its version compared with `version`, so chunks
/// of an outdated text are never stored. Failed tasks of the article are deleted, because
/// their errors no longer apply.
pub async fn replace_chunks(
    pool: &PgPool,
    task_id: i64,
    article_id: i64,
    version: i32,
    space_id: i32,
    chunks: Vec<NewChunk>,
) -> Result<WriteOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let Some(article) = sqlx::query!(
        "select title, version, no_rag from articles where id = $1 for share",
        article_id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(WriteOutcome::Gone);
    };

    let outcome = if article.no_rag {
        sqlx::query!("delete from chunks where article_id = $1", article_id)
            .execute(&mut *tx)
            .await?;
        WriteOutcome::NoRag
    } else if article.version != version {
        WriteOutcome::Superseded
    } else {
        sqlx::query!("delete from chunks where article_id = $1", article_id)
            .execute(&mut *tx)
            .await?;
        let count = chunks.len();
        let mut indexes = Vec::with_capacity(count);
        let mut paths = Vec::with_capacity(count);
        let mut texts = Vec::with_capacity(count);
        let mut hashes = Vec::with_capacity(count);
        let mut embeddings = Vec::with_capacity(count);
        for chunk in chunks {
            indexes.push(chunk.index);
            // text[][] must be rectangular, so heading paths travel as JSON arrays.
            paths.push(serde_json::Value::from(chunk.heading_path));
            texts.push(chunk.text);
            hashes.push(chunk.content_hash);
            embeddings.push(Vector::from(chunk.embedding));
        }
        sqlx::query!(
            "insert into chunks
                 (article_id, space_id, chunk_index, heading_path, text, content_hash, embedding,
                  search_vector)
             select $1, $2, t.chunk_index,
                    array(select jsonb_array_elements_text(t.heading_path)),
                    t.text, t.content_hash, t.embedding,
                    setweight(to_tsvector('english', $3), 'A')
                    || setweight(to_tsvector('english',
                           array_to_string(array(select jsonb_array_elements_text(t.heading_path)), ' ')
                           || ' ' || t.text), 'B')
             from unnest($4::int[], $5::jsonb[], $6::text[], $7::text[], $8::vector[])
                  as t(chunk_index, heading_path, text, content_hash, embedding)",
            article_id,
            space_id,
            article.title,
            &indexes,
            &paths,
            &texts,
            &hashes,
            &embeddings as &[Vector],
        )
        .execute(&mut *tx)
        .await?;
        WriteOutcome::Written(count)
    };

    let chunk_count = match outcome {
        WriteOutcome::Written(count) => Some(i32::try_from(count).unwrap_or(i32::MAX)),
        _ => None,
    };
    let updated = sqlx::query!(
        "update embedding_tasks
         set status = 'completed', last_error = null, locked_until = null, chunk_count = $2,
             finished_at = now(), updated_at = now()
         where id = $1",
        task_id,
        chunk_count,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if matches!(outcome, WriteOutcome::Written(_)) {
        sqlx::query!(
            "delete from embedding_tasks where article_id = $1 and status = 'failed'",
            article_id
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    if updated == 0 {
        tracing::debug!(
            task_id,
            article_id,
            "embedding task vanished before completion"
        );
    }
    Ok(outcome)
}

/// An article found by full-text search.
#[derive(Debug, Clone)]
pub struct FulltextMatch {
    pub article_id: i64,
    pub slug: String,
    pub title: String,
    pub folder: String,
    /// `ts_rank` with length normalisation 1; higher is better.
    pub rank: f64,
    /// The first characters of the content, for a snippet when the article has no chunks.
    pub lead: String,
}

/// Length of [`FulltextMatch::lead`] in characters.
const LEAD_CHARACTERS: i32 = 4000;

/// Ranks articles against a `websearch_to_tsquery` query whose terms are joined with OR, so a
/// question typed in plain words finds articles that contain only some of them. `ts_rank`
/// orders them: more matching terms rank higher, the title (weight A) counts more than the
/// body (weight B), and long articles are damped (normalisation 1, divide by 1 + log(length)).
/// A query with a `-term` keeps its AND meaning. No-RAG articles are excluded.
///
/// `ts_rank` beat `ts_rank_cd` and an "all terms first" tier on the evaluation queries
/// (`scripts/eval-search.sh`): recall@5 0.767 against 0.555 for both of the others.
pub async fn fulltext(
    pool: &PgPool,
    query: &str,
    folder: &FolderFilter,
    limit: i64,
) -> Result<Vec<FulltextMatch>, StoreError> {
    let (folder, subtree) = folder.as_sql();
    let subtree_pattern = folder.map(|f| format!("{}/%", escape_like(f)));
    Ok(sqlx::query_as!(
        FulltextMatch,
        r#"
        with q as (select websearch_to_tsquery('english', $1) as strict),
        r as (
            select strict,
                   case when strict::text like '%!%' then strict
                        else replace(strict::text, ' & ', ' | ')::tsquery end as relaxed
            from q
        )
        select a.id as article_id, a.slug, a.title, a.folder,
               ts_rank(a.search_vector, r.relaxed, 1)::float8 as "rank!",
               left(a.content, $6) as "lead!"
        from articles a cross join r
        where a.search_vector @@ r.relaxed
          and not a.no_rag
          and ($2::text is null
               or lower(a.folder) = lower($2)
               or ($3 and lower(a.folder) like lower($4)))
        order by 5 desc, a.id
        limit $5
        "#,
        query,
        folder,
        subtree,
        subtree_pattern,
        limit,
        LEAD_CHARACTERS,
    )
    .fetch_all(pool)
    .await?)
}

/// A chunk returned by a search.
#[derive(Debug, Clone)]
pub struct ChunkMatch {
    pub article_id: i64,
    pub slug: String,
    pub title: String,
    pub folder: String,
    pub chunk_index: i32,
    pub heading_path: Vec<String>,
    pub text: String,
    /// Cosine distance to the query (0 = same direction), or 0 for full-text matches.
    pub distance: f64,
}

/// Returns the chunks of `space` nearest to `embedding` (HNSW, iterative scan so filters do
/// not starve the result), at most `limit`, nearest first. No-RAG articles are excluded.
pub async fn nearest_chunks(
    pool: &PgPool,
    space: SpaceRef,
    embedding: Vec<f32>,
    folder: &FolderFilter,
    limit: i64,
    exact: bool,
) -> Result<Vec<ChunkMatch>, StoreError> {
    let (folder, subtree) = folder.as_sql();
    let subtree_pattern = folder.map(|f| format!("{}/%", escape_like(f)));

    // The exact variant compares the uncast column, which no index covers, so PostgreSQL
    // scans every chunk; benchmarks use it to measure the index's recall.
    let distance = if exact {
        "(c.embedding <=> $1::vector)".to_owned()
    } else {
        space.distance_sql()
    };
    let sql = format!(
        "select c.article_id, a.slug, a.title, a.folder, c.chunk_index, c.heading_path, c.text,
                {distance}::float8 as distance
         from chunks c join articles a on a.id = c.article_id
         where c.space_id = {space_id} and not a.no_rag
           and ($2::text is null
                or lower(a.folder) = lower($2)
                or ($3 and lower(a.folder) like lower($4)))
         order by {distance}
         limit $5",
        space_id = space.id,
    );

    let mut tx = pool.begin().await?;
    // ef_search must be at least the number of rows wanted; the iterative scan (pgvector 0.8)
    // keeps reading the graph when the folder filter drops candidates.
    let ef_search = limit.clamp(40, 1000).to_string();
    sqlx::query("select set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)")
        .bind(ef_search)
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(Vector::from(embedding))
        .bind(folder)
        .bind(subtree)
        .bind(subtree_pattern)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;

    let mut matches = rows
        .into_iter()
        .map(|row| {
            Ok(ChunkMatch {
                article_id: row.try_get("article_id")?,
                slug: row.try_get("slug")?,
                title: row.try_get("title")?,
                folder: row.try_get("folder")?,
                chunk_index: row.try_get("chunk_index")?,
                heading_path: row.try_get("heading_path")?,
                text: row.try_get("text")?,
                distance: row.try_get("distance")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    // The relaxed-order scan may return rows slightly out of order.
    matches.sort_by(|a, b| a.distance.total_cmp(&b.distance));
    Ok(matches)
}

/// Returns, for each article in `article_ids`, its chunk that best matches the full-text
/// query. Chunks of every space count, because their text is the same.
pub async fn best_fulltext_chunks(
    pool: &PgPool,
    query: &str,
    article_ids: &[i64],
) -> Result<Vec<ChunkMatch>, StoreError> {
    Ok(sqlx::query_as!(
        ChunkMatch,
        r#"
        with q as (select websearch_to_tsquery('english', $1) as strict),
        r as (
            select case when strict::text like '%!%' then strict
                        else replace(strict::text, ' & ', ' | ')::tsquery end as relaxed
            from q
        )
        select distinct on (c.article_id)
               c.article_id, a.slug, a.title, a.folder, c.chunk_index, c.heading_path, c.text,
               0::float8 as "distance!"
        from chunks c join articles a on a.id = c.article_id cross join r
        where c.article_id = any($2)
        order by c.article_id, ts_rank(c.search_vector, r.relaxed, 1) desc, c.space_id desc,
                 c.chunk_index
        "#,
        query,
        article_ids,
    )
    .fetch_all(pool)
    .await?)
}

/// Counts for the RAG status page.
#[derive(Debug, Clone, Default)]
pub struct IndexCounts {
    pub articles: i64,
    pub no_rag: i64,
    /// Articles with chunks of the current model.
    pub indexed: i64,
    /// Chunks of the current model.
    pub chunks: i64,
}

pub async fn index_counts(
    pool: &PgPool,
    provider: &str,
    model: &str,
) -> Result<IndexCounts, StoreError> {
    let row = sqlx::query!(
        r#"
        with current_chunks as (
            select c.article_id from chunks c join embedding_spaces s on s.id = c.space_id
            where s.provider = $1 and s.model = $2
        )
        select (select count(*) from articles) as "articles!",
               (select count(*) from articles where no_rag) as "no_rag!",
               (select count(distinct article_id) from current_chunks) as "indexed!",
               (select count(*) from current_chunks) as "chunks!"
        "#,
        provider,
        model,
    )
    .fetch_one(pool)
    .await?;
    Ok(IndexCounts {
        articles: row.articles,
        no_rag: row.no_rag,
        indexed: row.indexed,
        chunks: row.chunks,
    })
}

/// Returns the slugs of up to `limit` articles that are not no-RAG and have no chunks of the
/// current model.
pub async fn unindexed_slugs(
    pool: &PgPool,
    provider: &str,
    model: &str,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar!(
        "select a.slug from articles a
         where not a.no_rag
           and not exists (
               select 1 from chunks c join embedding_spaces s on s.id = c.space_id
               where c.article_id = a.id and s.provider = $1 and s.model = $2)
         order by a.slug
         limit $3",
        provider,
        model,
        limit,
    )
    .fetch_all(pool)
    .await?)
}

//! Article, version and folder queries. Every write that changes what an article says also
//! writes its version row and queues the article for embedding in the same transaction.

use sha2::{Digest, Sha256};
use sqlx::{PgPool, Postgres, Transaction};

use super::StoreError;
use super::embedding_tasks::{self, TaskReason};
use super::model::{Article, ArticleSummary, ArticleVersion, Page, VersionSummary};
use crate::domain::{Content, FolderFilter, FolderPath, SearchQuery, Slug, Title, VersionMessage};

/// Input for a new article; the slug is derived from the title when not given.
#[derive(Debug, Clone)]
pub struct NewArticle {
    pub title: Title,
    pub slug: Option<Slug>,
    pub folder: FolderPath,
    pub content: Content,
    pub is_public: bool,
    pub no_rag: bool,
    pub message: Option<VersionMessage>,
    /// Creation time to record; imports keep the original date. Defaults to now.
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A partial update: only the fields that are `Some` change.
#[derive(Debug, Clone, Default)]
pub struct ArticleChanges {
    pub title: Option<Title>,
    pub folder: Option<FolderPath>,
    pub content: Option<Content>,
    pub no_rag: Option<bool>,
    pub message: Option<VersionMessage>,
}

#[derive(Debug, Clone)]
pub struct ListFilter {
    pub folder: FolderFilter,
    pub title_query: Option<SearchQuery>,
    pub limit: i64,
    pub offset: i64,
}

fn content_hash(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

/// Escapes `\`, `%` and `_` so a value matches itself literally in `LIKE`.
pub(crate) fn escape_like(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|db| db.code().as_deref() == Some("23505"))
}

pub async fn list(pool: &PgPool, filter: &ListFilter) -> Result<Page<ArticleSummary>, StoreError> {
    let (folder, subtree) = filter.folder.as_sql();
    let subtree_pattern = folder.map(|f| format!("{}/%", escape_like(f)));
    let title_pattern = filter.title_query.as_ref().map(SearchQuery::like_pattern);

    let items = sqlx::query_as!(
        ArticleSummary,
        r#"
        select id, slug, title, folder, is_public, no_rag, version,
               created_at, updated_at, created_by, updated_by
        from articles
        where ($1::text is null
               or lower(folder) = lower($1)
               or ($2 and lower(folder) like lower($3)))
          and ($4::text is null or title ilike $4)
        order by updated_at desc, id desc
        limit $5 offset $6
        "#,
        folder,
        subtree,
        subtree_pattern,
        title_pattern,
        filter.limit,
        filter.offset,
    )
    .fetch_all(pool)
    .await?;

    let total = sqlx::query_scalar!(
        r#"
        select count(*) as "count!"
        from articles
        where ($1::text is null
               or lower(folder) = lower($1)
               or ($2 and lower(folder) like lower($3)))
          and ($4::text is null or title ilike $4)
        "#,
        folder,
        subtree,
        subtree_pattern,
        title_pattern,
    )
    .fetch_one(pool)
    .await?;

    Ok(Page { items, total })
}

pub async fn get(pool: &PgPool, slug: &Slug) -> Result<Article, StoreError> {
    sqlx::query_as!(
        Article,
        "select id, slug, title, folder, content, is_public, no_rag, version,
                created_at, updated_at, created_by, updated_by
         from articles where slug = $1",
        slug.as_ref(),
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| StoreError::ArticleNotFound(slug.to_string()))
}

pub async fn get_public(pool: &PgPool, slug: &Slug) -> Result<Article, StoreError> {
    sqlx::query_as!(
        Article,
        "select id, slug, title, folder, content, is_public, no_rag, version,
                created_at, updated_at, created_by, updated_by
         from articles where slug = $1 and is_public",
        slug.as_ref(),
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| StoreError::ArticleNotFound(slug.to_string()))
}

async fn lock(tx: &mut Transaction<'_, Postgres>, slug: &Slug) -> Result<Article, StoreError> {
    sqlx::query_as!(
        Article,
        "select id, slug, title, folder, content, is_public, no_rag, version,
                created_at, updated_at, created_by, updated_by
         from articles where slug = $1 for update",
        slug.as_ref(),
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::ArticleNotFound(slug.to_string()))
}

fn check_version(article: &Article, expected: Option<i32>) -> Result<(), StoreError> {
    match expected {
        Some(expected) if expected != article.version => Err(StoreError::VersionMismatch {
            slug: article.slug.clone(),
            expected,
            current: article.version,
        }),
        _ => Ok(()),
    }
}

async fn insert_version(
    tx: &mut Transaction<'_, Postgres>,
    article: &Article,
    message: &str,
    actor: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "insert into article_versions
             (article_id, version, title, folder, content, message, content_hash, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
        article.id,
        article.version,
        article.title,
        article.folder,
        article.content,
        message,
        content_hash(&article.content),
        actor,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn create(pool: &PgPool, new: NewArticle, actor: &str) -> Result<Article, StoreError> {
    let mut tx = pool.begin().await?;
    let article = create_in(&mut tx, new, actor).await?;
    tx.commit().await?;
    Ok(article)
}

/// Creates an article and its first version inside the caller's transaction.
pub async fn create_in(
    tx: &mut Transaction<'_, Postgres>,
    new: NewArticle,
    actor: &str,
) -> Result<Article, StoreError> {
    let slug = new
        .slug
        .clone()
        .unwrap_or_else(|| Slug::from_title(&new.title));
    // A savepoint keeps the caller's transaction usable when the slug is taken.
    let mut savepoint = sqlx::Connection::begin(&mut **tx).await?;
    let inserted = sqlx::query_as!(
        Article,
        "insert into articles
             (slug, title, folder, content, is_public, no_rag, created_by, updated_by,
              created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $7, coalesce($8, now()), coalesce($8, now()))
         returning id, slug, title, folder, content, is_public, no_rag, version,
                   created_at, updated_at, created_by, updated_by",
        slug.as_ref(),
        new.title.as_ref(),
        new.folder.as_ref(),
        new.content.as_ref(),
        new.is_public,
        new.no_rag,
        actor,
        new.created_at,
    )
    .fetch_one(&mut *savepoint)
    .await;
    let article = match inserted {
        Ok(article) => article,
        Err(error) if is_unique_violation(&error) => {
            savepoint.rollback().await?;
            return Err(StoreError::SlugTaken(slug.into_inner()));
        }
        Err(error) => return Err(error.into()),
    };
    savepoint.commit().await?;
    let message = new
        .message
        .as_ref()
        .map(|m| m.as_ref())
        .filter(|m| !m.is_empty())
        .unwrap_or("Initial version");
    insert_version(tx, &article, message, actor).await?;
    embedding_tasks::enqueue_in(tx, article.id, article.no_rag, TaskReason::Create).await?;
    Ok(article)
}

/// Applies a partial update. A change to title, folder or content creates a new version; a
/// request that changes nothing returns the article unchanged and writes nothing.
pub async fn update(
    pool: &PgPool,
    slug: &Slug,
    changes: ArticleChanges,
    expected_version: Option<i32>,
    actor: &str,
) -> Result<Article, StoreError> {
    let mut tx = pool.begin().await?;
    let article = update_in(&mut tx, slug, changes, expected_version, actor).await?;
    tx.commit().await?;
    Ok(article)
}

/// Applies a partial update inside the caller's transaction.
pub async fn update_in(
    tx: &mut Transaction<'_, Postgres>,
    slug: &Slug,
    changes: ArticleChanges,
    expected_version: Option<i32>,
    actor: &str,
) -> Result<Article, StoreError> {
    let current = lock(tx, slug).await?;
    check_version(&current, expected_version)?;

    let title = changes
        .title
        .map_or(current.title.clone(), Title::into_inner);
    let folder = changes
        .folder
        .map_or(current.folder.clone(), FolderPath::into_inner);
    let content = changes
        .content
        .map_or(current.content.clone(), Content::into_inner);
    let no_rag = changes.no_rag.unwrap_or(current.no_rag);
    let text_changed =
        title != current.title || folder != current.folder || content != current.content;

    if !text_changed && no_rag == current.no_rag {
        return Ok(current);
    }

    let next_version = if text_changed {
        current.version + 1
    } else {
        current.version
    };
    let updated = sqlx::query_as!(
        Article,
        "update articles
         set title = $2, folder = $3, content = $4, no_rag = $5, version = $6,
             updated_at = now(), updated_by = $7
         where id = $1
         returning id, slug, title, folder, content, is_public, no_rag, version,
                   created_at, updated_at, created_by, updated_by",
        current.id,
        title,
        folder,
        content,
        no_rag,
        next_version,
        actor,
    )
    .fetch_one(&mut **tx)
    .await?;
    if text_changed {
        let message = changes
            .message
            .as_ref()
            .map(|m| m.as_ref())
            .filter(|m| !m.is_empty())
            .unwrap_or("Updated article");
        insert_version(tx, &updated, message, actor).await?;
    }
    embedding_tasks::enqueue_in(tx, updated.id, updated.no_rag, TaskReason::Update).await?;
    Ok(updated)
}

pub async fn delete(
    pool: &PgPool,
    slug: &Slug,
    expected_version: Option<i32>,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, slug).await?;
    check_version(&current, expected_version)?;
    // Its chunks and embedding tasks go with it (`on delete cascade`), so no task is queued.
    sqlx::query!("delete from articles where id = $1", current.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_public(
    pool: &PgPool,
    slug: &Slug,
    is_public: bool,
    actor: &str,
) -> Result<Article, StoreError> {
    sqlx::query_as!(
        Article,
        "update articles set is_public = $2, updated_at = now(), updated_by = $3
         where slug = $1
         returning id, slug, title, folder, content, is_public, no_rag, version,
                   created_at, updated_at, created_by, updated_by",
        slug.as_ref(),
        is_public,
        actor,
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| StoreError::ArticleNotFound(slug.to_string()))
}

pub async fn rename_slug(
    pool: &PgPool,
    slug: &Slug,
    new_slug: &Slug,
    actor: &str,
) -> Result<Article, StoreError> {
    let renamed = sqlx::query_as!(
        Article,
        "update articles set slug = $2, updated_at = now(), updated_by = $3
         where slug = $1
         returning id, slug, title, folder, content, is_public, no_rag, version,
                   created_at, updated_at, created_by, updated_by",
        slug.as_ref(),
        new_slug.as_ref(),
        actor,
    )
    .fetch_optional(pool)
    .await;
    match renamed {
        Ok(Some(article)) => Ok(article),
        Ok(None) => Err(StoreError::ArticleNotFound(slug.to_string())),
        Err(error) if is_unique_violation(&error) => {
            Err(StoreError::SlugTaken(new_slug.to_string()))
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn list_versions(pool: &PgPool, slug: &Slug) -> Result<Vec<VersionSummary>, StoreError> {
    let article = get(pool, slug).await?;
    let versions = sqlx::query_as!(
        VersionSummary,
        r#"select version, title, message, content_hash, octet_length(content) as "size!",
                  created_at, created_by
           from article_versions where article_id = $1 order by version desc"#,
        article.id,
    )
    .fetch_all(pool)
    .await?;
    Ok(versions)
}

pub async fn get_version(
    pool: &PgPool,
    slug: &Slug,
    version: i32,
) -> Result<ArticleVersion, StoreError> {
    let article = get(pool, slug).await?;
    sqlx::query_as!(
        ArticleVersion,
        "select version, title, folder, content, message, content_hash, created_at, created_by
         from article_versions where article_id = $1 and version = $2",
        article.id,
        version,
    )
    .fetch_optional(pool)
    .await?
    .ok_or(StoreError::VersionNotFound {
        slug: slug.to_string(),
        version,
    })
}

/// Restores an old version's title, folder and content as a new version, so the history keeps
/// everything that was ever saved.
pub async fn restore_version(
    pool: &PgPool,
    slug: &Slug,
    version: i32,
    message: Option<VersionMessage>,
    expected_version: Option<i32>,
    actor: &str,
) -> Result<Article, StoreError> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, slug).await?;
    check_version(&current, expected_version)?;
    let old = sqlx::query_as!(
        ArticleVersion,
        "select version, title, folder, content, message, content_hash, created_at, created_by
         from article_versions where article_id = $1 and version = $2",
        current.id,
        version,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::VersionNotFound {
        slug: slug.to_string(),
        version,
    })?;

    let restored = sqlx::query_as!(
        Article,
        "update articles
         set title = $2, folder = $3, content = $4, version = version + 1,
             updated_at = now(), updated_by = $5
         where id = $1
         returning id, slug, title, folder, content, is_public, no_rag, version,
                   created_at, updated_at, created_by, updated_by",
        current.id,
        old.title,
        old.folder,
        old.content,
        actor,
    )
    .fetch_one(&mut *tx)
    .await?;
    let default_message = format!("Restored version {version}");
    let message = message
        .as_ref()
        .map(|m| m.as_ref())
        .filter(|m| !m.is_empty())
        .unwrap_or(&default_message);
    insert_version(&mut tx, &restored, message, actor).await?;
    embedding_tasks::enqueue_in(&mut tx, restored.id, restored.no_rag, TaskReason::Restore).await?;
    tx.commit().await?;
    Ok(restored)
}

/// Returns every folder that holds an article, plus all of their parent folders, sorted.
/// Returns every slug in use; imports use it to resolve collisions before writing.
pub async fn all_slugs(pool: &PgPool) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar!("select slug from articles")
        .fetch_all(pool)
        .await?)
}

pub async fn list_folders(pool: &PgPool) -> Result<Vec<String>, StoreError> {
    let folders = sqlx::query_scalar!("select distinct folder from articles where folder <> ''")
        .fetch_all(pool)
        .await?;
    let mut all = std::collections::BTreeSet::new();
    for folder in folders {
        let mut prefix = String::new();
        for segment in folder.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(segment);
            all.insert(prefix.clone());
        }
    }
    Ok(all.into_iter().collect())
}

/// Moves a folder and everything below it to a new path; returns how many articles moved.
pub async fn rename_folder(
    pool: &PgPool,
    from: &FolderPath,
    to: &FolderPath,
    max_depth: usize,
) -> Result<u64, StoreError> {
    let pattern = format!("{}/%", escape_like(from.as_ref()));
    let mut tx = pool.begin().await?;
    let deepest = sqlx::query_scalar!(
        r#"select max(array_length(string_to_array(folder, '/'), 1)) as "depth"
           from articles where folder = $1 or folder like $2"#,
        from.as_ref(),
        pattern,
    )
    .fetch_one(&mut *tx)
    .await?;
    let Some(deepest) = deepest else {
        return Err(StoreError::FolderNotFound(from.to_string()));
    };
    let new_depth = to.depth() + usize::try_from(deepest).unwrap_or(0) - from.depth();
    if new_depth > max_depth {
        return Err(StoreError::FolderTooDeep {
            depth: new_depth,
            max: max_depth,
        });
    }
    let moved = sqlx::query!(
        "update articles
         set folder = case
                 when folder = $1 then $2
                 when $2 = '' then substr(folder, length($1) + 2)
                 else $2 || substr(folder, length($1) + 1)
             end,
             updated_at = now()
         where folder = $1 or folder like $3",
        from.as_ref(),
        to.as_ref(),
        pattern,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(moved)
}

/// Removes one folder level: its articles and subfolders move up to its parent. No article is
/// deleted. Returns how many articles moved.
pub async fn delete_folder(pool: &PgPool, folder: &FolderPath) -> Result<u64, StoreError> {
    let parent = match folder.as_ref().rsplit_once('/') {
        Some((parent, _)) => parent.to_owned(),
        None => String::new(),
    };
    let pattern = format!("{}/%", escape_like(folder.as_ref()));
    let moved = sqlx::query!(
        "update articles
         set folder = case
                 when folder = $1 then $2
                 when $2 = '' then substr(folder, length($1) + 2)
                 else $2 || substr(folder, length($1) + 1)
             end,
             updated_at = now()
         where folder = $1 or folder like $3",
        folder.as_ref(),
        parent,
        pattern,
    )
    .execute(pool)
    .await?
    .rows_affected();
    if moved == 0 {
        return Err(StoreError::FolderNotFound(folder.to_string()));
    }
    Ok(moved)
}

/// Returns how many articles sit directly in each folder.
pub async fn folder_counts(pool: &PgPool) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = sqlx::query!(
        r#"select folder, count(*) as "count!" from articles group by folder order by folder"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.folder, row.count))
        .collect())
}

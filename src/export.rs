//! `mcp-markdown-manager export DIR`: writes every article as a markdown file with YAML
//! frontmatter, folders as directories, so `import` reads the same articles back.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sqlx::PgPool;

use crate::store::model::Article;

#[derive(Serialize)]
struct Frontmatter<'a> {
    title: &'a str,
    slug: &'a str,
    folder: &'a str,
    created: String,
    public: bool,
    #[serde(rename = "noRag")]
    no_rag: bool,
}

/// Renders one article as a markdown file: frontmatter, then the content unchanged.
pub fn render(article: &Article) -> anyhow::Result<String> {
    let frontmatter = Frontmatter {
        title: &article.title,
        slug: &article.slug,
        folder: &article.folder,
        created: article.created_at.to_rfc3339(),
        public: article.is_public,
        no_rag: article.no_rag,
    };
    let yaml = yaml_serde::to_string(&frontmatter)?;
    Ok(format!("---\n{}---\n{}", yaml, article.content))
}

/// Returns where an article is written: `DIR/<folder>/<slug>.md`.
pub fn file_path(dir: &Path, article: &Article) -> PathBuf {
    let mut path = dir.to_path_buf();
    for segment in article
        .folder
        .split('/')
        .filter(|segment| !segment.is_empty())
    {
        path.push(segment);
    }
    path.push(format!("{}.md", article.slug));
    path
}

/// Exports every article; returns how many files were written.
pub async fn export_dir(pool: &PgPool, dir: &Path) -> anyhow::Result<usize> {
    let articles = sqlx::query_as!(
        Article,
        "select id, slug, title, folder, content, is_public, no_rag, version,
                created_at, updated_at, created_by, updated_by
         from articles order by folder, slug",
    )
    .fetch_all(pool)
    .await?;
    for article in &articles {
        let path = file_path(dir, article);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, render(article)?)?;
    }
    Ok(articles.len())
}

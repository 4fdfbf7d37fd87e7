//! JSON shapes returned by REST and MCP. Field names follow the original service
//! (`filename`, `isPublic`, `noRag`, …) so existing scripts and agents keep working.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use crate::store::model::{Article, ArticleSummary, ArticleVersion, TokenRecord, VersionSummary};

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticleView {
    /// `<slug>.md`, the identifier the original service used.
    pub filename: String,
    pub slug: String,
    pub title: String,
    /// Folder path such as `guides/rust`; empty for the root folder.
    pub folder: String,
    pub content: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub is_public: bool,
    pub no_rag: bool,
    /// Current version; send it back as `expectedVersion` (or `If-Match`) to avoid lost updates.
    pub version: i32,
    pub created_by: Option<String>,
    pub modified_by: Option<String>,
    /// Suspicious-input rules (prompt-injection markers) that the title or content match; an
    /// agent host can warn before trusting the text.
    pub suspicious_rules: Vec<&'static str>,
}

impl From<Article> for ArticleView {
    fn from(article: Article) -> Self {
        let mut suspicious_rules = crate::security::suspicious::scan(&article.title);
        for rule in crate::security::suspicious::scan(&article.content) {
            if !suspicious_rules.contains(&rule) {
                suspicious_rules.push(rule);
            }
        }
        Self {
            suspicious_rules,
            filename: format!("{}.md", article.slug),
            slug: article.slug,
            title: article.title,
            folder: article.folder,
            content: article.content,
            created: article.created_at,
            modified: article.updated_at,
            is_public: article.is_public,
            no_rag: article.no_rag,
            version: article.version,
            created_by: article.created_by,
            modified_by: article.updated_by,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticleMetadataView {
    pub filename: String,
    pub slug: String,
    pub title: String,
    pub folder: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub is_public: bool,
    pub no_rag: bool,
    pub version: i32,
    pub modified_by: Option<String>,
}

impl From<ArticleSummary> for ArticleMetadataView {
    fn from(article: ArticleSummary) -> Self {
        Self {
            filename: format!("{}.md", article.slug),
            slug: article.slug,
            title: article.title,
            folder: article.folder,
            created: article.created_at,
            modified: article.updated_at,
            is_public: article.is_public,
            no_rag: article.no_rag,
            version: article.version,
            modified_by: article.updated_by,
        }
    }
}

/// What an unauthenticated reader of a public article sees: no folder, flags or token names.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicArticleView {
    pub filename: String,
    pub slug: String,
    pub title: String,
    pub content: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

impl From<Article> for PublicArticleView {
    fn from(article: Article) -> Self {
        Self {
            filename: format!("{}.md", article.slug),
            slug: article.slug,
            title: article.title,
            content: article.content,
            created: article.created_at,
            modified: article.updated_at,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionSummaryView {
    /// `v<N>`, as the original service named versions.
    pub version_id: String,
    pub version: i32,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub message: String,
    /// SHA-256 of the content, hex.
    pub hash: String,
    /// Content size in bytes.
    pub size: i32,
    pub filename: String,
}

impl From<VersionSummary> for VersionSummaryView {
    fn from(version: VersionSummary) -> Self {
        Self {
            version_id: format!("v{}", version.version),
            filename: format!("v{}.md", version.version),
            version: version.version,
            title: version.title,
            created_at: version.created_at,
            created_by: version.created_by,
            message: version.message,
            hash: version.content_hash,
            size: version.size,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionView {
    pub filename: String,
    pub version_id: String,
    pub version: i32,
    pub title: String,
    pub folder: String,
    pub content: String,
    pub message: String,
    pub hash: String,
    pub created: DateTime<Utc>,
    pub created_by: Option<String>,
}

impl VersionView {
    pub fn new(slug: &str, version: ArticleVersion) -> Self {
        Self {
            filename: format!("{slug}.md"),
            version_id: format!("v{}", version.version),
            version: version.version,
            title: version.title,
            folder: version.folder,
            content: version.content,
            message: version.message,
            hash: version.content_hash,
            created: version.created_at,
            created_by: version.created_by,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub scope: &'static str,
    /// The first characters of the token followed by `…`; the full token is never shown again.
    pub masked_token: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub status: &'static str,
}

impl From<TokenRecord> for TokenView {
    fn from(record: TokenRecord) -> Self {
        let status = record.status();
        Self {
            id: record.id,
            name: record.name,
            scope: record.scope.as_str(),
            masked_token: format!("{}…", record.prefix),
            created_at: record.created_at,
            last_used_at: record.last_used_at,
            expires_at: record.expires_at,
            revoked_at: record.revoked_at,
            status,
        }
    }
}

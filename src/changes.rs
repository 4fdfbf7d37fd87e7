//! Article changes, broadcast so MCP sessions can send `notifications/resources/updated` and
//! `notifications/resources/list_changed`.

use tokio::sync::broadcast;

/// Changes a listener may lag behind by before it skips the oldest.
const CAPACITY: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArticleChange {
    Created(String),
    Updated(String),
    Deleted(String),
}

impl ArticleChange {
    /// Maps an audit event name of an article write to the change it makes.
    pub fn from_event(event: &str, slug: &str) -> Option<Self> {
        let slug = slug.to_owned();
        match event {
            "article_created" => Some(Self::Created(slug)),
            "article_deleted" => Some(Self::Deleted(slug)),
            // A rename removes one resource URI and adds another.
            "article_renamed" => Some(Self::Created(slug)),
            "article_updated"
            | "article_restored"
            | "article_published"
            | "article_unpublished" => Some(Self::Updated(slug)),
            _ => None,
        }
    }
}

pub fn channel() -> broadcast::Sender<ArticleChange> {
    broadcast::channel(CAPACITY).0
}

//! MCP tools. Names and arguments follow the original service, so existing agent
//! configurations keep working; every tool also returns `structuredContent` with an
//! `outputSchema`, and write tools take a [`Caller<Write>`] so their scope is in the signature.

use std::marker::PhantomData;

use actix::Addr;
use rmcp::handler::server::common::FromContextPart;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::{Principal, Read, Requirement, Write};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::changes::ArticleChange;
use crate::config::{InputLimits, SuspiciousInputAction};
use crate::domain::{
    Content, FolderFilter, FolderPath, SearchQuery, Slug, Title, ValidationError, VersionMessage,
};
use crate::security::{Audit, Level, SecurityEvent};
use crate::store::{self, ArticleChanges, ListFilter, NewArticle, StoreActor, StoreError};
use crate::views::{ArticleMetadataView, ArticleView, VersionSummaryView, VersionView};

/// URI scheme of article resources: `article://<slug>`.
const RESOURCE_SCHEME: &str = "article://";
/// Resources per `resources/list` page.
const RESOURCE_PAGE_SIZE: i64 = 100;
/// Default and maximum page sizes of `listArticles`.
const DEFAULT_LIST_SIZE: i64 = 100;
const MAX_LIST_SIZE: i64 = 1000;
/// Maximum matches returned by one title search.
const MAX_SEARCH_RESULTS: i64 = 100;

/// The caller of an MCP request, put into the request extensions by the MCP gate.
#[derive(Debug, Clone)]
pub struct McpCaller {
    pub principal: Principal,
    pub ip: std::net::IpAddr,
}

/// Tool argument extractor that authorises the caller for requirement `R`.
pub struct Caller<R> {
    pub principal: Principal,
    pub ip: Option<std::net::IpAddr>,
    requirement: PhantomData<R>,
}

impl<R> Caller<R> {
    fn actor(&self) -> String {
        self.principal.name().to_owned()
    }
}

/// Finds the caller: in the HTTP request's extensions (Streamable HTTP) or directly in the
/// message's extensions (the legacy SSE transport puts it there).
fn caller_of(context: &RequestContext<RoleServer>) -> Option<McpCaller> {
    rmcp_actix_web::transport::on_request_extensions(&context.extensions)
        .and_then(|extensions| extensions.get::<McpCaller>())
        .or_else(|| context.extensions.get::<McpCaller>())
        .cloned()
}

fn principal_of(context: &RequestContext<RoleServer>) -> Option<Principal> {
    caller_of(context).map(|caller| caller.principal)
}

impl<S, R: Requirement> FromContextPart<ToolCallContext<'_, S>> for Caller<R> {
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, ErrorData> {
        let caller = caller_of(&context.request_context).ok_or_else(|| {
            ErrorData::internal_error("request has no authenticated caller", None)
        })?;
        if let Some(reason) = R::check(&caller.principal) {
            return Err(ErrorData::invalid_request(reason, None));
        }
        Ok(Self {
            principal: caller.principal,
            ip: Some(caller.ip),
            requirement: PhantomData,
        })
    }
}

/// A tool failure the agent should read: returned as a result with `isError: true`.
#[derive(Debug)]
pub struct ToolError(String);

impl From<ValidationError> for ToolError {
    fn from(error: ValidationError) -> Self {
        metrics::counter!("mcp_validation_failures_total", "code" => error.code()).increment(1);
        Self(error.to_string())
    }
}

impl From<StoreError> for ToolError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::VersionMismatch {
                slug,
                expected,
                current,
            } => Self(format!(
                "article {slug:?} was changed by someone else: it is at version {current}, not \
                 {expected}. Read it again with readArticle and reapply your change."
            )),
            StoreError::Database(_) | StoreError::Unavailable(_) | StoreError::Corrupt(_) => {
                tracing::error!(error = %error, error.chain = ?error, "MCP tool failed with an internal error");
                Self("internal error; the operator can find details in the server log".to_owned())
            }
            other => Self(other.to_string()),
        }
    }
}

impl rmcp::handler::server::tool::IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        Ok(CallToolResult::error(vec![ContentBlock::text(self.0)]).into())
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListArticlesArgs {
    /// Folder to list, with its subfolders. Omit for all folders; "" or "/" for the root only.
    pub folder: Option<String>,
    /// Maximum number of articles to return (1-1000, default 100).
    pub max_articles: Option<i64>,
    /// Opaque cursor from a previous call's `nextCursor`, to fetch the next page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticleList {
    /// Articles, most recently modified first.
    pub articles: Vec<ArticleMetadataView>,
    /// Number of articles that match, across all pages.
    pub total: i64,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoArgs {}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FolderList {
    /// Every folder path that holds articles, with its parents, sorted.
    pub folders: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArticlesArgs {
    /// Text to look for in article titles (case-insensitive; % and _ match literally).
    pub query: String,
    /// Folder to search, with its subfolders. Omit for all folders.
    pub folder: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MultiSearchArticlesArgs {
    /// Several title queries; results are merged without duplicates.
    pub titles: Vec<String>,
    /// Folder to search, with its subfolders. Omit for all folders.
    pub folder: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchResults {
    pub articles: Vec<ArticleMetadataView>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReadArticleArgs {
    /// The article's filename (`my-article.md`) or slug (`my-article`).
    pub filename: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateArticleArgs {
    /// Title; the slug is derived from it.
    pub title: String,
    /// Markdown content.
    pub content: String,
    /// Folder path such as `guides/rust`; omit for the root folder.
    pub folder: Option<String>,
    /// Exclude the article from semantic search indexing.
    pub no_rag: Option<bool>,
    /// Message recorded with the first version.
    pub message: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateArticleArgs {
    /// The article's filename (`my-article.md`) or slug.
    pub filename: String,
    /// New title; omit to keep. The slug does not change.
    pub title: Option<String>,
    /// New markdown content; omit to keep.
    pub content: Option<String>,
    /// New folder; omit to keep, "" for the root folder.
    pub folder: Option<String>,
    /// Exclude from (true) or include in (false) semantic search indexing; omit to keep.
    pub no_rag: Option<bool>,
    /// Message recorded with the new version.
    pub message: Option<String>,
    /// The version you read (`version` of readArticle). If the article changed since, nothing
    /// is written and the error names the current version.
    pub expected_version: Option<i32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteArticleArgs {
    /// The article's filename (`my-article.md`) or slug.
    pub filename: String,
    /// The version you read; if the article changed since, it is not deleted.
    pub expected_version: Option<i32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DeleteResult {
    pub success: bool,
    pub filename: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SemanticSearchArgs {
    /// What to look for, in your own words.
    pub query: String,
    /// Number of articles to return (1-100, default 5).
    pub k: Option<i64>,
    /// Folder to search, with its subfolders. Omit for all folders; "" or "/" for the root only.
    pub folder: Option<String>,
    /// `hybrid` (default), `semantic` or `fulltext`.
    pub mode: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MultiSemanticSearchArgs {
    /// Several queries; results are merged, each article once.
    pub queries: Vec<String>,
    /// Number of articles per query (1-100, default 5).
    pub k: Option<i64>,
    /// Folder to search, with its subfolders. Omit for all folders.
    pub folder: Option<String>,
    /// `hybrid` (default), `semantic` or `fulltext`.
    pub mode: Option<String>,
}

fn search_error(error: crate::search::SearchError) -> ToolError {
    match error {
        crate::search::SearchError::Store(store) => store.into(),
        other => ToolError(other.to_string()),
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FilenameArgs {
    /// The article's filename (`my-article.md`) or slug.
    pub filename: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct VersionList {
    /// Versions, newest first.
    pub versions: Vec<VersionSummaryView>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct VersionArgs {
    /// The article's filename (`my-article.md`) or slug.
    pub filename: String,
    /// Version number, as listed by listVersions.
    pub version: i32,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestoreVersionArgs {
    /// The article's filename (`my-article.md`) or slug.
    pub filename: String,
    /// Version number to restore.
    pub version: i32,
    /// Message recorded with the new version.
    pub message: Option<String>,
    /// The current version you read; if the article changed since, nothing is restored.
    pub expected_version: Option<i32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MoveArticleArgs {
    /// The article's filename (`my-article.md`) or slug.
    pub filename: String,
    /// Target folder such as `guides/rust`; "" for the root folder.
    pub folder: String,
    /// The version you read; if the article changed since, it is not moved.
    pub expected_version: Option<i32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RenameArticleArgs {
    /// The article's filename (`my-article.md`) or slug.
    pub filename: String,
    /// New slug: lowercase letters, digits and single hyphens.
    pub new_slug: String,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FolderNode {
    /// Last path segment; empty for the root.
    pub name: String,
    /// Full path such as `guides/rust`; empty for the root.
    pub path: String,
    /// Articles directly in this folder.
    pub article_count: i64,
    /// Articles in this folder and all subfolders.
    pub total_count: i64,
    pub children: Vec<FolderNode>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FolderTree {
    pub root: FolderNode,
}

/// Builds the folder tree from per-folder article counts.
fn build_tree(counts: &[(String, i64)]) -> FolderNode {
    fn node(name: &str, path: &str) -> FolderNode {
        FolderNode {
            name: name.to_owned(),
            path: path.to_owned(),
            article_count: 0,
            total_count: 0,
            children: Vec::new(),
        }
    }
    let mut root = node("", "");
    for (folder, count) in counts {
        root.total_count += count;
        if folder.is_empty() {
            root.article_count += count;
            continue;
        }
        let mut current = &mut root;
        let mut path = String::new();
        for segment in folder.split('/') {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(segment);
            let position = match current
                .children
                .iter()
                .position(|child| child.name == segment)
            {
                Some(position) => position,
                None => {
                    current.children.push(node(segment, &path));
                    current.children.len() - 1
                }
            };
            current = &mut current.children[position];
            current.total_count += count;
        }
        current.article_count += count;
    }
    root
}

/// The kinds of targeted edit.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EditOperation {
    /// Add `text` at the end.
    Append,
    /// Add `text` at the start.
    Prepend,
    /// Replace the body under `heading` with `text`.
    ReplaceSection,
    /// Replace `find` (which must occur exactly once) with `replace`.
    FindReplace,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditArticleArgs {
    /// The article's filename (`my-article.md`) or slug.
    pub filename: String,
    pub operation: EditOperation,
    /// Text to append or prepend, or the new body of the section.
    pub text: Option<String>,
    /// Heading whose section replace_section replaces, e.g. "Install" or "## Install".
    pub heading: Option<String>,
    /// Text find_replace looks for; it must occur exactly once.
    pub find: Option<String>,
    /// Replacement text for find_replace.
    pub replace: Option<String>,
    /// The version you read; if the article changed since, nothing is written.
    pub expected_version: Option<i32>,
    /// Message recorded with the new version.
    pub message: Option<String>,
}

impl EditArticleArgs {
    fn to_edit(&self) -> Result<crate::edit::Edit, ToolError> {
        use crate::edit::Edit;
        let required = |value: &Option<String>, name: &str| {
            value.clone().ok_or_else(|| {
                ToolError(format!(
                    "operation {:?} needs the `{name}` argument",
                    self.operation
                ))
            })
        };
        Ok(match self.operation {
            EditOperation::Append => Edit::Append(required(&self.text, "text")?),
            EditOperation::Prepend => Edit::Prepend(required(&self.text, "text")?),
            EditOperation::ReplaceSection => Edit::ReplaceSection {
                heading: required(&self.heading, "heading")?,
                text: required(&self.text, "text")?,
            },
            EditOperation::FindReplace => Edit::FindReplace {
                find: required(&self.find, "find")?,
                replace: required(&self.replace, "replace")?,
            },
        })
    }
}

/// The MCP server handler: one instance per session (or per stateless request).
#[derive(Clone)]
pub struct ArticleTools {
    store: Addr<StoreActor>,
    limits: InputLimits,
    multi_search_limit: usize,
    audit: Audit,
    suspicious_input_action: SuspiciousInputAction,
    changes: tokio::sync::broadcast::Sender<ArticleChange>,
    search: crate::search::SearchService,
    /// Resource URIs this session subscribed to.
    subscriptions: Arc<Mutex<HashSet<String>>>,
    tool_router: ToolRouter<Self>,
}

fn parse_folder_filter(raw: Option<&str>, limits: &InputLimits) -> Result<FolderFilter, ToolError> {
    Ok(FolderFilter::parse(raw, limits)?)
}

#[tool_router]
impl ArticleTools {
    pub fn new(
        store: Addr<StoreActor>,
        limits: InputLimits,
        multi_search_limit: usize,
        audit: Audit,
        suspicious_input_action: SuspiciousInputAction,
        changes: tokio::sync::broadcast::Sender<ArticleChange>,
        search: crate::search::SearchService,
    ) -> Self {
        Self {
            store,
            limits,
            multi_search_limit,
            audit,
            suspicious_input_action,
            changes,
            search,
            subscriptions: Arc::new(Mutex::new(HashSet::new())),
            tool_router: Self::tool_router(),
        }
    }

    /// Builds the handler for one session from the application state.
    pub fn for_state(state: &crate::startup::AppState) -> Self {
        Self::new(
            state.store.clone(),
            state.config.limits,
            state.config.mcp.multi_search_limit,
            state.audit.clone(),
            state.config.security.suspicious_input_action,
            state.changes.clone(),
            state.search.clone(),
        )
    }

    /// Scans agent input for prompt-injection markers (see `security::inspect_input`).
    fn inspect<R>(
        &self,
        caller: &Caller<R>,
        fields: &[(&'static str, &str)],
    ) -> Result<(), ToolError> {
        crate::security::inspect_input(
            &self.audit,
            self.suspicious_input_action,
            fields,
            caller.ip,
            caller.principal.name(),
            "mcp",
        )
        .map_err(ToolError)
    }

    /// Applies a partial update, records it, and returns the article.
    async fn update(
        &self,
        caller: &Caller<Write>,
        slug: Slug,
        changes: ArticleChanges,
        expected_version: Option<i32>,
    ) -> Result<Json<ArticleView>, ToolError> {
        let updated = store::ask(
            &self.store,
            store::UpdateArticle {
                slug,
                changes,
                expected_version,
                actor: caller.actor(),
            },
        )
        .await?;
        self.article_event(caller, "article_updated", &updated.slug);
        Ok(Json(updated.into()))
    }

    fn article_event<R>(&self, caller: &Caller<R>, event: &'static str, slug: &str) {
        if let Some(change) = ArticleChange::from_event(event, slug) {
            // Nobody listening is fine.
            let _ = self.changes.send(change);
        }
        self.audit.emit(
            SecurityEvent::new(event, Level::Info)
                .ip(caller.ip)
                .token(caller.principal.name().to_owned())
                .detail("slug", slug)
                .detail("channel", "mcp"),
        );
    }

    async fn title_search(
        &self,
        query: SearchQuery,
        folder: FolderFilter,
    ) -> Result<Vec<ArticleMetadataView>, ToolError> {
        let filter = ListFilter {
            folder,
            title_query: Some(query),
            limit: MAX_SEARCH_RESULTS,
            offset: 0,
        };
        let page = store::ask(&self.store, store::ListArticles { filter }).await?;
        Ok(page.items.into_iter().map(Into::into).collect())
    }

    /// List articles, most recently modified first, with pagination.
    #[tool(
        name = "listArticles",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_articles(
        &self,
        _caller: Caller<Read>,
        Parameters(args): Parameters<ListArticlesArgs>,
    ) -> Result<Json<ArticleList>, ToolError> {
        let limit = args.max_articles.unwrap_or(DEFAULT_LIST_SIZE);
        if !(1..=MAX_LIST_SIZE).contains(&limit) {
            return Err(ToolError(format!(
                "maxArticles must be between 1 and {MAX_LIST_SIZE}, got {limit}"
            )));
        }
        let offset = match args.cursor.as_deref() {
            None | Some("") => 0,
            Some(cursor) => cursor
                .parse::<i64>()
                .ok()
                .filter(|offset| *offset >= 0)
                .ok_or_else(|| {
                    ToolError(format!(
                        "cursor {cursor:?} is invalid; pass a nextCursor value unchanged"
                    ))
                })?,
        };
        let filter = ListFilter {
            folder: parse_folder_filter(args.folder.as_deref(), &self.limits)?,
            title_query: None,
            limit,
            offset,
        };
        let page = store::ask(&self.store, store::ListArticles { filter }).await?;
        let next_offset = offset + limit;
        Ok(Json(ArticleList {
            articles: page.items.into_iter().map(Into::into).collect(),
            total: page.total,
            next_cursor: (next_offset < page.total).then(|| next_offset.to_string()),
        }))
    }

    /// List all folders that contain articles, with their parent folders.
    #[tool(
        name = "listFolders",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_folders(
        &self,
        _caller: Caller<Read>,
        _args: Parameters<NoArgs>,
    ) -> Result<Json<FolderList>, ToolError> {
        let folders = store::ask(&self.store, store::ListFolders {}).await?;
        Ok(Json(FolderList { folders }))
    }

    /// Find articles whose title contains the query (case-insensitive).
    #[tool(
        name = "searchArticles",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn search_articles(
        &self,
        caller: Caller<Read>,
        Parameters(args): Parameters<SearchArticlesArgs>,
    ) -> Result<Json<SearchResults>, ToolError> {
        let query = SearchQuery::parse(&args.query)?;
        self.inspect(&caller, &[("query", query.as_ref())])?;
        let folder = parse_folder_filter(args.folder.as_deref(), &self.limits)?;
        let articles = self.title_search(query, folder).await?;
        Ok(Json(SearchResults { articles }))
    }

    /// Run several title searches at once; results are merged without duplicates.
    #[tool(
        name = "multiSearchArticles",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn multi_search_articles(
        &self,
        caller: Caller<Read>,
        context: RequestContext<RoleServer>,
        Parameters(args): Parameters<MultiSearchArticlesArgs>,
    ) -> Result<Json<SearchResults>, ToolError> {
        if args.titles.is_empty() || args.titles.len() > self.multi_search_limit {
            return Err(ToolError(format!(
                "titles must hold between 1 and {} queries, got {}",
                self.multi_search_limit,
                args.titles.len()
            )));
        }
        let folder = parse_folder_filter(args.folder.as_deref(), &self.limits)?;
        let queries = args
            .titles
            .iter()
            .map(|title| SearchQuery::parse(title))
            .collect::<Result<Vec<_>, _>>()?;
        for query in &queries {
            self.inspect(&caller, &[("query", query.as_ref())])?;
        }
        let mut seen = std::collections::HashSet::new();
        let mut articles = Vec::new();
        let total = queries.len();
        let progress_token = context.meta.get_progress_token();
        for (index, query) in queries.into_iter().enumerate() {
            // The client may cancel a long multi-search between queries.
            if context.ct.is_cancelled() {
                return Err(ToolError("the request was cancelled".to_owned()));
            }
            for article in self.title_search(query, folder.clone()).await? {
                if seen.insert(article.slug.clone()) {
                    articles.push(article);
                }
            }
            if let Some(token) = &progress_token {
                let progress =
                    rmcp::model::ProgressNotificationParam::new(token.clone(), (index + 1) as f64)
                        .with_total(total as f64);
                // Progress is advisory: a client that went away does not fail the search.
                let _ = context.peer.notify_progress(progress).await;
            }
        }
        Ok(Json(SearchResults { articles }))
    }

    /// Read an article's markdown content and metadata, including its current version.
    #[tool(
        name = "readArticle",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn read_article(
        &self,
        _caller: Caller<Read>,
        Parameters(args): Parameters<ReadArticleArgs>,
    ) -> Result<Json<ArticleView>, ToolError> {
        let slug = Slug::parse(&args.filename)?;
        let article = store::ask(&self.store, store::GetArticle { slug }).await?;
        Ok(Json(article.into()))
    }

    /// Create an article. The slug is derived from the title and must be unused.
    #[tool(
        name = "createArticle",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn create_article(
        &self,
        caller: Caller<Write>,
        Parameters(args): Parameters<CreateArticleArgs>,
    ) -> Result<Json<ArticleView>, ToolError> {
        let article = NewArticle {
            title: Title::parse(&args.title, &self.limits)?,
            slug: None,
            folder: FolderPath::parse(args.folder.as_deref().unwrap_or(""), &self.limits)?,
            content: Content::parse(&args.content, &self.limits)?,
            is_public: false,
            no_rag: args.no_rag.unwrap_or(false),
            message: args
                .message
                .as_deref()
                .map(VersionMessage::parse)
                .transpose()?,
            created_at: None,
        };
        self.inspect(
            &caller,
            &[
                ("title", article.title.as_ref()),
                ("content", article.content.as_ref()),
            ],
        )?;
        let created = store::ask(
            &self.store,
            store::CreateArticle {
                article,
                actor: caller.actor(),
            },
        )
        .await?;
        self.article_event(&caller, "article_created", &created.slug);
        Ok(Json(created.into()))
    }

    /// Update an article: only the fields you pass change. Pass `expectedVersion` to make sure
    /// you do not overwrite someone else's edit.
    #[tool(
        name = "updateArticle",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn update_article(
        &self,
        caller: Caller<Write>,
        Parameters(args): Parameters<UpdateArticleArgs>,
    ) -> Result<Json<ArticleView>, ToolError> {
        let slug = Slug::parse(&args.filename)?;
        let changes = ArticleChanges {
            title: args
                .title
                .as_deref()
                .map(|t| Title::parse(t, &self.limits))
                .transpose()?,
            folder: args
                .folder
                .as_deref()
                .map(|f| FolderPath::parse(f, &self.limits))
                .transpose()?,
            content: args
                .content
                .as_deref()
                .map(|c| Content::parse(c, &self.limits))
                .transpose()?,
            no_rag: args.no_rag,
            message: args
                .message
                .as_deref()
                .map(VersionMessage::parse)
                .transpose()?,
        };
        let title = changes.title.as_ref().map_or("", |t| t.as_ref());
        let content = changes.content.as_ref().map_or("", |c| c.as_ref());
        self.inspect(&caller, &[("title", title), ("content", content)])?;
        self.update(&caller, slug, changes, args.expected_version)
            .await
    }

    /// Delete an article and its version history.
    #[tool(
        name = "deleteArticle",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn delete_article(
        &self,
        caller: Caller<Write>,
        Parameters(args): Parameters<DeleteArticleArgs>,
    ) -> Result<Json<DeleteResult>, ToolError> {
        let slug = Slug::parse(&args.filename)?;
        let filename = slug.filename();
        let slug_text = slug.to_string();
        store::ask(
            &self.store,
            store::DeleteArticle {
                slug,
                expected_version: args.expected_version,
            },
        )
        .await?;
        self.article_event(&caller, "article_deleted", slug_text.as_str());
        Ok(Json(DeleteResult {
            success: true,
            filename,
        }))
    }

    /// List an article's versions, newest first.
    #[tool(
        name = "listVersions",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_versions(
        &self,
        _caller: Caller<Read>,
        Parameters(args): Parameters<FilenameArgs>,
    ) -> Result<Json<VersionList>, ToolError> {
        let slug = Slug::parse(&args.filename)?;
        let versions = store::ask(&self.store, store::ListVersions { slug }).await?;
        Ok(Json(VersionList {
            versions: versions.into_iter().map(Into::into).collect(),
        }))
    }

    /// Read one version of an article: its title, folder and content at that time.
    #[tool(
        name = "readVersion",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn read_version(
        &self,
        _caller: Caller<Read>,
        Parameters(args): Parameters<VersionArgs>,
    ) -> Result<Json<VersionView>, ToolError> {
        let slug = Slug::parse(&args.filename)?;
        let version = store::ask(
            &self.store,
            store::GetVersion {
                slug: slug.clone(),
                version: args.version,
            },
        )
        .await?;
        Ok(Json(VersionView::new(slug.as_ref(), version)))
    }

    /// Restore an old version as a new version; nothing in the history is lost.
    #[tool(
        name = "restoreVersion",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn restore_version(
        &self,
        caller: Caller<Write>,
        Parameters(args): Parameters<RestoreVersionArgs>,
    ) -> Result<Json<ArticleView>, ToolError> {
        let slug = Slug::parse(&args.filename)?;
        let restored = store::ask(
            &self.store,
            store::RestoreVersion {
                slug,
                version: args.version,
                message: args
                    .message
                    .as_deref()
                    .map(VersionMessage::parse)
                    .transpose()?,
                expected_version: args.expected_version,
                actor: caller.actor(),
            },
        )
        .await?;
        self.article_event(&caller, "article_restored", &restored.slug);
        Ok(Json(restored.into()))
    }

    /// Move an article to another folder ("" for the root folder).
    #[tool(
        name = "moveArticle",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn move_article(
        &self,
        caller: Caller<Write>,
        Parameters(args): Parameters<MoveArticleArgs>,
    ) -> Result<Json<ArticleView>, ToolError> {
        let slug = Slug::parse(&args.filename)?;
        let changes = ArticleChanges {
            folder: Some(FolderPath::parse(&args.folder, &self.limits)?),
            ..ArticleChanges::default()
        };
        self.update(&caller, slug, changes, args.expected_version)
            .await
    }

    /// Give an article a new slug (its identifier and filename); the title does not change.
    #[tool(
        name = "renameArticle",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn rename_article(
        &self,
        caller: Caller<Write>,
        Parameters(args): Parameters<RenameArticleArgs>,
    ) -> Result<Json<ArticleView>, ToolError> {
        let slug = Slug::parse(&args.filename)?;
        let new_slug = Slug::parse(&args.new_slug.to_lowercase())?;
        let renamed = store::ask(
            &self.store,
            store::RenameSlug {
                slug,
                new_slug,
                actor: caller.actor(),
            },
        )
        .await?;
        self.article_event(&caller, "article_renamed", &renamed.slug);
        Ok(Json(renamed.into()))
    }

    /// Search articles by meaning and words: hybrid (default) ranks by both, `semantic` by
    /// meaning only, `fulltext` by words only. Returns one result per article with its best
    /// passage, heading path and score.
    #[tool(
        name = "semanticSearch",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn semantic_search(
        &self,
        caller: Caller<Read>,
        Parameters(args): Parameters<SemanticSearchArgs>,
    ) -> Result<Json<crate::search::SearchOutcome>, ToolError> {
        let query = SearchQuery::parse(&args.query)?;
        self.inspect(&caller, &[("query", query.as_ref())])?;
        let mode = crate::domain::SearchMode::parse(args.mode.as_deref())?;
        let k = crate::domain::SearchLimit::parse(args.k)?;
        let folder = parse_folder_filter(args.folder.as_deref(), &self.limits)?;
        let outcome = crate::search::search(&self.search, &query, mode, k, &folder)
            .await
            .map_err(search_error)?;
        Ok(Json(outcome))
    }

    /// Run several searches at once (as semanticSearch); results are merged, each article once.
    #[tool(
        name = "multiSemanticSearch",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn multi_semantic_search(
        &self,
        caller: Caller<Read>,
        Parameters(args): Parameters<MultiSemanticSearchArgs>,
    ) -> Result<Json<crate::search::SearchOutcome>, ToolError> {
        if args.queries.is_empty() || args.queries.len() > self.multi_search_limit {
            return Err(ToolError(format!(
                "queries must hold between 1 and {} queries, got {}",
                self.multi_search_limit,
                args.queries.len()
            )));
        }
        let queries = args
            .queries
            .iter()
            .map(|query| SearchQuery::parse(query))
            .collect::<Result<Vec<_>, _>>()?;
        for query in &queries {
            self.inspect(&caller, &[("query", query.as_ref())])?;
        }
        let mode = crate::domain::SearchMode::parse(args.mode.as_deref())?;
        let k = crate::domain::SearchLimit::parse(args.k)?;
        let folder = parse_folder_filter(args.folder.as_deref(), &self.limits)?;
        let outcome = crate::search::multi_search(&self.search, &queries, mode, k, &folder)
            .await
            .map_err(search_error)?;
        Ok(Json(outcome))
    }

    /// Show the folder hierarchy with article counts.
    #[tool(
        name = "getFolderTree",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn folder_tree(
        &self,
        _caller: Caller<Read>,
        _args: Parameters<NoArgs>,
    ) -> Result<Json<FolderTree>, ToolError> {
        let counts = store::ask(&self.store, store::FolderCounts {}).await?;
        Ok(Json(FolderTree {
            root: build_tree(&counts),
        }))
    }

    /// Edit part of an article without resending it: append, prepend, replace the section
    /// under a heading, or find and replace text that occurs exactly once. Pass
    /// `expectedVersion` (from readArticle) so a concurrent edit is never overwritten.
    #[tool(
        name = "editArticle",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn edit_article(
        &self,
        caller: Caller<Write>,
        Parameters(args): Parameters<EditArticleArgs>,
    ) -> Result<Json<ArticleView>, ToolError> {
        let slug = Slug::parse(&args.filename)?;
        let edit = args.to_edit()?;
        let current = store::ask(&self.store, store::GetArticle { slug: slug.clone() }).await?;
        if let Some(expected) = args.expected_version
            && expected != current.version
        {
            return Err(StoreError::VersionMismatch {
                slug: current.slug,
                expected,
                current: current.version,
            }
            .into());
        }
        let new_content =
            crate::edit::apply(&current.content, &edit).map_err(|e| ToolError(e.to_string()))?;
        let content = Content::parse(&new_content, &self.limits)?;
        self.inspect(&caller, &[("content", content.as_ref())])?;
        let changes = ArticleChanges {
            content: Some(content),
            message: args
                .message
                .as_deref()
                .map(VersionMessage::parse)
                .transpose()?,
            ..ArticleChanges::default()
        };
        // The version read above guards the write, so an edit made in between is not lost.
        self.update(&caller, slug, changes, Some(current.version))
            .await
    }
}

/// A tool is a write tool unless its annotations say it is read-only.
fn is_write_tool(tool: &rmcp::model::Tool) -> bool {
    !tool
        .annotations
        .as_ref()
        .and_then(|annotations| annotations.read_only_hint)
        .unwrap_or(false)
}

impl ServerHandler for ArticleTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_resources_subscribe()
                .enable_resources_list_changed()
                .build(),
        )
        .with_server_info(Implementation::new(
            "mcp-markdown-manager",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(
            "A markdown article store. Use listArticles, searchArticles or listFolders to find \
                 articles, readArticle to read one (note its `version`), and createArticle, \
                 updateArticle (pass expectedVersion) and deleteArticle to change them.",
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let can_write = principal_of(&context).is_some_and(|principal| principal.can_write());
        let tools = self
            .tool_router
            .list_all()
            .into_iter()
            .filter(|tool| can_write || !is_write_tool(tool))
            .collect();
        let supports_cache_hints = context
            .protocol_version()
            .is_some_and(|version| version >= ProtocolVersion::V_2026_07_28);
        let mut result = ListToolsResult::with_all_items(tools);
        if supports_cache_hints {
            // The list depends on the caller's scope, so it must not be shared between callers.
            result.ttl_ms = Some(0);
            result.cache_scope = Some(rmcp::model::CacheScope::Private);
        }
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // Hidden write tools are refused with a message the agent can act on, before argument
        // parsing, so a read-only token learns nothing else from the call.
        if let Some(tool) = self.tool_router.get(&request.name)
            && is_write_tool(tool)
            && let Some(reason) =
                principal_of(&context).and_then(|principal| Write::check(&principal))
        {
            return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                "tool {:?} {}",
                request.name,
                reason.trim_start_matches("this operation ")
            ))])
            .into());
        }
        let tool_context = ToolCallContext::new(self, request, context);
        self.tool_router.call(tool_context).await
    }

    fn get_tool(&self, name: &str) -> Option<rmcp::model::Tool> {
        self.tool_router.get(name).cloned()
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        if principal_of(&context).is_none() {
            return Err(ErrorData::invalid_request(
                "request has no authenticated caller",
                None,
            ));
        }
        let offset = match request.and_then(|params| params.cursor) {
            None => 0,
            Some(cursor) => cursor
                .parse::<i64>()
                .ok()
                .filter(|offset| *offset >= 0)
                .ok_or_else(|| {
                    ErrorData::invalid_params("invalid cursor; pass nextCursor unchanged", None)
                })?,
        };
        let filter = ListFilter {
            folder: FolderFilter::All,
            title_query: None,
            limit: RESOURCE_PAGE_SIZE,
            offset,
        };
        let page = store::ask(&self.store, store::ListArticles { filter })
            .await
            .map_err(|error| ErrorData::internal_error(ToolError::from(error).0, None))?;
        let resources = page
            .items
            .iter()
            .map(|article| {
                Resource::new(
                    format!("{RESOURCE_SCHEME}{}", article.slug),
                    article.slug.clone(),
                )
                .with_title(article.title.clone())
                .with_mime_type("text/markdown")
            })
            .collect();
        let mut result = ListResourcesResult::with_all_items(resources);
        let next = offset + RESOURCE_PAGE_SIZE;
        result.next_cursor = (next < page.total).then(|| next.to_string());
        Ok(result)
    }

    async fn subscribe(
        &self,
        request: rmcp::model::SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if principal_of(&context).is_none() {
            return Err(ErrorData::invalid_request(
                "request has no authenticated caller",
                None,
            ));
        }
        if !request.uri.starts_with(RESOURCE_SCHEME) {
            return Err(ErrorData::resource_not_found(
                format!("unknown resource {:?}; use article://<slug>", request.uri),
                None,
            ));
        }
        self.subscriptions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(request.uri);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: rmcp::model::UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.subscriptions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&request.uri);
        Ok(())
    }

    /// Accepts resource-list and `article://` subscriptions of `subscriptions/listen`
    /// (protocol 2026-07-28).
    fn accepted_subscription_filter(
        &self,
        requested: &rmcp::model::SubscriptionFilter,
    ) -> Option<rmcp::model::SubscriptionFilter> {
        let mut accepted = requested.clone();
        accepted.tools_list_changed = None;
        accepted.prompts_list_changed = None;
        accepted.resource_subscriptions = requested.resource_subscriptions.as_ref().map(|uris| {
            uris.iter()
                .filter(|uri| uri.starts_with(RESOURCE_SCHEME))
                .cloned()
                .collect()
        });
        Some(accepted)
    }

    /// Forwards article changes on a `subscriptions/listen` stream until it is cancelled.
    async fn listen(&self, context: rmcp::service::SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.changes.subscribe();
        let sink = context.sink().clone();
        loop {
            let change = tokio::select! {
                () = context.cancelled() => return Ok(()),
                change = changes.recv() => change,
            };
            let change = match change {
                Ok(change) => change,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
            };
            let (slug, list_changed) = match &change {
                ArticleChange::Created(slug) | ArticleChange::Deleted(slug) => (slug, true),
                ArticleChange::Updated(slug) => (slug, false),
            };
            let uri = format!("{RESOURCE_SCHEME}{slug}");
            let subscribed = context
                .accepted()
                .resource_subscriptions
                .as_ref()
                .is_some_and(|uris| uris.contains(&uri));
            // The sink drops what the filter excludes; a send error means the stream ended.
            if subscribed && sink.notify_resource_updated(uri).await.is_err() {
                return Ok(());
            }
            if list_changed
                && context.accepted().resources_list_changed == Some(true)
                && sink.notify_resource_list_changed().await.is_err()
            {
                return Ok(());
            }
        }
    }

    /// Starts forwarding article changes to this session once it is initialized.
    async fn on_initialized(&self, context: rmcp::service::NotificationContext<RoleServer>) {
        let mut changes = self.changes.subscribe();
        let subscriptions = self.subscriptions.clone();
        let peer = context.peer;
        tokio::spawn(async move {
            loop {
                let change = match changes.recv().await {
                    Ok(change) => change,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                let (slug, list_changed) = match &change {
                    ArticleChange::Created(slug) | ArticleChange::Deleted(slug) => (slug, true),
                    ArticleChange::Updated(slug) => (slug, false),
                };
                let uri = format!("{RESOURCE_SCHEME}{slug}");
                let subscribed = subscriptions
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .contains(&uri);
                // A failed send means the session is gone, so the task ends.
                if subscribed
                    && peer
                        .notify_resource_updated(
                            rmcp::model::ResourceUpdatedNotificationParam::new(uri),
                        )
                        .await
                        .is_err()
                {
                    return;
                }
                if list_changed && peer.notify_resource_list_changed().await.is_err() {
                    return;
                }
            }
        });
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let template = ResourceTemplate::new(format!("{RESOURCE_SCHEME}{{slug}}"), "article")
            .with_title("Article by slug")
            .with_mime_type("text/markdown");
        Ok(ListResourceTemplatesResult::with_all_items(vec![template]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if principal_of(&context).is_none() {
            return Err(ErrorData::invalid_request(
                "request has no authenticated caller",
                None,
            ));
        }
        let slug = request
            .uri
            .strip_prefix(RESOURCE_SCHEME)
            .and_then(|slug| Slug::parse(slug).ok())
            .ok_or_else(|| {
                ErrorData::resource_not_found(
                    format!("unknown resource {:?}; use article://<slug>", request.uri),
                    Some(serde_json::json!({ "uri": request.uri })),
                )
            })?;
        let article = match store::ask(&self.store, store::GetArticle { slug }).await {
            Ok(article) => article,
            Err(StoreError::ArticleNotFound(slug)) => {
                return Err(ErrorData::resource_not_found(
                    format!("article {slug:?} not found"),
                    Some(serde_json::json!({ "uri": request.uri })),
                ));
            }
            Err(error) => return Err(ErrorData::internal_error(ToolError::from(error).0, None)),
        };
        let contents =
            ResourceContents::text(article.content, request.uri).with_mime_type("text/markdown");
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}

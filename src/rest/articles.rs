//! `/api/articles`: list, read, create, update, delete, versions, public flag and slug rename.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::{
    Content, FolderFilter, FolderPath, SearchQuery, Slug, Title, VersionMessage, parse_version_id,
};
use crate::error::ApiError;
use crate::security::{Level, SecurityEvent};
use crate::startup::AppState;
use crate::store::{self, ArticleChanges, ListFilter, NewArticle};
use crate::views::{ArticleMetadataView, ArticleView, VersionSummaryView, VersionView};

/// Largest page a client may request.
pub const MAX_PAGE_SIZE: i64 = 1000;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    folder: Option<String>,
    q: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

pub async fn list(
    access: ReadAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let limits = &state.config.limits;
    let limit = query.limit.unwrap_or(MAX_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}"),
        ));
    }
    let offset = query.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::bad_request(
            "invalid_offset",
            format!("offset must not be negative, got {offset}"),
        ));
    }
    let title_query = match query.q.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(SearchQuery::parse(raw)?),
    };
    if let Some(query) = &title_query {
        inspect(
            &state,
            &request,
            access.principal.name(),
            &[("query", query.as_ref())],
        )?;
    }
    let filter = ListFilter {
        folder: FolderFilter::parse(query.folder.as_deref(), limits)?,
        title_query,
        limit,
        offset,
    };
    let page = store::ask(&state.store, store::ListArticles { filter }).await?;

    let mut response = HttpResponse::Ok();
    response.insert_header(("X-Total-Count", page.total.to_string()));
    let next_offset = offset.saturating_add(limit);
    if next_offset < page.total {
        let link = next_page_link(&request, next_offset, limit);
        response.insert_header((header::LINK, link));
    }
    let body: Vec<ArticleMetadataView> = page.items.into_iter().map(Into::into).collect();
    Ok(response.json(body))
}

/// Builds `Link: <…?offset=N&limit=M>; rel="next"`, keeping the other query parameters.
fn next_page_link(request: &HttpRequest, offset: i64, limit: i64) -> String {
    let mut pairs: Vec<String> = request
        .query_string()
        .split('&')
        .filter(|pair| {
            !pair.is_empty() && !pair.starts_with("offset=") && !pair.starts_with("limit=")
        })
        .map(str::to_owned)
        .collect();
    pairs.push(format!("limit={limit}"));
    pairs.push(format!("offset={offset}"));
    format!("<{}?{}>; rel=\"next\"", request.path(), pairs.join("&"))
}

/// Scans input for prompt-injection markers; in reject mode a match fails the request.
fn inspect(
    state: &AppState,
    request: &HttpRequest,
    token: &str,
    fields: &[(&'static str, &str)],
) -> Result<(), ApiError> {
    crate::security::inspect_input(
        &state.audit,
        state.config.security.suspicious_input_action,
        fields,
        Some(state.client_ip(request)),
        token,
        "rest",
    )
    .map_err(ApiError::SuspiciousInput)
}

/// Records an article change in the audit log: who changed which slug.
fn article_event(
    state: &AppState,
    request: &HttpRequest,
    token: &str,
    event: &'static str,
    slug: &str,
) {
    if let Some(change) = crate::changes::ArticleChange::from_event(event, slug) {
        // Nobody listening is fine.
        let _ = state.changes.send(change);
    }
    state.audit.emit(
        SecurityEvent::new(event, Level::Info)
            .ip(state.client_ip(request))
            .token(token)
            .detail("slug", slug)
            .detail("channel", "rest"),
    );
}

fn etag(version: i32) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

/// Reads the expected version from `If-Match` (`"v3"`, `"3"` or `W/"v3"`), or from the body.
fn expected_version(
    request: &HttpRequest,
    from_body: Option<i32>,
) -> Result<Option<i32>, ApiError> {
    let Some(value) = request.headers().get(header::IF_MATCH) else {
        return Ok(from_body);
    };
    let raw = value
        .to_str()
        .map_err(|_| ApiError::bad_request("invalid_if_match", "If-Match must be ASCII"))?
        .trim();
    if raw == "*" {
        return Ok(from_body);
    }
    let unquoted = raw.trim_start_matches("W/").trim_matches('"');
    let version = parse_version_id(unquoted).map_err(|_| {
        ApiError::bad_request(
            "invalid_if_match",
            format!(
                "If-Match {raw:?} is not an article version; send the ETag of a read, e.g. \"v3\""
            ),
        )
    })?;
    Ok(Some(version))
}

fn article_response(
    status: actix_web::http::StatusCode,
    article: store::model::Article,
) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(article.version)))
        .json(ArticleView::from(article))
}

pub async fn read(
    _access: ReadAccess,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = Slug::parse(&path)?;
    let article = store::ask(&state.store, store::GetArticle { slug }).await?;
    Ok(article_response(actix_web::http::StatusCode::OK, article))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateBody {
    title: String,
    #[serde(default)]
    content: String,
    folder: Option<String>,
    slug: Option<String>,
    message: Option<String>,
    #[serde(default)]
    no_rag: bool,
    #[serde(default)]
    is_public: bool,
}

pub async fn create(
    access: WriteAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    let limits = &state.config.limits;
    let body = body.into_inner();
    let article = NewArticle {
        title: Title::parse(&body.title, limits)?,
        slug: body.slug.as_deref().map(Slug::parse).transpose()?,
        folder: FolderPath::parse(body.folder.as_deref().unwrap_or(""), limits)?,
        content: Content::parse(&body.content, limits)?,
        is_public: body.is_public,
        no_rag: body.no_rag,
        message: body
            .message
            .as_deref()
            .map(VersionMessage::parse)
            .transpose()?,
        created_at: None,
    };
    inspect(
        &state,
        &request,
        access.principal.name(),
        &[
            ("title", article.title.as_ref()),
            ("content", article.content.as_ref()),
        ],
    )?;
    let created = store::ask(
        &state.store,
        store::CreateArticle {
            article,
            actor: access.actor(),
        },
    )
    .await?;
    article_event(
        &state,
        &request,
        access.principal.name(),
        "article_created",
        &created.slug,
    );
    let location = format!("{}/api/articles/{}", state.config.base_path, created.slug);
    let mut response = article_response(actix_web::http::StatusCode::CREATED, created);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateBody {
    title: Option<String>,
    content: Option<String>,
    folder: Option<String>,
    message: Option<String>,
    no_rag: Option<bool>,
    expected_version: Option<i32>,
}

/// Partial update: fields left out keep their value. The slug never changes here; use
/// `rename-slug` for that.
pub async fn update(
    access: WriteAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, ApiError> {
    let limits = &state.config.limits;
    let slug = Slug::parse(&path)?;
    let body = body.into_inner();
    let changes = ArticleChanges {
        title: body
            .title
            .as_deref()
            .map(|t| Title::parse(t, limits))
            .transpose()?,
        folder: body
            .folder
            .as_deref()
            .map(|f| FolderPath::parse(f, limits))
            .transpose()?,
        content: body
            .content
            .as_deref()
            .map(|c| Content::parse(c, limits))
            .transpose()?,
        no_rag: body.no_rag,
        message: body
            .message
            .as_deref()
            .map(VersionMessage::parse)
            .transpose()?,
    };
    let title = changes.title.as_ref().map_or("", |t| t.as_ref());
    let content = changes.content.as_ref().map_or("", |c| c.as_ref());
    inspect(
        &state,
        &request,
        access.principal.name(),
        &[("title", title), ("content", content)],
    )?;
    let expected_version = expected_version(&request, body.expected_version)?;
    let updated = store::ask(
        &state.store,
        store::UpdateArticle {
            slug,
            changes,
            expected_version,
            actor: access.actor(),
        },
    )
    .await?;
    article_event(
        &state,
        &request,
        access.principal.name(),
        "article_updated",
        &updated.slug,
    );
    Ok(article_response(actix_web::http::StatusCode::OK, updated))
}

pub async fn delete(
    access: WriteAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = Slug::parse(&path)?;
    let expected_version = expected_version(&request, None)?;
    store::ask(
        &state.store,
        store::DeleteArticle {
            slug: slug.clone(),
            expected_version,
        },
    )
    .await?;
    article_event(
        &state,
        &request,
        access.principal.name(),
        "article_deleted",
        slug.as_ref(),
    );
    Ok(HttpResponse::Ok().json(serde_json::json!({ "success": true })))
}

pub async fn list_versions(
    _access: ReadAccess,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = Slug::parse(&path)?;
    let versions = store::ask(&state.store, store::ListVersions { slug }).await?;
    let body: Vec<VersionSummaryView> = versions.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(body))
}

pub async fn read_version(
    _access: ReadAccess,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, version) = path.into_inner();
    let slug = Slug::parse(&slug)?;
    let version = parse_version_id(&version)?;
    let found = store::ask(
        &state.store,
        store::GetVersion {
            slug: slug.clone(),
            version,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(VersionView::new(slug.as_ref(), found)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RestoreBody {
    message: Option<String>,
    expected_version: Option<i32>,
}

pub async fn restore_version(
    access: WriteAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (slug, version) = path.into_inner();
    let slug = Slug::parse(&slug)?;
    let version = parse_version_id(&version)?;
    // The body is optional here, unlike upstream, which failed with a 500 without one.
    let body: RestoreBody = if body.iter().all(u8::is_ascii_whitespace) {
        RestoreBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|error| {
            if error.is_data() {
                ApiError::bad_request(
                    "invalid_body",
                    format!("request body has an invalid field: {error}"),
                )
            } else {
                ApiError::bad_request(
                    "malformed_json",
                    format!("request body is not valid JSON: {error}"),
                )
            }
        })?
    };
    let expected_version = expected_version(&request, body.expected_version)?;
    let restored = store::ask(
        &state.store,
        store::RestoreVersion {
            slug,
            version,
            message: body
                .message
                .as_deref()
                .map(VersionMessage::parse)
                .transpose()?,
            expected_version,
            actor: access.actor(),
        },
    )
    .await?;
    article_event(
        &state,
        &request,
        access.principal.name(),
        "article_restored",
        &restored.slug,
    );
    Ok(article_response(actix_web::http::StatusCode::OK, restored))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublicBody {
    is_public: bool,
}

pub async fn set_public(
    access: WriteAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<PublicBody>,
) -> Result<HttpResponse, ApiError> {
    let slug = Slug::parse(&path)?;
    let article = store::ask(
        &state.store,
        store::SetPublic {
            slug,
            is_public: body.is_public,
            actor: access.actor(),
        },
    )
    .await?;
    let event = if article.is_public {
        "article_published"
    } else {
        "article_unpublished"
    };
    article_event(
        &state,
        &request,
        access.principal.name(),
        event,
        &article.slug,
    );
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "success": true,
        "isPublic": article.is_public,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenameSlugBody {
    new_slug: String,
}

pub async fn rename_slug(
    access: WriteAccess,
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<RenameSlugBody>,
) -> Result<HttpResponse, ApiError> {
    let slug = Slug::parse(&path)?;
    let new_slug = Slug::parse(&body.new_slug.to_lowercase())?;
    let article = store::ask(
        &state.store,
        store::RenameSlug {
            slug,
            new_slug,
            actor: access.actor(),
        },
    )
    .await?;
    article_event(
        &state,
        &request,
        access.principal.name(),
        "article_renamed",
        &article.slug,
    );
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "success": true,
        "article": ArticleView::from(article),
    })))
}

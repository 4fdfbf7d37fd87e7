//! The REST API under `/api`, with the original service's paths.

mod articles;
pub mod auth;
mod folders;
mod health;
mod search;
mod security;
mod tokens;

use actix_web::web;

use crate::error::ApiError;

pub use articles::MAX_PAGE_SIZE;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/health", web::get().to(health::health))
        .route("/ready", web::get().to(health::ready))
        .route("/metrics", web::get().to(crate::prometheus::render))
        .route(
            "/.well-known/oauth-protected-resource",
            web::get().to(health::resource_metadata),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            web::get().to(health::resource_metadata),
        )
        .service(
            web::scope("/api")
                .route("/health", web::get().to(health::health))
                .route("/openapi.json", web::get().to(health::openapi_json))
                .route("/openapi.yaml", web::get().to(health::openapi_yaml))
                .route(
                    "/public-articles/{slug}",
                    web::get().to(health::public_article),
                )
                .route("/articles", web::get().to(articles::list))
                .route("/articles", web::post().to(articles::create))
                .route("/articles/{slug}", web::get().to(articles::read))
                .route("/articles/{slug}", web::put().to(articles::update))
                .route("/articles/{slug}", web::patch().to(articles::update))
                .route("/articles/{slug}", web::delete().to(articles::delete))
                .route(
                    "/articles/{slug}/versions",
                    web::get().to(articles::list_versions),
                )
                .route(
                    "/articles/{slug}/versions/{version}",
                    web::get().to(articles::read_version),
                )
                .route(
                    "/articles/{slug}/versions/{version}/restore",
                    web::put().to(articles::restore_version),
                )
                .route(
                    "/articles/{slug}/versions/{version}/restore",
                    web::post().to(articles::restore_version),
                )
                .route(
                    "/articles/{slug}/public",
                    web::post().to(articles::set_public),
                )
                .route(
                    "/articles/{slug}/rename-slug",
                    web::post().to(articles::rename_slug),
                )
                .route("/search", web::get().to(search::search))
                .route("/rag/status", web::get().to(search::status))
                .route("/rag/reindex", web::post().to(search::reindex))
                .route(
                    "/queue/tasks/failed",
                    web::delete().to(search::delete_failed),
                )
                .route(
                    "/queue/tasks/failed/retry",
                    web::post().to(search::retry_failed),
                )
                .route("/queue/tasks/{id}", web::delete().to(search::delete_task))
                .route(
                    "/queue/tasks/{id}/retry",
                    web::post().to(search::retry_task),
                )
                .route("/folders", web::get().to(folders::list))
                .route("/folders/manage/{name:.*}", web::put().to(folders::rename))
                .route(
                    "/folders/manage/{name:.*}",
                    web::delete().to(folders::delete),
                )
                .route("/access-tokens", web::get().to(tokens::list))
                .route("/access-tokens", web::post().to(tokens::create))
                .route("/access-tokens/{id}", web::delete().to(tokens::revoke))
                .route("/auth/login", web::post().to(auth::login))
                .route("/auth/session", web::get().to(auth::session))
                .route("/auth/logout", web::post().to(auth::logout))
                .route("/security/events", web::get().to(security::events))
                .route(
                    "/security/events/stream",
                    web::get().to(security::event_stream),
                )
                .route(
                    "/security/rate-limits",
                    web::get().to(security::rate_limits),
                )
                .route("/security/sessions", web::get().to(security::sessions))
                .route(
                    "/security/sessions",
                    web::delete().to(security::revoke_sessions),
                )
                .route(
                    "/security/sessions/{id}",
                    web::delete().to(security::revoke_session),
                )
                .route("/settings/mcp", web::get().to(security::mcp_setting))
                .route("/settings/mcp", web::put().to(security::set_mcp_setting))
                .default_service(web::to(not_found)),
        );
}

async fn not_found(request: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no API route for {} {}",
        request.method(),
        request.path()
    )))
}

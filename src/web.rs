//! The browser UI: static files built from `web/` (embedded at compile time, or read from
//! `MDM_WEB_DIR` during development), with `index.html` served for every UI route.

use std::borrow::Cow;

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

use crate::startup::AppState;

#[derive(RustEmbed)]
#[folder = "web/dist/"]
#[allow_missing = true]
struct Assets;

/// Path prefixes that belong to the API, never to the UI.
const NON_UI_PREFIXES: &[&str] = &["api/", "mcp", "sse", "messages", ".well-known/", "metrics"];

pub fn configure(config: &mut web::ServiceConfig) {
    config.default_service(web::to(serve));
}

fn load(state: &AppState, path: &str) -> Option<Cow<'static, [u8]>> {
    if let Some(dir) = &state.config.web_dir {
        // Refuse anything that could leave the directory.
        if path
            .split('/')
            .any(|segment| segment == ".." || segment.contains('\\'))
        {
            return None;
        }
        return std::fs::read(dir.join(path)).ok().map(Cow::Owned);
    }
    Assets::get(path).map(|file| file.data)
}

async fn serve(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    let full = request.path();
    let relative = full
        .strip_prefix(state.config.base_path.as_str())
        .unwrap_or(full)
        .trim_start_matches('/');
    if NON_UI_PREFIXES
        .iter()
        .any(|prefix| relative.starts_with(prefix))
    {
        let error =
            crate::error::ApiError::NotFound(format!("no route for {} {full}", request.method()));
        return actix_web::ResponseError::error_response(&error);
    }
    if !matches!(
        *request.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    ) {
        return HttpResponse::MethodNotAllowed().finish();
    }

    if !relative.is_empty()
        && let Some(data) = load(&state, relative)
    {
        let mime = mime_guess::from_path(relative).first_or_octet_stream();
        let cache = if relative.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return HttpResponse::Ok()
            .content_type(mime.as_ref())
            .insert_header((header::CACHE_CONTROL, cache))
            .body(data.into_owned());
    }
    // A missing file with an extension is a 404, not the app shell.
    if relative
        .rsplit('/')
        .next()
        .is_some_and(|name| name.contains('.'))
    {
        return HttpResponse::NotFound()
            .content_type(ContentType::plaintext())
            .body("not found");
    }
    index(&state)
}

fn index(state: &AppState) -> HttpResponse {
    let Some(data) = load(state, "index.html") else {
        return HttpResponse::ServiceUnavailable()
            .content_type(ContentType::plaintext())
            .body("The web UI is not built. Run `npm ci && npm run build` in web/, then rebuild the binary.\n");
    };
    let html = String::from_utf8_lossy(&data);
    // The base element makes relative asset and API URLs work under any prefix and route depth.
    let base = format!("<head><base href=\"{}/\">", state.config.base_path);
    let html = html.replacen("<head>", &base, 1);
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(html)
}

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

#[actix_web::test]
async fn create_read_roundtrip() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let response = app
        .post_json(
            "/api/articles",
            &token,
            &json!({ "title": "Hello, World!", "content": "# Hi\n\nbody", "folder": "guides/rust" }),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["etag"], "\"v1\"");
    assert_eq!(response.headers()["location"], "/api/articles/hello-world");
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["filename"], "hello-world.md");
    assert_eq!(created["slug"], "hello-world");
    assert_eq!(created["folder"], "guides/rust");
    assert_eq!(created["version"], 1);
    assert_eq!(created["createdBy"], "writer");

    for path in ["/api/articles/hello-world", "/api/articles/hello-world.md"] {
        let response = app.get(path, &token).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["etag"], "\"v1\"");
        let read: Value = response.json().await.unwrap();
        assert_eq!(read["content"], "# Hi\n\nbody");
        assert_eq!(read["title"], "Hello, World!");
    }
}

#[actix_web::test]
async fn create_validation_errors() {
    let app = spawn_app_with(&[("MAX_CONTENT_LENGTH", "1000"), ("MAX_TITLE_LENGTH", "50")]).await;
    let token = app.write_token().await;
    let cases = [
        (
            json!({ "title": "  ", "content": "x" }),
            422,
            "invalid_title",
        ),
        (
            json!({ "title": "t".repeat(51), "content": "x" }),
            422,
            "title_too_long",
        ),
        (
            json!({ "title": "ok", "content": "x".repeat(1001) }),
            413,
            "content_too_long",
        ),
        (
            json!({ "title": "ok", "content": "nul \u{0} here" }),
            422,
            "invalid_content",
        ),
        (
            json!({ "title": "a\u{1b}b", "content": "x" }),
            422,
            "invalid_title",
        ),
        (
            json!({ "title": "ok", "content": "x", "folder": "a/../b" }),
            422,
            "invalid_folder",
        ),
        (
            json!({ "title": "ok", "content": "x", "folder": "/abs" }),
            422,
            "invalid_folder",
        ),
        (
            json!({ "title": "ok", "content": "x", "folder": "a//b" }),
            422,
            "invalid_folder",
        ),
        (
            json!({ "title": "ok", "content": "x", "folder": "1/2/3/4/5/6/7/8/9/10/11" }),
            422,
            "invalid_folder",
        ),
        (
            json!({ "title": "ok", "content": "x", "slug": "Bad Slug" }),
            422,
            "invalid_slug",
        ),
        (
            json!({ "title": "ok", "content": "x", "slug": "mcp" }),
            422,
            "invalid_slug",
        ),
        (json!({ "title": "ok", "content": 5 }), 400, "invalid_body"),
        (
            json!({ "title": "ok", "content": "x", "unknown": true }),
            400,
            "invalid_body",
        ),
        (json!({ "content": "x" }), 400, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let response = app.post_json("/api/articles", &token, &body).await;
        assert_eq!(response.status(), status, "{body}");
        let body_text = body.to_string();
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], code, "{body_text}: {error}");
        assert!(!error["error"]["message"].as_str().unwrap().is_empty());
    }
    let listed: Vec<Value> = app.get("/api/articles", &token).await.json().await.unwrap();
    assert!(listed.is_empty(), "a rejected request created an article");
}

#[actix_web::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let response = app
        .request(Method::POST, "/api/articles", Some(&token))
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "malformed_json");

    let wrong_type = app
        .request(Method::POST, "/api/articles", Some(&token))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 400);
    assert_eq!(error_code(wrong_type).await, "unsupported_content_type");
}

#[actix_web::test]
async fn duplicate_slug_is_409() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "Same Title", "one", "").await;
    let response = app
        .post_json(
            "/api/articles",
            &token,
            &json!({ "title": "Same title", "content": "two" }),
        )
        .await;
    assert_eq!(response.status(), 409);
    assert_eq!(error_code(response).await, "conflict");
    let read: Value = app
        .get("/api/articles/same-title", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        read["content"], "one",
        "the conflicting create changed the article"
    );
}

#[actix_web::test]
async fn missing_article_is_404() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    for (method, path) in [
        (Method::GET, "/api/articles/nope"),
        (Method::DELETE, "/api/articles/nope"),
        (Method::GET, "/api/articles/nope/versions"),
    ] {
        let response = app
            .request(method.clone(), path, Some(&token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
        assert_eq!(error_code(response).await, "not_found");
    }
    let response = app
        .put_json("/api/articles/nope", &token, &json!({ "content": "x" }))
        .await;
    assert_eq!(response.status(), 404);
    let invalid = app.get("/api/articles/NOT%20A%20SLUG", &token).await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(error_code(invalid).await, "invalid_slug");
}

#[actix_web::test]
async fn update_is_partial_and_keeps_the_slug() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "Original Title", "first body", "notes")
        .await;

    let response = app
        .put_json(
            "/api/articles/original-title",
            &token,
            &json!({ "title": "Renamed Title" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"v2\"");
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["slug"], "original-title");
    assert_eq!(updated["title"], "Renamed Title");
    assert_eq!(updated["content"], "first body");
    assert_eq!(updated["folder"], "notes");
    assert_eq!(updated["version"], 2);

    // A request that changes nothing writes no version.
    let same: Value = app
        .put_json(
            "/api/articles/original-title",
            &token,
            &json!({ "content": "first body" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(same["version"], 2);

    let moved: Value = app
        .put_json(
            "/api/articles/original-title",
            &token,
            &json!({ "folder": "" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["folder"], "");
    assert_eq!(moved["version"], 3);
}

#[actix_web::test]
async fn stale_if_match_is_412_and_writes_nothing() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "Shared", "v1 body", "").await;
    app.put_json(
        "/api/articles/shared",
        &token,
        &json!({ "content": "v2 body" }),
    )
    .await;

    let stale = app
        .request(Method::PUT, "/api/articles/shared", Some(&token))
        .header("If-Match", "\"v1\"")
        .json(&json!({ "content": "lost update" }))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let error: Value = stale.json().await.unwrap();
    assert_eq!(error["error"]["code"], "version_mismatch");
    assert_eq!(error["error"]["currentVersion"], 2);

    let body_stale = app
        .put_json(
            "/api/articles/shared",
            &token,
            &json!({ "content": "lost", "expectedVersion": 1 }),
        )
        .await;
    assert_eq!(body_stale.status(), 412);

    let read: Value = app
        .get("/api/articles/shared", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["content"], "v2 body");
    assert_eq!(read["version"], 2);

    let fresh = app
        .request(Method::PUT, "/api/articles/shared", Some(&token))
        .header("If-Match", "\"v2\"")
        .json(&json!({ "content": "v3 body" }))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);

    let stale_delete = app
        .request(Method::DELETE, "/api/articles/shared", Some(&token))
        .header("If-Match", "\"v2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale_delete.status(), 412);
    assert_eq!(app.get("/api/articles/shared", &token).await.status(), 200);

    let bad = app
        .request(Method::PUT, "/api/articles/shared", Some(&token))
        .header("If-Match", "yesterday")
        .json(&json!({ "content": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[actix_web::test]
async fn delete_removes_the_article() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "Doomed", "bye", "").await;
    let response = app.delete("/api/articles/doomed", &token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(app.get("/api/articles/doomed", &token).await.status(), 404);
    let versions: i64 = sqlx::query_scalar("select count(*) from article_versions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(versions, 0);
}

#[actix_web::test]
async fn list_paginates_with_total_and_link() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    for i in 0..5 {
        app.create_article(&token, &format!("Article {i}"), "x", "")
            .await;
    }
    let response = app.get("/api/articles?limit=2", &token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-total-count"], "5");
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    assert_eq!(link, "</api/articles?limit=2&offset=2>; rel=\"next\"");
    let first: Vec<Value> = response.json().await.unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0]["title"], "Article 4", "newest first");
    assert!(
        first[0].get("content").is_none(),
        "listings must not carry content"
    );

    let last = app.get("/api/articles?limit=2&offset=4", &token).await;
    assert!(last.headers().get("link").is_none());
    let last: Vec<Value> = last.json().await.unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(last[0]["title"], "Article 0");

    for bad in ["limit=0", "limit=1001", "offset=-1", "limit=abc"] {
        let response = app.get(&format!("/api/articles?{bad}"), &token).await;
        assert_eq!(response.status(), 400, "{bad}");
    }
}

#[actix_web::test]
async fn title_search_treats_wildcards_literally() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "100% done", "x", "").await;
    app.create_article(&token, "1000 things", "x", "").await;
    app.create_article(&token, "snake_case names", "x", "")
        .await;
    app.create_article(&token, "snakeXcase names", "x", "")
        .await;

    let percent: Vec<Value> = app
        .get("/api/articles?q=100%25", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(percent.len(), 1);
    assert_eq!(percent[0]["title"], "100% done");
    let underscore: Vec<Value> = app
        .get("/api/articles?q=e_c", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(underscore.len(), 1);
    assert_eq!(underscore[0]["title"], "snake_case names");
    let case: Vec<Value> = app
        .get("/api/articles?q=THINGS", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(case.len(), 1);
}

#[actix_web::test]
async fn folder_filter_semantics() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "Root Note", "x", "").await;
    app.create_article(&token, "Guide", "x", "guides").await;
    app.create_article(&token, "Rust Guide", "x", "guides/rust")
        .await;
    app.create_article(&token, "Other", "x", "guidesx").await;

    let titles = |items: Vec<Value>| {
        let mut titles: Vec<String> = items
            .iter()
            .map(|a| a["title"].as_str().unwrap().to_owned())
            .collect();
        titles.sort();
        titles
    };
    let all: Vec<Value> = app.get("/api/articles", &token).await.json().await.unwrap();
    assert_eq!(all.len(), 4);
    let root: Vec<Value> = app
        .get("/api/articles?folder=/", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(root), ["Root Note"]);
    let root_empty: Vec<Value> = app
        .get("/api/articles?folder=", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(root_empty), ["Root Note"]);
    let guides: Vec<Value> = app
        .get("/api/articles?folder=guides", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(guides), ["Guide", "Rust Guide"]);
    let rust: Vec<Value> = app
        .get("/api/articles?folder=Guides/Rust", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(rust), ["Rust Guide"]);
    let bad = app.get("/api/articles?folder=../etc", &token).await;
    assert_eq!(bad.status(), 422);
}

#[actix_web::test]
async fn public_articles_are_readable_without_auth() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "Shared Page", "public body", "private/folder")
        .await;

    let anonymous = |path: &str| app.request(Method::GET, path, None).send();
    assert_eq!(
        anonymous("/api/public-articles/shared-page")
            .await
            .unwrap()
            .status(),
        404
    );

    let response = app
        .post_json(
            "/api/articles/shared-page/public",
            &token,
            &json!({ "isPublic": true }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["isPublic"], true);

    let public = anonymous("/api/public-articles/shared-page").await.unwrap();
    assert_eq!(public.status(), 200);
    let body: Value = public.json().await.unwrap();
    assert_eq!(body["content"], "public body");
    assert!(
        body.get("modifiedBy").is_none(),
        "token names leak to the public"
    );
    assert!(body.get("folder").is_none(), "folders leak to the public");

    app.post_json(
        "/api/articles/shared-page/public",
        &token,
        &json!({ "isPublic": false }),
    )
    .await;
    assert_eq!(
        anonymous("/api/public-articles/shared-page")
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        anonymous("/api/public-articles/..%2F..")
            .await
            .unwrap()
            .status(),
        404
    );

    let bad = app
        .post_json(
            "/api/articles/shared-page/public",
            &token,
            &json!({ "isPublic": "yes" }),
        )
        .await;
    assert_eq!(bad.status(), 400);
}

#[actix_web::test]
async fn rename_slug_changes_only_the_slug() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "First", "a", "").await;
    app.create_article(&token, "Second", "b", "").await;

    let response = app
        .post_json(
            "/api/articles/first/rename-slug",
            &token,
            &json!({ "newSlug": "Better-Name" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["article"]["slug"], "better-name");
    assert_eq!(body["article"]["title"], "First");
    assert_eq!(app.get("/api/articles/first", &token).await.status(), 404);
    assert_eq!(
        app.get("/api/articles/better-name", &token).await.status(),
        200
    );

    let taken = app
        .post_json(
            "/api/articles/better-name/rename-slug",
            &token,
            &json!({ "newSlug": "second" }),
        )
        .await;
    assert_eq!(taken.status(), 409);
    let invalid = app
        .post_json(
            "/api/articles/better-name/rename-slug",
            &token,
            &json!({ "newSlug": "a b" }),
        )
        .await;
    assert_eq!(invalid.status(), 422);
}

#[actix_web::test]
async fn unknown_api_route_is_404_envelope() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let response = app.get("/api/nothing-here", &token).await;
    assert_eq!(response.status(), 404);
    assert_eq!(error_code(response).await, "not_found");
}

#[actix_web::test]
async fn huge_offset_does_not_overflow() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let response = app
        .get("/api/articles?offset=9223372036854775807&limit=1", &token)
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("link").is_none());
}

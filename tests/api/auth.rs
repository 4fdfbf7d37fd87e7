use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn missing_token_is_401_with_challenge() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, "/api/articles", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(error_code(response).await, "unauthorized");
}

#[actix_web::test]
async fn wrong_and_malformed_tokens_are_401() {
    let app = spawn_app().await;
    for token in [
        "nope",
        "sk-md-0000",
        &format!("sk-md-{}", "0".repeat(64)),
        &ADMIN_TOKEN[1..],
    ] {
        let response = app.get("/api/articles", token).await;
        assert_eq!(response.status(), 401, "token {token:?} was accepted");
    }
    let basic = app
        .request(Method::GET, "/api/articles", None)
        .header("Authorization", format!("Basic {ADMIN_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
}

#[actix_web::test]
async fn bearer_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, "/api/articles", None)
        .header("Authorization", format!("bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[actix_web::test]
async fn read_only_token_cannot_write() {
    let app = spawn_app().await;
    let (_, reader) = app.create_token("reader", "read-only").await;
    assert_eq!(app.get("/api/articles", &reader).await.status(), 200);
    let response = app
        .post_json(
            "/api/articles",
            &reader,
            &json!({ "title": "T", "content": "c" }),
        )
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(error_code(response).await, "forbidden");
    let listed: Vec<serde_json::Value> = app
        .get("/api/articles", &reader)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed.is_empty(),
        "the refused write must not create an article"
    );
}

#[actix_web::test]
async fn access_tokens_cannot_manage_tokens() {
    let app = spawn_app().await;
    let writer = app.write_token().await;
    let response = app.get("/api/access-tokens", &writer).await;
    assert_eq!(response.status(), 403);
    let response = app
        .post_json(
            "/api/access-tokens",
            &writer,
            &json!({ "name": "x", "scope": "write" }),
        )
        .await;
    assert_eq!(response.status(), 403);
}

#[actix_web::test]
async fn tokens_are_stored_hashed_and_shown_once() {
    let app = spawn_app().await;
    let (id, token) = app.create_token("agent", "write").await;
    assert!(token.starts_with("sk-md-") && token.len() == 70);
    let stored: Vec<u8> = sqlx::query_scalar("select token_hash from access_tokens where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32);
    let dump: String = sqlx::query_scalar("select row_to_json(t)::text from access_tokens t")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        !dump.contains(&token[6..]),
        "the token is stored in plain text"
    );

    let listed: Vec<serde_json::Value> = app
        .get("/api/access-tokens", ADMIN_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "agent");
    assert_eq!(listed[0]["scope"], "write");
    assert!(
        !listed[0].to_string().contains(&token[12..]),
        "the list shows the token"
    );
}

#[actix_web::test]
async fn revoked_token_is_refused_immediately() {
    let app = spawn_app().await;
    let (id, token) = app.create_token("temp", "write").await;
    assert_eq!(app.get("/api/articles", &token).await.status(), 200);
    let response = app
        .delete(&format!("/api/access-tokens/{id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.get("/api/articles", &token).await.status(), 401);
    let listed: Vec<serde_json::Value> = app
        .get("/api/access-tokens", ADMIN_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["status"], "revoked");
}

#[actix_web::test]
async fn expired_token_is_refused() {
    let app = spawn_app().await;
    let (id, token) = app.create_token("short-lived", "write").await;
    sqlx::query("update access_tokens set expires_at = now() - interval '1 second' where id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.get("/api/articles", &token).await.status(), 401);
}

#[actix_web::test]
async fn token_creation_validates_input() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({ "name": " ", "scope": "write" }),
            422,
            "invalid_name",
        ),
        (
            json!({ "name": "x", "scope": "admin" }),
            400,
            "invalid_scope",
        ),
        (
            json!({ "name": "x".repeat(101), "scope": "write" }),
            422,
            "invalid_name",
        ),
        (
            json!({ "name": "x", "scope": "write", "expiresAt": "2000-01-01T00:00:00Z" }),
            400,
            "invalid_expiry",
        ),
    ];
    for (body, status, code) in cases {
        let response = app
            .post_json("/api/access-tokens", ADMIN_TOKEN, &body)
            .await;
        assert_eq!(response.status(), status, "{body}");
        assert_eq!(error_code(response).await, code, "{body}");
    }
    let unknown = app.delete("/api/access-tokens/999", ADMIN_TOKEN).await;
    assert_eq!(unknown.status(), 404);
    let bad_id = app.delete("/api/access-tokens/abc", ADMIN_TOKEN).await;
    assert_eq!(bad_id.status(), 400);
}

#[actix_web::test]
async fn last_used_is_recorded_in_batches() {
    let app = spawn_app().await;
    let (id, token) = app.create_token("agent", "read-only").await;
    for _ in 0..5 {
        assert_eq!(app.get("/api/articles", &token).await.status(), 200);
    }
    let immediately: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select last_used_at from access_tokens where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(
        immediately.is_none(),
        "last_used_at was written per request"
    );

    // The batch is flushed on a timer (15 s); wait for it rather than for every request.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let recorded: Option<chrono::DateTime<chrono::Utc>> =
            sqlx::query_scalar("select last_used_at from access_tokens where id = $1")
                .bind(id)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        if recorded.is_some() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "last_used_at was never recorded"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

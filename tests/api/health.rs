use crate::helpers::*;

#[actix_web::test]
async fn health_is_public_and_reveals_nothing() {
    let app = spawn_app().await;
    let response = app
        .request(reqwest::Method::GET, "/health", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert!(body.get("database").is_none());
}

#[actix_web::test]
async fn ready_checks_the_database() {
    let app = spawn_app().await;
    let response = app
        .request(reqwest::Method::GET, "/ready", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"]["healthy"], true);
}

#[actix_web::test]
async fn security_headers_are_set() {
    let app = spawn_app().await;
    let response = app
        .request(reqwest::Method::GET, "/health", None)
        .send()
        .await
        .unwrap();
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert!(headers.contains_key("x-request-id"));
}

#[actix_web::test]
async fn internal_errors_do_not_leak_details() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    // Break the schema under the running app so the next query fails inside PostgreSQL.
    sqlx::query("alter table articles rename column content to body")
        .execute(&app.pool)
        .await
        .unwrap();
    let response = app.get("/api/articles/anything", &token).await;
    assert_eq!(response.status(), 500);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "internal_error");
    assert_eq!(body["error"]["requestId"], request_id.as_str());
    let text = body.to_string();
    assert!(
        !text.contains("column"),
        "database error text leaked: {text}"
    );
    assert!(
        !text.contains("content"),
        "database error text leaked: {text}"
    );
}

#[actix_web::test]
async fn openapi_document_is_served() {
    let app = spawn_app().await;
    let response = app
        .request(reqwest::Method::GET, "/api/openapi.json", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(document["servers"][0]["url"], app.address.as_str());
    assert!(document["paths"]["/api/articles"].is_object());
}

use serde_json::{Value, json};

use crate::helpers::*;

#[actix_web::test]
async fn every_change_is_a_version_and_restore_adds_one() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "Doc", "one", "").await;
    app.put_json(
        "/api/articles/doc",
        &token,
        &json!({ "content": "two", "message": "second draft" }),
    )
    .await;
    app.put_json("/api/articles/doc", &token, &json!({ "content": "three" }))
        .await;

    let versions: Vec<Value> = app
        .get("/api/articles/doc/versions", &token)
        .await
        .json()
        .await
        .unwrap();
    let numbers: Vec<i64> = versions
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 2, 1]);
    assert_eq!(versions[1]["versionId"], "v2");
    assert_eq!(versions[1]["message"], "second draft");
    assert_eq!(versions[2]["message"], "Initial version");
    assert_eq!(versions[0]["size"], 5);
    assert_eq!(versions[0]["createdBy"], "writer");

    for id in ["1", "v1"] {
        let old: Value = app
            .get(&format!("/api/articles/doc/versions/{id}"), &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(old["content"], "one", "{id}");
    }

    let response = app
        .request(
            reqwest::Method::PUT,
            "/api/articles/doc/versions/v1/restore",
            Some(&token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let restored: Value = response.json().await.unwrap();
    assert_eq!(restored["content"], "one");
    assert_eq!(restored["version"], 4);

    let versions: Vec<Value> = app
        .get("/api/articles/doc/versions", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions.len(), 4);
    assert_eq!(versions[0]["message"], "Restored version 1");
}

#[actix_web::test]
async fn version_errors() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "Doc", "one", "").await;
    let missing = app.get("/api/articles/doc/versions/9", &token).await;
    assert_eq!(missing.status(), 404);
    let invalid = app.get("/api/articles/doc/versions/latest", &token).await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(error_code(invalid).await, "invalid_version");

    let stale = app
        .post_json(
            "/api/articles/doc/versions/1/restore",
            &token,
            &json!({ "expectedVersion": 7 }),
        )
        .await;
    assert_eq!(stale.status(), 412);
    let malformed = app
        .request(
            reqwest::Method::PUT,
            "/api/articles/doc/versions/1/restore",
            Some(&token),
        )
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
}

#[actix_web::test]
async fn concurrent_updates_get_distinct_versions() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "Busy", "0", "").await;
    let updates = (1..=10).map(|i| {
        let app = &app;
        let token = token.clone();
        async move {
            app.put_json(
                "/api/articles/busy",
                &token,
                &json!({ "content": format!("edit {i}") }),
            )
            .await
            .status()
        }
    });
    let statuses = futures::future::join_all(updates).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let versions: Vec<Value> = app
        .get("/api/articles/busy/versions", &token)
        .await
        .json()
        .await
        .unwrap();
    let mut numbers: Vec<i64> = versions
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=11).collect::<Vec<i64>>());
}

use serde_json::{Value, json};

use crate::helpers::*;

#[actix_web::test]
async fn folders_include_parents() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "A", "x", "guides/rust/async")
        .await;
    app.create_article(&token, "B", "x", "notes").await;
    app.create_article(&token, "C", "x", "").await;
    let folders: Vec<String> = app.get("/api/folders", &token).await.json().await.unwrap();
    assert_eq!(
        folders,
        ["guides", "guides/rust", "guides/rust/async", "notes"]
    );
}

#[actix_web::test]
async fn rename_moves_subfolders() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "A", "x", "old").await;
    app.create_article(&token, "B", "x", "old/sub").await;
    app.create_article(&token, "C", "x", "older").await;

    let response = app
        .put_json(
            "/api/folders/manage/old",
            &token,
            &json!({ "newName": "new/place" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["updatedCount"], 2);
    let folders: Vec<String> = app.get("/api/folders", &token).await.json().await.unwrap();
    assert_eq!(folders, ["new", "new/place", "new/place/sub", "older"]);

    let missing = app
        .put_json(
            "/api/folders/manage/ghost",
            &token,
            &json!({ "newName": "x" }),
        )
        .await;
    assert_eq!(missing.status(), 404);
    let invalid = app
        .put_json(
            "/api/folders/manage/older",
            &token,
            &json!({ "newName": "../x" }),
        )
        .await;
    assert_eq!(invalid.status(), 422);
}

#[actix_web::test]
async fn rename_respects_max_depth() {
    let app = spawn_app_with(&[("MAX_FOLDER_DEPTH", "3")]).await;
    let token = app.write_token().await;
    app.create_article(&token, "A", "x", "a/b/c").await;
    let response = app
        .put_json(
            "/api/folders/manage/a",
            &token,
            &json!({ "newName": "x/y" }),
        )
        .await;
    assert_eq!(response.status(), 400);
    let article: Value = app
        .get("/api/articles/a", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        article["folder"], "a/b/c",
        "a refused rename moved the article"
    );
}

#[actix_web::test]
async fn delete_moves_contents_up_one_level() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "A", "x", "top/mid").await;
    app.create_article(&token, "B", "x", "top/mid/leaf").await;
    app.create_article(&token, "C", "x", "solo").await;

    let response = app.delete("/api/folders/manage/top/mid", &token).await;
    assert_eq!(response.status(), 200);
    let a: Value = app
        .get("/api/articles/a", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["folder"], "top");
    let b: Value = app
        .get("/api/articles/b", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["folder"], "top/leaf");

    app.delete("/api/folders/manage/solo", &token).await;
    let c: Value = app
        .get("/api/articles/c", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["folder"], "");

    let count: Vec<Value> = app.get("/api/articles", &token).await.json().await.unwrap();
    assert_eq!(count.len(), 3, "deleting a folder must not delete articles");
    assert_eq!(
        app.delete("/api/folders/manage/ghost", &token)
            .await
            .status(),
        404
    );
}

#[actix_web::test]
async fn rename_to_root_moves_contents_up() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "A", "x", "a").await;
    app.create_article(&token, "B", "x", "a/b").await;
    let response = app
        .put_json("/api/folders/manage/a", &token, &json!({ "newName": "" }))
        .await;
    assert_eq!(response.status(), 200);
    let folders: Vec<String> = app.get("/api/folders", &token).await.json().await.unwrap();
    assert_eq!(folders, ["b"]);
    let a: Value = app
        .get("/api/articles/a", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["folder"], "");
    let b: Value = app
        .get("/api/articles/b", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["folder"], "b");
}

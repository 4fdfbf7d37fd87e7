//! Search, the embedding queue and the RAG endpoints against the real database.
//!
//! Most tests embed with a fake OpenAI-compatible server on 127.0.0.1 that returns
//! bag-of-words vectors and counts the texts it embedded, so they run fast and can switch the
//! provider off. One test uses the real local model and skips when its files are absent.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use crate::helpers::*;

/// Dimensions of the fake provider's vectors.
const FAKE_DIMENSIONS: usize = 16;
/// Maximum wait for the embedding queue in a test.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(120);

/// A fake `POST /v1/embeddings` endpoint.
struct FakeProvider {
    base_url: String,
    /// Texts embedded so far.
    embedded: Arc<AtomicUsize>,
    /// While set, every request gets a 500 response.
    failing: Arc<AtomicBool>,
}

/// Hashes each lowercase word into one of 15 buckets, plus a constant last component, so
/// texts that share words get similar vectors and no vector is zero.
fn bag_of_words(text: &str) -> Vec<f32> {
    let mut vector = vec![0.0f32; FAKE_DIMENSIONS];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        let hash = word.to_lowercase().bytes().fold(2166136261u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(16777619)
        });
        vector[hash as usize % (FAKE_DIMENSIONS - 1)] += 1.0;
    }
    vector[FAKE_DIMENSIONS - 1] = 0.1;
    vector
}

async fn fake_provider() -> FakeProvider {
    let embedded = Arc::new(AtomicUsize::new(0));
    let failing = Arc::new(AtomicBool::new(false));
    let listener = TcpListener::bind("127.0.0.1:0").expect("failed to bind the fake provider");
    let port = listener.local_addr().unwrap().port();
    let (counter, switch) = (embedded.clone(), failing.clone());

    let server = HttpServer::new(move || {
        let (counter, switch) = (counter.clone(), switch.clone());
        App::new().route(
            "/v1/embeddings",
            web::post().to(move |body: web::Json<Value>| {
                let (counter, switch) = (counter.clone(), switch.clone());
                async move {
                    if switch.load(Ordering::SeqCst) {
                        return HttpResponse::InternalServerError().body("fake outage");
                    }
                    let inputs: Vec<String> = body["input"]
                        .as_array()
                        .map(|items| {
                            items
                                .iter()
                                .map(|item| item.as_str().unwrap_or_default().to_owned())
                                .collect()
                        })
                        .unwrap_or_default();
                    counter.fetch_add(inputs.len(), Ordering::SeqCst);
                    // Reversed, so the client must sort by `index`.
                    let data: Vec<Value> = inputs
                        .iter()
                        .enumerate()
                        .rev()
                        .map(|(index, text)| json!({ "index": index, "embedding": bag_of_words(text) }))
                        .collect();
                    HttpResponse::Ok().json(json!({ "object": "list", "data": data }))
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .expect("failed to start the fake provider")
    .run();
    actix_web::rt::spawn(server);

    FakeProvider {
        base_url: format!("http://127.0.0.1:{port}/v1"),
        embedded,
        failing,
    }
}

/// Settings for an app that embeds with `provider`; `model` names the embedding model.
fn fake_settings(provider: &FakeProvider, model: &str) -> Vec<(String, String)> {
    [
        ("SEMANTIC_SEARCH_ENABLED", "true"),
        ("EMBEDDING_PROVIDER", "openai"),
        ("OPENAI_BASE_URL", provider.base_url.as_str()),
        ("EMBEDDING_MODEL", model),
        // No tokenizer.json here, so chunk sizes are counted in words.
        ("EMBEDDING_MODEL_DIR", "/nonexistent"),
        ("CHUNK_SIZE", "50"),
        ("CHUNK_OVERLAP", "10"),
        ("EMBEDDING_QUEUE_WORKER_INTERVAL", "50"),
        ("EMBEDDING_QUEUE_RETRY_BACKOFF_BASE", "50"),
        ("EMBEDDING_QUEUE_MAX_RETRIES", "2"),
        ("EMBEDDING_TIMEOUT_MS", "5000"),
    ]
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .to_vec()
}

async fn spawn_with(settings: &[(String, String)]) -> TestApp {
    let pairs: Vec<(&str, &str)> = settings
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    spawn_app_with(&pairs).await
}

/// Waits until no embedding task is pending or processing.
async fn wait_for_idle_queue(app: &TestApp) {
    let started = std::time::Instant::now();
    loop {
        let busy: i64 = sqlx::query_scalar(
            "select count(*) from embedding_tasks where status in ('pending', 'processing')",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if busy == 0 {
            return;
        }
        assert!(
            started.elapsed() < QUEUE_TIMEOUT,
            "{busy} embedding tasks still busy"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn chunk_count(app: &TestApp, slug: &str) -> i64 {
    sqlx::query_scalar(
        "select count(*) from chunks c join articles a on a.id = c.article_id where a.slug = $1",
    )
    .bind(slug)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn search(app: &TestApp, token: &str, params: &str) -> (u16, Value) {
    let response = app.get(&format!("/api/search?{params}"), token).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn slugs(results: &Value) -> Vec<String> {
    results
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, got {results}"))
        .iter()
        .map(|hit| hit["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app.post_json("/api/articles", token, &body).await;
    assert_eq!(response.status(), 201, "article creation failed");
    response.json().await.unwrap()
}

#[actix_web::test]
async fn fulltext_works_without_embeddings() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(
        &token,
        "Gardening basics",
        "Water tomatoes every morning.",
        "",
    )
    .await;
    app.create_article(&token, "Kitchen notes", "Tomatoes and gardening tips.", "")
        .await;
    app.create_article(&token, "Unrelated", "Nothing to see here.", "")
        .await;

    let (status, results) = search(&app, &token, "query=gardening&mode=fulltext").await;
    assert_eq!(status, 200);
    assert_eq!(slugs(&results), ["gardening-basics", "kitchen-notes"]);
    let top = &results[0];
    assert_eq!(top["filename"], "gardening-basics.md");
    assert_eq!(top["title"], "Gardening basics");
    assert_eq!(top["folder"], "");
    assert_eq!(top["headingPath"], json!([]));
    assert_eq!(top["chunkIndex"], Value::Null);
    assert!(top["snippet"].as_str().unwrap().contains("tomatoes"));
    assert!(top["score"].as_f64().unwrap() > results[1]["score"].as_f64().unwrap());

    // Hybrid is the default. Without embeddings it ranks by full text and reports that.
    let response = app.get("/api/search?query=tomatoes", &token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-search-mode"], "fulltext");
    assert!(response.headers().contains_key("x-search-notice"));
    let results: Value = response.json().await.unwrap();
    assert_eq!(results.as_array().unwrap().len(), 2);

    let response = app
        .get("/api/search?query=tomatoes&mode=semantic", &token)
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "semantic_search_disabled");
}

#[actix_web::test]
async fn fulltext_ranks_more_matching_words_first() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(
        &token,
        "Backup guide",
        "How to restore a database backup.",
        "",
    )
    .await;
    app.create_article(
        &token,
        "Tuning guide",
        "Database indexes and vacuum settings.",
        "",
    )
    .await;
    // Stop words drop out and the rest are joined with OR, so both articles match.
    let (_, results) = search(
        &app,
        &token,
        "query=how%20do%20I%20restore%20the%20database&mode=fulltext",
    )
    .await;
    assert_eq!(slugs(&results), ["backup-guide", "tuning-guide"]);
    assert!(results[0]["score"].as_f64().unwrap() > results[1]["score"].as_f64().unwrap());

    // A `-term` keeps the strict meaning: no relaxed matches.
    let (_, results) = search(&app, &token, "query=database%20-vacuum&mode=fulltext").await;
    assert_eq!(slugs(&results), ["backup-guide"]);
}

#[actix_web::test]
async fn search_parameters_are_validated() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let cases = [
        ("query=x&k=0", 422, "invalid_k"),
        ("query=x&k=101", 422, "invalid_k"),
        ("query=x&k=abc", 400, "invalid_k"),
        ("query=x&mode=vector", 422, "invalid_mode"),
        ("query=", 422, "invalid_query"),
        ("k=5", 422, "invalid_query"),
        ("query=x&folder=a/../b", 422, "invalid_folder"),
    ];
    for (params, status, code) in cases {
        let response = app.get(&format!("/api/search?{params}"), &token).await;
        assert_eq!(response.status().as_u16(), status, "{params}");
        assert_eq!(error_code(response).await, code, "{params}");
    }
    let (status, _) = search(&app, &token, "query=x&k=100").await;
    assert_eq!(status, 200);
    let response = app
        .request(reqwest::Method::GET, "/api/search?query=x", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[actix_web::test]
async fn every_mode_ranks_and_filters_by_folder() {
    let provider = fake_provider().await;
    let app = spawn_with(&fake_settings(&provider, "fake-bow")).await;
    let token = app.write_token().await;
    create(
        &app,
        &token,
        json!({ "title": "Ownership", "folder": "guides/rust",
                "content": "# Borrowing\n\nRust ownership and borrowing rules.\n\n# Lifetimes\n\nLifetimes annotate references." }),
    )
    .await;
    create(
        &app,
        &token,
        json!({ "title": "Sourdough", "folder": "guides",
                "content": "Feed the starter flour and water, then bake bread." }),
    )
    .await;
    create(
        &app,
        &token,
        json!({ "title": "Root note", "content": "Rust ownership in one line." }),
    )
    .await;
    wait_for_idle_queue(&app).await;
    assert_eq!(chunk_count(&app, "ownership").await, 2);

    for mode in ["fulltext", "semantic", "hybrid"] {
        let (status, results) = search(
            &app,
            &token,
            &format!("query=rust%20ownership%20borrowing&mode={mode}"),
        )
        .await;
        assert_eq!(status, 200, "{mode}: {results}");
        let found = slugs(&results);
        assert_eq!(found[0], "ownership", "{mode}: {results}");
        assert!(found.contains(&"root-note".to_owned()), "{mode}: {results}");
        assert_eq!(results[0]["headingPath"], json!(["Borrowing"]), "{mode}");
        assert_eq!(results[0]["chunkIndex"], 0, "{mode}");
        assert!(
            results[0]["snippet"]
                .as_str()
                .unwrap()
                .contains("ownership")
        );

        let (_, subtree) = search(
            &app,
            &token,
            &format!("query=rust%20ownership%20bread&mode={mode}&folder=guides"),
        )
        .await;
        let mut found = slugs(&subtree);
        found.sort();
        assert_eq!(found, ["ownership", "sourdough"], "{mode}: {subtree}");

        let (_, root) = search(
            &app,
            &token,
            &format!("query=rust%20ownership&mode={mode}&folder=/"),
        )
        .await;
        assert_eq!(slugs(&root), ["root-note"], "{mode}: {root}");

        let (_, one) = search(
            &app,
            &token,
            &format!("query=rust%20ownership&mode={mode}&k=1"),
        )
        .await;
        assert_eq!(one.as_array().unwrap().len(), 1, "{mode}");
    }

    let response = app
        .get(
            "/api/search?query=lifetimes%20references&mode=semantic",
            &token,
        )
        .await;
    assert_eq!(response.headers()["x-search-mode"], "semantic");
    let results: Value = response.json().await.unwrap();
    assert_eq!(results[0]["headingPath"], json!(["Lifetimes"]));
    assert_eq!(results[0]["chunkIndex"], 1);
}

#[actix_web::test]
async fn no_rag_articles_are_never_embedded_or_found() {
    let provider = fake_provider().await;
    let app = spawn_with(&fake_settings(&provider, "fake-bow")).await;
    let token = app.write_token().await;
    create(
        &app,
        &token,
        json!({ "title": "Secret plans", "content": "Quarterly secret roadmap.", "noRag": true }),
    )
    .await;
    create(
        &app,
        &token,
        json!({ "title": "Public roadmap", "content": "Quarterly roadmap for everyone." }),
    )
    .await;
    wait_for_idle_queue(&app).await;
    assert_eq!(chunk_count(&app, "secret-plans").await, 0);
    assert_eq!(chunk_count(&app, "public-roadmap").await, 1);
    for mode in ["fulltext", "semantic", "hybrid"] {
        let (_, results) = search(
            &app,
            &token,
            &format!("query=quarterly%20roadmap&mode={mode}"),
        )
        .await;
        assert_eq!(slugs(&results), ["public-roadmap"], "{mode}");
    }

    // Turning no-RAG on removes the chunks in the same write.
    let response = app
        .request(
            reqwest::Method::PATCH,
            "/api/articles/public-roadmap",
            Some(&token),
        )
        .json(&json!({ "noRag": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(chunk_count(&app, "public-roadmap").await, 0);

    // Neither a content change, a restore nor a reindex embeds a no-RAG article.
    let response = app
        .request(
            reqwest::Method::PATCH,
            "/api/articles/secret-plans",
            Some(&token),
        )
        .json(&json!({ "content": "Changed secret roadmap." }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = app
        .request(
            reqwest::Method::POST,
            "/api/articles/secret-plans/versions/1/restore",
            Some(&token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = app.post_json("/api/rag/reindex", &token, &json!({})).await;
    assert_eq!(response.status(), 202);
    let started: Value = response.json().await.unwrap();
    assert_eq!(started["queued"], 0);
    wait_for_idle_queue(&app).await;
    assert_eq!(chunk_count(&app, "secret-plans").await, 0);
    assert_eq!(chunk_count(&app, "public-roadmap").await, 0);
    let tasks: i64 = sqlx::query_scalar("select count(*) from embedding_tasks")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        tasks, 1,
        "only the first write of public-roadmap was queued"
    );

    // Turning it off again queues the article.
    let response = app
        .request(
            reqwest::Method::PATCH,
            "/api/articles/public-roadmap",
            Some(&token),
        )
        .json(&json!({ "noRag": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    wait_for_idle_queue(&app).await;
    assert_eq!(chunk_count(&app, "public-roadmap").await, 1);

    let status: Value = app
        .get("/api/rag/status", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["articles"]["total"], 2);
    assert_eq!(status["articles"]["noRag"], 1);
    assert_eq!(status["articles"]["indexed"], 1);
    assert_eq!(status["articles"]["unindexed"], 0);
}

#[actix_web::test]
async fn unchanged_chunks_keep_their_vectors() {
    let provider = fake_provider().await;
    let app = spawn_with(&fake_settings(&provider, "fake-bow")).await;
    let token = app.write_token().await;
    create(
        &app,
        &token,
        json!({ "title": "Handbook", "content": "# One\n\nfirst part\n\n# Two\n\nsecond part\n\n# Three\n\nthird part" }),
    )
    .await;
    wait_for_idle_queue(&app).await;
    assert_eq!(provider.embedded.load(Ordering::SeqCst), 3);

    let update = |body: Value| {
        app.request(
            reqwest::Method::PATCH,
            "/api/articles/handbook",
            Some(&token),
        )
        .json(&body)
        .send()
    };
    let response = update(json!({ "content": "# One\n\nfirst part\n\n# Two\n\nsecond part\n\n# Three\n\nthird part, edited" }))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    wait_for_idle_queue(&app).await;
    assert_eq!(
        provider.embedded.load(Ordering::SeqCst),
        4,
        "only the edited chunk"
    );
    assert_eq!(chunk_count(&app, "handbook").await, 3);

    // The title is part of every chunk's embedded text.
    let response = update(json!({ "title": "Staff handbook" })).await.unwrap();
    assert_eq!(response.status(), 200);
    wait_for_idle_queue(&app).await;
    assert_eq!(provider.embedded.load(Ordering::SeqCst), 7);

    // A reindex embeds everything again and reports its progress.
    let response = app.post_json("/api/rag/reindex", &token, &json!({})).await;
    assert_eq!(response.status(), 202);
    let started: Value = response.json().await.unwrap();
    assert_eq!(started["queued"], 1);
    wait_for_idle_queue(&app).await;
    assert_eq!(provider.embedded.load(Ordering::SeqCst), 10);
    let status: Value = app
        .get("/api/rag/status", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["reindex"]["batchId"], started["batchId"]);
    assert_eq!(status["reindex"]["total"], 1);
    assert_eq!(status["reindex"]["tasks"]["completed"], 1);
    assert_eq!(status["chunks"], 3);
    assert_eq!(status["provider"], "openai");
    assert_eq!(status["model"], "fake-bow");

    // Deleting the article deletes its chunks and tasks.
    let response = app.delete("/api/articles/handbook", &token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(chunk_count(&app, "handbook").await, 0);
    let tasks: i64 = sqlx::query_scalar("select count(*) from embedding_tasks")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(tasks, 0);
}

#[actix_web::test]
async fn unreachable_provider_leaves_tasks_failed_with_the_error() {
    // A port that was just free: connections to it are refused.
    let closed_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ollama = format!("http://127.0.0.1:{closed_port}");
    let app = spawn_app_with(&[
        ("SEMANTIC_SEARCH_ENABLED", "true"),
        ("EMBEDDING_PROVIDER", "ollama"),
        ("OLLAMA_BASE_URL", &ollama),
        ("EMBEDDING_MODEL_DIR", "/nonexistent"),
        ("EMBEDDING_QUEUE_WORKER_INTERVAL", "50"),
        ("EMBEDDING_QUEUE_RETRY_BACKOFF_BASE", "50"),
        ("EMBEDDING_QUEUE_MAX_RETRIES", "2"),
    ])
    .await;
    let token = app.write_token().await;
    let (_, reader) = app.create_token("reader", "read-only").await;
    app.create_article(
        &token,
        "Offline note",
        "Written while the provider is down.",
        "",
    )
    .await;

    // Pending with the error while attempts remain, then failed; never completed.
    let started = std::time::Instant::now();
    let task = loop {
        let row: (String, i32, Option<String>) =
            sqlx::query_as("select status, attempts, last_error from embedding_tasks")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert_ne!(row.0, "completed", "a task completed without vectors");
        if row.0 == "failed" {
            break row;
        }
        assert!(started.elapsed() < QUEUE_TIMEOUT, "task still {row:?}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(task.1, 2);
    let error = task.2.expect("the failed task records its error");
    assert!(error.contains("connection failed"), "{error}");
    assert!(error.contains(&ollama), "{error}");
    assert_eq!(chunk_count(&app, "offline-note").await, 0);

    let status: Value = app
        .get("/api/rag/status", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["enabled"], true);
    assert_eq!(status["queue"]["failed"], 1);
    assert_eq!(status["articles"]["unindexed"], 1);
    assert_eq!(status["unindexedSlugs"], json!(["offline-note"]));
    let errors = status["recentErrors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["slug"], "offline-note");
    assert_eq!(errors[0]["status"], "failed");
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap()
            .contains("connection failed")
    );
    let read_only: Value = app
        .get("/api/rag/status", &reader)
        .await
        .json()
        .await
        .unwrap();
    assert!(read_only.get("recentErrors").is_none(), "{read_only}");

    // Searches: semantic fails cleanly, hybrid falls back to full text.
    let response = app
        .get("/api/search?query=provider&mode=semantic", &token)
        .await;
    assert_eq!(response.status(), 503);
    assert_eq!(error_code(response).await, "embedding_provider_unavailable");
    let response = app.get("/api/search?query=provider", &token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-search-mode"], "fulltext");
    let results: Value = response.json().await.unwrap();
    assert_eq!(slugs(&results), ["offline-note"]);

    // Retry queues it again with fresh attempts; delete removes it.
    let task_id = errors[0]["taskId"].as_i64().unwrap();
    let response = app
        .request(
            reqwest::Method::POST,
            "/api/queue/tasks/failed/retry",
            Some(&reader),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = app
        .request(
            reqwest::Method::POST,
            &format!("/api/queue/tasks/{task_id}/retry"),
            Some(&token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, attempts): (String, i32) =
        sqlx::query_as("select status, attempts from embedding_tasks")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(status == "pending" || status == "processing", "{status}");
    assert!(attempts <= 1);
    let started = std::time::Instant::now();
    loop {
        let status: String = sqlx::query_scalar("select status from embedding_tasks")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if status == "failed" {
            break;
        }
        assert_ne!(status, "completed");
        assert!(started.elapsed() < QUEUE_TIMEOUT);
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let response = app.delete("/api/queue/tasks/failed", &token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["deleted"], 1);
    let response = app
        .request(
            reqwest::Method::POST,
            &format!("/api/queue/tasks/{task_id}/retry"),
            Some(&token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[actix_web::test]
async fn provider_outage_recovers_on_retry() {
    let provider = fake_provider().await;
    provider.failing.store(true, Ordering::SeqCst);
    let mut settings = fake_settings(&provider, "fake-bow");
    settings.push(("EMBEDDING_QUEUE_MAX_RETRIES".to_owned(), "20".to_owned()));
    let app = spawn_with(&settings).await;
    let token = app.write_token().await;
    app.create_article(&token, "Flaky", "Embedded after the outage.", "")
        .await;

    let started = std::time::Instant::now();
    loop {
        let row: (String, Option<String>) =
            sqlx::query_as("select status, last_error from embedding_tasks")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert_ne!(row.0, "completed");
        if row.0 == "pending" && row.1.is_some() {
            assert!(row.1.unwrap().contains("500"));
            break;
        }
        assert!(started.elapsed() < QUEUE_TIMEOUT);
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    provider.failing.store(false, Ordering::SeqCst);
    wait_for_idle_queue(&app).await;
    let row: (String, Option<String>, Option<i32>) =
        sqlx::query_as("select status, last_error, chunk_count from embedding_tasks")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(row, ("completed".to_owned(), None, Some(1)));
}

#[actix_web::test]
async fn model_change_reembeds_every_article() {
    let provider = fake_provider().await;
    let app = spawn_with(&fake_settings(&provider, "fake-a")).await;
    let token = app.write_token().await;
    app.create_article(&token, "First", "alpha beta", "").await;
    app.create_article(&token, "Second", "gamma delta", "")
        .await;
    wait_for_idle_queue(&app).await;
    assert_eq!(provider.embedded.load(Ordering::SeqCst), 2);

    // A restart with another model name queues every article again and replaces its chunks.
    // The first app's worker would embed those tasks with the old model, so it stops first.
    app.state.search.stop_worker();
    let settings = fake_settings(&provider, "fake-b");
    let pairs: Vec<(&str, &str)> = settings
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let restarted = start_app(&app.database_url, &pairs).await;
    // The restarted worker queues the articles shortly after it starts.
    let started = std::time::Instant::now();
    loop {
        let indexed: i64 = sqlx::query_scalar(
            "select count(distinct c.article_id) from chunks c
             join embedding_spaces s on s.id = c.space_id where s.model = 'fake-b'",
        )
        .fetch_one(&restarted.pool)
        .await
        .unwrap();
        if indexed == 2 {
            break;
        }
        assert!(
            started.elapsed() < QUEUE_TIMEOUT,
            "{indexed} articles re-embedded"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    wait_for_idle_queue(&restarted).await;
    assert_eq!(provider.embedded.load(Ordering::SeqCst), 4);
    let models: Vec<String> = sqlx::query_scalar(
        "select distinct s.model from chunks c join embedding_spaces s on s.id = c.space_id",
    )
    .fetch_all(&restarted.pool)
    .await
    .unwrap();
    assert_eq!(models, ["fake-b"]);
    let status: Value = restarted
        .get("/api/rag/status", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["model"], "fake-b");
    assert_eq!(status["articles"]["indexed"], 2);
    let (_, results) = search(&restarted, &token, "query=gamma%20delta&mode=semantic").await;
    assert_eq!(slugs(&results)[0], "second");
}

#[actix_web::test]
async fn rag_endpoints_check_scope() {
    let provider = fake_provider().await;
    let app = spawn_with(&fake_settings(&provider, "fake-bow")).await;
    let (_, reader) = app.create_token("reader", "read-only").await;
    for (method, path) in [
        (reqwest::Method::POST, "/api/rag/reindex"),
        (reqwest::Method::DELETE, "/api/queue/tasks/failed"),
        (reqwest::Method::POST, "/api/queue/tasks/failed/retry"),
        (reqwest::Method::DELETE, "/api/queue/tasks/1"),
    ] {
        let response = app
            .request(method, path, Some(&reader))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{path}");
    }
    let response = app.get("/api/rag/status", &reader).await;
    assert_eq!(response.status(), 200);

    let disabled = spawn_app().await;
    let token = disabled.write_token().await;
    let response = disabled
        .post_json("/api/rag/reindex", &token, &json!({}))
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "semantic_search_disabled");
    let status: Value = disabled
        .get("/api/rag/status", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["enabled"], false);
    assert_eq!(status["workerRunning"], false);
}

#[actix_web::test]
async fn local_model_finds_paraphrases() {
    let Some(model_dir) = crate::embeddings::model_dir() else {
        return;
    };
    let model_dir = model_dir.to_string_lossy().into_owned();
    let app = spawn_app_with(&[
        ("SEMANTIC_SEARCH_ENABLED", "true"),
        ("EMBEDDING_MODEL_DIR", &model_dir),
        ("EMBEDDING_QUEUE_WORKER_INTERVAL", "50"),
    ])
    .await;
    let token = app.write_token().await;
    app.create_article(
        &token,
        "Account recovery",
        "# Forgotten password\n\nOpen the sign-in page, choose the reset link and follow the email we send you.",
        "help",
    )
    .await;
    app.create_article(
        &token,
        "Bread baking",
        "Knead the dough for ten minutes, let it rise overnight and bake it at 230 degrees.",
        "",
    )
    .await;
    app.create_article(
        &token,
        "Quarterly report",
        "Revenue grew four percent while costs stayed flat.",
        "",
    )
    .await;
    wait_for_idle_queue(&app).await;

    // No word of the query occurs in the right article.
    let query = "query=I%20cannot%20log%20in%20anymore";
    let (_, fulltext) = search(&app, &token, &format!("{query}&mode=fulltext")).await;
    assert_eq!(fulltext.as_array().unwrap().len(), 0, "{fulltext}");
    for mode in ["semantic", "hybrid"] {
        let (status, results) = search(&app, &token, &format!("{query}&mode={mode}")).await;
        assert_eq!(status, 200);
        assert_eq!(slugs(&results)[0], "account-recovery", "{mode}: {results}");
        assert_eq!(results[0]["headingPath"], json!(["Forgotten password"]));
        assert_eq!(results[0]["folder"], "help");
    }
    let (_, semantic) = search(&app, &token, &format!("{query}&mode=semantic")).await;
    let scores: Vec<f64> = semantic
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["score"].as_f64().unwrap())
        .collect();
    assert!(scores[0] > 0.3, "{scores:?}");
    assert!(scores[0] <= 1.0, "{scores:?}");
    assert!(
        scores.windows(2).all(|pair| pair[0] >= pair[1]),
        "{scores:?}"
    );
    let dimensions: i32 = sqlx::query_scalar("select dimensions from embedding_spaces")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(dimensions, 384);
    let index: bool = sqlx::query_scalar(
        "select indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid
         where c.relname like 'chunks_embedding_space_%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(index, "the HNSW index exists and is valid");
}

//! Test harness: the real application on port 0 against a fresh PostgreSQL database.

use std::collections::HashMap;
use std::net::TcpListener;

use mcp_markdown_manager::config::Config;
use mcp_markdown_manager::startup::Application;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdefghij";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: sqlx::PgPool,
}

/// Returns `DATABASE_URL` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let prefix = base.rsplit_once('/').map_or(base, |(prefix, _)| prefix);
    format!("{prefix}/{name}{query}")
}

/// Starts the application with the default configuration plus `overrides`.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let server_url = std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must point at a PostgreSQL server with pgvector; run scripts/test.sh",
    );
    let database = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&server_url)
        .await
        .expect("failed to connect to DATABASE_URL");
    // The name is generated above from a UUID, so it is safe to interpolate.
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {database}")))
        .execute(&mut admin)
        .await
        .expect("failed to create the test database");
    admin.close().await.ok();

    let database_url = with_database(&server_url, &database);
    let mut vars: HashMap<String, String> = HashMap::from([
        ("AUTH_TOKEN".to_owned(), ADMIN_TOKEN.to_owned()),
        ("DATABASE_URL".to_owned(), database_url),
        ("DB_MAX_CONNECTIONS".to_owned(), "5".to_owned()),
    ]);
    for (name, value) in overrides {
        vars.insert((*name).to_owned(), (*value).to_owned());
    }
    let config = Config::from_vars(vars).expect("test configuration must be valid");
    let pool = mcp_markdown_manager::store::connect(&config.database)
        .await
        .expect("failed to connect to the test database");
    let listener = TcpListener::bind("127.0.0.1:0").expect("failed to bind a port");
    let application = Application::with_listener(config, pool.clone(), listener)
        .expect("failed to build the application");
    let address = format!("http://127.0.0.1:{}", application.port());
    actix_web::rt::spawn(application.run_until_stopped());

    TestApp {
        address,
        client: reqwest::Client::new(),
        pool,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

impl TestApp {
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self
            .client
            .request(method, format!("{}{path}", self.address));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(token))
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    pub async fn put_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::PUT, path, Some(token))
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token))
            .send()
            .await
            .expect("request failed")
    }

    /// Creates an access token through the admin API and returns `(id, token)`.
    pub async fn create_token(&self, name: &str, scope: &str) -> (i64, String) {
        let response = self
            .post_json(
                "/api/access-tokens",
                ADMIN_TOKEN,
                &json!({ "name": name, "scope": scope }),
            )
            .await;
        assert_eq!(response.status(), 201, "token creation failed");
        let body: Value = response.json().await.expect("token response is JSON");
        (
            body["id"].as_i64().expect("token id"),
            body["token"].as_str().expect("token value").to_owned(),
        )
    }

    pub async fn write_token(&self) -> String {
        self.create_token("writer", "write").await.1
    }

    /// Creates an article and returns its JSON.
    pub async fn create_article(
        &self,
        token: &str,
        title: &str,
        content: &str,
        folder: &str,
    ) -> Value {
        let response = self
            .post_json(
                "/api/articles",
                token,
                &json!({ "title": title, "content": content, "folder": folder }),
            )
            .await;
        assert_eq!(response.status(), 201, "article creation failed");
        response.json().await.expect("article is JSON")
    }
}

/// Reads an error envelope and returns its `code`.
pub async fn error_code(response: Response) -> String {
    let body: Value = response.json().await.expect("error body is JSON");
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
        .to_owned()
}

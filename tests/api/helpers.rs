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
    /// The running application's state, for tests that reach past HTTP (such as stopping the
    /// embedding worker).
    pub state: actix_web::web::Data<mcp_markdown_manager::startup::AppState>,
    pub client: reqwest::Client,
    pub pool: sqlx::PgPool,
    pub database_url: String,
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
    start_app(&database_url, overrides).await
}

/// Starts the application on an existing database, as a restarted server would.
pub async fn start_app(database_url: &str, overrides: &[(&str, &str)]) -> TestApp {
    let database_url = database_url.to_owned();
    let mut vars: HashMap<String, String> = HashMap::from([
        ("AUTH_TOKEN".to_owned(), ADMIN_TOKEN.to_owned()),
        ("DATABASE_URL".to_owned(), database_url.clone()),
        ("DB_MAX_CONNECTIONS".to_owned(), "5".to_owned()),
        // Most tests need no embeddings; search tests turn them on.
        ("SEMANTIC_SEARCH_ENABLED".to_owned(), "false".to_owned()),
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
    let state = application.state();
    actix_web::rt::spawn(application.run_until_stopped());

    TestApp {
        address,
        state,
        client: reqwest::Client::new(),
        pool,
        database_url,
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

pub const MCP_ACCEPT: &str = "application/json, text/event-stream";

/// Parses a JSON-RPC reply that arrived as JSON or as an SSE stream.
pub fn parse_rpc_body(text: &str) -> Value {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).unwrap_or(Value::Null);
    }
    text.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .rfind(|value| value.get("id").is_some() || value.get("error").is_some())
        .unwrap_or(Value::Null)
}

/// One MCP request: method, params, and optional session, client IP (`X-Forwarded-For`) and
/// extra headers.
pub struct McpRequest<'a> {
    pub token: &'a str,
    pub session: Option<&'a str>,
    pub forwarded_for: Option<&'a str>,
    pub method: &'a str,
    pub params: Value,
}

impl TestApp {
    pub fn mcp_builder(
        &self,
        token: &str,
        session: Option<&str>,
        forwarded_for: Option<&str>,
    ) -> RequestBuilder {
        let mut builder = self
            .request(Method::POST, "/mcp", Some(token))
            .header("accept", MCP_ACCEPT)
            .header("content-type", "application/json");
        if let Some(session) = session {
            builder = builder
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", "2025-11-25");
        }
        if let Some(ip) = forwarded_for {
            builder = builder.header("x-forwarded-for", ip);
        }
        builder
    }

    /// Sends one JSON-RPC request and returns the HTTP status and the parsed reply.
    pub async fn mcp(&self, request: McpRequest<'_>) -> (u16, Value) {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": request.method, "params": request.params });
        let response = self
            .mcp_builder(request.token, request.session, request.forwarded_for)
            .json(&body)
            .send()
            .await
            .expect("MCP request failed");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, parse_rpc_body(&text))
    }

    pub async fn mcp_initialize(&self, token: &str, forwarded_for: Option<&str>) -> Response {
        let body = json!({
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": { "name": "api-tests", "version": "1" }
            }
        });
        self.mcp_builder(token, None, forwarded_for)
            .json(&body)
            .send()
            .await
            .expect("initialize failed")
    }

    /// Opens a session (initialize plus the initialized notification) and returns its id.
    pub async fn open_session(&self, token: &str, forwarded_for: Option<&str>) -> String {
        let response = self.mcp_initialize(token, forwarded_for).await;
        assert_eq!(response.status(), 200, "initialize was refused");
        let id = response.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_owned();
        response.text().await.unwrap();
        let notified = self
            .mcp_builder(token, Some(&id), forwarded_for)
            .json(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
            .send()
            .await
            .unwrap();
        assert_eq!(notified.status(), 202);
        id
    }

    /// Calls a tool in a session and returns the HTTP status and the JSON-RPC reply.
    pub async fn call_tool(
        &self,
        token: &str,
        session: &str,
        forwarded_for: Option<&str>,
        name: &str,
        arguments: Value,
    ) -> (u16, Value) {
        self.mcp(McpRequest {
            token,
            session: Some(session),
            forwarded_for,
            method: "tools/call",
            params: json!({ "name": name, "arguments": arguments }),
        })
        .await
    }
}

//! MCP endpoint tests over raw HTTP: tools, scopes and the session policy.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

fn structured(reply: &Value) -> &Value {
    &reply["result"]["structuredContent"]
}

#[actix_web::test]
async fn tools_work_and_report_versions() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let session = app.open_session(&token, None).await;

    let (status, created) = app
        .call_tool(
            &token,
            &session,
            None,
            "createArticle",
            json!({ "title": "Agent Notes", "content": "one", "folder": "agents" }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(structured(&created)["slug"], "agent-notes");
    assert_eq!(structured(&created)["version"], 1);

    let (_, updated) = app
        .call_tool(
            &token,
            &session,
            None,
            "updateArticle",
            json!({ "filename": "agent-notes.md", "content": "two", "expectedVersion": 1 }),
        )
        .await;
    assert_eq!(structured(&updated)["version"], 2);
    assert_eq!(structured(&updated)["title"], "Agent Notes");

    let (_, stale) = app
        .call_tool(
            &token,
            &session,
            None,
            "updateArticle",
            json!({ "filename": "agent-notes", "content": "lost", "expectedVersion": 1 }),
        )
        .await;
    assert_eq!(stale["result"]["isError"], true);
    let message = stale["result"]["content"][0]["text"].as_str().unwrap();
    assert!(message.contains("version 2"), "{message}");

    let (_, read) = app
        .call_tool(
            &token,
            &session,
            None,
            "readArticle",
            json!({ "filename": "agent-notes" }),
        )
        .await;
    assert_eq!(structured(&read)["content"], "two");

    let (_, missing) = app
        .call_tool(
            &token,
            &session,
            None,
            "readArticle",
            json!({ "filename": "nope.md" }),
        )
        .await;
    assert_eq!(missing["result"]["isError"], true);
}

#[actix_web::test]
async fn read_only_token_cannot_see_or_call_write_tools() {
    let app = spawn_app().await;
    let (_, reader) = app.create_token("reader", "read-only").await;
    let session = app.open_session(&reader, None).await;
    let (_, listed) = app
        .mcp(McpRequest {
            token: &reader,
            session: Some(&session),
            forwarded_for: None,
            method: "tools/list",
            params: json!({}),
        })
        .await;
    let mut names: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "getFolderTree",
            "listArticles",
            "listFolders",
            "listVersions",
            "multiSearchArticles",
            "multiSemanticSearch",
            "readArticle",
            "readVersion",
            "searchArticles",
            "semanticSearch"
        ]
    );

    let (_, refused) = app
        .call_tool(
            &reader,
            &session,
            None,
            "createArticle",
            json!({ "title": "Nope", "content": "x" }),
        )
        .await;
    assert_eq!(refused["result"]["isError"], true);
    let count: i64 = sqlx::query_scalar("select count(*) from articles")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[actix_web::test]
async fn admin_token_is_refused_on_mcp() {
    let app = spawn_app().await;
    let response = app.mcp_initialize(ADMIN_TOKEN, None).await;
    assert_eq!(response.status(), 403);
}

#[actix_web::test]
async fn missing_token_gets_401_with_resource_metadata() {
    let app = spawn_app().await;
    let response = app
        .request(reqwest::Method::POST, "/mcp", None)
        .header("accept", MCP_ACCEPT)
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer"));
    assert!(challenge.contains("resource_metadata="));
}

#[actix_web::test]
async fn session_is_bound_to_its_token_and_ip() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    let token_a = app.write_token().await;
    let (_, token_b) = app.create_token("other", "write").await;
    let session = app.open_session(&token_a, Some("198.51.100.1")).await;

    let (status, reply) = app
        .call_tool(
            &token_b,
            &session,
            Some("198.51.100.1"),
            "listFolders",
            json!({}),
        )
        .await;
    assert_eq!(status, 403, "another token used the session: {reply}");
    let (status, _) = app
        .call_tool(
            &token_a,
            &session,
            Some("198.51.100.2"),
            "listFolders",
            json!({}),
        )
        .await;
    assert_eq!(status, 403, "another IP used the session");
    let (status, _) = app
        .call_tool(
            &token_a,
            &session,
            Some("198.51.100.1"),
            "listFolders",
            json!({}),
        )
        .await;
    assert_eq!(status, 200);

    let events: Vec<Value> = app
        .get("/api/security/events?type=session_rejected", ADMIN_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    let reasons: Vec<&str> = events
        .iter()
        .map(|e| e["details"]["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"token_mismatch"), "{reasons:?}");
    assert!(reasons.contains(&"ip_mismatch"), "{reasons:?}");
}

#[actix_web::test]
async fn eleventh_session_from_one_ip_is_refused() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    let token = app.write_token().await;
    for _ in 0..10 {
        app.open_session(&token, Some("203.0.113.10")).await;
    }
    let refused = app.mcp_initialize(&token, Some("203.0.113.10")).await;
    assert_eq!(refused.status(), 429);
    let other_ip = app.mcp_initialize(&token, Some("203.0.113.11")).await;
    assert_eq!(
        other_ip.status(),
        200,
        "the cap of one IP must not affect another"
    );
}

#[actix_web::test]
async fn spoofed_forwarded_for_is_ignored_from_untrusted_peers() {
    let app = spawn_app_with(&[("MCP_MAX_SESSIONS_PER_IP", "2")]).await;
    let token = app.write_token().await;
    app.open_session(&token, Some("192.0.2.1")).await;
    app.open_session(&token, Some("192.0.2.2")).await;
    // Without TRUSTED_PROXIES every request is 127.0.0.1, whatever the header says.
    let refused = app.mcp_initialize(&token, Some("192.0.2.3")).await;
    assert_eq!(refused.status(), 429);
}

#[actix_web::test]
async fn failed_initialize_takes_no_slot() {
    let app = spawn_app_with(&[("MCP_MAX_SESSIONS_PER_IP", "1")]).await;
    let token = app.write_token().await;
    for _ in 0..3 {
        let bad = app
            .request(reqwest::Method::POST, "/mcp", Some(&token))
            .header("accept", "text/html")
            .header("content-type", "application/json")
            .json(&json!({ "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {} }))
            .send()
            .await
            .unwrap();
        assert!(bad.status().is_client_error(), "{}", bad.status());
    }
    app.open_session(&token, None).await;
}

#[actix_web::test]
async fn idle_sessions_expire_without_traffic() {
    let app = spawn_app_with(&[("MCP_SESSION_IDLE_MS", "1500")]).await;
    let token = app.write_token().await;
    let session = app.open_session(&token, None).await;
    let listed: Vec<Value> = app
        .get("/api/security/sessions", ADMIN_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    actix_web::rt::time::sleep(Duration::from_millis(3500)).await;
    let events: Vec<Value> = app
        .get("/api/security/events?type=session_expired", ADMIN_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        events.len(),
        1,
        "the sweeper did not expire the idle session"
    );
    assert_eq!(events[0]["details"]["reason"], "idle");
    let (status, _) = app
        .call_tool(&token, &session, None, "listFolders", json!({}))
        .await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn sessions_end_at_their_absolute_lifetime() {
    let app = spawn_app_with(&[("MCP_SESSION_TTL_MS", "2500")]).await;
    let token = app.write_token().await;
    let session = app.open_session(&token, None).await;
    let mut last_status = 200;
    for _ in 0..8 {
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        last_status = app
            .call_tool(&token, &session, None, "listFolders", json!({}))
            .await
            .0;
        if last_status == 404 {
            break;
        }
    }
    assert_eq!(
        last_status, 404,
        "an active session outlived MCP_SESSION_TTL_MS"
    );
}

#[actix_web::test]
async fn tool_calls_are_limited_per_token_across_sessions() {
    let app = spawn_app_with(&[("RATE_LIMIT_TOOL_CALLS_PER_WINDOW", "5")]).await;
    let token = app.write_token().await;
    let (_, other) = app.create_token("other", "read-only").await;
    let first = app.open_session(&token, None).await;
    for _ in 0..5 {
        let (status, _) = app
            .call_tool(&token, &first, None, "listFolders", json!({}))
            .await;
        assert_eq!(status, 200);
    }
    // A new session of the same token does not get a fresh budget.
    let second = app.open_session(&token, None).await;
    let response = app
        .mcp_builder(&token, Some(&second), None)
        .json(&json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": { "name": "listFolders", "arguments": {} } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], 7);
    assert_eq!(body["error"]["code"], -32029);
    assert!(body["error"]["data"]["retryAfterSeconds"].as_u64().unwrap() >= 1);

    let other_session = app.open_session(&other, None).await;
    let (status, _) = app
        .call_tool(&other, &other_session, None, "listFolders", json!({}))
        .await;
    assert_eq!(status, 200, "another token must be unaffected");

    // Closing a session still works while rate limited.
    let closed = app
        .request(reqwest::Method::DELETE, "/mcp", Some(&token))
        .header("mcp-session-id", &first)
        .send()
        .await
        .unwrap();
    assert!(closed.status().is_success(), "{}", closed.status());
}

#[actix_web::test]
async fn foreign_origin_is_refused() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let response = app
        .mcp_builder(&token, None, None)
        .header("origin", "https://evil.example")
        .json(&json!({ "jsonrpc": "2.0", "id": 0, "method": "ping" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let events: Vec<Value> = app
        .get("/api/security/events?type=origin_rejected", ADMIN_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
}

#[actix_web::test]
async fn query_string_tokens_are_refused() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let response = app
        .request(
            reqwest::Method::POST,
            &format!("/mcp?access_token={token}"),
            None,
        )
        .header("accept", MCP_ACCEPT)
        .json(&json!({ "jsonrpc": "2.0", "id": 0, "method": "ping" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[actix_web::test]
async fn deleted_session_answers_404() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let session = app.open_session(&token, None).await;
    let deleted = app
        .request(reqwest::Method::DELETE, "/mcp", Some(&token))
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success());
    let (status, reply) = app
        .call_tool(&token, &session, None, "listFolders", json!({}))
        .await;
    assert_eq!(status, 404);
    assert!(
        reply["error"]["code"].is_i64(),
        "404 must carry a JSON-RPC error: {reply}"
    );
}

#[actix_web::test]
async fn revoking_a_token_closes_its_sessions() {
    let app = spawn_app().await;
    let (id, token) = app.create_token("temp", "write").await;
    let session = app.open_session(&token, None).await;
    app.delete(&format!("/api/access-tokens/{id}"), ADMIN_TOKEN)
        .await;
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let listed: Vec<Value> = app
        .get("/api/security/sessions", ADMIN_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed.is_empty(), "{listed:?}");
    let (status, _) = app
        .call_tool(&token, &session, None, "listFolders", json!({}))
        .await;
    assert_eq!(status, 401);
}

#[actix_web::test]
async fn admin_revokes_sessions() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let first = app.open_session(&token, None).await;
    app.open_session(&token, None).await;
    let listed: Vec<Value> = app
        .get("/api/security/sessions", ADMIN_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert!(
        !listed.iter().any(|s| s["id"] == first.as_str()),
        "the raw session id is exposed"
    );

    let handle = listed[0]["id"].as_str().unwrap();
    let response = app
        .delete(&format!("/api/security/sessions/{handle}"), ADMIN_TOKEN)
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["revoked"], 1);
    let response = app.delete("/api/security/sessions", ADMIN_TOKEN).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["revoked"], 1);
    let writer = app.write_token().await;
    assert_eq!(
        app.get("/api/security/sessions", &writer).await.status(),
        403
    );
}

#[actix_web::test]
async fn mcp_can_be_switched_off_and_on() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let session = app.open_session(&token, None).await;
    let off = app
        .put_json(
            "/api/settings/mcp",
            ADMIN_TOKEN,
            &json!({ "enabled": false }),
        )
        .await;
    assert_eq!(off.status(), 200);
    assert_eq!(app.mcp_initialize(&token, None).await.status(), 404);
    app.put_json(
        "/api/settings/mcp",
        ADMIN_TOKEN,
        &json!({ "enabled": true }),
    )
    .await;
    let (status, _) = app
        .call_tool(&token, &session, None, "listFolders", json!({}))
        .await;
    assert_eq!(status, 404, "switching off must revoke existing sessions");
    app.open_session(&token, None).await;
}

#[actix_web::test]
async fn disabled_mcp_has_no_route() {
    let app = spawn_app_with(&[("MCP_SERVER_ENABLED", "false")]).await;
    let token = app.write_token().await;
    assert_eq!(app.mcp_initialize(&token, None).await.status(), 404);
}

#[actix_web::test]
async fn session_survives_a_restart() {
    let first = spawn_app().await;
    let token = first.write_token().await;
    let session = first.open_session(&token, None).await;
    first.create_article(&token, "Kept", "x", "").await;

    // A second server on the same database stands in for the restarted process.
    let second = start_app(&first.database_url, &[]).await;
    let (status, reply) = second
        .call_tool(
            &token,
            &session,
            None,
            "readArticle",
            json!({ "filename": "kept" }),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["result"]["structuredContent"]["title"], "Kept");
}

/// Reads SSE events from a streaming response until `predicate` matches one.
async fn next_event(
    response: &mut reqwest::Response,
    buffer: &mut String,
    predicate: impl Fn(&str, &str) -> bool,
) -> (String, String) {
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut event = "message".to_owned();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(name) = line.strip_prefix("event:") {
                    event = name.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.trim());
                }
            }
            if predicate(&event, &data) {
                return (event, data);
            }
        }
        let chunk = tokio_timeout(response.chunk())
            .await
            .expect("stream ended early");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

async fn tokio_timeout<T>(
    future: impl std::future::Future<Output = reqwest::Result<Option<T>>>,
) -> Option<T> {
    actix_web::rt::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("timed out waiting for an SSE event")
        .expect("stream failed")
}

#[actix_web::test]
async fn legacy_sse_transport_serves_tools() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "Legacy Doc", "old clients", "")
        .await;
    let mut stream = app
        .request(reqwest::Method::GET, "/sse", Some(&token))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["x-accel-buffering"], "no");
    let mut buffer = String::new();
    let (_, endpoint) = next_event(&mut stream, &mut buffer, |event, _| event == "endpoint").await;
    assert!(endpoint.starts_with("/messages?sessionId="), "{endpoint}");

    let post = |body: Value| {
        app.request(reqwest::Method::POST, &endpoint, Some(&token))
            .header("content-type", "application/json")
            .json(&body)
            .send()
    };
    let accepted = post(json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": { "name": "legacy", "version": "1" } } }))
    .await
    .unwrap();
    assert_eq!(accepted.status(), 202);
    let (_, init) = next_event(&mut stream, &mut buffer, |_, data| {
        data.contains("\"id\":1")
    })
    .await;
    assert!(init.contains("protocolVersion"), "{init}");
    post(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
        .await
        .unwrap();
    post(json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": { "name": "readArticle", "arguments": { "filename": "legacy-doc" } } }))
        .await
        .unwrap();
    let (_, result) = next_event(&mut stream, &mut buffer, |_, data| {
        data.contains("\"id\":2")
    })
    .await;
    let result: Value = serde_json::from_str(&result).unwrap();
    assert_eq!(
        result["result"]["structuredContent"]["content"],
        "old clients"
    );

    // The session is bound to its token like a Streamable HTTP session.
    let (_, other) = app.create_token("other", "write").await;
    let foreign = app
        .request(reqwest::Method::POST, &endpoint, Some(&other))
        .json(&json!({ "jsonrpc": "2.0", "id": 3, "method": "ping" }))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let unknown = app
        .request(
            reqwest::Method::POST,
            "/messages?sessionId=nope",
            Some(&token),
        )
        .json(&json!({ "jsonrpc": "2.0", "id": 3, "method": "ping" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[actix_web::test]
async fn json_only_clients_get_json() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let response = app
        .request(reqwest::Method::POST, "/mcp", Some(&token))
        .header("accept", "application/json")
        .json(&json!({ "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "json", "version": "1" } } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], 0);
    assert!(body["result"]["protocolVersion"].is_string());

    let no_accept = app
        .request(reqwest::Method::POST, "/mcp", Some(&token))
        .json(&json!({ "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "any", "version": "1" } } }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_accept.status(),
        200,
        "a missing Accept header must be accepted"
    );
}

#[actix_web::test]
async fn batches_are_rejected() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    for body in [
        json!([]),
        json!([{ "jsonrpc": "2.0", "id": 1, "method": "ping" }]),
    ] {
        let response = app
            .mcp_builder(&token, None, None)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let reply: Value = response.json().await.unwrap();
        assert_eq!(reply["error"]["code"], -32600);
    }
}

#[actix_web::test]
async fn preflight_is_answered_before_auth() {
    let app = spawn_app_with(&[("MCP_ALLOWED_ORIGINS", "http://localhost:6274")]).await;
    let allowed = app
        .request(reqwest::Method::OPTIONS, "/mcp", None)
        .header("origin", "http://localhost:6274")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 204);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://localhost:6274"
    );
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    for name in [
        "authorization",
        "mcp-session-id",
        "mcp-protocol-version",
        "last-event-id",
    ] {
        assert!(headers.contains(name), "{name} missing from {headers}");
    }
    let denied = app
        .request(reqwest::Method::OPTIONS, "/mcp", None)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403);
}

#[actix_web::test]
async fn both_endpoint_spellings_are_served() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    for path in ["/mcp", "/mcp/"] {
        let response = app
            .request(reqwest::Method::POST, path, Some(&token))
            .header("accept", MCP_ACCEPT)
            .json(&json!({ "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "x", "version": "1" } } }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[actix_web::test]
async fn protected_resource_metadata_is_served() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let response = app
            .request(reqwest::Method::GET, path, None)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["resource"], format!("{}/mcp", app.address));
        assert_eq!(body["bearer_methods_supported"], json!(["header"]));
    }
}

#[actix_web::test]
async fn versions_move_rename_and_tree_tools() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let session = app.open_session(&token, None).await;
    app.create_article(&token, "Plan", "v1", "work").await;
    app.put_json("/api/articles/plan", &token, &json!({ "content": "v2" }))
        .await;
    app.create_article(&token, "Deep", "x", "work/sub").await;

    let (_, versions) = app
        .call_tool(
            &token,
            &session,
            None,
            "listVersions",
            json!({ "filename": "plan.md" }),
        )
        .await;
    let numbers: Vec<i64> = structured(&versions)["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1]);
    let (_, first) = app
        .call_tool(
            &token,
            &session,
            None,
            "readVersion",
            json!({ "filename": "plan", "version": 1 }),
        )
        .await;
    assert_eq!(structured(&first)["content"], "v1");
    let (_, restored) = app
        .call_tool(
            &token,
            &session,
            None,
            "restoreVersion",
            json!({ "filename": "plan", "version": 1, "expectedVersion": 2 }),
        )
        .await;
    assert_eq!(structured(&restored)["content"], "v1");
    assert_eq!(structured(&restored)["version"], 3);

    let (_, moved) = app
        .call_tool(
            &token,
            &session,
            None,
            "moveArticle",
            json!({ "filename": "plan", "folder": "archive" }),
        )
        .await;
    assert_eq!(structured(&moved)["folder"], "archive");
    let (_, renamed) = app
        .call_tool(
            &token,
            &session,
            None,
            "renameArticle",
            json!({ "filename": "plan", "newSlug": "old-plan" }),
        )
        .await;
    assert_eq!(structured(&renamed)["slug"], "old-plan");

    let (_, tree) = app
        .call_tool(&token, &session, None, "getFolderTree", json!({}))
        .await;
    let root = &structured(&tree)["root"];
    assert_eq!(root["totalCount"], 2);
    let work = root["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "work")
        .unwrap();
    assert_eq!(work["totalCount"], 1);
    assert_eq!(work["children"][0]["path"], "work/sub");
}

#[actix_web::test]
async fn edit_article_changes_one_part() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let session = app.open_session(&token, None).await;
    app.create_article(
        &token,
        "Guide",
        "# Guide\n\n## Install\n\nold\n\n## Use\n\nrun\n",
        "",
    )
    .await;

    let (_, edited) = app
        .call_tool(&token, &session, None, "editArticle", json!({
            "filename": "guide", "operation": "replace_section", "heading": "Install", "text": "new", "expectedVersion": 1 }))
        .await;
    assert_eq!(
        structured(&edited)["content"],
        "# Guide\n\n## Install\n\nnew\n\n## Use\n\nrun\n"
    );
    assert_eq!(structured(&edited)["version"], 2);

    let (_, stale) = app
        .call_tool(
            &token,
            &session,
            None,
            "editArticle",
            json!({
            "filename": "guide", "operation": "append", "text": "more", "expectedVersion": 1 }),
        )
        .await;
    assert_eq!(stale["result"]["isError"], true);
    let (_, ambiguous) = app
        .call_tool(
            &token,
            &session,
            None,
            "editArticle",
            json!({
            "filename": "guide", "operation": "find_replace", "find": "##", "replace": "###" }),
        )
        .await;
    assert_eq!(ambiguous["result"]["isError"], true);
    let (_, appended) = app
        .call_tool(
            &token,
            &session,
            None,
            "editArticle",
            json!({ "filename": "guide", "operation": "append", "text": "tail" }),
        )
        .await;
    assert!(
        structured(&appended)["content"]
            .as_str()
            .unwrap()
            .ends_with("run\ntail")
    );
    let (_, missing_argument) = app
        .call_tool(
            &token,
            &session,
            None,
            "editArticle",
            json!({ "filename": "guide", "operation": "find_replace", "find": "tail" }),
        )
        .await;
    assert_eq!(missing_argument["result"]["isError"], true);
}

#[actix_web::test]
async fn articles_are_resources() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let session = app.open_session(&token, None).await;
    app.create_article(&token, "Resource One", "# One\nbody", "")
        .await;

    let (_, listed) = app
        .mcp(McpRequest {
            token: &token,
            session: Some(&session),
            forwarded_for: None,
            method: "resources/list",
            params: json!({}),
        })
        .await;
    assert_eq!(
        listed["result"]["resources"][0]["uri"],
        "article://resource-one"
    );
    let (_, templates) = app
        .mcp(McpRequest {
            token: &token,
            session: Some(&session),
            forwarded_for: None,
            method: "resources/templates/list",
            params: json!({}),
        })
        .await;
    assert_eq!(
        templates["result"]["resourceTemplates"][0]["uriTemplate"],
        "article://{slug}"
    );
    let (_, read) = app
        .mcp(McpRequest {
            token: &token,
            session: Some(&session),
            forwarded_for: None,
            method: "resources/read",
            params: json!({ "uri": "article://resource-one" }),
        })
        .await;
    assert_eq!(read["result"]["contents"][0]["text"], "# One\nbody");
    assert_eq!(read["result"]["contents"][0]["mimeType"], "text/markdown");
    let (_, missing) = app
        .mcp(McpRequest {
            token: &token,
            session: Some(&session),
            forwarded_for: None,
            method: "resources/read",
            params: json!({ "uri": "article://ghost" }),
        })
        .await;
    assert!(missing["error"]["code"].is_i64(), "{missing}");
}

#[actix_web::test]
async fn subscribed_sessions_hear_about_changes() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    app.create_article(&token, "Watched", "v1", "").await;
    let mut stream = app
        .request(reqwest::Method::GET, "/sse", Some(&token))
        .send()
        .await
        .unwrap();
    let mut buffer = String::new();
    let (_, endpoint) = next_event(&mut stream, &mut buffer, |event, _| event == "endpoint").await;
    let post = |body: Value| {
        app.request(reqwest::Method::POST, &endpoint, Some(&token))
            .json(&body)
            .send()
    };
    post(json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": { "name": "watcher", "version": "1" } } }))
    .await
    .unwrap();
    let (_, init) = next_event(&mut stream, &mut buffer, |_, data| {
        data.contains("\"id\":1")
    })
    .await;
    assert!(init.contains("\"subscribe\":true"), "{init}");
    post(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
        .await
        .unwrap();
    post(json!({ "jsonrpc": "2.0", "id": 2, "method": "resources/subscribe", "params": { "uri": "article://watched" } }))
        .await
        .unwrap();
    next_event(&mut stream, &mut buffer, |_, data| {
        data.contains("\"id\":2")
    })
    .await;

    app.put_json("/api/articles/watched", &token, &json!({ "content": "v2" }))
        .await;
    let (_, updated) = next_event(&mut stream, &mut buffer, |_, data| {
        data.contains("notifications/resources/updated")
    })
    .await;
    assert!(updated.contains("article://watched"), "{updated}");

    app.create_article(&token, "New One", "x", "").await;
    next_event(&mut stream, &mut buffer, |_, data| {
        data.contains("notifications/resources/list_changed")
    })
    .await;
}

#[actix_web::test]
async fn multi_search_reports_progress() {
    let app = spawn_app().await;
    let token = app.write_token().await;
    let session = app.open_session(&token, None).await;
    app.create_article(&token, "Alpha", "x", "").await;
    let response = app
        .mcp_builder(&token, Some(&session), None)
        .json(
            &json!({ "jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {
            "_meta": { "progressToken": "p1" },
            "name": "multiSearchArticles",
            "arguments": { "titles": ["alpha", "beta", "gamma"] } } }),
        )
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    let progress: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("notifications/progress"))
        .collect();
    assert_eq!(progress.len(), 3, "{text}");
    assert!(
        progress[2].contains("\"progress\":3") && progress[2].contains("\"total\":3"),
        "{}",
        progress[2]
    );
    let reply = parse_rpc_body(&text);
    assert_eq!(
        reply["result"]["structuredContent"]["articles"][0]["slug"],
        "alpha"
    );
}

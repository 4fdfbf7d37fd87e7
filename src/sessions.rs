//! The session registry actor: which MCP session belongs to which token and client IP, and
//! the caps, idle timeout and absolute lifetime that the deployment guide asks for.
//!
//! rmcp owns the protocol state of each session; this actor owns the security policy. The MCP
//! gate asks it before every request, registers sessions that an `initialize` created, and it
//! closes sessions in rmcp when they expire or are revoked.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use chrono::{DateTime, Utc};
use rmcp::transport::streamable_http_server::SessionManager;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use serde::Serialize;

use crate::config::McpConfig;

/// How often expired sessions are swept, so they free their slots without any traffic.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
struct SessionEntry {
    token_id: i64,
    token_name: String,
    ip: IpAddr,
    created: Instant,
    created_at: DateTime<Utc>,
    last_seen: Instant,
    requests: u64,
}

/// Why a session may not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRejection {
    NotFound,
    TokenMismatch,
    IpMismatch,
}

/// Why a new session may not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapExceeded {
    Total(usize),
    PerIp(usize),
    PerToken(usize),
}

impl std::fmt::Display for CapExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Total(max) => write!(f, "the server has reached its limit of {max} MCP sessions"),
            Self::PerIp(max) => write!(
                f,
                "this client IP already has {max} MCP sessions, the maximum"
            ),
            Self::PerToken(max) => {
                write!(f, "this token already has {max} MCP sessions, the maximum")
            }
        }
    }
}

pub struct SessionRegistry {
    config: McpConfig,
    sessions: HashMap<String, SessionEntry>,
    manager: Arc<LocalSessionManager>,
}

impl SessionRegistry {
    pub fn new(config: McpConfig, manager: Arc<LocalSessionManager>) -> Self {
        Self {
            config,
            sessions: HashMap::new(),
            manager,
        }
    }

    fn expired(&self, entry: &SessionEntry, now: Instant) -> Option<&'static str> {
        if now.duration_since(entry.created) >= Duration::from_millis(self.config.session_ttl_ms) {
            Some("ttl")
        } else if now.duration_since(entry.last_seen)
            >= Duration::from_millis(self.config.session_idle_ms)
        {
            Some("idle")
        } else {
            None
        }
    }

    /// Removes the session here and closes it in rmcp, so its id answers 404 from now on.
    fn close(&mut self, id: &str, reason: &'static str, ctx: &mut Context<Self>) {
        if let Some(entry) = self.sessions.remove(id) {
            tracing::info!(session.token = %entry.token_name, ip = %entry.ip, reason,
                requests = entry.requests, "MCP session closed");
        }
        let manager = self.manager.clone();
        let session_id: Arc<str> = Arc::from(id);
        ctx.spawn(
            async move {
                // The session may already be gone in rmcp (closed by the client); that is fine.
                let _ = manager.close_session(&session_id).await;
            }
            .into_actor(self),
        );
    }

    fn sweep(&mut self, ctx: &mut Context<Self>) {
        let now = Instant::now();
        let expired: Vec<(String, &'static str)> = self
            .sessions
            .iter()
            .filter_map(|(id, entry)| self.expired(entry, now).map(|reason| (id.clone(), reason)))
            .collect();
        for (id, reason) in expired {
            self.close(&id, reason, ctx);
        }
    }
}

impl Actor for SessionRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(SWEEP_INTERVAL, Self::sweep);
    }
}

/// Asks whether a token from an IP may open another session.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), CapExceeded>")]
pub struct CheckCaps {
    pub token_id: i64,
    pub ip: IpAddr,
}

impl Handler<CheckCaps> for SessionRegistry {
    type Result = Result<(), CapExceeded>;

    fn handle(&mut self, msg: CheckCaps, ctx: &mut Self::Context) -> Self::Result {
        self.sweep(ctx);
        if self.sessions.len() >= self.config.max_sessions_total {
            return Err(CapExceeded::Total(self.config.max_sessions_total));
        }
        let per_ip = self.sessions.values().filter(|s| s.ip == msg.ip).count();
        if per_ip >= self.config.max_sessions_per_ip {
            return Err(CapExceeded::PerIp(self.config.max_sessions_per_ip));
        }
        let per_token = self
            .sessions
            .values()
            .filter(|s| s.token_id == msg.token_id)
            .count();
        if per_token >= self.config.max_sessions_per_token {
            return Err(CapExceeded::PerToken(self.config.max_sessions_per_token));
        }
        Ok(())
    }
}

/// Records a session that a successful `initialize` created.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RegisterSession {
    pub id: String,
    pub token_id: i64,
    pub token_name: String,
    pub ip: IpAddr,
}

impl Handler<RegisterSession> for SessionRegistry {
    type Result = ();

    fn handle(&mut self, msg: RegisterSession, _: &mut Self::Context) {
        let now = Instant::now();
        tracing::info!(session.token = %msg.token_name, ip = %msg.ip, "MCP session opened");
        self.sessions.insert(
            msg.id,
            SessionEntry {
                token_id: msg.token_id,
                token_name: msg.token_name,
                ip: msg.ip,
                created: now,
                created_at: Utc::now(),
                last_seen: now,
                requests: 1,
            },
        );
    }
}

/// Checks that a session exists, is not expired and belongs to this token and IP, and marks
/// it used.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), SessionRejection>")]
pub struct UseSession {
    pub id: String,
    pub token_id: i64,
    pub ip: IpAddr,
}

impl Handler<UseSession> for SessionRegistry {
    type Result = Result<(), SessionRejection>;

    fn handle(&mut self, msg: UseSession, ctx: &mut Self::Context) -> Self::Result {
        let now = Instant::now();
        let Some(entry) = self.sessions.get(&msg.id) else {
            return Err(SessionRejection::NotFound);
        };
        if let Some(reason) = self.expired(entry, now) {
            self.close(&msg.id, reason, ctx);
            return Err(SessionRejection::NotFound);
        }
        if entry.token_id != msg.token_id {
            tracing::warn!(ip = %msg.ip, session.token = %entry.token_name,
                "MCP session used with another token; rejected");
            return Err(SessionRejection::TokenMismatch);
        }
        if self.config.bind_session_to_ip && entry.ip != msg.ip {
            tracing::warn!(ip = %msg.ip, session.ip = %entry.ip, session.token = %entry.token_name,
                "MCP session used from another IP; rejected");
            return Err(SessionRejection::IpMismatch);
        }
        if let Some(entry) = self.sessions.get_mut(&msg.id) {
            entry.last_seen = now;
            entry.requests += 1;
        }
        Ok(())
    }
}

/// Forgets a session that the client closed with DELETE.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ForgetSession {
    pub id: String,
}

impl Handler<ForgetSession> for SessionRegistry {
    type Result = ();

    fn handle(&mut self, msg: ForgetSession, _: &mut Self::Context) {
        if let Some(entry) = self.sessions.remove(&msg.id) {
            tracing::info!(session.token = %entry.token_name, ip = %entry.ip,
                requests = entry.requests, reason = "client", "MCP session closed");
        }
    }
}

/// Closes every session of a revoked token.
#[derive(Debug, Message)]
#[rtype(result = "usize")]
pub struct RevokeTokenSessions {
    pub token_id: i64,
}

impl Handler<RevokeTokenSessions> for SessionRegistry {
    type Result = usize;

    fn handle(&mut self, msg: RevokeTokenSessions, ctx: &mut Self::Context) -> usize {
        let ids: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, entry)| entry.token_id == msg.token_id)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &ids {
            self.close(id, "token_revoked", ctx);
        }
        ids.len()
    }
}

/// A session as shown to operators. The session id itself is not shown in full.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub id_prefix: String,
    pub token_name: String,
    pub ip: String,
    pub created_at: DateTime<Utc>,
    pub age_seconds: u64,
    pub idle_seconds: u64,
    pub requests: u64,
}

#[derive(Debug, Message)]
#[rtype(result = "Vec<SessionInfo>")]
pub struct ListSessions;

impl Handler<ListSessions> for SessionRegistry {
    type Result = Vec<SessionInfo>;

    fn handle(&mut self, _: ListSessions, _: &mut Self::Context) -> Self::Result {
        let now = Instant::now();
        let mut sessions: Vec<SessionInfo> = self
            .sessions
            .iter()
            .map(|(id, entry)| SessionInfo {
                id_prefix: id.chars().take(8).collect(),
                token_name: entry.token_name.clone(),
                ip: entry.ip.to_string(),
                created_at: entry.created_at,
                age_seconds: now.duration_since(entry.created).as_secs(),
                idle_seconds: now.duration_since(entry.last_seen).as_secs(),
                requests: entry.requests,
            })
            .collect();
        sessions.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        sessions
    }
}

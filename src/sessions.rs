//! The session registry actor: which MCP session belongs to which token and client IP, and
//! the caps, idle timeout and absolute lifetime that the deployment guide asks for.
//!
//! rmcp owns the protocol state of each session; this actor owns the security policy. The MCP
//! gate asks it before every request and registers sessions that an `initialize` created. The
//! actor closes sessions in rmcp when they expire or are revoked, and writes every change
//! through to PostgreSQL (keyed by the SHA-256 of the session id), so sessions survive a
//! restart: on start it reloads them, and rmcp restores their protocol state on first use.

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
use crate::mcp::legacy_sse::LegacySessions;
use crate::mcp::session_store::hash_session_id;
use crate::security::{Audit, Level, SecurityEvent};
use crate::store::{
    self, DeleteStoredSession, LoadActiveSessions, RegisterStoredSession, StoreActor,
    TouchStoredSession,
};

/// How often expired sessions are swept, so they free their slots without any traffic.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(1);
/// How often a session's last use is written through; the in-memory time is always exact.
const TOUCH_PERSIST_INTERVAL: Duration = Duration::from_secs(30);

type SessionKey = [u8; 32];

#[derive(Debug, Clone)]
struct SessionEntry {
    /// The session id, when this process has seen it (sessions restored from the database
    /// are known only by hash until their first request).
    id: Option<String>,
    token_id: i64,
    token_name: String,
    ip: IpAddr,
    created: Instant,
    created_at: DateTime<Utc>,
    last_seen: Instant,
    last_persisted: Instant,
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

impl CapExceeded {
    fn name(&self) -> &'static str {
        match self {
            Self::Total(_) => "total",
            Self::PerIp(_) => "per_ip",
            Self::PerToken(_) => "per_token",
        }
    }
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
    sessions: HashMap<SessionKey, SessionEntry>,
    manager: Arc<LocalSessionManager>,
    legacy: Arc<LegacySessions>,
    audit: Audit,
    store: Addr<StoreActor>,
}

impl SessionRegistry {
    pub fn new(
        config: McpConfig,
        manager: Arc<LocalSessionManager>,
        legacy: Arc<LegacySessions>,
        audit: Audit,
        store: Addr<StoreActor>,
    ) -> Self {
        Self {
            config,
            sessions: HashMap::new(),
            manager,
            legacy,
            audit,
            store,
        }
    }

    fn ttl(&self) -> Duration {
        Duration::from_millis(self.config.session_ttl_ms)
    }

    fn expired(&self, entry: &SessionEntry, now: Instant) -> Option<&'static str> {
        if now.duration_since(entry.created) >= self.ttl() {
            Some("ttl")
        } else if now.duration_since(entry.last_seen)
            >= Duration::from_millis(self.config.session_idle_ms)
        {
            Some("idle")
        } else {
            None
        }
    }

    /// Removes the session here, in PostgreSQL and in rmcp, so its id answers 404 from now on.
    fn close(
        &mut self,
        key: SessionKey,
        event: &'static str,
        reason: &'static str,
        ctx: &mut Context<Self>,
    ) {
        let Some(entry) = self.sessions.remove(&key) else {
            return;
        };
        self.audit.emit(
            SecurityEvent::new(event, Level::Info)
                .ip(entry.ip)
                .token(entry.token_name.clone())
                .detail("reason", reason)
                .detail("requests", entry.requests),
        );
        self.store.do_send(DeleteStoredSession {
            id_hash: key.to_vec(),
        });
        metrics::gauge!("mcp_sessions_active").set(self.sessions.len() as f64);
        if let Some(id) = entry.id {
            self.legacy.close(&id);
            let manager = self.manager.clone();
            let session_id: Arc<str> = Arc::from(id.as_str());
            ctx.spawn(
                async move {
                    // The session may already be gone in rmcp (closed by the client).
                    let _ = manager.close_session(&session_id).await;
                }
                .into_actor(self),
            );
        }
    }

    fn sweep(&mut self, ctx: &mut Context<Self>) {
        let now = Instant::now();
        let expired: Vec<(SessionKey, &'static str)> = self
            .sessions
            .iter()
            .filter_map(|(key, entry)| self.expired(entry, now).map(|reason| (*key, reason)))
            .collect();
        for (key, reason) in expired {
            self.close(key, "session_expired", reason, ctx);
        }
    }

    fn reject(&self, ip: IpAddr, token: &str, reason: &'static str) {
        metrics::counter!("mcp_session_rejected_total", "reason" => reason).increment(1);
        self.audit.emit(
            SecurityEvent::new("session_rejected", Level::Warning)
                .ip(ip)
                .token(token.to_owned())
                .detail("reason", reason),
        );
    }
}

impl Actor for SessionRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(SWEEP_INTERVAL, Self::sweep);

        // Reload the sessions that were open before a restart.
        let ttl = chrono::Duration::milliseconds(
            i64::try_from(self.config.session_ttl_ms).unwrap_or(i64::MAX),
        );
        let created_after = Utc::now() - ttl;
        let store = self.store.clone();
        ctx.wait(
            async move { store::ask(&store, LoadActiveSessions { created_after }).await }
                .into_actor(self)
                .map(|result, actor, _| match result {
                    Ok(rows) => {
                        let now = Instant::now();
                        let now_utc = Utc::now();
                        let restored = rows.len();
                        for row in rows {
                            let (Ok(key), Ok(ip)) = (<SessionKey>::try_from(row.id_hash.as_slice()), row.ip.parse()) else {
                                continue;
                            };
                            let age = (now_utc - row.created_at).to_std().unwrap_or_default();
                            let idle = (now_utc - row.last_seen_at).to_std().unwrap_or_default();
                            actor.sessions.insert(
                                key,
                                SessionEntry {
                                    id: None,
                                    token_id: row.token_id,
                                    token_name: row.token_name,
                                    ip,
                                    created: now.checked_sub(age).unwrap_or(now),
                                    created_at: row.created_at,
                                    last_seen: now.checked_sub(idle).unwrap_or(now),
                                    last_persisted: now,
                                    requests: u64::try_from(row.request_count).unwrap_or(0),
                                },
                            );
                        }
                        metrics::gauge!("mcp_sessions_active").set(actor.sessions.len() as f64);
                        if restored > 0 {
                            tracing::info!(restored, "MCP sessions reloaded from the database");
                        }
                    }
                    Err(error) => tracing::error!(%error, "failed to reload MCP sessions; clients must initialize again"),
                }),
        );
    }
}

/// Asks whether a token from an IP may open another session.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), CapExceeded>")]
pub struct CheckCaps {
    pub token_id: i64,
    pub token_name: String,
    pub ip: IpAddr,
}

impl Handler<CheckCaps> for SessionRegistry {
    type Result = Result<(), CapExceeded>;

    fn handle(&mut self, msg: CheckCaps, ctx: &mut Self::Context) -> Self::Result {
        self.sweep(ctx);
        let verdict = if self.sessions.len() >= self.config.max_sessions_total {
            Err(CapExceeded::Total(self.config.max_sessions_total))
        } else if self.sessions.values().filter(|s| s.ip == msg.ip).count()
            >= self.config.max_sessions_per_ip
        {
            Err(CapExceeded::PerIp(self.config.max_sessions_per_ip))
        } else if self
            .sessions
            .values()
            .filter(|s| s.token_id == msg.token_id)
            .count()
            >= self.config.max_sessions_per_token
        {
            Err(CapExceeded::PerToken(self.config.max_sessions_per_token))
        } else {
            Ok(())
        };
        if let Err(exceeded) = &verdict {
            let reason = match exceeded.name() {
                "total" => "cap_total",
                "per_ip" => "cap_per_ip",
                _ => "cap_per_token",
            };
            self.reject(msg.ip, &msg.token_name, reason);
        }
        verdict
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
        let key = hash_session_id(&msg.id);
        metrics::counter!("mcp_session_created_total").increment(1);
        self.audit.emit(
            SecurityEvent::new("session_created", Level::Info)
                .ip(msg.ip)
                .token(msg.token_name.clone()),
        );
        self.store.do_send(RegisterStoredSession {
            id_hash: key.to_vec(),
            token_id: msg.token_id,
            token_name: msg.token_name.clone(),
            ip: msg.ip.to_string(),
        });
        self.sessions.insert(
            key,
            SessionEntry {
                id: Some(msg.id),
                token_id: msg.token_id,
                token_name: msg.token_name,
                ip: msg.ip,
                created: now,
                created_at: Utc::now(),
                last_seen: now,
                last_persisted: now,
                requests: 1,
            },
        );
        metrics::gauge!("mcp_sessions_active").set(self.sessions.len() as f64);
    }
}

/// Checks that a session exists, is not expired and belongs to this token and IP, and marks
/// it used.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), SessionRejection>")]
pub struct UseSession {
    pub id: String,
    pub token_id: i64,
    pub token_name: String,
    pub ip: IpAddr,
}

impl Handler<UseSession> for SessionRegistry {
    type Result = Result<(), SessionRejection>;

    fn handle(&mut self, msg: UseSession, ctx: &mut Self::Context) -> Self::Result {
        let now = Instant::now();
        let key = hash_session_id(&msg.id);
        let Some(entry) = self.sessions.get(&key) else {
            return Err(SessionRejection::NotFound);
        };
        if let Some(reason) = self.expired(entry, now) {
            self.close(key, "session_expired", reason, ctx);
            return Err(SessionRejection::NotFound);
        }
        if entry.token_id != msg.token_id {
            self.reject(msg.ip, &msg.token_name, "token_mismatch");
            return Err(SessionRejection::TokenMismatch);
        }
        if self.config.bind_session_to_ip && entry.ip != msg.ip {
            self.reject(msg.ip, &msg.token_name, "ip_mismatch");
            return Err(SessionRejection::IpMismatch);
        }
        if let Some(entry) = self.sessions.get_mut(&key) {
            entry.last_seen = now;
            entry.requests += 1;
            entry.id.get_or_insert(msg.id);
            if now.duration_since(entry.last_persisted) >= TOUCH_PERSIST_INTERVAL {
                entry.last_persisted = now;
                self.store.do_send(TouchStoredSession {
                    id_hash: key.to_vec(),
                    last_seen_at: Utc::now(),
                    request_count: i64::try_from(entry.requests).unwrap_or(i64::MAX),
                });
            }
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

    fn handle(&mut self, msg: ForgetSession, ctx: &mut Self::Context) {
        self.close(hash_session_id(&msg.id), "session_closed", "client", ctx);
    }
}

/// Which sessions an operator revokes.
#[derive(Debug, Clone)]
pub enum RevokeTarget {
    /// One session, by the handle shown in the session list.
    Handle(String),
    Token(i64),
    All,
}

/// Closes sessions; returns how many were closed.
#[derive(Debug, Message)]
#[rtype(result = "usize")]
pub struct RevokeSessions {
    pub target: RevokeTarget,
    pub reason: &'static str,
}

impl Handler<RevokeSessions> for SessionRegistry {
    type Result = usize;

    fn handle(&mut self, msg: RevokeSessions, ctx: &mut Self::Context) -> usize {
        let keys: Vec<SessionKey> = self
            .sessions
            .iter()
            .filter(|(key, entry)| match &msg.target {
                RevokeTarget::Handle(handle) => session_handle(key) == *handle,
                RevokeTarget::Token(id) => entry.token_id == *id,
                RevokeTarget::All => true,
            })
            .map(|(key, _)| *key)
            .collect();
        for key in &keys {
            self.close(*key, "session_revoked", msg.reason, ctx);
        }
        keys.len()
    }
}

/// The public handle of a session: a prefix of the hash of its id, never the id itself.
fn session_handle(key: &SessionKey) -> String {
    hex::encode(&key[..12])
}

/// A session as shown to operators.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub id: String,
    pub token_id: i64,
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

    fn handle(&mut self, _: ListSessions, ctx: &mut Self::Context) -> Self::Result {
        self.sweep(ctx);
        let now = Instant::now();
        let mut sessions: Vec<SessionInfo> = self
            .sessions
            .iter()
            .map(|(key, entry)| SessionInfo {
                id: session_handle(key),
                token_id: entry.token_id,
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

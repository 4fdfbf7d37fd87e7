//! Browser sign-in sessions. The browser holds only an opaque HttpOnly cookie; this actor maps
//! it to the principal, a CSRF token, and idle and absolute expiry. Cookies are stored hashed,
//! so the map never holds a usable credential.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Cookie name of the browser session.
pub const COOKIE_NAME: &str = "mdm_session";
/// A session unused for this long ends.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(12 * 60 * 60);
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// What a signed-in browser acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebCredential {
    /// Signed in with `AUTH_TOKEN`; holds the SHA-256 of the admin token used, so rotating the
    /// admin token ends these sessions.
    Admin { admin_hash: [u8; 32] },
    /// Signed in with an access token; re-checked on every request, so revocation applies.
    Token { token_hash: [u8; 32] },
}

#[derive(Debug, Clone)]
pub struct WebSession {
    pub credential: WebCredential,
    pub csrf_token: String,
    created: Instant,
    last_seen: Instant,
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

fn cookie_key(cookie: &str) -> [u8; 32] {
    Sha256::digest(cookie.as_bytes()).into()
}

#[derive(Default)]
pub struct WebSessions {
    sessions: HashMap<[u8; 32], WebSession>,
}

impl WebSessions {
    fn expired(session: &WebSession, now: Instant) -> bool {
        now.duration_since(session.created) >= ABSOLUTE_TIMEOUT
            || now.duration_since(session.last_seen) >= IDLE_TIMEOUT
    }
}

impl Actor for WebSessions {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(SWEEP_INTERVAL, |actor, _| {
            let now = Instant::now();
            actor
                .sessions
                .retain(|_, session| !Self::expired(session, now));
        });
    }
}

/// Starts a session; returns the cookie value and the CSRF token.
#[derive(Debug, Message)]
#[rtype(result = "(String, String)")]
pub struct StartWebSession {
    pub credential: WebCredential,
}

impl Handler<StartWebSession> for WebSessions {
    type Result = MessageResult<StartWebSession>;

    fn handle(&mut self, msg: StartWebSession, _: &mut Self::Context) -> Self::Result {
        let cookie = random_hex(32);
        let csrf_token = random_hex(32);
        let now = Instant::now();
        self.sessions.insert(
            cookie_key(&cookie),
            WebSession {
                credential: msg.credential,
                csrf_token: csrf_token.clone(),
                created: now,
                last_seen: now,
            },
        );
        MessageResult((cookie, csrf_token))
    }
}

/// Looks a cookie up and marks the session used; expired sessions are removed.
#[derive(Debug, Message)]
#[rtype(result = "Option<WebSession>")]
pub struct TouchWebSession {
    pub cookie: String,
}

impl Handler<TouchWebSession> for WebSessions {
    type Result = Option<WebSession>;

    fn handle(&mut self, msg: TouchWebSession, _: &mut Self::Context) -> Self::Result {
        let key = cookie_key(&msg.cookie);
        let now = Instant::now();
        let session = self.sessions.get_mut(&key)?;
        if Self::expired(session, now) {
            self.sessions.remove(&key);
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }
}

#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct EndWebSession {
    pub cookie: String,
}

impl Handler<EndWebSession> for WebSessions {
    type Result = ();

    fn handle(&mut self, msg: EndWebSession, _: &mut Self::Context) {
        self.sessions.remove(&cookie_key(&msg.cookie));
    }
}

//! rmcp's session store, backed by PostgreSQL through the store actor. rmcp saves each
//! session's `initialize` parameters here, and after a restart replays them to restore a
//! session whose id a client still holds.

use actix::Addr;
use rmcp::transport::streamable_http_server::session::store::{
    SessionState, SessionStore, SessionStoreError,
};
use sha2::{Digest, Sha256};

use crate::store::{
    self, DeleteStoredSession, LoadInitializeParams, SaveInitializeParams, StoreActor,
};

pub fn hash_session_id(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

pub struct PgSessionStore {
    store: Addr<StoreActor>,
}

impl PgSessionStore {
    pub fn new(store: Addr<StoreActor>) -> Self {
        Self { store }
    }
}

#[async_trait::async_trait]
impl SessionStore for PgSessionStore {
    async fn load(&self, session_id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        let params = store::ask(
            &self.store,
            LoadInitializeParams {
                id_hash: hash_session_id(session_id).to_vec(),
            },
        )
        .await?;
        match params {
            Some(value) => Ok(Some(serde_json::from_value(value)?)),
            None => Ok(None),
        }
    }

    async fn store(&self, session_id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        store::ask(
            &self.store,
            SaveInitializeParams {
                id_hash: hash_session_id(session_id).to_vec(),
                params: serde_json::to_value(state)?,
            },
        )
        .await?;
        Ok(())
    }

    async fn delete(&self, session_id: &str) -> Result<(), SessionStoreError> {
        store::ask(
            &self.store,
            DeleteStoredSession {
                id_hash: hash_session_id(session_id).to_vec(),
            },
        )
        .await?;
        Ok(())
    }
}

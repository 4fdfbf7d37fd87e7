//! Black-box tests of the REST API against the real application and PostgreSQL.

mod articles;
mod auth;
mod embeddings;
mod folders;
mod health;
mod helpers;
mod mcp;
mod search;
mod security;
mod versions;

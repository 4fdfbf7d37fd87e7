//! MCP Markdown Manager: a markdown article store for AI agents and people, served over MCP,
//! REST and a browser UI from PostgreSQL.

pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod import;
pub mod mcp;
pub mod rest;
pub mod sessions;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod views;

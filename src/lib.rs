//! MCP Markdown Manager: a markdown article store for AI agents and people, served over MCP,
//! REST and a browser UI from PostgreSQL.

pub mod auth;
pub mod changes;
pub mod config;
pub mod domain;
pub mod edit;
pub mod embedding;
pub mod error;
pub mod export;
pub mod http_middleware;
pub mod import;
pub mod local_api;
pub mod mcp;
pub mod prometheus;
pub mod rest;
pub mod search;
pub mod security;
pub mod sessions;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod views;
pub mod web;
pub mod web_sessions;

//! tidsreg-gpt: Trifork's Tidsreg for ChatGPT (GPT Actions) and MCP clients (ChatGPT
//! plugins, Claude connectors).
//!
//! The flow of a request: [`api`] (REST routes) or [`mcp`] (MCP tools) → [`ops`] (one
//! function per operation) → [`tidsreg`] (the upstream client) → the real Tidsreg or the
//! built-in [`fake`]. [`sessions`] keeps each caller's own upstream login; [`auth`] (API
//! keys) and [`oauth`] (the built-in authorization server) say who the caller is.

pub mod api;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod config_file;
pub mod credentials;
pub mod desktop;
pub mod fake;
pub mod gpt;
pub mod init;
pub mod keys;
pub mod log_writer;
pub mod login;
pub mod mcp;
pub mod oauth;
pub mod ops;
pub mod progress;
pub mod prompt;
pub mod public_url;
pub mod schema;
pub mod screen;
pub mod secret;
pub mod serve;
pub mod sessions;
pub mod tidsreg;
pub mod tunnel;

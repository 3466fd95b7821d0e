//! tidsreg-gpt: Trifork's Tidsreg for ChatGPT (GPT Actions) and, next, MCP clients.
//!
//! The flow of a request: [`api`] (REST routes) → [`ops`] (one function per operation) →
//! [`tidsreg`] (the upstream client) → the real Tidsreg or the built-in [`fake`].
//! [`sessions`] keeps each caller's own upstream login; [`auth`] says who the caller is.

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
pub mod login;
pub mod ops;
pub mod progress;
pub mod prompt;
pub mod schema;
pub mod screen;
pub mod secret;
pub mod serve;
pub mod sessions;
pub mod tidsreg;
pub mod tunnel;

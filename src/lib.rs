//! tidsreg-gpt: Trifork's Tidsreg for ChatGPT (GPT Actions) and MCP clients (ChatGPT
//! plugins, Claude connectors).
//!
//! The flow of a request: [`http`] (the app root: one door that identifies and rate-limits
//! every caller, then the REST routes, the MCP tools or the OAuth pages) → [`ops`] (one
//! function per operation) → [`tidsreg`] (the upstream client) → the real Tidsreg or the
//! built-in [`fake`]. [`store`] keeps what outlives a request (each caller's own upstream
//! login); [`settings`] is what the commands in [`commands`] resolve before they start.

pub mod commands;
pub mod fake;
pub mod http;
pub mod log_writer;
pub mod ops;
pub mod schema;
pub mod settings;
pub mod store;
pub mod tidsreg;
pub mod tunnel;

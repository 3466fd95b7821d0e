//! The integration tests, one binary: every feature is a module here, so the dependency tree
//! is linked once rather than once per test file. `cargo test --test it` runs them all;
//! `cargo test --test it oauth::` runs one feature.

mod fixture;

mod cli;
mod connections;
mod errors;
mod hardening;
mod hours;
mod keys;
mod lookups;
mod mcp;
mod mcp_transport;
mod oauth;
mod plugin;
mod schema;
mod search_index;
mod search_report;
mod sessions;
mod settings;
mod state;
mod stored_login;
mod tunnel;
mod views;
mod week_booking;

//! Everything the commands read before they start: the command line ([`cli`]), the config
//! file ([`config_file`]), the OS keyring ([`credentials`]), secrets that redact themselves
//! ([`secret`]), and the resolved, validated settings of `serve` ([`serve_settings`]).
//! Resolving reads; it never writes (generating keys is `serve`'s and `init`'s job).

pub mod base_url;
pub mod cli;
pub mod config_file;
pub mod credentials;
pub mod secret;
pub mod serve_settings;
pub mod state_store;

pub use secret::Secret;

//! One module per subcommand; `main` parses the command line and calls one of these.

pub mod completions;
pub mod config;
pub mod gpt;
pub mod init;
pub mod key;
pub mod login;
pub mod plugin;
mod prompt;
pub mod schema;
pub mod serve;

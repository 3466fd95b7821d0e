//! The `tidsreg-gpt` command: parse arguments, set up logging, dispatch.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Result;
use clap::{CommandFactory, FromArgMatches};
use tracing_subscriber::EnvFilter;

use tidsreg_gpt::commands;
use tidsreg_gpt::log_writer;
use tidsreg_gpt::settings::cli::{Cli, Command, LogFormat};
use tidsreg_gpt::settings::config_file;

/// jemalloc rather than the system allocator: see `Cargo.toml`.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let log_writer = init_logging(cli.log_level.as_deref(), cli.log_format);
    let result = try_main(cli, &matches);
    // The log lines still buffered go out before the error, which ends the output.
    drop(log_writer);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tidsreg-gpt: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn try_main(cli: Cli, matches: &clap::ArgMatches) -> Result<()> {
    let config_path = config_file::config_path(cli.config.as_deref())?;
    let sub = matches.subcommand().map(|(_, m)| m);
    match cli.command {
        Command::Serve(args) => commands::serve::run(args, sub, config_path),
        Command::Config(args) => commands::config::run(args, sub, config_path),
        Command::Init => commands::init::run(&config_path),
        Command::Key { action } => commands::key::run(action, &config_path),
        Command::Login(args) => commands::login::run(args, &config_path),
        Command::Logout => commands::login::forget(&config_path),
        Command::Schema(args) => commands::schema::run(args),
        Command::Gpt(args) => commands::gpt::run(args.lang),
        Command::Plugin(args) => commands::plugin::run(args, &config_path),
        Command::Completions { shell } => commands::completions::run(shell),
    }
}

/// Log targets that would print secrets below warn.
const SECRET_LOGGING_TARGETS: &[&str] = &["cookie_store", "hyper::proto", "h2"];
/// `info`, except the MCP SDK, which logs every stateless request three times at `info`.
const DEFAULT_LOG_FILTER: &str = "info,rmcp=warn";

/// Logs go to standard error, so standard output stays clean for the screen and for
/// `schema` piped into a file; they are written in batches (see [`log_writer`]), with
/// colours only on a terminal.
fn init_logging(level: Option<&str>, format: LogFormat) -> log_writer::FlushGuard {
    let filter = match level {
        Some(level) => EnvFilter::new(level),
        None => {
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER))
        }
    };
    // These dependencies print cookie and header values at debug and trace level; the
    // upstream cookie is a person's login, so they stay at warn whatever the level asked.
    let filter = SECRET_LOGGING_TARGETS.iter().fold(filter, |f, target| {
        f.add_directive(format!("{target}=warn").parse().expect("static directive"))
    });
    let guard = log_writer::BatchedStderr::start();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(guard.writer());
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    guard
}

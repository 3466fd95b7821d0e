//! The `tidsreg-gpt` command: parse arguments, set up logging, dispatch.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, FromArgMatches};
use tracing_subscriber::EnvFilter;

use tidsreg_gpt::cli::{Cli, Command, LogFormat, SchemaArgs, SchemaFormat};
use tidsreg_gpt::config::ServeSettings;
use tidsreg_gpt::schema::Severity;
use tidsreg_gpt::{config_file, gpt, init, keys, log_writer, login, schema, serve};

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
        Command::Serve(args) => {
            let settings = ServeSettings::resolve(args, sub, config_path, true)?;
            tokio::runtime::Runtime::new()
                .context("cannot start the async runtime")?
                .block_on(serve::run(settings))
        }
        Command::Config(args) => {
            let settings = ServeSettings::resolve(args, sub, config_path, false)?;
            println!("config file: {}", settings.config_path.display());
            for (name, value, source) in &settings.provenance {
                println!("{name:<18} {value:<40} ({source})");
            }
            Ok(())
        }
        Command::Init => init::run(&config_path),
        Command::Key { action } => keys::run(action, &config_path),
        Command::Login(args) => login::run(args, &config_path),
        Command::Logout => login::forget(&config_path),
        Command::Schema(args) if args.check => check_schema(&args),
        Command::Schema(args) => write_schema(args),
        Command::Gpt(args) => {
            print!("{}", gpt::render_text(&gpt::load(args.lang)));
            Ok(())
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "tidsreg-gpt",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    }
}

/// The schema for `args.url`, from `--template` or the built-in template.
fn rendered(args: &SchemaArgs) -> Result<String> {
    Ok(match &args.template {
        Some(path) => {
            let template = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the template {}", path.display()))?;
            schema::render_template(&template, &args.url)?
        }
        None => schema::render(&args.url)?,
    })
}

fn check_schema(args: &SchemaArgs) -> Result<()> {
    let problems = schema::check(&rendered(args)?);
    for problem in &problems {
        println!("{problem}");
    }
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    anyhow::ensure!(
        errors == 0,
        "the schema has {errors} error(s); fix them in the template"
    );
    println!("schema OK: every GPT Action rule passes");
    Ok(())
}

fn write_schema(args: SchemaArgs) -> Result<()> {
    let yaml = rendered(&args)?;
    let text = match args.format {
        SchemaFormat::Yaml => yaml,
        SchemaFormat::Json => schema::to_json(&yaml)?,
    };
    match args.out {
        Some(path) => {
            std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            print!("{text}");
            Ok(())
        }
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

//! The `tidsreg-gpt` command: parse arguments, set up logging, dispatch.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use tracing_subscriber::EnvFilter;

use tidsreg_gpt::cli::{Cli, Command, LogFormat, SchemaArgs, SchemaFormat};
use tidsreg_gpt::config::ServeSettings;
use tidsreg_gpt::schema::Severity;
use tidsreg_gpt::{config_file, gpt, schema, serve};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_level.as_deref(), cli.log_format);
    match try_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tidsreg-gpt: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn try_main(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let config_path = config_file::config_path(cli.config.as_deref())?;
            let settings = ServeSettings::resolve(args, config_path)?;
            tokio::runtime::Runtime::new()
                .context("cannot start the async runtime")?
                .block_on(serve::run(settings))
        }
        Command::Schema(args) if args.check => check_schema(&args.url),
        Command::Schema(args) => write_schema(args),
        Command::Gpt(args) => {
            print!("{}", gpt::render_text(&gpt::load(args.lang)));
            Ok(())
        }
    }
}

fn check_schema(url: &str) -> Result<()> {
    let problems = schema::check(&schema::render(url)?);
    for problem in &problems {
        println!("{problem}");
    }
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    anyhow::ensure!(
        errors == 0,
        "the schema has {errors} error(s); fix them in openapi.template.yaml"
    );
    println!("schema OK: every GPT Action rule passes");
    Ok(())
}

fn write_schema(args: SchemaArgs) -> Result<()> {
    let yaml = schema::render(&args.url)?;
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

/// Logs go to standard error, so standard output stays clean for the screen and for
/// `schema` piped into a file.
fn init_logging(level: Option<&str>, format: LogFormat) {
    let filter = match level {
        Some(level) => EnvFilter::new(level),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

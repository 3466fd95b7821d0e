//! `tidsreg-gpt config`: every setting `serve` would use, with where its value came from
//! (flag, environment, config file, default). Secrets are shown redacted.

use std::path::PathBuf;

use anyhow::Result;
use clap::ArgMatches;

use crate::settings::cli::ServeArgs;
use crate::settings::serve_settings::ServeSettings;

/// Prints the resolved settings, one per line.
pub fn run(args: ServeArgs, matches: Option<&ArgMatches>, config_path: PathBuf) -> Result<()> {
    let settings = ServeSettings::resolve(args, matches, config_path)?;
    println!("config file: {}", settings.config_path.display());
    for (name, value, source) in &settings.provenance {
        println!("{name:<18} {value:<40} ({source})");
    }
    Ok(())
}

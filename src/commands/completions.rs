//! `tidsreg-gpt completions SHELL`: the shell completion script, on standard output.

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::settings::cli::Cli;

/// Prints the completion script for `shell`.
pub fn run(shell: Shell) -> Result<()> {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "tidsreg-gpt",
        &mut std::io::stdout(),
    );
    Ok(())
}

//! `tidsreg-gpt init`: asks for what `serve` cannot guess and writes the config file.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};

use crate::config::{DEFAULT_TIDSREG_URL, parse_base_url};
use crate::config_file::FileConfig;
use crate::secret::Secret;
use crate::tunnel::AUTHTOKEN_URL;

/// Asks on the terminal (or reads lines from standard input when it is not one), keeps
/// current values on an empty answer, and saves the file with mode 0600.
pub fn run(path: &Path) -> Result<()> {
    let mut file = FileConfig::load(path)?;
    let stdin = io::stdin();
    let mut lines = stdin.lock().lines();
    println!(
        "Setting up tidsreg-gpt ({}). Press Enter to keep a value.\n",
        path.display()
    );

    let has_token = file.ngrok_authtoken.is_some();
    let prompt = format!(
        "ngrok authtoken, from {AUTHTOKEN_URL} [{}]: ",
        if has_token {
            "keep the stored one"
        } else {
            "none: no tunnel"
        }
    );
    let token = ask_secret(&prompt, &mut lines)?;
    if !token.is_empty() {
        file.ngrok_authtoken = Some(Secret::new(token));
    }

    let current = file
        .tidsreg_url
        .clone()
        .unwrap_or_else(|| DEFAULT_TIDSREG_URL.into());
    let url = ask(&format!("Tidsreg URL [{current}]: "), &mut lines)?;
    if !url.is_empty() {
        parse_base_url(&url, "the Tidsreg URL")?;
        file.tidsreg_url = Some(url);
    }

    let current = file
        .domain
        .clone()
        .unwrap_or_else(|| "none: a new URL at each start".into());
    let domain = ask(
        &format!("Reserved ngrok domain, for a URL that never changes [{current}]: "),
        &mut lines,
    )?;
    if !domain.is_empty() {
        file.domain = Some(domain);
    }

    file.ensure_api_key(path)?;
    file.save(path)?;
    println!(
        "\nSaved {} (readable by you only). Next: tidsreg-gpt serve",
        path.display()
    );
    Ok(())
}

fn ask(prompt: &str, lines: &mut impl Iterator<Item = io::Result<String>>) -> Result<String> {
    print!("{prompt}");
    io::stdout().flush().ok();
    let line = lines.next().transpose().context("cannot read the answer")?;
    Ok(line.unwrap_or_default().trim().to_string())
}

/// Hidden input on a terminal, so the token does not stay on screen.
fn ask_secret(
    prompt: &str,
    lines: &mut impl Iterator<Item = io::Result<String>>,
) -> Result<String> {
    if io::stdin().is_terminal() {
        let answer = rpassword::prompt_password(prompt).context("cannot read the answer")?;
        return Ok(answer.trim().to_string());
    }
    ask(prompt, lines)
}

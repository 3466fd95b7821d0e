//! `tidsreg-gpt init`: asks for what `serve` cannot guess and writes the config file.

use std::path::Path;

use anyhow::Result;

use super::prompt::Prompt;
use crate::settings::config_file::FileConfig;
use crate::settings::secret::Secret;
use crate::settings::serve_settings::{DEFAULT_TIDSREG_URL, parse_base_url};
use crate::tunnel::AUTHTOKEN_URL;

/// Asks on the terminal (or reads lines from standard input when it is not one), keeps
/// current values on an empty answer, and saves the file with mode 0600.
pub fn run(path: &Path) -> Result<()> {
    let mut file = FileConfig::load(path)?;
    let mut prompt = Prompt::default();
    println!(
        "Setting up tidsreg-gpt ({}). Press Enter to keep a value.\n",
        path.display()
    );

    let has_token = file.ngrok_authtoken.is_some();
    let question = format!(
        "ngrok authtoken, from {AUTHTOKEN_URL} [{}]: ",
        if has_token {
            "keep the stored one"
        } else {
            "none: no tunnel"
        }
    );
    let token = prompt.ask_secret(&question)?;
    let token = token.expose().trim();
    if !token.is_empty() {
        file.ngrok_authtoken = Some(Secret::new(token));
    }

    let current = file
        .tidsreg_url
        .clone()
        .unwrap_or_else(|| DEFAULT_TIDSREG_URL.into());
    let url = prompt.ask(&format!("Tidsreg URL [{current}]: "))?;
    if !url.is_empty() {
        parse_base_url(&url, "the Tidsreg URL")?;
        file.tidsreg_url = Some(url);
    }

    let current = file
        .domain
        .clone()
        .unwrap_or_else(|| "none: a new URL at each start".into());
    let domain = prompt.ask(&format!(
        "Reserved ngrok domain, for a URL that never changes [{current}]: "
    ))?;
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

//! `tidsreg-gpt login` and `logout`: ask for the Tidsreg username and password on the
//! terminal (hidden), verify them against Tidsreg, and store them for `serve`.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::prompt::Prompt;
use crate::settings::cli::LoginArgs;
use crate::settings::config_file::FileConfig;
use crate::settings::config_file::PasswordStore as Store;
use crate::settings::credentials::{self, Credentials};
use crate::settings::secret::Secret;
use crate::settings::serve_settings::{DEFAULT_TIDSREG_URL, parse_base_url};
use crate::tidsreg::{Tidsreg, UpstreamError};

/// Asks, verifies, stores.
pub fn run(args: LoginArgs, path: &Path) -> Result<()> {
    let file = FileConfig::load(path)?;
    let url = args
        .tidsreg_url
        .or(file.tidsreg_url)
        .unwrap_or_else(|| DEFAULT_TIDSREG_URL.into());
    let url = parse_base_url(&url, "the Tidsreg URL (--tidsreg-url)")?;
    let mut prompt = Prompt::default();
    let username = prompt.ask("Tidsreg username: ")?;
    if username.is_empty() {
        bail!("no username given");
    }
    let password = prompt.ask_secret("Tidsreg password (hidden): ")?;
    verify(&url, &username, &password)?;
    let store = match args.store {
        Some(store) => store,
        None => choose_store(path, &mut prompt)?,
    };
    let credentials = Credentials {
        key_id: args.key.clone(),
        username: username.clone(),
        password,
    };
    credentials::save(&credentials, store, path)?;
    let place = match store {
        Store::Keyring => "the OS keyring".to_string(),
        Store::File => format!("{} (readable by you only)", path.display()),
    };
    println!("Signed in as {username}; the password is in {place}.");
    println!(
        "`tidsreg-gpt serve` now signs the `{}` key in by itself: the GPT never asks for a password.",
        args.key
    );
    Ok(())
}

/// `logout`: forgets the stored login.
pub fn forget(path: &Path) -> Result<()> {
    if credentials::forget(path)? {
        println!("Forgot the stored Tidsreg login.");
    } else {
        println!("No Tidsreg login was stored.");
    }
    Ok(())
}

fn verify(url: &url::Url, username: &str, password: &Secret) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let tidsreg = Tidsreg::new(url.clone())?;
    match runtime.block_on(tidsreg.login(username, password.expose())) {
        Ok(_) => Ok(()),
        Err(UpstreamError::LoginRejected) => {
            bail!("Tidsreg rejected the username or password; nothing was stored")
        }
        Err(e) => bail!("cannot verify the login at {url}: {e}; nothing was stored"),
    }
}

/// The keyring when there is one; otherwise the file, but only if the user agrees.
fn choose_store(path: &Path, prompt: &mut Prompt) -> Result<Store> {
    let Err(why) = credentials::keyring_available() else {
        return Ok(Store::Keyring);
    };
    println!("No OS keyring is available here ({why:#}).");
    let answer = prompt.ask(&format!(
        "Store the password in {} instead, readable by you only? [y/N] ",
        path.display()
    ))?;
    if matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes") {
        return Ok(Store::File);
    }
    bail!(
        "nothing was stored; without stored credentials the GPT asks for the password through `login` instead"
    )
}

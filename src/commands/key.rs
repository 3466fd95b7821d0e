//! `tidsreg-gpt key show|add|rotate`: API keys in the config file. A running server watches
//! the file, so a rotated key stops working on the next request.

use std::path::Path;

use anyhow::{Result, bail};

use crate::settings::cli::KeyAction;
use crate::settings::config_file::{ApiKey, FileConfig, generate_api_key};
use crate::settings::serve_settings::API_KEY_ENV;

/// Carries out `action` on the config file at `path`.
pub fn run(action: KeyAction, path: &Path) -> Result<()> {
    let mut file = FileConfig::load(path)?;
    match action {
        KeyAction::Show { id } => show(&mut file, path, id.as_deref()),
        KeyAction::Rotate { id } => rotate(&mut file, path, &id),
        KeyAction::Add { id } => add(&mut file, path, &id),
    }
}

fn show(file: &mut FileConfig, path: &Path, id: Option<&str>) -> Result<()> {
    file.ensure_api_key(path)?;
    let keys: Vec<&ApiKey> = file
        .api_keys
        .iter()
        .filter(|k| id.is_none_or(|id| k.id == id))
        .collect();
    if keys.is_empty() {
        bail!(
            "no key named `{}` in {}; `tidsreg-gpt key show` lists them all",
            id.unwrap_or_default(),
            path.display()
        );
    }
    for key in keys {
        println!("{}  {}", key.id, key.key.expose());
    }
    if std::env::var_os(API_KEY_ENV).is_some() {
        eprintln!("note: {API_KEY_ENV} is set, so `serve` uses that key instead of these");
    }
    Ok(())
}

fn rotate(file: &mut FileConfig, path: &Path, id: &str) -> Result<()> {
    file.ensure_api_key(path)?;
    let Some(key) = file.api_keys.iter_mut().find(|k| k.id == id) else {
        bail!(
            "no key named `{id}` in {}; `tidsreg-gpt key show` lists them",
            path.display()
        );
    };
    key.key = generate_api_key();
    let new = key.key.expose().to_string();
    file.save(path)?;
    println!("{id}  {new}");
    eprintln!(
        "The old `{id}` key no longer works. Paste the new one in the GPT editor (Actions → Authentication → API Key)."
    );
    Ok(())
}

fn add(file: &mut FileConfig, path: &Path, id: &str) -> Result<()> {
    if id.trim().is_empty() || id.contains(char::is_whitespace) {
        bail!("a key name needs letters and no spaces, like anna-laptop");
    }
    file.ensure_api_key(path)?;
    if file.api_keys.iter().any(|k| k.id == id) {
        bail!(
            "a key named `{id}` exists already; rotate it with `tidsreg-gpt key rotate --id {id}`"
        );
    }
    let key = generate_api_key();
    println!("{id}  {}", key.expose());
    file.api_keys.push(ApiKey {
        id: id.to_string(),
        key,
    });
    file.save(path)
}

//! Stored Tidsreg credentials, so the password never passes through the chat: `tidsreg-gpt
//! login` verifies them once and keeps them in the OS keyring (or, only when the user opts
//! in, in the owner-only config file), and `serve` signs its own key in with them.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::Secret;
use super::config_file::PasswordStore;
use super::config_file::{FileConfig, StoredLogin};

/// The keyring "service" our entries live under.
const KEYRING_SERVICE: &str = "tidsreg-gpt";

/// A person's Tidsreg login, bound to the API key whose session it signs in. Only that
/// key gets it: another person's key must never be signed in as this person.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub key_id: String,
    pub username: String,
    pub password: Secret,
}

/// Saves `credentials` in `store` and records them in the config file at `path`.
pub fn save(credentials: &Credentials, store: PasswordStore, path: &Path) -> Result<()> {
    let mut file = FileConfig::load(path)?;
    let password = match store {
        PasswordStore::Keyring => {
            keyring_entry(&credentials.username)?
                .set_password(credentials.password.expose())
                .context("the OS keyring refused the password")?;
            None
        }
        PasswordStore::File => Some(credentials.password.clone()),
    };
    file.login = Some(StoredLogin {
        key_id: credentials.key_id.clone(),
        username: credentials.username.clone(),
        store,
        password,
    });
    file.save(path)
}

/// True when the OS keyring answers here (not on a headless Linux without Secret Service).
pub fn keyring_available() -> Result<()> {
    let probe = keyring_entry("probe")?;
    match probe.get_password() {
        Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => bail!("{e}"),
    }
}

/// The stored credentials of the config file at `path`, if any.
pub fn load(file: &FileConfig) -> Result<Option<Credentials>> {
    let Some(login) = &file.login else {
        return Ok(None);
    };
    let password = match (login.store, &login.password) {
        (PasswordStore::File, Some(password)) => password.clone(),
        (PasswordStore::File, None) => bail!("the config file says the Tidsreg password is in it, but it is not; run `tidsreg-gpt login` again"),
        (PasswordStore::Keyring, _) => Secret::new(
            keyring_entry(&login.username)?
                .get_password()
                .context("cannot read the Tidsreg password from the OS keyring; run `tidsreg-gpt login` again")?,
        ),
    };
    Ok(Some(Credentials {
        key_id: login.key_id.clone(),
        username: login.username.clone(),
        password,
    }))
}

/// Forgets the stored login (and its keyring entry).
pub fn forget(path: &Path) -> Result<bool> {
    let mut file = FileConfig::load(path)?;
    let Some(login) = file.login.take() else {
        return Ok(false);
    };
    if login.store == PasswordStore::Keyring
        && let Ok(entry) = keyring_entry(&login.username)
    {
        let _ = entry.delete_credential();
    }
    file.save(path)?;
    Ok(true)
}

fn keyring_entry(username: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(KEYRING_SERVICE, username).context("cannot open the OS keyring")
}

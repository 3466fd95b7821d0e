//! Where the state that outlives a request is kept (`--store`), and the key that seals the
//! Tidsreg cookies in it (`TIDSREG_GPT_STATE_KEY` or `state.key`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::Secret;
use super::config_file::write_private;

/// The environment variable that gives the state key, so replicas share it.
pub const STATE_KEY_ENV: &str = "TIDSREG_GPT_STATE_KEY";
/// The file, beside the config file, that holds the state key when the environment does not.
const STATE_KEY_FILE: &str = "state.key";
/// The embedded store's file name in the platform data directory.
const STATE_FILE: &str = "state.db";
/// Bytes of a state key.
const STATE_KEY_BYTES: usize = 32;

/// Where the state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// The embedded SQLite file at this path.
    Embedded(PathBuf),
    /// A Redis server, by URL (`redis://` or `rediss://`; it may hold a password).
    Redis(Secret),
    /// This process's memory only (`--store memory`): nothing survives a restart. For a
    /// quick try and for measuring what the store costs.
    Memory,
}

impl StoreLocation {
    /// `--store` as given: `memory`, a `redis://` or `rediss://` URL, else a file path.
    pub fn parse(raw: &str) -> Result<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            bail!("--store is empty; give a file path or a redis://HOST:PORT URL");
        }
        let lower = raw.to_ascii_lowercase();
        if lower == "memory" {
            return Ok(Self::Memory);
        }
        if lower.starts_with("redis://") || lower.starts_with("rediss://") {
            url::Url::parse(raw).with_context(|| {
                "--store looks like a Redis URL but is not one; write it like redis://127.0.0.1:6379/0"
            })?;
            return Ok(Self::Redis(Secret::new(raw)));
        }
        if lower.contains("://") {
            bail!("--store `{raw}` is neither a file path nor a redis:// or rediss:// URL");
        }
        Ok(Self::Embedded(PathBuf::from(raw)))
    }

    /// The default: `state.db` in the platform data directory
    /// (`$XDG_DATA_HOME/tidsreg-gpt/` on Linux).
    pub fn default_embedded() -> Result<Self> {
        let dirs = directories::ProjectDirs::from("", "", "tidsreg-gpt").context(
            "cannot find a home directory for the state store; pass --store PATH or set TIDSREG_GPT_STORE",
        )?;
        Ok(Self::Embedded(dirs.data_dir().join(STATE_FILE)))
    }

    /// How it is shown (a Redis password never is).
    pub fn describe(&self) -> String {
        match self {
            Self::Embedded(path) => format!("embedded {}", path.display()),
            Self::Redis(url) => redacted_url(url.expose()),
            Self::Memory => "memory only (nothing survives a restart)".into(),
        }
    }
}

/// A URL with its password (if any) shown as `***`.
pub fn redacted_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "(an unreadable URL)".into(),
    }
}

/// The state key: `TIDSREG_GPT_STATE_KEY`, else `state.key` beside the config file, else
/// `None` (not generated yet). A malformed key is an error that says how to make one.
pub fn state_key(config_path: &Path) -> Result<Option<Secret>> {
    if let Some(key) = std::env::var(STATE_KEY_ENV)
        .ok()
        .filter(|k| !k.trim().is_empty())
    {
        check_key(&key).with_context(|| format!("{STATE_KEY_ENV} is not a state key"))?;
        return Ok(Some(Secret::new(key.trim())));
    }
    let path = state_key_path(config_path);
    let key = match std::fs::read_to_string(&path) {
        Ok(key) => key,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    check_key(&key).with_context(|| format!("{} does not hold a state key", path.display()))?;
    Ok(Some(Secret::new(key.trim())))
}

/// Generates and writes `state.key` (0600) when neither the environment nor the file gives
/// a key. True when it was generated.
pub fn ensure_state_key(config_path: &Path) -> Result<bool> {
    if state_key(config_path)?.is_some() {
        return Ok(false);
    }
    let bytes: [u8; STATE_KEY_BYTES] = rand::random();
    let path = state_key_path(config_path);
    write_private(&path, &URL_SAFE_NO_PAD.encode(bytes))
        .with_context(|| format!("cannot write the state key {}", path.display()))?;
    Ok(true)
}

/// Where `state.key` lives: beside the config file.
pub fn state_key_path(config_path: &Path) -> PathBuf {
    config_path.with_file_name(STATE_KEY_FILE)
}

fn check_key(key: &str) -> Result<()> {
    let bytes = URL_SAFE_NO_PAD.decode(key.trim()).unwrap_or_default();
    if bytes.len() != STATE_KEY_BYTES {
        bail!(
            "it must be {STATE_KEY_BYTES} random bytes, base64url without padding (43 characters); make one with `head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='`"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_locations_are_files_or_redis_urls() {
        assert_eq!(
            StoreLocation::parse("/var/lib/tgpt/state.db").unwrap(),
            StoreLocation::Embedded("/var/lib/tgpt/state.db".into())
        );
        let redis = StoreLocation::parse("redis://:hunter2@10.0.0.5:6379/2").unwrap();
        assert!(matches!(redis, StoreLocation::Redis(_)));
        assert!(
            !redis.describe().contains("hunter2"),
            "{}",
            redis.describe()
        );
        assert!(StoreLocation::parse("postgres://x").is_err());
        assert!(StoreLocation::parse(" ").is_err());
    }

    #[test]
    fn the_state_key_is_generated_once_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        if std::env::var_os(STATE_KEY_ENV).is_some() {
            return; // a developer's own key would win; nothing to test here
        }
        assert!(state_key(&config).unwrap().is_none());
        assert!(ensure_state_key(&config).unwrap());
        let key = state_key(&config).unwrap().unwrap();
        assert!(!ensure_state_key(&config).unwrap());
        assert_eq!(state_key(&config).unwrap().unwrap(), key);
        std::fs::write(state_key_path(&config), "short").unwrap();
        let err = format!("{:#}", state_key(&config).unwrap_err());
        assert!(err.contains("43 characters"), "{err}");
    }
}

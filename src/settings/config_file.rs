//! The TOML config file: where it lives, reading it, writing it privately, and the API keys
//! it holds. Precedence over flags and environment is decided in `config`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::secret::{Secret, random_token};

/// Prefix of generated keys, so secret scanners and people recognise a leaked one.
const API_KEY_PREFIX: &str = "tgpt_";
/// Name of the key generated on first run.
const FIRST_KEY_ID: &str = "default";
/// Prefix of the generated OAuth client id, so it reads as ours in a GPT editor.
const OAUTH_CLIENT_ID_PREFIX: &str = "tidsreg-gpt-";
/// Prefix of OAuth client secrets, generated here or by dynamic registration.
pub const CLIENT_SECRET_PREFIX: &str = "tgpt_cs_";

/// The config file as stored. Every field is optional so a hand-written file may hold only
/// what its owner wants to change.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tidsreg_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ngrok_authtoken: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ngrok_server_addr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_hours: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_ttl: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tunnel_timeout: Option<u64>,
    /// Proxies whose X-Forwarded-For names the client (CIDR ranges, comma-separated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_proxy: Option<String>,
    /// More web origins allowed to call /mcp from a browser (comma-separated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_origin: Option<String>,
    /// Where the state lives: a file path, or a redis:// URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_rate_limit: Option<u32>,
    /// The login `serve` signs its own key in with (`tidsreg-gpt login`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<StoredLogin>,
    /// One entry per person or device; each gets its own Tidsreg session.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_keys: Vec<ApiKey>,
    /// Fixed OAuth client credentials (GPT Actions' OAuth needs them); generated on first
    /// `serve`. MCP clients register themselves instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client: Option<OAuthClient>,
}

/// The static OAuth client: id, secret, and where it may send people back to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OAuthClient {
    pub id: String,
    pub secret: Secret,
    /// Exact redirect URIs. Empty: any ChatGPT GPT Action callback
    /// (`https://chatgpt.com/aip/<gpt id>/oauth/callback`, also on `chat.openai.com`),
    /// since the GPT's id is unknown until the GPT exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirect_uris: Vec<String>,
}

/// Where the stored Tidsreg password is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PasswordStore {
    /// The OS keyring (macOS Keychain, Windows Credential Manager, Secret Service): safer,
    /// the password is encrypted at rest and never in a file.
    Keyring,
    /// The config file, readable by its owner only; for machines without a keyring.
    File,
}

/// What the config file records of `tidsreg-gpt login`: who, for which key, and where the
/// password is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredLogin {
    pub key_id: String,
    pub username: String,
    pub store: PasswordStore,
    /// Present only with `store = "file"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
}

/// A bearer key a GPT (or a script) presents. The `id` is what logs show; the key never is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub key: Secret,
}

/// Where the config file lives: `--config`/`TIDSREG_GPT_CONFIG`, else the platform config
/// dir (`$XDG_CONFIG_HOME/tidsreg-gpt/config.toml` on Linux).
pub fn config_path(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    let dirs = directories::ProjectDirs::from("", "", "tidsreg-gpt").context(
        "cannot find a home directory for the config file; pass --config PATH or set TIDSREG_GPT_CONFIG",
    )?;
    Ok(dirs.config_dir().join("config.toml"))
}

impl FileConfig {
    /// Reads the file, or an empty config when it does not exist yet (first run).
    pub fn load(path: &Path) -> Result<Self> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read config file {}", path.display()));
            }
        };
        toml::from_str(&text).with_context(|| {
            format!(
                "config file {} is not valid; fix or delete it",
                path.display()
            )
        })
    }

    /// Writes the file readable by its owner only, since it holds keys and tokens.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = toml::to_string_pretty(self).context("cannot encode the config as TOML")?;
        write_private(path, &text)
            .with_context(|| format!("cannot write config file {}", path.display()))
    }

    /// Makes sure at least one API key exists, generating and saving one on first run.
    /// Returns true when a key was generated.
    pub fn ensure_api_key(&mut self, path: &Path) -> Result<bool> {
        if !self.api_keys.is_empty() {
            return Ok(false);
        }
        self.api_keys.push(ApiKey {
            id: FIRST_KEY_ID.to_string(),
            key: generate_api_key(),
        });
        self.save(path)?;
        Ok(true)
    }
}

impl FileConfig {
    /// Makes sure the static OAuth client exists, generating and saving it on first run.
    /// Returns true when it was generated.
    pub fn ensure_oauth_client(&mut self, path: &Path) -> Result<bool> {
        if self.oauth_client.is_some() {
            return Ok(false);
        }
        self.oauth_client = Some(generate_oauth_client());
        self.save(path)?;
        Ok(true)
    }
}

/// Characters of randomness in the generated client id: short enough to read in a GPT
/// editor, since the id is not a secret.
const OAUTH_CLIENT_ID_CHARS: usize = 8;

/// Fresh static client credentials: a readable id, a 256-bit secret.
pub fn generate_oauth_client() -> OAuthClient {
    let id: String = super::secret::random_id()
        .chars()
        .take(OAUTH_CLIENT_ID_CHARS)
        .collect();
    OAuthClient {
        id: format!("{OAUTH_CLIENT_ID_PREFIX}{id}"),
        secret: random_token(CLIENT_SECRET_PREFIX),
        redirect_uris: Vec::new(),
    }
}

/// A fresh API key: 256 random bits, URL-safe base64, with a recognisable prefix.
pub fn generate_api_key() -> Secret {
    random_token(API_KEY_PREFIX)
}

/// Creates parent directories and writes `text` with mode 0600 (on Unix) from the start,
/// so the secret is never readable by others, not even for a moment.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_long_random_and_url_safe() {
        let a = generate_api_key();
        let b = generate_api_key();
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().len() >= API_KEY_PREFIX.len() + 43);
        assert!(
            a.expose()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn config_file_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        let mut cfg = FileConfig::load(&path).unwrap();
        assert!(cfg.ensure_api_key(&path).unwrap());
        assert!(!cfg.ensure_api_key(&path).unwrap());
        let again = FileConfig::load(&path).unwrap();
        assert_eq!(again.api_keys[0].key, cfg.api_keys[0].key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_oauth_client_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let mut cfg = FileConfig::load(&path).unwrap();
        assert!(cfg.ensure_oauth_client(&path).unwrap());
        assert!(!cfg.ensure_oauth_client(&path).unwrap());
        let stored = FileConfig::load(&path).unwrap().oauth_client.unwrap();
        let made = cfg.oauth_client.unwrap();
        assert_eq!(stored.id, made.id);
        assert_eq!(stored.secret, made.secret);
        assert!(made.secret.expose().len() >= CLIENT_SECRET_PREFIX.len() + 43);
    }

    #[test]
    fn bad_config_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, "port = \"eighty\"").unwrap();
        let err = format!("{:#}", FileConfig::load(&path).unwrap_err());
        assert!(err.contains("config.toml"), "{err}");
    }
}

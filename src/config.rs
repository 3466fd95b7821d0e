//! Settings, validated once at start-up: flags, then `TIDSREG_*` environment variables (both
//! through clap), then the config file, then defaults. The rest of the program reads only
//! these typed values.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use url::Url;

use crate::cli::{ServeArgs, TunnelKind};
use crate::config_file::{ApiKey, FileConfig};
use crate::secret::Secret;

/// The real Tidsreg, used unless `--tidsreg-url` or `--demo` says otherwise.
pub const DEFAULT_TIDSREG_URL: &str = "https://tidsreg.trifork.com";
/// The port the seed's Flask server used, kept so existing tunnels and GPTs need no change.
pub const DEFAULT_PORT: u16 = 8000;
/// Loopback by default: the tunnel reaches us there, and nobody on the LAN can.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// Environment variable holding an API key to use instead of the stored ones (cloud
/// deployments, where the config file is not kept).
pub const API_KEY_ENV: &str = "TIDSREG_GPT_API_KEY";
/// Name the `TIDSREG_GPT_API_KEY` key goes by in logs.
const ENV_KEY_ID: &str = "env";

/// Where the API talks to Tidsreg.
#[derive(Debug, Clone)]
pub enum Upstream {
    /// The built-in fake, started in-process (`--demo`).
    Demo,
    /// A real (or self-hosted fake) Tidsreg at this base URL.
    Url(Url),
}

/// Everything `serve` needs, decided.
#[derive(Debug)]
pub struct ServeSettings {
    pub upstream: Upstream,
    pub host: String,
    pub port: u16,
    pub public_url: Option<Url>,
    pub tunnel: TunnelKind,
    pub api_keys: Vec<ApiKey>,
    /// Beside the config file: where the rendered schema is written.
    pub config_path: PathBuf,
}

impl ServeSettings {
    /// Merges flags/env (`args`) over the file, checks every value, and makes sure there is
    /// an API key (generating and saving one on first run).
    pub fn resolve(args: ServeArgs, config_path: PathBuf) -> Result<Self> {
        let mut file = FileConfig::load(&config_path)?;
        let api_keys = match env_api_key() {
            Some(key) => vec![key],
            None => {
                if file.ensure_api_key(&config_path)? {
                    tracing::info!(path = %config_path.display(), "generated an API key");
                }
                file.api_keys.clone()
            }
        };
        let upstream = if args.demo {
            Upstream::Demo
        } else {
            let raw = args.tidsreg_url.or(file.tidsreg_url);
            let raw = raw.as_deref().unwrap_or(DEFAULT_TIDSREG_URL);
            Upstream::Url(parse_base_url(raw, "the Tidsreg URL (--tidsreg-url)")?)
        };
        let public_url = args.public_url.or(file.public_url);
        let public_url = public_url
            .map(|raw| parse_base_url(&raw, "the public URL (--public-url)"))
            .transpose()?;
        Ok(Self {
            upstream,
            host: args
                .host
                .or(file.host)
                .unwrap_or_else(|| DEFAULT_HOST.into()),
            port: args.port.or(file.port).unwrap_or(DEFAULT_PORT),
            public_url,
            tunnel: args.tunnel.unwrap_or(TunnelKind::None),
            api_keys,
            config_path,
        })
    }

    /// Where `serve` writes the rendered schema: beside the config file.
    pub fn schema_path(&self) -> PathBuf {
        self.config_path.with_file_name("openapi.yaml")
    }
}

fn env_api_key() -> Option<ApiKey> {
    let key = std::env::var(API_KEY_ENV).ok()?;
    let key = key.trim();
    (!key.is_empty()).then(|| ApiKey {
        id: ENV_KEY_ID.into(),
        key: Secret::new(key),
    })
}

/// Parses and checks a base URL (upstream or public): http(s), a host, no query.
pub fn parse_base_url(value: &str, what: &str) -> Result<Url> {
    let url = Url::parse(value.trim())
        .with_context(|| format!("{what} `{value}` is not a URL; write it like https://host"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail!("{what} `{value}` must be an http:// or https:// URL with a host");
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail!("{what} `{value}` must not have a query or fragment");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        assert!(parse_base_url("https://tidsreg.trifork.com", "x").is_ok());
        assert!(parse_base_url("ftp://x", "x").is_err());
        assert!(parse_base_url("not a url", "x").is_err());
        assert!(parse_base_url("https://x/?a=1", "x").is_err());
    }
}

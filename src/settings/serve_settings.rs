//! Settings, validated once at start-up: flags, then environment variables (both through
//! clap), then the config file, then defaults. The rest of the program reads only these
//! typed values; `tidsreg-gpt config` shows each one with where it came from.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::ArgMatches;
use clap::parser::ValueSource;
use url::Url;

use super::Secret;
use super::cli::{ServeArgs, TunnelKind};
use super::config_file::{ApiKey, FileConfig, OAuthClient};
use super::credentials::Credentials;
use super::state_store::StoreLocation;
use ipnet::IpNet;

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
/// Fewest characters an API key may have. A key is the whole credential of a caller on a
/// public URL, so it must not be guessable; generated keys are far longer.
pub const MIN_API_KEY_CHARS: usize = 32;
/// Environment variables holding the static OAuth client instead of the stored one (cloud
/// deployments, where the config file is not kept; both must be set).
pub const OAUTH_CLIENT_ID_ENV: &str = "TIDSREG_GPT_OAUTH_CLIENT_ID";
/// See [`OAUTH_CLIENT_ID_ENV`].
pub const OAUTH_CLIENT_SECRET_ENV: &str = "TIDSREG_GPT_OAUTH_CLIENT_SECRET";

/// Requests per minute per caller, and per client address, unless configured.
pub const DEFAULT_PER_MINUTE: u32 = 600;
/// Password tries per minute per client address and per caller, unless configured.
pub const DEFAULT_LOGINS_PER_MINUTE: u32 = 10;
/// The working day a person is expected to book, unless configured otherwise (7.5 h is the
/// Danish 37-hour week over five days, rounded as Tidsreg users book it).
pub const DEFAULT_EXPECTED_HOURS: f64 = 7.5;
/// How long each session keeps lookups and week pages, unless configured otherwise.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(5 * 60);
/// How long opening the tunnel may take, unless configured otherwise: a down or black-holed
/// ngrok service is reported well within 15 s, while the local server already answers.
pub const DEFAULT_TUNNEL_TIMEOUT: Duration = Duration::from_secs(10);
/// Where people get an ngrok authtoken.
pub const AUTHTOKEN_URL: &str = "https://dashboard.ngrok.com/get-started/your-authtoken";

/// The configured rate-limit budgets; zero turns a limit off.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub per_minute: u32,
    pub logins_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_minute: DEFAULT_PER_MINUTE,
            logins_per_minute: DEFAULT_LOGINS_PER_MINUTE,
        }
    }
}

/// What opening an ngrok tunnel needs.
#[derive(Debug, Clone)]
pub struct NgrokSettings {
    pub authtoken: Secret,
    /// A reserved (static) domain: the URL then never changes, so the GPT never needs
    /// re-editing.
    pub domain: Option<String>,
    /// Another ingress (dedicated ngrok ingress, or a test's loopback port).
    pub server_addr: Option<String>,
    /// The whole budget for opening the tunnel (dial, TLS, auth, bind).
    pub open_timeout: Duration,
}

/// Where the API talks to Tidsreg.
#[derive(Debug, Clone)]
pub enum Upstream {
    /// The built-in fake, started in-process (`--demo`).
    Demo,
    /// A real (or self-hosted fake) Tidsreg at this base URL.
    Url(Url),
}

/// How the server becomes public.
#[derive(Debug, Clone)]
pub enum TunnelPlan {
    /// No tunnel; `hint` says how to get one when the user did not choose this.
    None {
        hint: Option<String>,
    },
    Ngrok(NgrokSettings),
}

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env,
    File,
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Flag => "flag",
            Self::Env => "environment",
            Self::File => "config file",
            Self::Default => "default",
        })
    }
}

/// One line of `tidsreg-gpt config`: name, printable value (secrets redacted), source.
pub type Provenance = Vec<(&'static str, String, Source)>;

/// Everything `serve` needs, decided.
#[derive(Debug)]
pub struct ServeSettings {
    pub upstream: Upstream,
    pub host: String,
    pub port: u16,
    pub public_url: Option<Url>,
    pub tunnel: TunnelPlan,
    pub api_keys: Vec<ApiKey>,
    /// The static OAuth client (GPT Actions' OAuth); `None` only when not generated yet.
    pub oauth_client: Option<OAuthClient>,
    /// False when `TIDSREG_GPT_API_KEY` provides the key; true: the file's keys, watched.
    pub keys_from_file: bool,
    /// The stored login `serve` signs its own key in with.
    pub credentials: Option<Credentials>,
    pub expected_hours: f64,
    pub cache_ttl: Duration,
    pub rate_limits: RateLimits,
    /// Where the state lives.
    pub store: StoreLocation,
    /// Proxies whose `X-Forwarded-For` is believed (empty: the TCP peer is the client).
    pub trusted_proxies: Vec<IpNet>,
    /// Web origins allowed on `/mcp` besides this server's own URLs (`--allow-origin`).
    pub allowed_origins: Vec<String>,
    /// The key sealing Tidsreg cookies in the store; `None` until `serve` generates it.
    pub state_key: Option<Secret>,
    pub open_browser: bool,
    pub clipboard: bool,
    /// Beside the config file: where the rendered schema is written.
    pub config_path: PathBuf,
    /// Where each value came from, for `tidsreg-gpt config`.
    pub provenance: Provenance,
}

/// Picks flag/env over file over default, and records which one won.
struct Picker<'a> {
    matches: Option<&'a ArgMatches>,
    provenance: Provenance,
}

impl Picker<'_> {
    fn pick<T: Clone>(
        &mut self,
        id: &'static str,
        arg: Option<T>,
        file: Option<T>,
        show: impl Fn(&T) -> String,
    ) -> Option<T> {
        let (value, source) = match (arg, file) {
            (Some(v), _) => (Some(v), self.arg_source(id)),
            (None, Some(v)) => (Some(v), Source::File),
            (None, None) => (None, Source::Default),
        };
        let shown = value
            .as_ref()
            .map(&show)
            .unwrap_or_else(|| "(not set)".into());
        self.provenance.push((id, shown, source));
        value
    }

    fn arg_source(&self, id: &str) -> Source {
        match self.matches.and_then(|m| m.value_source(id)) {
            Some(ValueSource::EnvVariable) => Source::Env,
            _ => Source::Flag,
        }
    }
}

impl ServeSettings {
    /// Merges flags/env (`args`, with `matches` telling which was which) over the file at
    /// `config_path` and checks every value. Reads only: `serve` generates what a first run
    /// lacks (an API key, the static OAuth client) before it resolves.
    pub fn resolve(
        args: ServeArgs,
        matches: Option<&ArgMatches>,
        config_path: PathBuf,
    ) -> Result<Self> {
        let file = FileConfig::load(&config_path)?;
        let api_keys = env_api_key().map_or_else(|| file.api_keys.clone(), |key| vec![key]);
        check_api_keys(&api_keys, &config_path)?;
        let mut stored = Vec::new();
        let credentials = stored_credentials(&file, &mut stored);
        let oauth_client = env_oauth_client().or_else(|| file.oauth_client.clone());
        let mut p = Picker {
            matches,
            provenance: Vec::new(),
        };
        let text = |s: &String| s.clone();
        let upstream = if args.demo {
            p.provenance
                .push(("tidsreg_url", "built-in demo".into(), Source::Flag));
            Upstream::Demo
        } else {
            let raw = p.pick("tidsreg_url", args.tidsreg_url, file.tidsreg_url, text);
            let raw = raw.as_deref().unwrap_or(DEFAULT_TIDSREG_URL);
            Upstream::Url(parse_base_url(raw, "the Tidsreg URL (--tidsreg-url)")?)
        };
        let host = p.pick("host", args.host, file.host, text);
        let port = p.pick("port", args.port, file.port, u16::to_string);
        let public_url = p.pick("public_url", args.public_url, file.public_url, text);
        let public_url = public_url
            .map(|raw| parse_base_url(&raw, "the public URL (--public-url)"))
            .transpose()?;
        let authtoken = p.pick(
            "authtoken",
            args.authtoken.map(Secret::new),
            file.ngrok_authtoken,
            |_| "(redacted)".into(),
        );
        let domain = p.pick("domain", args.domain, file.domain, text);
        let server_addr = p.pick(
            "ngrok_server_addr",
            args.ngrok_server_addr,
            file.ngrok_server_addr,
            text,
        );
        let expected = p.pick(
            "expected_hours",
            args.expected_hours,
            file.expected_hours,
            f64::to_string,
        );
        let expected_hours = expected.unwrap_or(DEFAULT_EXPECTED_HOURS);
        if !(0.0..=24.0).contains(&expected_hours) {
            bail!("--expected-hours must be between 0 and 24 (got {expected_hours})");
        }
        let cache_ttl = p.pick("cache_ttl", args.cache_ttl, file.cache_ttl, |s| {
            format!("{s} s")
        });
        let cache_ttl = cache_ttl.map_or(DEFAULT_CACHE_TTL, Duration::from_secs);
        let store = match p.pick("store", args.store, file.store, |s| {
            StoreLocation::parse(s).map_or_else(|_| s.clone(), |l| l.describe())
        }) {
            Some(raw) => StoreLocation::parse(&raw)?,
            None => {
                let default = StoreLocation::default_embedded()?;
                if let Some(last) = p.provenance.last_mut() {
                    last.1 = default.describe();
                }
                default
            }
        };
        let state_key = super::state_store::state_key(&config_path)?;
        let per_minute = p.pick("rate_limit", args.rate_limit, file.rate_limit, per_min);
        let logins = p.pick(
            "login_rate_limit",
            args.login_rate_limit,
            file.login_rate_limit,
            per_min,
        );
        let rate_limits = RateLimits {
            per_minute: per_minute.unwrap_or(DEFAULT_PER_MINUTE),
            logins_per_minute: logins.unwrap_or(DEFAULT_LOGINS_PER_MINUTE),
        };
        let tunnel_timeout = p.pick(
            "tunnel_timeout",
            args.tunnel_timeout,
            file.tunnel_timeout,
            |s| format!("{s} s"),
        );
        if tunnel_timeout == Some(0) {
            bail!("--tunnel-timeout must be at least 1 second");
        }
        let ngrok = NgrokOptions {
            domain,
            server_addr,
            open_timeout: tunnel_timeout.map_or(DEFAULT_TUNNEL_TIMEOUT, Duration::from_secs),
        };
        let tunnel = tunnel_plan(args.tunnel, public_url.is_some(), authtoken, ngrok)?;
        let trust = p.pick("trust_proxy", args.trust_proxy, file.trust_proxy, text);
        let trusted_proxies = match (trust, &tunnel) {
            (Some(ranges), _) => parse_ranges(&ranges)?,
            // Our own tunnel forwards from loopback, its edge naming the client.
            (None, TunnelPlan::Ngrok(_)) => {
                LOOPBACK_RANGES.map(|r| r.parse().expect("static")).to_vec()
            }
            (None, TunnelPlan::None { .. }) => Vec::new(),
        };
        let allow = p.pick("allow_origin", args.allow_origin, file.allow_origin, text);
        let allowed_origins = allow
            .as_deref()
            .map(parse_origins)
            .transpose()?
            .unwrap_or_default();
        let keys = api_keys
            .iter()
            .map(|k| k.id.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        p.provenance.extend(stored);
        let keys_from_file = env_api_key().is_none();
        let keys_source = if keys_from_file {
            Source::File
        } else {
            Source::Env
        };
        p.provenance
            .push(("api_keys", format!("{keys} (keys redacted)"), keys_source));
        if let Some(client) = &oauth_client {
            let shown = format!("{} (secret redacted)", client.id);
            let from_env = std::env::var_os(OAUTH_CLIENT_ID_ENV).is_some();
            let source = if from_env { Source::Env } else { Source::File };
            p.provenance.push(("oauth_client", shown, source));
        }
        Ok(Self {
            upstream,
            host: host.unwrap_or_else(|| DEFAULT_HOST.into()),
            port: port.unwrap_or(DEFAULT_PORT),
            public_url,
            tunnel,
            api_keys,
            keys_from_file,
            credentials,
            expected_hours,
            cache_ttl,
            rate_limits,
            store,
            state_key,
            trusted_proxies,
            allowed_origins,
            oauth_client,
            open_browser: !args.no_open,
            clipboard: !args.no_clipboard,
            config_path,
            provenance: p.provenance,
        })
    }

    /// Where `serve` writes the rendered schema: beside the config file.
    pub fn schema_path(&self) -> PathBuf {
        self.config_path.with_file_name("openapi.yaml")
    }
}

/// Refuses a key shorter than [`MIN_API_KEY_CHARS`], saying where it is and how to make a
/// good one. The key itself is never printed.
fn check_api_keys(keys: &[ApiKey], config_path: &std::path::Path) -> Result<()> {
    for key in keys {
        let length = key.key.expose().chars().count();
        if length >= MIN_API_KEY_CHARS {
            continue;
        }
        let place = if key.id == ENV_KEY_ID {
            format!("{API_KEY_ENV} is")
        } else {
            format!("the API key `{}` in {} is", key.id, config_path.display())
        };
        bail!(
            "{place} too short ({length} characters; at least {MIN_API_KEY_CHARS} are needed, so it cannot be guessed): make a key with `tidsreg-gpt key add NAME`, or use {MIN_API_KEY_CHARS} or more random characters (for example from `openssl rand -hex 32`)"
        );
    }
    Ok(())
}

/// The stored login, if any. A keyring that cannot be read is a warning, not a failure:
/// the server still works, with the GPT asking for the login.
fn stored_credentials(file: &FileConfig, provenance: &mut Provenance) -> Option<Credentials> {
    match super::credentials::load(file) {
        Ok(Some(c)) => {
            provenance.push((
                "login",
                format!("{} for key {} (password redacted)", c.username, c.key_id),
                Source::File,
            ));
            Some(c)
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!("the stored Tidsreg login cannot be used: {e:#}");
            None
        }
    }
}

/// The static client of the environment pair, when both are set (cloud deployments).
fn env_oauth_client() -> Option<OAuthClient> {
    let env = |name| {
        std::env::var(name)
            .ok()
            .filter(|v: &String| !v.trim().is_empty())
    };
    let (id, secret) = (env(OAUTH_CLIENT_ID_ENV)?, env(OAUTH_CLIENT_SECRET_ENV)?);
    Some(OAuthClient {
        id: id.trim().to_string(),
        secret: Secret::new(secret.trim()),
        redirect_uris: Vec::new(),
    })
}

/// True when the environment provides the API key (`serve` then generates none).
pub fn api_key_from_env() -> bool {
    env_api_key().is_some()
}

/// True when the environment provides the static OAuth client.
pub fn oauth_client_from_env() -> bool {
    env_oauth_client().is_some()
}

/// What an ngrok tunnel is opened with, besides the token.
struct NgrokOptions {
    domain: Option<String>,
    server_addr: Option<String>,
    open_timeout: Duration,
}

/// The ranges trusted by default behind the in-process ngrok tunnel.
const LOOPBACK_RANGES: [&str; 2] = ["127.0.0.0/8", "::1/128"];

/// `--trust-proxy`: CIDR ranges (or single addresses), comma-separated.
fn parse_ranges(raw: &str) -> Result<Vec<IpNet>> {
    raw.split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|range| {
            range
                .parse::<IpNet>()
                .or_else(|_| range.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "--trust-proxy `{range}` is not an address or CIDR range; write it like 10.0.0.0/8 or 192.0.2.7"
                    )
                })
        })
        .collect()
}

/// `--allow-origin`: web origins (`scheme://host[:port]`), comma-separated.
fn parse_origins(raw: &str) -> Result<Vec<String>> {
    raw.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let parsed = url::Url::parse(origin).ok().filter(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some()
                    && u.path() == "/"
                    && u.query().is_none()
                    && u.username().is_empty()
            });
            match parsed {
                Some(url) => Ok(url.origin().ascii_serialization()),
                None => Err(anyhow::anyhow!(
                    "--allow-origin `{origin}` is not a web origin; write it like https://example.com or http://localhost:6274 (scheme, host and port, no path)"
                )),
            }
        })
        .collect()
}

/// ngrok when asked, or by default when a token is known and nothing else makes us public.
fn tunnel_plan(
    asked: Option<TunnelKind>,
    has_public_url: bool,
    authtoken: Option<Secret>,
    options: NgrokOptions,
) -> Result<TunnelPlan> {
    let ngrok = |authtoken| {
        TunnelPlan::Ngrok(NgrokSettings {
            authtoken,
            domain: options.domain.clone(),
            server_addr: options.server_addr.clone(),
            open_timeout: options.open_timeout,
        })
    };
    Ok(match (asked, authtoken) {
        (Some(TunnelKind::None), _) => TunnelPlan::None { hint: None },
        (Some(TunnelKind::Ngrok), None) => bail!(
            "--tunnel ngrok needs an ngrok authtoken: get one at {AUTHTOKEN_URL}, then pass --authtoken, set NGROK_AUTHTOKEN, or run `tidsreg-gpt init`"
        ),
        (Some(TunnelKind::Ngrok), Some(token)) => ngrok(token),
        (None, _) if has_public_url => TunnelPlan::None { hint: None },
        (None, Some(token)) => ngrok(token),
        (None, None) => TunnelPlan::None {
            hint: Some(format!(
                "No ngrok authtoken, so no tunnel: ChatGPT cannot reach this server. Get a token at {AUTHTOKEN_URL} and run `tidsreg-gpt init` (or set NGROK_AUTHTOKEN)."
            )),
        },
    })
}

fn per_min(n: &u32) -> String {
    if *n == 0 {
        "off".into()
    } else {
        format!("{n}/min")
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

/// Parses and checks a base URL (upstream or public), naming `what` it is when it is wrong.
pub fn parse_base_url(value: &str, what: &str) -> Result<Url> {
    super::base_url::parse_base_url(value).map_err(|problem| {
        anyhow::anyhow!("{what} `{value}` {problem}; write it like https://host")
    })
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

    #[test]
    fn tunnel_defaults_to_ngrok_only_with_a_token_and_no_public_url() {
        let token = || Some(Secret::new("t"));
        let options = || NgrokOptions {
            domain: None,
            server_addr: None,
            open_timeout: DEFAULT_TUNNEL_TIMEOUT,
        };
        let plan = |asked, public, token| tunnel_plan(asked, public, token, options()).unwrap();
        assert!(matches!(plan(None, false, token()), TunnelPlan::Ngrok(_)));
        assert!(matches!(
            plan(None, true, token()),
            TunnelPlan::None { hint: None }
        ));
        assert!(matches!(
            plan(None, false, None),
            TunnelPlan::None { hint: Some(_) }
        ));
        assert!(matches!(
            plan(Some(TunnelKind::None), false, token()),
            TunnelPlan::None { hint: None }
        ));
        let err = tunnel_plan(Some(TunnelKind::Ngrok), false, None, options()).unwrap_err();
        assert!(err.to_string().contains(AUTHTOKEN_URL));
    }
}

//! The state every request may use, built in one place: `serve`, the tests and the
//! benchmark all go through [`AppState::new`].

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use url::Url;

use super::allowed_origins::AllowedOrigins;
use super::api_keys::ApiKeys;
use super::connections::ConnectionLimits;
use super::live_text::LiveSchema;
use super::login_budget::LoginBudget;
use super::oauth::{self, ClientDocuments, Clients, OAuth, RegistrationCaps};
use super::public_url::PublicUrl;
use super::rate_limits::{Limits, TrustedProxies};
use crate::ops::{IndexSettings, Ops};
use crate::settings::config_file::OAuthClient;
use crate::settings::credentials::Credentials;
use crate::settings::serve_settings::{DEFAULT_CACHE_TTL, DEFAULT_EXPECTED_HOURS, RateLimits};
use crate::store::sealed::{Sealer, new_key};
use crate::store::sqlite::Sqlite;
use crate::store::{Clock, SessionStore, StateStore};
use crate::tidsreg::Tidsreg;

/// What the app is built from: `serve` fills it from its settings, tests and the benchmark
/// from [`AppConfig::new`]'s defaults with a field or two changed.
pub struct AppConfig {
    /// The Tidsreg base URL (the real one, or the fake's).
    pub upstream: Url,
    /// The whole-request budget of each upstream call.
    pub upstream_timeout: Duration,
    /// The base URL clients outside see; it follows the tunnel.
    pub public_url: PublicUrl,
    pub api_keys: ApiKeys,
    /// The static OAuth client (GPT Actions), if any.
    pub static_client: Option<OAuthClient>,
    pub access_token_ttl: Duration,
    pub rate_limits: RateLimits,
    /// How long each session keeps lookups and week pages; zero: no caching.
    pub cache_ttl: Duration,
    /// Hours a working day should hold; fewer gives a warning.
    pub expected_hours: f64,
    /// The stored login (`tidsreg-gpt login`) that signs its key in by itself.
    pub credentials: Option<Credentials>,
    /// The time every expiry is measured on. [`AppConfig::new`] builds its in-memory store on
    /// this same clock: replace the two together (tests move it to expire records).
    pub clock: Clock,
    /// The proxies whose `X-Forwarded-For` names the client (none: the TCP peer is).
    pub trusted_proxies: TrustedProxies,
    /// How many OAuth clients may register, per address and in total, per hour.
    pub registration_caps: RegistrationCaps,
    /// Where state that outlives a request lives (sessions, OAuth, idempotency records).
    pub store: StateStore,
    /// Seals each caller's Tidsreg cookies in the store.
    pub sealer: Sealer,
    /// How many connections stay open, and how long a silent one is kept.
    pub connection_limits: ConnectionLimits,
    /// The URL this server answers at locally (its listening address); with its loopback
    /// aliases and the public URL, the names `/mcp` accepts in `Host` and `Origin`.
    pub local_url: String,
    /// More web origins `/mcp` accepts (`--allow-origin`).
    pub allowed_origins: Vec<String>,
    /// Whether client metadata documents may be fetched from loopback over plain http:
    /// tests (and the conformance suite) serve them there; never on a real server.
    pub client_documents_from_loopback: bool,
    /// When each user's catalogue is indexed for search (after sign-in, and how often again).
    pub index: IndexSettings,
}

impl AppConfig {
    /// The defaults `serve` uses, in front of `upstream`, seen from outside at `public_url`,
    /// with no API key and no static OAuth client, and state in memory with a fresh key
    /// (`serve` passes the configured store and key).
    pub fn new(upstream: Url, public_url: &str) -> Self {
        let clock = Clock::system();
        let store = Sqlite::in_memory(clock.clone()).expect("SQLite opens in memory");
        let sealer = Sealer::from_text(&new_key()).expect("a new key is a key");
        Self {
            upstream,
            upstream_timeout: crate::tidsreg::REQUEST_TIMEOUT,
            public_url: PublicUrl::new(public_url),
            api_keys: ApiKeys::new(Vec::new()),
            static_client: None,
            access_token_ttl: oauth::ACCESS_TOKEN_TTL,
            rate_limits: RateLimits::default(),
            cache_ttl: DEFAULT_CACHE_TTL,
            expected_hours: DEFAULT_EXPECTED_HOURS,
            credentials: None,
            clock,
            trusted_proxies: TrustedProxies::default(),
            registration_caps: RegistrationCaps::default(),
            store: StateStore::new(store),
            sealer,
            connection_limits: ConnectionLimits::default(),
            local_url: public_url.to_string(),
            allowed_origins: Vec::new(),
            client_documents_from_loopback: false,
            index: IndexSettings::default(),
        }
    }
}

/// Everything the door and the routes share. axum clones the state several times per
/// request (router, each layer, the extractor), so it is one `Arc`: a clone is one counter
/// bump instead of a dozen (the profile in bench/RESULTS.md showed 10 % of a cached lookup).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
#[derive(Debug)]
pub struct Shared {
    pub ops: Ops,
    pub keys: Arc<ApiKeys>,
    /// The rendered Action schema, served at `/openapi.yaml`.
    pub schema: LiveSchema,
    /// The OAuth authorization server: its tokens work on `/api` and `/mcp`.
    pub oauth: OAuth,
    pub limits: Limits,
    /// Who the client is, behind which proxies.
    pub trusted_proxies: TrustedProxies,
    /// The budget of password tries, shared through the state store.
    pub login_budget: LoginBudget,
    /// The base URL clients outside see.
    pub public_url: PublicUrl,
    pub connection_limits: ConnectionLimits,
    /// The names `/mcp` answers to (DNS-rebinding protection).
    pub allowed_origins: AllowedOrigins,
}

impl AppState {
    /// The one constructor: the upstream client, the per-caller sessions, the operations,
    /// the OAuth server and the rate limits, wired together; the schema rendered for the
    /// public URL (replace it with [`LiveSchema::set`] when the URL changes).
    pub fn new(config: AppConfig) -> Result<Self> {
        let tidsreg = Tidsreg::with_timeout(config.upstream, config.upstream_timeout)?;
        let sessions = Arc::new(SessionStore::new(
            config.store.clone(),
            config.sealer,
            config.cache_ttl,
            config.clock.clone(),
        ));
        let ops = Ops::new(
            tidsreg,
            sessions,
            config.store.clone(),
            config.clock.clone(),
        )
        .with_expected_hours(config.expected_hours)
        .with_index_settings(config.index);
        let ops = match config.credentials {
            Some(credentials) => ops.with_credentials(credentials),
            None => ops,
        };
        let clients = Clients::new(
            config.static_client.as_ref(),
            config.store.clone(),
            ClientDocuments::new(config.client_documents_from_loopback),
        );
        let oauth = OAuth::new(
            clients,
            config.access_token_ttl,
            config.public_url.clone(),
            ops.clone(),
            config.clock.clone(),
            config.store.clone(),
            config.registration_caps,
        );
        let login_budget = LoginBudget::new(
            config.store,
            config.clock,
            config.rate_limits.logins_per_minute,
        );
        let yaml = crate::schema::render(&config.public_url.get())
            .context("cannot render the Action schema")?;
        Ok(Self(Arc::new(Shared {
            ops,
            keys: Arc::new(config.api_keys),
            schema: LiveSchema::new(&yaml),
            oauth,
            limits: Limits::new(config.rate_limits),
            trusted_proxies: config.trusted_proxies,
            login_budget,
            public_url: config.public_url,
            connection_limits: config.connection_limits,
            allowed_origins: AllowedOrigins::new(&config.local_url, &config.allowed_origins),
        })))
    }
}

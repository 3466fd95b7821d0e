//! The app root: the state every request may use ([`AppState`], built in one place from an
//! [`AppConfig`]), the router ([`app`]), and the two layers every request passes: the
//! [`frame`] (limits, deadline, JSON errors, the log line) and the [`door`] (who is calling,
//! and every rate limit). Under them sit the REST routes ([`api`]), the MCP endpoint
//! ([`mcp`]) and the OAuth server ([`oauth`]); none of the three imports another.

pub mod api;
pub mod api_keys;
pub mod door;
pub mod error;
pub mod frame;
pub mod live_text;
pub mod mcp;
pub mod oauth;
pub mod public_url;
pub mod rate_limits;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::middleware::{from_fn, from_fn_with_state};
use url::Url;

use crate::ops::Ops;
use crate::settings::config_file::OAuthClient;
use crate::settings::credentials::Credentials;
use crate::settings::serve_settings::{DEFAULT_EXPECTED_HOURS, RateLimits};
use crate::store::{Clock, SessionStore};
use crate::tidsreg::Tidsreg;
use api_keys::ApiKeys;
pub use live_text::LiveSchema;
use oauth::OAuth;
use public_url::PublicUrl;
use rate_limits::Limits;

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
    /// The time every expiry is measured on.
    pub clock: Clock,
}

impl AppConfig {
    /// The defaults `serve` uses, in front of `upstream`, seen from outside at `public_url`,
    /// with no API key and no static OAuth client.
    pub fn new(upstream: Url, public_url: &str) -> Self {
        Self {
            upstream,
            upstream_timeout: crate::tidsreg::REQUEST_TIMEOUT,
            public_url: PublicUrl::new(public_url),
            api_keys: ApiKeys::new(Vec::new()),
            static_client: None,
            access_token_ttl: oauth::ACCESS_TOKEN_TTL,
            rate_limits: RateLimits::default(),
            cache_ttl: crate::store::ttl_cache::DEFAULT_TTL,
            expected_hours: DEFAULT_EXPECTED_HOURS,
            credentials: None,
            clock: Clock::system(),
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
    /// The base URL clients outside see.
    pub public_url: PublicUrl,
}

impl AppState {
    /// The one constructor: the upstream client, the per-caller sessions, the operations,
    /// the OAuth server and the rate limits, wired together; the schema rendered for the
    /// public URL (replace it with [`LiveSchema::set`] when the URL changes).
    pub fn new(config: AppConfig) -> Result<Self> {
        let tidsreg = Tidsreg::with_timeout(config.upstream, config.upstream_timeout)?;
        let sessions = Arc::new(SessionStore::default());
        let ops = Ops::new(tidsreg, sessions, config.clock.clone())
            .with_cache_ttl(config.cache_ttl)
            .with_expected_hours(config.expected_hours);
        let ops = match config.credentials {
            Some(credentials) => ops.with_credentials(credentials),
            None => ops,
        };
        let oauth = OAuth::new(
            config.static_client.as_ref(),
            config.access_token_ttl,
            config.public_url.clone(),
            ops.clone(),
            config.clock,
        );
        let yaml = crate::schema::render(&config.public_url.get())
            .context("cannot render the Action schema")?;
        Ok(Self(Arc::new(Shared {
            ops,
            keys: Arc::new(config.api_keys),
            schema: LiveSchema::new(&yaml),
            oauth,
            limits: Limits::new(config.rate_limits),
            public_url: config.public_url,
        })))
    }
}

/// The whole HTTP app, apart from serving, so tests can also drive it directly. Every route
/// sits behind the door; the frame wraps everything, the door's refusals included.
pub fn app(state: AppState) -> Router {
    let routes = api::router(state.ops.clone(), state.schema.clone())
        .merge(oauth::router(state.oauth.clone()))
        .merge(mcp::router(state.ops.clone()));
    // No CORS layer on purpose: GPT Actions and MCP clients call server to server, so no
    // browser origin is ever allowed to read answers (the seed echoed any origin).
    routes
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(from_fn_with_state(state, door::door))
        .layer(DefaultBodyLimit::max(frame::MAX_BODY_BYTES))
        .layer(from_fn(frame::frame))
}

/// The app as a service that tells the door each client's address (for rate limits):
/// `axum::serve(listener, http::service(state))`.
pub fn service(state: AppState) -> IntoMakeServiceWithConnectInfo<Router, SocketAddr> {
    app(state).into_make_service_with_connect_info::<SocketAddr>()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::mcp::McpServer;

    /// `getHours` → `get_hours`: the tool of a REST operation.
    fn tool_name(operation_id: &str) -> String {
        operation_id.chars().fold(String::new(), |mut name, c| {
            if c.is_ascii_uppercase() {
                name.push('_');
            }
            name.push(c.to_ascii_lowercase());
            name
        })
    }

    fn words(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// `#/components/…/Name` of the schema, resolved.
    fn resolve<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => reference
                .trim_start_matches("#/")
                .split('/')
                .fold(schema, |node, part| &node[part]),
            None => node,
        }
    }

    /// Parameter and body-field descriptions of one REST operation, by name.
    fn rest_fields(schema: &Value, operation: &Value) -> BTreeMap<String, String> {
        let mut fields = BTreeMap::new();
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let parameter = resolve(schema, parameter);
            let name = parameter["name"].as_str().unwrap_or_default();
            let description = parameter["description"].as_str().unwrap_or_default();
            fields.insert(name.to_string(), words(description));
        }
        let body = &operation["requestBody"]["content"]["application/json"]["schema"];
        let body = resolve(schema, body);
        for (name, property) in body["properties"].as_object().into_iter().flatten() {
            let description = property["description"].as_str().unwrap_or_default();
            fields.insert(name.clone(), words(description));
        }
        fields
    }

    /// The Action schema and the MCP tools describe each operation's inputs with the same
    /// names and the same words, since both come from one place per operation (the ops
    /// input types for the tools; the template's entry is checked against them here).
    #[test]
    fn the_schema_and_the_tools_describe_each_input_alike() {
        let yaml = crate::schema::render("https://example.test").unwrap();
        let schema: Value = yaml_serde::from_str(&yaml).unwrap();
        let tools: BTreeMap<String, Value> = McpServer::all_tools()
            .into_iter()
            .map(|tool| {
                (
                    tool.name.to_string(),
                    Value::Object((*tool.input_schema).clone()),
                )
            })
            .collect();
        let mut compared = 0;
        let mut differences = Vec::new();
        let paths = schema["paths"].as_object().unwrap();
        for (path, methods) in paths.iter().filter(|(path, _)| path.starts_with("/api/")) {
            for (method, operation) in methods.as_object().unwrap() {
                let Some(id) = operation["operationId"].as_str() else {
                    continue;
                };
                let tool = tools
                    .get(&tool_name(id))
                    .unwrap_or_else(|| panic!("{method} {path} ({id}) has no MCP tool"));
                let from_tool: BTreeMap<String, String> = tool["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, p)| {
                        let description = p["description"].as_str().unwrap_or_default();
                        (name.clone(), words(description))
                    })
                    .collect();
                let from_rest = rest_fields(&schema, operation);
                if from_rest != from_tool {
                    differences.push(format!(
                        "{id}:\n  schema {from_rest:?}\n  tool   {from_tool:?}"
                    ));
                }
                compared += 1;
            }
        }
        assert!(differences.is_empty(), "{}", differences.join("\n"));
        assert_eq!(compared, tools.len(), "every tool is a REST operation too");
    }
}

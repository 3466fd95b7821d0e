//! Shared fixture: the real API server on 127.0.0.1:0, in front of the real fake upstream,
//! driven over real HTTP.
#![allow(dead_code)]

pub mod binary;
pub mod oauth;

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use url::Url;

use tidsreg_gpt::api::limits::RateLimits;
use tidsreg_gpt::api::{self, AppState, LiveSchema};
use tidsreg_gpt::auth::ApiKeys;
use tidsreg_gpt::config_file::{ApiKey, OAuthClient};
use tidsreg_gpt::fake::{DEMO_PASSWORD, DEMO_USERNAME, FakeControls, FakeUpstream};
use tidsreg_gpt::oauth::{OAuth, OAuthSettings};
use tidsreg_gpt::ops::Ops;
use tidsreg_gpt::public_url::PublicUrl;
use tidsreg_gpt::secret::Secret;
use tidsreg_gpt::sessions::SessionStore;
use tidsreg_gpt::tidsreg::Tidsreg;

/// The first API key of every test server.
pub const KEY_A: &str = "tgpt_test-key-a-0123456789abcdefghijklmnopqrstuv";
/// A second key: another person, with another Tidsreg session.
pub const KEY_B: &str = "tgpt_test-key-b-0123456789abcdefghijklmnopqrstuv";
/// The static OAuth client of every test server.
pub const STATIC_CLIENT_ID: &str = "tidsreg-gpt-test";
/// Its secret.
pub const STATIC_CLIENT_SECRET: &str = "tgpt_cs_test-secret-0123456789abcdefghijklmnop";
/// The one redirect URI the static client may use in tests.
pub const STATIC_REDIRECT_URI: &str = "https://chatgpt.example/aip/g-test/oauth/callback";

/// A running API server and the fake upstream behind it.
pub struct TestServer {
    pub url: String,
    fake: Option<FakeUpstream>,
    pub controls: FakeControls,
    http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// How a test server is set up; [`Setup::default`] is what `serve` does.
pub struct Setup {
    pub timeout: Duration,
    pub cache_ttl: Duration,
    pub limits: RateLimits,
    pub access_ttl: Duration,
    pub adjust: Box<dyn FnOnce(Ops) -> Ops>,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            timeout: tidsreg_gpt::tidsreg::REQUEST_TIMEOUT,
            cache_ttl: tidsreg_gpt::cache::DEFAULT_TTL,
            limits: RateLimits::default(),
            access_ttl: tidsreg_gpt::oauth::ACCESS_TOKEN_TTL,
            adjust: Box::new(|ops| ops),
        }
    }
}

/// Starts the fake upstream and the API server as `serve` would.
pub async fn start() -> TestServer {
    start_setup(Setup::default()).await
}

/// Same, with a short upstream time-out for time-out tests.
pub async fn start_with_timeout(timeout: Duration) -> TestServer {
    start_setup(Setup {
        timeout,
        ..Setup::default()
    })
    .await
}

/// Same, with the lookup cache's time-to-live (zero: off).
pub async fn start_with_cache(cache_ttl: Duration) -> TestServer {
    start_setup(Setup {
        cache_ttl,
        ..Setup::default()
    })
    .await
}

/// Same, with these rate limits.
pub async fn start_with_limits(limits: RateLimits) -> TestServer {
    start_setup(Setup {
        limits,
        ..Setup::default()
    })
    .await
}

/// Same, with the operations adjusted (stored credentials, say).
pub async fn start_with_ops(adjust: impl FnOnce(Ops) -> Ops + 'static) -> TestServer {
    start_setup(Setup {
        adjust: Box::new(adjust),
        ..Setup::default()
    })
    .await
}

/// Same, with OAuth access tokens that live only `access_ttl` (expiry tests).
pub async fn start_with(timeout: Duration, access_ttl: Duration) -> TestServer {
    start_setup(Setup {
        timeout,
        access_ttl,
        ..Setup::default()
    })
    .await
}

/// Starts a server set up as `setup` says.
pub async fn start_setup(setup: Setup) -> TestServer {
    let fake = FakeUpstream::start().await.expect("fake upstream starts");
    let controls = fake.controls();
    let upstream = Url::parse(&fake.url()).unwrap();
    let keys = vec![key("a", KEY_A), key("b", KEY_B)];
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sessions = Arc::new(SessionStore::default());
    let mut oauth = OAuthSettings::new(Some(OAuthClient {
        id: STATIC_CLIENT_ID.into(),
        secret: Secret::new(STATIC_CLIENT_SECRET),
        redirect_uris: vec![STATIC_REDIRECT_URI.into()],
    }));
    oauth.access_token_ttl = setup.access_ttl;
    let tidsreg = Tidsreg::with_timeout(upstream, setup.timeout).unwrap();
    let ops = (setup.adjust)(Ops::new(tidsreg, sessions.clone()).with_cache_ttl(setup.cache_ttl));
    let schema = LiveSchema::new(&tidsreg_gpt::schema::render("https://example.test").unwrap());
    let oauth = OAuth::new(&oauth, PublicUrl::new(&url), sessions);
    let state = AppState::build(ops, ApiKeys::new(keys), schema, oauth, setup.limits);
    let server = tokio::spawn(async move {
        axum::serve(listener, api::service(state)).await.unwrap();
    });
    TestServer {
        url,
        fake: Some(fake),
        controls,
        http: reqwest::Client::new(),
        server,
    }
}

fn key(id: &str, key: &str) -> ApiKey {
    ApiKey {
        id: id.into(),
        key: Secret::new(key),
    }
}

impl TestServer {
    /// Stops the fake upstream, as if Tidsreg went down.
    pub async fn stop_upstream(&mut self) {
        if let Some(fake) = self.fake.take() {
            fake.shutdown().await;
        }
    }

    /// GET with an optional bearer key; answers status and JSON body.
    pub async fn get(&self, key: Option<&str>, path_and_query: &str) -> (StatusCode, Value) {
        let mut request = self.http.get(format!("{}{path_and_query}", self.url));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        into_json(request.send().await.unwrap()).await
    }

    /// POST a JSON body.
    pub async fn post_json(
        &self,
        key: Option<&str>,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut request = self.http.post(format!("{}{path}", self.url)).json(&body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        into_json(request.send().await.unwrap()).await
    }

    /// A raw request builder for the odd cases (forms, headers, methods).
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url))
    }

    /// Signs `key` in to the fake as `username`.
    pub async fn login_as(&self, key: &str, username: &str, password: &str) -> (StatusCode, Value) {
        self.post_json(
            Some(key),
            "/api/login",
            json!({ "username": username, "password": password }),
        )
        .await
    }

    /// Signs `key` in as the demo user and checks it worked.
    pub async fn login(&self, key: &str) {
        let (status, body) = self.login_as(key, DEMO_USERNAME, DEMO_PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

/// Reads a response as JSON, failing the test with the raw text when it is not JSON.
pub async fn into_json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("answer with status {status} is not JSON ({e}): {text}"));
    (status, value)
}

/// Asserts an error answer has the documented shape and returns its message.
pub fn assert_error(status: StatusCode, body: &Value, want: StatusCode, code: &str) -> String {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["status"], want.as_u16(), "{body}");
    assert_eq!(body["code"], code, "{body}");
    let message = body["error"]
        .as_str()
        .expect("error is a string")
        .to_string();
    assert!(message.len() > 20, "error message too thin: {message}");
    message
}

/// The names in a lookup answer.
pub fn names(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap_or_else(|| panic!("not an array: {body}"))
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_string())
        .collect()
}

/// The id of the entry called `name` in a lookup answer.
pub fn id_of(body: &Value, name: &str) -> u64 {
    body.as_array()
        .unwrap()
        .iter()
        .find(|item| item["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {body}"))["id"]
        .as_u64()
        .unwrap()
}

//! An OAuth client as MCP clients behave: register, authorize with PKCE S256 (GET the page,
//! POST the form), read the code off the redirect, exchange it. Each step is its own
//! function so tests can break the flow where they need to.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::TestServer;

/// Where our test clients are "sent back to"; nothing listens there, we read `Location`.
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

/// A PKCE pair (RFC 7636).
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

/// A fresh random verifier and its S256 challenge.
pub fn pkce() -> Pkce {
    let bytes: [u8; 32] = rand::random();
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

/// A client as registered: public (PKCE, no secret) unless a secret came back.
#[derive(Clone, Debug)]
pub struct Client {
    pub id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
}

/// Tokens from the token endpoint.
#[derive(Clone, Debug)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// An HTTP client that never follows redirects: the redirect is what we inspect.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Registers a public client (as Claude and ChatGPT connectors do) for `REDIRECT_URI`.
pub async fn register(server: &TestServer) -> Client {
    let response = http()
        .post(format!("{}/oauth/register", server.url))
        .json(&json!({
            "client_name": "Test <MCP> client",
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    Client {
        id: body["client_id"].as_str().unwrap().to_string(),
        secret: body["client_secret"].as_str().map(str::to_string),
        redirect_uri: REDIRECT_URI.to_string(),
    }
}

/// The authorization URL a client sends the person to.
pub fn authorize_url(server: &TestServer, client: &Client, challenge: &str, state: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", state)
        .append_pair("scope", "tidsreg")
        .append_pair("resource", &format!("{}/mcp", server.url))
        .finish();
    format!("{}/oauth/authorize?{query}", server.url)
}

/// GETs the sign-in page: status and HTML.
pub async fn open_page(url: &str) -> (StatusCode, String) {
    let response = http().get(url).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The pending request id in the page's hidden field.
pub fn request_id(html: &str) -> String {
    let marker = r#"name="request" value=""#;
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no request field: {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// POSTs the sign-in form.
pub async fn submit(
    server: &TestServer,
    request: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    http()
        .post(format!("{}/oauth/authorize", server.url))
        .form(&[
            ("request", request),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// The code in a redirect to the client, after checking `state` came back unchanged.
pub fn code_from(response: &reqwest::Response, client: &Client, state: &str) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "not a redirect");
    let location = response.headers()[LOCATION].to_str().unwrap();
    assert!(location.starts_with(&client.redirect_uri), "{location}");
    let url = url::Url::parse(location).unwrap();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some(state), "{location}");
    param("code").unwrap_or_else(|| panic!("no code in {location}"))
}

/// POSTs a form to the token endpoint as `client`: status and JSON.
pub async fn token_request(
    server: &TestServer,
    client: &Client,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    form.push(("client_id", &client.id));
    if let Some(secret) = &client.secret {
        form.push(("client_secret", secret));
    }
    let response = http()
        .post(format!("{}/oauth/token", server.url))
        .form(&form)
        .send()
        .await
        .unwrap();
    super::into_json(response).await
}

/// Exchanges a code.
pub async fn exchange(
    server: &TestServer,
    client: &Client,
    code: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    token_request(
        server,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &client.redirect_uri),
            ("code_verifier", verifier),
        ],
    )
    .await
}

/// The code of a successful sign-in as `username`, with its PKCE verifier.
pub async fn code_for(
    server: &TestServer,
    client: &Client,
    username: &str,
    password: &str,
) -> (String, Pkce) {
    let pkce = pkce();
    let state = "state-1";
    let (status, html) = open_page(&authorize_url(server, client, &pkce.challenge, state)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let response = submit(server, &request_id(&html), username, password).await;
    (code_from(&response, client, state), pkce)
}

/// The whole dance with a freshly registered client: tokens for `username`.
pub async fn sign_in(server: &TestServer, username: &str, password: &str) -> (Client, Tokens) {
    let client = register(server).await;
    let (code, pkce) = code_for(server, &client, username, password).await;
    let (status, body) = exchange(server, &client, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (client, tokens(&body))
}

/// The tokens of a token-endpoint answer.
pub fn tokens(body: &Value) -> Tokens {
    Tokens {
        access: body["access_token"].as_str().unwrap().to_string(),
        refresh: body["refresh_token"].as_str().unwrap().to_string(),
    }
}

//! OAuth clients: the static one from the config file (GPT Actions), and the ones MCP clients
//! register for themselves (RFC 7591). Also client authentication at the token endpoint.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::{HeaderMap, header};
use base64::Engine;
use serde::{Deserialize, Serialize};
use url::Url;

use super::client_documents::{self, ClientDocument, ClientDocuments};
use super::error::OAuthError;
use super::tokens;
use crate::settings::config_file::OAuthClient;
use crate::settings::secret::Secret;
use crate::store::{Collection, StateStore, StoreError};

/// Longest client name kept (it is shown on the sign-in page).
const MAX_CLIENT_NAME_CHARS: usize = 80;
/// The apps the sign-in page names, by the hosts their published OAuth callbacks are on
/// (ChatGPT's connectors and GPT Actions, Claude's connectors). A client on any other host
/// is shown by the name it registered, marked unverified: anyone can register "ChatGPT".
const KNOWN_APPS: &[(&str, &[&str])] = &[
    ("ChatGPT", &["chatgpt.com", "chat.openai.com"]),
    ("Claude", &["claude.ai", "claude.com"]),
];

/// The app a redirect URI belongs to, when it is an https URI on one of [`KNOWN_APPS`]'
/// callback hosts.
pub fn known_app(redirect_uri: &str) -> Option<&'static str> {
    let url = Url::parse(redirect_uri).ok()?;
    if url.scheme() != "https" || url.port().is_some() || !url.username().is_empty() {
        return None;
    }
    let host = url.host_str()?;
    KNOWN_APPS
        .iter()
        .find(|(_, hosts)| hosts.contains(&host))
        .map(|(app, _)| *app)
}

/// Hosts of ChatGPT's GPT Action OAuth callbacks: `https://<host>/aip/<gpt id>/oauth/callback`.
const GPT_ACTION_CALLBACK_HOSTS: &[&str] = &["chatgpt.com", "chat.openai.com"];

/// How a client proves itself at the token endpoint (RFC 7591 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// A public client (a desktop or browser app): no secret, PKCE instead.
    None,
    ClientSecretBasic,
    ClientSecretPost,
}

/// Where a client may have people sent back to.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Redirects {
    /// Exactly these URIs (OAuth 2.1: exact string match).
    Exact(Vec<String>),
    /// Any GPT Action callback: the static client's default, since a GPT's id is unknown
    /// until the GPT is saved.
    GptActionCallbacks,
}

/// A known client, as the state store keeps it: its secret only as a hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Client {
    pub id: String,
    /// Shown on the sign-in page: who is asking.
    pub name: String,
    /// The SHA-256 of the secret, in hex; `None` for public clients.
    secret_hash: Option<Secret>,
    redirects: Redirects,
    /// How it must present its secret, as it registered; `None` for the static client,
    /// which may use either (the GPT editor offers both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth_method: Option<AuthMethod>,
}

/// The stored form of a client secret.
fn secret_hash(secret: &str) -> Secret {
    Secret::new(crate::settings::secret::sha256_hex(secret))
}

impl Client {
    /// True when `uri` is one this client registered (or, for the static client without
    /// configured URIs, a GPT Action callback).
    pub fn allows_redirect(&self, uri: &str) -> bool {
        match &self.redirects {
            Redirects::Exact(uris) => uris.iter().any(|u| u == uri),
            Redirects::GptActionCallbacks => is_gpt_action_callback(uri),
        }
    }

    /// The redirect URI to use when the request names none: allowed only when exactly one
    /// is registered (RFC 6749 §3.1.2.3).
    pub fn only_redirect(&self) -> Option<&str> {
        match &self.redirects {
            Redirects::Exact(uris) if uris.len() == 1 => Some(&uris[0]),
            _ => None,
        }
    }

    /// Public clients have no secret, so they must use PKCE.
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }
}

/// A registration request (RFC 7591 §2); fields we do not use are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct Registration {
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    pub client_name: Option<String>,
    pub token_endpoint_auth_method: Option<AuthMethod>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
}

/// The answer to a registration (RFC 7591 §3.2.1).
#[derive(Debug, Serialize)]
pub struct Registered {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub client_id_issued_at: i64,
    /// 0: the secret does not expire (it lives as long as this process).
    pub client_secret_expires_at: i64,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: AuthMethod,
    pub grant_types: Vec<&'static str>,
    pub response_types: Vec<&'static str>,
}

/// How long a registered client is kept after its last token exchange or refresh: a
/// connector in use never disappears. Before its first exchange, [`UNUSED_CLIENT_TTL`].
pub const CLIENT_TTL: Duration = super::grants::GRANT_TTL;

/// How long a new registration is kept until its first token exchange. Registering is open
/// to anyone; a registration that never leads to a sign-in (abandoned, or a script's) goes
/// after an hour, which is ample to finish a sign-in, and so never piles up in the store.
pub const UNUSED_CLIENT_TTL: Duration = Duration::from_secs(60 * 60);

/// Every client this server knows: the static one from the settings, and the registered
/// ones in the state store.
#[derive(Debug)]
pub struct Clients {
    fixed: Option<Client>,
    store: StateStore,
    /// Clients known by a metadata document URL instead of a registration.
    documents: ClientDocuments,
}

/// Why a client cannot be looked up.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The client's metadata document cannot be used; the words say why.
    #[error("the app's client metadata document cannot be used: {0}")]
    Document(String),
}

impl From<LookupError> for OAuthError {
    fn from(error: LookupError) -> Self {
        match error {
            LookupError::Store(error) => error.into(),
            LookupError::Document(_) => OAuthError::invalid_client(error.to_string()),
        }
    }
}

impl Clients {
    /// The static client (if configured) and no registered ones yet.
    pub fn new(fixed: Option<&OAuthClient>, store: StateStore, documents: ClientDocuments) -> Self {
        let fixed = fixed.map(|c| Client {
            id: c.id.clone(),
            name: "ChatGPT (GPT Action)".into(),
            secret_hash: Some(secret_hash(c.secret.expose())),
            redirects: if c.redirect_uris.is_empty() {
                Redirects::GptActionCallbacks
            } else {
                Redirects::Exact(c.redirect_uris.clone())
            },
            auth_method: None,
        });
        Self {
            fixed,
            store,
            documents,
        }
    }

    /// The client called `id`: the static one, a registered one, or the one a metadata
    /// document URL describes.
    pub async fn get(&self, id: &str) -> Result<Option<Client>, LookupError> {
        if let Some(fixed) = self.fixed.as_ref().filter(|c| c.id == id) {
            return Ok(Some(fixed.clone()));
        }
        if client_documents::is_document_url(id) {
            let document = self
                .documents
                .get(id)
                .await
                .map_err(LookupError::Document)?;
            return client_of_document(document).map(Some);
        }
        Ok(self.store.get(Collection::Clients, id).await?)
    }

    /// Keeps a registered client another [`CLIENT_TTL`]: it has just been used.
    pub async fn touch(&self, client: &Client) -> Result<(), StoreError> {
        let fixed = self
            .fixed
            .as_ref()
            .is_some_and(|fixed| fixed.id == client.id);
        if fixed || client_documents::is_document_url(&client.id) {
            return Ok(());
        }
        self.store
            .put(Collection::Clients, &client.id, client, Some(CLIENT_TTL))
            .await
    }

    /// Whether a registration's metadata is acceptable, before it is counted or kept.
    pub fn check(&self, request: &Registration) -> Result<(), OAuthError> {
        check_registration(request)
    }

    /// Registers a client (RFC 7591), public or confidential as it asks.
    pub async fn register(&self, request: Registration) -> Result<Registered, OAuthError> {
        check_registration(&request)?;
        let method = request
            .token_endpoint_auth_method
            .unwrap_or(AuthMethod::ClientSecretBasic);
        let secret = (method != AuthMethod::None).then(|| {
            tokens::random_token(tokens::CLIENT_SECRET_PREFIX)
                .expose()
                .to_string()
        });
        let name: String = request
            .client_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("an MCP client")
            .to_string();
        let client = Client {
            id: format!("tgpt_client_{}", tokens::random_id()),
            name: name.clone(),
            secret_hash: secret.as_deref().map(secret_hash),
            redirects: Redirects::Exact(request.redirect_uris.clone()),
            auth_method: Some(method),
        };
        let registered = Registered {
            client_id: client.id.clone(),
            client_secret: secret,
            client_id_issued_at: chrono::Utc::now().timestamp(),
            client_secret_expires_at: 0,
            client_name: name,
            redirect_uris: request.redirect_uris,
            token_endpoint_auth_method: method,
            grant_types: vec!["authorization_code", "refresh_token"],
            response_types: vec!["code"],
        };
        // Kept briefly: the first token exchange `touch`es it to the long lifetime.
        self.store
            .put(
                Collection::Clients,
                &client.id,
                &client,
                Some(UNUSED_CLIENT_TTL),
            )
            .await?;
        Ok(registered)
    }

    /// Who is calling the token or revocation endpoint: HTTP Basic (RFC 6749 §2.3.1) or
    /// `client_id`/`client_secret` in the form, as the client registered (a secret sent the
    /// other way is refused, so a leaked form log cannot stand in for a Basic client). Public
    /// clients send only `client_id`, in the form or as Basic with an empty secret.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        form: &HashMap<String, String>,
    ) -> Result<Client, OAuthError> {
        let (id, secret, presented) = presented_credentials(headers, form)?;
        let client = self.get(&id).await?;
        let client = client.ok_or_else(|| {
            OAuthError::invalid_client(
                "unknown `client_id`; register again (this server forgets registrations when it restarts)",
            )
        })?;
        if let Some(registered) = client.auth_method {
            check_auth_method(registered, presented)?;
        }
        match (&client.secret_hash, secret) {
            (None, _) => Ok(client),
            (Some(expected), Some(presented))
                if expected.matches(secret_hash(&presented).expose()) =>
            {
                Ok(client)
            }
            (Some(_), Some(_)) => Err(OAuthError::invalid_client(
                "wrong `client_secret`; use the one `tidsreg-gpt serve` printed (or that registration returned)",
            )),
            (Some(_), None) => Err(OAuthError::invalid_client(
                "this client must authenticate: send its `client_secret` (form or HTTP Basic)",
            )),
        }
    }
}

/// The client id, its secret (if any) and how it was sent.
fn presented_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(String, Option<String>, AuthMethod), OAuthError> {
    let form_secret = form.get("client_secret").filter(|s| !s.is_empty()).cloned();
    if let Some((id, secret)) = basic_credentials(headers)? {
        if form_secret.is_some() {
            return Err(OAuthError::invalid_client(
                "the client secret came both in HTTP Basic and in the form; send it one way only",
            ));
        }
        let secret = secret.filter(|s| !s.is_empty());
        let method = match secret {
            Some(_) => AuthMethod::ClientSecretBasic,
            None => AuthMethod::None,
        };
        return Ok((id, secret, method));
    }
    let Some(id) = form.get("client_id") else {
        return Err(OAuthError::invalid_client(
            "client authentication is missing: send `client_id` (and `client_secret`) in the form or an HTTP Basic header",
        ));
    };
    let method = match form_secret {
        Some(_) => AuthMethod::ClientSecretPost,
        None => AuthMethod::None,
    };
    Ok((id.clone(), form_secret, method))
}

/// Refuses a secret sent another way than the client registered. A confidential client
/// that sent none falls through to "must authenticate".
fn check_auth_method(registered: AuthMethod, presented: AuthMethod) -> Result<(), OAuthError> {
    let problem = match (registered, presented) {
        (AuthMethod::None, AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost) => {
            "this client registered as public (`none`): send only `client_id`, and prove the sign-in with PKCE"
        }
        (AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost) => {
            "this client registered `client_secret_basic`: send its secret in an HTTP Basic header, not in the form"
        }
        (AuthMethod::ClientSecretPost, AuthMethod::ClientSecretBasic) => {
            "this client registered `client_secret_post`: send `client_secret` in the form, not in an HTTP Basic header"
        }
        _ => return Ok(()),
    };
    Err(OAuthError::invalid_client(problem))
}

/// The client a metadata document describes: public (PKCE), with the redirect URIs it
/// lists, under the rules a registration meets.
fn client_of_document(document: ClientDocument) -> Result<Client, LookupError> {
    let refuse = |why: String| LookupError::Document(why);
    match document.token_endpoint_auth_method.as_deref() {
        None | Some("none") => {}
        Some(other) => {
            return Err(refuse(format!(
                "it asks for `{other}`, and this server takes only `none` (with PKCE) from such clients"
            )));
        }
    }
    if document.redirect_uris.is_empty() {
        return Err(refuse("it lists no redirect_uris".into()));
    }
    for uri in &document.redirect_uris {
        check_redirect_uri(uri).map_err(|e| refuse(e.description))?;
    }
    let name = match document.client_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => {
            check_client_name(name).map_err(|e| refuse(e.description))?;
            name.to_string()
        }
        _ => Url::parse(&document.client_id)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| document.client_id.clone()),
    };
    Ok(Client {
        id: document.client_id,
        name,
        secret_hash: None,
        redirects: Redirects::Exact(document.redirect_uris),
        auth_method: Some(AuthMethod::None),
    })
}

fn check_registration(request: &Registration) -> Result<(), OAuthError> {
    if request.redirect_uris.is_empty() {
        return Err(OAuthError::invalid_redirect_uri(
            "`redirect_uris` is required: list the exact URIs to send the person back to",
        ));
    }
    for uri in &request.redirect_uris {
        check_redirect_uri(uri)?;
    }
    if let Some(name) = &request.client_name {
        check_client_name(name)?;
    }
    let unsupported = |values: &Option<Vec<String>>, allowed: &[&str]| {
        values
            .iter()
            .flatten()
            .find(|v| !allowed.contains(&v.as_str()))
            .cloned()
    };
    if let Some(grant) = unsupported(
        &request.grant_types,
        &["authorization_code", "refresh_token"],
    ) {
        return Err(OAuthError::invalid_client_metadata(format!(
            "grant type `{grant}` is not supported; use authorization_code and refresh_token"
        )));
    }
    if let Some(kind) = unsupported(&request.response_types, &["code"]) {
        return Err(OAuthError::invalid_client_metadata(format!(
            "response type `{kind}` is not supported; use code"
        )));
    }
    Ok(())
}

/// Characters that reorder the text around them (Unicode bidi controls): a name with them
/// can show on the sign-in page as something other than what it is.
const BIDI_CONTROLS: &[char] = &[
    '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}',
    '\u{2067}', '\u{2068}', '\u{2069}',
];

/// The name is shown on the sign-in page: plain text of a sane length only.
fn check_client_name(name: &str) -> Result<(), OAuthError> {
    if name
        .chars()
        .any(|c| c.is_control() || BIDI_CONTROLS.contains(&c))
    {
        return Err(OAuthError::invalid_client_metadata(
            "`client_name` contains control or bidirectional-override characters; send the plain name",
        ));
    }
    if name.trim().chars().count() > MAX_CLIENT_NAME_CHARS {
        return Err(OAuthError::invalid_client_metadata(format!(
            "`client_name` is longer than {MAX_CLIENT_NAME_CHARS} characters; send a shorter name"
        )));
    }
    Ok(())
}

/// Codes go only to https URLs, or to http on this machine (native apps, RFC 8252 §7.3),
/// written plainly: no spaces around, an authority (`https://host`), no user-info.
fn check_redirect_uri(uri: &str) -> Result<(), OAuthError> {
    let bad = |why: &str| OAuthError::invalid_redirect_uri(format!("`{uri}` {why}"));
    if uri.trim() != uri || uri.chars().any(char::is_control) {
        return Err(bad(
            "has spaces or control characters around or in it; send the URI alone",
        ));
    }
    let url = Url::parse(uri).map_err(|_| bad("is not an absolute URL"))?;
    let has_authority = uri
        .split_once(':')
        .is_some_and(|(_, rest)| rest.starts_with("//"));
    if !has_authority || url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host; write it as https://host/path"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "has a user name or password before the host; remove the `user:password@` part",
        ));
    }
    if url.fragment().is_some() {
        return Err(bad("must not have a fragment"));
    }
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(bad(
            "must be https (or http on localhost / 127.0.0.1 for apps on this machine)",
        )),
    }
}

/// `https://chatgpt.com/aip/<gpt id>/oauth/callback` (or on chat.openai.com), nothing else.
fn is_gpt_action_callback(uri: &str) -> bool {
    let Ok(url) = Url::parse(uri) else {
        return false;
    };
    let host_ok = url
        .host_str()
        .is_some_and(|h| GPT_ACTION_CALLBACK_HOSTS.contains(&h));
    let segments: Vec<&str> = url.path().split('/').collect();
    let path_ok = matches!(
        segments.as_slice(),
        ["", "aip", id, "oauth", "callback"]
            if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    url.scheme() == "https"
        && host_ok
        && path_ok
        && url.port().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))`, when present.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, Option<String>)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default().trim();
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let malformed =
        || OAuthError::invalid_client("the HTTP Basic header is not base64 of id:secret");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), Some(unescape(secret)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_their_own_callback_hosts_name_chatgpt_and_claude() {
        let known = [
            (
                "https://chatgpt.com/connector_platform_oauth_redirect",
                "ChatGPT",
            ),
            ("https://chat.openai.com/aip/g-1/oauth/callback", "ChatGPT"),
            ("https://claude.ai/api/mcp/auth_callback", "Claude"),
            ("https://claude.com/api/mcp/auth_callback", "Claude"),
        ];
        for (uri, app) in known {
            assert_eq!(known_app(uri), Some(app), "{uri}");
        }
        for other in [
            "https://chatgpt.com.evil.example/cb",
            "https://claude-ai.example/api/mcp/auth_callback",
            "http://claude.ai/api/mcp/auth_callback",
            "https://claude.ai:8443/cb",
            "https://x@claude.ai/cb",
            "http://127.0.0.1:9/callback",
        ] {
            assert_eq!(known_app(other), None, "{other}");
        }
    }

    #[test]
    fn gpt_action_callbacks_only() {
        assert!(is_gpt_action_callback(
            "https://chatgpt.com/aip/g-abc123/oauth/callback"
        ));
        assert!(is_gpt_action_callback(
            "https://chat.openai.com/aip/g-XYZ_9/oauth/callback"
        ));
        for bad in [
            "http://chatgpt.com/aip/g-abc/oauth/callback",
            "https://chatgpt.com.evil.example/aip/g-abc/oauth/callback",
            "https://chatgpt.com/aip/g-abc/oauth/callback?x=1",
            "https://chatgpt.com/aip/a/b/oauth/callback",
            "https://evil@chatgpt.com/aip/g-abc/oauth/callback",
            "https://chatgpt.com:8443/aip/g-abc/oauth/callback",
        ] {
            assert!(!is_gpt_action_callback(bad), "{bad}");
        }
    }

    #[test]
    fn registered_redirects_are_https_or_loopback() {
        assert!(check_redirect_uri("https://claude.ai/api/mcp/auth_callback").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:33418/callback").is_ok());
        assert!(check_redirect_uri("http://localhost/cb").is_ok());
        assert!(check_redirect_uri("http://example.com/cb").is_err());
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
        assert!(check_redirect_uri("https://a.example/cb#x").is_err());
    }

    #[test]
    fn redirects_and_names_are_plain() {
        for bad in [
            "https://user:pw@a.example/cb",
            "https://user@a.example/cb",
            " https://a.example/cb",
            "https://a.example/cb ",
            "https:a.example/cb",
            "https:/a.example/cb",
            "http://localhost.evil.example/cb",
        ] {
            let refused = check_redirect_uri(bad).unwrap_err();
            assert_eq!(refused.code, "invalid_redirect_uri", "{bad}");
        }
        assert!(check_client_name("Claude").is_ok());
        assert!(check_client_name(&"x".repeat(MAX_CLIENT_NAME_CHARS)).is_ok());
        for bad in [
            "Chat\u{202E}TPG".to_string(),
            "a\u{2066}b".to_string(),
            "a\u{200F}".to_string(),
            "two\nlines".to_string(),
            "x".repeat(MAX_CLIENT_NAME_CHARS + 1),
        ] {
            let refused = check_client_name(&bad).unwrap_err();
            assert_eq!(refused.code, "invalid_client_metadata", "{bad:?}");
        }
    }

    #[test]
    fn basic_credentials_are_url_decoded() {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode("my%20id:s%3Acret");
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {encoded}").parse().unwrap(),
        );
        let (id, secret) = basic_credentials(&headers).unwrap().unwrap();
        assert_eq!(id, "my id");
        assert_eq!(secret.as_deref(), Some("s:cret"));
    }
}

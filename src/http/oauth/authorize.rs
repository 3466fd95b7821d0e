//! `/oauth/authorize`: the authorization request is checked (GET), kept server-side under a
//! random id while the person signs in, and answered with a code once Tidsreg accepts the
//! password (POST). The form carries only that id, never the request's parameters, so a
//! forged form cannot change where the code goes.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use url::Url;

use super::clients::LookupError;
use super::grants::{CodeRequest, NewGrant};
use super::page::{self, SignIn};
use super::{AUTHORIZE_PATH, OAuth, SCOPE, clients, tokens};
use crate::ops::{LoginInput, OpError, Text};
use crate::settings::secret::{Secret, sha256_hex};
use crate::store::{CallerId, Collection, StateStore, StoreError};

/// Scopes a sign-in may ask for: ours, and `offline_access`, which some clients add to
/// ask for a refresh token (one comes anyway). Anything else is `invalid_scope`.
const KNOWN_SCOPES: &[&str] = &[SCOPE, "offline_access"];

/// How long a sign-in page stays usable: time to find a password, not to leave it open.
pub const PENDING_TTL: Duration = Duration::from_secs(15 * 60);

/// An authorization request waiting for the person to sign in.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    client_id: String,
    client_name: String,
    redirect_uri: String,
    state: Option<String>,
    challenge: Option<String>,
    /// The SHA-256 of the cookie the page set in the browser that opened it: only that
    /// browser can submit the form, so a request id that leaks (or is planted in another
    /// person's browser) signs no one in.
    #[serde(default)]
    browser: Option<String>,
}

impl Pending {
    /// Who asks, as the page names it: ChatGPT or Claude when the code goes to their own
    /// callback host, otherwise the registered name, unverified.
    fn shown_client(&self) -> (&str, bool) {
        match clients::known_app(&self.redirect_uri) {
            Some(app) => (app, true),
            None => (&self.client_name, false),
        }
    }
}

/// The cookie that binds a sign-in page to its browser, one per page (two open sign-ins in
/// two tabs keep their own).
fn browser_cookie_name(request_id: &str) -> String {
    format!("tgpt_signin_{request_id}")
}

/// `Set-Cookie` for the page: only sent back to the form's own path, never readable by
/// script, never sent from another site, gone when the page expires.
fn browser_cookie(request_id: &str, value: &str, secure: bool, max_age: Duration) -> String {
    let name = browser_cookie_name(request_id);
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{name}={value}; Path={AUTHORIZE_PATH}; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        max_age.as_secs()
    )
}

/// The value of cookie `name` in the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The waiting requests, by random id, each for [`PENDING_TTL`], in the state store: the
/// page may be submitted to another replica than the one that showed it.
#[derive(Debug)]
pub struct PendingRequests(StateStore);

impl PendingRequests {
    /// Sign-ins waiting in `store`.
    pub fn new(store: StateStore) -> Self {
        Self(store)
    }

    async fn add(&self, pending: &Pending) -> Result<String, StoreError> {
        let id = tokens::random_id();
        let ttl = Some(PENDING_TTL);
        self.0
            .put(Collection::PendingSignIns, &id, pending, ttl)
            .await?;
        Ok(id)
    }

    async fn get(&self, id: &str) -> Result<Option<Pending>, StoreError> {
        self.0.get(Collection::PendingSignIns, id).await
    }

    async fn remove(&self, id: &str) -> Result<(), StoreError> {
        self.0.delete(Collection::PendingSignIns, id).await
    }
}

/// Why an authorization request is refused: on a page when the client or its redirect URI
/// cannot be trusted, else by redirecting back with an RFC 6749 §4.1.2.1 error.
enum Refusal {
    Page(String),
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

/// `GET /oauth/authorize`: checks the request and shows the sign-in form.
pub async fn show(State(state): State<OAuth>, RawQuery(query): RawQuery) -> Response {
    let params = match parse_params(query.as_deref().unwrap_or_default()) {
        Ok(params) => params,
        Err(message) => return page::problem(StatusCode::BAD_REQUEST, &message),
    };
    let iss = issuer(&state);
    match check_request(&state, &params).await {
        Ok(mut pending) => {
            let browser = tokens::random_id();
            pending.browser = Some(sha256_hex(&browser));
            let request = match state.inner.pending.add(&pending).await {
                Ok(request) => request,
                Err(error) => return store_problem(&error),
            };
            let (client, verified) = pending.shown_client();
            let mut response = page::sign_in(&SignIn {
                client,
                verified,
                redirect_host: &host_of(&pending.redirect_uri),
                request: &request,
                username: "",
                error: None,
            });
            let secure = state.public_url().get().starts_with("https://");
            let cookie = browser_cookie(&request, &browser, secure, PENDING_TTL);
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(Refusal::Page(message)) => page::problem(StatusCode::BAD_REQUEST, &message),
        Err(Refusal::Redirect {
            redirect_uri,
            state,
            error,
            description,
        }) => {
            let mut pairs = vec![
                ("error", error.to_string()),
                ("error_description", description),
            ];
            pairs.extend(state.map(|s| ("state", s)));
            pairs.push(("iss", iss));
            redirect_with(&redirect_uri, &pairs)
        }
    }
}

/// `POST /oauth/authorize`: the sign-in form. Signs the new grant in to Tidsreg, then
/// sends the person back to the client with a code.
pub async fn submit(State(state): State<OAuth>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(why) = same_site(&headers, &state.public_url().get()) {
        tracing::info!(why, "sign-in form refused: posted from another site");
        return page::problem(
            StatusCode::FORBIDDEN,
            "This sign-in form was sent from another web site, so it was refused. Open the sign-in link from ChatGPT or Claude again and sign in on this page.",
        );
    }
    let mut form: HashMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    let request_id = form.remove("request").unwrap_or_default();
    let username = form
        .remove("username")
        .unwrap_or_default()
        .trim()
        .to_string();
    let password = Secret::new(form.remove("password").unwrap_or_default());
    let oauth = &state;
    let pending = match oauth.inner.pending.get(&request_id).await {
        Ok(pending) => pending,
        Err(error) => return store_problem(&error),
    };
    let Some(pending) = pending else {
        return page::problem(
            StatusCode::BAD_REQUEST,
            "This sign-in page has expired or was already used. Go back to ChatGPT or Claude and connect again.",
        );
    };
    if let Some(expected) = &pending.browser {
        let presented = cookie(&headers, &browser_cookie_name(&request_id)).map(sha256_hex);
        if presented.as_deref() != Some(expected.as_str()) {
            tracing::info!("sign-in form refused: not from the browser that opened the page");
            return page::problem(
                StatusCode::BAD_REQUEST,
                "This sign-in page was opened in another browser, or your browser did not keep its cookie. Go back to ChatGPT or Claude and connect again, in this browser.",
            );
        }
    }
    let (client, verified) = pending.shown_client();
    let again = |error: &str| {
        page::sign_in(&SignIn {
            client,
            verified,
            redirect_host: &host_of(&pending.redirect_uri),
            request: &request_id,
            username: &username,
            error: Some(error),
        })
    };
    if username.is_empty() || password.is_empty() {
        return again("Enter your Tidsreg username and password.");
    }
    let grant_id = tokens::random_id();
    let caller = CallerId::oauth(&grant_id);
    let input = LoginInput {
        username: Text::from(username.as_str()),
        password: Some(password),
    };
    if let Err(error) = state.inner.ops.sign_in_grant(&caller, input).await {
        return again(&sign_in_error(&error));
    }
    let grant = NewGrant {
        client_id: pending.client_id.clone(),
        username,
        scope: SCOPE.into(),
    };
    let request = CodeRequest {
        client_id: pending.client_id,
        redirect_uri: pending.redirect_uri.clone(),
        challenge: pending.challenge,
    };
    let issued = async {
        oauth.inner.pending.remove(&request_id).await?;
        oauth.inner.grants.add(&grant_id, grant).await?;
        oauth.inner.grants.issue_code(&grant_id, request).await
    };
    let code = match issued.await {
        Ok(code) => code,
        Err(error) => return store_problem(&error),
    };
    tracing::info!(client = %pending.client_name, "OAuth sign-in: code issued");
    let mut pairs = vec![("code", code.expose().to_string())];
    pairs.extend(pending.state.map(|s| ("state", s)));
    pairs.push(("iss", issuer(&state)));
    let mut response = redirect_with(&pending.redirect_uri, &pairs);
    let secure = state.public_url().get().starts_with("https://");
    let spent = browser_cookie(&request_id, "", secure, Duration::ZERO);
    if let Ok(value) = HeaderValue::from_str(&spent) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The `iss` of an authorization response (RFC 9207): this server's issuer, so a client
/// talking to several servers can tell which one answered.
fn issuer(oauth: &OAuth) -> String {
    oauth.public_url().get().to_string()
}

/// Whether the form was posted from our own page: `Sec-Fetch-Site`, when sent, must be
/// `same-origin` (or `none`: typed by the person), and a browser's `Origin`, when sent, must
/// be this server's public origin. Our page's `no-referrer` policy makes browsers send
/// `Origin: null` on its own form, so `null` counts only with `Sec-Fetch-Site: same-origin`.
/// (A client with neither header, such as a test or an old browser, is let through: the
/// pending request id it must carry is random and short-lived.)
fn same_site(headers: &HeaderMap, public_url: &str) -> Result<(), &'static str> {
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or_default());
    let fetch_site = header("sec-fetch-site").map(str::to_ascii_lowercase);
    if fetch_site
        .as_deref()
        .is_some_and(|site| site != "same-origin" && site != "none")
    {
        return Err("Sec-Fetch-Site is not same-origin");
    }
    match header("origin") {
        None => Ok(()),
        Some("null") if fetch_site.as_deref() == Some("same-origin") => Ok(()),
        Some(origin) => {
            let ours = Url::parse(public_url).map(|u| u.origin().ascii_serialization());
            match ours.ok().as_deref() == Some(origin.trim_end_matches('/')) {
                true => Ok(()),
                false => Err("Origin is not this server"),
            }
        }
    }
}

/// The page of a state store that did not answer: nothing was kept, try again.
fn store_problem(error: &StoreError) -> Response {
    tracing::warn!(%error, "state store call failed on the sign-in page");
    page::problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "The server cannot keep this sign-in right now (its state store does not answer). Wait a moment and connect again.",
    )
}

/// The checks of RFC 6749 §4.1.1 and OAuth 2.1 (PKCE S256, exact redirect URI).
async fn check_request(
    oauth: &OAuth,
    params: &HashMap<String, String>,
) -> Result<Pending, Refusal> {
    let param = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let client_id = param("client_id").ok_or_else(|| {
        Refusal::Page(
            "The sign-in link has no client_id. Connect again from ChatGPT or Claude.".into(),
        )
    })?;
    let client = oauth.inner.clients.get(client_id).await.map_err(|error| match error {
        LookupError::Store(error) => {
            tracing::warn!(%error, "state store call failed");
            Refusal::Page("The server cannot look this app up right now (its state store does not answer). Wait a moment and connect again.".into())
        }
        LookupError::Document(why) => {
            tracing::info!(client_id, why, "client metadata document refused");
            Refusal::Page(format!("This app ({client_id}) cannot sign in here: its client metadata document cannot be used ({why}). Tell the app's developer."))
        }
    })?;
    let client = client.ok_or_else(|| {
        Refusal::Page(
            "This app is not registered here (the server may have restarted). Remove the connector and add it again, or check the GPT's OAuth client id.".into(),
        )
    })?;
    let redirect_uri = match param("redirect_uri") {
        Some(uri) if client.allows_redirect(uri) => uri.to_string(),
        Some(_) => {
            return Err(Refusal::Page(
                "The redirect URI of this sign-in link is not one the app registered, so no code will be sent there.".into(),
            ));
        }
        None => client
            .only_redirect()
            .map(str::to_string)
            .ok_or_else(|| Refusal::Page("The sign-in link has no redirect_uri.".into()))?,
    };
    let state = param("state").map(str::to_string);
    let refuse = |error: &'static str, description: &str| Refusal::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
        description: description.to_string(),
    };
    if param("response_type") != Some("code") {
        return Err(refuse(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    let challenge = param("code_challenge").map(str::to_string);
    match (param("code_challenge_method"), &challenge) {
        (Some(method), Some(_)) if method != "S256" => {
            return Err(refuse(
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        (None, Some(_)) => {
            return Err(refuse(
                "invalid_request",
                "code_challenge_method=S256 is required with code_challenge",
            ));
        }
        (_, Some(c)) if !tokens::is_s256_challenge(c) => {
            return Err(refuse(
                "invalid_request",
                "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
            ));
        }
        (_, None) if client.is_public() => {
            return Err(refuse(
                "invalid_request",
                "PKCE is required: send code_challenge and code_challenge_method=S256",
            ));
        }
        _ => {}
    }
    if let Some(unknown) = param("scope")
        .unwrap_or_default()
        .split(' ')
        .find(|scope| !scope.is_empty() && !KNOWN_SCOPES.contains(scope))
    {
        return Err(refuse(
            "invalid_scope",
            &format!("the scope `{unknown}` is not offered here; ask for `{SCOPE}` (or no scope)"),
        ));
    }
    if let Some(resource) = param("resource")
        && !oauth.serves_resource(resource)
    {
        return Err(refuse(
            "invalid_target",
            "resource must be this server's URL",
        ));
    }
    Ok(Pending {
        client_id: client.id,
        client_name: client.name,
        redirect_uri,
        state,
        challenge,
        browser: None,
    })
}

/// The query's parameters; a repeated one is an error (RFC 6749 §3.1).
fn parse_params(query: &str) -> Result<HashMap<String, String>, String> {
    let mut params = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()).into_owned() {
        if params.insert(name.clone(), value).is_some() {
            return Err(format!(
                "The sign-in link repeats the parameter `{name}`. Connect again from ChatGPT or Claude."
            ));
        }
    }
    Ok(params)
}

/// The words the sign-in page shows for a failed login.
fn sign_in_error(error: &OpError) -> String {
    match error {
        OpError::LoginRejected => {
            "Tidsreg did not accept this username and password. Check them and try again.".into()
        }
        OpError::BadInput { .. } => "Enter your Tidsreg username and password.".into(),
        OpError::UpstreamTimeout => "Tidsreg did not answer in time. Try again in a moment.".into(),
        other => format!(
            "Tidsreg could not check the password right now ({other}). Try again in a moment."
        ),
    }
}

/// The host a redirect goes to, for the page ("you go back to chatgpt.com").
fn host_of(uri: &str) -> String {
    Url::parse(uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| uri.to_string())
}

/// 303 to `uri` with `pairs` added to its query (keeping any query it already has).
fn redirect_with(uri: &str, pairs: &[(&str, String)]) -> Response {
    let Ok(mut url) = Url::parse(uri) else {
        return page::problem(StatusCode::BAD_REQUEST, "The redirect URI is not a URL.");
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
    }
    Redirect::to(url.as_str()).into_response()
}

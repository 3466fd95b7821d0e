//! The upstream client: speaks Tidsreg's browser protocol (`../shared/tidsreg-upstream.md`)
//! and turns its quirks (HTML login pages, redirects, two key spellings) into typed answers.

mod booking;
mod lookup;
mod lookup_request;
pub mod registrations;
pub mod week;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::NaiveDate;

use cookie_store::{CookieStore, RawCookie};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Response, StatusCode};
use url::Url;

pub use booking::Booking;
pub use lookup::{Lookup, LookupList};
pub use lookup_request::LookupRequest;

/// Time to open a TCP (and TLS) connection before giving up: a down host should fail fast.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Whole-request budget. ChatGPT abandons an Action after about 45 s; answering a clear
/// 504 well before that beats a silent hang.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// The cookie whose presence after login is the only reliable sign of success.
const AUTH_COOKIE: &str = "AuthTicket";
/// The web login form, which answers a redirect to `/` on success.
const LOGIN_PATH: &str = "/Login?ReturnUrl=/";
/// Where the week pages live: `/Hours/DD-MM-YYYY`.
const WEEK_PATH: &str = "/Hours/";
/// How a week page's path writes its date (day first).
const WEEK_DATE_FORMAT: &str = "%d-%m-%Y";
/// Where bookings are posted.
const BOOK_PATH: &str = "/api/hours";
/// Where registered hours are listed as JSON: `/api/Hours/DD-MM-YYYY?days=N`.
const REGISTRATIONS_PATH: &str = "/api/Hours/";
/// How much of an unexpected upstream body we keep for the error message.
const BODY_EXCERPT_CHARS: usize = 200;

/// What can go wrong upstream, in the words the operations layer needs. Cloneable, so a
/// background catalogue build can hand its failure to every search waiting on it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    #[error("Tidsreg rejected the username or password")]
    LoginRejected,
    #[error("the Tidsreg session has expired")]
    SessionExpired,
    #[error("Tidsreg answered HTTP {status}: {excerpt}")]
    Status { status: u16, excerpt: String },
    #[error("Tidsreg did not answer in time")]
    Timeout,
    /// The detail (reqwest's error chain, with the upstream URL and address) is for the log
    /// only: the message callers see says no more than "cannot reach Tidsreg".
    #[error("cannot reach Tidsreg")]
    Unreachable(String),
    #[error("Tidsreg answered something that is not the expected data: {0}")]
    BadAnswer(String),
}

/// One person's upstream session: their own cookie jar. Cloning shares the jar.
///
/// The jar is `cookie_store`'s, used directly: reqwest's own cookie support re-parses every
/// request's URL even when the client has no jar (5 % of a proxied lookup in the profile).
#[derive(Clone, Default)]
pub struct UpstreamSession {
    jar: Arc<RwLock<CookieStore>>,
    /// Set when a response changed the jar, so the state store keeps the new cookies.
    changed: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for UpstreamSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpstreamSession(cookies redacted)")
    }
}

/// The client. One per process: it owns the connection pool, while cookies live in each
/// [`UpstreamSession`], so people share TCP connections but never a login.
#[derive(Clone, Debug)]
pub struct Tidsreg {
    http: reqwest::Client,
    base: Url,
}

impl Tidsreg {
    /// Builds the client for `base` (e.g. `https://tidsreg.trifork.com`).
    pub fn new(base: Url) -> anyhow::Result<Self> {
        Self::with_timeout(base, REQUEST_TIMEOUT)
    }

    /// Same, with another whole-request budget (tests of the time-out path).
    pub fn with_timeout(base: Url, timeout: Duration) -> anyhow::Result<Self> {
        let mut headers = HeaderMap::new();
        // Browser-like clients send this; some ASP.NET actions answer JSON only with it.
        headers.insert(
            "X-Requested-With",
            HeaderValue::from_static("XMLHttpRequest"),
        );
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(timeout)
            // Redirects are signals here (login success, session expired), never followed.
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .user_agent(concat!("tidsreg-gpt/", env!("CARGO_PKG_VERSION")))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the HTTP client: {e}"))?;
        Ok(Self { http, base })
    }

    /// The upstream base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// Web login. Success is "an AuthTicket cookie came back", never "status 200": a wrong
    /// password answers the login page again with 200.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<UpstreamSession, UpstreamError> {
        let session = UpstreamSession::default();
        let url = self.url(LOGIN_PATH);
        let form = [("userName", username), ("password", password)];
        let response = self.http.post(url.clone()).form(&form).send().await;
        let response = response.map_err(transport_error)?;
        session.store_cookies(&response, &url);
        if session.has_auth_ticket(&self.base) {
            return Ok(session);
        }
        match response.status() {
            s if s.is_server_error() => Err(status_error(response).await),
            _ => Err(UpstreamError::LoginRejected),
        }
    }

    /// One catalogue lookup, its entries normalised to `{id, name}`.
    pub async fn lookup(
        &self,
        session: &UpstreamSession,
        request: &LookupRequest<'_>,
    ) -> Result<Vec<Lookup>, UpstreamError> {
        let url = self.url(&request.path_and_query());
        let response = self.get(session, &url).await?;
        let bytes = response.bytes().await.map_err(transport_error)?;
        lookup::parse(&bytes)
    }

    /// Customers the person can book on at `date`.
    pub async fn customers(
        &self,
        session: &UpstreamSession,
        date: NaiveDate,
    ) -> Result<Vec<Lookup>, UpstreamError> {
        self.lookup(session, &LookupRequest::Customers { date })
            .await
    }

    /// Projects of a customer at `date`.
    pub async fn projects(
        &self,
        session: &UpstreamSession,
        customer_id: u64,
        date: NaiveDate,
    ) -> Result<Vec<Lookup>, UpstreamError> {
        let request = LookupRequest::Projects { customer_id, date };
        self.lookup(session, &request).await
    }

    /// Phases of a project at `date`.
    pub async fn phases(
        &self,
        session: &UpstreamSession,
        project_id: u64,
        date: NaiveDate,
    ) -> Result<Vec<Lookup>, UpstreamError> {
        let request = LookupRequest::Phases { project_id, date };
        self.lookup(session, &request).await
    }

    /// Activities of a phase at `date`: the things hours are booked on.
    pub async fn activities(
        &self,
        session: &UpstreamSession,
        phase_id: u64,
        date: NaiveDate,
    ) -> Result<Vec<Lookup>, UpstreamError> {
        let request = LookupRequest::Activities { phase_id, date };
        self.lookup(session, &request).await
    }

    /// Kinds of hours allowed on an activity, by the names of its project and itself.
    pub async fn kinds(
        &self,
        session: &UpstreamSession,
        project_name: &str,
        activity_name: &str,
    ) -> Result<Vec<Lookup>, UpstreamError> {
        let request = LookupRequest::Kinds {
            project_name,
            activity_name,
        };
        self.lookup(session, &request).await
    }

    /// The HTML week page (ISO week, Monday to Sunday) holding `date`, parsed. A page that
    /// is not a week page (the login page) means the session has expired.
    pub async fn week(
        &self,
        session: &UpstreamSession,
        date: NaiveDate,
    ) -> Result<week::WeekPage, UpstreamError> {
        let url = self.url(&format!("{WEEK_PATH}{}", date.format(WEEK_DATE_FORMAT)));
        let request = self.http.get(url.clone());
        let response = self.send(session, request, &url, true).await?;
        let html = response.text().await.map_err(transport_error)?;
        week::parse_week(&html).map_err(|_| UpstreamError::SessionExpired)
    }

    /// The registrations of `days` days from `first` as JSON, with their activity ids (which
    /// the week page does not show). Thin evidence upstream: callers treat a failure as
    /// "no ids", never as a failed read of the week.
    pub async fn registrations(
        &self,
        session: &UpstreamSession,
        first: NaiveDate,
        days: u32,
    ) -> Result<Vec<registrations::Registration>, UpstreamError> {
        let path = format!(
            "{REGISTRATIONS_PATH}{}?days={days}",
            first.format(WEEK_DATE_FORMAT)
        );
        let url = self.url(&path);
        let response = self.get(session, &url).await?;
        let bytes = response.bytes().await.map_err(transport_error)?;
        registrations::parse(&bytes)
    }

    /// Books hours. Only `204 No Content` is success; whether a second identical booking
    /// adds or replaces is unknown upstream, so callers must never send one twice.
    pub async fn book(
        &self,
        session: &UpstreamSession,
        booking: &Booking,
    ) -> Result<(), UpstreamError> {
        let url = self.url(BOOK_PATH);
        let form = booking.form();
        let request = self.http.post(url.clone()).form(&form);
        let response = self.send(session, request, &url, false).await?;
        match response.status() {
            StatusCode::NO_CONTENT => Ok(()),
            _ => Err(status_error(response).await),
        }
    }

    /// A GET for data: every "you are not signed in" shape becomes
    /// [`UpstreamError::SessionExpired`], so a login page is never parsed as data.
    async fn get(&self, session: &UpstreamSession, url: &Url) -> Result<Response, UpstreamError> {
        self.send(session, self.http.get(url.clone()), url, false)
            .await
    }

    /// Sends a request with the session's cookies and classifies the answer.
    async fn send(
        &self,
        session: &UpstreamSession,
        request: reqwest::RequestBuilder,
        url: &Url,
        html_expected: bool,
    ) -> Result<Response, UpstreamError> {
        let mut request = request;
        if let Some(cookies) = session.cookie_header(url) {
            request = request.header(header::COOKIE, cookies);
        }
        let response = request.send().await.map_err(transport_error)?;
        session.store_cookies(&response, url);
        classify(response, html_expected).await
    }

    /// The base with this path (and query). Setting parts of a parsed URL, rather than
    /// `join`ing a string, skips re-parsing on every call (3 % of a proxied lookup).
    fn url(&self, path_and_query: &str) -> Url {
        let mut url = self.base.clone();
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        url.set_path(path);
        url.set_query(query);
        url
    }
}

impl UpstreamSession {
    /// Keeps the cookies a response set. Most answers set none, and then the jar is not
    /// even locked.
    fn store_cookies(&self, response: &Response, url: &Url) {
        let mut set = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(|value| RawCookie::parse(value.to_owned()).ok())
            .peekable();
        if set.peek().is_some() {
            self.jar_mut().store_response_cookies(set, url);
            self.changed
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The jar as JSON, session cookies included (the upstream's login is one), to keep in
    /// the state store (sealed).
    pub fn to_json(&self) -> Vec<u8> {
        let jar = self.jar.read().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        // Writing JSON into a Vec cannot fail.
        let _ = cookie_store::serde::json::save_incl_expired_and_nonpersistent(&jar, &mut out);
        out
    }

    /// A session with the jar `to_json` wrote; `None` when it cannot be read.
    pub fn from_json(json: &[u8]) -> Option<Self> {
        let jar = cookie_store::serde::json::load_all(json).ok()?;
        Some(Self {
            jar: Arc::new(RwLock::new(jar)),
            changed: Arc::default(),
        })
    }

    /// True once after a response changed the jar (then the store should keep it again).
    pub fn take_changed(&self) -> bool {
        self.changed
            .swap(false, std::sync::atomic::Ordering::Relaxed)
    }

    /// The `Cookie` header the jar sends to `url`, if it holds any for it.
    fn cookie_header(&self, url: &Url) -> Option<HeaderValue> {
        let jar = self.jar.read().unwrap_or_else(|p| p.into_inner());
        let mut header = String::new();
        for (name, value) in jar.get_request_values(url) {
            if !header.is_empty() {
                header.push_str("; ");
            }
            header.extend([name, "=", value]);
        }
        HeaderValue::try_from(header).ok().filter(|h| !h.is_empty())
    }

    fn has_auth_ticket(&self, base: &Url) -> bool {
        let jar = self.jar.read().unwrap_or_else(|p| p.into_inner());
        jar.get_request_values(base)
            .any(|(name, value)| name == AUTH_COOKIE && !value.is_empty())
    }

    fn jar_mut(&self) -> std::sync::RwLockWriteGuard<'_, CookieStore> {
        self.jar.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Forms-auth sites signal "not signed in" with a redirect to the login page, or by
/// answering that page (HTML) where data was expected. Both mean the session is gone.
async fn classify(response: Response, html_expected: bool) -> Result<Response, UpstreamError> {
    let status = response.status();
    if status.is_redirection() || status == StatusCode::UNAUTHORIZED {
        return Err(UpstreamError::SessionExpired);
    }
    if !status.is_success() {
        return Err(status_error(response).await);
    }
    if !html_expected && is_html(&response) {
        return Err(UpstreamError::SessionExpired);
    }
    Ok(response)
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.as_bytes().get(..b"text/html".len()))
        .is_some_and(|start| start.eq_ignore_ascii_case(b"text/html"))
}

async fn status_error(response: Response) -> UpstreamError {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let excerpt: String = body.trim().chars().take(BODY_EXCERPT_CHARS).collect();
    UpstreamError::Status { status, excerpt }
}

fn transport_error(error: reqwest::Error) -> UpstreamError {
    if error.is_timeout() {
        UpstreamError::Timeout
    } else {
        // `{:#}`-style chain: reqwest hides the useful part (refused, DNS) in the source.
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        UpstreamError::Unreachable(message)
    }
}

//! The fake's router: sessions (login, logout), the week page, registering hours, and the
//! middleware that counts requests and injects faults.

use std::borrow::Cow;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;

use super::lookups::{self, param};
use super::pages;
use super::state::FakeControls;
use super::{data, week_page};
use crate::tidsreg::Booking;

/// The session cookie's name, as forms auth on Tidsreg sets it.
pub const AUTH_COOKIE: &str = "AuthTicket";
/// Where a missing or expired session is sent.
const LOGIN_PATH: &str = "/Login";
/// The paths the fail switch leaves alone, so a test can still sign in while "upstream is down".
const LOGIN_PATHS: &[&str] = &[LOGIN_PATH, "/api/auth/login"];
/// How the week page's URL writes its date (`/Hours/02-06-2025`).
const HOURS_DATE_FORMAT: &str = "%d-%m-%Y";
/// How `POST /api/hours` takes its date.
const BOOKING_DATE_FORMAT: &str = "%Y-%m-%d";
/// The most hours one booking may hold.
const MAX_HOURS: f64 = 24.0;

/// The fake upstream as an axum router over `controls`, so it can be served on any listener
/// (`FakeUpstream` does exactly that) while tests keep the handle to steer it.
pub fn router(controls: FakeControls) -> Router {
    Router::new()
        .route("/", get(home))
        .route(LOGIN_PATH, get(login_form).post(login))
        .route("/api/auth/login", post(legacy_login))
        .route("/api/auth/logout", get(logout))
        .route("/Find/SelectCustomers", get(lookups::select_customers))
        .route("/Find/SelectProjects", get(lookups::select_projects))
        .route("/Find/SelectPhases", get(lookups::select_phases))
        .route("/Find/SelectActivities", get(lookups::select_activities))
        .route("/Find/SelectKinds", get(lookups::select_kinds))
        .route("/Hours", get(this_week))
        .route("/Hours/{date}", get(week))
        .route("/api/hours", post(register_hours))
        .route("/api/Hours/{date}", get(registrations))
        .route("/api/selector/projects", get(lookups::selector_projects))
        .route(
            "/api/selector/projects/{id}",
            get(lookups::selector_project),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(controls.clone(), track))
        .with_state(controls)
}

/// Counts the request, then applies the injected latency and failure status; a latency
/// "after" delays the answer of a write already done (a Tidsreg that stores a booking, then
/// stalls past the client's time-out).
async fn track(State(controls): State<FakeControls>, request: Request, next: Next) -> Response {
    let _in_flight = controls.begin_request(request.uri().path());
    let write = request.method() != axum::http::Method::GET;
    if let Some(delay) = controls.latency() {
        tokio::time::sleep(delay).await;
    }
    let response = match controls.fail_status() {
        Some(status) if !LOGIN_PATHS.contains(&request.uri().path()) => injected_failure(status),
        _ => next.run(request).await,
    };
    if let Some(delay) = controls.latency_after().filter(|_| write) {
        tokio::time::sleep(delay).await;
    }
    response
}

/// The short text answer of an injected failure.
fn injected_failure(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = format!("Injected upstream failure ({status})");
    (status, body).into_response()
}

/// A signed-in user, found from the `AuthTicket` cookie. Handlers that take it answer a
/// missing, unknown or expired session with the forms-auth redirect to `/Login`.
pub(super) struct Session {
    /// Index into `state::USERS`.
    pub user: usize,
}

impl FromRequestParts<FakeControls> for Session {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        controls: &FakeControls,
    ) -> Result<Self, Self::Rejection> {
        auth_ticket(&parts.headers)
            .and_then(|ticket| controls.user_for(ticket))
            .map(|user| Session { user })
            .ok_or_else(|| redirect_to_login(&parts.uri))
    }
}

/// The `AuthTicket` value among the request's cookies, if any.
fn auth_ticket(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, _)| *name == AUTH_COOKIE)
        .map(|(_, value)| value)
}

/// `302` to `/Login?ReturnUrl=<original path and query, percent-encoded>`.
fn redirect_to_login(uri: &Uri) -> Response {
    let original = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let encoded: String = url::form_urlencoded::byte_serialize(original.as_bytes()).collect();
    redirect(&format!("{LOGIN_PATH}?ReturnUrl={encoded}"), None)
}

/// A `302` with an IIS-style body and, after a login, the session cookie.
fn redirect(location: &str, cookie: Option<&str>) -> Response {
    let mut response = (StatusCode::FOUND, Html(pages::object_moved(location))).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(c).ok()) {
        headers.insert(header::SET_COOKIE, value);
    }
    response
}

/// The `Set-Cookie` value that carries a new session.
fn session_cookie(ticket: &str) -> String {
    format!("{AUTH_COOKIE}={ticket}; Path=/; HttpOnly")
}

/// Decodes a form body into name/value pairs (content type is not checked, as ASP.NET does not
/// need it to be exact either).
fn form_pairs(body: &Bytes) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    url::form_urlencoded::parse(body).collect()
}

/// `ReturnUrl` if it is a local path; anything else (absent, absolute, `//host`) means `/`.
fn safe_return_url(query: &[(String, String)]) -> &str {
    query
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("ReturnUrl"))
        .map(|(_, value)| value.as_str())
        .filter(|url| url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\"))
        .unwrap_or("/")
}

/// `GET /`: the home page a successful login redirects to.
async fn home(_: Session) -> Html<String> {
    Html(pages::home_page())
}

/// `GET /Login`: the login form.
async fn login_form(Query(query): Query<Vec<(String, String)>>) -> Html<String> {
    Html(pages::login_page(safe_return_url(&query), false))
}

/// `POST /Login?ReturnUrl=/`: a cookie and a redirect on success, the form again (200, no
/// cookie) on failure, so "status 200" never means "signed in".
async fn login(
    State(controls): State<FakeControls>,
    Query(query): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    let pairs = form_pairs(&body);
    let user = param(&pairs, "userName").unwrap_or_default();
    let password = param(&pairs, "password").unwrap_or_default();
    let return_url = safe_return_url(&query);
    match controls.login(user, password) {
        Some(ticket) => redirect(return_url, Some(&session_cookie(&ticket))),
        None => Html(pages::login_page(return_url, true)).into_response(),
    }
}

/// `POST /api/auth/login` (legacy): `200` plus cookie, or `401`.
async fn legacy_login(State(controls): State<FakeControls>, body: Bytes) -> Response {
    let pairs = form_pairs(&body);
    let user = param(&pairs, "username").unwrap_or_default();
    let password = param(&pairs, "password").unwrap_or_default();
    let Some(ticket) = controls.login(user, password) else {
        return (StatusCode::UNAUTHORIZED, "Invalid username or password").into_response();
    };
    let mut response = axum::Json(serde_json::json!({ "userName": user })).into_response();
    if let Ok(value) = HeaderValue::from_str(&session_cookie(&ticket)) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `GET /api/auth/logout`: ends the session (if any) and clears the cookie.
async fn logout(State(controls): State<FakeControls>, headers: HeaderMap) -> Response {
    if let Some(ticket) = auth_ticket(&headers) {
        controls.logout(ticket);
    }
    let clear = format!("{AUTH_COOKIE}=; Path=/; HttpOnly; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    ([(header::SET_COOKIE, clear)], "Logged out").into_response()
}

/// `GET /Hours`: the current week, as the navigation link opens it.
async fn this_week(session: Session, State(controls): State<FakeControls>) -> Html<String> {
    let today = chrono::Local::now().date_naive();
    Html(week_page::render_week_page(
        today,
        &controls.bookings_of(session.user),
    ))
}

/// `GET /Hours/DD-MM-YYYY`: the ISO week holding that date, from this user's bookings.
async fn week(
    session: Session,
    State(controls): State<FakeControls>,
    Path(raw): Path<String>,
) -> Response {
    let Ok(day) = NaiveDate::parse_from_str(&raw, HOURS_DATE_FORMAT) else {
        let message = format!("Bad date '{raw}': expected DD-MM-YYYY");
        return (StatusCode::BAD_REQUEST, message).into_response();
    };
    let bookings = controls.bookings_of(session.user);
    Html(week_page::render_week_page(day, &bookings)).into_response()
}

/// Most days one `GET /api/Hours/DD-MM-YYYY?days=N` covers (the fake's own bound).
const MAX_REGISTRATION_DAYS: u64 = 366;

/// `GET /api/Hours/DD-MM-YYYY?days=N` (N defaults to 1): this user's registrations of N days
/// from that date as `{"TimeRegistrations": [{"Date", "ActivityId", "Hours"}]}`, one entry
/// per booking, as the one public client that uses it reads them.
async fn registrations(
    session: Session,
    State(controls): State<FakeControls>,
    Path(raw): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if !controls.registrations_json() {
        return not_found().await;
    }
    let Ok(first) = NaiveDate::parse_from_str(&raw, HOURS_DATE_FORMAT) else {
        let message = format!("Bad date '{raw}': expected DD-MM-YYYY");
        return (StatusCode::BAD_REQUEST, message).into_response();
    };
    let days = query
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("days"))
        .map_or(Ok(1), |(_, value)| value.trim().parse::<u64>());
    let Some(days) = days
        .ok()
        .filter(|d| (1..=MAX_REGISTRATION_DAYS).contains(d))
    else {
        let message = format!("Bad days: expected 1 to {MAX_REGISTRATION_DAYS}");
        return (StatusCode::BAD_REQUEST, message).into_response();
    };
    let last = first
        .checked_add_days(chrono::Days::new(days - 1))
        .unwrap_or(first);
    let entries: Vec<serde_json::Value> = controls
        .bookings_of(session.user)
        .iter()
        .filter(|b| b.date >= first && b.date <= last)
        .map(|b| {
            serde_json::json!({
                "Date": format!("{}T00:00:00", b.date.format(BOOKING_DATE_FORMAT)),
                "ActivityId": b.activity_id,
                "Hours": b.hours,
            })
        })
        .collect();
    axum::Json(serde_json::json!({ "TimeRegistrations": entries })).into_response()
}

/// `POST /api/hours`: validates and stores one booking for this user; `204` on success.
async fn register_hours(
    session: Session,
    State(controls): State<FakeControls>,
    body: Bytes,
) -> Response {
    if !controls.take_booking() {
        let message = "Injected booking failure";
        return (StatusCode::INTERNAL_SERVER_ERROR, message).into_response();
    }
    match parse_booking(&form_pairs(&body)) {
        Ok(booking) if controls.is_closed(booking.activity_id, booking.date) => {
            let message = format!(
                "Activity {} is closed on {}",
                booking.activity_id, booking.date
            );
            (StatusCode::BAD_REQUEST, message).into_response()
        }
        Ok(booking) => {
            controls.add_booking(session.user, booking);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(message) => (StatusCode::BAD_REQUEST, message).into_response(),
    }
}

/// Turns the `POST /api/hours` form into a booking, or a short reason to refuse it.
fn parse_booking(pairs: &[(Cow<'_, str>, Cow<'_, str>)]) -> Result<Booking, String> {
    let hours = parse_hours(param(pairs, "hours").unwrap_or_default())?;
    let activity_id = parse_id(pairs, "activityId")?;
    let kind_id = parse_id(pairs, "kindId")?;
    let raw_date = param(pairs, "date").unwrap_or_default();
    let date = NaiveDate::parse_from_str(raw_date, BOOKING_DATE_FORMAT)
        .map_err(|_| format!("Bad date '{raw_date}': expected YYYY-MM-DD"))?;
    let path = data::activity_path(activity_id)
        .ok_or_else(|| format!("Unknown activity {activity_id}"))?;
    data::kind_by_id(kind_id).ok_or_else(|| format!("Unknown kind {kind_id}"))?;
    if !path.allows_kind(kind_id) {
        return Err(format!(
            "Kind {kind_id} is not allowed on project '{}'",
            path.project.name
        ));
    }
    Ok(Booking {
        date,
        hours,
        activity_id,
        kind_id,
        note: param(pairs, "note").unwrap_or_default().to_owned(),
        contact_name: param(pairs, "contactName").unwrap_or_default().to_owned(),
    })
}

/// Hours with a decimal point or comma, more than 0 and at most [`MAX_HOURS`].
fn parse_hours(raw: &str) -> Result<f64, String> {
    let hours: f64 = raw
        .trim()
        .replace(',', ".")
        .parse()
        .map_err(|_| format!("Bad hours '{raw}': expected a number like 7,5"))?;
    if hours.is_finite() && hours > 0.0 && hours <= MAX_HOURS {
        Ok(hours)
    } else {
        Err(format!(
            "Bad hours '{raw}': must be more than 0 and at most {MAX_HOURS}"
        ))
    }
}

/// A required numeric id field.
fn parse_id(pairs: &[(Cow<'_, str>, Cow<'_, str>)], name: &str) -> Result<u64, String> {
    let raw = param(pairs, name).unwrap_or_default();
    raw.trim()
        .parse()
        .map_err(|_| format!("Bad {name} '{raw}': expected a number"))
}

/// Every unknown path: IIS's 404 page.
async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Html(pages::not_found_page())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(form: &str) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
        url::form_urlencoded::parse(form.as_bytes()).collect()
    }

    #[test]
    fn hours_accept_point_and_comma_within_limits() {
        assert_eq!(parse_hours("7,5"), Ok(7.5));
        assert_eq!(parse_hours("0.25"), Ok(0.25));
        assert_eq!(parse_hours("24"), Ok(24.0));
        for bad in ["", "abc", "0", "-1", "24,01", "NaN", "inf"] {
            assert!(parse_hours(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bookings_are_validated() {
        let ok = parse_booking(&pairs(
            "hours=7%2C5&activityId=4201&date=2025-06-02&kindId=13&note=Fix+%26+test",
        ))
        .expect("valid booking");
        assert_eq!(ok.hours, 7.5);
        assert_eq!(ok.note, "Fix & test");
        assert_eq!(ok.contact_name, "");
        let bad = [
            "hours=7&activityId=999&date=2025-06-02&kindId=13",
            "hours=7&activityId=4201&date=2025-06-02&kindId=18",
            "hours=7&activityId=4201&date=02-06-2025&kindId=13",
            "hours=7&activityId=x&date=2025-06-02&kindId=13",
            "hours=7&activityId=4501&date=2025-06-02&kindId=13",
        ];
        for form in bad {
            assert!(parse_booking(&pairs(form)).is_err(), "{form}");
        }
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; AuthTicket=abc; b=2"),
        );
        assert_eq!(auth_ticket(&headers), Some("abc"));
        assert_eq!(auth_ticket(&HeaderMap::new()), None);
    }

    #[test]
    fn return_url_must_stay_local() {
        let q = |v: &str| vec![("ReturnUrl".to_owned(), v.to_owned())];
        assert_eq!(safe_return_url(&q("/Hours")), "/Hours");
        assert_eq!(safe_return_url(&q("//evil.example")), "/");
        assert_eq!(safe_return_url(&q("https://evil.example")), "/");
        assert_eq!(safe_return_url(&[]), "/");
    }
}

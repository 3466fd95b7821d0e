//! Shared state of the fake upstream: users, sessions, bookings, fault switches and counters.
//!
//! Everything a request touches on the hot path is an atomic or a read lock, so the fake can
//! serve tens of thousands of requests a second on two cores and stay a fair benchmark
//! baseline. Bookings sit behind one mutex *per user*, so two users never contend.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::NaiveDate;

use super::answers::{Answers, CatalogueAnswers};
// The one protocol type the fake shares with our client: a booking, as the form carries it.
use crate::tidsreg::Booking;

/// Known users as `(username, password)`. Each has a bookings store of its own, so tests can
/// prove that two people using one server never see each other's hours.
pub const USERS: &[(&str, &str)] = &[
    (super::DEMO_USERNAME, super::DEMO_PASSWORD),
    (super::ANNA_USERNAME, super::ANNA_PASSWORD),
];

/// Random bytes in an `AuthTicket`: as many as a real forms-auth ticket holds at least.
const TICKET_BYTES: usize = 32;

/// Statuses an HTTP response can carry; anything else is injected as [`FALLBACK_STATUS`].
const VALID_STATUS: std::ops::RangeInclusive<u16> = 100..=999;
/// The status injected when `set_fail_status` is given one HTTP cannot carry.
const FALLBACK_STATUS: u16 = 500;

/// Path prefixes counted one by one; `requests_to` sums those that start with its argument.
/// A request is counted under a prefix when its path equals it or continues with `/`.
const ROUTES: &[&str] = &[
    "/",
    "/Login",
    "/api/auth/login",
    "/api/auth/logout",
    "/Find/SelectCustomers",
    "/Find/SelectProjects",
    "/Find/SelectPhases",
    "/Find/SelectActivities",
    "/Find/SelectKinds",
    "/Hours",
    "/api/hours",
    "/api/Hours",
    "/api/selector/projects",
];

/// How the lookups spell their JSON keys. The public clients disagree, so the fake can answer
/// either way and prove our client accepts both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyStyle {
    /// `{"CustomerId": 1, "Name": ".."}`: what one client decodes; the default.
    #[default]
    Pascal,
    /// `{"id": 1, "name": ".."}`: what another client documents.
    Lower,
}

/// A cheap, cloneable handle to the fake's shared state: tests use it to inject faults,
/// expire sessions and read what the fake saw, while the server keeps running.
#[derive(Clone, Default)]
pub struct FakeControls {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FakeControls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Sessions hold live tickets: show how many there are, never their values.
        let sessions = self.shared.sessions.read().map_or(0, |s| s.len());
        f.debug_struct("FakeControls")
            .field("sessions", &sessions)
            .field("requests", &self.requests())
            .field("key_style", &self.key_style())
            .field("latency", &self.latency())
            .field("fail_status", &self.fail_status())
            .field("html_instead_of_json", &self.html_instead_of_json())
            .finish()
    }
}

/// The state behind every [`FakeControls`] clone.
struct Shared {
    /// `AuthTicket` value → index into [`USERS`].
    sessions: RwLock<HashMap<String, usize>>,
    /// One store per entry of [`USERS`], same index.
    bookings: Vec<Mutex<Vec<Booking>>>,
    key_style: AtomicU8,
    latency_nanos: AtomicU64,
    latency_after_nanos: AtomicU64,
    /// 0 means "no injected failure".
    fail_status: AtomicU16,
    html_instead_of_json: AtomicBool,
    /// Whether `GET /api/Hours/..` (the registrations JSON) is served; off, it is a 404.
    registrations_json: AtomicBool,
    /// Bookings still taken before `POST /api/hours` fails; [`NO_BOOKING_LIMIT`] is off.
    bookings_left: AtomicU64,
    /// Activities closed over a span of days: `(activity id, first day, last day)`.
    closures: RwLock<Vec<(u64, NaiveDate, NaiveDate)>>,
    counters: Counters,
    /// A catalogue swapped in for the demo one (a generated large one), if any.
    catalogue: RwLock<Option<Arc<CatalogueAnswers>>>,
}

/// `bookings_left` when no booking failure is injected.
const NO_BOOKING_LIMIT: u64 = u64::MAX;

impl Default for Shared {
    fn default() -> Self {
        Shared {
            sessions: RwLock::default(),
            bookings: USERS.iter().map(|_| Mutex::default()).collect(),
            key_style: AtomicU8::new(KeyStyle::Pascal as u8),
            latency_nanos: AtomicU64::new(0),
            latency_after_nanos: AtomicU64::new(0),
            fail_status: AtomicU16::new(0),
            html_instead_of_json: AtomicBool::new(false),
            registrations_json: AtomicBool::new(true),
            bookings_left: AtomicU64::new(NO_BOOKING_LIMIT),
            closures: RwLock::default(),
            counters: Counters::default(),
            catalogue: RwLock::default(),
        }
    }
}

/// Request counters: plain atomics, no locks.
struct Counters {
    total: AtomicU64,
    per_route: Vec<AtomicU64>,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            total: AtomicU64::new(0),
            per_route: ROUTES.iter().map(|_| AtomicU64::new(0)).collect(),
            in_flight: AtomicU64::new(0),
            peak_in_flight: AtomicU64::new(0),
        }
    }
}

/// Marks one request as in flight until dropped, so the gauge stays right even when a client
/// hangs up and the handler future is cancelled.
pub(super) struct InFlight {
    shared: Arc<Shared>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.shared
            .counters
            .in_flight
            .fetch_sub(1, Ordering::Relaxed);
    }
}

impl FakeControls {
    /// Fresh state: no sessions, no bookings, no faults. Use it with [`super::router`] to
    /// serve the fake on a listener of your own.
    pub fn new() -> Self {
        Self::default()
    }

    /// Invalidates every `AuthTicket` issued so far, so the next request with one is
    /// redirected to `/Login`: how tests exercise our client's re-login path.
    pub fn expire_sessions(&self) {
        self.write_sessions().clear();
    }

    /// Serves a generated catalogue of the demo's customers, `customers` more, and the
    /// search quality paths ([`super::generated`]) instead of the demo's: a Tidsreg of the
    /// size search must handle. Answers how many lookups a full walk of it takes.
    pub fn use_generated_catalogue(&self, customers: usize) -> usize {
        let catalogue = super::generated::generate(customers);
        let answers = Arc::new(CatalogueAnswers::of(&catalogue));
        *self
            .shared
            .catalogue
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(answers);
        catalogue.lookups_to_walk()
    }

    /// The lookup answers served now, in the current key spelling.
    pub(super) fn answers(&self) -> Arc<Answers> {
        let pascal = self.key_style() == KeyStyle::Pascal;
        let swapped = self
            .shared
            .catalogue
            .read()
            .unwrap_or_else(|p| p.into_inner());
        match swapped.as_ref() {
            Some(both) if pascal => both.pascal.clone(),
            Some(both) => both.lower.clone(),
            None => Answers::demo(pascal),
        }
    }

    /// Switches the JSON key spelling of all five lookups.
    pub fn set_key_style(&self, style: KeyStyle) {
        self.shared.key_style.store(style as u8, Ordering::Relaxed);
    }

    /// Delays every request by `d` before it is answered: slow-upstream fault injection.
    pub fn set_latency(&self, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.shared.latency_nanos.store(nanos, Ordering::Relaxed);
    }

    /// Delays the answer of every write (a booking, a login) by `d` after it is done (zero:
    /// off): the write takes effect, and the answer comes late, past a client's time-out.
    pub fn set_latency_after(&self, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.shared
            .latency_after_nanos
            .store(nanos, Ordering::Relaxed);
    }

    /// With `Some(status)`, every request except the two logins answers that status with a
    /// short text body (and stores nothing); `None` turns it off. A status outside 100..=999
    /// is answered as 500.
    pub fn set_fail_status(&self, status: Option<u16>) {
        let valid = |s: u16| {
            if VALID_STATUS.contains(&s) {
                s
            } else {
                FALLBACK_STATUS
            }
        };
        let raw = status.map_or(0, valid);
        self.shared.fail_status.store(raw, Ordering::Relaxed);
    }

    /// Makes the lookups answer `200 text/html` (a generic page) instead of JSON: the shape a
    /// misrouted or half-expired session takes, which our client must not parse as data.
    pub fn set_html_instead_of_json(&self, on: bool) {
        self.shared
            .html_instead_of_json
            .store(on, Ordering::Relaxed);
    }

    /// Serves (`true`, the default) or hides the registrations JSON (`GET /api/Hours/..`
    /// answers 404): the evidence for it is thin, so our client must do without it.
    pub fn set_registrations_json(&self, on: bool) {
        self.shared.registrations_json.store(on, Ordering::Relaxed);
    }

    /// Whether the registrations JSON is served.
    pub(super) fn registrations_json(&self) -> bool {
        self.shared.registrations_json.load(Ordering::Relaxed)
    }

    /// With `Some(n)`, `POST /api/hours` takes `n` more bookings, then answers 500 to every
    /// other one (a Tidsreg failing in the middle of a batch); `None` turns it off.
    pub fn fail_bookings_after(&self, n: Option<u64>) {
        let left = n.unwrap_or(NO_BOOKING_LIMIT);
        self.shared.bookings_left.store(left, Ordering::Relaxed);
    }

    /// Closes an activity from `first` to `last` (both included), as Tidsreg closes
    /// activities by date: the dated activities lookup leaves it out on those days, and
    /// `POST /api/hours` refuses it there.
    pub fn close_activity(&self, activity_id: u64, first: NaiveDate, last: NaiveDate) {
        let mut closures = self
            .shared
            .closures
            .write()
            .expect("closures lock poisoned");
        closures.push((activity_id, first, last));
    }

    /// Whether the activity is closed on `date`.
    pub(super) fn is_closed(&self, activity_id: u64, date: NaiveDate) -> bool {
        let closures = self.shared.closures.read().expect("closures lock poisoned");
        closures
            .iter()
            .any(|&(id, first, last)| id == activity_id && first <= date && date <= last)
    }

    /// Whether any activity is closed at all (the lookups' fast path skips the check).
    pub(super) fn has_closures(&self) -> bool {
        let closures = self.shared.closures.read().expect("closures lock poisoned");
        !closures.is_empty()
    }

    /// Whether one more booking may be taken (counting it down when limited).
    pub(super) fn take_booking(&self) -> bool {
        self.shared
            .bookings_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| match left {
                NO_BOOKING_LIMIT => Some(left),
                0 => None,
                n => Some(n - 1),
            })
            .is_ok()
    }

    /// Total requests received since start or the last [`Self::reset_counters`], all paths.
    pub fn requests(&self) -> u64 {
        self.shared.counters.total.load(Ordering::Relaxed)
    }

    /// Requests to the known routes whose prefix starts with `path_prefix`, e.g.
    /// `"/Find/SelectProjects"` or `"/Find"` (all lookups). Counts are kept per route, not per
    /// full path: `"/Hours/02-06-2025"` counts nothing, use `"/Hours"`.
    pub fn requests_to(&self, path_prefix: &str) -> u64 {
        let counters = &self.shared.counters;
        ROUTES
            .iter()
            .zip(&counters.per_route)
            .filter(|(route, _)| route.starts_with(path_prefix))
            .map(|(_, count)| count.load(Ordering::Relaxed))
            .sum()
    }

    /// The most requests ever handled at the same time: proves a client limits (or does not
    /// limit) its concurrency.
    pub fn peak_in_flight(&self) -> u64 {
        self.shared.counters.peak_in_flight.load(Ordering::Relaxed)
    }

    /// Zeroes the request counts; the peak restarts from the requests in flight right now.
    pub fn reset_counters(&self) {
        let counters = &self.shared.counters;
        counters.total.store(0, Ordering::Relaxed);
        for count in &counters.per_route {
            count.store(0, Ordering::Relaxed);
        }
        let now = counters.in_flight.load(Ordering::Relaxed);
        counters.peak_in_flight.store(now, Ordering::Relaxed);
    }

    /// What `POST /api/hours` stored for `username`, in order (empty for an unknown user).
    pub fn bookings(&self, username: &str) -> Vec<Booking> {
        user_index(username)
            .map(|user| self.bookings_of(user))
            .unwrap_or_default()
    }

    /// Counts one request and marks it in flight until the guard drops.
    pub(super) fn begin_request(&self, path: &str) -> InFlight {
        let counters = &self.shared.counters;
        counters.total.fetch_add(1, Ordering::Relaxed);
        if let Some(slot) = route_slot(path) {
            counters.per_route[slot].fetch_add(1, Ordering::Relaxed);
        }
        let now = counters.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        counters.peak_in_flight.fetch_max(now, Ordering::Relaxed);
        InFlight {
            shared: Arc::clone(&self.shared),
        }
    }

    /// The injected delay after the work, if any.
    pub(super) fn latency_after(&self) -> Option<Duration> {
        match self.shared.latency_after_nanos.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// The injected latency, if any.
    pub(super) fn latency(&self) -> Option<Duration> {
        match self.shared.latency_nanos.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// The injected failure status, if any.
    pub(super) fn fail_status(&self) -> Option<u16> {
        match self.shared.fail_status.load(Ordering::Relaxed) {
            0 => None,
            status => Some(status),
        }
    }

    /// Whether lookups should answer HTML instead of JSON.
    pub(super) fn html_instead_of_json(&self) -> bool {
        self.shared.html_instead_of_json.load(Ordering::Relaxed)
    }

    /// The current key spelling of the lookups.
    pub(super) fn key_style(&self) -> KeyStyle {
        match self.shared.key_style.load(Ordering::Relaxed) {
            x if x == KeyStyle::Lower as u8 => KeyStyle::Lower,
            _ => KeyStyle::Pascal,
        }
    }

    /// Checks the credentials and, when they match a user, issues a fresh `AuthTicket`.
    pub(super) fn login(&self, username: &str, password: &str) -> Option<String> {
        let user = USERS
            .iter()
            .position(|&(u, p)| u == username && p == password)?;
        let ticket = new_ticket();
        self.write_sessions().insert(ticket.clone(), user);
        Some(ticket)
    }

    /// The user (index into [`USERS`]) an `AuthTicket` belongs to, if it is still valid.
    pub(super) fn user_for(&self, ticket: &str) -> Option<usize> {
        let sessions = self.shared.sessions.read().expect("session lock poisoned");
        sessions.get(ticket).copied()
    }

    /// Ends one session; unknown tickets are ignored, as logging out twice is harmless.
    pub(super) fn logout(&self, ticket: &str) {
        self.write_sessions().remove(ticket);
    }

    /// Appends a booking to one user's store.
    pub(super) fn add_booking(&self, user: usize, booking: Booking) {
        self.user_bookings(user).push(booking);
    }

    /// A copy of one user's bookings.
    pub(super) fn bookings_of(&self, user: usize) -> Vec<Booking> {
        self.user_bookings(user).clone()
    }

    fn user_bookings(&self, user: usize) -> std::sync::MutexGuard<'_, Vec<Booking>> {
        self.shared.bookings[user]
            .lock()
            .expect("bookings lock poisoned")
    }

    fn write_sessions(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, usize>> {
        self.shared.sessions.write().expect("session lock poisoned")
    }
}

/// The index into [`USERS`] of a username.
fn user_index(username: &str) -> Option<usize> {
    USERS.iter().position(|&(u, _)| u == username)
}

/// The counter slot of a request path, if it belongs to a known route.
fn route_slot(path: &str) -> Option<usize> {
    ROUTES.iter().position(|&route| {
        path == route
            || (route != "/"
                && path
                    .strip_prefix(route)
                    .is_some_and(|rest| rest.starts_with('/')))
    })
}

/// A fresh random ticket, hex-encoded so it is cookie-safe without quoting.
fn new_ticket() -> String {
    let bytes: [u8; TICKET_BYTES] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_slots_respect_path_boundaries() {
        let slot = |p| route_slot(p).map(|i| ROUTES[i]);
        assert_eq!(slot("/"), Some("/"));
        assert_eq!(slot("/Hours/02-06-2025"), Some("/Hours"));
        assert_eq!(slot("/api/auth/logout"), Some("/api/auth/logout"));
        assert_eq!(
            slot("/api/selector/projects/2101"),
            Some("/api/selector/projects")
        );
        assert_eq!(slot("/HoursX"), None);
        assert_eq!(slot("/nope"), None);
    }

    #[test]
    fn requests_to_sums_matching_routes() {
        let controls = FakeControls::new();
        for path in [
            "/Find/SelectCustomers",
            "/Find/SelectKinds",
            "/Hours/01-01-2025",
            "/x",
        ] {
            drop(controls.begin_request(path));
        }
        assert_eq!(controls.requests(), 4);
        assert_eq!(controls.requests_to("/Find"), 2);
        assert_eq!(controls.requests_to("/Find/SelectKinds"), 1);
        assert_eq!(controls.requests_to("/Hours"), 1);
        controls.reset_counters();
        assert_eq!(controls.requests(), 0);
        assert_eq!(controls.requests_to("/"), 0);
    }

    #[test]
    fn peak_in_flight_tracks_overlap() {
        let controls = FakeControls::new();
        let a = controls.begin_request("/");
        let b = controls.begin_request("/");
        drop(a);
        drop(b);
        let _c = controls.begin_request("/");
        assert_eq!(controls.peak_in_flight(), 2);
        controls.reset_counters();
        assert_eq!(controls.peak_in_flight(), 1);
    }

    #[test]
    fn sessions_are_per_login_and_expire_together() {
        let controls = FakeControls::new();
        assert!(controls.login("demo", "wrong").is_none());
        let demo = controls.login("demo", "demo").expect("valid login");
        let anna = controls.login("anna", "anna-pw").expect("valid login");
        assert_eq!(demo.len(), TICKET_BYTES * 2);
        assert_eq!(controls.user_for(&demo), Some(0));
        assert_eq!(controls.user_for(&anna), Some(1));
        controls.logout(&demo);
        assert_eq!(controls.user_for(&demo), None);
        controls.expire_sessions();
        assert_eq!(controls.user_for(&anna), None);
    }

    #[test]
    fn fault_switches_round_trip() {
        let controls = FakeControls::new();
        assert_eq!(controls.key_style(), KeyStyle::Pascal);
        controls.set_key_style(KeyStyle::Lower);
        assert_eq!(controls.key_style(), KeyStyle::Lower);
        assert_eq!(controls.latency(), None);
        controls.set_latency(Duration::from_millis(5));
        assert_eq!(controls.latency(), Some(Duration::from_millis(5)));
        controls.set_fail_status(Some(503));
        assert_eq!(controls.fail_status(), Some(503));
        controls.set_fail_status(None);
        assert_eq!(controls.fail_status(), None);
    }
}

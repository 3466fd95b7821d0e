//! `register_hours`: validate, book once, read the week back. ChatGPT retries Actions, and
//! the upstream probably adds a second identical booking to the first, so every booking is
//! remembered for a while and a retry gets the first answer instead of a second booking.

use std::time::Duration;

use chrono::NaiveDate;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::hours::DayHours;
use super::params::Text;
use super::{OpError, Ops, params};
use crate::store::{CallerId, Collection};
use crate::tidsreg::{Booking, UpstreamError};

/// How long an identical booking (or a reused `Idempotency-Key`) answers the first result.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Longest note or contact name we pass on; the upstream's own limit is unknown.
const MAX_TEXT_CHARS: usize = 500;

/// Input of booking hours: numbers and numeric strings both work.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterInput {
    /// The day to book, YYYY-MM-DD (year 1900 to 2200).
    #[schemars(with = "String", extend("format" = "date"))]
    pub date: Text,
    /// Hours to book: more than 0, at most 24, at most two decimals (7.5).
    #[schemars(with = "f64")]
    pub hours: Text,
    /// The activity's `id`, from a search or the activities lookup.
    #[schemars(with = "u64", range(min = 1))]
    pub activity_id: Text,
    /// The kind's `id`, from the kinds lookup.
    #[schemars(with = "u64", range(min = 1))]
    pub kind_id: Text,
    /// Invoice text shown to the customer; ask the user, may be empty.
    #[schemars(with = "Option<String>")]
    pub note: Text,
    /// Customer contact person, when the user names one.
    #[schemars(with = "Option<String>")]
    pub contact_name: Text,
    /// The `Idempotency-Key` header of a REST call: a retry with the same key is booked
    /// once. Not an argument; MCP calls are matched by their content.
    #[serde(skip)]
    #[schemars(skip)]
    pub idempotency_key: Option<String>,
}

/// The answer: what was booked and the day as it now stands upstream.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Booked {
    pub booked: Booking,
    /// The booked day read back from Tidsreg; absent when the read-back failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<DayHours>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week_total: Option<f64>,
    /// Left out when empty, so a kept answer without warnings must read back as empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// True when this answer repeats an earlier identical booking instead of booking again.
    pub replayed: bool,
}

/// How long a booking sent with an `Idempotency-Key` is remembered: a retry of it, even
/// after a restart or at another replica, answers the first result for a day.
pub const KEYED_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a wait for the same booking in flight elsewhere may last, under the request's
/// 30 s deadline.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(20);
/// How often the record of a booking in flight elsewhere is read again.
const IN_FLIGHT_POLL: Duration = Duration::from_millis(100);

/// A booking as the state store remembers it: what was asked, and the answer once booked
/// (`None` while it is in flight, or in doubt).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Remembered {
    booking: Booking,
    answer: Option<Booked>,
    /// Tidsreg did not answer in time: the booking may or may not be there.
    #[serde(default)]
    in_doubt: bool,
    /// The day's total before the booking was sent, to tell later whether it arrived.
    #[serde(default)]
    day_before: Option<f64>,
}

impl Remembered {
    fn claim(booking: &Booking) -> Self {
        Self {
            booking: booking.clone(),
            answer: None,
            in_doubt: false,
            day_before: None,
        }
    }
}

/// What a booking answers of its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReadBack {
    /// The day as Tidsreg holds it after the booking (or, for a replay, now).
    Day,
    /// Nothing: a batch reads its days once, after its last line.
    Nothing,
}

/// Hours closer than this are the same (the upstream keeps two decimals).
const SAME_HOURS: f64 = 0.005;

impl Ops {
    /// Books hours once per idempotency key (kept [`KEYED_WINDOW`]) or per identical content
    /// (kept [`IDEMPOTENCY_WINDOW`]), and answers the booked day as Tidsreg now shows it. The
    /// record lives in the state store, so a retry after a restart or at another replica is
    /// answered, not booked again; without the store, nothing is booked (503).
    pub async fn register_hours(
        &self,
        caller: &CallerId,
        input: RegisterInput,
    ) -> Result<Booked, OpError> {
        let idempotency_key = input.idempotency_key.clone();
        let booking = validate(input)?;
        let (key, window) = match idempotency_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            Some(k) => (
                record_key(&format!("{caller}\u{0}key\u{0}{k}")),
                KEYED_WINDOW,
            ),
            None => (
                record_key(&format!("{caller}\u{0}content\u{0}{booking:?}")),
                IDEMPOTENCY_WINDOW,
            ),
        };
        self.book_once(caller, &key, booking, window, ReadBack::Day)
            .await
    }

    /// Books `booking` once under the store record `key` (kept `window`): a second call
    /// with the same key answers the first booking (re-reading its day, with
    /// [`ReadBack::Day`]) instead of booking again, waits for it while it is in flight, and
    /// settles it when it is in doubt. Single bookings and each line of a batch come here.
    pub(super) async fn book_once(
        &self,
        caller: &CallerId,
        key: &str,
        booking: Booking,
        window: Duration,
        read_back: ReadBack,
    ) -> Result<Booked, OpError> {
        let key = key.to_owned();
        let started = tokio::time::Instant::now();
        loop {
            let claim = Remembered::claim(&booking);
            if self
                .store
                .put_new(Collection::Idempotency, &key, &claim, Some(window))
                .await?
            {
                return self
                    .book_claimed(caller, &key, booking, window, read_back)
                    .await;
            }
            let found: Option<Remembered> = self.store.get(Collection::Idempotency, &key).await?;
            match found {
                // Gone since (the first attempt failed, or the record expired): claim again.
                None => continue,
                Some(found) if found.booking != booking => {
                    return Err(OpError::bad_input(
                        "Idempotency-Key",
                        "this Idempotency-Key was already used for a different booking; send a new key for a new booking",
                    ));
                }
                Some(Remembered {
                    answer: Some(mut answer),
                    ..
                }) => {
                    answer.replayed = true;
                    if read_back == ReadBack::Day {
                        self.read_day_again(caller, &mut answer).await;
                    }
                    return Ok(answer);
                }
                Some(found) if found.in_doubt => {
                    // Whoever takes the record settles the doubt; the others wait for it.
                    let taken: Option<Remembered> =
                        self.store.take(Collection::Idempotency, &key).await?;
                    if let Some(taken) = taken.filter(|t| t.in_doubt) {
                        return self
                            .settle_doubt(caller, &key, taken, window, read_back)
                            .await;
                    }
                }
                Some(_) if started.elapsed() > IN_FLIGHT_WAIT => {
                    return Err(OpError::Refused(
                        "the same booking is still being sent to Tidsreg by an earlier call; wait a moment, then read the week to see it before booking again".into(),
                    ));
                }
                Some(_) => tokio::time::sleep(IN_FLIGHT_POLL).await,
            }
        }
    }

    /// Books what this call claimed, then keeps the answer for retries. A booking Tidsreg
    /// refused gives the claim back, so a retry may book; one Tidsreg did not answer in time
    /// is kept "in doubt", with the day's total from before, so a retry can tell whether it
    /// arrived instead of booking it twice.
    async fn book_claimed(
        &self,
        caller: &CallerId,
        key: &str,
        booking: Booking,
        window: Duration,
        read_back: ReadBack,
    ) -> Result<Booked, OpError> {
        // The day as Tidsreg holds it now, not as cached: another booking (in Tidsreg's own
        // pages, say) may have changed it.
        self.forget_week(caller, booking.date).await;
        let day_before = match self.day_total(caller, booking.date).await {
            Ok(total) => Some(total),
            // Tidsreg is slow or failing: book anyway; a doubt then cannot be settled alone.
            Err(OpError::UpstreamTimeout | OpError::Upstream(_)) => None,
            // Not signed in, or no store: nothing is sent, and the claim is given back.
            Err(error) => {
                if let Err(store) = self.store.delete(Collection::Idempotency, key).await {
                    tracing::warn!(%store, "cannot give back the claim of a refused booking");
                }
                return Err(error);
            }
        };
        let answer = match self.book(caller, &booking, read_back).await {
            Ok(answer) => answer,
            Err(OpError::UpstreamTimeout) => {
                let record = Remembered {
                    in_doubt: true,
                    day_before,
                    ..Remembered::claim(&booking)
                };
                self.store
                    .put(Collection::Idempotency, key, &record, Some(window))
                    .await?;
                tracing::warn!(%caller, date = %booking.date, "booking in doubt: Tidsreg did not answer in time");
                return Err(OpError::BookingInDoubt);
            }
            Err(error) => {
                if let Err(store) = self.store.delete(Collection::Idempotency, key).await {
                    tracing::warn!(%store, "cannot give back the claim of a failed booking");
                }
                return Err(error);
            }
        };
        self.remember(key, booking, &answer, window).await;
        Ok(answer)
    }

    /// A retry of a booking in doubt: the day as Tidsreg holds it now says whether the first
    /// attempt arrived. If it did, it is answered as a replay; if not, it is booked now.
    async fn settle_doubt(
        &self,
        caller: &CallerId,
        key: &str,
        record: Remembered,
        window: Duration,
        read_back: ReadBack,
    ) -> Result<Booked, OpError> {
        let booking = record.booking.clone();
        self.forget_week(caller, booking.date).await;
        let week = match self.week_hours(caller, booking.date).await {
            Ok(week) => week,
            Err(error) => {
                self.put_back(key, &record, window).await;
                return Err(error);
            }
        };
        let date = booking.date.format(params::DATE_FORMAT).to_string();
        let day = week.days.iter().find(|d| d.date == date).cloned();
        let now = day.as_ref().map_or(0.0, |d| d.total);
        let Some(before) = record.day_before else {
            self.put_back(key, &record, window).await;
            return Err(OpError::Refused(
                "an earlier attempt of this booking may have reached Tidsreg, and it cannot be told whether it did: read the hours of that day, and book again (as a new booking) only if they are missing".into(),
            ));
        };
        if now + SAME_HOURS >= before + booking.hours {
            tracing::info!(%caller, date = %booking.date, "booking in doubt had arrived: answered as a replay");
            let mut warnings = week.warnings;
            warnings.insert(0, "Tidsreg had stored the earlier attempt of this booking although it answered too late; it is booked once".into());
            let answer = Booked {
                booked: booking.clone(),
                day,
                week_total: Some(week.total),
                warnings,
                replayed: true,
            };
            self.remember(key, booking, &answer, window).await;
            return Ok(answer);
        }
        let claim = Remembered::claim(&booking);
        self.store
            .put(Collection::Idempotency, key, &claim, Some(window))
            .await?;
        let mut answer = self
            .book_claimed(caller, key, booking, window, read_back)
            .await?;
        answer.warnings.insert(
            0,
            "the earlier attempt of this booking never reached Tidsreg; it is booked now, once"
                .into(),
        );
        Ok(answer)
    }

    /// A replayed answer's day as Tidsreg holds it now, not as it was at the first booking:
    /// other bookings may have changed it since. If it cannot be read, the first answer's
    /// day stays, and a warning says so.
    async fn read_day_again(&self, caller: &CallerId, answer: &mut Booked) {
        let date = answer.booked.date;
        self.forget_week(caller, date).await;
        match self.week_hours(caller, date).await {
            Ok(week) => {
                let date = date.format(params::DATE_FORMAT).to_string();
                answer.day = week.days.into_iter().find(|d| d.date == date);
                answer.week_total = Some(week.total);
                answer.warnings = week.warnings;
            }
            Err(error) => answer.warnings.push(format!(
                "booked once already; reading the day again failed ({error}), so `day` shows it as it was at that booking: read the week to see it now"
            )),
        }
    }

    /// The day's total hours as Tidsreg holds it now.
    async fn day_total(&self, caller: &CallerId, date: NaiveDate) -> Result<f64, OpError> {
        let week = self.week_hours(caller, date).await?;
        let date = date.format(params::DATE_FORMAT).to_string();
        Ok(week
            .days
            .iter()
            .find(|d| d.date == date)
            .map_or(0.0, |d| d.total))
    }

    /// Drops the cached week of `date`, so the next read asks Tidsreg.
    pub(super) async fn forget_week(&self, caller: &CallerId, date: NaiveDate) {
        if let Ok(Some(signed_in)) = self.sessions.get(caller).await {
            signed_in.weeks.invalidate(&super::hours::week_key(date));
        }
    }

    /// Keeps the record of a booking in doubt again (its settling failed).
    async fn put_back(&self, key: &str, record: &Remembered, window: Duration) {
        let kept = self
            .store
            .put(Collection::Idempotency, key, record, Some(window))
            .await;
        if let Err(error) = kept {
            tracing::warn!(%error, "cannot keep the record of a booking in doubt");
        }
    }

    /// Keeps the answer of a booking for its retries. Booked already: a store failure now
    /// must not look like a failed booking, so it is only logged.
    async fn remember(&self, key: &str, booking: Booking, answer: &Booked, window: Duration) {
        let record = Remembered {
            answer: Some(answer.clone()),
            ..Remembered::claim(&booking)
        };
        if let Err(error) = self
            .store
            .put(Collection::Idempotency, key, &record, Some(window))
            .await
        {
            tracing::warn!(%error, "booked, but the answer could not be kept for retries");
        }
    }

    async fn book(
        &self,
        caller: &CallerId,
        booking: &Booking,
        read_back: ReadBack,
    ) -> Result<Booked, OpError> {
        let refusal = self
            .with_session(caller, |signed_in| async move {
                let result = self.tidsreg.book(&signed_in.upstream, booking).await;
                // Whatever the outcome, the cached week may now be stale.
                signed_in
                    .weeks
                    .invalidate(&super::hours::week_key(booking.date));
                match result {
                    Err(UpstreamError::Status { status, excerpt })
                        if (400..500).contains(&status) =>
                    {
                        self.booking_refused(caller, &signed_in).await;
                        Ok(Some(refused(status, &excerpt)))
                    }
                    other => other.map(|()| None),
                }
            })
            .await?;
        if let Some(refusal) = refusal {
            return Err(refusal);
        }
        tracing::info!(%caller, date = %booking.date, hours = booking.hours, activity = booking.activity_id, "booked hours");
        let mut answer = Booked {
            booked: booking.clone(),
            day: None,
            week_total: None,
            warnings: Vec::new(),
            replayed: false,
        };
        if read_back == ReadBack::Nothing {
            return Ok(answer);
        }
        // The booking is done: a failed read-back must not look like a failed booking, or
        // the caller would book again.
        match self.week_hours(caller, booking.date).await {
            Ok(week) => {
                let date = booking.date.format(params::DATE_FORMAT).to_string();
                answer.day = week.days.into_iter().find(|d| d.date == date);
                answer.week_total = Some(week.total);
                answer.warnings = week.warnings;
            }
            Err(e) => answer.warnings.push(format!(
                "booked, but reading the week back failed ({e}); do not book again: read the hours of that week to see the booking"
            )),
        }
        Ok(answer)
    }
}

/// An upstream 4xx on a booking is the upstream refusing this input, not an outage.
fn refused(status: u16, excerpt: &str) -> OpError {
    let said = super::error::readable(excerpt)
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    OpError::Refused(format!(
        "Tidsreg refused the booking (HTTP {status}{said}); check activityId against the activities of the phase and kindId against the kinds of the activity, then try again"
    ))
}

/// The booking an input asks for, or the first thing wrong with it.
pub(super) fn validate(input: RegisterInput) -> Result<Booking, OpError> {
    // Untrimmed: a date with spaces around it is refused, like any other malformed date.
    params::required("date", input.date.as_deref())?;
    let date = params::date("date", input.date.as_deref().unwrap_or_default())?;
    let hours = params::hours("hours", input.hours.as_deref())?;
    let activity_id = params::id("activityId", input.activity_id.as_deref())?;
    let kind_id = params::id("kindId", input.kind_id.as_deref())?;
    let note = optional_text("note", &input.note)?;
    let contact_name = optional_text("contactName", &input.contact_name)?;
    Ok(Booking {
        date,
        hours,
        activity_id,
        kind_id,
        note,
        contact_name,
    })
}

fn optional_text(field: &'static str, value: &Text) -> Result<String, OpError> {
    let raw = value.as_deref().unwrap_or_default();
    // Control characters (NUL, ESC, CR, LF, TAB, ...) have no place in a one-line invoice
    // text or name, and could forge lines in logs or upstream pages; TAB is refused too.
    if raw.chars().any(char::is_control) {
        return Err(OpError::bad_input(
            field,
            format!(
                "`{field}` holds a control character (such as a line break, tab or NUL); write it on one line without them"
            ),
        ));
    }
    let text = raw.trim().to_string();
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(OpError::bad_input(
            field,
            format!("`{field}` is longer than {MAX_TEXT_CHARS} characters; shorten it"),
        ));
    }
    Ok(text)
}

/// The store key of line `index` of a batch: the batch's identity (its Idempotency-Key, or
/// its whole content) and the line's place in it, so two equal lines of one batch are two
/// bookings, and the same batch sent again books none of them twice.
pub(super) fn batch_line_key(caller: &CallerId, batch: &str, index: usize) -> String {
    record_key(&format!("{caller}\u{0}batch\u{0}{batch}\u{0}{index}"))
}

/// The store key of a booking's record: a hash, so no caller, key or note is readable there.
fn record_key(identity: &str) -> String {
    crate::settings::secret::sha256_hex(identity)
}

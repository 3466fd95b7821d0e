//! `register_hours`: validate, book once, read the week back. ChatGPT retries Actions, and
//! the upstream probably adds a second identical booking to the first, so every booking is
//! remembered for a while and a retry gets the first answer instead of a second booking.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use super::hours::DayHours;
use super::params::Text;
use super::{OpError, Ops, params};
use crate::store::{BoundedMap, CallerId, Clock};
use crate::tidsreg::{Booking, UpstreamError};

/// How long an identical booking (or a reused `Idempotency-Key`) answers the first result.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Longest note or contact name we pass on; the upstream's own limit is unknown.
const MAX_TEXT_CHARS: usize = 500;

/// Input of booking hours: numbers and numeric strings both work.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterInput {
    /// The day to book, YYYY-MM-DD.
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
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Booked {
    pub booked: Booking,
    /// The booked day read back from Tidsreg; absent when the read-back failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<DayHours>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub week_total: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// True when this answer repeats an earlier identical booking instead of booking again.
    pub replayed: bool,
}

/// Most bookings remembered at once; a flood of distinct bookings drops the oldest first.
const MAX_REMEMBERED: usize = 100_000;

/// Bookings made recently, by caller and key (or by caller and content).
#[derive(Debug)]
pub struct Idempotency {
    entries: BoundedMap<String, Remembered>,
}

#[derive(Debug, Clone)]
struct Remembered {
    booking: Booking,
    answer: Arc<OnceCell<Booked>>,
}

impl Idempotency {
    /// No booking remembered yet; records expire on `clock`.
    pub fn new(clock: Clock) -> Self {
        Self {
            entries: BoundedMap::new(MAX_REMEMBERED, clock),
        }
    }

    /// The shared slot for `key`, after dropping expired ones. A reused key with another
    /// booking is refused: it is a client bug, and guessing which one was meant could book
    /// the wrong hours.
    fn slot(&self, key: String, booking: &Booking) -> Result<Arc<OnceCell<Booked>>, OpError> {
        let remembered = self
            .entries
            .get_or_insert_with(key, Some(IDEMPOTENCY_WINDOW), || Remembered {
                booking: booking.clone(),
                answer: Arc::default(),
            });
        if remembered.booking != *booking {
            return Err(OpError::bad_input(
                "Idempotency-Key",
                "this Idempotency-Key was already used for a different booking; send a new key for a new booking",
            ));
        }
        Ok(remembered.answer.clone())
    }
}

impl Ops {
    /// Books hours once per idempotency key (or per identical content within
    /// [`IDEMPOTENCY_WINDOW`]), and answers the booked day as Tidsreg now shows it.
    pub async fn register_hours(
        &self,
        caller: &CallerId,
        input: RegisterInput,
    ) -> Result<Booked, OpError> {
        let idempotency_key = input.idempotency_key.clone();
        let booking = validate(input)?;
        let key = match idempotency_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            Some(k) => format!("{caller}\u{0}key\u{0}{k}"),
            None => format!("{caller}\u{0}content\u{0}{booking:?}"),
        };
        let slot = self.idempotency.slot(key, &booking)?;
        let fresh = AtomicBool::new(false);
        let booked = slot
            .get_or_try_init(|| async {
                fresh.store(true, Ordering::Relaxed);
                self.book(caller, &booking).await
            })
            .await?;
        let mut answer = booked.clone();
        answer.replayed = !fresh.load(Ordering::Relaxed);
        Ok(answer)
    }

    async fn book(&self, caller: &CallerId, booking: &Booking) -> Result<Booked, OpError> {
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

fn validate(input: RegisterInput) -> Result<Booking, OpError> {
    let date = params::date("date", params::required("date", input.date.as_deref())?)?;
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
    let text = value.as_deref().unwrap_or_default().trim().to_string();
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(OpError::bad_input(
            field,
            format!("`{field}` is longer than {MAX_TEXT_CHARS} characters; shorten it"),
        ));
    }
    Ok(text)
}

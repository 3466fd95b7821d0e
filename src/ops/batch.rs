//! `register_hours_batch`: a week (or any set of days) booked in one confirmed call. The
//! whole batch is checked before anything is sent — each line's date, hours, texts, that
//! its activity is open on its day and allows its kind — and refused whole when any line is
//! wrong. Then each line is booked once, in order, through the same store-backed records as
//! a single booking (`booking::book_once`), keyed by the batch and the line's place in it: a
//! retried batch books nothing twice, and a line left in doubt is settled by the retry.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::booking::{KEYED_WINDOW, ReadBack, batch_line_key, validate};
use super::hours::{monday_of, round2};
use super::open_activities::{NamedActivity, OpenActivities};
use super::params::Text;
use super::{IDEMPOTENCY_WINDOW, OpError, Ops, RegisterInput, holidays, params};
use crate::store::CallerId;
use crate::tidsreg::Booking;

/// Most lines one batch may hold: two weeks of several activities a day.
pub const MAX_BATCH_LINES: usize = 50;
/// How long a batch may spend sending lines before it leaves the rest for a retry: each
/// line costs Tidsreg three calls, and the answer must come within the request's 30 s.
const SENDING_BUDGET: std::time::Duration = std::time::Duration::from_secs(18);

/// Why a batch stopped before its last line.
#[derive(Debug, Clone, Copy)]
enum Stop {
    /// This line failed.
    Failed(usize),
    /// The sending budget ran out before this line.
    OutOfTime(usize),
}

/// Input of booking several lines at once.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchInput {
    /// The bookings, 1 to 50, booked in this order; each line is what one registerHours call takes (date, hours, activityId, kindId, note, contactName). copyWeek answers lines ready to send.
    #[schemars(with = "Vec<RegisterInput>", length(min = 1, max = 50))]
    pub lines: Option<Vec<RegisterInput>>,
    /// True to check the batch and answer what it would book, booking nothing; defaults to false.
    #[schemars(with = "Option<bool>")]
    pub dry_run: Text,
    /// The `Idempotency-Key` header of a REST call: the same batch with the same key is
    /// booked once. Not an argument; MCP batches are matched by their content.
    #[serde(skip)]
    #[schemars(skip)]
    pub idempotency_key: Option<String>,
}

/// What happened to one line.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum LineStatus {
    /// Dry run: it would be booked.
    Planned,
    /// Booked now.
    Booked,
    /// Booked by an earlier call of the same batch; not booked again.
    Replayed,
    /// Tidsreg did not take it (see `why`).
    Failed,
    /// Not sent, because an earlier line failed.
    NotSent,
}

/// A day's total hours as Tidsreg holds it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DayTotal {
    pub date: String,
    pub total: f64,
}

/// One line's outcome.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineOutcome {
    /// The line's index in `lines`, from 0.
    pub line: usize,
    pub status: LineStatus,
    #[serde(flatten)]
    pub booking: Booking,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// The answer of a batch.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchAnswer {
    pub dry_run: bool,
    /// False when a line failed: see `message` for what is booked and what to do.
    pub complete: bool,
    /// Hours the batch books (or, in a dry run, would book).
    pub hours: f64,
    pub message: String,
    pub lines: Vec<LineOutcome>,
    /// What each activity and kind of the lines is, listed once.
    pub activities: Vec<NamedActivity>,
    /// The batch's days as Tidsreg now holds them (absent in a dry run).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<DayTotal>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Ops {
    /// Checks every line, then (unless a dry run) books each once, in order.
    pub async fn register_hours_batch(
        &self,
        caller: &CallerId,
        input: BatchInput,
    ) -> Result<BatchAnswer, OpError> {
        let dry_run = dry_run(input.dry_run.as_deref())?;
        let lines = input.lines.unwrap_or_default();
        if lines.is_empty() || lines.len() > MAX_BATCH_LINES {
            return Err(OpError::bad_input(
                "lines",
                format!(
                    "`lines` must hold 1 to {MAX_BATCH_LINES} bookings (got {}), each like {{\"date\": \"2026-03-02\", \"hours\": 7.5, \"activityId\": 4201, \"kindId\": 13}}; split a longer batch",
                    lines.len()
                ),
            ));
        }
        let (bookings, activities) = self.checked_lines(caller, lines).await?;
        let hours = round2(bookings.iter().map(|b| b.hours).sum());
        let warnings = holiday_warnings(&bookings);
        if dry_run {
            let count = bookings.len();
            let lines = outcomes(bookings, |_| (LineStatus::Planned, None));
            return Ok(BatchAnswer {
                dry_run,
                complete: true,
                hours,
                message: format!(
                    "dry run: nothing is booked; these {count} lines ({hours} hours) pass every check. Show them to the user as one table, and on their yes send the same lines with dryRun false"
                ),
                lines,
                activities,
                days: Vec::new(),
                warnings,
            });
        }
        let (batch, window) = match input
            .idempotency_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            Some(key) => (format!("key\u{0}{key}"), KEYED_WINDOW),
            None => (format!("content\u{0}{bookings:?}"), IDEMPOTENCY_WINDOW),
        };
        let started = tokio::time::Instant::now();
        let mut statuses: Vec<(LineStatus, Option<String>)> = Vec::new();
        let mut stop = None;
        for (index, booking) in bookings.iter().enumerate() {
            if stop.is_some() {
                statuses.push((LineStatus::NotSent, None));
                continue;
            }
            if started.elapsed() > SENDING_BUDGET {
                stop = Some(Stop::OutOfTime(index));
                statuses.push((LineStatus::NotSent, None));
                continue;
            }
            let key = batch_line_key(caller, &batch, index);
            let booked = self
                .book_once(caller, &key, booking.clone(), window, ReadBack::Nothing)
                .await;
            match booked {
                Ok(booked) if booked.replayed => statuses.push((LineStatus::Replayed, None)),
                Ok(_) => statuses.push((LineStatus::Booked, None)),
                // Nothing of this batch is booked by this call: the error is the whole answer.
                Err(error) if index == 0 => return Err(error),
                Err(error) => {
                    statuses.push((LineStatus::Failed, Some(error.to_string())));
                    stop = Some(Stop::Failed(index));
                }
            }
        }
        let days = self.days_now(caller, &bookings).await;
        let message = summary(&statuses, stop, hours);
        let mut statuses = statuses.into_iter();
        let lines = outcomes(bookings, |_| {
            statuses.next().unwrap_or((LineStatus::NotSent, None))
        });
        Ok(BatchAnswer {
            dry_run,
            complete: stop.is_none(),
            hours,
            message,
            lines,
            activities,
            days,
            warnings,
        })
    }

    /// Every line checked, on its own and against the catalogue; any bad line refuses the
    /// whole batch, naming each bad line. Answers the bookings and what they book on.
    async fn checked_lines(
        &self,
        caller: &CallerId,
        lines: Vec<RegisterInput>,
    ) -> Result<(Vec<Booking>, Vec<NamedActivity>), OpError> {
        let total = lines.len();
        let mut problems = Vec::new();
        let mut valid = Vec::new();
        for (index, line) in lines.into_iter().enumerate() {
            match validate(line) {
                Ok(booking) => valid.push((index, booking)),
                Err(error) => problems.push(format!("lines[{index}]: {error}")),
            }
        }
        let wanted: Vec<(u64, NaiveDate)> =
            valid.iter().map(|(_, b)| (b.activity_id, b.date)).collect();
        let open = if wanted.is_empty() {
            OpenActivities::default()
        } else {
            self.with_session(caller, |signed_in| {
                let wanted = &wanted;
                async move { self.open_activities(&signed_in, wanted).await }
            })
            .await?
        };
        let mut activities: Vec<NamedActivity> = Vec::new();
        for (index, booking) in &valid {
            match line_problem(&open, booking) {
                Some(problem) => problems.push(format!("lines[{index}]: {problem}")),
                None => {
                    let ids = (booking.activity_id, booking.kind_id);
                    if !activities.iter().any(|a| (a.activity_id, a.kind_id) == ids) {
                        activities.push(open.named(ids.0, ids.1));
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(OpError::bad_input(
                "lines",
                format!(
                    "{} of the {total} lines cannot be booked, so nothing was booked: {}. Fix those lines or leave them out, then send the batch again",
                    problems.len(),
                    problems.join("; ")
                ),
            ));
        }
        Ok((valid.into_iter().map(|(_, b)| b).collect(), activities))
    }

    /// The batch's days as Tidsreg holds them now: one fresh read of each week after the
    /// last line.
    async fn days_now(&self, caller: &CallerId, bookings: &[Booking]) -> Vec<DayTotal> {
        let dates: BTreeSet<NaiveDate> = bookings.iter().map(|b| b.date).collect();
        let mondays: BTreeSet<NaiveDate> = dates.iter().map(|d| monday_of(*d)).collect();
        let mut days = Vec::new();
        for monday in mondays {
            self.forget_week(caller, monday).await;
            match self.week_hours(caller, monday).await {
                Ok(week) => days.extend(
                    week.days
                        .into_iter()
                        .filter(|day| {
                            NaiveDate::parse_from_str(&day.date, params::DATE_FORMAT)
                                .is_ok_and(|d| dates.contains(&d))
                        })
                        .map(|day| DayTotal {
                            date: day.date,
                            total: day.total,
                        }),
                ),
                Err(error) => {
                    tracing::info!(%error, "the batch's days could not be read back");
                }
            }
        }
        days
    }
}

/// What is wrong with a line the catalogue knows about, if anything.
pub(super) fn line_problem(open: &OpenActivities, booking: &Booking) -> Option<String> {
    let (id, date) = (booking.activity_id, booking.date);
    let Some(place) = open.place(id) else {
        return Some(format!(
            "activityId {id} is no activity open to the user on {date}; find the right one with `search` for that date"
        ));
    };
    if !open.is_open(id, date) {
        return Some(format!(
            "{} is closed on {date}; leave the line out or pick another activity",
            place.path()
        ));
    }
    let kinds = open.kinds(id);
    if !kinds.iter().any(|k| k.id == booking.kind_id) {
        let allowed: Vec<String> = kinds
            .iter()
            .map(|k| format!("{} ({})", k.name, k.id))
            .collect();
        return Some(format!(
            "kindId {} is not allowed on {}; it allows {}",
            booking.kind_id,
            place.path(),
            if allowed.is_empty() {
                "no kind Tidsreg could name".to_owned()
            } else {
                allowed.join(", ")
            }
        ));
    }
    None
}

/// A warning for each line dated on a Danish public holiday.
pub(super) fn holiday_warnings(bookings: &[Booking]) -> Vec<String> {
    let days: BTreeSet<NaiveDate> = bookings.iter().map(|b| b.date).collect();
    days.into_iter()
        .filter_map(|day| {
            holidays::holiday(day).map(|name| {
                format!("{day} is {name}, a public holiday in Denmark: make sure the user worked that day")
            })
        })
        .collect()
}

fn dry_run(raw: Option<&str>) -> Result<bool, OpError> {
    match raw.map(str::trim) {
        None => Ok(false),
        Some(raw) if raw.eq_ignore_ascii_case("true") => Ok(true),
        Some(raw) if raw.eq_ignore_ascii_case("false") => Ok(false),
        Some(raw) => Err(OpError::bad_input(
            "dryRun",
            format!("`dryRun` must be true or false (got `{raw}`)"),
        )),
    }
}

fn outcomes(
    bookings: Vec<Booking>,
    mut status: impl FnMut(usize) -> (LineStatus, Option<String>),
) -> Vec<LineOutcome> {
    bookings
        .into_iter()
        .enumerate()
        .map(|(line, booking)| {
            let (status, why) = status(line);
            LineOutcome {
                line,
                status,
                booking,
                why,
            }
        })
        .collect()
}

/// What the batch did, in words that say exactly which lines are booked.
fn summary(statuses: &[(LineStatus, Option<String>)], stop: Option<Stop>, hours: f64) -> String {
    let indexes = |wanted: &[LineStatus]| -> String {
        let found: Vec<String> = statuses
            .iter()
            .enumerate()
            .filter(|(_, (s, _))| wanted.contains(s))
            .map(|(i, _)| i.to_string())
            .collect();
        if found.is_empty() {
            "none".to_owned()
        } else {
            found.join(", ")
        }
    };
    let count = |wanted: LineStatus| statuses.iter().filter(|(s, _)| *s == wanted).count();
    let done = indexes(&[LineStatus::Booked, LineStatus::Replayed]);
    let not_sent = indexes(&[LineStatus::NotSent]);
    match stop {
        None if count(LineStatus::Booked) == 0 => format!(
            "all {} lines were booked by an earlier call of this batch; nothing was booked twice",
            count(LineStatus::Replayed)
        ),
        None => format!(
            "booked {} lines, {hours} hours in all{}",
            count(LineStatus::Booked),
            match count(LineStatus::Replayed) {
                0 => String::new(),
                _ => format!(
                    "; lines {} were booked by an earlier call and not again",
                    indexes(&[LineStatus::Replayed])
                ),
            }
        ),
        Some(Stop::Failed(failed)) => format!(
            "NOT COMPLETE: lines {done} are booked; line {failed} failed (see its `why`); lines {not_sent} were not sent. Tell the user. Sending this same batch again books only what is not booked yet; a changed batch must leave out lines {done}"
        ),
        Some(Stop::OutOfTime(first)) => format!(
            "NOT COMPLETE: lines {done} are booked; Tidsreg was slow, so lines {not_sent} (from line {first}) were not sent yet. Send this same batch again: it books only those"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_names_the_booked_lines_exactly() {
        let statuses = [
            (LineStatus::Booked, None),
            (LineStatus::Replayed, None),
            (LineStatus::Failed, Some("Tidsreg refused".into())),
            (LineStatus::NotSent, None),
        ];
        let failed = summary(&statuses, Some(Stop::Failed(2)), 8.0);
        assert!(
            failed.contains("lines 0, 1 are booked; line 2 failed"),
            "{failed}"
        );
        assert!(failed.contains("lines 3 were not sent"), "{failed}");
        let slow = summary(&statuses, Some(Stop::OutOfTime(3)), 8.0);
        assert!(slow.contains("Send this same batch again"), "{slow}");
        let done = summary(&statuses[..2], None, 8.0);
        assert!(done.contains("booked 1 lines, 8 hours"), "{done}");
        assert!(
            done.contains("lines 1 were booked by an earlier call"),
            "{done}"
        );
    }

    #[test]
    fn dry_run_is_true_or_false() {
        assert!(!dry_run(None).unwrap());
        assert!(dry_run(Some("true")).unwrap());
        assert!(!dry_run(Some("False")).unwrap());
        assert_eq!(dry_run(Some("yes")).unwrap_err().field(), Some("dryRun"));
    }
}

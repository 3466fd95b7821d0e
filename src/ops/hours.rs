//! Registered hours: the week page turned into compact JSON with totals and warnings, and
//! ISO week arithmetic.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use super::params::Text;
use super::week_sheet::WeekSheet;
use super::{OpError, Ops, params};
use crate::store::{CallerId, SignedIn};
use crate::tidsreg::UpstreamError;
use crate::tidsreg::week::{WeekPage, WeekRow};

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// Input of reading the hours of a week.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct HoursInput {
    /// Any day of the week to read, as YYYY-MM-DD (year 1900 to 2200); defaults to today (this week). Turn "last week" into a date in that week first.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub date: Text,
}

/// Input of the bounds of an ISO week.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct WeekInput {
    /// ISO week-numbering year, like 2026; defaults to the current one.
    #[schemars(with = "Option<i32>")]
    pub year: Text,
    /// ISO week number, 1 to 53; defaults to the current week.
    #[schemars(with = "Option<u32>")]
    pub week: Text,
}

/// An ISO week's bounds.
#[derive(Debug, Serialize, PartialEq, JsonSchema)]
pub struct WeekBounds {
    pub year: i32,
    pub week: u32,
    pub start: String,
    pub end: String,
}

/// A week of registered hours, day by day with names per entry: what a booking answers of
/// its day, and what reports add up (`getHours` answers the shorter [`WeekSheet`]).
#[derive(Debug, Serialize, JsonSchema)]
pub struct WeekHours {
    #[serde(flatten)]
    pub bounds: WeekBounds,
    pub total: f64,
    pub days: Vec<DayHours>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One day of the week.
#[derive(Debug, Serialize, Deserialize, Clone, JsonSchema)]
pub struct DayHours {
    pub date: String,
    pub weekday: String,
    pub total: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<Entry>,
}

/// Hours on one activity on one day.
#[derive(Debug, Serialize, Deserialize, Clone, JsonSchema)]
pub struct Entry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    pub activity: String,
    pub billable: bool,
    pub hours: f64,
}

impl Ops {
    /// The ISO week holding the date (default today) as a time sheet: a row per activity
    /// and kind with its ids, totals and warnings.
    pub async fn get_hours(
        &self,
        caller: &CallerId,
        input: HoursInput,
    ) -> Result<WeekSheet, OpError> {
        let date = params::date_or_today("date", input.date.as_deref())?;
        self.week_sheet(caller, date).await
    }

    pub(super) async fn week_hours(
        &self,
        caller: &CallerId,
        date: NaiveDate,
    ) -> Result<WeekHours, OpError> {
        let page = self
            .with_session(caller, |signed_in| async move {
                self.cached_week(&signed_in, date).await
            })
            .await?;
        Ok(summarise(&page, date, params::today(), self.expected_hours))
    }

    /// The week page holding `date`, through the session's cache (keyed by its Monday).
    pub(super) async fn cached_week(
        &self,
        signed_in: &SignedIn,
        date: NaiveDate,
    ) -> Result<Arc<WeekPage>, UpstreamError> {
        signed_in
            .weeks
            .get_or_fetch(&week_key(date), || {
                self.tidsreg.week(&signed_in.upstream, date)
            })
            .await
    }

    /// Start and end of an ISO week (both default to the current one). Needs no upstream,
    /// but is async and takes the caller like every operation, so one table drives them all
    /// (and only an identified caller gets here).
    pub async fn get_week(
        &self,
        _caller: &CallerId,
        input: WeekInput,
    ) -> Result<WeekBounds, OpError> {
        let today = params::today().iso_week();
        let year = match input.year.as_deref() {
            None => today.year(),
            Some(raw) => raw
                .trim()
                .parse()
                .ok()
                .filter(|y| params::YEARS.contains(y))
                .ok_or_else(|| {
                    OpError::bad_input(
                        "year",
                        format!("`year` must be a year from 1900 to 2200, like 2026 (got `{raw}`)"),
                    )
                })?,
        };
        let week = match input.week.as_deref() {
            None => today.week(),
            Some(raw) => raw.parse().map_err(|_| {
                OpError::bad_input(
                    "week",
                    format!("`week` must be an ISO week number from 1 to 53 (got `{raw}`)"),
                )
            })?,
        };
        if !(1..=53).contains(&week) {
            return Err(OpError::bad_input(
                "week",
                format!("`week` must be an ISO week number from 1 to 53 (got `{week}`)"),
            ));
        }
        // A week number the schema allows but this year lacks is a week that does not
        // exist (404), not a malformed request.
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(|| {
            OpError::NotFound {
                field: "week",
                message: format!(
                    "{year} has no ISO week {week}: it has 52 weeks; ask the user which week they meant"
                ),
            }
        })?;
        Ok(bounds(monday))
    }
}

/// The Monday of the ISO week holding `date`.
pub(super) fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The cache key of the week holding `date`: its Monday.
pub(super) fn week_key(date: NaiveDate) -> String {
    monday_of(date).format(params::DATE_FORMAT).to_string()
}

fn bounds(day: NaiveDate) -> WeekBounds {
    let monday = monday_of(day);
    let iso = monday.iso_week();
    WeekBounds {
        year: iso.year(),
        week: iso.week(),
        start: monday.format(params::DATE_FORMAT).to_string(),
        end: (monday + Duration::days(6))
            .format(params::DATE_FORMAT)
            .to_string(),
    }
}

/// Builds the answer from the parsed page: per-day entries, totals (the page's own when it
/// has them, else the sum of entries), and warnings for days the caller should look at.
pub fn summarise(page: &WeekPage, date: NaiveDate, today: NaiveDate, expected: f64) -> WeekHours {
    let monday = monday_of(date);
    let mut warnings = Vec::new();
    let days: Vec<DayHours> = (0..7)
        .map(|i| {
            let day = monday + Duration::days(i as i64);
            let entries: Vec<Entry> = page.rows.iter().filter_map(|row| entry(row, i)).collect();
            let summed = round2(entries.iter().map(|e| e.hours).sum());
            let total = page.day_totals[i].unwrap_or(summed);
            if let Some(warning) = day_warning(day, total, today, expected) {
                warnings.push(warning);
            }
            DayHours {
                date: day.format(params::DATE_FORMAT).to_string(),
                weekday: format!("{:?}", WEEKDAYS[i]),
                total,
                entries,
            }
        })
        .collect();
    WeekHours {
        bounds: bounds(monday),
        total: round2(days.iter().map(|d| d.total).sum()),
        days,
        warnings,
    }
}

fn entry(row: &WeekRow, day: usize) -> Option<Entry> {
    let hours = row.hours[day].filter(|h| *h != 0.0)?;
    Some(Entry {
        customer: row.customer.clone(),
        project: row.project.clone(),
        phase: row.phase.clone(),
        activity: row.activity.clone(),
        billable: row.billable,
        hours,
    })
}

/// A working day up to today with less than expected, or any day over 24 hours.
fn day_warning(day: NaiveDate, total: f64, today: NaiveDate, expected: f64) -> Option<String> {
    let date = day.format("%A %Y-%m-%d");
    if total > params::MAX_HOURS {
        return Some(format!(
            "{date}: {total} hours booked, more than a day holds; check for a double booking"
        ));
    }
    let working_day = day.weekday().num_days_from_monday() < 5;
    if working_day && day <= today && total < expected {
        return Some(format!(
            "{date}: {total} of the expected {expected} hours booked"
        ));
    }
    None
}

/// Two decimals, as Tidsreg shows hours; `+ 0.0` turns the `-0.0` of an empty sum into 0.
pub(super) fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0 + 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(activity: &str, hours: [Option<f64>; 7]) -> WeekRow {
        WeekRow {
            customer: Some("Ærø".into()),
            project: None,
            phase: None,
            activity: activity.into(),
            billable: true,
            hours,
            total: None,
        }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn totals_and_warnings_from_a_partial_page() {
        let page = WeekPage {
            rows: vec![
                row(
                    "Udvikling",
                    [Some(7.5), Some(5.0), None, None, None, None, None],
                ),
                row(
                    "Møder",
                    [None, Some(0.5), None, None, None, Some(25.0), None],
                ),
            ],
            day_totals: [None; 7],
        };
        // Wednesday 2026-03-04 of the week of Monday 2026-03-02; "today" is Wednesday.
        let week = summarise(&page, date("2026-03-04"), date("2026-03-04"), 7.5);
        assert_eq!(week.bounds.start, "2026-03-02");
        assert_eq!(week.bounds.end, "2026-03-08");
        assert_eq!(week.days[0].total, 7.5);
        assert_eq!(week.days[1].total, 5.5);
        assert_eq!(week.days[1].entries.len(), 2);
        assert_eq!(week.total, 38.0);
        let warnings = week.warnings.join("\n");
        assert!(
            warnings.contains("Tuesday 2026-03-03: 5.5 of the expected 7.5"),
            "{warnings}"
        );
        assert!(
            warnings.contains("Wednesday 2026-03-04: 0 of the expected"),
            "{warnings}"
        );
        assert!(
            !warnings.contains("Thursday"),
            "future days are not warned about: {warnings}"
        );
        assert!(
            warnings.contains("Saturday 2026-03-07: 25 hours"),
            "{warnings}"
        );
    }

    #[test]
    fn iso_week_bounds_cross_years() {
        let b = bounds(date("2027-01-01"));
        assert_eq!((b.year, b.week), (2026, 53));
        assert_eq!(b.start, "2026-12-28");
        assert_eq!(b.end, "2027-01-03");
    }
}

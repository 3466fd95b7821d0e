//! `get_report`: where the time went over a period, built from the week pages (one upstream
//! call per week, through the session's cache).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use futures::{StreamExt, TryStreamExt, stream};
use serde::Serialize;

use super::hours::{DayHours, monday_of, round2, summarise};
use schemars::JsonSchema;
use serde::Deserialize;

use super::params::Text;
use super::{OpError, Ops, params};
use crate::store::CallerId;
use crate::tidsreg::UpstreamError;

/// Longest period one report covers: a quarter. Longer asks too much of Tidsreg at once.
pub const MAX_REPORT_DAYS: i64 = 92;
/// Week pages one report fetches at a time: quick for the person, gentle on Tidsreg.
const MAX_IN_FLIGHT: usize = 4;

/// Input of the report over a period.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ReportInput {
    /// First day, YYYY-MM-DD (year 1900 to 2200); defaults to the first day of the month of `to`.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub from: Text,
    /// Last day, YYYY-MM-DD (year 1900 to 2200); defaults to today. A report covers at most 92 days; a longer period is cut to its last 92, with a warning.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub to: Text,
}

/// The report: totals, and hours grouped several ways, biggest first.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub from: String,
    pub to: String,
    pub total: f64,
    pub billable: f64,
    pub not_billable: f64,
    pub by_customer: Vec<Bucket>,
    pub by_project: Vec<Bucket>,
    pub by_activity: Vec<Bucket>,
    pub by_day: Vec<Bucket>,
    /// Working days up to today with fewer than the expected hours (but some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub short_days: Vec<Bucket>,
    /// Working days up to today with nothing booked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub empty_days: Vec<String>,
    /// How the period differs from the one asked for, if it does.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Hours under one name (a customer, a project, an activity or a date).
#[derive(Debug, Serialize, PartialEq, JsonSchema)]
pub struct Bucket {
    pub name: String,
    pub hours: f64,
}

impl Ops {
    /// Hours from `from` to `to` (default: this month up to today), at most
    /// [`MAX_REPORT_DAYS`] days.
    pub async fn get_report(
        &self,
        caller: &CallerId,
        input: ReportInput,
    ) -> Result<Report, OpError> {
        let today = params::today();
        let to = match input.to.as_deref() {
            Some(raw) => params::date("to", raw)?,
            None => today,
        };
        let from = match input.from.as_deref() {
            Some(raw) => params::date("from", raw)?,
            None => to.with_day(1).unwrap_or(to),
        };
        let (from, to, warnings) = period(from, to);
        let days = self
            .with_session(caller, |signed_in| async move {
                let weeks = mondays(from, to).map(|monday| {
                    let signed_in = &signed_in;
                    async move {
                        let page = self.cached_week(signed_in, monday).await?;
                        Ok::<_, UpstreamError>(
                            summarise(&page, monday, today, self.expected_hours).days,
                        )
                    }
                });
                let weeks: Vec<Vec<DayHours>> = stream::iter(weeks)
                    .buffered(MAX_IN_FLIGHT)
                    .try_collect()
                    .await?;
                Ok(weeks.into_iter().flatten().collect::<Vec<_>>())
            })
            .await?;
        Ok(Report {
            warnings,
            ..build(&days, from, to, today, self.expected_hours)
        })
    }
}

/// The period a report covers, and what was changed to get it. Both ends are valid dates,
/// so a request is never refused for its period (a schema cannot say "at most 92 days
/// apart"): ends in the wrong order are swapped, and a longer period is cut to its last
/// [`MAX_REPORT_DAYS`] days; each change is a warning in the answer.
fn period(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate, Vec<String>) {
    let mut warnings = Vec::new();
    let (from, to) = if from > to {
        warnings.push(format!(
            "`from` ({from}) was after `to` ({to}), so the report runs from {to} to {from}"
        ));
        (to, from)
    } else {
        (from, to)
    };
    let days = (to - from).num_days() + 1;
    if days <= MAX_REPORT_DAYS {
        return (from, to, warnings);
    }
    let cut = to - Duration::days(MAX_REPORT_DAYS - 1);
    let before = cut - Duration::days(1);
    warnings.push(format!(
        "the period asked for is {days} days and a report covers at most {MAX_REPORT_DAYS}: this one covers {cut} to {to} only; ask again for {from} to {before}, in parts of up to {MAX_REPORT_DAYS} days, and add them up"
    ));
    (cut, to, warnings)
}

/// The Monday of every week touching the period.
fn mondays(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    let first = monday_of(from);
    (0..)
        .map(move |w| first + Duration::weeks(w))
        .take_while(move |monday| *monday <= to)
}

/// Aggregates the days inside the period.
pub fn build(
    days: &[DayHours],
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    expected: f64,
) -> Report {
    let in_period = |d: &&DayHours| {
        NaiveDate::parse_from_str(&d.date, params::DATE_FORMAT)
            .is_ok_and(|date| date >= from && date <= to)
    };
    let days: Vec<&DayHours> = days.iter().filter(in_period).collect();
    let mut customers = BTreeMap::new();
    let mut projects = BTreeMap::new();
    let mut activities = BTreeMap::new();
    let (mut billable, mut not_billable) = (0.0, 0.0);
    for entry in days.iter().flat_map(|d| &d.entries) {
        let customer = entry
            .customer
            .clone()
            .unwrap_or_else(|| "(unknown customer)".into());
        let project = entry
            .project
            .clone()
            .unwrap_or_else(|| "(unknown project)".into());
        *customers.entry(customer.clone()).or_insert(0.0) += entry.hours;
        *projects
            .entry(format!("{customer} / {project}"))
            .or_insert(0.0) += entry.hours;
        *activities
            .entry(format!("{project} / {}", entry.activity))
            .or_insert(0.0) += entry.hours;
        if entry.billable {
            billable += entry.hours;
        } else {
            not_billable += entry.hours;
        }
    }
    let working_past = |d: &&&DayHours| {
        NaiveDate::parse_from_str(&d.date, params::DATE_FORMAT)
            .is_ok_and(|date| date <= today && date.weekday().num_days_from_monday() < 5)
    };
    Report {
        from: from.format(params::DATE_FORMAT).to_string(),
        to: to.format(params::DATE_FORMAT).to_string(),
        total: round2(days.iter().map(|d| d.total).sum()),
        billable: round2(billable),
        not_billable: round2(not_billable),
        by_customer: biggest_first(customers),
        by_project: biggest_first(projects),
        by_activity: biggest_first(activities),
        by_day: days
            .iter()
            .filter(|d| d.total > 0.0)
            .map(|d| Bucket {
                name: d.date.clone(),
                hours: d.total,
            })
            .collect(),
        short_days: days
            .iter()
            .filter(working_past)
            .filter(|d| d.total > 0.0 && d.total < expected)
            .map(|d| Bucket {
                name: d.date.clone(),
                hours: d.total,
            })
            .collect(),
        empty_days: days
            .iter()
            .filter(working_past)
            .filter(|d| d.total == 0.0)
            .map(|d| d.date.clone())
            .collect(),
        warnings: Vec::new(),
    }
}

fn biggest_first(map: BTreeMap<String, f64>) -> Vec<Bucket> {
    let mut buckets: Vec<Bucket> = map
        .into_iter()
        .map(|(name, hours)| Bucket {
            name,
            hours: round2(hours),
        })
        .collect();
    buckets.sort_by(|a, b| b.hours.total_cmp(&a.hours));
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_period_is_never_refused_but_swapped_or_cut_with_a_warning() {
        let (from, to, warnings) = period(date("2026-01-01"), date("2026-04-02"));
        assert_eq!((from, to), (date("2026-01-01"), date("2026-04-02")));
        assert!(warnings.is_empty(), "92 days is a whole report");
        let (from, to, warnings) = period(date("2026-01-01"), date("2026-04-03"));
        assert_eq!((from, to), (date("2026-01-02"), date("2026-04-03")));
        assert!(
            warnings[0].contains("2026-01-01 to 2026-01-01"),
            "{warnings:?}"
        );
        let (from, to, warnings) = period(date("2026-02-02"), date("2026-02-01"));
        assert_eq!((from, to), (date("2026-02-01"), date("2026-02-02")));
        assert!(warnings[0].contains("was after"), "{warnings:?}");
    }

    #[test]
    fn mondays_cover_the_period() {
        let weeks: Vec<_> = mondays(date("2026-03-04"), date("2026-03-16")).collect();
        assert_eq!(
            weeks,
            vec![date("2026-03-02"), date("2026-03-09"), date("2026-03-16")]
        );
    }
}

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
    /// Last day, YYYY-MM-DD (year 1900 to 2200); defaults to today. At most 92 days after `from`.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub to: Text,
}

/// The report: totals, and hours grouped several ways, biggest first.
#[derive(Debug, Serialize)]
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
}

/// Hours under one name (a customer, a project, an activity or a date).
#[derive(Debug, Serialize, PartialEq)]
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
        check_range(from, to)?;
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
        Ok(build(&days, from, to, today, self.expected_hours))
    }
}

fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), OpError> {
    if from > to {
        return Err(OpError::bad_input(
            "from",
            format!("`from` ({from}) is after `to` ({to}); swap them"),
        ));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_REPORT_DAYS {
        return Err(OpError::bad_input(
            "to",
            format!(
                "the period is {days} days; a report covers at most {MAX_REPORT_DAYS}: split it into smaller periods"
            ),
        ));
    }
    Ok(())
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
    fn ranges_are_checked() {
        assert!(check_range(date("2026-01-01"), date("2026-04-02")).is_ok());
        let err = check_range(date("2026-01-01"), date("2026-04-03")).unwrap_err();
        assert_eq!(err.field(), Some("to"));
        assert_eq!(
            check_range(date("2026-02-02"), date("2026-02-01"))
                .unwrap_err()
                .field(),
            Some("from")
        );
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

//! Registered hours as JSON (`GET /api/Hours/DD-MM-YYYY?days=N`): the activity id of each
//! registration, which the week page does not show, and how to attach those ids to the
//! page's rows.
//!
//! The evidence for this endpoint is thin (one public script), so everything here is
//! tolerant: unknown fields are ignored, either key spelling is read, and an entry that
//! lacks a date, an id or hours is skipped. The page stays the source of names, kinds and
//! totals; an id is attached to a row only where the hours say unambiguously which it is.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use super::UpstreamError;
use super::week::WeekRow;

/// Days in a week, Monday first.
const DAYS_PER_WEEK: usize = 7;
/// Hours closer than this are the same (the upstream keeps two decimals).
const SAME_HOURS: f64 = 0.005;

/// One registration as the JSON lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub date: NaiveDate,
    pub activity_id: u64,
    pub hours: f64,
}

/// The answer's outer shape; `TimeRegistrations` in the one known client, any case here.
#[derive(Deserialize)]
struct Answer {
    #[serde(alias = "timeRegistrations", alias = "timeregistrations")]
    #[serde(rename = "TimeRegistrations", default)]
    time_registrations: Vec<Value>,
}

/// Parses the answer, skipping entries it cannot read.
pub fn parse(bytes: &[u8]) -> Result<Vec<Registration>, UpstreamError> {
    let answer: Answer = serde_json::from_slice(bytes).map_err(|e| {
        UpstreamError::BadAnswer(format!("registered hours are not the expected JSON ({e})"))
    })?;
    Ok(answer
        .time_registrations
        .iter()
        .filter_map(registration)
        .collect())
}

/// One entry, read with either key spelling; numbers may come as numeric strings.
fn registration(entry: &Value) -> Option<Registration> {
    let field = |name: &str| {
        entry
            .as_object()?
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    };
    let number = |value: &Value| match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', ".").parse().ok(),
        _ => None,
    };
    let date = field("Date")?.as_str()?.get(..10)?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let activity_id = number(field("ActivityId")?).filter(|id| id.fract() == 0.0 && *id > 0.0)?;
    let hours = number(field("Hours")?).filter(|h| h.is_finite())?;
    Some(Registration {
        date,
        activity_id: activity_id as u64,
        hours,
    })
}

/// The activity id of each row (same order), where the registrations tell it without doubt.
///
/// The page splits one activity into a billable and a non-billable row, while the JSON
/// knows activities only. So rows are grouped by their whole path (customer, project, phase,
/// activity), and a group gets an id when exactly one activity's hours per day equal the
/// group's, and that activity fits no other group. Two activities with the very same hours
/// on the very same days stay `None`: a guess there would book on the wrong one.
pub fn activity_ids(
    rows: &[WeekRow],
    monday: NaiveDate,
    registrations: &[Registration],
) -> Vec<Option<u64>> {
    let mut by_activity: Vec<(u64, [f64; DAYS_PER_WEEK])> = Vec::new();
    for registration in registrations {
        let day = (registration.date - monday).num_days();
        let Ok(day) = usize::try_from(day) else {
            continue;
        };
        if day >= DAYS_PER_WEEK {
            continue;
        }
        let slot = match by_activity
            .iter()
            .position(|(id, _)| *id == registration.activity_id)
        {
            Some(slot) => slot,
            None => {
                by_activity.push((registration.activity_id, [0.0; DAYS_PER_WEEK]));
                by_activity.len() - 1
            }
        };
        by_activity[slot].1[day] += registration.hours;
    }
    let path = |row: &WeekRow| {
        (
            row.customer.clone(),
            row.project.clone(),
            row.phase.clone(),
            row.activity.clone(),
        )
    };
    let mut groups: Vec<(_, [f64; DAYS_PER_WEEK])> = Vec::new();
    for row in rows {
        let key = path(row);
        let slot = match groups.iter().position(|(k, _)| *k == key) {
            Some(slot) => slot,
            None => {
                groups.push((key, [0.0; DAYS_PER_WEEK]));
                groups.len() - 1
            }
        };
        for (sum, hours) in groups[slot].1.iter_mut().zip(row.hours) {
            *sum += hours.unwrap_or(0.0);
        }
    }
    let same = |a: &[f64; DAYS_PER_WEEK], b: &[f64; DAYS_PER_WEEK]| {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < SAME_HOURS)
    };
    rows.iter()
        .map(|row| {
            let key = path(row);
            let (_, hours) = groups.iter().find(|(k, _)| *k == key)?;
            let mut fits = by_activity.iter().filter(|(_, h)| same(h, hours));
            let (id, activity_hours) = fits.next()?;
            let unique_activity = fits.next().is_none();
            let unique_group = groups
                .iter()
                .filter(|(_, h)| same(h, activity_hours))
                .count()
                == 1;
            (unique_activity && unique_group).then_some(*id)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn row(activity: &str, billable: bool, hours: [Option<f64>; DAYS_PER_WEEK]) -> WeekRow {
        WeekRow {
            customer: Some("Ærø".into()),
            project: Some("Lager".into()),
            phase: Some("Udvikling".into()),
            activity: activity.into(),
            billable,
            hours,
            total: None,
        }
    }

    #[test]
    fn either_spelling_and_bad_entries_are_skipped() {
        let json = br#"{"TimeRegistrations": [
            {"Date": "2026-03-02T00:00:00", "ActivityId": 4201, "Hours": 7.5},
            {"date": "2026-03-03", "activityId": "4202", "hours": "1,5", "Extra": true},
            {"Date": "soon", "ActivityId": 1, "Hours": 1},
            {"Date": "2026-03-03", "Hours": 1}
        ]}"#;
        let parsed = parse(json).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[1].activity_id, 4202);
        assert_eq!(parsed[1].hours, 1.5);
        assert!(parse(b"<html>").is_err());
        assert!(parse(b"{}").unwrap().is_empty());
    }

    #[test]
    fn ids_go_to_rows_whose_hours_match_one_activity_only() {
        let monday = date("2026-03-02");
        let rows = [
            row(
                "Udvikling",
                true,
                [Some(5.0), None, None, None, None, None, None],
            ),
            row(
                "Udvikling",
                false,
                [Some(1.0), None, None, None, None, None, None],
            ),
            row(
                "Møder",
                true,
                [None, Some(2.0), None, None, None, None, None],
            ),
            row(
                "Test",
                true,
                [None, None, Some(3.0), None, None, None, None],
            ),
            row(
                "Review",
                true,
                [None, None, Some(3.0), None, None, None, None],
            ),
        ];
        let registrations = [
            (4201, "2026-03-02", 5.0),
            (4201, "2026-03-02", 1.0),
            (4203, "2026-03-03", 2.0),
            (4204, "2026-03-04", 3.0),
            (4205, "2026-03-04", 3.0),
            (4206, "2026-03-20", 3.0),
        ]
        .map(|(activity_id, d, hours)| Registration {
            date: date(d),
            activity_id,
            hours,
        });
        let ids = activity_ids(&rows, monday, &registrations);
        assert_eq!(ids, [Some(4201), Some(4201), Some(4203), None, None]);
    }
}

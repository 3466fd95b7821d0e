//! `copy_week`: "same as last week" as a plan. The lines of the week holding `from`, moved
//! to the same weekdays of the week holding `to`, ready to send to `register_hours_batch`
//! after the person confirms them. It books nothing; it warns about what the person should
//! look at (a public holiday, a day that already holds hours) and leaves out what cannot
//! be booked (an activity closed on its new day, or one whose ids Tidsreg does not tell).

use chrono::{Duration, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::batch::{holiday_warnings, line_problem};
use super::hours::{monday_of, round2};
use super::open_activities::{Activity, NamedActivity};
use super::params::Text;
use super::{OpError, Ops, params};
use crate::store::CallerId;
use crate::tidsreg::Booking;

/// Input of planning a week from another.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct CopyWeekInput {
    /// Any day of the week to copy from, as YYYY-MM-DD (year 1900 to 2200), like a day of last week.
    #[schemars(with = "String", extend("format" = "date"))]
    pub from: Text,
    /// Any day of the week to copy to, as YYYY-MM-DD (year 1900 to 2200); each line keeps its weekday.
    #[schemars(with = "String", extend("format" = "date"))]
    pub to: Text,
}

/// The plan: lines for `registerHoursBatch`, what they book on, and warnings.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WeekCopy {
    /// The Monday of the week copied from.
    pub from: String,
    /// The Monday of the week copied to.
    pub to: String,
    /// Hours of all lines.
    pub total: f64,
    pub lines: Vec<Booking>,
    /// What each activity and kind of the lines is, listed once.
    pub activities: Vec<NamedActivity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Ops {
    /// Plans the week holding `to` from the week holding `from`; books nothing.
    pub async fn copy_week(
        &self,
        caller: &CallerId,
        input: CopyWeekInput,
    ) -> Result<WeekCopy, OpError> {
        params::required("from", input.from.as_deref())?;
        params::required("to", input.to.as_deref())?;
        let from = monday_of(params::date(
            "from",
            input.from.as_deref().unwrap_or_default(),
        )?);
        let to = monday_of(params::date("to", input.to.as_deref().unwrap_or_default())?);
        if from == to {
            // Copying a week onto itself plans nothing (its lines are already booked); an
            // empty plan that says so, not a refusal of two valid dates.
            let monday = from.format(params::DATE_FORMAT).to_string();
            return Ok(WeekCopy {
                from: monday.clone(),
                to: monday,
                total: 0.0,
                lines: Vec::new(),
                activities: Vec::new(),
                warnings: vec![format!(
                    "`from` and `to` are in the same week (the week of {from}), so there is nothing to copy; give `to` a day of the week to fill"
                )],
            });
        }
        let source = self.week_sheet(caller, from).await?;
        let mut warnings = Vec::new();
        let mut lines = Vec::new();
        let mut activities = Vec::new();
        for row in &source.rows {
            let (Some(activity_id), Some(kind_id)) = (row.activity_id, row.kind_id) else {
                warnings.push(format!(
                    "{} ({}) is not copied: Tidsreg's pages do not tell its {}; find it with `search` and add its lines by hand",
                    row.path,
                    row.kind.as_deref().unwrap_or("kind unknown"),
                    if row.activity_id.is_none() {
                        "activityId"
                    } else {
                        "kindId"
                    }
                ));
                continue;
            };
            activities.push(NamedActivity {
                activity_id,
                kind_id,
                path: row.path.clone(),
                kind: source
                    .kinds
                    .iter()
                    .find(|k| k.id == kind_id)
                    .map(|k| k.name.clone())
                    .unwrap_or_default(),
            });
            for (day, hours) in row.hours.iter().enumerate() {
                if *hours > 0.0 {
                    lines.push(Booking {
                        date: to + Duration::days(day as i64),
                        hours: *hours,
                        activity_id,
                        kind_id,
                        note: String::new(),
                        contact_name: String::new(),
                    });
                }
            }
        }
        lines.sort_by_key(|line| line.date);
        let wanted: Vec<(u64, NaiveDate)> = lines.iter().map(|l| (l.activity_id, l.date)).collect();
        let paths: Vec<(u64, [&str; 3])> = source
            .rows
            .iter()
            .filter_map(|row| {
                let names = row.names.as_ref()?.each_ref().map(String::as_str);
                Some((row.activity_id?, names))
            })
            .collect();
        let open = self
            .with_session(caller, |signed_in| {
                let (wanted, paths) = (&wanted, &paths);
                async move {
                    // The page's names lead straight to each activity, instead of a walk.
                    for (activity_id, names) in paths {
                        let activity = Activity::Id(*activity_id);
                        self.place_by_names(&signed_in, to, *names, activity)
                            .await?;
                    }
                    self.open_activities(&signed_in, wanted).await
                }
            })
            .await?;
        lines.retain(|line| match line_problem(&open, line) {
            Some(problem) => {
                warnings.push(format!("{} is left out: {problem}", line.date));
                false
            }
            None => true,
        });
        warnings.extend(holiday_warnings(&lines));
        let target = self.week_hours(caller, to).await?;
        for day in target.days.iter().filter(|d| d.total > 0.0) {
            warnings.push(format!(
                "{} already holds {} hours; the copied lines add to them, so leave that day out unless the user wants both",
                day.date, day.total
            ));
        }
        Ok(WeekCopy {
            from: from.format(params::DATE_FORMAT).to_string(),
            to: to.format(params::DATE_FORMAT).to_string(),
            total: round2(lines.iter().map(|l| l.hours).sum()),
            lines,
            activities,
            warnings,
        })
    }
}

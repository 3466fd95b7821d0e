//! `get_hours`: the week as a time sheet, one row per activity and kind with its hours per
//! day. Each row carries the `activityId` and `kindId` that booking it again needs, and its
//! names once, not once per day: a week of 8 bookings fits in about 1 kB.
//!
//! The page has the names, billability and totals; the registrations JSON has activity
//! ids ([`crate::tidsreg::registrations`]), and where it is missing or ambiguous the names
//! of a row's path lead to its activity in the catalogue; the kinds lookup (by project and
//! activity name) turns billability into a kind id. Whatever cannot be told for sure is left out of
//! the row, with a warning saying how to find it, rather than guessed.

use schemars::JsonSchema;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use super::hours::{WeekBounds, monday_of, summarise};
use super::open_activities::Activity;
use super::{OpError, Ops, params};
use crate::store::{CallerId, SignedIn};
use crate::tidsreg::registrations::activity_ids;
use crate::tidsreg::week::WeekRow;
use crate::tidsreg::{Lookup, LookupRequest};

/// Days in a week, Monday first.
const DAYS_PER_WEEK: usize = 7;
/// The kind names the page's ` (Billable)` suffix stands for, when an activity allows
/// several kinds.
const BILLABLE_KIND: &str = "Billable";
const NOT_BILLABLE_KIND: &str = "Not billable";

/// A week of registered hours, as `getHours` answers it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WeekSheet {
    #[serde(flatten)]
    pub bounds: WeekBounds,
    pub total: f64,
    /// Hours per day, Monday to Sunday.
    #[serde(serialize_with = "compact_hours")]
    pub days: [f64; DAYS_PER_WEEK],
    pub rows: Vec<SheetRow>,
    /// The name of each `kindId` of the rows, listed once.
    pub kinds: Vec<Lookup>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Hours on one activity and kind, Monday to Sunday.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SheetRow {
    /// Absent when it cannot be told for sure (see the warnings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<u64>,
    /// Absent when it cannot be told for sure (see the warnings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind_id: Option<u64>,
    /// Customer / project / phase / activity.
    pub path: String,
    /// Only when `kindId` is absent: "Billable" or "Not billable", as the page tells it
    /// (the names of known kinds are in the week's `kinds`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(serialize_with = "compact_hours")]
    pub hours: [f64; DAYS_PER_WEEK],
    /// Customer, project and phase names, when the page gives all three: they lead to the
    /// activity's place in the catalogue without a walk. Not part of the answer.
    #[serde(skip)]
    pub names: Option<[String; 3]>,
}

impl Ops {
    /// The week holding `date` as a time sheet, with ids where they can be told.
    pub(super) async fn week_sheet(
        &self,
        caller: &CallerId,
        date: NaiveDate,
    ) -> Result<WeekSheet, OpError> {
        let monday = monday_of(date);
        let (page, ids, kinds) = self
            .with_session(caller, |signed_in| async move {
                let page = self.cached_week(&signed_in, monday).await?;
                let ids = match self
                    .tidsreg
                    .registrations(&signed_in.upstream, monday, DAYS_PER_WEEK as u32)
                    .await
                {
                    Ok(registrations) => activity_ids(&page.rows, monday, &registrations),
                    Err(error) => {
                        tracing::info!(%error, "no activity ids: the registrations JSON failed");
                        vec![None; page.rows.len()]
                    }
                };
                let ids = self.ids_by_names(&signed_in, &page.rows, monday, ids).await;
                let mut kinds = Vec::with_capacity(page.rows.len());
                for row in &page.rows {
                    kinds.push(self.kind_of(&signed_in, row).await);
                }
                Ok((page, ids, kinds))
            })
            .await?;
        let week = summarise(&page, monday, params::today(), self.expected_hours);
        let mut warnings = week.warnings;
        let mut days = [0.0; DAYS_PER_WEEK];
        for (slot, day) in days.iter_mut().zip(&week.days) {
            *slot = day.total;
        }
        let mut kind_names = BTreeMap::new();
        let rows: Vec<SheetRow> = page
            .rows
            .iter()
            .zip(ids)
            .zip(kinds)
            .filter(|((row, _), _)| row.hours.iter().flatten().any(|h| *h != 0.0))
            .map(|((row, activity_id), kind)| {
                if let Some(kind) = &kind {
                    kind_names.insert(kind.id, kind.name.clone());
                }
                sheet_row(row, activity_id, kind)
            })
            .collect();
        for row in &rows {
            if row.activity_id.is_none() {
                warnings.push(format!(
                    "{}: its activityId cannot be told from Tidsreg's pages; find it with `search` before booking it again",
                    row.path
                ));
            } else if row.kind_id.is_none() {
                warnings.push(format!(
                    "{}: its kindId cannot be told; ask the user which kind (the kinds lookup of its project and activity lists them)",
                    row.path
                ));
            }
        }
        Ok(WeekSheet {
            bounds: week.bounds,
            total: week.total,
            days,
            rows,
            kinds: kind_names
                .into_iter()
                .map(|(id, name)| Lookup { id, name })
                .collect(),
            warnings,
        })
    }

    /// Fills the ids the registrations did not tell from the catalogue, by the names of
    /// each row's path on its first booked day: the upstream contract's fallback, for a
    /// Tidsreg whose registrations JSON is missing or ambiguous.
    async fn ids_by_names(
        &self,
        signed_in: &SignedIn,
        rows: &[WeekRow],
        monday: NaiveDate,
        mut ids: Vec<Option<u64>>,
    ) -> Vec<Option<u64>> {
        for (row, id) in rows
            .iter()
            .zip(ids.iter_mut())
            .filter(|(_, id)| id.is_none())
        {
            let (Some(customer), Some(project), Some(phase)) =
                (&row.customer, &row.project, &row.phase)
            else {
                continue;
            };
            let Some(first) = row.hours.iter().position(|h| h.is_some_and(|h| h != 0.0)) else {
                continue;
            };
            let date = monday + chrono::Duration::days(first as i64);
            let names = [customer.as_str(), project.as_str(), phase.as_str()];
            let activity = Activity::Name(&row.activity);
            if let Ok(Some(place)) = self.place_by_names(signed_in, date, names, activity).await {
                *id = Some(place.activity.id);
            }
        }
        ids
    }

    /// The kind a page row's hours were booked with: the activity's only kind, or the one
    /// its billability names. `None` when the lookup fails or leaves a choice.
    async fn kind_of(&self, signed_in: &SignedIn, row: &WeekRow) -> Option<Lookup> {
        let project_name = row.project.as_deref()?;
        let request = LookupRequest::Kinds {
            project_name,
            activity_name: &row.activity,
        };
        let kinds = self.cached_lookup(signed_in, &request).await.ok()?;
        pick_kind(&kinds, row.billable).cloned()
    }
}

/// The kind among `kinds` that a row of this billability was booked with, when it is sure.
fn pick_kind(kinds: &[Lookup], billable: bool) -> Option<&Lookup> {
    if let [only] = kinds {
        return Some(only);
    }
    let wanted = if billable {
        BILLABLE_KIND
    } else {
        NOT_BILLABLE_KIND
    };
    kinds.iter().find(|k| k.name.eq_ignore_ascii_case(wanted))
}

fn sheet_row(row: &WeekRow, activity_id: Option<u64>, kind: Option<Lookup>) -> SheetRow {
    let path = [&row.customer, &row.project, &row.phase]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .chain([row.activity.as_str()])
        .collect::<Vec<_>>()
        .join(" / ");
    let mut hours = [0.0; DAYS_PER_WEEK];
    for (slot, day) in hours.iter_mut().zip(row.hours) {
        *slot = day.unwrap_or(0.0);
    }
    let page_kind = if row.billable {
        BILLABLE_KIND
    } else {
        NOT_BILLABLE_KIND
    };
    let names = match (&row.customer, &row.project, &row.phase) {
        (Some(customer), Some(project), Some(phase)) => {
            Some([customer.clone(), project.clone(), phase.clone()])
        }
        _ => None,
    };
    SheetRow {
        names,
        activity_id,
        kind_id: kind.as_ref().map(|k| k.id),
        path,
        kind: kind.is_none().then(|| page_kind.to_owned()),
        hours,
    }
}

/// Hours Monday to Sunday with whole numbers written without `.0` (`[6,0,7.5,0,0,0,0]`):
/// a week's rows are mostly empty days, and each `0.0` costs two bytes more than `0`.
fn compact_hours<S: Serializer>(hours: &[f64; DAYS_PER_WEEK], s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(DAYS_PER_WEEK))?;
    for &hour in hours {
        if hour.fract() == 0.0 && hour.abs() <= f64::from(u16::MAX) {
            seq.serialize_element(&(hour as i64))?;
        } else {
            seq.serialize_element(&hour)?;
        }
    }
    seq.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(id: u64, name: &str) -> Lookup {
        Lookup {
            id,
            name: name.into(),
        }
    }

    #[test]
    fn whole_hours_are_written_without_decimals() {
        let mut out = Vec::new();
        let hours = [6.0, 0.0, 7.5, 0.25, -0.0, 24.0, 0.0];
        compact_hours(&hours, &mut serde_json::Serializer::new(&mut out)).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "[6,0,7.5,0.25,0,24,0]");
    }

    #[test]
    fn the_kind_is_the_only_one_or_the_one_billability_names() {
        let only = [kind(16, "Not billable")];
        assert_eq!(pick_kind(&only, true).map(|k| k.id), Some(16));
        let several = [
            kind(13, "Billable"),
            kind(14, "Overtime"),
            kind(16, "Not billable"),
        ];
        assert_eq!(pick_kind(&several, true).map(|k| k.id), Some(13));
        assert_eq!(pick_kind(&several, false).map(|k| k.id), Some(16));
        let unclear = [kind(14, "Overtime"), kind(15, "Overtime 100 %")];
        assert_eq!(pick_kind(&unclear, true), None);
    }
}

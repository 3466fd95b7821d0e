//! One booking of hours: what our client posts to `POST /api/hours`, what the fake upstream
//! stores, and what `register_hours` echoes back. One type for all three, so they cannot drift.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The form `POST /api/hours` takes its date in.
const FORM_DATE_FORMAT: &str = "%Y-%m-%d";

/// One booking. As JSON (the echo in our API's answer): camelCase, the date as `YYYY-MM-DD`,
/// `note` and `contactName` left out when empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    /// The day the hours belong to.
    #[schemars(with = "String", extend("format" = "date"))]
    #[serde(
        serialize_with = "serialize_date",
        deserialize_with = "deserialize_date"
    )]
    pub date: NaiveDate,
    /// The hours, e.g. `7.5`.
    pub hours: f64,
    /// The activity booked on.
    pub activity_id: u64,
    /// The kind of hours (billable, overtime…).
    pub kind_id: u64,
    /// The invoice text; may be empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The customer contact; may be empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub contact_name: String,
}

impl Booking {
    /// The upstream form: every field, the empty texts too (the upstream takes them empty).
    pub(super) fn form(&self) -> [(&'static str, String); 6] {
        [
            ("hours", self.hours.to_string()),
            ("activityId", self.activity_id.to_string()),
            ("date", self.date.format(FORM_DATE_FORMAT).to_string()),
            ("kindId", self.kind_id.to_string()),
            ("note", self.note.clone()),
            ("contactName", self.contact_name.clone()),
        ]
    }
}

/// Reads a date written `YYYY-MM-DD` (a booking kept in the state store).
fn deserialize_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let text = String::deserialize(d)?;
    NaiveDate::parse_from_str(&text, FORM_DATE_FORMAT).map_err(serde::de::Error::custom)
}

/// Writes a date as `YYYY-MM-DD` (chrono's serde feature is off, and this is all it needs).
fn serialize_date<S: serde::Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&date.format(FORM_DATE_FORMAT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn booking(note: &str, contact_name: &str) -> Booking {
        Booking {
            date: NaiveDate::from_ymd_opt(2025, 6, 2).expect("valid date"),
            hours: 7.5,
            activity_id: 4201,
            kind_id: 13,
            note: note.into(),
            contact_name: contact_name.into(),
        }
    }

    #[test]
    fn json_is_camel_case_with_an_iso_date_and_no_empty_texts() {
        let json = serde_json::to_string(&booking("", "")).expect("serialises");
        assert_eq!(
            json,
            r#"{"date":"2025-06-02","hours":7.5,"activityId":4201,"kindId":13}"#
        );
        let json = serde_json::to_string(&booking("Lager & \"x\"", "Søren")).expect("serialises");
        assert_eq!(
            json,
            r#"{"date":"2025-06-02","hours":7.5,"activityId":4201,"kindId":13,"note":"Lager & \"x\"","contactName":"Søren"}"#
        );
    }

    #[test]
    fn the_form_sends_every_field() {
        let form = booking("", "").form();
        let names: Vec<&str> = form.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            [
                "hours",
                "activityId",
                "date",
                "kindId",
                "note",
                "contactName"
            ]
        );
        assert_eq!(form[0].1, "7.5");
        assert_eq!(form[2].1, "2025-06-02");
        assert_eq!(form[4].1, "");
    }
}

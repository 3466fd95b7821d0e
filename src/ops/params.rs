//! Parsing raw inputs (query strings, JSON fields) into typed values, with errors that name
//! the field and show the expected form.

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::OpError;

/// An input field as the text the parsers below take, whatever JSON it arrived as: REST
/// query strings give text, MCP arguments and JSON bodies give numbers or strings, so
/// `"activityId": 4201` and `"activityId": "4201"` are the same input. A missing or `null`
/// field is absent. Validation, and its words, happen only in the operation, so a bad value
/// gets the same sentence over REST and MCP, never a transport's own parse error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(Option<String>);

impl Text {
    /// The field's text, if it was given.
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Self(Some(text.to_string()))
    }
}

impl<'de> Deserialize<'de> for Text {
    /// Through `Option`, so a missing field is `None` without `#[serde(default)]`, which
    /// keeps the JSON Schema's `required` list as each field declares it.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Option::<Value>::deserialize(deserializer)?;
        Ok(Self(text_of(value.as_ref())))
    }
}

/// Dates travel as `YYYY-MM-DD`, like HTML date inputs and ISO 8601.
pub const DATE_FORMAT: &str = "%Y-%m-%d";

/// Largest id: the schema's `int64`, which is what the upstream's ids fit in.
pub const MAX_ID: u64 = i64::MAX as u64;
/// Years a date may have: wide enough for any booking, narrow enough to stay four digits.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// A required positive integer id.
pub fn id(field: &'static str, raw: Option<&str>) -> Result<u64, OpError> {
    let raw = required(field, raw)?;
    match raw.parse::<u64>() {
        Ok(id) if id > 0 && id <= MAX_ID => Ok(id),
        _ => Err(OpError::bad_input(
            field,
            format!(
                "`{field}` must be a positive whole number, like 123 (got `{raw}`); take it from the `id` of a list call"
            ),
        )),
    }
}

/// An optional date; today (local time) when absent.
pub fn date_or_today(field: &'static str, raw: Option<&str>) -> Result<NaiveDate, OpError> {
    match raw {
        None => Ok(today()),
        Some(raw) => date(field, raw),
    }
}

/// A date written exactly `YYYY-MM-DD` (four-digit year, two-digit month and day, no sign,
/// no spaces) that exists in the calendar, in [`YEARS`]. chrono alone would accept
/// `2024-1-8` and `+2024-01-08`, so the shape is checked first.
pub fn date(field: &'static str, raw: &str) -> Result<NaiveDate, OpError> {
    let parsed = is_date_shape(raw)
        .then(|| NaiveDate::parse_from_str(raw, DATE_FORMAT).ok())
        .flatten();
    parsed.filter(|d| YEARS.contains(&chrono::Datelike::year(d))).ok_or_else(|| {
        OpError::bad_input(
            field,
            format!(
                "`{field}` must be a real date written YYYY-MM-DD with a year from {} to {}, like 2026-03-31 (got `{raw}`)",
                YEARS.start(),
                YEARS.end()
            ),
        )
    })
}

/// `DDDD-DD-DD` in ASCII digits, nothing before or after.
fn is_date_shape(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// Most hours one day can hold.
pub const MAX_HOURS: f64 = 24.0;

/// Hours to book: a number above 0, at most [`MAX_HOURS`], with at most two decimals (the
/// upstream shows hours as `7,50`).
pub fn hours(field: &'static str, raw: Option<&str>) -> Result<f64, OpError> {
    let raw = required(field, raw)?;
    let bad =
        |why: &str| OpError::bad_input(field, format!("`{field}` {why}, like 7.5 (got `{raw}`)"));
    // Plain decimals only: digits, then optionally `.` or `,` and digits. Rust's float
    // parser would also take `1e1`, `+7`, `inf` and `nan`.
    let (whole, decimals) = raw.split_once(['.', ',']).unwrap_or((raw, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let has_separator = whole.len() < raw.len();
    if whole.is_empty()
        || !digits(whole)
        || !digits(decimals)
        || (has_separator && decimals.is_empty())
    {
        return Err(bad("must be a plain number with `.` or `,` for decimals"));
    }
    if decimals.len() > 2 {
        return Err(bad("must have at most two decimals"));
    }
    let value: f64 = format!("{whole}.{decimals}0")
        .parse()
        .map_err(|_| bad("must be a number"))?;
    if value <= 0.0 || value > MAX_HOURS {
        return Err(bad("must be more than 0 and at most 24"));
    }
    Ok(value)
}

/// A JSON value as the text the parsers above take: numbers and strings both arrive as
/// text, so `"activityId": 4201` and `"activityId": "4201"` are the same input.
pub fn text_of(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) => Some(s.clone()),
        // JSON Schema counts `14.0` as an integer, so it is one here too.
        serde_json::Value::Number(n) => Some(match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 2f64.powi(53) => {
                format!("{}", f as i64)
            }
            _ => n.to_string(),
        }),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// A required, non-blank text without control characters (the schema's pattern for
/// required texts says the same).
pub fn required<'a>(field: &'static str, raw: Option<&'a str>) -> Result<&'a str, OpError> {
    if raw.is_some_and(|raw| raw.chars().any(char::is_control)) {
        return Err(OpError::bad_input(
            field,
            format!(
                "`{field}` holds a control character (such as a line break, tab or NUL); write it on one line without them"
            ),
        ));
    }
    match raw.map(str::trim) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(OpError::bad_input(
            field,
            format!("`{field}` is required but missing; add it and call again"),
        )),
    }
}

/// Today in local time: what a person means by "today".
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_positive_integers() {
        assert_eq!(id("customerId", Some("42")).unwrap(), 42);
        for bad in ["0", "-1", "abc", "1.5", ""] {
            let err = id("customerId", Some(bad)).unwrap_err();
            assert_eq!(err.field(), Some("customerId"), "{bad}");
        }
        assert!(
            id("customerId", None)
                .unwrap_err()
                .to_string()
                .contains("required")
        );
    }

    #[test]
    fn hours_are_positive_at_most_24_with_two_decimals() {
        assert_eq!(hours("hours", Some("7.5")).unwrap(), 7.5);
        assert_eq!(hours("hours", Some("7,25")).unwrap(), 7.25);
        assert_eq!(hours("hours", Some("24")).unwrap(), 24.0);
        assert_eq!(hours("hours", Some("7")).unwrap(), 7.0);
        for bad in [
            "-1", "0", "25", "1.234", "abc", "NaN", "nan", "inf", "", "1e1", "+7", "7 .5", "7.",
            ".5", "7.5.0", "0x7", "7_0",
        ] {
            let err = hours("hours", Some(bad)).unwrap_err();
            assert_eq!(err.field(), Some("hours"), "{bad}");
        }
    }

    #[test]
    fn json_numbers_and_strings_read_alike() {
        let v = serde_json::json!({"a": 4201, "b": "4201", "c": null, "d": 2.5, "e": 14.0});
        assert_eq!(text_of(v.get("a")).as_deref(), Some("4201"));
        assert_eq!(text_of(v.get("b")).as_deref(), Some("4201"));
        assert_eq!(text_of(v.get("c")), None);
        assert_eq!(text_of(v.get("d")).as_deref(), Some("2.5"));
        assert_eq!(text_of(v.get("e")).as_deref(), Some("14"), "a whole number");
        assert_eq!(text_of(v.get("missing")), None);
    }

    #[test]
    fn dates_must_exist() {
        assert_eq!(
            date("date", "2026-02-28").unwrap(),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
        for bad in [
            "2026-02-30",
            "2025-13-40",
            "28-02-2026",
            "today",
            " 2024-01-08",
            "2024-01-08 ",
            "+2024-01-08",
            "2024-1-8",
            "02024-01-08",
            "2024-01-08T00:00",
        ] {
            assert!(date("date", bad).is_err(), "{bad}");
        }
        assert_eq!(date_or_today("date", None).unwrap(), today());
        assert!(
            date_or_today("date", Some(" ")).is_err(),
            "empty is not absent"
        );
        assert!(date("date", "1899-12-31").is_err());
        assert!(date("date", "2201-01-01").is_err());
    }
}

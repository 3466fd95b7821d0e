//! Parsing raw inputs (query strings, JSON fields) into typed values, with errors that name
//! the field and show the expected form.

use chrono::NaiveDate;

use super::OpError;

/// Dates travel as `YYYY-MM-DD`, like HTML date inputs and ISO 8601.
pub const DATE_FORMAT: &str = "%Y-%m-%d";

/// A required positive integer id.
pub fn id(field: &'static str, raw: Option<&str>) -> Result<u64, OpError> {
    let raw = required(field, raw)?;
    match raw.parse::<u64>() {
        Ok(id) if id > 0 => Ok(id),
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
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(today()),
        Some(raw) => date(field, raw),
    }
}

/// A date in `YYYY-MM-DD` form that exists in the calendar.
pub fn date(field: &'static str, raw: &str) -> Result<NaiveDate, OpError> {
    NaiveDate::parse_from_str(raw.trim(), DATE_FORMAT).map_err(|_| {
        OpError::bad_input(
            field,
            format!(
                "`{field}` must be a real date written YYYY-MM-DD, like 2026-03-31 (got `{raw}`)"
            ),
        )
    })
}

/// A required, non-blank text.
pub fn required<'a>(field: &'static str, raw: Option<&'a str>) -> Result<&'a str, OpError> {
    match raw.map(str::trim) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(OpError::bad_input(field, format!("`{field}` is required"))),
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
    fn dates_must_exist() {
        assert_eq!(
            date("date", "2026-02-28").unwrap(),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
        for bad in ["2026-02-30", "2025-13-40", "28-02-2026", "today"] {
            assert!(date("date", bad).is_err(), "{bad}");
        }
        assert_eq!(date_or_today("date", None).unwrap(), today());
        assert_eq!(date_or_today("date", Some(" ")).unwrap(), today());
    }
}

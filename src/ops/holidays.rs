//! Danish public holidays (Tidsreg is Trifork's, and Trifork books by Danish days off), so a
//! copied week can warn before hours land on Easter Monday. Pure date arithmetic: the fixed
//! days, and the moving ones counted from Easter Sunday.

use chrono::{Datelike, NaiveDate};

/// The holiday on `date`, by its Danish name, if it is one.
pub fn holiday(date: NaiveDate) -> Option<&'static str> {
    let fixed = match (date.month(), date.day()) {
        (1, 1) => Some("Nytårsdag"),
        (6, 5) => Some("Grundlovsdag"),
        (12, 24) => Some("Juleaftensdag"),
        (12, 25) => Some("Juledag"),
        (12, 26) => Some("2. juledag"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let easter = easter_sunday(date.year())?;
    match (date - easter).num_days() {
        -3 => Some("Skærtorsdag"),
        -2 => Some("Langfredag"),
        0 => Some("Påskedag"),
        1 => Some("2. påskedag"),
        // Store bededag was abolished as a holiday from 2024.
        26 if date.year() < 2024 => Some("Store bededag"),
        39 => Some("Kristi himmelfartsdag"),
        49 => Some("Pinsedag"),
        50 => Some("2. pinsedag"),
        _ => None,
    }
}

/// Easter Sunday of the Gregorian `year` (the anonymous Gregorian algorithm).
fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// Days after Easter Sunday, for tests and readers: Easter Monday is `easter + 1`.
#[cfg(test)]
fn easter_plus(year: i32, days: i64) -> NaiveDate {
    easter_sunday(year).unwrap() + chrono::Duration::days(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn easter_falls_on_the_known_sundays() {
        assert_eq!(easter_sunday(2024), Some(date("2024-03-31")));
        assert_eq!(easter_sunday(2025), Some(date("2025-04-20")));
        assert_eq!(easter_sunday(2026), Some(date("2026-04-05")));
        assert_eq!(easter_plus(2026, 1), date("2026-04-06"));
    }

    #[test]
    fn holidays_fixed_and_moving() {
        assert_eq!(holiday(date("2026-04-02")), Some("Skærtorsdag"));
        assert_eq!(holiday(date("2026-04-06")), Some("2. påskedag"));
        assert_eq!(holiday(date("2026-05-14")), Some("Kristi himmelfartsdag"));
        assert_eq!(holiday(date("2026-05-25")), Some("2. pinsedag"));
        assert_eq!(holiday(date("2026-12-25")), Some("Juledag"));
        assert_eq!(holiday(date("2023-05-05")), Some("Store bededag"));
        assert_eq!(holiday(date("2026-05-01")), None);
        assert_eq!(holiday(date("2026-03-03")), None);
    }
}

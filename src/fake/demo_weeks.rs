//! The demo user's hours in the previous and the current ISO week, so `serve --demo` shows a
//! real week (and the week view a real grid) the first time a person tries it. Only
//! `serve --demo` seeds them: tests start from an empty store and count what they book.

use chrono::{Datelike, Days, NaiveDate};

use super::data::{KIND_BILLABLE, KIND_NOT_BILLABLE, UDVIKLING_ACTIVITY_ID};
use super::state::FakeControls;
use crate::tidsreg::Booking;

/// `Portal development` under `&Money ApS` / `Betalingsplatform`: the week's main work.
const PORTAL_ACTIVITY_ID: u64 = 4103;
/// `Møder` under the internal customer's `Administration`: the weekly meetings.
const MEETINGS_ACTIVITY_ID: u64 = 4501;

/// One week's lines as (activity, kind, hours Monday to Friday, note); 0 books nothing.
/// Every day adds up to 7.5 but Thursday, which is short on purpose (6.5), so the week view
/// and the warnings have a short day to point at.
const WEEK: &[(u64, u64, [f64; 5], &str)] = &[
    (
        PORTAL_ACTIVITY_ID,
        KIND_BILLABLE,
        [6.0, 6.0, 5.0, 5.0, 4.0],
        "",
    ),
    (
        MEETINGS_ACTIVITY_ID,
        KIND_NOT_BILLABLE,
        [1.5, 1.5, 1.0, 1.5, 1.0],
        "Ugemøde og planlægning",
    ),
    (
        UDVIKLING_ACTIVITY_ID,
        KIND_BILLABLE,
        [0.0, 0.0, 1.5, 0.0, 2.5],
        "",
    ),
];

impl FakeControls {
    /// Books [`WEEK`] for the demo user on every weekday of the previous ISO week, and on the
    /// weekdays of the current one up to and including `today`.
    pub fn seed_demo_weeks(&self, today: NaiveDate) {
        let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
        let last_monday = monday - Days::new(7);
        for (week_monday, last_day) in [(last_monday, 4), (monday, today_index(today))] {
            for day in 0..=last_day {
                let date = week_monday + Days::new(day as u64);
                for &(activity_id, kind_id, hours, note) in WEEK {
                    if hours[day] > 0.0 {
                        self.add_booking(
                            0,
                            Booking {
                                date,
                                hours: hours[day],
                                activity_id,
                                kind_id,
                                note: note.to_string(),
                                contact_name: String::new(),
                            },
                        );
                    }
                }
            }
        }
    }
}

/// Today's index among Monday to Friday; a weekend counts as Friday.
fn today_index(today: NaiveDate) -> usize {
    (today.weekday().num_days_from_monday() as usize).min(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wednesday_has_last_week_and_this_week_to_date() {
        let controls = FakeControls::new();
        let wednesday = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
        controls.seed_demo_weeks(wednesday);
        let bookings = controls.bookings(crate::fake::DEMO_USERNAME);
        let in_range = |from: (u32, u32), to: (u32, u32)| {
            let from = NaiveDate::from_ymd_opt(2026, from.0, from.1).unwrap();
            let to = NaiveDate::from_ymd_opt(2026, to.0, to.1).unwrap();
            bookings
                .iter()
                .filter(|b| b.date >= from && b.date <= to)
                .map(|b| b.hours)
                .sum::<f64>()
        };
        assert_eq!(
            in_range((2, 23), (2, 27)),
            36.5,
            "last week, Thursday short"
        );
        assert_eq!(in_range((3, 2), (3, 4)), 22.5, "Monday to today");
        assert_eq!(in_range((3, 5), (3, 8)), 0.0, "nothing after today");
        assert!(controls.bookings(crate::fake::ANNA_USERNAME).is_empty());
    }
}

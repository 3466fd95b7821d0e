//! The registered-hours page (`GET /Hours/DD-MM-YYYY`): one ISO week of one user's bookings,
//! rendered in the shape the upstream contract describes.
//!
//! Inside `id="TimeRegistrations"` one table holds rows of class `groupLevel1` (customer),
//! `groupLevel2` (project), `groupLevel3` (phase) and `groupLevel4` (activity). An activity
//! row's first cell is its name, plus ` (Billable)` for billable kinds; seven
//! `input.registration-hours` carry each day's hours with a decimal comma (or are empty); a
//! later cell holds the week total and a last cell holds only a delete icon. Day totals stand
//! in `id="totalHoursMon"` .. `id="totalHoursSun"`. Bookings of one activity and billability
//! share a row, and bookings on the same day *add up* (the unsafe reading of the contract).
//!
//! The page also carries a client-side row template inside a `<script>` element, outside the
//! registrations: a real HTML parser ignores it, a regular expression does not.

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use chrono::{Datelike, Days, NaiveDate};

use super::data::{self, ActivityPath};
use super::pages::Escaped;
use crate::tidsreg::Booking;

/// Days in a week, Monday first.
const DAYS_PER_WEEK: usize = 7;
/// Short Danish weekday names for the table header, Monday first.
const WEEKDAY_LABELS: [&str; DAYS_PER_WEEK] = ["Man", "Tir", "Ons", "Tor", "Fre", "Lør", "Søn"];
/// Suffixes of the `totalHours*` ids, Monday first.
const TOTAL_ID_SUFFIXES: [&str; DAYS_PER_WEEK] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
/// Cells before the total in an activity row: the name plus one per day.
const NAME_AND_DAY_CELLS: usize = 1 + DAYS_PER_WEEK;

/// Writes hours with two decimals and a decimal comma (`7,50`), as the upstream shows them.
struct Comma(f64);

impl fmt::Display for Comma {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An empty float sum is -0.0, which would print as "-0,00".
        let hours = if self.0 == 0.0 { 0.0 } else { self.0 };
        f.write_str(&format!("{hours:.2}").replace('.', ","))
    }
}

/// One activity row: which activity, whether billable, and the hours per weekday.
struct Row {
    path: ActivityPath,
    billable: bool,
    hours: [f64; DAYS_PER_WEEK],
}

impl Row {
    fn total(&self) -> f64 {
        self.hours.iter().sum()
    }
}

/// The Monday of the ISO week that holds `day`.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    let offset = u64::from(day.weekday().num_days_from_monday());
    day.checked_sub_days(Days::new(offset)).unwrap_or(day)
}

/// The seven dates (Monday..Sunday) of the ISO week that holds `day`. Near the ends of
/// chrono's calendar a missing day repeats the previous one rather than panicking.
fn week_dates(day: NaiveDate) -> [NaiveDate; DAYS_PER_WEEK] {
    let monday = week_start(day);
    let mut dates = [monday; DAYS_PER_WEEK];
    for (i, date) in dates.iter_mut().enumerate().skip(1) {
        *date = monday
            .checked_add_days(Days::new(i as u64))
            .unwrap_or(monday);
    }
    dates
}

/// Groups the bookings that fall in `dates` into rows, in catalogue order (customer, project,
/// phase, activity as listed in [`data`]), billable before non-billable.
fn group_rows(dates: &[NaiveDate; DAYS_PER_WEEK], bookings: &[Booking]) -> Vec<Row> {
    let mut rows: BTreeMap<(usize, bool), Row> = BTreeMap::new();
    for booking in bookings {
        let Some(day) = dates.iter().position(|d| *d == booking.date) else {
            continue;
        };
        let Some(path) = data::activity_path(booking.activity_id) else {
            continue;
        };
        let billable = data::kind_by_id(booking.kind_id).is_some_and(|k| k.billable);
        let order = catalogue_order(&path);
        let row = rows.entry((order, !billable)).or_insert_with(|| Row {
            path,
            billable,
            hours: [0.0; DAYS_PER_WEEK],
        });
        row.hours[day] += booking.hours;
    }
    rows.into_values().collect()
}

/// Sort position of an activity: customers, then projects, phases and activities in the
/// order the catalogue lists them.
fn catalogue_order(path: &ActivityPath) -> usize {
    let position = |found: Option<usize>| found.unwrap_or(usize::MAX / 4);
    let customer = position(
        data::CUSTOMERS
            .iter()
            .position(|c| c.id == path.customer.id),
    );
    let activity = position(
        data::ACTIVITIES
            .iter()
            .position(|a| a.id == path.activity.id),
    );
    customer * data::ACTIVITIES.len() + activity
}

/// Renders the full week page for the ISO week holding `day`, from one user's bookings
/// (bookings outside that week are ignored). Public so the client's parser tests can use a
/// page built exactly as the fake serves it.
pub fn render_week_page(day: NaiveDate, bookings: &[Booking]) -> String {
    let dates = week_dates(day);
    let rows = group_rows(&dates, bookings);
    let mut html = String::with_capacity(8 * 1024);
    write_page(&mut html, &dates, &rows).expect("formatting into a String never fails");
    html
}

fn write_page(out: &mut String, dates: &[NaiveDate; DAYS_PER_WEEK], rows: &[Row]) -> fmt::Result {
    let week = dates[0].iso_week();
    let title = format!("Uge {}, {}", week.week(), week.year());
    out.push_str(&super::pages::page_start(&title));
    write_week_nav(out, dates, &title)?;
    out.push_str(ROW_TEMPLATE);
    out.push_str("    <div id=\"TimeRegistrations\" class=\"time-registrations\">\n");
    out.push_str("      <table class=\"table table-condensed registrations\">\n");
    write_header(out, dates)?;
    write_body(out, rows)?;
    write_footer(out, rows)?;
    out.push_str("      </table>\n    </div>\n");
    out.push_str(super::pages::PAGE_END);
    Ok(())
}

/// A client-side template for new rows, as single-page scripts keep them. It looks like an
/// activity row but is script text, not markup.
const ROW_TEMPLATE: &str = r#"    <script type="text/x-template" id="registration-row-template">
      <tr class="groupLevel4"><td>{{name}}</td><td><input class="registration-hours" value="99,99" /></td><td>99,99</td></tr>
      <span id="totalHoursMon">99,99</span>
    </script>
"#;

fn write_week_nav(
    out: &mut String,
    dates: &[NaiveDate; DAYS_PER_WEEK],
    title: &str,
) -> fmt::Result {
    let previous = dates[0].checked_sub_days(Days::new(7)).unwrap_or(dates[0]);
    let next = dates[0].checked_add_days(Days::new(7)).unwrap_or(dates[0]);
    writeln!(
        out,
        "    <div class=\"week-nav\"><a href=\"/Hours/{}\">&laquo; Forrige uge</a> <h2>{}</h2> <a href=\"/Hours/{}\">Næste uge &raquo;</a></div>",
        previous.format("%d-%m-%Y"),
        Escaped(title),
        next.format("%d-%m-%Y"),
    )
}

fn write_header(out: &mut String, dates: &[NaiveDate; DAYS_PER_WEEK]) -> fmt::Result {
    out.push_str("        <thead>\n          <tr>\n            <th class=\"name\">Kunde / projekt / fase / aktivitet</th>\n");
    for (label, date) in WEEKDAY_LABELS.iter().zip(dates) {
        writeln!(
            out,
            "            <th class=\"day\" data-date=\"{}\">{label}<br />{}</th>",
            date.format("%Y-%m-%d"),
            date.format("%d-%m-%Y"),
        )?;
    }
    out.push_str("            <th class=\"total\">Total</th>\n            <th></th>\n          </tr>\n        </thead>\n");
    Ok(())
}

fn write_body(out: &mut String, rows: &[Row]) -> fmt::Result {
    let mut current: [Option<u64>; 3] = [None; 3];
    out.push_str("        <tbody>\n");
    for row in rows {
        let path = &row.path;
        let levels = [
            (path.customer.id, path.customer.name),
            (path.project.id, path.project.name),
            (path.phase.id, path.phase.name),
        ];
        for (depth, (id, name)) in levels.into_iter().enumerate() {
            if current[depth] != Some(id) {
                write_group_row(out, depth + 1, name)?;
                current[depth] = Some(id);
                current[depth + 1..].fill(None);
            }
        }
        write_activity_row(out, row)?;
    }
    out.push_str("        </tbody>\n");
    Ok(())
}

fn write_group_row(out: &mut String, level: usize, name: &str) -> fmt::Result {
    writeln!(
        out,
        "          <tr class=\"groupLevel{level}\"><td colspan=\"{}\"><span class=\"group-name\">{}</span></td><td></td></tr>",
        NAME_AND_DAY_CELLS + 1,
        Escaped(name),
    )
}

fn write_activity_row(out: &mut String, row: &Row) -> fmt::Result {
    let suffix = if row.billable { " (Billable)" } else { "" };
    out.push_str("          <tr class=\"groupLevel4\">\n");
    writeln!(
        out,
        "            <td class=\"name\">{}{suffix}</td>",
        Escaped(row.path.activity.name)
    )?;
    for hours in row.hours {
        out.push_str("            <td class=\"day\"><input type=\"text\" class=\"registration-hours form-control input-sm\" value=\"");
        if hours > 0.0 {
            write!(out, "{}", Comma(hours))?;
        }
        out.push_str("\" /></td>\n");
    }
    writeln!(
        out,
        "            <td class=\"total\">{}</td>",
        Comma(row.total())
    )?;
    out.push_str("            <td class=\"actions\"><a href=\"#\" class=\"delete-row\" title=\"Slet\"><span class=\"glyphicon glyphicon-trash\"></span></a></td>\n          </tr>\n");
    Ok(())
}

fn write_footer(out: &mut String, rows: &[Row]) -> fmt::Result {
    out.push_str("        <tfoot>\n          <tr class=\"totals\">\n            <td>Total</td>\n");
    let mut week_total = 0.0;
    for (day, suffix) in TOTAL_ID_SUFFIXES.iter().enumerate() {
        let total: f64 = rows.iter().map(|r| r.hours[day]).sum();
        week_total += total;
        writeln!(
            out,
            "            <td><span id=\"totalHours{suffix}\">{}</span></td>",
            Comma(total)
        )?;
    }
    writeln!(
        out,
        "            <td><span id=\"totalHoursWeek\">{}</span></td>\n            <td></td>",
        Comma(week_total)
    )?;
    out.push_str("          </tr>\n        </tfoot>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn booking(day: NaiveDate, hours: f64, activity_id: u64, kind_id: u64) -> Booking {
        Booking {
            date: day,
            hours,
            activity_id,
            kind_id,
            note: String::new(),
            contact_name: String::new(),
        }
    }

    #[test]
    fn week_runs_monday_to_sunday_across_a_year_end() {
        let dates = week_dates(date(2025, 1, 1));
        assert_eq!(dates[0], date(2024, 12, 30));
        assert_eq!(dates[6], date(2025, 1, 5));
        assert_eq!(week_start(date(2025, 6, 8)), date(2025, 6, 2));
    }

    #[test]
    fn same_day_bookings_add_up_and_billability_splits_rows() {
        let monday = date(2025, 6, 2);
        let bookings = [
            booking(
                monday,
                2.5,
                data::UDVIKLING_ACTIVITY_ID,
                data::KIND_BILLABLE,
            ),
            booking(monday, 5.0, data::UDVIKLING_ACTIVITY_ID, 14),
            booking(
                monday,
                1.0,
                data::UDVIKLING_ACTIVITY_ID,
                data::KIND_NOT_BILLABLE,
            ),
            booking(
                date(2025, 6, 9),
                3.0,
                data::UDVIKLING_ACTIVITY_ID,
                data::KIND_BILLABLE,
            ),
        ];
        let rows = group_rows(&week_dates(monday), &bookings);
        assert_eq!(rows.len(), 2);
        assert!(rows[0].billable);
        assert_eq!(rows[0].hours[0], 7.5);
        assert!(!rows[1].billable);
        assert_eq!(rows[1].total(), 1.0);
    }

    #[test]
    fn page_has_the_documented_shape() {
        let wednesday = date(2025, 6, 4);
        let bookings = [
            booking(
                wednesday,
                7.5,
                data::UDVIKLING_ACTIVITY_ID,
                data::KIND_BILLABLE,
            ),
            booking(wednesday, 0.25, 4404, data::KIND_NOT_BILLABLE),
        ];
        let page = render_week_page(date(2025, 6, 8), &bookings);
        assert!(page.contains("id=\"TimeRegistrations\""));
        assert!(page.contains("Udvikling (Billable)</td>"));
        assert!(page.contains("Rapport &quot;v2&quot;</td>"));
        assert!(page.contains("Rådgivning &lt;Cloud&gt;"));
        assert!(page.contains("&quot;Quoted&quot; Consulting"));
        assert!(page.contains("value=\"7,50\""));
        assert!(page.contains("<td class=\"total\">7,50</td>"));
        assert!(page.contains("<span id=\"totalHoursWed\">7,75</span>"));
        assert!(page.contains("<span id=\"totalHoursMon\">0,00</span>"));
        assert!(page.contains("02-06-2025") && page.contains("08-06-2025"));
        assert_eq!(page.matches("class=\"groupLevel1\"").count(), 2);
        assert_eq!(page.matches("<tr class=\"groupLevel4\">\n").count(), 2);
    }

    #[test]
    fn comma_formats_two_decimals_and_never_negative_zero() {
        assert_eq!(Comma(7.5).to_string(), "7,50");
        assert_eq!(Comma(0.1 + 0.2).to_string(), "0,30");
        assert_eq!(Comma(-0.0).to_string(), "0,00");
    }

    #[test]
    fn empty_week_still_has_the_container_and_zero_totals() {
        let page = render_week_page(date(2025, 6, 4), &[]);
        assert!(page.contains("id=\"TimeRegistrations\""));
        assert!(page.contains("<span id=\"totalHoursSun\">0,00</span>"));
        assert_eq!(page.matches("<tr class=\"groupLevel4\">\n").count(), 0);
    }
}

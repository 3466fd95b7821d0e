//! Parses Tidsreg's registered-hours week page (`GET /Hours/DD-MM-YYYY`) into typed data.
//!
//! Upstream has no API that answers what a user has registered: the HTML week page is the
//! only source, so this is where we read back what the upstream now holds after a booking.
//! The page is parsed with a real HTML parser (`scraper`, built on html5ever), never with
//! string matching, because the page carries client-side row templates inside `<script>`
//! that look exactly like data rows. Everything is optional and tolerant: a missing group
//! row, input or total leaves a `None` rather than failing the whole read. The only hard
//! error is a page that is not a week page at all (most often the login page after a session
//! expired), because answering "no hours" for it would be a lie.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};

/// Days in a week, Monday first, as the page lays them out.
const DAYS_PER_WEEK: usize = 7;
/// What the page appends to an activity's name when its hours are billable.
const BILLABLE_SUFFIX: &str = " (Billable)";
/// Row classes for customer, project, phase and activity, in that order.
const LEVEL_CLASSES: [&str; 4] = ["groupLevel1", "groupLevel2", "groupLevel3", "groupLevel4"];
/// Index in [`LEVEL_CLASSES`] of the activity level; the ones before it are groups.
const ACTIVITY_LEVEL: usize = 3;
/// Ids of the elements holding each day's total, Monday first.
const DAY_TOTAL_IDS: [&str; DAYS_PER_WEEK] = [
    "totalHoursMon",
    "totalHoursTue",
    "totalHoursWed",
    "totalHoursThu",
    "totalHoursFri",
    "totalHoursSat",
    "totalHoursSun",
];

/// The container every week page has and no other page has.
static CONTAINER: LazyLock<Selector> = LazyLock::new(|| selector("#TimeRegistrations"));
/// Every table row, in document order, so activities can inherit the groups above them.
static ROWS: LazyLock<Selector> = LazyLock::new(|| selector("tr"));
/// The per-day hour inputs of an activity row (they carry other classes too).
static HOURS_INPUTS: LazyLock<Selector> = LazyLock::new(|| selector("input.registration-hours"));
/// One selector per day-total element, Monday first.
static DAY_TOTALS: LazyLock<[Selector; DAYS_PER_WEEK]> =
    LazyLock::new(|| DAY_TOTAL_IDS.map(|id| selector(&format!("[id=\"{id}\"]"))));

/// One activity row of the week: where the hours went and how many per day.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekRow {
    /// The customer, from the nearest preceding `groupLevel1` row; `None` if there was none.
    pub customer: Option<String>,
    /// The project, from the nearest preceding `groupLevel2` row under that customer.
    pub project: Option<String>,
    /// The phase, from the nearest preceding `groupLevel3` row under that project.
    pub phase: Option<String>,
    /// The activity name, without the ` (Billable)` the page appends.
    pub activity: String,
    /// Whether the name carried ` (Billable)`: billable and non-billable hours of one
    /// activity are separate rows upstream, so callers need this to tell them apart.
    pub billable: bool,
    /// Hours Monday..Sunday from the row's hour inputs; an empty or unreadable input is `None`.
    pub hours: [Option<f64>; DAYS_PER_WEEK],
    /// The row's week total as the page shows it, when present and readable.
    pub total: Option<f64>,
}

/// The parsed week page. Everything optional is optional because the upstream page may lack it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WeekPage {
    /// The activity rows, in page order.
    pub rows: Vec<WeekRow>,
    /// The page's own total per day, Monday..Sunday, so callers can cross-check the rows.
    pub day_totals: [Option<f64>; DAYS_PER_WEEK],
}

/// Why a page could not be read as a week page.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WeekParseError {
    /// The page has no element id="TimeRegistrations": it is not a week page (most likely a login page).
    #[error("the page has no TimeRegistrations element; it is not a Tidsreg week page")]
    NotAWeekPage,
}

/// Parses the week page. Tolerant, because upstream markup is not ours to fix: a row with
/// fewer than seven inputs fills what it has, unreadable numbers are `None`, rows without an
/// activity name are skipped, and a missing group level leaves that field `None`. Entities
/// are decoded by the parser (`&amp;` → `&`). Anything inside a `<script>` or `<template>`
/// (client-side row templates) is ignored.
pub fn parse_week(html: &str) -> Result<WeekPage, WeekParseError> {
    let document = Html::parse_document(html);
    let container = document
        .select(&CONTAINER)
        .find(|element| !inside_template(*element))
        .ok_or(WeekParseError::NotAWeekPage)?;
    Ok(WeekPage {
        rows: activity_rows(container),
        day_totals: day_totals(&document),
    })
}

/// Parses an hours figure as the page writes it, with a decimal comma (`7,50`) or a point
/// (`7.5`), surrounding whitespace allowed. Empty or anything else (`abc`, `1.234,5`, `inf`)
/// is `None`, so a surprise upstream format shows up as missing rather than as a wrong number.
pub fn parse_hours(text: &str) -> Option<f64> {
    let text = text.trim();
    let plausible = |c: char| c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | '+');
    if text.is_empty() || !text.chars().all(plausible) {
        return None;
    }
    let hours: f64 = text.replace(',', ".").parse().ok()?;
    hours.is_finite().then_some(hours)
}

/// The group names (customer, project, phase) in force while walking the rows.
#[derive(Debug, Default)]
struct Groups([Option<String>; ACTIVITY_LEVEL]);

impl Groups {
    /// A new group at `level` replaces that level and clears the ones below it, so an
    /// activity under a new customer never inherits the previous customer's project.
    fn enter(&mut self, level: usize, name: Option<String>) {
        self.0[level] = name;
        self.0[level + 1..].fill(None);
    }
}

/// Walks the container's rows in document order, attaching each activity to its groups.
fn activity_rows(container: ElementRef<'_>) -> Vec<WeekRow> {
    let mut groups = Groups::default();
    let mut rows = Vec::new();
    for row in container.select(&ROWS).filter(|r| !inside_template(*r)) {
        match row_level(row) {
            Some(ACTIVITY_LEVEL) => rows.extend(activity_row(row, &groups)),
            Some(level) => groups.enter(level, group_name(row)),
            None => {}
        }
    }
    rows
}

/// Which level class (0 = customer .. 3 = activity) a row carries, among any other classes.
fn row_level(row: ElementRef<'_>) -> Option<usize> {
    let classes: Vec<&str> = row.value().classes().collect();
    LEVEL_CLASSES
        .iter()
        .position(|level| classes.contains(level))
}

/// A group row's name: its first cell with any text (the fake and upstream add empty cells).
fn group_name(row: ElementRef<'_>) -> Option<String> {
    cells(row)
        .into_iter()
        .map(text_of)
        .find(|text| !text.is_empty())
}

/// Reads one activity row; `None` when it has no name, since hours without an activity
/// cannot be attributed to anything.
fn activity_row(row: ElementRef<'_>, groups: &Groups) -> Option<WeekRow> {
    let cells = cells(row);
    let name = text_of(*cells.first()?);
    let (activity, billable) = match name.strip_suffix(BILLABLE_SUFFIX) {
        Some(stripped) => (stripped.trim_end().to_owned(), true),
        None => (name, false),
    };
    if activity.is_empty() {
        return None;
    }
    let [customer, project, phase] = groups.0.clone();
    Some(WeekRow {
        customer,
        project,
        phase,
        activity,
        billable,
        hours: day_hours(row),
        total: row_total(&cells),
    })
}

/// The first seven hour inputs' values, Monday first; missing inputs stay `None`.
fn day_hours(row: ElementRef<'_>) -> [Option<f64>; DAYS_PER_WEEK] {
    let mut hours = [None; DAYS_PER_WEEK];
    let inputs = row.select(&HOURS_INPUTS).filter(|i| !inside_template(*i));
    for (slot, input) in hours.iter_mut().zip(inputs) {
        *slot = input.attr("value").and_then(parse_hours);
    }
    hours
}

/// The row's week total: the last cell after the hour inputs (or after the name, when there
/// are none) whose text reads as hours. Cells with other content, like the delete icon's
/// actions cell, are passed over.
fn row_total(cells: &[ElementRef<'_>]) -> Option<f64> {
    let last_input = cells
        .iter()
        .rposition(|cell| cell.select(&HOURS_INPUTS).next().is_some())
        .unwrap_or(0);
    cells
        .get(last_input + 1..)?
        .iter()
        .rev()
        .find_map(|cell| parse_hours(&text_of(*cell)))
}

/// Each day's total from `id="totalHoursMon"` .. `"totalHoursSun"`, wherever they sit on
/// the page. The first readable one wins; its text, or its `value` should it be an input.
fn day_totals(document: &Html) -> [Option<f64>; DAYS_PER_WEEK] {
    DAY_TOTALS.each_ref().map(|total| {
        document
            .select(total)
            .filter(|element| !inside_template(*element))
            .find_map(|element| {
                parse_hours(&text_of(element))
                    .or_else(|| element.attr("value").and_then(parse_hours))
            })
    })
}

/// A row's own cells (`td` or `th`), not those of any table nested inside it.
fn cells(row: ElementRef<'_>) -> Vec<ElementRef<'_>> {
    row.child_elements()
        .filter(|cell| matches!(cell.value().name(), "td" | "th"))
        .collect()
}

/// An element's text with entities decoded and runs of whitespace collapsed to one space.
fn text_of(element: ElementRef<'_>) -> String {
    let text: String = element.text().collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether an element sits in a `<template>`'s contents, which html5ever keeps in the tree
/// but a browser never shows: client-side row templates there are not registrations.
/// (`<script>` contents need no check: the parser keeps them as plain text.)
fn inside_template(element: ElementRef<'_>) -> bool {
    element
        .ancestors()
        .filter_map(ElementRef::wrap)
        .any(|ancestor| ancestor.value().name() == "template")
}

/// Compiles one of this module's fixed selectors.
fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("the week page selectors are valid CSS")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A week of hours with `Some` on the given (day index, hours) and `None` elsewhere.
    fn hours(days: &[(usize, f64)]) -> [Option<f64>; DAYS_PER_WEEK] {
        let mut week = [None; DAYS_PER_WEEK];
        for &(day, value) in days {
            week[day] = Some(value);
        }
        week
    }

    const PARTIAL_PAGE: &str = r#"<html><body><div id="TimeRegistrations">
        <template><table><tr class="groupLevel4"><td>Template decoy</td>
          <td><input class="registration-hours" value="99"></td></tr></table>
          <span id="totalHoursMon">99</span></template>
        <table>
          <tr class="odd groupLevel3"><th>Fase &amp; drift</th></tr>
          <tr class="row groupLevel4 selected"><td> Møder&nbsp;og
              <b>planlægning</b> (Billable) </td>
            <td><input class="form-control registration-hours" value=" 1,5 "></td>
            <td><input class="registration-hours" value="abc"></td>
            <td><input class="registration-hours" value=""></td></tr>
          <tr class="groupLevel4"><td>  </td><td><input class="registration-hours" value="8"></td></tr>
          <tr class="groupLevel1"><td></td><td>Ny kunde</td></tr>
          <tr class="groupLevel4"><td>Support</td><td>2.5</td><td>Slet</td></tr>
        </table></div></body></html>"#;

    #[test]
    fn missing_parts_are_none_and_nameless_rows_are_skipped() {
        let page = parse_week(PARTIAL_PAGE).expect("a week page");
        let first = WeekRow {
            customer: None,
            project: None,
            phase: Some("Fase & drift".to_owned()),
            activity: "Møder og planlægning".to_owned(),
            billable: true,
            hours: hours(&[(0, 1.5)]),
            total: None,
        };
        let second = WeekRow {
            customer: Some("Ny kunde".to_owned()),
            project: None,
            phase: None,
            activity: "Support".to_owned(),
            billable: false,
            hours: [None; DAYS_PER_WEEK],
            total: Some(2.5),
        };
        assert_eq!(page.rows, vec![first, second]);
        assert_eq!(page.day_totals, [None; DAYS_PER_WEEK]);
    }

    #[test]
    fn a_login_page_is_not_a_week_page() {
        let login = r#"<!DOCTYPE html><html><body><h2>Log på</h2>
            <form action="/Login?ReturnUrl=%2FHours%2F04-06-2025" method="post" id="loginForm">
              <input name="userName" type="text" /><input name="password" type="password" />
              <button type="submit">Log på</button>
            </form></body></html>"#;
        assert_eq!(parse_week(login), Err(WeekParseError::NotAWeekPage));
        assert_eq!(parse_week(""), Err(WeekParseError::NotAWeekPage));
    }

    #[test]
    fn day_totals_are_read_wherever_they_sit() {
        let html = r#"<p id="totalHoursTue"> 7,25 </p><div id="TimeRegistrations"></div>
            <script>document.write('<span id="totalHoursWed">5</span>')</script>
            <input id="totalHoursSun" value="0,50">"#;
        let page = parse_week(html).expect("a week page");
        let day_totals = hours(&[(1, 7.25), (6, 0.5)]);
        assert_eq!(
            page,
            WeekPage {
                rows: Vec::new(),
                day_totals
            }
        );
    }

    #[test]
    fn parse_hours_reads_commas_and_points() {
        assert_eq!(parse_hours("7,50"), Some(7.5));
        assert_eq!(parse_hours("7,5"), Some(7.5));
        assert_eq!(parse_hours("7.5"), Some(7.5));
        assert_eq!(parse_hours(" 7,50 "), Some(7.5));
        assert_eq!(parse_hours("\u{a0}0,25\n"), Some(0.25));
        assert_eq!(parse_hours("0,00"), Some(0.0));
        assert_eq!(parse_hours("8"), Some(8.0));
        assert_eq!(parse_hours("-1,5"), Some(-1.5));
    }

    #[test]
    fn parse_hours_refuses_what_is_not_a_number() {
        for text in [
            "", "   ", "abc", "7,5 t", "1.234,5", "1,2,3", "-", "inf", "NaN", "1e3",
        ] {
            assert_eq!(parse_hours(text), None, "{text:?}");
        }
    }
}

//! The JSON lookups (`/Find/Select*`) and the older selector API (`/api/selector/projects`).
//!
//! The catalogue never changes while it is served, so every customer, project, phase and
//! activity answer is serialised once per key style ([`super::answers`]) and served as
//! shared bytes: the lookups are the fake's hot path when it is benchmarked. The `date`
//! parameter is validated, and filters only where a test closed an activity on some days
//! (`FakeControls::close_activity`): otherwise the catalogue is the same on every day.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;

use super::answers::{Answers, to_json};
use super::data;
use super::routes::Session;
use super::state::{FakeControls, KeyStyle};

/// The content type the upstream's JSON answers carry.
const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// The answer for an unknown parent id or unknown names.
const EMPTY_ARRAY: &str = "[]";
/// How lookup dates are written (`date=2025-06-02`).
const LOOKUP_DATE_FORMAT: &str = "%Y-%m-%d";

/// A lookup request the fake refuses, answered as `400` with a short text.
struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, self.0).into_response()
    }
}

/// A query parameter by name, case-insensitively as ASP.NET binds them; empty counts as absent.
pub(super) fn param<'a>(pairs: &'a [(Cow<'a, str>, Cow<'a, str>)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_ref())
        .filter(|value| !value.is_empty())
}

/// Checks the optional `date` parameter: absent is fine, malformed is a 400.
fn check_date(pairs: &[(Cow<'_, str>, Cow<'_, str>)]) -> Result<(), BadRequest> {
    match param(pairs, "date") {
        None => Ok(()),
        Some(raw) => chrono::NaiveDate::parse_from_str(raw, LOOKUP_DATE_FORMAT)
            .map(|_| ())
            .map_err(|_| BadRequest(format!("The value '{raw}' is not valid for date."))),
    }
}

/// The required numeric parent id: missing or non-numeric is a 400.
fn parent_id(pairs: &[(Cow<'_, str>, Cow<'_, str>)], name: &str) -> Result<u64, BadRequest> {
    let raw =
        param(pairs, name).ok_or_else(|| BadRequest(format!("The {name} field is required.")))?;
    let id: i64 = raw
        .parse()
        .map_err(|_| BadRequest(format!("The value '{raw}' is not valid for {name}.")))?;
    // A negative id is well-formed but names nothing: it answers `[]` via the map miss.
    Ok(u64::try_from(id).unwrap_or(0))
}

/// The shared tail of every lookup: the HTML switch, then the computed answer or a 400.
fn answer(
    controls: &FakeControls,
    query: Option<String>,
    pick: impl FnOnce(&Answers, &[(Cow<'_, str>, Cow<'_, str>)]) -> Result<Option<Bytes>, BadRequest>,
) -> Response {
    if controls.html_instead_of_json() {
        return Html(super::pages::home_page()).into_response();
    }
    let query = query.unwrap_or_default();
    let pairs: Vec<_> = url::form_urlencoded::parse(query.as_bytes()).collect();
    match pick(&controls.answers(), &pairs) {
        Ok(Some(json)) => json_response(json),
        Ok(None) => json_response(Bytes::from_static(EMPTY_ARRAY.as_bytes())),
        Err(bad) => bad.into_response(),
    }
}

/// A `200` JSON answer.
fn json_response(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, JSON_CONTENT_TYPE)], body).into_response()
}

/// `GET /Find/SelectCustomers?mode=0[&date=..]`: every customer.
pub(super) async fn select_customers(
    _: Session,
    State(controls): State<FakeControls>,
    RawQuery(query): RawQuery,
) -> Response {
    answer(&controls, query, |answers, pairs| {
        check_date(pairs)?;
        Ok(Some(answers.customers.clone()))
    })
}

/// `GET /Find/SelectProjects?mode=0&customerId=N&date=..`: one customer's projects.
pub(super) async fn select_projects(
    _: Session,
    State(controls): State<FakeControls>,
    RawQuery(query): RawQuery,
) -> Response {
    answer(&controls, query, |answers, pairs| {
        check_date(pairs)?;
        let id = parent_id(pairs, "customerId")?;
        Ok(answers.projects.get(&id).cloned())
    })
}

/// `GET /Find/SelectPhases?mode=0&projectId=N&date=..`: one project's phases.
pub(super) async fn select_phases(
    _: Session,
    State(controls): State<FakeControls>,
    RawQuery(query): RawQuery,
) -> Response {
    answer(&controls, query, |answers, pairs| {
        check_date(pairs)?;
        let id = parent_id(pairs, "projectId")?;
        Ok(answers.phases.get(&id).cloned())
    })
}

/// `GET /Find/SelectActivities?mode=0&phaseId=N&date=..`: one phase's activities.
pub(super) async fn select_activities(
    _: Session,
    State(controls): State<FakeControls>,
    RawQuery(query): RawQuery,
) -> Response {
    let style = controls.key_style();
    answer(&controls, query, |answers, pairs| {
        check_date(pairs)?;
        let id = parent_id(pairs, "phaseId")?;
        let date = param(pairs, "date")
            .and_then(|raw| NaiveDate::parse_from_str(raw, LOOKUP_DATE_FORMAT).ok());
        match date.filter(|_| controls.has_closures()) {
            // Some activity is closed on some days: this answer is built for its date.
            Some(date) => {
                let open = data::activities_of(id)
                    .filter(|a| !controls.is_closed(a.id, date))
                    .map(|a| (a.id, a.name));
                Ok(Some(to_json(style == KeyStyle::Pascal, "ActivityId", open)))
            }
            None => Ok(answers.activities.get(&id).cloned()),
        }
    })
}

/// `GET /Find/SelectKinds?mode=0&projectName=S&activityName=S`: kinds by *names*, exact
/// match; all kinds for customer work, only "Not billable" for internal projects.
pub(super) async fn select_kinds(
    _: Session,
    State(controls): State<FakeControls>,
    RawQuery(query): RawQuery,
) -> Response {
    let style = controls.key_style();
    answer(&controls, query, |_, pairs| {
        let project = param(pairs, "projectName").unwrap_or_default();
        let activity = param(pairs, "activityName").unwrap_or_default();
        let kinds = data::kinds_for_names(project, activity);
        let items = kinds.iter().map(|k| (k.id, k.name));
        Ok(Some(to_json(style == KeyStyle::Pascal, "KindId", items)))
    })
}

/// One node of the older selector API: `{Id, ParentId, Name}` (customers have no parent).
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Node {
    id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<u64>,
    name: &'static str,
}

/// `GET /api/selector/projects`: every customer and project in one answer.
pub(super) async fn selector_projects(_: Session) -> Response {
    let customers = data::CUSTOMERS.iter().map(|c| Node {
        id: c.id,
        parent_id: None,
        name: c.name,
    });
    let projects = data::PROJECTS.iter().map(|p| Node {
        id: p.id,
        parent_id: Some(p.customer_id),
        name: p.name,
    });
    let body = serde_json::json!({
        "Customers": customers.collect::<Vec<_>>(),
        "Projects": projects.collect::<Vec<_>>(),
    });
    json_response(Bytes::from(body.to_string()))
}

/// `GET /api/selector/projects/{projectId}`: one project's phases and their activities.
pub(super) async fn selector_project(_: Session, Path(raw_id): Path<String>) -> Response {
    let Ok(project_id) = raw_id.parse::<u64>() else {
        return BadRequest(format!("The value '{raw_id}' is not valid.")).into_response();
    };
    let phases: Vec<_> = data::phases_of(project_id).collect();
    let activities = phases.iter().flat_map(|ph| data::activities_of(ph.id));
    let body = serde_json::json!({
        "Phases": phases.iter().map(|ph| Node { id: ph.id, parent_id: Some(ph.project_id), name: ph.name }).collect::<Vec<_>>(),
        "Activities": activities.map(|a| Node { id: a.id, parent_id: Some(a.phase_id), name: a.name }).collect::<Vec<_>>(),
    });
    json_response(Bytes::from(body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_and_lower_keys() {
        let pascal = Answers::demo(true);
        let lower = Answers::demo(false);
        let first_pascal: serde_json::Value =
            serde_json::from_slice(&pascal.customers).expect("valid json");
        let first_lower: serde_json::Value =
            serde_json::from_slice(&lower.customers).expect("valid json");
        assert_eq!(
            first_pascal[0],
            serde_json::json!({"CustomerId": 11166, "Name": "&Money ApS"})
        );
        assert_eq!(
            first_lower[0],
            serde_json::json!({"id": 11166, "name": "&Money ApS"})
        );
    }

    #[test]
    fn every_parent_has_a_serialised_answer() {
        let answers = Answers::demo(true);
        assert_eq!(answers.projects.len(), data::CUSTOMERS.len());
        assert_eq!(answers.phases.len(), data::PROJECTS.len());
        assert_eq!(answers.activities.len(), data::PHASES.len());
        let text = std::str::from_utf8(&answers.activities[&3201]).expect("utf-8");
        assert!(text.starts_with(r#"[{"ActivityId":4201,"Name":"Udvikling"}"#));
    }

    #[test]
    fn params_are_case_insensitive_and_validated() {
        let pairs: Vec<_> =
            url::form_urlencoded::parse(b"mode=0&CUSTOMERID=7&date=2025-13-01").collect();
        assert_eq!(param(&pairs, "customerId"), Some("7"));
        assert!(check_date(&pairs).is_err());
        let pairs: Vec<_> = url::form_urlencoded::parse(b"projectId=abc&date=").collect();
        assert!(parent_id(&pairs, "projectId").is_err());
        assert!(parent_id(&pairs, "phaseId").is_err());
        assert!(check_date(&pairs).is_ok());
    }
}

//! Booking a week rather than a line: the week read back with the ids rebooking needs, in
//! few bytes; `copyWeek` planning from another week without booking; `registerHoursBatch`
//! checking every line first, booking each once (a retried batch books nothing twice, on a
//! Tidsreg that adds rather than replaces, as the fake does); and a replayed single booking
//! answering its day as it stands now.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tidsreg_gpt::fake::DEMO_USERNAME;
use tidsreg_gpt::fake::data::{KIND_BILLABLE, KIND_NOT_BILLABLE, UDVIKLING_ACTIVITY_ID};

use crate::fixture::{KEY_A, TestServer, assert_error, start};

/// `Support`, under &Money ApS / Support & drift / Løbende support.
const SUPPORT: u64 = 4106;
/// `Møder`, under Ærø Fødevarer A/S / Lagerstyring på Ærø / Udvikling.
const MOEDER: u64 = 4203;
/// `Administration`, under the internal customer (only "Not billable").
const ADMINISTRATION: u64 = 4502;

/// A typical week (ISO week 10 of 2026) of 8 bookings on 4 activities and kinds.
fn last_week() -> Vec<Value> {
    let mut lines: Vec<Value> = ["02", "03", "04", "05", "06"]
        .iter()
        .map(|day| {
            line(
                &format!("2026-03-{day}"),
                6.0,
                UDVIKLING_ACTIVITY_ID,
                KIND_BILLABLE,
            )
        })
        .collect();
    lines.push(line("2026-03-02", 1.5, SUPPORT, KIND_BILLABLE));
    lines.push(line("2026-03-04", 1.5, MOEDER, KIND_NOT_BILLABLE));
    lines.push(line("2026-03-06", 1.5, ADMINISTRATION, KIND_NOT_BILLABLE));
    lines
}

fn line(date: &str, hours: f64, activity_id: u64, kind_id: u64) -> Value {
    json!({ "date": date, "hours": hours, "activityId": activity_id, "kindId": kind_id })
}

/// A server whose demo user has booked [`last_week`], one line at a time.
async fn with_last_week() -> TestServer {
    let server = start().await;
    server.login(KEY_A).await;
    for booking in last_week() {
        let (status, body) = server.post_json(Some(KEY_A), "/api/hours", booking).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 8);
    server
}

/// The raw answer of a GET, for its size.
async fn raw_get(server: &TestServer, path: &str) -> (StatusCode, String) {
    let response = server
        .request(Method::GET, path)
        .bearer_auth(KEY_A)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_week_carries_activity_and_kind_ids_in_at_most_1300_bytes() {
    let server = with_last_week().await;
    let (status, text) = raw_get(&server, "/api/hours?date=2026-03-04").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    println!("getHours, a week of 8 bookings: {} bytes", text.len());
    assert!(text.len() <= 1300, "{} bytes: {text}", text.len());
    let week: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(week["total"], 34.5);
    assert_eq!(week["days"], json!([7.5, 6, 7.5, 6, 7.5, 0, 0]));
    let rows = week["rows"].as_array().unwrap();
    let ids: Vec<(u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["activityId"].as_u64().unwrap(),
                r["kindId"].as_u64().unwrap(),
            )
        })
        .collect();
    for wanted in [
        (UDVIKLING_ACTIVITY_ID, KIND_BILLABLE),
        (SUPPORT, KIND_BILLABLE),
        (MOEDER, KIND_NOT_BILLABLE),
        (ADMINISTRATION, KIND_NOT_BILLABLE),
    ] {
        assert!(ids.contains(&wanted), "{wanted:?} not in {week}");
    }
    let udvikling = rows
        .iter()
        .find(|r| r["activityId"] == UDVIKLING_ACTIVITY_ID)
        .unwrap();
    assert_eq!(
        udvikling["path"],
        "Ærø Fødevarer A/S / Lagerstyring på Ærø / Udvikling / Udvikling"
    );
    assert_eq!(
        week["kinds"],
        json!([{ "id": 13, "name": "Billable" }, { "id": 16, "name": "Not billable" }])
    );
    assert!(udvikling.get("kind").is_none(), "kind names once: {week}");
    assert_eq!(udvikling["hours"], json!([6, 6, 6, 6, 6, 0, 0]));
    // Names once per row, never once per day.
    assert_eq!(text.matches("Lagerstyring").count(), 2, "{text}");
}

#[tokio::test]
async fn without_the_registrations_json_the_names_lead_to_the_ids() {
    let server = with_last_week().await;
    server.controls.set_registrations_json(false);
    let (status, week) = server.get(Some(KEY_A), "/api/hours?date=2026-03-04").await;
    assert_eq!(status, StatusCode::OK, "{week}");
    let ids: Vec<u64> = week["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["activityId"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(
        ids,
        [SUPPORT, UDVIKLING_ACTIVITY_ID, MOEDER, ADMINISTRATION],
        "{week}"
    );
    assert!(
        week.get("warnings")
            .unwrap()
            .to_string()
            .contains("Tuesday")
    );
    assert!(!week.to_string().contains("cannot be told"), "{week}");
}

#[tokio::test]
async fn a_week_of_8_bookings_on_8_rows_fits_too() {
    let server = start().await;
    server.login(KEY_A).await;
    let spread = [
        ("2026-03-02", 4.0, 4101, KIND_BILLABLE),
        ("2026-03-02", 3.5, 4103, KIND_BILLABLE),
        ("2026-03-03", 7.5, 4207, KIND_BILLABLE),
        ("2026-03-04", 7.5, 4302, KIND_BILLABLE),
        ("2026-03-05", 4.0, 4401, KIND_BILLABLE),
        ("2026-03-05", 3.5, 4404, KIND_NOT_BILLABLE),
        ("2026-03-06", 4.0, 4603, KIND_BILLABLE),
        ("2026-03-06", 3.5, 4505, KIND_NOT_BILLABLE),
    ];
    for (date, hours, activity_id, kind_id) in spread {
        let booking = line(date, hours, activity_id, kind_id);
        let (status, body) = server.post_json(Some(KEY_A), "/api/hours", booking).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, text) = raw_get(&server, "/api/hours?date=2026-03-04").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    println!("getHours, 8 bookings on 8 rows: {} bytes", text.len());
    let week: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(week["rows"].as_array().unwrap().len(), 8, "{week}");
    assert!(text.len() <= 1300, "{} bytes: {text}", text.len());
}

#[tokio::test]
async fn copy_week_plans_every_line_and_books_nothing() {
    let server = with_last_week().await;
    server.controls.reset_counters();
    let (status, plan) = server
        .get(Some(KEY_A), "/api/week/copy?from=2026-03-04&to=2026-03-12")
        .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(
        server.controls.requests_to("/api/hours"),
        0,
        "no booking call"
    );
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 8);
    assert_eq!(plan["from"], "2026-03-02");
    assert_eq!(plan["to"], "2026-03-09");
    let lines = plan["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 8, "{plan}");
    assert_eq!(plan["total"], 34.5);
    for (line, date) in lines.iter().zip([
        "2026-03-09",
        "2026-03-09",
        "2026-03-10",
        "2026-03-11",
        "2026-03-11",
        "2026-03-12",
        "2026-03-13",
        "2026-03-13",
    ]) {
        assert_eq!(line["date"], date, "{plan}");
    }
    assert!(plan.get("warnings").is_none(), "{plan}");
    assert_eq!(plan["activities"].as_array().unwrap().len(), 4, "{plan}");
}

#[tokio::test]
async fn copy_week_warns_of_holidays_and_days_already_booked() {
    let server = with_last_week().await;
    // Easter week 2026: Thursday 2 and Friday 3 April are holidays.
    let (status, plan) = server
        .get(Some(KEY_A), "/api/week/copy?from=2026-03-02&to=2026-04-01")
        .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let warnings = plan["warnings"].to_string();
    assert!(warnings.contains("2026-04-02 is Skærtorsdag"), "{warnings}");
    assert!(warnings.contains("2026-04-03 is Langfredag"), "{warnings}");
    // Copying a week onto itself plans nothing, and says so; onto a booked week, warned.
    let (status, plan) = server
        .get(Some(KEY_A), "/api/week/copy?from=2026-03-02&to=2026-03-08")
        .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["lines"], json!([]), "{plan}");
    assert!(
        plan["warnings"][0].as_str().unwrap().contains("same week"),
        "{plan}"
    );
    let (status, plan) = server
        .get(Some(KEY_A), "/api/week/copy?from=2026-03-12&to=2026-03-02")
        .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["lines"], json!([]), "week 11 is empty");
    let (status, body) = server
        .get(Some(KEY_A), "/api/week/copy?from=2026-03-02")
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(body["field"], "to");
}

#[tokio::test]
async fn a_dry_run_checks_and_books_nothing() {
    let server = with_last_week().await;
    let (_, plan) = server
        .get(Some(KEY_A), "/api/week/copy?from=2026-03-04&to=2026-03-12")
        .await;
    server.controls.reset_counters();
    let batch = json!({ "lines": plan["lines"], "dryRun": true });
    let (status, answer) = server
        .post_json(Some(KEY_A), "/api/hours/batch", batch)
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["dryRun"], true);
    assert_eq!(answer["hours"], 34.5);
    let statuses: Vec<&str> = answer["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["planned"; 8]);
    let activities = answer["activities"].as_array().unwrap();
    assert_eq!(activities.len(), 4, "{answer}");
    assert!(
        activities
            .iter()
            .any(|a| a["kind"] == "Not billable" && a["path"].as_str().unwrap().ends_with("Møder")),
        "{answer}"
    );
    assert_eq!(server.controls.requests_to("/api/hours"), 0);
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 8);
}

#[tokio::test]
async fn a_batch_with_one_unknown_activity_is_refused_whole() {
    let server = start().await;
    server.login(KEY_A).await;
    let mut lines = last_week();
    lines[3]["activityId"] = json!(999_999);
    lines[5]["hours"] = json!(0);
    let (status, body) = server
        .post_json(Some(KEY_A), "/api/hours/batch", json!({ "lines": lines }))
        .await;
    let message = assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(body["field"], "lines");
    assert!(message.contains("lines[3]: activityId 999999"), "{message}");
    assert!(message.contains("lines[5]: `hours`"), "{message}");
    assert!(message.contains("nothing was booked"), "{message}");
    assert!(!message.contains("lines[0]"), "{message}");
    assert_eq!(server.controls.requests_to("/api/hours"), 0);
    assert!(server.controls.bookings(DEMO_USERNAME).is_empty());

    // A kind the activity does not allow names the kinds it does.
    let internal = json!({ "lines": [line("2026-03-02", 1.0, ADMINISTRATION, KIND_BILLABLE)] });
    let (status, body) = server
        .post_json(Some(KEY_A), "/api/hours/batch", internal)
        .await;
    let message = assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert!(message.contains("Not billable (16)"), "{message}");
    for bad in [
        json!({}),
        json!({ "lines": [] }),
        json!({ "lines": vec![line("2026-03-02", 1.0, 4201, 13); 51] }),
    ] {
        let (status, body) = server.post_json(Some(KEY_A), "/api/hours/batch", bad).await;
        let message = assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
        assert!(message.contains("1 to 50"), "{message}");
    }
    assert!(server.controls.bookings(DEMO_USERNAME).is_empty());
}

#[tokio::test]
async fn the_same_batch_sent_twice_books_the_week_once() {
    let server = start().await;
    server.login(KEY_A).await;
    let batch = json!({ "lines": last_week(), "dryRun": false });
    let (status, first) = server
        .post_json(Some(KEY_A), "/api/hours/batch", batch.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["complete"], true);
    assert!(
        first["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["status"] == "booked"),
        "{first}"
    );
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 8);
    let days = first["days"].as_array().unwrap();
    assert_eq!(days.len(), 5, "the batch's days as Tidsreg holds them");
    assert_eq!(days[0], json!({ "date": "2026-03-02", "total": 7.5 }));

    let (status, again) = server
        .post_json(Some(KEY_A), "/api/hours/batch", batch)
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert!(
        again["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["status"] == "replayed"),
        "{again}"
    );
    assert_eq!(
        server.controls.bookings(DEMO_USERNAME).len(),
        8,
        "booked once"
    );
    assert_eq!(again["days"][0]["total"], 7.5);

    // With an Idempotency-Key, the key is the batch's identity; two equal lines of one batch
    // are two bookings.
    let twice =
        json!({ "lines": [line("2026-03-16", 1.0, 4201, 13), line("2026-03-16", 1.0, 4201, 13)] });
    for _ in 0..2 {
        let response = server
            .request(Method::POST, "/api/hours/batch")
            .bearer_auth(KEY_A)
            .header("Idempotency-Key", "week-12-batch")
            .json(&twice)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 10);
}

#[tokio::test]
async fn a_replayed_booking_answers_the_day_as_it_is_now() {
    let server = start().await;
    server.login(KEY_A).await;
    let first = line("2026-03-02", 2.0, UDVIKLING_ACTIVITY_ID, KIND_BILLABLE);
    let (_, booked) = server
        .post_json(Some(KEY_A), "/api/hours", first.clone())
        .await;
    assert_eq!(booked["day"]["total"], 2.0);
    let other = line("2026-03-02", 3.0, SUPPORT, KIND_BILLABLE);
    let (status, _) = server.post_json(Some(KEY_A), "/api/hours", other).await;
    assert_eq!(status, StatusCode::OK);
    let (status, replayed) = server.post_json(Some(KEY_A), "/api/hours", first).await;
    assert_eq!(status, StatusCode::OK, "{replayed}");
    assert_eq!(replayed["replayed"], true);
    assert_eq!(
        replayed["day"]["total"], 5.0,
        "the day now, not at the first booking"
    );
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 2);

    // A week without warnings (a future one) is kept and replayed as well.
    let future = line("2030-01-07", 7.5, UDVIKLING_ACTIVITY_ID, KIND_BILLABLE);
    for replay in [false, true] {
        let (status, body) = server
            .post_json(Some(KEY_A), "/api/hours", future.clone())
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["replayed"], replay, "{body}");
    }
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 3);
}

#[test]
fn the_schema_marks_the_batch_consequential_and_the_copy_not() {
    let rendered = tidsreg_gpt::schema::render("https://example.test").unwrap();
    let schema: Value = yaml_serde::from_str(&rendered).unwrap();
    let paths = &schema["paths"];
    assert_eq!(
        paths["/api/hours/batch"]["post"]["x-openai-isConsequential"],
        true
    );
    assert_eq!(
        paths["/api/week/copy"]["get"]["x-openai-isConsequential"],
        false
    );
}

#[tokio::test]
async fn a_failure_part_way_says_which_lines_are_booked_and_a_retry_books_the_rest() {
    let server = start().await;
    server.login(KEY_A).await;
    server.controls.fail_bookings_after(Some(3));
    let batch = json!({ "lines": last_week() });
    let (status, answer) = server
        .post_json(Some(KEY_A), "/api/hours/batch", batch.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["complete"], false);
    let statuses: Vec<&str> = answer["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "booked", "booked", "booked", "failed", "notSent", "notSent", "notSent", "notSent"
        ]
    );
    assert!(
        answer["lines"][3]["why"]
            .as_str()
            .unwrap()
            .contains("HTTP 500"),
        "{answer}"
    );
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.contains("lines 0, 1, 2 are booked; line 3 failed"),
        "{message}"
    );
    assert!(
        message.contains("lines 4, 5, 6, 7 were not sent"),
        "{message}"
    );
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 3);

    server.controls.fail_bookings_after(None);
    let (status, retry) = server
        .post_json(Some(KEY_A), "/api/hours/batch", batch)
        .await;
    assert_eq!(status, StatusCode::OK, "{retry}");
    assert_eq!(retry["complete"], true, "{retry}");
    assert_eq!(retry["lines"][2]["status"], "replayed");
    assert_eq!(retry["lines"][3]["status"], "booked");
    assert_eq!(
        server.controls.bookings(DEMO_USERNAME).len(),
        8,
        "each line once"
    );
}

#[tokio::test]
async fn an_activity_closed_in_the_target_week_is_left_out_and_refused() {
    let server = with_last_week().await;
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    // Møder is closed on Wednesday 11 March only.
    server
        .controls
        .close_activity(MOEDER, day("2026-03-11"), day("2026-03-11"));
    let (status, plan) = server
        .get(Some(KEY_A), "/api/week/copy?from=2026-03-02&to=2026-03-09")
        .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["lines"].as_array().unwrap().len(), 7, "{plan}");
    let warnings = plan["warnings"].to_string();
    assert!(
        warnings.contains("2026-03-11 is left out") && warnings.contains("Møder is closed"),
        "{warnings}"
    );
    let batch = json!({ "lines": [line("2026-03-11", 1.5, MOEDER, KIND_NOT_BILLABLE)] });
    let (status, body) = server
        .post_json(Some(KEY_A), "/api/hours/batch", batch)
        .await;
    let message = assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert!(message.contains("lines[0]: Ærø Fødevarer A/S / Lagerstyring på Ærø / Udvikling / Møder is closed on 2026-03-11"), "{message}");
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 8);
}

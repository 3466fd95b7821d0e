//! Registered hours and booking, against the fake upstream: read the week, book once, read
//! back, and refuse bad input without booking anything.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tidsreg_gpt::fake::DEMO_USERNAME;
use tidsreg_gpt::fake::data::{KIND_BILLABLE, UDVIKLING_ACTIVITY_ID};

use crate::fixture::{KEY_A, KEY_B, assert_error, into_json, start};

fn booking(date: &str, hours: f64) -> Value {
    json!({
        "date": date,
        "hours": hours,
        "activityId": UDVIKLING_ACTIVITY_ID,
        "kindId": KIND_BILLABLE,
        "note": "Sprint & review – ærlig talt"
    })
}

#[tokio::test]
async fn book_then_read_the_week_back() {
    let server = start().await;
    server.login(KEY_A).await;
    let (status, booked) = server
        .post_json(Some(KEY_A), "/api/hours", booking("2026-03-03", 7.5))
        .await;
    assert_eq!(status, StatusCode::OK, "{booked}");
    assert_eq!(booked["replayed"], false);
    assert_eq!(booked["booked"]["hours"], 7.5);
    assert_eq!(booked["day"]["date"], "2026-03-03");
    assert_eq!(booked["day"]["total"], 7.5);
    let entry = &booked["day"]["entries"][0];
    assert_eq!(entry["activity"], "Udvikling");
    assert_eq!(entry["billable"], true);
    assert_eq!(entry["customer"], "Ærø Fødevarer A/S");
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 1);

    let (status, week) = server.get(Some(KEY_A), "/api/hours?date=2026-03-05").await;
    assert_eq!(status, StatusCode::OK, "{week}");
    assert_eq!(week["start"], "2026-03-02");
    assert_eq!(week["end"], "2026-03-08");
    assert_eq!(week["total"], 7.5);
    assert_eq!(week["days"], json!([0, 7.5, 0, 0, 0, 0, 0]));
    let row = &week["rows"][0];
    assert_eq!(row["hours"][1], 7.5);
    assert_eq!(row["activityId"], UDVIKLING_ACTIVITY_ID);
    assert_eq!(row["kindId"], KIND_BILLABLE);
    let warnings = week["warnings"].to_string();
    assert!(
        warnings.contains("Monday 2026-03-02: 0 of the expected 7.5"),
        "{warnings}"
    );
    assert!(!week.to_string().contains('<'), "never raw HTML: {week}");
}

#[tokio::test]
async fn the_same_booking_sent_three_times_books_once() {
    let server = start().await;
    server.login(KEY_A).await;
    let mut replays = Vec::new();
    for _ in 0..3 {
        let (status, body) = server
            .post_json(Some(KEY_A), "/api/hours", booking("2026-03-04", 2.0))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        replays.push(body["replayed"].as_bool().unwrap());
    }
    assert_eq!(replays, [false, true, true]);
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 1);
}

#[tokio::test]
async fn concurrent_retries_book_once() {
    let server = start().await;
    server.login(KEY_A).await;
    let send = || server.post_json(Some(KEY_A), "/api/hours", booking("2026-03-06", 1.5));
    let (a, b, c) = tokio::join!(send(), send(), send());
    for (status, body) in [a, b, c] {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 1);
}

#[tokio::test]
async fn idempotency_keys_dedupe_and_refuse_reuse_for_another_booking() {
    let server = start().await;
    server.login(KEY_A).await;
    let post = |key: &'static str, body: Value| {
        server
            .request(Method::POST, "/api/hours")
            .bearer_auth(KEY_A)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let (status, first) = into_json(post("k1", booking("2026-03-02", 3.0)).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (_, again) = into_json(post("k1", booking("2026-03-02", 3.0)).await.unwrap()).await;
    assert_eq!(again["replayed"], true);
    // A new key is a new, deliberate booking, even with the same content.
    let (_, other) = into_json(post("k2", booking("2026-03-02", 3.0)).await.unwrap()).await;
    assert_eq!(other["replayed"], false);
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 2);
    let (status, body) = into_json(post("k1", booking("2026-03-02", 4.0)).await.unwrap()).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(body["field"], "Idempotency-Key");
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 2);
}

#[tokio::test]
async fn two_callers_booking_alike_both_book() {
    let server = start().await;
    server.login(KEY_A).await;
    server.login(KEY_B).await;
    let (status, _) = server
        .post_json(Some(KEY_A), "/api/hours", booking("2026-03-02", 1.0))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = server
        .post_json(Some(KEY_B), "/api/hours", booking("2026-03-02", 1.0))
        .await;
    assert_eq!(
        body["replayed"], false,
        "another caller's booking is not a retry"
    );
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 2);
}

#[tokio::test]
async fn bad_bookings_name_the_field_and_book_nothing() {
    let server = start().await;
    server.login(KEY_A).await;
    let cases = [
        (
            json!({"date": "2025-13-40", "hours": 1, "activityId": 4201, "kindId": 13}),
            "date",
        ),
        (
            json!({"hours": 1, "activityId": 4201, "kindId": 13}),
            "date",
        ),
        (
            json!({"date": "2026-03-02", "hours": -1, "activityId": 4201, "kindId": 13}),
            "hours",
        ),
        (
            json!({"date": "2026-03-02", "hours": 25, "activityId": 4201, "kindId": 13}),
            "hours",
        ),
        (
            json!({"date": "2026-03-02", "hours": 1.234, "activityId": 4201, "kindId": 13}),
            "hours",
        ),
        (
            json!({"date": "2026-03-02", "hours": "abc", "activityId": 4201, "kindId": 13}),
            "hours",
        ),
        (
            json!({"date": "2026-03-02", "hours": 1, "kindId": 13}),
            "activityId",
        ),
        (
            json!({"date": "2026-03-02", "hours": 1, "activityId": 0, "kindId": 13}),
            "activityId",
        ),
        (
            json!({"date": "2026-03-02", "hours": 1, "activityId": 4201}),
            "kindId",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = server
            .post_json(Some(KEY_A), "/api/hours", body.clone())
            .await;
        let message = assert_error(status, &answer, StatusCode::BAD_REQUEST, "bad_request");
        assert_eq!(answer["field"], field, "{body}: {answer}");
        assert!(message.contains(field), "{message}");
    }
    let response = server
        .request(Method::POST, "/api/hours")
        .bearer_auth(KEY_A)
        .header("content-type", "application/json")
        .body("[not json")
        .send()
        .await
        .unwrap();
    let (status, answer) = into_json(response).await;
    let message = assert_error(status, &answer, StatusCode::BAD_REQUEST, "bad_request");
    assert!(
        message.contains("activityId"),
        "shows the expected shape: {message}"
    );
    assert!(server.controls.bookings(DEMO_USERNAME).is_empty());
}

#[tokio::test]
async fn an_upstream_refusal_is_a_409_that_says_what_to_check() {
    let server = start().await;
    server.login(KEY_A).await;
    let body = json!({"date": "2026-03-02", "hours": 1, "activityId": 999999, "kindId": 13});
    let (status, answer) = server.post_json(Some(KEY_A), "/api/hours", body).await;
    let message = assert_error(status, &answer, StatusCode::CONFLICT, "refused");
    assert!(message.contains("refused"), "{message}");
    assert!(message.contains("activities of the phase"), "{message}");
}

#[tokio::test]
async fn upstream_500_on_booking_is_502_books_nothing_and_may_be_retried() {
    let server = start().await;
    server.login(KEY_A).await;
    server.controls.set_fail_status(Some(500));
    let (status, body) = server
        .post_json(Some(KEY_A), "/api/hours", booking("2026-03-02", 2.0))
        .await;
    assert_error(status, &body, StatusCode::BAD_GATEWAY, "upstream_error");
    assert!(server.controls.bookings(DEMO_USERNAME).is_empty());
    server.controls.set_fail_status(None);
    let (status, body) = server
        .post_json(Some(KEY_A), "/api/hours", booking("2026-03-02", 2.0))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["replayed"], false);
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 1);
}

#[tokio::test]
async fn an_expired_session_on_booking_asks_to_log_in_and_books_nothing() {
    let server = start().await;
    server.login(KEY_A).await;
    server.controls.expire_sessions();
    let (status, body) = server
        .post_json(Some(KEY_A), "/api/hours", booking("2026-03-02", 2.0))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "tidsreg_session_expired",
    );
    assert!(server.controls.bookings(DEMO_USERNAME).is_empty());
    let (status, body) = server.get(Some(KEY_A), "/api/hours").await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "tidsreg_login_required",
    );
}

#[tokio::test]
async fn week_bounds_and_their_errors() {
    let server = start().await;
    let (status, week) = server.get(Some(KEY_A), "/api/week?year=2026&week=10").await;
    assert_eq!(status, StatusCode::OK, "{week}");
    assert_eq!(
        week,
        json!({"year": 2026, "week": 10, "start": "2026-03-02", "end": "2026-03-08"})
    );
    let (status, week) = server.get(Some(KEY_A), "/api/week").await;
    assert_eq!(status, StatusCode::OK);
    assert!(week["start"].is_string());
    for (path, field) in [
        ("/api/week?year=2026&week=54", "week"),
        ("/api/week?week=x", "week"),
        ("/api/week?year=twenty", "year"),
    ] {
        let (status, body) = server.get(Some(KEY_A), path).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
        assert_eq!(body["field"], field, "{path}");
    }
    // A week number the schema allows that this year lacks: no such week, not a bad call.
    let (status, body) = server.get(Some(KEY_A), "/api/week?year=2025&week=53").await;
    let message = assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains("has 52 weeks"), "{message}");
    let (status, week) = server.get(Some(KEY_A), "/api/week?year=2026&week=53").await;
    assert_eq!(status, StatusCode::OK, "2026 has a week 53: {week}");
}

/// Tidsreg stores a booking but answers after our time-out: the booking is "in doubt". The
/// retry with the same key reads the day first, finds the hours there, and books nothing.
#[tokio::test]
async fn a_booking_in_doubt_is_not_booked_twice() {
    let server = crate::fixture::start_with_timeout(std::time::Duration::from_millis(500)).await;
    server.login(KEY_A).await;
    let booking = json!({
        "date": "2026-03-05",
        "hours": 1.25,
        "activityId": UDVIKLING_ACTIVITY_ID,
        "kindId": KIND_BILLABLE,
        "note": "in doubt"
    });
    let send = || {
        server
            .request(reqwest::Method::POST, "/api/hours")
            .bearer_auth(KEY_A)
            .header("idempotency-key", "doubt-1")
            .json(&booking)
            .send()
    };
    server
        .controls
        .set_latency_after(std::time::Duration::from_secs(2));
    let (status, body) = crate::fixture::into_json(send().await.unwrap()).await;
    let message = assert_error(
        status,
        &body,
        StatusCode::GATEWAY_TIMEOUT,
        "upstream_timeout",
    );
    assert!(message.contains("not known whether"), "{message}");
    server.controls.set_latency_after(std::time::Duration::ZERO);
    let stored = || {
        server
            .controls
            .bookings(DEMO_USERNAME)
            .into_iter()
            .filter(|b| b.note == "in doubt")
            .count()
    };
    assert_eq!(stored(), 1, "Tidsreg stored it although it answered late");
    let (status, body) = crate::fixture::into_json(send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["replayed"], true, "{body}");
    assert_eq!(stored(), 1, "booked once: {body}");
    assert!(
        body["warnings"][0]
            .as_str()
            .unwrap()
            .contains("booked once"),
        "{body}"
    );
}

/// Strict inputs: control characters in `note` or `contactName`, hours that are not plain
/// decimals, and dates not exactly `YYYY-MM-DD` are 400s naming the field; nothing is booked.
#[tokio::test]
async fn malformed_bookings_are_refused_with_the_field_named() {
    let server = start().await;
    server.login(KEY_A).await;
    let mut cases = Vec::new();
    for field in ["note", "contactName"] {
        for bad in ["a\0b", "a\u{1b}[31mb", "a\rb", "a\nb", "a\tb", "end\n"] {
            let mut body = booking("2026-03-09", 1.0);
            body[field] = json!(bad);
            cases.push((field, body));
        }
    }
    for bad in ["1e1", "+7", "7 .5", "inf", "nan", "7.125"] {
        let mut body = booking("2026-03-09", 1.0);
        body["hours"] = json!(bad);
        cases.push(("hours", body));
    }
    for bad in [" 2026-03-09", "2026-03-09 ", "+2026-03-09", "2026-3-9"] {
        cases.push(("date", booking(bad, 1.0)));
    }
    for (field, body) in cases {
        let (status, answer) = server
            .post_json(Some(KEY_A), "/api/hours", body.clone())
            .await;
        assert_error(status, &answer, StatusCode::BAD_REQUEST, "bad_request");
        assert_eq!(answer["field"], field, "{body} -> {answer}");
    }
    assert!(server.controls.bookings(DEMO_USERNAME).is_empty());
    // Plain decimals, comma or point, are still fine.
    let mut body = booking("2026-03-09", 1.0);
    body["hours"] = json!("7,5");
    let (status, answer) = server.post_json(Some(KEY_A), "/api/hours", body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

//! End-to-end tests of the fake over real HTTP on a free local port, and of our client and
//! week-page parser against it.

use std::time::Duration;

use chrono::NaiveDate;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use super::week_page::render_week_page;
use super::*;
use crate::tidsreg::week::{WeekRow, parse_week};
use crate::tidsreg::{Booking, Lookup, Tidsreg};

/// A client that shows redirects instead of following them and keeps its own cookies.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client builds")
}

/// A client signed in as `user` through the web login.
async fn signed_in(fake: &FakeUpstream, user: &str, password: &str) -> reqwest::Client {
    let client = client();
    let response = client
        .post(format!("{}/Login?ReturnUrl=/", fake.url()))
        .form(&[("userName", user), ("password", password)])
        .send()
        .await
        .expect("login request");
    assert_eq!(response.status(), StatusCode::FOUND);
    client
}

async fn get(client: &reqwest::Client, url: String) -> reqwest::Response {
    client.get(url).send().await.expect("request")
}

async fn json_of(client: &reqwest::Client, url: String) -> Value {
    let response = get(client, url).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[CONTENT_TYPE].to_str().expect("ascii");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    response.json().await.expect("json body")
}

async fn post_hours(
    client: &reqwest::Client,
    fake: &FakeUpstream,
    form: &[(&str, &str)],
) -> StatusCode {
    let url = format!("{}/api/hours", fake.url());
    client
        .post(url)
        .form(form)
        .send()
        .await
        .expect("request")
        .status()
}

#[tokio::test]
async fn web_login_sets_a_cookie_only_on_success() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    assert!(fake.url().starts_with("http://127.0.0.1:") && !fake.url().ends_with('/'));
    let url = format!("{}/Login?ReturnUrl=/", fake.url());
    let ok = client()
        .post(&url)
        .form(&[("userName", DEMO_USERNAME), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status(), StatusCode::FOUND);
    assert_eq!(ok.headers()[LOCATION], "/");
    let cookie = ok.headers()[SET_COOKIE].to_str().expect("ascii").to_owned();
    let ticket = cookie
        .strip_prefix("AuthTicket=")
        .and_then(|rest| rest.strip_suffix("; Path=/; HttpOnly"))
        .expect("cookie shape");
    assert!(ticket.len() >= 64 && ticket.chars().all(|c| c.is_ascii_hexdigit()));

    for form in [
        vec![("userName", DEMO_USERNAME), ("password", "wrong")],
        vec![("userName", "nobody"), ("password", DEMO_PASSWORD)],
        vec![],
    ] {
        let failed = client()
            .post(&url)
            .form(&form)
            .send()
            .await
            .expect("request");
        assert_eq!(failed.status(), StatusCode::OK);
        assert!(failed.headers().get(SET_COOKIE).is_none());
        let page = failed.text().await.expect("body");
        assert!(page.contains(r#"name="userName""#) && page.contains(r#"name="password""#));
    }
    let form = get(&client(), format!("{}/Login", fake.url())).await;
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.expect("body").contains("<form"));
}

#[tokio::test]
async fn missing_or_expired_session_redirects_to_login() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    let path = "/Find/SelectProjects?mode=0&customerId=11166&date=2025-06-02";
    let anonymous = get(&client(), format!("{}{path}", fake.url())).await;
    assert_eq!(anonymous.status(), StatusCode::FOUND);
    assert_eq!(
        anonymous.headers()[LOCATION],
        "/Login?ReturnUrl=%2FFind%2FSelectProjects%3Fmode%3D0%26customerId%3D11166%26date%3D2025-06-02"
    );

    let client = signed_in(&fake, DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(
        get(&client, format!("{}{path}", fake.url())).await.status(),
        StatusCode::OK
    );
    fake.controls().expire_sessions();
    for path in [path, "/Hours/02-06-2025", "/"] {
        let expired = get(&client, format!("{}{path}", fake.url())).await;
        assert_eq!(expired.status(), StatusCode::FOUND, "{path}");
        let location = expired.headers()[LOCATION].to_str().expect("ascii");
        assert!(location.starts_with("/Login?ReturnUrl=%2F"), "{location}");
    }
    let booking = [
        ("hours", "1"),
        ("activityId", "4201"),
        ("date", "2025-06-02"),
        ("kindId", "13"),
    ];
    assert_eq!(
        post_hours(&client, &fake, &booking).await,
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn lookups_answer_the_catalogue_in_both_key_styles() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    let client = signed_in(&fake, DEMO_USERNAME, DEMO_PASSWORD).await;
    let base = fake.url();
    let customers = json_of(&client, format!("{base}/Find/SelectCustomers?mode=0")).await;
    assert_eq!(
        customers.as_array().map(Vec::len),
        Some(data::CUSTOMERS.len())
    );
    assert_eq!(
        customers[0],
        json!({"CustomerId": 11166, "Name": "&Money ApS"})
    );
    let projects = json_of(
        &client,
        format!("{base}/Find/SelectProjects?mode=0&customerId=20417&date=2025-06-02"),
    )
    .await;
    assert_eq!(
        projects[0],
        json!({"ProjectId": 2201, "Name": "Lagerstyring på Ærø"})
    );
    let phases = json_of(
        &client,
        format!("{base}/Find/SelectPhases?mode=0&projectId=2201&date=2025-06-02"),
    )
    .await;
    assert_eq!(phases[0], json!({"PhaseId": 3201, "Name": "Udvikling"}));
    let activities = json_of(
        &client,
        format!("{base}/Find/SelectActivities?mode=0&phaseId=3201&date=2025-06-02"),
    )
    .await;
    assert_eq!(
        activities[1],
        json!({"ActivityId": 4202, "Name": "Udvikling af rapporter"})
    );
    let unknown = json_of(
        &client,
        format!("{base}/Find/SelectPhases?mode=0&projectId=3201"),
    )
    .await;
    assert_eq!(unknown, json!([]));

    fake.controls().set_key_style(KeyStyle::Lower);
    let customers = json_of(
        &client,
        format!("{base}/Find/SelectCustomers?mode=0&date=2025-06-02"),
    )
    .await;
    assert_eq!(customers[0], json!({"id": 11166, "name": "&Money ApS"}));
    let kinds = json_of(
        &client,
        format!("{base}/Find/SelectKinds?mode=0&projectName=Intern%20tid&activityName=M%C3%B8der"),
    )
    .await;
    assert_eq!(kinds, json!([{"id": 16, "name": "Not billable"}]));
}

#[tokio::test]
async fn kinds_match_names_exactly() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    let client = signed_in(&fake, DEMO_USERNAME, DEMO_PASSWORD).await;
    let kinds_url = |project: &str, activity: &str| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("mode", "0")
            .append_pair("projectName", project)
            .append_pair("activityName", activity)
            .finish();
        format!("{}/Find/SelectKinds?{query}", fake.url())
    };
    let all = json_of(&client, kinds_url("Lagerstyring på Ærø", "Udvikling")).await;
    let ids: Vec<u64> = all
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|k| k["KindId"].as_u64())
        .collect();
    assert_eq!(ids, [13, 14, 15, 16, 17, 19, 20, 21]);
    assert_eq!(all[1]["Name"], "Overtime 50 %");
    assert_eq!(
        json_of(&client, kinds_url("Lagerstyring på Ærø", "Udvikl")).await,
        json!([])
    );
    assert_eq!(
        json_of(&client, kinds_url("Lagerstyring", "Udvikling")).await,
        json!([])
    );
    assert_eq!(
        json_of(&client, format!("{}/Find/SelectKinds?mode=0", fake.url())).await,
        json!([])
    );
}

#[tokio::test]
async fn malformed_lookup_parameters_are_400() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    let client = signed_in(&fake, DEMO_USERNAME, DEMO_PASSWORD).await;
    for path in [
        "/Find/SelectCustomers?mode=0&date=2025-02-30",
        "/Find/SelectProjects?mode=0&customerId=abc&date=2025-06-02",
        "/Find/SelectProjects?mode=0&date=2025-06-02",
        "/Find/SelectPhases?mode=0&projectId=2101&date=02-06-2025",
        "/Find/SelectActivities?mode=0&phaseId=1.5",
        "/Hours/2025-06-02",
        "/Hours/32-01-2025",
    ] {
        let response = get(&client, format!("{}{path}", fake.url())).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
    }
    let response = get(&client, format!("{}/Nope", fake.url())).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bookings_are_per_user_and_add_up_on_the_week_page() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    let demo = signed_in(&fake, DEMO_USERNAME, DEMO_PASSWORD).await;
    let anna = signed_in(&fake, ANNA_USERNAME, ANNA_PASSWORD).await;
    let first = [
        ("hours", "7,5"),
        ("activityId", "4201"),
        ("date", "2025-06-04"),
        ("kindId", "13"),
        ("note", "Lager & \"rapporter\""),
        ("contactName", "Søren"),
    ];
    assert_eq!(
        post_hours(&demo, &fake, &first).await,
        StatusCode::NO_CONTENT
    );
    let second = [
        ("hours", "0.5"),
        ("activityId", "4201"),
        ("date", "2025-06-04"),
        ("kindId", "13"),
    ];
    assert_eq!(
        post_hours(&demo, &fake, &second).await,
        StatusCode::NO_CONTENT
    );

    let stored = fake.controls().bookings(DEMO_USERNAME);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].note, "Lager & \"rapporter\"");
    assert_eq!(stored[0].contact_name, "Søren");
    assert_eq!(stored[1].hours, 0.5);
    assert!(fake.controls().bookings(ANNA_USERNAME).is_empty());
    assert!(fake.controls().bookings("nobody").is_empty());

    let page = get(&demo, format!("{}/Hours/08-06-2025", fake.url())).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.expect("body");
    assert!(page.contains("Udvikling (Billable)</td>"));
    assert!(page.contains("value=\"8,00\""));
    assert!(page.contains("<span id=\"totalHoursWed\">8,00</span>"));
    let other = get(&anna, format!("{}/Hours/04-06-2025", fake.url())).await;
    let other = other.text().await.expect("body");
    assert!(other.contains("id=\"TimeRegistrations\"") && !other.contains("Udvikling (Billable)"));
}

#[tokio::test]
async fn bad_bookings_are_400_and_not_stored() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    let demo = signed_in(&fake, DEMO_USERNAME, DEMO_PASSWORD).await;
    let base = [
        ("hours", "7"),
        ("activityId", "4201"),
        ("date", "2025-06-04"),
        ("kindId", "13"),
    ];
    let with = |key: &'static str, value: &'static str| {
        let mut form = base.to_vec();
        form.retain(|(k, _)| *k != key);
        form.push((key, value));
        form
    };
    for form in [
        with("hours", "0"),
        with("hours", "25"),
        with("hours", "seven"),
        with("activityId", "1"),
        with("kindId", "18"),
        with("date", "04-06-2025"),
        with("activityId", "4501"),
    ] {
        assert_eq!(
            post_hours(&demo, &fake, &form).await,
            StatusCode::BAD_REQUEST,
            "{form:?}"
        );
    }
    assert!(fake.controls().bookings(DEMO_USERNAME).is_empty());
}

#[tokio::test]
async fn fault_switches_change_the_answers() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    let controls = fake.controls();
    let demo = signed_in(&fake, DEMO_USERNAME, DEMO_PASSWORD).await;
    let customers = format!("{}/Find/SelectCustomers?mode=0", fake.url());

    controls.set_html_instead_of_json(true);
    let html = get(&demo, customers.clone()).await;
    assert_eq!(html.status(), StatusCode::OK);
    assert!(
        html.headers()[CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    controls.set_html_instead_of_json(false);

    controls.set_fail_status(Some(503));
    assert_eq!(
        get(&demo, customers.clone()).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let booking = [
        ("hours", "1"),
        ("activityId", "4201"),
        ("date", "2025-06-02"),
        ("kindId", "13"),
    ];
    assert_eq!(
        post_hours(&demo, &fake, &booking).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(controls.bookings(DEMO_USERNAME).is_empty());
    let _still_can_log_in = signed_in(&fake, ANNA_USERNAME, ANNA_PASSWORD).await;
    controls.set_fail_status(None);
    assert_eq!(get(&demo, customers).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn latency_is_applied_and_concurrency_is_measured() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    let controls = fake.controls();
    let demo = signed_in(&fake, DEMO_USERNAME, DEMO_PASSWORD).await;
    controls.reset_counters();
    controls.set_latency(Duration::from_millis(200));
    let url = format!("{}/Find/SelectCustomers?mode=0", fake.url());
    let started = std::time::Instant::now();
    let requests = (0..4).map(|_| {
        let (demo, url) = (demo.clone(), url.clone());
        async move { get(&demo, url).await }
    });
    for response in futures_join_all(requests).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(2000),
        "requests were not concurrent: {elapsed:?}"
    );
    assert_eq!(controls.peak_in_flight(), 4);
    assert_eq!(controls.requests(), 4);
    assert_eq!(controls.requests_to("/Find/SelectCustomers"), 4);
    assert_eq!(controls.requests_to("/Find/SelectProjects"), 0);
}

/// Runs futures concurrently on the test's runtime (no `futures` crate in the dependencies).
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.expect("task finished"));
    }
    outputs
}

#[tokio::test]
async fn legacy_login_and_logout() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    let client = client();
    let url = format!("{}/api/auth/login", fake.url());
    let bad = client
        .post(&url)
        .form(&[("username", "demo"), ("password", "x")])
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let ok = client
        .post(&url)
        .form(&[("username", "demo"), ("password", "demo")])
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(
        ok.headers()[SET_COOKIE]
            .to_str()
            .expect("ascii")
            .starts_with("AuthTicket=")
    );
    let customers = format!("{}/Find/SelectCustomers?mode=0", fake.url());
    assert_eq!(
        get(&client, customers.clone()).await.status(),
        StatusCode::OK
    );
    let logout = get(&client, format!("{}/api/auth/logout", fake.url())).await;
    assert_eq!(logout.status(), StatusCode::OK);
    assert_eq!(get(&client, customers).await.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn selector_api_links_children_to_parents() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    let client = signed_in(&fake, DEMO_USERNAME, DEMO_PASSWORD).await;
    let all = json_of(&client, format!("{}/api/selector/projects", fake.url())).await;
    assert_eq!(
        all["Customers"][0],
        json!({"Id": 11166, "Name": "&Money ApS"})
    );
    assert_eq!(
        all["Projects"][0],
        json!({"Id": 2101, "ParentId": 11166, "Name": "Betalingsplatform"})
    );
    let one = json_of(
        &client,
        format!("{}/api/selector/projects/2201", fake.url()),
    )
    .await;
    assert_eq!(
        one["Phases"][0],
        json!({"Id": 3201, "ParentId": 2201, "Name": "Udvikling"})
    );
    assert_eq!(
        one["Activities"][0],
        json!({"Id": 4201, "ParentId": 3201, "Name": "Udvikling"})
    );
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    let url = format!("{}/Login", fake.url());
    assert_eq!(get(&client(), url.clone()).await.status(), StatusCode::OK);
    fake.shutdown().await;
    assert!(client().get(url).send().await.is_err());
}

#[tokio::test]
async fn drop_stops_the_server() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    let url = format!("{}/Login", fake.url());
    drop(fake);
    // The aborted task releases the listener on its next turn of the runtime.
    let mut refused = false;
    for _ in 0..50 {
        if client().get(&url).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "the fake still answers after being dropped");
}

/// A rough throughput check of the hot path (lookups on keep-alive connections). Ignored by
/// default: run with `cargo test --release -- --ignored --nocapture throughput`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn throughput() {
    const CONNECTIONS: usize = 16;
    const REQUESTS_PER_CONNECTION: usize = 5_000;
    let fake = FakeUpstream::start().await.expect("fake starts");
    let url = format!(
        "{}/Find/SelectProjects?mode=0&customerId=11166&date=2025-06-02",
        fake.url()
    );
    let mut clients = Vec::new();
    for _ in 0..CONNECTIONS {
        clients.push(signed_in(&fake, DEMO_USERNAME, DEMO_PASSWORD).await);
    }
    fake.controls().reset_counters();
    let started = std::time::Instant::now();
    let workers = clients.into_iter().map(|client| {
        let url = url.clone();
        async move {
            for _ in 0..REQUESTS_PER_CONNECTION {
                let response = client.get(&url).send().await.expect("request");
                assert_eq!(response.status(), StatusCode::OK);
                response.bytes().await.expect("body");
            }
        }
    });
    futures_join_all(workers).await;
    let elapsed = started.elapsed();
    let served = fake.controls().requests();
    println!(
        "{served} requests in {elapsed:?}: {:.0}/s, peak in flight {}",
        served as f64 / elapsed.as_secs_f64(),
        fake.controls().peak_in_flight()
    );
}

// Our client against the fake: the typed requests reach the routes the fake serves, and the
// week page the fake renders reads back through our parser as it was booked.

/// "Test & kvalitet" under "&Money ApS" / "Betalingsplatform" / "Fase 2 – Udvikling".
const TEST_OG_KVALITET: u64 = 4104;
/// `Rapport "v2"` under `"Quoted" Consulting` / "Rådgivning <Cloud>" / "Review".
const RAPPORT_V2: u64 = 4404;
/// The fake's "Overtime 50 %" kind: billable, so it shares the "Billable" row.
const KIND_OVERTIME: u64 = 14;
/// Days in a week, as the parsed page holds them.
const DAYS_PER_WEEK: usize = 7;

fn june_2025(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, day).expect("valid test date")
}

fn booking(day: u32, hours: f64, activity_id: u64, kind_id: u64) -> Booking {
    Booking {
        date: june_2025(day),
        hours,
        activity_id,
        kind_id,
        note: String::new(),
        contact_name: String::new(),
    }
}

/// A week of hours with `Some` on the given (day index, hours) and `None` elsewhere.
fn week_hours(days: &[(usize, f64)]) -> [Option<f64>; DAYS_PER_WEEK] {
    let mut week = [None; DAYS_PER_WEEK];
    for &(day, value) in days {
        week[day] = Some(value);
    }
    week
}

fn row(path: [&str; 4], billable: bool, days: &[(usize, f64)], total: f64) -> WeekRow {
    let [customer, project, phase, activity] = path.map(str::to_owned);
    WeekRow {
        customer: Some(customer),
        project: Some(project),
        phase: Some(phase),
        activity,
        billable,
        hours: week_hours(days),
        total: Some(total),
    }
}

/// The week of Monday 2 June 2025 with bookings on several days; same day, activity and
/// billability add up in the fake; the booking on 9 June belongs to the next week.
fn fake_week_page() -> String {
    let bookings = [
        booking(2, 2.5, data::UDVIKLING_ACTIVITY_ID, data::KIND_BILLABLE),
        booking(2, 5.0, data::UDVIKLING_ACTIVITY_ID, KIND_OVERTIME),
        booking(3, 1.0, data::UDVIKLING_ACTIVITY_ID, data::KIND_NOT_BILLABLE),
        booking(4, 0.25, RAPPORT_V2, data::KIND_NOT_BILLABLE),
        booking(5, 3.0, TEST_OG_KVALITET, data::KIND_BILLABLE),
        booking(5, 0.5, TEST_OG_KVALITET, data::KIND_BILLABLE),
        booking(8, 1.25, TEST_OG_KVALITET, data::KIND_BILLABLE),
        booking(9, 9.0, TEST_OG_KVALITET, data::KIND_BILLABLE),
    ];
    render_week_page(june_2025(4), &bookings)
}

#[test]
fn fake_week_reads_back_as_booked() {
    let page = parse_week(&fake_week_page()).expect("a week page");
    let money = ["&Money ApS", "Betalingsplatform", "Fase 2 – Udvikling"];
    let aero = ["Ærø Fødevarer A/S", "Lagerstyring på Ærø", "Udvikling"];
    let quoted = ["\"Quoted\" Consulting", "Rådgivning <Cloud>", "Review"];
    let with = |groups: [&'static str; 3], activity: &'static str| {
        [groups[0], groups[1], groups[2], activity]
    };
    let expected = vec![
        row(
            with(money, "Test & kvalitet"),
            true,
            &[(3, 3.5), (6, 1.25)],
            4.75,
        ),
        row(with(aero, "Udvikling"), true, &[(0, 7.5)], 7.5),
        row(with(aero, "Udvikling"), false, &[(1, 1.0)], 1.0),
        row(with(quoted, "Rapport \"v2\""), false, &[(2, 0.25)], 0.25),
    ];
    assert_eq!(page.rows, expected);
    let day_totals = [7.5, 1.0, 0.25, 3.5, 0.0, 0.0, 1.25].map(Some);
    assert_eq!(page.day_totals, day_totals);
}

#[test]
fn the_script_template_decoy_is_not_parsed() {
    let html = fake_week_page();
    assert!(
        html.contains("{{name}}") && html.contains("99,99"),
        "decoy present"
    );
    let page = parse_week(&html).expect("a week page");
    assert!(page.rows.iter().all(|r| !r.activity.contains("{{name}}")));
    let all_numbers = page
        .rows
        .iter()
        .flat_map(|r| r.hours.iter().chain([&r.total]))
        .chain(&page.day_totals);
    assert!(all_numbers.flatten().all(|h| *h != 99.99));
}

#[test]
fn empty_week_has_no_rows_and_zero_day_totals() {
    let page = parse_week(&render_week_page(june_2025(4), &[])).expect("a week page");
    assert!(page.rows.is_empty());
    assert_eq!(page.day_totals, [Some(0.0); DAYS_PER_WEEK]);
}

#[tokio::test]
async fn our_client_walks_the_catalogue_books_and_reads_the_week_back() {
    let fake = FakeUpstream::start().await.expect("fake starts");
    let base = url::Url::parse(&fake.url()).expect("a URL");
    let tidsreg = Tidsreg::new(base).expect("client builds");
    let session = tidsreg
        .login(DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .expect("signed in");
    let date = june_2025(2);
    let lookup = |id: u64, name: &str| Lookup {
        id,
        name: name.into(),
    };

    let customers = tidsreg.customers(&session, date).await.expect("customers");
    assert_eq!(customers.len(), data::CUSTOMERS.len());
    let projects = tidsreg
        .projects(&session, 20417, date)
        .await
        .expect("projects");
    assert_eq!(projects[0], lookup(2201, "Lagerstyring på Ærø"));
    let phases = tidsreg.phases(&session, 2201, date).await.expect("phases");
    assert_eq!(phases[0], lookup(3201, "Udvikling"));
    let activities = tidsreg.activities(&session, 3201, date).await;
    assert_eq!(
        activities.expect("activities")[1],
        lookup(4202, "Udvikling af rapporter")
    );
    let kinds = tidsreg.kinds(&session, "Intern tid", "Møder").await;
    assert_eq!(kinds.expect("kinds"), [lookup(16, "Not billable")]);
    assert_eq!(fake.controls().requests_to("/Find"), 5);

    let sent = Booking {
        note: "Lager & \"rapporter\"".into(),
        contact_name: "Søren".into(),
        ..booking(2, 7.5, data::UDVIKLING_ACTIVITY_ID, data::KIND_BILLABLE)
    };
    tidsreg.book(&session, &sent).await.expect("booked");
    assert_eq!(fake.controls().bookings(DEMO_USERNAME), [sent]);
    let week = tidsreg.week(&session, june_2025(4)).await.expect("a week");
    assert_eq!(week.rows.len(), 1);
    assert_eq!(week.rows[0].activity, "Udvikling");
    assert_eq!(week.rows[0].hours, week_hours(&[(0, 7.5)]));
}

//! `/mcp` driven by a real MCP client (the official Rust SDK's streamable HTTP client), over
//! real HTTP, against the fake upstream: handshake, tool list and annotations, every tool,
//! errors as tool errors naming the field, and callers kept apart.

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use tidsreg_gpt::fake::{ANNA_PASSWORD, ANNA_USERNAME, DEMO_PASSWORD, DEMO_USERNAME};

use crate::fixture::oauth::sign_in;
use crate::fixture::{KEY_A, KEY_B, TestServer, id_of, start};

type Client = RunningService<RoleClient, ()>;

/// Tools that only read, and so must say so.
const READ_ONLY: &[&str] = &[
    "list_customers",
    "list_projects",
    "list_phases",
    "list_activities",
    "list_kinds",
    "get_hours",
    "get_week",
    "search",
    "get_report",
    "copy_week",
];

/// An MCP client connected to `/mcp` with `token` as its bearer.
async fn connect(server: &TestServer, token: &str) -> Client {
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", server.url))
        .auth_header(token.to_string());
    let transport = StreamableHttpClientTransport::from_config(config);
    ().serve(transport).await.expect("MCP handshake")
}

async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("{tool} failed at the protocol level: {e}"))
}

/// The text of a tool result.
fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A successful tool result's JSON: its structured content, which the text repeats. A list
/// travels wrapped as `{"items": [...]}`; the list is what this answers.
fn ok_json(result: &CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "tool error: {}", text(result));
    let structured = result
        .structured_content
        .clone()
        .unwrap_or_else(|| panic!("no structured content: {}", text(result)));
    let as_text: Value = serde_json::from_str(&text(result)).unwrap();
    assert_eq!(structured, as_text, "the text carries the same JSON");
    let object = structured
        .as_object()
        .expect("structured content is an object");
    match object.get("items") {
        Some(items) if object.len() == 1 => items.clone(),
        _ => structured,
    }
}

/// A tool error's words.
fn error_text(result: &CallToolResult) -> String {
    assert_eq!(
        result.is_error,
        Some(true),
        "expected a tool error: {}",
        text(result)
    );
    text(result)
}

fn tool<'a>(tools: &'a [Tool], name: &str) -> &'a Tool {
    tools
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no tool {name}"))
}

#[tokio::test]
async fn handshake_gives_instructions_and_tools_say_what_they_do() {
    let server = start().await;
    let client = connect(&server, KEY_A).await;
    let info = client.peer_info().expect("server info after the handshake");
    let instructions = info.instructions.clone().unwrap_or_default();
    assert!(instructions.contains("list_customers"), "{instructions}");
    assert!(instructions.contains("YYYY-MM-DD"), "{instructions}");

    let tools = client.list_all_tools().await.unwrap();
    for name in READ_ONLY {
        let annotations = tool(&tools, name).annotations.clone().expect("annotations");
        assert_eq!(annotations.read_only_hint, Some(true), "{name}");
        assert!(tool(&tools, name).description.is_some(), "{name}");
    }
    let login = tool(&tools, "login").annotations.clone().unwrap();
    assert_eq!(login.read_only_hint, Some(false));
    assert_eq!(login.destructive_hint, Some(false));
    let batch = tool(&tools, "register_hours_batch")
        .annotations
        .clone()
        .unwrap();
    assert_eq!(batch.read_only_hint, Some(false));
    assert_eq!(batch.destructive_hint, Some(false));
    assert_eq!(batch.open_world_hint, Some(false));
    // Ids are integers and dates strings in the input schemas.
    let projects = serde_json::to_value(&tool(&tools, "list_projects").input_schema).unwrap();
    assert_eq!(
        projects["properties"]["customerId"]["type"], "integer",
        "{projects}"
    );
    assert_eq!(
        projects["properties"]["date"]["type"], "string",
        "{projects}"
    );
    assert_eq!(projects["required"], json!(["customerId"]), "{projects}");
}

#[tokio::test]
async fn every_tool_answers_from_the_fake_upstream_after_login() {
    let server = start().await;
    let client = connect(&server, KEY_A).await;
    let before = call(&client, "list_customers", json!({})).await;
    assert!(error_text(&before).contains("call `login`"));

    let login = call(
        &client,
        "login",
        json!({ "username": DEMO_USERNAME, "password": DEMO_PASSWORD }),
    )
    .await;
    assert_eq!(ok_json(&login)["signedIn"], true);

    let customers =
        ok_json(&call(&client, "list_customers", json!({ "date": "2026-03-02" })).await);
    let money = id_of(&customers, "&Money ApS");
    let projects = ok_json(
        &call(
            &client,
            "list_projects",
            json!({ "customerId": money, "date": "2026-03-02" }),
        )
        .await,
    );
    let project = projects[0].clone();
    let phases = ok_json(
        &call(
            &client,
            "list_phases",
            json!({ "projectId": project["id"] }),
        )
        .await,
    );
    let activities = ok_json(
        &call(
            &client,
            "list_activities",
            json!({ "phaseId": phases[0]["id"] }),
        )
        .await,
    );
    let kinds = ok_json(
        &call(
            &client,
            "list_kinds",
            json!({ "projectName": project["name"], "activityName": activities[0]["name"] }),
        )
        .await,
    );
    assert_eq!(id_of(&kinds, "Billable"), 13);

    // The same answer as the REST API gives for the same caller.
    let (_, rest) = server
        .get(Some(KEY_A), "/api/customers?date=2026-03-02")
        .await;
    assert_eq!(customers, rest);
}

#[tokio::test]
async fn search_booking_hours_and_reports_work_as_over_rest() {
    let server = start().await;
    let client = connect(&server, KEY_A).await;
    call(
        &client,
        "login",
        json!({ "username": DEMO_USERNAME, "password": DEMO_PASSWORD }),
    )
    .await;

    let hits = ok_json(&call(&client, "search", json!({ "q": "aeroe udvikling" })).await);
    let top = &hits["results"][0];
    assert_eq!(top["activity"]["name"], "Udvikling", "{hits}");
    let booking = json!({
        "date": "2026-03-03", "hours": 2.5,
        "activityId": top["activity"]["id"], "kindId": 13, "note": "via MCP"
    });
    let booked = ok_json(&call(&client, "register_hours", booking.clone()).await);
    assert_eq!(booked["replayed"], false);
    assert_eq!(booked["day"]["total"], 2.5);
    let again = ok_json(&call(&client, "register_hours", booking).await);
    assert_eq!(again["replayed"], true, "a retry books nothing");
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 1);

    let week = ok_json(&call(&client, "get_hours", json!({ "date": "2026-03-05" })).await);
    let (_, rest_week) = server.get(Some(KEY_A), "/api/hours?date=2026-03-05").await;
    assert_eq!(week, rest_week);
    let bounds = ok_json(&call(&client, "get_week", json!({ "year": 2026, "week": 10 })).await);
    assert_eq!(bounds["start"], "2026-03-02");
    let report = ok_json(
        &call(
            &client,
            "get_report",
            json!({ "from": "2026-03-01", "to": "2026-03-31" }),
        )
        .await,
    );
    assert_eq!(report["total"], 2.5);
    let bad = call(
        &client,
        "register_hours",
        json!({ "date": "2026-03-03", "hours": 25, "activityId": 4201, "kindId": 13 }),
    )
    .await;
    assert!(error_text(&bad).contains("`hours`"));
    let tools = client.list_all_tools().await.unwrap();
    let register = tool(&tools, "register_hours").annotations.clone().unwrap();
    assert_eq!(
        register.read_only_hint,
        Some(false),
        "booking is marked as writing"
    );
}

#[tokio::test]
async fn a_week_is_copied_and_booked_in_one_batch_as_over_rest() {
    let server = start().await;
    let client = connect(&server, KEY_A).await;
    let login = json!({ "username": DEMO_USERNAME, "password": DEMO_PASSWORD });
    ok_json(&call(&client, "login", login).await);
    let booking = json!({ "date": "2026-03-03", "hours": 7.5, "activityId": 4201, "kindId": 13 });
    ok_json(&call(&client, "register_hours", booking).await);

    let range = json!({ "from": "2026-03-03", "to": "2026-03-10" });
    let plan = ok_json(&call(&client, "copy_week", range).await);
    let (_, rest_plan) = server
        .get(Some(KEY_A), "/api/week/copy?from=2026-03-03&to=2026-03-10")
        .await;
    assert_eq!(plan, rest_plan);
    assert_eq!(plan["lines"][0]["date"], "2026-03-10", "{plan}");

    let dry = json!({ "lines": plan["lines"], "dryRun": true });
    let dry = ok_json(&call(&client, "register_hours_batch", dry).await);
    assert_eq!(dry["lines"][0]["status"], "planned", "{dry}");
    let batch = json!({ "lines": plan["lines"] });
    let booked = ok_json(&call(&client, "register_hours_batch", batch.clone()).await);
    assert_eq!(booked["lines"][0]["status"], "booked", "{booked}");
    let again = ok_json(&call(&client, "register_hours_batch", batch).await);
    assert_eq!(again["lines"][0]["status"], "replayed", "{again}");
    assert_eq!(server.controls.bookings(DEMO_USERNAME).len(), 2);

    let bad = json!({ "lines": [{ "date": "2026-03-10", "hours": 1, "activityId": 999999, "kindId": 13 }] });
    let refused = error_text(&call(&client, "register_hours_batch", bad).await);
    assert!(refused.contains("lines[0]: activityId 999999"), "{refused}");
}

#[tokio::test]
async fn bad_arguments_are_tool_errors_naming_the_field() {
    let server = start().await;
    let client = connect(&server, KEY_A).await;
    call(
        &client,
        "login",
        json!({ "username": DEMO_USERNAME, "password": DEMO_PASSWORD }),
    )
    .await;
    let cases = [
        ("list_projects", json!({}), "customerId"),
        (
            "list_projects",
            json!({ "customerId": "abc" }),
            "customerId",
        ),
        ("list_projects", json!({ "customerId": 0 }), "customerId"),
        ("list_phases", json!({ "projectId": -3 }), "projectId"),
        ("list_activities", json!({ "phaseId": 1.5 }), "phaseId"),
        ("list_customers", json!({ "date": "2026-02-30" }), "date"),
        ("list_customers", json!({ "date": 20260301 }), "date"),
        ("list_kinds", json!({ "projectName": "X" }), "activityName"),
        ("login", json!({ "username": "demo" }), "password"),
    ];
    for (tool, arguments, field) in cases {
        let message = error_text(&call(&client, tool, arguments.clone()).await);
        assert!(
            message.contains(&format!("`{field}`")),
            "{tool} {arguments}: {message}"
        );
    }
    let wrong = call(
        &client,
        "login",
        json!({ "username": "demo", "password": "nope" }),
    )
    .await;
    assert!(error_text(&wrong).contains("username or password"));
}

#[tokio::test]
async fn one_caller_never_sees_anothers_session() {
    let server = start().await;
    let a = connect(&server, KEY_A).await;
    let b = connect(&server, KEY_B).await;
    call(
        &a,
        "login",
        json!({ "username": DEMO_USERNAME, "password": DEMO_PASSWORD }),
    )
    .await;
    ok_json(&call(&a, "list_customers", json!({})).await);
    let message = error_text(&call(&b, "list_customers", json!({})).await);
    assert!(message.contains("not signed in"), "{message}");

    // An OAuth caller has its own session too, and is not offered `login`.
    let (_, tokens) = sign_in(&server, ANNA_USERNAME, ANNA_PASSWORD).await;
    let anna = connect(&server, &tokens.access).await;
    let tools = anna.list_all_tools().await.unwrap();
    assert!(tools.iter().all(|t| t.name != "login"), "{tools:?}");
    ok_json(&call(&anna, "list_customers", json!({})).await);
    let refused = call(
        &anna,
        "login",
        json!({ "username": "demo", "password": "demo" }),
    )
    .await;
    assert!(error_text(&refused).contains("already signed in"));
    // B is still nobody.
    assert!(error_text(&call(&b, "list_customers", json!({})).await).contains("not signed in"));
}

#[tokio::test]
async fn without_a_valid_token_the_handshake_is_refused() {
    let server = start().await;
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", server.url))
        .auth_header("tgpt_at_not-a-token".to_string());
    let transport = StreamableHttpClientTransport::from_config(config);
    assert!(().serve(transport).await.is_err());
}

/// Password guessing through the MCP `login` tool meets the same login budget as
/// `POST /api/login`: the door counts a `tools/call` of `login` as a login.
#[tokio::test]
async fn guessing_passwords_through_the_login_tool_is_limited() {
    let server = start().await;
    server.start_of_a_minute();
    let call = |attempt: usize| {
        json!({
            "jsonrpc": "2.0",
            "id": attempt,
            "method": "tools/call",
            "params": {
                "name": "login",
                "arguments": {"username": DEMO_USERNAME, "password": format!("guess-{attempt}")}
            }
        })
    };
    let mut refused_at = None;
    for attempt in 1..=60 {
        let response = server
            .request(reqwest::Method::POST, "/mcp")
            .bearer_auth(KEY_A)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18")
            .json(&call(attempt))
            .send()
            .await
            .unwrap();
        if response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let retry_after: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry_after), "{retry_after}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["data"]["code"], "rate_limited", "{body}");
            let words = body["error"]["message"].as_str().unwrap();
            assert!(
                words.contains(&format!("wait {retry_after} seconds")),
                "{body}"
            );
            refused_at = Some(attempt);
            break;
        }
        assert_eq!(
            response.status(),
            reqwest::StatusCode::OK,
            "attempt {attempt}"
        );
    }
    let refused_at = refused_at.expect("60 wrong passwords were all let through");
    let budget = tidsreg_gpt::settings::serve_settings::DEFAULT_LOGINS_PER_MINUTE as usize;
    assert_eq!(
        refused_at,
        budget + 1,
        "refused right after the login budget"
    );
    // Other tools of the same caller are not held up by the login budget.
    let list = json!({"jsonrpc": "2.0", "id": 99, "method": "tools/list"});
    let response = server
        .request(reqwest::Method::POST, "/mcp")
        .bearer_auth(KEY_A)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&list)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
}

/// Every tool's answer matches the output schema it declares, checked with a JSON Schema
/// validator on real answers from the fake upstream.
#[tokio::test]
async fn every_answer_matches_its_tools_output_schema() {
    let server = start().await;
    server.login(KEY_A).await;
    let client = connect(&server, KEY_A).await;
    let tools = client.list_all_tools().await.unwrap();
    let customers = ok_json(&call(&client, "list_customers", json!({})).await);
    let money = id_of(&customers, "&Money ApS");
    let calls = [
        ("list_customers", json!({})),
        ("list_projects", json!({"customerId": money})),
        ("get_hours", json!({"date": "2026-03-02"})),
        ("get_week", json!({"year": 2026, "week": 10})),
        ("search", json!({"q": "money udvikling"})),
        (
            "get_report",
            json!({"from": "2026-03-01", "to": "2026-03-31"}),
        ),
        (
            "copy_week",
            json!({"from": "2026-03-02", "to": "2026-03-09"}),
        ),
        (
            "register_hours_batch",
            json!({"dryRun": true, "lines": [{"date": "2026-03-09", "hours": 1, "activityId": 4201, "kindId": 13}]}),
        ),
    ];
    for (name, arguments) in calls {
        let tool = tool(&tools, name);
        let schema =
            Value::Object((*tool.output_schema.clone().expect("an output schema")).clone());
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("{name}: the output schema is not a schema: {e}"));
        let result = call(&client, name, arguments).await;
        assert_ne!(result.is_error, Some(true), "{name}: {}", text(&result));
        let structured = result.structured_content.clone().unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&structured)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}\n{structured}");
    }
}

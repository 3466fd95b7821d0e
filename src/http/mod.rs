//! The app root: the state every request may use ([`AppState`], built in one place from an
//! [`AppConfig`]), the router ([`app`]), and the two layers every request passes: the
//! [`frame`] (limits, deadline, JSON errors, the log line) and the [`door`] (who is calling,
//! and every rate limit). Under them sit the REST routes ([`api`]), the MCP endpoint
//! ([`mcp`]) and the OAuth server ([`oauth`]); none of the three imports another.

pub mod allowed_origins;
pub mod api;
pub mod api_keys;
pub mod connections;
pub mod door;
pub mod error;
pub mod frame;
pub mod icon;
pub mod live_text;
pub mod login_budget;
pub mod mcp;
pub mod oauth;
pub mod public_url;
pub mod rate_limits;
pub mod refusal_log;
mod state;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};

pub use connections::{ConnectionLimits, serve};
pub use live_text::LiveSchema;
pub use state::{AppConfig, AppState};

/// The whole HTTP app, apart from serving, so tests can also drive it directly. Every route
/// sits behind the door; the frame wraps everything, the door's refusals included.
pub fn app(state: AppState) -> Router {
    let routes = api::router(state.ops.clone(), state.schema.clone())
        .merge(oauth::router(state.oauth.clone()))
        .merge(mcp::router(state.ops.clone(), state.public_url.clone()));
    // No CORS layer on purpose: GPT Actions and MCP clients call server to server, so no
    // browser origin is ever allowed to read answers (the seed echoed any origin).
    routes
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(from_fn_with_state(state, door::door))
        .layer(from_fn(mcp::json_rpc_errors))
        .layer(DefaultBodyLimit::max(frame::MAX_BODY_BYTES))
        .layer(from_fn(frame::frame))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::mcp::McpServer;

    /// `getHours` → `get_hours`: the tool of a REST operation.
    fn tool_name(operation_id: &str) -> String {
        operation_id.chars().fold(String::new(), |mut name, c| {
            if c.is_ascii_uppercase() {
                name.push('_');
            }
            name.push(c.to_ascii_lowercase());
            name
        })
    }

    fn words(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// `#/components/…/Name` of the schema, resolved.
    fn resolve<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => reference
                .trim_start_matches("#/")
                .split('/')
                .fold(schema, |node, part| &node[part]),
            None => node,
        }
    }

    /// Parameter and body-field descriptions of one REST operation, by name.
    fn rest_fields(schema: &Value, operation: &Value) -> BTreeMap<String, String> {
        let mut fields = BTreeMap::new();
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let parameter = resolve(schema, parameter);
            let name = parameter["name"].as_str().unwrap_or_default();
            let description = parameter["description"].as_str().unwrap_or_default();
            fields.insert(name.to_string(), words(description));
        }
        let body = &operation["requestBody"]["content"]["application/json"]["schema"];
        let body = resolve(schema, body);
        for (name, property) in body["properties"].as_object().into_iter().flatten() {
            let description = property["description"].as_str().unwrap_or_default();
            fields.insert(name.clone(), words(description));
        }
        fields
    }

    /// The Action schema and the MCP tools describe each operation's inputs with the same
    /// names and the same words, since both come from one place per operation (the ops
    /// input types for the tools; the template's entry is checked against them here).
    #[test]
    fn the_schema_and_the_tools_describe_each_input_alike() {
        let yaml = crate::schema::render("https://example.test").unwrap();
        let schema: Value = yaml_serde::from_str(&yaml).unwrap();
        let tools: BTreeMap<String, Value> = McpServer::all_tools()
            .into_iter()
            .map(|tool| {
                (
                    tool.name.to_string(),
                    Value::Object((*tool.input_schema).clone()),
                )
            })
            .collect();
        let mut compared = 0;
        let mut differences = Vec::new();
        let paths = schema["paths"].as_object().unwrap();
        for (path, methods) in paths.iter().filter(|(path, _)| path.starts_with("/api/")) {
            for (method, operation) in methods.as_object().unwrap() {
                let Some(id) = operation["operationId"].as_str() else {
                    continue;
                };
                let tool = tools
                    .get(&tool_name(id))
                    .unwrap_or_else(|| panic!("{method} {path} ({id}) has no MCP tool"));
                let from_tool: BTreeMap<String, String> = tool["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, p)| {
                        let description = p["description"].as_str().unwrap_or_default();
                        (name.clone(), words(description))
                    })
                    .collect();
                let from_rest = rest_fields(&schema, operation);
                if from_rest != from_tool {
                    differences.push(format!(
                        "{id}:\n  schema {from_rest:?}\n  tool   {from_tool:?}"
                    ));
                }
                compared += 1;
            }
        }
        assert!(differences.is_empty(), "{}", differences.join("\n"));
        assert_eq!(super::oauth::MCP_PATH, super::mcp::MCP_PATH);
        assert_eq!(compared, tools.len(), "every tool is a REST operation too");
    }
}

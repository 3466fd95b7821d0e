//! Every tool's `outputSchema`: the JSON Schema of its operation's answer as structured
//! content ([`Answer::to_object`]). The table names each tool's *input* type; the
//! operation that input runs says what it answers, so a tool cannot be given another
//! operation's schema. A test checks every tool has one, and that the input type named here
//! is the tool's own.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool};

use crate::ops::{
    ActivitiesInput, Answer, BatchInput, CopyWeekInput, CustomersInput, HoursInput, KindsInput,
    LoginInput, Operation, PhasesInput, ProjectsInput, RegisterInput, ReportInput, SearchInput,
    WeekInput,
};

/// A tool and the input type its operation takes.
struct ToolOutput {
    tool: &'static str,
    output: fn() -> Arc<JsonObject>,
    #[cfg(test)]
    input: fn() -> serde_json::Value,
}

macro_rules! outputs {
    ($($tool:literal => $input:ty),* $(,)?) => {
        &[$(ToolOutput {
            tool: $tool,
            output: output_schema::<$input>,
            #[cfg(test)]
            input: || serde_json::to_value(schemars::schema_for!($input)).unwrap(),
        }),*]
    };
}

const OUTPUTS: &[ToolOutput] = outputs!(
    "login" => LoginInput,
    "list_customers" => CustomersInput,
    "list_projects" => ProjectsInput,
    "list_phases" => PhasesInput,
    "list_activities" => ActivitiesInput,
    "list_kinds" => KindsInput,
    "get_hours" => HoursInput,
    "register_hours" => RegisterInput,
    "register_hours_batch" => BatchInput,
    "copy_week" => CopyWeekInput,
    "get_week" => WeekInput,
    "search" => SearchInput,
    "get_report" => ReportInput,
);

/// The output schema of the operation `I` runs, as an MCP tool declares it.
fn output_schema<I: Operation>() -> Arc<JsonObject> {
    let schema = <I::Output as Answer>::object_schema();
    match serde_json::to_value(schema) {
        Ok(serde_json::Value::Object(object)) => Arc::new(object),
        _ => unreachable!("a derived JSON Schema is an object"),
    }
}

/// `tool` with its output schema, when the table has one.
pub(super) fn with_output_schema(mut tool: Tool) -> Tool {
    if let Some(entry) = OUTPUTS.iter().find(|entry| entry.tool == tool.name) {
        tool.output_schema = Some((entry.output)());
    }
    tool
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::mcp::McpServer;

    #[test]
    fn every_tool_declares_the_output_of_its_own_operation() {
        for tool in McpServer::all_tools() {
            let entry = OUTPUTS
                .iter()
                .find(|entry| entry.tool == tool.name)
                .unwrap_or_else(|| panic!("{} has no output schema", tool.name));
            let declared = serde_json::Value::Object((*tool.input_schema).clone());
            let table = (entry.input)();
            assert_eq!(
                declared["properties"], table["properties"],
                "{}: the table names another input type",
                tool.name
            );
            let output = tool
                .output_schema
                .expect("all_tools carries output schemas");
            assert_eq!(output["type"], "object", "{}", tool.name);
        }
    }
}

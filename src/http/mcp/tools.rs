//! The MCP tools of signing in and the lookups: one per operation, each a thin adapter that
//! hands the operation's own input type (whose JSON Schema is the tool's input schema) to
//! [`McpServer::run`]. Validation and its words live only in `ops`: a bad `customerId` gets
//! the same sentence as over REST, as a tool error the model can act on.

use axum::http::request::Parts;
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::{ErrorData, tool, tool_router};

use super::McpServer;
use crate::ops::{
    ActivitiesInput, Answer, CustomersInput, KindsInput, LoginInput, OpError, Operation,
    PhasesInput, ProjectsInput,
};
use crate::store::CallerId;

/// The name of the tool OAuth callers are never offered: they signed in on our page.
pub const LOGIN_TOOL: &str = "login";

pub(super) type ToolAnswer = Result<CallToolResult, ErrorData>;

impl McpServer {
    /// Runs `input`'s operation for the caller the door put on the HTTP request.
    pub(super) async fn run<I: Operation>(&self, parts: &Parts, input: I) -> ToolAnswer {
        let caller = caller(parts)?;
        Ok(answer(input.run(&self.ops, &caller).await))
    }
}

#[tool_router(vis = "pub(super)")]
impl McpServer {
    /// Signs the user in to Tidsreg with their own username and password. Call it only when another tool answered that the user is not signed in or that the session expired.
    #[tool(
        name = "login",
        title = "Sign in to Tidsreg",
        annotations(
            title = "Sign in to Tidsreg",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn login(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(input): Parameters<LoginInput>,
    ) -> ToolAnswer {
        self.run(&parts, input).await
    }

    /// Customers the user can book hours on at a date: [{"id", "name"}].
    #[tool(
        name = "list_customers",
        title = "List customers",
        annotations(
            title = "List customers",
            read_only_hint = true,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn list_customers(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(input): Parameters<CustomersInput>,
    ) -> ToolAnswer {
        self.run(&parts, input).await
    }

    /// Projects of a customer at a date: [{"id", "name"}].
    #[tool(
        name = "list_projects",
        title = "List projects",
        annotations(
            title = "List projects",
            read_only_hint = true,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn list_projects(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(input): Parameters<ProjectsInput>,
    ) -> ToolAnswer {
        self.run(&parts, input).await
    }

    /// Phases of a project at a date: [{"id", "name"}].
    #[tool(
        name = "list_phases",
        title = "List phases",
        annotations(
            title = "List phases",
            read_only_hint = true,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn list_phases(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(input): Parameters<PhasesInput>,
    ) -> ToolAnswer {
        self.run(&parts, input).await
    }

    /// Activities of a phase at a date, the things hours are booked on: [{"id", "name"}].
    #[tool(
        name = "list_activities",
        title = "List activities",
        annotations(
            title = "List activities",
            read_only_hint = true,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn list_activities(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(input): Parameters<ActivitiesInput>,
    ) -> ToolAnswer {
        self.run(&parts, input).await
    }

    /// Kinds of work (Billable, Not billable, Overtime...) allowed for a project's activity, looked up by their NAMES: [{"id", "name"}].
    #[tool(
        name = "list_kinds",
        title = "List kinds of work",
        annotations(
            title = "List kinds of work",
            read_only_hint = true,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn list_kinds(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(input): Parameters<KindsInput>,
    ) -> ToolAnswer {
        self.run(&parts, input).await
    }
}

/// Who is calling, as the door in front of `/mcp` put it on the HTTP request.
pub(super) fn caller(parts: &Parts) -> Result<CallerId, ErrorData> {
    parts.extensions.get::<CallerId>().cloned().ok_or_else(|| {
        ErrorData::internal_error("no caller identity: /mcp must sit behind the door", None)
    })
}

/// The one mapping from an operation's result to a tool result: the answer as structured
/// content (one object, matching the tool's output schema) and the same JSON as text for
/// clients that read only text; or the error's own words as a tool error (`isError: true`).
pub(super) fn answer<T: Answer>(result: Result<T, OpError>) -> CallToolResult {
    let object = match result {
        Ok(value) => value.to_object(),
        Err(error) => return CallToolResult::error(vec![ContentBlock::text(error.to_string())]),
    };
    match object {
        Ok(object) => CallToolResult::structured(object),
        Err(e) => CallToolResult::error(vec![ContentBlock::text(format!(
            "the answer could not be encoded ({e}); try again"
        ))]),
    }
}

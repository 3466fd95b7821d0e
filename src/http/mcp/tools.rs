//! The MCP tools: one per operation, each a thin adapter over [`Ops`]. Arguments are taken
//! leniently (any JSON value) and handed to the operation as text, so validation and its
//! words live only in `ops`: a bad `customerId` gets the same sentence as over REST, as a
//! tool error the model can act on, never a protocol error it cannot see.

use axum::http::request::Parts;
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::{ErrorData, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::McpServer;
use crate::ops::{KindsInput, ListInput, LoginInput, OpError};
use crate::store::CallerId;

/// The name of the tool OAuth callers are never offered: they signed in on our page.
pub const LOGIN_TOOL: &str = "login";

/// `login` arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct LoginArgs {
    /// The user's Tidsreg username.
    #[schemars(with = "String")]
    username: Option<Value>,
    /// The user's Tidsreg password. Never repeat it to the user.
    #[schemars(with = "String")]
    password: Option<Value>,
}

/// Arguments of `list_customers`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DateArgs {
    /// The day to book on, YYYY-MM-DD (e.g. 2026-03-31); defaults to today. Customers, projects and activities can be open on some days and closed on others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("format" = "date"))]
    date: Option<Value>,
}

/// Arguments of `list_projects`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectsArgs {
    /// The customer's `id`, from `list_customers`.
    #[schemars(with = "u64", range(min = 1))]
    customer_id: Option<Value>,
    #[serde(flatten)]
    day: DateArgs,
}

/// Arguments of `list_phases`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PhasesArgs {
    /// The project's `id`, from `list_projects`.
    #[schemars(with = "u64", range(min = 1))]
    project_id: Option<Value>,
    #[serde(flatten)]
    day: DateArgs,
}

/// Arguments of `list_activities`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivitiesArgs {
    /// The phase's `id`, from `list_phases`.
    #[schemars(with = "u64", range(min = 1))]
    phase_id: Option<Value>,
    #[serde(flatten)]
    day: DateArgs,
}

/// Arguments of `list_kinds`: names, not ids, as Tidsreg looks kinds up.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KindsArgs {
    /// The project's NAME, exactly as `list_projects` gave it.
    #[schemars(with = "String")]
    project_name: Option<Value>,
    /// The activity's NAME, exactly as `list_activities` gave it.
    #[schemars(with = "String")]
    activity_name: Option<Value>,
}

pub(super) type ToolAnswer = Result<CallToolResult, ErrorData>;

#[tool_router(vis = "pub(super)")]
impl McpServer {
    /// Signs the user in to Tidsreg with their own username and password. Call it only when another tool answered that the user is not signed in or that the session expired.
    #[tool(
        name = "login",
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
        Parameters(args): Parameters<LoginArgs>,
    ) -> ToolAnswer {
        let caller = caller(&parts)?;
        let input = LoginInput {
            username: text(args.username),
            password: text(args.password).map(Into::into),
        };
        Ok(answer(self.ops.login(&caller, input).await))
    }

    /// Customers the user can book hours on at a date: [{"id", "name"}].
    #[tool(
        name = "list_customers",
        annotations(
            title = "List customers",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn list_customers(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(args): Parameters<DateArgs>,
    ) -> ToolAnswer {
        let caller = caller(&parts)?;
        let input = list_input(None, args);
        Ok(answer(self.ops.list_customers(&caller, input).await))
    }

    /// Projects of a customer at a date: [{"id", "name"}].
    #[tool(
        name = "list_projects",
        annotations(
            title = "List projects",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn list_projects(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(args): Parameters<ProjectsArgs>,
    ) -> ToolAnswer {
        let caller = caller(&parts)?;
        let input = list_input(args.customer_id, args.day);
        Ok(answer(self.ops.list_projects(&caller, input).await))
    }

    /// Phases of a project at a date: [{"id", "name"}].
    #[tool(
        name = "list_phases",
        annotations(title = "List phases", read_only_hint = true, open_world_hint = false)
    )]
    async fn list_phases(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(args): Parameters<PhasesArgs>,
    ) -> ToolAnswer {
        let caller = caller(&parts)?;
        let input = list_input(args.project_id, args.day);
        Ok(answer(self.ops.list_phases(&caller, input).await))
    }

    /// Activities of a phase at a date, the things hours are booked on: [{"id", "name"}].
    #[tool(
        name = "list_activities",
        annotations(
            title = "List activities",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn list_activities(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(args): Parameters<ActivitiesArgs>,
    ) -> ToolAnswer {
        let caller = caller(&parts)?;
        let input = list_input(args.phase_id, args.day);
        Ok(answer(self.ops.list_activities(&caller, input).await))
    }

    /// Kinds of work (Billable, Not billable, Overtime...) allowed for a project's activity, looked up by their NAMES: [{"id", "name"}].
    #[tool(
        name = "list_kinds",
        annotations(
            title = "List kinds of work",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn list_kinds(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(args): Parameters<KindsArgs>,
    ) -> ToolAnswer {
        let caller = caller(&parts)?;
        let input = KindsInput {
            project_name: text(args.project_name),
            activity_name: text(args.activity_name),
        };
        Ok(answer(self.ops.list_kinds(&caller, input).await))
    }
}

/// Who is calling, as the bearer check in front of `/mcp` put it on the HTTP request.
pub(super) fn caller(parts: &Parts) -> Result<CallerId, ErrorData> {
    parts.extensions.get::<CallerId>().cloned().ok_or_else(|| {
        ErrorData::internal_error(
            "no caller identity: /mcp must sit behind the bearer check",
            None,
        )
    })
}

/// The one mapping from an operation's result to a tool result: the value as JSON text, or
/// the error's own words as a tool error (`isError: true`).
pub(super) fn answer<T: Serialize>(result: Result<T, OpError>) -> CallToolResult {
    match result {
        Ok(value) => match serde_json::to_string(&value) {
            Ok(json) => CallToolResult::success(vec![ContentBlock::text(json)]),
            Err(e) => CallToolResult::error(vec![ContentBlock::text(format!(
                "the answer could not be encoded ({e}); try again"
            ))]),
        },
        Err(error) => CallToolResult::error(vec![ContentBlock::text(error.to_string())]),
    }
}

fn list_input(parent_id: Option<Value>, day: DateArgs) -> ListInput {
    ListInput {
        parent_id: text(parent_id),
        date: text(day.date),
    }
}

/// A JSON argument as the text the operation parses: strings as they are, numbers and
/// anything else as JSON, so the operation names the field and shows what it got.
pub(super) fn text(value: Option<Value>) -> Option<String> {
    crate::ops::params::text_of(value.as_ref())
}

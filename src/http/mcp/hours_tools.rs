//! The MCP tools past the lookups: reading and booking hours, ISO weeks, search and reports.
//! Thin adapters over [`crate::ops`], like the lookup tools in `tools.rs`.

use axum::http::request::Parts;
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{schemars, tool, tool_router};
use serde::Deserialize;
use serde_json::Value;

use super::McpServer;
use super::tools::{ToolAnswer, answer, caller, text};
use crate::ops::{HoursInput, RegisterInput, ReportInput, SearchInput, WeekInput};

/// Arguments of `get_hours`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct HoursArgs {
    /// Any day of the week to read, YYYY-MM-DD; defaults to today (this week).
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    date: Option<Value>,
}

/// Arguments of `register_hours`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterArgs {
    /// The day to book, YYYY-MM-DD.
    #[schemars(with = "String", extend("format" = "date"))]
    date: Option<Value>,
    /// Hours to book: more than 0, at most 24, at most two decimals (7.5).
    #[schemars(with = "f64")]
    hours: Option<Value>,
    /// The activity's `id`, from `search` or `list_activities`.
    #[schemars(with = "u64", range(min = 1))]
    activity_id: Option<Value>,
    /// The kind's `id`, from `list_kinds`.
    #[schemars(with = "u64", range(min = 1))]
    kind_id: Option<Value>,
    /// Invoice text shown to the customer; may be empty.
    #[schemars(with = "Option<String>")]
    note: Option<Value>,
    /// The customer's contact person, when the user names one.
    #[schemars(with = "Option<String>")]
    contact_name: Option<Value>,
}

/// Arguments of `get_week`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct WeekArgs {
    /// ISO week-numbering year, like 2026; defaults to the current one.
    #[schemars(with = "Option<i32>")]
    year: Option<Value>,
    /// ISO week number, 1 to 53; defaults to the current week.
    #[schemars(with = "Option<u32>")]
    week: Option<Value>,
}

/// Arguments of `search`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SearchArgs {
    /// The user's words for the place to book, like "acme portal development".
    #[schemars(with = "String")]
    q: Option<Value>,
    /// The day to book on, YYYY-MM-DD; defaults to today.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    date: Option<Value>,
    /// Most results, 1 to 50; defaults to 10.
    #[schemars(with = "Option<u32>")]
    limit: Option<Value>,
}

/// Arguments of `get_report`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ReportArgs {
    /// First day, YYYY-MM-DD; defaults to the first of the month of `to`.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    from: Option<Value>,
    /// Last day, YYYY-MM-DD; defaults to today. At most 92 days after `from`.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    to: Option<Value>,
}

#[tool_router(router = hours_router, vis = "pub(super)")]
impl McpServer {
    /// The hours registered in the ISO week (Monday to Sunday) holding a date: entries per day, day and week totals, and warnings to tell the user about.
    #[tool(
        name = "get_hours",
        annotations(
            title = "Read registered hours",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn get_hours(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(args): Parameters<HoursArgs>,
    ) -> ToolAnswer {
        let caller = caller(&parts)?;
        let input = HoursInput {
            date: text(args.date),
        };
        Ok(answer(self.ops.get_hours(&caller, input).await))
    }

    /// Books hours on an activity on one day, then answers the day as Tidsreg now shows it. Confirm date, hours, activity and kind with the user first. The same booking sent again within 10 minutes is booked once (`replayed: true`).
    #[tool(
        name = "register_hours",
        annotations(
            title = "Book hours",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn register_hours(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(args): Parameters<RegisterArgs>,
    ) -> ToolAnswer {
        let caller = caller(&parts)?;
        let input = RegisterInput {
            date: args.date,
            hours: args.hours,
            activity_id: args.activity_id,
            kind_id: args.kind_id,
            note: args.note,
            contact_name: args.contact_name,
        };
        Ok(answer(self.ops.register_hours(&caller, None, input).await))
    }

    /// The Monday and Sunday of an ISO week number (both default to the current week).
    #[tool(
        name = "get_week",
        annotations(
            title = "ISO week dates",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn get_week(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(args): Parameters<WeekArgs>,
    ) -> ToolAnswer {
        // Pure date arithmetic, but like every tool only for an authenticated caller.
        caller(&parts)?;
        let input = WeekInput {
            year: text(args.year),
            week: text(args.week),
        };
        Ok(answer(self.ops.get_week(input)))
    }

    /// Finds where to book from the user's words in one call: full paths (customer, project, phase, activity, with ids), best first. Use it before walking the lists.
    #[tool(
        name = "search",
        annotations(
            title = "Find where to book",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn search(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(args): Parameters<SearchArgs>,
    ) -> ToolAnswer {
        let caller = caller(&parts)?;
        let input = SearchInput {
            q: text(args.q),
            date: text(args.date),
            limit: text(args.limit),
        };
        Ok(answer(self.ops.search(&caller, input).await))
    }

    /// Where the user's time went over up to 92 days (default this month to date): totals, billable and not, by customer, project, activity and day, and short or empty working days.
    #[tool(
        name = "get_report",
        annotations(title = "Report hours", read_only_hint = true, open_world_hint = false)
    )]
    async fn get_report(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(args): Parameters<ReportArgs>,
    ) -> ToolAnswer {
        let caller = caller(&parts)?;
        let input = ReportInput {
            from: text(args.from),
            to: text(args.to),
        };
        Ok(answer(self.ops.get_report(&caller, input).await))
    }
}

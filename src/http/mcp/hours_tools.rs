//! The MCP tools past the lookups: reading and booking hours, ISO weeks, search and reports.
//! Thin adapters over [`crate::ops`], like the lookup tools in `tools.rs`.

use axum::http::request::Parts;
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};

use super::McpServer;
use super::tools::ToolAnswer;
use crate::ops::{
    BatchInput, CopyWeekInput, HoursInput, RegisterInput, ReportInput, SearchInput, WeekInput,
};

#[tool_router(router = hours_router, vis = "pub(super)")]
impl McpServer {
    /// The hours registered in the ISO week (Monday to Sunday) holding a date: one row per activity and kind with its activityId, kindId and hours Monday to Sunday, day and week totals, and warnings to tell the user about.
    #[tool(
        name = "get_hours",
        title = "Read registered hours",
        annotations(
            title = "Read registered hours",
            read_only_hint = true,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn get_hours(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(input): Parameters<HoursInput>,
    ) -> ToolAnswer {
        self.run(&parts, input).await
    }

    /// Books hours on an activity on one day, then answers the day as Tidsreg now shows it. Confirm date, hours, activity and kind with the user first. The same booking sent again within 10 minutes is booked once (`replayed: true`).
    #[tool(
        name = "register_hours",
        title = "Book hours",
        annotations(
            title = "Book hours",
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn register_hours(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(input): Parameters<RegisterInput>,
    ) -> ToolAnswer {
        self.run(&parts, input).await
    }

    /// Plans a week like another ("same as last week"): the lines of the week holding `from` on the same weekdays of the week holding `to`, ready for register_hours_batch, with warnings (holidays, days already booked, activities closed). Books nothing.
    #[tool(
        name = "copy_week",
        title = "Plan a week from another",
        annotations(
            title = "Plan a week from another",
            read_only_hint = true,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn copy_week(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(input): Parameters<CopyWeekInput>,
    ) -> ToolAnswer {
        self.run(&parts, input).await
    }

    /// Books up to 50 lines in one call, after checking them all (a bad line refuses the whole batch, naming it; nothing is booked). Confirm one summary table with the user first; dryRun true only checks. The same batch sent again books nothing twice; the answer gives each line's status and the days as Tidsreg now holds them.
    #[tool(
        name = "register_hours_batch",
        title = "Book several lines",
        annotations(
            title = "Book several lines",
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn register_hours_batch(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(input): Parameters<BatchInput>,
    ) -> ToolAnswer {
        self.run(&parts, input).await
    }

    /// The Monday and Sunday of an ISO week number (both default to the current week).
    #[tool(
        name = "get_week",
        title = "ISO week dates",
        annotations(
            title = "ISO week dates",
            read_only_hint = true,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn get_week(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(input): Parameters<WeekInput>,
    ) -> ToolAnswer {
        self.run(&parts, input).await
    }

    /// Finds where to book from the user's words in one call, forgiving typos and Danish letters typed plainly: {"results": full paths (customer, project, phase, activity, with ids), best first, each with "match" exact, fuzzy or partial; "complete": false while the catalogue is still being indexed; "note": what was searched, to tell the user}. Use it before walking the lists. Sends progress notifications while it waits on the index when given a progressToken.
    #[tool(
        name = "search",
        title = "Find where to book",
        annotations(
            title = "Find where to book",
            read_only_hint = true,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn search(
        &self,
        Extension(parts): Extension<Parts>,
        context: RequestContext<RoleServer>,
        Parameters(input): Parameters<SearchInput>,
    ) -> ToolAnswer {
        self.run_search(&parts, &context, input).await
    }

    /// Where the user's time went over up to 92 days (default this month to date): totals, billable and not, by customer, project, activity and day, and short or empty working days.
    #[tool(
        name = "get_report",
        title = "Report hours",
        annotations(
            title = "Report hours",
            read_only_hint = true,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn get_report(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(input): Parameters<ReportInput>,
    ) -> ToolAnswer {
        self.run(&parts, input).await
    }
}

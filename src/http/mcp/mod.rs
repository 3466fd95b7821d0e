//! `/mcp`: the same operations as the REST API, as MCP tools over streamable HTTP (the
//! official Rust SDK, `rmcp`), for ChatGPT plugins and Claude connectors.
//!
//! Stateless on purpose: each POST is answered on its own (JSON, no MCP session), and the
//! caller comes from each request's bearer token, never from an MCP session id. So a
//! restart or a second replica loses nothing, and a session id cannot carry one person's
//! identity into another's request.

mod hours_tools;
mod output_schemas;
mod search_progress;
mod tools;
mod transport_errors;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::http::request::Parts;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, Implementation, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};

use crate::http::icon;
use crate::http::public_url::PublicUrl;
use crate::ops::Ops;
use crate::store::CallerId;

pub use tools::LOGIN_TOOL;
pub use transport_errors::json_rpc_errors;
pub use views::{BOOKING_VIEW, VIEW_MIME_TYPE, WEEK_VIEW};

/// Where the MCP endpoint is mounted.
pub const MCP_PATH: &str = "/mcp";
/// The server's guidance for the model (MCP `instructions`): the GPT instructions, told in
/// tool names.
pub const INSTRUCTIONS: &str = include_str!("../../../assets/mcp/instructions.md");

/// The MCP server: the tool table over the shared operations.
#[derive(Clone)]
pub struct McpServer {
    ops: Ops,
    tools: ToolRouter<Self>,
    /// Where clients reach us, for the icon's address.
    public_url: PublicUrl,
}

impl McpServer {
    /// Tools over `ops`, seen from outside at `public_url`.
    pub fn new(ops: Ops, public_url: PublicUrl) -> Self {
        Self {
            ops,
            tools: Self::router(),
            public_url,
        }
    }

    /// Every tool, whoever asks (tests and docs).
    pub fn all_tools() -> Vec<Tool> {
        Self::router().list_all()
    }

    /// The tool table: every tool, each with its operation's output schema and, where it has
    /// one, its view.
    fn router() -> ToolRouter<Self> {
        let mut tools = views::link_tools(Self::tool_router() + Self::hours_router());
        for route in tools.map.values_mut() {
            route.attr = output_schemas::with_output_schema(route.attr.clone());
        }
        tools
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_extensions_with(views::extension())
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(
                Implementation::new("tidsreg-gpt", env!("CARGO_PKG_VERSION"))
                    .with_title("Tidsreg")
                    .with_icons(vec![icon::mcp_icon(&self.public_url.get())]),
            )
            .with_instructions(INSTRUCTIONS)
    }

    /// The tools this caller may use: OAuth callers are never offered `login`.
    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let oauth = caller_of(&context)?.is_oauth();
        let tools = self
            .tools
            .list_all()
            .into_iter()
            .filter(|tool| !(oauth && tool.name == LOGIN_TOOL))
            .collect();
        let mut result = ListToolsResult::with_all_items(tools);
        // The list depends on who asks, so no cache may share it between callers.
        if context
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28)
        {
            result.ttl_ms = Some(0);
            result.cache_scope = Some(CacheScope::Private);
        }
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let call = ToolCallContext::new(self, request, context);
        self.tools.call(call).await
    }

    /// The MCP Apps views (`ui://`), the only resources.
    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(views::list())
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        views::read(&request.uri).map(ReadResourceResponse::Complete)
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.get(name).cloned()
    }
}

fn caller_of(context: &RequestContext<RoleServer>) -> Result<CallerId, ErrorData> {
    let parts = context.extensions.get::<Parts>().ok_or_else(|| {
        ErrorData::internal_error("no HTTP request behind this MCP request", None)
    })?;
    tools::caller(parts)
}

/// `/mcp`. The door in front of it has put the caller on every request (an OAuth access
/// token or an API key), and the SDK hands the request's extensions to the tools. The
/// server's icon is advertised under `public_url`, which follows the tunnel.
pub fn router(ops: Ops, public_url: PublicUrl) -> Router {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        // The SDK checks `Host` against loopback names by default, against DNS rebinding
        // of unauthenticated local servers. Every `/mcp` request here needs a bearer token a
        // browser page cannot attach, and our public host changes with the tunnel.
        .disable_allowed_hosts();
    let service = StreamableHttpService::new(
        move || Ok(McpServer::new(ops.clone(), public_url.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Router::new()
        .route_service(MCP_PATH, service)
        .route_layer(axum::middleware::from_fn(
            transport_errors::refuse_malformed,
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The instructions guide the model through the usual flow; they need not name every
    /// tool (a new operation is complete without them), but every tool they name must exist:
    /// a renamed tool must not leave the model calling the old name.
    #[test]
    fn the_instructions_name_only_tools_that_exist() {
        let tools: Vec<String> = McpServer::all_tools()
            .iter()
            .map(|tool| tool.name.to_string())
            .collect();
        let named = INSTRUCTIONS.split('`').skip(1).step_by(2);
        let tool_like = |word: &&str| {
            word.contains('_') && word.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        };
        let mut checked = 0;
        for word in named.filter(tool_like) {
            assert!(
                tools.iter().any(|t| t == word),
                "instructions name `{word}`, which is no tool"
            );
            checked += 1;
        }
        assert!(
            checked >= 5,
            "the instructions name the tools of the usual flow"
        );
    }

    /// The tools that change something (upstream or the caller's session); every other
    /// tool must be marked read-only, so clients may call it without asking.
    const WRITING_TOOLS: &[&str] = &["login", "register_hours", "register_hours_batch"];

    /// What directories review: a title, and each hint set to true or false, on every tool
    /// (a new tool cannot ship without them); `idempotentHint` only where it always holds.
    #[test]
    fn every_tool_has_a_title_and_every_hint() {
        for tool in McpServer::all_tools() {
            let name = tool.name.to_string();
            assert!(
                tool.title.as_deref().is_some_and(|t| !t.is_empty()),
                "{name}: no title"
            );
            let hints = tool.annotations.clone().expect("annotations");
            assert!(hints.read_only_hint.is_some(), "{name}: readOnlyHint");
            assert!(hints.destructive_hint.is_some(), "{name}: destructiveHint");
            assert!(hints.open_world_hint.is_some(), "{name}: openWorldHint");
            if hints.idempotent_hint == Some(true) {
                assert_eq!(name, LOGIN_TOOL, "only signing in is always idempotent");
            }
        }
    }

    #[test]
    fn only_writing_tools_are_not_read_only() {
        for tool in McpServer::all_tools() {
            let read_only = tool.annotations.and_then(|a| a.read_only_hint);
            let writes = WRITING_TOOLS.contains(&tool.name.as_ref());
            assert_eq!(read_only, Some(!writes), "{}", tool.name);
        }
    }
}
